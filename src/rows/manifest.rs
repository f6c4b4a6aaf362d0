//! The failed-rows manifest: each failed row's input fields plus why it failed, in the input's own
//! format so the file can be fed straight back as input (the reader strips the error columns).

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::Format;
use super::writer::{cell_text, push_delimited_record_bytes};
use crate::failure::Failure;

/// The columns the manifest adds after the row's own, in this order. `cost_usd` is what the
/// row's attempts were billed (empty when a model had no price or nothing was sent).
pub const ERROR_COLUMNS: [&str; 5] = [
    "error_kind",
    "error",
    "attempts",
    "providers_tried",
    "cost_usd",
];

/// The columns that mark a file as a manifest (those of every version of gen; `cost_usd` came
/// later), so a manifest fed back as input loses its error columns.
pub const MANIFEST_SIGNATURE: [&str; 4] = ["error_kind", "error", "attempts", "providers_tried"];

/// How a manifest is written so it reads back the way its input was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManifestStyle {
    /// A CSV manifest's delimiter: its input's.
    pub delimiter: u8,
    /// Start the file with a UTF-8 byte-order mark.
    pub bom: bool,
}

impl Default for ManifestStyle {
    fn default() -> Self {
        ManifestStyle {
            delimiter: b',',
            bom: false,
        }
    }
}

/// Appends failed rows to the manifest; the file is only created by the first failure, so a clean
/// run leaves none behind.
pub struct ManifestWriter {
    path: PathBuf,
    format: Format,
    /// The input columns that keep their place; any named like an error column is dropped, since
    /// the new error value replaces it.
    data_columns: Vec<String>,
    file: Option<File>,
    buf: Vec<u8>,
    rows_written: u64,
    /// Add to an existing manifest instead of replacing it (a second `batch fetch`).
    append: bool,
    style: ManifestStyle,
}

impl std::fmt::Debug for ManifestWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManifestWriter")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("rows_written", &self.rows_written)
            .finish_non_exhaustive()
    }
}

impl ManifestWriter {
    pub fn new(path: PathBuf, format: Format, input_columns: Vec<String>) -> ManifestWriter {
        let data_columns = input_columns
            .into_iter()
            .filter(|c| !ERROR_COLUMNS.contains(&c.as_str()))
            .collect();
        ManifestWriter {
            path,
            format,
            data_columns,
            file: None,
            buf: Vec::with_capacity(4096),
            rows_written: 0,
            append: false,
            style: ManifestStyle::default(),
        }
    }

    /// Writes like the input was read ([`crate::rows::reader::RowReader::manifest_style`]).
    pub fn styled(self, style: ManifestStyle) -> ManifestWriter {
        ManifestWriter { style, ..self }
    }

    /// This writer, starting a new CSV manifest with a UTF-8 byte-order mark when `bom` (for
    /// Excel); a manifest of an input that had one gets one anyway.
    pub fn with_bom(mut self, bom: bool) -> ManifestWriter {
        if bom && self.format == Format::Csv {
            self.style.bom = true;
        }
        self
    }

    /// Like [`ManifestWriter::new`], but rows are added after those already in the file (its
    /// CSV header is kept).
    pub fn appending(path: PathBuf, format: Format, input_columns: Vec<String>) -> ManifestWriter {
        ManifestWriter {
            append: true,
            ..ManifestWriter::new(path, format, input_columns)
        }
    }

    /// Writes one failed row as one complete, flushed record.
    pub fn write(
        &mut self,
        fields: &Map<String, Value>,
        failure: &Failure,
        attempts: u32,
        providers_tried: &[String],
        cost_usd: Option<f64>,
    ) -> io::Result<()> {
        self.write_with_raw(fields, &[], failure, attempts, providers_tried, cost_usd)
    }

    /// Like [`ManifestWriter::write`], giving back the original bytes of cells that were not
    /// valid UTF-8 (CSV only), so the fed-back row is the row as it was, and fails the same way.
    pub fn write_with_raw(
        &mut self,
        fields: &Map<String, Value>,
        raw_cells: &[(String, Vec<u8>)],
        failure: &Failure,
        attempts: u32,
        providers_tried: &[String],
        cost_usd: Option<f64>,
    ) -> io::Result<()> {
        let cost_usd = cost_usd.map(super::round_usd);
        self.buf.clear();
        let opening = self.file.is_none();
        let has_rows = || self.append && std::fs::metadata(&self.path).is_ok_and(|m| m.len() > 0);
        let delimiter = self.style.delimiter;
        if opening && !has_rows() {
            if self.style.bom {
                self.buf.extend_from_slice(b"\xEF\xBB\xBF");
            }
            if self.format == Format::Csv {
                let header = self.data_columns.iter().map(String::as_str);
                let header = header.chain(ERROR_COLUMNS).map(str::as_bytes);
                push_delimited_record_bytes(&mut self.buf, header, delimiter);
            }
        }
        match self.format {
            Format::Csv => {
                let attempts = attempts.to_string();
                let providers = providers_tried.join(";");
                let cost = cost_usd.map_or_else(String::new, |c| c.to_string());
                let data = self.data_columns.iter().map(|c| {
                    match raw_cells.iter().find(|(name, _)| name == c) {
                        Some((_, bytes)) => Cow::Borrowed(bytes.as_slice()),
                        None => match cell_text(fields.get(c)) {
                            Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
                            Cow::Owned(text) => Cow::Owned(text.into_bytes()),
                        },
                    }
                });
                let errors = [
                    failure.kind.as_str(),
                    failure.message.as_str(),
                    attempts.as_str(),
                    providers.as_str(),
                    cost.as_str(),
                ]
                .map(|text| Cow::Borrowed(text.as_bytes()));
                push_delimited_record_bytes(&mut self.buf, data.chain(errors), delimiter);
            }
            Format::Jsonl => {
                // Serialised field by field rather than cloning the row into a new map.
                self.buf.push(b'{');
                let mut first = true;
                let data = fields
                    .iter()
                    .filter(|(k, _)| !ERROR_COLUMNS.contains(&k.as_str()));
                let kind = Value::from(failure.kind.as_str());
                let message = Value::from(failure.message.as_str());
                let attempts = Value::from(attempts);
                let providers = Value::from(providers_tried.to_vec());
                let cost = cost_usd.map_or(Value::Null, Value::from);
                let errors = ERROR_COLUMNS
                    .iter()
                    .zip([&kind, &message, &attempts, &providers, &cost]);
                for (key, value) in data
                    .map(|(k, v)| (k.as_str(), v))
                    .chain(errors.map(|(k, v)| (*k, v)))
                {
                    if !first {
                        self.buf.push(b',');
                    }
                    first = false;
                    serde_json::to_writer(&mut self.buf, key)?;
                    self.buf.push(b':');
                    serde_json::to_writer(&mut self.buf, value)?;
                }
                self.buf.extend_from_slice(b"}\n");
            }
        }
        let file = match &mut self.file {
            Some(file) => file,
            None if self.append => self.file.insert(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path)?,
            ),
            None => self.file.insert(File::create(&self.path)?),
        };
        file.write_all(&self.buf)?;
        file.flush()?;
        self.rows_written += 1;
        Ok(())
    }

    pub fn rows_written(&self) -> u64 {
        self.rows_written
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::FailureKind;
    use crate::rows::reader::{ReaderOptions, RowReader, Source};
    use serde_json::json;

    fn failure(kind: FailureKind, message: &str) -> Failure {
        Failure {
            kind,
            message: message.to_owned(),
        }
    }

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|c| c.to_string()).collect()
    }

    fn read_back(path: &Path) -> (Vec<String>, Vec<Map<String, Value>>) {
        let reader =
            RowReader::open(&Source::File(path.to_path_buf()), &ReaderOptions::default()).unwrap();
        let columns = reader.columns().to_vec();
        let rows = reader.map(|item| item.unwrap().fields).collect();
        (columns, rows)
    }

    #[test]
    fn manifest_writer_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<ManifestWriter>();
    }

    #[test]
    fn no_failures_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("failed.csv");
        let manifest = ManifestWriter::new(path.clone(), Format::Csv, strings(&["id"]));
        assert_eq!(manifest.rows_written(), 0);
        assert_eq!(manifest.path(), path);
        drop(manifest);
        assert!(!path.exists());
    }

    #[test]
    fn csv_manifest_layout_replaces_old_error_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("failed.csv");
        std::fs::write(&path, "stale").unwrap();
        let columns = strings(&["id", "error", "text"]);
        let mut manifest = ManifestWriter::new(path.clone(), Format::Csv, columns);
        let fields = object(json!({"id": "1", "error": "old", "text": "a,b"}));
        let fail = failure(FailureKind::Timeout, "timed out after 30s");
        let providers = strings(&["openai", "mock"]);
        manifest
            .write(&fields, &fail, 3, &providers, Some(0.001_234_567_891))
            .unwrap();
        assert_eq!(manifest.rows_written(), 1);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "id,text,error_kind,error,attempts,providers_tried,cost_usd\n\
             1,\"a,b\",timeout,timed out after 30s,3,openai;mock,0.00123457\n"
        );
    }

    #[test]
    fn jsonl_manifest_layout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("failed.jsonl");
        let mut manifest = ManifestWriter::new(path.clone(), Format::Jsonl, strings(&["id"]));
        let fields = object(json!({"id": 5, "attempts": 9, "q": {"deep": [1]}}));
        let fail = failure(FailureKind::BadInput, "line 3: \"quoted\"");
        manifest.write(&fields, &fail, 0, &[], None).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"id\":5,\"q\":{\"deep\":[1]},\"error_kind\":\"bad_input\",\
             \"error\":\"line 3: \\\"quoted\\\"\",\"attempts\":0,\"providers_tried\":[],\
             \"cost_usd\":null}\n"
        );
    }

    #[test]
    fn csv_manifest_round_trips_through_the_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("failed.csv");
        let columns = strings(&["id", "name", "note"]);
        let rows = [
            object(json!({"id": "a", "name": "Ann", "note": "multi\nline, \"quoted\""})),
            object(json!({"id": "b", "name": "", "note": "é😀"})),
        ];
        let mut manifest = ManifestWriter::new(path.clone(), Format::Csv, columns.clone());
        for (i, row) in rows.iter().enumerate() {
            let fail = failure(FailureKind::Server, "HTTP 500, \"oops\"\nretry later");
            manifest
                .write(row, &fail, i as u32 + 1, &strings(&["a", "b"]), None)
                .unwrap();
        }
        let (read_columns, read_rows) = read_back(&path);
        assert_eq!(read_columns, columns);
        assert_eq!(read_rows, rows);
    }

    #[test]
    fn jsonl_manifest_round_trips_through_the_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("failed.jsonl");
        let rows = [
            object(json!({"id": 1, "q": "x\ny", "meta": {"a": [true, null]}})),
            object(json!({"id": 2, "q": "", "meta": null})),
        ];
        let columns = strings(&["id", "q", "meta"]);
        let mut manifest = ManifestWriter::new(path.clone(), Format::Jsonl, columns.clone());
        for row in &rows {
            let fail = failure(FailureKind::Quota, "out of credit");
            manifest
                .write(row, &fail, 2, &strings(&["p"]), None)
                .unwrap();
        }
        let (read_columns, read_rows) = read_back(&path);
        assert_eq!(read_columns, columns);
        assert_eq!(read_rows, rows);
    }
}
