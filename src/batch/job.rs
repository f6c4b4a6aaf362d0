//! A batch job as this machine remembers it: a small JSON file per job (provider, model, the
//! remote job ids, the input and its hash, the custom-id ↔ row map, what was fetched). No key is
//! ever in it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::cli::ReadArgs;
use crate::rows::decode::parse_encoding;
use crate::rows::reader::ReadSettings;
use crate::rows::sniff::parse_delimiter;

/// One provider-side job; a local job has several when the provider's per-job limits split it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub remote_id: String,
    /// How many rows it carries.
    pub items: usize,
    /// The last state seen (`completed`, `BATCH_STATE_RUNNING`, ...), for `status` and `list`.
    pub state: String,
    /// Where its results are, once known (file id, results URL, responses file).
    #[serde(default)]
    pub output: Option<String>,
    #[serde(default)]
    pub error_output: Option<String>,
    /// Gemini inline jobs answer inside the operation itself.
    #[serde(default)]
    pub inline: bool,
    /// The part's rows: a range of the job's `rows` (and of the requests sent).
    pub range: (usize, usize),
}

/// A row that could not be sent (bad input), reported at fetch time like a failed row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unsent {
    pub seq: u64,
    pub row_id: String,
    pub error_kind: String,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobFile {
    pub job: String,
    pub provider: String,
    pub model: String,
    pub task: String,
    pub input: PathBuf,
    pub input_format: String,
    /// FNV-1a of the input's bytes: fetch refuses an input that changed since submit.
    pub input_hash: String,
    #[serde(default)]
    pub id_column: Option<String>,
    #[serde(default)]
    pub template: Option<PathBuf>,
    #[serde(default)]
    pub profile: Option<String>,
    /// `--no-profile` at submit: later commands must see the same providers (base URLs, keys).
    #[serde(default)]
    pub no_profile: bool,
    pub submitted_at: u64,
    #[serde(default)]
    pub fetched_at: Option<u64>,
    /// Where the last fetch wrote results and failures (`--retry-failed --live` continues there).
    #[serde(default)]
    pub out: Option<PathBuf>,
    #[serde(default)]
    pub failed_path: Option<PathBuf>,
    pub parts: Vec<Part>,
    /// `custom_id` → row id, in input order (custom ids are `r<seq>`: providers restrict their
    /// alphabet, row ids are free text).
    pub rows: Vec<(String, String)>,
    /// Each row's content fingerprint, beside `rows`: a fetch from an input edited since
    /// submit finds the rows by what they say.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub row_fingerprints: Vec<String>,
    #[serde(default)]
    pub unsent: Vec<Unsent>,
    /// Custom ids already written to the results or the manifest: fetching twice adds nothing.
    #[serde(default)]
    pub fetched: BTreeSet<String>,
    /// Custom ids that errored or expired, for `submit --retry-failed`.
    #[serde(default)]
    pub failed: BTreeSet<String>,
    /// Estimated cost at batch prices when submitted.
    #[serde(default)]
    pub estimated_cost_usd: Option<f64>,
    /// The `--reasoning` setting the job was submitted with, so a retry asks for the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// `--retry-failed`: the job whose failed rows this one carries; it writes into that job's
    /// results and replaces its manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_of: Option<String>,
    /// The retry job whose results and manifest are current for this job's rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retried_by: Option<String>,
    /// `--subject-column` at submit, so a fetch reads the rows the same way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_column: Option<String>,
    /// How submit read the input (`,` `;` `tab` `|`; an `--encoding` label; a workbook's sheet),
    /// so fetch reads the same rows: every later command reads the input again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
}

/// `--state-dir`, else `$XDG_DATA_HOME/gen/batches`, else `~/.local/share/gen/batches`.
pub fn state_dir(flag: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = flag {
        return Ok(dir.to_path_buf());
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .context("neither XDG_DATA_HOME nor HOME is set; give --state-dir")?;
    Ok(base.join("gen").join("batches"))
}

impl JobFile {
    /// Reads the input the way submit did (what it recorded; gen's own choices otherwise).
    pub fn read_args(&self) -> ReadArgs {
        ReadArgs {
            delimiter: self
                .delimiter
                .as_deref()
                .and_then(|d| parse_delimiter(d).ok()),
            encoding: self
                .encoding
                .as_deref()
                .and_then(|e| parse_encoding(e).ok()),
            sheet: self.sheet.clone(),
        }
    }

    /// What [`JobFile::read_args`] reads back: the `delimiter`, `encoding` and `sheet` fields.
    pub fn read_fields(read: ReadSettings) -> (Option<String>, Option<String>, Option<String>) {
        (
            read.delimiter.map(crate::rows::sniff::name),
            read.encoding.map(|e| e.name().to_string()),
            read.sheet,
        )
    }

    pub fn path(dir: &Path, job: &str) -> PathBuf {
        dir.join(format!("{job}.json"))
    }

    pub fn load(dir: &Path, job: &str) -> anyhow::Result<JobFile> {
        let path = JobFile::path(dir, job);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let known = list(dir).unwrap_or_default();
                let known: Vec<&str> = known.iter().map(|j| j.job.as_str()).collect();
                bail!(
                    "no batch job `{job}` in `{}`; jobs there: {}",
                    dir.display(),
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                );
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", path.display())),
        };
        serde_json::from_str(&text)
            .with_context(|| format!("`{}` is not a gen batch job file", path.display()))
    }

    /// Writes the file whole through a temporary file, so a crash never leaves half a state.
    pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
        let path = JobFile::path(dir, &self.job);
        let temporary = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(&temporary, text)
            .with_context(|| format!("cannot write `{}`", temporary.display()))?;
        std::fs::rename(&temporary, &path)
            .with_context(|| format!("cannot write `{}`", path.display()))
    }
}

/// Every job file in `dir`, oldest first.
pub fn list(dir: &Path) -> anyhow::Result<Vec<JobFile>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", dir.display())),
    };
    let mut jobs: Vec<JobFile> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter_map(|text| serde_json::from_str(&text).ok())
        .collect();
    jobs.sort_by_key(|j: &JobFile| (j.submitted_at, j.job.clone()));
    Ok(jobs)
}

/// FNV-1a of a file's bytes, as hex.
pub fn file_hash(path: &Path) -> anyhow::Result<String> {
    use std::io::Read;
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        for byte in &buffer[..n] {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    Ok(format!("{hash:016x}"))
}

/// A new local job id: `b` + the time in base 36, unique per process and readable in listings.
pub fn new_job_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut n = nanos;
    let mut digits = Vec::new();
    while n > 0 {
        let d = (n % 36) as u8;
        digits.push(if d < 10 { b'0' + d } else { b'a' + d - 10 });
        n /= 36;
    }
    digits.reverse();
    format!("b{}", String::from_utf8_lossy(&digits))
}

pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str, at: u64) -> JobFile {
        JobFile {
            job: id.into(),
            provider: "openai".into(),
            model: "gpt-5-mini".into(),
            task: "seo".into(),
            input: "rows.csv".into(),
            input_format: "csv".into(),
            input_hash: "00".into(),
            id_column: None,
            template: None,
            profile: None,
            no_profile: false,
            submitted_at: at,
            fetched_at: None,
            out: None,
            failed_path: None,
            parts: vec![Part {
                remote_id: "batch_1".into(),
                items: 2,
                state: "validating".into(),
                output: None,
                error_output: None,
                inline: false,
                range: (0, 2),
            }],
            rows: vec![("r0".into(), "1".into()), ("r1".into(), "2".into())],
            unsent: vec![],
            fetched: BTreeSet::new(),
            failed: BTreeSet::new(),
            estimated_cost_usd: Some(0.01),
            reasoning: None,
            retry_of: None,
            retried_by: None,
            subject_column: None,
            row_fingerprints: Vec::new(),
            delimiter: None,
            encoding: None,
            sheet: None,
        }
    }

    #[test]
    fn job_files_round_trip_and_list_in_order() {
        let dir = tempfile::tempdir().unwrap();
        job("b2", 20).save(dir.path()).unwrap();
        job("b1", 10).save(dir.path()).unwrap();
        assert_eq!(JobFile::load(dir.path(), "b2").unwrap(), job("b2", 20));
        let ids: Vec<String> = list(dir.path())
            .unwrap()
            .into_iter()
            .map(|j| j.job)
            .collect();
        assert_eq!(ids, ["b1", "b2"]);
        let error = JobFile::load(dir.path(), "nope").unwrap_err().to_string();
        assert!(
            error.contains("no batch job `nope`") && error.contains("b1, b2"),
            "{error}"
        );
    }

    #[test]
    fn job_ids_are_distinct() {
        let a = new_job_id();
        std::thread::sleep(std::time::Duration::from_micros(5));
        assert_ne!(a, new_job_id());
    }
}
