//! Tests of the fake's batch APIs through the raw client: each provider's whole run with errored
//! and expired rows, result order, cancel, Gemini's upload protocol, auth and keys in URLs.

use serde_json::{Value, json};

use super::super::{Api, Ended, FakeServer};
use super::{
    ANTHROPIC_KEY, Client, GEMINI_KEY, OPENAI_KEY, OUTLINE, Response, SEO, assert_outline,
    assert_seo, server,
};

const OPENAI_AUTH: &str = "Bearer sk-test-openai-0001";

fn openai(server: &FakeServer, method: &str, target: &str, body: &str) -> Response {
    Client::connect(server).exchange(method, target, &[("authorization", OPENAI_AUTH)], body)
}

fn anthropic(server: &FakeServer, method: &str, target: &str, body: &str) -> Response {
    let headers = [
        ("x-api-key", ANTHROPIC_KEY),
        ("anthropic-version", "2023-06-01"),
    ];
    Client::connect(server).exchange(method, target, &headers, body)
}

fn gemini(server: &FakeServer, method: &str, target: &str, body: &str) -> Response {
    Client::connect(server).exchange(method, target, &[("x-goog-api-key", GEMINI_KEY)], body)
}

fn lines(response: &Response) -> Vec<Value> {
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    String::from_utf8_lossy(&response.body)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Prompts for rows 1..=n: odd rows ask for seo JSON, even ones for an outline.
fn prompt(n: usize) -> &'static str {
    if n % 2 == 1 { SEO } else { OUTLINE }
}

fn openai_line(n: usize) -> String {
    let json_mode = n % 2 == 1;
    let mut body = json!({"model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": prompt(n)}]});
    if json_mode {
        body["response_format"] = json!({"type": "json_object"});
    }
    json!({"custom_id": format!("req-{n}"), "method": "POST", "url": "/v1/chat/completions",
           "body": body})
    .to_string()
}

/// Uploads `rows` lines as a multipart form and creates the batch; returns its id.
fn openai_submit(server: &FakeServer, rows: usize) -> String {
    let jsonl: String = (1..=rows).map(|n| openai_line(n) + "\n").collect();
    let boundary = "fakeBoundary42";
    let form = format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n\
         --{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"in.jsonl\"\r\n\
         content-type: application/jsonl\r\n\r\n{jsonl}\r\n--{boundary}--\r\n"
    );
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let file = Client::connect(server)
        .exchange(
            "POST",
            "/v1/files",
            &[
                ("authorization", OPENAI_AUTH),
                ("content-type", &content_type),
            ],
            &form,
        )
        .json();
    assert_eq!(file["purpose"], "batch", "{file}");
    assert_eq!(file["bytes"], jsonl.len());
    let create = json!({"input_file_id": file["id"], "endpoint": "/v1/chat/completions",
                        "completion_window": "24h"});
    let batch = openai(server, "POST", "/v1/batches", &create.to_string()).json();
    assert_eq!(batch["status"], "validating", "{batch}");
    assert_eq!(batch["object"], "batch");
    batch["id"].as_str().unwrap().to_string()
}

fn openai_poll(server: &FakeServer, id: &str) -> Value {
    openai(server, "GET", &format!("/v1/batches/{id}"), "").json()
}

fn custom_ids(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l["custom_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn openai_batch_walks_its_states_and_splits_output_and_errors() {
    let server = server();
    server.set_batch_failures(Api::OpenAi, Some(3), Some(4));
    let id = openai_submit(&server, 8);
    let states: Vec<Value> = (0..4).map(|_| openai_poll(&server, &id)).collect();
    let names: Vec<&str> = states
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["in_progress", "finalizing", "completed", "completed"]
    );
    assert!(states[0]["output_file_id"].is_null());
    let done = &states[2];
    assert_eq!(
        done["request_counts"],
        json!({"total": 8, "completed": 4, "failed": 4})
    );
    assert!(done["completed_at"].is_u64());
    assert_eq!(
        server.batch_jobs(Api::OpenAi),
        [(id.clone(), "completed".to_string())]
    );

    let output = lines(&openai(
        &server,
        "GET",
        &format!(
            "/v1/files/{}/content",
            done["output_file_id"].as_str().unwrap()
        ),
        "",
    ));
    let ids = custom_ids(&output);
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(sorted, ["req-1", "req-2", "req-5", "req-7"]);
    assert_ne!(ids, sorted, "output lines come shuffled");
    for line in &output {
        assert_eq!(line["response"]["status_code"], 200);
        assert!(line["error"].is_null());
        let text = line["response"]["body"]["choices"][0]["message"]["content"]
            .as_str()
            .unwrap();
        match line["custom_id"].as_str().unwrap() {
            "req-2" => assert_outline(text),
            _ => assert_seo(text),
        }
    }
    let errors = lines(&openai(
        &server,
        "GET",
        &format!(
            "/v1/files/{}/content",
            done["error_file_id"].as_str().unwrap()
        ),
        "",
    ));
    let by_id = |id: &str| {
        errors
            .iter()
            .find(|l| l["custom_id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id("req-3")["response"]["status_code"], 500);
    assert_eq!(
        by_id("req-6")["response"]["body"]["error"]["type"],
        "server_error"
    );
    assert_eq!(by_id("req-4")["error"]["code"], "batch_expired");
    assert!(by_id("req-8")["response"].is_null());
    assert_eq!(errors.len(), 4);

    let second = openai_submit(&server, 1);
    let list = openai(&server, "GET", "/v1/batches?limit=1", "").json();
    assert_eq!(list["data"][0]["id"], second.as_str(), "newest first");
    assert_eq!(list["has_more"], true);
    let rest = openai(
        &server,
        "GET",
        &format!("/v1/batches?limit=5&after={second}"),
        "",
    )
    .json();
    assert_eq!(rest["data"][0]["id"], id.as_str());
    assert_eq!(rest["has_more"], false);
    server.assert_no_violations();
}

#[test]
fn openai_cancel_mid_run_and_whole_job_expiry() {
    let server = server();
    let id = openai_submit(&server, 4);
    assert_eq!(openai_poll(&server, &id)["status"], "in_progress");
    let cancelling = openai(&server, "POST", &format!("/v1/batches/{id}/cancel"), "").json();
    assert_eq!(cancelling["status"], "cancelling");
    let cancelled = openai_poll(&server, &id);
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["cancelled_at"].is_u64());
    let output = lines(&openai(
        &server,
        "GET",
        &format!(
            "/v1/files/{}/content",
            cancelled["output_file_id"].as_str().unwrap()
        ),
        "",
    ));
    assert_eq!(output.len(), 2, "the rows answered before the cancel");
    let errors = lines(&openai(
        &server,
        "GET",
        &format!(
            "/v1/files/{}/content",
            cancelled["error_file_id"].as_str().unwrap()
        ),
        "",
    ));
    assert!(
        errors
            .iter()
            .all(|l| l["error"]["code"] == "batch_cancelled")
    );
    assert_eq!(errors.len(), 2);
    let again = openai(&server, "POST", &format!("/v1/batches/{id}/cancel"), "");
    assert_eq!(again.status, 400);

    server.set_batch_end(Api::OpenAi, Ended::Expired);
    let id = openai_submit(&server, 3);
    let states: Vec<Value> = (0..2).map(|_| openai_poll(&server, &id)).collect();
    assert_eq!(states[1]["status"], "expired");
    let errors = lines(&openai(
        &server,
        "GET",
        &format!(
            "/v1/files/{}/content",
            states[1]["error_file_id"].as_str().unwrap()
        ),
        "",
    ));
    assert_eq!(custom_ids(&errors), ["req-3"]);
    assert_eq!(errors[0]["error"]["code"], "batch_expired");
    server.assert_no_violations();
}

fn anthropic_create(server: &FakeServer, rows: usize) -> Value {
    let requests: Vec<Value> = (1..=rows)
        .map(|n| {
            let mut params = json!({"model": "claude-haiku-4-5", "max_tokens": 512,
                "messages": [{"role": "user", "content": prompt(n)}]});
            if n == 7 {
                params.as_object_mut().unwrap().remove("max_tokens");
            }
            json!({"custom_id": format!("row_{n}"), "params": params})
        })
        .collect();
    let body = json!({ "requests": requests }).to_string();
    anthropic(server, "POST", "/v1/messages/batches", &body).json()
}

fn anthropic_results(server: &FakeServer, batch: &Value) -> Vec<Value> {
    let url = batch["results_url"].as_str().unwrap();
    let path = url.strip_prefix(&server.origin()).unwrap();
    lines(&anthropic(server, "GET", path, ""))
}

#[test]
fn anthropic_batch_ends_with_all_four_result_types_out_of_order() {
    let server = server();
    server.set_batch_failures(Api::Anthropic, Some(2), Some(3));
    let batch = anthropic_create(&server, 7);
    let id = batch["id"].as_str().unwrap().to_string();
    assert_eq!(batch["type"], "message_batch");
    assert_eq!(batch["processing_status"], "in_progress");
    assert!(batch["results_url"].is_null());
    assert_eq!(batch["request_counts"]["processing"], 7);
    let early = anthropic(
        &server,
        "GET",
        &format!("/v1/messages/batches/{id}/results"),
        "",
    );
    assert_eq!(early.status, 404);

    let canceling = anthropic(
        &server,
        "POST",
        &format!("/v1/messages/batches/{id}/cancel"),
        "",
    );
    assert_eq!(canceling.json()["processing_status"], "canceling");
    assert!(canceling.json()["cancel_initiated_at"].is_string());
    let ended = anthropic(&server, "GET", &format!("/v1/messages/batches/{id}"), "").json();
    assert_eq!(ended["processing_status"], "ended");
    assert_eq!(
        ended["request_counts"],
        json!({"processing": 0, "succeeded": 1, "errored": 2, "canceled": 3, "expired": 1})
    );
    let results = anthropic_results(&server, &ended);
    let ids: Vec<&str> = results
        .iter()
        .map(|l| l["custom_id"].as_str().unwrap())
        .collect();
    assert_ne!(
        ids,
        [
            "row_1", "row_2", "row_3", "row_4", "row_5", "row_6", "row_7"
        ]
    );
    let kind = |id: &str| {
        let line = results.iter().find(|l| l["custom_id"] == id).unwrap();
        line["result"]["type"].as_str().unwrap().to_string()
    };
    assert_eq!(
        [
            "row_1", "row_2", "row_3", "row_4", "row_5", "row_6", "row_7"
        ]
        .map(kind),
        [
            "succeeded",
            "errored",
            "expired",
            "errored",
            "canceled",
            "canceled",
            "canceled"
        ]
    );
    let first = results.iter().find(|l| l["custom_id"] == "row_1").unwrap();
    assert_seo(
        first["result"]["message"]["content"][0]["text"]
            .as_str()
            .unwrap(),
    );
    let errored = results.iter().find(|l| l["custom_id"] == "row_2").unwrap();
    assert_eq!(errored["result"]["error"]["type"], "error");
    assert_eq!(errored["result"]["error"]["error"]["type"], "api_error");
    server.assert_no_violations();
}

#[test]
fn anthropic_batch_runs_to_ended_validates_params_late_and_can_expire() {
    let server = server();
    let batch = anthropic_create(&server, 7);
    let id = batch["id"].as_str().unwrap().to_string();
    let ended = anthropic(&server, "GET", &format!("/v1/messages/batches/{id}"), "").json();
    assert_eq!(ended["processing_status"], "ended");
    assert!(ended["ended_at"].is_string());
    assert_eq!(ended["request_counts"]["succeeded"], 6);
    let results = anthropic_results(&server, &ended);
    let bad = results.iter().find(|l| l["custom_id"] == "row_7").unwrap();
    assert_eq!(
        bad["result"]["error"]["error"]["type"],
        "invalid_request_error"
    );
    let outline = results.iter().find(|l| l["custom_id"] == "row_2").unwrap();
    assert_outline(
        outline["result"]["message"]["content"][0]["text"]
            .as_str()
            .unwrap(),
    );

    server.set_batch_end(Api::Anthropic, Ended::Expired);
    let second = anthropic_create(&server, 4);
    let id2 = second["id"].as_str().unwrap().to_string();
    let ended = anthropic(&server, "GET", &format!("/v1/messages/batches/{id2}"), "").json();
    assert_eq!(ended["request_counts"]["expired"], 2);
    assert_eq!(ended["request_counts"]["succeeded"], 2);
    let list = anthropic(&server, "GET", "/v1/messages/batches?limit=1", "").json();
    assert_eq!(list["data"][0]["id"], id2.as_str());
    assert_eq!(list["has_more"], true);
    assert_eq!(server.batch_jobs(Api::Anthropic).len(), 2);

    let body = json!({"requests": [{"custom_id": "has space", "params": {}}]}).to_string();
    let refused = anthropic(&server, "POST", "/v1/messages/batches", &body);
    assert_eq!(refused.status, 400);
    assert!(
        refused.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("custom_id")
    );
    server.assert_no_violations();
}

fn gemini_request(n: usize) -> Value {
    let mut request = json!({"contents": [{"role": "user", "parts": [{"text": prompt(n)}]}]});
    if n % 2 == 1 {
        request["generationConfig"] = json!({"responseMimeType": "application/json"});
    }
    request
}

/// Uploads `data` in two chunks by the resumable protocol; returns the file name.
fn gemini_upload(server: &FakeServer, data: &str) -> String {
    let length = data.len().to_string();
    let mut client = Client::connect(server);
    let start = client.exchange(
        "POST",
        "/upload/v1beta/files",
        &[
            ("x-goog-api-key", GEMINI_KEY),
            ("x-goog-upload-protocol", "resumable"),
            ("x-goog-upload-command", "start"),
            ("x-goog-upload-header-content-length", &length),
            ("x-goog-upload-header-content-type", "application/jsonl"),
        ],
        r#"{"file":{"display_name":"batch-input"}}"#,
    );
    assert_eq!(start.status, 200);
    assert_eq!(start.header("x-goog-upload-status"), Some("active"));
    let url = start.header("x-goog-upload-url").unwrap().to_string();
    let session = url.strip_prefix(&server.origin()).unwrap().to_string();
    let (first, second) = data.split_at(data.len() / 2);
    let middle = first.len().to_string();
    let chunk = client.exchange(
        "POST",
        &session,
        &[
            ("x-goog-api-key", GEMINI_KEY),
            ("x-goog-upload-command", "upload"),
            ("x-goog-upload-offset", "0"),
        ],
        first,
    );
    assert_eq!(chunk.header("x-goog-upload-status"), Some("active"));
    let wrong = client.exchange(
        "POST",
        &session,
        &[
            ("x-goog-upload-command", "upload"),
            ("x-goog-upload-offset", "0"),
        ],
        second,
    );
    assert_eq!(wrong.status, 400, "an offset that skips back is refused");
    let last = client.exchange(
        "POST",
        &session,
        &[
            ("x-goog-upload-command", "upload, finalize"),
            ("x-goog-upload-offset", &middle),
        ],
        second,
    );
    assert_eq!(last.header("x-goog-upload-status"), Some("final"));
    let file = last.json();
    assert_eq!(file["file"]["sizeBytes"], length.as_str());
    assert_eq!(file["file"]["state"], "ACTIVE");
    file["file"]["name"].as_str().unwrap().to_string()
}

fn gemini_poll(server: &FakeServer, name: &str) -> Value {
    gemini(server, "GET", &format!("/v1beta/{name}"), "").json()
}

#[test]
fn gemini_file_batch_uploads_runs_and_downloads_in_order() {
    let server = server();
    server.set_batch_failures(Api::Gemini, Some(3), Some(4));
    let jsonl: String = (1..=5)
        .map(|n| json!({"key": format!("k{n}"), "request": gemini_request(n)}).to_string() + "\n")
        .collect();
    let file = gemini_upload(&server, &jsonl);
    let create = json!({"batch": {"displayName": "run-42", "inputConfig": {"fileName": file}}});
    let created = gemini(
        &server,
        "POST",
        "/v1beta/models/gemini-2.5-flash:batchGenerateContent",
        &create.to_string(),
    )
    .json();
    let name = created["name"].as_str().unwrap().to_string();
    assert_eq!(created["metadata"]["state"], "BATCH_STATE_PENDING");
    assert!(created.get("done").is_none());
    let running = gemini_poll(&server, &name);
    assert_eq!(running["metadata"]["state"], "BATCH_STATE_RUNNING");
    assert!(running.get("done").is_none());
    assert_eq!(
        running["metadata"]["batchStats"]["pendingRequestCount"],
        "2"
    );
    let done = gemini_poll(&server, &name);
    assert_eq!(done["metadata"]["state"], "BATCH_STATE_SUCCEEDED");
    assert_eq!(done["done"], true);
    let stats = &done["metadata"]["batchStats"];
    assert_eq!(stats["requestCount"], "5");
    assert_eq!(stats["successfulRequestCount"], "3");
    assert_eq!(stats["failedRequestCount"], "2");
    let output = done["response"]["responsesFile"].as_str().unwrap();
    assert_eq!(done["metadata"]["output"]["responsesFile"], output);

    let path = format!("/download/v1beta/{output}:download?alt=media");
    let results = lines(&gemini(&server, "GET", &path, ""));
    let keys: Vec<&str> = results.iter().map(|l| l["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["k1", "k2", "k3", "k4", "k5"], "input order");
    let text = |i: usize| {
        results[i]["response"]["candidates"][0]["content"]["parts"][0]["text"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_seo(&text(0));
    assert_outline(&text(1));
    assert_eq!(results[2]["error"]["status"], "INTERNAL");
    assert_eq!(results[3]["error"]["status"], "DEADLINE_EXCEEDED");
    assert_seo(&text(4));
    let list = gemini(&server, "GET", "/v1beta/batches?pageSize=10", "").json();
    assert_eq!(list["operations"][0]["name"], name.as_str());
    assert_eq!(
        gemini(&server, "DELETE", &format!("/v1beta/{name}"), "").status,
        200
    );
    assert_eq!(
        gemini(&server, "DELETE", &format!("/v1beta/{name}"), "").status,
        404
    );
    assert_eq!(gemini(&server, "GET", &path, "").status, 404);
    server.assert_no_violations();
}

#[test]
fn gemini_inline_batch_cancels_mid_run_and_expires() {
    let server = server();
    let inline = |rows: usize| {
        let requests: Vec<Value> = (1..=rows)
            .map(|n| json!({"request": gemini_request(n), "metadata": {"key": format!("k{n}")}}))
            .collect();
        json!({"batch": {"display_name": "inline",
                         "input_config": {"requests": {"requests": requests}}}})
        .to_string()
    };
    let create = |rows| {
        let path = "/v1beta/models/gemini-2.5-flash:batchGenerateContent";
        let created = gemini(&server, "POST", path, &inline(rows)).json();
        created["name"].as_str().unwrap().to_string()
    };
    let name = create(4);
    gemini_poll(&server, &name);
    let cancel = gemini(&server, "POST", &format!("/v1beta/{name}:cancel"), "{}");
    assert_eq!(cancel.json(), json!({}));
    let cancelled = gemini_poll(&server, &name);
    assert_eq!(cancelled["metadata"]["state"], "BATCH_STATE_CANCELLED");
    assert_eq!(cancelled["done"], true);
    let responses = &cancelled["metadata"]["output"]["inlinedResponses"]["inlinedResponses"];
    let responses = responses.as_array().unwrap();
    assert_eq!(responses.len(), 4);
    assert!(responses[0]["response"]["candidates"].is_array());
    assert_eq!(responses[1]["metadata"]["key"], "k2");
    assert_eq!(responses[3]["error"]["status"], "CANCELLED");
    assert_eq!(
        cancelled["response"]["inlinedResponses"]["inlinedResponses"],
        json!(responses)
    );

    server.set_batch_end(Api::Gemini, Ended::Expired);
    let name2 = create(2);
    gemini_poll(&server, &name2);
    assert_eq!(
        gemini_poll(&server, &name2)["metadata"]["state"],
        "BATCH_STATE_EXPIRED"
    );
    let states: Vec<String> = server
        .batch_jobs(Api::Gemini)
        .into_iter()
        .map(|j| j.1)
        .collect();
    assert_eq!(states, ["BATCH_STATE_CANCELLED", "BATCH_STATE_EXPIRED"]);

    let unknown = gemini(
        &server,
        "POST",
        "/v1beta/models/nope:batchGenerateContent",
        &inline(1),
    );
    assert_eq!(unknown.status, 404);
    server.assert_no_violations();
}

#[test]
fn batch_routes_enforce_auth_and_record_keys_in_urls() {
    let server = server();
    let mut client = Client::connect(&server);
    let none = client.exchange("GET", "/v1/batches", &[], "");
    assert_eq!(none.status, 401);
    let wrong = client.exchange(
        "GET",
        "/v1/batches",
        &[("authorization", "Bearer sk-nope")],
        "",
    );
    assert_eq!(wrong.json()["error"]["code"], "invalid_api_key");
    let anthropic_none = client.exchange(
        "GET",
        "/v1/messages/batches",
        &[("anthropic-version", "2023-06-01")],
        "",
    );
    assert_eq!(anthropic_none.status, 401);
    let gemini_wrong =
        client.exchange("GET", "/v1beta/batches/x", &[("x-goog-api-key", "bad")], "");
    assert_eq!(gemini_wrong.status, 400);
    let upload_none = client.exchange("POST", "/upload/v1beta/files", &[], "{}");
    assert_eq!(upload_none.status, 403);
    assert!(server.batch_jobs(Api::OpenAi).is_empty());
    server.assert_no_violations();
    let recorded = server.requests();
    assert_eq!(recorded.len(), 5);
    assert_eq!(recorded[1].key.as_deref(), Some("sk-nope"));
    assert_eq!(recorded[1].status, Some(401));

    let fresh = super::server();
    let listed = openai(&fresh, "GET", &format!("/v1/batches?key={OPENAI_KEY}"), "");
    assert_eq!(listed.status, 200);
    let in_url = Client::connect(&fresh).exchange(
        "GET",
        &format!("/v1beta/batches?key={GEMINI_KEY}"),
        &[],
        "",
    );
    assert_eq!(in_url.status, 400);
    let violations = fresh.violations();
    assert_eq!(violations.len(), 2, "{violations:#?}");
    assert!(
        violations
            .iter()
            .all(|v| v.contains("credential in the URL"))
    );
}
