//! Real provider adapters end to end: the `gen` binary against the loopback fake of the OpenAI,
//! Anthropic and Gemini APIs, with keys from the environment and base URLs from a profile.

use std::collections::HashSet;
use std::process::Command;

use crate::fake::{Api, Behavior, FakeServer, ResetHeader, Times};
use crate::support::{Run, Workspace, ids, keywords_csv};

const DEEPSEEK_KEY: &str = "sk-deepseek-test-key-1111";
const DEEPSEEK_KEY_2: &str = "sk-deepseek-test-key-2222";
const ANTHROPIC_KEY: &str = "sk-ant-test-key-3333";
const GEMINI_KEY: &str = "AIzaSy-gemini-test-key-4444";

/// A profile pointing deepseek, anthropic and gemini at the fake, with the keys it accepts.
fn setup(ws: &Workspace, server: &FakeServer) {
    server.add_key(Api::OpenAi, DEEPSEEK_KEY);
    server.add_key(Api::OpenAi, DEEPSEEK_KEY_2);
    server.add_key(Api::Anthropic, ANTHROPIC_KEY);
    server.add_key(Api::Gemini, GEMINI_KEY);
    ws.write(
        "config/gen/config.toml",
        format!(
            "[providers.deepseek]\nbase_url = \"{}\"\n\n[providers.anthropic]\nbase_url = \"{}\"\n\n\
             [providers.gemini]\nbase_url = \"{}\"\n",
            server.origin(),
            server.origin(),
            server.base_url(Api::Gemini),
        ),
    );
}

fn with_keys(mut command: Command, keys: &[(&str, &str)]) -> Run {
    for (name, value) in keys {
        command.env(name, value);
    }
    Run::from(command.output().expect("run gen"))
}

fn all_keys() -> Vec<(&'static str, &'static str)> {
    vec![
        ("DEEPSEEK_API_KEY", DEEPSEEK_KEY),
        ("ANTHROPIC_API_KEY", ANTHROPIC_KEY),
        ("GEMINI_API_KEY", GEMINI_KEY),
    ]
}

fn assert_each_id_once(ws: &Workspace, out: &str, n: usize) {
    let got = ids(&ws.jsonl(out), "row_id");
    let unique: HashSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "a row was written twice");
    assert_eq!(got.len(), n);
}

/// Every file the run wrote and its stderr are free of the key strings.
fn assert_no_key_leaked(ws: &Workspace, run: &Run, keys: &[&str]) {
    for entry in walk(ws.dir.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).into_owned();
        for key in keys {
            assert!(!text.contains(key), "{} contains a key", entry.display());
        }
    }
    for key in keys {
        assert!(
            !run.stderr.contains(key) && !run.stdout.contains(key),
            "a key was printed"
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if !path.ends_with("config.toml") {
            files.push(path);
        }
    }
    files
}

#[test]
fn a_three_provider_pool_with_one_rate_limited_finishes_every_row_once() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(30));
    server.script(
        Api::OpenAi,
        DEEPSEEK_KEY,
        Behavior::RateLimited(ResetHeader::RetryAfterSeconds(30)),
        Times::Always,
    );
    let run = with_keys(
        ws.command(&["seo", "--pool", "gemini=2,claude=1,deepseek=2", "rows.csv"]),
        &all_keys(),
    );
    run.expect_code(0).stderr_has("rate_limited");
    assert_each_id_once(&ws, "rows.seo.jsonl", 30);
    let lines = ws.jsonl("rows.seo.jsonl");
    assert!(
        lines.iter().all(|l| l["provider"] != "deepseek"),
        "the rate-limited provider answered nothing"
    );
    assert!(
        lines.iter().any(|l| l["provider"] == "anthropic")
            && lines.iter().any(|l| l["provider"] == "gemini")
    );
    assert!(
        lines
            .iter()
            .all(|l| l["input_tokens"].as_u64().unwrap() > 0)
    );
    server.assert_no_violations();
    assert_no_key_leaked(&ws, &run, &[DEEPSEEK_KEY, ANTHROPIC_KEY, GEMINI_KEY]);
}

#[test]
fn a_refused_key_leaves_the_pool_and_its_rows_finish_on_the_other_key() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(20));
    server.script(
        Api::OpenAi,
        DEEPSEEK_KEY_2,
        Behavior::Auth401,
        Times::Always,
    );
    let keys = [
        ("DEEPSEEK_API_KEY", DEEPSEEK_KEY),
        ("DEEPSEEK_API_KEY_2", DEEPSEEK_KEY_2),
    ];
    let run = with_keys(
        ws.command(&["seo", "--pool", "deepseek=4", "rows.csv"]),
        &keys,
    );
    run.expect_code(0)
        .stderr_has("DEEPSEEK_API_KEY_2 (…2222) left the pool");
    assert_each_id_once(&ws, "rows.seo.jsonl", 20);
    let refused = server
        .requests()
        .iter()
        .filter(|r| r.key.as_deref() == Some(DEEPSEEK_KEY_2))
        .count();
    assert!(
        refused <= 2,
        "a refused key is dropped, not retried ({refused} requests)"
    );
    assert_no_key_leaked(&ws, &run, &[DEEPSEEK_KEY, DEEPSEEK_KEY_2]);
}

#[test]
fn a_model_id_routes_to_its_provider_and_is_sent_as_the_model() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(3));
    let run = with_keys(
        ws.command(&[
            "outline",
            "--pool",
            "deepseek-chat=1,gemini-2.5-flash=1",
            "rows.csv",
        ]),
        &all_keys(),
    );
    run.expect_code(0);
    let models: HashSet<String> = server
        .requests()
        .iter()
        .filter_map(|r| r.model.clone())
        .collect();
    assert!(
        models
            .iter()
            .all(|m| m == "deepseek-chat" || m == "gemini-2.5-flash"),
        "{models:?}"
    );
    assert!(
        server.requests().iter().all(|r| !r.path.contains("key=")),
        "no key in any URL"
    );
}

#[test]
fn a_provider_without_a_key_is_a_usage_error_naming_the_variable() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(3));
    let run = with_keys(ws.command(&["seo", "--pool", "claude=1", "rows.csv"]), &[]);
    run.expect_code(2)
        .stderr_has("provider `anthropic` has no key: set ANTHROPIC_API_KEY");
    assert!(
        server.requests().is_empty(),
        "nothing is sent before the plan is valid"
    );
}

/// Runs a deepseek+gemini pool where deepseek's key is scripted with `behavior`, and returns the
/// run with the results checked: every row exactly once.
fn run_with_deepseek(
    behavior: Behavior,
    times: Times,
    extra: &[&str],
) -> (Run, FakeServer, Workspace) {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(12));
    server.script(Api::OpenAi, DEEPSEEK_KEY, behavior, times);
    let mut args = vec!["seo", "--pool", "deepseek=2,gemini=2", "rows.csv"];
    args.extend_from_slice(extra);
    let run = with_keys(ws.command(&args), &all_keys());
    (run, server, ws)
}

#[test]
fn every_transient_failure_class_is_retried_until_each_row_is_done() {
    let cases = [
        (Behavior::ServerError(500), "server"),
        (Behavior::ServerError(502), "server"),
        (Behavior::Overloaded, "overloaded"),
        (Behavior::CutMidBody, "connection"),
        (Behavior::MalformedJson, "malformed"),
        (Behavior::EmptyContent, "empty"),
        (Behavior::SafetyBlock, "content_blocked"),
        (Behavior::LengthCut, "truncated"),
        (Behavior::LeadingBlankLines(3), ""),
    ];
    for (behavior, kind) in cases {
        let (run, server, ws) = run_with_deepseek(behavior.clone(), Times::Next(2), &[]);
        run.expect_code(0);
        assert_each_id_once(&ws, "rows.seo.jsonl", 12);
        if !kind.is_empty() {
            assert!(
                run.stderr.contains(kind),
                "{behavior:?}: the summary names `{kind}`:\n{}",
                run.stderr
            );
        }
        server.assert_no_violations();
    }
}

#[test]
fn a_hung_request_times_out_and_the_row_is_served_elsewhere() {
    let (run, _server, ws) =
        run_with_deepseek(Behavior::Hang, Times::Next(1), &["--timeout", "500ms"]);
    run.expect_code(0).stderr_has("timeout");
    assert_each_id_once(&ws, "rows.seo.jsonl", 12);
}

#[test]
fn exhausted_rate_limit_headers_park_the_key_before_it_is_refused() {
    let (run, server, ws) = run_with_deepseek(
        Behavior::OkButExhausted(std::time::Duration::from_secs(60)),
        Times::Always,
        &[],
    );
    run.expect_code(0);
    assert_each_id_once(&ws, "rows.seo.jsonl", 12);
    let sent = server.requests_for(Api::OpenAi).len();
    assert!(
        sent <= 2,
        "deepseek should be parked after its first answers, got {sent} requests"
    );
    assert!(
        !run.stderr.contains("rate_limited"),
        "no 429 was needed:\n{}",
        run.stderr
    );
}

#[test]
fn quota_and_unknown_model_take_the_key_out_and_bad_requests_fail_the_row() {
    for (behavior, message) in [
        (Behavior::QuotaExhausted, "left the pool"),
        (Behavior::ModelNotFound, "left the pool"),
    ] {
        let (run, server, ws) = run_with_deepseek(behavior, Times::Always, &[]);
        run.expect_code(0).stderr_has(message);
        assert_each_id_once(&ws, "rows.seo.jsonl", 12);
        assert!(
            server.requests_for(Api::OpenAi).len() <= 2,
            "a removed key is not asked again"
        );
    }
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(3));
    server.script(
        Api::OpenAi,
        DEEPSEEK_KEY,
        Behavior::BadRequest("prompt too long".into()),
        Times::Always,
    );
    let run = with_keys(
        ws.command(&["seo", "--pool", "deepseek=1", "rows.csv"]),
        &all_keys(),
    );
    run.expect_code(1);
    let (header, records) = ws.csv("rows.seo.failed.csv");
    let kind = header.iter().position(|h| h == "error_kind").unwrap();
    let error = header.iter().position(|h| h == "error").unwrap();
    assert_eq!(records.len(), 3);
    assert!(
        records
            .iter()
            .all(|r| r[kind] == "bad_request" && r[error].contains("prompt too long")),
        "{records:?}"
    );
    assert_eq!(server.requests().len(), 3, "a bad request is not retried");
}

#[test]
fn every_rate_limit_reset_form_is_honoured() {
    use std::time::Duration;
    let forms = [
        ResetHeader::RetryAfterSeconds(1),
        ResetHeader::RetryAfterMs(300),
        ResetHeader::RetryAfterHttpDate(Duration::from_secs(2)),
        ResetHeader::OpenAiResetRequests(Duration::from_millis(400)),
        ResetHeader::OpenAiResetTokens(Duration::from_millis(400)),
    ];
    for form in forms {
        let server = FakeServer::start();
        let ws = Workspace::new();
        setup(&ws, &server);
        ws.write("rows.csv", keywords_csv(4));
        server.script(
            Api::OpenAi,
            DEEPSEEK_KEY,
            Behavior::RateLimited(form.clone()),
            Times::Next(1),
        );
        let run = with_keys(
            ws.command(&["seo", "--pool", "deepseek=1", "rows.csv"]),
            &all_keys(),
        );
        run.expect_code(0).stderr_has("rate_limited 1");
        assert_each_id_once(&ws, "rows.seo.jsonl", 4);
        let times: Vec<std::time::Instant> = server.requests().iter().map(|r| r.at).collect();
        let waited = times[1].duration_since(times[0]);
        assert!(
            waited >= Duration::from_millis(250),
            "{form:?}: retried after {waited:?}, before the reset"
        );
        assert!(
            waited < Duration::from_secs(5),
            "{form:?}: waited {waited:?}"
        );
    }
}

#[test]
fn max_cost_stops_dispatching_and_resume_with_a_higher_limit_finishes() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(40));
    // deepseek-chat costs $0.28/$0.42 per million tokens; a row is a few hundred tokens.
    let args = [
        "seo",
        "--pool",
        "deepseek-chat=2",
        "--max-cost",
        "0.0005",
        "rows.csv",
    ];
    let run = with_keys(ws.command(&args), &all_keys());
    run.expect_code(1).stderr_has("--max-cost $0.0005 reached");
    let done = ws.jsonl("rows.seo.jsonl");
    assert!(
        !done.is_empty() && done.len() < 40,
        "{} rows done",
        done.len()
    );
    let spent: f64 = done.iter().map(|l| l["cost_usd"].as_f64().unwrap()).sum();
    assert!(spent <= 0.0005 + 1e-9, "spent {spent}");
    assert!(
        !ws.exists("rows.seo.failed.csv"),
        "rows left by the budget are not failures"
    );
    let run = with_keys(
        ws.command(&[
            "seo",
            "--pool",
            "deepseek-chat=2",
            "--max-cost",
            "1",
            "--resume",
            "rows.csv",
        ]),
        &all_keys(),
    );
    run.expect_code(0);
    assert_each_id_once(&ws, "rows.seo.jsonl", 40);
}

#[test]
fn max_cost_needs_a_price_for_every_model() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(2));
    let run = with_keys(
        ws.command(&[
            "seo",
            "--pool",
            "deepseek:unpriced-model=1",
            "--max-cost",
            "1",
            "rows.csv",
        ]),
        &all_keys(),
    );
    run.expect_code(2)
        .stderr_has("`unpriced-model` on provider `deepseek` (the seo task) has none")
        .stderr_has("choose a priced model");
}

/// A provider answering with a redirect must not get our auth headers sent on to another host:
/// gen does not follow it, and the row fails with the status.
#[test]
fn redirects_are_not_followed() {
    use std::io::{BufRead, BufReader, Write};
    let server = FakeServer::start();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let redirector = format!("http://{}", listener.local_addr().unwrap());
    let target = format!("{}/chat/completions", server.origin());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = std::io::Read::read_exact(&mut reader, &mut body);
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 307 Temporary Redirect\r\nlocation: {target}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
    });
    let ws = Workspace::new();
    server.add_key(Api::OpenAi, DEEPSEEK_KEY);
    ws.write(
        "config/gen/config.toml",
        format!("[providers.deepseek]\nbase_url = \"{redirector}\"\n"),
    );
    ws.write("rows.csv", keywords_csv(1));
    let run = with_keys(
        ws.command(&[
            "seo",
            "--pool",
            "deepseek=1",
            "--max-attempts",
            "1",
            "rows.csv",
        ]),
        &all_keys(),
    );
    run.expect_code(1);
    assert!(
        server.requests().is_empty(),
        "the redirect was followed to the fake"
    );
    let (header, records) = ws.csv("rows.seo.failed.csv");
    let error = header.iter().position(|h| h == "error").unwrap();
    assert!(records[0][error].contains("307"), "{:?}", records[0]);
}

#[test]
fn automatic_lanes_learn_each_providers_limit_from_its_answers() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(60));
    server.set_rate_limit(Api::OpenAi, DEEPSEEK_KEY, 1200);
    server.set_rate_limit(Api::Gemini, GEMINI_KEY, 600);
    server.set_latency(Api::OpenAi, std::time::Duration::from_millis(30));
    server.set_latency(Api::Gemini, std::time::Duration::from_millis(30));
    let run = with_keys(
        ws.command(&["seo", "--pool", "deepseek,gemini", "rows.csv"]),
        &all_keys(),
    );
    run.expect_code(0).stderr_has("60 done");
    assert!(
        run.stderr.contains("1200 rpm learnt"),
        "from x-ratelimit-limit-requests:\n{}",
        run.stderr
    );
    assert_eq!(ids(&ws.jsonl("rows.seo.jsonl"), "row_id").len(), 60);
    let refused = server.rate_limited_count(Api::OpenAi);
    assert!(
        refused <= 2,
        "a learnt limit is held to: {refused} refusals from deepseek"
    );
}
