//! `--log FILE`: one JSON line per request sent, appended and flushed when the attempt ends, so
//! a run (or a crash) can be read back attempt by attempt. README.md ("The request log") lists
//! the fields. Keys never appear: a line names the key by its label.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use serde_json::{Map, Value, json};

pub struct RequestLog {
    file: Mutex<File>,
    path: PathBuf,
    /// Set once a write failed, so the run says so once and goes on without the log.
    failed: std::sync::atomic::AtomicBool,
}

/// One attempt, as the attempt path saw it.
pub struct Entry<'a> {
    pub row_id: &'a str,
    /// The row's requests so far, this one included.
    pub attempt: u32,
    /// `seo`, or a draft's stage as `draft.research`.
    pub step: &'a str,
    pub provider: &'a str,
    pub model: &'a str,
    pub key: &'a str,
    pub lane: usize,
    pub status: Option<u16>,
    /// `ok`, or the failure kind.
    pub outcome: &'a str,
    pub error: Option<&'a str>,
    pub latency: Duration,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub reasoning_tokens: Option<u64>,
    /// `None` when the model has no price (or nothing was billed on one).
    pub cost_usd: Option<f64>,
    pub retry_after: Option<Duration>,
    /// When this attempt parked its key until.
    pub parked_until: Option<SystemTime>,
}

impl RequestLog {
    /// Opens `path` for appending (a resumed run's log goes on in the same file).
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open the request log `{}`", path.display()))?;
        Ok(RequestLog {
            file: Mutex::new(file),
            path: path.to_path_buf(),
            failed: std::sync::atomic::AtomicBool::new(false),
        })
    }

    pub fn write(&self, entry: &Entry<'_>) {
        self.write_line(fields(entry, SystemTime::now()));
    }

    /// A call to a Batch API: the same fields as an attempt's line (those of a row, a lane or
    /// tokens are null), its task `batch.CALL`, and the provider's job id once there is one.
    pub fn write_call(&self, call: &BatchCall<'_>) {
        let step = format!("batch.{}", call.call);
        let entry = Entry {
            row_id: "",
            attempt: 0,
            step: &step,
            provider: call.provider,
            model: call.model,
            key: call.key,
            lane: 0,
            status: call.status,
            outcome: call.outcome,
            error: call.error,
            latency: call.latency,
            input_tokens: None,
            output_tokens: None,
            reasoning_tokens: None,
            cost_usd: None,
            retry_after: None,
            parked_until: None,
        };
        let mut map = fields(&entry, SystemTime::now());
        for name in ["row_id", "attempt", "lane"] {
            map.insert(name.to_string(), Value::Null);
        }
        map.insert("job".to_string(), call.job.map_or(Value::Null, Value::from));
        self.write_line(map);
    }

    fn write_line(&self, fields: Map<String, Value>) {
        let mut line = serde_json::to_vec(&Value::Object(fields)).unwrap_or_default();
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        // One write per line: lines of concurrent attempts never interleave.
        if let Err(e) = file.write_all(&line).and_then(|()| file.flush()) {
            if !self.failed.swap(true, std::sync::atomic::Ordering::Relaxed) {
                eprintln!(
                    "gen: cannot write the request log `{}` ({e}); the run goes on without it",
                    self.path.display()
                );
            }
        }
    }
}

/// One call to a provider's Batch API (or the offline mock's).
pub struct BatchCall<'a> {
    /// `upload`, `create`, `poll`, `cancel` or `download`.
    pub call: &'a str,
    /// The provider's id of the job, once it has one.
    pub job: Option<&'a str>,
    pub provider: &'a str,
    pub model: &'a str,
    pub key: &'a str,
    pub status: Option<u16>,
    pub outcome: &'a str,
    pub error: Option<&'a str>,
    pub latency: Duration,
}

fn fields(entry: &Entry<'_>, now: SystemTime) -> Map<String, Value> {
    let time = |t: SystemTime| humantime::format_rfc3339_millis(t).to_string();
    let json = json!({
        "time": time(now),
        "row_id": entry.row_id,
        "attempt": entry.attempt,
        "task": entry.step,
        "provider": entry.provider,
        "model": entry.model,
        "key": entry.key,
        "lane": entry.lane,
        "status": entry.status,
        "outcome": entry.outcome,
        "error": entry.error,
        "latency_ms": entry.latency.as_millis() as u64,
        "input_tokens": entry.input_tokens,
        "output_tokens": entry.output_tokens,
        "reasoning_tokens": entry.reasoning_tokens,
        "cost_usd": entry.cost_usd.map(crate::rows::round_usd),
        "retry_after_ms": entry.retry_after.map(|d| d.as_millis() as u64),
        "parked_until": entry.parked_until.map(time),
    });
    match json {
        Value::Object(map) => map,
        _ => unreachable!("built as an object"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_has_every_field_and_lines_append() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        let entry = Entry {
            row_id: "7",
            attempt: 2,
            step: "seo",
            provider: "openai",
            model: "gpt-4.1-mini",
            key: "openai key 2",
            lane: 3,
            status: Some(429),
            outcome: "rate_limited",
            error: Some("slow down"),
            latency: Duration::from_millis(120),
            input_tokens: None,
            output_tokens: None,
            reasoning_tokens: None,
            cost_usd: None,
            retry_after: Some(Duration::from_secs(2)),
            parked_until: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_633_600)),
        };
        for _ in 0..2 {
            RequestLog::open(&path).unwrap().write(&entry);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        let line = &lines[0];
        assert_eq!(line["outcome"], "rate_limited");
        assert_eq!(line["status"], 429);
        assert_eq!(line["retry_after_ms"], 2000);
        assert_eq!(line["parked_until"], "2025-12-02T00:00:00.000Z");
        assert_eq!(line["cost_usd"], Value::Null);
        assert!(line["time"].as_str().unwrap().ends_with('Z'));
    }
}
