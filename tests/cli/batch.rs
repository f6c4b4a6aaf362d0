//! `gen batch` against the loopback fake's Batch APIs: submit → status → fetch for each
//! provider, errored and expired rows, fetching twice, cancel, and the one-provider rule.

use std::collections::HashSet;
use std::process::Command;

use crate::fake::{Api, FakeServer};
use crate::support::{Run, Workspace, ids, keywords_csv};

const OPENAI_KEY: &str = "sk-openai-batch-test-1111";
const ANTHROPIC_KEY: &str = "sk-ant-batch-test-2222";
const GEMINI_KEY: &str = "AIzaSy-batch-test-3333";

fn setup(ws: &Workspace, server: &FakeServer) {
    server.add_key(Api::OpenAi, OPENAI_KEY);
    server.add_key(Api::Anthropic, ANTHROPIC_KEY);
    server.add_key(Api::Gemini, GEMINI_KEY);
    ws.write(
        "config/gen/config.toml",
        format!(
            "[providers.openai]\nbase_url = \"{}\"\n\n[providers.anthropic]\nbase_url = \"{}\"\n\n\
             [providers.gemini]\nbase_url = \"{}\"\n",
            server.base_url(Api::OpenAi),
            server.origin(),
            server.base_url(Api::Gemini),
        ),
    );
}

fn gen_with_keys(ws: &Workspace, args: &[&str]) -> Run {
    let mut command: Command = ws.command(args);
    command
        .env("OPENAI_API_KEY", OPENAI_KEY)
        .env("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
        .env("GEMINI_API_KEY", GEMINI_KEY);
    Run::from(command.output().expect("run gen"))
}

fn submit(ws: &Workspace, provider: &str, task: &str) -> String {
    let run = gen_with_keys(
        ws,
        &[
            "batch",
            "submit",
            "--task",
            task,
            "--provider",
            provider,
            "--state-dir",
            "jobs",
            "rows.csv",
        ],
    );
    run.expect_code(0)
        .stderr_has("estimated cost at batch prices");
    let job = run.stdout.trim().to_string();
    assert!(
        job.starts_with('b') && !job.contains('\n'),
        "the job id alone on stdout: {:?}",
        run.stdout
    );
    job
}

/// `gen batch fetch JOB --wait` with a fast poll, as every test here waits for its job.
fn fetch_and_wait(ws: &Workspace, job: &str) -> Run {
    gen_with_keys(
        ws,
        &[
            "batch",
            "fetch",
            job,
            "--wait",
            "--poll",
            "10ms",
            "--state-dir",
            "jobs",
        ],
    )
}

fn manifest_kinds(ws: &Workspace, name: &str) -> Vec<(String, String)> {
    if !ws.exists(name) {
        return Vec::new();
    }
    let (header, records) = ws.csv(name);
    let kind = header.iter().position(|h| h == "error_kind").unwrap();
    records
        .into_iter()
        .map(|r| (r[0].clone(), r[kind].clone()))
        .collect()
}

#[test]
fn each_provider_submits_reports_status_and_fetches_every_row_exactly_once() {
    for (provider, api) in [
        ("openai", Api::OpenAi),
        ("anthropic", Api::Anthropic),
        ("gemini", Api::Gemini),
    ] {
        let server = FakeServer::start();
        let ws = Workspace::new();
        setup(&ws, &server);
        ws.write("rows.csv", keywords_csv(12));
        server.set_batch_failures(api, Some(4), Some(5));
        let job = submit(&ws, provider, "seo");
        let status = gen_with_keys(&ws, &["batch", "status", &job, "--state-dir", "jobs"]);
        status.expect_code(0);
        assert!(
            status.stdout.contains(&job) && status.stdout.contains(provider),
            "{provider}: {}",
            status.stdout
        );
        let fetch = fetch_and_wait(&ws, &job);
        fetch.expect_code(1).stderr_has("failed");
        let done = ids(&ws.jsonl("rows.seo.jsonl"), "row_id");
        let failed = manifest_kinds(&ws, "rows.seo.failed.csv");
        let mut all: Vec<String> = done
            .iter()
            .cloned()
            .chain(failed.iter().map(|(id, _)| id.clone()))
            .collect();
        all.sort_by_key(|id| id.parse::<u32>().unwrap());
        assert_eq!(
            all,
            (1..=12).map(|i| i.to_string()).collect::<Vec<_>>(),
            "{provider}: every row once"
        );
        let kinds: HashSet<&str> = failed.iter().map(|(_, k)| k.as_str()).collect();
        assert!(kinds.contains("expired"), "{provider}: {failed:?}");
        assert!(
            kinds.iter().any(|k| *k != "expired"),
            "{provider}: errored rows too: {failed:?}"
        );
        for line in ws.jsonl("rows.seo.jsonl") {
            assert_eq!(line["provider"], provider);
            assert!(line["title"].as_str().unwrap().len() <= 60);
        }
        // Fetching again adds nothing.
        let before = (ws.read("rows.seo.jsonl"), ws.read("rows.seo.failed.csv"));
        gen_with_keys(&ws, &["batch", "fetch", &job, "--state-dir", "jobs"]).expect_code(0);
        assert_eq!(
            before,
            (ws.read("rows.seo.jsonl"), ws.read("rows.seo.failed.csv")),
            "{provider}: fetch twice"
        );
        server.assert_no_violations();
        let list = gen_with_keys(&ws, &["batch", "list", "--state-dir", "jobs"]);
        assert!(
            list.stdout.contains(&job) && list.stdout.contains("fetched"),
            "{}",
            list.stdout
        );
        let state = std::fs::read_to_string(ws.path(&format!("jobs/{job}.json"))).unwrap();
        for key in [OPENAI_KEY, ANTHROPIC_KEY, GEMINI_KEY] {
            assert!(!state.contains(key), "no key in the job file");
        }
    }
}

#[test]
fn a_cancelled_job_returns_its_unanswered_rows_as_cancelled() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(6));
    let job = submit(&ws, "openai", "outline");
    gen_with_keys(&ws, &["batch", "cancel", &job, "--state-dir", "jobs"])
        .expect_code(0)
        .stderr_has("cancel requested");
    fetch_and_wait(&ws, &job);
    let failed = manifest_kinds(&ws, "rows.outline.failed.csv");
    let done = if ws.exists("rows.outline.jsonl") {
        ws.jsonl("rows.outline.jsonl").len()
    } else {
        0
    };
    assert_eq!(done + failed.len(), 6);
    assert!(
        failed.iter().all(|(_, kind)| kind == "cancelled"),
        "{failed:?}"
    );
    assert!(
        !failed.is_empty(),
        "a job cancelled at once leaves rows unanswered"
    );
}

#[test]
fn batch_runs_on_one_provider_and_refuses_a_pool() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(2));
    let run = gen_with_keys(
        &ws,
        &[
            "batch",
            "submit",
            "--task",
            "seo",
            "--provider",
            "openai",
            "--pool",
            "a=1",
            "rows.csv",
        ],
    );
    run.expect_code(2)
        .stderr_has("a batch job runs on one provider");
    let run = gen_with_keys(
        &ws,
        &["seo", "--batch", "openai", "--pool", "mock=1", "rows.csv"],
    );
    run.expect_code(2)
        .stderr_has("a batch job runs on one provider");
    let run = gen_with_keys(
        &ws,
        &[
            "batch",
            "submit",
            "--task",
            "seo",
            "--provider",
            "deepseek",
            "rows.csv",
        ],
    );
    run.expect_code(2).stderr_has("no Batch API");
    assert!(server.requests().is_empty());
}

#[test]
fn the_seo_batch_shorthand_submits_waits_and_fetches() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(5));
    std::fs::create_dir_all(ws.path("data")).unwrap();
    let mut command = ws.command(&["seo", "--batch", "anthropic", "--poll", "10ms", "rows.csv"]);
    command
        .env("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
        .env("XDG_DATA_HOME", ws.path("data"));
    let run = Run::from(command.output().unwrap());
    run.expect_code(0);
    assert_eq!(ws.jsonl("rows.seo.jsonl").len(), 5);
    assert!(
        std::fs::read_dir(ws.path("data/gen/batches"))
            .unwrap()
            .count()
            == 1,
        "the job file is in the data dir"
    );
}

#[test]
fn retry_failed_resubmits_only_the_failures_and_live_spills_them_over() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(10));
    server.set_batch_failures(Api::Anthropic, Some(3), None);
    let job = submit(&ws, "anthropic", "seo");
    fetch_and_wait(&ws, &job).expect_code(1);
    let failed_first: Vec<String> = manifest_kinds(&ws, "rows.seo.failed.csv")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(failed_first.len(), 3, "{failed_first:?}");

    // A new batch with only those rows.
    server.set_batch_failures(Api::Anthropic, None, None);
    let run = gen_with_keys(
        &ws,
        &[
            "batch",
            "submit",
            "--retry-failed",
            &job,
            "--state-dir",
            "jobs",
        ],
    );
    run.expect_code(0).stderr_has("submitted 3 rows");
    let retry = run.stdout.trim().to_string();
    fetch_and_wait(&ws, &retry).expect_code(0);
    let done = ids(&ws.jsonl("rows.seo.jsonl"), "row_id");
    assert_eq!(
        done.iter().collect::<HashSet<_>>().len(),
        10,
        "every row once: {done:?}"
    );
    assert_eq!(done.len(), 10);

    // Spill-over: a second input's failures go through the live pool instead.
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(8));
    server.set_batch_failures(Api::OpenAi, None, Some(2));
    let job = submit(&ws, "openai", "seo");
    fetch_and_wait(&ws, &job).expect_code(1);
    let live_before = server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .count();
    let run = gen_with_keys(
        &ws,
        &[
            "batch",
            "submit",
            "--retry-failed",
            &job,
            "--live",
            "--pool",
            "openai=2",
            "--state-dir",
            "jobs",
        ],
    );
    run.expect_code(0)
        .stderr_has("4 done")
        .stderr_has("4 skipped");
    let live_after = server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .count();
    assert_eq!(
        live_after - live_before,
        4,
        "only the expired rows were sent live"
    );
    let done = ids(&ws.jsonl("rows.seo.jsonl"), "row_id");
    assert_eq!(done.iter().collect::<HashSet<_>>().len(), 8);
    assert_eq!(done.len(), 8);
}

#[test]
fn a_job_that_expires_returns_its_unanswered_rows_as_expired() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(6));
    server.set_batch_end(Api::Gemini, crate::fake::Ended::Expired);
    let job = submit(&ws, "gemini", "seo");
    fetch_and_wait(&ws, &job).expect_code(1);
    let done = if ws.exists("rows.seo.jsonl") {
        ws.jsonl("rows.seo.jsonl").len()
    } else {
        0
    };
    let failed = manifest_kinds(&ws, "rows.seo.failed.csv");
    assert_eq!(done + failed.len(), 6, "every row once");
    assert!(
        !failed.is_empty() && failed.iter().all(|(_, kind)| kind == "expired"),
        "{failed:?}"
    );
}

/// What `fetch` wrote as cost: the results' `cost_usd` plus the manifest's.
fn fetched_cost(ws: &Workspace) -> f64 {
    let results: f64 = if ws.exists("rows.seo.jsonl") {
        ws.jsonl("rows.seo.jsonl")
            .iter()
            .map(|r| r["cost_usd"].as_f64().unwrap())
            .sum()
    } else {
        0.0
    };
    let manifest: f64 = if ws.exists("rows.seo.failed.csv") {
        let (header, records) = ws.csv("rows.seo.failed.csv");
        let cost = header.iter().position(|h| h == "cost_usd").unwrap();
        records
            .iter()
            .filter_map(|r| r[cost].parse::<f64>().ok())
            .sum()
    } else {
        0.0
    };
    results + manifest
}

fn half_price(model: &str) -> Option<(f64, f64)> {
    gen_core::providers::presets::price(model).map(|p| (p.input / 2.0, p.output / 2.0))
}

#[test]
fn batch_jobs_send_the_live_reasoning_rules_and_count_every_billed_row() {
    for (provider, api) in [
        ("openai", Api::OpenAi),
        ("anthropic", Api::Anthropic),
        ("gemini", Api::Gemini),
    ] {
        let server = FakeServer::start();
        server.set_reasoning(true);
        let ws = Workspace::new();
        setup(&ws, &server);
        ws.write("rows.csv", keywords_csv(10));
        let job = submit(&ws, provider, "seo");
        fetch_and_wait(&ws, &job).expect_code(0);
        assert_eq!(ws.jsonl("rows.seo.jsonl").len(), 10, "{provider}");
        assert_eq!(
            server.cut_count_for(api),
            0,
            "{provider}: {:#?}",
            server.billing()
        );
        let billed = server.billed_batch_usd(half_price);
        let reported = fetched_cost(&ws);
        assert!(
            billed > 0.0 && (billed - reported).abs() < 1e-6,
            "{provider}: gen reported ${reported:.6}, the fake billed ${billed:.6} at batch prices"
        );
    }
}

#[test]
fn cut_batch_rows_land_in_the_manifest_with_their_kind_and_cost() {
    let server = FakeServer::start();
    server.set_reasoning(true);
    let ws = Workspace::new();
    setup(&ws, &server);
    // A profile that wrongly says gpt-5-mini does not reason, with no room to grow.
    let profile = ws.read("config/gen/config.toml")
        + "\n[models.\"gpt-5-mini\"]\nsteering = \"none\"\nmax_output = 400\n";
    ws.write("config/gen/config.toml", profile);
    ws.write("rows.csv", keywords_csv(10));
    let job = submit(&ws, "openai", "seo");
    fetch_and_wait(&ws, &job).expect_code(1);
    let failed = manifest_kinds(&ws, "rows.seo.failed.csv");
    assert!(!failed.is_empty());
    assert!(
        failed.iter().all(|(_, kind)| kind == "reasoning_exhausted"),
        "{failed:?}"
    );
    let billed = server.billed_batch_usd(half_price);
    let reported = fetched_cost(&ws);
    assert!(
        (billed - reported).abs() < 1e-6,
        "cut rows are billed: gen reported ${reported:.6}, the fake billed ${billed:.6}"
    );
}
