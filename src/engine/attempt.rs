//! One attempt: one request of one row to one target. [`attempt`] is the only place gen sends a
//! live request, for a row of `seo` or `outline` as for every stage of a `draft`, so waiting,
//! budgeting, sending, judging and accounting happen in one order everywhere.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use tokio::time::Instant;

use crate::engine::deadline::Deadline;
use crate::engine::limiter::KeyState;
use crate::engine::queue::Job;
use crate::engine::request_log::Entry;
use crate::engine::retry::{self, KeyAction};
use crate::engine::shared::Shared;
use crate::engine::target::Target;
use crate::failure::FailureKind;
use crate::providers::reasoning::{Choice, Thinking};
use crate::providers::{Completion, ProviderError, Request, estimate_input_tokens};
use crate::tasks::reasoning::{Step, after_cuts};

/// One request a lane's key has already let through: a lane waits for its key before it takes a
/// row (so a row never sits in a lane whose key is busy), and the row's first request on that key
/// spends this instead of waiting again.
pub struct Admission {
    key: Option<Arc<KeyState>>,
}

impl Admission {
    pub fn of(key: &Arc<KeyState>) -> Self {
        Admission {
            key: Some(key.clone()),
        }
    }

    pub fn none() -> Self {
        Admission { key: None }
    }

    fn spend(&mut self, key: &Arc<KeyState>) -> bool {
        let spent = self.key.as_ref().is_some_and(|k| Arc::ptr_eq(k, key));
        if spent {
            self.key = None;
        }
        spent
    }
}

/// What to do when the target's key is parked after a rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnParked {
    /// Give the row back to the queue: the lane's own key, whose row another lane may serve.
    HandBack,
    /// Wait for the reset: a research or picture key, which no other lane has.
    Wait,
}

/// One request to send.
pub struct Call<'a> {
    pub target: &'a Target,
    /// What the request is for (the task, or a draft's stage), for the request log.
    pub step: Step,
    pub request: Request,
    /// Tokens the answer is expected to take (reasoning included), for the key's token limit and
    /// the `--max-cost` reservation.
    pub output_estimate: u64,
    pub on_parked: OnParked,
}

/// A good answer, with what it was made into.
pub struct Answer<T> {
    pub value: T,
    pub completion: Completion,
    pub latency: Duration,
    /// USD billed for this attempt (0 when the model has no price).
    pub billed_usd: f64,
}

/// Why nothing was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsent {
    /// The run was cancelled (Ctrl-C, a write error) while the attempt waited.
    Cancelled,
    /// The request's estimate did not fit `--max-cost`; dispatching has stopped.
    OverBudget,
    /// The key is parked and the call hands its row back.
    Parked,
    /// The key (or its model) left the pool.
    Gone,
}

pub enum Sent<T> {
    Answered(Answer<T>),
    /// The attempt failed; the key has taken the consequences (parked, removed), the row's fate
    /// is the caller's ([`Shared::retry_or_fail`]).
    Failed(ProviderError),
    NotSent(Unsent),
}

/// Sends one request of `job`'s row on `lane` and judges the answer with `check`, in this order:
///
/// 1. wait while the key is parked (or hand the row back), then for the key's request limiter
///    (unless `admission` covers it) and its token limit;
/// 2. take a `--max-inflight` permit, only now that the key lets the request go, so lanes
///    waiting on a slow or parked key never hold permits the other providers could use;
/// 3. reserve the request's estimated cost under `--max-cost`;
/// 4. send;
/// 5. observe what the answer says about the key (reported limits, the gate's signal);
/// 6. count it (requests, latency, tokens) and book its cost, settling the reservation;
/// 7. classify it: a provider error, or an answer `check` rejects, is a failure whose key
///    consequences (parking, leaving the pool) are applied here; the row's are the caller's;
/// 8. write its line in `--log`.
///
/// Every wait gives way to cancellation, so Ctrl-C never waits out a park or a limiter.
pub async fn attempt<S, T>(
    shared: &Shared<S>,
    lane: usize,
    job: &mut Job<S>,
    call: Call<'_>,
    admission: &mut Admission,
    check: impl FnOnce(&Completion) -> Result<T, String>,
) -> Sent<T> {
    let Call {
        target,
        step,
        mut request,
        output_estimate,
        on_parked,
    } = call;
    let key = &target.key;
    let input_estimate = estimate_input_tokens(&request);

    // 1. The key.
    loop {
        if !key.serves(&target.model) {
            return Sent::NotSent(Unsent::Gone);
        }
        let Some(until) = key.parked_until() else {
            break;
        };
        shared.stats.mark_parked(target.provider, until);
        if on_parked == OnParked::HandBack {
            return Sent::NotSent(Unsent::Parked);
        }
        tokio::select! {
            _ = tokio::time::sleep_until(until) => {}
            _ = shared.dispatcher.cancelled() => return Sent::NotSent(Unsent::Cancelled),
        }
    }
    if !admission.spend(key) {
        tokio::select! {
            _ = key.until_ready(0) => {}
            _ = shared.dispatcher.cancelled() => return Sent::NotSent(Unsent::Cancelled),
        }
    }
    let charged_tokens = if key.has_token_limit() {
        let estimate = input_estimate + output_estimate;
        tokio::select! {
            _ = key.charge_tokens(estimate) => {}
            _ = shared.dispatcher.cancelled() => return Sent::NotSent(Unsent::Cancelled),
        }
        estimate
    } else {
        0
    };

    // 2. The run's in-flight cap.
    let _inflight = match &shared.inflight {
        Some(cap) => tokio::select! {
            permit = cap.acquire() => permit.ok(),
            _ = shared.dispatcher.cancelled() => return Sent::NotSent(Unsent::Cancelled),
        },
        None => None,
    };

    // 3. The budget.
    let Some(reserved_usd) = reserve_budget(shared, target.price, input_estimate, output_estimate)
    else {
        return Sent::NotSent(Unsent::OverBudget);
    };

    // 4. Send, abandoning the request at its learnt deadline (the adapter's timeout).
    let hard_timeout = request.timeout;
    let deadline = shared
        .deadlines
        .deadline(
            target.provider,
            &target.model,
            step,
            request.max_output_tokens,
            job.deadline_misses,
        )
        .filter(|deadline| deadline.after < hard_timeout);
    if let Some(deadline) = deadline {
        request.timeout = deadline.after;
    }
    let stats = &shared.stats.providers[target.provider];
    job.record_try(lane, target.provider);
    stats.in_flight.fetch_add(1, Relaxed);
    shared.stats.sending(lane, Some(&job.row.id));
    let started = Instant::now();
    let mut answer = target.client.complete(&request).await;
    let latency = started.elapsed();
    shared.stats.sending(lane, None);
    stats.in_flight.fetch_sub(1, Relaxed);
    match (&mut answer, deadline) {
        (Ok(completion), _) => shared.deadlines.answered(
            target.provider,
            &target.model,
            step,
            latency,
            completion.output_tokens,
            request.max_output_tokens,
        ),
        (Err(error), Some(deadline)) if error.kind == FailureKind::Timeout => {
            job.deadline_misses += 1;
            shared
                .deadlines
                .abandoned(target.provider, &target.model, step);
            error.message = abandoned_message(&deadline, hard_timeout);
            crate::verbose::say(1, || {
                format!("row {} on lane {lane}: {}", job.row.id, error.message)
            });
        }
        _ => {}
    }

    // 5. What the answer says about the key.
    target.observe(&shared.stats, latency, &answer);

    // 6. Count and book.
    stats.requests.fetch_add(1, Relaxed);
    stats
        .latency_ms_total
        .fetch_add(latency.as_millis() as u64, Relaxed);
    let billed_usd = account(shared, job, target, reserved_usd, &answer);

    // 7. Classify.
    let judged = answer.and_then(|completion| match check(&completion) {
        Ok(value) => Ok((value, completion)),
        // Billed like a good answer (already booked above); kept for the caller's accounts.
        Err(message) => {
            let mut error = ProviderError::new(FailureKind::InvalidOutput, message)
                .with_billed(Some(completion.usage()));
            // The provider answered fine; the answer failed the task's check.
            error.status = target.client.over_http().then_some(200);
            Err(error)
        }
    });
    // 8. The request log (the row is passed in: the failure arm changes it first).
    let logged = |job: &Job<S>,
                  outcome: Result<&Completion, &ProviderError>,
                  parked_until: Option<Instant>| {
        if let Some(log) = &shared.log {
            let attempt = Attempted {
                shared,
                lane,
                job,
                target,
                latency,
                billed_usd,
            };
            log.write(&attempt.entry(&step.label(), outcome, parked_until));
        }
    };
    match judged {
        Ok((value, completion)) => {
            key.record_success();
            let parked = completion.exhausted_for.map(|rest| {
                let until = key.park(Some(rest));
                shared.stats.mark_parked(target.provider, until);
                crate::verbose::say(1, || {
                    format!(
                        "{} parked for {:.1} s: its headers say nothing is left until then",
                        key.label,
                        rest.as_secs_f64()
                    )
                });
                until
            });
            logged(job, Ok(&completion), parked);
            let used = completion.input_tokens + completion.output_tokens;
            key.owe_tokens(used.saturating_sub(charged_tokens));
            Sent::Answered(Answer {
                value,
                completion,
                latency,
                billed_usd,
            })
        }
        Err(error) => {
            stats.record_error(error.kind);
            match error.kind {
                FailureKind::Truncated => job.cuts += 1,
                FailureKind::ReasoningExhausted => {
                    job.cuts += 1;
                    job.reasoning_cuts += 1;
                }
                _ => {}
            }
            let parked = penalize_key(shared, target, &error);
            logged(job, Err(&error), parked);
            Sent::Failed(error)
        }
    }
}

fn abandoned_message(deadline: &Deadline, hard_timeout: Duration) -> String {
    use crate::duration::human;
    format!(
        "no answer within {} while this step's good answers take up to {} (the 99th percentile \
         of its last {}): abandoned; --timeout {} is the ceiling",
        human(deadline.after),
        human(deadline.p99),
        deadline.answers,
        human(hard_timeout)
    )
}

/// What the request log needs of a finished attempt.
struct Attempted<'a, S> {
    shared: &'a Shared<S>,
    lane: usize,
    job: &'a Job<S>,
    target: &'a Target,
    latency: Duration,
    billed_usd: f64,
}

impl<S> Attempted<'_, S> {
    /// The attempt's line in `--log`.
    fn entry<'b>(
        &'b self,
        label: &'b str,
        outcome: Result<&'b Completion, &'b ProviderError>,
        parked_until: Option<Instant>,
    ) -> Entry<'b> {
        let usage = match outcome {
            Ok(completion) => Some(completion.usage()),
            Err(error) => error.billed,
        };
        Entry {
            row_id: &self.job.row.id,
            attempt: self.job.attempts,
            step: label,
            provider: &self.shared.providers[self.target.provider].name,
            model: &self.target.model,
            key: &self.target.key.label,
            lane: self.lane,
            status: match outcome {
                Ok(_) => self.target.client.over_http().then_some(200),
                Err(error) => error.status,
            },
            outcome: match outcome {
                Ok(_) => "ok",
                Err(error) => error.kind.as_str(),
            },
            error: outcome.err().map(|error| error.message.as_str()),
            latency: self.latency,
            input_tokens: usage.map(|u| u.input_tokens),
            output_tokens: usage.map(|u| u.output_tokens),
            reasoning_tokens: usage.map(|u| u.reasoning_tokens),
            // Unknown, not $0, when billed on a model without a price.
            cost_usd: match (usage, self.target.price) {
                (Some(_), None) => None,
                _ => Some(self.billed_usd),
            },
            retry_after: outcome.err().and_then(|error| error.retry_after),
            parked_until: parked_until.map(|until| {
                std::time::SystemTime::now() + until.saturating_duration_since(Instant::now())
            }),
        }
    }
}

/// A failure's consequence for the key that answered: parked until its reset, or out of the pool
/// (for an unknown model, only that model's lanes of the key). Returns when it is parked until.
fn penalize_key<S>(shared: &Shared<S>, target: &Target, error: &ProviderError) -> Option<Instant> {
    let key = &target.key;
    match retry::decide(error.kind).key {
        KeyAction::None => None,
        KeyAction::Park => {
            let until = key.park(error.retry_after);
            shared.stats.mark_parked(target.provider, until);
            crate::verbose::say(1, || {
                format!(
                    "{} parked for {:.1} s ({error})",
                    key.label,
                    until
                        .saturating_duration_since(Instant::now())
                        .as_secs_f64()
                )
            });
            Some(until)
        }
        KeyAction::Remove => {
            let model = &target.model;
            // An unknown model is the model's problem, not the key's: a gateway serving several
            // models keeps the others.
            let reason = if error.kind == FailureKind::ModelNotFound {
                key.remove_model(model)
                    .then(|| format!("{} left the pool for model `{model}`: {error}", key.label))
            } else if !key.is_removed() {
                key.remove();
                Some(format!("{} left the pool: {error}", key.label))
            } else {
                None
            };
            if let Some(reason) = reason {
                crate::verbose::notice(&reason);
                shared
                    .removals
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(reason);
            }
            None
        }
    }
}

/// The reasoning and cap of a row's next request for `step` on `provider`'s model: the policy's
/// setting, lowered after repeated reasoning cuts, and room for it that doubles after each cut.
pub fn sizing<S>(
    shared: &Shared<S>,
    thinking: &Thinking,
    provider: usize,
    step: Step,
    answer_tokens: u32,
    job: &Job<S>,
) -> (Choice, u32) {
    let setting = after_cuts(shared.reasoning.setting(provider, step), job.reasoning_cuts);
    thinking.size(setting, answer_tokens, job.cuts)
}

/// Books what an answered attempt cost, whatever became of it: the tokens the provider billed (a
/// cut, empty or invalid answer is billed like a good one) go to the row, the provider's counters
/// and the `--max-cost` budget, which releases the attempt's reservation. Returns the USD billed.
fn account<S>(
    shared: &Shared<S>,
    job: &mut Job<S>,
    target: &Target,
    reserved_usd: f64,
    answer: &Result<Completion, ProviderError>,
) -> f64 {
    let usage = match answer {
        Ok(completion) => Some(completion.usage()),
        Err(error) => error.billed,
    };
    let billed = match (usage, target.price) {
        (Some(usage), Some(price)) => cost_usd(price, usage.input_tokens, usage.output_tokens),
        (Some(_), None) => {
            job.unpriced = true;
            shared.stats.providers[target.provider]
                .unpriced
                .store(true, Relaxed);
            0.0
        }
        (None, _) => 0.0,
    };
    if let Some(budget) = &shared.budget {
        budget.settle(reserved_usd, billed);
    }
    let stats = &shared.stats.providers[target.provider];
    stats.add_cost(billed);
    if let Some(usage) = usage {
        stats.input_tokens.fetch_add(usage.input_tokens, Relaxed);
        stats.output_tokens.fetch_add(usage.output_tokens, Relaxed);
        stats
            .reasoning_tokens
            .fetch_add(usage.reasoning_tokens, Relaxed);
    }
    job.cost_usd += billed;
    billed
}

/// Reserves `--max-cost` budget for one request of about these token counts and returns the
/// amount reserved; `None` when it would pass the limit: dispatching stops, and the caller leaves
/// its row (and the rest) for `--resume`.
fn reserve_budget<S>(
    shared: &Shared<S>,
    price: Option<(f64, f64)>,
    input_tokens: u64,
    output_tokens: u64,
) -> Option<f64> {
    let Some(budget) = &shared.budget else {
        return Some(0.0);
    };
    // The plan refuses --max-cost for a model without a price; should one get here, it is
    // reserved at nothing rather than refused mid-run.
    let estimate = price.map_or(0.0, |price| cost_usd(price, input_tokens, output_tokens));
    if budget.try_reserve(estimate) {
        return Some(estimate);
    }
    shared.budget_reached.store(true, Relaxed);
    shared.dispatcher.cancel();
    None
}

/// USD for a request at `price` (USD per million input and output tokens).
pub fn cost_usd((input, output): (f64, f64), input_tokens: u64, output_tokens: u64) -> f64 {
    (input_tokens as f64 * input + output_tokens as f64 * output) / 1e6
}
