//! Progress on stderr while a run goes (a live display on a terminal, plain or JSON lines for CI
//! logs) and the per-provider summary at the end. Nothing here writes to stdout.

pub use crate::duration::human;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use crate::engine::stats::{ProviderStats, RunReport, RunStats};
use crate::plan::ProgressMode;
use crate::rows::writer::Target;

const BAR_REFRESH: Duration = Duration::from_millis(200);

pub struct ProgressHandle {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ProgressHandle {
    /// Stops the display and draws its last state.
    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub fn start(mode: ProgressMode, interval: Duration, stats: Arc<RunStats>) -> ProgressHandle {
    let stop = Arc::new(AtomicBool::new(false));
    let thread = match mode {
        ProgressMode::None => None,
        ProgressMode::Bar => {
            stats.watch_sending.store(true, Ordering::Relaxed);
            spawn(stop.clone(), move |stop| draw_bars(&stats, &stop))
        }
        ProgressMode::Plain | ProgressMode::Json => spawn(stop.clone(), move |stop| {
            if mode == ProgressMode::Json {
                eprintln!("{}", start_event(&stats));
            }
            while sleep_unless_stopped(interval, &stop) {
                let line = if mode == ProgressMode::Json {
                    json_line(&stats)
                } else {
                    plain_line(&stats)
                };
                eprintln!("{line}");
            }
        }),
    };
    ProgressHandle { stop, thread }
}

fn spawn(
    stop: Arc<AtomicBool>,
    body: impl FnOnce(Arc<AtomicBool>) + Send + 'static,
) -> Option<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("gen-progress".into())
        .spawn(move || body(stop))
        .ok()
}

/// Sleeps in short steps so `finish` is never kept waiting a whole interval; false once stopped.
fn sleep_unless_stopped(interval: Duration, stop: &AtomicBool) -> bool {
    let step = Duration::from_millis(50);
    let mut slept = Duration::ZERO;
    while slept < interval {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        std::thread::sleep(step.min(interval - slept));
        slept += step;
    }
    !stop.load(Ordering::Relaxed)
}

fn draw_bars(stats: &RunStats, stop: &AtomicBool) {
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(5));
    let main = multi.add(ProgressBar::new(0));
    main.set_style(
        ProgressStyle::with_template("{bar:32.cyan/blue} {pos}/{len} rows · {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let lines: Vec<ProgressBar> = stats
        .providers
        .iter()
        .map(|_| {
            let line = multi.add(ProgressBar::new_spinner());
            line.set_style(
                ProgressStyle::with_template("  {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            line
        })
        .collect();
    let oldest = multi.add(ProgressBar::new_spinner());
    oldest.set_style(
        ProgressStyle::with_template("  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    loop {
        let stopped = stop.load(Ordering::Relaxed);
        for notice in std::mem::take(&mut *stats.notices.lock().unwrap_or_else(|e| e.into_inner()))
        {
            // Printed above the bars, whole, whatever the terminal's width.
            let _ = multi.println(notice);
        }
        oldest.set_message(oldest_line(stats));
        let finished = stats.finished();
        let total = total_estimate(stats);
        main.set_length(total.max(finished));
        main.set_position(finished);
        main.set_message(rate_and_eta(stats));
        for (index, (line, provider)) in lines.iter().zip(&stats.providers).enumerate() {
            line.set_message(provider_line(stats, index, provider));
        }
        if stopped {
            break;
        }
        std::thread::sleep(BAR_REFRESH);
    }
    // `finish` would draw the bar full; after Ctrl-C (or a budget stop) it must show what was
    // really done.
    if stats.finished() >= total_estimate(stats) {
        main.finish();
    } else {
        main.abandon();
    }
    lines.iter().for_each(ProgressBar::finish);
    oldest.finish_and_clear();
}

/// The requests out longest, once one has been out a few seconds: a hang shows here.
fn oldest_line(stats: &RunStats) -> String {
    let oldest = stats.oldest_in_flight(3);
    if oldest
        .first()
        .is_none_or(|(_, _, age)| *age < Duration::from_secs(3))
    {
        return String::new();
    }
    let rows: Vec<String> = oldest
        .iter()
        .map(|(row, lane, age)| format!("row {row} on lane {lane} for {}", human(*age)))
        .collect();
    format!("oldest in flight: {}", rows.join(" · "))
}

/// Rows this run will finish: the input's estimate less rows resumed, or what has been read.
fn total_estimate(stats: &RunStats) -> u64 {
    let read = stats.read.load(Ordering::Relaxed);
    let expected = stats.expected_total.load(Ordering::Relaxed);
    let total = if stats.reader_finished.load(Ordering::Relaxed) {
        read
    } else {
        expected.max(read)
    };
    total.saturating_sub(stats.skipped.load(Ordering::Relaxed))
}

fn rows_per_minute(stats: &RunStats) -> f64 {
    let elapsed = stats.started.elapsed().as_secs_f64();
    if elapsed <= 0.0 {
        0.0
    } else {
        stats.finished() as f64 * 60.0 / elapsed
    }
}

fn rate_and_eta(stats: &RunStats) -> String {
    let rate = rows_per_minute(stats);
    let left = total_estimate(stats).saturating_sub(stats.finished());
    let mut text = format!("{} · {rate:.0} rows/min", human(stats.started.elapsed()));
    match total_cost(stats) {
        serde_json::Value::Null => text.push_str(" · cost unknown"),
        cost => {
            let _ = write!(text, " · ${:.4}", cost.as_f64().unwrap_or_default());
        }
    }
    if rate > 0.0 && left > 0 {
        let _ = write!(
            text,
            " · ETA {}",
            human(Duration::from_secs_f64(left as f64 * 60.0 / rate))
        );
    }
    let failed = stats.failed.load(Ordering::Relaxed);
    if failed > 0 {
        let _ = write!(text, " · {failed} failed");
    }
    text
}

fn provider_line(stats: &RunStats, index: usize, provider: &ProviderStats) -> String {
    let mut line = format!(
        "{} {}: done {} · in flight {} · errors {} · rate-limited {}",
        provider.name,
        provider.lanes_label(),
        provider.done.load(Ordering::Relaxed),
        provider.in_flight.load(Ordering::Relaxed),
        provider.error_count(),
        provider.rate_limited.load(Ordering::Relaxed),
    );
    if let Some(parked) = stats.parked_for(index) {
        let _ = write!(line, " · parked {}", human(parked));
    }
    line
}

fn plain_line(stats: &RunStats) -> String {
    let finished = stats.finished();
    let total = total_estimate(stats);
    let mut line = format!("gen: {finished}/{total} rows · {}", rate_and_eta(stats));
    for (index, provider) in stats.providers.iter().enumerate() {
        let _ = write!(line, " | {}", provider_line(stats, index, provider));
    }
    line
}

/// Per provider, as the JSON events give it: numbers as numbers.
fn providers_json(stats: &RunStats) -> Vec<serde_json::Value> {
    stats
        .providers
        .iter()
        .enumerate()
        .map(|(index, p)| {
            let (lanes, peak) = p.lane_counts();
            json!({
                "name": p.name,
                "lanes": lanes,
                "lanes_peak": peak,
                "requests": p.requests.load(Ordering::Relaxed),
                "done": p.done.load(Ordering::Relaxed),
                "in_flight": p.in_flight.load(Ordering::Relaxed),
                "errors": p.error_count(),
                "rate_limited": p.rate_limited.load(Ordering::Relaxed),
                "parked_for_s": stats.parked_for(index).map(|d| d.as_secs_f64()),
                "cost_usd": cost_of(p),
            })
        })
        .collect()
}

/// A provider's spend, or `null` when an attempt was billed on a model without a price.
fn cost_of(provider: &ProviderStats) -> serde_json::Value {
    if provider.unpriced.load(Ordering::Relaxed) {
        serde_json::Value::Null
    } else {
        json!(crate::rows::round_usd(provider.cost_usd()))
    }
}

fn total_cost(stats: &RunStats) -> serde_json::Value {
    if stats
        .providers
        .iter()
        .any(|p| p.unpriced.load(Ordering::Relaxed))
    {
        serde_json::Value::Null
    } else {
        json!(crate::rows::round_usd(
            stats.providers.iter().map(|p| p.cost_usd()).sum::<f64>()
        ))
    }
}

/// `--progress json`'s first line: the lanes the run starts with.
fn start_event(stats: &RunStats) -> String {
    json!({
        "event": "start",
        "total": total_estimate(stats),
        "providers": providers_json(stats),
    })
    .to_string()
}

/// `--progress json`'s last line: the totals, instead of the text summary.
pub fn final_event(stats: &RunStats, report: &RunReport) -> String {
    json!({
        "event": "end",
        "elapsed_s": round2(stats.started.elapsed().as_secs_f64()),
        "done": report.done,
        "failed": report.failed,
        "skipped": report.skipped,
        "interrupted": report.interrupted,
        "budget_reached": report.budget_reached.is_some(),
        "error": report.fatal,
        "cost_usd": total_cost(stats),
        "exit_code": report.exit_code(),
        "providers": providers_json(stats),
    })
    .to_string()
}

fn json_line(stats: &RunStats) -> String {
    let providers = providers_json(stats);
    json!({
        "event": "progress",
        "elapsed_s": round2(stats.started.elapsed().as_secs_f64()),
        "done": stats.done.load(Ordering::Relaxed),
        "failed": stats.failed.load(Ordering::Relaxed),
        "skipped": stats.skipped.load(Ordering::Relaxed),
        "total": total_estimate(stats),
        "rows_per_min": round2(rows_per_minute(stats)),
        "cost_usd": total_cost(stats),
        "providers": providers,
    })
    .to_string()
}

/// Where the run wrote, for the summary.
pub struct Paths {
    pub out: Target,
    /// The manifest, when any row failed.
    pub failed: Option<PathBuf>,
}

/// The final report on stderr: totals, then a line per provider.
pub fn print_summary(stats: &RunStats, report: &RunReport, paths: &Paths) {
    eprint!("{}", summary_text(stats, report, paths));
}

pub fn summary_text(stats: &RunStats, report: &RunReport, paths: &Paths) -> String {
    let elapsed = stats.started.elapsed();
    let mut text = String::new();
    let verb = if report.interrupted {
        "interrupted after"
    } else {
        "finished in"
    };
    let blank = match stats.blank.load(Ordering::Relaxed) {
        0 => String::new(),
        1 => ", 1 blank row skipped".to_string(),
        n => format!(", {n} blank rows skipped"),
    };
    let _ = writeln!(
        text,
        "gen: {verb} {}: {} done, {} failed, {} skipped (already in the results){blank} · {:.0} \
         rows/min",
        human(elapsed),
        report.done,
        report.failed,
        report.skipped,
        rows_per_minute(stats),
    );
    let failures = stats.failures.lock().unwrap_or_else(|e| e.into_inner());
    if !failures.is_empty() {
        let kinds: Vec<String> = failures
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        let _ = writeln!(text, "  failed rows by kind: {}", kinds.join(", "));
    }
    for provider in &stats.providers {
        let errors = provider.errors.lock().unwrap_or_else(|e| e.into_inner());
        let errors = if errors.is_empty() {
            "no errors".to_string()
        } else {
            errors
                .iter()
                .map(|(kind, n)| format!("{kind} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let latency = provider
            .mean_latency()
            .map_or_else(|| "-".to_string(), |d| format!("{} ms", d.as_millis()));
        // Billed on a model without a price: what it cost is unknown, not $0.
        let cost = if provider.unpriced.load(Ordering::Relaxed) {
            "cost unknown (no price for its model)".to_string()
        } else {
            format!("${:.4}", provider.cost_usd())
        };
        let _ = writeln!(
            text,
            "  {} {}: {} rows · {} requests · attempt errors: {} · mean latency {} · tokens {} in / {} out ({} reasoning) · {}",
            provider.name,
            provider.lanes_label(),
            provider.done.load(Ordering::Relaxed),
            provider.requests.load(Ordering::Relaxed),
            errors,
            latency,
            provider.input_tokens.load(Ordering::Relaxed),
            provider.output_tokens.load(Ordering::Relaxed),
            provider.reasoning_tokens.load(Ordering::Relaxed),
            cost,
        );
    }
    let total: f64 = stats.providers.iter().map(|p| p.cost_usd()).sum();
    let unpriced: Vec<&str> = stats
        .providers
        .iter()
        .filter(|p| p.unpriced.load(Ordering::Relaxed))
        .map(|p| p.name.as_str())
        .collect();
    if unpriced.is_empty() {
        let _ = writeln!(
            text,
            "  cost: ${total:.4} over every billed attempt (cut and invalid answers included)"
        );
    } else {
        let _ = writeln!(
            text,
            "  cost: unknown: ${total:.4} on priced models, and more on {} whose model has no \
             price (set input_price and output_price in the profile's [providers.NAME])",
            unpriced.join(", ")
        );
    }
    if let Target::File(path) = &paths.out {
        let _ = writeln!(text, "  results: {}", path.display());
    }
    if let Some(failed) = &paths.failed {
        let _ = writeln!(
            text,
            "  failed rows: {} (fix what the `error` column says, then feed the file back as input)",
            failed.display()
        );
    }
    if let Some((limit, spent)) = report.budget_reached {
        let _ = writeln!(
            text,
            "  stopped dispatching: --max-cost ${limit} reached (${spent:.4} spent); the rows not \
             started are left for --resume with a higher --max-cost"
        );
    }
    if report.interrupted {
        let _ = writeln!(
            text,
            "  run the same command with --resume to finish the remaining rows"
        );
    }
    if let Some(fatal) = &report.fatal {
        let _ = writeln!(text, "gen: error: {fatal}");
    }
    text
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `850ms`, `12.3s`, `4m05s`, `2h10m`.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations() {
        assert_eq!(human(Duration::from_millis(850)), "850ms");
        assert_eq!(human(Duration::from_millis(12_340)), "12.3s");
        assert_eq!(human(Duration::from_secs(245)), "4m05s");
        assert_eq!(human(Duration::from_secs(7800)), "2h10m");
    }

    #[test]
    fn json_progress_is_one_parseable_line() {
        let stats = RunStats::new(vec![("mock".into(), 2)]);
        let line = json_line(&stats);
        assert!(!line.contains('\n'));
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["providers"][0]["name"], "mock");
    }
}
