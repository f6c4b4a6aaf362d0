//! End-to-end throughput and memory of a live run on the mock provider at zero latency: the real
//! `gen` binary over a generated input, timed, with its peak RSS from the kernel (wait4 rusage).
//!
//!     cargo bench --bench throughput                    # 1,000,000 rows
//!     GEN_BENCH_ROWS=200000 cargo bench --bench throughput
//!
//! Targets (issue #3): >= 50,000 rows/s and a flat peak RSS <= 40 MB for 1,000,000 rows, 64 lanes.

mod common;

use common::{count_lines, gen_command, measure, rows_from_env, write_input};

fn main() {
    let rows = rows_from_env(1_000_000);
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
        let measured = measure(&mut gen_command(
            dir.path(),
            &[
                "seo",
                "--no-profile",
                "--pool",
                "mock=64",
                "--progress",
                "none",
                name,
            ],
        ));
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
