//! Counters shared by the lanes (attempts, latency, tokens, parking) and the sink (rows finished),
//! read by the progress display and the final summary. Lock-free on the hot path.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::engine::gate::Gate;
use crate::failure::FailureKind;

#[derive(Default)]
pub struct ProviderStats {
    pub name: String,
    pub lanes: usize,
    /// Rows this provider finished successfully.
    pub done: AtomicU64,
    pub in_flight: AtomicU64,
    pub requests: AtomicU64,
    pub rate_limited: AtomicU64,
    pub latency_ms_total: AtomicU64,
    /// Tokens billed, over every answered attempt (cut and invalid answers included).
    pub input_tokens: AtomicU64,
    /// The reasoning included.
    pub output_tokens: AtomicU64,
    pub reasoning_tokens: AtomicU64,
    /// The request limit per minute a provider reported for a key (0: none).
    pub learned_rpm: AtomicU64,
    /// The gates of the provider's automatic keys, for current and peak lane counts.
    pub gates: Mutex<Vec<Arc<Gate>>>,
    /// Spend of billed attempts in millionths of a USD, where the model's price is known.
    pub cost_micro_usd: AtomicU64,
    /// An attempt was billed on a model without a price: the provider's cost is unknown.
    pub unpriced: AtomicBool,
    /// Milliseconds since the run started until which a key of this provider is parked; 0 = none.
    pub parked_until_ms: AtomicU64,
    /// Failed attempts by class (a row retried elsewhere still shows here).
    pub errors: Mutex<BTreeMap<FailureKind, u64>>,
}

impl ProviderStats {
    pub fn record_error(&self, kind: FailureKind) {
        if kind == FailureKind::RateLimited {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
        }
        *self
            .errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(kind)
            .or_default() += 1;
    }

    pub fn add_cost(&self, usd: f64) {
        if usd <= 0.0 {
            return;
        }
        self.cost_micro_usd
            .fetch_add((usd * 1e6).round() as u64, Ordering::Relaxed);
    }

    pub fn cost_usd(&self) -> f64 {
        self.cost_micro_usd.load(Ordering::Relaxed) as f64 / 1e6
    }

    /// `×3`, or for automatic lanes `×4 (auto, peak 6, 600 rpm learnt)`: the lanes working now.
    /// Lanes working now and at most so far (automatic entries move between them).
    pub fn lane_counts(&self) -> (u32, u32) {
        let gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        let fixed = self.lanes as u32 - gates.iter().map(|g| g.max()).sum::<u32>();
        (
            fixed + gates.iter().map(|g| g.target()).sum::<u32>(),
            fixed + gates.iter().map(|g| g.peak()).sum::<u32>(),
        )
    }

    pub fn lanes_label(&self) -> String {
        let gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        if gates.is_empty() {
            return format!("×{}", self.lanes);
        }
        let fixed = self.lanes as u32 - gates.iter().map(|g| g.max()).sum::<u32>();
        let current = fixed + gates.iter().map(|g| g.target()).sum::<u32>();
        let peak = fixed + gates.iter().map(|g| g.peak()).sum::<u32>();
        let learnt = match self.learned_rpm.load(Ordering::Relaxed) {
            0 => String::new(),
            rpm => format!(", {rpm} rpm learnt"),
        };
        format!("×{current} (auto, peak {peak}{learnt})")
    }

    pub fn error_count(&self) -> u64 {
        self.errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .sum()
    }

    pub fn mean_latency(&self) -> Option<Duration> {
        let requests = self.requests.load(Ordering::Relaxed);
        (requests > 0).then(|| {
            Duration::from_millis(self.latency_ms_total.load(Ordering::Relaxed) / requests)
        })
    }
}

pub struct RunStats {
    pub started: Instant,
    pub providers: Vec<ProviderStats>,
    /// Records read from the input so far (good and bad).
    pub read: AtomicU64,
    /// The input's approximate total, when known up front (for the ETA).
    pub expected_total: AtomicU64,
    pub reader_finished: AtomicBool,
    pub done: AtomicU64,
    pub failed: AtomicU64,
    /// Rows skipped because `--resume` found them in the results.
    pub skipped: AtomicU64,
    /// Input rows whose every field is empty, skipped (neither done nor failed).
    pub blank: AtomicU64,
    pub failures: Mutex<BTreeMap<FailureKind, u64>>,
    /// Per lane, the row its request is out for and since when: the display shows the oldest,
    /// so a hung request is visible.
    pub sending: Mutex<Vec<Option<(String, Instant)>>>,
    /// Whether anything shows `sending` (the live display); off, lanes skip the bookkeeping.
    pub watch_sending: AtomicBool,
    /// Notices for the user (Ctrl-C) that a live display prints above itself, uncut.
    pub notices: Mutex<Vec<String>>,
}

impl RunStats {
    pub fn new(providers: Vec<(String, usize)>) -> Self {
        let lanes = providers.iter().map(|(_, lanes)| lanes).sum();
        RunStats {
            sending: Mutex::new(vec![None; lanes]),
            watch_sending: AtomicBool::new(false),
            notices: Mutex::new(Vec::new()),
            started: Instant::now(),
            providers: providers
                .into_iter()
                .map(|(name, lanes)| ProviderStats {
                    name,
                    lanes,
                    ..ProviderStats::default()
                })
                .collect(),
            read: AtomicU64::new(0),
            expected_total: AtomicU64::new(0),
            reader_finished: AtomicBool::new(false),
            done: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            blank: AtomicU64::new(0),
            failures: Mutex::new(BTreeMap::new()),
        }
    }

    /// Lane `lane` sent a request for `row`, or (with `None`) has its answer.
    pub fn sending(&self, lane: usize, row: Option<&str>) {
        if !self.watch_sending.load(Ordering::Relaxed) {
            return;
        }
        let mut sending = self.sending.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = sending.get_mut(lane) {
            *slot = row.map(|id| (id.to_string(), Instant::now()));
        }
    }

    /// The `n` requests out longest: row id, lane, how long.
    pub fn oldest_in_flight(&self, n: usize) -> Vec<(String, usize, Duration)> {
        let sending = self.sending.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<(String, usize, Duration)> = sending
            .iter()
            .enumerate()
            .filter_map(|(lane, slot)| {
                slot.as_ref()
                    .map(|(id, since)| (id.clone(), lane, since.elapsed()))
            })
            .collect();
        out.sort_by_key(|entry| std::cmp::Reverse(entry.2));
        out.truncate(n);
        out
    }

    /// A notice the live display prints above itself (or stderr, without one).
    pub fn notice(&self, text: String) {
        self.notices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(text);
    }

    pub fn record_failure(&self, kind: FailureKind) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        *self
            .failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(kind)
            .or_default() += 1;
    }

    pub fn mark_parked(&self, provider: usize, until: Instant) {
        let ms = until.saturating_duration_since(self.started).as_millis() as u64;
        self.providers[provider]
            .parked_until_ms
            .fetch_max(ms.max(1), Ordering::Relaxed);
    }

    /// How long the provider stays parked from now, if it is.
    pub fn parked_for(&self, provider: usize) -> Option<Duration> {
        let until = self.providers[provider]
            .parked_until_ms
            .load(Ordering::Relaxed);
        let now = self.started.elapsed().as_millis() as u64;
        (until > now).then(|| Duration::from_millis(until - now))
    }

    /// Rows finished in this run (results plus manifest), excluding those resumed.
    pub fn finished(&self) -> u64 {
        self.done.load(Ordering::Relaxed) + self.failed.load(Ordering::Relaxed)
    }
}

/// How a run ended, for the exit code.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    pub done: u64,
    pub failed: u64,
    pub skipped: u64,
    pub interrupted: bool,
    /// `--max-cost` stopped dispatching: the limit, and what was spent.
    pub budget_reached: Option<(f64, f64)>,
    /// A write error that stopped the run.
    pub fatal: Option<String>,
    /// The reader of `-o -` went away: the run stopped taking rows, dropped what was in flight
    /// and ends quietly with 0, as a Unix filter does under `| head`.
    pub stdout_closed: bool,
}

impl RunReport {
    pub fn exit_code(&self) -> u8 {
        if self.stdout_closed {
            crate::exit::OK
        } else if self.interrupted {
            crate::exit::INTERRUPTED
        } else if self.failed > 0 || self.fatal.is_some() || self.budget_reached.is_some() {
            crate::exit::ROWS_FAILED
        } else {
            crate::exit::OK
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_oldest_requests_in_flight_come_first_and_only_when_watched() {
        let stats = RunStats::new(vec![("mock".into(), 3)]);
        stats.sending(0, Some("1"));
        assert!(
            stats.oldest_in_flight(3).is_empty(),
            "nothing watches: no bookkeeping"
        );
        stats.watch_sending.store(true, Ordering::Relaxed);
        stats.sending(0, Some("7"));
        tokio::time::sleep(Duration::from_secs(5)).await;
        stats.sending(2, Some("9"));
        tokio::time::sleep(Duration::from_secs(1)).await;
        let oldest = stats.oldest_in_flight(3);
        assert_eq!(oldest.len(), 2);
        assert_eq!((oldest[0].0.as_str(), oldest[0].1), ("7", 0));
        assert_eq!(oldest[0].2, Duration::from_secs(6));
        stats.sending(0, None);
        assert_eq!(stats.oldest_in_flight(3)[0].0, "9");
    }
}
