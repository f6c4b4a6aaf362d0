//! `--max-cost`: spend so far plus the estimate of every request in flight may not pass the
//! limit. A lane reserves its request's estimate before sending and settles it with the real cost
//! from usage afterwards; when a reservation does not fit, the run stops dispatching.

use std::sync::atomic::{AtomicU64, Ordering};

/// Amounts are kept in millionths of a USD so they fit an atomic.
pub struct Budget {
    limit: u64,
    committed: AtomicU64,
}

fn micro(usd: f64) -> u64 {
    (usd.max(0.0) * 1e6).round() as u64
}

impl Budget {
    pub fn new(limit_usd: f64) -> Self {
        Budget {
            limit: micro(limit_usd),
            committed: AtomicU64::new(0),
        }
    }

    /// Reserves `estimate_usd`; false (and nothing reserved) when it would pass the limit.
    pub fn try_reserve(&self, estimate_usd: f64) -> bool {
        let estimate = micro(estimate_usd);
        self.committed
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |committed| {
                let next = committed.saturating_add(estimate);
                (next <= self.limit).then_some(next)
            })
            .is_ok()
    }

    /// Replaces a reservation with what the request really cost (0 when it failed unbilled).
    pub fn settle(&self, estimate_usd: f64, actual_usd: f64) {
        let (estimate, actual) = (micro(estimate_usd), micro(actual_usd));
        let _ = self
            .committed
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |committed| {
                Some(committed.saturating_sub(estimate).saturating_add(actual))
            });
    }

    pub fn limit_usd(&self) -> f64 {
        self.limit as f64 / 1e6
    }

    pub fn committed_usd(&self) -> f64 {
        self.committed.load(Ordering::Acquire) as f64 / 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_stop_at_the_limit_and_settle_to_the_real_cost() {
        let budget = Budget::new(1.0);
        assert!(budget.try_reserve(0.6));
        assert!(!budget.try_reserve(0.6), "0.6 + 0.6 would pass 1.0");
        assert!(budget.try_reserve(0.4));
        budget.settle(0.6, 0.1);
        assert!((budget.committed_usd() - 0.5).abs() < 1e-9);
        assert!(budget.try_reserve(0.5));
        assert!(!budget.try_reserve(0.000_001));
    }
}
