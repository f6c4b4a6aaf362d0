//! A provider that misbehaves the way real ones do under load: the real `gen` binary runs `seo`
//! over one provider (deepseek, OpenAI wire) with 8 lanes against the loopback fake at 100 ms
//! latency, a rate limit far above what is reached, and a fault mix (3 % 500, 2 % 429 with
//! `retry-after-ms: 200`, 1 % malformed JSON, 1 % bodies cut mid-way, 1 % empty answers and
//! 0.5 % requests that hang for 120 s without an answer). A hang holds its lane until gen gives
//! the attempt up, so this measures how soon it does and what that costs: rows the provider was
//! paid twice for (two good answers billed for one row) and answers paid for but never read.
//!
//! gen runs as a user would: its default `--max-attempts` (5) and `--timeout` (120 s), with a
//! request log (`--log`) to tell which attempts ended as `timeout`.
//!
//!     cargo bench --bench hangs                     # 2,000 rows
//!     GEN_BENCH_ROWS=200 cargo bench --bench hangs  # a smoke check
//!
//! Targets: wall <= 60 s, every row ok, no row paid twice.

mod common;
// Benches build with cfg(test) but without the test harness, so the fake's test modules compile
// with their #[test] functions stripped and their imports unused.
#[allow(unused_imports)]
#[path = "../tests/cli/fake/mod.rs"]
mod fake;

use std::io::BufRead;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::{Measured, count_lines, gen_command, measure_any, rows_from_env, write_input};
use fake::{Api, Behavior, FakeServer, ResetHeader};

const TARGET_WALL_SECONDS: f64 = 60.0;
const LANES: u32 = 8;
const LATENCY: Duration = Duration::from_millis(100);
const KEY: &str = "sk-deepseek-bench-key-1111";
/// 100,000 requests a second: the limit is not what this bench is about.
const BENCH_RPM: u32 = 6_000_000;

/// Provider key variables cleared from the child, so only the bench's key is set.
const KEY_VARIABLES: [&str; 5] = [
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "DEEPSEEK_API_KEY",
];

fn fault_mix() -> [(Behavior, f64); 6] {
    [
        (Behavior::ServerError(500), 0.03),
        (Behavior::RateLimited(ResetHeader::RetryAfterMs(200)), 0.02),
        (Behavior::MalformedJson, 0.01),
        (Behavior::CutMidBody, 0.01),
        (Behavior::EmptyContent, 0.01),
        (Behavior::HangFor(Duration::from_secs(120)), 0.005),
    ]
}

fn main() {
    let rows = rows_from_env(2_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let server = FakeServer::start();
    server.set_logging(false);
    server.count_paid_by_row(true);
    server.add_key(Api::OpenAi, KEY);
    server.set_rate_limit(Api::OpenAi, KEY, BENCH_RPM);
    server.set_latency(Api::OpenAi, LATENCY);
    server.set_fault_mix(Api::OpenAi, &fault_mix());
    let profile = dir.path().join("bench-profile.toml");
    std::fs::write(
        &profile,
        format!("[providers.deepseek]\nbase_url = \"{}\"\n", server.origin()),
    )
    .expect("write the profile");
    write_input(&dir.path().join("rows.csv"), rows, false);

    println!(
        "gen hangs: {rows} rows, deepseek={LANES} lanes, fake at {} ms with faults, release \
         build, default --max-attempts and --timeout",
        LATENCY.as_millis()
    );
    let (measured, code) = run(dir.path(), &profile);
    let seconds = measured.seconds;
    let ok = count_lines(&dir.path().join("rows.seo.jsonl"));
    let manifest = dir.path().join("rows.seo.failed.csv");
    // The manifest is CSV with a header line.
    let failed = if manifest.exists() {
        count_lines(&manifest).saturating_sub(1)
    } else {
        0
    };
    let log = read_log(&dir.path().join("requests.jsonl"));
    let paid_twice = server.rows_paid_twice();
    let undelivered = server.paid_undelivered_count();

    println!("{:<34} {:>10} {:>10}", "", "measured", "target");
    let line = |name: &str, value: String, target: &str| {
        println!("{name:<34} {value:>10} {target:>10}");
    };
    line("wall seconds", format!("{seconds:.1}"), "<=60");
    line("rows ok", ok.to_string(), &format!("{rows}"));
    line("rows failed", failed.to_string(), "0");
    line("requests sent", server.request_count().to_string(), "");
    line("log lines (attempts)", log.lines.to_string(), "");
    line("attempts ended as timeout", log.timeouts.to_string(), "");
    line(
        "  their mean latency s",
        if log.timeouts == 0 {
            "-".into()
        } else {
            format!(
                "{:.1}",
                log.timeout_ms as f64 / log.timeouts as f64 / 1000.0
            )
        },
        "",
    );
    line("rows paid twice", paid_twice.len().to_string(), "0");
    line("answers paid, not delivered", undelivered.to_string(), "");
    line("gen exit code", code.to_string(), "");
    line("gen CPU s", format!("{:.2}", measured.cpu_seconds), "");
    line(
        "gen peak RSS MB",
        format!("{:.1}", measured.max_rss_kib as f64 / 1024.0),
        "",
    );
    let drawn: Vec<String> = server
        .fault_counts(Api::OpenAi)
        .iter()
        .map(|(behavior, n)| format!("{n} {}", short(behavior)))
        .collect();
    println!("faults drawn: {}", drawn.join(", "));
    if !paid_twice.is_empty() {
        let shown: Vec<&str> = paid_twice.iter().take(5).map(String::as_str).collect();
        println!("paid twice, e.g.: {}", shown.join("; "));
    }

    let mut missed = Vec::new();
    if seconds > TARGET_WALL_SECONDS {
        missed.push(format!("wall {seconds:.1} s"));
    }
    if ok != rows {
        missed.push(format!("{ok} of {rows} rows ok"));
    }
    if !paid_twice.is_empty() {
        missed.push(format!("{} rows paid twice", paid_twice.len()));
    }
    server.assert_no_violations();
    if missed.is_empty() {
        println!("targets met");
    } else {
        println!("targets missed: {}", missed.join("; "));
    }
}

/// Runs gen to its end: its measurement and exit code. Panics if it did not exit (a signal).
fn run(dir: &Path, profile: &Path) -> (Measured, i32) {
    let pool = format!("deepseek={LANES}");
    let profile = profile.to_str().expect("a UTF-8 temp path");
    let mut command = gen_command(
        dir,
        &[
            "seo",
            "--profile",
            profile,
            "--pool",
            &pool,
            "--progress",
            "none",
            "--log",
            "requests.jsonl",
            "--out",
            "rows.seo.jsonl",
            "rows.csv",
        ],
    );
    let stderr = std::fs::File::create(dir.join("gen.stderr")).expect("stderr file");
    command
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("HOME", dir)
        .stderr(Stdio::from(stderr));
    for variable in KEY_VARIABLES {
        command.env_remove(variable);
    }
    command.env("DEEPSEEK_API_KEY", KEY);
    let (measured, status) = measure_any(&mut command);
    let stderr = || std::fs::read_to_string(dir.join("gen.stderr")).unwrap_or_default();
    if !libc::WIFEXITED(status) {
        panic!("gen crashed (wait status {status}):\n{}", stderr());
    }
    let code = libc::WEXITSTATUS(status);
    if code != 0 {
        let stderr = stderr();
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        for line in tail.into_iter().rev() {
            println!("gen: {line}");
        }
    }
    (measured, code)
}

/// What the request log says about the attempts.
struct Log {
    lines: usize,
    timeouts: usize,
    /// Total latency of the attempts that ended as `timeout`.
    timeout_ms: u64,
}

fn read_log(path: &Path) -> Log {
    let mut log = Log {
        lines: 0,
        timeouts: 0,
        timeout_ms: 0,
    };
    let Ok(file) = std::fs::File::open(path) else {
        return log;
    };
    for line in std::io::BufReader::new(file).lines() {
        let line = line.expect("read the request log");
        let entry: serde_json::Value = serde_json::from_str(&line).expect("a JSON log line");
        log.lines += 1;
        if entry["outcome"] == "timeout" {
            log.timeouts += 1;
            log.timeout_ms += entry["latency_ms"].as_u64().unwrap_or(0);
        }
    }
    log
}

fn short(behavior: &Behavior) -> String {
    match behavior {
        Behavior::ServerError(status) => status.to_string(),
        Behavior::RateLimited(_) => "429".into(),
        Behavior::MalformedJson => "malformed".into(),
        Behavior::CutMidBody => "cut".into(),
        Behavior::EmptyContent => "empty".into(),
        Behavior::HangFor(d) => format!("hang {} s", d.as_secs()),
        other => format!("{other:?}"),
    }
}
