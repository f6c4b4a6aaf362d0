//! What the reader shares with the format readers (`csv_input`, `jsonl_input`, `workbook`): where
//! the input comes from, the decoded stream they read, and the record each hands back. Its own
//! module so the format readers need nothing from the reader that drives them.

use std::fmt;
use std::io::{Cursor, Read};
use std::path::PathBuf;

use serde_json::{Map, Value};

/// Large enough that a read syscall is amortised over hundreds of rows.
pub(super) const BUFFER_SIZE: usize = 64 * 1024;

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

/// The decoded input: the start the reader checked, then the rest.
pub(super) type Input = std::io::Chain<Cursor<Vec<u8>>, Box<dyn Read + Send>>;

/// One record as read, before its sequence number and id are settled.
pub(super) struct RawRecord {
    pub(super) line: u64,
    pub(super) fields: Map<String, Value>,
    /// Why the record is unusable (without the `line N: ` prefix), if it is.
    pub(super) problem: Option<String>,
    /// Cells that were not valid UTF-8, as read.
    pub(super) raw_cells: Vec<(String, Vec<u8>)>,
    /// False when `fields` holds only `raw_line` (a JSONL line that is not an object), so there
    /// are no columns to take an id from or strip.
    pub(super) has_columns: bool,
}
