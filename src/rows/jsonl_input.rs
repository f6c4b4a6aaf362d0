//! JSONL records: one object per line, blank lines skipped; a line that is not an object is kept
//! whole as `raw_line`, and a fed-back manifest's `raw_line` entries are read as the line they
//! wrap.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};

use serde_json::{Map, Value};

use super::input::{BUFFER_SIZE, Input, RawRecord};
use super::manifest::{ERROR_COLUMNS, MANIFEST_SIGNATURE};

/// How many unusable JSONL lines open() reads past while looking for the first object (whose keys
/// become the columns). Bounded so a file of garbage cannot make open() buffer all of it.
const JSONL_PEEK_LIMIT: usize = 1000;

pub(super) struct JsonlRecords {
    input: BufReader<Input>,
    line: Vec<u8>,
    line_no: u64,
    /// Records open() read while looking for the first object; they are yielded first.
    pending: VecDeque<RawRecord>,
    finished: bool,
}

impl JsonlRecords {
    /// Peeks up to the first object to learn the columns; returns them with the reader.
    pub(super) fn open(input: Input) -> (JsonlRecords, Vec<String>) {
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

    pub(super) fn next_raw(&mut self) -> Option<RawRecord> {
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
