//! `--log FILE`: a JSON line per request sent, matching what the provider received.

use crate::fake::{Api, Behavior, FakeServer, ResetHeader, Times};
use crate::support::{Run, Workspace, keywords_csv};

const KEY: &str = "sk-test-log-key-0000";

/// A fake OpenAI with the test key, and a profile `name` pointing gen's `openai` at it (plus
/// `extra` profile text).
fn fake_openai(ws: &Workspace, name: &str, extra: &str) -> FakeServer {
    let server = FakeServer::start();
    server.add_key(Api::OpenAi, KEY);
    ws.write(
        name,
        format!(
            "[providers.openai]\nbase_url = \"{}/v1\"\n{extra}",
            server.origin()
        ),
    );
    server
}

/// Runs gen with the test key in the environment.
fn run_with_key(ws: &Workspace, args: &[&str]) -> Run {
    let mut command = ws.command(args);
    command.env("OPENAI_API_KEY", KEY);
    Run::from(command.output().expect("run gen"))
}

#[test]
fn the_log_has_a_line_per_request_the_provider_received_with_its_outcome() {
    let ws = Workspace::new();
    let server = fake_openai(&ws, "p.toml", "");
    ws.write("rows.csv", keywords_csv(6));
    // A rate limit (with a reset), a server error and a cut answer, then good answers.
    server.script(
        Api::OpenAi,
        KEY,
        Behavior::RateLimited(ResetHeader::RetryAfterMs(200)),
        Times::Next(1),
    );
    server.script(Api::OpenAi, KEY, Behavior::ServerError(500), Times::Next(1));
    server.script(Api::OpenAi, KEY, Behavior::MalformedJson, Times::Next(1));
    let run = run_with_key(
        &ws,
        &[
            "seo",
            "--profile",
            "p.toml",
            "--pool",
            "gpt-4.1-mini=1",
            "--log",
            "requests.jsonl",
            "rows.csv",
        ],
    );
    run.expect_code(0).stderr_has("6 done");
    let lines = ws.jsonl("requests.jsonl");
    let received = server.requests_for(Api::OpenAi);
    assert_eq!(lines.len(), received.len(), "one line per request received");
    let outcomes: Vec<&str> = lines
        .iter()
        .map(|l| l["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes.iter().filter(|o| **o == "ok").count(), 6);
    assert!(outcomes.contains(&"rate_limited"), "{outcomes:?}");
    assert!(outcomes.contains(&"server"), "{outcomes:?}");
    assert!(outcomes.contains(&"malformed"), "{outcomes:?}");
    let limited = lines
        .iter()
        .find(|l| l["outcome"] == "rate_limited")
        .unwrap();
    assert_eq!(limited["status"], 429);
    assert_eq!(limited["retry_after_ms"], 200);
    assert!(limited["parked_until"].is_string(), "{limited}");
    let ok = lines.iter().find(|l| l["outcome"] == "ok").unwrap();
    for field in [
        "time",
        "row_id",
        "attempt",
        "task",
        "provider",
        "model",
        "key",
        "lane",
        "latency_ms",
    ] {
        assert!(!ok[field].is_null(), "{field} missing: {ok}");
    }
    assert_eq!(ok["status"], 200);
    assert_eq!(ok["task"], "seo");
    assert_eq!(ok["provider"], "openai");
    assert!(ok["input_tokens"].as_u64().unwrap() > 0);
    assert!(ok["cost_usd"].as_f64().unwrap() > 0.0);
    let text = ws.read("requests.jsonl");
    assert!(!text.contains(KEY), "the key is in the log");
    assert!(
        text.contains("OPENAI_API_KEY"),
        "the key is named by its label"
    );
}

/// A profile's prices make `--max-cost` work on the mock (offline) and on models gen has no
/// price for; without one, the cost is shown as unknown, never as $0.
#[test]
fn profile_prices_set_costs_and_an_unknown_cost_is_said_to_be_unknown() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(40));
    ws.write(
        "priced.toml",
        "[providers.mock]\ninput_price = 100.0\noutput_price = 100.0\n",
    );
    let run = ws.run(&[
        "seo",
        "--profile",
        "priced.toml",
        "--pool",
        "mock=2",
        "--max-cost",
        "0.5",
        "rows.csv",
    ]);
    run.expect_code(1).stderr_has("--max-cost $0.5 reached");
    let done = ws.jsonl("rows.seo.jsonl");
    assert!(
        !done.is_empty() && done.len() < 40,
        "{} rows done",
        done.len()
    );
    let spent: f64 = done.iter().map(|l| l["cost_usd"].as_f64().unwrap()).sum();
    assert!(spent > 0.0 && spent <= 0.5 + 1e-9, "spent {spent}");

    // A model with no price: its rows' cost is null and the summary says unknown.
    let server = fake_openai(&ws, "unpriced.toml", "");
    ws.write("few.csv", keywords_csv(3));
    let run = run_with_key(
        &ws,
        &[
            "seo",
            "--profile",
            "unpriced.toml",
            "--pool",
            "openai:gpt-4.1=1",
            "few.csv",
        ],
    );
    run.expect_code(0)
        .stderr_has("cost unknown (no price for its model)")
        .stderr_has("cost: unknown");
    assert!(
        ws.jsonl("few.seo.jsonl")
            .iter()
            .all(|l| l["cost_usd"].is_null())
    );
    // The same model priced in the profile: --max-cost takes it.
    ws.write(
        "unpriced.toml",
        format!(
            "[providers.openai]\nbase_url = \"{}/v1\"\ninput_price = 2.0\noutput_price = 8.0\n",
            server.origin()
        ),
    );
    let run = run_with_key(
        &ws,
        &[
            "seo",
            "--profile",
            "unpriced.toml",
            "--pool",
            "openai:gpt-4.1=1",
            "--max-cost",
            "1",
            "--force",
            "few.csv",
        ],
    );
    run.expect_code(0).stderr_has("3 done");
    assert!(
        ws.jsonl("few.seo.jsonl")
            .iter()
            .all(|l| l["cost_usd"].as_f64().unwrap() > 0.0)
    );
}

#[test]
fn very_verbose_says_parks_limits_and_retries_and_never_a_key() {
    let ws = Workspace::new();
    let server = fake_openai(&ws, "p.toml", "");
    server.set_rate_limit(Api::OpenAi, KEY, 6000);
    ws.write("rows.csv", keywords_csv(4));
    server.script(
        Api::OpenAi,
        KEY,
        Behavior::RateLimited(ResetHeader::RetryAfterMs(300)),
        Times::Next(1),
    );
    server.script(Api::OpenAi, KEY, Behavior::ServerError(503), Times::Next(1));
    let run = run_with_key(
        &ws,
        &[
            "seo",
            "-vv",
            "--profile",
            "p.toml",
            "--pool",
            "gpt-4.1-mini=1",
            "rows.csv",
        ],
    );
    run.expect_code(0)
        .stderr_has("OPENAI_API_KEY")
        .stderr_has("parked for")
        .stderr_has("is back from its park")
        .stderr_has("holds to the limit it reports: 6000 requests a minute")
        .stderr_has("goes back to the queue after attempt");
    assert!(!run.stderr.contains(KEY), "a key on stderr");
}

/// `--progress json` writes JSON lines only, from a start event to an end event with the totals.
#[test]
fn json_progress_is_json_lines_from_start_to_end() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(30));
    ws.write(
        "slow.toml",
        "[providers.mock]\nlatency = \"20ms\"\ninput_price = 1.0\noutput_price = 1.0\n",
    );
    let run = ws.run(&[
        "seo",
        "--profile",
        "slow.toml",
        "--pool",
        "mock=2",
        "--progress",
        "json",
        "--progress-interval",
        "100ms",
        "rows.csv",
    ]);
    run.expect_code(0);
    let events: Vec<serde_json::Value> = run
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert_eq!(events.first().unwrap()["event"], "start");
    assert!(
        events.iter().any(|e| e["event"] == "progress"),
        "{events:?}"
    );
    let end = events.last().unwrap();
    assert_eq!(end["event"], "end");
    assert_eq!(end["done"], 30);
    assert_eq!(end["exit_code"], 0);
    assert!(end["cost_usd"].as_f64().unwrap() > 0.0);
    assert_eq!(end["providers"][0]["lanes"], 2);
    assert_eq!(end["providers"][0]["done"], 30);
}

/// What a resumed run says before it starts (a torn line cut, the rows already done) and the
/// error that stops a run are JSON lines too under `--progress json`.
#[test]
fn json_progress_keeps_resume_notes_and_errors_in_json() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(10));
    ws.write("first.csv", keywords_csv(4));
    ws.run(&["seo", "-o", "rows.seo.jsonl", "first.csv"])
        .expect_code(0);
    let mut text = ws.read("rows.seo.jsonl");
    text.push_str("{\"row_id\":\"5\",\"tit");
    ws.write("rows.seo.jsonl", text);
    let json_lines = |stderr: &str| -> Vec<serde_json::Value> {
        stderr
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    };
    let run = ws.run(&["seo", "--resume", "--progress", "json", "rows.csv"]);
    run.expect_code(0);
    let events = json_lines(&run.stderr);
    let notices: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "notice")
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(
        notices.iter().any(|m| m.contains("torn last line")),
        "{notices:?}"
    );
    assert!(
        notices.iter().any(|m| m.contains("4 rows already done")),
        "{notices:?}"
    );
    assert_eq!(events.last().unwrap()["done"], 6);

    let run = ws.run(&[
        "seo",
        "--progress",
        "json",
        "--pool",
        "nosuch=1",
        "rows.csv",
    ]);
    run.expect_code(2);
    let events = json_lines(&run.stderr);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["event"], "error");
    assert!(events[0]["message"].as_str().unwrap().contains("nosuch"));
}

/// `[models."ID"]` prices one model apart from its provider's others (and needs no steering).
#[test]
fn a_models_own_price_in_the_profile_counts_for_max_cost() {
    let ws = Workspace::new();
    let _server = fake_openai(
        &ws,
        "p.toml",
        "\n[models.\"gpt-4.1\"]\ninput_price = 2.0\noutput_price = 8.0\n",
    );
    ws.write("few.csv", keywords_csv(3));
    let run = run_with_key(
        &ws,
        &[
            "seo",
            "--profile",
            "p.toml",
            "--pool",
            "openai:gpt-4.1=1",
            "--max-cost",
            "1",
            "few.csv",
        ],
    );
    run.expect_code(0).stderr_has("3 done");
    let lines = ws.jsonl("few.seo.jsonl");
    for line in &lines {
        let tokens_in = line["input_tokens"].as_f64().unwrap();
        let tokens_out = line["output_tokens"].as_f64().unwrap();
        let expected = (tokens_in * 2.0 + tokens_out * 8.0) / 1e6;
        let cost = line["cost_usd"].as_f64().unwrap();
        assert!((cost - expected).abs() < 1e-6, "{cost} vs {expected}");
    }
    ws.write("bad.toml", "[models.\"gpt-4.1\"]\ninput_price = 2.0\n");
    ws.run(&["seo", "--profile", "bad.toml", "few.csv"])
        .expect_code(2)
        .stderr_has("bad.toml:")
        .stderr_has("give input and output prices together");
}
