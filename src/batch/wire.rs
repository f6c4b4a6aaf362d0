//! What the three Batch API adapters share: a job's state and counts ([`JobStatus`]), one item
//! going in ([`BatchItem`]) and one result coming out ([`ItemResult`]), the per-job limits
//! ([`Limits`]) and [`split`], which cuts a batch into jobs that respect them.
//!
//! Like the interactive adapters, everything here is pure: values in, values out. The job
//! lifecycle (submit, poll, fetch) lives with the caller.

use std::fmt;
use std::ops::Range;

use serde_json::Value;
use thiserror::Error;

use crate::failure::FailureKind;
use crate::providers::{Completion, ProviderError, Request};

/// Where a batch job is, in one vocabulary for every provider (each adapter's `parse_job` says
/// which of its states maps to which).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Accepted, not yet running (OpenAI `validating`, Gemini `BATCH_STATE_PENDING`).
    Pending,
    Running,
    /// Done running, results being written (OpenAI `finalizing`).
    Finalizing,
    /// Results are ready to fetch.
    Completed,
    /// The job as a whole failed (OpenAI input validation, Gemini `BATCH_STATE_FAILED`).
    Failed,
    /// Cancel requested; results of finished items may still arrive.
    Cancelling,
    Cancelled,
    /// Unfinished when the provider's window closed (24 h, Gemini 48 h).
    Expired,
}

impl JobState {
    /// Whether the job can no longer change: polling stops here.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobState::Completed | JobState::Failed | JobState::Cancelled | JobState::Expired
        )
    }

    pub const ALL: [JobState; 8] = [
        JobState::Pending,
        JobState::Running,
        JobState::Finalizing,
        JobState::Completed,
        JobState::Failed,
        JobState::Cancelling,
        JobState::Cancelled,
        JobState::Expired,
    ];

    /// The state a [`JobState::name`] names.
    pub fn from_name(name: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|state| state.name() == name)
    }

    /// The snake_case name for status lines and the local job file.
    pub fn name(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Running => "running",
            JobState::Finalizing => "finalizing",
            JobState::Completed => "completed",
            JobState::Failed => "failed",
            JobState::Cancelling => "cancelling",
            JobState::Cancelled => "cancelled",
            JobState::Expired => "expired",
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One poll's reading of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStatus {
    pub state: JobState,
    pub total: u64,
    pub succeeded: u64,
    /// Items that will not succeed (errored, and for Anthropic also canceled and expired).
    pub failed: u64,
    pub pending: u64,
    /// Where the results are: OpenAI `output_file_id`, Anthropic `results_url`, Gemini
    /// `responsesFile` (file input; inline results are in the job body itself).
    pub output: Option<String>,
    /// OpenAI `error_file_id`: the failed items' lines.
    pub error_output: Option<String>,
    /// What the provider said about the job as a whole (validation errors, an operation error).
    pub message: Option<String>,
}

/// One request of a batch and the id its result comes back under.
#[derive(Debug, Clone, Copy)]
pub struct BatchItem<'a> {
    pub custom_id: &'a str,
    pub request: &'a Request,
}

/// What became of one item.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemResult {
    /// An answer that passed the same checks the interactive adapter makes.
    Done(Completion),
    /// The provider's error for this item, or its answer failing those checks, classified as
    /// the interactive API would classify it.
    Failed(ProviderError),
    /// The job's window closed before the item ran.
    Expired,
    /// The job was cancelled before the item ran.
    Cancelled,
}

/// A results file read line by line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Results {
    /// `(custom_id, result)` in the order the file gives them (not necessarily input order).
    pub items: Vec<(String, ItemResult)>,
    /// Lines whose id could not be read, so no item can be blamed.
    pub skipped: Vec<SkippedLine>,
}

/// A result line that names no item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedLine {
    /// 1-based line number in the results file (entry index + 1 for inline results).
    pub line: usize,
    pub reason: String,
}

/// A provider's per-job limits. Byte limits count the input as sent (the JSONL file, or the
/// create body for Anthropic and Gemini inline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_requests: usize,
    pub max_bytes: usize,
}

/// A batch that cannot be written as asked.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BatchError {
    #[error(
        "item {index} is {bytes} bytes, over the {max}-byte limit of one batch job; send it live"
    )]
    ItemTooLarge {
        index: usize,
        bytes: usize,
        max: usize,
    },
    #[error("custom id `{id}` is not allowed: {rule}")]
    InvalidCustomId { id: String, rule: &'static str },
    #[error("custom id `{id}` appears twice in one batch job; ids must be unique")]
    DuplicateCustomId { id: String },
    #[error("the inline batch is {bytes} bytes, over the {max}-byte inline limit; upload a file")]
    InlineTooLarge { bytes: usize, max: usize },
    #[error("`{name}` is not a {expected} name (`{expected}/<id>`)")]
    InvalidName {
        name: String,
        expected: &'static str,
    },
    #[error(
        "the provider sent a {what} on {found}, not on the configured {expected}; refusing to send the key there"
    )]
    ForeignHost {
        what: &'static str,
        found: String,
        expected: String,
    },
}

/// Splits items (their sizes in bytes, in order) into contiguous jobs of at most `max_requests`
/// items and `max_bytes` bytes each, filling each job before starting the next. An item that
/// alone exceeds `max_bytes` is an error naming its index. A `max_requests` of 0 counts as 1.
pub fn split(
    items_sizes: &[usize],
    max_requests: usize,
    max_bytes: usize,
) -> Result<Vec<Range<usize>>, BatchError> {
    let max_requests = max_requests.max(1);
    let mut jobs = Vec::new();
    let mut start = 0;
    let mut bytes = 0usize;
    for (index, &size) in items_sizes.iter().enumerate() {
        if size > max_bytes {
            return Err(BatchError::ItemTooLarge {
                index,
                bytes: size,
                max: max_bytes,
            });
        }
        if index - start == max_requests || bytes + size > max_bytes {
            jobs.push(start..index);
            start = index;
            bytes = 0;
        }
        bytes += size;
    }
    if start < items_sizes.len() {
        jobs.push(start..items_sizes.len());
    }
    Ok(jobs)
}

/// Checks that no custom id repeats among `ids`.
pub(crate) fn unique_ids<'a>(ids: impl IntoIterator<Item = &'a str>) -> Result<(), BatchError> {
    let mut seen = std::collections::HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(BatchError::DuplicateCustomId { id: id.to_string() });
        }
    }
    Ok(())
}

/// `scheme://host[:port]` of a URL, lowercased; `None` if it has no scheme.
pub(crate) fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    (!host.is_empty()).then(|| format!("{scheme}://{host}").to_ascii_lowercase())
}

/// Checks that a URL the provider handed out (a results URL, an upload session) is on the same
/// origin as the configured base URL, so the key in the headers goes nowhere else.
pub(crate) fn same_origin(what: &'static str, url: &str, base_url: &str) -> Result<(), BatchError> {
    let expected = origin(base_url).unwrap_or_default();
    match origin(url) {
        Some(found) if found == expected => Ok(()),
        found => Err(BatchError::ForeignHost {
            what,
            found: found.unwrap_or_else(|| "(no host)".into()),
            expected,
        }),
    }
}

/// A line of a results file: its trimmed text and 1-based number, blank lines dropped.
pub(crate) fn lines(jsonl: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    jsonl
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_ascii()))
        .filter(|(_, line)| !line.is_empty())
}

/// Reads one results line with `read`, which gets the decoded line and returns its id and
/// result. A line that is not JSON, or that `read` rejects, fails its item as `Malformed` when
/// the id in `id_field` can still be found (by a plain text scan if the JSON is broken), and is
/// skipped otherwise.
pub(crate) fn read_line(
    results: &mut Results,
    number: usize,
    line: &[u8],
    id_field: &str,
    read: impl FnOnce(&Value) -> Result<(String, ItemResult), String>,
) {
    let outcome = match serde_json::from_slice::<Value>(line) {
        Ok(value) => {
            let id = value
                .get(id_field)
                .and_then(Value::as_str)
                .map(str::to_string);
            read(&value).map_err(|why| (id, why))
        }
        Err(e) => Err((
            scan_string_field(line, id_field),
            format!("not valid JSON: {e}"),
        )),
    };
    match outcome {
        Ok(item) => results.items.push(item),
        Err((Some(id), why)) => results.items.push((
            id,
            ItemResult::Failed(ProviderError::new(
                FailureKind::Malformed,
                format!("result line {number}: {why}"),
            )),
        )),
        Err((None, why)) => results.skipped.push(SkippedLine {
            line: number,
            reason: format!("no readable `{id_field}`: {why}"),
        }),
    }
}

/// The string value of `"field": "..."` found by scanning text that is not valid JSON (a cut
/// line). Values with escapes are not trusted and give `None`.
fn scan_string_field(line: &[u8], field: &str) -> Option<String> {
    let text = std::str::from_utf8(line).ok()?;
    let quoted = format!("\"{field}\"");
    let after = &text[text.find(&quoted)? + quoted.len()..];
    let after = after.trim_start().strip_prefix(':')?.trim_start();
    let value = after.strip_prefix('"')?;
    let end = value.find('"')?;
    let id = &value[..end];
    (!id.is_empty() && !id.contains('\\')).then(|| id.to_string())
}

/// A JSON value as bytes, for handing a nested body to an interactive parser.
pub(crate) fn to_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// A count that may be a JSON number or an int64 written as a string (Gemini).
pub(crate) fn count(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A non-blank string field.
pub(crate) fn text(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A `Malformed` error for a control answer (upload, job) missing what it must have.
pub(crate) fn malformed(what: impl Into<String>) -> ProviderError {
    ProviderError::new(FailureKind::Malformed, what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn states_know_when_they_end() {
        use JobState::*;
        for state in [Pending, Running, Finalizing, Cancelling] {
            assert!(!state.is_terminal(), "{state}");
        }
        for state in [Completed, Failed, Cancelled, Expired] {
            assert!(state.is_terminal(), "{state}");
        }
        assert_eq!(Finalizing.name(), "finalizing");
    }

    #[test]
    fn split_by_count_and_by_bytes() {
        assert_eq!(split(&[], 3, 10).unwrap(), Vec::<Range<usize>>::new());
        assert_eq!(split(&[1; 7], 3, 100).unwrap(), [0..3, 3..6, 6..7]);
        assert_eq!(split(&[4, 4, 4, 4], 10, 8).unwrap(), [0..2, 2..4]);
        assert_eq!(split(&[8, 1, 8], 10, 8).unwrap(), [0..1, 1..2, 2..3]);
        assert_eq!(split(&[0, 0], 0, 0).unwrap(), [0..1, 1..2]);
        let err = split(&[1, 2, 9, 1], 10, 8).unwrap_err();
        assert_eq!(
            err,
            BatchError::ItemTooLarge {
                index: 2,
                bytes: 9,
                max: 8
            }
        );
        assert!(err.to_string().contains("item 2"), "{err}");
    }

    proptest! {
        #[test]
        fn split_covers_every_item_once_within_both_limits(
            sizes in proptest::collection::vec(0usize..50, 0..200),
            max_requests in 1usize..20,
            max_bytes in 0usize..120,
        ) {
            match split(&sizes, max_requests, max_bytes) {
                Ok(jobs) => {
                    let mut next = 0;
                    for job in &jobs {
                        prop_assert_eq!(job.start, next);
                        prop_assert!(job.start < job.end);
                        prop_assert!(job.len() <= max_requests);
                        prop_assert!(sizes[job.clone()].iter().sum::<usize>() <= max_bytes);
                        next = job.end;
                    }
                    prop_assert_eq!(next, sizes.len());
                }
                Err(BatchError::ItemTooLarge { index, bytes, max }) => {
                    prop_assert_eq!(max, max_bytes);
                    prop_assert_eq!(sizes[index], bytes);
                    prop_assert!(bytes > max_bytes);
                    prop_assert!(sizes[..index].iter().all(|&s| s <= max_bytes));
                }
                Err(other) => prop_assert!(false, "unexpected {other}"),
            }
        }
    }

    #[test]
    fn origins_compare_scheme_and_host() {
        assert_eq!(
            origin("https://API.example.com:8443/v1?x=1").as_deref(),
            Some("https://api.example.com:8443")
        );
        assert!(
            same_origin(
                "u",
                "http://127.0.0.1:9/a?upload_id=1",
                "http://127.0.0.1:9/v1beta"
            )
            .is_ok()
        );
        let err = same_origin(
            "results URL",
            "https://evil.test/r",
            "https://api.anthropic.com",
        )
        .unwrap_err();
        assert!(err.to_string().contains("evil.test"), "{err}");
        assert!(same_origin("u", "/relative", "https://api.anthropic.com").is_err());
    }

    #[test]
    fn bad_lines_blame_their_id_when_it_can_be_found() {
        let mut results = Results::default();
        read_line(
            &mut results,
            1,
            br#"{"custom_id":"r-1","x":"#,
            "custom_id",
            |_| unreachable!(),
        );
        read_line(&mut results, 2, b"garbage", "custom_id", |_| unreachable!());
        read_line(
            &mut results,
            3,
            br#"{"custom_id":"r-3"}"#,
            "custom_id",
            |_| Err("no result".into()),
        );
        read_line(
            &mut results,
            4,
            br#"{"custom_id":"a\"b","#,
            "custom_id",
            |_| unreachable!(),
        );
        assert_eq!(results.items.len(), 2);
        assert_eq!(results.items[0].0, "r-1");
        assert_eq!(results.items[1].0, "r-3");
        for (_, item) in &results.items {
            let ItemResult::Failed(e) = item else {
                panic!("{item:?}")
            };
            assert_eq!(e.kind, FailureKind::Malformed);
        }
        assert_eq!(
            results.skipped.iter().map(|s| s.line).collect::<Vec<_>>(),
            [2, 4]
        );
    }

    #[test]
    fn counts_read_numbers_and_int64_strings() {
        let v: Value = serde_json::json!({"a": "12", "b": 3, "c": "x", "d": null});
        assert_eq!(count(v.get("a")), Some(12));
        assert_eq!(count(v.get("b")), Some(3));
        assert_eq!(count(v.get("c")), None);
        assert_eq!(count(v.get("d")), None);
        assert_eq!(count(v.get("e")), None);
    }

    #[test]
    fn duplicate_ids_are_named() {
        assert!(unique_ids(["a", "b"]).is_ok());
        assert_eq!(
            unique_ids(["a", "b", "a"]).unwrap_err(),
            BatchError::DuplicateCustomId { id: "a".into() }
        );
    }
}
