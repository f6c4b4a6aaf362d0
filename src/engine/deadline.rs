//! Deadlines learnt from the provider: a hung request costs seconds, not the whole `--timeout`.
//!
//! Per (provider, model, step) the run keeps the latency of its recent good answers. Once there
//! are [`MIN_ANSWERS`] of them, an attempt is abandoned when it runs past [`MULTIPLE`] times their
//! 99th percentile (never sooner than [`FLOOR`]); `--timeout` stays the hard ceiling. The row goes
//! back to the queue as a `timeout`, for another lane where there is one.
//!
//! Nothing is sent twice at once: an abandoned request is dropped (its connection closed) before
//! the row is queued again, so no second answer can land for it. What the provider may have
//! generated for the dropped request is the price of not waiting; the margins keep it rare:
//!
//! - a row abandoned once gets twice the deadline on its next attempt, four times on the one
//!   after, so a row always ends within its attempts and a slow row is not cut again and again;
//! - an attempt given more output room than any timed answer had (a retry after a cut doubles
//!   the cap) gets the extra tokens' time at the slowest output rate seen;
//! - when more than one attempt in [`STRETCH_WHEN_ONE_IN`] is abandoned, the provider has slowed
//!   down rather than hung: the step's deadlines double.
//!
//! gen does not stream: the providers' non-streaming answers carry the usage and the whole JSON
//! at once, and a deadline learnt per step catches a stall before the first byte and one in the
//! middle of an answer alike, without parsing server-sent events on every request.

use std::sync::Mutex;
use std::time::Duration;

use crate::tasks::reasoning::Step;

/// Good answers a step needs before its attempts get a learnt deadline.
pub const MIN_ANSWERS: usize = 20;
/// A deadline is this many times the step's 99th-percentile latency...
pub const MULTIPLE: u32 = 3;
/// ...and never shorter than this: a short, fast sample says little about a provider's pauses.
pub const FLOOR: Duration = Duration::from_secs(5);
/// The good answers a step remembers: recent enough to follow a provider that slows down.
const WINDOW: usize = 256;
/// How often (in good answers) the percentile is computed again, so an attempt only reads it.
const RECOMPUTE_EVERY: usize = 16;
/// More abandoned attempts than one in this many means the provider slowed down.
const STRETCH_WHEN_ONE_IN: u32 = 20;
/// The attempts that share is counted over.
const SHARE_OVER: u32 = 400;

/// The learnt deadlines of one run.
#[derive(Default)]
pub struct Deadlines {
    steps: Mutex<Vec<History>>,
}

/// What an attempt is timed against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deadline {
    /// When to abandon the attempt.
    pub after: Duration,
    /// The step's 99th-percentile latency and the answers it is taken over, for the message.
    pub p99: Duration,
    pub answers: usize,
}

/// One (provider, model, step).
struct History {
    provider: usize,
    model: String,
    step: Step,
    /// Latencies of recent good answers (a ring of `WINDOW`), in microseconds.
    latencies: Vec<u32>,
    /// Their output tokens per second, same order.
    rates: Vec<f32>,
    next: usize,
    since_recompute: usize,
    /// The largest output cap a good answer was timed with.
    max_cap: u32,
    learnt: Option<Learnt>,
    stretch: u32,
    /// Attempts settled (good or abandoned) and abandoned since the last stretch.
    settled: u32,
    abandoned: u32,
}

#[derive(Debug, Clone, Copy)]
struct Learnt {
    p99: Duration,
    answers: usize,
    /// The slowest output rate seen (its 1st percentile), tokens per second.
    slow_rate: f32,
}

impl Deadlines {
    /// The deadline of an attempt at `step` on `model` with an output cap of `cap` tokens, for a
    /// row already abandoned `misses` times; `None` until the step has its answers.
    pub fn deadline(
        &self,
        provider: usize,
        model: &str,
        step: Step,
        cap: u32,
        misses: u32,
    ) -> Option<Deadline> {
        let steps = self.steps.lock().unwrap_or_else(|e| e.into_inner());
        let history = steps.iter().find(|h| h.is(provider, model, step))?;
        let learnt = history.learnt?;
        let mut after = (learnt.p99 * MULTIPLE).max(FLOOR) * history.stretch;
        if cap > history.max_cap && learnt.slow_rate > 0.0 {
            let extra_tokens = (cap - history.max_cap) as f32;
            after += Duration::from_secs_f32(extra_tokens / learnt.slow_rate);
        }
        Some(Deadline {
            after: after.saturating_mul(1 << misses.min(16)),
            p99: learnt.p99,
            answers: learnt.answers,
        })
    }

    /// A good answer: its latency (and output rate) joins the step's history.
    pub fn answered(
        &self,
        provider: usize,
        model: &str,
        step: Step,
        latency: Duration,
        output_tokens: u64,
        cap: u32,
    ) {
        let mut steps = self.steps.lock().unwrap_or_else(|e| e.into_inner());
        let index = match steps.iter().position(|h| h.is(provider, model, step)) {
            Some(index) => index,
            None => {
                steps.push(History::new(provider, model, step));
                steps.len() - 1
            }
        };
        steps[index].add(latency, output_tokens, cap);
    }

    /// An attempt abandoned at its deadline.
    pub fn abandoned(&self, provider: usize, model: &str, step: Step) {
        let mut steps = self.steps.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(history) = steps.iter_mut().find(|h| h.is(provider, model, step)) {
            history.abandoned += 1;
            history.settled += 1;
            history.maybe_stretch();
        }
    }
}

impl History {
    fn new(provider: usize, model: &str, step: Step) -> Self {
        History {
            provider,
            model: model.to_string(),
            step,
            latencies: Vec::with_capacity(WINDOW),
            rates: Vec::with_capacity(WINDOW),
            next: 0,
            since_recompute: 0,
            max_cap: 0,
            learnt: None,
            stretch: 1,
            settled: 0,
            abandoned: 0,
        }
    }

    fn is(&self, provider: usize, model: &str, step: Step) -> bool {
        self.provider == provider && self.step == step && self.model == model
    }

    fn add(&mut self, latency: Duration, output_tokens: u64, cap: u32) {
        let micros = u32::try_from(latency.as_micros())
            .unwrap_or(u32::MAX)
            .max(1);
        let rate = output_tokens as f32 / (micros as f32 / 1e6);
        if self.latencies.len() < WINDOW {
            self.latencies.push(micros);
            self.rates.push(rate);
        } else {
            self.latencies[self.next] = micros;
            self.rates[self.next] = rate;
        }
        self.next = (self.next + 1) % WINDOW;
        self.max_cap = self.max_cap.max(cap);
        self.settled += 1;
        // The abandoned share is of recent attempts, not of the whole run.
        if self.settled >= SHARE_OVER {
            self.settled = 0;
            self.abandoned = 0;
        }
        self.since_recompute += 1;
        let answers = self.latencies.len();
        if answers >= MIN_ANSWERS
            && (self.learnt.is_none() || self.since_recompute >= RECOMPUTE_EVERY)
        {
            self.recompute();
        }
    }

    fn recompute(&mut self) {
        self.since_recompute = 0;
        let mut latencies = self.latencies.clone();
        let at = percentile_index(latencies.len(), 0.99);
        let (_, p99, _) = latencies.select_nth_unstable(at);
        let mut rates = self.rates.clone();
        let at = percentile_index(rates.len(), 0.01);
        let (_, slow_rate, _) = rates.select_nth_unstable_by(at, f32::total_cmp);
        self.learnt = Some(Learnt {
            p99: Duration::from_micros(u64::from(*p99)),
            answers: self.latencies.len(),
            slow_rate: *slow_rate,
        });
    }

    fn maybe_stretch(&mut self) {
        if self.settled >= MIN_ANSWERS as u32 && self.abandoned * STRETCH_WHEN_ONE_IN > self.settled
        {
            self.stretch = self.stretch.saturating_mul(2).min(1 << 10);
            self.settled = 0;
            self.abandoned = 0;
            crate::verbose::say(1, || {
                format!(
                    "answers of {} slowed down: its attempts now wait {}× longer before they are \
                     abandoned",
                    self.model, self.stretch
                )
            });
        }
    }
}

/// The index of the `q` quantile among `n` sorted values.
fn percentile_index(n: usize, q: f64) -> usize {
    ((n as f64 * q).ceil() as usize).clamp(1, n) - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::Task;

    fn seo() -> Step {
        Step::Task(Task::seo())
    }

    fn learn(deadlines: &Deadlines, answers: usize, latency: Duration) {
        for _ in 0..answers {
            deadlines.answered(0, "m", seo(), latency, 100, 512);
        }
    }

    #[test]
    fn no_deadline_before_enough_answers_then_a_multiple_of_the_p99_over_the_floor() {
        let deadlines = Deadlines::default();
        learn(&deadlines, MIN_ANSWERS - 1, Duration::from_secs(4));
        assert_eq!(deadlines.deadline(0, "m", seo(), 512, 0), None);
        learn(&deadlines, 1, Duration::from_secs(4));
        let deadline = deadlines.deadline(0, "m", seo(), 512, 0).unwrap();
        assert_eq!(deadline.after, Duration::from_secs(12));
        assert_eq!(deadline.answers, MIN_ANSWERS);
        // Another model, provider or step has a history of its own.
        assert_eq!(deadlines.deadline(1, "m", seo(), 512, 0), None);
        assert_eq!(deadlines.deadline(0, "n", seo(), 512, 0), None);
        let outline = Step::Task(Task::outline());
        assert_eq!(deadlines.deadline(0, "m", outline, 512, 0), None);

        let fast = Deadlines::default();
        learn(&fast, 100, Duration::from_millis(100));
        assert_eq!(fast.deadline(0, "m", seo(), 512, 0).unwrap().after, FLOOR);
    }

    #[test]
    fn the_p99_ignores_the_slowest_percent_and_follows_recent_answers() {
        let deadlines = Deadlines::default();
        learn(&deadlines, 198, Duration::from_secs(2));
        learn(&deadlines, 2, Duration::from_secs(60));
        let p99 = deadlines.deadline(0, "m", seo(), 512, 0).unwrap().p99;
        assert_eq!(p99, Duration::from_secs(2), "2 slow answers in 200");
        // A window of slower answers replaces the older ones.
        learn(&deadlines, WINDOW, Duration::from_secs(3));
        assert_eq!(
            deadlines.deadline(0, "m", seo(), 512, 0).unwrap().p99,
            Duration::from_secs(3)
        );
    }

    #[test]
    fn a_row_abandoned_before_waits_twice_as_long_and_a_bigger_cap_gets_its_tokens_time() {
        let deadlines = Deadlines::default();
        // 100 tokens in 4 s: 25 tokens a second.
        learn(&deadlines, 50, Duration::from_secs(4));
        let at = |cap, misses| {
            deadlines
                .deadline(0, "m", seo(), cap, misses)
                .unwrap()
                .after
        };
        assert_eq!(at(512, 1), Duration::from_secs(24));
        assert_eq!(at(512, 2), Duration::from_secs(48));
        // 512 more tokens than any timed answer could write, at 25 a second.
        assert_eq!(
            at(1024, 0),
            Duration::from_secs(12) + Duration::from_secs_f32(20.48)
        );
    }

    #[test]
    fn many_abandoned_attempts_stretch_the_step_s_deadline() {
        let deadlines = Deadlines::default();
        learn(&deadlines, 40, Duration::from_secs(4));
        let before = deadlines.deadline(0, "m", seo(), 512, 0).unwrap().after;
        for _ in 0..3 {
            deadlines.abandoned(0, "m", seo());
        }
        assert_eq!(
            deadlines.deadline(0, "m", seo(), 512, 0).unwrap().after,
            before * 2
        );
    }
}
