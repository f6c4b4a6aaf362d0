//! The state one (provider, key) shares between its lanes: request and token limiters, the time it
//! is parked until after a rate limit, and whether it has left the pool.
//!
//! Every clock here is tokio's, limiters included, so the scheduling runs on a paused clock in
//! tests exactly as it runs for real.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::time::Instant;

use crate::engine::retry::key_backoff;

/// governor's cells measured on tokio's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    type Instant = std::time::Instant;

    fn now(&self) -> std::time::Instant {
        Instant::now().into_std()
    }
}

type Limiter = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<std::time::Instant>>;

fn limiter(quota: Quota) -> Limiter {
    RateLimiter::direct_with_clock(quota, TokioClock)
}

/// Waits until `limiter` lets one request through.
async fn one_cell(limiter: &Limiter) {
    while let Err(not_until) = limiter.check() {
        tokio::time::sleep(not_until.wait_time_from(TokioClock.now())).await;
    }
}

/// Waits until `limiter` lets `n` cells through at once (`n` within its burst).
async fn cells(limiter: &Limiter, n: NonZeroU32) {
    while let Ok(Err(not_until)) = limiter.check_n(n) {
        tokio::time::sleep(not_until.wait_time_from(TokioClock.now())).await;
    }
}

pub struct KeyState {
    /// `provider` or `provider key 2`, for messages; never the key itself.
    pub label: String,
    /// Replaced when the provider reports a lower limit than the one configured (or the first).
    requests: RwLock<Option<Arc<Limiter>>>,
    /// The request limit in force, per minute; 0 when none.
    rpm: AtomicU32,
    tokens: Option<(Limiter, NonZeroU32)>,
    /// Tokens answers used beyond their estimate, charged to the key's next request.
    token_debt: AtomicU64,
    parked_until: Mutex<Option<Instant>>,
    /// Set by a park, taken by the first lane that wakes from it (for `-v`).
    park_unannounced: AtomicBool,
    consecutive_limits: AtomicU32,
    removed: AtomicBool,
    /// Models this key cannot serve (the provider or its gateway does not know them); its lanes
    /// of other models go on.
    removed_models: Mutex<Vec<String>>,
}

impl KeyState {
    /// `rpm` and `tpm` are per key. The request burst is the key's lane count, so a run starts
    /// with every lane busy and then settles to the steady rate rather than firing a minute's
    /// quota at once.
    pub fn new(label: String, rpm: Option<u32>, tpm: Option<u64>, lanes: u32) -> Self {
        let requests = rpm.and_then(NonZeroU32::new).map(|rpm| {
            let burst = NonZeroU32::new(lanes.clamp(1, rpm.get())).unwrap_or(NonZeroU32::MIN);
            Arc::new(limiter(Quota::per_minute(rpm).allow_burst(burst)))
        });
        let tokens = tpm
            .and_then(|tpm| NonZeroU32::new(tpm.min(u64::from(u32::MAX)) as u32))
            .map(|tpm| (limiter(Quota::per_minute(tpm)), tpm));
        KeyState {
            label,
            requests: RwLock::new(requests),
            rpm: AtomicU32::new(rpm.unwrap_or(0)),
            tokens,
            token_debt: AtomicU64::new(0),
            parked_until: Mutex::new(None),
            park_unannounced: AtomicBool::new(false),
            consecutive_limits: AtomicU32::new(0),
            removed: AtomicBool::new(false),
            removed_models: Mutex::new(Vec::new()),
        }
    }

    /// Waits until the key may send one more request of about `estimated_tokens`.
    pub async fn until_ready(&self, estimated_tokens: u64) {
        let limiter = self
            .requests
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(limiter) = limiter {
            one_cell(&limiter).await;
        }
        self.charge_tokens(estimated_tokens).await;
    }

    /// Waits until the key's token budget covers `tokens` and whatever earlier answers used
    /// beyond their estimates, and charges them.
    pub async fn charge_tokens(&self, tokens: u64) {
        let Some((limiter, capacity)) = &self.tokens else {
            return;
        };
        let tokens = tokens.saturating_add(self.token_debt.swap(0, Ordering::AcqRel));
        let tokens = tokens.min(u64::from(capacity.get())) as u32;
        if let Some(n) = NonZeroU32::new(tokens) {
            // n never exceeds the burst (clamped above), so the batch always fits in the end.
            cells(limiter, n).await;
        }
    }

    /// An answer used `tokens` more than was charged for it: the key's next request pays them
    /// (the answer itself is not held back for them).
    pub fn owe_tokens(&self, tokens: u64) {
        if self.tokens.is_some() && tokens > 0 {
            self.token_debt.fetch_add(tokens, Ordering::AcqRel);
        }
    }

    /// The provider reported the key's request limit: hold to it from now on, when it is the
    /// first limit known or lower than the configured one. The burst is one second's worth, so
    /// a provider's bucket is never emptied in one go.
    pub fn learn_rpm(&self, rpm: u32) {
        let Some(limit) = NonZeroU32::new(rpm) else {
            return;
        };
        let current = self.rpm.load(Ordering::Acquire);
        if current != 0 && current <= rpm {
            return;
        }
        let burst = NonZeroU32::new((rpm / 60).max(1)).unwrap_or(NonZeroU32::MIN);
        let limiter = Arc::new(limiter(Quota::per_minute(limit).allow_burst(burst)));
        *self.requests.write().unwrap_or_else(|e| e.into_inner()) = Some(limiter);
        self.rpm.store(rpm, Ordering::Release);
    }

    /// The request limit in force, per minute.
    pub fn rpm(&self) -> Option<u32> {
        NonZeroU32::new(self.rpm.load(Ordering::Acquire)).map(NonZeroU32::get)
    }

    pub fn has_token_limit(&self) -> bool {
        self.tokens.is_some()
    }

    pub fn parked_until(&self) -> Option<Instant> {
        let mut parked = self.parked_until.lock().unwrap_or_else(|e| e.into_inner());
        match *parked {
            Some(until) if until > Instant::now() => Some(until),
            Some(_) => {
                *parked = None;
                None
            }
            None => None,
        }
    }

    /// Parks the key until the provider's reset, or for a growing backoff when it named none.
    /// Returns the time it is parked until.
    pub fn park(&self, retry_after: Option<Duration>) -> Instant {
        let consecutive = self.consecutive_limits.fetch_add(1, Ordering::Relaxed) + 1;
        let rest = retry_after.unwrap_or_else(|| key_backoff(consecutive));
        let until = Instant::now() + rest;
        let mut parked = self.parked_until.lock().unwrap_or_else(|e| e.into_inner());
        let later = parked.map_or(until, |current| current.max(until));
        *parked = Some(later);
        self.park_unannounced.store(true, Ordering::Relaxed);
        later
    }

    /// True for the first caller after the key's park: the one lane that says it is back.
    pub fn back_from_park(&self) -> bool {
        self.park_unannounced.swap(false, Ordering::Relaxed)
    }

    /// A clean answer: the next rate limit starts the backoff from the beginning.
    pub fn record_success(&self) {
        self.consecutive_limits.store(0, Ordering::Relaxed);
    }

    pub fn remove(&self) {
        self.removed.store(true, Ordering::Relaxed);
    }

    pub fn is_removed(&self) -> bool {
        self.removed.load(Ordering::Relaxed)
    }

    /// Takes `model` out of this key's pool; returns false when it was already out.
    pub fn remove_model(&self, model: &str) -> bool {
        let mut models = self
            .removed_models
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if models.iter().any(|m| m == model) {
            return false;
        }
        models.push(model.to_string());
        true
    }

    /// Whether the key still serves `model`: it is in the pool and the model was not refused.
    pub fn serves(&self, model: &str) -> bool {
        !self.is_removed()
            && !self
                .removed_models
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .any(|m| m == model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parking_keeps_the_latest_reset_and_backs_off_without_one() {
        let key = KeyState::new("mock".into(), None, None, 1);
        assert!(key.parked_until().is_none());
        let first = key.park(Some(Duration::from_secs(30)));
        let second = key.park(Some(Duration::from_secs(1)));
        assert_eq!(first, second, "a shorter reset must not shorten the park");
        let fresh = KeyState::new("mock".into(), None, None, 1);
        let before = Instant::now();
        let until = fresh.park(None);
        assert!(until >= before + Duration::from_secs(1));
        let until = fresh.park(None);
        assert!(until >= before + Duration::from_secs(2));
        fresh.record_success();
        assert!(fresh.park(None) < before + Duration::from_secs(3));
    }

    #[test]
    fn an_expired_park_clears_itself() {
        let key = KeyState::new("mock".into(), None, None, 1);
        key.park(Some(Duration::ZERO));
        assert!(key.parked_until().is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn token_charges_wait_once_the_minute_budget_is_spent() {
        let key = KeyState::new("mock".into(), None, Some(600), 1);
        assert!(key.has_token_limit());
        let quick = tokio::time::timeout(Duration::from_millis(200), key.charge_tokens(600)).await;
        assert!(quick.is_ok(), "a minute's budget is available at once");
        let starved = tokio::time::timeout(Duration::from_millis(100), key.charge_tokens(60)).await;
        assert!(
            starved.is_err(),
            "60 more tokens at 10/s must wait about 6 s"
        );
        // A charge above the whole budget is clamped rather than refused forever.
        let fresh = KeyState::new("mock".into(), None, Some(100), 1);
        let clamped =
            tokio::time::timeout(Duration::from_millis(200), fresh.charge_tokens(10_000)).await;
        assert!(clamped.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn burst_is_the_lane_count_then_the_steady_rate() {
        let key = KeyState::new("mock".into(), Some(60), None, 3);
        let limiter = key.requests.read().unwrap().clone().unwrap();
        for _ in 0..3 {
            assert!(limiter.check().is_ok());
        }
        assert!(
            limiter.check().is_err(),
            "a fourth request must wait for the 1/s refill"
        );
    }

    /// The limiter keeps tokio's time: on a paused clock, requests are let through exactly at
    /// the quota's pace, with no real second spent.
    #[tokio::test(start_paused = true)]
    async fn the_request_limiter_runs_on_tokios_clock() {
        let key = KeyState::new("mock".into(), Some(60), None, 1);
        let start = Instant::now();
        let mut admitted = Vec::new();
        for _ in 0..3 {
            key.until_ready(0).await;
            admitted.push(start.elapsed());
        }
        let seconds: Vec<u64> = admitted.iter().map(|d| d.as_millis() as u64).collect();
        assert_eq!(seconds, [0, 1000, 2000]);
    }
}
