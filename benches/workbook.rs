//! What a workbook input costs: the real `gen` over a generated .xlsx (keyword, audience, a price
//! and a date per row), as a dry run (which reads every row) and as a run on the mock, beside the
//! same rows as CSV; wall time, peak RSS and CPU time from the kernel (wait4 rusage). A workbook
//! is loaded whole at open (calamine), so its peak grows with the sheet; CSV stays flat.
//!
//!     cargo bench --bench workbook                      # 100,000 rows
//!     GEN_BENCH_ROWS=20000 cargo bench --bench workbook

mod common;

use std::io::{BufWriter, Write};
use std::path::Path;

use common::{count_lines, gen_command, measure, rows_from_env};

/// Set (to a path) when this bench runs itself to write the workbook, so the memory the writer
/// takes stays out of the process that spawns `gen`.
const WRITE_XLSX: &str = "GEN_BENCH_WRITE_XLSX";

fn main() {
    let rows = rows_from_env(100_000);
    if let Some(path) = std::env::var_os(WRITE_XLSX) {
        write_xlsx(Path::new(&path), rows);
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let xlsx = dir.path().join("rows.xlsx");
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .env(WRITE_XLSX, &xlsx)
        .status()
        .expect("run the workbook writer");
    assert!(status.success(), "writing the workbook failed");
    write_csv(&dir.path().join("rows.csv"), rows);
    let size = |name: &str| std::fs::metadata(dir.path().join(name)).unwrap().len() as f64 / 1e6;
    println!(
        "gen workbook input: {rows} rows × 4 columns (rows.xlsx {:.1} MB, rows.csv {:.1} MB), \
         release build",
        size("rows.xlsx"),
        size("rows.csv")
    );
    println!(
        "{:<10} {:<34} {:>8} {:>12} {:>7}",
        "input", "command", "seconds", "peak RSS MB", "CPU s"
    );
    for input in ["rows.xlsx", "rows.csv"] {
        for (label, args) in [
            (
                "seo --dry-run",
                vec!["seo", "--no-profile", "--dry-run", input],
            ),
            (
                "seo --pool mock=64 (zero latency)",
                vec![
                    "seo",
                    "--no-profile",
                    "--pool",
                    "mock=64",
                    "--progress",
                    "none",
                    "--force",
                    input,
                ],
            ),
        ] {
            let measured = measure(&mut gen_command(dir.path(), &args));
            println!(
                "{input:<10} {label:<34} {:>8.2} {:>12.1} {:>7.2}",
                measured.seconds,
                measured.max_rss_kib as f64 / 1024.0,
                measured.cpu_seconds
            );
        }
        let out = dir.path().join("rows.seo.jsonl");
        assert_eq!(count_lines(&out), rows, "every row must be in the results");
        std::fs::remove_file(out).ok();
    }
}

fn cells(i: usize) -> (String, String, f64) {
    (
        format!("keyword phrase number {i}"),
        format!("audience {}", i % 97),
        (i % 1000) as f64 / 10.0 + 0.99,
    )
}

fn write_xlsx(path: &Path, rows: usize) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let day = ExcelDateTime::from_ymd(2026, 12, 1).unwrap();
    for (col, name) in ["keyword", "audience", "price", "launch"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, *name).unwrap();
    }
    for i in 1..=rows {
        let (keyword, audience, price) = cells(i);
        let row = i as u32;
        sheet.write_string(row, 0, keyword).unwrap();
        sheet.write_string(row, 1, audience).unwrap();
        sheet.write_number(row, 2, price).unwrap();
        sheet
            .write_datetime_with_format(row, 3, &day, &date)
            .unwrap();
    }
    workbook.save(path).unwrap();
}

fn write_csv(path: &Path, rows: usize) {
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(out, "keyword,audience,price,launch").unwrap();
    for i in 1..=rows {
        let (keyword, audience, price) = cells(i);
        writeln!(out, "{keyword},{audience},{price},2026-12-01").unwrap();
    }
    out.flush().unwrap();
}
