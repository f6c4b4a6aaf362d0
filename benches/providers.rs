//! End-to-end throughput of real provider adapters: the `gen` binary against the loopback fake of
//! the OpenAI, Anthropic and Gemini APIs (zero latency, 64 lanes), with rows/s, the client's CPU
//! seconds per 1,000 rows (user + sys of the `gen` process, from wait4) and its peak RSS. The fake
//! serves from threads of this process while it waits on the child, so its own CPU (getrusage of
//! this process around the run) is printed too: on 2 cores it competes with `gen` for the CPU.
//!
//!     cargo bench --bench providers                     # 20,000 rows per wire
//!     GEN_BENCH_ROWS=5000 cargo bench --bench providers
//!
//! Targets: >= 25,000 rows/s and <= 0.03 client CPU s per 1,000 rows (so 1,000,000 rows in
//! <= 40 s), peak RSS <= 30 MB.

mod common;
// Benches build with cfg(test) but without the test harness, so the fake's test modules compile
// with their #[test] functions stripped and their imports unused.
#[allow(unused_imports)]
#[path = "../tests/cli/fake/mod.rs"]
mod fake;

use std::path::Path;

use common::{
    Measured, count_lines, cpu_seconds, gen_command, measure, rows_from_env, timeval_seconds,
    write_input,
};
use fake::{Api, FakeServer};

const TARGET_ROWS_PER_SECOND: f64 = 25_000.0;
const TARGET_CPU_PER_1000_ROWS: f64 = 0.03;
const TARGET_PEAK_RSS_MB: f64 = 30.0;
const LANES: u32 = 64;

/// One wire format: how the pool names its provider and where its key comes from.
struct Wire {
    name: &'static str,
    api: Api,
    provider: &'static str,
    key_variable: &'static str,
    key: &'static str,
}

const WIRES: [Wire; 3] = [
    Wire {
        name: "openai (deepseek)",
        api: Api::OpenAi,
        provider: "deepseek",
        key_variable: "DEEPSEEK_API_KEY",
        key: "sk-deepseek-bench-key-1111",
    },
    Wire {
        name: "anthropic (claude)",
        api: Api::Anthropic,
        provider: "claude",
        key_variable: "ANTHROPIC_API_KEY",
        key: "sk-ant-bench-key-2222",
    },
    Wire {
        name: "gemini",
        api: Api::Gemini,
        provider: "gemini",
        key_variable: "GEMINI_API_KEY",
        key: "AIzaSy-gemini-bench-key-3333",
    },
];

/// Provider key variables cleared from the child, so only the one under test is set.
const KEY_VARIABLES: [&str; 5] = [
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "DEEPSEEK_API_KEY",
];

/// 100,000 requests a second.
const BENCH_RPM: u32 = 6_000_000;

fn main() {
    let rows = rows_from_env(20_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let server = FakeServer::start();
    server.set_logging(false);
    for wire in &WIRES {
        server.add_key(wire.api, wire.key);
        // gen holds to the limit a provider reports; this bench measures gen, not a limit, so
        // the fake reports (and enforces) one far above what two cores can reach.
        server.set_rate_limit(wire.api, wire.key, BENCH_RPM);
    }
    let profile = dir.path().join("bench-profile.toml");
    std::fs::write(
        &profile,
        format!(
            "[providers.deepseek]\nbase_url = \"{origin}\"\n\n\
             [providers.anthropic]\nbase_url = \"{origin}\"\n\n\
             [providers.gemini]\nbase_url = \"{gemini}\"\n",
            origin = server.origin(),
            gemini = server.base_url(Api::Gemini),
        ),
    )
    .expect("write the profile");
    let input = dir.path().join("rows.csv");
    write_input(&input, rows, false);

    println!(
        "gen providers: {rows} rows per wire, {LANES} lanes, loopback fake at zero latency, \
         release build, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{:<20} {:>7} {:>8} {:>9} {:>14} {:>9} {:>12} {:>10} {:>14} {:>9}",
        "wire",
        "rows",
        "seconds",
        "rows/s",
        "gen CPU s/1k",
        "of it sys",
        "peak RSS MB",
        "in-flight",
        "fake CPU s/1k",
        "of it sys"
    );
    println!(
        "{:<20} {:>7} {:>8} {:>9} {:>14} {:>9} {:>12} {:>10} {:>14} {:>9}",
        "target",
        "",
        "",
        format!(">={TARGET_ROWS_PER_SECOND:.0}"),
        format!("<={TARGET_CPU_PER_1000_ROWS:.3}"),
        "",
        format!("<={TARGET_PEAK_RSS_MB:.0}"),
        "",
        "",
        ""
    );
    let mut missed = Vec::new();
    for wire in &WIRES {
        let requests_before = server.request_count();
        let fake_cpu_before = own_cpu_seconds();
        let out = format!("rows.{}.seo.jsonl", wire.provider);
        let measured = run(dir.path(), &profile, wire, &out);
        let fake_cpu_after = own_cpu_seconds();
        let fake_cpu = fake_cpu_after.0 - fake_cpu_before.0;
        let fake_sys = fake_cpu_after.1 - fake_cpu_before.1;
        let lines = count_lines(&dir.path().join(&out));
        assert_eq!(
            lines, rows,
            "{}: every row must be in the results",
            wire.name
        );
        assert!(
            server.request_count() - requests_before >= rows,
            "{}: the rows were answered by the fake",
            wire.name
        );
        let rows_per_second = rows as f64 / measured.seconds;
        let cpu_per_1000 = measured.cpu_seconds / rows as f64 * 1000.0;
        println!(
            "{:<20} {:>7} {:>8.2} {:>9.0} {:>14.4} {:>9.4} {:>12.1} {:>10} {:>14.4} {:>9.4}",
            wire.name,
            rows,
            measured.seconds,
            rows_per_second,
            cpu_per_1000,
            measured.sys_seconds / rows as f64 * 1000.0,
            measured.max_rss_kib as f64 / 1024.0,
            server.peak_in_flight(wire.api),
            fake_cpu / rows as f64 * 1000.0,
            fake_sys / rows as f64 * 1000.0,
        );
        if rows_per_second < TARGET_ROWS_PER_SECOND {
            missed.push(format!("{}: {rows_per_second:.0} rows/s", wire.name));
        }
        if cpu_per_1000 > TARGET_CPU_PER_1000_ROWS {
            missed.push(format!("{}: {cpu_per_1000:.4} CPU s/1k", wire.name));
        }
        let peak_rss_mb = measured.max_rss_kib as f64 / 1024.0;
        if peak_rss_mb > TARGET_PEAK_RSS_MB {
            missed.push(format!("{}: {peak_rss_mb:.1} MB peak RSS", wire.name));
        }
        std::fs::remove_file(dir.path().join(&out)).ok();
    }
    server.assert_no_violations();
    println!("in-flight: the fake's peak of concurrent requests for that wire (lanes = {LANES})");
    println!(
        "fake CPU: this process (the fake's threads) over the run, sharing the cores with gen; \
         of it sys: the kernel's part of that CPU (gen's and the fake's alike)"
    );
    if missed.is_empty() {
        println!("targets met");
    } else {
        println!("targets missed: {}", missed.join("; "));
    }
}

fn run(dir: &Path, profile: &Path, wire: &Wire, out: &str) -> Measured {
    let pool = format!("{}={LANES}", wire.provider);
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
            "--out",
            out,
            "rows.csv",
        ],
    );
    command
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("HOME", dir);
    for variable in KEY_VARIABLES {
        command.env_remove(variable);
    }
    command.env(wire.key_variable, wire.key);
    measure(&mut command)
}

/// User + system seconds of this process so far, and the system ones alone: the fake's threads,
/// as the main one only waits.
fn own_cpu_seconds() -> (f64, f64) {
    // SAFETY: an all-zero rusage is a valid value, and getrusage only writes into it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    assert_eq!(rc, 0, "getrusage failed");
    (cpu_seconds(&usage), timeval_seconds(usage.ru_stime))
}
