//! `draft`'s sidecar of finished stages: one flushed JSON line per stage of a row, so a row that
//! fails late (or a run that is interrupted) goes on from the stage that failed, never paying for
//! earlier stages twice. Stage names are the pipeline's; this file only keeps them.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What a finished stage left: its text (or picture paths) and what it cost, as the sidecar
/// file and the result line's `stages` keep it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageRecord {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    pub provider: String,
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// The reasoning in `output_tokens` (sidecar files of older runs have none).
    #[serde(default)]
    pub reasoning_tokens: u64,
    pub latency_ms: u64,
    pub cost_usd: f64,
    /// The content of the row the stage was written for: a resumed row takes only stages of its
    /// own content, whatever its id (ids that are row numbers move).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_fingerprint: Option<String>,
}

/// Appends finished stages to the sidecar file, one flushed JSON line each.
pub struct StageWriter {
    file: File,
    path: PathBuf,
}

impl StageWriter {
    pub fn open(path: &Path, truncate: bool) -> anyhow::Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(!truncate)
            .write(true)
            .truncate(truncate)
            .open(path)
            .with_context(|| format!("cannot open the stage file `{}`", path.display()))?;
        Ok(StageWriter {
            file,
            path: path.to_path_buf(),
        })
    }

    pub fn append(
        &mut self,
        row_id: &str,
        stage: &str,
        record: &StageRecord,
    ) -> std::io::Result<()> {
        let mut line =
            serde_json::to_vec(&json!({ "row_id": row_id, "stage": stage, "record": record }))
                .map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|()| self.file.flush())
            .map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("the stage file `{}`: {e}", self.path.display()),
                )
            })
    }
}

/// Finished stages in a sidecar file for the rows `unfinished` accepts, keyed by what `stage_named`
/// makes of each stage's name (lines of stages it does not know are passed over); a torn last line
/// (a crash mid-write) is cut, as in the results file.
pub fn load_stages<S: Ord>(
    path: &Path,
    unfinished: impl Fn(&str) -> bool,
    stage_named: impl Fn(&str) -> Option<S>,
) -> anyhow::Result<HashMap<String, BTreeMap<S, StageRecord>>> {
    let mut stages: HashMap<String, BTreeMap<S, StageRecord>> = HashMap::new();
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(stages),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot read the stage file `{}`", path.display()));
        }
    };
    let mut reader = BufReader::new(file);
    let (mut good_end, mut offset, mut line) = (0u64, 0u64, String::new());
    loop {
        line.clear();
        let read = reader
            .read_line(&mut line)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        if read == 0 {
            break;
        }
        offset += read as u64;
        #[derive(Deserialize)]
        struct Line {
            row_id: String,
            stage: String,
            record: StageRecord,
        }
        let parsed = line
            .ends_with('\n')
            .then(|| serde_json::from_str::<Line>(&line).ok())
            .flatten();
        let Some(entry) = parsed else { break };
        good_end = offset;
        let Some(stage) = stage_named(&entry.stage) else {
            continue;
        };
        if unfinished(&entry.row_id) {
            stages
                .entry(entry.row_id)
                .or_default()
                .insert(stage, entry.record);
        }
    }
    let length = std::fs::metadata(path).map(|m| m.len()).unwrap_or(good_end);
    if length > good_end {
        let file = OpenOptions::new().write(true).open(path)?;
        file.set_len(good_end)
            .with_context(|| format!("cannot cut the torn end of `{}`", path.display()))?;
    }
    Ok(stages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(text: &str) -> StageRecord {
        StageRecord {
            text: text.into(),
            sources: vec![],
            images: vec![],
            provider: "mock".into(),
            model: "mock-1".into(),
            input_tokens: 1,
            output_tokens: 2,
            reasoning_tokens: 0,
            latency_ms: 3,
            cost_usd: 0.0,
            row_fingerprint: None,
        }
    }

    #[test]
    fn stages_survive_the_sidecar_and_a_torn_line_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let mut writer = StageWriter::open(&path, true).unwrap();
        writer.append("1", "research", &record("notes")).unwrap();
        writer.append("1", "draft", &record("body")).unwrap();
        writer.append("2", "research", &record("other")).unwrap();
        drop(writer);
        let mut bytes = std::fs::read(&path).unwrap();
        let whole = bytes.len();
        bytes.extend_from_slice(b"{\"row_id\":\"3\",\"sta");
        std::fs::write(&path, &bytes).unwrap();
        let loaded = load_stages(&path, |id| id != "2", |name| Some(name.to_string())).unwrap();
        assert_eq!(loaded.len(), 1, "row 2 is finished");
        assert_eq!(loaded["1"]["draft"].text, "body");
        assert_eq!(std::fs::metadata(&path).unwrap().len() as usize, whole);
    }
}
