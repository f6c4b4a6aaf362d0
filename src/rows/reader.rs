//! Streaming input: opens a CSV or JSONL source (a file or stdin), settles its format, columns and
//! id column, and yields one [`Row`] or [`BadRow`] per record while holding only one record (plus
//! a 64 KiB read buffer) in memory.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::fs::File;
use std::hash::{BuildHasher, RandomState};
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};
use csv::ByteRecord;
use serde_json::{Map, Value};

use super::manifest::ERROR_COLUMNS;
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
    seen_ids: HashSet<u64>,
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
    /// False when `fields` holds only `raw_line` (a JSONL line that is not an object), so there
    /// are no columns to take an id from or strip.
    has_columns: bool,
}

impl RowReader {
    /// Opens the source and reads as far as its header (CSV) or first object (JSONL).
    pub fn open(source: &Source, opts: &ReaderOptions) -> anyhow::Result<RowReader> {
        let raw = open_raw(source)?;
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

        let strip_error_columns = ERROR_COLUMNS
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
            seen_ids: HashSet::new(),
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
        let mut bad_utf8 = false;
        for ((cell, name), keep) in self.record.iter().zip(&self.header).zip(&self.keep) {
            if !keep {
                continue;
            }
            let value = match std::str::from_utf8(cell) {
                Ok(text) => text.to_owned(),
                Err(_) => {
                    if !bad_utf8 {
                        bad_utf8 = true;
                        problems.push(format!("invalid UTF-8 in column `{name}`"));
                    }
                    String::from_utf8_lossy(cell).into_owned()
                }
            };
            fields.insert(name.clone(), Value::String(value));
        }
        Some(RawRecord {
            line,
            fields,
            problem: (!problems.is_empty()).then(|| problems.join("; ")),
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
            return RawRecord {
                line,
                fields,
                problem: None,
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
        has_columns: false,
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
