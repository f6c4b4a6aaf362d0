//! What the engine does after a failed attempt, decided by the failure's class alone.

use std::time::Duration;

use crate::failure::FailureKind;

/// What happens to the key that answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    None,
    /// Stop using the key until the provider's reset time (or a backoff when it gave none).
    Park,
    /// The key cannot serve this run (bad key, no money, unknown model, a certificate or proxy
    /// that lets nothing through): its lanes leave the pool.
    Remove,
}

/// What happens to the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowAction {
    /// Back to the queue for any lane. `counts` says whether it uses up one of `--max-attempts`;
    /// `backoff` is how long the row waits before it may be tried again.
    Retry { counts: bool, backoff: bool },
    /// The row fails for good now.
    Fail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub key: KeyAction,
    pub row: RowAction,
}

/// The policy table. Rate limits and removed keys are not the row's fault, so they do not use up
/// its attempts: a rate-limited pool slows the run down but never fails rows.
pub fn decide(kind: FailureKind) -> Decision {
    use FailureKind::*;
    let (key, row) = match kind {
        RateLimited => (
            KeyAction::Park,
            RowAction::Retry {
                counts: false,
                backoff: false,
            },
        ),
        Overloaded => (
            KeyAction::Park,
            RowAction::Retry {
                counts: true,
                backoff: false,
            },
        ),
        Server | Timeout | Connection | Malformed | Empty => (
            KeyAction::None,
            RowAction::Retry {
                counts: true,
                backoff: true,
            },
        ),
        ContentBlocked | Truncated | ReasoningExhausted | InvalidOutput => (
            KeyAction::None,
            RowAction::Retry {
                counts: true,
                backoff: false,
            },
        ),
        // A certificate or proxy that stops this key stops it for the rest of the run.
        Auth | Quota | ModelNotFound | NetworkSetup => (
            KeyAction::Remove,
            RowAction::Retry {
                counts: false,
                backoff: false,
            },
        ),
        BadRequest | BadInput | DuplicateId | Template | NoLanes | BatchExpired
        | BatchCancelled => (KeyAction::None, RowAction::Fail),
    };
    Decision { key, row }
}

/// Exponential backoff for a row's n-th counted failure (n >= 1): 250 ms doubling to 8 s, the
/// range the official SDKs use.
pub fn row_backoff(failures: u32) -> Duration {
    let exponent = failures.saturating_sub(1).min(5);
    Duration::from_millis(250u64 << exponent).min(Duration::from_secs(8))
}

/// How long a key rests after its n-th consecutive rate limit or overload without a reset time
/// from the provider: 1 s doubling to 60 s.
pub fn key_backoff(consecutive: u32) -> Duration {
    let exponent = consecutive.saturating_sub(1).min(6);
    Duration::from_secs(1u64 << exponent).min(Duration::from_secs(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_decision_and_only_row_faults_fail_at_once() {
        for kind in FailureKind::ALL {
            let decision = decide(kind);
            if decision.row == RowAction::Fail {
                assert_eq!(decision.key, KeyAction::None, "{kind}");
            }
        }
        assert_eq!(decide(FailureKind::BadRequest).row, RowAction::Fail);
        assert_eq!(
            decide(FailureKind::RateLimited),
            Decision {
                key: KeyAction::Park,
                row: RowAction::Retry {
                    counts: false,
                    backoff: false
                }
            }
        );
        assert_eq!(decide(FailureKind::Auth).key, KeyAction::Remove);
        assert_eq!(decide(FailureKind::NetworkSetup).key, KeyAction::Remove);
        assert_eq!(decide(FailureKind::Connection).key, KeyAction::None);
    }

    #[test]
    fn backoffs_grow_and_are_capped() {
        assert_eq!(row_backoff(1), Duration::from_millis(250));
        assert_eq!(row_backoff(2), Duration::from_millis(500));
        assert_eq!(row_backoff(40), Duration::from_secs(8));
        assert_eq!(key_backoff(1), Duration::from_secs(1));
        assert_eq!(key_backoff(3), Duration::from_secs(4));
        assert_eq!(key_backoff(99), Duration::from_secs(60));
    }
}
