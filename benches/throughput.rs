//! End-to-end throughput and memory of a live run on the mock provider at zero latency: the real
//! `gen` binary over a generated input, timed, with its peak RSS from the kernel (wait4 rusage).
//!
//!     cargo bench --bench throughput                    # 1,000,000 rows
//!     GEN_BENCH_ROWS=200000 cargo bench --bench throughput
//!
//! Targets (issue #3): >= 50,000 rows/s and a flat peak RSS <= 40 MB for 1,000,000 rows, 64 lanes.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

struct Measured {
    seconds: f64,
    max_rss_kib: i64,
    cpu_seconds: f64,
}

fn main() {
    let rows: usize = std::env::var("GEN_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    println!("gen throughput: {rows} rows, --pool mock=64, zero latency, release build");
    println!(
        "{:<24} {:>8} {:>10} {:>12} {:>16}",
        "input", "seconds", "rows/s", "peak RSS MB", "CPU s/1000 rows"
    );
    for (name, with_id) in [
        ("keywords.csv", false),
        ("keywords-with-id.csv", true),
        ("keywords.jsonl", false),
    ] {
        let input = dir.path().join(name);
        write_input(&input, rows, with_id);
        let measured = run_gen(dir.path(), name);
        println!(
            "{:<24} {:>8.2} {:>10.0} {:>12.1} {:>16.4}",
            if with_id {
                format!("{name} *")
            } else {
                name.to_string()
            },
            measured.seconds,
            rows as f64 / measured.seconds,
            measured.max_rss_kib as f64 / 1024.0,
            measured.cpu_seconds / rows as f64 * 1000.0,
        );
        let out = dir
            .path()
            .join(format!("{}.seo.jsonl", name.rsplit_once('.').unwrap().0));
        let lines = count_lines(&out);
        assert_eq!(lines, rows, "every row must be in the results");
        std::fs::remove_file(out).ok();
        std::fs::remove_file(input).ok();
    }
    println!("* with an id column gen remembers an 8-byte hash per row to refuse duplicate ids");
}

/// Streams, so the bench process stays small: a forked child's peak RSS counts the parent's pages
/// until exec, and reading a 400 MB results file here would inflate the next measurement.
fn count_lines(path: &Path) -> usize {
    use std::io::BufRead;
    let file = std::fs::File::open(path).expect("results file");
    std::io::BufReader::new(file).split(b'\n').count()
}

fn write_input(path: &Path, rows: usize, with_id: bool) {
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    let jsonl = path.extension().is_some_and(|e| e == "jsonl");
    if !jsonl {
        writeln!(out, "{}keyword,audience", if with_id { "id," } else { "" }).unwrap();
    }
    for i in 1..=rows {
        if jsonl {
            writeln!(
                out,
                "{{\"keyword\":\"keyword phrase number {i}\",\"audience\":\"audience {}\"}}",
                i % 97
            )
            .unwrap();
        } else if with_id {
            writeln!(out, "sku-{i},keyword phrase number {i},audience {}", i % 97).unwrap();
        } else {
            writeln!(out, "keyword phrase number {i},audience {}", i % 97).unwrap();
        }
    }
    out.flush().unwrap();
}

// The child is reaped by wait4 (which also gives its rusage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn run_gen(dir: &Path, input: &str) -> Measured {
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_gen"))
        .args([
            "seo",
            "--no-profile",
            "--pool",
            "mock=64",
            "--progress",
            "none",
            input,
        ])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn gen");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value, and wait4 only writes into the two
    // out-parameters we pass for the child we just spawned.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "gen failed: status {status}"
    );
    let seconds = started.elapsed().as_secs_f64();
    let cpu = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    Measured {
        seconds,
        max_rss_kib: usage.ru_maxrss,
        cpu_seconds: cpu(usage.ru_utime) + cpu(usage.ru_stime),
    }
}
