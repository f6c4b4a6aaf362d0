//! Resume: reads the results file back as a journal of finished row ids, and cuts a record torn
//! by a crash off its end so appending can carry on cleanly.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::{anyhow, bail};
use serde_json::Value;

use super::Format;

const BUFFER_SIZE: usize = 64 * 1024;

/// A row id as [`Journal::records`] keeps it: 8 bytes a record, however long the ids.
pub fn id_hash(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The result field that holds a row's content fingerprint.
pub const FINGERPRINT_FIELD: &str = "row_fingerprint";

/// What an earlier run already finished.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Journal {
    /// Each complete record's id (as [`id_hash`]) and `row_fingerprint`, in file order; `None`
    /// for records of a results file written before fingerprints.
    pub records: Vec<(u64, Option<u64>)>,
    /// Complete records found.
    pub rows: u64,
    /// Bytes of a torn last record removed from the end of the file.
    pub cut_bytes: u64,
}

/// Reads the results file at `path` (missing → empty journal) and truncates a torn tail.
pub fn read_journal(path: &Path, format: Format, id_field: &str) -> anyhow::Result<Journal> {
    let shown = path.display();
    let file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Journal::default()),
        Err(e) => bail!("cannot open results file `{shown}` to resume it: {e}"),
    };
    let scan = match format {
        Format::Jsonl => scan_jsonl(&file, path, id_field)?,
        Format::Csv => scan_csv(&file, path, id_field)?,
    };
    let mut journal = scan.journal;
    if scan.keep < scan.len {
        file.set_len(scan.keep)
            .map_err(|e| anyhow!("cannot cut the torn last record off `{shown}`: {e}"))?;
        journal.cut_bytes = scan.len - scan.keep;
    }
    Ok(journal)
}

struct Scan {
    journal: Journal,
    /// Bytes of the file that hold complete records.
    keep: u64,
    len: u64,
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!(
        "cannot read results file `{}` to resume it: {e}",
        path.display()
    )
}

fn scan_jsonl(file: &File, path: &Path, id_field: &str) -> anyhow::Result<Scan> {
    let mut reader = BufReader::with_capacity(BUFFER_SIZE, file);
    let mut journal = Journal::default();
    let mut line = Vec::new();
    let mut line_no = 0u64;
    let mut offset = 0u64;
    let mut keep = 0u64;
    // An unparseable line is only forgiven if nothing but blank lines follows it.
    let mut unparseable: Option<(u64, String)> = None;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| io_error(path, e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        offset += n as u64;
        let blank = line.iter().all(u8::is_ascii_whitespace);
        if blank {
            if unparseable.is_none() && line.ends_with(b"\n") {
                keep = offset;
            }
            continue;
        }
        if let Some((bad_line, problem)) = &unparseable {
            bail!(
                "results file `{}` line {bad_line}: {problem}; only the last line may be torn by a \
                 crash, so fix or remove that line and resume again",
                path.display()
            );
        }
        if !line.ends_with(b"\n") {
            // The writer ends every record with '\n', so this one was cut short.
            break;
        }
        match serde_json::from_slice::<Value>(&line) {
            Ok(Value::Object(record)) => {
                let id = match record.get(id_field) {
                    Some(Value::String(id)) => id.clone(),
                    Some(Value::Number(id)) => id.to_string(),
                    _ => bail!(
                        "results file `{}` line {line_no}: the record has no `{id_field}` field, \
                         so it cannot be matched to an input row; is this a results file \
                         written by gen?",
                        path.display()
                    ),
                };
                let fingerprint = record
                    .get(FINGERPRINT_FIELD)
                    .and_then(Value::as_str)
                    .and_then(super::parse_fingerprint);
                journal.records.push((id_hash(&id), fingerprint));
                journal.rows += 1;
                keep = offset;
            }
            Ok(_) => unparseable = Some((line_no, "not a JSON object".to_owned())),
            Err(e) => unparseable = Some((line_no, format!("not valid JSON ({e})"))),
        }
    }
    Ok(Scan {
        journal,
        keep,
        len: offset,
    })
}

/// A record seen but not yet known to be complete: only the next record (or EOF) tells.
struct Pending {
    start: u64,
    line: u64,
    fields: usize,
    id: String,
    fingerprint: Option<u64>,
}

impl Journal {
    /// The ids of the rows with a complete record, as [`id_hash`]es.
    pub fn id_hashes(&self) -> HashSet<u64> {
        self.records.iter().map(|(id, _)| *id).collect()
    }

    fn add(&mut self, record: Pending) {
        self.records.push((id_hash(&record.id), record.fingerprint));
        self.rows += 1;
    }
}

fn scan_csv(file: &File, path: &Path, id_field: &str) -> anyhow::Result<Scan> {
    let shown = path.display();
    let len = file.metadata().map_err(|e| io_error(path, e))?.len();
    let mut journal = Journal::default();
    if len == 0 {
        return Ok(Scan {
            journal,
            keep: 0,
            len,
        });
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(BUFFER_SIZE)
        .from_reader(file);
    let mut record = csv::ByteRecord::new();

    if !reader
        .read_byte_record(&mut record)
        .map_err(|e| io_error(path, e))?
    {
        // Only blank lines: nothing worth keeping.
        return Ok(Scan {
            journal,
            keep: 0,
            len,
        });
    }
    let header: Vec<String> = record
        .iter()
        .map(|cell| String::from_utf8_lossy(cell).into_owned())
        .collect();
    let header_start = record.position().map_or(0, |p| p.byte());

    let mut pending: Option<Pending> = None;
    let mut id_index = None;
    let fingerprint_index = header.iter().position(|c| c == FINGERPRINT_FIELD);
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| io_error(path, e))?
    {
        // A second record proves the header complete; check it before trusting any ids.
        let id_index = match id_index {
            Some(i) => i,
            None => *id_index.insert(header_index(&header, id_field, path)?),
        };
        if let Some(done) = pending.take() {
            if done.fields != header.len() {
                bail!(
                    "results file `{shown}` line {}: expected {} fields, found {}; only the last \
                     record may be torn by a crash, so fix or remove that record and resume again",
                    done.line,
                    header.len(),
                    done.fields
                );
            }
            journal.add(done);
        }
        let position = record
            .position()
            .cloned()
            .unwrap_or_else(csv::Position::new);
        pending = Some(Pending {
            start: position.byte(),
            line: position.line(),
            fields: record.len(),
            id: record
                .get(id_index)
                .map(|cell| String::from_utf8_lossy(cell).into_owned())
                .unwrap_or_default(),
            fingerprint: fingerprint_index
                .and_then(|i| record.get(i))
                .and_then(|cell| std::str::from_utf8(cell).ok())
                .and_then(super::parse_fingerprint),
        });
    }

    let last_start = pending.as_ref().map_or(header_start, |p| p.start);
    let last_fields = pending.as_ref().map_or(header.len(), |p| p.fields);
    let torn = last_fields != header.len() || !ends_cleanly(file, last_start, len, path)?;
    let keep = match (torn, pending) {
        // Even the header was cut short: start the file over.
        (true, None) => 0,
        (true, Some(last)) => last.start,
        (false, last) => {
            if id_index.is_none() {
                header_index(&header, id_field, path)?;
            }
            if let Some(last) = last {
                journal.add(last);
            }
            len
        }
    };
    Ok(Scan { journal, keep, len })
}

fn header_index(header: &[String], id_field: &str, path: &Path) -> anyhow::Result<usize> {
    header.iter().position(|c| c == id_field).ok_or_else(|| {
        anyhow!(
            "results file `{}` has no `{id_field}` column (its columns: {}), so it cannot be \
             resumed; write to a new file or overwrite it",
            path.display(),
            header.join(", ")
        )
    })
}

/// Whether the record starting at `start` ends the file with a newline outside quotes. Quotes
/// only open and close quoted fields (a literal quote is doubled), so an odd count means the file
/// stops inside a quoted field even when its last byte is a newline.
fn ends_cleanly(mut file: &File, start: u64, len: u64, path: &Path) -> anyhow::Result<bool> {
    let mut tail = Vec::new();
    file.seek(SeekFrom::Start(start))
        .and_then(|_| file.take(len - start).read_to_end(&mut tail))
        .map_err(|e| io_error(path, e))?;
    let quotes = tail.iter().filter(|&&b| b == b'"').count();
    Ok(tail.ends_with(b"\n") && quotes % 2 == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal_of(name: &str, contents: &str, format: Format) -> (anyhow::Result<Journal>, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        let journal = read_journal(&path, format, "id");
        (journal, std::fs::read_to_string(&path).unwrap())
    }

    fn ids(journal: &Journal) -> Vec<u64> {
        let mut ids: Vec<u64> = journal.id_hashes().into_iter().collect();
        ids.sort();
        ids
    }

    fn hashes(ids: &[&str]) -> Vec<u64> {
        let mut hashes: Vec<u64> = ids.iter().map(|id| id_hash(id)).collect();
        hashes.sort();
        hashes.dedup();
        hashes
    }

    #[test]
    fn missing_file_is_an_empty_journal() {
        let dir = tempfile::tempdir().unwrap();
        let journal = read_journal(&dir.path().join("none.jsonl"), Format::Jsonl, "id").unwrap();
        assert_eq!(journal, Journal::default());
    }

    #[test]
    fn jsonl_complete_file_is_kept() {
        let data = "{\"id\":\"a\",\"out\":\"x\"}\n\n{\"id\":7}\n";
        let (journal, after) = journal_of("r.jsonl", data, Format::Jsonl);
        let journal = journal.unwrap();
        assert_eq!(ids(&journal), hashes(&["7", "a"]));
        assert_eq!((journal.rows, journal.cut_bytes), (2, 0));
        assert_eq!(after, data);
    }

    #[test]
    fn jsonl_torn_line_is_cut_exactly() {
        let good = "{\"id\":\"a\"}\n{\"id\":\"b\"}\n";
        let torn = "{\"id\":\"c\",\"out\":\"hal";
        let (journal, after) = journal_of("r.jsonl", &format!("{good}{torn}"), Format::Jsonl);
        let journal = journal.unwrap();
        assert_eq!(ids(&journal), hashes(&["a", "b"]));
        assert_eq!(journal.cut_bytes, torn.len() as u64);
        assert_eq!(after, good);
    }

    #[test]
    fn jsonl_complete_object_without_newline_is_cut() {
        let (journal, after) =
            journal_of("r.jsonl", "{\"id\":\"a\"}\n{\"id\":\"b\"}", Format::Jsonl);
        let journal = journal.unwrap();
        assert_eq!(ids(&journal), hashes(&["a"]));
        assert_eq!(journal.cut_bytes, 10);
        assert_eq!(after, "{\"id\":\"a\"}\n");
    }

    #[test]
    fn jsonl_unparseable_last_line_is_cut() {
        let (journal, after) = journal_of("r.jsonl", "{\"id\":\"a\"}\n{\"id\":\n\n", Format::Jsonl);
        let journal = journal.unwrap();
        assert_eq!((journal.rows, journal.cut_bytes), (1, 8));
        assert_eq!(after, "{\"id\":\"a\"}\n");
    }

    #[test]
    fn jsonl_mid_file_garbage_is_an_error() {
        let data = "{\"id\":\"a\"}\ngarbage\n{\"id\":\"b\"}\n";
        let (journal, after) = journal_of("r.jsonl", data, Format::Jsonl);
        let msg = journal.unwrap_err().to_string();
        assert!(msg.contains("r.jsonl` line 2: not valid JSON"), "{msg}");
        assert!(msg.contains("fix or remove that line"), "{msg}");
        assert_eq!(after, data, "nothing is cut when the file is refused");
    }

    #[test]
    fn jsonl_record_without_id_is_an_error() {
        let (journal, _) = journal_of("r.jsonl", "{\"out\":\"x\"}\n", Format::Jsonl);
        let msg = journal.unwrap_err().to_string();
        assert!(
            msg.contains("line 1: the record has no `id` field"),
            "{msg}"
        );
    }

    #[test]
    fn csv_complete_file_with_multiline_fields_is_kept() {
        let data = "id,out\na,\"one\ntwo, \"\"q\"\"\"\nb,plain\n";
        let (journal, after) = journal_of("r.csv", data, Format::Csv);
        let journal = journal.unwrap();
        assert_eq!(ids(&journal), hashes(&["a", "b"]));
        assert_eq!((journal.rows, journal.cut_bytes), (2, 0));
        assert_eq!(after, data);
    }

    #[test]
    fn csv_torn_inside_a_quoted_field_is_cut() {
        let good = "id,out\na,\"one\ntwo\"\n";
        // Torn right after a newline inside the quotes: the file even ends in '\n'.
        let torn = "b,\"three\n";
        let (journal, after) = journal_of("r.csv", &format!("{good}{torn}"), Format::Csv);
        let journal = journal.unwrap();
        assert_eq!(ids(&journal), hashes(&["a"]));
        assert_eq!(journal.cut_bytes, torn.len() as u64);
        assert_eq!(after, good);
    }

    #[test]
    fn csv_without_final_newline_is_cut() {
        let (journal, after) = journal_of("r.csv", "id,out\na,x\nb,y", Format::Csv);
        let journal = journal.unwrap();
        assert_eq!((ids(&journal), journal.cut_bytes), (hashes(&["a"]), 3));
        assert_eq!(after, "id,out\na,x\n");
    }

    #[test]
    fn csv_short_last_record_is_cut() {
        let (journal, after) = journal_of("r.csv", "id,out,cost\na,x,1\nb,y\n", Format::Csv);
        assert_eq!(journal.unwrap().cut_bytes, 4);
        assert_eq!(after, "id,out,cost\na,x,1\n");
    }

    #[test]
    fn csv_torn_header_starts_over() {
        let (journal, after) = journal_of("r.csv", "id,ou", Format::Csv);
        let journal = journal.unwrap();
        assert_eq!((journal.rows, journal.cut_bytes), (0, 5));
        assert_eq!(after, "");
    }

    #[test]
    fn csv_mid_file_bad_record_is_an_error() {
        let data = "id,out\na,x,extra\nb,y\n";
        let (journal, after) = journal_of("r.csv", data, Format::Csv);
        let msg = journal.unwrap_err().to_string();
        assert!(msg.contains("line 2: expected 2 fields, found 3"), "{msg}");
        assert_eq!(after, data);
    }

    #[test]
    fn csv_without_the_id_column_is_an_error() {
        let (journal, _) = journal_of("r.csv", "key,out\na,x\n", Format::Csv);
        let msg = journal.unwrap_err().to_string();
        assert!(
            msg.contains("has no `id` column (its columns: key, out)"),
            "{msg}"
        );
        let (journal, _) = journal_of("r.csv", "key,out\n", Format::Csv);
        assert!(journal.is_err());
    }

    #[test]
    fn csv_header_only_is_an_empty_journal() {
        let (journal, after) = journal_of("r.csv", "id,out\n", Format::Csv);
        let journal = journal.unwrap();
        assert_eq!((journal.rows, journal.cut_bytes), (0, 0));
        assert_eq!(after, "id,out\n");
    }

    #[test]
    fn writer_resumes_after_the_cut() {
        use crate::rows::writer::{OpenMode, ResultWriter, Target};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        std::fs::write(&path, "id,out\na,\"x\ny\"\nb,\"to").unwrap();
        let journal = read_journal(&path, Format::Csv, "id").unwrap();
        assert_eq!(ids(&journal), hashes(&["a"]));
        let columns = vec!["id".to_owned(), "out".to_owned()];
        let target = Target::File(path.clone());
        let mut writer =
            ResultWriter::open(&target, Format::Csv, columns, OpenMode::Append).unwrap();
        let record = serde_json::json!({"id": "b", "out": "done"});
        writer
            .write(&record.as_object().unwrap().clone().into())
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "id,out\na,\"x\ny\"\nb,done\n"
        );
    }
}
