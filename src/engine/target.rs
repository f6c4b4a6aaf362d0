//! Where a request goes: a provider's model on one key, with the key's limiter state, its client
//! and, for an automatic lane, its gate. A lane is bound to one target; a draft's research and
//! picture stages have targets of their own.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use crate::engine::gate::{Gate, Signal};
use crate::engine::limiter::KeyState;
use crate::engine::stats::RunStats;
use crate::failure::FailureKind;
use crate::providers::reasoning::Thinking;
use crate::providers::{Completion, Provider, ProviderError};

pub struct Target {
    pub provider: usize,
    pub model: String,
    /// USD per million input and output tokens for `model`, when known.
    pub price: Option<(f64, f64)>,
    pub key: Arc<KeyState>,
    pub client: Arc<dyn Provider>,
    /// An automatic entry's lane: it works only while its key's gate lets it.
    pub gate: Option<Arc<Gate>>,
    /// How the model reasons on its provider's wire.
    pub thinking: Thinking,
}

impl Target {
    /// What an answer says about the key: the request limit its headers report (for the key's
    /// limiter, the gate and the summary), and its latency and whether it was throttled (for the
    /// gate).
    pub fn observe(
        &self,
        stats: &RunStats,
        latency: Duration,
        answer: &Result<Completion, ProviderError>,
    ) {
        let reported = match answer {
            Ok(completion) => completion.limit_rpm,
            Err(error) => error.limit_rpm,
        };
        if let Some(rpm) = reported {
            let rpm = u32::try_from(rpm).unwrap_or(u32::MAX);
            let before = self.key.rpm();
            self.key.learn_rpm(rpm);
            if self.key.rpm() != before {
                crate::verbose::say(1, || {
                    format!(
                        "{} holds to the limit it reports: {rpm} requests a minute",
                        self.key.label
                    )
                });
            }
            if let Some(gate) = &self.gate {
                gate.learn_limit(rpm);
            }
            stats.providers[self.provider]
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
}
