//! Per-key request limits as OpenAI and Anthropic enforce them: a token bucket that refills
//! continuously at `rpm / 60` requests per second and holds a burst of `max(1, rpm / 60 × 2)`.
//! Pure arithmetic over the `Instant`s it is given, so its tests need no clock.

use std::time::{Duration, Instant};

/// What a limited key's answers say about its request budget (`x-ratelimit-*-requests`,
/// `anthropic-ratelimit-requests-*`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RequestBudget {
    /// Requests per minute.
    pub limit: u32,
    /// Whole requests the key may send right now.
    pub remaining: u32,
    /// Until the bucket is full again.
    pub reset: Duration,
}

/// One key's bucket.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rpm: u32,
    tokens: f64,
    updated: Instant,
}

/// Why a request was refused: the budget after it, and the wait until one request fits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Refused {
    pub budget: RequestBudget,
    pub wait: Duration,
}

impl TokenBucket {
    /// A full bucket for `rpm` requests per minute (at least 1).
    pub fn new(rpm: u32, now: Instant) -> Self {
        assert!(
            rpm > 0,
            "a limit of 0 requests per minute refuses everything"
        );
        let mut bucket = TokenBucket {
            rpm,
            tokens: 0.0,
            updated: now,
        };
        bucket.tokens = bucket.capacity();
        bucket
    }

    /// Requests per second.
    fn rate(&self) -> f64 {
        f64::from(self.rpm) / 60.0
    }

    /// Two seconds' worth, and at least one request.
    pub fn capacity(&self) -> f64 {
        (self.rate() * 2.0).max(1.0)
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate()).min(self.capacity());
        self.updated = self.updated.max(now);
    }

    fn budget(&self) -> RequestBudget {
        let missing = self.capacity() - self.tokens;
        RequestBudget {
            limit: self.rpm,
            remaining: self.tokens.floor() as u32,
            reset: Duration::from_secs_f64((missing / self.rate()).max(0.0)),
        }
    }

    /// Spends one request at `now`, or says how long until one fits.
    pub fn take(&mut self, now: Instant) -> Result<RequestBudget, Refused> {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(self.budget())
        } else {
            let wait = Duration::from_secs_f64((1.0 - self.tokens) / self.rate());
            Err(Refused {
                budget: self.budget(),
                wait,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_spends_the_capacity_then_waits_for_the_refill() {
        let start = Instant::now();
        // 600 rpm: 10 per second, 20 at once.
        let mut bucket = TokenBucket::new(600, start);
        for left in (0..20).rev() {
            let budget = bucket.take(start).unwrap();
            assert_eq!((budget.limit, budget.remaining), (600, left));
        }
        assert_eq!(
            bucket.take(start).unwrap_err().budget.reset,
            Duration::from_secs(2)
        );
        let refused = bucket.take(start).unwrap_err();
        assert_eq!(refused.wait, Duration::from_millis(100));
        assert_eq!(refused.budget.remaining, 0);
        // 150 ms later one request has refilled, not two.
        let later = start + Duration::from_millis(150);
        assert!(bucket.take(later).is_ok());
        assert!(bucket.take(later).is_err());
    }

    #[test]
    fn slow_limits_hold_one_request_and_refill_to_capacity_only() {
        let start = Instant::now();
        // 12 rpm: one every 5 s, a burst of one.
        let mut bucket = TokenBucket::new(12, start);
        assert_eq!(bucket.capacity(), 1.0);
        assert!(bucket.take(start).is_ok());
        let refused = bucket.take(start + Duration::from_secs(1)).unwrap_err();
        assert_eq!(refused.wait, Duration::from_secs(4));
        let much_later = start + Duration::from_secs(600);
        assert_eq!(bucket.take(much_later).unwrap().remaining, 0);
        assert!(bucket.take(much_later).is_err());
    }
}
