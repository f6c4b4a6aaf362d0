//! CSV records: the csv parser over the decoded input, with each record's first line tracked
//! (csv counts lines at the end of a record, blank lines and CRLFs included), blank records
//! skipped and counted, and cells that are not UTF-8 kept as bytes for the manifest.

use std::collections::VecDeque;
use std::io::{self, Read};

use anyhow::bail;
use csv::ByteRecord;
use serde_json::{Map, Value};

use super::input::{BUFFER_SIZE, Input, RawRecord, Source};

pub(super) struct CsvRecords {
    reader: csv::Reader<NewlineIndex<Input>>,
    record: ByteRecord,
    pub(super) header: Vec<String>,
    /// Per header position: false for the error columns of a fed-back manifest.
    pub(super) keep: Vec<bool>,
    /// What the bytes were before they were decoded to UTF-8 (if they were), for messages.
    encoding: &'static encoding_rs::Encoding,
    /// Records whose every field is empty, skipped.
    pub(super) blank: u64,
    finished: bool,
}

impl CsvRecords {
    pub(super) fn open(
        input: Input,
        source: &Source,
        delimiter: u8,
        encoding: &'static encoding_rs::Encoding,
    ) -> anyhow::Result<(CsvRecords, Vec<String>)> {
        let reader = csv::ReaderBuilder::new()
            // The header is read as an ordinary record so its line is tracked like the others.
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(BUFFER_SIZE)
            .from_reader(NewlineIndex::new(input));
        let mut records = CsvRecords {
            reader,
            record: ByteRecord::new(),
            header: Vec::new(),
            keep: Vec::new(),
            encoding,
            blank: 0,
            finished: false,
        };
        // Blank records above the header (a sheet's empty top rows) are not the header.
        let header_line = loop {
            match records.read() {
                Ok(Some(_)) if records.is_blank() => continue,
                Ok(Some(line)) => break line,
                Ok(None) => return Ok((records, Vec::new())),
                Err(e) => bail!("cannot read the header of `{source}`: {e}"),
            }
        };
        let mut header = Vec::with_capacity(records.record.len());
        for (i, cell) in records.record.iter().enumerate() {
            let Ok(name) = std::str::from_utf8(cell) else {
                bail!(
                    "`{source}` line {header_line}: header column {} is not valid {}; pass \
                     --encoding with the file's encoding, or save the file as UTF-8",
                    i + 1,
                    encoding.name()
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

    fn is_blank(&self) -> bool {
        self.record.iter().all(<[u8]>::is_empty)
    }

    pub(super) fn next_raw(&mut self) -> Option<RawRecord> {
        if self.finished {
            return None;
        }
        let line = loop {
            match self.read() {
                // Every field empty (`,,`): a spreadsheet's empty row, not a failure.
                Ok(Some(_)) if self.is_blank() => self.blank += 1,
                Ok(Some(line)) => break line,
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
                Err(_) if self.encoding == encoding_rs::UTF_8 => {
                    if raw_cells.is_empty() {
                        problems.push(format!("invalid UTF-8 in column `{name}`"));
                    }
                    raw_cells.push((name.clone(), cell.to_vec()));
                    String::from_utf8_lossy(cell).into_owned()
                }
                // Transcoded bytes are not the input's own, so the manifest gets the text.
                Err(_) => {
                    problems.push(format!(
                        "bytes that are not valid {} in column `{name}`",
                        self.encoding.name()
                    ));
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
