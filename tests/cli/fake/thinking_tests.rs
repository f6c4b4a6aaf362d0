//! Tests of the fake's reasoning models through the raw client: the reasoning fields each model
//! refuses.

use serde_json::{Value, json};

use super::super::thinking;
use super::super::{Api, FakeServer};
use super::{ANTHROPIC_KEY, Client, GEMINI_KEY, OPENAI_KEY, OUTLINE, Response, server};

/// A generate request to `api` with this body (Gemini: to `model`'s path).
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
    // The refusals are answers, not violations.
    server.assert_no_violations();
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
