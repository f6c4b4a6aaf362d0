//! Rows in and out: streaming readers (CSV, JSONL, stdin, workbooks), the results writer that
//! doubles as the resume journal, and the failed-rows manifest.

pub mod articles;
mod csv_input;
pub mod decode;
pub mod id_set;
mod input;
mod jsonl_input;
pub mod manifest;
pub mod reader;
pub mod reconcile;
pub mod record;
pub mod resume;
pub mod sniff;
pub mod stages;
pub mod workbook;
pub mod writer;

use serde_json::{Map, Value};

/// The format of an input or a results file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
}

impl Format {
    /// The file extension a manifest in this format gets.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }
}

/// One input row, ready to be rendered into a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// 0-based position among every record the reader produced (good or bad); `--keep-order`
    /// releases outcomes in this order.
    pub seq: u64,
    /// 1-based line of the input where the record starts, for error messages.
    pub line: u64,
    /// The row id: the id column's value, or the 1-based row number.
    pub id: String,
    /// The row's columns in input order. CSV cells are strings; JSONL values are kept as parsed.
    pub fields: Map<String, Value>,
}

impl Row {
    /// A hash of the row's content, its column names and values in order: `--resume` matches
    /// results to rows by it, so a row whose content changed is generated again and a row that
    /// moved (a row inserted above it, with ids that are row numbers) is not.
    pub fn fingerprint(&self) -> u64 {
        const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const FNV_PRIME: u64 = 0x0100_0000_01b3;
        let mut hash = FNV_OFFSET;
        let mut feed = |bytes: &[u8]| {
            for &b in bytes {
                hash = (hash ^ u64::from(b)).wrapping_mul(FNV_PRIME);
            }
            // A separator no text contains, so `ab`+`c` differs from `a`+`bc`.
            hash = (hash ^ 0xff).wrapping_mul(FNV_PRIME);
        };
        for (name, value) in &self.fields {
            feed(name.as_bytes());
            match value {
                Value::String(text) => feed(text.as_bytes()),
                other => feed(other.to_string().as_bytes()),
            }
        }
        hash
    }

    /// A column's value as plain text (empty when `column` is `None` or absent): the row's
    /// subject for the mock and the drafts.
    pub fn text_of(&self, column: Option<&str>) -> String {
        column
            .and_then(|c| self.fields.get(c))
            .map(value_text)
            .unwrap_or_default()
    }
}

/// A cell as plain text: strings without quotes, anything else as JSON.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A record that could not become a [`Row`]: it goes straight to the manifest and the run goes on.
#[derive(Debug, Clone, PartialEq)]
pub struct BadRow {
    pub seq: u64,
    pub line: u64,
    /// The id when one could be read, else the 1-based row number.
    pub id: String,
    /// `bad_input` or `duplicate_id`.
    pub kind: crate::failure::FailureKind,
    /// What was wrong and where, e.g. `line 7: expected 3 fields, found 4`.
    pub message: String,
    /// Whatever could be recovered of the record, so the manifest keeps the data.
    pub fields: Map<String, Value>,
    /// The original bytes of cells that were not valid UTF-8 (`fields` holds them decoded
    /// lossily), so a CSV manifest can give them back unchanged.
    pub raw_cells: Vec<(String, Vec<u8>)>,
}

/// USD rounded to a hundredth of a micro-dollar, as result lines and manifests write it.
pub(crate) fn round_usd(cost: f64) -> f64 {
    (cost * 1e8).round() / 1e8
}

/// A fingerprint as result lines carry it: 16 hex digits.
pub fn fingerprint_text(fingerprint: u64) -> String {
    format!("{fingerprint:016x}")
}

/// The fingerprint a result line carries, if it is one.
pub fn parse_fingerprint(text: &str) -> Option<u64> {
    (text.len() == 16)
        .then(|| u64::from_str_radix(text, 16).ok())
        .flatten()
}
