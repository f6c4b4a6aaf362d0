//! Reading a provider's rate-limit signals: the `x-ratelimit-*` (OpenAI style, Go durations) and
//! `anthropic-ratelimit-*` (RFC 3339 resets) headers, `retry-after-ms` / `retry-after` (seconds or
//! an HTTP-date), and Gemini's `RetryInfo` / `QuotaFailure` error details, as each
//! vendor documents them.
//!
//! Every function is pure: the caller passes the clock. Values that do not parse are treated as
//! absent, never as zero, so a garbled header cannot make a lane spin.
//!
//! Every header here is read through [`limit_header`], which also finds it under the prefix a
//! gateway forwards the upstream provider's headers with ([`GATEWAY_PREFIXES`]).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::wire::{Headers, header};
use crate::duration::parse_duration;

/// Prefixes under which a gateway repeats the upstream provider's own response headers. LiteLLM's
/// proxy forwards every header the provider answered with as `llm_provider-<name>`; of the
/// rate-limit headers it repeats only `x-ratelimit-limit-*` and `x-ratelimit-remaining-*` under
/// the plain name, so `retry-after` and the resets are found under the prefix alone. OpenRouter
/// sends a plain `Retry-After` and Portkey passes the provider's headers on unchanged, so neither
/// needs an entry.
const GATEWAY_PREFIXES: [&str; 1] = ["llm_provider-"];

/// A rate-limit header by its provider name, else under a gateway prefix: the plain header wins
/// when both are present. The one lookup every reading in this module goes through.
fn limit_header<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    header(headers, name).or_else(|| {
        GATEWAY_PREFIXES.iter().find_map(|prefix| {
            headers
                .iter()
                .find(|(n, _)| is_prefixed(n, prefix, name))
                .map(|(_, v)| v.trim())
        })
    })
}

/// `candidate` is `prefix` then `name`, in any case (no string is built: every answer is read).
fn is_prefixed(candidate: &str, prefix: &str, name: &str) -> bool {
    candidate.len() == prefix.len() + name.len()
        && candidate.is_char_boundary(prefix.len())
        && candidate[..prefix.len()].eq_ignore_ascii_case(prefix)
        && candidate[prefix.len()..].eq_ignore_ascii_case(name)
}

/// Some header's name holds `part`, in any case: most answers carry no header of a family, and
/// checking once spares looking each of its names up.
fn any_header_mentions(headers: &Headers, part: &str) -> bool {
    headers.iter().any(|(name, _)| {
        name.as_bytes()
            .windows(part.len())
            .any(|window| window.eq_ignore_ascii_case(part.as_bytes()))
    })
}

/// One response's rate-limit headers. Every field is optional: the headers are often missing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimitInfo {
    pub limit_requests: Option<u64>,
    pub remaining_requests: Option<u64>,
    /// Time until the request budget is fully restored.
    pub reset_requests: Option<Duration>,
    pub limit_tokens: Option<u64>,
    pub remaining_tokens: Option<u64>,
    /// Time until the token budget is fully restored.
    pub reset_tokens: Option<Duration>,
}

impl RateLimitInfo {
    /// When a budget is spent (`remaining = 0`), how long until it comes back: the longer reset of
    /// the spent budgets (zero when a spent budget gives no reset). `None` while both have room,
    /// so a key can park before the provider refuses it.
    pub fn exhausted_for(&self) -> Option<Duration> {
        [
            (self.remaining_requests, self.reset_requests),
            (self.remaining_tokens, self.reset_tokens),
        ]
        .into_iter()
        .filter(|(remaining, _)| *remaining == Some(0))
        .map(|(_, reset)| reset.unwrap_or(Duration::ZERO))
        .max()
    }
}

/// Reads both header families. OpenAI-style headers win where both are present. For Anthropic,
/// of the `tokens`, `input-tokens` and `output-tokens` budgets the one with the least remaining
/// fills the token fields (ties: the longer reset), since that is the one that refuses first.
pub fn parse_rate_limits(headers: &Headers, now: SystemTime) -> RateLimitInfo {
    if !any_header_mentions(headers, "ratelimit") {
        return RateLimitInfo::default();
    }
    let count = |name: &str| limit_header(headers, name).and_then(parse_count);
    let go = |name: &str| limit_header(headers, name).and_then(|v| parse_duration(v).ok());
    let mut info = RateLimitInfo {
        limit_requests: count("x-ratelimit-limit-requests"),
        remaining_requests: count("x-ratelimit-remaining-requests"),
        reset_requests: go("x-ratelimit-reset-requests"),
        limit_tokens: count("x-ratelimit-limit-tokens"),
        remaining_tokens: count("x-ratelimit-remaining-tokens"),
        reset_tokens: go("x-ratelimit-reset-tokens"),
    };

    let anthropic = |[limit, remaining, reset]: [&str; 3]| {
        let reset = limit_header(headers, reset)
            .and_then(parse_rfc3339)
            .map(|at| at.duration_since(now).unwrap_or(Duration::ZERO));
        (count(limit), count(remaining), reset)
    };
    if !any_header_mentions(headers, "anthropic-ratelimit-") {
        return info;
    }
    let (limit, remaining, reset) = anthropic(ANTHROPIC_REQUESTS);
    info.limit_requests = info.limit_requests.or(limit);
    info.remaining_requests = info.remaining_requests.or(remaining);
    info.reset_requests = info.reset_requests.or(reset);

    let binding = ANTHROPIC_TOKENS
        .into_iter()
        .map(anthropic)
        .filter(|(l, r, t)| l.is_some() || r.is_some() || t.is_some())
        .min_by_key(|(_, remaining, reset)| {
            (
                remaining.unwrap_or(u64::MAX),
                std::cmp::Reverse(reset.unwrap_or(Duration::ZERO)),
            )
        });
    if let Some((limit, remaining, reset)) = binding {
        info.limit_tokens = info.limit_tokens.or(limit);
        info.remaining_tokens = info.remaining_tokens.or(remaining);
        info.reset_tokens = info.reset_tokens.or(reset);
    }
    info
}

/// Anthropic's limit, remaining and reset headers of its request budget...
const ANTHROPIC_REQUESTS: [&str; 3] = [
    "anthropic-ratelimit-requests-limit",
    "anthropic-ratelimit-requests-remaining",
    "anthropic-ratelimit-requests-reset",
];

/// ...and of its token budgets: all tokens, input tokens, output tokens.
const ANTHROPIC_TOKENS: [[&str; 3]; 3] = [
    [
        "anthropic-ratelimit-tokens-limit",
        "anthropic-ratelimit-tokens-remaining",
        "anthropic-ratelimit-tokens-reset",
    ],
    [
        "anthropic-ratelimit-input-tokens-limit",
        "anthropic-ratelimit-input-tokens-remaining",
        "anthropic-ratelimit-input-tokens-reset",
    ],
    [
        "anthropic-ratelimit-output-tokens-limit",
        "anthropic-ratelimit-output-tokens-remaining",
        "anthropic-ratelimit-output-tokens-reset",
    ],
];

/// A count header: a non-negative integer. `-1` (Azure) and anything else unreadable is `None`.
fn parse_count(value: &str) -> Option<u64> {
    value.parse().ok()
}

/// The server's "come back in": `retry-after-ms` (milliseconds, fractions allowed), else
/// `retry-after` as seconds (fractions allowed) or an IMF-fixdate HTTP-date, which counts from
/// `now` (a date already past gives zero). The order the official Stainless SDKs use.
/// Each name is looked up plain, then under a gateway prefix ([`limit_header`]).
pub fn retry_after(headers: &Headers, now: SystemTime) -> Option<Duration> {
    if let Some(ms) = limit_header(headers, "retry-after-ms").and_then(decimal_seconds) {
        return Some(ms / 1000);
    }
    let value = limit_header(headers, "retry-after")?;
    decimal_seconds(value).or_else(|| {
        parse_http_date(value).map(|at| at.duration_since(now).unwrap_or(Duration::ZERO))
    })
}

/// `digits[.digits]` read as that many seconds; nothing else (no units, signs or spaces).
fn decimal_seconds(value: &str) -> Option<Duration> {
    let plain = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    plain.then(|| parse_duration(value).ok()).flatten()
}

/// The delay a "try again in 1.2s" / "Please retry in 19.42s." sentence in an error message
/// names (OpenAI and Gemini write these; the wording is not a contract, so this is the last
/// resort after headers and structured details).
pub fn retry_hint(message: &str) -> Option<Duration> {
    let lower = message.to_ascii_lowercase();
    ["try again in ", "retry in "].into_iter().find_map(|cue| {
        let at = lower.find(cue)? + cue.len();
        let word = message[at..].split_whitespace().next()?;
        let word = word.trim_end_matches(['.', ',', ';', ')']);
        parse_duration(word)
            .ok()
            .filter(|_| word.ends_with(['s', 'm', 'h']))
    })
}

const RETRY_INFO: &str = "type.googleapis.com/google.rpc.RetryInfo";
const QUOTA_FAILURE: &str = "type.googleapis.com/google.rpc.QuotaFailure";

/// The `error.details[]` entries of a google.rpc Status body with the given `@type`.
fn gemini_details<'a>(body: &'a Value, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    body.pointer("/error/details")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(move |detail| detail.get("@type").and_then(Value::as_str) == Some(kind))
}

/// Gemini's `RetryInfo.retryDelay` (`"19s"`, `"3.700s"`): a protobuf Duration, decimal seconds
/// followed by `s`.
pub fn gemini_retry_delay(body: &Value) -> Option<Duration> {
    gemini_details(body, RETRY_INFO).find_map(|detail| {
        let delay = detail.get("retryDelay")?.as_str()?.trim();
        decimal_seconds(delay.strip_suffix('s')?)
    })
}

/// Whether a Gemini `QuotaFailure` names a daily quota (a `quotaId` containing `PerDay`): it
/// resets tomorrow, so waiting for it is pointless.
pub fn gemini_quota_is_daily(body: &Value) -> bool {
    gemini_details(body, QUOTA_FAILURE)
        .filter_map(|detail| detail.get("violations")?.as_array())
        .flatten()
        .filter_map(|violation| violation.get("quotaId")?.as_str())
        .any(|id| id.contains("PerDay"))
}

/// The requests-per-minute quota a Gemini `QuotaFailure` names (a `quotaId` with `Requests` and
/// `PerMinute`, its `quotaValue`): Gemini sends no rate-limit headers, so its 429 is the only
/// place its limit shows.
pub fn gemini_minute_request_quota(body: &Value) -> Option<u64> {
    gemini_details(body, QUOTA_FAILURE)
        .filter_map(|detail| detail.get("violations")?.as_array())
        .flatten()
        .filter(|violation| {
            violation
                .get("quotaId")
                .and_then(Value::as_str)
                .is_some_and(|id| id.contains("Requests") && id.contains("PerMinute"))
        })
        .find_map(|violation| match violation.get("quotaValue")? {
            Value::String(text) => text.parse().ok(),
            Value::Number(n) => n.as_u64(),
            _ => None,
        })
}

// ---- timestamps --------------------------------------------------------------------------------

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian; H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Exactly `n` ASCII digits at `s[at..at + n]`.
fn digits(s: &[u8], at: usize, n: usize) -> Option<u32> {
    let field = s.get(at..at + n)?;
    field.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// A validated civil date and time (seconds 0..=60; a leap second rolls into the next minute).
#[allow(clippy::too_many_arguments)]
fn civil_to_system_time(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    offset_secs: i64,
) -> Option<SystemTime> {
    let valid = (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(year, month)
        && hour <= 23
        && minute <= 59
        && second <= 60;
    if !valid {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second)
        - offset_secs;
    let since_epoch = Duration::new(secs.unsigned_abs(), 0);
    if secs >= 0 {
        UNIX_EPOCH.checked_add(since_epoch + Duration::from_nanos(u64::from(nanos)))
    } else {
        UNIX_EPOCH
            .checked_sub(since_epoch)?
            .checked_add(Duration::from_nanos(u64::from(nanos)))
    }
}

/// A strict RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `t`/`z` in lower
/// case are allowed, as the RFC says. Nothing before or after it.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let s = text.as_bytes();
    let year = digits(s, 0, 4)?;
    let month = digits(s, 5, 2)?;
    let day = digits(s, 8, 2)?;
    let hour = digits(s, 11, 2)?;
    let minute = digits(s, 14, 2)?;
    let second = digits(s, 17, 2)?;
    let separators = s.get(4) == Some(&b'-')
        && s.get(7) == Some(&b'-')
        && matches!(s.get(10), Some(b'T' | b't'))
        && s.get(13) == Some(&b':')
        && s.get(16) == Some(&b':');
    if !separators {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0u32;
    if s.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while s.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 9 {
                nanos = nanos * 10 + u32::from(s[at] - b'0');
            }
            at += 1;
        }
        let written = at - start;
        if written == 0 {
            return None;
        }
        nanos *= 10u32.pow(9 - written.min(9) as u32);
    }
    let offset_secs = match s.get(at..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let hours = digits(s, at + 1, 2)?;
            let minutes = digits(s, at + 4, 2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let secs = i64::from(hours * 3600 + minutes * 60);
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    civil_to_system_time(
        i64::from(year),
        month,
        day,
        hour,
        minute,
        second,
        nanos,
        offset_secs,
    )
}

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A strict IMF-fixdate (RFC 9110 §5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`, weekday checked
/// against the date. The obsolete RFC 850 and asctime forms are not accepted.
pub fn parse_http_date(text: &str) -> Option<SystemTime> {
    let s = text.as_bytes();
    if s.len() != 29 || &s[3..5] != b", " || &s[25..] != b" GMT" {
        return None;
    }
    let spaces = s[7] == b' ' && s[11] == b' ' && s[16] == b' ';
    let colons = s[19] == b':' && s[22] == b':';
    if !spaces || !colons {
        return None;
    }
    let weekday = text.get(0..3)?;
    let month = MONTHS.iter().position(|m| Some(*m) == text.get(8..11))? as u32 + 1;
    let day = digits(s, 5, 2)?;
    let year = i64::from(digits(s, 12, 4)?);
    let time = civil_to_system_time(
        year,
        month,
        day,
        digits(s, 17, 2)?,
        digits(s, 20, 2)?,
        digits(s, 23, 2)?,
        0,
        0,
    )?;
    let days = days_from_civil(year, month, day);
    (WEEKDAYS[days.rem_euclid(7) as usize] == weekday).then_some(time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// 2025-08-21T12:40:00Z
    const AUG_21_1240: u64 = 1_755_780_000;

    #[test]
    fn openai_headers_with_go_durations() {
        let h = headers(&[
            ("x-ratelimit-limit-requests", "60"),
            ("x-ratelimit-limit-tokens", "150000"),
            ("x-ratelimit-remaining-requests", "59"),
            ("x-ratelimit-remaining-tokens", "149984"),
            ("x-ratelimit-reset-requests", "1s"),
            ("x-ratelimit-reset-tokens", "6m0s"),
            ("x-ratelimit-limit-tokens_usage_based", "999"),
            ("x-ratelimit-reset-tokens_usage_based", "garbage"),
        ]);
        let info = parse_rate_limits(&h, at(0));
        assert_eq!(
            info,
            RateLimitInfo {
                limit_requests: Some(60),
                remaining_requests: Some(59),
                reset_requests: Some(Duration::from_secs(1)),
                limit_tokens: Some(150_000),
                remaining_tokens: Some(149_984),
                reset_tokens: Some(Duration::from_secs(360)),
            }
        );
        assert_eq!(info.exhausted_for(), None);
    }

    #[test]
    fn openai_fractional_and_millisecond_resets_and_azure_minus_one() {
        let h = headers(&[
            ("x-ratelimit-reset-requests", "12ms"),
            ("x-ratelimit-reset-tokens", "1.5s"),
            ("x-ratelimit-limit-requests", "-1"),
            ("x-ratelimit-remaining-requests", "-1"),
            ("x-ratelimit-remaining-tokens", "0"),
        ]);
        let info = parse_rate_limits(&h, at(0));
        assert_eq!(info.reset_requests, Some(ms(12)));
        assert_eq!(info.reset_tokens, Some(ms(1500)));
        assert_eq!((info.limit_requests, info.remaining_requests), (None, None));
        assert_eq!(info.exhausted_for(), Some(ms(1500)));
    }

    #[test]
    fn headers_under_a_gateway_prefix_count_and_the_plain_one_wins() {
        // LiteLLM's proxy in front of OpenAI: the upstream headers under `llm_provider-`, the
        // limit and remaining counts repeated plain.
        let h = headers(&[
            ("x-ratelimit-limit-requests", "500"),
            ("x-ratelimit-remaining-requests", "0"),
            ("llm_provider-x-ratelimit-limit-requests", "500"),
            ("llm_provider-x-ratelimit-remaining-requests", "0"),
            ("llm_provider-x-ratelimit-reset-requests", "120ms"),
            ("llm_provider-x-ratelimit-limit-tokens", "200000"),
            ("llm_provider-x-ratelimit-remaining-tokens", "199000"),
            ("llm_provider-x-ratelimit-reset-tokens", "300ms"),
            ("llm_provider-openai-processing-ms", "256"),
            ("x-litellm-model-group", "gpt-4.1-mini"),
        ]);
        let info = parse_rate_limits(&h, at(0));
        assert_eq!(
            info,
            RateLimitInfo {
                limit_requests: Some(500),
                remaining_requests: Some(0),
                reset_requests: Some(ms(120)),
                limit_tokens: Some(200_000),
                remaining_tokens: Some(199_000),
                reset_tokens: Some(ms(300)),
            }
        );
        assert_eq!(info.exhausted_for(), Some(ms(120)));

        // The gateway's own plain header wins over the forwarded one.
        let both = headers(&[
            ("llm_provider-x-ratelimit-remaining-tokens", "0"),
            ("x-ratelimit-remaining-tokens", "42"),
        ]);
        assert_eq!(parse_rate_limits(&both, at(0)).remaining_tokens, Some(42));

        // Anthropic behind the gateway (its `/v1/messages` route): RFC 3339 resets, prefixed.
        let anthropic = headers(&[
            ("llm_provider-anthropic-ratelimit-requests-remaining", "0"),
            (
                "llm_provider-anthropic-ratelimit-requests-reset",
                "2025-08-21T12:40:30Z",
            ),
        ]);
        let info = parse_rate_limits(&anthropic, at(AUG_21_1240));
        assert_eq!(info.remaining_requests, Some(0));
        assert_eq!(info.reset_requests, Some(Duration::from_secs(30)));
        // Header names are case-insensitive under the prefix too.
        let upper = headers(&[("LLM_PROVIDER-X-RATELIMIT-RESET-TOKENS", "2s")]);
        assert_eq!(
            parse_rate_limits(&upper, at(0)).reset_tokens,
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn retry_after_under_a_gateway_prefix() {
        let now = at(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        let litellm = headers(&[
            ("llm_provider-retry-after", "7"),
            ("x-litellm-attempted-retries", "0"),
        ]);
        assert_eq!(retry_after(&litellm, now), Some(Duration::from_secs(7)));
        let ms_prefixed = headers(&[("llm_provider-retry-after-ms", "250")]);
        assert_eq!(retry_after(&ms_prefixed, now), Some(ms(250)));
        let date = headers(&[("llm_provider-retry-after", "Sun, 06 Nov 1994 08:49:47 GMT")]);
        assert_eq!(retry_after(&date, now), Some(Duration::from_secs(10)));
        let both = headers(&[("llm_provider-retry-after", "30"), ("retry-after", "3")]);
        assert_eq!(retry_after(&both, now), Some(Duration::from_secs(3)));
        // Another prefix is not a gateway's.
        let other = headers(&[("x-upstream-retry-after", "9")]);
        assert_eq!(retry_after(&other, now), None);
    }

    #[test]
    fn missing_headers_are_all_none() {
        assert_eq!(parse_rate_limits(&[], at(0)), RateLimitInfo::default());
        assert_eq!(RateLimitInfo::default().exhausted_for(), None);
    }

    #[test]
    fn anthropic_headers_with_rfc3339_resets() {
        let h = headers(&[
            ("anthropic-ratelimit-requests-limit", "50"),
            ("anthropic-ratelimit-requests-remaining", "0"),
            ("anthropic-ratelimit-requests-reset", "2025-08-21T12:40:59Z"),
            ("anthropic-ratelimit-tokens-limit", "40000"),
            ("anthropic-ratelimit-tokens-remaining", "39000"),
            ("anthropic-ratelimit-tokens-reset", "2025-08-21T12:40:01.5Z"),
            ("anthropic-ratelimit-input-tokens-limit", "30000"),
            ("anthropic-ratelimit-input-tokens-remaining", "1000"),
            (
                "anthropic-ratelimit-input-tokens-reset",
                "2025-08-21T12:41:00Z",
            ),
            ("anthropic-ratelimit-output-tokens-limit", "8000"),
            ("anthropic-ratelimit-output-tokens-remaining", "8000"),
            (
                "anthropic-ratelimit-output-tokens-reset",
                "2025-08-21T12:40:00Z",
            ),
        ]);
        let info = parse_rate_limits(&h, at(AUG_21_1240));
        assert_eq!(info.limit_requests, Some(50));
        assert_eq!(info.remaining_requests, Some(0));
        assert_eq!(info.reset_requests, Some(Duration::from_secs(59)));
        // input-tokens has the least room, so it is the binding token budget.
        assert_eq!(info.limit_tokens, Some(30_000));
        assert_eq!(info.remaining_tokens, Some(1000));
        assert_eq!(info.reset_tokens, Some(Duration::from_secs(60)));
        assert_eq!(info.exhausted_for(), Some(Duration::from_secs(59)));
        // A reset already past counts as zero.
        let later = parse_rate_limits(&h, at(AUG_21_1240 + 3600));
        assert_eq!(later.reset_requests, Some(Duration::ZERO));
    }

    #[test]
    fn rfc3339_is_strict_and_handles_fractions_and_offsets() {
        let base = at(AUG_21_1240);
        assert_eq!(parse_rfc3339("2025-08-21T12:40:00Z"), Some(base));
        assert_eq!(parse_rfc3339("2025-08-21t12:40:00z"), Some(base));
        assert_eq!(
            parse_rfc3339("2025-08-21T12:40:00.123456789Z"),
            Some(base + Duration::from_nanos(123_456_789))
        );
        assert_eq!(
            parse_rfc3339("2025-08-21T12:40:00.5Z"),
            Some(base + ms(500))
        );
        assert_eq!(parse_rfc3339("2025-08-21T14:40:00+02:00"), Some(base));
        assert_eq!(parse_rfc3339("2025-08-21T11:10:00-01:30"), Some(base));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(UNIX_EPOCH));
        assert_eq!(
            parse_rfc3339("2024-02-29T00:00:00Z"),
            Some(at(1_709_164_800))
        );
        for bad in [
            "",
            "2025-08-21",
            "2025-08-21T12:40:00",
            "2025-08-21 12:40:00Z",
            "2025-08-21T12:40:00.Z",
            "2025-08-21T12:40:00Z ",
            " 2025-08-21T12:40:00Z",
            "2025-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2025-08-21T24:00:00Z",
            "2025-08-21T12:60:00Z",
            "2025-08-21T12:40:00+0200",
            "2025-08-21T12:40:00+24:00",
            "2025-8-21T12:40:00Z",
            "+025-08-21T12:40:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn retry_after_ms_wins_then_seconds_then_http_date() {
        let now = at(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        let both = headers(&[("retry-after-ms", "1500.5"), ("retry-after", "20")]);
        assert_eq!(
            retry_after(&both, now),
            Some(ms(1500) + Duration::from_micros(500))
        );
        let secs = headers(&[("retry-after", "20")]);
        assert_eq!(retry_after(&secs, now), Some(Duration::from_secs(20)));
        let fraction = headers(&[("retry-after", "1.25")]);
        assert_eq!(retry_after(&fraction, now), Some(ms(1250)));
        let date = headers(&[("retry-after", "Sun, 06 Nov 1994 08:50:07 GMT")]);
        assert_eq!(retry_after(&date, now), Some(Duration::from_secs(30)));
        let past = headers(&[("retry-after", "Sun, 06 Nov 1994 08:00:00 GMT")]);
        assert_eq!(retry_after(&past, now), Some(Duration::ZERO));
        let bad_ms = headers(&[("retry-after-ms", "soon"), ("retry-after", "2")]);
        assert_eq!(retry_after(&bad_ms, now), Some(Duration::from_secs(2)));
        for bad in ["-1", "1s", "", "tomorrow", "Sunday, 06-Nov-94 08:49:37 GMT"] {
            assert_eq!(
                retry_after(&headers(&[("retry-after", bad)]), now),
                None,
                "{bad}"
            );
        }
        assert_eq!(retry_after(&[], now), None);
    }

    #[test]
    fn http_date_is_strict() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(at(784_111_777))
        );
        assert_eq!(
            parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(UNIX_EPOCH)
        );
        assert_eq!(
            parse_http_date("Thu, 21 Aug 2025 12:40:00 GMT"),
            Some(at(AUG_21_1240))
        );
        for bad in [
            "Mon, 06 Nov 1994 08:49:37 GMT", // wrong weekday
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT ",
            "Sun, 06 Foo 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    fn gemini_429(details: Value) -> Value {
        json!({"error": {"code": 429, "message": "Please retry in 19.42s.",
                         "status": "RESOURCE_EXHAUSTED", "details": details}})
    }

    #[test]
    fn gemini_retry_info_and_daily_quota() {
        let daily = gemini_429(json!([
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
                "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                "quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
                "quotaValue": "20"}]},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "19s"}
        ]));
        assert_eq!(gemini_retry_delay(&daily), Some(Duration::from_secs(19)));
        assert!(gemini_quota_is_daily(&daily));

        let minute = gemini_429(json!([
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
                "quotaId": "GenerateRequestsPerMinutePerProjectPerModel"}]},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3.700s"}
        ]));
        assert_eq!(gemini_retry_delay(&minute), Some(ms(3700)));
        assert!(!gemini_quota_is_daily(&minute));

        let odd = gemini_429(json!([
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3m"},
            {"@type": "type.googleapis.com/google.rpc.Help", "retryDelay": "5s"}
        ]));
        assert_eq!(gemini_retry_delay(&odd), None);
        assert_eq!(gemini_retry_delay(&json!({})), None);
        assert!(!gemini_quota_is_daily(&json!({"error": "nope"})));
    }

    #[test]
    fn retry_hints_in_messages() {
        assert_eq!(
            retry_hint("Rate limit reached for gpt-4.1-mini. Please try again in 1.2s. Visit…"),
            Some(ms(1200))
        );
        assert_eq!(retry_hint("Please retry in 19.42s."), Some(ms(19_420)));
        assert_eq!(retry_hint("try again in 250ms"), Some(ms(250)));
        assert_eq!(retry_hint("Please try again in a while"), None);
        assert_eq!(retry_hint("Please try again in 20 seconds"), None);
        assert_eq!(retry_hint("no hint here"), None);
    }

    proptest::proptest! {
        #[test]
        fn date_parsers_never_panic(s in "\\PC*") {
            let _ = parse_rfc3339(&s);
            let _ = parse_http_date(&s);
            let _ = retry_hint(&s);
        }
    }
}
