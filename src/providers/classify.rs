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

/// Decodes a JSON body. Leading whitespace and blank lines (DeepSeek's keep-alive while a
/// non-streaming answer is queued) and SSE comment lines starting with `:` are skipped. An
/// empty or cut-short body is `Malformed`: the connection delivered less than a whole answer.
pub(super) fn decode(body: &[u8]) -> Result<Value, ProviderError> {
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

/// The class an error status has before the body is read (PROTOCOLS.md §0 and the status tables
/// of §1, §3, §4). Redirects are never followed, so a 3xx means a wrong `base_url`: the row
/// fails as a bad request rather than retrying something that cannot work.
/// Some servers answer 2xx with an error object instead of `content_key`: the status its own
/// `error.code` gives (a 4xx or 5xx), else 500.
pub(super) fn embedded_error_status(value: &Value, content_key: &str) -> Option<u16> {
    if value.get("error").is_none() || value.get(content_key).is_some() {
        return None;
    }
    let code = value
        .pointer("/error/code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (400..600).contains(c));
    Some(code.unwrap_or(500))
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
    fn decode_skips_keep_alive_and_reports_cuts() {
        assert!(decode(b"\n\n\r\n  {\"a\":1}").is_ok());
        assert!(decode(b": keep-alive\n\n: keep-alive\n{\"a\":1}").is_ok());
        let cut = decode(b"{\"a\":\"hel").unwrap_err();
        assert_eq!(cut.kind, FailureKind::Malformed);
        assert!(cut.message.contains("cut short"), "{}", cut.message);
        let junk = decode(b"<html>502 Bad Gateway</html>").unwrap_err();
        assert!(junk.message.contains("not valid JSON"), "{}", junk.message);
        assert!(junk.message.contains("502 Bad Gateway"), "{}", junk.message);
        for empty in [&b""[..], b"\n\n  \n", b": keep-alive"] {
            let err = decode(empty).unwrap_err();
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
