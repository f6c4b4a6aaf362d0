//! Automatic lane counts: a gate per (provider, key) of an `auto` pool entry lets only as many of
//! its lanes work at once as the key can use. With a known request limit (profile `rpm`, or the
//! one the provider reports in its headers) the target is Little's law, rate × latency; without
//! one it grows by one lane per window of clean answers and halves on a rate limit or overload
//! (AIMD).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// Headroom over rate × latency, so latency jitter does not leave the limit unused; the key's
/// request limiter keeps the rate itself.
const LITTLE_HEADROOM: f64 = 1.25;
/// Weight of the newest latency in the moving average.
const LATENCY_SMOOTHING: f64 = 0.2;

/// What one answer says about the key's capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Answered: the lane was useful.
    Clean,
    /// Rate limited or overloaded: too many lanes.
    Throttled,
    /// Another failure: says nothing about capacity.
    Neutral,
}

#[derive(Debug)]
struct Controller {
    latency_ms: Option<f64>,
    limit_rpm: Option<u32>,
    clean_in_window: u32,
}

pub struct Gate {
    target: AtomicU32,
    active: AtomicU32,
    peak: AtomicU32,
    max: u32,
    controller: Mutex<Controller>,
    changed: Notify,
}

/// A working lane's place in the gate; gives it back when dropped.
pub struct Permit<'a> {
    gate: &'a Gate,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.gate.active.fetch_sub(1, Ordering::AcqRel);
        self.gate.changed.notify_waiters();
    }
}

impl Gate {
    /// `known_rpm` is the profile's limit for the key, if any; `max` the ceiling of lanes.
    pub fn new(max: u32, known_rpm: Option<u32>) -> Self {
        let max = max.max(1);
        Gate {
            // Start small: the first answers tell the latency and, often, the limit.
            target: AtomicU32::new(2.min(max)),
            active: AtomicU32::new(0),
            peak: AtomicU32::new(2.min(max)),
            max,
            controller: Mutex::new(Controller {
                latency_ms: None,
                limit_rpm: known_rpm,
                clean_in_window: 0,
            }),
            changed: Notify::new(),
        }
    }

    /// Waits for a place among the working lanes.
    pub async fn acquire(&self) -> Permit<'_> {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let active = self.active.load(Ordering::Acquire);
            if active < self.target.load(Ordering::Acquire)
                && self
                    .active
                    .compare_exchange(active, active + 1, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
            {
                return Permit { gate: self };
            }
            notified.await;
        }
    }

    /// Feeds one answer's latency and signal into the target.
    pub fn record(&self, latency: Duration, signal: Signal) {
        let mut c = self.controller.lock().unwrap_or_else(|e| e.into_inner());
        let ms = latency.as_secs_f64() * 1000.0;
        if signal != Signal::Throttled {
            c.latency_ms = Some(
                c.latency_ms
                    .map_or(ms, |avg| avg + LATENCY_SMOOTHING * (ms - avg)),
            );
        }
        let current = self.target.load(Ordering::Acquire);
        let next = match (c.limit_rpm, c.latency_ms) {
            (Some(rpm), Some(latency_ms)) => little(rpm, latency_ms),
            _ => match signal {
                Signal::Clean => {
                    c.clean_in_window += 1;
                    if c.clean_in_window >= current {
                        c.clean_in_window = 0;
                        current + 1
                    } else {
                        current
                    }
                }
                Signal::Throttled => {
                    c.clean_in_window = 0;
                    (current / 2).max(1)
                }
                Signal::Neutral => current,
            },
        };
        drop(c);
        self.set_target(next);
    }

    /// The provider reported the key's request limit: from now on the target follows it.
    pub fn learn_limit(&self, rpm: u32) {
        let mut c = self.controller.lock().unwrap_or_else(|e| e.into_inner());
        if c.limit_rpm == Some(rpm) {
            return;
        }
        c.limit_rpm = Some(rpm);
        let next = c.latency_ms.map(|latency| little(rpm, latency));
        drop(c);
        if let Some(next) = next {
            self.set_target(next);
        }
    }

    fn set_target(&self, target: u32) {
        let target = target.clamp(1, self.max);
        let before = self.target.swap(target, Ordering::AcqRel);
        self.peak.fetch_max(target, Ordering::AcqRel);
        if target > before {
            self.changed.notify_waiters();
        }
    }

    /// The ceiling: the lanes spawned for this key.
    pub fn max(&self) -> u32 {
        self.max
    }

    pub fn target(&self) -> u32 {
        self.target.load(Ordering::Acquire)
    }

    pub fn peak(&self) -> u32 {
        self.peak.load(Ordering::Acquire)
    }

    pub fn limit_rpm(&self) -> Option<u32> {
        self.controller
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .limit_rpm
    }
}

/// Lanes for `rpm` requests a minute at `latency_ms` each: Little's law with headroom.
fn little(rpm: u32, latency_ms: f64) -> u32 {
    let in_flight = f64::from(rpm) / 60.0 * latency_ms / 1000.0 * LITTLE_HEADROOM;
    (in_flight.ceil() as u32).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_limit_gives_rate_times_latency() {
        let gate = Gate::new(32, Some(600));
        gate.record(Duration::from_millis(300), Signal::Clean);
        assert_eq!(gate.target(), 4, "600/min × 0.3 s × 1.25 = 3.75");
        let slow = Gate::new(32, Some(120));
        slow.record(Duration::from_millis(600), Signal::Clean);
        assert_eq!(slow.target(), 2);
        let capped = Gate::new(3, Some(6000));
        capped.record(Duration::from_secs(2), Signal::Clean);
        assert_eq!(capped.target(), 3, "never above max_lanes");
    }

    #[test]
    fn without_a_limit_lanes_grow_additively_and_halve_on_throttling() {
        let gate = Gate::new(32, None);
        assert_eq!(gate.target(), 2);
        for _ in 0..2 {
            gate.record(Duration::from_millis(100), Signal::Clean);
        }
        assert_eq!(
            gate.target(),
            3,
            "one more lane per window of clean answers"
        );
        for _ in 0..3 {
            gate.record(Duration::from_millis(100), Signal::Clean);
        }
        assert_eq!(gate.target(), 4);
        gate.record(Duration::from_millis(100), Signal::Throttled);
        assert_eq!(gate.target(), 2);
        gate.record(Duration::from_millis(100), Signal::Throttled);
        gate.record(Duration::from_millis(100), Signal::Throttled);
        assert_eq!(gate.target(), 1, "never below one lane");
        assert_eq!(gate.peak(), 4);
    }

    #[test]
    fn a_limit_learnt_from_headers_takes_over() {
        let gate = Gate::new(32, None);
        gate.record(Duration::from_millis(400), Signal::Clean);
        gate.learn_limit(300);
        assert_eq!(gate.target(), 3, "300/min × 0.4 s × 1.25 = 2.5");
        assert_eq!(gate.limit_rpm(), Some(300));
    }

    #[tokio::test(start_paused = true)]
    async fn only_target_lanes_work_at_once() {
        let gate = std::sync::Arc::new(Gate::new(8, None));
        let first = gate.acquire().await;
        let _second = gate.acquire().await;
        let waiting = {
            let gate = gate.clone();
            tokio::spawn(async move {
                let _third = gate.acquire().await;
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            !waiting.is_finished(),
            "a third lane waits while the target is 2"
        );
        drop(first);
        tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .unwrap()
            .unwrap();
    }
}
