//! The Anthropic Messages adapter: [`build`] turns a [`Request`] into
//! `POST {base}/v1/messages`, [`parse`] turns the answer into a [`Completion`] or a classified
//! [`ProviderError`].
//!
//! JSON answers use the GA structured outputs (`output_config.format` json_schema); the reply is
//! JSON text in a `text` block, so parsing is the same for both shapes.

use std::time::SystemTime;

use serde_json::Value;

use super::classify::{self, Answer, Member, describe, text_of};
use super::dialect::JsonMode;
use super::protocol::Wire;
use super::ratelimit::{parse_rate_limits, retry_after};
use super::reasoning::ReasoningField;
use super::structured;
use super::wire::{Endpoint, HeaderValue, Headers, HttpRequest, get, json_post, percent_encode};
use super::{Completion, ModelPage, OutputShape, ProviderError, Request, Usage, estimate_tokens};
use crate::failure::FailureKind;

/// The API version every request names.
pub const API_VERSION: &str = "2023-06-01";

/// `POST {base}/v1/messages` with `x-api-key` (a secret) and `anthropic-version`. The system
/// prompt is the top-level `system` field; no `temperature` (newer models reject non-defaults).
pub fn build(request: &Request, endpoint: &Endpoint) -> HttpRequest {
    with_body(request, |body| {
        json_post(endpoint.url("/v1/messages"), auth_headers(endpoint), body)
    })
}

/// `x-api-key` (a secret), `anthropic-version`, then the endpoint's extra headers: what every
/// Anthropic request carries.
pub(crate) fn auth_headers(endpoint: &Endpoint) -> Vec<(&'static str, HeaderValue)> {
    let mut headers = Vec::new();
    if let Some(key) = endpoint.api_key {
        headers.push(("x-api-key", HeaderValue::Secret(key.to_string())));
    }
    headers.push(("anthropic-version", HeaderValue::Plain(API_VERSION.into())));
    headers.extend(endpoint.extra());
    headers
}

/// The Messages body [`build`] sends; a Message Batches entry carries the same one as `params`.
/// A JSON answer's schema goes in `output_config.format` as [`structured::plan`] decides, the
/// rules Anthropic cannot take after the system prompt; a schema it cannot take at all goes in
/// the system prompt whole, with no `output_config`.
pub(crate) fn request_body(request: &Request) -> Value {
    with_body(request, |body| {
        serde_json::to_value(body).unwrap_or(Value::Null)
    })
}

/// Builds the body (borrowing the request and its schema) and hands it to `then`: a live request
/// serializes it straight to bytes, without a `Value` tree of it in between.
fn with_body<T>(request: &Request, then: impl FnOnce(&MessagesBody) -> T) -> T {
    let plan = match &request.shape {
        OutputShape::Json { schema, .. } => {
            let plan = structured::plan_shared(Wire::Anthropic, JsonMode::JsonSchema, schema);
            Some(plan)
        }
        OutputShape::Text => None,
    };
    let system = structured::system_text(
        &request.system,
        plan.as_ref().and_then(|plan| plan.prompt_note.as_deref()),
    );
    let output_config = plan
        .as_ref()
        .and_then(|plan| plan.sent.as_ref())
        .map(|schema| OutputConfig {
            format: SchemaFormat {
                kind: "json_schema",
                schema,
            },
        });
    let thinking = match request.reasoning {
        // Extended thinking is off unless asked, so "off" sends nothing.
        ReasoningField::Extended(budget) => Some(ExtendedThinking {
            kind: "enabled",
            budget_tokens: budget,
        }),
        ReasoningField::None
        | ReasoningField::Effort(_)
        | ReasoningField::Budget(_)
        | ReasoningField::Level(_)
        | ReasoningField::Thinking(_)
        | ReasoningField::EnableThinking(_) => None,
    };
    then(&MessagesBody {
        model: &request.model,
        max_tokens: request.max_output_tokens,
        system: (!system.is_empty()).then_some(&system),
        messages: [UserMessage {
            role: "user",
            content: &request.prompt,
        }],
        output_config,
        thinking,
    })
}

/// A Messages request body, in the order the fields are written.
#[derive(serde::Serialize)]
struct MessagesBody<'a> {
    model: &'a str,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<&'a structured::SystemText>,
    messages: [UserMessage<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    output_config: Option<OutputConfig<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking: Option<ExtendedThinking>,
}

#[derive(serde::Serialize)]
struct UserMessage<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(serde::Serialize)]
struct OutputConfig<'a> {
    format: SchemaFormat<'a>,
}

#[derive(serde::Serialize)]
struct SchemaFormat<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    schema: &'a Value,
}

#[derive(serde::Serialize)]
struct ExtendedThinking {
    #[serde(rename = "type")]
    kind: &'static str,
    budget_tokens: u32,
}

/// Reads a Messages answer: the `text` blocks concatenated (thinking and tool blocks skipped).
/// `stop_reason` `refusal` is `ContentBlocked`; `max_tokens` and `model_context_window_exceeded`
/// are `Truncated`, or `ReasoningExhausted` when thinking took the cap. Input tokens are
/// `input_tokens` plus both cache counts; `output_tokens` includes the thinking.
pub fn parse(
    status: u16,
    headers: &Headers,
    body: &[u8],
    now: SystemTime,
) -> Result<Completion, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(status, headers, body, now));
    }
    let value: Answer = classify::decode(body)?;
    if value.key("type").and_then(Answer::as_str) == Some("error") {
        return Err(classify_error(500, headers, body, now));
    }
    let Some(blocks) = value.key("content").and_then(Answer::as_array) else {
        return Err(ProviderError::new(
            FailureKind::Malformed,
            "the answer has no `content` array",
        ));
    };
    let text: String = blocks
        .iter()
        .filter(|b| b.key("type").and_then(Answer::as_str) == Some("text"))
        .filter_map(|b| b.key("text").and_then(Answer::as_str))
        .collect();
    let billed = usage(&value, blocks, &text);
    match value.key("stop_reason").and_then(Answer::as_str) {
        Some("refusal") => {
            return Err(ProviderError::new(
                FailureKind::ContentBlocked,
                "the model refused to answer (stop_reason: refusal)",
            )
            .with_billed(billed));
        }
        Some(reason @ ("max_tokens" | "model_context_window_exceeded")) => {
            return Err(classify::cut_answer(
                billed,
                text.trim().is_empty(),
                &format!("stop_reason: {reason}"),
            ));
        }
        _ => {}
    }
    if text.trim().is_empty() {
        return Err(
            ProviderError::new(FailureKind::Empty, "the answer has no text").with_billed(billed),
        );
    }
    let usage = billed.unwrap_or(Usage {
        input_tokens: 0,
        output_tokens: estimate_tokens(&text),
        reasoning_tokens: 0,
    });
    Ok(Completion {
        exhausted_for: None,
        limit_rpm: None,
        citations: Vec::new(),
        images: Vec::new(),
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        reasoning_tokens: usage.reasoning_tokens,
        text,
    })
}

/// The tokens an answer was billed. Anthropic counts thinking inside `output_tokens` and reports
/// no separate figure, so when the answer carries `thinking` or `redacted_thinking` blocks the
/// reasoning is what `output_tokens` holds beyond the estimated size of the text. `None` when the
/// answer reports no output count.
fn usage(answer: &Answer, blocks: &[Answer], text: &str) -> Option<Usage> {
    let usage = answer.key("usage")?;
    let count = |field: &str| usage.key(field).and_then(Answer::as_u64);
    let output = count("output_tokens")?;
    let thought = blocks.iter().any(|b| {
        matches!(
            b.key("type").and_then(Answer::as_str),
            Some("thinking" | "redacted_thinking")
        )
    });
    let reasoning = if thought {
        output.saturating_sub(estimate_tokens(text))
    } else {
        0
    };
    Some(Usage {
        input_tokens: count("input_tokens").unwrap_or(0)
            + count("cache_creation_input_tokens").unwrap_or(0)
            + count("cache_read_input_tokens").unwrap_or(0),
        output_tokens: output,
        reasoning_tokens: reasoning,
    })
}

/// [`parse`] for an answer that arrived without HTTP headers (a Message Batches result line). The
/// clock only dates header values, so with no headers any instant gives the same result.
pub(crate) fn parse_body(status: u16, body: &[u8]) -> Result<Completion, ProviderError> {
    parse(status, &[], body, SystemTime::UNIX_EPOCH)
}

/// The most models one list page may hold (the API's maximum).
const MODEL_PAGE_SIZE: u32 = 1000;

/// `GET {base}/v1/models?limit=1000`, with `after_id` for the page after `after`.
pub fn list_models_request(endpoint: &Endpoint, after: Option<&str>) -> HttpRequest {
    let mut url = endpoint.url(&format!("/v1/models?limit={MODEL_PAGE_SIZE}"));
    if let Some(after) = after {
        url.push_str(&format!("&after_id={}", percent_encode(after)));
    }
    get(url, auth_headers(endpoint))
}

/// Reads a model list page: the `id` of each `data[]` entry (newest first, as sent); when
/// `has_more`, the next page starts after `last_id`.
pub fn parse_model_list(
    status: u16,
    headers: &Headers,
    body: &[u8],
    now: SystemTime,
) -> Result<ModelPage, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(status, headers, body, now));
    }
    let value: Value = classify::decode(body)?;
    if value.get("type").and_then(Value::as_str) == Some("error") {
        return Err(classify_error(500, headers, body, now));
    }
    let Some(items) = value.get("data").and_then(Value::as_array) else {
        return Err(ProviderError::new(
            FailureKind::Malformed,
            "the model list has no `data` array",
        ));
    };
    let ids: Vec<String> = items
        .iter()
        .filter_map(|m| m.get("id")?.as_str())
        .map(str::to_string)
        .collect();
    let has_more = value.get("has_more").and_then(Value::as_bool) == Some(true);
    let next_page = has_more
        .then(|| {
            value
                .get("last_id")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| ids.last().cloned())
        })
        .flatten();
    Ok(ModelPage { ids, next_page })
}

/// Words of a 400 that mean the account cannot pay, not that the request is wrong (the credit
/// balance message, and the workspace spend limits, which Anthropic reports as 400).
const BILLING_PHRASES: [&str; 3] = [
    "credit balance is too low",
    "api usage limits",
    "spend limit",
];

pub(crate) fn classify_error(
    status: u16,
    headers: &Headers,
    body: &[u8],
    now: SystemTime,
) -> ProviderError {
    let value = classify::decode::<Value>(body).ok();
    let error = value.as_ref().and_then(|v| v.get("error"));
    let error_type = text_of(error.and_then(|e| e.get("type")));
    let message = classify::message_of(error.and_then(|e| e.get("message")))
        .or_else(|| text_of(error))
        .unwrap_or_else(|| classify::body_message(body));
    let detail_code = text_of(error.and_then(|e| e.pointer("/details/error_code")));
    let lower = message.to_ascii_lowercase();

    let mut kind = classify::status_kind(status);
    match error_type.as_deref() {
        Some("overloaded_error") => kind = FailureKind::Overloaded,
        Some("rate_limit_error") if status != 429 => kind = FailureKind::RateLimited,
        Some("billing_error") => kind = FailureKind::Quota,
        _ => {}
    }
    let spend_capped = detail_code.as_deref() == Some("enforced_spend_limit_reached");
    if spend_capped || (status == 400 && BILLING_PHRASES.iter().any(|p| lower.contains(p))) {
        kind = FailureKind::Quota;
    }
    // A gateway speaking the Messages format (LiteLLM's `/v1/messages`) may say 400 for an
    // unknown model where Anthropic says 404.
    let code = text_of(error.and_then(|e| e.get("code")));
    let labels = [error_type.as_deref(), code.as_deref()];
    if classify::says_model_missing(status, &labels, &message) {
        kind = FailureKind::ModelNotFound;
    }
    kind = classify::apply_should_retry(kind, headers);

    let label = detail_code.as_deref().or(error_type.as_deref());
    let mut err = ProviderError::new(kind, describe(status, label, &message));
    if classify::wants_delay(kind) {
        err.retry_after = retry_after(headers, now).or_else(|| {
            parse_rate_limits(headers, now)
                .exhausted_for()
                .filter(|d| !d.is_zero())
        });
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::Purpose;
    use serde_json::json;
    use std::time::{Duration, UNIX_EPOCH};

    const KEY: &str = "sk-ant-api03-SECRET-9876";

    fn request(shape: OutputShape) -> Request {
        Request {
            shape,
            ..Request::sample("claude-haiku-4-5", 700)
        }
    }

    fn endpoint() -> Endpoint<'static> {
        Endpoint {
            base_url: "https://api.anthropic.com",
            api_key: Some(KEY),
            extra_headers: &[],
        }
    }

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// 2025-08-21T12:40:00Z
    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_755_780_000)
    }

    fn ok(body: &str) -> Result<Completion, ProviderError> {
        parse(200, &[], body.as_bytes(), now())
    }

    fn fail(status: u16, headers: &[(&str, &str)], body: &str) -> ProviderError {
        parse(status, &h(headers), body.as_bytes(), now()).unwrap_err()
    }

    fn error_body(kind: &str, message: &str) -> String {
        format!(
            r#"{{"type":"error","error":{{"type":"{kind}","message":"{message}"}},"request_id":"req_011C"}}"#
        )
    }

    #[test]
    fn builds_messages_request_with_top_level_system() {
        let http = build(&request(OutputShape::Text), &endpoint());
        assert_eq!(http.url, "https://api.anthropic.com/v1/messages");
        let key = http.header("x-api-key").unwrap();
        assert!(key.is_secret());
        assert_eq!(key.expose(), KEY);
        assert_eq!(
            http.header("anthropic-version").unwrap().expose(),
            "2023-06-01"
        );
        assert_eq!(
            http.header("content-type").unwrap().expose(),
            "application/json"
        );
        assert!(!http.url.contains(KEY));
        assert!(!String::from_utf8_lossy(&http.body).contains(KEY));
        assert!(!format!("{http:?}").contains(KEY));
        let body: Value = serde_json::from_slice(&http.body).unwrap();
        assert_eq!(
            body,
            json!({"model": "claude-haiku-4-5", "max_tokens": 700, "system": "You are terse.",
                   "messages": [{"role": "user", "content": "Write about shoes."}]})
        );
    }

    #[test]
    fn image_and_search_requests_build_as_plain_text() {
        let mut req = request(OutputShape::Text);
        req.purpose = Purpose::Image;
        req.web_search = true;
        assert_eq!(
            build(&req, &endpoint()).body,
            build(&request(OutputShape::Text), &endpoint()).body
        );
    }

    #[test]
    fn extended_thinking_is_sent_only_when_asked() {
        use crate::providers::reasoning::{Effort, ReasoningField};
        let body = |reasoning| {
            let req = Request {
                reasoning,
                ..Request::sample("claude-haiku-4-5", 2_448)
            };
            let body: Value = serde_json::from_slice(&build(&req, &endpoint()).body).unwrap();
            body
        };
        let on = body(ReasoningField::Extended(1_024));
        assert_eq!(
            on["thinking"],
            json!({"type": "enabled", "budget_tokens": 1024})
        );
        assert_eq!(on["max_tokens"], 2_448);
        for off in [
            ReasoningField::None,
            ReasoningField::Effort(Effort::High),
            ReasoningField::Budget(0),
        ] {
            assert!(body(off).get("thinking").is_none(), "{off:?}");
        }
    }

    #[test]
    fn a_cut_inside_thinking_is_reasoning_exhausted_and_billed() {
        let starved = r#"{"type":"message","role":"assistant","model":"claude-haiku-4-5",
            "content":[{"type":"thinking","thinking":"Let me weigh the keyword…","signature":"sig"}],
            "stop_reason":"max_tokens","usage":{"input_tokens":70,"output_tokens":1424}}"#;
        let err = ok(starved).unwrap_err();
        assert_eq!(err.kind, FailureKind::ReasoningExhausted);
        assert_eq!(
            err.billed,
            Some(Usage {
                input_tokens: 70,
                output_tokens: 1424,
                reasoning_tokens: 1424
            })
        );
        let plain = r#"{"type":"message","content":[{"type":"text","text":"{\"title\":"}],
            "stop_reason":"max_tokens","usage":{"input_tokens":70,"output_tokens":400}}"#;
        assert_eq!(ok(plain).unwrap_err().kind, FailureKind::Truncated);
    }

    #[test]
    fn builds_structured_output_for_seo() {
        let http = build(&request(crate::tasks::seo::shape()), &endpoint());
        let body: Value = serde_json::from_slice(&http.body).unwrap();
        let format = &body["output_config"]["format"];
        assert_eq!(format["type"], "json_schema");
        assert_eq!(format["schema"]["additionalProperties"], false);
        assert!(body.get("temperature").is_none());
    }

    fn body_of(schema: Value) -> Value {
        let req = request(OutputShape::Json {
            name: "product_copy".to_string(),
            schema: schema.into(),
        });
        serde_json::from_slice(&build(&req, &endpoint()).body).unwrap()
    }

    /// Anthropic's structured outputs: `output_config: {format: {type: json_schema, schema}}`,
    /// with no `maxLength` and no `minItems` above 1 in the schema (a 400 otherwise).
    #[test]
    fn product_copy_is_sent_without_what_anthropic_refuses_and_told_in_the_system_prompt() {
        let schema = crate::providers::structured::product_schema();
        let body = body_of(schema.clone());
        let sent = &body["output_config"]["format"]["schema"];
        assert_eq!(body["output_config"]["format"]["type"], "json_schema");
        assert_eq!(
            sent["properties"]["headline"],
            json!({"type": "string", "description": "the hook"})
        );
        assert_eq!(
            sent["properties"]["bullets"],
            json!({"type": "array", "items": {"type": "string"}, "minItems": 1})
        );
        assert_eq!(
            sent["properties"]["price_band"]["enum"],
            json!(["budget", "mid", "premium"])
        );
        assert_eq!(sent["properties"]["details"]["additionalProperties"], false);
        assert_eq!(
            body["system"],
            "You are terse.\n\nThe JSON answer must also meet these rules:\n\
             - `headline`: at most 70 characters\n\
             - `bullets`: exactly 3 items\n\
             - `details.care`: at most 200 characters"
        );
        assert_eq!(body["messages"][0]["content"], "Write about shoes.");
    }

    #[test]
    fn a_recursive_schema_goes_in_the_system_prompt_whole() {
        let schema = json!({
            "type": "object",
            "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#"}}},
            "required": ["name", "children"],
            "additionalProperties": false
        });
        let body = body_of(schema.clone());
        assert!(body.get("output_config").is_none());
        assert_eq!(
            body["system"],
            format!(
                "You are terse.\n\n{}",
                crate::providers::structured::schema_instruction(&schema)
            )
        );
    }

    const SUCCESS: &str = r#"{"id":"msg_01","type":"message","role":"assistant","model":"claude-haiku-4-5-20251001",
        "content":[{"type":"thinking","thinking":"let me see","signature":"x"},{"type":"text","text":"Hello "},{"type":"text","text":"there"}],
        "stop_reason":"end_turn","stop_sequence":null,
        "usage":{"input_tokens":25,"output_tokens":12,"cache_creation_input_tokens":100,"cache_read_input_tokens":1000,"service_tier":"standard"}}"#;

    /// Anthropic counts thinking inside `output_tokens`: the reasoning is what is left after the
    /// text's estimate (12 - 3).
    #[test]
    fn parses_text_blocks_and_usage_with_caches() {
        assert_eq!(
            ok(SUCCESS),
            Ok(Completion {
                exhausted_for: None,
                reasoning_tokens: 9,
                limit_rpm: None,
                citations: Vec::new(),
                images: Vec::new(),
                text: "Hello there".into(),
                input_tokens: 1125,
                output_tokens: 12
            })
        );
        assert_eq!(ok(&format!("\n\n  {SUCCESS}")).unwrap().text, "Hello there");
    }

    #[test]
    fn parses_a_json_mode_answer() {
        let body = r#"{"type":"message","content":[{"type":"text","text":"{\"title\":\"Shoes\",\"meta_description\":\"Pick well.\",\"slug\":\"shoes\"}"}],
            "stop_reason":"end_turn","usage":{"input_tokens":5,"output_tokens":30}}"#;
        let completion = ok(body).unwrap();
        assert!(crate::tasks::seo::validate(&completion.text).is_ok());
    }

    #[test]
    fn refusal_cut_empty_and_malformed_answers() {
        let refusal = r#"{"type":"message","content":[],"stop_reason":"refusal","usage":{"input_tokens":5,"output_tokens":0}}"#;
        assert_eq!(ok(refusal).unwrap_err().kind, FailureKind::ContentBlocked);
        let cut = r#"{"type":"message","content":[{"type":"text","text":"{\"title\":"}],"stop_reason":"max_tokens"}"#;
        let err = ok(cut).unwrap_err();
        assert_eq!(err.kind, FailureKind::Truncated);
        assert!(err.message.contains("max_tokens"));
        let window = r#"{"content":[{"type":"text","text":"x"}],"stop_reason":"model_context_window_exceeded"}"#;
        assert_eq!(ok(window).unwrap_err().kind, FailureKind::Truncated);
        for empty in [
            r#"{"content":[],"stop_reason":"end_turn"}"#,
            r#"{"content":[{"type":"text","text":"  "}],"stop_reason":"end_turn"}"#,
            r#"{"content":[{"type":"thinking","thinking":"only thoughts"}],"stop_reason":"end_turn"}"#,
        ] {
            assert_eq!(ok(empty).unwrap_err().kind, FailureKind::Empty, "{empty}");
        }
        assert_eq!(
            ok(r#"{"id":"msg"}"#).unwrap_err().kind,
            FailureKind::Malformed
        );
        let cut_mid_string = &SUCCESS[..SUCCESS.find("Hello").unwrap() + 2];
        let err = ok(cut_mid_string).unwrap_err();
        assert_eq!(err.kind, FailureKind::Malformed);
        assert!(err.message.contains("cut short"), "{}", err.message);
        assert_eq!(ok("").unwrap_err().kind, FailureKind::Malformed);
        for end in (0..SUCCESS.len() - 1).step_by(11) {
            assert_eq!(
                ok(&SUCCESS[..end]).unwrap_err().kind,
                FailureKind::Malformed
            );
        }
    }

    #[test]
    fn rate_limits_use_retry_after_then_reset_headers() {
        let body = error_body(
            "rate_limit_error",
            "Number of request tokens has exceeded your per-minute rate limit",
        );
        let err = fail(429, &[("retry-after", "7")], &body);
        assert_eq!(err.kind, FailureKind::RateLimited);
        assert_eq!(err.retry_after, Some(Duration::from_secs(7)));
        assert!(err.message.contains("rate_limit_error"), "{}", err.message);
        let err = fail(
            429,
            &[
                ("anthropic-ratelimit-tokens-remaining", "0"),
                ("anthropic-ratelimit-tokens-reset", "2025-08-21T12:40:30Z"),
            ],
            &body,
        );
        assert_eq!(err.retry_after, Some(Duration::from_secs(30)));
    }

    #[test]
    fn spend_limits_and_billing_are_quota() {
        let capped = r#"{"type":"error","error":{"type":"rate_limit_error","message":"You have reached your monthly spend limit","details":{"error_code":"enforced_spend_limit_reached"}}}"#;
        let err = fail(429, &[("retry-after", "60")], capped);
        assert_eq!(err.kind, FailureKind::Quota);
        assert_eq!(err.retry_after, None);
        assert!(err.message.contains("enforced_spend_limit_reached"));
        let credit = error_body(
            "invalid_request_error",
            "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
        );
        assert_eq!(fail(400, &[], &credit).kind, FailureKind::Quota);
        let workspace = error_body(
            "invalid_request_error",
            "You have reached your specified workspace API usage limits.",
        );
        assert_eq!(fail(400, &[], &workspace).kind, FailureKind::Quota);
        assert_eq!(
            fail(402, &[], &error_body("billing_error", "pay up")).kind,
            FailureKind::Quota
        );
    }

    #[test]
    fn status_classes() {
        let cases = [
            (
                400,
                "invalid_request_error",
                "max_tokens: Field required",
                FailureKind::BadRequest,
            ),
            (
                401,
                "authentication_error",
                "invalid x-api-key",
                FailureKind::Auth,
            ),
            (403, "permission_error", "no access", FailureKind::Auth),
            (
                404,
                "not_found_error",
                "model: claude-nope",
                FailureKind::ModelNotFound,
            ),
            (413, "request_too_large", "too big", FailureKind::BadRequest),
            (
                500,
                "api_error",
                "Internal server error",
                FailureKind::Server,
            ),
            (504, "timeout_error", "timed out", FailureKind::Server),
            (
                529,
                "overloaded_error",
                "Overloaded",
                FailureKind::Overloaded,
            ),
        ];
        for (status, kind_name, message, kind) in cases {
            let err = fail(status, &[], &error_body(kind_name, message));
            assert_eq!(err.kind, kind, "{status}");
            assert!(err.message.contains(message), "{}", err.message);
        }
        let overloaded = fail(
            529,
            &[("retry-after", "4")],
            &error_body("overloaded_error", "Overloaded"),
        );
        assert_eq!(overloaded.retry_after, Some(Duration::from_secs(4)));
        let err = fail(
            500,
            &[("x-should-retry", "false")],
            &error_body("api_error", "no"),
        );
        assert_eq!(err.kind, FailureKind::BadRequest);
        // A 200 carrying an error object is classified by its type.
        let err = ok(&error_body("overloaded_error", "Overloaded")).unwrap_err();
        assert_eq!(err.kind, FailureKind::Overloaded);
        let html = fail(502, &[], "<html>bad gateway</html>");
        assert_eq!(html.kind, FailureKind::Server);
        assert!(html.message.contains("bad gateway"));
    }

    #[test]
    fn the_model_list_pages_with_after_id_and_sends_the_version() {
        let http = list_models_request(&endpoint(), None);
        assert_eq!(http.method, crate::providers::wire::Method::Get);
        assert_eq!(http.url, "https://api.anthropic.com/v1/models?limit=1000");
        assert!(http.header("x-api-key").unwrap().is_secret());
        assert_eq!(
            http.header("anthropic-version").unwrap().expose(),
            API_VERSION
        );
        assert!(!format!("{http:?}").contains(KEY));
        let next = list_models_request(&endpoint(), Some("claude-3 haiku"));
        assert!(
            next.url.ends_with("?limit=1000&after_id=claude-3%20haiku"),
            "{}",
            next.url
        );

        let body = r#"{"data":[
            {"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"},
            {"type":"model","id":"claude-haiku-4-5-20251001","display_name":"Claude Haiku 4.5","created_at":"2025-10-01T00:00:00Z"}],
            "has_more":true,"first_id":"claude-sonnet-4-5-20250929","last_id":"claude-haiku-4-5-20251001"}"#;
        let page = parse_model_list(200, &[], body.as_bytes(), now()).unwrap();
        assert_eq!(
            page.ids,
            ["claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"]
        );
        assert_eq!(page.next_page.as_deref(), Some("claude-haiku-4-5-20251001"));
        let last = r#"{"data":[],"has_more":false,"first_id":null,"last_id":null}"#;
        assert_eq!(
            parse_model_list(200, &[], last.as_bytes(), now()).unwrap(),
            ModelPage::default()
        );

        let refused = r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#;
        let err = parse_model_list(401, &[], refused.as_bytes(), now()).unwrap_err();
        assert_eq!(err.kind, FailureKind::Auth);
        assert!(err.message.contains("invalid x-api-key"), "{err}");
        let err = parse_model_list(200, &[], b"", now()).unwrap_err();
        assert_eq!(err.kind, FailureKind::Malformed);
    }
}
