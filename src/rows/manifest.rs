//! The failed-rows manifest: each failed row's input fields plus why it failed, in the input's own
//! format so the file can be fed straight back as input (the reader strips the error columns).

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::Format;
use super::writer::{cell_text, push_csv_record};
use crate::failure::Failure;

/// The columns the manifest adds after the row's own, in this order.
pub const ERROR_COLUMNS: [&str; 4] = ["error_kind", "error", "attempts", "providers_tried"];

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
        }
    }

    /// Writes one failed row as one complete, flushed record.
    pub fn write(
        &mut self,
        fields: &Map<String, Value>,
        failure: &Failure,
        attempts: u32,
        providers_tried: &[String],
    ) -> io::Result<()> {
        self.buf.clear();
        if self.file.is_none() && self.format == Format::Csv {
            let header = self.data_columns.iter().map(String::as_str);
            push_csv_record(&mut self.buf, header.chain(ERROR_COLUMNS));
        }
        match self.format {
            Format::Csv => {
                let attempts = attempts.to_string();
                let providers = providers_tried.join(";");
                let data = self.data_columns.iter().map(|c| cell_text(fields.get(c)));
                let errors = [
                    failure.kind.as_str(),
                    failure.message.as_str(),
                    attempts.as_str(),
                    providers.as_str(),
                ]
                .map(std::borrow::Cow::Borrowed);
                push_csv_record(&mut self.buf, data.chain(errors));
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
                let errors = ERROR_COLUMNS
                    .iter()
                    .zip([&kind, &message, &attempts, &providers]);
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
