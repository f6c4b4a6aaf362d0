//! Anthropic Message Batches on the wire : the create body, the batch object,
//! and the JSONL results. Each entry's `params` is the body [`crate::providers::anthropic`] sends
//! live, and each `succeeded` message is read by its parser, so a batch answer passes exactly
//! the checks a live one does; `errored` entries are classified by that adapter's error reading.
//!
//! Paths are relative to the Anthropic base URL (without `/v1`); the key travels only in
//! `x-api-key`.

use std::time::SystemTime;

use serde_json::{Value, json};

use super::wire::{
    self, BatchError, BatchItem, ItemResult, JobState, JobStatus, Limits, Results, count,
    malformed, text,
};
use crate::providers::ProviderError;
use crate::providers::anthropic as live;
use crate::providers::wire::{
    Endpoint, HeaderValue, Headers, HttpRequest, Method, get, json_post, percent_encode,
};

/// 100,000 requests or 256 MB of create body per batch (counted as 256,000,000 bytes, the
/// smaller reading of "MB").
pub const LIMITS: Limits = Limits {
    max_requests: 100_000,
    max_bytes: 256_000_000,
};

/// The rule a custom id must meet, as the API states it.
pub const CUSTOM_ID_RULE: &str = "^[a-zA-Z0-9_-]{1,64}$";

/// Whether `id` matches [`CUSTOM_ID_RULE`].
pub fn is_valid_custom_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// One entry of the create body: `{"custom_id", "params": {Messages body}}`.
pub fn entry(item: &BatchItem) -> Value {
    json!({"custom_id": item.custom_id, "params": live::request_body(item.request)})
}

/// The bytes `item` adds to the create body (its entry and a comma), for [`wire::split`].
pub fn item_size(item: &BatchItem) -> usize {
    entry(item).to_string().len() + 1
}

/// `POST {base}/v1/messages/batches` with `{"requests": [{custom_id, params}, …]}`. Every
/// custom id must match [`CUSTOM_ID_RULE`] and be unique, else nothing is built.
pub fn create_request(endpoint: &Endpoint, items: &[BatchItem]) -> Result<HttpRequest, BatchError> {
    if let Some(bad) = items.iter().find(|i| !is_valid_custom_id(i.custom_id)) {
        return Err(BatchError::InvalidCustomId {
            id: bad.custom_id.to_string(),
            rule: "Anthropic custom ids must match ^[a-zA-Z0-9_-]{1,64}$",
        });
    }
    wire::unique_ids(items.iter().map(|i| i.custom_id))?;
    let requests: Vec<Value> = items.iter().map(entry).collect();
    Ok(json_post(
        endpoint.url("/v1/messages/batches"),
        live::auth_headers(endpoint),
        &json!({ "requests": requests }),
    ))
}

/// Reads a batch object (create, retrieve and cancel all answer one): its `id` and status.
///
/// `processing_status` `in_progress` → Running, `canceling` → Cancelling, `ended` → Cancelled
/// when a cancel was initiated (`cancel_initiated_at` set), Expired when every item expired,
/// Completed otherwise. Anything else is `Malformed`. Counts: total is the sum of all five,
/// `failed = errored + canceled + expired`, `pending = processing`; the output is `results_url`.
pub fn parse_job(
    status: u16,
    headers: &Headers,
    body: &[u8],
    now: SystemTime,
) -> Result<(String, JobStatus), ProviderError> {
    let value = decode(status, headers, body, now)?;
    let id = text(value.get("id")).ok_or_else(|| malformed("the batch object has no `id`"))?;
    let counts = value.get("request_counts");
    let n = |field: &str| count(counts.and_then(|c| c.get(field))).unwrap_or(0);
    let (processing, succeeded, errored, canceled, expired) = (
        n("processing"),
        n("succeeded"),
        n("errored"),
        n("canceled"),
        n("expired"),
    );
    let cancel_initiated = text(value.get("cancel_initiated_at")).is_some();
    let state = match value.get("processing_status").and_then(Value::as_str) {
        Some("in_progress") => JobState::Running,
        Some("canceling") => JobState::Cancelling,
        Some("ended") if cancel_initiated => JobState::Cancelled,
        Some("ended") if expired > 0 && succeeded + errored + canceled == 0 => JobState::Expired,
        Some("ended") => JobState::Completed,
        other => {
            return Err(malformed(format!(
                "batch {id} has an unknown processing_status {}",
                other.map_or("(none)".to_string(), |s| format!("`{s}`"))
            )));
        }
    };
    let message = (canceled + expired > 0)
        .then(|| format!("{errored} errored, {canceled} canceled, {expired} expired"));
    Ok((
        id,
        JobStatus {
            state,
            total: processing + succeeded + errored + canceled + expired,
            succeeded,
            failed: errored + canceled + expired,
            pending: processing,
            output: text(value.get("results_url")),
            error_output: None,
            message,
        },
    ))
}

/// `GET {base}/v1/messages/batches/{id}`.
pub fn poll_request(endpoint: &Endpoint, batch_id: &str) -> HttpRequest {
    get(
        endpoint.url(&format!(
            "/v1/messages/batches/{}",
            percent_encode(batch_id)
        )),
        live::auth_headers(endpoint),
    )
}

/// `POST {base}/v1/messages/batches/{id}/cancel` (no body); the answer is the batch object.
pub fn cancel_request(endpoint: &Endpoint, batch_id: &str) -> HttpRequest {
    HttpRequest {
        method: Method::Post,
        url: endpoint.url(&format!(
            "/v1/messages/batches/{}/cancel",
            percent_encode(batch_id)
        )),
        headers: live::auth_headers(endpoint),
        body: Vec::new(),
    }
}

/// `GET results_url` as the batch object gave it (the docs say not to build it), with the auth
/// headers and `accept: application/binary` as the SDK sends. The URL must be on the base URL's
/// origin: the key is never sent to another host.
pub fn results_request(endpoint: &Endpoint, results_url: &str) -> Result<HttpRequest, BatchError> {
    wire::same_origin("results URL", results_url, endpoint.base_url)?;
    let mut headers = live::auth_headers(endpoint);
    headers.push(("accept", HeaderValue::Plain("application/binary".into())));
    Ok(get(results_url.to_string(), headers))
}

/// Reads the results JSONL: `{"custom_id", "result": {"type", …}}`, in no particular order.
/// `succeeded` has its `message` read by the live parser (stop reasons, empty text and usage
/// exactly as live); `errored` is classified from its error body as the live API would classify
/// that error type; `canceled` is Cancelled and `expired` Expired.
///
/// A line that cannot be read fails its item as `Malformed` if its `custom_id` can be found,
/// and is listed in [`Results::skipped`] otherwise.
pub fn parse_results(jsonl: &[u8]) -> Results {
    let mut results = Results::default();
    for (number, line) in wire::lines(jsonl) {
        wire::read_line(&mut results, number, line, "custom_id", |value| {
            let id = text(value.get("custom_id")).ok_or("no `custom_id`")?;
            Ok((id, read_result(value.get("result"))?))
        });
    }
    results
}

fn read_result(result: Option<&Value>) -> Result<ItemResult, String> {
    let result = result.ok_or("no `result`")?;
    match result.get("type").and_then(Value::as_str) {
        Some("succeeded") => {
            let message = result
                .get("message")
                .ok_or("a succeeded result has no `message`")?;
            Ok(match live::parse_body(200, &wire::to_bytes(message)) {
                Ok(completion) => ItemResult::Done(completion),
                Err(error) => ItemResult::Failed(error),
            })
        }
        Some("errored") => {
            let error = result
                .get("error")
                .ok_or("an errored result has no `error`")?;
            // The error is a whole error body (`{"type":"error","error":{type,message}}`);
            // accept a bare `{type,message}` too.
            let body = if error.get("type").and_then(Value::as_str) == Some("error") {
                error.clone()
            } else {
                json!({"type": "error", "error": error})
            };
            let error_type = body.pointer("/error/type").and_then(Value::as_str);
            let status = status_of(error_type.unwrap_or_default());
            Ok(ItemResult::Failed(live::classify_error(
                status,
                &[],
                &wire::to_bytes(&body),
                SystemTime::UNIX_EPOCH,
            )))
        }
        Some("canceled") => Ok(ItemResult::Cancelled),
        Some("expired") => Ok(ItemResult::Expired),
        Some(other) => Err(format!("unknown result type `{other}`")),
        None => Err("the result has no `type`".into()),
    }
}

/// The HTTP status the live API answers an error type with, so an errored
/// batch item is classified as that live answer would be. Unknown types count as 500.
fn status_of(error_type: &str) -> u16 {
    match error_type {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "timeout_error" => 504,
        "overloaded_error" => 529,
        _ => 500,
    }
}

/// The JSON of a 2xx control answer; any other status is classified as the live API's errors
/// are.
fn decode(
    status: u16,
    headers: &Headers,
    body: &[u8],
    now: SystemTime,
) -> Result<Value, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(live::classify_error(status, headers, body, now));
    }
    let value: Value = serde_json::from_slice(body.trim_ascii())
        .map_err(|e| malformed(format!("the answer is not valid JSON: {e}")))?;
    if value.get("type").and_then(Value::as_str) == Some("error") {
        return Err(live::classify_error(500, headers, body, now));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::FailureKind;
    use crate::providers::Request;
    use std::time::{Duration, UNIX_EPOCH};

    const KEY: &str = "sk-ant-api03-SECRET-batch-1111";

    fn endpoint() -> Endpoint<'static> {
        Endpoint {
            base_url: "https://api.anthropic.com",
            api_key: Some(KEY),
            extra_headers: &[],
        }
    }

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_755_780_000)
    }

    fn request() -> Request {
        Request::sample("claude-haiku-4-5", 700)
    }

    fn assert_key_hidden(http: &HttpRequest) {
        assert!(!http.url.contains(KEY), "{}", http.url);
        assert!(!format!("{http:?}").contains(KEY));
        assert!(!String::from_utf8_lossy(&http.body).contains(KEY));
        let key = http.header("x-api-key").unwrap();
        assert!(key.is_secret() && key.expose() == KEY);
        assert_eq!(
            http.header("anthropic-version").unwrap().expose(),
            "2023-06-01"
        );
    }

    #[test]
    fn create_carries_the_live_params_and_checks_ids() {
        let request = request();
        let items = [
            BatchItem {
                custom_id: "row-1",
                request: &request,
            },
            BatchItem {
                custom_id: "row_2",
                request: &request,
            },
        ];
        let http = create_request(&endpoint(), &items).unwrap();
        assert_eq!(http.url, "https://api.anthropic.com/v1/messages/batches");
        assert_key_hidden(&http);
        let body: Value = serde_json::from_slice(&http.body).unwrap();
        let live_body: Value =
            serde_json::from_slice(&live::build(&request, &endpoint()).body).unwrap();
        assert_eq!(
            body["requests"][0],
            json!({"custom_id": "row-1", "params": live_body})
        );
        assert_eq!(body["requests"][1]["custom_id"], "row_2");
        assert!(body["requests"][0]["params"].get("stream").is_none());
        assert!(item_size(&items[0]) > 10);

        let long = "a".repeat(65);
        for bad in ["", "row 1", "row.1", "röw", long.as_str()] {
            let items = [BatchItem {
                custom_id: bad,
                request: &request,
            }];
            let err = create_request(&endpoint(), &items).unwrap_err();
            assert!(
                matches!(err, BatchError::InvalidCustomId { .. }),
                "{bad}: {err}"
            );
        }
        assert!(is_valid_custom_id(&"a".repeat(64)));
        let twice = [items[0], items[0]];
        assert_eq!(
            create_request(&endpoint(), &twice).unwrap_err(),
            BatchError::DuplicateCustomId { id: "row-1".into() }
        );
    }

    fn batch(status: &str, counts: [u64; 5], cancel: bool) -> String {
        let [processing, succeeded, errored, canceled, expired] = counts;
        let cancel = if cancel {
            "\"2025-08-21T12:00:00Z\""
        } else {
            "null"
        };
        let url = if status == "ended" {
            "\"https://api.anthropic.com/v1/messages/batches/msgbatch_01/results\""
        } else {
            "null"
        };
        format!(
            r#"{{"id":"msgbatch_01","type":"message_batch","processing_status":"{status}",
            "request_counts":{{"processing":{processing},"succeeded":{succeeded},"errored":{errored},"canceled":{canceled},"expired":{expired}}},
            "created_at":"2025-08-21T11:00:00Z","expires_at":"2025-08-22T11:00:00Z","ended_at":null,
            "cancel_initiated_at":{cancel},"archived_at":null,"results_url":{url}}}"#
        )
    }

    #[test]
    fn every_processing_status_maps() {
        let cases = [
            ("in_progress", [4, 0, 0, 0, 0], false, JobState::Running),
            ("canceling", [4, 0, 0, 0, 0], true, JobState::Cancelling),
            ("ended", [0, 2, 1, 0, 1], false, JobState::Completed),
            ("ended", [0, 1, 0, 3, 0], true, JobState::Cancelled),
            ("ended", [0, 0, 0, 0, 4], false, JobState::Expired),
        ];
        for (status, counts, cancel, state) in cases {
            let (id, job) =
                parse_job(200, &[], batch(status, counts, cancel).as_bytes(), now()).unwrap();
            assert_eq!(id, "msgbatch_01");
            assert_eq!(job.state, state, "{status} {counts:?}");
            assert_eq!(job.total, 4);
            assert_eq!(job.pending, counts[0]);
            assert_eq!(job.succeeded, counts[1]);
            assert_eq!(job.failed, counts[2] + counts[3] + counts[4]);
            assert_eq!(job.output.is_some(), status == "ended");
        }
        let err =
            parse_job(200, &[], batch("paused", [0; 5], false).as_bytes(), now()).unwrap_err();
        assert_eq!(err.kind, FailureKind::Malformed);
        let missing = br#"{"type":"error","error":{"type":"not_found_error","message":"batch not found"},"request_id":"req_1"}"#;
        let err = parse_job(404, &[], missing, now()).unwrap_err();
        assert!(err.message.contains("batch not found"), "{err}");
        let overloaded =
            br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        assert_eq!(
            parse_job(529, &[], overloaded, now()).unwrap_err().kind,
            FailureKind::Overloaded
        );
    }

    #[test]
    fn poll_cancel_and_results_requests() {
        let poll = poll_request(&endpoint(), "msgbatch_01");
        assert_eq!(poll.method, Method::Get);
        assert_eq!(
            poll.url,
            "https://api.anthropic.com/v1/messages/batches/msgbatch_01"
        );
        assert_key_hidden(&poll);
        let cancel = cancel_request(&endpoint(), "msgbatch_01");
        assert_eq!(cancel.method, Method::Post);
        assert_eq!(
            cancel.url,
            "https://api.anthropic.com/v1/messages/batches/msgbatch_01/cancel"
        );
        assert_key_hidden(&cancel);
        let url = "https://api.anthropic.com/v1/messages/batches/msgbatch_01/results";
        let results = results_request(&endpoint(), url).unwrap();
        assert_eq!(results.url, url);
        assert_eq!(
            results.header("accept").unwrap().expose(),
            "application/binary"
        );
        assert_key_hidden(&results);
        let err = results_request(&endpoint(), "https://files.example.net/r").unwrap_err();
        assert!(matches!(err, BatchError::ForeignHost { .. }), "{err}");
        assert!(!err.to_string().contains(KEY));
    }

    #[test]
    fn results_of_every_type_out_of_order() {
        let file = [
            r#"{"custom_id":"r-3","result":{"type":"errored","error":{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"},"request_id":"req_3"}}}"#,
            r#"{"custom_id":"r-1","result":{"type":"succeeded","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":2,"cache_creation_input_tokens":1,"cache_read_input_tokens":2}}}}"#,
            r#"{"custom_id":"r-4","result":{"type":"canceled"}}"#,
            r#"{"custom_id":"r-2","result":{"type":"expired"}}"#,
            r#"{"custom_id":"r-5","result":{"type":"succeeded","message":{"type":"message","content":[{"type":"text","text":"cut"}],"stop_reason":"max_tokens","usage":{"input_tokens":1,"output_tokens":700}}}}"#,
            r#"{"custom_id":"r-6","result":{"type":"errored","error":{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}}}"#,
            r#"{"custom_id":"r-7","result":{"type":"errored","error":{"type":"invalid_request_error","message":"Your credit balance is too low"}}}"#,
        ]
        .join("\n");
        let results = parse_results(file.as_bytes());
        assert!(results.skipped.is_empty());
        let ids: Vec<&str> = results.items.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["r-3", "r-1", "r-4", "r-2", "r-5", "r-6", "r-7"]);
        let failed = |i: usize| match &results.items[i].1 {
            ItemResult::Failed(e) => e.clone(),
            other => panic!("{other:?}"),
        };
        let bad = failed(0);
        assert_eq!(bad.kind, FailureKind::BadRequest);
        assert!(bad.message.contains("max_tokens: Field required"), "{bad}");
        let ItemResult::Done(done) = &results.items[1].1 else {
            panic!()
        };
        assert_eq!(
            (done.text.as_str(), done.input_tokens, done.output_tokens),
            ("Hi", 13, 2)
        );
        assert_eq!(results.items[2].1, ItemResult::Cancelled);
        assert_eq!(results.items[3].1, ItemResult::Expired);
        assert_eq!(failed(4).kind, FailureKind::Truncated);
        assert_eq!(failed(5).kind, FailureKind::Overloaded);
        assert_eq!(failed(6).kind, FailureKind::Quota);
    }

    #[test]
    fn malformed_lines_blame_their_id_or_are_skipped() {
        let file = concat!(
            r#"{"custom_id":"r-1","result":{"type":"succeeded","message":{"content":[{"ty"#,
            "\n",
            r#"{"custom_id":"r-2","result":{"type":"mystery"}}"#,
            "\n",
            r#"{"result":{"type":"expired"}}"#,
            "\n",
            r#"{"custom_id":"r-4"}"#,
            "\n",
            "\u{0}\u{1}binary",
        );
        let results = parse_results(file.as_bytes());
        let ids: Vec<&str> = results.items.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["r-1", "r-2", "r-4"]);
        for (_, item) in &results.items {
            assert!(
                matches!(item, ItemResult::Failed(e) if e.kind == FailureKind::Malformed),
                "{item:?}"
            );
        }
        assert_eq!(
            results.skipped.iter().map(|s| s.line).collect::<Vec<_>>(),
            [3, 5]
        );
    }
}
