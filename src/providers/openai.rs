//! The OpenAI Chat Completions adapter, also spoken by every OpenAI-compatible
//! vendor (§2): [`build`] turns a [`Request`] into `POST {base}/chat/completions`, [`parse`] turns
//! the answer into a [`Completion`] or a classified [`ProviderError`].
//!
//! Vendors differ in what they accept; a [`Dialect`] (data in the presets table) says how to ask
//! for JSON and how to name the output limit, and [`build_with`] honours it.

use std::time::SystemTime;

use serde_json::Value;

use super::classify::{self, Answer, Member, describe, text_of};
use super::dialect::{Dialect, JsonMode, MaxTokensField};
use super::protocol::Wire;
use super::ratelimit::{parse_rate_limits, retry_after, retry_hint};
use super::reasoning::ReasoningField;
use super::structured;
use super::wire::{Endpoint, HeaderValue, Headers, HttpRequest, get, json_post};
use super::{
    Completion, ModelPage, OutputShape, ProviderError, Request, Usage, estimate_tokens, unique_urls,
};
use crate::failure::FailureKind;

/// `POST {base}/chat/completions` for OpenAI itself ([`Dialect::OPENAI`]).
pub fn build(request: &Request, endpoint: &Endpoint) -> HttpRequest {
    build_with(request, endpoint, Dialect::OPENAI)
}

/// `POST {base}/chat/completions` in a vendor's dialect. The key travels only in the
/// `authorization` header, as a secret. No `temperature`: reasoning models reject it.
pub fn build_with(request: &Request, endpoint: &Endpoint, dialect: Dialect) -> HttpRequest {
    with_body(request, dialect, |body| {
        json_post(
            endpoint.url("/chat/completions"),
            auth_headers(endpoint),
            body,
        )
    })
}

/// `authorization: Bearer <key>` (a secret) and the endpoint's extra headers.
pub(crate) fn auth_headers(endpoint: &Endpoint) -> Vec<(&'static str, HeaderValue)> {
    let mut headers = Vec::new();
    if let Some(key) = endpoint.api_key {
        headers.push((
            "authorization",
            HeaderValue::Secret(format!("Bearer {key}")),
        ));
    }
    headers.extend(endpoint.extra());
    headers
}

/// The Chat Completions body [`build_with`] sends; a Batch API input line carries the same one.
/// A JSON answer is asked for as [`structured::plan`] decides for the dialect's JSON mode: with
/// `json_schema` (strict when the schema allows), or with `json_object` or nothing and the
/// schema in the system message; rules the sent schema leaves out follow the system message.
pub(crate) fn request_body(request: &Request, dialect: Dialect) -> Value {
    with_body(request, dialect, |body| {
        serde_json::to_value(body).unwrap_or(Value::Null)
    })
}

/// Builds the body (borrowing the request and its schema) and hands it to `then`: a live request
/// serializes it straight to bytes, without a `Value` tree of it in between.
fn with_body<T>(request: &Request, dialect: Dialect, then: impl FnOnce(&ChatBody) -> T) -> T {
    let plan = match &request.shape {
        OutputShape::Json { schema, .. } => {
            let plan = structured::plan_shared(Wire::OpenAi, dialect.json, schema);
            Some(plan)
        }
        OutputShape::Text => None,
    };
    let system = structured::system_text(
        &request.system,
        plan.as_ref().and_then(|plan| plan.prompt_note.as_deref()),
    );
    let schema_name = match &request.shape {
        OutputShape::Json { name, .. } => schema_name(name),
        OutputShape::Text => String::new(),
    };
    let response_format = plan.as_ref().and_then(|plan| match &plan.sent {
        Some(sent) => Some(ResponseFormat {
            kind: "json_schema",
            json_schema: Some(JsonSchemaFormat {
                name: &schema_name,
                schema: sent,
                strict: plan.strict,
            }),
        }),
        None if dialect.json == JsonMode::JsonObject => Some(ResponseFormat {
            kind: "json_object",
            json_schema: None,
        }),
        None => None,
    });
    let mut messages = Vec::with_capacity(2);
    if !system.is_empty() {
        messages.push(ChatMessage {
            role: "system",
            content: Content::System(&system),
        });
    }
    messages.push(ChatMessage {
        role: "user",
        content: Content::Text(&request.prompt),
    });
    let cap = Some(request.max_output_tokens);
    let (max_completion_tokens, max_tokens) = match dialect.max_tokens {
        MaxTokensField::MaxCompletionTokens => (cap, None),
        MaxTokensField::MaxTokens => (None, cap),
    };
    let mut body = ChatBody {
        model: &request.model,
        response_format,
        messages,
        max_completion_tokens,
        max_tokens,
        reasoning_effort: None,
        thinking: None,
        enable_thinking: None,
    };
    match request.reasoning {
        ReasoningField::Effort(effort) => body.reasoning_effort = Some(effort.name()),
        ReasoningField::Thinking(on) => {
            body.thinking = Some(ThinkingSwitch {
                kind: if on { "enabled" } else { "disabled" },
            });
        }
        ReasoningField::EnableThinking(on) => body.enable_thinking = Some(on),
        // Other wires' fields; the model table never gives them to this wire.
        ReasoningField::None
        | ReasoningField::Budget(_)
        | ReasoningField::Level(_)
        | ReasoningField::Extended(_) => {}
    }
    then(&body)
}

/// A Chat Completions request body, in the order the fields are written.
#[derive(serde::Serialize)]
struct ChatBody<'a> {
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<ResponseFormat<'a>>,
    messages: Vec<ChatMessage<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_effort: Option<&'static str>,
    /// DeepSeek's `thinking: {type}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking: Option<ThinkingSwitch>,
    /// Qwen's `enable_thinking`.
    #[serde(skip_serializing_if = "Option::is_none")]
    enable_thinking: Option<bool>,
}

#[derive(serde::Serialize)]
struct ResponseFormat<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    json_schema: Option<JsonSchemaFormat<'a>>,
}

#[derive(serde::Serialize)]
struct JsonSchemaFormat<'a> {
    name: &'a str,
    schema: &'a Value,
    strict: bool,
}

#[derive(serde::Serialize)]
struct ChatMessage<'a> {
    role: &'static str,
    content: Content<'a>,
}

/// A message's text: the row's prompt, or the system text escaped once for the run.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Content<'a> {
    Text(&'a str),
    System(&'a structured::SystemText),
}

#[derive(serde::Serialize)]
struct ThinkingSwitch {
    #[serde(rename = "type")]
    kind: &'static str,
}

/// A `json_schema.name` as OpenAI's `ResponseFormatJsonSchema` requires it: letters, digits, `_`
/// and `-`, 1 to 64 of them; anything else becomes `_`.
fn schema_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if cleaned.is_empty() {
        "answer".into()
    } else {
        cleaned
    }
}

/// Reads a Chat Completions answer. Success needs a 2xx status, a `choices[0].message` with
/// non-blank `content`, and a `finish_reason` other than `length` (→ `Truncated`) or
/// `content_filter` (→ `ContentBlocked`, as is a set `refusal`). Usage missing from the answer
/// counts 0 input tokens and estimates the output from the text.
///
/// Perplexity's searching models add top-level `citations: [url, …]` and
/// `search_results: [{title, url, date, snippet}, …]`; their URLs, deduplicated in that order,
/// become [`Completion::citations`]. Other vendors send neither and get none.
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
    // Some compatible vendors answer 200 with an error body; its own code says which.
    if let Some(code) = classify::embedded_error_status(&value, "choices") {
        return Err(classify_error(code, headers, body, now));
    }
    let Some(choice) = classify::dig(&value, &["choices", "0"]) else {
        return Err(ProviderError::new(
            FailureKind::Malformed,
            "the answer has no `choices[0]`",
        ));
    };
    let message = choice.key("message");
    let text = match message.and_then(|m| m.key("content")) {
        Some(Answer::Str(s)) => s.to_string(),
        // Content as parts: concatenate the text parts.
        Some(Answer::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.key("text").and_then(Answer::as_str))
            .collect(),
        Some(Answer::Null) | None if message.is_some() => String::new(),
        _ => {
            return Err(ProviderError::new(
                FailureKind::Malformed,
                "`choices[0].message` is missing or its `content` is not text",
            ));
        }
    };
    let usage = usage(&value, message, &text);
    if let Some(refusal) = message
        .and_then(|m| m.key("refusal"))
        .and_then(Answer::as_str)
        .filter(|r| !r.trim().is_empty())
    {
        return Err(ProviderError::new(
            FailureKind::ContentBlocked,
            format!("the model refused: {}", refusal.trim()),
        )
        .with_billed(usage));
    }
    match choice.key("finish_reason").and_then(Answer::as_str) {
        Some("content_filter") => {
            return Err(ProviderError::new(
                FailureKind::ContentBlocked,
                "the answer was withheld by the content filter (finish_reason: content_filter)",
            )
            .with_billed(usage));
        }
        Some("length") => {
            return Err(classify::cut_answer(
                usage,
                text.trim().is_empty(),
                "finish_reason: length",
            ));
        }
        _ => {}
    }
    if text.trim().is_empty() {
        return Err(
            ProviderError::new(FailureKind::Empty, "the answer has no text").with_billed(usage),
        );
    }
    let usage = usage.unwrap_or(Usage {
        input_tokens: 0,
        output_tokens: estimate_tokens(&text),
        reasoning_tokens: 0,
    });
    Ok(Completion {
        exhausted_for: None,
        limit_rpm: None,
        citations: citations(&value),
        images: Vec::new(),
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        reasoning_tokens: usage.reasoning_tokens,
        text,
    })
}

/// The tokens an answer was billed: `prompt_tokens`, and `completion_tokens`, which include the
/// reasoning (`completion_tokens_details.reasoning_tokens`; DeepSeek-style vendors that send only
/// `message.reasoning_content` get it estimated from that text). `None` when the answer reports no
/// usage.
fn usage(answer: &Answer, message: Option<&Answer>, text: &str) -> Option<Usage> {
    let usage = answer.key("usage").filter(|u| u.is_object());
    let count = |path: &[&str]| {
        usage
            .and_then(|u| classify::dig(u, path))
            .and_then(Answer::as_u64)
    };
    let thought = message
        .and_then(|m| m.key("reasoning_content"))
        .and_then(Answer::as_str)
        .map_or(0, estimate_tokens);
    let reasoning = count(&["completion_tokens_details", "reasoning_tokens"]).unwrap_or(thought);
    let output = count(&["completion_tokens"]);
    let input = count(&["prompt_tokens"]);
    if usage.is_none() && reasoning == 0 {
        return None;
    }
    Some(Usage {
        input_tokens: input.unwrap_or(0),
        output_tokens: output.unwrap_or_else(|| estimate_tokens(text) + reasoning),
        reasoning_tokens: reasoning,
    })
}

/// [`parse`] for an answer that arrived without HTTP headers (a Batch API result line). The clock
/// only dates header values, so with no headers any instant gives the same result.
pub(crate) fn parse_body(status: u16, body: &[u8]) -> Result<Completion, ProviderError> {
    parse(status, &[], body, SystemTime::UNIX_EPOCH)
}

/// Perplexity's sources: `citations` (URL strings), then `search_results[].url`, each URL once.
/// Entries of another shape are skipped: sources are a bonus, never a reason to fail a row.
fn citations(answer: &Answer) -> Vec<String> {
    let list = |key: &str| answer.key(key).and_then(Answer::as_array).unwrap_or(&[]);
    let cited = list("citations").iter().filter_map(Answer::as_str);
    let searched = list("search_results")
        .iter()
        .filter_map(|r| r.key("url").and_then(Answer::as_str));
    unique_urls(cited.chain(searched))
}

/// `GET {base}/models`: the models the key may use, in one page (the list is not paginated).
pub fn list_models_request(endpoint: &Endpoint) -> HttpRequest {
    get(endpoint.url("/models"), auth_headers(endpoint))
}

/// Reads a model list: the `id` of each `data[]` entry, in the order given. A bare array of
/// model objects (Together's shape) is read the same way.
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
    let items = match &value {
        Value::Array(items) => items,
        _ => match value.get("data").and_then(Value::as_array) {
            Some(items) => items,
            None if value.get("error").is_some() => {
                return Err(classify_error(500, headers, body, now));
            }
            None => {
                return Err(ProviderError::new(
                    FailureKind::Malformed,
                    "the model list has no `data` array",
                ));
            }
        },
    };
    Ok(ModelPage {
        ids: items
            .iter()
            .filter_map(|m| m.get("id")?.as_str())
            .map(str::to_string)
            .collect(),
        next_page: None,
    })
}

/// `error.type` / `error.code` values that mean the money or quota is gone (OpenAI's error codes, old and new).
const QUOTA_CODES: [&str; 6] = [
    "insufficient_quota",
    "credit_balance_exhausted",
    "organization_spend_limit_exceeded",
    "project_spend_limit_exceeded",
    "organization_usage_limit_exceeded",
    "billing_hard_limit_reached",
];

pub(crate) fn classify_error(
    status: u16,
    headers: &Headers,
    body: &[u8],
    now: SystemTime,
) -> ProviderError {
    let value = classify::decode::<Value>(body).ok();
    let error = value.as_ref().and_then(|v| v.get("error"));
    let (message, kind_field, code) = match error {
        Some(Value::Object(e)) => (
            classify::message_of(e.get("message")),
            text_of(e.get("type")),
            text_of(e.get("code")),
        ),
        Some(Value::String(s)) => (Some(s.clone()), None, None),
        _ => (
            value
                .as_ref()
                .and_then(|v| text_of(v.get("message")).or_else(|| text_of(v.get("detail")))),
            None,
            None,
        ),
    };
    let message = message.unwrap_or_else(|| classify::body_message(body));
    let lower = message.to_ascii_lowercase();
    let is = |wanted: &[&str]| {
        [&kind_field, &code]
            .into_iter()
            .flatten()
            .any(|v| wanted.contains(&v.as_str()))
    };

    let mut kind = classify::status_kind(status);
    if status == 429 && (is(&QUOTA_CODES) || lower.contains("exceeded your current quota")) {
        kind = FailureKind::Quota;
    }
    if classify::says_model_missing(status, &[kind_field.as_deref(), code.as_deref()], &message) {
        kind = FailureKind::ModelNotFound;
    }
    kind = classify::apply_should_retry(kind, headers);

    let label = code.as_deref().or(kind_field.as_deref());
    let mut text = describe(status, label, &message);
    if kind == FailureKind::ModelNotFound && status == 404 && error.is_none() {
        text.push_str(" (check the model name and the provider's base_url)");
    }
    let mut err = ProviderError::new(kind, text);
    if classify::wants_delay(kind) {
        let limits = parse_rate_limits(headers, now);
        let reset = match kind_field.as_deref() {
            Some("tokens") => limits.reset_tokens,
            Some("requests") => limits.reset_requests,
            _ => None,
        };
        err.retry_after = retry_after(headers, now)
            .or(reset)
            .or_else(|| limits.exhausted_for().filter(|d| !d.is_zero()))
            .or_else(|| retry_hint(&message));
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::Purpose;
    use serde_json::json;
    use std::time::{Duration, UNIX_EPOCH};

    const KEY: &str = "sk-test-SECRET-1234";

    fn request(shape: OutputShape) -> Request {
        Request {
            shape,
            ..Request::sample("gpt-4.1-mini", 512)
        }
    }

    fn endpoint() -> Endpoint<'static> {
        Endpoint {
            base_url: "https://api.openai.com/v1",
            api_key: Some(KEY),
            extra_headers: &[],
        }
    }

    fn body_json(http: &HttpRequest) -> Value {
        serde_json::from_slice(&http.body).unwrap()
    }

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_755_780_000)
    }

    fn ok(body: &str) -> Result<Completion, ProviderError> {
        parse(200, &[], body.as_bytes(), now())
    }

    fn fail(status: u16, headers: &[(&str, &str)], body: &str) -> ProviderError {
        parse(status, &h(headers), body.as_bytes(), now()).unwrap_err()
    }

    #[test]
    fn builds_a_plain_request_with_the_key_only_in_a_secret_header() {
        let http = build(&request(OutputShape::Text), &endpoint());
        assert_eq!(http.method, super::super::wire::Method::Post);
        assert_eq!(http.url, "https://api.openai.com/v1/chat/completions");
        let auth = http.header("authorization").unwrap();
        assert!(auth.is_secret());
        assert_eq!(auth.expose(), format!("Bearer {KEY}"));
        assert_eq!(
            http.header("content-type").unwrap().expose(),
            "application/json"
        );
        assert!(!http.url.contains(KEY));
        assert!(!String::from_utf8_lossy(&http.body).contains(KEY));
        assert!(!format!("{http:?}").contains(KEY));
        let body = body_json(&http);
        assert_eq!(
            body,
            json!({"model": "gpt-4.1-mini", "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": "Write about shoes."}],
                "max_completion_tokens": 512})
        );
        assert!(body.get("temperature").is_none());
    }

    #[test]
    fn reasoning_fields_are_sent_in_the_vendors_vocabulary_and_only_when_chosen() {
        use crate::providers::reasoning::{Effort, ReasoningField};
        let body = |reasoning, dialect| {
            let req = Request {
                reasoning,
                ..Request::sample("gpt-5-mini", 1424)
            };
            body_json(&build_with(&req, &endpoint(), dialect))
        };
        let openai = body(ReasoningField::Effort(Effort::Minimal), Dialect::OPENAI);
        assert_eq!(openai["reasoning_effort"], "minimal");
        assert_eq!(openai["max_completion_tokens"], 1424);
        let deepseek = body(ReasoningField::Thinking(false), Dialect::COMPATIBLE);
        assert_eq!(deepseek["thinking"], json!({"type": "disabled"}));
        assert_eq!(deepseek["max_tokens"], 1424);
        assert!(deepseek.get("reasoning_effort").is_none());
        let qwen = body(ReasoningField::EnableThinking(true), Dialect::COMPATIBLE);
        assert_eq!(qwen["enable_thinking"], true);
        for nothing in [
            ReasoningField::None,
            ReasoningField::Budget(0),
            ReasoningField::Level(Effort::Low),
            ReasoningField::Extended(1_024),
        ] {
            let sent = body(nothing, Dialect::OPENAI);
            for field in ["reasoning_effort", "thinking", "enable_thinking"] {
                assert!(sent.get(field).is_none(), "{nothing:?} sent {field}");
            }
        }
    }

    #[test]
    fn a_cut_after_reasoning_is_reasoning_exhausted_and_its_tokens_are_billed() {
        let starved = r#"{"choices":[{"message":{"content":""},"finish_reason":"length"}],
            "usage":{"prompt_tokens":90,"completion_tokens":400,
                     "completion_tokens_details":{"reasoning_tokens":400}}}"#;
        let err = ok(starved).unwrap_err();
        assert_eq!(err.kind, FailureKind::ReasoningExhausted);
        assert!(err.message.contains("reasoning used 400 of 400"), "{err}");
        assert_eq!(
            err.billed,
            Some(Usage {
                input_tokens: 90,
                output_tokens: 400,
                reasoning_tokens: 400
            })
        );
        // The answer itself ran long: a plain truncation, still billed.
        let long = r#"{"choices":[{"message":{"content":"{\"title\":\"Sho"},"finish_reason":"length"}],
            "usage":{"prompt_tokens":90,"completion_tokens":400,
                     "completion_tokens_details":{"reasoning_tokens":30}}}"#;
        let err = ok(long).unwrap_err();
        assert_eq!(err.kind, FailureKind::Truncated);
        assert_eq!(err.billed.unwrap().output_tokens, 400);
        // Empty and filtered answers are billed too.
        let empty = r#"{"choices":[{"message":{"content":""},"finish_reason":"stop"}],
            "usage":{"prompt_tokens":5,"completion_tokens":7}}"#;
        assert_eq!(ok(empty).unwrap_err().billed.unwrap().output_tokens, 7);
        // DeepSeek's older answers name no reasoning count: estimated from reasoning_content.
        let deepseek = r#"{"choices":[{"message":{"content":"Hi","reasoning_content":"abcdefghijkl"},
            "finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":9}}"#;
        let completion = ok(deepseek).unwrap();
        assert_eq!(
            (completion.output_tokens, completion.reasoning_tokens),
            (9, 3)
        );
        let reported = r#"{"choices":[{"message":{"content":"Hi"},"finish_reason":"stop"}],
            "usage":{"prompt_tokens":5,"completion_tokens":709,
                     "completion_tokens_details":{"reasoning_tokens":700}}}"#;
        assert_eq!(ok(reported).unwrap().reasoning_tokens, 700);
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
    fn builds_strict_json_schema_for_seo() {
        let http = build(&request(crate::tasks::seo::shape()), &endpoint());
        let format = &body_json(&http)["response_format"];
        assert_eq!(format["type"], "json_schema");
        assert_eq!(format["json_schema"]["name"], "seo");
        assert_eq!(format["json_schema"]["strict"], true);
        assert_eq!(
            format["json_schema"]["schema"]["required"],
            json!(["title", "meta_description", "slug"])
        );
    }

    #[test]
    fn loose_schemas_are_not_sent_as_strict_and_names_are_cleaned() {
        let shape = OutputShape::Json {
            name: "my schema!".to_string(),
            schema: json!({"type": "object", "properties": {"a": {"type": "string"}}}).into(),
        };
        let http = build(&request(shape), &endpoint());
        let schema = &body_json(&http)["response_format"]["json_schema"];
        assert_eq!(schema["strict"], false);
        assert_eq!(schema["name"], "my_schema_");
    }

    #[test]
    fn dialects_for_compatible_vendors() {
        let dialect = Dialect {
            json: JsonMode::JsonObject,
            max_tokens: MaxTokensField::MaxTokens,
        };
        let no_key = Endpoint {
            base_url: "https://api.deepseek.com/",
            api_key: None,
            extra_headers: &[("x-title", "gen".to_string())],
        };
        let http = build_with(&request(crate::tasks::seo::shape()), &no_key, dialect);
        assert_eq!(http.url, "https://api.deepseek.com/chat/completions");
        assert!(http.header("authorization").is_none());
        assert_eq!(http.header("x-title").unwrap().expose(), "gen");
        let body = body_json(&http);
        assert_eq!(body["response_format"], json!({"type": "json_object"}));
        assert_eq!(body["max_tokens"], 512);
        assert!(body.get("max_completion_tokens").is_none());
        let system = body["messages"][0]["content"].as_str().unwrap();
        assert!(system.starts_with("You are terse.\n\n") && system.contains("meta_description"));
    }

    fn product(schema: Value) -> Request {
        request(OutputShape::Json {
            name: "product copy".to_string(),
            schema: schema.into(),
        })
    }

    /// OpenAI's `ResponseFormatJsonSchema`: `{type: json_schema, json_schema: {name, schema,
    /// strict}}`, the name matching `^[a-zA-Z0-9_-]{1,64}$`.
    #[test]
    fn product_copy_is_sent_strict_with_every_limit_in_the_schema() {
        let schema = crate::providers::structured::product_schema();
        let body = body_json(&build(&product(schema.clone()), &endpoint()));
        assert_eq!(
            body["response_format"],
            json!({"type": "json_schema", "json_schema": {
                "name": "product_copy", "schema": schema, "strict": true}})
        );
        assert_eq!(
            body["messages"][0],
            json!({"role": "system", "content": "You are terse."})
        );
        assert_eq!(body["messages"][1]["content"], "Write about shoes.");
    }

    #[test]
    fn what_strict_mode_cannot_take_follows_the_system_message() {
        let mut schema = crate::providers::structured::product_schema();
        schema["properties"]["link"] = json!({"type": "string", "format": "uri"});
        schema["required"]
            .as_array_mut()
            .unwrap()
            .push(json!("link"));
        let body = body_json(&build(&product(schema), &endpoint()));
        let format = &body["response_format"]["json_schema"];
        assert_eq!(format["strict"], true);
        assert_eq!(
            format["schema"]["properties"]["link"],
            json!({"type": "string"})
        );
        assert_eq!(format["schema"]["properties"]["headline"]["maxLength"], 70);
        assert_eq!(
            body["messages"][0]["content"],
            "You are terse.\n\nThe JSON answer must also meet these rules:\n- `link`: in `uri` format"
        );
    }

    #[test]
    fn compatible_vendors_get_the_whole_schema_in_the_system_message() {
        let schema = crate::providers::structured::product_schema();
        for (dialect, format) in [
            (Dialect::COMPATIBLE, Some(json!({"type": "json_object"}))),
            (
                Dialect {
                    json: JsonMode::PromptOnly,
                    max_tokens: MaxTokensField::MaxTokens,
                },
                None,
            ),
        ] {
            let body = body_json(&build_with(&product(schema.clone()), &endpoint(), dialect));
            assert_eq!(body.get("response_format").cloned(), format);
            let system = body["messages"][0]["content"].as_str().unwrap();
            assert_eq!(
                system,
                format!(
                    "You are terse.\n\n{}",
                    crate::providers::structured::schema_instruction(&schema)
                )
            );
            assert!(system.contains(r#""maxLength":70"#));
        }
        // No system prompt of its own: the schema is the whole system message.
        let mut req = product(schema.clone());
        req.system.clear();
        let body = body_json(&build_with(&req, &endpoint(), Dialect::COMPATIBLE));
        assert_eq!(
            body["messages"][0]["content"],
            crate::providers::structured::schema_instruction(&schema)
        );
    }

    #[test]
    fn schema_names_fit_openais_rule() {
        let fits = |name: &str| {
            (1..=64).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        let long = "x".repeat(100);
        for (name, expected) in [
            ("seo_metadata", "seo_metadata"),
            ("product copy v2", "product_copy_v2"),
            ("café-menü", "caf_-men_"),
            ("", "answer"),
            (long.as_str(), &long[..64]),
        ] {
            let cleaned = schema_name(name);
            assert_eq!(cleaned, expected);
            assert!(fits(&cleaned), "{cleaned}");
        }
    }

    const SUCCESS: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1741570283,
        "model":"gpt-4.1-mini-2025-04-14","choices":[{"index":0,"message":{"role":"assistant",
        "content":"Hello there","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],
        "usage":{"prompt_tokens":1117,"completion_tokens":46,"total_tokens":1163,
        "prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}"#;

    #[test]
    fn parses_a_plain_answer_with_usage() {
        assert_eq!(
            ok(SUCCESS),
            Ok(Completion {
                exhausted_for: None,
                reasoning_tokens: 0,
                limit_rpm: None,
                citations: Vec::new(),
                images: Vec::new(),
                text: "Hello there".into(),
                input_tokens: 1117,
                output_tokens: 46
            })
        );
    }

    #[test]
    fn parses_a_json_mode_answer() {
        let body = r#"{"choices":[{"index":0,"message":{"role":"assistant","content":
            "{\"title\":\"Shoes\",\"meta_description\":\"Pick well.\",\"slug\":\"shoes\"}",
            "refusal":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":20}}"#;
        let completion = ok(body).unwrap();
        assert!(crate::tasks::seo::validate(&completion.text).is_ok());
        assert_eq!(
            (completion.input_tokens, completion.output_tokens),
            (10, 20)
        );
    }

    #[test]
    fn whitespace_and_keep_alive_prefixes_parse() {
        let prefixed = format!("\n\n\n\r\n   {SUCCESS}");
        assert_eq!(ok(&prefixed).unwrap().text, "Hello there");
        let commented = format!(": keep-alive\n\n{SUCCESS}");
        assert_eq!(ok(&commented).unwrap().text, "Hello there");
    }

    #[test]
    fn missing_usage_estimates_output() {
        let body = r#"{"choices":[{"message":{"content":"abcdefgh"},"finish_reason":"stop"}]}"#;
        let c = ok(body).unwrap();
        assert_eq!((c.input_tokens, c.output_tokens), (0, 2));
    }

    #[test]
    fn split_empty_malformed_and_truncated_bodies() {
        let cut_mid_string = &SUCCESS[..SUCCESS.find("Hello").unwrap() + 3];
        let err = ok(cut_mid_string).unwrap_err();
        assert_eq!(err.kind, FailureKind::Malformed);
        assert!(err.message.contains("cut short"), "{}", err.message);
        // Every proper prefix of the body fails as Malformed, never panics or succeeds.
        for end in (0..SUCCESS.len() - 1).step_by(7) {
            assert_eq!(
                ok(&SUCCESS[..end]).unwrap_err().kind,
                FailureKind::Malformed
            );
        }
        assert_eq!(ok("").unwrap_err().kind, FailureKind::Malformed);
        assert_eq!(ok("not json").unwrap_err().kind, FailureKind::Malformed);
        assert_eq!(
            ok(r#"{"choices":[]}"#).unwrap_err().kind,
            FailureKind::Malformed
        );
        assert_eq!(
            ok(r#"{"choices":[{"message":{"content":5}}]}"#)
                .unwrap_err()
                .kind,
            FailureKind::Malformed
        );
    }

    /// A Perplexity `sonar` answer as its compatibility docs and wrappers show it: sources twice,
    /// as bare `citations` and as `search_results` with titles.
    const PERPLEXITY: &str = r#"{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","model":"sonar",
        "created":1755780000,"object":"chat.completion",
        "usage":{"prompt_tokens":12,"completion_tokens":180,"total_tokens":192,
                 "search_context_size":"low"},
        "citations":["https://www.nature.com/articles/trail","https://runnersworld.example/shoes",
                     "https://www.nature.com/articles/trail"],
        "search_results":[
            {"title":"Trail running study","url":"https://www.nature.com/articles/trail",
             "date":"2025-03-01","snippet":"…"},
            {"title":"Shoe guide","url":"https://runnersworld.example/shoes","date":null},
            {"title":"Forum","url":"https://forum.example/t/42","snippet":"…"}],
        "choices":[{"index":0,"finish_reason":"stop",
            "message":{"role":"assistant","content":"Trail shoes grip better [1][2]."},
            "delta":{"role":"assistant","content":""}}]}"#;

    #[test]
    fn perplexity_sources_become_citations_once_each_in_order() {
        let completion = ok(PERPLEXITY).unwrap();
        assert_eq!(completion.text, "Trail shoes grip better [1][2].");
        assert_eq!(
            completion.citations,
            [
                "https://www.nature.com/articles/trail",
                "https://runnersworld.example/shoes",
                "https://forum.example/t/42",
            ]
        );
        assert_eq!(
            (completion.input_tokens, completion.output_tokens),
            (12, 180)
        );
        assert!(completion.images.is_empty());

        let only_results = r#"{"choices":[{"message":{"content":"x"},"finish_reason":"stop"}],
            "search_results":[{"url":"https://a.example/1"},{"title":"no url"},
                              {"url":" https://a.example/1 "},{"url":"https://b.example/2"}]}"#;
        assert_eq!(
            ok(only_results).unwrap().citations,
            ["https://a.example/1", "https://b.example/2"]
        );
        // Odd shapes are skipped, never fatal.
        let odd = r#"{"choices":[{"message":{"content":"x"},"finish_reason":"stop"}],
            "citations":[1,null,"",{"url":"https://c.example"}],"search_results":"none"}"#;
        assert_eq!(ok(odd).unwrap().citations, Vec::<String>::new());
        assert!(ok(SUCCESS).unwrap().citations.is_empty());
    }

    #[test]
    fn empty_content_is_empty() {
        for body in [
            r#"{"choices":[{"message":{"content":""},"finish_reason":"stop"}]}"#,
            r#"{"choices":[{"message":{"content":null},"finish_reason":"stop"}]}"#,
            r#"{"choices":[{"message":{"content":"  \n"},"finish_reason":"stop"}]}"#,
            r#"{"choices":[{"message":{"content":"","reasoning_content":"hmm"},"finish_reason":"stop"}]}"#,
        ] {
            assert_eq!(ok(body).unwrap_err().kind, FailureKind::Empty, "{body}");
        }
    }

    #[test]
    fn refusals_filters_and_length_cuts() {
        let refusal = r#"{"choices":[{"message":{"content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}]}"#;
        let err = ok(refusal).unwrap_err();
        assert_eq!(err.kind, FailureKind::ContentBlocked);
        assert!(err.message.contains("I can't help"));
        let filtered =
            r#"{"choices":[{"message":{"content":"partial"},"finish_reason":"content_filter"}]}"#;
        assert_eq!(ok(filtered).unwrap_err().kind, FailureKind::ContentBlocked);
        let cut = r#"{"choices":[{"message":{"content":"{\"title\":\"Sho"},"finish_reason":"length"}],"usage":{"prompt_tokens":1,"completion_tokens":512}}"#;
        assert_eq!(ok(cut).unwrap_err().kind, FailureKind::Truncated);
    }

    #[test]
    fn rate_limit_429_uses_headers_in_order() {
        let body = r#"{"error":{"message":"Rate limit reached for gpt-4.1-mini on tokens per min. Please try again in 1.2s.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}"#;
        let err = fail(429, &[("retry-after", "3")], body);
        assert_eq!(err.kind, FailureKind::RateLimited);
        assert_eq!(err.retry_after, Some(Duration::from_secs(3)));
        assert!(
            err.message.contains("rate_limit_exceeded"),
            "{}",
            err.message
        );
        let err = fail(
            429,
            &[("retry-after-ms", "250"), ("retry-after", "3")],
            body,
        );
        assert_eq!(err.retry_after, Some(Duration::from_millis(250)));
        let err = fail(
            429,
            &[
                ("x-ratelimit-reset-tokens", "6m0s"),
                ("x-ratelimit-reset-requests", "1s"),
            ],
            body,
        );
        assert_eq!(err.retry_after, Some(Duration::from_secs(360)));
        let err = fail(429, &[], body);
        assert_eq!(err.retry_after, Some(Duration::from_millis(1200)));
        let requests =
            r#"{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}"#;
        let err = fail(429, &[("x-ratelimit-reset-requests", "12ms")], requests);
        assert_eq!(err.retry_after, Some(Duration::from_millis(12)));
        let untyped = r#"{"error":{"message":"slow down","type":null,"code":null}}"#;
        let err = fail(
            429,
            &[
                ("x-ratelimit-remaining-tokens", "0"),
                ("x-ratelimit-reset-tokens", "1.5s"),
            ],
            untyped,
        );
        assert_eq!(err.retry_after, Some(Duration::from_millis(1500)));
        let date = fail(
            429,
            &[("retry-after", "Thu, 21 Aug 2025 12:40:10 GMT")],
            untyped,
        );
        assert_eq!(date.retry_after, Some(Duration::from_secs(10)));
    }

    #[test]
    fn quota_429_is_quota_and_never_waits() {
        let old = r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        let err = fail(429, &[("retry-after", "20")], old);
        assert_eq!(err.kind, FailureKind::Quota);
        assert_eq!(err.retry_after, None);
        for code in QUOTA_CODES {
            let body = format!(
                r#"{{"error":{{"message":"no money","type":"invalid_request_error","param":null,"code":"{code}"}}}}"#
            );
            assert_eq!(fail(429, &[], &body).kind, FailureKind::Quota, "{code}");
        }
        let null_code =
            r#"{"error":{"message":"You exceeded your current quota.","type":null,"code":null}}"#;
        assert_eq!(fail(429, &[], null_code).kind, FailureKind::Quota);
        // DeepSeek and OpenRouter: 402.
        let deepseek = r#"{"error":{"message":"Insufficient Balance","type":"unknown_error","param":null,"code":"invalid_request_error"}}"#;
        let err = fail(402, &[], deepseek);
        assert_eq!(err.kind, FailureKind::Quota);
        assert!(err.message.contains("Insufficient Balance"));
    }

    #[test]
    fn status_classes() {
        let e = |message: &str, code: &str| {
            format!(
                r#"{{"error":{{"message":"{message}","type":"invalid_request_error","param":null,"code":"{code}"}}}}"#
            )
        };
        let cases = [
            (
                401,
                e(
                    "Incorrect API key provided: sk-****1234.",
                    "invalid_api_key",
                ),
                FailureKind::Auth,
            ),
            (
                403,
                e(
                    "Country, region, or territory not supported",
                    "unsupported_country_region_territory",
                ),
                FailureKind::Auth,
            ),
            (
                404,
                e(
                    "The model `gpt-9` does not exist or you do not have access to it.",
                    "model_not_found",
                ),
                FailureKind::ModelNotFound,
            ),
            (400, e("Model Not Exist", ""), FailureKind::ModelNotFound),
            (
                400,
                e("Unsupported value: 'temperature'", "unsupported_value"),
                FailureKind::BadRequest,
            ),
            (422, e("Invalid parameters", ""), FailureKind::BadRequest),
            (408, e("timeout", ""), FailureKind::Server),
            (409, e("conflict", ""), FailureKind::Server),
            (500, e("The server had an error", ""), FailureKind::Server),
            (
                502,
                "<html>Bad Gateway</html>".to_string(),
                FailureKind::Server,
            ),
            (
                503,
                e("The engine is currently overloaded", ""),
                FailureKind::Overloaded,
            ),
        ];
        for (status, body, kind) in cases {
            let err = fail(status, &[], &body);
            assert_eq!(err.kind, kind, "{status} {body}");
            assert!(
                err.message.starts_with(&format!("HTTP {status}")),
                "{}",
                err.message
            );
        }
        let err = fail(
            404,
            &[],
            &e("The model `gpt-9` does not exist", "model_not_found"),
        );
        assert!(err.message.contains("gpt-9"), "{}", err.message);
        let err = fail(
            400,
            &[],
            &e("Unsupported value: 'temperature'", "unsupported_value"),
        );
        assert!(err.message.contains("Unsupported value"), "{}", err.message);
        let html = fail(404, &[], "<html>Not Found</html>");
        assert!(html.message.contains("base_url"), "{}", html.message);
        let overloaded = fail(503, &[("retry-after", "2")], "{}");
        assert_eq!(overloaded.retry_after, Some(Duration::from_secs(2)));
    }

    #[test]
    fn should_retry_header_overrides_the_status() {
        let err = fail(
            500,
            &[("x-should-retry", "false")],
            r#"{"error":{"message":"boom"}}"#,
        );
        assert_eq!(err.kind, FailureKind::BadRequest);
        assert_eq!(err.retry_after, None);
        let err = fail(
            400,
            &[("x-should-retry", "true")],
            r#"{"error":{"message":"try again"}}"#,
        );
        assert_eq!(err.kind, FailureKind::Server);
    }

    #[test]
    fn error_bodies_in_other_shapes_and_200_with_error() {
        assert_eq!(
            fail(400, &[], r#"{"error":"bad thing"}"#).message,
            "HTTP 400: bad thing"
        );
        assert_eq!(
            fail(400, &[], r#"{"detail":"nope"}"#).message,
            "HTTP 400: nope"
        );
        assert_eq!(fail(500, &[], "").message, "HTTP 500: (empty body)");
        let err = ok(r#"{"error":{"message":"Rate limited","code":429}}"#).unwrap_err();
        assert_eq!(err.kind, FailureKind::RateLimited);
        let err = ok(r#"{"error":{"message":"upstream died"}}"#).unwrap_err();
        assert_eq!(err.kind, FailureKind::Server);
    }

    #[test]
    fn the_model_list_is_a_get_with_the_bearer_key_and_reads_data_ids() {
        let http = list_models_request(&endpoint());
        assert_eq!(http.method, crate::providers::wire::Method::Get);
        assert_eq!(http.url, "https://api.openai.com/v1/models");
        assert!(http.body.is_empty());
        let auth = http.header("authorization").unwrap();
        assert!(auth.is_secret() && auth.expose() == format!("Bearer {KEY}"));
        assert!(!format!("{http:?}").contains(KEY));

        let body = r#"{"object":"list","data":[
            {"id":"gpt-5-mini","object":"model","created":1,"owned_by":"system"},
            {"id":"gpt-4o-mini","object":"model","created":2,"owned_by":"system"}]}"#;
        let page = parse_model_list(200, &[], body.as_bytes(), now()).unwrap();
        assert_eq!(page.ids, ["gpt-5-mini", "gpt-4o-mini"]);
        assert_eq!(page.next_page, None);
        // Together answers with a bare array.
        let page = parse_model_list(200, &[], br#"[{"id":"meta-llama/x"}]"#, now()).unwrap();
        assert_eq!(page.ids, ["meta-llama/x"]);

        let refused = r#"{"error":{"message":"Incorrect API key provided: sk-te***1234.","type":"invalid_request_error","code":"invalid_api_key"}}"#;
        let err = parse_model_list(401, &[], refused.as_bytes(), now()).unwrap_err();
        assert_eq!(err.kind, FailureKind::Auth);
        assert!(err.message.contains("HTTP 401 (invalid_api_key)"), "{err}");
        let err = parse_model_list(200, &[], br#"{"object":"list"}"#, now()).unwrap_err();
        assert_eq!(err.kind, FailureKind::Malformed);
        let err = parse_model_list(200, &[], br#"{"object":"list","data":["#, now()).unwrap_err();
        assert_eq!(err.kind, FailureKind::Malformed);
    }
}
