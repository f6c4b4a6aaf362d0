//! `--log FILE`: a JSON line per request sent, matching what the provider received.

use crate::fake::{Api, Behavior, FakeServer, ResetHeader, Times};
use crate::support::{Run, Workspace, keywords_csv};

const KEY: &str = "sk-test-log-key-0000";

#[test]
fn the_log_has_a_line_per_request_the_provider_received_with_its_outcome() {
    let server = FakeServer::start();
    server.add_key(Api::OpenAi, KEY);
    let ws = Workspace::new();
    ws.write(
        "p.toml",
        format!(
            "[providers.openai]\nbase_url = \"{}/v1\"\n",
            server.origin()
        ),
    );
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
    let mut command = ws.command(&[
        "seo",
        "--profile",
        "p.toml",
        "--pool",
        "gpt-4.1-mini=1",
        "--log",
        "requests.jsonl",
        "rows.csv",
    ]);
    command.env("OPENAI_API_KEY", KEY);
    let run = Run::from(command.output().expect("run gen"));
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
