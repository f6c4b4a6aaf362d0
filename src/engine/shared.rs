//! What every lane of a run shares: the queue, the counters, the outcome channel to the sink, the
//! `--max-cost` budget and `--max-inflight` permits, and the three ways a row held by a lane ends
//! (a result, a failure, or back to the queue).

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::engine::budget::Budget;
use crate::engine::queue::{Dispatcher, Job};
use crate::engine::retry::{self, RowAction};
use crate::engine::sink::Outcome;
use crate::engine::stats::RunStats;
use crate::failure::Failure;
use crate::providers::{ProviderError, Usage};
use crate::rows::Row;
use crate::rows::articles::ArticleFile;
use crate::rows::record::{Record, RecordMeta, compose_record};
use crate::tasks::reasoning::ReasoningPolicy;

/// Per-provider facts a request needs.
pub struct ProviderSlot {
    pub name: String,
    pub timeout: Duration,
}

/// Everything the lanes share for one run; `S` is what a row's program keeps between attempts.
pub struct Shared<S> {
    pub max_attempts: u32,
    pub providers: Vec<ProviderSlot>,
    pub dispatcher: Arc<Dispatcher<S>>,
    pub stats: Arc<RunStats>,
    pub outcomes: mpsc::Sender<Outcome>,
    /// Why keys left the pool, for the message of rows no lane is left to serve.
    pub removals: Mutex<Vec<String>>,
    /// `--max-cost`, when given.
    pub budget: Option<Budget>,
    /// `--max-inflight`: requests in flight across the whole run.
    pub inflight: Option<tokio::sync::Semaphore>,
    /// Set when a reservation did not fit the budget and dispatching stopped.
    pub budget_reached: AtomicBool,
    /// How much each task and provider asks the models to reason.
    pub reasoning: ReasoningPolicy,
    /// `--log FILE`: a line per request sent.
    pub log: Option<crate::engine::request_log::RequestLog>,
    /// What each step's good answers took, and so when an attempt is abandoned.
    pub deadlines: crate::engine::deadline::Deadlines,
}

impl<S> Shared<S> {
    /// The row is finished: its result line (and article file) go to the sink.
    pub async fn done(
        &self,
        job: Job<S>,
        provider: usize,
        record: Record,
        article: Option<ArticleFile>,
    ) {
        let seq = job.row.seq;
        drop(job);
        let outcome = Outcome::Done {
            seq,
            provider,
            record,
            article,
        };
        let _ = self.outcomes.send(outcome).await;
        self.dispatcher.finish();
    }

    /// The row failed for good: it goes to the manifest with what its attempts cost.
    pub async fn fail(&self, job: Job<S>, failure: Failure) {
        let providers_tried = job
            .providers_tried
            .iter()
            .map(|&p| self.providers[p].name.clone())
            .collect();
        let cost_usd = manifest_cost(&job);
        let Job { row, attempts, .. } = job;
        let Row { seq, fields, .. } = row;
        let outcome = Outcome::Failed {
            seq,
            fields,
            raw_cells: Vec::new(),
            failure,
            attempts,
            providers_tried,
            cost_usd,
        };
        let _ = self.outcomes.send(outcome).await;
        self.dispatcher.finish();
    }

    /// After a failed attempt: the row is retried (by another lane when the pool has one, after
    /// a backoff where the failure calls for one) or, past `--max-attempts` or for a failure no
    /// retry can mend, failed.
    pub async fn retry_or_fail(&self, mut job: Job<S>, error: ProviderError) {
        match retry::decide(error.kind).row {
            RowAction::Fail => {
                let failure = Failure {
                    kind: error.kind,
                    message: error.message,
                };
                self.fail(job, failure).await;
            }
            RowAction::Retry { counts, backoff } => {
                if counts {
                    job.counted_failures += 1;
                }
                if job.counted_failures >= self.max_attempts {
                    // Rate limits and overloads do not count against --max-attempts; when the
                    // row met some, the requests sent say so.
                    let requests = if job.attempts > job.counted_failures {
                        format!("; {} requests in all", job.attempts)
                    } else {
                        String::new()
                    };
                    let attempts = match job.counted_failures {
                        1 => "1 attempt".to_string(),
                        n => format!("{n} attempts"),
                    };
                    let failure = Failure {
                        kind: error.kind,
                        message: format!("{} (gave up after {attempts}{requests})", error.message),
                    };
                    self.fail(job, failure).await;
                    return;
                }
                job.not_before =
                    backoff.then(|| Instant::now() + retry::row_backoff(job.counted_failures));
                crate::verbose::say(2, || {
                    format!(
                        "row {} (line {}) goes back to the queue after attempt {}: {error}",
                        job.row.id, job.row.line, job.attempts
                    )
                });
                self.dispatcher.requeue(job);
            }
        }
    }

    /// A result line for a finished row, with every billed attempt's cost.
    pub fn record(
        &self,
        job: &Job<S>,
        renames: &[(String, String)],
        answered_by: (usize, &str),
        generated: Map<String, Value>,
        usage: Usage,
        latency_ms: u64,
    ) -> Record {
        let (provider, model) = answered_by;
        let meta = RecordMeta {
            provider: &self.providers[provider].name,
            model,
            attempts: job.attempts,
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            reasoning_tokens: usage.reasoning_tokens,
            latency_ms: Some(latency_ms),
            cost_usd: job_cost(job),
        };
        compose_record(&job.row, renames, generated, &meta)
    }
}

/// What a row cost over all its attempts, unless one was billed on a model without a price.
pub fn job_cost<S>(job: &Job<S>) -> Option<f64> {
    (!job.unpriced).then_some(job.cost_usd)
}

/// A failed row's `cost_usd` in the manifest: nothing when it was never sent.
pub fn manifest_cost<S>(job: &Job<S>) -> Option<f64> {
    (job.attempts > 0).then(|| job_cost(job)).flatten()
}
