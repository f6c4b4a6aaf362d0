//! Workbooks (.xlsx, .xlsm, .xlsb, .xls, .ods) read with calamine: one sheet, its first non-empty
//! row as the header, and every cell as the user sees it in the spreadsheet, so a row from a
//! workbook is the same [`super::Row`] a CSV export of that sheet would give.
//!
//! calamine loads the sheet's cells at open (the formats are zipped XML or binary records, with
//! no row-at-a-time access for all of them); rows are turned into text one at a time from there.

use std::path::Path;

use anyhow::{anyhow, bail};
use calamine::{Data, Range, Reader};
use serde_json::{Map, Value};

use super::input::RawRecord;

/// The first bytes of a zip archive (.xlsx, .xlsm, .xlsb, .ods) and of an OLE compound file
/// (.xls): a workbook is told by its content, whatever its name.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

pub fn is_workbook(head: &[u8]) -> bool {
    head.starts_with(ZIP_MAGIC) || head.starts_with(OLE_MAGIC)
}

/// Which sheet was read, for the dry run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetInfo {
    /// `xlsx`, `xls`, `xlsb` or `ods`.
    pub kind: &'static str,
    pub sheet: String,
    pub sheets: Vec<String>,
    /// `--sheet` named it (else it is the first).
    pub flagged: bool,
}

impl SheetInfo {
    /// `workbook (xlsx), sheet `Data` (the first of 2)`.
    pub fn describe(&self) -> String {
        let which = if self.flagged {
            "--sheet".to_string()
        } else {
            format!("the first of {}", self.sheets.len())
        };
        format!("workbook ({}), sheet `{}` ({which})", self.kind, self.sheet)
    }
}

pub(super) struct WorkbookRecords {
    range: Range<Data>,
    /// The next row of `range` to read.
    next: usize,
    header: Vec<String>,
    /// Per header position: false for the error columns of a fed-back manifest.
    pub(super) keep: Vec<bool>,
    /// The sheet row number (1-based) of the range's first row.
    first_row: u64,
    first_col: u32,
    /// Rows whose every cell is empty, skipped.
    pub(super) blank: u64,
}

impl WorkbookRecords {
    /// Opens the workbook, picks the sheet and reads its header row.
    pub(super) fn open(
        path: &Path,
        sheet: Option<&str>,
    ) -> anyhow::Result<(WorkbookRecords, Vec<String>, SheetInfo)> {
        let shown = path.display();
        let mut workbook = calamine::open_workbook_auto(path).map_err(|e| {
            anyhow!(
                "cannot read `{shown}` as a workbook ({e}); it may be damaged or saved with a \
                 password: save a copy from the spreadsheet without one, or export the sheet as \
                 CSV UTF-8"
            )
        })?;
        let kind = match &workbook {
            calamine::Sheets::Xls(_) => "xls",
            calamine::Sheets::Xlsx(_) => "xlsx",
            calamine::Sheets::Xlsb(_) => "xlsb",
            calamine::Sheets::Ods(_) => "ods",
        };
        let sheets = workbook.sheet_names();
        let listed = || {
            sheets
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let name = match sheet {
            None => sheets
                .first()
                .cloned()
                .ok_or_else(|| anyhow!("`{shown}` has no sheets"))?,
            Some(wanted) => match sheets.iter().find(|s| *s == wanted) {
                Some(found) => found.clone(),
                None => {
                    let folded: Vec<&String> = sheets
                        .iter()
                        .filter(|s| s.eq_ignore_ascii_case(wanted))
                        .collect();
                    match folded.as_slice() {
                        [only] => (*only).clone(),
                        _ => bail!(
                            "`{shown}` has no sheet `{wanted}`; its sheets are: {}",
                            listed()
                        ),
                    }
                }
            },
        };
        let range = workbook
            .worksheet_range(&name)
            .map_err(|e| anyhow!("cannot read sheet `{name}` of `{shown}`: {e}"))?;
        let (first_row, first_col) = range.start().unwrap_or((0, 0));
        let mut records = WorkbookRecords {
            range,
            next: 0,
            header: Vec::new(),
            keep: Vec::new(),
            first_row: u64::from(first_row) + 1,
            first_col,
            blank: 0,
        };
        let info = SheetInfo {
            kind,
            sheet: name.clone(),
            sheets: sheets.clone(),
            flagged: sheet.is_some(),
        };
        let header = records.read_header(&format!("`{shown}` sheet `{name}`"))?;
        records.keep = vec![true; header.len()];
        records.header = header.clone();
        Ok((records, header, info))
    }

    /// The first non-empty row, its trailing empty cells left out.
    fn read_header(&mut self, place: &str) -> anyhow::Result<Vec<String>> {
        let height = self.range.height();
        while self.next < height {
            let cells: Vec<String> = self.row(self.next).iter().map(cell_text).collect();
            self.next += 1;
            let Some(last) = cells.iter().rposition(|c| !c.is_empty()) else {
                continue;
            };
            let line = self.first_row + self.next as u64 - 1;
            let mut header: Vec<String> = Vec::with_capacity(last + 1);
            for (i, name) in cells.into_iter().take(last + 1).enumerate() {
                let cell = format!("{}{line}", self.column_letter(i));
                if name.is_empty() {
                    bail!(
                        "{place} row {line}: header cell {cell} is empty; name the column, or \
                         delete it if it holds nothing"
                    );
                }
                if let Some(earlier) = header.iter().position(|c| *c == name) {
                    bail!(
                        "{place} row {line}: column `{name}` appears twice in the header ({} and \
                         {cell}); rename one so no data is lost",
                        self.column_letter(earlier)
                    );
                }
                header.push(name);
            }
            return Ok(header);
        }
        Ok(Vec::new())
    }

    pub(super) fn header(&self) -> &[String] {
        &self.header
    }

    fn row(&self, index: usize) -> &[Data] {
        &self.range[index]
    }

    /// `A`, `B`, … `AA` for a position within the range.
    fn column_letter(&self, index: usize) -> String {
        column_letter(self.first_col as usize + index)
    }

    /// Rows left, blank ones included (for the progress ETA).
    pub(super) fn remaining(&self) -> u64 {
        self.range.height().saturating_sub(self.next) as u64
    }

    pub(super) fn next_raw(&mut self) -> Option<RawRecord> {
        loop {
            if self.next >= self.range.height() {
                return None;
            }
            let index = self.next;
            self.next += 1;
            let line = self.first_row + index as u64;
            let cells = self.row(index);
            if cells.iter().all(is_empty_cell) {
                self.blank += 1;
                continue;
            }
            return Some(self.record(line, cells));
        }
    }

    fn record(&self, line: u64, cells: &[Data]) -> RawRecord {
        let width = self.header.len();
        let mut fields = Map::with_capacity(width);
        for ((name, keep), cell) in self.header.iter().zip(&self.keep).zip(cells) {
            if *keep {
                fields.insert(name.clone(), Value::String(cell_text(cell)));
            }
        }
        // A value right of the last named column has nowhere to go: like a CSV row with a field
        // too many, the row is reported rather than cut.
        let extra: Vec<String> = cells
            .iter()
            .enumerate()
            .skip(width)
            .filter(|(_, c)| !is_empty_cell(c))
            .map(|(i, c)| format!("{}{line} {:?}", self.column_letter(i), cell_text(c)))
            .collect();
        let problem = (!extra.is_empty()).then(|| {
            format!(
                "a value in a column without a header ({}); name that column in the header row, or \
                 clear the cell",
                extra.join(", ")
            )
        });
        RawRecord {
            line,
            fields,
            problem,
            raw_cells: Vec::new(),
            has_columns: true,
        }
    }
}

fn is_empty_cell(cell: &Data) -> bool {
    match cell {
        Data::Empty => true,
        Data::String(s) => s.is_empty(),
        _ => false,
    }
}

/// `A`…`Z`, `AA`… for a 0-based column.
pub fn column_letter(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// A cell as the spreadsheet shows it: numbers without `.0` or binary noise, `TRUE`/`FALSE`,
/// dates as ISO 8601, errors as their text (`#DIV/0!`), empty cells empty.
pub fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(true) => "TRUE".to_string(),
        Data::Bool(false) => "FALSE".to_string(),
        Data::DateTime(dt) if dt.is_duration() => duration_text(dt.as_f64() * 86_400.0),
        Data::DateTime(dt) => datetime_text(dt),
        Data::DateTimeIso(iso) => iso_datetime_text(iso),
        Data::DurationIso(iso) => iso_duration_text(iso),
        Data::Error(e) => e.to_string(),
    }
}

/// Spreadsheets store numbers as binary doubles and show at most 15 significant digits, so
/// `=0.1+0.2` shows `0.3`: round to those 15 digits, then print the shortest text that reads
/// back as that value (`3`, not `3.0`; `0.1`, not `0.1000000000000000055`).
pub fn number_text(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let rounded: f64 = format!("{value:.14e}").parse().unwrap_or(value);
    if rounded == 0.0 {
        return "0".to_string();
    }
    let text = rounded.to_string();
    // Display never uses an exponent; past 1e21 or below 1e-7 that is a wall of zeros.
    if rounded.abs() >= 1e21 || rounded.abs() < 1e-7 {
        return format!("{rounded:e}").replace('e', "E");
    }
    text
}

/// A date-time serial as `2026-12-01`, `2026-12-01 14:30:00`, or `14:30:00` for a time alone.
fn datetime_text(dt: &calamine::ExcelDateTime) -> String {
    // To the nearest second, as a sheet shows it; the serial's float error is below a millisecond.
    let rounded = (dt.as_f64() * 86_400.0).round() / 86_400.0;
    let at =
        calamine::ExcelDateTime::new(rounded, calamine::ExcelDateTimeType::DateTime, is_1904(dt));
    let (year, month, day, hour, minute, second, _) = at.to_ymd_hms_milli();
    let time = format!("{hour:02}:{minute:02}:{second:02}");
    if (0.0..1.0).contains(&rounded) {
        return time;
    }
    let date = format!("{year:04}-{month:02}-{day:02}");
    if rounded.fract() == 0.0 {
        date
    } else {
        format!("{date} {time}")
    }
}

/// Whether the workbook counts days from 1904 (old Mac Excel): calamine keeps it private, but an
/// `ExcelDateTime` compares equal only with the same epoch.
fn is_1904(dt: &calamine::ExcelDateTime) -> bool {
    let kind = if dt.is_duration() {
        calamine::ExcelDateTimeType::TimeDelta
    } else {
        calamine::ExcelDateTimeType::DateTime
    };
    *dt == calamine::ExcelDateTime::new(dt.as_f64(), kind, true)
}

/// `[h]:mm:ss`, as a duration cell shows: `36:00:00`.
fn duration_text(seconds: f64) -> String {
    let total = seconds.round() as i64;
    let sign = if total < 0 { "-" } else { "" };
    let total = total.abs();
    format!(
        "{sign}{}:{:02}:{:02}",
        total / 3600,
        (total % 3600) / 60,
        total % 60
    )
}

/// OpenDocument dates come as ISO text already: `2026-12-01T14:30:00` → `2026-12-01 14:30:00`
/// (fractions of a second dropped; a midnight date-time keeps its time).
fn iso_datetime_text(iso: &str) -> String {
    let text = iso.replacen('T', " ", 1);
    match text.split_once('.') {
        Some((whole, _)) if whole.contains(':') => whole.to_string(),
        _ => text,
    }
}

/// OpenDocument durations: `PT36H00M00S` → `36:00:00`; anything else as written.
fn iso_duration_text(iso: &str) -> String {
    let Some(rest) = iso.strip_prefix("PT") else {
        return iso.to_string();
    };
    let mut seconds = 0.0;
    let mut number = String::new();
    for c in rest.chars() {
        match c {
            '0'..='9' | '.' => number.push(c),
            'H' | 'M' | 'S' => {
                let Ok(n) = number.parse::<f64>() else {
                    return iso.to_string();
                };
                seconds += n * match c {
                    'H' => 3600.0,
                    'M' => 60.0,
                    _ => 1.0,
                };
                number.clear();
            }
            _ => return iso.to_string(),
        }
    }
    duration_text(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{CellErrorType, ExcelDateTime, ExcelDateTimeType};

    fn date(serial: f64) -> Data {
        Data::DateTime(ExcelDateTime::new(
            serial,
            ExcelDateTimeType::DateTime,
            false,
        ))
    }

    #[test]
    fn numbers_read_as_a_sheet_shows_them() {
        assert_eq!(cell_text(&Data::Float(3.0)), "3");
        assert_eq!(cell_text(&Data::Float(-12.0)), "-12");
        assert_eq!(cell_text(&Data::Float(0.1)), "0.1");
        assert_eq!(cell_text(&Data::Float(0.1 + 0.2)), "0.3");
        assert_eq!(cell_text(&Data::Float(1234.5678)), "1234.5678");
        assert_eq!(cell_text(&Data::Float(-0.0)), "0");
        assert_eq!(cell_text(&Data::Float(1e21)), "1E21");
        assert_eq!(cell_text(&Data::Float(2.5e-9)), "2.5E-9");
        assert_eq!(cell_text(&Data::Float(123456789012.0)), "123456789012");
        assert_eq!(cell_text(&Data::Int(42)), "42");
    }

    #[test]
    fn other_cells() {
        assert_eq!(cell_text(&Data::Bool(true)), "TRUE");
        assert_eq!(cell_text(&Data::Bool(false)), "FALSE");
        assert_eq!(cell_text(&Data::Empty), "");
        assert_eq!(cell_text(&Data::String("é, \"x\"".into())), "é, \"x\"");
        assert_eq!(cell_text(&Data::Error(CellErrorType::Div0)), "#DIV/0!");
        assert_eq!(cell_text(&Data::Error(CellErrorType::NA)), "#N/A");
    }

    #[test]
    fn dates_and_times_as_iso() {
        // 2026-12-01 is serial 46357.
        assert_eq!(cell_text(&date(46357.0)), "2026-12-01");
        assert_eq!(
            cell_text(&date(46357.0 + 14.5 / 24.0)),
            "2026-12-01 14:30:00"
        );
        // Float error a hair under the second still shows the second.
        assert_eq!(cell_text(&date(46357.604166666664)), "2026-12-01 14:30:00");
        assert_eq!(cell_text(&date(0.75)), "18:00:00");
        let epoch_1904 = ExcelDateTime::new(44895.0, ExcelDateTimeType::DateTime, true);
        assert_eq!(cell_text(&Data::DateTime(epoch_1904)), "2026-12-01");
        let duration = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(cell_text(&Data::DateTime(duration)), "36:00:00");
        assert_eq!(
            cell_text(&Data::DateTimeIso("2026-12-01T14:30:00.250".into())),
            "2026-12-01 14:30:00"
        );
        assert_eq!(
            cell_text(&Data::DateTimeIso("2026-12-01".into())),
            "2026-12-01"
        );
        assert_eq!(
            cell_text(&Data::DurationIso("PT36H00M00S".into())),
            "36:00:00"
        );
        assert_eq!(cell_text(&Data::DurationIso("P2D".into())), "P2D");
    }

    #[test]
    fn column_letters() {
        let letters: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702]
            .into_iter()
            .map(column_letter)
            .collect();
        assert_eq!(
            letters,
            ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]
        );
    }

    #[test]
    fn magic_bytes() {
        assert!(is_workbook(b"PK\x03\x04rest"));
        assert!(is_workbook(OLE_MAGIC));
        assert!(!is_workbook(b"id,keyword\n"));
        assert!(!is_workbook(b"PK"));
    }
}
