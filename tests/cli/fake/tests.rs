//! Tests of the fake itself, through a tiny raw HTTP/1.1 client on `TcpStream`, so the fake is
//! known to speak the wire formats before `gen` is tested against it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Api, Behavior, FakeServer, ResetHeader, Times};

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    fn connect(server: &FakeServer) -> Self {
        let stream = TcpStream::connect(server.addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        Client {
            writer: stream.try_clone().unwrap(),
            reader: BufReader::new(stream),
        }
    }

    fn send(&mut self, method: &str, target: &str, headers: &[(&str, &str)], body: &str) {
        let mut head = format!("{method} {target} HTTP/1.1\r\nhost: 127.0.0.1\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if method == "POST" {
            head.push_str("content-type: application/json\r\n");
        }
        head.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
        self.writer.write_all(head.as_bytes()).unwrap();
    }

    /// Status and headers of the next response.
    fn read_head(&mut self) -> (u16, Vec<(String, String)>) {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status = line
            .split_whitespace()
            .nth(1)
            .unwrap_or_else(|| panic!("status line {line:?}"))
            .parse()
            .unwrap();
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
        }
        (status, headers)
    }

    fn receive(&mut self) -> Response {
        let (status, headers) = self.read_head();
        let mut response = Response {
            status,
            headers,
            body: Vec::new(),
        };
        if response.header("transfer-encoding") == Some("chunked") {
            loop {
                let mut size = String::new();
                self.reader.read_line(&mut size).unwrap();
                let size = usize::from_str_radix(size.trim(), 16).unwrap();
                let mut chunk = vec![0; size + 2];
                self.reader.read_exact(&mut chunk).unwrap();
                if size == 0 {
                    break;
                }
                response.body.extend_from_slice(&chunk[..size]);
            }
        } else {
            let length: usize = response.header("content-length").unwrap().parse().unwrap();
            response.body = vec![0; length];
            self.reader.read_exact(&mut response.body).unwrap();
        }
        response
    }

    fn exchange(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Response {
        self.send(method, target, headers, body);
        self.receive()
    }
}

const OPENAI_KEY: &str = "sk-test-openai-0001";
const ANTHROPIC_KEY: &str = "sk-ant-test-0001";
const GEMINI_KEY: &str = "AIza-test-0001";

fn server() -> FakeServer {
    let server = FakeServer::start();
    server.add_key(Api::OpenAi, OPENAI_KEY);
    server.add_key(Api::Anthropic, ANTHROPIC_KEY);
    server.add_key(Api::Gemini, GEMINI_KEY);
    server
}

fn openai_body(prompt: &str) -> String {
    json!({"model": "gpt-4o-mini", "messages": [
        {"role": "system", "content": "You are a content strategist."},
        {"role": "user", "content": prompt}]})
    .to_string()
}

fn anthropic_body(prompt: &str) -> String {
    json!({"model": "claude-haiku-4-5", "max_tokens": 512,
           "messages": [{"role": "user", "content": prompt}]})
    .to_string()
}

fn gemini_body(prompt: &str) -> String {
    json!({"contents": [{"role": "user", "parts": [{"text": prompt}]}]}).to_string()
}

const OUTLINE: &str = "Write an article outline for the keyword \"trail running\".";
const SEO: &str = "Write SEO metadata for a web page about \"trail running\". Keys: \
                   \"title\", \"meta_description\", \"slug\".";

/// One request to `api` with its proper auth, on a fresh connection.
fn call(server: &FakeServer, api: Api, prompt: &str) -> Response {
    let mut client = Client::connect(server);
    match api {
        Api::OpenAi => client.exchange(
            "POST",
            "/v1/chat/completions",
            &[("authorization", &format!("Bearer {OPENAI_KEY}"))],
            &openai_body(prompt),
        ),
        Api::Anthropic => client.exchange(
            "POST",
            "/v1/messages",
            &[
                ("x-api-key", ANTHROPIC_KEY),
                ("anthropic-version", "2023-06-01"),
            ],
            &anthropic_body(prompt),
        ),
        Api::Gemini => client.exchange(
            "POST",
            "/v1beta/models/gemini-2.5-flash:generateContent",
            &[("x-goog-api-key", GEMINI_KEY)],
            &gemini_body(prompt),
        ),
    }
}

/// The answer text of a 200 in any of the three shapes.
fn text(api: Api, body: &Value) -> String {
    let text = match api {
        Api::OpenAi => &body["choices"][0]["message"]["content"],
        Api::Anthropic => &body["content"][0]["text"],
        Api::Gemini => &body["candidates"][0]["content"]["parts"][0]["text"],
    };
    text.as_str()
        .unwrap_or_else(|| panic!("no text in {body}"))
        .to_string()
}

fn assert_outline(text: &str) {
    assert!(text.starts_with("# Trail Running\n"), "{text}");
    assert!(text.lines().filter(|l| l.starts_with("## ")).count() >= 4);
}

fn assert_seo(text: &str) {
    let seo: Value = serde_json::from_str(text).unwrap();
    assert!(seo["title"].as_str().unwrap().contains("Trail Running"));
    assert!(seo["meta_description"].as_str().unwrap().chars().count() <= 160);
    assert_eq!(seo["slug"], "trail-running");
}

#[test]
fn openai_answers_outlines_and_json_with_rate_limit_headers() {
    let server = server();
    let response = call(&server, Api::OpenAi, OUTLINE);
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert!(body["usage"]["total_tokens"].as_u64().unwrap() > 0);
    assert_outline(&text(Api::OpenAi, &body));
    assert_eq!(
        response.header("x-ratelimit-remaining-requests"),
        Some("9999")
    );
    assert!(response.header("x-ratelimit-reset-tokens").is_some());

    // json_schema structured output, at a DeepSeek-style base without /v1.
    let mut client = Client::connect(&server);
    let request = json!({"model": "deepseek-chat", "messages": [{"role": "user", "content": "\"trail running\""}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "seo", "strict": true,
            "schema": {"type": "object"}}}});
    let response = client.exchange(
        "POST",
        "/chat/completions",
        &[("authorization", &format!("Bearer {OPENAI_KEY}"))],
        &request.to_string(),
    );
    assert_eq!(response.status, 200);
    assert_seo(&text(Api::OpenAi, &response.json()));
    server.assert_no_violations();
}

#[test]
fn anthropic_answers_and_checks_version_and_max_tokens() {
    let server = server();
    let response = call(&server, Api::Anthropic, SEO);
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["type"], "message");
    assert_eq!(body["stop_reason"], "end_turn");
    assert!(body["usage"]["input_tokens"].as_u64().unwrap() > 0);
    assert_seo(&text(Api::Anthropic, &body));
    assert_eq!(
        response.header("anthropic-ratelimit-requests-remaining"),
        Some("3999")
    );
    assert!(
        response
            .header("anthropic-ratelimit-requests-reset")
            .unwrap()
            .ends_with('Z')
    );
    server.assert_no_violations();

    let mut client = Client::connect(&server);
    let response = client.exchange(
        "POST",
        "/v1/messages",
        &[("x-api-key", ANTHROPIC_KEY)],
        &anthropic_body(OUTLINE),
    );
    assert_eq!(response.status, 400);
    assert_eq!(response.json()["error"]["type"], "invalid_request_error");
    assert!(
        server.violations()[0].contains("anthropic-version"),
        "{:?}",
        server.violations()
    );

    let no_max =
        json!({"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "x"}]});
    let response = client.exchange(
        "POST",
        "/v1/messages",
        &[
            ("x-api-key", ANTHROPIC_KEY),
            ("anthropic-version", "2023-06-01"),
        ],
        &no_max.to_string(),
    );
    assert_eq!(response.status, 400);
    assert!(
        response.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("max_tokens")
    );
}

#[test]
fn anthropic_structured_output_and_forced_tool_give_seo_json() {
    let server = server();
    let mut client = Client::connect(&server);
    let headers = [
        ("x-api-key", ANTHROPIC_KEY),
        ("anthropic-version", "2023-06-01"),
    ];
    let structured = json!({"model": "claude-haiku-4-5", "max_tokens": 300,
        "messages": [{"role": "user", "content": "\"trail running\""}],
        "output_config": {"format": {"type": "json_schema", "schema": {"type": "object"}}}});
    let response = client.exchange("POST", "/v1/messages", &headers, &structured.to_string());
    assert_seo(&text(Api::Anthropic, &response.json()));

    let forced = json!({"model": "claude-haiku-4-5", "max_tokens": 300,
        "messages": [{"role": "user", "content": "\"trail running\""}],
        "tools": [{"name": "emit", "input_schema": {"type": "object"}}],
        "tool_choice": {"type": "tool", "name": "emit"}});
    let body = client
        .exchange("POST", "/v1/messages", &headers, &forced.to_string())
        .json();
    assert_eq!(body["stop_reason"], "tool_use");
    assert_eq!(body["content"][0]["name"], "emit");
    assert_seo(&body["content"][0]["input"].to_string());
}

#[test]
fn gemini_answers_and_refuses_a_key_in_the_url() {
    let server = server();
    let response = call(&server, Api::Gemini, OUTLINE);
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["candidates"][0]["finishReason"], "STOP");
    assert!(body["usageMetadata"]["totalTokenCount"].as_u64().unwrap() > 0);
    assert_outline(&text(Api::Gemini, &body));

    let json_request = json!({"contents": [{"parts": [{"text": "\"trail running\""}]}],
        "generationConfig": {"responseMimeType": "application/json",
                             "responseJsonSchema": {"type": "object"}}});
    let mut client = Client::connect(&server);
    let response = client.exchange(
        "POST",
        "/v1beta/models/gemini-2.5-flash:generateContent",
        &[("x-goog-api-key", GEMINI_KEY)],
        &json_request.to_string(),
    );
    assert_seo(&text(Api::Gemini, &response.json()));
    server.assert_no_violations();

    let response = client.exchange(
        "POST",
        &format!("/v1beta/models/gemini-2.5-flash:generateContent?key={GEMINI_KEY}"),
        &[],
        &gemini_body(OUTLINE),
    );
    assert_eq!(response.status, 400);
    assert_eq!(response.json()["error"]["status"], "INVALID_ARGUMENT");
    let violations = server.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(violations[0].contains("credential in the URL"));
    assert_eq!(
        server.requests().last().unwrap().key.as_deref(),
        Some(GEMINI_KEY)
    );
}

#[test]
fn auth_is_enforced_in_each_providers_shape() {
    let server = server();
    let mut client = Client::connect(&server);
    let openai = client.exchange(
        "POST",
        "/v1/chat/completions",
        &[("authorization", "Bearer sk-wrong-key-123456")],
        &openai_body(OUTLINE),
    );
    assert_eq!(openai.status, 401);
    assert_eq!(openai.json()["error"]["code"], "invalid_api_key");
    assert!(!String::from_utf8_lossy(&openai.body).contains("sk-wrong-key-123456"));
    let missing = client.exchange("POST", "/v1/chat/completions", &[], &openai_body(OUTLINE));
    assert_eq!(missing.status, 401);

    let anthropic = client.exchange(
        "POST",
        "/v1/messages",
        &[("x-api-key", "nope"), ("anthropic-version", "2023-06-01")],
        &anthropic_body(OUTLINE),
    );
    assert_eq!(anthropic.status, 401);
    assert_eq!(anthropic.json()["error"]["type"], "authentication_error");

    let gemini = client.exchange(
        "POST",
        "/v1beta/models/gemini-2.5-flash:generateContent",
        &[("x-goog-api-key", "nope")],
        &gemini_body(OUTLINE),
    );
    assert_eq!(gemini.status, 400);
    assert_eq!(
        gemini.json()["error"]["details"][0]["reason"],
        "API_KEY_INVALID"
    );
    let missing = client.exchange(
        "POST",
        "/v1beta/models/gemini-2.5-flash:generateContent",
        &[],
        &gemini_body(OUTLINE),
    );
    assert_eq!(missing.status, 403);
}

#[test]
fn bodies_are_validated_like_the_real_apis() {
    let server = server();
    let mut client = Client::connect(&server);
    let auth = format!("Bearer {OPENAI_KEY}");
    let cases = [
        "not json",
        r#"{"messages":[{"role":"user","content":"x"}]}"#,
        r#"{"model":"gpt-4o-mini","messages":[]}"#,
        r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"temperature":3}"#,
    ];
    for body in cases {
        let response = client.exchange(
            "POST",
            "/v1/chat/completions",
            &[("authorization", &auth)],
            body,
        );
        assert_eq!(response.status, 400, "{body}");
        assert!(response.json()["error"]["message"].is_string());
    }
    let unknown_field = json!({"contents": [{"parts": [{"text": "x"}]}], "system": "x"});
    let response = client.exchange(
        "POST",
        "/v1beta/models/gemini-2.5-flash:generateContent",
        &[("x-goog-api-key", GEMINI_KEY)],
        &unknown_field.to_string(),
    );
    assert_eq!(response.status, 400);
}

#[test]
fn scripted_behaviors_apply_n_times_then_revert_to_ok() {
    let server = server();
    server.script(
        Api::OpenAi,
        OPENAI_KEY,
        Behavior::RateLimited(ResetHeader::RetryAfterSeconds(1)),
        Times::Next(2),
    );
    server.script(
        Api::Gemini,
        GEMINI_KEY,
        Behavior::ServerError(500),
        Times::EveryNth(2),
    );
    let statuses: Vec<u16> = (0..3)
        .map(|_| call(&server, Api::OpenAi, OUTLINE).status)
        .collect();
    assert_eq!(statuses, [429, 429, 200]);
    let first = server.requests()[0].clone();
    assert_eq!(first.status, Some(429));
    assert_eq!(
        first.behavior,
        Behavior::RateLimited(ResetHeader::RetryAfterSeconds(1))
    );

    let statuses: Vec<u16> = (0..4)
        .map(|_| call(&server, Api::Gemini, OUTLINE).status)
        .collect();
    assert_eq!(statuses, [200, 500, 200, 500]);
    // Other keys and APIs are untouched.
    assert_eq!(call(&server, Api::Anthropic, OUTLINE).status, 200);
    server.clear_scripts();
    assert_eq!(call(&server, Api::Gemini, OUTLINE).status, 200);
}

/// The status and the provider-specific marker of each behavior, per API.
#[test]
fn each_behavior_has_the_providers_real_shape() {
    let server = server();
    let second = Duration::from_secs(1);
    let cases: Vec<(Api, Behavior, u16, &str, &str)> = vec![
        (
            Api::OpenAi,
            Behavior::RateLimited(ResetHeader::RetryAfterMs(1500)),
            429,
            "retry-after-ms",
            "rate_limit_exceeded",
        ),
        (
            Api::OpenAi,
            Behavior::RateLimited(ResetHeader::OpenAiResetRequests(Duration::from_secs(360))),
            429,
            "x-ratelimit-reset-requests",
            "6m0s",
        ),
        (
            Api::OpenAi,
            Behavior::RateLimited(ResetHeader::RetryAfterHttpDate(second)),
            429,
            "retry-after",
            " GMT",
        ),
        (
            Api::OpenAi,
            Behavior::QuotaExhausted,
            429,
            "",
            "insufficient_quota",
        ),
        (Api::OpenAi, Behavior::Overloaded, 503, "", "server_error"),
        (
            Api::OpenAi,
            Behavior::ModelNotFound,
            404,
            "",
            "model_not_found",
        ),
        (
            Api::OpenAi,
            Behavior::SafetyBlock,
            200,
            "",
            "content_filter",
        ),
        (Api::OpenAi, Behavior::LengthCut, 200, "", "\"length\""),
        (
            Api::OpenAi,
            Behavior::OkButExhausted(Duration::from_secs(2)),
            200,
            "x-ratelimit-remaining-requests",
            "0",
        ),
        (
            Api::Anthropic,
            Behavior::RateLimited(ResetHeader::AnthropicReset(second)),
            429,
            "anthropic-ratelimit-requests-reset",
            "rate_limit_error",
        ),
        (
            Api::Anthropic,
            Behavior::QuotaExhausted,
            402,
            "",
            "billing_error",
        ),
        (
            Api::Anthropic,
            Behavior::Overloaded,
            529,
            "",
            "overloaded_error",
        ),
        (
            Api::Anthropic,
            Behavior::ServerError(504),
            504,
            "",
            "timeout_error",
        ),
        (
            Api::Anthropic,
            Behavior::Auth401,
            401,
            "",
            "authentication_error",
        ),
        (Api::Anthropic, Behavior::SafetyBlock, 200, "", "refusal"),
        (Api::Anthropic, Behavior::LengthCut, 200, "", "max_tokens"),
        (
            Api::Gemini,
            Behavior::RateLimited(ResetHeader::GeminiRetryDelay(Duration::from_millis(3500))),
            429,
            "",
            "\"retryDelay\":\"3.5s\"",
        ),
        (Api::Gemini, Behavior::QuotaExhausted, 429, "", "PerDay"),
        (Api::Gemini, Behavior::Auth401, 400, "", "API_KEY_INVALID"),
        (Api::Gemini, Behavior::Overloaded, 503, "", "UNAVAILABLE"),
        (Api::Gemini, Behavior::ModelNotFound, 404, "", "NOT_FOUND"),
        (
            Api::Gemini,
            Behavior::SafetyBlock,
            200,
            "",
            "\"blockReason\":\"SAFETY\"",
        ),
        (Api::Gemini, Behavior::LengthCut, 200, "", "MAX_TOKENS"),
        (
            Api::Gemini,
            Behavior::BadRequest("nope".into()),
            400,
            "",
            "INVALID_ARGUMENT",
        ),
        (Api::Gemini, Behavior::ServerError(502), 502, "", "<html>"),
    ];
    for (api, behavior, status, header, marker) in cases {
        server.script_any_key(api, behavior.clone(), Times::Next(1));
        let response = call(&server, api, OUTLINE);
        let label = format!("{api:?} {behavior:?}");
        assert_eq!(response.status, status, "{label}");
        let body = String::from_utf8_lossy(&response.body);
        if header.is_empty() {
            assert!(body.contains(marker), "{label}: {body}");
        } else {
            let value = response
                .header(header)
                .unwrap_or_else(|| panic!("{label}: no {header}"));
            assert!(
                value.contains(marker) || body.contains(marker),
                "{label}: {header}: {value}"
            );
        }
    }
}

#[test]
fn empty_malformed_and_keep_alive_blank_lines() {
    let server = server();
    server.script_any_key(Api::OpenAi, Behavior::EmptyContent, Times::Next(1));
    assert_eq!(
        text(Api::OpenAi, &call(&server, Api::OpenAi, OUTLINE).json()),
        ""
    );

    server.script_any_key(Api::Anthropic, Behavior::MalformedJson, Times::Next(1));
    let response = call(&server, Api::Anthropic, OUTLINE);
    assert_eq!(response.status, 200);
    assert!(serde_json::from_slice::<Value>(&response.body).is_err());

    server.script_any_key(Api::OpenAi, Behavior::LeadingBlankLines(3), Times::Next(1));
    let response = call(&server, Api::OpenAi, OUTLINE);
    assert_eq!(response.header("transfer-encoding"), Some("chunked"));
    assert!(response.body.starts_with(b"\n\n\n{"));
    assert_outline(&text(Api::OpenAi, &response.json()));
}

#[test]
fn the_request_log_records_what_was_sent() {
    let server = server();
    let before = Instant::now();
    call(&server, Api::OpenAi, OUTLINE);
    call(&server, Api::Gemini, SEO);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let openai = &requests[0];
    assert_eq!(openai.api, Api::OpenAi);
    assert_eq!(openai.key.as_deref(), Some(OPENAI_KEY));
    assert_eq!(openai.path, "/v1/chat/completions");
    assert_eq!(openai.model.as_deref(), Some("gpt-4o-mini"));
    assert_eq!(openai.body["messages"][1]["content"], OUTLINE);
    assert_eq!(openai.status, Some(200));
    assert!(openai.at >= before);
    assert_eq!(
        openai.header("authorization"),
        Some(format!("Bearer {OPENAI_KEY}").as_str())
    );
    let gemini = &requests[1];
    assert_eq!(gemini.model.as_deref(), Some("gemini-2.5-flash"));
    assert_eq!(gemini.key.as_deref(), Some(GEMINI_KEY));
    assert_eq!(server.requests_for(Api::Gemini).len(), 1);
}

#[test]
fn keep_alive_serves_two_requests_on_one_connection() {
    let server = server();
    let mut client = Client::connect(&server);
    let auth = format!("Bearer {OPENAI_KEY}");
    for _ in 0..2 {
        let response = client.exchange(
            "POST",
            "/v1/chat/completions",
            &[("authorization", &auth)],
            &openai_body(OUTLINE),
        );
        assert_eq!(response.status, 200);
        assert_eq!(response.header("connection"), Some("keep-alive"));
    }
    let models = client.exchange("GET", "/v1/models", &[("authorization", &auth)], "");
    assert_eq!(models.json()["data"][0]["object"], "model");
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn cut_mid_body_closes_after_half_the_announced_length() {
    let server = server();
    server.script_any_key(Api::Gemini, Behavior::CutMidBody, Times::Always);
    let mut client = Client::connect(&server);
    client.send(
        "POST",
        "/v1beta/models/gemini-2.5-flash:generateContent",
        &[("x-goog-api-key", GEMINI_KEY)],
        &gemini_body(OUTLINE),
    );
    let (status, headers) = client.read_head();
    assert_eq!(status, 200);
    let announced: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .unwrap()
        .1
        .parse()
        .unwrap();
    let mut received = Vec::new();
    client.reader.read_to_end(&mut received).unwrap();
    assert!(!received.is_empty() && received.len() < announced);
}

#[test]
fn hang_never_answers_until_the_server_drops_and_latency_delays() {
    let server = server();
    server.set_latency(Api::Anthropic, Duration::from_millis(150));
    let start = Instant::now();
    assert_eq!(call(&server, Api::Anthropic, OUTLINE).status, 200);
    assert!(start.elapsed() >= Duration::from_millis(150));

    server.script_any_key(Api::OpenAi, Behavior::Hang, Times::Always);
    let mut client = Client::connect(&server);
    client.send(
        "POST",
        "/v1/chat/completions",
        &[("authorization", &format!("Bearer {OPENAI_KEY}"))],
        &openai_body(OUTLINE),
    );
    client
        .writer
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut byte = [0; 1];
    let waited = client.reader.get_mut().read(&mut byte);
    assert!(waited.is_err(), "a hung request answered: {waited:?}");
    assert_eq!(server.requests().last().unwrap().status, None);

    client
        .writer
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let start = Instant::now();
    drop(server);
    let after_drop = client.reader.get_mut().read(&mut byte);
    assert!(matches!(after_drop, Ok(0) | Err(_)), "{after_drop:?}");
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn model_lists_answer_in_each_shape() {
    let server = server();
    server.set_models(Api::Anthropic, &["claude-haiku-4-5"]);
    let mut client = Client::connect(&server);
    let anthropic = client.exchange(
        "GET",
        "/v1/models",
        &[
            ("x-api-key", ANTHROPIC_KEY),
            ("anthropic-version", "2023-06-01"),
        ],
        "",
    );
    assert_eq!(anthropic.json()["data"][0]["id"], "claude-haiku-4-5");
    let gemini = client.exchange(
        "GET",
        "/v1beta/models",
        &[("x-goog-api-key", GEMINI_KEY)],
        "",
    );
    assert_eq!(
        gemini.json()["models"][0]["name"],
        "models/gemini-2.5-flash"
    );
    server.assert_no_violations();
}

#[test]
fn concurrency_is_measured_and_the_log_can_be_switched_off() {
    let server = server();
    server.set_latency(Api::OpenAi, Duration::from_millis(300));
    server.set_logging(false);
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| assert_eq!(call(&server, Api::OpenAi, OUTLINE).status, 200));
        }
        assert!(server.wait_for_requests(3, Duration::from_secs(2)));
    });
    assert_eq!(server.peak_in_flight(Api::OpenAi), 3);
    assert_eq!(server.peak_in_flight(Api::Gemini), 0);
    assert_eq!(server.request_count(), 3);
    assert!(server.requests().is_empty());
}

/// One Gemini `generateContent` with this body, on a fresh connection.
fn gemini_call(server: &FakeServer, body: &Value) -> Response {
    Client::connect(server).exchange(
        "POST",
        "/v1beta/models/gemini-2.5-flash-image:generateContent",
        &[("x-goog-api-key", GEMINI_KEY)],
        &body.to_string(),
    )
}

/// What gen's own adapter makes of a 200 from the fake.
fn parsed_by_gen(
    api: Api,
    response: &Response,
) -> Result<gen_core::providers::Completion, gen_core::providers::ProviderError> {
    let parse = match api {
        Api::OpenAi => gen_core::providers::openai::parse,
        Api::Anthropic => gen_core::providers::anthropic::parse,
        Api::Gemini => gen_core::providers::gemini::parse,
    };
    parse(
        response.status,
        &response.headers,
        &response.body,
        std::time::SystemTime::now(),
    )
}

#[test]
fn gemini_draws_a_png_for_image_requests() {
    let server = server();
    let request = json!({"contents": [{"role": "user", "parts": [{"text":
            "Draw a hero image for an article about \"trail running\"."}]}],
        "generationConfig": {"maxOutputTokens": 2048, "responseModalities": ["TEXT", "IMAGE"]}});
    let response = gemini_call(&server, &request);
    assert_eq!(response.status, 200);
    let body = response.json();
    let parts = body["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap();
    assert_eq!(parts.len(), 2, "{body}");
    assert!(parts[0]["text"].as_str().unwrap().contains("Trail Running"));
    assert_eq!(parts[1]["inlineData"]["mimeType"], "image/png");
    assert!(
        parts[1]["inlineData"]["data"]
            .as_str()
            .unwrap()
            .starts_with("iVBORw0KGgo")
    );
    assert!(
        body["usageMetadata"]["candidatesTokenCount"]
            .as_u64()
            .unwrap()
            > 1_290
    );

    let completion = parsed_by_gen(Api::Gemini, &response).unwrap();
    assert_eq!(completion.images.len(), 1);
    let png = &completion.images[0];
    assert_eq!(png.mime, "image/png");
    assert!(png.data.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(png.data.ends_with(b"IEND\xae\x42\x60\x82"));
    // Deterministic: the same topic draws the same picture.
    let again = parsed_by_gen(Api::Gemini, &gemini_call(&server, &request)).unwrap();
    assert_eq!(again.images, completion.images);

    // A text request gets no picture; an emptied answer gets neither.
    let text_only = gemini_call(
        &server,
        &json!({"contents": [{"parts": [{"text": OUTLINE}]}]}),
    );
    assert!(
        parsed_by_gen(Api::Gemini, &text_only)
            .unwrap()
            .images
            .is_empty()
    );
    server.script(
        Api::Gemini,
        GEMINI_KEY,
        Behavior::EmptyContent,
        Times::Next(1),
    );
    let empty = gemini_call(&server, &request);
    assert_eq!(
        empty.json()["candidates"][0]["content"]["parts"],
        json!([{"text": ""}])
    );
    server.assert_no_violations();
}

#[test]
fn gemini_grounds_answers_offered_google_search() {
    let server = server();
    for tool in [json!({"google_search": {}}), json!({"googleSearch": {}})] {
        let request = json!({"contents": [{"parts": [{"text": OUTLINE}]}], "tools": [tool]});
        let response = gemini_call(&server, &request);
        assert_eq!(response.status, 200);
        let body = response.json();
        let chunks = body["candidates"][0]["groundingMetadata"]["groundingChunks"]
            .as_array()
            .unwrap();
        assert_eq!(chunks.len(), 2);
        assert!(chunks.iter().all(|c| {
            c["web"]["uri"]
                .as_str()
                .unwrap()
                .starts_with("https://vertexaisearch.cloud.google.com/")
        }));
        let completion = parsed_by_gen(Api::Gemini, &response).unwrap();
        assert_eq!(completion.citations.len(), 2);
        assert_outline(&completion.text);
    }
    let plain = call(&server, Api::Gemini, OUTLINE);
    assert!(
        plain.json()["candidates"][0]
            .get("groundingMetadata")
            .is_none()
    );
}

#[test]
fn gemini_checks_modalities_and_tools() {
    let server = server();
    let contents = json!([{"parts": [{"text": OUTLINE}]}]);
    for bad in [
        json!({"contents": contents, "generationConfig": {"responseModalities": ["VIDEO"]}}),
        json!({"contents": contents, "generationConfig": {"responseModalities": []}}),
        json!({"contents": contents, "generationConfig": {"responseModalities": ["TEXT", "IMAGE"],
            "responseMimeType": "application/json", "responseJsonSchema": {"type": "object"}}}),
        json!({"contents": contents, "tools": {"google_search": {}}}),
        json!({"contents": contents, "tools": [{}]}),
        json!({"contents": contents, "tools": [{"web_search": {}}]}),
    ] {
        let response = gemini_call(&server, &bad);
        assert_eq!(response.status, 400, "{bad}");
        assert_eq!(response.json()["error"]["status"], "INVALID_ARGUMENT");
    }
    let both = json!({"contents": contents, "tools": [{"google_search": {}}],
        "generationConfig": {"responseModalities": ["TEXT", "IMAGE"], "imageConfig": {"aspectRatio": "16:9"}}});
    let completion = parsed_by_gen(Api::Gemini, &gemini_call(&server, &both)).unwrap();
    assert_eq!(
        (completion.images.len(), completion.citations.len()),
        (1, 2)
    );
}

#[test]
fn openai_search_mode_adds_perplexity_sources_per_key() {
    let server = server();
    let other = "sk-test-openai-0002";
    server.add_key(Api::OpenAi, other);
    server.set_citations(Api::OpenAi, OPENAI_KEY, true);
    let response = call(&server, Api::OpenAi, OUTLINE);
    let body = response.json();
    let citations = body["citations"].as_array().unwrap();
    assert_eq!(citations.len(), 3);
    assert_eq!(body["search_results"].as_array().unwrap().len(), 3);
    assert_eq!(body["search_results"][0]["url"], citations[0]);
    let completion = parsed_by_gen(Api::OpenAi, &response).unwrap();
    assert_eq!(completion.citations.len(), 3);
    assert!(
        completion
            .citations
            .iter()
            .all(|u| u.starts_with("https://"))
    );
    assert_outline(&completion.text);

    // Another key, a failure and a switched-off key carry no sources.
    let plain = Client::connect(&server).exchange(
        "POST",
        "/v1/chat/completions",
        &[("authorization", &format!("Bearer {other}"))],
        &openai_body(OUTLINE),
    );
    assert!(plain.json().get("citations").is_none());
    server.script(
        Api::OpenAi,
        OPENAI_KEY,
        Behavior::SafetyBlock,
        Times::Next(1),
    );
    assert!(
        call(&server, Api::OpenAi, OUTLINE)
            .json()
            .get("citations")
            .is_none()
    );
    server.set_citations(Api::OpenAi, OPENAI_KEY, false);
    assert!(
        call(&server, Api::OpenAi, OUTLINE)
            .json()
            .get("citations")
            .is_none()
    );
    server.assert_no_violations();
}

#[test]
fn draft_stage_prompts_get_notes_articles_and_rewrites() {
    let server = server();
    let ask = |system: &str, prompt: &str| {
        let body = json!({"model": "gpt-4o-mini", "messages": [
            {"role": "system", "content": system}, {"role": "user", "content": prompt}]});
        let response = Client::connect(&server).exchange(
            "POST",
            "/v1/chat/completions",
            &[("authorization", &format!("Bearer {OPENAI_KEY}"))],
            &body.to_string(),
        );
        text(Api::OpenAi, &response.json())
    };
    let notes = ask(
        "Research assistant: facts with sources.",
        "Collect facts about \"trail running\".",
    );
    let sources = notes.split("## Sources").nth(1).expect(&notes);
    assert!(sources.lines().filter(|l| l.contains("https://")).count() >= 2);

    let article = ask(
        "You write articles.",
        "Write an article about \"trail running\".\nTarget length: 600 words\n",
    );
    assert!(article.starts_with("# Trail Running"), "{article}");
    let words = article.split_whitespace().count();
    assert!((600..=640).contains(&words), "{words} words");

    let rewritten = ask(
        "You edit.",
        &format!("Rewrite the article below in a natural voice.\n---ARTICLE---\n{article}"),
    );
    let headings = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.starts_with('#'))
            .map(String::from)
            .collect()
    };
    assert_eq!(headings(&rewritten), headings(&article));
    assert_ne!(rewritten, article);
    server.assert_no_violations();
}

#[test]
fn pictures_are_sent_in_padded_standard_base64() {
    for (plain, encoded) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(super::reply::base64(plain.as_bytes()), encoded);
    }
    assert_eq!(super::reply::base64(&[0xfb, 0xff, 0x00]), "+/8A");
}

#[path = "batch_tests.rs"]
mod batch;

#[path = "thinking_tests.rs"]
mod reasoning;

#[path = "schema_tests.rs"]
mod schema_answers;

#[test]
fn a_burst_over_the_rate_limit_gets_openai_429s_then_passes_after_the_refill() {
    let server = server();
    // 120 rpm: 2 requests a second, a burst of 4.
    server.set_rate_limit(Api::OpenAi, OPENAI_KEY, 120);
    for left in (0..4).rev() {
        let ok = call(&server, Api::OpenAi, OUTLINE);
        assert_eq!(ok.status, 200);
        assert_eq!(ok.header("x-ratelimit-limit-requests"), Some("120"));
        assert_eq!(
            ok.header("x-ratelimit-remaining-requests"),
            Some(left.to_string().as_str())
        );
        assert!(ok.header("x-ratelimit-reset-requests").is_some());
        // Only the limiter's own values, not the unlimited key's defaults beside them.
        assert_eq!(
            ok.headers
                .iter()
                .filter(|(n, _)| n == "x-ratelimit-limit-requests")
                .count(),
            1
        );
    }
    let refused = call(&server, Api::OpenAi, OUTLINE);
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.header("x-ratelimit-limit-requests"), Some("120"));
    assert_eq!(refused.header("x-ratelimit-remaining-requests"), Some("0"));
    let reset = refused.header("x-ratelimit-reset-requests").unwrap();
    assert!(reset.ends_with('s'), "a Go duration: {reset}");
    let error = &refused.json()["error"];
    assert_eq!(error["code"], "rate_limit_exceeded");
    assert_eq!(error["type"], "requests");
    assert!(error["message"].as_str().unwrap().contains("Limit 120"));
    assert_eq!(server.rate_limited_count(Api::OpenAi), 1);
    let last = server.requests().pop().unwrap();
    assert_eq!(last.status, Some(429));
    assert_eq!(
        last.behavior,
        Behavior::RateLimited(ResetHeader::RetryAfterSeconds(1))
    );

    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(call(&server, Api::OpenAi, OUTLINE).status, 200);
    assert_eq!(server.rate_limited_count(Api::OpenAi), 1);
    assert_eq!(server.request_count_for(Api::OpenAi), 6);
    server.assert_no_violations();
}

#[test]
fn anthropic_and_gemini_rate_limits_answer_in_their_own_shapes() {
    let server = server();
    // 30 rpm: one every 2 s, a burst of one.
    server.set_rate_limit(Api::Anthropic, ANTHROPIC_KEY, 30);
    server.set_rate_limit(Api::Gemini, GEMINI_KEY, 30);

    let ok = call(&server, Api::Anthropic, OUTLINE);
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("anthropic-ratelimit-requests-limit"), Some("30"));
    assert_eq!(
        ok.header("anthropic-ratelimit-requests-remaining"),
        Some("0")
    );
    let reset = ok.header("anthropic-ratelimit-requests-reset").unwrap();
    assert!(
        reset.len() == 20 && reset.ends_with('Z'),
        "RFC 3339: {reset}"
    );
    let refused = call(&server, Api::Anthropic, OUTLINE);
    assert_eq!(refused.status, 429);
    assert_eq!(refused.json()["error"]["type"], "rate_limit_error");
    assert_eq!(refused.header("retry-after"), Some("2"));
    assert_eq!(
        refused.header("anthropic-ratelimit-requests-remaining"),
        Some("0")
    );
    assert!(
        refused
            .header("anthropic-ratelimit-requests-reset")
            .is_some()
    );

    assert_eq!(call(&server, Api::Gemini, OUTLINE).status, 200);
    let refused = call(&server, Api::Gemini, OUTLINE);
    assert_eq!(refused.status, 429);
    let error = &refused.json()["error"];
    assert_eq!(error["status"], "RESOURCE_EXHAUSTED");
    let details = error["details"].as_array().unwrap();
    assert_eq!(details[0]["violations"][0]["quotaValue"], "30");
    let delay = details[1]["retryDelay"].as_str().unwrap();
    assert!(delay.ends_with('s') && delay != "0s", "{delay}");
    assert!(
        refused
            .headers
            .iter()
            .all(|(n, _)| n != "retry-after" && !n.starts_with("x-ratelimit")),
        "Gemini sends no rate-limit headers: {:?}",
        refused.headers
    );
    assert_eq!(server.rate_limited_count(Api::Anthropic), 1);
    assert_eq!(server.rate_limited_count(Api::Gemini), 1);
    assert_eq!(server.rate_limited_count(Api::OpenAi), 0);
    server.assert_no_violations();
}

#[test]
fn a_rate_limit_binds_one_key_on_completion_routes_and_shows_on_scripted_answers() {
    let server = server();
    server.add_key(Api::OpenAi, "sk-test-openai-0002");
    server.set_rate_limit(Api::OpenAi, OPENAI_KEY, 1);
    server.script(
        Api::OpenAi,
        OPENAI_KEY,
        Behavior::ServerError(500),
        Times::Next(1),
    );
    let failed = call(&server, Api::OpenAi, OUTLINE);
    assert_eq!(failed.status, 500);
    assert_eq!(failed.header("x-ratelimit-limit-requests"), Some("1"));
    assert_eq!(failed.header("x-ratelimit-remaining-requests"), Some("0"));
    // The 500 spent the only request; the script is used up, the limiter answers.
    let refused = call(&server, Api::OpenAi, OUTLINE);
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("retry-after"), Some("60"));

    // Another key, and the model list, are not limited.
    let mut client = Client::connect(&server);
    let other = client.exchange(
        "POST",
        "/v1/chat/completions",
        &[("authorization", "Bearer sk-test-openai-0002")],
        &openai_body(OUTLINE),
    );
    assert_eq!(other.status, 200);
    assert_eq!(other.header("x-ratelimit-limit-requests"), Some("10000"));
    let models = client.exchange(
        "GET",
        "/v1/models",
        &[("authorization", &format!("Bearer {OPENAI_KEY}"))],
        "",
    );
    assert_eq!(models.status, 200);
    assert_eq!(server.rate_limited_count(Api::OpenAi), 1);
}

#[test]
fn latency_delays_each_connection_not_the_server() {
    let server = server();
    server.set_latency(Api::OpenAi, Duration::from_millis(300));
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..16 {
            scope.spawn(|| assert_eq!(call(&server, Api::OpenAi, OUTLINE).status, 200));
        }
    });
    let elapsed = start.elapsed();
    // Serialized, 16 requests would take 4.8 s.
    assert!(elapsed < Duration::from_millis(900), "{elapsed:?}");
    assert_eq!(server.peak_in_flight(Api::OpenAi), 16);
}

/// Waits until no request to `api` is being answered; false after `timeout`.
fn wait_idle(server: &FakeServer, api: Api, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while server.in_flight(api) > 0 {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}

fn openai_send(client: &mut Client, prompt: &str) {
    client.send(
        "POST",
        "/v1/chat/completions",
        &[("authorization", &format!("Bearer {OPENAI_KEY}"))],
        &openai_body(prompt),
    );
}

#[test]
fn hang_for_closes_without_an_answer_after_its_time_or_when_the_client_leaves() {
    let server = server();
    server.script_any_key(
        Api::OpenAi,
        Behavior::HangFor(Duration::from_millis(300)),
        Times::Next(1),
    );
    let mut client = Client::connect(&server);
    let start = Instant::now();
    openai_send(&mut client, OUTLINE);
    let mut received = Vec::new();
    client.reader.read_to_end(&mut received).unwrap();
    assert!(
        received.is_empty(),
        "{}",
        String::from_utf8_lossy(&received)
    );
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert!(start.elapsed() < Duration::from_secs(3));
    let recorded = server.requests().last().unwrap().clone();
    assert_eq!(recorded.status, None);
    assert_eq!(
        recorded.behavior,
        Behavior::HangFor(Duration::from_millis(300))
    );

    // A long hang ends as soon as the client hangs up: the fake lets the request go.
    server.script_any_key(
        Api::OpenAi,
        Behavior::HangFor(Duration::from_secs(120)),
        Times::Always,
    );
    let mut client = Client::connect(&server);
    openai_send(&mut client, OUTLINE);
    assert!(server.wait_for_requests(2, Duration::from_secs(2)));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(server.in_flight(Api::OpenAi), 1);
    drop(client);
    assert!(wait_idle(&server, Api::OpenAi, Duration::from_secs(2)));

    // And when the server stops.
    let mut client = Client::connect(&server);
    openai_send(&mut client, OUTLINE);
    assert!(server.wait_for_requests(3, Duration::from_secs(2)));
    let start = Instant::now();
    drop(server);
    let mut byte = [0; 1];
    let after_drop = client.reader.read(&mut byte);
    assert!(matches!(after_drop, Ok(0) | Err(_)), "{after_drop:?}");
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn a_fault_mix_fails_its_shares_of_completions_that_no_script_claims() {
    let server = server();
    server.set_logging(false);
    server.set_fault_mix(
        Api::OpenAi,
        &[
            (Behavior::ServerError(500), 0.2),
            (Behavior::EmptyContent, 0.1),
        ],
    );
    let mut client = Client::connect(&server);
    let mut statuses = [0usize; 2];
    let mut empty = 0;
    for _ in 0..400 {
        openai_send(&mut client, OUTLINE);
        let response = client.receive();
        match response.status {
            500 => statuses[1] += 1,
            200 if text(Api::OpenAi, &response.json()).is_empty() => empty += 1,
            200 => statuses[0] += 1,
            other => panic!("status {other}"),
        }
    }
    let counts = server.fault_counts(Api::OpenAi);
    assert_eq!(counts[0], (Behavior::ServerError(500), statuses[1] as u64));
    assert_eq!(counts[1], (Behavior::EmptyContent, empty as u64));
    assert!((50..110).contains(&statuses[1]), "{statuses:?}");
    assert!((20..60).contains(&empty), "{empty}");

    // Scripts win, model lists are not drawn for, other APIs are untouched.
    server.script_any_key(Api::OpenAi, Behavior::Ok, Times::Next(50));
    for _ in 0..50 {
        openai_send(&mut client, OUTLINE);
        assert_eq!(client.receive().status, 200);
    }
    let auth = format!("Bearer {OPENAI_KEY}");
    for _ in 0..20 {
        let models = client.exchange("GET", "/v1/models", &[("authorization", &auth)], "");
        assert_eq!(models.status, 200);
    }
    assert_eq!(server.fault_counts(Api::OpenAi), counts);
    assert!(server.fault_counts(Api::Gemini).is_empty());

    // The same mix again gives the same sequence.
    server.set_fault_mix(
        Api::OpenAi,
        &[
            (Behavior::ServerError(500), 0.2),
            (Behavior::EmptyContent, 0.1),
        ],
    );
    for _ in 0..400 {
        openai_send(&mut client, OUTLINE);
        client.receive();
    }
    assert_eq!(server.fault_counts(Api::OpenAi), counts);
    server.set_fault_mix(Api::OpenAi, &[]);
    assert!(server.fault_counts(Api::OpenAi).is_empty());
}

#[test]
fn answers_are_not_counted_per_row_unless_asked() {
    let server = server();
    let prompt = "Write an outline for \"keyword phrase number 3\".";
    assert_eq!(call(&server, Api::OpenAi, prompt).status, 200);
    assert!(server.good_answers_by_row().is_empty());
    server.count_paid_by_row(true);
    assert_eq!(call(&server, Api::OpenAi, prompt).status, 200);
    assert_eq!(server.good_answers_by_row().len(), 1);
}

#[test]
fn good_answers_are_counted_per_row_and_undelivered_ones_apart() {
    let server = server();
    server.set_logging(false);
    server.count_paid_by_row(true);
    let row = |n: u32| format!("Write an outline for \"keyword phrase number {n}\".");
    for n in [7, 7, 8] {
        assert_eq!(call(&server, Api::OpenAi, &row(n)).status, 200);
    }
    // Not good: an empty answer, a broken body, a 500.
    for behavior in [
        Behavior::EmptyContent,
        Behavior::MalformedJson,
        Behavior::ServerError(500),
    ] {
        server.script_any_key(Api::Anthropic, behavior, Times::Next(1));
        call(&server, Api::Anthropic, &row(9));
    }
    call(&server, Api::Gemini, &row(10));
    let by_row = server.good_answers_by_row();
    assert_eq!(by_row.len(), 3, "{by_row:?}");
    assert_eq!(by_row["keyword phrase number 7"], 2);
    assert_eq!(by_row["keyword phrase number 8"], 1);
    assert_eq!(by_row["keyword phrase number 10"], 1);
    assert_eq!(server.rows_paid_twice(), ["keyword phrase number 7"]);
    assert_eq!(server.paid_undelivered_count(), 0);

    // A client that leaves during the latency is billed an answer it never gets.
    server.set_latency(Api::OpenAi, Duration::from_millis(300));
    let mut client = Client::connect(&server);
    openai_send(&mut client, &row(11));
    assert!(server.wait_for_requests(8, Duration::from_secs(2)));
    drop(client);
    assert!(wait_idle(&server, Api::OpenAi, Duration::from_secs(2)));
    assert_eq!(server.paid_undelivered_count(), 1);
    assert!(
        !server
            .good_answers_by_row()
            .contains_key("keyword phrase number 11")
    );
    assert_eq!(server.billing()[0].requests, 4);
}
