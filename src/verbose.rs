//! `-v` and `-vv`: what the run is doing, on stderr. Level 1 says what changes a run's course
//! (keys parked and back, limits learnt, keys leaving the pool); level 2 adds every retry and
//! its reason. Messages name keys by their labels, never the keys.

use std::sync::atomic::{AtomicU8, Ordering};

static LEVEL: AtomicU8 = AtomicU8::new(0);
/// `--progress json`: stderr carries JSON lines only, so notices become `notice` events.
static JSON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_json(on: bool) {
    JSON.store(on, Ordering::Relaxed);
}

pub fn json() -> bool {
    JSON.load(Ordering::Relaxed)
}

/// The error that ends a command: `gen: error: …`, or under `--progress json` an
/// `{"event":"error"}` line, so a reader of the events learns why they stopped.
pub fn error(error: &anyhow::Error) {
    if json() {
        eprintln!(
            "{}",
            serde_json::json!({ "event": "error", "message": format!("{error:#}") })
        );
    } else {
        eprintln!("gen: error: {error:#}");
    }
}

/// A notice every run shows (a key leaving the pool, what a schema loses on an API): a line
/// `gen: …`, or under `--progress json` a `{"event":"notice"}` line.
pub fn notice(message: &str) {
    if JSON.load(Ordering::Relaxed) {
        eprintln!(
            "{}",
            serde_json::json!({ "event": "notice", "message": message })
        );
    } else {
        eprintln!("gen: {message}");
    }
}

pub fn set(level: u8) {
    LEVEL.store(level, Ordering::Relaxed);
}

pub fn level() -> u8 {
    LEVEL.load(Ordering::Relaxed)
}

/// Prints `message()` when the run is at least this verbose (built only then).
pub fn say(at: u8, message: impl FnOnce() -> String) {
    if level() >= at {
        notice(&message());
    }
}
