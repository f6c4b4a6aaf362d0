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
        let mut results_fetched = 0;
        for request in server.requests() {
            let header = |name: &str| {
                request
                    .headers
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.as_str())
            };
            let agent = header("user-agent").unwrap_or_default();
            assert!(
                agent.starts_with("gen/"),
                "{provider}: user-agent {agent:?}"
            );
            // Anthropic serves results as JSONL only to a client that asks for it so.
            if provider == "anthropic" && request.path.ends_with("/results") {
                assert_eq!(header("accept"), Some("application/binary"));
                results_fetched += 1;
            }
        }
        assert!(provider != "anthropic" || results_fetched > 0);
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

/// gen with no provider key at all.
fn gen_without_keys(ws: &Workspace, args: &[&str]) -> Run {
    ws.run(args)
}

#[test]
fn dry_runs_send_nothing_create_nothing_and_need_no_key() {
    for (provider, api, variable) in [
        ("openai", Api::OpenAi, "OPENAI_API_KEY"),
        ("anthropic", Api::Anthropic, "ANTHROPIC_API_KEY"),
        ("gemini", Api::Gemini, "GEMINI_API_KEY"),
    ] {
        let server = FakeServer::start();
        let ws = Workspace::new();
        setup(&ws, &server);
        ws.write("rows.csv", keywords_csv(7));
        for args in [
            vec![
                "batch",
                "submit",
                "--task",
                "seo",
                "--provider",
                provider,
                "--state-dir",
                "jobs",
                "--dry-run",
                "rows.csv",
            ],
            vec![
                "seo",
                "--batch",
                provider,
                "--state-dir",
                "jobs",
                "--dry-run",
                "rows.csv",
            ],
            vec![
                "batch",
                "run",
                "--task",
                "outline",
                "--provider",
                provider,
                "--state-dir",
                "jobs",
                "--dry-run",
                "rows.csv",
            ],
        ] {
            let run = gen_without_keys(&ws, &args);
            run.expect_code(0);
            let out = &run.stdout;
            assert!(out.contains("nothing is sent"), "{provider}: {out}");
            assert!(out.contains("jobs: 1"), "{provider}: {out}");
            assert!(out.contains("7 rows"), "{provider}: {out}");
            assert!(out.contains("first request:"), "{provider}: {out}");
            assert!(
                out.contains("keyword number 1"),
                "{provider}: the first row's request: {out}"
            );
            assert!(
                out.contains("estimated cost at batch prices: $"),
                "{provider}: {out}"
            );
            assert!(
                out.contains(variable) && out.contains("not set"),
                "{provider}: names the key the submission needs: {out}"
            );
        }
        assert_eq!(server.batch_request_count(), 0, "{provider}: nothing sent");
        assert!(server.batch_jobs(api).is_empty(), "{provider}");
        assert!(!ws.exists("jobs"), "{provider}: no job file");
        assert!(!ws.exists("rows.seo.jsonl") && !ws.exists("rows.outline.jsonl"));
    }
    // The live dry run needs no key either, and says which the real run needs.
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(3));
    let run = gen_without_keys(
        &ws,
        &[
            "seo",
            "--pool",
            "openai=1,gemini=1",
            "--dry-run",
            "rows.csv",
        ],
    );
    run.expect_code(0)
        .stdout_has("keys the real run needs but are not set: OPENAI_API_KEY (openai); GEMINI_API_KEY or GOOGLE_API_KEY (gemini)");
    // Without --dry-run the key is still required before anything is sent.
    let run = gen_without_keys(&ws, &["seo", "--pool", "openai=1", "rows.csv"]);
    run.expect_code(2).stderr_has("OPENAI_API_KEY");
}

#[test]
fn a_budget_below_the_estimate_submits_nothing() {
    for (provider, api) in [
        ("openai", Api::OpenAi),
        ("anthropic", Api::Anthropic),
        ("gemini", Api::Gemini),
    ] {
        let server = FakeServer::start();
        let ws = Workspace::new();
        setup(&ws, &server);
        ws.write("rows.csv", keywords_csv(5));
        let run = gen_with_keys(
            &ws,
            &[
                "seo",
                "--batch",
                provider,
                "--state-dir",
                "jobs",
                "--max-cost",
                "0.000001",
                "rows.csv",
            ],
        );
        run.expect_code(1)
            .stderr_has("estimated cost at batch prices is $")
            .stderr_has("nothing was submitted");
        assert_eq!(server.batch_request_count(), 0, "{provider}");
        assert!(server.batch_jobs(api).is_empty());
        // A budget above it submits.
        let run = gen_with_keys(
            &ws,
            &[
                "batch",
                "submit",
                "--task",
                "seo",
                "--provider",
                provider,
                "--max-cost",
                "5",
                "--state-dir",
                "jobs",
                "rows.csv",
            ],
        );
        run.expect_code(0);
        assert_eq!(server.batch_jobs(api).len(), 1, "{provider}");
    }
}

/// A model priced by a neighbour's row (`-lite` read as a version of gemini-2.5-flash) would let
/// a budget pass on the wrong price: it has none, and `--max-cost` stops before sending.
#[test]
fn a_budget_needs_the_model_s_own_price() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(3));
    let run = gen_with_keys(
        &ws,
        &[
            "batch",
            "submit",
            "--task",
            "seo",
            "--provider",
            "gemini",
            "--model",
            "gemini-2.5-flash-lite",
            "--max-cost",
            "5",
            "--state-dir",
            "jobs",
            "rows.csv",
        ],
    );
    run.expect_code(2)
        .stderr_has("`gemini-2.5-flash-lite` on provider `gemini` (the seo batch job) has none")
        .stderr_has("choose a priced model");
    assert_eq!(server.batch_request_count(), 0);
}

/// A model without a price is no free model: the fetch says its cost is unknown.
#[test]
fn a_fetch_on_a_model_without_a_price_says_the_cost_is_unknown() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(3));
    let run = gen_with_keys(
        &ws,
        &[
            "batch",
            "submit",
            "--task",
            "seo",
            "--provider",
            "openai",
            "--model",
            "gpt-4.1",
            "--state-dir",
            "jobs",
            "rows.csv",
        ],
    );
    run.expect_code(0)
        .stderr_has("estimated cost at batch prices: unknown");
    let job = run.stdout.trim().to_string();
    let fetch = fetch_and_wait(&ws, &job);
    fetch
        .expect_code(0)
        .stderr_has("cost unknown: no price for model `gpt-4.1`");
    assert!(!fetch.stderr.contains("$0.0000"), "{}", fetch.stderr);
}

#[test]
fn a_cancelled_gemini_inline_job_ends_like_the_others() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(6));
    let job = submit(&ws, "gemini", "seo");
    gen_with_keys(&ws, &["batch", "cancel", &job, "--state-dir", "jobs"]).expect_code(0);
    let fetch = fetch_and_wait(&ws, &job);
    fetch.expect_code(1).stderr_has("failed");
    let failed = manifest_kinds(&ws, "rows.seo.failed.csv");
    let done = if ws.exists("rows.seo.jsonl") {
        ws.jsonl("rows.seo.jsonl").len()
    } else {
        0
    };
    assert_eq!(done + failed.len(), 6);
    assert!(!failed.is_empty());
    assert!(
        failed.iter().all(|(_, kind)| kind == "cancelled"),
        "{failed:?}"
    );
}

#[test]
fn fetch_writes_to_stdout_and_never_appends_to_another_runs_file_unasked() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(4));
    let job = submit(&ws, "openai", "seo");
    let run = gen_with_keys(
        &ws,
        &[
            "batch",
            "fetch",
            &job,
            "-o",
            "-",
            "--wait",
            "--poll",
            "10ms",
            "--state-dir",
            "jobs",
        ],
    );
    run.expect_code(0);
    assert_eq!(
        crate::support::jsonl(&run.stdout).len(),
        4,
        "{}",
        run.stdout
    );
    assert!(!ws.exists("-"), "no file named -");

    // Another job fetched into a results file this job did not write.
    ws.write("other.jsonl", "{\"row_id\":\"1\",\"title\":\"kept\"}\n");
    let second = submit(&ws, "openai", "seo");
    let run = gen_with_keys(
        &ws,
        &[
            "batch",
            "fetch",
            &second,
            "-o",
            "other.jsonl",
            "--wait",
            "--poll",
            "10ms",
            "--state-dir",
            "jobs",
        ],
    );
    run.expect_code(2).stderr_has("--resume");
    assert_eq!(ws.read("other.jsonl").lines().count(), 1, "untouched");
    // --resume adds the rows not already there.
    let run = gen_with_keys(
        &ws,
        &[
            "batch",
            "fetch",
            &second,
            "-o",
            "other.jsonl",
            "--resume",
            "--wait",
            "--poll",
            "10ms",
            "--state-dir",
            "jobs",
        ],
    );
    run.expect_code(0);
    let lines = ws.jsonl("other.jsonl");
    assert_eq!(lines.len(), 4, "row 1 was already there");
    assert_eq!(lines[0]["title"], "kept");
    // --force replaces it with every row of the job.
    let run = gen_with_keys(
        &ws,
        &[
            "batch",
            "fetch",
            &second,
            "-o",
            "other.jsonl",
            "--force",
            "--state-dir",
            "jobs",
        ],
    );
    run.expect_code(0);
    let lines = ws.jsonl("other.jsonl");
    assert_eq!(ids(&lines, "row_id"), ["1", "2", "3", "4"]);
    assert_ne!(lines[0]["title"], "kept");
}

#[test]
fn live_only_options_are_refused_with_batch_and_drafts_have_no_batch() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(2));
    for (flag, value) in [
        ("--max-attempts", Some("3")),
        ("--max-inflight", Some("2")),
        ("--progress", Some("json")),
    ] {
        let mut args = vec!["seo", "--batch", "openai", flag];
        args.extend(value);
        args.push("rows.csv");
        gen_with_keys(&ws, &args)
            .expect_code(2)
            .stderr_has(&format!("{flag} does not apply with --batch"));
    }
    let run = gen_with_keys(&ws, &["draft", "--batch", "openai", "rows.csv"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("unexpected argument '--batch'"),
        "{}",
        run.stderr
    );
    assert_eq!(server.batch_request_count(), 0);
    let help = gen_with_keys(&ws, &["--help"]);
    assert!(
        help.stdout
            .contains("submit, status, fetch, cancel, list, run"),
        "{}",
        help.stdout
    );
}

#[test]
fn a_job_file_naming_an_unknown_task_is_an_error_everywhere() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(3));
    let job = submit(&ws, "openai", "seo");
    let path = ws.path(&format!("jobs/{job}.json"));
    let mut file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    file["task"] = "summary".into();
    std::fs::write(&path, file.to_string()).unwrap();
    for args in [
        vec!["batch", "status", job.as_str(), "--state-dir", "jobs"],
        vec!["batch", "fetch", job.as_str(), "--state-dir", "jobs"],
        vec![
            "batch",
            "submit",
            "--retry-failed",
            job.as_str(),
            "--state-dir",
            "jobs",
        ],
    ] {
        let run = gen_with_keys(&ws, &args);
        assert_ne!(run.code, 0, "{args:?}: {}\n{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains("task `summary`") || run.stderr.contains("never fetched"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn after_a_retry_the_manifest_lists_only_rows_still_failed_and_status_says_which_files_are_current()
{
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write(
        "rows.csv",
        "id,keyword\n1,alpha\n2,beta\n3,\n4,delta\n5,epsilon\n6,zeta\n",
    );
    server.set_batch_failures(Api::OpenAi, Some(2), None);
    let job = submit(&ws, "openai", "seo");
    fetch_and_wait(&ws, &job).expect_code(1);
    let first = manifest_kinds(&ws, "rows.seo.failed.csv");
    assert!(
        first.iter().any(|(id, _)| id == "3"),
        "the empty keyword: {first:?}"
    );
    assert!(first.len() >= 3, "{first:?}");

    server.set_batch_failures(Api::OpenAi, None, None);
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
    run.expect_code(0);
    let retry = run.stdout.trim().to_string();
    // Fetched into the first job's files by default, which it may add to.
    fetch_and_wait(&ws, &retry).expect_code(1);
    let now = manifest_kinds(&ws, "rows.seo.failed.csv");
    assert_eq!(
        now,
        [("3".to_string(), "bad_input".to_string())],
        "only the row that cannot succeed is still listed"
    );
    assert_eq!(ws.jsonl("rows.seo.jsonl").len(), 5);
    let status = gen_with_keys(&ws, &["batch", "status", &job, "--state-dir", "jobs"]);
    status.expect_code(0);
    assert!(
        status.stdout.contains(&format!("retried by job {retry}")),
        "{}",
        status.stdout
    );
    let status = gen_with_keys(&ws, &["batch", "status", &retry, "--state-dir", "jobs"]);
    assert!(
        status.stdout.contains("rows.seo.jsonl"),
        "{}",
        status.stdout
    );
}

#[test]
fn a_fetch_from_an_input_edited_since_submit_matches_rows_by_content() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", "keyword\nalpha\nbeta\ngamma\n");
    let job = submit(&ws, "openai", "seo");
    // A row inserted at the top and `beta` edited before the fetch.
    ws.write("rows.csv", "keyword\nnew one\nalpha\nbeta two\ngamma\n");
    let fetch = fetch_and_wait(&ws, &job);
    fetch
        .expect_code(0)
        .stderr_has("changed since job")
        .stderr_has("1 rows of job");
    let results = ws.jsonl("rows.seo.jsonl");
    let pairs: Vec<(&str, &str)> = results
        .iter()
        .map(|r| {
            (
                r["row_id"].as_str().unwrap(),
                r["keyword"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [("2", "alpha"), ("4", "gamma")],
        "each answer on its own row"
    );
}

#[test]
fn every_batch_api_call_writes_a_line_in_the_request_log() {
    for (provider, api) in [
        ("openai", Api::OpenAi),
        ("anthropic", Api::Anthropic),
        ("gemini", Api::Gemini),
    ] {
        let server = FakeServer::start();
        let ws = Workspace::new();
        setup(&ws, &server);
        ws.write("rows.csv", keywords_csv(5));
        let logged = ["--log", "calls.jsonl", "--state-dir", "jobs"];
        let submitted = gen_with_keys(
            &ws,
            &[
                &[
                    "batch",
                    "submit",
                    "--task",
                    "seo",
                    "--provider",
                    provider,
                    "rows.csv",
                ][..],
                &logged[..],
            ]
            .concat(),
        );
        submitted.expect_code(0);
        let job = submitted.stdout.trim().to_string();
        gen_with_keys(&ws, &[&["batch", "status", &job][..], &logged[..]].concat()).expect_code(0);
        gen_with_keys(
            &ws,
            &[
                &["batch", "fetch", &job, "--wait", "--poll", "10ms"][..],
                &logged[..],
            ]
            .concat(),
        )
        .expect_code(0);
        let lines = ws.jsonl("calls.jsonl");
        assert_eq!(
            lines.len(),
            server.batch_request_count(),
            "{provider}: one line per request the Batch API received"
        );
        let calls: Vec<&str> = lines.iter().map(|l| l["task"].as_str().unwrap()).collect();
        assert!(calls.contains(&"batch.create"), "{provider}: {calls:?}");
        assert!(calls.contains(&"batch.poll"), "{provider}: {calls:?}");
        for line in &lines {
            assert_eq!(line["provider"], provider);
            assert_eq!(line["outcome"], "ok", "{line}");
            assert!(
                line["status"].as_u64().is_some_and(|s| s / 100 == 2),
                "{line}"
            );
            assert!(line["row_id"].is_null() && line["lane"].is_null(), "{line}");
        }
        // The creating call names the job the provider made, before any state file could.
        let remote_ids: Vec<String> = server
            .batch_jobs(api)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let created = lines.iter().find(|l| l["task"] == "batch.create").unwrap();
        assert!(
            remote_ids.iter().any(|id| created["job"] == id.as_str()),
            "{provider}: {created} names one of {remote_ids:?}"
        );
        let text = ws.read("calls.jsonl");
        for key in [OPENAI_KEY, ANTHROPIC_KEY, GEMINI_KEY] {
            assert!(!text.contains(key), "no key in the log");
        }
    }
}

#[test]
fn a_refused_batch_call_is_logged_with_its_status_and_kind() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(3));
    let mut command = ws.command(&[
        "batch",
        "submit",
        "--task",
        "seo",
        "--provider",
        "openai",
        "--log",
        "calls.jsonl",
        "--state-dir",
        "jobs",
        "rows.csv",
    ]);
    command.env("OPENAI_API_KEY", "sk-not-a-key-the-fake-knows");
    let run = Run::from(command.output().expect("run gen"));
    assert_ne!(run.code, 0, "{}", run.stderr);
    let lines = ws.jsonl("calls.jsonl");
    assert_eq!(lines.len(), server.batch_request_count());
    let refused = &lines[0];
    assert_eq!(refused["status"], 401, "{refused}");
    assert_eq!(refused["outcome"], "auth", "{refused}");
    assert!(refused["error"].is_string(), "{refused}");
    assert!(
        !ws.read("calls.jsonl")
            .contains("sk-not-a-key-the-fake-knows")
    );
}
