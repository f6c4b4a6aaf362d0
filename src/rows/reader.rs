//! Streaming input: opens a CSV or JSONL source (a file or stdin), settles its format, encoding,
//! delimiter, columns and id column, and yields one [`Row`] or [`BadRow`] per record while holding
//! only one record (plus the 64 KiB start it checked and a 64 KiB read buffer) in memory. The
//! records themselves come from `csv_input` and `jsonl_input`; a workbook file is read through
//! [`super::workbook`] into the same rows.

use std::fmt;
use std::fs::File;
use std::hash::{BuildHasher, RandomState};
use std::io::{self, Cursor, Read};
use std::path::Path;

use anyhow::{anyhow, bail};
use serde_json::Value;

use super::csv_input::CsvRecords;
use super::decode::{self, CHECK_BYTES, TextEncoding};
use super::id_set::IdSet;
use super::input::{Input, RawRecord};
use super::jsonl_input::JsonlRecords;
use super::manifest::{ERROR_COLUMNS, MANIFEST_SIGNATURE, ManifestStyle};
use super::sniff::{self, Delimiter};
use super::workbook::{self, SheetInfo, WorkbookRecords};
use super::{BadRow, Format, Row};
use crate::failure::FailureKind;

// Re-exported because `RowReader::open` takes one.
pub use super::input::Source;

/// The reader's choices that the user can override.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReaderOptions {
    /// Forced by `--input-format`; otherwise taken from the extension or sniffed.
    pub format: Option<Format>,
    /// `--id-column`; otherwise `id` when the input has such a column.
    pub id_column: Option<String>,
    /// `--delimiter` (CSV); otherwise tabs for `.tsv`, else sniffed.
    pub delimiter: Option<u8>,
    /// `--encoding` (CSV, JSONL); otherwise the BOM's, else UTF-8.
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// `--sheet` (workbooks); otherwise the first.
    pub sheet: Option<String>,
}

/// How the input was read, as a batch job records it to read it the same way at fetch: the
/// delimiter and encoding gen used (CSV, JSONL), or the sheet (workbooks).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadSettings {
    pub delimiter: Option<u8>,
    pub encoding: Option<&'static encoding_rs::Encoding>,
    pub sheet: Option<String>,
}

/// How the input was read, for the dry run and the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
enum InputKind {
    /// CSV (with its delimiter) or JSONL.
    Text {
        encoding: TextEncoding,
        delimiter: Option<Delimiter>,
    },
    Workbook(SheetInfo),
}

/// Yields the input's records in order; see the module header.
pub struct RowReader {
    /// What the manifest is written as: a workbook's is CSV.
    format: Format,
    input: InputKind,
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

enum Records {
    Csv(CsvRecords),
    Jsonl(JsonlRecords),
    Workbook(Box<WorkbookRecords>),
}

impl RowReader {
    /// Opens the source and reads as far as its header (CSV, workbook) or first object (JSONL).
    pub fn open(source: &Source, opts: &ReaderOptions) -> anyhow::Result<RowReader> {
        if let Source::File(path) = source {
            if starts_like_a_workbook(path) {
                return RowReader::from_workbook(path, source, opts);
            }
        }
        RowReader::from_raw(open_raw(source)?, source, opts)
    }

    fn from_workbook(
        path: &Path,
        source: &Source,
        opts: &ReaderOptions,
    ) -> anyhow::Result<RowReader> {
        for (given, flag) in [
            (opts.delimiter.is_some(), "--delimiter"),
            (opts.encoding.is_some(), "--encoding"),
        ] {
            if given {
                bail!(
                    "{flag} applies to CSV and JSONL input, and `{source}` is a workbook (its \
                     cells need neither); leave out {flag}, or --sheet NAME to pick a sheet"
                );
            }
        }
        let (records, header, info) = WorkbookRecords::open(path, opts.sheet.as_deref())?;
        let records = Records::Workbook(Box::new(records));
        RowReader::assemble(
            source,
            opts,
            Format::Csv,
            InputKind::Workbook(info),
            records,
            header,
        )
    }

    /// `source` only names the input in messages and supplies the extension; tests pass readers
    /// that deliver their bytes in awkward pieces.
    fn from_raw(
        raw: Box<dyn Read + Send>,
        source: &Source,
        opts: &ReaderOptions,
    ) -> anyhow::Result<RowReader> {
        let cannot_read = |e: io::Error| anyhow!("cannot read input `{source}`: {e}");
        let (encoding, text) = decode::open(raw, opts.encoding).map_err(cannot_read)?;
        let (prefix, complete, rest) = read_prefix(text).map_err(cannot_read)?;
        if workbook::is_workbook(&prefix) {
            bail!(
                "`{source}` is a workbook, which gen reads from a file only; pass its path \
                 instead of stdin"
            );
        }
        if let Some(bad) = decode::check_prefix(&prefix, &encoding, complete) {
            bail!("`{source}` line {} {}", bad.line, bad.advice);
        }
        if let Some(sheet) = &opts.sheet {
            bail!(
                "--sheet `{sheet}` applies to workbooks (.xlsx, .xls, .ods), and `{source}` is a \
                 text file; leave out --sheet"
            );
        }
        let first_byte = prefix.iter().copied().find(|b| !b.is_ascii_whitespace());
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
        let delimiter = match (format, opts.delimiter) {
            (Format::Jsonl, Some(_)) => bail!(
                "--delimiter applies to CSV input, and `{source}` is read as JSONL; leave out \
                 --delimiter, or pass --input-format csv"
            ),
            (Format::Jsonl, None) => None,
            (Format::Csv, Some(byte)) => Some(Delimiter {
                byte,
                chosen: sniff::Chosen::Flag,
            }),
            (Format::Csv, None) if is_tsv(source) => Some(Delimiter {
                byte: b'\t',
                chosen: sniff::Chosen::Extension,
            }),
            (Format::Csv, None) => Some(match sniff::sniff(&prefix, complete) {
                Some(byte) => Delimiter {
                    byte,
                    chosen: sniff::Chosen::Sniffed,
                },
                None => Delimiter {
                    byte: b',',
                    chosen: sniff::Chosen::OneColumn,
                },
            }),
        };
        let input: Input = Cursor::new(prefix).chain(rest);

        let (records, file_columns) = match delimiter {
            Some(delimiter) => {
                let (records, header) =
                    CsvRecords::open(input, source, delimiter.byte, encoding.encoding)?;
                (Records::Csv(records), header)
            }
            None => {
                let (records, keys) = JsonlRecords::open(input);
                (Records::Jsonl(records), keys)
            }
        };
        let kind = InputKind::Text {
            encoding,
            delimiter,
        };
        RowReader::assemble(source, opts, format, kind, records, file_columns)
    }

    /// Settles the columns and the id column of an opened input.
    fn assemble(
        source: &Source,
        opts: &ReaderOptions,
        format: Format,
        input: InputKind,
        records: Records,
        file_columns: Vec<String>,
    ) -> anyhow::Result<RowReader> {
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
            input,
            columns,
            id_column,
            records,
            strip_error_columns,
            seq: 0,
            seen_ids: IdSet::new(),
            id_hasher: RandomState::new(),
        };
        let keep = |header: &[String]| -> Vec<bool> {
            header
                .iter()
                .map(|c| !(strip_error_columns && ERROR_COLUMNS.contains(&c.as_str())))
                .collect()
        };
        match &mut reader.records {
            Records::Csv(csv) => csv.keep = keep(&csv.header),
            Records::Workbook(sheet) => sheet.keep = keep(sheet.header()),
            Records::Jsonl(_) => {}
        }
        Ok(reader)
    }

    /// One line for the dry run: `CSV, delimiter ';' (sniffed), encoding UTF-8`.
    pub fn describe_input(&self) -> String {
        match &self.input {
            InputKind::Workbook(info) => info.describe(),
            InputKind::Text {
                encoding,
                delimiter,
            } => {
                let mut text = match self.format {
                    Format::Csv => "CSV".to_string(),
                    Format::Jsonl => "JSONL".to_string(),
                };
                if let Some(delimiter) = delimiter {
                    text.push_str(&format!(", {}", delimiter.describe()));
                }
                text.push_str(&format!(", encoding {}", encoding.describe()));
                text
            }
        }
    }

    /// How the manifest is written so it reads back as this input did: a CSV input's delimiter,
    /// and a UTF-8 BOM when the input was not plain UTF-8 (so a re-run with the same
    /// `--encoding` still reads it right, and Excel opens it as UTF-8).
    pub fn manifest_style(&self) -> ManifestStyle {
        match &self.input {
            InputKind::Workbook(_) => ManifestStyle {
                delimiter: b',',
                bom: true,
            },
            InputKind::Text {
                encoding,
                delimiter,
            } => ManifestStyle {
                delimiter: delimiter.map_or(b',', |d| d.byte),
                bom: !encoding.is_utf8() || encoding.chosen == decode::Chosen::Bom,
            },
        }
    }

    /// The delimiter, encoding or sheet gen settled on, to read the input the same way again.
    pub fn read_settings(&self) -> ReadSettings {
        match &self.input {
            InputKind::Workbook(info) => ReadSettings {
                sheet: Some(info.sheet.clone()),
                ..ReadSettings::default()
            },
            InputKind::Text {
                encoding,
                delimiter,
            } => ReadSettings {
                delimiter: delimiter.map(|d| d.byte),
                encoding: (encoding.chosen == decode::Chosen::Flag).then_some(encoding.encoding),
                sheet: None,
            },
        }
    }

    /// Rows whose every field is empty (`,,` as spreadsheets export them), skipped so far: they
    /// are neither rows nor failures.
    pub fn blank_rows(&self) -> u64 {
        match &self.records {
            Records::Csv(csv) => csv.blank,
            Records::Workbook(sheet) => sheet.blank,
            Records::Jsonl(_) => 0,
        }
    }

    /// The rows left to read, when the reader knows (a workbook is loaded at open).
    pub fn known_rows(&self) -> Option<u64> {
        match &self.records {
            Records::Workbook(sheet) => Some(sheet.remaining()),
            _ => None,
        }
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
            Records::Workbook(records) => records.next_raw(),
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
        "csv" | "tsv" | "tab" => Some(Format::Csv),
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
        bail!("input `{shown}` is a directory; pass a CSV, JSONL or workbook file");
    }
    let file = File::open(path).map_err(|e| anyhow!("cannot read input file `{shown}`: {e}"))?;
    Ok(Box::new(file))
}

fn is_tsv(source: &Source) -> bool {
    let Source::File(path) = source else {
        return false;
    };
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("tsv") || e.eq_ignore_ascii_case("tab"))
}

/// Whether the file starts with a workbook's magic bytes; unreadable files are left for
/// [`open_raw`] to explain.
fn starts_like_a_workbook(path: &Path) -> bool {
    let mut head = [0u8; 8];
    let Ok(file) = File::open(path) else {
        return false;
    };
    let mut n = 0;
    let mut file = file.take(head.len() as u64);
    while let Ok(read) = file.read(&mut head[n..]) {
        if read == 0 {
            break;
        }
        n += read;
    }
    workbook::is_workbook(&head[..n])
}

/// Reads the decoded start of the input (up to [`CHECK_BYTES`], or all of a shorter one) for the
/// encoding check and the sniffers; returns it, whether it is the whole input, and the rest.
fn read_prefix<R: Read>(mut text: R) -> io::Result<(Vec<u8>, bool, R)> {
    let mut prefix = Vec::with_capacity(CHECK_BYTES);
    while prefix.len() < CHECK_BYTES {
        let start = prefix.len();
        prefix.resize(CHECK_BYTES, 0);
        match text.read(&mut prefix[start..]) {
            Ok(0) => {
                prefix.truncate(start);
                return Ok((prefix, true, text));
            }
            Ok(n) => prefix.truncate(start + n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => prefix.truncate(start),
            Err(e) => return Err(e),
        }
    }
    Ok((prefix, false, text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Map;
    use std::io::Write;
    use std::path::PathBuf;

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
    fn csv_invalid_utf8_at_the_start_stops_before_any_row() {
        let raw = Box::new(Cursor::new(b"id,name\n1,ok\n2,caf\xE9\n".to_vec()));
        let err = RowReader::from_raw(raw, &Source::Stdin, &ReaderOptions::default());
        let msg = err.unwrap_err().to_string();
        assert!(
            msg.starts_with("`stdin` line 3 is not valid UTF-8"),
            "{msg}"
        );
        assert!(msg.contains("--encoding windows-1252"), "{msg}");
    }

    #[test]
    fn csv_invalid_utf8_is_a_bad_row_decoded_lossily() {
        let mut data = b"id,name\n1,ok\n2,caf".to_vec();
        data.extend_from_slice(&[0xE9, b'\n']);
        // --encoding utf-8 says the bytes are meant as UTF-8: a bad one fails its row only.
        let utf8 = ReaderOptions {
            encoding: Some(encoding_rs::UTF_8),
            ..Default::default()
        };
        let (_, items) = read_bytes(&data, &utf8);
        let bad = bad(&items[1]);
        assert_eq!(bad.message, "line 3: invalid UTF-8 in column `name`");
        assert_eq!(bad.id, "2", "the id could still be read");
        assert_eq!(bad.fields["name"], "caf\u{fffd}");
    }

    #[test]
    fn delimiters_are_sniffed_forced_or_tabs_for_tsv() {
        let (reader, items) = read_all("keyword;audience\nshoes, red;men\n");
        assert_eq!(reader.columns(), ["keyword", "audience"]);
        assert_eq!(row(&items[0]).fields["keyword"], "shoes, red");
        assert_eq!(
            reader.describe_input(),
            "CSV, delimiter ';' (sniffed), encoding UTF-8"
        );
        assert_eq!(reader.manifest_style().delimiter, b';');
        let commas = ReaderOptions {
            delimiter: Some(b','),
            ..Default::default()
        };
        let (reader, _) = read_bytes(b"a;b\n1;2\n", &commas);
        assert_eq!(reader.columns(), ["a;b"]);
        let (_dir, path) = temp_file("rows.tsv", b"a,b\tc\n1,2\t3\n");
        let mut reader = RowReader::open(&Source::File(path), &ReaderOptions::default()).unwrap();
        assert_eq!(reader.columns(), ["a,b", "c"]);
        assert!(reader.describe_input().contains("delimiter tab (.tsv)"));
        assert_eq!(reader.next().unwrap().unwrap().fields["c"], "3");
    }

    #[test]
    fn blank_rows_are_skipped_and_counted() {
        let (reader, items) = read_all(",,\nid,k,v\n,,\n1,x,y\n,\n\"\",,\n2,z,\n,,\n");
        assert_eq!(
            reader.columns(),
            ["id", "k", "v"],
            "blank rows above the header"
        );
        let ids: Vec<_> = items.iter().map(|i| row(i).id.clone()).collect();
        assert_eq!(ids, ["1", "2"]);
        assert_eq!(
            row(&items[1]).seq,
            1,
            "blank rows take no place in the order"
        );
        assert_eq!(row(&items[1]).line, 7);
        assert_eq!(reader.blank_rows(), 4);
    }

    #[test]
    fn other_encodings_decode_to_the_same_rows() {
        let text = "id,name\n1,Café crème\n2,naïve\n";
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let (reader, items) = read_bytes(&utf16, &ReaderOptions::default());
        assert_eq!(row(&items[0]).fields["name"], "Café crème");
        assert_eq!(row(&items[1]).line, 3);
        assert!(reader.describe_input().ends_with("encoding UTF-16LE (BOM)"));
        assert!(reader.manifest_style().bom, "the manifest says it is UTF-8");
        let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(text);
        let latin = ReaderOptions {
            encoding: Some(encoding_rs::WINDOWS_1252),
            ..Default::default()
        };
        let (reader, items) = read_bytes(&cp1252, &latin);
        assert_eq!(row(&items[1]).fields["name"], "naïve");
        assert_eq!(
            reader.read_settings().encoding,
            Some(encoding_rs::WINDOWS_1252)
        );
        // A sequence the named encoding cannot decode fails its row, in words of that encoding.
        let sjis = ReaderOptions {
            encoding: Some(encoding_rs::SHIFT_JIS),
            ..Default::default()
        };
        let (_, items) = read_bytes(b"id,name\n1,ok\n2,a\x82 b\n", &sjis);
        assert_eq!(row(&items[0]).fields["name"], "ok");
        let broken = bad(&items[1]);
        assert_eq!(
            broken.message,
            "line 3: bytes that are not valid Shift_JIS in column `name`"
        );
        assert!(broken.raw_cells.is_empty());
    }

    #[test]
    fn flags_for_another_kind_of_input_are_refused() {
        let open = |data: &[u8], opts: ReaderOptions| {
            let raw = Box::new(Cursor::new(data.to_vec()));
            RowReader::from_raw(raw, &Source::Stdin, &opts)
                .unwrap_err()
                .to_string()
        };
        let msg = open(
            b"{\"a\":1}\n",
            ReaderOptions {
                delimiter: Some(b';'),
                ..Default::default()
            },
        );
        assert!(msg.contains("--delimiter applies to CSV input"), "{msg}");
        let msg = open(
            b"a,b\n",
            ReaderOptions {
                sheet: Some("Data".into()),
                ..Default::default()
            },
        );
        assert!(msg.contains("--sheet `Data` applies to workbooks"), "{msg}");
        let msg = open(b"PK\x03\x04rest", ReaderOptions::default());
        assert!(msg.contains("is a workbook"), "{msg}");
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
            ..Default::default()
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
            ..Default::default()
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
            ..Default::default()
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
            ..Default::default()
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
            // Rows whose every cell is empty are blank rows, skipped.
            let want: Vec<Map<String, Value>> = rows
                .iter()
                .filter(|r| r.iter().any(|c| !c.is_empty()))
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
