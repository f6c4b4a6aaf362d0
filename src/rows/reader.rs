//! Streaming input: opens a CSV or JSONL source (a file or stdin), settles its format, columns and
//! id column, and yields one [`Row`] or [`BadRow`] per record while holding only one record (plus
//! a 64 KiB read buffer) in memory.

use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::hash::{BuildHasher, RandomState};
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};
use csv::ByteRecord;
use serde_json::{Map, Value};

use super::id_set::IdSet;
use super::manifest::{ERROR_COLUMNS, MANIFEST_SIGNATURE};
use super::{BadRow, Format, Row};
use crate::failure::FailureKind;

/// Large enough that a read syscall is amortised over hundreds of rows.
const BUFFER_SIZE: usize = 64 * 1024;
const BOM: &[u8] = b"\xEF\xBB\xBF";
/// How many unusable JSONL lines open() reads past while looking for the first object (whose keys
/// become the columns). Bounded so a file of garbage cannot make open() buffer all of it.
const JSONL_PEEK_LIMIT: usize = 1000;

/// Where the rows come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Stdin => f.write_str("stdin"),
            Source::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// The reader's choices that the user can override.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReaderOptions {
    /// Forced by `--input-format`; otherwise taken from the extension or sniffed.
    pub format: Option<Format>,
    /// `--id-column`; otherwise `id` when the input has such a column.
    pub id_column: Option<String>,
}

/// Yields the input's records in order; see the module header.
pub struct RowReader {
    format: Format,
    columns: Vec<String>,
    id_column: Option<String>,
    records: Records,
    /// Set for fed-back manifests: the error columns describe the previous failure, not the data.
    strip_error_columns: bool,
    seq: u64,
    /// Hashes rather than the ids themselves, so memory stays at 8 bytes a row on huge inputs.
    /// A false "duplicate" needs a 64-bit collision: about 1 in 10^8 even at 10^6 rows.
    seen_ids: IdSet,
    id_hasher: RandomState,
}

impl fmt::Debug for RowReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RowReader")
            .field("format", &self.format)
            .field("columns", &self.columns)
            .field("id_column", &self.id_column)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

type Input = std::io::Chain<Cursor<Vec<u8>>, Box<dyn Read + Send>>;

enum Records {
    Csv(CsvRecords),
    Jsonl(JsonlRecords),
}

/// One record as read, before its sequence number and id are settled.
struct RawRecord {
    line: u64,
    fields: Map<String, Value>,
    /// Why the record is unusable (without the `line N: ` prefix), if it is.
    problem: Option<String>,
    /// Cells that were not valid UTF-8, as read.
    raw_cells: Vec<(String, Vec<u8>)>,
    /// False when `fields` holds only `raw_line` (a JSONL line that is not an object), so there
    /// are no columns to take an id from or strip.
    has_columns: bool,
}

impl RowReader {
    /// Opens the source and reads as far as its header (CSV) or first object (JSONL).
    pub fn open(source: &Source, opts: &ReaderOptions) -> anyhow::Result<RowReader> {
        RowReader::from_raw(open_raw(source)?, source, opts)
    }

    /// `source` only names the input in messages and supplies the extension; tests pass readers
    /// that deliver their bytes in awkward pieces.
    fn from_raw(
        raw: Box<dyn Read + Send>,
        source: &Source,
        opts: &ReaderOptions,
    ) -> anyhow::Result<RowReader> {
        let (first_byte, input) =
            peek(raw).map_err(|e| anyhow!("cannot read input `{source}`: {e}"))?;
        let format = opts
            .format
            .or_else(|| match source {
                Source::File(path) => format_from_extension(path),
                Source::Stdin => None,
            })
            .unwrap_or(match first_byte {
                Some(b'{') => Format::Jsonl,
                _ => Format::Csv,
            });

        let (records, file_columns) = match format {
            Format::Csv => {
                let (records, header) = CsvRecords::open(input, source)?;
                (Records::Csv(records), header)
            }
            Format::Jsonl => {
                let (records, keys) = JsonlRecords::open(input);
                (Records::Jsonl(records), keys)
            }
        };

        let strip_error_columns = MANIFEST_SIGNATURE
            .iter()
            .all(|name| file_columns.iter().any(|c| c == name));
        let columns: Vec<String> = if strip_error_columns {
            file_columns
                .into_iter()
                .filter(|c| !ERROR_COLUMNS.contains(&c.as_str()))
                .collect()
        } else {
            file_columns
        };

        let id_column = match &opts.id_column {
            Some(name) => {
                // JSONL rows need not share keys, so a missing id there is a per-row problem.
                if format == Format::Csv && !columns.contains(name) {
                    bail!(
                        "--id-column `{name}` is not a column of `{source}`; its columns are: {}",
                        list_columns(&columns)
                    );
                }
                Some(name.clone())
            }
            None => columns.iter().any(|c| c == "id").then(|| "id".to_owned()),
        };

        let mut reader = RowReader {
            format,
            columns,
            id_column,
            records,
            strip_error_columns,
            seq: 0,
            seen_ids: IdSet::new(),
            id_hasher: RandomState::new(),
        };
        if let Records::Csv(csv) = &mut reader.records {
            csv.keep = csv
                .header
                .iter()
                .map(|c| !(strip_error_columns && ERROR_COLUMNS.contains(&c.as_str())))
                .collect();
        }
        Ok(reader)
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// The data columns: the CSV header, or the keys of the first JSONL object; a fed-back
    /// manifest's error columns are left out.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// `--id-column`, else `id` when that column is present, else `None` (rows are numbered).
    pub fn id_column(&self) -> Option<&str> {
        self.id_column.as_deref()
    }

    // Row is as large as BadRow, so boxing the error would save nothing; this is the item type.
    #[allow(clippy::result_large_err)]
    fn settle(&mut self, seq: u64, raw: RawRecord) -> Result<Row, BadRow> {
        let RawRecord {
            line,
            mut fields,
            problem,
            has_columns,
            raw_cells,
        } = raw;
        if self.strip_error_columns && has_columns && self.format == Format::Jsonl {
            for name in ERROR_COLUMNS {
                fields.shift_remove(name);
            }
        }
        let number = || (seq + 1).to_string();
        let id = match (&self.id_column, has_columns) {
            (Some(column), true) => id_text(fields.get(column)).filter(|id| !id.is_empty()),
            _ => None,
        };

        if let Some(problem) = problem {
            return Err(BadRow {
                seq,
                line,
                id: id.unwrap_or_else(number),
                kind: FailureKind::BadInput,
                message: format!("line {line}: {problem}"),
                fields,
                raw_cells,
            });
        }
        let Some(column) = &self.id_column else {
            return Ok(Row {
                seq,
                line,
                id: number(),
                fields,
            });
        };
        let Some(id) = id else {
            return Err(BadRow {
                seq,
                line,
                id: number(),
                kind: FailureKind::BadInput,
                message: format!("line {line}: empty id in column `{column}`"),
                fields,
                raw_cells: Vec::new(),
            });
        };
        if !self.seen_ids.insert(self.id_hasher.hash_one(id.as_str())) {
            return Err(BadRow {
                seq,
                line,
                message: format!("line {line}: id `{id}` repeats an earlier row's id"),
                id,
                kind: FailureKind::DuplicateId,
                fields,
                raw_cells: Vec::new(),
            });
        }
        Ok(Row {
            seq,
            line,
            id,
            fields,
        })
    }
}

impl Iterator for RowReader {
    type Item = Result<Row, BadRow>;

    fn next(&mut self) -> Option<Self::Item> {
        let raw = match &mut self.records {
            Records::Csv(records) => records.next_raw(),
            Records::Jsonl(records) => records.next_raw(),
        }?;
        let seq = self.seq;
        self.seq += 1;
        Some(self.settle(seq, raw))
    }
}

/// An id cell as text: strings as they are, other scalars by their JSON text.
fn id_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn list_columns(columns: &[String]) -> String {
    if columns.is_empty() {
        return "(none)".to_owned();
    }
    columns
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn format_from_extension(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "csv" => Some(Format::Csv),
        "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
        _ => None,
    }
}

fn open_raw(source: &Source) -> anyhow::Result<Box<dyn Read + Send>> {
    let path = match source {
        Source::Stdin => return Ok(Box::new(io::stdin())),
        Source::File(path) => path,
    };
    let shown = path.display();
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            bail!("input file `{shown}` not found; check the path")
        }
        Err(e) => bail!("cannot read input file `{shown}`: {e}"),
    };
    if meta.is_dir() {
        bail!("input `{shown}` is a directory; pass a CSV or JSONL file");
    }
    let file = File::open(path).map_err(|e| anyhow!("cannot read input file `{shown}`: {e}"))?;
    Ok(Box::new(file))
}

/// Reads just enough to see the first meaningful byte (for sniffing) and drops a leading UTF-8
/// BOM; the returned reader still yields every other byte, which matters for stdin.
fn peek(mut raw: Box<dyn Read + Send>) -> io::Result<(Option<u8>, Input)> {
    let mut prefix = Vec::new();
    let first = loop {
        let start = prefix.len();
        prefix.resize(start + 4096, 0);
        let n = match raw.read(&mut prefix[start..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                prefix.truncate(start);
                continue;
            }
            Err(e) => return Err(e),
        };
        prefix.truncate(start + n);
        let eof = n == 0;
        // A pipe may hand over the BOM a byte at a time; wait for all of it.
        if !eof && prefix.len() < BOM.len() && BOM.starts_with(&prefix) {
            continue;
        }
        let body = prefix.strip_prefix(BOM).unwrap_or(&prefix);
        if let Some(&b) = body.iter().find(|b| !b.is_ascii_whitespace()) {
            break Some(b);
        }
        if eof {
            break None;
        }
    };
    if prefix.starts_with(BOM) {
        prefix.drain(..BOM.len());
    }
    Ok((first, Cursor::new(prefix).chain(raw)))
}

// ---------------------------------------------------------------------------------------------
// CSV

struct CsvRecords {
    reader: csv::Reader<NewlineIndex<Input>>,
    record: ByteRecord,
    header: Vec<String>,
    /// Per header position: false for the error columns of a fed-back manifest.
    keep: Vec<bool>,
    finished: bool,
}

impl CsvRecords {
    fn open(input: Input, source: &Source) -> anyhow::Result<(CsvRecords, Vec<String>)> {
        let reader = csv::ReaderBuilder::new()
            // The header is read as an ordinary record so its line is tracked like the others.
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(BUFFER_SIZE)
            .from_reader(NewlineIndex::new(input));
        let mut records = CsvRecords {
            reader,
            record: ByteRecord::new(),
            header: Vec::new(),
            keep: Vec::new(),
            finished: false,
        };
        let header_line = match records.read() {
            Ok(Some(line)) => line,
            Ok(None) => return Ok((records, Vec::new())),
            Err(e) => bail!("cannot read the header of `{source}`: {e}"),
        };
        let mut header = Vec::with_capacity(records.record.len());
        for (i, cell) in records.record.iter().enumerate() {
            let Ok(name) = std::str::from_utf8(cell) else {
                bail!(
                    "`{source}` line {header_line}: header column {} is not valid UTF-8; \
                     save the file as UTF-8",
                    i + 1
                );
            };
            if let Some(earlier) = header.iter().position(|c| c == name) {
                bail!(
                    "`{source}` line {header_line}: column `{name}` appears twice in the header \
                     (columns {} and {}); rename one so no data is lost",
                    earlier + 1,
                    i + 1
                );
            }
            header.push(name.to_owned());
        }
        records.keep = vec![true; header.len()];
        records.header = header.clone();
        Ok((records, header))
    }

    /// Reads the next record into `self.record`; returns the line it starts on.
    fn read(&mut self) -> csv::Result<Option<u64>> {
        if !self.reader.read_byte_record(&mut self.record)? {
            return Ok(None);
        }
        let end = self.reader.position().clone();
        // csv counts every '\n' it consumed, including blank lines and the '\n' of a CRLF before
        // the record, so count back from the end instead of trusting the record's start position.
        let embedded = self
            .record
            .as_slice()
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        let terminated = self
            .reader
            .get_mut()
            .is_newline(end.byte().saturating_sub(1));
        let line = end.line() - embedded - u64::from(terminated);
        Ok(Some(line.max(1)))
    }

    fn next_raw(&mut self) -> Option<RawRecord> {
        if self.finished {
            return None;
        }
        let line = match self.read() {
            Ok(Some(line)) => line,
            Ok(None) => {
                self.finished = true;
                return None;
            }
            Err(e) => {
                // With byte records and flexible(true) csv only fails on I/O, which it cannot
                // resume from: report it once as a record and stop.
                self.finished = true;
                let line = self.reader.position().line();
                return Some(RawRecord {
                    line,
                    fields: Map::new(),
                    problem: Some(format!("cannot read further: {e}")),
                    raw_cells: Vec::new(),
                    has_columns: false,
                });
            }
        };

        let expected = self.header.len();
        let found = self.record.len();
        let mut problems = Vec::new();
        if found != expected {
            let mut problem = format!("expected {expected} fields, found {found}");
            if found > expected {
                let extra: Vec<String> = self
                    .record
                    .iter()
                    .skip(expected)
                    .map(|cell| format!("{:?}", String::from_utf8_lossy(cell)))
                    .collect();
                problem.push_str(&format!(" (extra: {})", extra.join(", ")));
            }
            problems.push(problem);
        }
        let mut fields = Map::with_capacity(expected);
        let mut raw_cells = Vec::new();
        for ((cell, name), keep) in self.record.iter().zip(&self.header).zip(&self.keep) {
            if !keep {
                continue;
            }
            let value = match std::str::from_utf8(cell) {
                Ok(text) => text.to_owned(),
                Err(_) => {
                    if raw_cells.is_empty() {
                        problems.push(format!("invalid UTF-8 in column `{name}`"));
                    }
                    raw_cells.push((name.clone(), cell.to_vec()));
                    String::from_utf8_lossy(cell).into_owned()
                }
            };
            fields.insert(name.clone(), Value::String(value));
        }
        Some(RawRecord {
            line,
            fields,
            problem: (!problems.is_empty()).then(|| problems.join("; ")),
            raw_cells,
            has_columns: true,
        })
    }
}

/// Remembers where the newlines are in bytes csv has read ahead but not yet parsed, so
/// [`CsvRecords::read`] can tell whether a record's last consumed byte was a `\n`.
struct NewlineIndex<R> {
    inner: R,
    offset: u64,
    newlines: VecDeque<u64>,
}

impl<R> NewlineIndex<R> {
    fn new(inner: R) -> Self {
        NewlineIndex {
            inner,
            offset: 0,
            newlines: VecDeque::new(),
        }
    }

    /// Whether byte `at` is a `\n`. Offsets must be asked in increasing order: earlier newlines
    /// are forgotten, which keeps the index as small as csv's read-ahead.
    fn is_newline(&mut self, at: u64) -> bool {
        while self.newlines.front().is_some_and(|&n| n < at) {
            self.newlines.pop_front();
        }
        self.newlines.front() == Some(&at)
    }
}

impl<R: Read> Read for NewlineIndex<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' {
                self.newlines.push_back(self.offset + i as u64);
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

// ---------------------------------------------------------------------------------------------
// JSONL

struct JsonlRecords {
    input: BufReader<Input>,
    line: Vec<u8>,
    line_no: u64,
    /// Records open() read while looking for the first object; they are yielded first.
    pending: VecDeque<RawRecord>,
    finished: bool,
}

impl JsonlRecords {
    /// Peeks up to the first object to learn the columns; returns them with the reader.
    fn open(input: Input) -> (JsonlRecords, Vec<String>) {
        let mut records = JsonlRecords {
            input: BufReader::with_capacity(BUFFER_SIZE, input),
            line: Vec::new(),
            line_no: 0,
            pending: VecDeque::new(),
            finished: false,
        };
        let mut columns = Vec::new();
        while records.pending.len() < JSONL_PEEK_LIMIT {
            let Some(record) = records.read() else { break };
            let found = record.has_columns;
            if found {
                columns = record.fields.keys().cloned().collect();
            }
            records.pending.push_back(record);
            if found {
                break;
            }
        }
        (records, columns)
    }

    fn next_raw(&mut self) -> Option<RawRecord> {
        self.pending.pop_front().or_else(|| self.read())
    }

    fn read(&mut self) -> Option<RawRecord> {
        loop {
            if self.finished {
                return None;
            }
            self.line.clear();
            match self.input.read_until(b'\n', &mut self.line) {
                Ok(0) => {
                    self.finished = true;
                    return None;
                }
                Ok(_) => {}
                Err(e) => {
                    self.finished = true;
                    return Some(RawRecord {
                        line: self.line_no + 1,
                        fields: Map::new(),
                        problem: Some(format!("cannot read further: {e}")),
                        raw_cells: Vec::new(),
                        has_columns: false,
                    });
                }
            }
            self.line_no += 1;
            if self.line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(parse_json_line(&self.line, self.line_no));
        }
    }
}

fn parse_json_line(bytes: &[u8], line: u64) -> RawRecord {
    let problem = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(fields)) => {
            // A manifest entry for a line that was not an object: read the line it wraps, so a
            // fed-back manifest fails it again (or reads it, once the user fixed `raw_line`).
            if let Some(Value::String(wrapped)) = wrapped_raw_line(&fields) {
                return parse_json_line(wrapped.as_bytes(), line);
            }
            return RawRecord {
                line,
                fields,
                problem: None,
                raw_cells: Vec::new(),
                has_columns: true,
            };
        }
        Ok(other) => format!("expected a JSON object, found {}", json_kind(&other)),
        Err(e) => {
            // serde says "at line 1 column N" about the line alone; keep only the column.
            let full = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let what = full.strip_suffix(&suffix).unwrap_or(&full);
            format!("not valid JSON: {what} at column {}", e.column())
        }
    };
    let text = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    let mut fields = Map::with_capacity(1);
    fields.insert(
        "raw_line".to_owned(),
        Value::String(String::from_utf8_lossy(text).into_owned()),
    );
    RawRecord {
        line,
        fields,
        problem: Some(problem),
        raw_cells: Vec::new(),
        has_columns: false,
    }
}

/// `raw_line` of an object made of exactly `raw_line` and the manifest's error columns.
fn wrapped_raw_line(fields: &Map<String, Value>) -> Option<&Value> {
    let is_manifest_entry = MANIFEST_SIGNATURE.iter().all(|c| fields.contains_key(*c))
        && fields
            .keys()
            .all(|k| k == "raw_line" || ERROR_COLUMNS.contains(&k.as_str()));
    if is_manifest_entry {
        fields.get("raw_line").filter(|v| v.is_string())
    } else {
        None
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Write;

    /// Hands out its bytes `step` at a time, like a slow pipe.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        step: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn reader_over(data: &[u8], step: usize, opts: &ReaderOptions) -> RowReader {
        let raw = Box::new(Trickle {
            data: data.to_vec(),
            at: 0,
            step,
        });
        RowReader::from_raw(raw, &Source::Stdin, opts).unwrap()
    }

    fn read_all(data: &str) -> (RowReader, Vec<Result<Row, BadRow>>) {
        read_bytes(data.as_bytes(), &ReaderOptions::default())
    }

    fn read_bytes(data: &[u8], opts: &ReaderOptions) -> (RowReader, Vec<Result<Row, BadRow>>) {
        let mut reader = reader_over(data, usize::MAX, opts);
        let items: Vec<_> = reader.by_ref().collect();
        // The same bytes a byte at a time must give the same answer.
        let trickled: Vec<_> = reader_over(data, 1, opts).collect();
        assert_eq!(items, trickled, "split input changed the result");
        (reader, items)
    }

    fn fields(pairs: &[(&str, &str)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect()
    }

    fn row(item: &Result<Row, BadRow>) -> &Row {
        item.as_ref().expect("a good row")
    }

    fn bad(item: &Result<Row, BadRow>) -> &BadRow {
        item.as_ref().expect_err("a bad row")
    }

    fn temp_file(name: &str, contents: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        (dir, path)
    }

    #[test]
    fn reader_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<RowReader>();
    }

    #[test]
    fn csv_rows_with_id_column() {
        let (reader, items) = read_all("id,name\na1,Ann\na2,Bob\n");
        assert_eq!(reader.format(), Format::Csv);
        assert_eq!(reader.columns(), ["id", "name"]);
        assert_eq!(reader.id_column(), Some("id"));
        assert_eq!(
            row(&items[1]),
            &Row {
                seq: 1,
                line: 3,
                id: "a2".into(),
                fields: fields(&[("id", "a2"), ("name", "Bob")]),
            }
        );
        assert_eq!(row(&items[0]).id, "a1");
    }

    #[test]
    fn csv_without_id_column_numbers_rows() {
        let (reader, items) = read_all("name,age\nAnn,3\nBob,4");
        assert_eq!(reader.id_column(), None);
        let ids: Vec<_> = items.iter().map(|i| row(i).id.clone()).collect();
        assert_eq!(ids, ["1", "2"]);
    }

    #[test]
    fn csv_bom_is_stripped_from_the_header() {
        let (reader, items) = read_all("\u{feff}id,text\n1,x\n");
        assert_eq!(reader.columns(), ["id", "text"]);
        assert_eq!(row(&items[0]).id, "1");
    }

    #[test]
    fn csv_quoted_fields_and_line_numbers() {
        let data = "id,text\n1,\"a, \"\"quoted\"\"\nand\nmore\"\n\n\n2,plain\r\n3,\"x\"\n";
        let (_, items) = read_all(data);
        assert_eq!(items.len(), 3);
        assert_eq!(row(&items[0]).fields["text"], "a, \"quoted\"\nand\nmore");
        assert_eq!(row(&items[0]).line, 2);
        assert_eq!(
            row(&items[1]).line,
            7,
            "blank lines are skipped but counted"
        );
        assert_eq!(row(&items[1]).fields["text"], "plain");
        assert_eq!(row(&items[2]).line, 8);
    }

    #[test]
    fn crlf_line_numbers() {
        let (_, items) = read_all("id,v\r\n1,a\r\n\r\n2,\"b\r\nc\"\r\n3,d");
        let lines: Vec<_> = items.iter().map(|i| row(i).line).collect();
        assert_eq!(lines, [2, 4, 6]);
    }

    #[test]
    fn csv_field_count_mismatch_is_a_bad_row() {
        let (_, items) = read_all("a,b,c\n1,2,3\n4,5,6,x\n7,8\n9,10,11\n");
        assert_eq!(items.len(), 4);
        let extra = bad(&items[1]);
        assert_eq!(extra.kind, FailureKind::BadInput);
        assert_eq!(
            extra.message,
            "line 3: expected 3 fields, found 4 (extra: \"x\")"
        );
        assert_eq!(extra.fields, fields(&[("a", "4"), ("b", "5"), ("c", "6")]));
        assert_eq!(extra.id, "2");
        let short = bad(&items[2]);
        assert_eq!(short.message, "line 4: expected 3 fields, found 2");
        assert_eq!(short.fields, fields(&[("a", "7"), ("b", "8")]));
        let last = row(&items[3]);
        assert_eq!((last.seq, last.id.as_str(), last.line), (3, "4", 5));
    }

    #[test]
    fn csv_invalid_utf8_is_a_bad_row_decoded_lossily() {
        let mut data = b"id,name\n1,ok\n2,caf".to_vec();
        data.extend_from_slice(&[0xE9, b'\n']);
        let (_, items) = read_bytes(&data, &ReaderOptions::default());
        let bad = bad(&items[1]);
        assert_eq!(bad.message, "line 3: invalid UTF-8 in column `name`");
        assert_eq!(bad.id, "2", "the id could still be read");
        assert_eq!(bad.fields["name"], "caf\u{fffd}");
    }

    #[test]
    fn empty_and_duplicate_ids() {
        let (_, items) = read_all("id,v\n1,a\n,b\n1,c\n2,d\n");
        let empty = bad(&items[1]);
        assert_eq!(empty.kind, FailureKind::BadInput);
        assert_eq!(empty.message, "line 3: empty id in column `id`");
        assert_eq!(empty.id, "2");
        let dup = bad(&items[2]);
        assert_eq!(dup.kind, FailureKind::DuplicateId);
        assert_eq!(dup.message, "line 4: id `1` repeats an earlier row's id");
        assert_eq!(dup.id, "1");
        assert_eq!(row(&items[3]).seq, 3);
    }

    #[test]
    fn forced_id_column_must_exist_in_csv() {
        let opts = ReaderOptions {
            format: None,
            id_column: Some("sku".into()),
        };
        let raw = Box::new(Cursor::new(b"id,name\n1,a\n".to_vec()));
        let err = RowReader::from_raw(raw, &Source::Stdin, &opts).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("`sku`") && msg.contains("`id`, `name`"),
            "{msg}"
        );

        let (reader, items) = read_bytes(
            b"name,sku\na,X1\n",
            &ReaderOptions {
                id_column: Some("sku".into()),
                ..Default::default()
            },
        );
        assert_eq!(reader.id_column(), Some("sku"));
        assert_eq!(row(&items[0]).id, "X1");
    }

    #[test]
    fn duplicate_header_names_are_refused() {
        let raw = Box::new(Cursor::new(b"a,b,a\n1,2,3\n".to_vec()));
        let err = RowReader::from_raw(raw, &Source::Stdin, &ReaderOptions::default());
        let msg = err.unwrap_err().to_string();
        assert!(msg.contains("column `a` appears twice"), "{msg}");
    }

    #[test]
    fn open_errors_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.csv");
        let err = RowReader::open(&Source::File(missing.clone()), &ReaderOptions::default());
        let msg = err.unwrap_err().to_string();
        assert_eq!(
            msg,
            format!(
                "input file `{}` not found; check the path",
                missing.display()
            )
        );
        let err = RowReader::open(
            &Source::File(dir.path().to_path_buf()),
            &ReaderOptions::default(),
        );
        assert!(err.unwrap_err().to_string().contains("is a directory"));
    }

    #[test]
    fn format_by_extension_forced_or_sniffed() {
        let (_dir, path) = temp_file("rows.ndjson", b"{\"a\":1}\n");
        let reader = RowReader::open(&Source::File(path), &ReaderOptions::default()).unwrap();
        assert_eq!(reader.format(), Format::Jsonl);

        // The extension wins over the content...
        let (_dir, path) = temp_file("rows.csv", b"{a}\n1\n");
        let reader = RowReader::open(&Source::File(path.clone()), &ReaderOptions::default());
        assert_eq!(reader.unwrap().format(), Format::Csv);
        // ...and --input-format over both.
        let forced = ReaderOptions {
            format: Some(Format::Jsonl),
            id_column: None,
        };
        let reader = RowReader::open(&Source::File(path), &forced).unwrap();
        assert_eq!(reader.format(), Format::Jsonl);

        // Unknown extensions are sniffed, past a BOM and whitespace.
        let (_dir, path) = temp_file("rows.txt", b"\xEF\xBB\xBF \n\t{\"id\":\"x\"}\n");
        let mut reader = RowReader::open(&Source::File(path), &ReaderOptions::default()).unwrap();
        assert_eq!(reader.format(), Format::Jsonl);
        assert_eq!(reader.next().unwrap().unwrap().id, "x");

        let (reader, _) = read_all("a,b\n1,2\n");
        assert_eq!(reader.format(), Format::Csv);
        let (reader, items) = read_bytes(b"\xEF\xBB\xBF{\"k\":\"v\"}", &ReaderOptions::default());
        assert_eq!(reader.format(), Format::Jsonl);
        assert_eq!(reader.columns(), ["k"]);
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn empty_inputs_have_no_rows() {
        for data in ["", "\n\n", "\u{feff}"] {
            let (reader, items) = read_all(data);
            assert!(reader.columns().is_empty());
            assert!(items.is_empty());
        }
        let (_dir, path) = temp_file("empty.jsonl", b"");
        let reader = RowReader::open(&Source::File(path), &ReaderOptions::default()).unwrap();
        assert!(reader.columns().is_empty());
        assert_eq!(reader.count(), 0);
    }

    #[test]
    fn jsonl_rows_and_ids() {
        let data = "{\"id\":7,\"q\":\"hi\",\"n\":[1,2]}\n\n  \r\n{\"id\":\"b\",\"q\":\"yo\"}\r\n{\"id\":true}";
        let (reader, items) = read_all(data);
        assert_eq!(reader.columns(), ["id", "q", "n"]);
        assert_eq!(reader.id_column(), Some("id"));
        let first = row(&items[0]);
        assert_eq!((first.id.as_str(), first.line), ("7", 1));
        assert_eq!(first.fields["n"], serde_json::json!([1, 2]));
        assert_eq!((row(&items[1]).id.as_str(), row(&items[1]).line), ("b", 4));
        assert_eq!(row(&items[2]).id, "true");
    }

    #[test]
    fn jsonl_bad_lines_keep_their_text() {
        let data = "{\"q\":1}\n{\"q\":2,}\n[1,2]\n{\"q\":3}\n";
        let (_, items) = read_all(data);
        assert_eq!(items.len(), 4);
        let broken = bad(&items[1]);
        assert_eq!(broken.kind, FailureKind::BadInput);
        assert!(
            broken
                .message
                .starts_with("line 2: not valid JSON: trailing comma at column 8"),
            "{}",
            broken.message
        );
        assert_eq!(broken.fields, fields(&[("raw_line", "{\"q\":2,}")]));
        assert_eq!(broken.id, "2");
        let array = bad(&items[2]);
        assert_eq!(
            array.message,
            "line 3: expected a JSON object, found an array"
        );
        assert_eq!(array.fields, fields(&[("raw_line", "[1,2]")]));
        assert_eq!((row(&items[3]).seq, row(&items[3]).id.as_str()), (3, "4"));
    }

    #[test]
    fn jsonl_columns_come_from_the_first_object_even_after_bad_lines() {
        let jsonl = ReaderOptions {
            format: Some(Format::Jsonl),
            id_column: None,
        };
        let data = b"not json\n{\"id\":\"a\",\"x\":1}\n{\"x\":2}\n";
        let (reader, items) = read_bytes(data, &jsonl);
        assert_eq!(reader.columns(), ["id", "x"]);
        assert_eq!(reader.id_column(), Some("id"));
        assert_eq!(bad(&items[0]).seq, 0);
        assert_eq!(row(&items[1]).id, "a");
        // A row without the id column cannot be told apart from the others.
        let missing = bad(&items[2]);
        assert_eq!(missing.message, "line 3: empty id in column `id`");
        assert_eq!(missing.id, "3");
    }

    #[test]
    fn jsonl_forced_id_column_missing_from_a_row() {
        let opts = ReaderOptions {
            format: None,
            id_column: Some("key".into()),
        };
        let (_, items) = read_bytes(b"{\"key\":\"k1\"}\n{\"other\":1}\n{\"key\":null}\n", &opts);
        assert_eq!(row(&items[0]).id, "k1");
        assert_eq!(bad(&items[1]).message, "line 2: empty id in column `key`");
        assert_eq!(bad(&items[2]).message, "line 3: empty id in column `key`");
    }

    #[test]
    fn fed_back_manifest_columns_are_stripped() {
        let data = "id,text,error_kind,error,attempts,providers_tried\n\
                    1,hello,timeout,slow,3,a;b\n";
        let (reader, items) = read_all(data);
        assert_eq!(reader.columns(), ["id", "text"]);
        assert_eq!(
            row(&items[0]).fields,
            fields(&[("id", "1"), ("text", "hello")])
        );

        let data = "{\"id\":\"1\",\"error_kind\":\"x\",\"error\":\"y\",\"attempts\":2,\
                    \"providers_tried\":[],\"text\":\"t\"}\n";
        let (reader, items) = read_all(data);
        assert_eq!(reader.columns(), ["id", "text"]);
        assert_eq!(row(&items[0]).fields, fields(&[("id", "1"), ("text", "t")]));

        // Only all four together mark a manifest; one alone is ordinary data.
        let (reader, _) = read_all("id,error\n1,x\n");
        assert_eq!(reader.columns(), ["id", "error"]);
    }

    #[test]
    fn reads_a_large_file_in_constant_steps() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        let mut file = std::io::BufWriter::new(File::create(&path).unwrap());
        writeln!(file, "id,text").unwrap();
        for i in 0..20_000 {
            writeln!(file, "r{i},\"line one\nline two, with comma\"").unwrap();
        }
        file.flush().unwrap();
        drop(file);
        let reader = RowReader::open(&Source::File(path), &ReaderOptions::default()).unwrap();
        let mut count = 0u64;
        for (i, item) in reader.enumerate() {
            let row = item.unwrap();
            assert_eq!(row.line, 2 + 2 * i as u64);
            count += 1;
        }
        assert_eq!(count, 20_000);
    }

    fn column_names() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::hash_set("c_[a-z0-9 ,\"\n]{0,6}", 1..5)
            .prop_map(|set| set.into_iter().collect())
    }

    fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z,\"\r\n é中😀\t]{0,12}",
            "\\PC{0,10}",
            Just(String::new()),
        ]
    }

    fn table() -> impl Strategy<Value = (Vec<String>, Vec<Vec<String>>)> {
        column_names().prop_flat_map(|columns| {
            let width = columns.len();
            let rows = proptest::collection::vec(proptest::collection::vec(cell(), width), 0..8);
            (Just(columns), rows)
        })
    }

    proptest! {
        #[test]
        fn csv_round_trips_any_strings((columns, rows) in table(), step in 1usize..64) {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer.write_record(&columns).unwrap();
            for r in &rows {
                writer.write_record(r).unwrap();
            }
            let data = writer.into_inner().unwrap();
            let reader = reader_over(&data, step, &ReaderOptions::default());
            prop_assert_eq!(reader.columns(), &columns[..]);
            let got: Vec<Map<String, Value>> =
                reader.map(|item| item.map(|row| row.fields).unwrap()).collect();
            let want: Vec<Map<String, Value>> = rows
                .iter()
                .map(|r| {
                    columns
                        .iter()
                        .cloned()
                        .zip(r.iter().map(|c| Value::String(c.clone())))
                        .collect()
                })
                .collect();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn jsonl_round_trips_any_strings((columns, rows) in table(), step in 1usize..64) {
            let mut data = Vec::new();
            let want: Vec<Map<String, Value>> = rows
                .iter()
                .map(|r| {
                    columns
                        .iter()
                        .cloned()
                        .zip(r.iter().map(|c| Value::String(c.clone())))
                        .collect()
                })
                .collect();
            for object in &want {
                serde_json::to_writer(&mut data, object).unwrap();
                data.push(b'\n');
            }
            let reader = reader_over(&data, step, &ReaderOptions::default());
            prop_assert_eq!(reader.format(), if rows.is_empty() { Format::Csv } else { Format::Jsonl });
            let got: Vec<Map<String, Value>> =
                reader.map(|item| item.map(|row| row.fields).unwrap()).collect();
            prop_assert_eq!(got, want);
        }
    }
}
