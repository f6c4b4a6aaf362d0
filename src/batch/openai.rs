//! The OpenAI Batch API on the wire : the JSONL input line, the multipart file
//! upload, the batch object, and the output and error files. Each line's `body` is the request
//! [`crate::providers::openai`] sends live, and each answer is read by its parser, so a batch
//! answer passes exactly the checks a live one does.
//!
//! Paths are relative to the OpenAI base URL (`…/v1`); the key travels only in the
//! `authorization` header.

use std::time::SystemTime;

use serde_json::{Map, Value, json};

use super::wire::{
    self, BatchItem, ItemResult, JobState, JobStatus, Limits, Results, count, malformed, text,
};
use crate::failure::FailureKind;
use crate::providers::ProviderError;
use crate::providers::dialect::Dialect;
use crate::providers::openai as live;
use crate::providers::wire::percent_encode;
use crate::providers::wire::{Endpoint, HeaderValue, Headers, HttpRequest, Method, get, json_post};

/// 50,000 requests or 200 MB of input file per batch (counted as 200,000,000 bytes, the smaller
/// reading of "MB").
pub const LIMITS: Limits = Limits {
    max_requests: 50_000,
    max_bytes: 200_000_000,
};

/// The endpoint every line and the batch name.
pub const CHAT_ENDPOINT: &str = "/v1/chat/completions";

/// One line of the input file (without its newline):
/// `{"custom_id","method":"POST","url":"/v1/chat/completions","body":{chat request}}`.
pub fn input_line(item: &BatchItem) -> String {
    json!({
        "custom_id": item.custom_id,
        "method": "POST",
        "url": CHAT_ENDPOINT,
        "body": live::request_body(item.request, Dialect::OPENAI),
    })
    .to_string()
}

/// The bytes `item` adds to the input file (its line and newline), for [`wire::split`].
pub fn item_size(item: &BatchItem) -> usize {
    input_line(item).len() + 1
}

/// `POST {base}/files` as `multipart/form-data` with `purpose=batch` and `file` (the JSONL).
/// The boundary is the first of `gen-batch-boundary-0`, `-1`, … that occurs nowhere in the data
/// or the file name, so the body is deterministic and always well-formed.
pub fn upload_request(endpoint: &Endpoint, file_name: &str, jsonl: &[u8]) -> HttpRequest {
    let file_name: String = file_name
        .chars()
        .map(|c| {
            if matches!(c, '"' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let boundary = (0u64..)
        .map(|n| format!("gen-batch-boundary-{n}"))
        .find(|b| !contains(jsonl, b.as_bytes()) && !file_name.contains(b.as_str()))
        .unwrap_or_default();
    let mut body = Vec::with_capacity(jsonl.len() + 512);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/jsonl\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(jsonl);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut headers = vec![(
        "content-type",
        HeaderValue::Plain(format!("multipart/form-data; boundary={boundary}")),
    )];
    headers.extend(live::auth_headers(endpoint));
    HttpRequest {
        method: Method::Post,
        url: endpoint.url("/files"),
        headers,
        body,
    }
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    haystack
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == first)
        .any(|(i, _)| haystack[i + 1..].starts_with(rest))
}

/// Reads the uploaded file object: its `id` (`file-…`).
pub fn parse_upload(
    status: u16,
    headers: &Headers,
    body: &[u8],
    now: SystemTime,
) -> Result<String, ProviderError> {
    let value = decode(status, headers, body, now)?;
    text(value.get("id")).ok_or_else(|| malformed("the uploaded file object has no `id`"))
}

/// `POST {base}/batches` for the uploaded input file, on `/v1/chat/completions` with the `24h`
/// window (the only one). `metadata` (at most 16 pairs, the API says) is sent when not empty.
pub fn create_request(
    endpoint: &Endpoint,
    file_id: &str,
    metadata: &[(&str, &str)],
) -> HttpRequest {
    let mut body = Map::new();
    body.insert("input_file_id".into(), json!(file_id));
    body.insert("endpoint".into(), json!(CHAT_ENDPOINT));
    body.insert("completion_window".into(), json!("24h"));
    if !metadata.is_empty() {
        let pairs: Map<String, Value> = metadata
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        body.insert("metadata".into(), Value::Object(pairs));
    }
    json_post(
        endpoint.url("/batches"),
        live::auth_headers(endpoint),
        &Value::Object(body),
    )
}

/// Reads a batch object (create, poll and cancel all answer one): its `id` and status.
///
/// `validating` → Pending, `in_progress` → Running, `finalizing` → Finalizing, `completed` →
/// Completed, `failed` → Failed, `expired` → Expired, `cancelling` → Cancelling, `cancelled` →
/// Cancelled; any other status is `Malformed`. Counts come from `request_counts`
/// (`pending = total - completed - failed`); validation `errors.data[].message` become the
/// message.
pub fn parse_job(
    status: u16,
    headers: &Headers,
    body: &[u8],
    now: SystemTime,
) -> Result<(String, JobStatus), ProviderError> {
    let value = decode(status, headers, body, now)?;
    let id = text(value.get("id")).ok_or_else(|| malformed("the batch object has no `id`"))?;
    let state = match value.get("status").and_then(Value::as_str) {
        Some("validating") => JobState::Pending,
        Some("in_progress") => JobState::Running,
        Some("finalizing") => JobState::Finalizing,
        Some("completed") => JobState::Completed,
        Some("failed") => JobState::Failed,
        Some("expired") => JobState::Expired,
        Some("cancelling") => JobState::Cancelling,
        Some("cancelled") => JobState::Cancelled,
        other => {
            return Err(malformed(format!(
                "batch {id} has an unknown status {}",
                other.map_or("(none)".to_string(), |s| format!("`{s}`"))
            )));
        }
    };
    let counts = value.get("request_counts");
    let total = count(counts.and_then(|c| c.get("total"))).unwrap_or(0);
    let succeeded = count(counts.and_then(|c| c.get("completed"))).unwrap_or(0);
    let failed = count(counts.and_then(|c| c.get("failed"))).unwrap_or(0);
    let errors: Vec<String> = value
        .pointer("/errors/data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let message = text(e.get("message"))?;
            Some(match e.get("line").and_then(Value::as_u64) {
                Some(line) => format!("line {line}: {message}"),
                None => message,
            })
        })
        .collect();
    Ok((
        id,
        JobStatus {
            state,
            total,
            succeeded,
            failed,
            pending: total.saturating_sub(succeeded + failed),
            output: text(value.get("output_file_id")),
            error_output: text(value.get("error_file_id")),
            message: (!errors.is_empty()).then(|| errors.join("; ")),
        },
    ))
}

/// `GET {base}/batches/{id}`.
pub fn poll_request(endpoint: &Endpoint, batch_id: &str) -> HttpRequest {
    get(
        endpoint.url(&format!("/batches/{}", percent_encode(batch_id))),
        live::auth_headers(endpoint),
    )
}

/// `POST {base}/batches/{id}/cancel` (no body); the answer is the batch object.
pub fn cancel_request(endpoint: &Endpoint, batch_id: &str) -> HttpRequest {
    HttpRequest {
        method: Method::Post,
        url: endpoint.url(&format!("/batches/{}/cancel", percent_encode(batch_id))),
        headers: live::auth_headers(endpoint),
        body: Vec::new(),
    }
}

/// `GET {base}/files/{id}/content`: the output or error file's JSONL.
pub fn content_request(endpoint: &Endpoint, file_id: &str) -> HttpRequest {
    get(
        endpoint.url(&format!("/files/{}/content", percent_encode(file_id))),
        live::auth_headers(endpoint),
    )
}

/// Reads an output or error file. Each line is
/// `{"id","custom_id","response":{"status_code","request_id","body"},"error"}`:
/// - a `response` has its `body` read by the live parser with its `status_code`, so a 2xx
///   answer is checked like a live one and a 4xx/5xx body is classified like a live error;
/// - an `error` with code `batch_expired` is Expired, `batch_cancelled` Cancelled,
///   `request_timeout` a `Timeout` failure, and any other code a `Server` failure (the request
///   itself was accepted when the batch was validated, so the fault is the provider's).
///
/// A line that cannot be read fails its item as `Malformed` if its `custom_id` can be found,
/// and is listed in [`Results::skipped`] otherwise.
pub fn parse_results(jsonl: &[u8]) -> Results {
    let mut results = Results::default();
    for (number, line) in wire::lines(jsonl) {
        wire::read_line(&mut results, number, line, "custom_id", |value| {
            let id = text(value.get("custom_id")).ok_or("no `custom_id`")?;
            Ok((id, read_result(value)?))
        });
    }
    results
}

fn read_result(line: &Value) -> Result<ItemResult, String> {
    match (line.get("response"), line.get("error")) {
        (Some(response), _) if !response.is_null() => {
            let status = response
                .get("status_code")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
                .ok_or("`response.status_code` is missing")?;
            let body = response.get("body").map(wire::to_bytes).unwrap_or_default();
            Ok(match live::parse_body(status, &body) {
                Ok(completion) => ItemResult::Done(completion),
                Err(error) => ItemResult::Failed(error),
            })
        }
        (_, Some(error)) if !error.is_null() => {
            let code = text(error.get("code"));
            let message = text(error.get("message")).unwrap_or_else(|| "(no message)".into());
            let failed = |kind| {
                let label = code.as_deref().unwrap_or("error");
                ItemResult::Failed(ProviderError::new(
                    kind,
                    format!("batch {label}: {message}"),
                ))
            };
            Ok(match code.as_deref() {
                Some("batch_expired") => ItemResult::Expired,
                Some("batch_cancelled") => ItemResult::Cancelled,
                Some("request_timeout") => failed(FailureKind::Timeout),
                _ => failed(FailureKind::Server),
            })
        }
        _ => Err("the line has neither `response` nor `error`".into()),
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
    if value.get("error").is_some_and(|e| !e.is_null()) && value.get("id").is_none() {
        return Err(live::classify_error(500, headers, body, now));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::Request;
    use std::time::{Duration, UNIX_EPOCH};

    const KEY: &str = "sk-proj-SECRET-batch-4242";

    fn endpoint() -> Endpoint<'static> {
        Endpoint {
            base_url: "https://api.openai.com/v1",
            api_key: Some(KEY),
            extra_headers: &[],
        }
    }

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_755_780_000)
    }

    fn request() -> Request {
        Request::sample("gpt-4.1-mini", 512)
    }

    fn assert_key_hidden(http: &HttpRequest) {
        assert!(!http.url.contains(KEY), "{}", http.url);
        assert!(!format!("{http:?}").contains(KEY));
        assert!(!String::from_utf8_lossy(&http.body).contains(KEY));
        let auth = http.header("authorization").unwrap();
        assert!(auth.is_secret());
        assert_eq!(auth.expose(), format!("Bearer {KEY}"));
    }

    #[test]
    fn input_lines_carry_the_live_body() {
        let request = request();
        let item = BatchItem {
            custom_id: "row-1",
            request: &request,
        };
        let line: Value = serde_json::from_str(&input_line(&item)).unwrap();
        let live_body: Value =
            serde_json::from_slice(&live::build(&request, &endpoint()).body).unwrap();
        assert_eq!(line["custom_id"], "row-1");
        assert_eq!(line["method"], "POST");
        assert_eq!(line["url"], "/v1/chat/completions");
        assert_eq!(line["body"], live_body);
        assert!(!input_line(&item).contains('\n'));
        assert_eq!(item_size(&item), input_line(&item).len() + 1);
    }

    #[test]
    fn upload_is_multipart_with_a_boundary_absent_from_the_data() {
        let jsonl = b"{\"a\":1}\n--gen-batch-boundary-0\n";
        let http = upload_request(&endpoint(), "in\"put.jsonl", jsonl);
        assert_eq!(http.url, "https://api.openai.com/v1/files");
        assert_key_hidden(&http);
        let content_type = http.header("content-type").unwrap().expose();
        assert_eq!(
            content_type,
            "multipart/form-data; boundary=gen-batch-boundary-1"
        );
        let body = String::from_utf8(http.body.clone()).unwrap();
        let expected = "--gen-batch-boundary-1\r\n\
            Content-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n\
            --gen-batch-boundary-1\r\n\
            Content-Disposition: form-data; name=\"file\"; filename=\"in_put.jsonl\"\r\n\
            Content-Type: application/jsonl\r\n\r\n\
            {\"a\":1}\n--gen-batch-boundary-0\n\r\n--gen-batch-boundary-1--\r\n";
        assert_eq!(body, expected);
        // Plain data gets the first boundary, and the same bytes give the same body.
        let plain = upload_request(&endpoint(), "input.jsonl", b"{}\n");
        assert!(
            plain
                .header("content-type")
                .unwrap()
                .expose()
                .ends_with("boundary-0")
        );
        assert_eq!(plain, upload_request(&endpoint(), "input.jsonl", b"{}\n"));
    }

    #[test]
    fn upload_answer_gives_the_file_id() {
        let body = br#"{"id":"file-abc","object":"file","bytes":120,"created_at":1,"filename":"input.jsonl","purpose":"batch","status":"processed"}"#;
        assert_eq!(parse_upload(200, &[], body, now()).unwrap(), "file-abc");
        assert_eq!(
            parse_upload(200, &[], b"{}", now()).unwrap_err().kind,
            FailureKind::Malformed
        );
        let refused = br#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#;
        assert_eq!(
            parse_upload(401, &[], refused, now()).unwrap_err().kind,
            FailureKind::Auth
        );
        assert_eq!(
            parse_upload(200, &[], b"{\"id\":", now()).unwrap_err().kind,
            FailureKind::Malformed
        );
    }

    #[test]
    fn create_poll_cancel_and_content_requests() {
        let http = create_request(&endpoint(), "file-abc", &[("run", "42")]);
        assert_eq!(http.url, "https://api.openai.com/v1/batches");
        assert_key_hidden(&http);
        let body: Value = serde_json::from_slice(&http.body).unwrap();
        assert_eq!(
            body,
            json!({"input_file_id": "file-abc", "endpoint": "/v1/chat/completions",
                   "completion_window": "24h", "metadata": {"run": "42"}})
        );
        let bare: Value =
            serde_json::from_slice(&create_request(&endpoint(), "f", &[]).body).unwrap();
        assert!(bare.get("metadata").is_none());

        let poll = poll_request(&endpoint(), "batch_1");
        assert_eq!(
            (poll.method, poll.url.as_str()),
            (Method::Get, "https://api.openai.com/v1/batches/batch_1")
        );
        assert_key_hidden(&poll);
        let cancel = cancel_request(&endpoint(), "batch_1");
        assert_eq!(cancel.method, Method::Post);
        assert_eq!(
            cancel.url,
            "https://api.openai.com/v1/batches/batch_1/cancel"
        );
        assert_key_hidden(&cancel);
        let content = content_request(&endpoint(), "file-out/../x");
        assert_eq!(
            content.url,
            "https://api.openai.com/v1/files/file-out%2F..%2Fx/content"
        );
        assert_key_hidden(&content);
    }

    fn batch(status: &str) -> String {
        format!(
            r#"{{"id":"batch_abc","object":"batch","endpoint":"/v1/chat/completions",
            "errors":null,"input_file_id":"file-abc","completion_window":"24h","status":"{status}",
            "output_file_id":"file-out","error_file_id":"file-err","created_at":1711471533,
            "request_counts":{{"total":100,"completed":95,"failed":2}},"metadata":null}}"#
        )
    }

    #[test]
    fn every_batch_status_maps() {
        let cases = [
            ("validating", JobState::Pending),
            ("in_progress", JobState::Running),
            ("finalizing", JobState::Finalizing),
            ("completed", JobState::Completed),
            ("failed", JobState::Failed),
            ("expired", JobState::Expired),
            ("cancelling", JobState::Cancelling),
            ("cancelled", JobState::Cancelled),
        ];
        for (name, state) in cases {
            let (id, job) = parse_job(200, &[], batch(name).as_bytes(), now()).unwrap();
            assert_eq!(id, "batch_abc");
            assert_eq!(job.state, state, "{name}");
            assert_eq!(
                (job.total, job.succeeded, job.failed, job.pending),
                (100, 95, 2, 3)
            );
            assert_eq!(job.output.as_deref(), Some("file-out"));
            assert_eq!(job.error_output.as_deref(), Some("file-err"));
            assert_eq!(job.message, None);
        }
        let err = parse_job(200, &[], batch("paused").as_bytes(), now()).unwrap_err();
        assert_eq!(err.kind, FailureKind::Malformed);
        assert!(err.message.contains("paused"));
    }

    #[test]
    fn validation_failures_become_the_message() {
        let body = br#"{"id":"batch_x","object":"batch","status":"failed","output_file_id":null,
            "error_file_id":null,"request_counts":{"total":0,"completed":0,"failed":0},
            "errors":{"object":"list","data":[{"code":"invalid_json_line","message":"This line is not parseable as valid JSON.","param":null,"line":3}]}}"#;
        let (_, job) = parse_job(200, &[], body, now()).unwrap();
        assert_eq!(job.state, JobState::Failed);
        assert_eq!((job.output, job.error_output), (None, None));
        assert_eq!(
            job.message.as_deref(),
            Some("line 3: This line is not parseable as valid JSON.")
        );
        let missing = parse_job(404, &[], br#"{"error":{"message":"No batch found with id 'b'.","type":"invalid_request_error","param":null,"code":null}}"#, now()).unwrap_err();
        assert!(missing.message.contains("No batch found"), "{missing}");
    }

    const OK_BODY: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4.1-mini",
        "choices":[{"index":0,"message":{"role":"assistant","content":"Hello","refusal":null},"logprobs":null,"finish_reason":"stop"}],
        "usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}"#;

    #[test]
    fn results_out_of_order_with_every_outcome() {
        let cut = r#"{"id":"chatcmpl-2","choices":[{"index":0,"message":{"role":"assistant","content":"Hel","refusal":null},"finish_reason":"length"}]}"#;
        let file = [
            format!(r#"{{"id":"batch_req_3","custom_id":"r-3","response":{{"status_code":200,"request_id":"req_3","body":{cut}}},"error":null}}"#),
            r#"{"id":"batch_req_2","custom_id":"r-2","response":null,"error":{"code":"batch_expired","message":"This request could not be executed before the completion window expired."}}"#.to_string(),
            format!(r#"{{"id":"batch_req_1","custom_id":"r-1","response":{{"status_code":200,"request_id":"req_1","body":{}}},"error":null}}"#, OK_BODY.replace('\n', " ")),
            r#"{"id":"batch_req_4","custom_id":"r-4","response":null,"error":{"code":"batch_cancelled","message":"This request was cancelled."}}"#.to_string(),
            r#"{"id":"batch_req_5","custom_id":"r-5","response":{"status_code":400,"request_id":"req_5","body":{"error":{"message":"Unsupported value: 'temperature'","type":"invalid_request_error","param":"temperature","code":"unsupported_value"}}},"error":null}"#.to_string(),
            r#"{"id":"batch_req_6","custom_id":"r-6","response":null,"error":{"code":"request_timeout","message":"timed out"}}"#.to_string(),
            r#"{"id":"batch_req_7","custom_id":"r-7","response":{"status_code":429,"body":{"error":{"message":"You exceeded your current quota.","type":"insufficient_quota","code":"insufficient_quota"}}},"error":null}"#.to_string(),
        ]
        .join("\n");
        let results = parse_results(format!("{file}\n\n").as_bytes());
        assert!(results.skipped.is_empty());
        let ids: Vec<&str> = results.items.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["r-3", "r-2", "r-1", "r-4", "r-5", "r-6", "r-7"]);
        let kind = |i: usize| match &results.items[i].1 {
            ItemResult::Failed(e) => e.kind,
            other => panic!("{other:?}"),
        };
        assert_eq!(kind(0), FailureKind::Truncated);
        assert_eq!(results.items[1].1, ItemResult::Expired);
        let ItemResult::Done(done) = &results.items[2].1 else {
            panic!("{:?}", results.items[2])
        };
        assert_eq!(
            (done.text.as_str(), done.input_tokens, done.output_tokens),
            ("Hello", 7, 3)
        );
        assert_eq!(results.items[3].1, ItemResult::Cancelled);
        assert_eq!(kind(4), FailureKind::BadRequest);
        assert_eq!(kind(5), FailureKind::Timeout);
        assert_eq!(kind(6), FailureKind::Quota);
    }

    #[test]
    fn malformed_lines_blame_their_id_or_are_skipped() {
        let file = concat!(
            r#"{"id":"batch_req_1","custom_id":"r-1","response":{"status_code":200,"body":{"choi"#,
            "\n",
            r#"{"id":"batch_req_2","custom_id":"r-2"}"#,
            "\n",
            "not json at all\r\n",
            r#"{"id":"batch_req_4","response":null,"error":{"code":"batch_expired"}}"#,
            "\n",
            r#"{"custom_id":"r-5","response":{"body":{}}}"#,
        );
        let results = parse_results(file.as_bytes());
        let ids: Vec<&str> = results.items.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["r-1", "r-2", "r-5"]);
        for (_, item) in &results.items {
            assert!(
                matches!(item, ItemResult::Failed(e) if e.kind == FailureKind::Malformed),
                "{item:?}"
            );
        }
        assert_eq!(
            results.skipped.iter().map(|s| s.line).collect::<Vec<_>>(),
            [3, 4]
        );
        assert!(results.skipped[0].reason.contains("custom_id"));
    }
}
