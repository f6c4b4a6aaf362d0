//! Reasoning models end to end: the binary against the fake with its reasoning simulation on
//! (hidden reasoning tokens drawn per request, counted against the output cap and billed), so
//! what gen sends, how it retries a cut answer and what it reports as cost are checked against
//! what the fake did and billed.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

use crate::fake::{Api, Behavior, FakeServer, ResetHeader, Times};
use crate::support::{Run, Workspace, keywords_csv};

const OPENAI_KEY: &str = "sk-openai-reasoning-test-5555";
const ANTHROPIC_KEY: &str = "sk-ant-reasoning-test-6666";
const GEMINI_KEY: &str = "AIzaSy-reasoning-test-7777";
const DEEPSEEK_KEY: &str = "sk-deepseek-reasoning-test-8888";

/// A profile pointing the four providers at the fake (plus `extra`), the fake accepting their
/// keys and thinking like the real models.
fn setup(ws: &Workspace, server: &FakeServer, extra: &str) {
    server.add_key(Api::OpenAi, OPENAI_KEY);
    server.add_key(Api::OpenAi, DEEPSEEK_KEY);
    server.add_key(Api::Anthropic, ANTHROPIC_KEY);
    server.add_key(Api::Gemini, GEMINI_KEY);
    server.set_reasoning(true);
    ws.write(
        "config/gen/config.toml",
        format!(
            "[providers.openai]\nbase_url = \"{openai}\"\n\n[providers.deepseek]\nbase_url = \"{origin}\"\n\n\
             [providers.anthropic]\nbase_url = \"{origin}\"\n\n[providers.gemini]\nbase_url = \"{gemini}\"\n\n{extra}",
            openai = server.base_url(Api::OpenAi),
            origin = server.origin(),
            gemini = server.base_url(Api::Gemini),
        ),
    );
}

fn run(ws: &Workspace, args: &[&str]) -> Run {
    let mut command: Command = ws.command(args);
    for (name, value) in [
        ("OPENAI_API_KEY", OPENAI_KEY),
        ("ANTHROPIC_API_KEY", ANTHROPIC_KEY),
        ("GEMINI_API_KEY", GEMINI_KEY),
        ("DEEPSEEK_API_KEY", DEEPSEEK_KEY),
    ] {
        command.env(name, value);
    }
    Run::from(command.output().expect("run gen"))
}

/// gen's own price table: what is checked is that gen counts the tokens the fake billed.
fn price(model: &str) -> Option<(f64, f64)> {
    gen_core::providers::presets::price(model).map(|p| (p.input, p.output))
}

fn cost_sum(lines: &[Value]) -> f64 {
    lines
        .iter()
        .map(|l| l["cost_usd"].as_f64().expect("every row has a cost"))
        .sum()
}

/// Each row's requests in order, keyed by the keyword its prompt names.
fn requests_by_row(server: &FakeServer, api: Api) -> BTreeMap<String, Vec<Value>> {
    let mut rows: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for request in server.requests_for(api) {
        let text = request.body.to_string();
        let Some(start) = text.find("keyword number ") else {
            continue;
        };
        let digits: String = text[start + 15..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        rows.entry(digits).or_default().push(request.body);
    }
    rows
}

#[test]
fn default_seo_on_reasoning_models_is_never_cut_and_costs_what_was_billed() {
    let ws = Workspace::new();
    let server = FakeServer::start();
    setup(&ws, &server, "");
    ws.write("rows.csv", keywords_csv(80));
    let out = run(
        &ws,
        &[
            "seo",
            "--pool",
            "openai=2,gemini=2,claude=1,deepseek=1",
            "rows.csv",
        ],
    );
    out.expect_code(0).stderr_has("80 done");
    server.assert_no_violations();
    assert_eq!(server.cut_count(), 0, "{:#?}", server.billing());
    let results = ws.jsonl("rows.seo.jsonl");
    assert_eq!(results.len(), 80);

    // Each model got its lowest accepted setting, in its own wire's field.
    for request in server.requests_for(Api::OpenAi) {
        let body = &request.body;
        match body["model"].as_str().unwrap() {
            "gpt-5-mini" => {
                assert_eq!(body["reasoning_effort"], "minimal", "{body}");
                assert_eq!(body["max_completion_tokens"], 400 + 1_024, "{body}");
            }
            "deepseek-flash" => {
                assert_eq!(body["thinking"]["type"], "disabled", "{body}");
                assert!(body.get("reasoning_effort").is_none(), "{body}");
            }
            other => panic!("unexpected model {other}"),
        }
    }
    for request in server.requests_for(Api::Gemini) {
        let config = &request.body["generationConfig"];
        assert_eq!(config["thinkingConfig"]["thinkingBudget"], 0, "{config}");
    }
    for request in server.requests_for(Api::Anthropic) {
        assert!(request.body.get("thinking").is_none(), "{}", request.body);
    }

    // Every billed token is in the rows' costs and reasoning counts.
    let billed = server.billed_usd(price);
    let reported = cost_sum(&results);
    assert!(
        (billed - reported).abs() < 1e-6,
        "gen reported ${reported:.6}, the fake billed ${billed:.6}"
    );
    let reasoning: u64 = results
        .iter()
        .map(|r| r["reasoning_tokens"].as_u64().unwrap())
        .sum();
    let billed_reasoning: u64 = server.billing().iter().map(|b| b.reasoning_tokens).sum();
    assert_eq!(reasoning, billed_reasoning);
    assert!(reasoning > 0, "gpt-5-mini reasons a little even at minimal");
}

#[test]
fn a_cut_answer_is_retried_with_a_larger_cap_and_every_attempt_is_paid_for() {
    let ws = Workspace::new();
    let server = FakeServer::start();
    // A profile that wrongly says gpt-5-mini does not reason: gen sends no reasoning field and a
    // cap for the answer alone, and the model thinks at its default (medium) anyway.
    setup(
        &ws,
        &server,
        "[models.\"gpt-5-mini\"]\nsteering = \"none\"\n",
    );
    ws.write("rows.csv", keywords_csv(24));
    let out = run(
        &ws,
        &[
            "seo",
            "--pool",
            "openai=2",
            "--max-attempts",
            "6",
            "rows.csv",
        ],
    );
    out.expect_code(0).stderr_has("24 done");
    server.assert_no_violations();
    assert!(server.cut_count() > 0, "the first caps are too small");
    assert!(out.stderr.contains("reasoning_exhausted"), "{}", out.stderr);

    let rows = requests_by_row(&server, Api::OpenAi);
    assert_eq!(rows.len(), 24);
    let mut retried = 0;
    for (row, requests) in &rows {
        let caps: Vec<u64> = requests
            .iter()
            .map(|r| r["max_completion_tokens"].as_u64().unwrap())
            .collect();
        assert_eq!(caps[0], 400, "row {row}");
        for pair in caps.windows(2) {
            assert_eq!(
                pair[1],
                pair[0] * 2,
                "row {row}: each cut doubles the cap: {caps:?}"
            );
        }
        for request in requests {
            assert!(request.get("reasoning_effort").is_none());
        }
        retried += usize::from(caps.len() > 1);
    }
    assert!(retried > 0);

    let results = ws.jsonl("rows.seo.jsonl");
    let billed = server.billed_usd(price);
    let reported = cost_sum(&results);
    assert!(
        (billed - reported).abs() < 1e-6,
        "cut attempts are paid for too: gen reported ${reported:.6}, the fake billed ${billed:.6}"
    );
    let attempts: u64 = results
        .iter()
        .map(|r| r["attempts"].as_u64().unwrap())
        .sum();
    assert_eq!(attempts as usize, server.requests_for(Api::OpenAi).len());
}

#[test]
fn repeated_reasoning_cuts_lower_the_setting() {
    let ws = Workspace::new();
    let server = FakeServer::start();
    // A cap that cannot grow past 600: at high (about 2,000 tokens of thought) every answer is
    // cut, so only reasoning less can get the row through.
    setup(
        &ws,
        &server,
        "[models.\"gpt-5-mini\"]\nsteering = \"effort\"\n\
         levels = [\"minimal\", \"low\", \"medium\", \"high\"]\nmax_output = 600\n",
    );
    ws.write("rows.csv", keywords_csv(6));
    let out = run(
        &ws,
        &[
            "seo",
            "--pool",
            "openai=1",
            "--reasoning",
            "high",
            "--max-attempts",
            "8",
            "rows.csv",
        ],
    );
    out.expect_code(0).stderr_has("6 done");
    let rank = |effort: &str| {
        ["minimal", "low", "medium", "high"]
            .iter()
            .position(|e| *e == effort)
    };
    for (row, requests) in requests_by_row(&server, Api::OpenAi) {
        let efforts: Vec<&str> = requests
            .iter()
            .map(|r| r["reasoning_effort"].as_str().unwrap())
            .collect();
        assert_eq!(efforts[0], "high", "row {row}");
        for request in &requests {
            assert!(request["max_completion_tokens"].as_u64().unwrap() <= 600);
        }
        for pair in efforts.windows(2) {
            assert!(rank(pair[1]) <= rank(pair[0]), "row {row}: {efforts:?}");
        }
        if efforts.len() > 2 {
            assert_eq!(
                efforts[1], "high",
                "the first cut only raises the cap: {efforts:?}"
            );
            assert!(rank(efforts[2]) < rank("high"), "row {row}: {efforts:?}");
        }
    }
}

#[test]
fn rows_that_end_in_the_manifest_carry_their_cost() {
    let ws = Workspace::new();
    let server = FakeServer::start();
    setup(
        &ws,
        &server,
        "[models.\"gpt-5-mini\"]\nsteering = \"none\"\nmax_output = 400\n",
    );
    ws.write("rows.csv", keywords_csv(30));
    let out = run(
        &ws,
        &[
            "seo",
            "--pool",
            "openai=2",
            "--max-attempts",
            "2",
            "rows.csv",
        ],
    );
    out.expect_code(1);
    let (header, failed) = ws.csv("rows.seo.failed.csv");
    assert!(!failed.is_empty());
    let kind = header.iter().position(|c| c == "error_kind").unwrap();
    let cost = header.iter().position(|c| c == "cost_usd").unwrap();
    let mut manifest_cost = 0.0;
    for record in &failed {
        assert_eq!(record[kind], "reasoning_exhausted", "{record:?}");
        let usd: f64 = record[cost].parse().expect("a cost");
        assert!(usd > 0.0, "cut answers are billed: {record:?}");
        manifest_cost += usd;
    }
    let results = if ws.exists("rows.seo.jsonl") {
        ws.jsonl("rows.seo.jsonl")
    } else {
        Vec::new()
    };
    assert_eq!(results.len() + failed.len(), 30);
    let reported = cost_sum(&results) + manifest_cost;
    let billed = server.billed_usd(price);
    assert!(
        (billed - reported).abs() < 1e-6,
        "gen reported ${reported:.6}, the fake billed ${billed:.6}"
    );
    assert!(out.stderr.contains("reasoning_exhausted"), "{}", out.stderr);
}

#[test]
fn no_reasoning_field_goes_to_a_model_that_refuses_it() {
    let ws = Workspace::new();
    let server = FakeServer::start();
    setup(&ws, &server, "");
    ws.write("rows.csv", keywords_csv(8));
    // The fake answers 400 to reasoning_effort on gpt-4o-mini and to budget 0 on gemini-2.5-pro.
    let out = run(
        &ws,
        &[
            "seo",
            "--pool",
            "openai:gpt-4o-mini=1,gemini:gemini-2.5-pro=1",
            "rows.csv",
        ],
    );
    out.expect_code(0).stderr_has("8 done");
    for request in server.requests() {
        assert_eq!(request.status, Some(200), "{}", request.body);
    }
    for request in server.requests_for(Api::OpenAi) {
        assert!(request.body.get("reasoning_effort").is_none());
    }
    for request in server.requests_for(Api::Gemini) {
        let budget = &request.body["generationConfig"]["thinkingConfig"]["thinkingBudget"];
        assert_eq!(budget, 128, "Pro's least budget");
    }
    // --reasoning high: still nothing for gpt-4o-mini, Pro's budget goes up.
    let out = run(
        &ws,
        &[
            "seo",
            "--pool",
            "openai:gpt-4o-mini=1,gemini:gemini-2.5-pro=1",
            "--reasoning",
            "high",
            "--force",
            "rows.csv",
        ],
    );
    out.expect_code(0);
    assert!(server.requests().iter().all(|r| r.status == Some(200)));
}

#[test]
fn the_dry_run_estimate_counts_the_expected_reasoning() {
    let ws = Workspace::new();
    let server = FakeServer::start();
    setup(&ws, &server, "");
    ws.write("rows.csv", keywords_csv(10));
    let low = run(&ws, &["seo", "--pool", "openai=1", "--dry-run", "rows.csv"]);
    low.expect_code(0);
    assert!(
        low.stdout
            .contains("seo: reasoning_effort: minimal (reasoning off)"),
        "{}",
        low.stdout
    );
    assert!(low.stdout.contains("output cap 1424"), "{}", low.stdout);
    let high = run(
        &ws,
        &[
            "seo",
            "--pool",
            "openai=1",
            "--reasoning",
            "high",
            "--dry-run",
            "rows.csv",
        ],
    );
    high.expect_code(0);
    let reasoning = |text: &str| -> u64 {
        let at = text.find(" of it reasoning").expect("reasoning estimate");
        let start = text[..at].rfind('~').unwrap() + 1;
        text[start..at].parse().unwrap()
    };
    assert_eq!(reasoning(&low.stdout), 10 * 40);
    assert_eq!(reasoning(&high.stdout), 10 * 2_500);
    assert_eq!(server.request_count(), 0, "a dry run sends nothing");
}

#[test]
fn a_gateway_unknown_model_takes_only_that_model_out_and_its_prefixed_reset_is_honoured() {
    let ws = Workspace::new();
    let server = FakeServer::start();
    server.set_gateway(true);
    server.set_models(Api::OpenAi, &["gpt-5-mini"]);
    setup(
        &ws,
        &server,
        &format!(
            "[providers.gateway]\nkind = \"openai\"\nbase_url = \"{}\"\ndialect = \"openai\"\n\
             model = \"gpt-5-mini\"\napi_key_env = \"OPENAI_API_KEY\"\n",
            server.base_url(Api::OpenAi)
        ),
    );
    server.script(
        Api::OpenAi,
        OPENAI_KEY,
        Behavior::RateLimited(ResetHeader::RetryAfterSeconds(1)),
        Times::Next(1),
    );
    ws.write("rows.csv", keywords_csv(12));
    let started = std::time::Instant::now();
    let out = run(
        &ws,
        &[
            "seo",
            "--pool",
            "gateway:gpt-5-mini=1,gateway:gpt-9-turbo=1",
            "rows.csv",
        ],
    );
    out.expect_code(0)
        .stderr_has("12 done")
        .stderr_has("left the pool for model `gpt-9-turbo`");
    let limited = server
        .requests()
        .into_iter()
        .find(|r| r.status == Some(429))
        .expect("the scripted 429");
    let after = server
        .requests()
        .into_iter()
        .filter(|r| r.at > limited.at && r.model.as_deref() == Some("gpt-5-mini"))
        .map(|r| r.at)
        .min()
        .expect("a request after the 429");
    assert!(
        after.duration_since(limited.at) >= std::time::Duration::from_millis(950),
        "the key waited for llm_provider-retry-after"
    );
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    for result in ws.jsonl("rows.seo.jsonl") {
        assert_eq!(result["model"], "gpt-5-mini", "{result}");
    }
}
