//! What the end-to-end benchmarks share: the row count from `GEN_BENCH_ROWS`, generated inputs,
//! running the real `gen` binary with its wall time, CPU time and peak RSS from the kernel (wait4
//! rusage), and counting result lines without holding the file.

use std::io::{BufRead, BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// One `gen` run as the kernel saw it.
pub struct Measured {
    pub seconds: f64,
    pub max_rss_kib: i64,
    /// User + system time of the `gen` process.
    pub cpu_seconds: f64,
    /// The system (kernel) part of `cpu_seconds`.
    // Only `providers` splits the CPU time.
    #[allow(dead_code)]
    pub sys_seconds: f64,
}

/// `GEN_BENCH_ROWS`, else `default`.
pub fn rows_from_env(default: usize) -> usize {
    std::env::var("GEN_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Streams, so the bench process stays small: a forked child's peak RSS counts the parent's pages
/// until exec, and reading a 400 MB results file here would inflate the next measurement.
pub fn count_lines(path: &Path) -> usize {
    let file = std::fs::File::open(path).expect("results file");
    std::io::BufReader::new(file).split(b'\n').count()
}

/// `rows` keyword rows: CSV with a header (and an `id` column when `with_id`), or JSONL when the
/// path ends in `.jsonl`.
// Not every bench uses it: `workbook` writes rows of its own.
#[allow(dead_code)]
pub fn write_input(path: &Path, rows: usize, with_id: bool) {
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

/// `gen` with these arguments in `dir`, its output and logs discarded; add environment before
/// handing it to [`measure`].
pub fn gen_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gen"));
    command
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Runs `command` to the end, panicking unless it exits 0.
// Not every bench uses it: `adaptive` reports a failed run instead.
#[allow(dead_code)]
pub fn measure(command: &mut Command) -> Measured {
    try_measure(command).unwrap_or_else(|status| panic!("gen failed: status {status}"))
}

/// Runs `command` to the end; `Err` holds the wait status unless it exited 0.
// Not every bench uses it: `hangs` wants the measurement of a failed run too.
#[allow(dead_code)]
pub fn try_measure(command: &mut Command) -> Result<Measured, i32> {
    let (measured, status) = measure_any(command);
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        return Err(status);
    }
    Ok(measured)
}

/// Runs `command` to the end, whatever its exit: the measurement and the wait status.
// The child is reaped by wait4 (which also gives its rusage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
pub fn measure_any(command: &mut Command) -> (Measured, i32) {
    let started = Instant::now();
    let child = command.spawn().expect("spawn gen");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value, and wait4 only writes into the two
    // out-parameters we pass for the child we just spawned.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4 failed");
    let measured = Measured {
        seconds: started.elapsed().as_secs_f64(),
        max_rss_kib: usage.ru_maxrss,
        cpu_seconds: cpu_seconds(&usage),
        sys_seconds: timeval_seconds(usage.ru_stime),
    };
    (measured, status)
}

/// User + system seconds of a rusage.
pub fn cpu_seconds(usage: &libc::rusage) -> f64 {
    timeval_seconds(usage.ru_utime) + timeval_seconds(usage.ru_stime)
}

pub fn timeval_seconds(tv: libc::timeval) -> f64 {
    tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6
}
