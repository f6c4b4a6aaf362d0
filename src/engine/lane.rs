//! A lane: one task bound to a (provider, model, key) that loops: wait until its key may send,
//! take the next row, call the provider, validate, and hand the outcome to the sink.

use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::engine::budget::Budget;
use crate::engine::gate::{Gate, Signal};
use crate::engine::limiter::KeyState;
use crate::engine::pipeline::DraftRuntime;
use crate::engine::queue::{Dispatcher, Job};
use crate::engine::retry::{self, KeyAction, RowAction};
use crate::engine::sink::Outcome;
use crate::engine::stats::RunStats;
use crate::failure::{Failure, FailureKind};
use crate::providers::reasoning::{Choice, Thinking};
use crate::providers::{Completion, Provider, ProviderError, Request, estimate_tokens};
use crate::rows::Row;
use crate::tasks::TaskKind;
use crate::tasks::reasoning::{ReasoningPolicy, Step, after_cuts};
use crate::tasks::template::PromptTemplate;

/// Per-provider facts a lane needs to send and to account.
pub struct ProviderSlot {
    pub name: String,
    pub timeout: std::time::Duration,
}

/// Everything the lanes share for one run.
pub struct Shared {
    pub task: TaskKind,
    pub template: PromptTemplate,
    /// The column whose value is the row's subject (mock answers and previews).
    pub topic_column: Option<String>,
    /// Input columns renamed in results because they collide with a generated or metadata field.
    pub renames: Vec<(String, String)>,
    pub max_attempts: u32,
    pub providers: Vec<ProviderSlot>,
    pub dispatcher: Arc<Dispatcher>,
    pub stats: Arc<RunStats>,
    pub outcomes: mpsc::Sender<Outcome>,
    /// Why keys left the pool, for the message of rows no lane is left to serve.
    pub removals: Mutex<Vec<String>>,
    /// `--max-cost`, when given.
    pub budget: Option<Budget>,
    /// `draft`: the pipeline's stages, templates and targets.
    pub draft: Option<DraftRuntime>,
    /// `--max-inflight`: requests in flight across the whole run.
    pub inflight: Option<tokio::sync::Semaphore>,
    /// Set when a reservation did not fit the budget and dispatching stopped.
    pub budget_reached: AtomicBool,
    /// How much each task and provider asks the models to reason.
    pub reasoning: ReasoningPolicy,
}

/// One lane's fixed binding.
pub struct Lane {
    pub index: usize,
    pub provider: usize,
    pub model: String,
    /// USD per million input and output tokens for `model`, when known.
    pub price: Option<(f64, f64)>,
    pub key: Arc<KeyState>,
    pub client: Arc<dyn Provider>,
    /// An automatic entry's lane: it works only while its key's gate lets it.
    pub gate: Option<Arc<Gate>>,
    /// How the lane's model reasons on its provider's wire.
    pub thinking: Thinking,
}

impl Lane {
    /// What an answer says about the key: its latency and whether it was throttled (for the
    /// gate), and the request limit its headers report (for the key's limiter and the gate).
    pub(crate) fn observe(
        &self,
        shared: &Shared,
        latency: std::time::Duration,
        answer: &Result<crate::providers::Completion, ProviderError>,
    ) {
        let reported = match answer {
            Ok(completion) => completion.limit_rpm,
            Err(error) => error.limit_rpm,
        };
        if let Some(rpm) = reported {
            let rpm = u32::try_from(rpm).unwrap_or(u32::MAX);
            self.key.learn_rpm(rpm);
            if let Some(gate) = &self.gate {
                gate.learn_limit(rpm);
            }
            shared.stats.providers[self.provider]
                .learned_rpm
                .store(u64::from(rpm), Relaxed);
        }
        if let Some(gate) = &self.gate {
            let signal = match answer {
                Ok(_) => Signal::Clean,
                Err(e) if matches!(e.kind, FailureKind::RateLimited | FailureKind::Overloaded) => {
                    Signal::Throttled
                }
                Err(_) => Signal::Neutral,
            };
            gate.record(latency, signal);
        }
    }

    pub async fn run(self, shared: Arc<Shared>) {
        let stats = &shared.stats.providers[self.provider];
        loop {
            if shared.dispatcher.is_cancelled() || !self.key.serves(&self.model) {
                break;
            }
            if let Some(until) = self.key.parked_until() {
                shared.stats.mark_parked(self.provider, until);
                tokio::select! {
                    _ = tokio::time::sleep_until(until.into()) => {}
                    _ = shared.dispatcher.finished() => break,
                }
                continue;
            }
            // An automatic lane waits for its key's gate, then for the run's in-flight cap.
            let _permit = match &self.gate {
                Some(gate) => tokio::select! {
                    permit = gate.acquire() => Some(permit),
                    _ = shared.dispatcher.finished() => break,
                },
                None => None,
            };
            let _inflight = match &shared.inflight {
                Some(cap) => tokio::select! {
                    permit = cap.acquire() => permit.ok(),
                    _ = shared.dispatcher.finished() => break,
                },
                None => None,
            };
            tokio::select! {
                _ = self.key.until_ready(0) => {}
                _ = shared.dispatcher.finished() => break,
            }
            let Some(mut job) = shared.dispatcher.next(self.index, self.provider).await else {
                break;
            };
            // Another lane of this key may have hit a limit while this one waited for a row.
            if self.key.parked_until().is_some() || !self.key.serves(&self.model) {
                shared.dispatcher.requeue(job);
                continue;
            }
            if let Some(draft) = &shared.draft {
                self.run_draft(&shared, draft, job).await;
                continue;
            }
            let prompt = match self.prompt_for(&shared, &mut job) {
                Ok(prompt) => prompt,
                Err(failure) => {
                    fail(&shared, job, failure).await;
                    continue;
                }
            };
            let (request, choice) = self.request(&shared, &job, prompt);
            let input_estimate =
                estimate_tokens(&request.system) + estimate_tokens(&request.prompt);
            let output_estimate = shared.task.typical_output_tokens() + u64::from(choice.expected);
            // Tokens are charged up front from an estimate; usage corrects it afterwards.
            let charged_tokens = if self.key.has_token_limit() {
                let estimate = input_estimate + output_estimate;
                self.key.charge_tokens(estimate).await;
                estimate
            } else {
                0
            };
            let Some(reserved_usd) =
                reserve_budget(&shared, self.price, input_estimate, output_estimate)
            else {
                shared.dispatcher.requeue(job);
                break;
            };
            job.record_try(self.index, self.provider);
            stats.in_flight.fetch_add(1, Relaxed);
            let started = Instant::now();
            let answer = self.client.complete(&request).await;
            let latency = started.elapsed();
            self.observe(&shared, latency, &answer);
            stats.in_flight.fetch_sub(1, Relaxed);
            stats.requests.fetch_add(1, Relaxed);
            stats
                .latency_ms_total
                .fetch_add(latency.as_millis() as u64, Relaxed);
            account(
                &shared,
                &mut job,
                self.provider,
                self.price,
                reserved_usd,
                &answer,
            );
            let answer =
                answer.and_then(|completion| match shared.task.validate(&completion.text) {
                    Ok(fields) => Ok((completion, fields)),
                    Err(message) => Err(ProviderError::new(FailureKind::InvalidOutput, message)),
                });
            match answer {
                Ok((completion, fields)) => {
                    self.key.record_success();
                    if let Some(rest) = completion.exhausted_for {
                        let until = self.key.park(Some(rest));
                        shared.stats.mark_parked(self.provider, until);
                    }
                    let record = self.result_record(&shared, &job, fields, &completion, latency);
                    let seq = job.row.seq;
                    drop(job);
                    let outcome = Outcome::Done {
                        seq,
                        provider: self.provider,
                        record,
                        article: None,
                    };
                    let _ = shared.outcomes.send(outcome).await;
                    shared.dispatcher.finish();
                    let used = completion.input_tokens + completion.output_tokens;
                    if self.key.has_token_limit() && used > charged_tokens {
                        self.key.charge_tokens(used - charged_tokens).await;
                    }
                }
                Err(error) => self.after_error(&shared, job, error).await,
            }
        }
    }

    fn prompt_for(&self, shared: &Shared, job: &mut Job) -> Result<String, Failure> {
        if let Some(prompt) = &job.prompt {
            return Ok(prompt.clone());
        }
        let line = job.row.line;
        shared
            .template
            .check_row(&job.row.fields)
            .map_err(|message| Failure {
                kind: FailureKind::BadInput,
                message: format!("line {line}: {message}"),
            })?;
        let prompt = shared
            .template
            .render(&job.row.id, &job.row.fields)
            .map_err(|message| Failure {
                kind: FailureKind::Template,
                message: format!("line {line}: {message}"),
            })?;
        job.prompt = Some(prompt.clone());
        Ok(prompt)
    }

    /// The row's next request on this lane, and the reasoning it asks for: the task's setting for
    /// this provider, lowered after repeated reasoning cuts, under a cap that leaves it room and
    /// grows after each cut.
    fn request(&self, shared: &Shared, job: &Job, prompt: String) -> (Request, Choice) {
        let (choice, cap) = sizing(
            shared,
            &self.thinking,
            self.provider,
            Step::Task(shared.task),
            shared.task.answer_tokens(),
            job,
        );
        let request = shared.task.request(
            &self.model,
            prompt,
            job.row.text_of(shared.topic_column.as_deref()),
            job.attempts + 1,
            shared.providers[self.provider].timeout,
            cap,
            choice.field,
        );
        (request, choice)
    }

    async fn after_error(&self, shared: &Shared, job: Job, error: ProviderError) {
        self.after_error_on(shared, job, error, &self.key, self.provider, &self.model)
            .await
    }

    /// Applies the policy for a failed attempt that `key` of `provider` answered for `model`: the
    /// key may be parked or removed (for an unknown model, only that model's lanes of the key),
    /// the row retried or failed.
    pub(crate) async fn after_error_on(
        &self,
        shared: &Shared,
        mut job: Job,
        error: ProviderError,
        key: &KeyState,
        provider: usize,
        model: &str,
    ) {
        shared.stats.providers[provider].record_error(error.kind);
        match error.kind {
            FailureKind::Truncated => job.cuts += 1,
            FailureKind::ReasoningExhausted => {
                job.cuts += 1;
                job.reasoning_cuts += 1;
            }
            _ => {}
        }
        let decision = retry::decide(error.kind);
        match decision.key {
            KeyAction::None => {}
            KeyAction::Park => {
                let until = key.park(error.retry_after);
                shared.stats.mark_parked(provider, until);
            }
            KeyAction::Remove => {
                // An unknown model is the model's problem, not the key's: a gateway serving
                // several models keeps the others.
                let reason = if error.kind == FailureKind::ModelNotFound {
                    key.remove_model(model).then(|| {
                        format!("{} left the pool for model `{model}`: {error}", key.label)
                    })
                } else if !key.is_removed() {
                    key.remove();
                    Some(format!("{} left the pool: {error}", key.label))
                } else {
                    None
                };
                if let Some(reason) = reason {
                    eprintln!("gen: {reason}");
                    shared
                        .removals
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(reason);
                }
            }
        }
        match decision.row {
            RowAction::Fail => {
                let failure = Failure {
                    kind: error.kind,
                    message: error.message.clone(),
                };
                fail(shared, job, failure).await;
            }
            RowAction::Retry { counts, backoff } => {
                if counts {
                    job.counted_failures += 1;
                }
                if job.counted_failures >= shared.max_attempts {
                    let failure = Failure {
                        kind: error.kind,
                        message: format!(
                            "{} (gave up after {} attempts)",
                            error.message, job.attempts
                        ),
                    };
                    fail(shared, job, failure).await;
                    return;
                }
                job.not_before =
                    backoff.then(|| Instant::now() + retry::row_backoff(job.counted_failures));
                job.last_error = Some(error);
                shared.dispatcher.requeue(job);
            }
        }
    }

    fn result_record(
        &self,
        shared: &Shared,
        job: &Job,
        generated: Map<String, Value>,
        completion: &crate::providers::Completion,
        latency: std::time::Duration,
    ) -> Map<String, Value> {
        self.record_with(
            shared,
            job,
            generated,
            completion.usage(),
            latency.as_millis() as u64,
        )
    }

    /// A result line: the row's columns (renamed where they collide), the task's fields, then
    /// the run's metadata.
    pub(crate) fn record_with(
        &self,
        shared: &Shared,
        job: &Job,
        generated: Map<String, Value>,
        usage: crate::providers::Usage,
        latency_ms: u64,
    ) -> Map<String, Value> {
        let meta = RecordMeta {
            provider: &shared.providers[self.provider].name,
            model: &self.model,
            attempts: job.attempts,
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            reasoning_tokens: usage.reasoning_tokens,
            latency_ms: Some(latency_ms),
            // Every billed attempt of the row, not only the last one.
            cost_usd: job_cost(job),
        };
        compose_record(&job.row, &shared.renames, generated, &meta)
    }
}

/// The run metadata of a result line.
pub struct RecordMeta<'a> {
    pub provider: &'a str,
    pub model: &'a str,
    pub attempts: u32,
    pub input_tokens: u64,
    /// The reasoning included.
    pub output_tokens: u64,
    pub reasoning_tokens: u64,
    /// `None` where no latency is known (a batch job's rows).
    pub latency_ms: Option<u64>,
    pub cost_usd: Option<f64>,
}

/// A result line: the row's columns (renamed where they collide with gen's fields), the task's
/// fields, then the metadata. Live runs and batch fetches write the same shape.
pub fn compose_record(
    row: &Row,
    renames: &[(String, String)],
    generated: Map<String, Value>,
    meta: &RecordMeta<'_>,
) -> Map<String, Value> {
    let mut record = Map::with_capacity(row.fields.len() + generated.len() + 8);
    for (column, value) in &row.fields {
        let name = renames
            .iter()
            .find(|(from, _)| from == column)
            .map_or(column, |(_, to)| to);
        record.insert(name.clone(), value.clone());
    }
    record.extend(generated);
    record.insert("row_id".into(), Value::String(row.id.clone()));
    record.insert(
        "row_fingerprint".into(),
        Value::String(crate::rows::fingerprint_text(row.fingerprint())),
    );
    record.insert("provider".into(), meta.provider.into());
    record.insert("model".into(), meta.model.into());
    record.insert("attempts".into(), meta.attempts.into());
    record.insert("input_tokens".into(), meta.input_tokens.into());
    record.insert("output_tokens".into(), meta.output_tokens.into());
    record.insert("reasoning_tokens".into(), meta.reasoning_tokens.into());
    record.insert(
        "latency_ms".into(),
        meta.latency_ms.map_or(Value::Null, Value::from),
    );
    record.insert(
        "cost_usd".into(),
        meta.cost_usd
            .map_or(Value::Null, |c| crate::rows::round_usd(c).into()),
    );
    record
}

/// Metadata fields of every result line, after the task's own fields.
pub const METADATA_FIELDS: [&str; 10] = [
    "row_id",
    "row_fingerprint",
    "provider",
    "model",
    "attempts",
    "input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "latency_ms",
    "cost_usd",
];

/// The reasoning and cap of a row's next request for `step` on `provider`'s model: the policy's
/// setting, lowered after repeated reasoning cuts, and room for it that doubles after each cut.
pub(crate) fn sizing(
    shared: &Shared,
    thinking: &Thinking,
    provider: usize,
    step: Step,
    answer_tokens: u32,
    job: &Job,
) -> (Choice, u32) {
    let setting = after_cuts(shared.reasoning.setting(provider, step), job.reasoning_cuts);
    thinking.size(setting, answer_tokens, job.cuts)
}

/// Books what an answered attempt cost, whatever became of it: the tokens the provider billed (a
/// cut, empty or invalid answer is billed like a good one) go to the row, the provider's counters
/// and the `--max-cost` budget, which releases the attempt's reservation.
pub(crate) fn account(
    shared: &Shared,
    job: &mut Job,
    provider: usize,
    price: Option<(f64, f64)>,
    reserved_usd: f64,
    answer: &Result<Completion, ProviderError>,
) {
    let usage = match answer {
        Ok(completion) => Some(completion.usage()),
        Err(error) => error.billed,
    };
    let billed = match (usage, price) {
        (Some(usage), Some(price)) => cost_usd(price, usage.input_tokens, usage.output_tokens),
        (Some(_), None) => {
            job.unpriced = true;
            0.0
        }
        (None, _) => 0.0,
    };
    if let Some(budget) = &shared.budget {
        budget.settle(reserved_usd, billed);
    }
    let stats = &shared.stats.providers[provider];
    stats.add_cost(billed);
    if let Some(usage) = usage {
        stats.input_tokens.fetch_add(usage.input_tokens, Relaxed);
        stats.output_tokens.fetch_add(usage.output_tokens, Relaxed);
        stats
            .reasoning_tokens
            .fetch_add(usage.reasoning_tokens, Relaxed);
    }
    job.cost_usd += billed;
}

/// What a row cost over all its attempts, unless one was billed on a model without a price.
pub(crate) fn job_cost(job: &Job) -> Option<f64> {
    (!job.unpriced).then_some(job.cost_usd)
}

/// A failed row's `cost_usd` in the manifest: nothing when it was never sent.
pub(crate) fn manifest_cost(job: &Job) -> Option<f64> {
    (job.attempts > 0).then(|| job_cost(job)).flatten()
}

/// Reserves `--max-cost` budget for one request of about these token counts and returns the
/// amount reserved; `None` when it would pass the limit: dispatching stops, and the caller leaves
/// its row (and the rest) for `--resume`.
pub(crate) fn reserve_budget(
    shared: &Shared,
    price: Option<(f64, f64)>,
    input_tokens: u64,
    output_tokens: u64,
) -> Option<f64> {
    let (Some(budget), Some(price)) = (&shared.budget, price) else {
        return Some(0.0);
    };
    let estimate = cost_usd(price, input_tokens, output_tokens);
    if budget.try_reserve(estimate) {
        return Some(estimate);
    }
    shared.budget_reached.store(true, Relaxed);
    shared.dispatcher.cancel();
    None
}

/// USD for a request at `price` (USD per million input and output tokens).
pub(crate) fn cost_usd((input, output): (f64, f64), input_tokens: u64, output_tokens: u64) -> f64 {
    (input_tokens as f64 * input + output_tokens as f64 * output) / 1e6
}

pub(crate) async fn fail(shared: &Shared, job: Job, failure: Failure) {
    let providers_tried = job
        .providers_tried
        .iter()
        .map(|&p| shared.providers[p].name.clone())
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
    let _ = shared.outcomes.send(outcome).await;
    shared.dispatcher.finish();
}
