//! Where results and their sidecar files go, and how they end: the subject column of the built-in
//! tasks, the manifest beside `-o`, a stdout whose reader goes away, and CSV that Excel opens.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::support::{Workspace, keywords_csv};

#[test]
fn the_subject_is_keyword_in_any_case_or_the_column_named() {
    let ws = Workspace::new();
    ws.write("upper.csv", "Keyword,Audience\ntrail shoes,runners\n");
    ws.run(&["seo", "upper.csv"]).expect_code(0);
    assert!(
        ws.jsonl("upper.seo.jsonl")[0]["slug"]
            .as_str()
            .unwrap()
            .contains("trail")
    );

    ws.write("query.csv", "query,notes\nespresso machines,x\n");
    let run = ws.run(&["seo", "query.csv"]);
    run.expect_code(2)
        .stderr_has("columns in the input: query, notes")
        .stderr_has("--subject-column");
    ws.run(&["seo", "--subject-column", "query", "query.csv"])
        .expect_code(0);
    assert!(
        ws.jsonl("query.seo.jsonl")[0]["slug"]
            .as_str()
            .unwrap()
            .contains("espresso")
    );
    // The profile names it too.
    ws.write("p.toml", "subject_column = \"query\"\n");
    ws.run(&["seo", "--profile", "p.toml", "--force", "query.csv"])
        .expect_code(0);

    // A template of the user's own that names a missing column: no advice to pass a template.
    ws.write("t.j2", "About {{ topic }}");
    let run = ws.run(&["seo", "--template", "t.j2", "query.csv"]);
    run.expect_code(2).stderr_has("`topic`");
    assert!(!run.stderr.contains("--template"), "{}", run.stderr);
}

#[test]
fn the_manifest_lands_beside_the_results_and_never_blocks_a_stdout_run() {
    let ws = Workspace::new();
    // The middle row has no keyword (a row that fails), unlike a blank row (skipped).
    ws.write("rows.csv", "keyword,note\nalpha,x\n,y\nbeta,z\n");
    std::fs::create_dir_all(ws.path("outdir")).unwrap();
    ws.run(&["seo", "-o", "outdir/out.csv", "rows.csv"])
        .expect_code(1);
    assert!(ws.exists("outdir/out.failed.csv"), "beside -o");
    assert!(!ws.exists("out.failed.csv"));

    // A stdout run writes its manifest in the current directory, and an old one does not stop it.
    ws.write("rows.seo.failed.csv", "keyword,error_kind\nold,bad_input\n");
    let run = ws.run(&["seo", "-o", "-", "rows.csv"]);
    run.expect_code(1);
    assert_eq!(crate::support::jsonl(&run.stdout).len(), 2);
    let manifest = ws.read("rows.seo.failed.csv");
    assert!(!manifest.contains("old"), "replaced: {manifest}");
}

#[test]
fn a_closed_stdout_ends_the_run_quietly_with_0() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(50_000));
    let mut child = ws
        .command(&["seo", "--pool", "mock=4", "-o", "-", "rows.csv"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(lines.next().unwrap().unwrap().starts_with('{'));
    assert!(lines.next().unwrap().unwrap().starts_with('{'));
    drop(lines);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

#[test]
fn bom_starts_csv_results_and_manifests_for_excel_and_resume_still_works() {
    let ws = Workspace::new();
    ws.write("rows.csv", "keyword,note\ncafé crème,x\n,y\n");
    ws.run(&["seo", "--bom", "-o", "out.csv", "rows.csv"])
        .expect_code(1);
    let results = std::fs::read(ws.path("out.csv")).unwrap();
    assert!(
        results.starts_with(b"\xEF\xBB\xBF"),
        "results start with a BOM"
    );
    assert!(String::from_utf8_lossy(&results).contains("café crème"));
    assert!(
        std::fs::read(ws.path("out.failed.csv"))
            .unwrap()
            .starts_with(b"\xEF\xBB\xBF")
    );
    let run = ws.run(&["seo", "--bom", "-o", "out.csv", "--resume", "rows.csv"]);
    run.expect_code(1).stderr_has("1 skipped");
    let text = ws.read("out.csv");
    assert_eq!(text.matches('\u{feff}').count(), 1, "one BOM, at the start");
    // The manifest feeds back as input, BOM and all.
    ws.run(&["seo", "--dry-run", "out.failed.csv"])
        .expect_code(0);
}
