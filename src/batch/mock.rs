//! A Batch API for the offline `mock` provider, so `gen batch … --provider mock` can be watched
//! without a key or a network: a job moves through its states in seconds, and a few of its rows
//! come back errored or expired.
//!
//! Nothing runs in the background. At submit every answer is computed at once (the mock's own
//! deterministic answer, without its latency) and written with the job's timeline to
//! `<state dir>/<remote id>.results.jsonl`; from then on the job's state is a pure function of
//! that timeline and the clock ([`Timeline`]), so it survives separate `gen` invocations. A cancel
//! is a sidecar file, `<remote id>.cancelled`, holding the instant it arrived.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::batch::job::Part;
use crate::batch::wire::{ItemResult, JobState, JobStatus};
use crate::failure::FailureKind;
use crate::providers::mock::{MockConfig, MockProvider};
use crate::providers::{Completion, ProviderError, Request};

/// Every row at a 1-based position within the job that is a multiple of this fails with a
/// server error (`mock batch: …`), whatever its answer would have been.
pub const FAIL_EVERY: usize = 7;
/// Every row at a multiple of this position comes back expired; this wins over [`FAIL_EVERY`]
/// (row 77 expires).
pub const EXPIRE_EVERY: usize = 11;

/// A job is `pending` for its first fifth, `running` until four fifths (rows answered evenly in
/// input order meanwhile), `finalizing` for the last fifth, then `completed`.
const PENDING_FIFTHS: u128 = 1;
const RUNNING_FIFTHS: u128 = 4;

/// When a mock job was submitted, how long it takes and when a cancel arrived, in Unix
/// milliseconds: everything its state depends on besides the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    pub submitted_ms: u64,
    pub duration_ms: u64,
    pub cancelled_ms: Option<u64>,
}

impl Timeline {
    /// The instant the job completes unless cancelled first.
    fn end_ms(&self) -> u64 {
        self.submitted_ms.saturating_add(self.duration_ms)
    }

    /// A cancel that arrived before the job completed (a later one changed nothing).
    fn cancel_ms(&self) -> Option<u64> {
        self.cancelled_ms.filter(|&c| c < self.end_ms())
    }

    /// The job's state at `now_ms`.
    pub fn state(&self, now_ms: u64) -> JobState {
        if self.cancel_ms().is_some_and(|c| now_ms >= c) {
            return JobState::Cancelled;
        }
        let elapsed = u128::from(now_ms.saturating_sub(self.submitted_ms));
        let duration = u128::from(self.duration_ms);
        if elapsed >= duration {
            JobState::Completed
        } else if elapsed * 5 < PENDING_FIFTHS * duration {
            JobState::Pending
        } else if elapsed * 5 < RUNNING_FIFTHS * duration {
            JobState::Running
        } else {
            JobState::Finalizing
        }
    }

    /// How many of the job's `items` rows (a prefix, in input order) are answered at `now_ms`;
    /// a cancel freezes the count.
    pub fn answered(&self, items: usize, now_ms: u64) -> usize {
        let at = self.cancel_ms().map_or(now_ms, |c| now_ms.min(c));
        let elapsed = u128::from(at.saturating_sub(self.submitted_ms));
        let duration = u128::from(self.duration_ms);
        let (start, end) = (PENDING_FIFTHS * duration, RUNNING_FIFTHS * duration);
        let elapsed = elapsed * 5;
        if elapsed >= end {
            items
        } else if elapsed <= start {
            0
        } else {
            (items as u128 * (elapsed - start) / (end - start)) as usize
        }
    }
}

/// What the mock's Batch API decided for the row at `position` (1-based within the job) before
/// looking at its answer: the scripted failures of [`FAIL_EVERY`] and [`EXPIRE_EVERY`].
pub fn scripted(position: usize) -> Option<ItemResult> {
    if position % EXPIRE_EVERY == 0 {
        Some(ItemResult::Expired)
    } else if position % FAIL_EVERY == 0 {
        Some(ItemResult::Failed(ProviderError::new(
            FailureKind::Server,
            format!(
                "mock batch: server error on row {position} of the job (every {FAIL_EVERY}th row \
                 fails)"
            ),
        )))
    } else {
        None
    }
}

/// One line of a mock job's results file: the timeline first, then one line per row in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Job {
        submitted_ms: u64,
        duration_ms: u64,
        items: usize,
    },
    Done {
        custom_id: String,
        text: String,
        input_tokens: u64,
        output_tokens: u64,
        #[serde(default)]
        reasoning_tokens: u64,
    },
    Failed {
        custom_id: String,
        kind: String,
        message: String,
    },
    Expired {
        custom_id: String,
    },
    Cancelled {
        custom_id: String,
    },
}

impl Line {
    fn row(custom_id: &str, result: ItemResult) -> Line {
        let custom_id = custom_id.to_string();
        match result {
            ItemResult::Done(completion) => Line::Done {
                custom_id,
                text: completion.text,
                input_tokens: completion.input_tokens,
                output_tokens: completion.output_tokens,
                reasoning_tokens: completion.reasoning_tokens,
            },
            ItemResult::Failed(error) => Line::Failed {
                custom_id,
                kind: error.kind.as_str().to_string(),
                message: error.message,
            },
            ItemResult::Expired => Line::Expired { custom_id },
            ItemResult::Cancelled => Line::Cancelled { custom_id },
        }
    }

    /// The row's custom id and result (`None` for the job line).
    fn into_result(self) -> Option<(String, ItemResult)> {
        match self {
            Line::Job { .. } => None,
            Line::Done {
                custom_id,
                text,
                input_tokens,
                output_tokens,
                reasoning_tokens,
            } => Some((
                custom_id,
                ItemResult::Done(Completion {
                    text,
                    input_tokens,
                    output_tokens,
                    reasoning_tokens,
                    exhausted_for: None,
                    limit_rpm: None,
                    citations: Vec::new(),
                    images: Vec::new(),
                }),
            )),
            Line::Failed {
                custom_id,
                kind,
                message,
            } => {
                let kind = FailureKind::ALL
                    .into_iter()
                    .find(|k| k.as_str() == kind)
                    .unwrap_or(FailureKind::Server);
                Some((
                    custom_id,
                    ItemResult::Failed(ProviderError::new(kind, message)),
                ))
            }
            Line::Expired { custom_id } => Some((custom_id, ItemResult::Expired)),
            Line::Cancelled { custom_id } => Some((custom_id, ItemResult::Cancelled)),
        }
    }
}

/// A mock job as read back from its files.
struct Stored {
    timeline: Timeline,
    rows: Vec<(String, ItemResult)>,
}

/// The mock provider's Batch API: answers now, reveals them as the job's clock runs.
pub struct MockBatch {
    answers: MockProvider,
    duration: Duration,
    dir: PathBuf,
}

impl MockBatch {
    /// Jobs whose files live in `state_dir`, beside the local job files.
    pub fn new(config: MockConfig, state_dir: PathBuf) -> Self {
        MockBatch {
            duration: config.batch_duration,
            answers: MockProvider::new(config),
            dir: state_dir,
        }
    }

    /// Answers every request as one job (the mock has no per-job limits).
    pub fn submit(&self, requests: &[(String, Request)]) -> anyhow::Result<Vec<Part>> {
        Ok(vec![self.submit_at(requests, now_ms())?])
    }

    fn submit_at(&self, requests: &[(String, Request)], now_ms: u64) -> anyhow::Result<Part> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create `{}`", self.dir.display()))?;
        let (remote_id, path) = self.reserve(now_ms)?;
        let mut text = serde_json::to_string(&Line::Job {
            submitted_ms: now_ms,
            duration_ms: u64::try_from(self.duration.as_millis()).unwrap_or(u64::MAX),
            items: requests.len(),
        })? + "\n";
        for (n, (custom_id, request)) in requests.iter().enumerate() {
            let result =
                scripted(n + 1).unwrap_or_else(|| match self.answers.answer_now(request) {
                    Ok(completion) => ItemResult::Done(completion),
                    Err(error) => ItemResult::Failed(error),
                });
            text += &serde_json::to_string(&Line::row(custom_id, result))?;
            text.push('\n');
        }
        // Whole or not at all: a half-written file would be a job that cannot be read.
        let temporary = path.with_extension("jsonl.tmp");
        std::fs::write(&temporary, text)
            .with_context(|| format!("cannot write `{}`", temporary.display()))?;
        std::fs::rename(&temporary, &path)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        Ok(Part {
            output: Some(results_name(&remote_id)),
            remote_id,
            items: requests.len(),
            state: JobState::Pending.name().to_string(),
            error_output: None,
            inline: false,
            range: (0, requests.len()),
        })
    }

    /// A fresh remote id, `mock-<unix ms>-<n>`, and its results file, created empty so that
    /// another `gen` submitting in the same millisecond takes the next `n`.
    fn reserve(&self, now_ms: u64) -> anyhow::Result<(String, PathBuf)> {
        for n in 1.. {
            let remote_id = format!("mock-{now_ms}-{n}");
            let path = self.dir.join(results_name(&remote_id));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => return Ok((remote_id, path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot write `{}`", path.display()));
                }
            }
        }
        unreachable!("the id counter is unbounded")
    }

    pub fn poll(&self, part: &Part) -> anyhow::Result<JobStatus> {
        self.poll_at(part, now_ms())
    }

    fn poll_at(&self, part: &Part, now_ms: u64) -> anyhow::Result<JobStatus> {
        let stored = self.load(part)?;
        let state = stored.timeline.state(now_ms);
        let total = stored.rows.len();
        let answered = stored.timeline.answered(total, now_ms);
        let succeeded = stored.rows[..answered]
            .iter()
            .filter(|(_, r)| matches!(r, ItemResult::Done(_)))
            .count();
        let (failed, pending) = if state == JobState::Cancelled {
            (total - succeeded, 0)
        } else {
            (answered - succeeded, total - answered)
        };
        Ok(JobStatus {
            state,
            total: total as u64,
            succeeded: succeeded as u64,
            failed: failed as u64,
            pending: pending as u64,
            output: state.is_terminal().then(|| results_name(&part.remote_id)),
            error_output: None,
            message: None,
        })
    }

    /// Cancels a job that has not completed yet (its unanswered rows come back cancelled); a
    /// job already over is left as it is. Either way, its status now.
    pub fn cancel(&self, part: &Part) -> anyhow::Result<JobStatus> {
        self.cancel_at(part, now_ms())
    }

    fn cancel_at(&self, part: &Part, now_ms: u64) -> anyhow::Result<JobStatus> {
        let stored = self.load(part)?;
        if !stored.timeline.state(now_ms).is_terminal() {
            let path = self.dir.join(cancel_name(&part.remote_id));
            // The first cancel is the one that counts.
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut file) => file
                    .write_all(now_ms.to_string().as_bytes())
                    .with_context(|| format!("cannot write `{}`", path.display()))?,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot write `{}`", path.display()));
                }
            }
        }
        self.poll_at(part, now_ms)
    }

    /// The rows answered so far, in input order, and once cancelled the others as
    /// [`ItemResult::Cancelled`]. `keys` are not needed: the file names its rows.
    pub fn results(
        &self,
        part: &Part,
        _keys: &[&str],
    ) -> anyhow::Result<Vec<(String, ItemResult)>> {
        self.results_at(part, now_ms())
    }

    fn results_at(&self, part: &Part, now_ms: u64) -> anyhow::Result<Vec<(String, ItemResult)>> {
        let stored = self.load(part)?;
        let answered = stored.timeline.answered(stored.rows.len(), now_ms);
        let cancelled = stored.timeline.state(now_ms) == JobState::Cancelled;
        Ok(stored
            .rows
            .into_iter()
            .enumerate()
            .filter_map(|(n, (custom_id, result))| {
                if n < answered {
                    Some((custom_id, result))
                } else if cancelled {
                    Some((custom_id, ItemResult::Cancelled))
                } else {
                    None
                }
            })
            .collect())
    }

    fn load(&self, part: &Part) -> anyhow::Result<Stored> {
        let name = part
            .output
            .clone()
            .unwrap_or_else(|| results_name(&part.remote_id));
        let path = self.dir.join(name);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "mock batch job {}: its results file `{}` is gone",
                part.remote_id,
                path.display()
            ),
            Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", path.display())),
        };
        let mut lines = text.lines().filter(|l| !l.trim().is_empty()).enumerate();
        let parse = |(n, line): (usize, &str)| {
            serde_json::from_str::<Line>(line).with_context(|| {
                format!(
                    "`{}` line {}: not a mock batch results line",
                    path.display(),
                    n + 1
                )
            })
        };
        let Some(Line::Job {
            submitted_ms,
            duration_ms,
            items,
        }) = lines.next().map(parse).transpose()?
        else {
            bail!("`{}` does not start with a mock batch job", path.display());
        };
        let rows: Vec<(String, ItemResult)> = lines
            .map(|line| Ok(parse(line)?.into_result()))
            .filter_map(Result::transpose)
            .collect::<anyhow::Result<_>>()?;
        if rows.len() != items {
            bail!(
                "`{}` holds {} rows of its job's {items}",
                path.display(),
                rows.len()
            );
        }
        Ok(Stored {
            timeline: Timeline {
                submitted_ms,
                duration_ms,
                cancelled_ms: self.cancelled_ms(&part.remote_id)?,
            },
            rows,
        })
    }

    fn cancelled_ms(&self, remote_id: &str) -> anyhow::Result<Option<u64>> {
        let path = self.dir.join(cancel_name(remote_id));
        match std::fs::read_to_string(&path) {
            Ok(text) => text
                .trim()
                .parse()
                .map(Some)
                .with_context(|| format!("`{}` is not a cancel instant", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read `{}`", path.display())),
        }
    }
}

fn results_name(remote_id: &str) -> String {
    format!("{remote_id}.results.jsonl")
}

fn cancel_name(remote_id: &str) -> String {
    format!("{remote_id}.cancelled")
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::Purpose;
    use crate::tasks::Task;

    const T0: u64 = 1_700_000_000_000;

    fn timeline(cancelled_ms: Option<u64>) -> Timeline {
        Timeline {
            submitted_ms: T0,
            duration_ms: 3_000,
            cancelled_ms,
        }
    }

    fn requests(n: usize) -> Vec<(String, Request)> {
        (0..n)
            .map(|i| {
                let topic = format!("keyword number {i}");
                let request = Request {
                    purpose: Purpose::Seo,
                    prompt: format!("Write SEO metadata for {topic}"),
                    topic,
                    timeout: Duration::from_millis(1),
                    ..Request::sample("mock-1", 512)
                };
                (format!("r{i}"), request)
            })
            .collect()
    }

    fn batch(dir: &std::path::Path) -> MockBatch {
        let mut config = MockConfig::new("mock");
        config.batch_duration = Duration::from_secs(3);
        // A live wait far beyond the timeout: a batch answer does not wait.
        config.latency = Duration::from_secs(60);
        MockBatch::new(config, dir.to_path_buf())
    }

    #[test]
    fn a_job_moves_from_pending_to_completed_with_time() {
        let job = timeline(None);
        let at = |ms: u64| job.state(T0 + ms);
        assert_eq!(job.state(T0 - 5), JobState::Pending, "a clock gone back");
        assert_eq!(at(0), JobState::Pending);
        assert_eq!(at(599), JobState::Pending);
        assert_eq!(at(600), JobState::Running);
        assert_eq!(at(2_399), JobState::Running);
        assert_eq!(at(2_400), JobState::Finalizing);
        assert_eq!(at(2_999), JobState::Finalizing);
        assert_eq!(at(3_000), JobState::Completed);
        assert_eq!(at(86_400_000), JobState::Completed);

        let answered: Vec<usize> = [0, 600, 1_500, 2_399, 2_400, 3_000]
            .iter()
            .map(|ms| job.answered(20, T0 + ms))
            .collect();
        assert_eq!(answered, [0, 0, 10, 19, 20, 20]);
        let mut last = 0;
        for ms in (0..4_000).step_by(7) {
            let now = job.answered(20, T0 + ms);
            assert!(now >= last, "rows are never unanswered");
            last = now;
        }

        let instant = Timeline {
            duration_ms: 0,
            ..job
        };
        assert_eq!(instant.state(T0), JobState::Completed);
        assert_eq!(instant.answered(5, T0), 5);
    }

    #[test]
    fn a_cancel_ends_the_job_and_freezes_its_answers_unless_it_came_too_late() {
        let job = timeline(Some(T0 + 1_500));
        assert_eq!(job.state(T0 + 1_499), JobState::Running);
        assert_eq!(job.state(T0 + 1_500), JobState::Cancelled);
        assert_eq!(job.state(T0 + 10_000), JobState::Cancelled);
        assert_eq!(job.answered(20, T0 + 10_000), 10);

        let early = timeline(Some(T0 + 100));
        assert_eq!(early.state(T0 + 200), JobState::Cancelled);
        assert_eq!(early.answered(20, T0 + 10_000), 0);

        let late = timeline(Some(T0 + 3_000));
        assert_eq!(late.state(T0 + 3_000), JobState::Completed);
        assert_eq!(late.answered(20, T0 + 3_000), 20);
    }

    #[test]
    fn every_seventh_row_errors_and_every_eleventh_expires() {
        let mut failed = Vec::new();
        let mut expired = Vec::new();
        for position in 1..=80 {
            match scripted(position) {
                Some(ItemResult::Failed(error)) => {
                    assert_eq!(error.kind, FailureKind::Server);
                    assert!(
                        error.message.starts_with("mock batch: "),
                        "{}",
                        error.message
                    );
                    failed.push(position);
                }
                Some(ItemResult::Expired) => expired.push(position),
                Some(other) => panic!("row {position}: {other:?}"),
                None => {}
            }
        }
        assert_eq!(failed, [7, 14, 21, 28, 35, 42, 49, 56, 63, 70]);
        assert_eq!(expired, [11, 22, 33, 44, 55, 66, 77]);
    }

    #[test]
    fn answers_written_at_submit_come_back_once_the_job_completes() {
        let dir = tempfile::tempdir().unwrap();
        let mock = batch(dir.path());
        let requests = requests(23);
        let part = mock.submit_at(&requests, T0).unwrap();
        assert!(part.remote_id.starts_with(&format!("mock-{T0}-")));
        assert_eq!((part.items, part.range), (23, (0, 23)));
        assert_eq!(part.state, "pending");
        let output = part.output.clone().unwrap();
        assert!(dir.path().join(&output).is_file(), "{output}");

        let status = mock.poll_at(&part, T0).unwrap();
        assert_eq!(status.state, JobState::Pending);
        assert_eq!(
            (status.total, status.pending, status.output),
            (23, 23, None)
        );
        assert!(mock.results_at(&part, T0).unwrap().is_empty());
        let halfway = mock.results_at(&part, T0 + 1_500).unwrap();
        assert_eq!(halfway.len(), 11, "answered in input order, a prefix");

        let status = mock.poll_at(&part, T0 + 3_000).unwrap();
        assert_eq!(status.state, JobState::Completed);
        assert_eq!(status.output.as_deref(), Some(output.as_str()));
        // Rows 7, 14 and 21 errored, 11 and 22 expired.
        assert_eq!(
            (status.succeeded, status.failed, status.pending),
            (18, 5, 0)
        );

        let results = mock.results_at(&part, T0 + 3_000).unwrap();
        let answers = MockProvider::new(MockConfig::new("mock"));
        assert_eq!(results.len(), 23);
        for (n, ((custom_id, result), (sent_id, request))) in
            results.iter().zip(&requests).enumerate()
        {
            assert_eq!(custom_id, sent_id);
            match scripted(n + 1) {
                Some(expected) => assert_eq!(result, &expected, "row {}", n + 1),
                None => {
                    let ItemResult::Done(completion) = result else {
                        panic!("row {}: {result:?}", n + 1);
                    };
                    let expected = answers.answer_now(request).unwrap();
                    assert_eq!(completion, &expected, "the mock's own answer, kept whole");
                    Task::seo().validate(&completion.text).unwrap();
                    assert!(completion.input_tokens > 0 && completion.output_tokens > 0);
                }
            }
        }
        // Another `gen` reads the same job from the same files.
        let again = batch(dir.path()).results_at(&part, T0 + 60_000).unwrap();
        assert_eq!(again, results);
    }

    #[test]
    fn the_mock_faults_of_the_profile_apply_to_the_other_rows() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = MockConfig::new("mock");
        config.server_error_rate = 1.0;
        let mock = MockBatch::new(config, dir.path().to_path_buf());
        let part = mock.submit_at(&requests(3), T0).unwrap();
        let results = mock.results_at(&part, T0 + 3_000).unwrap();
        for (_, result) in results {
            let ItemResult::Failed(error) = result else {
                panic!("{result:?}")
            };
            assert_eq!(error.kind, FailureKind::Server);
            assert_eq!(error.message, "mock server error (HTTP 500)");
        }
    }

    #[test]
    fn a_cancelled_job_returns_what_it_answered_and_cancels_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let mock = batch(dir.path());
        let part = mock.submit_at(&requests(20), T0).unwrap();
        let status = mock.cancel_at(&part, T0 + 1_500).unwrap();
        assert_eq!(status.state, JobState::Cancelled);
        assert_eq!(status.total, 20);
        assert_eq!(status.succeeded + status.failed, 20);
        assert_eq!(status.pending, 0);
        // A second cancel later does not move the first.
        mock.cancel_at(&part, T0 + 2_500).unwrap();
        let results = mock.results_at(&part, T0 + 60_000).unwrap();
        assert_eq!(results.len(), 20);
        let cancelled: Vec<usize> = results
            .iter()
            .enumerate()
            .filter(|(_, (_, r))| *r == ItemResult::Cancelled)
            .map(|(n, _)| n)
            .collect();
        assert_eq!(cancelled, (10..20).collect::<Vec<_>>());
        assert!(
            results[..10]
                .iter()
                .all(|(_, r)| matches!(r, ItemResult::Done(_) | ItemResult::Failed(_))),
            "{results:?}"
        );
        assert_eq!(
            mock.poll_at(&part, T0 + 60_000).unwrap().state,
            JobState::Cancelled
        );

        // Too late: a completed job stays completed, whole.
        let done = mock.submit_at(&requests(4), T0).unwrap();
        let status = mock.cancel_at(&done, T0 + 3_000).unwrap();
        assert_eq!(status.state, JobState::Completed);
        assert!(!dir.path().join(cancel_name(&done.remote_id)).exists());
        assert_eq!(mock.results_at(&done, T0 + 3_000).unwrap().len(), 4);
    }

    #[test]
    fn jobs_submitted_in_the_same_millisecond_get_their_own_files() {
        let dir = tempfile::tempdir().unwrap();
        let mock = batch(&dir.path().join("not/yet/there"));
        let first = mock.submit_at(&requests(2), T0).unwrap();
        let second = mock.submit_at(&requests(3), T0).unwrap();
        assert_ne!(first.remote_id, second.remote_id);
        assert_eq!(mock.results_at(&first, T0 + 3_000).unwrap().len(), 2);
        assert_eq!(mock.results_at(&second, T0 + 3_000).unwrap().len(), 3);
    }

    #[test]
    fn a_job_whose_files_are_gone_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let mock = batch(dir.path());
        let part = mock.submit_at(&requests(2), T0).unwrap();
        std::fs::remove_file(dir.path().join(part.output.as_deref().unwrap())).unwrap();
        let error = mock.poll_at(&part, T0).unwrap_err().to_string();
        assert!(error.contains("is gone"), "{error}");
    }
}
