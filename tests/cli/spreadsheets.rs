//! Files as spreadsheets export them: semicolons and tabs, blank trailing rows, Windows-1252 and
//! UTF-16 text, and workbooks (.xlsx) with numbers, dates, booleans and several sheets.

use std::path::Path;

use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
use serde_json::Value;

use crate::support::{Run, Workspace, ids};

/// The result lines' `field`, in order.
fn column(ws: &Workspace, name: &str, field: &str) -> Vec<String> {
    ids(&ws.jsonl(name), field)
}

/// A usage or input error: exit 2, nothing sent, no results file.
#[track_caller]
fn refused_before_sending(ws: &Workspace, run: &Run, results: &str) {
    run.expect_code(2).stderr_has("gen: error:");
    assert!(
        !run.stderr.contains("lane(s)"),
        "lanes started: {}",
        run.stderr
    );
    assert!(!ws.exists(results), "{results} was written");
}

#[test]
fn semicolon_and_tab_separated_files_run_on_the_mock() {
    let ws = Workspace::new();
    ws.write(
        "semi.csv",
        "keyword;audience\n\"shoes; red\";men\nbags, leather;women\n",
    );
    let dry = ws.run(&["seo", "semi.csv", "--dry-run"]);
    dry.expect_code(0)
        .stdout_has("input: CSV, delimiter ';' (sniffed), encoding UTF-8")
        .stdout_has("Audience: men.");
    ws.run(&["seo", "semi.csv"])
        .expect_code(0)
        .stderr_has(": 2 done, 0 failed");
    assert_eq!(
        column(&ws, "semi.seo.jsonl", "keyword"),
        ["shoes; red", "bags, leather"]
    );
    assert_eq!(column(&ws, "semi.seo.jsonl", "audience"), ["men", "women"]);

    ws.write("rows.tsv", "id\tkeyword\n1\tdesk, oak\n2\tlamp\n");
    ws.run(&["seo", "rows.tsv", "--dry-run"])
        .expect_code(0)
        .stdout_has("input: CSV, delimiter tab (.tsv), encoding UTF-8");
    ws.run(&["seo", "rows.tsv"]).expect_code(0);
    assert_eq!(column(&ws, "rows.seo.jsonl", "row_id"), ["1", "2"]);
    assert_eq!(
        column(&ws, "rows.seo.jsonl", "keyword"),
        ["desk, oak", "lamp"]
    );
}

#[test]
fn a_forced_delimiter_wins_over_the_sniffed_one() {
    let ws = Workspace::new();
    // Commas split the header too (keyword;price | currency), and so do the decimal commas.
    ws.write(
        "prices.csv",
        "keyword;price,currency\nshoes;1,50\nbags;2,75\n",
    );
    let run = ws.run(&["seo", "prices.csv"]);
    refused_before_sending(&ws, &run, "prices.seo.jsonl");
    run.stderr_has("keyword");
    ws.run(&["seo", "prices.csv", "--delimiter", ";", "--dry-run"])
        .expect_code(0)
        .stdout_has("delimiter ';' (--delimiter)");
    ws.run(&["seo", "prices.csv", "--delimiter", ";"])
        .expect_code(0)
        .stderr_has(": 2 done");
    assert_eq!(
        column(&ws, "prices.seo.jsonl", "keyword"),
        ["shoes", "bags"]
    );
    assert_eq!(
        column(&ws, "prices.seo.jsonl", "price,currency"),
        ["1,50", "2,75"]
    );

    let bad = ws.run(&["seo", "prices.csv", "--delimiter", "::"]);
    bad.expect_code(2).stderr_has("`tab`");
}

#[test]
fn a_semicolon_manifest_is_written_with_semicolons_and_feeds_back() {
    let ws = Workspace::new();
    // Row 2 repeats id 1: it fails as duplicate_id and keeps its data.
    ws.write("rows.csv", "id;keyword\n1;alpha, a\n1;beta, b\n");
    ws.run(&["seo", "rows.csv"]).expect_code(1);
    let manifest = ws.read("rows.seo.failed.csv");
    assert!(
        manifest.starts_with("id;keyword;error_kind;error;attempts;providers_tried;cost_usd\n"),
        "{manifest}"
    );
    assert!(manifest.contains("1;beta, b;duplicate_id;"), "{manifest}");
    ws.run(&["seo", "rows.seo.failed.csv", "-o", "retry.jsonl"])
        .expect_code(0)
        .stderr_has(": 1 done, 0 failed");
    assert_eq!(column(&ws, "retry.jsonl", "keyword"), ["beta, b"]);
}

#[test]
fn trailing_blank_rows_are_skipped_and_the_dry_run_agrees() {
    let ws = Workspace::new();
    ws.write(
        "sheet.csv",
        "keyword,audience\nshoes,men\nbags,women\n,\n,\n,\n",
    );
    ws.run(&["seo", "sheet.csv", "--dry-run"])
        .expect_code(0)
        .stdout_has("rows: 2 (3 blank rows skipped, 0 would go to the manifest)");
    ws.run(&["seo", "sheet.csv"])
        .expect_code(0)
        .stderr_has(": 2 done, 0 failed, 0 skipped (already in the results), 3 blank rows skipped");
    assert!(!ws.exists("sheet.seo.failed.csv"));
    assert_eq!(column(&ws, "sheet.seo.jsonl", "keyword"), ["shoes", "bags"]);
}

/// `café crème` and `Zoë` in Windows-1252, as Excel saves "CSV" on Windows.
const CP1252: &[u8] = b"keyword,audience\ncaf\xe9 cr\xe8me,gourmets\nbooks,Zo\xeb\n";

#[test]
fn windows_1252_stops_before_sending_then_reads_accents_with_the_flag() {
    let ws = Workspace::new();
    ws.write("menu.csv", CP1252);
    let run = ws.run(&["seo", "menu.csv"]);
    refused_before_sending(&ws, &run, "menu.seo.jsonl");
    run.stderr_has("`menu.csv` line 2 is not valid UTF-8")
        .stderr_has("--encoding windows-1252");
    assert!(!ws.exists("menu.seo.failed.csv"));

    ws.run(&["seo", "menu.csv", "--encoding", "windows-1252"])
        .expect_code(0)
        .stderr_has(": 2 done, 0 failed");
    let results = ws.jsonl("menu.seo.jsonl");
    assert_eq!(results[0]["keyword"], "café crème");
    assert_eq!(results[1]["audience"], "Zoë");
    let title = results[0]["title"].as_str().unwrap();
    assert!(title.contains('é'), "{title}");

    let bad = ws.run(&["seo", "menu.csv", "--encoding", "klingon"]);
    bad.expect_code(2).stderr_has("windows-1252");
}

#[test]
fn a_manifest_of_a_windows_1252_run_feeds_back_with_the_same_flags() {
    let ws = Workspace::new();
    // Row 2 repeats id 1.
    ws.write("menu.csv", b"id,keyword\n1,caf\xe9\n1,cr\xe8me\n");
    let flags = ["--encoding", "windows-1252"];
    ws.run(&[&["seo", "menu.csv"][..], &flags].concat())
        .expect_code(1);
    let bytes = std::fs::read(ws.path("menu.seo.failed.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBFid,keyword,"), "a UTF-8 BOM");
    let retry = ["seo", "menu.seo.failed.csv", "-o", "retry.jsonl"];
    ws.run(&[&retry[..], &flags].concat())
        .expect_code(0)
        .stderr_has(": 1 done");
    assert_eq!(column(&ws, "retry.jsonl", "keyword"), ["crème"]);
}

#[test]
fn utf16_le_with_a_bom_is_read() {
    let ws = Workspace::new();
    let text = "keyword,audience\nnaïve art,Zoë\n日本茶,tea lovers\n";
    let bytes: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    ws.write("u16.csv", bytes);
    ws.run(&["seo", "u16.csv", "--dry-run"])
        .expect_code(0)
        .stdout_has("encoding UTF-16LE (BOM)");
    ws.run(&["seo", "u16.csv"]).expect_code(0);
    assert_eq!(
        column(&ws, "u16.seo.jsonl", "keyword"),
        ["naïve art", "日本茶"]
    );
}

/// `Data`: ids, keywords, an integer, a float, a date, a date-time, a boolean and an error
/// formula, with a blank row between the rows; `Other`: one row.
fn write_workbook(path: &Path) {
    let mut workbook = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let data = workbook.add_worksheet();
    data.set_name("Data").unwrap();
    let header = [
        "id", "keyword", "count", "price", "launch", "at", "active", "ratio",
    ];
    for (col, name) in header.iter().enumerate() {
        data.write_string(0, col as u16, *name).unwrap();
    }
    let day = ExcelDateTime::from_ymd(2026, 12, 1).unwrap();
    let moment = ExcelDateTime::from_ymd(2026, 12, 1)
        .unwrap()
        .and_hms(14, 30, 0)
        .unwrap();
    data.write_number(1, 0, 1).unwrap();
    data.write_string(1, 1, "shoes").unwrap();
    data.write_number(1, 2, 3).unwrap();
    data.write_number(1, 3, 0.1).unwrap();
    data.write_datetime_with_format(1, 4, &day, &date).unwrap();
    data.write_datetime_with_format(1, 5, &moment, &datetime)
        .unwrap();
    data.write_boolean(1, 6, true).unwrap();
    data.write_formula(1, 7, Formula::new("=1/0").set_result("#DIV/0!"))
        .unwrap();
    // Row 3 is blank; row 4 is the second data row.
    data.write_number(3, 0, 2).unwrap();
    data.write_string(3, 1, "bags").unwrap();
    data.write_number(3, 2, 12).unwrap();
    data.write_number(3, 3, 1234.5678).unwrap();
    data.write_boolean(3, 6, false).unwrap();
    let other = workbook.add_worksheet();
    other.set_name("Other").unwrap();
    other.write_string(0, 0, "keyword").unwrap();
    other.write_string(1, 0, "from the second sheet").unwrap();
    workbook.save(path).unwrap();
}

#[test]
fn an_xlsx_reads_cells_as_the_sheet_shows_them() {
    let ws = Workspace::new();
    write_workbook(&ws.path("rows.xlsx"));
    ws.run(&["seo", "rows.xlsx", "--dry-run"])
        .expect_code(0)
        .stdout_has("input: workbook (xlsx), sheet `Data` (the first of 2)")
        .stdout_has("\"shoes\"")
        .stdout_has("rows: 2 (1 blank row skipped, 0 would go to the manifest)");
    ws.run(&["seo", "rows.xlsx"])
        .expect_code(0)
        .stderr_has(": 2 done, 0 failed, 0 skipped (already in the results), 1 blank row skipped");
    let results = ws.jsonl("rows.seo.jsonl");
    let cells = |line: &Value, names: &[&str]| -> Vec<String> {
        names
            .iter()
            .map(|n| line[*n].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let names = [
        "id", "keyword", "count", "price", "launch", "at", "active", "ratio",
    ];
    assert_eq!(
        cells(&results[0], &names),
        [
            "1",
            "shoes",
            "3",
            "0.1",
            "2026-12-01",
            "2026-12-01 14:30:00",
            "TRUE",
            "#DIV/0!"
        ]
    );
    assert_eq!(
        cells(&results[1], &names),
        ["2", "bags", "12", "1234.5678", "", "", "FALSE", ""]
    );
    assert_eq!(ids(&results, "row_id"), ["1", "2"]);
    assert!(!ws.exists("rows.seo.failed.csv"));
}

#[test]
fn sheet_picks_another_sheet_and_an_unknown_one_lists_them() {
    let ws = Workspace::new();
    write_workbook(&ws.path("book.xlsx"));
    ws.run(&["seo", "book.xlsx", "--sheet", "Other"])
        .expect_code(0)
        .stderr_has(": 1 done");
    assert_eq!(
        column(&ws, "book.seo.jsonl", "keyword"),
        ["from the second sheet"]
    );
    let run = ws.run(&["seo", "book.xlsx", "--sheet", "Summary", "--force"]);
    run.expect_code(2)
        .stderr_has("`book.xlsx` has no sheet `Summary`; its sheets are: `Data`, `Other`");
    let run = ws.run(&["seo", "book.xlsx", "--delimiter", ";", "--force"]);
    run.expect_code(2).stderr_has("is a workbook");
}

#[test]
fn a_workbook_manifest_is_csv_and_feeds_back_as_input() {
    let ws = Workspace::new();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (row, (id, keyword)) in [("id", "keyword"), ("a", "first"), ("a", "é, second")]
        .iter()
        .enumerate()
    {
        sheet.write_string(row as u32, 0, *id).unwrap();
        sheet.write_string(row as u32, 1, *keyword).unwrap();
    }
    workbook.save(ws.path("dup.xlsx")).unwrap();
    ws.run(&["seo", "dup.xlsx"])
        .expect_code(1)
        .stderr_has("dup.seo.failed.csv");
    let (header, records) = ws.csv("dup.seo.failed.csv");
    assert_eq!(header[..3], ["id", "keyword", "error_kind"]);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0][..3], ["a", "é, second", "duplicate_id"]);
    assert!(records[0][3].contains("line 3"), "{:?}", records[0]);
    ws.run(&["seo", "dup.seo.failed.csv", "-o", "retry.jsonl"])
        .expect_code(0)
        .stderr_has(": 1 done, 0 failed");
    assert_eq!(column(&ws, "retry.jsonl", "keyword"), ["é, second"]);
}

/// `gen batch run` on the mock, which reads the input again when it fetches.
fn batch_run(ws: &Workspace, input: &str, flags: &[&str]) -> Run {
    let mut args = vec![
        "batch",
        "run",
        "--task",
        "seo",
        "--provider",
        "mock",
        "--poll",
        "200ms",
        "--state-dir",
        "jobs",
        input,
    ];
    args.extend_from_slice(flags);
    ws.run(&args)
}

fn job_file(ws: &Workspace) -> Value {
    let entry = std::fs::read_dir(ws.path("jobs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("a job file");
    serde_json::from_str(&std::fs::read_to_string(entry).unwrap()).unwrap()
}

#[test]
fn a_batch_job_reads_its_input_the_same_way_when_it_fetches() {
    let ws = Workspace::new();
    ws.write(
        "menu.csv",
        b"keyword;audience\ncaf\xe9;gourmets\ncr\xe8me;cooks\n",
    );
    batch_run(&ws, "menu.csv", &["--encoding", "latin1"])
        .expect_code(0)
        .stderr_has("2 results");
    let job = job_file(&ws);
    assert_eq!(job["delimiter"], ";");
    assert_eq!(job["encoding"], "windows-1252");
    assert_eq!(column(&ws, "menu.seo.jsonl", "keyword"), ["café", "crème"]);

    let ws = Workspace::new();
    write_workbook(&ws.path("book.xlsx"));
    batch_run(&ws, "book.xlsx", &["--sheet", "Other"])
        .expect_code(0)
        .stderr_has("1 results");
    assert_eq!(job_file(&ws)["sheet"], "Other");
    assert_eq!(
        column(&ws, "book.seo.jsonl", "keyword"),
        ["from the second sheet"]
    );
}

#[test]
fn xls_and_ods_read_like_the_xlsx() {
    // fixtures/workbooks/make.py wrote them: a `Data` sheet with a blank row, and `Other`.
    for name in ["rows.xls", "rows.ods"] {
        let ws = Workspace::new();
        let bytes = std::fs::read(crate::support::repo_file(&format!(
            "fixtures/workbooks/{name}"
        )))
        .unwrap();
        ws.write(name, bytes);
        let kind = name.rsplit_once('.').unwrap().1;
        ws.run(&["seo", name, "--dry-run"])
            .expect_code(0)
            .stdout_has(&format!("input: workbook ({kind}), sheet `Data`"));
        ws.run(&["seo", name]).expect_code(0).stderr_has(
            ": 2 done, 0 failed, 0 skipped (already in the results), 1 blank row skipped",
        );
        let results = ws.jsonl("rows.seo.jsonl");
        let names = ["id", "keyword", "count", "price", "launch", "active"];
        let row = |line: &Value| -> Vec<String> {
            names
                .iter()
                .map(|n| line[*n].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            row(&results[0]),
            ["1", "shoes", "3", "0.1", "2026-12-01", "TRUE"],
            "{name}"
        );
        assert_eq!(
            row(&results[1]),
            [
                "2",
                "crème brûlée",
                "12",
                "1234.5678",
                "2026-12-01 14:30:00",
                "FALSE"
            ],
            "{name}"
        );
        ws.run(&["seo", name, "--sheet", "Other", "-o", "other.jsonl"])
            .expect_code(0);
        assert_eq!(
            column(&ws, "other.jsonl", "keyword"),
            ["from the second sheet"]
        );
    }
}

#[test]
fn a_damaged_workbook_says_what_to_do() {
    let ws = Workspace::new();
    ws.write("broken.xlsx", b"PK\x03\x04 not really a zip");
    let run = ws.run(&["seo", "broken.xlsx"]);
    refused_before_sending(&ws, &run, "broken.seo.jsonl");
    run.stderr_has("cannot read `broken.xlsx` as a workbook")
        .stderr_has("export the sheet as CSV UTF-8");
}

#[test]
fn a_workbook_header_gap_stops_and_a_cell_past_the_header_fails_its_row() {
    let ws = Workspace::new();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    // The header starts on row 2, in column B; C2 is empty.
    sheet.write_string(1, 1, "keyword").unwrap();
    sheet.write_string(1, 3, "audience").unwrap();
    sheet.write_string(2, 1, "shoes").unwrap();
    workbook.save(ws.path("gap.xlsx")).unwrap();
    let run = ws.run(&["seo", "gap.xlsx"]);
    refused_before_sending(&ws, &run, "gap.seo.jsonl");
    run.stderr_has("`gap.xlsx` sheet `Sheet1` row 2: header cell C2 is empty");

    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "keyword").unwrap();
    sheet.write_string(1, 0, "shoes").unwrap();
    sheet.write_string(2, 0, "bags").unwrap();
    sheet.write_string(2, 2, "stray").unwrap();
    workbook.save(ws.path("stray.xlsx")).unwrap();
    ws.run(&["seo", "stray.xlsx"]).expect_code(1);
    assert_eq!(column(&ws, "stray.seo.jsonl", "keyword"), ["shoes"]);
    let (header, records) = ws.csv("stray.seo.failed.csv");
    let error = header.iter().position(|h| h == "error").unwrap();
    assert_eq!(records.len(), 1);
    assert!(
        records[0][error]
            .starts_with("line 3: a value in a column without a header (C3 \"stray\")"),
        "{:?}",
        records[0]
    );
}
