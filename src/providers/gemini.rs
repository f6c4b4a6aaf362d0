//! The Gemini `generateContent` adapter: [`build`] turns a [`Request`] into
//! `POST {base}/models/{model}:generateContent` with the key in `x-goog-api-key` (never `?key=`),
//! [`parse`] turns the answer into a [`Completion`] or a classified [`ProviderError`].
//!
//! Gemini reports errors as google.rpc Status bodies; an invalid key is a 400 with
//! `ErrorInfo.reason = API_KEY_INVALID`, and a daily quota (a `QuotaFailure` whose `quotaId`
//! contains `PerDay`) is classified `Quota` so the key leaves the pool instead of sleeping.

use std::time::SystemTime;

use serde_json::Value;

use super::base64;
use super::classify::{self, Answer, Member, describe, text_of};
use super::dialect::JsonMode;
use super::protocol::Wire;
use super::ratelimit::{gemini_quota_is_daily, gemini_retry_delay, retry_after, retry_hint};
use super::reasoning::ReasoningField;
use super::structured;
use super::wire::{Endpoint, HeaderValue, Headers, HttpRequest, get, json_post, percent_encode};
use super::{
    Completion, Image, ModelPage, OutputShape, ProviderError, Purpose, Request, Usage,
    estimate_tokens, unique_urls,
};
use crate::failure::FailureKind;

/// `POST {base}/models/{model}:generateContent`. The system prompt is `systemInstruction`; JSON
/// answers set `responseMimeType` and `responseJsonSchema` (real JSON Schema, less what Gemini
/// ignores: see [`structured`]). No temperature.
///
/// A [`Purpose::Image`] request asks for `responseModalities: ["TEXT", "IMAGE"]` (Gemini's
/// image generation) and never for JSON: image models answer pictures mixed with prose. A
/// request with `web_search` carries `tools: [{"google_search": {}}]` (grounding with Google
/// Search), whose sources come back in `groundingMetadata`.
pub fn build(request: &Request, endpoint: &Endpoint) -> HttpRequest {
    let url = endpoint.url(&format!(
        "/models/{}:generateContent",
        percent_encode(model_id(&request.model))
    ));
    with_body(request, |body| json_post(url, auth_headers(endpoint), body))
}

/// A model name without its `models/` prefix.
pub(crate) fn model_id(model: &str) -> &str {
    model.strip_prefix("models/").unwrap_or(model)
}

/// `x-goog-api-key` (a secret) and the endpoint's extra headers.
pub(crate) fn auth_headers(endpoint: &Endpoint) -> Vec<(&'static str, HeaderValue)> {
    let mut headers = Vec::new();
    if let Some(key) = endpoint.api_key {
        headers.push(("x-goog-api-key", HeaderValue::Secret(key.to_string())));
    }
    headers.extend(endpoint.extra());
    headers
}

/// The GenerateContentRequest [`build`] sends; a batch input line or inline entry carries the
/// same one (the model is named by the batch, not the request).
pub(crate) fn request_body(request: &Request) -> Value {
    with_body(request, |body| {
        serde_json::to_value(body).unwrap_or(Value::Null)
    })
}

/// Builds the body (borrowing the request and its schema) and hands it to `then`: a live request
/// serializes it straight to bytes, without a `Value` tree of it in between.
fn with_body<T>(request: &Request, then: impl FnOnce(&GenerateBody) -> T) -> T {
    let mut config = GenerationConfig {
        max_output_tokens: request.max_output_tokens,
        response_modalities: None,
        response_mime_type: None,
        response_json_schema: None,
        thinking_config: None,
    };
    let plan = match &request.shape {
        _ if request.purpose == Purpose::Image => {
            config.response_modalities = Some(["TEXT", "IMAGE"]);
            None
        }
        OutputShape::Json { schema, .. } => {
            // JSON mode stays on when the schema cannot be sent: the schema is then in the prompt.
            let plan = structured::plan_shared(Wire::Gemini, JsonMode::JsonSchema, schema);
            config.response_mime_type = Some("application/json");
            Some(plan)
        }
        OutputShape::Text => None,
    };
    let system = structured::system_text(
        &request.system,
        plan.as_ref().and_then(|plan| plan.prompt_note.as_deref()),
    );
    config.response_json_schema = plan.as_ref().and_then(|plan| plan.sent.as_ref());
    config.thinking_config = match request.reasoning {
        ReasoningField::Budget(budget) => Some(ThinkingConfig {
            thinking_budget: Some(budget),
            thinking_level: None,
        }),
        ReasoningField::Level(level) => Some(ThinkingConfig {
            thinking_budget: None,
            thinking_level: Some(level.gemini_name()),
        }),
        // Other wires' fields; the model table never gives them to this wire.
        ReasoningField::None
        | ReasoningField::Effort(_)
        | ReasoningField::Extended(_)
        | ReasoningField::Thinking(_)
        | ReasoningField::EnableThinking(_) => None,
    };
    then(&GenerateBody {
        system_instruction: (!system.is_empty()).then_some(Instruction {
            parts: [SystemPart { text: &system }],
        }),
        contents: [Content {
            role: "user",
            parts: [TextPart {
                text: &request.prompt,
            }],
        }],
        generation_config: config,
        tools: request.web_search.then_some([GoogleSearchTool {
            google_search: Empty {},
        }]),
    })
}

/// A GenerateContentRequest body, in the order the fields are written.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct GenerateBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    system_instruction: Option<Instruction<'a>>,
    contents: [Content<'a>; 1],
    generation_config: GenerationConfig<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<[GoogleSearchTool; 1]>,
}

#[derive(serde::Serialize)]
struct Instruction<'a> {
    parts: [SystemPart<'a>; 1],
}

/// The system text, escaped once for the run.
#[derive(serde::Serialize)]
struct SystemPart<'a> {
    text: &'a structured::SystemText,
}

#[derive(serde::Serialize)]
struct Content<'a> {
    role: &'static str,
    parts: [TextPart<'a>; 1],
}

#[derive(serde::Serialize)]
struct TextPart<'a> {
    text: &'a str,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct GenerationConfig<'a> {
    max_output_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_modalities: Option<[&'static str; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_mime_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_json_schema: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking_config: Option<ThinkingConfig>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ThinkingConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking_budget: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking_level: Option<&'static str>,
}

#[derive(serde::Serialize)]
struct GoogleSearchTool {
    google_search: Empty,
}

/// Serializes as `{}`.
#[derive(serde::Serialize)]
struct Empty {}

/// `finishReason`s that mean the answer was withheld for its content. The image ones come from
/// image models: `IMAGE_OTHER` ("stopped for other reasons") is counted here too, as Google
/// gives no hint that asking again helps.
const BLOCKING_FINISH: [&str; 9] = [
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
    "IMAGE_OTHER",
];

/// What Gemini counts per generated picture when it reports no usage (1290 output tokens for a
/// 1024×1024 image, the image model's documented price unit).
const TOKENS_PER_IMAGE: u64 = 1_290;

/// Reads a GenerateContentResponse: the first candidate's non-thought text parts, concatenated,
/// and its non-thought `inlineData` parts decoded into [`Completion::images`] (strict base64: a
/// bad one is `Malformed`, since a half-decoded picture is a broken file). An answer with
/// neither text nor pictures is `Empty`; a picture alone is a full answer.
///
/// A `promptFeedback.blockReason` (a blocked prompt is still HTTP 200) or a blocking
/// `finishReason` is `ContentBlocked`; `MAX_TOKENS` is `Truncated`; `NO_IMAGE` (the image model
/// produced no picture, without naming a policy) is `Empty`, which the engine retries. Output
/// tokens are `candidatesTokenCount + thoughtsTokenCount`.
///
/// Grounded answers (`tools: [{google_search: {}}]`) list their sources in
/// `groundingMetadata.groundingChunks[].web.uri`; those become [`Completion::citations`], each
/// once, in order.
///
/// `parse` does not see the request: an answer without pictures to an image request parses
/// as text, and the caller decides whether that is a failure.
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
    if let Some(code) = classify::embedded_error_status(&value, "candidates") {
        return Err(classify_error(code, headers, body, now));
    }
    if !value.is_object() {
        return Err(ProviderError::new(
            FailureKind::Malformed,
            "the answer is not a JSON object",
        ));
    }
    let billed = usage(&value);
    if let Some(reason) =
        classify::dig(&value, &["promptFeedback", "blockReason"]).and_then(Answer::as_str)
    {
        return Err(ProviderError::new(
            FailureKind::ContentBlocked,
            format!("the prompt was blocked (blockReason: {reason})"),
        )
        .with_billed(billed));
    }
    let Some(candidate) = classify::dig(&value, &["candidates", "0"]) else {
        return Err(
            ProviderError::new(FailureKind::Empty, "the answer has no candidates")
                .with_billed(billed),
        );
    };
    let finish = candidate.key("finishReason").and_then(Answer::as_str);
    match finish {
        Some(reason) if BLOCKING_FINISH.contains(&reason) => {
            return Err(ProviderError::new(
                FailureKind::ContentBlocked,
                format!("the answer was blocked (finishReason: {reason})"),
            )
            .with_billed(billed));
        }
        Some("NO_IMAGE") => {
            return Err(ProviderError::new(
                FailureKind::Empty,
                "the image model answered without a picture (finishReason: NO_IMAGE)",
            )
            .with_billed(billed));
        }
        _ => {}
    }
    let parts: Vec<&Answer> = classify::dig(candidate, &["content", "parts"])
        .and_then(Answer::as_array)
        .into_iter()
        .flatten()
        .filter(|part| part.key("thought").and_then(Answer::as_bool) != Some(true))
        .collect();
    let text: String = parts
        .iter()
        .filter_map(|part| part.key("text").and_then(Answer::as_str))
        .collect();
    if finish == Some("MAX_TOKENS") {
        return Err(classify::cut_answer(
            billed,
            text.trim().is_empty(),
            "finishReason: MAX_TOKENS",
        ));
    }
    let images = images(&parts)?;
    if text.trim().is_empty() && images.is_empty() {
        return Err(
            ProviderError::new(FailureKind::Empty, "the answer has no text").with_billed(billed),
        );
    }
    let usage = billed.unwrap_or(Usage {
        input_tokens: classify::dig(&value, &["usageMetadata", "promptTokenCount"])
            .and_then(Answer::as_u64)
            .unwrap_or(0),
        output_tokens: estimate_tokens(&text) + TOKENS_PER_IMAGE * images.len() as u64,
        reasoning_tokens: 0,
    });
    Ok(Completion {
        exhausted_for: None,
        limit_rpm: None,
        citations: grounding_sources(candidate),
        images,
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        reasoning_tokens: usage.reasoning_tokens,
        text,
    })
}

/// The tokens an answer was billed: `promptTokenCount` in, and out `candidatesTokenCount` plus
/// `thoughtsTokenCount` (thinking is counted apart from the answer and billed as output). `None`
/// when `usageMetadata` reports no output count.
fn usage(answer: &Answer) -> Option<Usage> {
    let usage = answer.key("usageMetadata")?;
    let count = |field: &str| usage.key(field).and_then(Answer::as_u64);
    let (candidates, thoughts) = (count("candidatesTokenCount"), count("thoughtsTokenCount"));
    if candidates.is_none() && thoughts.is_none() {
        return None;
    }
    let thoughts = thoughts.unwrap_or(0);
    Some(Usage {
        input_tokens: count("promptTokenCount").unwrap_or(0),
        output_tokens: candidates.unwrap_or(0) + thoughts,
        reasoning_tokens: thoughts,
    })
}

/// [`parse`] for an answer that arrived without HTTP headers (a batch result line or inline
/// response). The clock only dates header values, so with no headers any instant gives the same
/// result.
pub(crate) fn parse_body(status: u16, body: &[u8]) -> Result<Completion, ProviderError> {
    parse(status, &[], body, SystemTime::UNIX_EPOCH)
}

/// The pictures among an answer's parts: `inlineData {mimeType, data}`, data in base64.
fn images(parts: &[&Answer]) -> Result<Vec<Image>, ProviderError> {
    let malformed = |index: usize, why: String| {
        ProviderError::new(
            FailureKind::Malformed,
            format!("picture in answer part {index}: {why}"),
        )
    };
    let mut images = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        let Some(inline) = part.key("inlineData") else {
            continue;
        };
        let mime = inline
            .key("mimeType")
            .and_then(Answer::as_str)
            .filter(|m| !m.trim().is_empty())
            .ok_or_else(|| malformed(index, "`inlineData.mimeType` is missing".into()))?;
        let data = inline
            .key("data")
            .and_then(Answer::as_str)
            .ok_or_else(|| malformed(index, "`inlineData.data` is missing".into()))?;
        let data = base64::decode(data)
            .map_err(|e| malformed(index, format!("`inlineData.data` is not base64: {e}")))?;
        if data.is_empty() {
            return Err(malformed(index, "`inlineData.data` is empty".into()));
        }
        images.push(Image {
            mime: mime.trim().to_string(),
            data,
        });
    }
    Ok(images)
}

/// `groundingMetadata.groundingChunks[].web.uri`: the pages a grounded answer drew on.
fn grounding_sources(candidate: &Answer) -> Vec<String> {
    let chunks = classify::dig(candidate, &["groundingMetadata", "groundingChunks"])
        .and_then(Answer::as_array)
        .unwrap_or(&[]);
    unique_urls(
        chunks
            .iter()
            .filter_map(|chunk| classify::dig(chunk, &["web", "uri"]).and_then(Answer::as_str)),
    )
}

/// The most models one list page may hold (the API's maximum).
const MODEL_PAGE_SIZE: u32 = 1000;

/// `GET {base}/models?pageSize=1000`, with `pageToken` for a later page. The key goes in
/// `x-goog-api-key`, never in the URL.
pub fn list_models_request(endpoint: &Endpoint, page_token: Option<&str>) -> HttpRequest {
    let mut url = endpoint.url(&format!("/models?pageSize={MODEL_PAGE_SIZE}"));
    if let Some(token) = page_token {
        url.push_str(&format!("&pageToken={}", percent_encode(token)));
    }
    get(url, auth_headers(endpoint))
}

/// Reads a model list page: each `models[].name` without its `models/` prefix, keeping only the
/// models that serve `generateContent` (embedding and image models cannot answer a row) when
/// `supportedGenerationMethods` says; `nextPageToken` asks for the next page.
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
    if value.get("error").is_some() && value.get("models").is_none() {
        return Err(classify_error(500, headers, body, now));
    }
    if !value.is_object() {
        return Err(ProviderError::new(
            FailureKind::Malformed,
            "the model list is not a JSON object",
        ));
    }
    // An account with no models gets `{}`, without the array.
    let items = value
        .get("models")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let generates = |model: &Value| {
        model
            .get("supportedGenerationMethods")
            .and_then(Value::as_array)
            .is_none_or(|methods| methods.iter().any(|m| m == "generateContent"))
    };
    let ids = items
        .iter()
        .filter(|m| generates(m))
        .filter_map(|m| m.get("name")?.as_str())
        .map(|name| name.strip_prefix("models/").unwrap_or(name).to_string())
        .collect();
    let next_page = value
        .get("nextPageToken")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    Ok(ModelPage { ids, next_page })
}

const ERROR_INFO: &str = "type.googleapis.com/google.rpc.ErrorInfo";

/// The `reason` of an `ErrorInfo` detail, such as `API_KEY_INVALID`.
fn error_reason(body: &Value) -> Option<&str> {
    body.pointer("/error/details")?
        .as_array()?
        .iter()
        .filter(|d| d.get("@type").and_then(Value::as_str) == Some(ERROR_INFO))
        .find_map(|d| d.get("reason")?.as_str())
}

pub(crate) fn classify_error(
    status: u16,
    headers: &Headers,
    body: &[u8],
    now: SystemTime,
) -> ProviderError {
    let value = classify::decode(body).unwrap_or(Value::Null);
    let error = value.get("error");
    let rpc_status = text_of(error.and_then(|e| e.get("status")));
    let message = classify::message_of(error.and_then(|e| e.get("message")))
        .unwrap_or_else(|| classify::body_message(body));
    let reason = error_reason(&value);

    let mut kind = classify::status_kind(status);
    let daily = status == 429 && gemini_quota_is_daily(&value);
    if reason == Some("API_KEY_INVALID") || (status == 400 && message.contains("API key not valid"))
    {
        kind = FailureKind::Auth;
    } else if status == 400 && rpc_status.as_deref() == Some("FAILED_PRECONDITION") {
        // Free tier unavailable in the key's region, or billing required: every request with
        // this key fails the same way, so the key leaves the pool.
        kind = FailureKind::Quota;
    } else if daily {
        kind = FailureKind::Quota;
    } else if classify::says_model_missing(status, &[rpc_status.as_deref()], &message) {
        // A gateway speaking the Gemini format (LiteLLM's `generateContent` route) may say 400
        // for an unknown model where Gemini says 404.
        kind = FailureKind::ModelNotFound;
    }
    kind = classify::apply_should_retry(kind, headers);

    let label = reason.or(rpc_status.as_deref());
    let mut text = describe(status, label, &message);
    if daily {
        text.push_str(" (a daily quota: this key is done until it resets)");
    }
    let mut err = ProviderError::new(kind, text);
    if status == 429 {
        err.limit_rpm = crate::providers::ratelimit::gemini_minute_request_quota(&value);
    }
    if classify::wants_delay(kind) {
        err.retry_after = gemini_retry_delay(&value)
            .or_else(|| retry_after(headers, now))
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

    const KEY: &str = "AIzaSy-SECRET-gemini-5555";

    fn request(shape: OutputShape) -> Request {
        Request {
            shape,
            ..Request::sample("gemini-2.5-flash", 1024)
        }
    }

    fn endpoint() -> Endpoint<'static> {
        Endpoint {
            base_url: "https://generativelanguage.googleapis.com/v1beta",
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

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_755_780_000)
    }

    fn ok(body: &str) -> Result<Completion, ProviderError> {
        parse(200, &[], body.as_bytes(), now())
    }

    fn fail(status: u16, headers: &[(&str, &str)], body: &str) -> ProviderError {
        parse(status, &h(headers), body.as_bytes(), now()).unwrap_err()
    }

    fn status_body(code: u16, status: &str, message: &str, details: Value) -> String {
        json!({"error": {"code": code, "message": message, "status": status, "details": details}})
            .to_string()
    }

    #[test]
    fn builds_generate_content_with_the_key_in_a_header_only() {
        let http = build(&request(OutputShape::Text), &endpoint());
        assert_eq!(
            http.url,
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
        );
        let key = http.header("x-goog-api-key").unwrap();
        assert!(key.is_secret());
        assert_eq!(key.expose(), KEY);
        assert_eq!(
            http.header("content-type").unwrap().expose(),
            "application/json"
        );
        assert!(!http.url.contains(KEY) && !http.url.contains("key="));
        assert!(!String::from_utf8_lossy(&http.body).contains(KEY));
        assert!(!format!("{http:?}").contains(KEY));
        let body: Value = serde_json::from_slice(&http.body).unwrap();
        assert_eq!(
            body,
            json!({"systemInstruction": {"parts": [{"text": "You are terse."}]},
                   "contents": [{"role": "user", "parts": [{"text": "Write about shoes."}]}],
                   "generationConfig": {"maxOutputTokens": 1024}})
        );
    }

    #[test]
    fn thinking_goes_in_generation_config_as_a_budget_or_a_level() {
        use crate::providers::reasoning::{Effort, ReasoningField};
        let config = |reasoning| {
            let req = Request {
                reasoning,
                ..Request::sample("gemini-2.5-flash", 400)
            };
            let body: Value = serde_json::from_slice(&build(&req, &endpoint()).body).unwrap();
            body["generationConfig"].clone()
        };
        assert_eq!(
            config(ReasoningField::Budget(0)),
            json!({"maxOutputTokens": 400, "thinkingConfig": {"thinkingBudget": 0}})
        );
        assert_eq!(
            config(ReasoningField::Level(Effort::Low))["thinkingConfig"],
            json!({"thinkingLevel": "LOW"})
        );
        for other in [
            ReasoningField::None,
            ReasoningField::Effort(Effort::Low),
            ReasoningField::Thinking(true),
            ReasoningField::Extended(2_048),
        ] {
            assert!(config(other).get("thinkingConfig").is_none(), "{other:?}");
        }
    }

    #[test]
    fn max_tokens_after_thoughts_is_reasoning_exhausted_and_billed() {
        let starved = r#"{"candidates":[{"content":{"role":"model"},"finishReason":"MAX_TOKENS","index":0}],
            "usageMetadata":{"promptTokenCount":80,"thoughtsTokenCount":396,"totalTokenCount":476}}"#;
        let err = ok(starved).unwrap_err();
        assert_eq!(err.kind, FailureKind::ReasoningExhausted);
        assert!(err.message.contains("no text was left"), "{err}");
        assert_eq!(
            err.billed,
            Some(Usage {
                input_tokens: 80,
                output_tokens: 396,
                reasoning_tokens: 396
            })
        );
        let long = r#"{"candidates":[{"content":{"parts":[{"text":"{\"title\":"}]},"finishReason":"MAX_TOKENS"}],
            "usageMetadata":{"promptTokenCount":80,"candidatesTokenCount":400}}"#;
        let err = ok(long).unwrap_err();
        assert_eq!(err.kind, FailureKind::Truncated);
        assert_eq!(err.billed.unwrap().output_tokens, 400);
    }

    #[test]
    fn builds_json_schema_output_and_encodes_odd_model_ids() {
        let mut req = request(crate::tasks::seo::shape());
        req.model = "models/gemini-2.5-flash".into();
        let http = build(&req, &endpoint());
        assert!(
            http.url
                .ends_with("/models/gemini-2.5-flash:generateContent")
        );
        let body: Value = serde_json::from_slice(&http.body).unwrap();
        let config = &body["generationConfig"];
        assert_eq!(config["responseMimeType"], "application/json");
        assert_eq!(config["responseJsonSchema"]["type"], "object");
        assert!(config.get("responseSchema").is_none());
        assert!(config.get("temperature").is_none());
        req.model = "../x?key=1".into();
        let http = build(&req, &endpoint());
        assert!(
            http.url
                .ends_with("/models/..%2Fx%3Fkey%3D1:generateContent"),
            "{}",
            http.url
        );
    }

    fn body_of(schema: Value) -> Value {
        let req = request(OutputShape::Json {
            name: "product_copy".to_string(),
            schema: schema.into(),
        });
        serde_json::from_slice(&build(&req, &endpoint()).body).unwrap()
    }

    /// Gemini's `generationConfig`: `responseMimeType: application/json` with
    /// `responseJsonSchema`, which supports `minItems` / `maxItems` but not `maxLength`.
    #[test]
    fn product_copy_keeps_item_counts_and_moves_lengths_to_the_system_instruction() {
        let schema = crate::providers::structured::product_schema();
        let body = body_of(schema.clone());
        let config = &body["generationConfig"];
        assert_eq!(config["responseMimeType"], "application/json");
        let sent = &config["responseJsonSchema"];
        assert_eq!(
            sent["properties"]["headline"],
            json!({"type": "string", "description": "the hook"})
        );
        assert_eq!(
            sent["properties"]["bullets"],
            schema["properties"]["bullets"]
        );
        assert_eq!(
            sent["properties"]["price_band"],
            schema["properties"]["price_band"]
        );
        assert_eq!(
            sent["properties"]["details"]["properties"]["care"],
            json!({"type": "string"})
        );
        assert!(config.get("responseSchema").is_none());
        assert_eq!(
            body["systemInstruction"],
            json!({"parts": [{"text": "You are terse.\n\nThe JSON answer must also meet these rules:\n\
                - `headline`: at most 70 characters\n\
                - `details.care`: at most 200 characters"}]})
        );
    }

    #[test]
    fn a_schema_gemini_cannot_take_goes_in_the_system_instruction_in_json_mode() {
        let schema = json!({
            "type": "object",
            "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#"}}},
            "required": ["name", "children"]
        });
        let mut req = request(OutputShape::Json {
            name: "tree".to_string(),
            schema: schema.clone().into(),
        });
        req.system.clear();
        let body: Value = serde_json::from_slice(&build(&req, &endpoint()).body).unwrap();
        let config = &body["generationConfig"];
        assert_eq!(config["responseMimeType"], "application/json");
        assert!(config.get("responseJsonSchema").is_none());
        assert_eq!(
            body["systemInstruction"]["parts"][0]["text"],
            crate::providers::structured::schema_instruction(&schema)
        );
    }

    #[test]
    fn image_requests_ask_for_pictures_and_never_json() {
        let mut req = request(crate::tasks::seo::shape());
        req.purpose = Purpose::Image;
        req.model = "gemini-2.5-flash-image".into();
        let body: Value = serde_json::from_slice(&build(&req, &endpoint()).body).unwrap();
        assert_eq!(
            body["generationConfig"],
            json!({"maxOutputTokens": 1024, "responseModalities": ["TEXT", "IMAGE"]})
        );
        assert!(body.get("tools").is_none());
        // Other purposes never ask for pictures.
        let body: Value =
            serde_json::from_slice(&build(&request(OutputShape::Text), &endpoint()).body).unwrap();
        assert!(body["generationConfig"].get("responseModalities").is_none());
    }

    #[test]
    fn web_search_adds_the_google_search_tool() {
        let mut req = request(OutputShape::Text);
        req.purpose = Purpose::Research;
        req.web_search = true;
        let body: Value = serde_json::from_slice(&build(&req, &endpoint()).body).unwrap();
        assert_eq!(body["tools"], json!([{"google_search": {}}]));
        assert_eq!(body["generationConfig"], json!({"maxOutputTokens": 1024}));
        req.purpose = Purpose::Image;
        let body: Value = serde_json::from_slice(&build(&req, &endpoint()).body).unwrap();
        assert_eq!(body["tools"], json!([{"google_search": {}}]));
        assert_eq!(
            body["generationConfig"]["responseModalities"],
            json!(["TEXT", "IMAGE"])
        );
    }

    /// The PNG signature, base64.
    const PNG_SIGNATURE: &str = "iVBORw0KGgo=";

    fn image_answer(parts: Value, finish: &str) -> String {
        json!({"candidates": [{"content": {"role": "model", "parts": parts},
                               "finishReason": finish, "index": 0}],
               "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 1300,
                                 "totalTokenCount": 1309},
               "modelVersion": "gemini-2.5-flash-image"})
        .to_string()
    }

    #[test]
    fn parses_pictures_with_or_without_text() {
        let body = image_answer(
            json!([{"text": "Here is your picture."},
                   {"inlineData": {"mimeType": "image/png", "data": PNG_SIGNATURE}}]),
            "STOP",
        );
        let completion = ok(&body).unwrap();
        assert_eq!(completion.text, "Here is your picture.");
        assert_eq!(
            completion.images,
            [Image {
                mime: "image/png".into(),
                data: b"\x89PNG\r\n\x1a\n".to_vec()
            }]
        );
        assert_eq!(completion.output_tokens, 1300);

        // A picture alone is an answer, not Empty; thought pictures (drafts) are skipped.
        let body = image_answer(
            json!([{"inlineData": {"mimeType": "image/png", "data": "AAAA"}, "thought": true},
                   {"inlineData": {"mimeType": "image/jpeg", "data": "/9j/"}}]),
            "STOP",
        );
        let completion = ok(&body).unwrap();
        assert_eq!(completion.text, "");
        assert_eq!(completion.images.len(), 1);
        assert_eq!(completion.images[0].mime, "image/jpeg");
        assert_eq!(completion.images[0].data, [0xff, 0xd8, 0xff]);

        // Without usage the output is estimated, pictures included.
        let bare = r#"{"candidates":[{"content":{"parts":[
            {"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}]},"finishReason":"STOP"}]}"#;
        assert_eq!(ok(bare).unwrap().output_tokens, TOKENS_PER_IMAGE);
    }

    #[test]
    fn broken_pictures_are_malformed_and_say_why() {
        for (inline, says) in [
            (
                json!({"mimeType": "image/png", "data": "iVBORw0KGgo"}),
                "not base64",
            ),
            (
                json!({"mimeType": "image/png", "data": "iVBO Rw0KGgo="}),
                "not base64",
            ),
            (
                json!({"mimeType": "image/png", "data": "iVBORw0K-go="}),
                "alphabet",
            ),
            (json!({"mimeType": "image/png", "data": ""}), "empty"),
            (json!({"mimeType": "image/png"}), "data` is missing"),
            (json!({"data": PNG_SIGNATURE}), "mimeType` is missing"),
        ] {
            let body = image_answer(json!([{"text": "Here."}, {"inlineData": inline}]), "STOP");
            let err = ok(&body).unwrap_err();
            assert_eq!(err.kind, FailureKind::Malformed, "{body}");
            assert!(
                err.message.contains("part 1") && err.message.contains(says),
                "{}",
                err.message
            );
        }
    }

    #[test]
    fn image_failures_are_blocked_or_empty() {
        for reason in [
            "IMAGE_SAFETY",
            "IMAGE_PROHIBITED_CONTENT",
            "IMAGE_RECITATION",
            "IMAGE_OTHER",
        ] {
            let err = ok(&image_answer(json!([{"text": "Sorry."}]), reason)).unwrap_err();
            assert_eq!(err.kind, FailureKind::ContentBlocked, "{reason}");
            assert!(err.message.contains(reason), "{}", err.message);
        }
        let err = ok(&image_answer(
            json!([{"text": "I'd rather describe it."}]),
            "NO_IMAGE",
        ))
        .unwrap_err();
        assert_eq!(err.kind, FailureKind::Empty);
        assert!(err.message.contains("NO_IMAGE"), "{}", err.message);
        let err = ok(r#"{"candidates":[{"finishReason":"IMAGE_SAFETY"}]}"#).unwrap_err();
        assert_eq!(err.kind, FailureKind::ContentBlocked);
    }

    #[test]
    fn grounding_chunks_become_citations() {
        let body = json!({"candidates": [{
            "content": {"role": "model", "parts": [{"text": "Grip matters most."}]},
            "finishReason": "STOP",
            "groundingMetadata": {
                "webSearchQueries": ["trail running shoes grip"],
                "searchEntryPoint": {"renderedContent": "<style>…</style>"},
                "groundingChunks": [
                    {"web": {"uri": "https://vertexaisearch.cloud.google.com/grounding-api-redirect/AbC1", "title": "runnersworld.com"}},
                    {"web": {"uri": "https://vertexaisearch.cloud.google.com/grounding-api-redirect/XyZ2", "title": "nature.com"}},
                    {"web": {"uri": "https://vertexaisearch.cloud.google.com/grounding-api-redirect/AbC1", "title": "runnersworld.com"}},
                    {"retrievedContext": {"uri": "gs://bucket/doc"}},
                    {"web": {"title": "no uri"}}],
                "groundingSupports": [{"segment": {"startIndex": 0, "endIndex": 17,
                    "text": "Grip matters most."}, "groundingChunkIndices": [0, 1]}]}}],
            "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5}})
        .to_string();
        let completion = ok(&body).unwrap();
        assert_eq!(
            completion.citations,
            [
                "https://vertexaisearch.cloud.google.com/grounding-api-redirect/AbC1",
                "https://vertexaisearch.cloud.google.com/grounding-api-redirect/XyZ2",
            ]
        );
        assert!(ok(SUCCESS).unwrap().citations.is_empty());
    }

    const SUCCESS: &str = r#"{"candidates":[{"content":{"role":"model","parts":[
        {"text":"thinking about it","thought":true},{"text":"Hello "},{"text":"there"}]},
        "finishReason":"STOP","index":0}],
        "usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":11,"thoughtsTokenCount":829,
        "cachedContentTokenCount":0,"totalTokenCount":848},"modelVersion":"gemini-2.5-flash","responseId":"r1"}"#;

    #[test]
    fn parses_text_skipping_thoughts_with_usage() {
        assert_eq!(
            ok(SUCCESS),
            Ok(Completion {
                exhausted_for: None,
                reasoning_tokens: 829,
                limit_rpm: None,
                citations: Vec::new(),
                images: Vec::new(),
                text: "Hello there".into(),
                input_tokens: 8,
                output_tokens: 840
            })
        );
        assert_eq!(
            ok(&format!("\r\n\n {SUCCESS}")).unwrap().text,
            "Hello there"
        );
    }

    #[test]
    fn parses_a_json_mode_answer() {
        let body = r#"{"candidates":[{"content":{"role":"model","parts":[{"text":
            "{\"title\":\"Shoes\",\"meta_description\":\"Pick well.\",\"slug\":\"shoes\"}"}]},
            "finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":20}}"#;
        let completion = ok(body).unwrap();
        assert!(crate::tasks::seo::validate(&completion.text).is_ok());
        assert_eq!(completion.output_tokens, 20);
    }

    #[test]
    fn safety_blocks_and_length_cuts() {
        let blocked_prompt = r#"{"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[]},"usageMetadata":{"promptTokenCount":8}}"#;
        let err = ok(blocked_prompt).unwrap_err();
        assert_eq!(err.kind, FailureKind::ContentBlocked);
        assert!(err.message.contains("SAFETY"));
        for reason in [
            "SAFETY",
            "PROHIBITED_CONTENT",
            "BLOCKLIST",
            "SPII",
            "RECITATION",
        ] {
            let body = format!(
                r#"{{"candidates":[{{"content":{{"parts":[{{"text":"x"}}]}},"finishReason":"{reason}"}}]}}"#
            );
            assert_eq!(
                ok(&body).unwrap_err().kind,
                FailureKind::ContentBlocked,
                "{reason}"
            );
        }
        let cut = r#"{"candidates":[{"content":{"parts":[{"text":"{\"title\":"}]},"finishReason":"MAX_TOKENS"}]}"#;
        assert_eq!(ok(cut).unwrap_err().kind, FailureKind::Truncated);
        // Thinking used up the budget: no text, cut at MAX_TOKENS.
        let thought_out =
            r#"{"candidates":[{"content":{"role":"model"},"finishReason":"MAX_TOKENS"}]}"#;
        assert_eq!(ok(thought_out).unwrap_err().kind, FailureKind::Truncated);
    }

    #[test]
    fn empty_and_malformed_answers() {
        for empty in [
            r#"{"candidates":[]}"#,
            r#"{"usageMetadata":{"promptTokenCount":3}}"#,
            r#"{"candidates":[{"content":{"parts":[{"text":"hmm","thought":true}]},"finishReason":"STOP"}]}"#,
            r#"{"candidates":[{"content":{"parts":[{"text":" \n"}]},"finishReason":"STOP"}]}"#,
        ] {
            assert_eq!(ok(empty).unwrap_err().kind, FailureKind::Empty, "{empty}");
        }
        assert_eq!(ok("[1,2]").unwrap_err().kind, FailureKind::Malformed);
        assert_eq!(ok("").unwrap_err().kind, FailureKind::Malformed);
        let cut_mid_string = &SUCCESS[..SUCCESS.find("Hello").unwrap() + 4];
        let err = ok(cut_mid_string).unwrap_err();
        assert_eq!(err.kind, FailureKind::Malformed);
        assert!(err.message.contains("cut short"), "{}", err.message);
        for end in (0..SUCCESS.len() - 1).step_by(13) {
            assert_eq!(
                ok(&SUCCESS[..end]).unwrap_err().kind,
                FailureKind::Malformed
            );
        }
    }

    #[test]
    fn rate_limit_with_retry_info() {
        let body = status_body(
            429,
            "RESOURCE_EXHAUSTED",
            "You exceeded your current quota. Please retry in 3.7s.",
            json!([
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [
                    {"quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3.700s"}
            ]),
        );
        let err = fail(429, &[("retry-after", "30")], &body);
        assert_eq!(err.kind, FailureKind::RateLimited);
        assert_eq!(err.retry_after, Some(Duration::from_millis(3700)));
        assert!(
            err.message.contains("RESOURCE_EXHAUSTED"),
            "{}",
            err.message
        );
        let bare = status_body(
            429,
            "RESOURCE_EXHAUSTED",
            "Please retry in 19.42s.",
            json!([]),
        );
        assert_eq!(
            fail(429, &[], &bare).retry_after,
            Some(Duration::from_millis(19_420))
        );
        assert_eq!(
            fail(429, &[("retry-after", "5")], &bare).retry_after,
            Some(Duration::from_secs(5))
        );
    }

    #[test]
    fn daily_quota_is_quota_without_a_wait() {
        let body = status_body(
            429,
            "RESOURCE_EXHAUSTED",
            "You exceeded your current quota.",
            json!([
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
                    "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                    "quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
                    "quotaDimensions": {"model": "gemini-2.5-flash", "location": "global"},
                    "quotaValue": "20"}]},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "19s"}
            ]),
        );
        let err = fail(429, &[], &body);
        assert_eq!(err.kind, FailureKind::Quota);
        assert_eq!(err.retry_after, None);
        assert!(err.message.contains("daily quota"), "{}", err.message);
    }

    #[test]
    fn status_classes() {
        let invalid_key = status_body(
            400,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
            json!([{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com"}]),
        );
        let err = fail(400, &[], &invalid_key);
        assert_eq!(err.kind, FailureKind::Auth);
        assert!(err.message.contains("API_KEY_INVALID"), "{}", err.message);
        let no_detail = status_body(
            400,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
            json!([]),
        );
        assert_eq!(fail(400, &[], &no_detail).kind, FailureKind::Auth);
        let cases = [
            (
                400,
                "INVALID_ARGUMENT",
                "Invalid JSON payload received. Unknown name \"foo\"",
                FailureKind::BadRequest,
            ),
            (
                400,
                "FAILED_PRECONDITION",
                "User location is not supported for the API use.",
                FailureKind::Quota,
            ),
            (
                403,
                "PERMISSION_DENIED",
                "Permission denied",
                FailureKind::Auth,
            ),
            (
                404,
                "NOT_FOUND",
                "models/gemini-9 is not found for API version v1beta",
                FailureKind::ModelNotFound,
            ),
            (
                500,
                "INTERNAL",
                "An internal error has occurred",
                FailureKind::Server,
            ),
            (
                503,
                "UNAVAILABLE",
                "The model is overloaded. Please try again later.",
                FailureKind::Overloaded,
            ),
            (
                504,
                "DEADLINE_EXCEEDED",
                "Deadline exceeded",
                FailureKind::Server,
            ),
        ];
        for (code, status, message, kind) in cases {
            let err = fail(code, &[], &status_body(code, status, message, json!([])));
            assert_eq!(err.kind, kind, "{code} {status}");
            assert!(err.message.contains(message), "{}", err.message);
        }
        let overloaded = status_body(
            503,
            "UNAVAILABLE",
            "overloaded",
            json!([{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2s"}]),
        );
        assert_eq!(
            fail(503, &[], &overloaded).retry_after,
            Some(Duration::from_secs(2))
        );
        let err = ok(&status_body(429, "RESOURCE_EXHAUSTED", "slow", json!([]))).unwrap_err();
        assert_eq!(err.kind, FailureKind::RateLimited);
        assert_eq!(fail(502, &[], "").kind, FailureKind::Server);
    }

    #[test]
    fn the_model_list_sends_the_key_in_a_header_and_keeps_generate_content_models() {
        let http = list_models_request(&endpoint(), None);
        assert_eq!(http.method, crate::providers::wire::Method::Get);
        assert_eq!(
            http.url,
            "https://generativelanguage.googleapis.com/v1beta/models?pageSize=1000"
        );
        assert!(!http.url.contains(KEY) && !http.url.contains("key="));
        assert!(http.header("x-goog-api-key").unwrap().is_secret());
        let next = list_models_request(&endpoint(), Some("a+b/c=="));
        assert!(
            next.url.ends_with("&pageToken=a%2Bb%2Fc%3D%3D"),
            "{}",
            next.url
        );

        let body = r#"{"models":[
            {"name":"models/gemini-2.5-flash","version":"001","displayName":"Gemini 2.5 Flash",
             "supportedGenerationMethods":["generateContent","countTokens","batchGenerateContent"]},
            {"name":"models/text-embedding-004","supportedGenerationMethods":["embedContent"]},
            {"name":"models/gemini-2.5-pro"}],
            "nextPageToken":"tok-2"}"#;
        let page = parse_model_list(200, &[], body.as_bytes(), now()).unwrap();
        assert_eq!(page.ids, ["gemini-2.5-flash", "gemini-2.5-pro"]);
        assert_eq!(page.next_page.as_deref(), Some("tok-2"));
        assert_eq!(
            parse_model_list(200, &[], b"{}", now()).unwrap(),
            ModelPage::default()
        );

        let refused = status_body(
            400,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
            json!([]),
        );
        let err = parse_model_list(400, &[], refused.as_bytes(), now()).unwrap_err();
        assert_eq!(err.kind, FailureKind::Auth);
        let err = parse_model_list(200, &[], b"[1,2]", now()).unwrap_err();
        assert_eq!(err.kind, FailureKind::Malformed);
    }
}

#[cfg(test)]
mod quota_tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn a_per_minute_request_quota_in_a_429_is_the_keys_limit() {
        let body = br#"{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[
            {"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerMinutePerProjectPerModel","quotaValue":"300"}]},
            {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.5s"}]}}"#;
        let error = classify_error(429, &[], body, UNIX_EPOCH);
        assert_eq!(error.kind, FailureKind::RateLimited);
        assert_eq!(error.limit_rpm, Some(300));
        let daily = br#"{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[
            {"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier","quotaValue":"20"}]}]}}"#;
        assert_eq!(
            classify_error(429, &[], daily, UNIX_EPOCH).limit_rpm,
            None,
            "a daily quota is no per-minute limit"
        );
    }
}
