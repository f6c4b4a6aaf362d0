//! `gen batch … --provider mock`: the mock's Batch API through the binary, with no key, no
//! network and no environment. A mock job takes 3 s: pending, running, finalizing, completed;
//! every 7th row of a job errors (server) and every 11th expires.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::support::{Run, Workspace, ids, keywords_csv};

fn gen_bare(ws: &Workspace, args: &[&str]) -> Run {
    // No environment at all: no HOME, no XDG dirs, no keys.
    let mut command = ws.command(args);
    command.env_clear();
    Run::from(command.output().expect("run gen"))
}

/// `row_id → error_kind` of a manifest, empty when there is none.
fn manifest(ws: &Workspace, name: &str) -> BTreeMap<String, String> {
    if !ws.exists(name) {
        return BTreeMap::new();
    }
    let (header, records) = ws.csv(name);
    let kind = header.iter().position(|h| h == "error_kind").unwrap();
    records
        .into_iter()
        .map(|r| (r[0].clone(), r[kind].clone()))
        .collect()
}

fn results(ws: &Workspace, name: &str) -> Vec<String> {
    if !ws.exists(name) {
        return Vec::new();
    }
    ids(&ws.jsonl(name), "row_id")
}

/// Every row of 1..=n exactly once over the results and the manifest.
#[track_caller]
fn every_row_once(done: &[String], failed: &BTreeMap<String, String>, n: usize) {
    let mut all: Vec<u32> = done
        .iter()
        .chain(failed.keys())
        .map(|id| id.parse().unwrap())
        .collect();
    all.sort();
    assert_eq!(all, (1..=n as u32).collect::<Vec<_>>(), "every row once");
}

fn submit(ws: &Workspace, rows: &str) -> String {
    let run = gen_bare(
        ws,
        &[
            "batch",
            "submit",
            "--task",
            "seo",
            "--provider",
            "mock",
            "--state-dir",
            "jobs",
            rows,
        ],
    );
    run.expect_code(0)
        .stderr_has("submitted")
        .stderr_has("to mock (mock-1) as 1 job(s)");
    run.stdout.trim().to_string()
}

#[test]
fn a_mock_batch_run_answers_every_row_once_with_errored_and_expired_rows() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(23));
    let started = Instant::now();
    let run = gen_bare(
        &ws,
        &[
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
            "--log",
            "calls.jsonl",
            "rows.csv",
        ],
    );
    run.expect_code(1)
        .stderr_has("pending")
        .stderr_has("running")
        .stderr_has("completed")
        .stderr_has("18 results to `rows.seo.jsonl`")
        .stderr_has("5 failed");
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "the job takes its 3 s"
    );
    let done = results(&ws, "rows.seo.jsonl");
    let failed = manifest(&ws, "rows.seo.failed.csv");
    every_row_once(&done, &failed, 23);
    let expected: BTreeMap<String, String> = [
        ("7", "server"),
        ("11", "expired"),
        ("14", "server"),
        ("21", "server"),
        ("22", "expired"),
    ]
    .into_iter()
    .map(|(id, kind)| (id.to_string(), kind.to_string()))
    .collect();
    assert_eq!(failed, expected);
    // The job's calls in the request log: created, polled until over, downloaded.
    let state: serde_json::Value =
        serde_json::from_str(&ws.read(&format!("jobs/{}.json", run.stdout.trim()))).unwrap();
    let remote_id = &state["parts"][0]["remote_id"];
    let calls: Vec<String> = ws
        .jsonl("calls.jsonl")
        .iter()
        .map(|l| {
            assert_eq!(l["outcome"], "ok", "{l}");
            assert_eq!(&l["job"], remote_id, "{l}");
            l["task"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(calls.first().map(String::as_str), Some("batch.create"));
    assert_eq!(calls.last().map(String::as_str), Some("batch.download"));
    assert!(
        calls.iter().filter(|c| *c == "batch.poll").count() >= 4,
        "{calls:?}"
    );
    let (header, records) = ws.csv("rows.seo.failed.csv");
    let error = header.iter().position(|h| h == "error").unwrap();
    assert!(records[0][error].starts_with("mock batch: "), "{records:?}");
    for line in ws.jsonl("rows.seo.jsonl") {
        assert_eq!(line["provider"], "mock");
        assert_eq!(line["model"], "mock-1");
        assert!(line["title"].as_str().unwrap().len() <= 60, "{line}");
        assert!(line["output_tokens"].as_u64().unwrap() > 0, "{line}");
    }

    // The failed rows again, as a job of their own: five rows, none a 7th or an 11th.
    let before = ws.read("rows.seo.jsonl");
    let first_job = run.stdout.trim().to_string();
    let retry = gen_bare(
        &ws,
        &[
            "batch",
            "submit",
            "--retry-failed",
            &first_job,
            "--state-dir",
            "jobs",
        ],
    );
    retry.expect_code(0).stderr_has("submitted 5 rows to mock");
    let second_job = retry.stdout.trim().to_string();
    gen_bare(
        &ws,
        &[
            "batch",
            "fetch",
            &second_job,
            "--wait",
            "--poll",
            "200ms",
            "--state-dir",
            "jobs",
        ],
    )
    .expect_code(0)
    .stderr_has("5 results");
    assert!(ws.read("rows.seo.jsonl").starts_with(&before), "appended");
    let mut done = results(&ws, "rows.seo.jsonl");
    done.sort_by_key(|id| id.parse::<u32>().unwrap());
    assert_eq!(done, (1..=23).map(|i| i.to_string()).collect::<Vec<_>>());
}

#[test]
fn a_mock_job_moves_from_pending_to_completed_between_invocations() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(4));
    let job = submit(&ws, "rows.csv");
    let list = gen_bare(&ws, &["batch", "list", "--state-dir", "jobs"]);
    list.expect_code(0);
    assert!(
        list.stdout.contains(&job) && list.stdout.contains("pending"),
        "{}",
        list.stdout
    );
    let lifecycle = ["pending", "running", "finalizing", "completed"];
    let mut seen: Vec<usize> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.last() != Some(&3) {
        assert!(Instant::now() < deadline, "never completed: {seen:?}");
        let status = gen_bare(&ws, &["batch", "status", &job, "--state-dir", "jobs"]);
        status.expect_code(0);
        let state = lifecycle
            .iter()
            .position(|s| status.stdout.contains(&format!("  {s}  ")))
            .unwrap_or_else(|| panic!("no state in {:?}", status.stdout));
        if seen.last() != Some(&state) {
            seen.push(state);
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order: {seen:?}");
    assert!(seen.len() >= 2, "seen moving: {seen:?}");
    let status = gen_bare(&ws, &["batch", "status", &job, "--state-dir", "jobs"]);
    assert!(
        status.stdout.contains("succeeded 4  failed 0  pending 0"),
        "{}",
        status.stdout
    );
    gen_bare(&ws, &["batch", "fetch", &job, "--state-dir", "jobs"])
        .expect_code(0)
        .stderr_has("4 results");
    // Fetching again adds nothing.
    let before = ws.read("rows.seo.jsonl");
    gen_bare(&ws, &["batch", "fetch", &job, "--state-dir", "jobs"]).expect_code(0);
    assert_eq!(before, ws.read("rows.seo.jsonl"));
}

#[test]
fn a_cancelled_mock_job_returns_its_unanswered_rows_as_cancelled() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(10));
    let job = submit(&ws, "rows.csv");
    gen_bare(&ws, &["batch", "cancel", &job, "--state-dir", "jobs"])
        .expect_code(0)
        .stderr_has("cancel requested");
    let status = gen_bare(&ws, &["batch", "status", &job, "--state-dir", "jobs"]);
    assert!(status.stdout.contains("  cancelled  "), "{}", status.stdout);
    // Cancelled is over: no waiting for the 3 s.
    let fetch = gen_bare(&ws, &["batch", "fetch", &job, "--state-dir", "jobs"]);
    fetch.expect_code(1);
    let done = results(&ws, "rows.seo.jsonl");
    let failed = manifest(&ws, "rows.seo.failed.csv");
    every_row_once(&done, &failed, 10);
    let cancelled = failed.values().filter(|k| *k == "cancelled").count();
    assert!(
        cancelled > 0,
        "a job cancelled at once leaves rows unanswered"
    );
    assert!(
        failed
            .iter()
            .all(|(id, kind)| kind == "cancelled" || id == "7"),
        "{failed:?}"
    );
    // Nothing moves after the cancel, not even once the 3 s are over.
    std::thread::sleep(Duration::from_millis(3_100));
    let status = gen_bare(&ws, &["batch", "status", &job, "--state-dir", "jobs"]);
    assert!(status.stdout.contains("  cancelled  "), "{}", status.stdout);
}

#[test]
fn the_seo_batch_shorthand_runs_on_the_mock() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(3));
    // The default state dir, under HOME.
    ws.run(&["seo", "--batch", "mock", "--poll", "200ms", "rows.csv"])
        .expect_code(0)
        .stderr_has("3 results");
    assert_eq!(results(&ws, "rows.seo.jsonl"), ["1", "2", "3"]);
    let list = ws.run(&["batch", "list"]);
    assert!(
        list.stdout.contains("mock") && list.stdout.contains("completed  age"),
        "{}",
        list.stdout
    );
}
