//! Tests of the fake's reasoning models through the raw client: the reasoning fields each model
//! refuses, the simulated reasoning and its cap, usage in each API's fields, the billing ledger
//! and gateway mode.

use serde_json::{Value, json};

use super::super::thinking::{self, Setting};
use super::super::{Api, Behavior, FakeServer, ResetHeader, Times};
use super::{ANTHROPIC_KEY, Client, GEMINI_KEY, OPENAI_KEY, OUTLINE, Response, server};

/// A generate request to `api` with this body (Gemini: to `model`'s path).
/// [`thinking::setting`] of a body written as a `json!` value.
fn setting(api: Api, model: &str, body: &Value) -> Option<Setting> {
    super::super::json::with_json(body, |body| thinking::setting(api, model, body))
}

fn post(server: &FakeServer, api: Api, model: &str, body: &Value) -> Response {
    let mut client = Client::connect(server);
    let body = body.to_string();
    match api {
        Api::OpenAi => client.exchange(
            "POST",
            "/v1/chat/completions",
            &[("authorization", &format!("Bearer {OPENAI_KEY}"))],
            &body,
        ),
        Api::Anthropic => client.exchange(
            "POST",
            "/v1/messages",
            &[
                ("x-api-key", ANTHROPIC_KEY),
                ("anthropic-version", "2023-06-01"),
            ],
            &body,
        ),
        Api::Gemini => client.exchange(
            "POST",
            &format!("/v1beta/models/{model}:generateContent"),
            &[("x-goog-api-key", GEMINI_KEY)],
            &body,
        ),
    }
}

fn chat(model: &str, extra: Value) -> Value {
    let mut body = json!({"model": model, "messages": [{"role": "user", "content": OUTLINE}]});
    merge(&mut body, extra);
    body
}

fn messages(max_tokens: u64, extra: Value) -> Value {
    let mut body = json!({"model": "claude-haiku-4-5-20251001", "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": OUTLINE}]});
    merge(&mut body, extra);
    body
}

fn contents(config: Value) -> Value {
    json!({"contents": [{"role": "user", "parts": [{"text": OUTLINE}]}],
           "generationConfig": config})
}

fn merge(body: &mut Value, extra: Value) {
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            body[k] = v;
        }
    }
}

/// `(api, model, body, status, marker)`: the marker is looked for in the response body.
type Case = (Api, &'static str, Value, u16, &'static str);

#[test]
fn reasoning_fields_a_model_does_not_take_are_refused_like_the_real_apis() {
    let server = server();
    let cases: Vec<Case> = vec![
        // OpenAI
        (
            Api::OpenAi,
            "gpt-4o-mini",
            chat("gpt-4o-mini", json!({"reasoning_effort": "low"})),
            400,
            "\"code\":\"unsupported_parameter\"",
        ),
        (
            Api::OpenAi,
            "gpt-4.1-mini-2025-04-14",
            chat(
                "gpt-4.1-mini-2025-04-14",
                json!({"reasoning_effort": "none"}),
            ),
            400,
            "'reasoning_effort' is not supported with this model.",
        ),
        (
            Api::OpenAi,
            "gpt-4o-mini",
            chat("gpt-4o-mini", json!({"reasoning_effort": null})),
            200,
            "",
        ),
        (
            Api::OpenAi,
            "gpt-5.1",
            chat("gpt-5.1", json!({"reasoning_effort": "minimal"})),
            400,
            "Supported values are: 'none', 'low', 'medium', and 'high'.",
        ),
        (
            Api::OpenAi,
            "gpt-5.4-mini",
            chat("gpt-5.4-mini", json!({"reasoning_effort": "none"})),
            200,
            "",
        ),
        (
            Api::OpenAi,
            "o3-mini",
            chat("o3-mini", json!({"reasoning_effort": "minimal"})),
            400,
            "Supported values are: 'low', 'medium', and 'high'.",
        ),
        (
            Api::OpenAi,
            "o4-mini",
            chat("o4-mini", json!({"reasoning_effort": "high"})),
            200,
            "",
        ),
        (
            Api::OpenAi,
            "gpt-5-nano",
            chat("gpt-5-nano", json!({"reasoning_effort": "minimal"})),
            200,
            "",
        ),
        // DeepSeek
        (
            Api::OpenAi,
            "deepseek-flash",
            chat("deepseek-flash", json!({"reasoning_effort": "medium"})),
            400,
            "Supported values are: 'low', 'high', and 'max'.",
        ),
        (
            Api::OpenAi,
            "deepseek-v4-pro",
            chat("deepseek-v4-pro", json!({"thinking": {"type": "on"}})),
            400,
            "thinking.type",
        ),
        (
            Api::OpenAi,
            "deepseek-v4-pro",
            chat(
                "deepseek-v4-pro",
                json!({"thinking": {"type": "disabled"}, "reasoning_effort": "max"}),
            ),
            200,
            "",
        ),
        (
            Api::OpenAi,
            "deepseek-chat",
            chat("deepseek-chat", json!({"thinking": {"type": "enabled"}})),
            200,
            "",
        ),
        // Unknown models keep today's behaviour.
        (
            Api::OpenAi,
            "glm-4.6",
            chat("glm-4.6", json!({"reasoning_effort": "whatever"})),
            200,
            "",
        ),
        // Gemini
        (
            Api::Gemini,
            "gemini-2.5-pro",
            contents(json!({"thinkingConfig": {"thinkingBudget": 0}})),
            400,
            "Budget 0 is invalid. This model only works in thinking mode.",
        ),
        (
            Api::Gemini,
            "gemini-2.5-pro",
            contents(json!({"thinkingConfig": {"thinkingBudget": 64}})),
            400,
            "between 128 and 32768",
        ),
        (
            Api::Gemini,
            "gemini-2.5-flash-lite",
            contents(json!({"thinking_config": {"thinking_budget": 511}})),
            400,
            "between 512 and 24576",
        ),
        (
            Api::Gemini,
            "gemini-2.5-flash-lite",
            contents(json!({"thinkingConfig": {"thinkingBudget": 0}})),
            200,
            "",
        ),
        (
            Api::Gemini,
            "gemini-2.5-flash-lite",
            contents(json!({"thinkingConfig": {"thinkingBudget": 512}})),
            200,
            "",
        ),
        (
            Api::Gemini,
            "gemini-2.5-flash",
            contents(json!({"thinkingConfig": {"thinkingBudget": 24577}})),
            400,
            "between 1 and 24576",
        ),
        (
            Api::Gemini,
            "gemini-2.5-flash",
            contents(json!({"thinkingConfig": {"thinkingLevel": "LOW"}})),
            400,
            "Thinking level is not supported for this model.",
        ),
        (
            Api::Gemini,
            "gemini-3-flash-preview",
            contents(json!({"thinkingConfig": {"thinkingLevel": "low", "thinkingBudget": 512}})),
            400,
            "You can only set only one of thinking budget and thinking level.",
        ),
        (
            Api::Gemini,
            "gemini-3-pro-preview",
            contents(json!({"thinkingConfig": {"thinkingLevel": "medium"}})),
            400,
            "'medium' is not a supported thinking level for this model.",
        ),
        (
            Api::Gemini,
            "gemini-3-pro-preview",
            contents(json!({"thinkingConfig": {"thinkingLevel": "low"}})),
            200,
            "",
        ),
        (
            Api::Gemini,
            "gemini-3-flash-preview",
            contents(json!({"thinkingConfig": {"thinkingLevel": "Minimal"}})),
            200,
            "",
        ),
        (
            Api::Gemini,
            "gemini-3-flash-preview",
            contents(json!({"thinkingConfig": {"thinkingLevel": "EXTREME"}})),
            400,
            "thinking_level",
        ),
        (
            Api::Gemini,
            "gemini-2.5-flash-image",
            contents(json!({"thinkingConfig": {"thinkingBudget": 0}})),
            400,
            "Thinking is not supported for this model.",
        ),
        (
            Api::Gemini,
            "gemini-2.5-flash",
            contents(json!({"thinkingConfig": {"budget": 100}})),
            400,
            "Unknown name \\\"budget\\\"",
        ),
        // Anthropic
        (
            Api::Anthropic,
            "",
            messages(
                2048,
                json!({"thinking": {"type": "enabled", "budget_tokens": 1000}}),
            ),
            400,
            "greater than or equal to 1024",
        ),
        (
            Api::Anthropic,
            "",
            messages(
                2048,
                json!({"thinking": {"type": "enabled", "budget_tokens": 2048}}),
            ),
            400,
            "`max_tokens` must be greater than `thinking.budget_tokens`",
        ),
        (
            Api::Anthropic,
            "",
            messages(2048, json!({"thinking": {"type": "on"}})),
            400,
            "Input tag 'on'",
        ),
        (
            Api::Anthropic,
            "",
            messages(
                2048,
                json!({"thinking": {"type": "enabled", "budget_tokens": 1024}, "temperature": 0.5}),
            ),
            400,
            "`temperature` may only be set to 1 when thinking is enabled.",
        ),
        (
            Api::Anthropic,
            "",
            messages(
                2048,
                json!({"thinking": {"type": "enabled", "budget_tokens": 1024},
                       "tools": [{"name": "emit", "input_schema": {"type": "object"}}],
                       "tool_choice": {"type": "tool", "name": "emit"}}),
            ),
            400,
            "Thinking may not be enabled when `tool_choice` forces tool use.",
        ),
        (
            Api::Anthropic,
            "",
            messages(
                2048,
                json!({"thinking": {"type": "enabled", "budget_tokens": 1024}}),
            ),
            200,
            "",
        ),
        (
            Api::Anthropic,
            "",
            messages(512, json!({"thinking": {"type": "disabled"}})),
            200,
            "",
        ),
    ];
    for (api, model, body, status, marker) in cases {
        let response = post(&server, api, model, &body);
        let text = String::from_utf8_lossy(&response.body);
        assert_eq!(response.status, status, "{model} {body}: {text}");
        assert!(text.contains(marker), "{model} {body}: {text}");
        if status == 400 {
            let error = &response.json()["error"];
            match api {
                Api::OpenAi => assert_eq!(error["type"], "invalid_request_error", "{text}"),
                Api::Anthropic => assert_eq!(error["type"], "invalid_request_error", "{text}"),
                Api::Gemini => assert_eq!(error["status"], "INVALID_ARGUMENT", "{text}"),
            }
        }
    }
    // The refusals are answers, not violations, and none of them is billed.
    server.assert_no_violations();
    let billed: u64 = server.billing().iter().map(|b| b.requests).sum();
    assert_eq!(billed, 13);
}

#[test]
fn an_unsupported_reasoning_value_is_openais_exact_400() {
    let server = server();
    let response = post(
        &server,
        Api::OpenAi,
        "",
        &chat("gpt-5-mini", json!({"reasoning_effort": "none"})),
    );
    assert_eq!(response.status, 400);
    assert_eq!(
        response.json(),
        json!({"error": {
            "message": "Unsupported value: 'reasoning_effort' does not support 'none' with this \
                        model. Supported values are: 'minimal', 'low', 'medium', and 'high'.",
            "type": "invalid_request_error",
            "param": "reasoning_effort",
            "code": "unsupported_value"}})
    );
    let response = post(
        &server,
        Api::OpenAi,
        "",
        &chat("gpt-4o", json!({"reasoning_effort": "medium"})),
    );
    assert_eq!(
        response.json(),
        json!({"error": {
            "message": "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
            "type": "invalid_request_error",
            "param": "reasoning_effort",
            "code": "unsupported_parameter"}})
    );
}

#[test]
fn the_table_matches_the_longest_prefix() {
    let steer = |api, model| thinking::lookup(api, model).map(|m| m.prefix);
    assert_eq!(steer(Api::OpenAi, "gpt-5-mini-2025-08-07"), Some("gpt-5"));
    assert_eq!(steer(Api::OpenAi, "gpt-5.2"), Some("gpt-5."));
    assert_eq!(steer(Api::OpenAi, "gpt-4o-mini"), Some("gpt-4o"));
    assert_eq!(
        steer(Api::Gemini, "gemini-2.5-flash-lite-preview-09-2025"),
        Some("gemini-2.5-flash-lite")
    );
    assert_eq!(
        steer(Api::Gemini, "gemini-2.5-flash-image-preview"),
        Some("gemini-2.5-flash-image")
    );
    assert_eq!(
        steer(Api::Anthropic, "claude-haiku-4-5-20251001"),
        Some("claude-")
    );
    // Per API: Gemini's OpenAI-compatible ids are unknown on the OpenAI wire.
    assert_eq!(steer(Api::OpenAi, "gemini-2.5-flash"), None);
    assert_eq!(steer(Api::OpenAi, "glm-4.6"), None);
}

/// The median and 99th percentile of `n` draws at `setting`.
fn quantiles(setting: &Setting, n: u64) -> (u64, u64) {
    let mut draws: Vec<u64> = (0..n)
        .map(|i| thinking::draw(setting, b"{\"model\":\"gpt-5-mini\"}", i))
        .collect();
    draws.sort_unstable();
    let at = |q: f64| draws[((n as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99))
}

#[test]
fn reasoning_draws_are_log_normal_around_each_settings_median() {
    let body = json!({"reasoning_effort": "medium"});
    let medium = setting(Api::OpenAi, "gpt-5-mini", &body).unwrap();
    assert_eq!((medium.median, medium.sigma), (700.0, 0.6));
    let (median, p99) = quantiles(&medium, 2_000);
    assert!((600..=800).contains(&median), "median {median}");
    assert!((2_500..=3_000).contains(&p99), "p99 {p99}");

    let minimal = setting(
        Api::OpenAi,
        "gpt-5",
        &json!({"reasoning_effort": "minimal"}),
    )
    .unwrap();
    let (median, p99) = quantiles(&minimal, 2_000);
    assert!((16..=24).contains(&median), "median {median}");
    assert!((120..=190).contains(&p99), "p99 {p99}");

    // Each model's default, and what a request says instead.
    let median_of = |api, model, body: Value| setting(api, model, &body).unwrap().median;
    assert_eq!(median_of(Api::OpenAi, "gpt-5.1", json!({})), 0.0);
    assert_eq!(median_of(Api::OpenAi, "o3", json!({})), 700.0);
    assert_eq!(
        median_of(Api::OpenAi, "o3", json!({"reasoning_effort": "high"})),
        2_000.0
    );
    assert_eq!(median_of(Api::OpenAi, "gpt-4.1", json!({})), 0.0);
    assert_eq!(median_of(Api::OpenAi, "deepseek-flash", json!({})), 700.0);
    assert_eq!(
        median_of(
            Api::OpenAi,
            "deepseek-flash",
            json!({"reasoning_effort": "low"})
        ),
        250.0
    );
    assert_eq!(
        median_of(
            Api::OpenAi,
            "deepseek-v4-pro",
            json!({"thinking": {"type": "disabled"}})
        ),
        0.0
    );
    assert_eq!(
        median_of(Api::OpenAi, "deepseek-reasoner", json!({})),
        700.0
    );
    assert_eq!(median_of(Api::Gemini, "gemini-2.5-flash", json!({})), 700.0);
    assert_eq!(median_of(Api::Gemini, "gemini-2.5-pro", json!({})), 1_200.0);
    assert_eq!(
        median_of(Api::Gemini, "gemini-2.5-flash-lite", json!({})),
        0.0
    );
    assert_eq!(
        median_of(
            Api::Gemini,
            "gemini-2.5-flash",
            contents(json!({"thinkingConfig": {"thinkingBudget": 0}}))
        ),
        0.0
    );
    assert_eq!(
        median_of(Api::Gemini, "gemini-3-pro-preview", json!({})),
        1_500.0
    );
    assert_eq!(
        median_of(
            Api::Gemini,
            "gemini-3-flash-preview",
            contents(json!({"thinkingConfig": {"thinkingLevel": "minimal"}}))
        ),
        30.0
    );
    assert_eq!(
        median_of(Api::Anthropic, "claude-sonnet-4-5", json!({})),
        0.0
    );

    // A budget caps the draw.
    let capped = setting(
        Api::Anthropic,
        "claude-sonnet-4-5",
        &json!({"thinking": {"type": "enabled", "budget_tokens": 1024}}),
    )
    .unwrap();
    assert_eq!(capped.median, 700.0);
    assert!((0..2_000).all(|n| thinking::draw(&capped, b"x", n) <= 1_024));
    assert!((0..2_000).any(|n| thinking::draw(&capped, b"x", n) == 1_024));
}

fn usage(body: &Value) -> (u64, u64) {
    let usage = &body["usage"];
    (
        usage["completion_tokens"].as_u64().unwrap(),
        usage["completion_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap(),
    )
}

/// The fake's token count of an answer text (one per four bytes).
fn tokens(text: &str) -> u64 {
    (text.len() as u64).div_ceil(4).max(1)
}

#[test]
fn openai_and_deepseek_report_reasoning_in_their_usage_fields() {
    let server = server();
    server.set_reasoning(true);
    let gpt5 = post(&server, Api::OpenAi, "", &chat("gpt-5-mini", json!({}))).json();
    let (completion, reasoning) = usage(&gpt5);
    let text = gpt5["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(text.starts_with("# Trail Running"), "{gpt5}");
    assert_eq!(gpt5["choices"][0]["finish_reason"], "stop");
    assert!(reasoning > 0, "{gpt5}");
    assert_eq!(completion, reasoning + tokens(text));
    assert_eq!(
        gpt5["usage"]["total_tokens"].as_u64().unwrap(),
        gpt5["usage"]["prompt_tokens"].as_u64().unwrap() + completion
    );
    assert!(
        gpt5["choices"][0]["message"]
            .get("reasoning_content")
            .is_none()
    );

    for (model, extra) in [
        ("gpt-4o-mini", json!({})),
        ("gpt-5.1", json!({})),
        ("deepseek-chat", json!({})),
        ("deepseek-flash", json!({"thinking": {"type": "disabled"}})),
    ] {
        let body = post(&server, Api::OpenAi, "", &chat(model, extra)).json();
        assert_eq!(usage(&body).1, 0, "{model}: {body}");
        assert!(
            body["choices"][0]["message"]
                .get("reasoning_content")
                .is_none()
        );
    }

    let deepseek = post(&server, Api::OpenAi, "", &chat("deepseek-flash", json!({}))).json();
    let (completion, reasoning) = usage(&deepseek);
    let message = &deepseek["choices"][0]["message"];
    assert!(reasoning > 0);
    assert!(!message["reasoning_content"].as_str().unwrap().is_empty());
    assert_eq!(
        completion,
        reasoning + tokens(message["content"].as_str().unwrap())
    );
    server.assert_no_violations();
}

#[test]
fn gemini_counts_thoughts_apart_and_shows_them_when_asked() {
    let server = server();
    server.set_reasoning(true);
    let body = post(
        &server,
        Api::Gemini,
        "gemini-2.5-flash",
        &contents(json!({})),
    )
    .json();
    let usage = &body["usageMetadata"];
    let thoughts = usage["thoughtsTokenCount"].as_u64().unwrap();
    let candidates = usage["candidatesTokenCount"].as_u64().unwrap();
    let parts = body["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap();
    assert_eq!(parts.len(), 1, "{body}");
    assert_eq!(candidates, tokens(parts[0]["text"].as_str().unwrap()));
    assert!(thoughts > 0);
    assert_eq!(
        usage["totalTokenCount"].as_u64().unwrap(),
        usage["promptTokenCount"].as_u64().unwrap() + candidates + thoughts
    );

    let shown = post(
        &server,
        Api::Gemini,
        "gemini-2.5-pro",
        &contents(json!({"thinkingConfig": {"includeThoughts": true, "thinkingBudget": 2048}})),
    )
    .json();
    let parts = shown["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap();
    assert_eq!(parts[0]["thought"], true, "{shown}");
    assert!(parts[1].get("thought").is_none());
    assert!(
        parts[1]["text"]
            .as_str()
            .unwrap()
            .starts_with("# Trail Running")
    );
    assert!(
        shown["usageMetadata"]["thoughtsTokenCount"]
            .as_u64()
            .unwrap()
            <= 2048
    );

    // Flash-Lite does not think unless asked.
    let lite = post(
        &server,
        Api::Gemini,
        "gemini-2.5-flash-lite",
        &contents(json!({})),
    )
    .json();
    assert!(
        lite["usageMetadata"].get("thoughtsTokenCount").is_none(),
        "{lite}"
    );
    server.assert_no_violations();
}

#[test]
fn anthropic_thinking_blocks_come_first_and_count_as_output() {
    let server = server();
    server.set_reasoning(true);
    let body = post(
        &server,
        Api::Anthropic,
        "",
        &messages(
            8192,
            json!({"thinking": {"type": "enabled", "budget_tokens": 4096}}),
        ),
    )
    .json();
    let content = body["content"].as_array().unwrap();
    assert_eq!(content.len(), 2, "{body}");
    assert_eq!(content[0]["type"], "thinking");
    assert!(!content[0]["thinking"].as_str().unwrap().is_empty());
    assert!(!content[0]["signature"].as_str().unwrap().is_empty());
    assert_eq!(content[1]["type"], "text");
    let text = content[1]["text"].as_str().unwrap();
    let output = body["usage"]["output_tokens"].as_u64().unwrap();
    assert!(output > tokens(text), "{body}");
    assert!(output <= tokens(text) + 4096);
    assert!(body["usage"].get("reasoning_tokens").is_none());
    assert_eq!(body["stop_reason"], "end_turn");

    // Off by default: no thinking block, nothing hidden.
    let plain = post(&server, Api::Anthropic, "", &messages(2048, json!({}))).json();
    assert_eq!(plain["content"][0]["type"], "text");
    assert_eq!(
        plain["usage"]["output_tokens"].as_u64().unwrap(),
        tokens(plain["content"][0]["text"].as_str().unwrap())
    );
    let billed = server.billing();
    assert_eq!(billed[0].reasoning_tokens, output - tokens(text));
}

#[test]
fn reasoning_that_reaches_the_cap_leaves_no_text() {
    let server = server();
    server.set_reasoning(true);
    let openai = post(
        &server,
        Api::OpenAi,
        "",
        &chat(
            "gpt-5-mini",
            json!({"reasoning_effort": "high", "max_completion_tokens": 50}),
        ),
    )
    .json();
    assert_eq!(openai["choices"][0]["finish_reason"], "length");
    assert_eq!(openai["choices"][0]["message"]["content"], "");
    assert_eq!(usage(&openai), (50, 50));

    let deepseek = post(
        &server,
        Api::OpenAi,
        "",
        &chat("deepseek-reasoner", json!({"max_tokens": 10})),
    )
    .json();
    assert_eq!(deepseek["choices"][0]["finish_reason"], "length");
    assert_eq!(deepseek["choices"][0]["message"]["content"], "");
    assert!(deepseek["choices"][0]["message"]["reasoning_content"].is_string());
    assert_eq!(usage(&deepseek), (10, 10));

    let gemini = post(
        &server,
        Api::Gemini,
        "gemini-2.5-flash",
        &contents(json!({"maxOutputTokens": 20})),
    )
    .json();
    let candidate = &gemini["candidates"][0];
    assert_eq!(candidate["finishReason"], "MAX_TOKENS");
    assert_eq!(candidate["content"], json!({"role": "model"}), "{gemini}");
    let usage = &gemini["usageMetadata"];
    assert_eq!(usage["thoughtsTokenCount"], 20);
    assert!(usage.get("candidatesTokenCount").is_none());
    assert_eq!(
        usage["totalTokenCount"].as_u64().unwrap(),
        usage["promptTokenCount"].as_u64().unwrap() + 20
    );

    assert_eq!(server.cut_count(), 3);
    assert_eq!(server.cut_without_text_count(), 3);
    assert_eq!(server.cut_without_text_count_for(Api::OpenAi), 2);
    let billed = server.billing();
    assert_eq!(
        billed
            .iter()
            .map(|b| (b.model.as_str(), b.output_tokens, b.reasoning_tokens))
            .collect::<Vec<_>>(),
        [
            ("gpt-5-mini", 50, 50),
            ("deepseek-reasoner", 10, 10),
            ("gemini-2.5-flash", 20, 20)
        ]
    );
}

#[test]
fn reasoning_and_answer_over_the_cap_cut_the_answer_at_the_cap() {
    let server = server();
    server.set_reasoning(true);
    // A 600-word article is about 900 tokens: reasoning and answer do not fit in 1100.
    let article = "Write an article about \"trail running\".\nTarget length: 600 words\n";
    let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 1100,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "messages": [{"role": "user", "content": article}]});
    let cut = post(&server, Api::Anthropic, "", &body).json();
    assert_eq!(cut["stop_reason"], "max_tokens", "{cut}");
    assert_eq!(cut["usage"]["output_tokens"], 1100);
    let content = cut["content"].as_array().unwrap();
    assert_eq!(content[0]["type"], "thinking");
    let text = content[1]["text"].as_str().unwrap();
    assert!(text.starts_with("# Trail Running"), "{text}");
    assert!(tokens(text) < 1100 - 40);

    let body = json!({"model": "gpt-5-mini", "max_completion_tokens": 1100,
        "messages": [{"role": "user", "content": article}]});
    let cut = post(&server, Api::OpenAi, "", &body).json();
    assert_eq!(cut["choices"][0]["finish_reason"], "length", "{cut}");
    let (completion, reasoning) = usage(&cut);
    assert_eq!(completion, 1100);
    let text = cut["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(!text.is_empty());
    assert!(reasoning + tokens(text) <= 1100);
    assert!(reasoning + tokens(text) >= 1099);

    // A whole answer under a roomy cap.
    let body = json!({"model": "gpt-5-mini", "max_completion_tokens": 20000,
        "messages": [{"role": "user", "content": article}]});
    let whole = post(&server, Api::OpenAi, "", &body).json();
    assert_eq!(whole["choices"][0]["finish_reason"], "stop");
    assert_eq!(server.cut_count(), 2);
    assert_eq!(server.cut_count_for(Api::Anthropic), 1);
    assert_eq!(server.cut_without_text_count(), 0);
}

#[test]
fn without_the_simulation_reasoning_models_answer_as_before() {
    let server = server();
    let body = chat(
        "gpt-5-mini",
        json!({"reasoning_effort": "high", "max_completion_tokens": 50}),
    );
    let answer = post(&server, Api::OpenAi, "", &body).json();
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    assert_eq!(usage(&answer).1, 0);
    // Scripted cuts count reasoning once the simulation is on, and stay billed at the cap.
    server.set_reasoning(true);
    server.script_any_key(Api::OpenAi, Behavior::LengthCut, Times::Next(1));
    let body = chat("gpt-5-mini", json!({"max_completion_tokens": 5000}));
    let cut = post(&server, Api::OpenAi, "", &body).json();
    assert_eq!(cut["choices"][0]["finish_reason"], "length");
    let (completion, reasoning) = usage(&cut);
    assert_eq!(completion, 5000);
    assert!(reasoning > 0);
    assert_eq!(server.cut_count(), 1);
}

#[test]
fn draws_are_deterministic_per_server() {
    let run = || {
        let server = server();
        server.set_reasoning(true);
        (0..3)
            .map(|_| usage(&post(&server, Api::OpenAi, "", &chat("o3", json!({}))).json()).1)
            .collect::<Vec<_>>()
    };
    let first = run();
    assert_eq!(first, run());
    // The counter makes the same request spend differently each time.
    assert!(first[0] != first[1] || first[1] != first[2], "{first:?}");
}

#[test]
fn the_ledger_bills_every_200_and_nothing_else() {
    let server = server();
    server.set_reasoning(true);
    let mut expected_output = 0;
    let mut expected_reasoning = 0;
    let mut expected_input = 0;
    for _ in 0..2 {
        let body = post(&server, Api::OpenAi, "", &chat("gpt-5-mini", json!({}))).json();
        expected_output += usage(&body).0;
        expected_reasoning += usage(&body).1;
        expected_input += body["usage"]["prompt_tokens"].as_u64().unwrap();
    }
    // Not billed: a 5xx, a scripted 429, a validation 400, a limiter 429.
    server.script_any_key(Api::OpenAi, Behavior::ServerError(500), Times::Next(1));
    assert_eq!(
        post(&server, Api::OpenAi, "", &chat("gpt-5-mini", json!({}))).status,
        500
    );
    server.script_any_key(
        Api::OpenAi,
        Behavior::RateLimited(ResetHeader::RetryAfterSeconds(1)),
        Times::Next(1),
    );
    assert_eq!(
        post(&server, Api::OpenAi, "", &chat("gpt-5-mini", json!({}))).status,
        429
    );
    let bad = chat("gpt-5-mini", json!({"reasoning_effort": "none"}));
    assert_eq!(post(&server, Api::OpenAi, "", &bad).status, 400);
    server.set_rate_limit(Api::Gemini, GEMINI_KEY, 1);
    // Billed: an empty answer and a scripted cut.
    server.script_any_key(Api::Gemini, Behavior::EmptyContent, Times::Next(1));
    let empty = post(
        &server,
        Api::Gemini,
        "gemini-2.5-flash",
        &contents(json!({})),
    )
    .json();
    assert_eq!(empty["candidates"][0]["content"]["parts"][0]["text"], "");
    assert_eq!(
        post(
            &server,
            Api::Gemini,
            "gemini-2.5-flash",
            &contents(json!({}))
        )
        .status,
        429
    );
    server.script_any_key(Api::Anthropic, Behavior::LengthCut, Times::Next(1));
    let cut = post(&server, Api::Anthropic, "", &messages(300, json!({}))).json();
    assert_eq!(cut["stop_reason"], "max_tokens");

    let billed = server.billing();
    assert_eq!(billed.len(), 3, "{billed:#?}");
    let openai = &billed[0];
    assert_eq!(
        (
            openai.api,
            openai.model.as_str(),
            openai.batch,
            openai.requests
        ),
        (Api::OpenAi, "gpt-5-mini", false, 2)
    );
    assert_eq!(
        (
            openai.input_tokens,
            openai.output_tokens,
            openai.reasoning_tokens
        ),
        (expected_input, expected_output, expected_reasoning)
    );
    let gemini = &billed[1];
    assert_eq!(
        (gemini.model.as_str(), gemini.requests),
        ("gemini-2.5-flash", 1)
    );
    // The empty answer still spent its reasoning.
    assert_eq!(
        gemini.output_tokens,
        empty["usageMetadata"]["thoughtsTokenCount"]
            .as_u64()
            .unwrap()
    );
    let anthropic = &billed[2];
    assert_eq!(
        (
            anthropic.model.as_str(),
            anthropic.output_tokens,
            anthropic.cut
        ),
        ("claude-haiku-4-5-20251001", 300, 1)
    );
    assert_eq!(server.cut_count(), 1);
    assert_eq!(server.cut_without_text_count(), 0);

    let price = |model: &str| match model {
        "gpt-5-mini" => Some((0.25, 2.0)),
        "gemini-2.5-flash" => Some((0.30, 2.5)),
        "claude-haiku-4-5-20251001" => Some((1.0, 5.0)),
        _ => None,
    };
    let expected: f64 = billed
        .iter()
        .map(|b| {
            let (i, o) = price(&b.model).unwrap();
            (b.input_tokens as f64 * i + b.output_tokens as f64 * o) / 1e6
        })
        .sum();
    let usd = server.billed_usd(price);
    assert!((usd - expected).abs() < 1e-12, "{usd} vs {expected}");
    assert_eq!(server.billed_batch_usd(price), 0.0);
    let missing = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        server.billed_usd(|m| (m != "gemini-2.5-flash").then_some((1.0, 1.0)))
    }));
    let message = missing.unwrap_err();
    let message = message
        .downcast_ref::<String>()
        .map(String::as_str)
        .unwrap_or("");
    assert!(message.contains("gemini-2.5-flash"), "{message}");
}

#[test]
fn batch_rows_are_billed_apart_with_their_reasoning() {
    let server = server();
    server.set_reasoning(true);
    let requests: Vec<Value> = (1..=4)
        .map(|n| {
            json!({"custom_id": format!("row_{n}"), "params": messages(4096,
                json!({"thinking": {"type": "enabled", "budget_tokens": 2048}}))})
        })
        .collect();
    let headers = [
        ("x-api-key", ANTHROPIC_KEY),
        ("anthropic-version", "2023-06-01"),
    ];
    let mut client = Client::connect(&server);
    let created = client
        .exchange(
            "POST",
            "/v1/messages/batches",
            &headers,
            &json!({ "requests": requests }).to_string(),
        )
        .json();
    let id = created["id"].as_str().unwrap();
    let ended = client
        .exchange("GET", &format!("/v1/messages/batches/{id}"), &headers, "")
        .json();
    assert_eq!(ended["processing_status"], "ended");
    let path = ended["results_url"]
        .as_str()
        .unwrap()
        .strip_prefix(&server.origin())
        .unwrap()
        .to_string();
    let results = Client::connect(&server).exchange("GET", &path, &headers, "");
    let rows: Vec<Value> = String::from_utf8_lossy(&results.body)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 4);
    let mut output = 0;
    for row in &rows {
        let message = &row["result"]["message"];
        assert_eq!(message["content"][0]["type"], "thinking", "{row}");
        output += message["usage"]["output_tokens"].as_u64().unwrap();
    }
    let billed = server.billing();
    assert_eq!(billed.len(), 1);
    assert!(billed[0].batch);
    assert_eq!(billed[0].requests, 4);
    assert_eq!(billed[0].output_tokens, output);
    assert!(billed[0].reasoning_tokens > 0);
    assert_eq!(server.billed_usd(|_| None), 0.0);
    let usd = server.billed_batch_usd(|_| Some((1.0, 5.0)));
    assert!(usd > 0.0);
}

#[test]
fn gateway_mode_refuses_unserved_models_and_prefixes_rate_limit_headers() {
    let server = server();
    server.set_gateway(true);
    server.set_models(Api::OpenAi, &["gpt-4o-mini", "gpt-5-mini"]);
    let refused = post(&server, Api::OpenAi, "", &chat("gpt-5-nano", json!({})));
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.json(),
        json!({"error": {
            "message": "/chat/completions: Invalid model name passed in model=gpt-5-nano. Call \
                        `/v1/models` to view available models for your key.",
            "type": "invalid_request_error", "param": null, "code": "400"}})
    );

    let ok = post(&server, Api::OpenAi, "", &chat("gpt-4o-mini", json!({})));
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.header("llm_provider-x-ratelimit-remaining-requests"),
        Some("9999")
    );
    assert!(ok.header("llm_provider-x-ratelimit-reset-tokens").is_some());
    assert!(
        ok.headers
            .iter()
            .all(|(n, _)| !n.starts_with("x-ratelimit-")),
        "{:?}",
        ok.headers
    );

    server.script_any_key(
        Api::OpenAi,
        Behavior::RateLimited(ResetHeader::RetryAfterSeconds(2)),
        Times::Next(1),
    );
    let limited = post(&server, Api::OpenAi, "", &chat("gpt-4o-mini", json!({})));
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("llm_provider-retry-after"), Some("2"));
    assert_eq!(limited.header("retry-after"), None);

    server.set_rate_limit(Api::OpenAi, OPENAI_KEY, 1);
    assert_eq!(
        post(&server, Api::OpenAi, "", &chat("gpt-4o-mini", json!({}))).status,
        200
    );
    let bucket = post(&server, Api::OpenAi, "", &chat("gpt-4o-mini", json!({})));
    assert_eq!(bucket.status, 429);
    assert_eq!(bucket.header("llm_provider-retry-after"), Some("60"));
    assert_eq!(
        bucket.header("llm_provider-x-ratelimit-remaining-requests"),
        Some("0")
    );
    assert!(
        bucket
            .headers
            .iter()
            .all(|(n, _)| n != "retry-after" && !n.starts_with("x-ratelimit-")),
        "{:?}",
        bucket.headers
    );

    // Other APIs, and the OpenAI route with the gateway off, keep the plain names.
    let anthropic = post(&server, Api::Anthropic, "", &messages(512, json!({})));
    assert!(
        anthropic
            .header("anthropic-ratelimit-requests-remaining")
            .is_some()
    );
    server.set_gateway(false);
    server.set_rate_limit(Api::OpenAi, OPENAI_KEY, 600);
    let plain = post(&server, Api::OpenAi, "", &chat("gpt-5-nano", json!({})));
    assert_eq!(plain.status, 200);
    assert!(plain.header("x-ratelimit-remaining-requests").is_some());
    // Two 200s on gpt-4o-mini through the gateway, one after it.
    let billed: Vec<(String, u64)> = server
        .billing()
        .into_iter()
        .filter(|b| b.api == Api::OpenAi)
        .map(|b| (b.model, b.requests))
        .collect();
    assert_eq!(
        billed,
        [
            ("gpt-4o-mini".to_string(), 2),
            ("gpt-5-nano".to_string(), 1)
        ]
    );
    server.assert_no_violations();
}
