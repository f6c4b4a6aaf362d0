//! Gemini Batch Mode on the wire : the JSONL input line, the Files API
//! resumable upload, the batch create (file or inline), the batch Operation, the results file
//! and inline responses. Each request is the GenerateContentRequest
//! [`crate::providers::gemini`] sends live, and each answer and error is read by its parser, so
//! a batch answer passes exactly the checks a live one does.
//!
//! Paths are relative to the Gemini base URL (`…/v1beta`). The upload and download services sit
//! beside it: see [`service_url`]. The key travels only in `x-goog-api-key`, never as `?key=`.

use std::time::SystemTime;

use serde_json::{Value, json};

use super::wire::{
    self, BatchError, BatchItem, ItemResult, JobState, JobStatus, Limits, Results, SkippedLine,
    count, malformed, text,
};
use crate::failure::FailureKind;
use crate::providers::ProviderError;
use crate::providers::gemini as live;
use crate::providers::wire::{
    Endpoint, HeaderValue, Headers, HttpRequest, Method, get, header, json_post, percent_encode,
};

/// Inline batches: about 20 MB of create body (counted as 20,000,000 bytes). No request count
/// limit is documented.
pub const INLINE_LIMITS: Limits = Limits {
    max_requests: usize::MAX,
    max_bytes: 20_000_000,
};

/// File batches: an input file of at most 2 GB (counted as 2,000,000,000 bytes). No request
/// count limit is documented.
pub const FILE_LIMITS: Limits = Limits {
    max_requests: usize::MAX,
    max_bytes: 2_000_000_000,
};

/// The upload's `X-Goog-Upload-Header-Content-Type`: what the documented Python example passes
/// (`mime_type='jsonl'`). Which values the API accepts for JSONL is UNVERIFIED.
pub const JSONL_MIME: &str = "jsonl";

/// One line of the input file (without its newline): `{"key", "request": {GenerateContentRequest}}`.
pub fn input_line(item: &BatchItem) -> String {
    json!({"key": item.custom_id, "request": live::request_body(item.request)}).to_string()
}

/// The bytes `item` adds to the input file (its line and newline), for [`wire::split`].
pub fn item_size(item: &BatchItem) -> usize {
    input_line(item).len() + 1
}

/// One entry of an inline batch: `{"request": {…}, "metadata": {"key"}}`.
pub fn inline_entry(item: &BatchItem) -> Value {
    json!({"request": live::request_body(item.request), "metadata": {"key": item.custom_id}})
}

/// The bytes `item` adds to an inline create body (its entry and a comma), for [`wire::split`].
pub fn inline_item_size(item: &BatchItem) -> usize {
    inline_entry(item).to_string().len() + 1
}

/// The URL of a sibling service (`upload`, `download`) of the API at `base_url`: the base's last
/// path segment `S` becomes `{service}/S`, so `https://generativelanguage.googleapis.com/v1beta`
/// gives `…/upload/v1beta` and `…/download/v1beta`, and a loopback fake at
/// `http://127.0.0.1:8080/v1beta` gives `http://127.0.0.1:8080/download/v1beta`. A base with no
/// path gets `/{service}/v1beta`.
pub fn service_url(base_url: &str, service: &str) -> String {
    let base = base_url.trim_end_matches('/');
    let host_start = base.find("://").map_or(0, |i| i + 3);
    match base[host_start..].rfind('/') {
        Some(i) => {
            let at = host_start + i;
            format!("{}/{service}{}", &base[..at], &base[at..])
        }
        None => format!("{base}/{service}/v1beta"),
    }
}

/// `POST {upload}/files` starting a resumable upload of `bytes_len` bytes of JSONL
/// (`X-Goog-Upload-Protocol: resumable`, `X-Goog-Upload-Command: start`); the answer's
/// `x-goog-upload-url` header is the session ([`parse_upload_start`]).
pub fn upload_start_request(
    endpoint: &Endpoint,
    bytes_len: u64,
    display_name: &str,
) -> HttpRequest {
    let mut headers = live::auth_headers(endpoint);
    let plain = |v: &str| HeaderValue::Plain(v.to_string());
    headers.extend([
        ("x-goog-upload-protocol", plain("resumable")),
        ("x-goog-upload-command", plain("start")),
        (
            "x-goog-upload-header-content-length",
            plain(&bytes_len.to_string()),
        ),
        ("x-goog-upload-header-content-type", plain(JSONL_MIME)),
    ]);
    json_post(
        format!("{}/files", service_url(endpoint.base_url, "upload")),
        headers,
        &json!({"file": {"display_name": display_name}}),
    )
}

/// Reads the start answer: the session URL from the `x-goog-upload-url` header.
pub fn parse_upload_start(
    status: u16,
    headers: &Headers,
    body: &[u8],
    now: SystemTime,
) -> Result<String, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(live::classify_error(status, headers, body, now));
    }
    header(headers, "x-goog-upload-url")
        .filter(|url| !url.is_empty())
        .map(str::to_string)
        .ok_or_else(|| malformed("the upload start answer has no `x-goog-upload-url` header"))
}

/// `POST <session URL>` with all the bytes in one chunk (`X-Goog-Upload-Command: upload,
/// finalize`, `X-Goog-Upload-Offset: 0`). The session URL is absolute and carries an
/// `upload_id` query parameter, which is the session, not a credential: the key still goes in
/// `x-goog-api-key`. The URL must be on the base URL's origin, so the key goes nowhere else.
pub fn upload_finish_request(
    endpoint: &Endpoint,
    session_url: &str,
    bytes: &[u8],
) -> Result<HttpRequest, BatchError> {
    wire::same_origin("upload session URL", session_url, endpoint.base_url)?;
    let mut headers = live::auth_headers(endpoint);
    headers.extend([
        (
            "x-goog-upload-command",
            HeaderValue::Plain("upload, finalize".into()),
        ),
        ("x-goog-upload-offset", HeaderValue::Plain("0".into())),
    ]);
    Ok(HttpRequest {
        method: Method::Post,
        url: session_url.to_string(),
        headers,
        body: bytes.to_vec(),
    })
}

/// Reads the finalized upload: the file's `name` (`files/abc123`). An `x-goog-upload-status`
/// other than `final`, or a file in state `FAILED`, is an error.
pub fn parse_upload_finish(
    status: u16,
    headers: &Headers,
    body: &[u8],
    now: SystemTime,
) -> Result<String, ProviderError> {
    if let Some(upload) = header(headers, "x-goog-upload-status").filter(|s| *s != "final") {
        if (200..300).contains(&status) {
            return Err(malformed(format!(
                "the upload is not finalized (x-goog-upload-status: {upload})"
            )));
        }
    }
    let value = decode(status, headers, body, now)?;
    let file = value.get("file").unwrap_or(&value);
    if file.get("state").and_then(Value::as_str) == Some("FAILED") {
        let why = text(file.pointer("/error/message")).unwrap_or_else(|| "(no message)".into());
        return Err(ProviderError::new(
            FailureKind::BadRequest,
            format!("the uploaded file failed processing: {why}"),
        ));
    }
    text(file.get("name"))
        .filter(|n| n.starts_with("files/"))
        .ok_or_else(|| malformed("the uploaded file has no `files/…` name"))
}

/// `POST {base}/models/{model}:batchGenerateContent` for an uploaded input file.
pub fn create_request(
    endpoint: &Endpoint,
    model: &str,
    display_name: &str,
    file_name: &str,
) -> Result<HttpRequest, BatchError> {
    resource_path(file_name, "files")?;
    let body =
        json!({"batch": {"displayName": display_name, "inputConfig": {"fileName": file_name}}});
    Ok(create(endpoint, model, &body))
}

/// `POST {base}/models/{model}:batchGenerateContent` with the requests inline
/// (`inputConfig.requests.requests[]`, each with `metadata.key`). Keys must be unique and the
/// body within [`INLINE_LIMITS`].
pub fn create_inline_request(
    endpoint: &Endpoint,
    model: &str,
    display_name: &str,
    items: &[BatchItem],
) -> Result<HttpRequest, BatchError> {
    wire::unique_ids(items.iter().map(|i| i.custom_id))?;
    let requests: Vec<Value> = items.iter().map(inline_entry).collect();
    let body = json!({"batch": {"displayName": display_name,
        "inputConfig": {"requests": {"requests": requests}}}});
    let http = create(endpoint, model, &body);
    if http.body.len() > INLINE_LIMITS.max_bytes {
        return Err(BatchError::InlineTooLarge {
            bytes: http.body.len(),
            max: INLINE_LIMITS.max_bytes,
        });
    }
    Ok(http)
}

fn create(endpoint: &Endpoint, model: &str, body: &Value) -> HttpRequest {
    let url = endpoint.url(&format!(
        "/models/{}:batchGenerateContent",
        percent_encode(live::model_id(model))
    ));
    json_post(url, live::auth_headers(endpoint), body)
}

/// Reads a batch Operation (create and poll answer one): its name (`batches/…`) and status.
///
/// `metadata.state` `BATCH_STATE_PENDING` (and `_UNSPECIFIED`) → Pending, `_RUNNING` → Running,
/// `_SUCCEEDED` → Completed, `_FAILED` → Failed, `_CANCELLED` → Cancelled, `_EXPIRED` → Expired
/// (the SDKs' `JOB_STATE_*` spellings are read too); other states are `Malformed`. With no
/// state, `done` decides: Completed (Failed if the operation has an `error`), else Pending.
/// `batchStats` counts are int64 strings; the output is `responsesFile` (file input only); an
/// operation `error.message` is the message.
pub fn parse_job(
    status: u16,
    headers: &Headers,
    body: &[u8],
    now: SystemTime,
) -> Result<(String, JobStatus), ProviderError> {
    let value = decode(status, headers, body, now)?;
    let metadata = value.get("metadata");
    let name = text(value.get("name"))
        .or_else(|| text(metadata.and_then(|m| m.get("name"))))
        .ok_or_else(|| malformed("the batch operation has no `name`"))?;
    let done = value.get("done").and_then(Value::as_bool) == Some(true);
    let error = text(value.pointer("/error/message"));
    let raw_state = metadata
        .and_then(|m| m.get("state"))
        .and_then(Value::as_str);
    let suffix = raw_state.map(|s| {
        s.strip_prefix("BATCH_STATE_")
            .or_else(|| s.strip_prefix("JOB_STATE_"))
            .unwrap_or(s)
    });
    let state = match suffix {
        Some("PENDING" | "UNSPECIFIED" | "QUEUED") => JobState::Pending,
        Some("RUNNING") => JobState::Running,
        Some("SUCCEEDED") => JobState::Completed,
        Some("FAILED") => JobState::Failed,
        Some("CANCELLED") => JobState::Cancelled,
        Some("EXPIRED") => JobState::Expired,
        None if done && error.is_some() => JobState::Failed,
        None if done => JobState::Completed,
        None => JobState::Pending,
        Some(_) => {
            return Err(malformed(format!(
                "batch {name} has an unknown state `{}`",
                raw_state.unwrap_or_default()
            )));
        }
    };
    let stats = metadata.and_then(|m| m.get("batchStats"));
    let n = |field: &str| count(stats.and_then(|s| s.get(field)));
    let total = n("requestCount").unwrap_or(0);
    let succeeded = n("successfulRequestCount").unwrap_or(0);
    let failed = n("failedRequestCount").unwrap_or(0);
    let pending = n("pendingRequestCount").unwrap_or(total.saturating_sub(succeeded + failed));
    let output = text(metadata.and_then(|m| m.pointer("/output/responsesFile")))
        .or_else(|| text(value.pointer("/response/responsesFile")));
    Ok((
        name,
        JobStatus {
            state,
            total,
            succeeded,
            failed,
            pending,
            output,
            error_output: None,
            message: error,
        },
    ))
}

/// `GET {base}/batches/{id}` for a batch named `batches/{id}`.
pub fn poll_request(endpoint: &Endpoint, name: &str) -> Result<HttpRequest, BatchError> {
    let path = resource_path(name, "batches")?;
    Ok(get(endpoint.url(&path), live::auth_headers(endpoint)))
}

/// `POST {base}/batches/{id}:cancel` with `{}`; a later poll shows `BATCH_STATE_CANCELLED`.
pub fn cancel_request(endpoint: &Endpoint, name: &str) -> Result<HttpRequest, BatchError> {
    let path = resource_path(name, "batches")?;
    Ok(json_post(
        endpoint.url(&format!("{path}:cancel")),
        live::auth_headers(endpoint),
        &json!({}),
    ))
}

/// `GET {download}/files/{id}:download?alt=media` for a results file named `files/{id}`, on the
/// download service beside the base URL ([`service_url`]).
pub fn download_request(endpoint: &Endpoint, file_name: &str) -> Result<HttpRequest, BatchError> {
    let path = resource_path(file_name, "files")?;
    let url = format!(
        "{}{path}:download?alt=media",
        service_url(endpoint.base_url, "download")
    );
    Ok(get(url, live::auth_headers(endpoint)))
}

/// `/{collection}/{id}` for a resource named `{collection}/{id}`, the id percent-encoded so it
/// cannot add path segments or query parameters.
fn resource_path(name: &str, collection: &'static str) -> Result<String, BatchError> {
    match name
        .strip_prefix(collection)
        .and_then(|r| r.strip_prefix('/'))
    {
        Some(id) if !id.is_empty() => Ok(format!("/{collection}/{}", percent_encode(id))),
        _ => Err(BatchError::InvalidName {
            name: name.to_string(),
            expected: collection,
        }),
    }
}

/// Reads the results file: `{"key", "response": {GenerateContentResponse}}` or
/// `{"key", "error": {code, message, status}}` per line (the error field's name is UNVERIFIED,
/// so a `status` object is read the same way). A response is read by the live parser; an error
/// is classified as the live API would classify that status body. Gemini reports no per-item
/// expiry or cancellation: items of an expired or cancelled job are simply absent.
///
/// A line that cannot be read fails its item as `Malformed` if its `key` can be found, and is
/// listed in [`Results::skipped`] otherwise.
pub fn parse_results(jsonl: &[u8]) -> Results {
    let mut results = Results::default();
    for (number, line) in wire::lines(jsonl) {
        wire::read_line(&mut results, number, line, "key", |value| {
            let key = text(value.get("key")).ok_or("no `key`")?;
            Ok((key, read_entry(value)?))
        });
    }
    results
}

/// Reads the inline responses of a finished inline batch's Operation body:
/// `metadata.output.inlinedResponses.inlinedResponses[]` (or the same under `response`), each
/// `{"response", "metadata": {"key"}}` or `{"error"}`, in input order. An entry without
/// `metadata.key` takes the key at its position in `keys` (the custom ids as submitted); one
/// with neither is listed in [`Results::skipped`]. A job that was cancelled, expired or failed
/// may carry no responses at all: it has no results, and its rows end with the job's fate, as
/// on the other providers.
pub fn parse_inline_results(
    operation_body: &[u8],
    keys: &[&str],
) -> Result<Results, ProviderError> {
    let value: Value = serde_json::from_slice(operation_body.trim_ascii())
        .map_err(|e| malformed(format!("the batch operation is not valid JSON: {e}")))?;
    let entries = value
        .pointer("/metadata/output/inlinedResponses/inlinedResponses")
        .or_else(|| value.pointer("/response/inlinedResponses/inlinedResponses"))
        .and_then(Value::as_array);
    let Some(entries) = entries else {
        let ended_early =
            parse_job(200, &[], operation_body, SystemTime::UNIX_EPOCH).is_ok_and(|(_, job)| {
                matches!(
                    job.state,
                    JobState::Cancelled | JobState::Expired | JobState::Failed
                )
            });
        if ended_early {
            return Ok(Results::default());
        }
        return Err(malformed("the batch operation has no inline responses"));
    };
    let mut results = Results::default();
    for (index, entry) in entries.iter().enumerate() {
        let key =
            text(entry.pointer("/metadata/key")).or_else(|| keys.get(index).map(|k| k.to_string()));
        let Some(key) = key else {
            results.skipped.push(SkippedLine {
                line: index + 1,
                reason: format!("inline response {index} has no key and no input at its position"),
            });
            continue;
        };
        let item = read_entry(entry).unwrap_or_else(|why| {
            ItemResult::Failed(malformed(format!("inline response {index}: {why}")))
        });
        results.items.push((key, item));
    }
    Ok(results)
}

/// One result: a GenerateContentResponse, or a google.rpc Status.
fn read_entry(entry: &Value) -> Result<ItemResult, String> {
    if let Some(response) = entry.get("response").filter(|r| !r.is_null()) {
        return Ok(match live::parse_body(200, &wire::to_bytes(response)) {
            Ok(completion) => ItemResult::Done(completion),
            Err(error) => ItemResult::Failed(error),
        });
    }
    let status = ["error", "status"]
        .iter()
        .find_map(|field| entry.get(*field).filter(|s| s.is_object()))
        .ok_or("the entry has neither `response` nor `error`")?;
    // A row the job never reached: Gemini's statuses for a closed window or a cancel (the row
    // shape is not confirmed by Google's documentation; these two names are the google.rpc codes that fit).
    match status.get("status").and_then(Value::as_str) {
        Some("DEADLINE_EXCEEDED") => return Ok(ItemResult::Expired),
        Some("CANCELLED") => return Ok(ItemResult::Cancelled),
        _ => {}
    }
    let code = status
        .get("code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (400..600).contains(c))
        .unwrap_or(500);
    let body = wire::to_bytes(&json!({"error": status}));
    Ok(ItemResult::Failed(live::classify_error(
        code,
        &[],
        &body,
        SystemTime::UNIX_EPOCH,
    )))
}

/// The JSON of a 2xx control answer; any other status, or a 2xx carrying only an `error`, is
/// classified as the live API's errors are.
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
    let only_error =
        value.get("error").is_some() && value.get("name").is_none() && value.get("file").is_none();
    if only_error {
        let code = value
            .pointer("/error/code")
            .and_then(Value::as_u64)
            .and_then(|c| u16::try_from(c).ok())
            .filter(|c| (400..600).contains(c))
            .unwrap_or(500);
        return Err(live::classify_error(code, headers, body, now));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::Request;
    use std::time::{Duration, UNIX_EPOCH};

    const KEY: &str = "AIzaSy-SECRET-batch-7777";
    const BASE: &str = "https://generativelanguage.googleapis.com/v1beta";

    fn endpoint() -> Endpoint<'static> {
        Endpoint {
            base_url: BASE,
            api_key: Some(KEY),
            extra_headers: &[],
        }
    }

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_755_780_000)
    }

    fn request() -> Request {
        Request::sample("gemini-2.5-flash", 1024)
    }

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn assert_key_hidden(http: &HttpRequest) {
        assert!(
            !http.url.contains(KEY) && !http.url.contains("key="),
            "{}",
            http.url
        );
        assert!(!format!("{http:?}").contains(KEY));
        assert!(!String::from_utf8_lossy(&http.body).contains(KEY));
        let key = http.header("x-goog-api-key").unwrap();
        assert!(key.is_secret() && key.expose() == KEY);
    }

    #[test]
    fn lines_and_inline_entries_carry_the_live_body() {
        let request = request();
        let item = BatchItem {
            custom_id: "row-1",
            request: &request,
        };
        let line: Value = serde_json::from_str(&input_line(&item)).unwrap();
        let live_body: Value =
            serde_json::from_slice(&live::build(&request, &endpoint()).body).unwrap();
        assert_eq!(line, json!({"key": "row-1", "request": live_body}));
        assert_eq!(item_size(&item), input_line(&item).len() + 1);

        let http = create_inline_request(&endpoint(), "models/gemini-2.5-flash", "run-42", &[item])
            .unwrap();
        assert_eq!(
            http.url,
            format!("{BASE}/models/gemini-2.5-flash:batchGenerateContent")
        );
        assert_key_hidden(&http);
        let body: Value = serde_json::from_slice(&http.body).unwrap();
        assert_eq!(
            body,
            json!({"batch": {"displayName": "run-42", "inputConfig": {"requests": {"requests": [
                {"request": live_body, "metadata": {"key": "row-1"}}]}}}})
        );
        assert!(inline_item_size(&item) > 10);
        assert_eq!(
            create_inline_request(&endpoint(), "m", "r", &[item, item]).unwrap_err(),
            BatchError::DuplicateCustomId { id: "row-1".into() }
        );
        let mut huge = request.clone();
        huge.prompt = "x".repeat(INLINE_LIMITS.max_bytes);
        let big = BatchItem {
            custom_id: "big",
            request: &huge,
        };
        assert!(matches!(
            create_inline_request(&endpoint(), "m", "r", &[big]).unwrap_err(),
            BatchError::InlineTooLarge { .. }
        ));
    }

    #[test]
    fn sibling_services_replace_the_version_segment() {
        assert_eq!(
            service_url(BASE, "download"),
            "https://generativelanguage.googleapis.com/download/v1beta"
        );
        assert_eq!(
            service_url("http://127.0.0.1:8080/v1beta/", "upload"),
            "http://127.0.0.1:8080/upload/v1beta"
        );
        assert_eq!(
            service_url("http://127.0.0.1:8080/gemini/v1beta", "download"),
            "http://127.0.0.1:8080/gemini/download/v1beta"
        );
        assert_eq!(
            service_url("http://127.0.0.1:8080", "upload"),
            "http://127.0.0.1:8080/upload/v1beta"
        );
    }

    #[test]
    fn resumable_upload_start_and_finish() {
        let start = upload_start_request(&endpoint(), 1234, "batch-input");
        assert_eq!(start.method, Method::Post);
        assert_eq!(
            start.url,
            "https://generativelanguage.googleapis.com/upload/v1beta/files"
        );
        assert_key_hidden(&start);
        let expose =
            |http: &HttpRequest, name: &str| http.header(name).unwrap().expose().to_string();
        assert_eq!(expose(&start, "X-Goog-Upload-Protocol"), "resumable");
        assert_eq!(expose(&start, "X-Goog-Upload-Command"), "start");
        assert_eq!(
            expose(&start, "X-Goog-Upload-Header-Content-Length"),
            "1234"
        );
        assert_eq!(expose(&start, "X-Goog-Upload-Header-Content-Type"), "jsonl");
        assert_eq!(expose(&start, "content-type"), "application/json");
        let body: Value = serde_json::from_slice(&start.body).unwrap();
        assert_eq!(body, json!({"file": {"display_name": "batch-input"}}));

        let session = "https://generativelanguage.googleapis.com/upload/v1beta/files?upload_id=ABC123&upload_protocol=resumable";
        let url =
            parse_upload_start(200, &h(&[("X-Goog-Upload-URL", session)]), b"", now()).unwrap();
        assert_eq!(url, session);
        assert_eq!(
            parse_upload_start(200, &[], b"{}", now()).unwrap_err().kind,
            FailureKind::Malformed
        );
        let invalid = br#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}"#;
        assert_eq!(
            parse_upload_start(400, &[], invalid, now())
                .unwrap_err()
                .kind,
            FailureKind::Auth
        );

        let finish = upload_finish_request(&endpoint(), &url, b"{\"key\":\"a\"}\n").unwrap();
        assert_eq!(finish.url, session);
        assert_key_hidden(&finish);
        assert_eq!(expose(&finish, "x-goog-upload-command"), "upload, finalize");
        assert_eq!(expose(&finish, "x-goog-upload-offset"), "0");
        assert_eq!(finish.body, b"{\"key\":\"a\"}\n");
        let err = upload_finish_request(&endpoint(), "https://evil.test/upload?upload_id=1", b"x")
            .unwrap_err();
        assert!(matches!(err, BatchError::ForeignHost { .. }));

        let done = br#"{"file":{"name":"files/abc123","mimeType":"jsonl","sizeBytes":"12","uri":"https://x/files/abc123","state":"ACTIVE"}}"#;
        let final_headers = h(&[("x-goog-upload-status", "final")]);
        assert_eq!(
            parse_upload_finish(200, &final_headers, done, now()).unwrap(),
            "files/abc123"
        );
        assert_eq!(
            parse_upload_finish(200, &[], done, now()).unwrap(),
            "files/abc123"
        );
        let active = h(&[("x-goog-upload-status", "active")]);
        assert_eq!(
            parse_upload_finish(200, &active, done, now())
                .unwrap_err()
                .kind,
            FailureKind::Malformed
        );
        let failed =
            br#"{"file":{"name":"files/abc123","state":"FAILED","error":{"message":"bad bytes"}}}"#;
        let err = parse_upload_finish(200, &final_headers, failed, now()).unwrap_err();
        assert_eq!(err.kind, FailureKind::BadRequest);
        assert!(err.message.contains("bad bytes"));
    }

    #[test]
    fn create_poll_cancel_and_download_requests() {
        let http =
            create_request(&endpoint(), "gemini-2.5-flash", "run-42", "files/abc123").unwrap();
        assert_eq!(
            http.url,
            format!("{BASE}/models/gemini-2.5-flash:batchGenerateContent")
        );
        assert_key_hidden(&http);
        let body: Value = serde_json::from_slice(&http.body).unwrap();
        assert_eq!(
            body,
            json!({"batch": {"displayName": "run-42", "inputConfig": {"fileName": "files/abc123"}}})
        );
        assert!(matches!(
            create_request(&endpoint(), "m", "r", "abc123").unwrap_err(),
            BatchError::InvalidName { .. }
        ));

        let poll = poll_request(&endpoint(), "batches/xyz").unwrap();
        assert_eq!(
            (poll.method, poll.url.as_str()),
            (Method::Get, &*format!("{BASE}/batches/xyz"))
        );
        assert_key_hidden(&poll);
        let cancel = cancel_request(&endpoint(), "batches/xyz").unwrap();
        assert_eq!(cancel.url, format!("{BASE}/batches/xyz:cancel"));
        assert_eq!(cancel.body, b"{}");
        assert_key_hidden(&cancel);
        let download = download_request(&endpoint(), "files/batch-xyz").unwrap();
        assert_eq!(
            download.url,
            "https://generativelanguage.googleapis.com/download/v1beta/files/batch-xyz:download?alt=media"
        );
        assert_key_hidden(&download);
        for bad in ["xyz", "batches/", "files/xyz"] {
            assert!(poll_request(&endpoint(), bad).is_err(), "{bad}");
        }
        assert_eq!(
            poll_request(&endpoint(), "batches/a/../b?key=1")
                .unwrap()
                .url,
            format!("{BASE}/batches/a%2F..%2Fb%3Fkey%3D1")
        );
    }

    fn operation(state: &str, done: bool) -> String {
        let done = if done {
            r#","done":true,"response":{"responsesFile":"files/batch-xyz"}"#
        } else {
            ""
        };
        format!(
            r#"{{"name":"batches/xyz","metadata":{{"@type":"type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
            "name":"batches/xyz","model":"models/gemini-2.5-flash","displayName":"run-42",
            "batchStats":{{"requestCount":"5","successfulRequestCount":"2","failedRequestCount":"1","pendingRequestCount":"2"}},
            "state":"{state}","output":{{"responsesFile":"files/batch-xyz"}}}}{done}}}"#
        )
    }

    #[test]
    fn every_batch_state_maps_with_string_counts() {
        let cases = [
            ("BATCH_STATE_UNSPECIFIED", false, JobState::Pending),
            ("BATCH_STATE_PENDING", false, JobState::Pending),
            ("BATCH_STATE_RUNNING", false, JobState::Running),
            ("BATCH_STATE_SUCCEEDED", true, JobState::Completed),
            ("BATCH_STATE_FAILED", true, JobState::Failed),
            ("BATCH_STATE_CANCELLED", true, JobState::Cancelled),
            ("BATCH_STATE_EXPIRED", true, JobState::Expired),
            ("JOB_STATE_SUCCEEDED", true, JobState::Completed),
        ];
        for (wire_state, done, state) in cases {
            let (name, job) =
                parse_job(200, &[], operation(wire_state, done).as_bytes(), now()).unwrap();
            assert_eq!(name, "batches/xyz");
            assert_eq!(job.state, state, "{wire_state}");
            assert_eq!(
                (job.total, job.succeeded, job.failed, job.pending),
                (5, 2, 1, 2)
            );
            assert_eq!(job.output.as_deref(), Some("files/batch-xyz"));
        }
        let err = parse_job(
            200,
            &[],
            operation("BATCH_STATE_PAUSED", false).as_bytes(),
            now(),
        )
        .unwrap_err();
        assert_eq!(err.kind, FailureKind::Malformed);
        // The create answer: no `done`, no stats, no output yet.
        let created = br#"{"name":"batches/xyz","metadata":{"name":"batches/xyz","state":"BATCH_STATE_PENDING"}}"#;
        let (_, job) = parse_job(200, &[], created, now()).unwrap();
        assert_eq!(
            (job.state, job.total, job.pending, job.output),
            (JobState::Pending, 0, 0, None)
        );
        let failed = br#"{"name":"batches/xyz","done":true,"error":{"code":3,"message":"line 2 is not valid"}}"#;
        let (_, job) = parse_job(200, &[], failed, now()).unwrap();
        assert_eq!(job.state, JobState::Failed);
        assert_eq!(job.message.as_deref(), Some("line 2 is not valid"));
        let missing = br#"{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND"}}"#;
        assert!(
            parse_job(404, &[], missing, now())
                .unwrap_err()
                .message
                .contains("not found")
        );
        assert_eq!(
            parse_job(200, &[], missing, now()).unwrap_err().kind,
            FailureKind::ModelNotFound
        );
    }

    const OK: &str = r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"Hi"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":3,"thoughtsTokenCount":4}}"#;

    #[test]
    fn result_lines_of_every_kind() {
        let file = [
            r#"{"key":"r-2","response":{"candidates":[{"content":{"parts":[{"text":"cut"}]},"finishReason":"MAX_TOKENS"}]}}"#.to_string(),
            format!(r#"{{"key":"r-1","response":{OK}}}"#),
            r#"{"key":"r-3","error":{"code":400,"message":"Invalid JSON payload","status":"INVALID_ARGUMENT"}}"#.to_string(),
            r#"{"key":"r-4","response":{"promptFeedback":{"blockReason":"SAFETY"}}}"#.to_string(),
            r#"{"key":"r-5","status":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}"#.to_string(),
            r#"{"key":"r-6","response":{"candid"#.to_string(),
            r#"{"response":{}}"#.to_string(),
            r#"{"key":"r-8"}"#.to_string(),
        ]
        .join("\n");
        let results = parse_results(file.as_bytes());
        let ids: Vec<&str> = results.items.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["r-2", "r-1", "r-3", "r-4", "r-5", "r-6", "r-8"]);
        let kind = |i: usize| match &results.items[i].1 {
            ItemResult::Failed(e) => e.kind,
            other => panic!("{other:?}"),
        };
        assert_eq!(kind(0), FailureKind::Truncated);
        let ItemResult::Done(done) = &results.items[1].1 else {
            panic!()
        };
        assert_eq!(
            (done.text.as_str(), done.input_tokens, done.output_tokens),
            ("Hi", 8, 7)
        );
        assert_eq!(kind(2), FailureKind::BadRequest);
        assert_eq!(kind(3), FailureKind::ContentBlocked);
        assert_eq!(kind(4), FailureKind::Overloaded);
        assert_eq!(kind(5), FailureKind::Malformed);
        assert_eq!(kind(6), FailureKind::Malformed);
        assert_eq!(results.skipped.len(), 1);
        assert_eq!(results.skipped[0].line, 7);
    }

    #[test]
    fn inline_results_use_metadata_keys_or_input_order() {
        let body = format!(
            r#"{{"name":"batches/xyz","done":true,"metadata":{{"state":"BATCH_STATE_SUCCEEDED",
            "output":{{"inlinedResponses":{{"inlinedResponses":[
                {{"response":{OK},"metadata":{{"key":"r-1"}}}},
                {{"error":{{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED"}}}},
                {{"response":{OK}}},
                {{"metadata":{{"key":"r-4"}}}}
            ]}}}}}}}}"#
        );
        let results = parse_inline_results(body.as_bytes(), &["r-1", "r-2", "r-3"]).unwrap();
        let ids: Vec<&str> = results.items.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["r-1", "r-2", "r-3", "r-4"]);
        assert!(matches!(results.items[0].1, ItemResult::Done(_)));
        assert!(
            matches!(&results.items[1].1, ItemResult::Failed(e) if e.kind == FailureKind::RateLimited)
        );
        assert!(matches!(results.items[2].1, ItemResult::Done(_)));
        assert!(
            matches!(&results.items[3].1, ItemResult::Failed(e) if e.kind == FailureKind::Malformed)
        );
        let short = parse_inline_results(body.as_bytes(), &["r-1"]).unwrap();
        let ids: Vec<&str> = short.items.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["r-1", "r-4"]);
        let lines: Vec<usize> = short.skipped.iter().map(|s| s.line).collect();
        assert_eq!(lines, [2, 3]);
        let none = parse_inline_results(operation("BATCH_STATE_SUCCEEDED", true).as_bytes(), &[]);
        assert_eq!(none.unwrap_err().kind, FailureKind::Malformed);
        // A job that ended early carries no responses: no results, and its rows end with its
        // fate, as on the other providers.
        for state in [
            "BATCH_STATE_CANCELLED",
            "BATCH_STATE_EXPIRED",
            "BATCH_STATE_FAILED",
        ] {
            let ended = parse_inline_results(operation(state, true).as_bytes(), &["r-1"]);
            assert!(ended.unwrap().items.is_empty(), "{state}");
        }
    }
}
