//! The results file (or stdout): one complete, flushed CSV record or JSONL line per finished row,
//! so results appear as they are made and the file doubles as the resume journal. Also owns the
//! CSV cell encoding the manifest shares.

use std::borrow::Cow;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};
use serde_json::Value;

use super::Format;
use super::record::Record;

/// The UTF-8 byte-order mark Excel looks for.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Where results go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Stdout,
    File(PathBuf),
}

/// How an existing results file is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Fail if the file exists.
    CreateNew,
    /// Start the file over.
    Truncate,
    /// Continue it (resume); a CSV file's header must match the columns.
    Append,
}

/// Writes result records; see the module header.
pub struct ResultWriter {
    out: Box<dyn Write + Send>,
    format: Format,
    columns: Vec<String>,
    /// Reused for every record so a write costs no allocation.
    buf: Vec<u8>,
}

impl std::fmt::Debug for ResultWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultWriter")
            .field("format", &self.format)
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}

impl ResultWriter {
    /// Opens the target; for CSV `columns` is the header and the order of every record's cells
    /// (JSONL ignores it).
    pub fn open(
        target: &Target,
        format: Format,
        columns: Vec<String>,
        mode: OpenMode,
    ) -> anyhow::Result<ResultWriter> {
        ResultWriter::open_with_bom(target, format, columns, mode, false)
    }

    /// [`ResultWriter::open`], starting a new CSV file with a UTF-8 byte-order mark when `bom`:
    /// without one, Excel reads UTF-8 as the local code page and garbles every accent.
    pub fn open_with_bom(
        target: &Target,
        format: Format,
        columns: Vec<String>,
        mode: OpenMode,
        bom: bool,
    ) -> anyhow::Result<ResultWriter> {
        let (out, needs_header): (Box<dyn Write + Send>, bool) = match target {
            Target::Stdout => (Box::new(io::stdout()), true),
            Target::File(path) => {
                let file = open_file(path, format, &columns, mode)?;
                let empty = file
                    .metadata()
                    .map_err(|e| anyhow!("cannot read results file `{}`: {e}", path.display()))?
                    .len()
                    == 0;
                (Box::new(file), empty)
            }
        };
        let mut writer = ResultWriter {
            out,
            format,
            columns,
            buf: Vec::with_capacity(4096),
        };
        if format == Format::Csv && needs_header {
            if bom {
                writer.buf.extend_from_slice(UTF8_BOM);
            }
            push_csv_record(&mut writer.buf, writer.columns.iter());
            writer
                .out
                .write_all(&writer.buf)
                .and_then(|()| writer.out.flush())
                .map_err(|e| anyhow!("cannot write the results header to {target:?}: {e}"))?;
            writer.buf.clear();
        }
        Ok(writer)
    }

    /// Writes one record as one complete line and flushes it.
    pub fn write(&mut self, record: &Record) -> io::Result<()> {
        self.append(record)?;
        self.flush()
    }

    /// Adds one record, as one complete line, to what the next [`ResultWriter::flush`] writes.
    pub fn append(&mut self, record: &Record) -> io::Result<()> {
        match self.format {
            Format::Jsonl => {
                let before = self.buf.len();
                if let Err(e) = serde_json::to_writer(&mut self.buf, record) {
                    self.buf.truncate(before);
                    return Err(e.into());
                }
                self.buf.push(b'\n');
            }
            Format::Csv => {
                let cells = record.values_of(&self.columns).map(cell_text);
                push_csv_record(&mut self.buf, cells);
            }
        }
        Ok(())
    }

    /// Bytes appended and not written yet.
    pub fn unwritten(&self) -> usize {
        self.buf.len()
    }

    /// Writes the lines appended since the last flush and flushes them.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        // One write_all of whole lines: a torn line needs a kill mid-syscall, and resume cuts it.
        let written = self
            .out
            .write_all(&self.buf)
            .and_then(|()| self.out.flush());
        self.buf.clear();
        written
    }
}

fn open_file(
    path: &Path,
    format: Format,
    columns: &[String],
    mode: OpenMode,
) -> anyhow::Result<File> {
    let shown = path.display();
    let opened = match mode {
        OpenMode::CreateNew => OpenOptions::new().write(true).create_new(true).open(path),
        OpenMode::Truncate => File::create(path),
        OpenMode::Append => OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path),
    };
    let mut file = match opened {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => bail!(
            "results file `{shown}` already exists; resume it, overwrite it, or choose another \
             output path"
        ),
        Err(e) => bail!("cannot open results file `{shown}`: {e}"),
    };
    if mode != OpenMode::Append {
        return Ok(file);
    }
    let len = file
        .metadata()
        .map_err(|e| anyhow!("cannot read results file `{shown}`: {e}"))?
        .len();
    if len == 0 {
        return Ok(file);
    }
    if format == Format::Csv {
        let existing = read_csv_header(&mut file)
            .map_err(|e| anyhow!("cannot read the header of results file `{shown}`: {e}"))?;
        if existing != columns {
            bail!(
                "results file `{shown}` has columns {} but this run writes {}{}; write to a new \
                 file or overwrite it instead of resuming",
                bracket(&existing),
                bracket(columns),
                column_difference(&existing, columns)
            );
        }
    }
    // A file that lost its last newline would glue the next record onto the previous one.
    file.seek(SeekFrom::End(-1))
        .and_then(|_| {
            let mut last = [0u8];
            file.read_exact(&mut last)?;
            if last[0] != b'\n' {
                file.write_all(b"\n")?;
            }
            Ok(())
        })
        .map_err(|e| anyhow!("cannot append to results file `{shown}`: {e}"))?;
    Ok(file)
}

fn read_csv_header(file: &mut File) -> io::Result<Vec<String>> {
    file.seek(SeekFrom::Start(0))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&*file);
    let mut header = csv::ByteRecord::new();
    reader
        .read_byte_record(&mut header)
        .map_err(io::Error::from)?;
    Ok(header
        .iter()
        .map(|cell| String::from_utf8_lossy(cell).into_owned())
        .collect())
}

fn bracket(columns: &[String]) -> String {
    format!("[{}]", columns.join(", "))
}

/// Names the columns only one side has, or says the order differs.
fn column_difference(existing: &[String], wanted: &[String]) -> String {
    let only_file: Vec<&str> = existing
        .iter()
        .filter(|c| !wanted.contains(c))
        .map(|c| c.as_str())
        .collect();
    let only_run: Vec<&str> = wanted
        .iter()
        .filter(|c| !existing.contains(c))
        .map(|c| c.as_str())
        .collect();
    let mut parts = Vec::new();
    if !only_file.is_empty() {
        parts.push(format!("only in the file: `{}`", only_file.join("`, `")));
    }
    if !only_run.is_empty() {
        parts.push(format!("only in this run: `{}`", only_run.join("`, `")));
    }
    if parts.is_empty() {
        " (same columns in a different order)".to_owned()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

/// A value as a CSV cell: strings as they are, null or missing as empty, other scalars by their
/// text, arrays and objects as compact JSON.
pub(crate) fn cell_text(value: Option<&Value>) -> Cow<'_, str> {
    match value {
        None | Some(Value::Null) => Cow::Borrowed(""),
        Some(Value::String(s)) => Cow::Borrowed(s),
        Some(other) => Cow::Owned(other.to_string()),
    }
}

/// Appends one CSV record ending in `\n`, quoting only where needed, as the csv crate does.
pub(crate) fn push_csv_record<S: AsRef<str>>(out: &mut Vec<u8>, cells: impl Iterator<Item = S>) {
    push_csv_record_bytes(out, cells.map(|cell| BytesOf(cell)));
}

/// A `str` seen as bytes, so text and raw cells share one encoder.
struct BytesOf<S>(S);

impl<S: AsRef<str>> AsRef<[u8]> for BytesOf<S> {
    fn as_ref(&self) -> &[u8] {
        self.0.as_ref().as_bytes()
    }
}

/// Like [`push_csv_record`] for cells that may not be UTF-8 (a manifest giving back the bytes of
/// an undecodable input cell).
pub(crate) fn push_csv_record_bytes<S: AsRef<[u8]>>(
    out: &mut Vec<u8>,
    cells: impl Iterator<Item = S>,
) {
    push_delimited_record_bytes(out, cells, b',');
}

/// Like [`push_csv_record_bytes`] with another delimiter (a manifest written like its `;` or tab
/// separated input).
pub(crate) fn push_delimited_record_bytes<S: AsRef<[u8]>>(
    out: &mut Vec<u8>,
    cells: impl Iterator<Item = S>,
    delimiter: u8,
) {
    let mut count = 0;
    let mut last_empty = false;
    for cell in cells {
        if count > 0 {
            out.push(delimiter);
        }
        let cell = cell.as_ref();
        push_csv_cell(out, cell, delimiter);
        last_empty = cell.is_empty();
        count += 1;
    }
    // A record of one empty cell would be a blank line, which readers skip.
    if count == 1 && last_empty {
        out.extend_from_slice(b"\"\"");
    }
    out.push(b'\n');
}

fn push_csv_cell(out: &mut Vec<u8>, cell: &[u8], delimiter: u8) {
    if !cell
        .iter()
        .any(|&b| b == delimiter || matches!(b, b'"' | b'\n' | b'\r'))
    {
        out.extend_from_slice(cell);
        return;
    }
    out.push(b'"');
    for &b in cell {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn columns(names: &[&str]) -> Vec<String> {
        names.iter().map(|c| c.to_string()).collect()
    }

    fn record(value: Value) -> Record {
        match value {
            Value::Object(map) => map.into(),
            _ => unreachable!(),
        }
    }

    fn path_in(dir: &tempfile::TempDir, name: &str) -> PathBuf {
        dir.path().join(name)
    }

    #[test]
    fn writer_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<ResultWriter>();
    }

    #[test]
    fn csv_cells_in_column_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_in(&dir, "out.csv");
        let target = Target::File(path.clone());
        let cols = columns(&["id", "text", "n", "ok", "tags", "meta", "none", "missing"]);
        let mut writer =
            ResultWriter::open(&target, Format::Csv, cols, OpenMode::CreateNew).unwrap();
        writer
            .write(&record(json!({
                "extra": "ignored",
                "text": "a, \"b\"\nc",
                "id": "r1",
                "n": 1.5,
                "ok": true,
                "tags": ["x", 2],
                "meta": {"k": "v"},
                "none": null,
            })))
            .unwrap();
        // Each write is on disk at once, without dropping the writer.
        let written = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            written,
            "id,text,n,ok,tags,meta,none,missing\n\
             r1,\"a, \"\"b\"\"\nc\",1.5,true,\"[\"\"x\"\",2]\",\"{\"\"k\"\":\"\"v\"\"}\",,\n"
        );
        let mut reader = csv::Reader::from_path(&path).unwrap();
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(&row[1], "a, \"b\"\nc");
        assert_eq!(&row[4], "[\"x\",2]");
    }

    #[test]
    fn appended_lines_reach_the_file_together_at_the_flush() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_in(&dir, "out.csv");
        let target = Target::File(path.clone());
        let mut writer =
            ResultWriter::open(&target, Format::Csv, columns(&["id"]), OpenMode::CreateNew)
                .unwrap();
        writer.append(&record(json!({"id": "r1"}))).unwrap();
        writer.append(&record(json!({"id": "r2"}))).unwrap();
        assert_eq!(writer.unwritten(), 6);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "id\n");
        writer.flush().unwrap();
        assert_eq!(writer.unwritten(), 0);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "id\nr1\nr2\n");
        writer.flush().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "id\nr1\nr2\n");
    }

    #[test]
    fn jsonl_one_compact_line_per_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_in(&dir, "out.jsonl");
        let target = Target::File(path.clone());
        let mut writer =
            ResultWriter::open(&target, Format::Jsonl, vec![], OpenMode::Truncate).unwrap();
        writer
            .write(&record(json!({"id": "1", "out": "a\nb"})))
            .unwrap();
        writer
            .write(&record(json!({"id": "2", "n": [1, {"x": null}]})))
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"id\":\"1\",\"out\":\"a\\nb\"}\n{\"id\":\"2\",\"n\":[1,{\"x\":null}]}\n"
        );
    }

    #[test]
    fn create_new_refuses_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_in(&dir, "out.csv");
        std::fs::write(&path, "id\n1\n").unwrap();
        let err = ResultWriter::open(
            &Target::File(path.clone()),
            Format::Csv,
            columns(&["id"]),
            OpenMode::CreateNew,
        )
        .unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "id\n1\n");
    }

    #[test]
    fn truncate_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_in(&dir, "out.csv");
        std::fs::write(&path, "old,stuff\n1,2\n").unwrap();
        let target = Target::File(path.clone());
        let mut writer =
            ResultWriter::open(&target, Format::Csv, columns(&["id"]), OpenMode::Truncate).unwrap();
        writer.write(&record(json!({"id": "9"}))).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "id\n9\n");
    }

    #[test]
    fn append_keeps_the_header_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_in(&dir, "out.csv");
        let target = Target::File(path.clone());
        let cols = columns(&["id", "out"]);
        // Append to a file that does not exist yet writes the header.
        let mut writer =
            ResultWriter::open(&target, Format::Csv, cols.clone(), OpenMode::Append).unwrap();
        writer
            .write(&record(json!({"id": "1", "out": "a"})))
            .unwrap();
        drop(writer);
        let mut writer = ResultWriter::open(&target, Format::Csv, cols, OpenMode::Append).unwrap();
        writer
            .write(&record(json!({"id": "2", "out": "b"})))
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "id,out\n1,a\n2,b\n"
        );
    }

    #[test]
    fn append_refuses_a_different_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_in(&dir, "out.csv");
        std::fs::write(&path, "id,title,cost\n1,a,2\n").unwrap();
        let err = ResultWriter::open(
            &Target::File(path.clone()),
            Format::Csv,
            columns(&["id", "title", "model"]),
            OpenMode::Append,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("only in the file: `cost`"), "{err}");
        assert!(err.contains("only in this run: `model`"), "{err}");
        let err = ResultWriter::open(
            &Target::File(path),
            Format::Csv,
            columns(&["title", "id", "cost"]),
            OpenMode::Append,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("different order"), "{err}");
    }

    #[test]
    fn append_restores_a_missing_final_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_in(&dir, "out.jsonl");
        std::fs::write(&path, "{\"id\":\"1\"}").unwrap();
        let target = Target::File(path.clone());
        let mut writer =
            ResultWriter::open(&target, Format::Jsonl, vec![], OpenMode::Append).unwrap();
        writer.write(&record(json!({"id": "2"}))).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"id\":\"1\"}\n{\"id\":\"2\"}\n"
        );
    }

    #[test]
    fn a_lone_empty_cell_is_quoted() {
        let mut out = Vec::new();
        push_csv_record(&mut out, [""].into_iter());
        push_csv_record(&mut out, ["", ""].into_iter());
        assert_eq!(out, b"\"\"\n,\n");
    }

    proptest! {
        #[test]
        fn csv_encoding_reads_back_through_the_csv_crate(
            rows in proptest::collection::vec(
                proptest::collection::vec("[a-z,\"\r\n é😀]{0,8}|\\PC{0,8}", 1..4), 1..6)
        ) {
            let mut out = Vec::new();
            for row in &rows {
                push_csv_record(&mut out, row.iter());
            }
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(&out[..]);
            let got: Vec<Vec<String>> = reader
                .records()
                .map(|r| r.unwrap().iter().map(str::to_owned).collect())
                .collect();
            prop_assert_eq!(got, rows);
        }
    }
}
