//! What the three adapters share when they read an answer: decoding a body that may be
//! whitespace-prefixed or cut short, the default failure class of an HTTP status, the
//! `x-should-retry` override, and bounded previews of bodies that are not JSON.
//!
//! Provider-specific readings of error bodies (quota vs rate limit, invalid keys reported as 400)
//! stay in each adapter; this module only holds the rules all of them follow.

use serde_json::Value;
use serde_json::error::Category;

use super::wire::{Headers, header};
use super::{ProviderError, Usage};
use crate::failure::FailureKind;

/// A success body as the adapters read it: a tree borrowed from the body, whose objects are short
/// lists. Reading an answer into a `serde_json::Value` cost a hashed map per object and a copy of
/// every key, a fifth of the client's work per request.
pub(super) type Answer<'a> = serde_json_borrow::Value<'a>;

/// `answer.key(name)`: the member `name` of an object; `None` when there is none or the value is
/// not an object (the tree's own `get` answers null for both).
pub(super) trait Member {
    fn key(&self, name: &str) -> Option<&Self>;
}

impl Member for Answer<'_> {
    fn key(&self, name: &str) -> Option<&Self> {
        self.as_object()?.get(name)
    }
}

/// Decodes a JSON body, into an [`Answer`] or a `serde_json::Value`. Leading whitespace and blank
/// lines (DeepSeek's keep-alive while a non-streaming answer is queued) and SSE comment lines
/// starting with `:` are skipped. An empty or cut-short body is `Malformed`: the connection
/// delivered less than a whole answer.
pub(super) fn decode<'a, T: serde::Deserialize<'a>>(body: &'a [u8]) -> Result<T, ProviderError> {
    let json = skip_keep_alive(body);
    if json.is_empty() {
        return Err(ProviderError::new(
            FailureKind::Malformed,
            "the response body is empty",
        ));
    }
    serde_json::from_slice(json).map_err(|e| {
        let why = if e.classify() == Category::Eof {
            "the response body ends before the JSON does (cut short?)"
        } else {
            "the response body is not valid JSON"
        };
        ProviderError::new(
            FailureKind::Malformed,
            format!("{why}: {e}; {} bytes: {}", json.len(), preview(json)),
        )
    })
}

/// An answer cut at the output cap (`stop` names the vendor's signal, e.g. `finish_reason:
/// length`). When the hidden reasoning took most of the billed output, or the cut left no text,
/// the cap went to thinking and the failure says so (`ReasoningExhausted`), so the next attempt
/// leaves more room instead of repeating the same request.
pub(super) fn cut_answer(usage: Option<Usage>, text_is_empty: bool, stop: &str) -> ProviderError {
    let reasoning = usage.map_or(0, |u| u.reasoning_tokens);
    let output = usage.map_or(0, |u| u.output_tokens);
    let error = if reasoning > 0 && (text_is_empty || reasoning * 2 >= output) {
        ProviderError::new(
            FailureKind::ReasoningExhausted,
            format!(
                "the answer was cut at the output cap: reasoning used {reasoning} of {output} output \
                 tokens{} ({stop})",
                if text_is_empty {
                    " and no text was left"
                } else {
                    ""
                }
            ),
        )
    } else {
        ProviderError::new(
            FailureKind::Truncated,
            format!("the answer was cut at the output token limit ({stop})"),
        )
    };
    error.with_billed(usage)
}

/// `body` without leading whitespace and `:`-comment lines.
fn skip_keep_alive(mut body: &[u8]) -> &[u8] {
    loop {
        body = body.trim_ascii_start();
        if body.first() != Some(&b':') {
            return body;
        }
        body = match body.iter().position(|&b| b == b'\n') {
            Some(end) => &body[end + 1..],
            None => &[],
        };
    }
}

/// The class an error status has before the body is read (the vendors' status tables
/// of §1, §3, §4). Redirects are never followed, so a 3xx means a wrong `base_url`: the row
/// fails as a bad request rather than retrying something that cannot work.
/// Some servers answer 2xx with an error object instead of `content_key`: the status its own
/// `error.code` gives (a 4xx or 5xx), else 500.
pub(super) fn embedded_error_status(value: &Answer, content_key: &str) -> Option<u16> {
    if value.key("error").is_none() || value.key(content_key).is_some() {
        return None;
    }
    let code = value
        .key("error")
        .and_then(|error| error.key("code"))
        .and_then(Answer::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (400..600).contains(c));
    Some(code.unwrap_or(500))
}

/// The value at `path` (object keys, or array indices written as numbers), like
/// `Value::pointer` without parsing a pointer string on every answer.
pub(super) fn dig<'v, 'a>(value: &'v Answer<'a>, path: &[&str]) -> Option<&'v Answer<'a>> {
    path.iter().try_fold(value, |at, step| match at {
        Answer::Array(items) => items.get(step.parse::<usize>().ok()?),
        _ => at.key(step),
    })
}

pub(super) fn status_kind(status: u16) -> FailureKind {
    match status {
        401 | 403 => FailureKind::Auth,
        402 => FailureKind::Quota,
        404 => FailureKind::ModelNotFound,
        408 | 409 => FailureKind::Server,
        429 => FailureKind::RateLimited,
        503 | 529 => FailureKind::Overloaded,
        500..=599 => FailureKind::Server,
        _ => FailureKind::BadRequest,
    }
}

/// Words of a 400 that mean the model is unknown here, not that the request is wrong: vendors and
/// gateways that answer an unknown model with 400 where OpenAI says 404. Matched lowercase,
/// anywhere in the message.
const MODEL_MISSING_PHRASES: [&str; 7] = [
    // LiteLLM's proxy: a model its config has no deployment for (on every route, including its
    // Anthropic `/v1/messages` and Gemini `generateContent` ones).
    "invalid model name passed in model=",
    // OpenRouter: `{"error":{"message":"x/y is not a valid model ID","code":400}}`.
    "is not a valid model id",
    // DeepSeek: `Model Not Exist`.
    "model not exist",
    // SiliconFlow and other compatible servers: `Model does not exist. Please check it carefully.`
    "model does not exist",
    // Perplexity: `Invalid model 'x'. Permitted models can be found in the documentation at …`
    "invalid model '",
    // Mistral: `Invalid model: x`.
    "invalid model:",
    // Zhipu GLM, error 1211: `模型不存在，请检查模型代码。` (the model does not exist).
    "模型不存在",
];

/// `error.code` / `error.type` values of a 400 that name an unknown model: OpenAI's own code, and
/// the `invalid_model` type Mistral and Perplexity send.
const MODEL_MISSING_CODES: [&str; 2] = ["model_not_found", "invalid_model"];

/// Whether an error answer says the model is unknown: a 400 whose `code`/`type` (`labels`) or
/// message is in the tables above. (A 404 already means that by its status.)
pub(super) fn says_model_missing(status: u16, labels: &[Option<&str>], message: &str) -> bool {
    if status != 400 {
        return false;
    }
    let lower = message.to_lowercase();
    labels
        .iter()
        .flatten()
        .any(|label| MODEL_MISSING_CODES.contains(label))
        || MODEL_MISSING_PHRASES
            .iter()
            .any(|phrase| lower.contains(phrase))
}

/// Applies the Stainless SDKs' `x-should-retry` header: `false` turns a retryable server-side
/// class into `BadRequest` (the row fails now instead of burning attempts), `true` turns a
/// `BadRequest` into `Server` (retried with backoff, bounded by the row's attempts). Other
/// classes keep their meaning: auth and quota are about the key, not the row.
pub(super) fn apply_should_retry(kind: FailureKind, headers: &Headers) -> FailureKind {
    match (header(headers, "x-should-retry"), kind) {
        (Some("false"), FailureKind::Server | FailureKind::Overloaded) => FailureKind::BadRequest,
        (Some("true"), FailureKind::BadRequest) => FailureKind::Server,
        _ => kind,
    }
}

/// Whether waiting before the next attempt can help, so a server-given delay is worth keeping.
pub(super) fn wants_delay(kind: FailureKind) -> bool {
    matches!(
        kind,
        FailureKind::RateLimited | FailureKind::Overloaded | FailureKind::Server
    )
}

/// The message of an error answer: `HTTP 429 (rate_limit_exceeded): <provider's words>`.
pub(super) fn describe(status: u16, label: Option<&str>, message: &str) -> String {
    let message = message.trim();
    let message = if message.is_empty() {
        "(no message)"
    } else {
        message
    };
    match label.filter(|l| !l.is_empty()) {
        Some(label) => format!("HTTP {status} ({label}): {message}"),
        None => format!("HTTP {status}: {message}"),
    }
}

/// A string field, or a number written as text (error `code`s are either).
pub(super) fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An error's `message`: text, or an object holding the text in its own `error` or `message`
/// (LiteLLM's proxy has sent `{"error":{"message":{"error":"…"},…}}`).
pub(super) fn message_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Object(inner) => {
            text_of(inner.get("error")).or_else(|| text_of(inner.get("message")))
        }
        other => text_of(Some(other)),
    }
}

/// At most 200 characters of a body, control characters flattened, for error messages.
pub(super) fn preview(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let mut out: String = text
        .chars()
        .take(MAX)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

/// The message when a non-JSON error body is all there is.
pub(super) fn body_message(body: &[u8]) -> String {
    let text = preview(body);
    if text.is_empty() {
        "(empty body)".to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dig_reads_keys_and_indices_like_a_pointer() {
        let body = br#"{"choices": [{"message": {"content": "hi"}}], "n": 1, "e\u0073c": null}"#;
        let owned: Value = serde_json::from_slice(body).unwrap();
        let answer: Answer = decode(body).unwrap();
        for path in [
            &["choices", "0", "message", "content"][..],
            &["choices", "0", "message"],
            &["n"],
            &["esc"],
            &["choices", "1"],
            &["n", "x"],
            &["missing"],
        ] {
            let pointer = format!("/{}", path.join("/"));
            let dug = dig(&answer, path).map(|found| serde_json::to_value(found).unwrap());
            assert_eq!(dug.as_ref(), owned.pointer(&pointer), "{pointer}");
        }
        assert!(dig(&answer, &[]).is_some_and(Answer::is_object));
    }

    #[test]
    fn a_member_is_absent_unless_an_object_holds_it() {
        let answer: Answer = decode(br#"{"a": null, "list": [1]}"#).unwrap();
        assert_eq!(answer.key("a"), Some(&Answer::Null));
        assert_eq!(answer.key("b"), None);
        assert_eq!(answer.key("list").and_then(|list| list.key("0")), None);
    }

    #[test]
    fn decode_skips_keep_alive_and_reports_cuts() {
        assert!(decode::<Value>(b"\n\n\r\n  {\"a\":1}").is_ok());
        assert!(decode::<Answer>(b": keep-alive\n\n: keep-alive\n{\"a\":1}").is_ok());
        let cut = decode::<Answer>(b"{\"a\":\"hel").unwrap_err();
        assert_eq!(cut.kind, FailureKind::Malformed);
        assert!(cut.message.contains("cut short"), "{}", cut.message);
        let junk = decode::<Answer>(b"<html>502 Bad Gateway</html>").unwrap_err();
        assert!(junk.message.contains("not valid JSON"), "{}", junk.message);
        assert!(junk.message.contains("502 Bad Gateway"), "{}", junk.message);
        for empty in [&b""[..], b"\n\n  \n", b": keep-alive"] {
            let err = decode::<Answer>(empty).unwrap_err();
            assert_eq!(err.kind, FailureKind::Malformed);
            assert!(err.message.contains("empty"), "{}", err.message);
        }
    }

    #[test]
    fn statuses_and_should_retry() {
        assert_eq!(status_kind(529), FailureKind::Overloaded);
        assert_eq!(status_kind(504), FailureKind::Server);
        assert_eq!(status_kind(301), FailureKind::BadRequest);
        assert_eq!(status_kind(413), FailureKind::BadRequest);
        let no = vec![("x-should-retry".to_string(), "false".to_string())];
        let yes = vec![("x-should-retry".to_string(), "true".to_string())];
        assert_eq!(
            apply_should_retry(FailureKind::Server, &no),
            FailureKind::BadRequest
        );
        assert_eq!(
            apply_should_retry(FailureKind::Auth, &no),
            FailureKind::Auth
        );
        assert_eq!(
            apply_should_retry(FailureKind::BadRequest, &yes),
            FailureKind::Server
        );
        assert_eq!(
            apply_should_retry(FailureKind::Server, &[]),
            FailureKind::Server
        );
    }

    #[test]
    fn model_missing_phrases_and_codes_need_a_400() {
        let says =
            |status, labels: &[Option<&str>], message| says_model_missing(status, labels, message);
        for message in [
            "{'error': '/chat/completions: Invalid model name passed in model=gpt-9. Call `/v1/models` to view available models for your key.'}",
            "google/gemini-9-pro is not a valid model ID",
            "Model Not Exist",
            "Model does not exist. Please check it carefully.",
            "Invalid model 'sonar-huge'. Permitted models can be found in the documentation at https://docs.perplexity.ai/getting-started/models.",
            "Invalid model: mistral-huge-latest",
            "[1211][模型不存在，请检查模型代码。][2025082112400000000000]",
        ] {
            assert!(says(400, &[], message), "{message}");
            assert!(!says(429, &[], message), "{message}");
        }
        assert!(says(400, &[None, Some("model_not_found")], "no such thing"));
        assert!(says(400, &[Some("invalid_model")], ""));
        for message in [
            "Unsupported value: 'temperature' does not support 0 with this model.",
            "Invalid 'messages': empty array.",
            "This model's maximum context length is 8192 tokens.",
            "Invalid model parameters",
        ] {
            assert!(
                !says(400, &[Some("invalid_request_error")], message),
                "{message}"
            );
        }
    }

    #[test]
    fn messages_may_be_nested_objects() {
        let nested =
            serde_json::json!({"error": "/chat/completions: Invalid model name passed in model=x"});
        assert_eq!(
            message_of(Some(&nested)).as_deref(),
            Some("/chat/completions: Invalid model name passed in model=x")
        );
        let inner_message = serde_json::json!({"message": "inner"});
        assert_eq!(message_of(Some(&inner_message)).as_deref(), Some("inner"));
        assert_eq!(
            message_of(Some(&serde_json::json!("plain"))).as_deref(),
            Some("plain")
        );
        assert_eq!(message_of(Some(&serde_json::json!({"x": 1}))), None);
        assert_eq!(message_of(Some(&serde_json::json!([1]))), None);
        assert_eq!(message_of(None), None);
    }

    #[test]
    fn previews_are_bounded() {
        let long = "x".repeat(500);
        let p = preview(long.as_bytes());
        assert_eq!(p.chars().count(), 201);
        assert_eq!(body_message(b"  "), "(empty body)");
    }
}

#[cfg(test)]
mod properties {
    use std::time::{Duration, UNIX_EPOCH};

    use proptest::prelude::*;

    use crate::providers::{anthropic, gemini, openai};

    proptest! {
        /// Whatever arrives, every adapter answers with a completion or a classified error, and
        /// never panics: random bytes, and random cuts of a real body.
        #[test]
        fn adapters_never_panic(status in 100u16..600, body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let now = UNIX_EPOCH + Duration::from_secs(1_755_780_000);
            let headers = vec![("retry-after".to_string(), "1".to_string())];
            let _ = openai::parse(status, &headers, &body, now);
            let _ = anthropic::parse(status, &headers, &body, now);
            let _ = gemini::parse(status, &headers, &body, now);
        }

        #[test]
        fn cut_bodies_are_malformed(cut in 0usize..120) {
            let now = UNIX_EPOCH;
            let body = br#"{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"content":[{"type":"text","text":"hi"}],"candidates":[{"content":{"parts":[{"text":"hi"}]}}]}"#;
            let cut = &body[..cut.min(body.len() - 1)];
            for result in [
                openai::parse(200, &[], cut, now),
                anthropic::parse(200, &[], cut, now),
                gemini::parse(200, &[], cut, now),
            ] {
                prop_assert_eq!(result.unwrap_err().kind, super::FailureKind::Malformed);
            }
        }
    }
}

/// Real-shaped answers of gateways and vendors that word an unknown model differently, and
/// gateway-prefixed rate-limit headers, through each adapter.
#[cfg(test)]
mod gateways {
    use std::time::{Duration, UNIX_EPOCH};

    use crate::failure::FailureKind;
    use crate::providers::ProviderError;
    use crate::providers::{anthropic, gemini, openai};

    type Parse = fn(
        u16,
        &super::Headers,
        &[u8],
        std::time::SystemTime,
    ) -> Result<crate::providers::Completion, ProviderError>;

    fn fail(parse: Parse, status: u16, headers: &[(&str, &str)], body: &str) -> ProviderError {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let now = UNIX_EPOCH + Duration::from_secs(1_755_780_000);
        parse(status, &headers, body.as_bytes(), now).unwrap_err()
    }

    /// LiteLLM's proxy, current: the route's `{"error": "…"}` detail rendered as a string.
    const LITELLM_UNKNOWN: &str = r#"{"error":{"message":"{'error': '/chat/completions: Invalid model name passed in model=gpt-9-mini. Call `/v1/models` to view available models for your key.'}","type":"None","param":"None","code":"400"}}"#;
    /// LiteLLM's proxy, some versions: the detail as an object.
    const LITELLM_UNKNOWN_OBJECT: &str = r#"{"error":{"message":{"error":"/chat/completions: Invalid model name passed in model=DeepSeek-R1x. Call `/v1/models` to view available models for your key."},"type":"None","param":"None","code":"400"}}"#;

    #[test]
    fn unknown_models_in_gateway_and_vendor_words_are_model_not_found() {
        let cases = [
            (LITELLM_UNKNOWN, "gpt-9-mini"),
            (LITELLM_UNKNOWN_OBJECT, "DeepSeek-R1x"),
            // OpenRouter.
            (
                r#"{"error":{"message":"google/gemini-9-pro is not a valid model ID","code":400},"user_id":"user_2x7DNyswjOHVRWDYVMCIROyGjsS"}"#,
                "google/gemini-9-pro",
            ),
            // Mistral: the error object is the whole body.
            (
                r#"{"object":"error","message":"Invalid model: mistral-huge-latest","type":"invalid_model","param":null,"code":"1500"}"#,
                "mistral-huge-latest",
            ),
            // Perplexity.
            (
                r#"{"error":{"message":"Invalid model 'sonar-huge'. Permitted models can be found in the documentation at https://docs.perplexity.ai/docs/getting-started/models.","type":"invalid_model","code":400}}"#,
                "sonar-huge",
            ),
            // DeepSeek.
            (
                r#"{"error":{"message":"Model Not Exist","type":"invalid_request_error","param":null,"code":"invalid_request_error"}}"#,
                "Model Not Exist",
            ),
            // SiliconFlow.
            (
                r#"{"code":20012,"message":"Model does not exist. Please check it carefully.","data":null}"#,
                "Please check it carefully",
            ),
            // Zhipu GLM.
            (
                r#"{"error":{"code":"1211","message":"模型不存在，请检查模型代码。"}}"#,
                "模型不存在",
            ),
        ];
        for (body, named) in cases {
            let err = fail(openai::parse, 400, &[], body);
            assert_eq!(err.kind, FailureKind::ModelNotFound, "{body}");
            assert!(err.message.contains(named), "{}", err.message);
            assert!(err.message.starts_with("HTTP 400"), "{}", err.message);
        }
        // The object form reads as its text, not as JSON.
        let err = fail(openai::parse, 400, &[], LITELLM_UNKNOWN_OBJECT);
        assert!(!err.message.contains("{\"error\""), "{}", err.message);

        // Other 400s from the gateway stay bad requests.
        let missing = r#"{"error":{"message":"/chat/completions: Missing required parameter: 'messages'.","type":"invalid_request_error","param":"messages","code":"400"}}"#;
        assert_eq!(
            fail(openai::parse, 400, &[], missing).kind,
            FailureKind::BadRequest
        );
    }

    #[test]
    fn a_gateway_fronting_the_anthropic_and_gemini_formats_is_read_the_same_way() {
        // LiteLLM's `/v1/messages` for a model its config lacks.
        let litellm = r#"{"error":{"message":"{'error': 'completion: Invalid model name passed in model=claude-haiku-9'}","type":"None","param":"None","code":"400"}}"#;
        let err = fail(anthropic::parse, 400, &[], litellm);
        assert_eq!(err.kind, FailureKind::ModelNotFound);
        assert!(err.message.contains("claude-haiku-9"), "{}", err.message);
        // Zhipu GLM's Anthropic-format endpoint.
        let zhipu = r#"{"type":"error","error":{"type":"invalid_request_error","code":"1211","message":"[1211][模型不存在，请检查模型代码。][2025082112400000000000]"},"request_id":"2025082112400000000000"}"#;
        assert_eq!(
            fail(anthropic::parse, 400, &[], zhipu).kind,
            FailureKind::ModelNotFound
        );
        // A plain Anthropic 400 is still a bad request.
        let bad = r#"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}}"#;
        assert_eq!(
            fail(anthropic::parse, 400, &[], bad).kind,
            FailureKind::BadRequest
        );

        let gemini_route = r#"{"error":{"message":"{'error': 'generateContent: Invalid model name passed in model=gemini-9-flash'}","type":"None","param":"None","code":"400"}}"#;
        let err = fail(gemini::parse, 400, &[], gemini_route);
        assert_eq!(err.kind, FailureKind::ModelNotFound);
        assert!(err.message.contains("gemini-9-flash"), "{}", err.message);
        let bad = r#"{"error":{"code":400,"message":"Invalid JSON payload received.","status":"INVALID_ARGUMENT"}}"#;
        assert_eq!(
            fail(gemini::parse, 400, &[], bad).kind,
            FailureKind::BadRequest
        );
    }

    #[test]
    fn a_gateways_429_honours_the_forwarded_reset() {
        let body = r#"{"error":{"message":"litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached for gpt-4.1-mini in organization org-abc on requests per min (RPM): Limit 500, Used 500, Requested 1.","type":null,"param":null,"code":"429"}}"#;
        let headers = [
            ("llm_provider-retry-after", "7"),
            ("x-litellm-model-group", "gpt-4.1-mini"),
        ];
        for parse in [openai::parse as Parse, anthropic::parse, gemini::parse] {
            let err = fail(parse, 429, &headers, body);
            assert_eq!(err.kind, FailureKind::RateLimited);
            assert_eq!(err.retry_after, Some(Duration::from_secs(7)));
        }
        // No retry-after at all: the forwarded request reset, since the request budget is spent.
        let spent = [
            ("x-ratelimit-remaining-requests", "0"),
            ("llm_provider-x-ratelimit-remaining-requests", "0"),
            ("llm_provider-x-ratelimit-reset-requests", "1.5s"),
        ];
        let err = fail(openai::parse, 429, &spent, body);
        assert_eq!(err.retry_after, Some(Duration::from_millis(1500)));
        // The plain header wins.
        let both = [("llm_provider-retry-after", "30"), ("retry-after", "2")];
        let err = fail(openai::parse, 429, &both, body);
        assert_eq!(err.retry_after, Some(Duration::from_secs(2)));
    }
}
