//! A loopback fake of the real AI providers for the test suite: one HTTP/1.1 server on
//! 127.0.0.1 speaking OpenAI Chat Completions, Anthropic Messages and Gemini `generateContent`
//! as the vendors document them, checking auth and bodies like the real APIs, and scripted per test
//! (rate limits with every reset form, 5xx, 529, hangs, cut bodies, malformed JSON, safety
//! blocks…), and given per-key requests-per-minute limits that it enforces like the real APIs
//! (`set_rate_limit`, `limit.rs`). It records every request and every protocol violation `gen` commits. It also
//! serves the three batch APIs (`batch.rs`), whose jobs move one state per
//! poll and are scripted with `set_batch_failures` / `set_batch_end`.
//!
//! Reasoning models (`thinking.rs`): the fake has its own table of which model takes which
//! reasoning field (`reasoning_effort`, DeepSeek's `thinking`, Gemini's `thinkingBudget` /
//! `thinkingLevel`, Anthropic's `thinking`) and answers a field or value a model does not take
//! with the vendor's real 400, always. With `set_reasoning(true)` those models also spend
//! hidden reasoning tokens (a deterministic log-normal draw per request), the output cap covers
//! reasoning and answer alike (so a small cap cuts the answer, or leaves no text at all), and
//! usage reports the reasoning in each API's fields; off (the default), answers are as before.
//! Every 200 answer to a generate route and every answered batch row is billed in a ledger
//! (`billing`, `billed_usd`, `cut_count`; `ledger.rs`). `set_gateway(true)` makes the OpenAI
//! route a LiteLLM proxy (`gateway.rs`): unknown models get its 400 and rate-limit headers its
//! `llm_provider-` prefix.
//!
//! Faults by share (`faults.rs`): `set_fault_mix(api, &[(behavior, share), …])` answers each
//! completion request no script claims with the behavior whose band of a deterministic draw
//! (splitmix64 of a per-API request counter) covers it, else `Ok`: a provider failing a few
//! percent of its requests in several ways at once, the same ones in the same order of arrival
//! on every run; `fault_counts` says how many each behavior answered. `Behavior::HangFor(d)`
//! answers nothing for `d` and then closes, sooner if the client hangs up. Per input row
//! (`keyword phrase number N` in the body, as the benches' inputs have it; `paid.rs`) the fake
//! counts the good answers it billed and delivered (`good_answers_by_row`, `rows_paid_twice`),
//! and apart the billed answers whose client was gone (`paid_undelivered_count`), the request
//! log on or off.
//!
//! JSON answers (OpenAI `response_format`, Anthropic `output_config.format` or a forced tool,
//! Gemini `responseJsonSchema`/`responseSchema`, or a schema quoted in the system prompt) are
//! valid instances of the schema the request carried (`schema.rs`), the SEO object when it asks
//! for no more than an object; [`RecordedRequest::schema`] shows which schema that was.
//!
//! Self-contained on purpose (std + serde_json only, nothing from `crate::support`), so a bench
//! can include it with `#[path]`; its one call into `gen_core` draws the PNG it sends as a
//! Gemini picture.
//!
//! Cheap per request, as benches share two cores between it and `gen`: bodies parse into a
//! borrowed tree that accepts what serde_json accepts (`json.rs`), each distinct schema is
//! compiled once per thread into a plan of its instances (`schema.rs`), answers are written
//! straight into bytes (`out.rs`), and the request log (headers and a serde_json body) is only
//! built when it is on ([`set_logging`](FakeServer::set_logging)).
//!
//! ```ignore
//! let server = FakeServer::start(); // stops on drop
//! server.add_key(Api::OpenAi, "sk-test-1");
//! server.script(Api::OpenAi, "sk-test-1",
//!     Behavior::RateLimited(ResetHeader::RetryAfterSeconds(1)), Times::Next(3));
//! server.set_reasoning(true); // reasoning models think, within the request's cap
//! server.set_fault_mix(Api::OpenAi, &[(Behavior::ServerError(500), 0.03),
//!     (Behavior::HangFor(Duration::from_secs(120)), 0.005)]);
//! // profile: base_url = server.base_url(Api::OpenAi)   (http://127.0.0.1:PORT/v1)
//! // … run gen …
//! server.assert_no_violations();
//! assert!(server.requests().iter().all(|r| r.status.is_some()));
//! assert_eq!(server.cut_without_text_count(), 0);
//! assert!(server.rows_paid_twice().is_empty());
//! let usd = server.billed_usd(|model| (model == "gpt-5-mini").then_some((0.25, 2.0)));
//! ```
//!
//! Order of checks per request: route → auth (and Anthropic's version header) → the gateway's
//! model check (gateway mode) → body validation, the model's reasoning fields included → the
//! key's rate limit (completion routes only) → the newest applicable script, else the fault
//! mix (completion routes only) → latency → answer. Auth and validation failures win over scripts and do not count against `Times`;
//! scripts also apply to the model-list routes. A request over its key's limit is answered 429
//! at once (no latency, no script counted); one within it spends a request whatever the script
//! then answers.

// Much of this API is for issue 4's integration tests, which are written after the fake.
#![allow(dead_code)]

mod batch;
mod clock;
mod content;
mod faults;
mod gateway;
mod http;
mod json;
mod ledger;
mod limit;
mod out;
mod paid;
mod reply;
mod schema;
mod thinking;
mod wire;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::io::{self, BufReader};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;

pub use batch::Ended;
use http::{HttpRequest, HttpResponse, ReadError};
use json::Json;
pub use ledger::BilledModel;
use limit::TokenBucket;

/// The three wire formats the fake speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// OpenAI Chat Completions, and every OpenAI-compatible vendor (DeepSeek, GLM, Qwen…).
    OpenAi,
    Anthropic,
    Gemini,
}

/// How a scripted 429 says when to come back.
#[derive(Debug, Clone, PartialEq)]
pub enum ResetHeader {
    /// No reset information at all.
    None,
    /// `retry-after: N` (seconds).
    RetryAfterSeconds(u64),
    /// `retry-after-ms: N`.
    RetryAfterMs(u64),
    /// `retry-after: <HTTP-date>` this far in the future.
    RetryAfterHttpDate(Duration),
    /// OpenAI: `x-ratelimit-reset-requests: 6m0s` (Go duration) with
    /// `x-ratelimit-remaining-requests: 0`, no `retry-after`.
    OpenAiResetRequests(Duration),
    /// OpenAI: `x-ratelimit-reset-tokens` (Go duration) with `x-ratelimit-remaining-tokens: 0`.
    OpenAiResetTokens(Duration),
    /// Anthropic: `anthropic-ratelimit-requests-reset` (RFC 3339) with remaining 0, plus
    /// `retry-after` in whole seconds.
    AnthropicReset(Duration),
    /// Gemini: `RetryInfo.retryDelay` in the body, e.g. `"3.5s"`.
    GeminiRetryDelay(Duration),
}

/// What the fake does with a request, in the shape of the provider it imitates.
#[derive(Debug, Clone, PartialEq)]
pub enum Behavior {
    /// A valid answer computed from the prompt.
    Ok,
    /// A valid answer whose rate-limit headers say nothing is left until `reset` (OpenAI and
    /// Anthropic; Gemini sends no such headers): a client should park the key before a 429.
    OkButExhausted(Duration),
    /// 429 rate limit with the given reset information.
    RateLimited(ResetHeader),
    /// No money left: OpenAI 429 `insufficient_quota`, Anthropic 402 `billing_error`, Gemini 429
    /// on a per-day quota.
    QuotaExhausted,
    /// 500, 502, 503 or 504 in the provider's shape (502 is an HTML page from a gateway).
    ServerError(u16),
    /// Anthropic 529 `overloaded_error`; OpenAI and Gemini 503.
    Overloaded,
    /// The key is refused: 401 (Gemini: 400 `API_KEY_INVALID`).
    Auth401,
    /// 404 for the requested model.
    ModelNotFound,
    /// 400 with this message.
    BadRequest(String),
    /// Never answers; the connection stays open until the server is dropped.
    Hang,
    /// No answer for this long, then the connection is closed without one, as a provider whose
    /// upstream stalled; ends sooner when the client hangs up (or the server is dropped), so a
    /// client that gives up early frees the fake's thread as well.
    HangFor(Duration),
    /// Announces the full `content-length`, writes half the body, closes.
    CutMidBody,
    /// 200 whose body is not JSON.
    MalformedJson,
    /// 200 with empty text.
    EmptyContent,
    /// OpenAI `finish_reason: content_filter`, Anthropic `stop_reason: refusal`, Gemini
    /// `promptFeedback.blockReason: SAFETY`.
    SafetyBlock,
    /// Half the answer with `length` / `max_tokens` / `MAX_TOKENS`.
    LengthCut,
    /// DeepSeek under load: this many blank lines (sent as a first chunk) before the JSON.
    LeadingBlankLines(usize),
}

/// How often a scripted behavior applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Times {
    /// The next `n` matching requests, then back to what was there before.
    Next(u32),
    Always,
    /// Every `n`th matching request (the `n`th, `2n`th…), counted from when it was scripted.
    EveryNth(u32),
}

/// One request the fake received on a provider route, whatever it answered.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub api: Api,
    pub method: String,
    /// The key exactly as sent (from the header, or from `?key=` for Gemini), if any.
    pub key: Option<String>,
    /// The request target, query string included.
    pub path: String,
    /// The model from the body (OpenAI, Anthropic) or the path (Gemini).
    pub model: Option<String>,
    /// Lowercased header names with their values.
    pub headers: Vec<(String, String)>,
    /// The parsed body, `Value::Null` when empty or not JSON.
    pub body: Value,
    pub at: Instant,
    /// The behavior that answered (`Ok` for validation errors too: see `status`).
    pub behavior: Behavior,
    /// The HTTP status sent, `None` for `Hang` and `HangFor`.
    pub status: Option<u16>,
}

impl RecordedRequest {
    /// The JSON Schema the request asked its answer to match, wherever its wire carries it:
    /// OpenAI `response_format.json_schema.schema`, Anthropic `output_config.format.schema` (or
    /// a forced tool's `input_schema`), Gemini `generationConfig.responseJsonSchema` or
    /// `responseSchema`; for `json_object` and prompt-only JSON, the schema the system prompt
    /// quotes. `None` for a request that asked for no schema.
    pub fn schema(&self) -> Option<Value> {
        reply::requested_schema(self.api, &self.body)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

struct Script {
    api: Api,
    /// `None` matches any key.
    key: Option<String>,
    /// Applies only to requests whose body contains this text (a draft stage's marker).
    body_contains: Option<String>,
    behavior: Behavior,
    times: Times,
    used: u32,
    seen: u32,
}

#[derive(Default)]
struct State {
    keys: HashMap<Api, Vec<String>>,
    models: HashMap<Api, Vec<String>>,
    latency: HashMap<Api, Duration>,
    /// Keys whose successful answers carry Perplexity-style sources.
    citing: HashSet<(Api, String)>,
    /// Keys with a requests-per-minute limit: few, so a list, searched without building a
    /// key.
    rate_limits: Vec<(Api, String, TokenBucket)>,
    /// 429s the rate limits answered, per API (scripted ones are not counted).
    rate_limited: HashMap<Api, usize>,
    scripts: Vec<Script>,
    /// What answers the completion requests no script claims (`faults.rs`).
    fault_mixes: HashMap<Api, faults::FaultMix>,
    /// Good and undelivered answers per input row (`paid.rs`).
    paid: paid::Paid,
    requests: Vec<RecordedRequest>,
    /// When false, requests are counted but not kept (long benchmarks).
    log_off: bool,
    received: usize,
    /// Requests to the batch routes (uploads, job creation, polls, downloads).
    batch_received: usize,
    received_by: HashMap<Api, usize>,
    in_flight: HashMap<Api, usize>,
    peak_in_flight: HashMap<Api, usize>,
    violations: Vec<String>,
    /// Open connections, so dropping the server closes them (and wakes `Hang`).
    connections: HashMap<u64, TcpStream>,
    /// Batch jobs, files and upload sessions (`batch.rs`).
    batches: batch::Batches,
    /// The reasoning simulation of interactive requests (`thinking.rs`).
    thinking: thinking::Simulation,
    /// What the 200 answers to generate routes cost (`ledger.rs`).
    ledger: ledger::Ledger,
    /// The OpenAI route answers as a LiteLLM proxy (`gateway.rs`).
    gateway: bool,
}

struct Shared {
    state: Mutex<State>,
    stopping: AtomicBool,
    /// Paired with `stopping` for `Hang` and latency sleeps.
    wake: Condvar,
    wake_lock: Mutex<()>,
    next_id: AtomicU64,
    /// `http://127.0.0.1:PORT`, for URLs the fake hands out (upload sessions, results).
    origin: String,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panicking connection thread must not hide the log from the test.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sleeps `d`, or less if the server stops; returns whether it is stopping.
    fn sleep(&self, d: Option<Duration>) -> bool {
        let deadline = d.map(|d| Instant::now() + d);
        let mut guard = self.wake_lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if self.stopping.load(Ordering::SeqCst) {
                return true;
            }
            match deadline {
                None => {
                    guard = self.wake.wait(guard).unwrap_or_else(|e| e.into_inner());
                }
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return false;
                    }
                    guard = self
                        .wake
                        .wait_timeout(guard, deadline - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
    }
}

/// The running fake; it stops, closing every connection, when dropped.
pub struct FakeServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// Binds 127.0.0.1 on a free port and starts serving. No keys are accepted until
    /// [`add_key`](Self::add_key).
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake provider");
        let addr = listener.local_addr().unwrap();
        let mut state = State::default();
        state.models.insert(
            Api::OpenAi,
            vec![
                "gpt-4o-mini".into(),
                "gpt-4.1-mini".into(),
                "gpt-5-mini".into(),
                "deepseek-chat".into(),
            ],
        );
        state.models.insert(
            Api::Anthropic,
            vec!["claude-haiku-4-5".into(), "claude-sonnet-4-5".into()],
        );
        state
            .models
            .insert(Api::Gemini, vec!["gemini-2.5-flash".into()]);
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            stopping: AtomicBool::new(false),
            wake: Condvar::new(),
            wake_lock: Mutex::new(()),
            next_id: AtomicU64::new(1),
            origin: format!("http://{addr}"),
        });
        let accept_shared = Arc::clone(&shared);
        let acceptor = thread::Builder::new()
            .name("fake-accept".into())
            .spawn(move || accept_loop(listener, accept_shared))
            .unwrap();
        FakeServer {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, to build bases for vendors with other prefixes (the fake serves
    /// OpenAI at any path ending in `/chat/completions`).
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL a profile gives `gen` for this API, as the real one is written:
    /// `…/v1` (OpenAI), no path (Anthropic), `…/v1beta` (Gemini).
    pub fn base_url(&self, api: Api) -> String {
        match api {
            Api::OpenAi => format!("{}/v1", self.origin()),
            Api::Anthropic => self.origin(),
            Api::Gemini => format!("{}/v1beta", self.origin()),
        }
    }

    /// Accepts `key` for `api` from now on.
    pub fn add_key(&self, api: Api, key: &str) {
        self.shared
            .state()
            .keys
            .entry(api)
            .or_default()
            .push(key.to_string());
    }

    /// The model ids the list endpoints return for `api`.
    pub fn set_models(&self, api: Api, models: &[&str]) {
        self.shared
            .state()
            .models
            .insert(api, models.iter().map(|m| m.to_string()).collect());
    }

    /// Answers requests made with `key` to `api` with `behavior`, `times` times. Scripts are
    /// checked newest first; when none applies the answer is `Ok`.
    pub fn script(&self, api: Api, key: &str, behavior: Behavior, times: Times) {
        self.push_script(api, Some(key.to_string()), behavior, times);
    }

    /// Like [`script`](Self::script) for every key of `api`.
    pub fn script_any_key(&self, api: Api, behavior: Behavior, times: Times) {
        self.push_script(api, None, behavior, times);
    }

    /// Like [`script_any_key`](Self::script_any_key), only for requests whose JSON body contains
    /// `needle` (e.g. the humanize stage's `---ARTICLE---` marker).
    pub fn script_when_body_contains(
        &self,
        api: Api,
        needle: &str,
        behavior: Behavior,
        times: Times,
    ) {
        self.push_script(api, None, behavior, times);
        if let Some(script) = self.shared.state().scripts.last_mut() {
            script.body_contains = Some(needle.to_string());
        }
    }

    fn push_script(&self, api: Api, key: Option<String>, behavior: Behavior, times: Times) {
        if let Times::EveryNth(0) = times {
            panic!("Times::EveryNth(0) never applies");
        }
        self.shared.state().scripts.push(Script {
            api,
            key,
            body_contains: None,
            behavior,
            times,
            used: 0,
            seen: 0,
        });
    }

    /// Drops every script: all keys answer `Ok` again.
    pub fn clear_scripts(&self) {
        self.shared.state().scripts.clear();
    }

    /// Fails shares of `api`'s completion requests (`faults.rs`): each one that passed auth,
    /// validation and its key's rate limit and that no script claims draws a deterministic
    /// pseudo-random number in `[0, 1)` (splitmix64 of the API's seed and the request's place in
    /// its arrivals) and gets the behavior whose band covers it, the bands laid end to end in the
    /// order given, else `Ok`. E.g. `&[(Behavior::ServerError(500), 0.03), (Behavior::MalformedJson,
    /// 0.01)]` fails about 3 % with a 500 and 1 % with a broken body. Model lists are never
    /// drawn for. Setting a mix again starts its sequence over; an empty one switches it off.
    /// Panics on a negative share or shares adding up to more than 1.
    pub fn set_fault_mix(&self, api: Api, shares: &[(Behavior, f64)]) {
        let mut state = self.shared.state();
        if shares.is_empty() {
            state.fault_mixes.remove(&api);
        } else {
            state
                .fault_mixes
                .insert(api, faults::FaultMix::new(api, shares));
        }
    }

    /// Each behavior of `api`'s fault mix, in the order given, with how many requests it
    /// answered; empty without a mix.
    pub fn fault_counts(&self, api: Api) -> Vec<(Behavior, u64)> {
        self.shared
            .state()
            .fault_mixes
            .get(&api)
            .map(faults::FaultMix::hits)
            .unwrap_or_default()
    }

    /// Per input row (its tag `keyword phrase number N`, as the benches' inputs name rows and
    /// the request body quotes it; `paid.rs`), how many good answers the fake billed and
    /// delivered: whole 200s to a completion route from `Ok`, `OkButExhausted` or
    /// `LeadingBlankLines`, not cut by the output cap, written to a client still there. Rows
    /// never answered that way are absent. Kept with the request log off too. Counted as the
    /// answer is billed, before it is written (so it is there once the client has it); a
    /// write that fails takes it back into [`paid_undelivered_count`](Self::paid_undelivered_count).
    ///
    /// Off until [`count_paid_by_row`](Self::count_paid_by_row) switches it on.
    pub fn good_answers_by_row(&self) -> HashMap<String, u32> {
        self.shared.state().paid.good_by_row()
    }

    /// Counts good answers per row from now on (off at start: see `paid.rs`).
    pub fn count_paid_by_row(&self, on: bool) {
        self.shared.state().paid.by_row = on;
    }

    /// The rows with more than one good answer (see
    /// [`good_answers_by_row`](Self::good_answers_by_row)): paid twice for one result.
    pub fn rows_paid_twice(&self) -> Vec<String> {
        let mut rows: Vec<String> = self
            .good_answers_by_row()
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(row, _)| row)
            .collect();
        rows.sort();
        rows
    }

    /// How many billed answers (any 200 to a completion route, row tag or not) found their
    /// client gone: it hung up while the fake waited out the latency, or the write failed.
    pub fn paid_undelivered_count(&self) -> u64 {
        self.shared.state().paid.undelivered_count()
    }

    /// Perplexity's search mode for `key` (meaningful on the OpenAI wire): while `on`, its
    /// successful answers carry top-level `citations` and `search_results` with three source
    /// URLs for the topic. Independent of scripts. Gemini needs no switch: a request offering
    /// the `google_search` tool gets `groundingMetadata`, one asking for `IMAGE` a picture.
    pub fn set_citations(&self, api: Api, key: &str, on: bool) {
        let mut state = self.shared.state();
        if on {
            state.citing.insert((api, key.to_string()));
        } else {
            state.citing.remove(&(api, key.to_string()));
        }
    }

    /// Lets `key` make at most `rpm` completion requests per minute to `api`, enforced like
    /// OpenAI and Anthropic do: a token bucket refilling continuously at `rpm / 60` per second
    /// with a burst of `max(1, rpm / 60 × 2)`, full at first. Over it the key gets the
    /// provider's real rate-limit 429, with `retry-after` (whole seconds, rounded up, at least 1)
    /// on OpenAI and Anthropic and `RetryInfo` in a Gemini body. Every answer to the key, 200 or
    /// not, carries its request-limit headers (`x-ratelimit-{limit,remaining,reset}-requests`,
    /// `anthropic-ratelimit-requests-{limit,remaining,reset}`; Gemini sends none). Setting it
    /// again starts a new, full bucket.
    pub fn set_rate_limit(&self, api: Api, key: &str, rpm: u32) {
        let bucket = TokenBucket::new(rpm, Instant::now());
        let mut state = self.shared.state();
        state
            .rate_limits
            .retain(|(a, k, _)| (*a, k.as_str()) != (api, key));
        state.rate_limits.push((api, key.to_string(), bucket));
    }

    /// How many requests to `api` the rate limits answered with 429.
    pub fn rate_limited_count(&self, api: Api) -> usize {
        self.shared
            .state()
            .rate_limited
            .get(&api)
            .copied()
            .unwrap_or(0)
    }

    /// Waits this long before answering each request to `api`.
    pub fn set_latency(&self, api: Api, latency: Duration) {
        self.shared.state().latency.insert(api, latency);
    }

    /// Switches the reasoning simulation on or off (off at start). When on, every successful
    /// answer (interactive or batch row) from a model of the fake's reasoning table
    /// (`thinking.rs`) first spends hidden reasoning tokens, drawn deterministically for the
    /// request's effective setting, and the request's output cap then covers reasoning and
    /// answer: reasoning that reaches the cap leaves no text, reasoning and answer over it cut
    /// the answer (finish `length` / `max_tokens` / `MAX_TOKENS`, billed the cap). Usage
    /// reports the reasoning in each API's own fields. Off, or for a model the table does not
    /// know, answers are as they always were: no reasoning, no cap enforced.
    pub fn set_reasoning(&self, on: bool) {
        let mut state = self.shared.state();
        state.thinking.on = on;
        state.batches.thinking.on = on;
    }

    /// Makes the OpenAI route answer like a LiteLLM proxy (off at start): a model missing from
    /// the OpenAI model list ([`set_models`](Self::set_models)) gets LiteLLM's 400 `Invalid
    /// model name passed in model=…`, and the rate-limit headers of every answer (the reset
    /// headers of 429s, the `x-ratelimit-*` of 200s) carry LiteLLM's `llm_provider-` prefix
    /// instead of their plain names.
    pub fn set_gateway(&self, on: bool) {
        self.shared.state().gateway = on;
    }

    /// What was billed so far, per API, model and kind (interactive or batch), in the order
    /// first billed: every 200 answer to a generate route (cut and empty ones included) and
    /// every answered batch row. Errors, hangs and rate-limit refusals are not billed.
    pub fn billing(&self) -> Vec<BilledModel> {
        let state = self.shared.state();
        let mut rows = state.ledger.rows().to_vec();
        rows.extend_from_slice(state.batches.ledger.rows());
        rows
    }

    /// The USD of the interactive answers billed so far, at `price` (USD per million input and
    /// output tokens of a model, reasoning billed as output). Panics naming a billed model
    /// `price` has no price for.
    pub fn billed_usd(&self, price: impl Fn(&str) -> Option<(f64, f64)>) -> f64 {
        ledger::usd(self.billing().iter().filter(|r| !r.batch), price)
    }

    /// Like [`billed_usd`](Self::billed_usd) for the batch rows, at the price given: the
    /// vendors' batch discount is the caller's to apply.
    pub fn billed_batch_usd(&self, price: impl Fn(&str) -> Option<(f64, f64)>) -> f64 {
        ledger::usd(self.billing().iter().filter(|r| r.batch), price)
    }

    /// How many billed answers (interactive and batch) were cut by their output cap.
    pub fn cut_count(&self) -> u64 {
        self.billing().iter().map(|r| r.cut).sum()
    }

    /// [`cut_count`](Self::cut_count) for one API.
    pub fn cut_count_for(&self, api: Api) -> u64 {
        self.billing()
            .iter()
            .filter(|r| r.api == api)
            .map(|r| r.cut)
            .sum()
    }

    /// How many of the cut answers had no text at all (the reasoning used the whole cap).
    pub fn cut_without_text_count(&self) -> u64 {
        self.billing().iter().map(|r| r.cut_without_text).sum()
    }

    /// [`cut_without_text_count`](Self::cut_without_text_count) for one API.
    pub fn cut_without_text_count_for(&self, api: Api) -> u64 {
        self.billing()
            .iter()
            .filter(|r| r.api == api)
            .map(|r| r.cut_without_text)
            .sum()
    }

    /// Batch rows answered from now on (by 1-based row number within a job, counted when the
    /// row is answered): every `errored_every`th row errors, else every `expired_every`th
    /// expires; `None` switches a rule off. Rows whose body the interactive route would refuse
    /// error whatever this says.
    pub fn set_batch_failures(
        &self,
        api: Api,
        errored_every: Option<u32>,
        expired_every: Option<u32>,
    ) {
        self.shared
            .state()
            .batches
            .set_failures(api, errored_every, expired_every);
    }

    /// How `api`'s running jobs end from their next step on (default [`Ended::Completed`]).
    pub fn set_batch_end(&self, api: Api, end: Ended) {
        self.shared.state().batches.set_end(api, end);
    }

    /// `api`'s batch jobs, oldest first: id and state as the wire spells it (`in_progress`,
    /// `canceling`, `BATCH_STATE_RUNNING`…). Deleted Gemini jobs are left out.
    pub fn batch_jobs(&self, api: Api) -> Vec<(String, String)> {
        self.shared.state().batches.jobs(api)
    }

    /// Every request received on a provider route so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.state().requests.clone()
    }

    /// How many requests reached a provider route, logged or not.
    pub fn request_count(&self) -> usize {
        self.shared.state().received
    }

    /// How many requests reached the batch routes (file uploads, job creation, polls, result
    /// downloads): a dry run sends none.
    pub fn batch_request_count(&self) -> usize {
        self.shared.state().batch_received
    }

    /// How many requests reached `api`'s routes, logged or not.
    pub fn request_count_for(&self, api: Api) -> usize {
        self.shared
            .state()
            .received_by
            .get(&api)
            .copied()
            .unwrap_or(0)
    }

    /// Keeps (the default) or stops keeping each request in the log; counts and violations are
    /// kept either way. For benchmarks that would otherwise hold every body in memory.
    pub fn set_logging(&self, on: bool) {
        self.shared.state().log_off = !on;
    }

    /// Waits until at least `count` requests have reached provider routes; false on timeout.
    pub fn wait_for_requests(&self, count: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.request_count() < count {
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(2));
        }
        true
    }

    /// The most requests to `api` that were being answered at the same time (hung ones count
    /// until the server drops): what a test of lanes and concurrency limits asserts on.
    pub fn peak_in_flight(&self, api: Api) -> usize {
        self.shared
            .state()
            .peak_in_flight
            .get(&api)
            .copied()
            .unwrap_or(0)
    }

    /// How many requests to `api` are being answered now (waiting out their latency or hung
    /// included): 0 once every client that gave up has been let go.
    pub fn in_flight(&self, api: Api) -> usize {
        self.shared
            .state()
            .in_flight
            .get(&api)
            .copied()
            .unwrap_or(0)
    }

    /// The requests received for one API.
    pub fn requests_for(&self, api: Api) -> Vec<RecordedRequest> {
        self.shared
            .state()
            .requests
            .iter()
            .filter(|r| r.api == api)
            .cloned()
            .collect()
    }

    /// Protocol violations seen so far (a key in a URL, a missing `anthropic-version`, an
    /// unknown route…). A well-behaved client leaves this empty.
    pub fn violations(&self) -> Vec<String> {
        self.shared.state().violations.clone()
    }

    /// Panics listing the violations, if any.
    #[track_caller]
    pub fn assert_no_violations(&self) {
        let violations = self.violations();
        assert!(
            violations.is_empty(),
            "protocol violations: {violations:#?}"
        );
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        {
            let _guard = self.shared.wake_lock.lock();
            self.shared.wake.notify_all();
        }
        for (_, stream) in self.shared.state().connections.drain() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        // Wake the blocking accept.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let _ = stream.set_nodelay(true);
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(clone) = stream.try_clone() {
            shared.state().connections.insert(id, clone);
        }
        let conn_shared = Arc::clone(&shared);
        let spawned = thread::Builder::new()
            .name("fake-conn".into())
            .spawn(move || {
                serve_connection(stream, &conn_shared);
                conn_shared.state().connections.remove(&id);
            });
        if spawned.is_err() {
            shared.state().connections.remove(&id);
        }
    }
}

/// What the connection loop does after an exchange.
enum Outcome {
    KeepOpen,
    Close,
}

fn serve_connection(stream: TcpStream, shared: &Shared) {
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut writer = write_half;
    let mut reader = BufReader::new(stream);
    loop {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let request = match http::read_request(&mut reader) {
            Ok(request) => request,
            Err(ReadError::Closed | ReadError::Io(_)) => return,
            Err(ReadError::Malformed(why)) => {
                shared.state().violations.push(format!("bad HTTP: {why}"));
                let body = serde_json::json!({"error": {"message": why}});
                let _ = HttpResponse::json(400, &body).write(&mut writer, false);
                return;
            }
        };
        match handle(&request, &mut writer, shared) {
            Outcome::KeepOpen if request.keep_alive() => {}
            _ => {
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
        }
    }
}

/// Routes one request, records it, and writes the answer.
fn handle(request: &HttpRequest, writer: &mut TcpStream, shared: &Shared) -> Outcome {
    if let Some(route) = batch::route(request) {
        shared.state().batch_received += 1;
        let response = batch::serve(&route, request, shared);
        return write(writer, request, response);
    }
    let Some(route) = wire::route(request) else {
        let message = format!("unknown route {} {}", request.method(), request.target());
        shared.state().violations.push(message.clone());
        let body = serde_json::json!({"error": {"message": message}});
        return write(writer, request, HttpResponse::json(404, &body));
    };
    let api = route.api;
    let key = wire::sent_key(api, request);
    let text = std::str::from_utf8(&request.body).ok();
    let body = text.and_then(Json::parse_str).unwrap_or(Json::Null);
    let model = route
        .model
        .clone()
        .or_else(|| body.get("model").and_then(Json::as_str).map(str::to_string));
    // Outside the lock, which every connection thread takes: the body's checks need nothing
    // of the state. Auth (under the lock) still wins over them.
    let body_checked = wire::check_body(api, &route, request, &body);
    let mut violations = wire::violations(api, request);

    let (decision, latency, index, spend, gateway, models, cites) = {
        let mut state = shared.state();
        let gateway = state.gateway && api == Api::OpenAi && route.kind == wire::Kind::Generate;
        let served = if gateway {
            state.models.get(&api).map(Vec::as_slice)
        } else {
            None
        };
        let checked =
            wire::check_access(api, &route, request, &body, &state.keys, served).and(body_checked);
        let limited = match (&checked, route.kind, &key) {
            (Ok(()), wire::Kind::Generate, Some(key)) => state
                .rate_limits
                .iter_mut()
                .find(|(a, k, _)| *a == api && k == key)
                .map(|(_, _, bucket)| bucket.take(Instant::now())),
            _ => None,
        };
        let decision = match (checked, limited) {
            (Err(response), _) => Decision::Fixed(response),
            (Ok(()), Some(Err(refused))) => {
                *state.rate_limited.entry(api).or_default() += 1;
                let seconds = reply::retry_after_seconds(refused.wait);
                let response =
                    reply::over_request_limit(api, model.as_deref().unwrap_or(""), &refused);
                Decision::Limited(response, seconds)
            }
            (Ok(()), budget) => {
                let scripted = if state.scripts.is_empty() {
                    None
                } else {
                    pick_behavior(
                        &mut state.scripts,
                        api,
                        key.as_deref(),
                        &String::from_utf8_lossy(&request.body),
                    )
                };
                let behavior = match scripted {
                    Some(behavior) => behavior,
                    None if route.kind == wire::Kind::Generate => state
                        .fault_mixes
                        .get_mut(&api)
                        .and_then(faults::FaultMix::draw)
                        .unwrap_or(Behavior::Ok),
                    None => Behavior::Ok,
                };
                Decision::Behave(behavior, budget.and_then(Result::ok))
            }
        };
        state.violations.append(&mut violations);
        state.received += 1;
        *state.received_by.entry(api).or_default() += 1;
        let in_flight = state.in_flight.entry(api).or_default();
        *in_flight += 1;
        let now = *in_flight;
        let peak = state.peak_in_flight.entry(api).or_default();
        *peak = (*peak).max(now);
        // Built only when kept: a clone of the headers and the parsed body is the dearest
        // part of a request.
        let index = (!state.log_off).then(|| {
            let (behavior, status) = match &decision {
                Decision::Fixed(r) => (Behavior::Ok, Some(r.status)),
                Decision::Limited(r, seconds) => (
                    Behavior::RateLimited(ResetHeader::RetryAfterSeconds(*seconds)),
                    Some(r.status),
                ),
                Decision::Behave(b, _) => (b.clone(), None),
            };
            state.requests.push(RecordedRequest {
                api,
                method: request.method().to_string(),
                key: key.clone(),
                path: request.target().to_string(),
                model: model.clone(),
                headers: request.headers_owned(),
                body: serde_json::from_slice(&request.body).unwrap_or(Value::Null),
                at: Instant::now(),
                behavior,
                status,
            });
            state.requests.len() - 1
        });
        let spend = match &decision {
            Decision::Behave(..) if route.kind == wire::Kind::Generate => {
                let model = model.as_deref().unwrap_or("");
                state.thinking.spend(api, model, &body, &request.body)
            }
            _ => None,
        };
        let latency = state.latency.get(&api).copied();
        let models = (route.kind == wire::Kind::Models)
            .then(|| state.models.get(&api).cloned().unwrap_or_default());
        let cites = !state.citing.is_empty()
            && key
                .as_ref()
                .is_some_and(|key| state.citing.contains(&(api, key.clone())));
        (decision, latency, index, spend, gateway, models, cites)
    };
    let mut in_flight = InFlight {
        shared,
        api,
        counted: true,
    };
    // In gateway mode the provider's rate-limit headers reach the client prefixed.
    let dressed = |mut response: HttpResponse| {
        if gateway {
            gateway::dress(&mut response);
        }
        response
    };

    if let Decision::Limited(response, _) = decision {
        return write(writer, request, dressed(response));
    }
    // The client may give up while the answer is "generated": the fake then bills an answer
    // nobody reads, as the real APIs do.
    let mut hung_up = false;
    if let Some(latency) = latency.filter(|l| !l.is_zero()) {
        match wait_watching(writer, latency, shared) {
            Waited::Elapsed => {}
            Waited::HungUp => hung_up = true,
            Waited::Stopping => return Outcome::Close,
        }
    }
    let (behavior, budget) = match decision {
        Decision::Fixed(response) | Decision::Limited(response, _) => {
            return write(writer, request, dressed(response));
        }
        Decision::Behave(behavior, budget) => (behavior, budget),
    };
    let (reply, usage) = reply::respond(
        api,
        &route,
        &behavior,
        &body,
        model.as_deref().unwrap_or(""),
        models.as_deref().unwrap_or_default(),
        cites,
        budget,
        spend,
    );
    let status = match &reply {
        reply::Reply::Hang(_) => None,
        reply::Reply::Whole(r) | reply::Reply::Cut(r) | reply::Reply::Chunked(r, _) => {
            Some(r.status)
        }
    };
    let billed = usage.filter(|_| status == Some(200));
    let good = billed.is_some_and(|usage| !usage.cut)
        && matches!(
            behavior,
            Behavior::Ok | Behavior::OkButExhausted(_) | Behavior::LeadingBlankLines(_)
        );
    let tag = good.then(|| text.and_then(paid::row_tag)).flatten();
    let answers = !matches!(reply, reply::Reply::Hang(_));
    {
        let mut state = shared.state();
        if let Some(index) = index
            && let Some(recorded) = state.requests.get_mut(index)
        {
            recorded.status = status;
        }
        // Billed and counted before the write, so a client that has its answer finds it
        // counted.
        if let Some(usage) = &billed {
            let model = model.as_deref().unwrap_or("");
            state.ledger.bill(api, model, false, usage);
            if hung_up {
                state.paid.undelivered();
            } else if let Some(tag) = tag {
                state.paid.good(tag);
            }
        }
        // An answer is out of flight once it is computed: this saves the write a third lock.
        if answers {
            in_flight.leave(&mut state);
        }
    }
    if hung_up {
        return Outcome::Close;
    }
    let (written, outcome) = match reply {
        reply::Reply::Whole(response) => {
            let written = dressed(response).write(writer, request.keep_alive());
            let outcome = if written.is_ok() {
                Outcome::KeepOpen
            } else {
                Outcome::Close
            };
            (written, outcome)
        }
        reply::Reply::Cut(response) => (dressed(response).write_cut(writer), Outcome::Close),
        reply::Reply::Chunked(response, prefix) => {
            let written = dressed(response).write_chunked(writer, &prefix, request.keep_alive());
            let outcome = if written.is_ok() {
                Outcome::KeepOpen
            } else {
                Outcome::Close
            };
            (written, outcome)
        }
        reply::Reply::Hang(None) => {
            shared.sleep(None);
            return Outcome::Close;
        }
        reply::Reply::Hang(Some(duration)) => {
            wait_watching(writer, duration, shared);
            return Outcome::Close;
        }
    };
    if written.is_err() && billed.is_some() {
        shared.state().paid.not_delivered_after_all(tag);
    }
    outcome
}

/// How a wait for the latency or a `HangFor` ended.
enum Waited {
    Elapsed,
    /// The client closed its side (or reset the connection).
    HungUp,
    Stopping,
}

/// Waits `duration` on a connection whose client owes no bytes (it awaits the answer), ending
/// early when the client hangs up or the server stops (which shuts every connection down). A
/// blocking peek with the time left as its read timeout wakes on either, without polling.
fn wait_watching(stream: &TcpStream, duration: Duration, shared: &Shared) -> Waited {
    let deadline = Instant::now() + duration;
    let mut byte = [0u8; 1];
    let stopping = || shared.stopping.load(Ordering::SeqCst);
    let waited = loop {
        if stopping() {
            break Waited::Stopping;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break Waited::Elapsed;
        }
        if stream.set_read_timeout(Some(left)).is_err() {
            break sleep_out(shared, left);
        }
        match stream.peek(&mut byte) {
            Ok(0) if stopping() => break Waited::Stopping,
            Ok(0) => break Waited::HungUp,
            // A pipelined request: its bytes would hide a close from a peek, so sleep instead.
            Ok(_) => break sleep_out(shared, left),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(_) => break Waited::HungUp,
        }
    };
    // The connection reads its next request without a timeout.
    let _ = stream.set_read_timeout(None);
    waited
}

fn sleep_out(shared: &Shared, duration: Duration) -> Waited {
    if shared.sleep(Some(duration)) {
        Waited::Stopping
    } else {
        Waited::Elapsed
    }
}

/// Counts a request out of `in_flight` however its answer ends.
struct InFlight<'a> {
    shared: &'a Shared,
    api: Api,
    counted: bool,
}

impl InFlight<'_> {
    /// Out of flight now, under a lock the caller already holds.
    fn leave(&mut self, state: &mut State) {
        if std::mem::take(&mut self.counted)
            && let Some(n) = state.in_flight.get_mut(&self.api)
        {
            *n = n.saturating_sub(1);
        }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.counted {
            let shared = self.shared;
            self.leave(&mut shared.state());
        }
    }
}

enum Decision {
    /// Validation or auth failed: this response, whatever is scripted.
    Fixed(HttpResponse),
    /// Over the key's rate limit: this 429, which asks to retry after so many seconds.
    Limited(HttpResponse, u64),
    /// What the scripts say, with the key's request budget when it is rate-limited.
    Behave(Behavior, Option<limit::RequestBudget>),
}

fn write(writer: &mut TcpStream, request: &HttpRequest, response: HttpResponse) -> Outcome {
    match response.write(writer, request.keep_alive()) {
        Ok(()) => Outcome::KeepOpen,
        Err(_) => Outcome::Close,
    }
}

/// The newest script that applies to this request, counting it against its `Times`; `None`
/// when none does.
fn pick_behavior(
    scripts: &mut [Script],
    api: Api,
    key: Option<&str>,
    body: &str,
) -> Option<Behavior> {
    let mut chosen: Option<usize> = None;
    for (i, script) in scripts.iter_mut().enumerate().rev() {
        if script.api != api || (script.key.is_some() && script.key.as_deref() != key) {
            continue;
        }
        if script
            .body_contains
            .as_deref()
            .is_some_and(|needle| !body.contains(needle))
        {
            continue;
        }
        script.seen += 1;
        let applies = match script.times {
            Times::Always => true,
            Times::Next(n) => script.used < n,
            Times::EveryNth(n) => script.seen % n == 0,
        };
        if applies && chosen.is_none() {
            chosen = Some(i);
        }
    }
    let i = chosen?;
    scripts[i].used += 1;
    Some(scripts[i].behavior.clone())
}
