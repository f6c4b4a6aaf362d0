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

use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize};
use std::sync::{Arc, RwLock};
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

/// The learnt deadlines of one run. Every attempt reads one and every good answer adds to one,
/// from all lanes at once: a step's history is atomics, and the list of steps is locked for
/// writing only when a step gets its first answer.
#[derive(Default)]
pub struct Deadlines {
    steps: RwLock<Vec<Arc<History>>>,
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

/// One (provider, model, step). Answers recorded while the percentile is computed may be read
/// half-written: a sample more or less does not move a 99th percentile.
struct History {
    provider: usize,
    model: String,
    step: Step,
    /// Latencies of recent good answers (a ring of `WINDOW`), in microseconds.
    latencies: Box<[AtomicU32]>,
    /// Their output tokens per second (`f32` bits), same order.
    rates: Box<[AtomicU32]>,
    /// Good answers recorded so far (the ring's next slot is this modulo `WINDOW`).
    answers: AtomicUsize,
    /// The largest output cap a good answer was timed with.
    max_cap: AtomicU32,
    /// The learnt 99th percentile in microseconds; 0 until there are `MIN_ANSWERS`.
    p99_micros: AtomicU64,
    /// The slowest output rate seen (its 1st percentile), `f32` bits.
    slow_rate: AtomicU32,
    /// How many answers the percentile was taken over.
    learnt_over: AtomicUsize,
    stretch: AtomicU32,
    /// Attempts settled (good or abandoned) and abandoned since the share was last counted.
    settled: AtomicU32,
    abandoned: AtomicU32,
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
        let history = self.find(provider, model, step)?;
        let p99 = history.p99_micros.load(Relaxed);
        if p99 == 0 {
            return None;
        }
        let p99 = Duration::from_micros(p99);
        let mut after = (p99 * MULTIPLE).max(FLOOR) * history.stretch.load(Relaxed);
        let max_cap = history.max_cap.load(Relaxed);
        let slow_rate = f32::from_bits(history.slow_rate.load(Relaxed));
        if cap > max_cap && slow_rate > 0.0 {
            let extra_tokens = (cap - max_cap) as f32;
            after += Duration::from_secs_f32(extra_tokens / slow_rate);
        }
        Some(Deadline {
            after: after.saturating_mul(1 << misses.min(16)),
            p99,
            answers: history.learnt_over.load(Relaxed),
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
        let history = match self.find(provider, model, step) {
            Some(history) => history,
            None => {
                let mut steps = self.steps.write().unwrap_or_else(|e| e.into_inner());
                // Another lane may have added it meanwhile.
                match steps.iter().find(|h| h.is(provider, model, step)) {
                    Some(history) => history.clone(),
                    None => {
                        let history = Arc::new(History::new(provider, model, step));
                        steps.push(history.clone());
                        history
                    }
                }
            }
        };
        history.add(latency, output_tokens, cap);
    }

    /// An attempt abandoned at its deadline.
    pub fn abandoned(&self, provider: usize, model: &str, step: Step) {
        if let Some(history) = self.find(provider, model, step) {
            history.abandoned.fetch_add(1, Relaxed);
            history.settled.fetch_add(1, Relaxed);
            history.maybe_stretch();
        }
    }

    fn find(&self, provider: usize, model: &str, step: Step) -> Option<Arc<History>> {
        let steps = self.steps.read().unwrap_or_else(|e| e.into_inner());
        steps.iter().find(|h| h.is(provider, model, step)).cloned()
    }
}

impl History {
    fn new(provider: usize, model: &str, step: Step) -> Self {
        let ring = || (0..WINDOW).map(|_| AtomicU32::new(0)).collect();
        History {
            provider,
            model: model.to_string(),
            step,
            latencies: ring(),
            rates: ring(),
            answers: AtomicUsize::new(0),
            max_cap: AtomicU32::new(0),
            p99_micros: AtomicU64::new(0),
            slow_rate: AtomicU32::new(0),
            learnt_over: AtomicUsize::new(0),
            stretch: AtomicU32::new(1),
            settled: AtomicU32::new(0),
            abandoned: AtomicU32::new(0),
        }
    }

    fn is(&self, provider: usize, model: &str, step: Step) -> bool {
        self.provider == provider && self.step == step && self.model == model
    }

    fn add(&self, latency: Duration, output_tokens: u64, cap: u32) {
        let micros = u32::try_from(latency.as_micros())
            .unwrap_or(u32::MAX)
            .max(1);
        let rate = output_tokens as f32 / (micros as f32 / 1e6);
        let n = self.answers.fetch_add(1, Relaxed);
        self.latencies[n % WINDOW].store(micros, Relaxed);
        self.rates[n % WINDOW].store(rate.to_bits(), Relaxed);
        self.max_cap.fetch_max(cap, Relaxed);
        // The abandoned share is of recent attempts, not of the whole run.
        if self.settled.fetch_add(1, Relaxed) + 1 >= SHARE_OVER {
            self.settled.store(0, Relaxed);
            self.abandoned.store(0, Relaxed);
        }
        let answers = n + 1;
        if answers == MIN_ANSWERS || (answers > MIN_ANSWERS && answers % RECOMPUTE_EVERY == 0) {
            self.recompute(answers.min(WINDOW));
        }
    }

    fn recompute(&self, filled: usize) {
        let mut latencies: Vec<u32> = self.latencies[..filled]
            .iter()
            .map(|l| l.load(Relaxed))
            .collect();
        let at = percentile_index(filled, 0.99);
        let (_, p99, _) = latencies.select_nth_unstable(at);
        let mut rates: Vec<f32> = self.rates[..filled]
            .iter()
            .map(|r| f32::from_bits(r.load(Relaxed)))
            .collect();
        let at = percentile_index(filled, 0.01);
        let (_, slow_rate, _) = rates.select_nth_unstable_by(at, f32::total_cmp);
        self.slow_rate.store(slow_rate.to_bits(), Relaxed);
        self.learnt_over.store(filled, Relaxed);
        self.p99_micros.store(u64::from((*p99).max(1)), Relaxed);
    }

    fn maybe_stretch(&self) {
        let settled = self.settled.load(Relaxed);
        let abandoned = self.abandoned.load(Relaxed);
        if settled >= MIN_ANSWERS as u32 && abandoned * STRETCH_WHEN_ONE_IN > settled {
            self.settled.store(0, Relaxed);
            self.abandoned.store(0, Relaxed);
            let stretch = self.stretch.load(Relaxed).saturating_mul(2).min(1 << 10);
            self.stretch.store(stretch, Relaxed);
            crate::verbose::say(1, || {
                format!(
                    "answers of {} slowed down: its attempts now wait {stretch}× longer before \
                     they are abandoned",
                    self.model
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
