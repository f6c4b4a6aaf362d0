//! The response side of the three wire formats: answers, error bodies and rate-limit headers in
//! each provider's real shape, for every scripted [`Behavior`].

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::clock::{ceil_seconds, go_duration, http_date_after, proto_duration, rfc3339_after};
use super::content::{self, cut_in_half, tokens};
use super::http::{Header, HttpResponse};
use super::json::Json;
use super::ledger::Usage;
use super::limit::{Refused, RequestBudget};
use super::out;
use super::schema;
use super::thinking::Spend;
use super::wire::{
    Kind, Route, anthropic_invalid_key, gemini_field, gemini_invalid_key, openai_invalid_key,
};
use super::{Api, Behavior, ResetHeader};

/// How the connection writes the answer.
pub enum Reply {
    Whole(HttpResponse),
    /// Full `content-length`, half the body, then close.
    Cut(HttpResponse),
    /// Chunked, with this first chunk flushed before the body.
    Chunked(HttpResponse, Vec<u8>),
    /// No answer: until the server stops (`None`), or for this long.
    Hang(Option<Duration>),
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

pub fn openai_error(
    status: u16,
    message: &str,
    kind: &str,
    param: Option<&str>,
    code: Option<&str>,
) -> HttpResponse {
    let body = json!({"error": {"message": message, "type": kind, "param": param, "code": code}});
    HttpResponse::json(status, &body).header("x-request-id", format!("req_fake{}", next_id()))
}

pub fn anthropic_error(status: u16, kind: &str, message: &str) -> HttpResponse {
    let id = format!("req_fake{}", next_id());
    let body =
        json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": id});
    HttpResponse::json(status, &body)
        .header("request-id", id)
        .header("anthropic-organization-id", "org-fake")
}

pub fn gemini_error(status: u16, code: &str, message: &str, details: Vec<Value>) -> HttpResponse {
    let mut error = json!({"code": status, "message": message, "status": code});
    if !details.is_empty() {
        error["details"] = Value::Array(details);
    }
    HttpResponse::json(status, &json!({ "error": error }))
}

/// What the request asked for, as the fake model sees it; borrowed from the body where it can
/// be, as every answer starts here.
struct Ask<'a> {
    /// Every text of the request, system prompt included.
    all_text: Cow<'a, str>,
    /// The system prompt (OpenAI `system`/`developer` messages, Anthropic `system`, Gemini
    /// `systemInstruction`).
    system_text: Cow<'a, str>,
    /// The user turns only: the topic is looked for here.
    user_text: Cow<'a, str>,
    json: bool,
    /// The JSON Schema the answer must match, where the wire carries it or the system prompt
    /// quotes it.
    schema: Option<Rc<schema::Known>>,
    /// Anthropic forced tool use: the tool's name.
    tool: Option<&'a str>,
    max_tokens: Option<u64>,
    /// Gemini: `responseModalities` includes `IMAGE`.
    image: bool,
    /// Gemini: a `google_search` tool is offered.
    search: bool,
}

/// Text of an OpenAI/Anthropic `content` (string or list of blocks) or a Gemini `parts` list.
fn text_of<'a>(content: &'a Json) -> Cow<'a, str> {
    match content {
        Json::String(s) => Cow::Borrowed(s),
        Json::Array(blocks) => {
            let mut texts = blocks
                .iter()
                .filter_map(|b| b.get("text").and_then(Json::as_str));
            match (texts.next(), texts.next()) {
                (None, _) => Cow::Borrowed(""),
                (Some(one), None) => Cow::Borrowed(one),
                (Some(first), Some(second)) => {
                    let mut all = format!("{first}\n{second}");
                    for text in texts {
                        all.push('\n');
                        all.push_str(text);
                    }
                    Cow::Owned(all)
                }
            }
        }
        _ => Cow::Borrowed(""),
    }
}

/// The texts joined by newlines, without copying a single one.
fn joined<'a>(mut texts: Vec<Cow<'a, str>>) -> Cow<'a, str> {
    match texts.len() {
        0 => Cow::Borrowed(""),
        1 => texts.pop().unwrap_or_default(),
        _ => Cow::Owned(texts.join("\n")),
    }
}

fn ask<'a>(api: Api, body: &'a Json) -> Ask<'a> {
    let mut all = Vec::with_capacity(4);
    let mut user = Vec::with_capacity(2);
    let mut system = Vec::with_capacity(2);
    let mut json;
    let mut schema = None;
    let mut tool = None;
    let max_tokens;
    let mut image = false;
    let mut search = false;
    match api {
        Api::OpenAi => {
            for message in body["messages"].as_array().into_iter().flatten() {
                let text = text_of(&message["content"]);
                if message["role"] == "user" {
                    user.push(text.clone());
                } else if message["role"] == "system" || message["role"] == "developer" {
                    system.push(text.clone());
                }
                all.push(text);
            }
            let format = &body["response_format"];
            json = matches!(format["type"].as_str(), Some("json_schema" | "json_object"));
            if format["type"] == "json_schema" {
                schema = Some(body_schema(&format["json_schema"]["schema"]));
            }
            max_tokens = body["max_completion_tokens"]
                .as_u64()
                .or(body["max_tokens"].as_u64());
        }
        Api::Anthropic => {
            system.push(text_of(&body["system"]));
            all.push(text_of(&body["system"]));
            for message in body["messages"].as_array().into_iter().flatten() {
                let text = text_of(&message["content"]);
                if message["role"] == "user" {
                    user.push(text.clone());
                }
                all.push(text);
            }
            json = body["output_config"]["format"].is_object() || body["output_format"].is_object();
            schema = [&body["output_config"]["format"], &body["output_format"]]
                .into_iter()
                .find_map(|format| format.get("schema"))
                .map(body_schema);
            if body["tool_choice"]["type"] == "tool" {
                tool = body["tool_choice"]["name"].as_str();
                let forced = body["tools"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|t| t["name"].as_str() == tool);
                schema = forced.and_then(|t| t.get("input_schema")).map(body_schema);
            }
            max_tokens = body["max_tokens"].as_u64();
        }
        Api::Gemini => {
            if let Some(instruction) = gemini_field(body, "systemInstruction") {
                system.push(text_of(&instruction["parts"]));
                all.push(text_of(&instruction["parts"]));
            }
            for turn in gemini_field(body, "contents")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                let text = text_of(&turn["parts"]);
                if turn["role"] != "model" {
                    user.push(text.clone());
                }
                all.push(text);
            }
            let config = gemini_field(body, "generationConfig");
            json = config
                .and_then(|c| gemini_field(c, "responseMimeType"))
                .and_then(Json::as_str)
                == Some("application/json");
            schema = config
                .and_then(|c| {
                    gemini_field(c, "responseJsonSchema")
                        .or_else(|| gemini_field(c, "responseSchema"))
                })
                .map(body_schema);
            max_tokens = config
                .and_then(|c| gemini_field(c, "maxOutputTokens"))
                .and_then(Json::as_u64);
            image = config
                .and_then(|c| gemini_field(c, "responseModalities"))
                .and_then(Json::as_array)
                .is_some_and(|m| m.iter().any(|m| m == "IMAGE"));
            search = gemini_field(body, "tools")
                .and_then(Json::as_array)
                .is_some_and(|tools| {
                    tools
                        .iter()
                        .any(|tool| gemini_field(tool, "googleSearch").is_some())
                });
        }
    }
    let system_text = joined(system);
    // JSON mode without a schema field (`json_object`), or no JSON mode at all (gen's
    // prompt-only dialect): the schema, if any, is quoted in the system prompt.
    if schema.is_none()
        && tool.is_none()
        && let Some(quoted) = quoted_schema(&system_text)
    {
        json = true;
        schema = Some(quoted);
    }
    Ask {
        all_text: joined(all),
        system_text,
        user_text: joined(user),
        json,
        schema,
        tool,
        max_tokens,
        image,
        search,
    }
}

/// The schema a system prompt quotes, parsed once per distinct prompt and thread: every row of
/// a run sends the same one.
fn quoted_schema(system: &str) -> Option<Rc<schema::Known>> {
    thread_local! {
        static QUOTED: RefCell<SchemaCache> = RefCell::default();
    }
    QUOTED.with_borrow_mut(|cache| cache.get(system, || schema::quoted_in(system)))
}

/// A schema the body carries, as the schema writer takes it: converted once per distinct
/// schema text and thread.
fn body_schema(schema: &Json) -> Rc<schema::Known> {
    thread_local! {
        static SENT: RefCell<SchemaCache> = RefCell::default();
    }
    let Some(object) = schema.as_object() else {
        return Rc::new(schema::Known::new(schema.to_value()));
    };
    SENT.with_borrow_mut(|cache| cache.get(object.raw(), || Some(schema.to_value())))
        .unwrap_or_else(|| Rc::new(schema::Known::new(Value::Null)))
}

/// Schemas by the text they came from. A test sends many of its own, a bench one: the cache
/// starts over past a few dozen.
#[derive(Default)]
struct SchemaCache(HashMap<String, Option<Rc<schema::Known>>>);

impl SchemaCache {
    fn get(
        &mut self,
        text: &str,
        make: impl FnOnce() -> Option<Value>,
    ) -> Option<Rc<schema::Known>> {
        if let Some(known) = self.0.get(text) {
            return known.clone();
        }
        if self.0.len() >= 64 {
            self.0.clear();
        }
        let made = make().map(|value| Rc::new(schema::Known::new(value)));
        self.0.insert(text.to_string(), made.clone());
        made
    }
}

/// The JSON Schema a request asked its answer to match: OpenAI's
/// `response_format.json_schema.schema`, Anthropic's `output_config.format.schema` (or the forced
/// tool's `input_schema`), Gemini's `generationConfig.responseJsonSchema` or `responseSchema`, or
/// the one the system prompt quotes (`json_object` and prompt-only JSON).
pub fn requested_schema(api: Api, body: &Value) -> Option<Value> {
    super::json::with_json(body, |body| {
        ask(api, body).schema.map(|schema| schema.value.clone())
    })
}

/// A successful answer's pieces, before the provider's envelope.
struct Answer {
    text: String,
    input_tokens: u64,
    /// Reasoning included.
    output_tokens: u64,
    reasoning_tokens: u64,
    /// The reasoning the answer shows (DeepSeek `reasoning_content`, an Anthropic `thinking`
    /// block, a Gemini thought part).
    reasoning_text: Option<String>,
    /// Cut before any text: no text block (Anthropic), no `content.parts` (Gemini).
    textless: bool,
}

/// The finish of a 200 answer.
#[derive(Clone, Copy, PartialEq)]
enum Finish {
    Stop,
    Length,
    Safety,
}

/// The answer for a request under a behavior.
///
/// `cites`: the key is in Perplexity-style search mode (OpenAI wire), so successful answers
/// carry `citations` and `search_results`. `limited`: the key's request budget after this
/// request when it has a rate limit; every answer then says so in its headers (a scripted
/// answer's own request-limit headers win). `spend`: what the reasoning simulation drew for
/// this request (`None` when it is off or the model unknown: no cap is enforced then).
///
/// With the reply comes the usage to bill when it is a 200 answer to a generate route.
#[allow(clippy::too_many_arguments)]
pub fn respond(
    api: Api,
    route: &Route,
    behavior: &Behavior,
    body: &Json,
    model: &str,
    models: &[String],
    cites: bool,
    limited: Option<RequestBudget>,
    spend: Option<Spend>,
) -> (Reply, Option<Usage>) {
    let (mut reply, usage) = answer_behavior(
        api, route, behavior, body, model, models, cites, limited, spend,
    );
    if let Some(budget) = limited {
        match &mut reply {
            Reply::Whole(r) | Reply::Cut(r) | Reply::Chunked(r, _) => {
                for (name, value) in budget_headers(api, &budget) {
                    if r.headers.iter().all(|(n, _)| *n != name) {
                        r.headers.push((name, value));
                    }
                }
            }
            Reply::Hang(_) => {}
        }
    }
    (reply, usage)
}

#[allow(clippy::too_many_arguments)]
fn answer_behavior(
    api: Api,
    route: &Route,
    behavior: &Behavior,
    body: &Json,
    model: &str,
    models: &[String],
    cites: bool,
    limited: Option<RequestBudget>,
    spend: Option<Spend>,
) -> (Reply, Option<Usage>) {
    let ok = |finish, text: Option<String>, exhausted: Option<Duration>| {
        if route.kind == Kind::Models {
            return (model_list(api, models), None);
        }
        let budget = limited.unwrap_or_else(|| default_budget(api));
        let budget = match exhausted {
            Some(reset) => RequestBudget {
                remaining: 0,
                reset,
                ..budget
            },
            None => budget,
        };
        let (response, usage) = success(api, body, model, finish, text, budget, cites, spend);
        (response, Some(usage))
    };
    let whole = |(response, usage)| (Reply::Whole(response), usage);
    let failed = |response| (Reply::Whole(response), None);
    match behavior {
        Behavior::Ok => whole(ok(Finish::Stop, None, None)),
        Behavior::OkButExhausted(reset) => whole(ok(Finish::Stop, None, Some(*reset))),
        Behavior::EmptyContent => whole(ok(Finish::Stop, Some(String::new()), None)),
        Behavior::SafetyBlock => whole(ok(Finish::Safety, None, None)),
        Behavior::LengthCut => whole(ok(Finish::Length, None, None)),
        Behavior::LeadingBlankLines(n) => {
            let (response, usage) = ok(Finish::Stop, None, None);
            (Reply::Chunked(response, b"\n".repeat(*n)), usage)
        }
        Behavior::CutMidBody => {
            let (response, usage) = ok(Finish::Stop, None, None);
            (Reply::Cut(response), usage)
        }
        Behavior::MalformedJson => {
            let (mut broken, usage) = ok(Finish::Stop, None, None);
            let text = String::from_utf8_lossy(&broken.body).into_owned();
            broken.body = format!("{}<!-- upstream reset", cut_in_half(&text)).into_bytes();
            (Reply::Whole(broken), usage)
        }
        Behavior::Hang => (Reply::Hang(None), None),
        Behavior::HangFor(duration) => (Reply::Hang(Some(*duration)), None),
        Behavior::RateLimited(reset) => failed(rate_limited(api, model, reset)),
        Behavior::QuotaExhausted => failed(quota_exhausted(api, model)),
        Behavior::ServerError(status) => failed(server_error(api, *status)),
        Behavior::Overloaded => failed(match api {
            Api::Anthropic => anthropic_error(529, "overloaded_error", "Overloaded"),
            _ => server_error(api, 503),
        }),
        Behavior::Auth401 => failed(match api {
            Api::OpenAi => openai_invalid_key("sk-fake-revoked-key-0000"),
            Api::Anthropic => anthropic_invalid_key(),
            Api::Gemini => gemini_invalid_key(),
        }),
        Behavior::ModelNotFound => failed(match api {
            Api::OpenAi => openai_error(
                404,
                &format!("The model `{model}` does not exist or you do not have access to it."),
                "invalid_request_error",
                None,
                Some("model_not_found"),
            ),
            Api::Anthropic => anthropic_error(404, "not_found_error", &format!("model: {model}")),
            Api::Gemini => gemini_error(
                404,
                "NOT_FOUND",
                &format!(
                    "models/{model} is not found for API version v1beta, or is not supported for \
                     generateContent. Call ListModels to see the list of available models and \
                     their supported methods."
                ),
                vec![],
            ),
        }),
        Behavior::BadRequest(message) => failed(match api {
            Api::OpenAi => openai_error(400, message, "invalid_request_error", None, None),
            Api::Anthropic => anthropic_error(400, "invalid_request_error", message),
            Api::Gemini => gemini_error(400, "INVALID_ARGUMENT", message, vec![]),
        }),
    }
}

#[allow(clippy::too_many_arguments)]
fn success(
    api: Api,
    body: &Json,
    model: &str,
    finish: Finish,
    text: Option<String>,
    budget: RequestBudget,
    cites: bool,
    spend: Option<Spend>,
) -> (HttpResponse, Usage) {
    let ask = ask(api, body);
    let topic_source: &str = if ask.user_text.trim().is_empty() {
        &ask.all_text
    } else {
        &ask.user_text
    };
    let topic = content::topic(topic_source);
    let scripted_text = text.is_some();
    let full = text.unwrap_or_else(|| {
        if ask.image {
            // Image models say a line about the picture they drew.
            format!("Here is a picture for {topic}.")
        } else {
            let json = ask.json || ask.tool.is_some();
            content::answer_on(
                &ask.system_text,
                topic_source,
                &topic,
                json,
                ask.schema.as_ref().map(|known| &known.plan),
            )
        }
    });
    // A picture only in a whole, unscripted answer: EmptyContent stays empty.
    let picture = (ask.image && finish == Finish::Stop && !scripted_text).then(|| picture(&topic));
    // Pictures keep the fake's simple accounting, reasoning or not.
    let (text, finish, output_tokens, reasoning_tokens) = match spend.filter(|_| !ask.image) {
        None => {
            let text = match finish {
                Finish::Length => cut_in_half(&full),
                Finish::Safety => String::new(),
                Finish::Stop => full,
            };
            let output = match finish {
                Finish::Length => ask.max_tokens.unwrap_or_else(|| tokens(&text)),
                Finish::Safety => 0,
                Finish::Stop if text.is_empty() => 0,
                Finish::Stop => tokens(&text) + picture.as_ref().map_or(0, |_| TOKENS_PER_IMAGE),
            };
            (text, finish, output, 0)
        }
        Some(spend) => within_cap(finish, full, ask.max_tokens, spend.reasoning),
    };
    let cut = finish == Finish::Length;
    let usage = Usage {
        input_tokens: tokens(&ask.all_text),
        output_tokens,
        reasoning_tokens,
        cut,
        cut_without_text: cut && text.is_empty(),
    };
    let answer = Answer {
        input_tokens: usage.input_tokens,
        output_tokens,
        reasoning_tokens,
        reasoning_text: spend
            .filter(|s| s.shows && reasoning_tokens > 0)
            .map(|_| reasoning_text(&topic)),
        textless: spend.is_some() && usage.cut_without_text,
        text,
    };
    let sources = || content::sources(&topic);
    let response = match api {
        Api::OpenAi => {
            let cited = (cites && finish != Finish::Safety).then(sources);
            openai_success(model, finish, &answer, budget, cited.as_deref())
        }
        Api::Anthropic => {
            let tool = ask
                .tool
                .filter(|_| finish == Finish::Stop && !answer.text.is_empty())
                .map(|name| {
                    let plan = ask.schema.as_ref().map(|known| &known.plan);
                    (name, content::plan_value(plan, &topic))
                });
            anthropic_success(model, finish, &answer, tool, budget)
        }
        Api::Gemini => {
            let grounded = (ask.search && finish != Finish::Safety).then(sources);
            let grounded = grounded.as_ref().map(|urls| &urls[..2]);
            gemini_success(model, finish, &answer, picture, grounded)
        }
    };
    (response, usage)
}

/// Text, finish, output tokens and reasoning tokens of an answer that first spent `reasoning`
/// hidden tokens, against the request's output cap (which covers reasoning and answer alike):
/// reasoning that reaches the cap leaves no text; reasoning and answer over it cut the answer
/// where the two add up to the cap.
fn within_cap(
    finish: Finish,
    full: String,
    cap: Option<u64>,
    reasoning: u64,
) -> (String, Finish, u64, u64) {
    let answer_tokens = |text: &str| if text.is_empty() { 0 } else { tokens(text) };
    match finish {
        Finish::Safety => (String::new(), Finish::Safety, 0, 0),
        Finish::Length => {
            let text = cut_in_half(&full);
            let answer = answer_tokens(&text);
            match cap {
                Some(cap) => {
                    let reasoning = reasoning.min(cap.saturating_sub(answer));
                    (text, Finish::Length, cap, reasoning)
                }
                None => (text, Finish::Length, reasoning + answer, reasoning),
            }
        }
        Finish::Stop => {
            let answer = answer_tokens(&full);
            match cap {
                Some(cap) if reasoning >= cap => (String::new(), Finish::Length, cap, cap),
                Some(cap) if reasoning + answer > cap => (
                    first_tokens(&full, cap - reasoning),
                    Finish::Length,
                    cap,
                    reasoning,
                ),
                _ => (full, Finish::Stop, reasoning + answer, reasoning),
            }
        }
    }
}

/// The longest start of `text` (on a character boundary) of at most `n` tokens.
fn first_tokens(text: &str, n: u64) -> String {
    let bytes = usize::try_from(n.saturating_mul(4)).unwrap_or(usize::MAX);
    let mut end = bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// The reasoning a thinking model shows before its answer.
fn reasoning_text(topic: &str) -> String {
    format!(
        "The request is about {topic}. First I check which format is asked for, then I plan the \
         sections and what each must cover, and finally I write the answer in that order."
    )
}

/// What an image model reports per picture (a 1024×1024 image).
const TOKENS_PER_IMAGE: u64 = 1_290;

/// A small valid PNG for `topic`, drawn by gen's own mock (a public library function): the
/// fake checks the wire, not the drawing.
fn picture(topic: &str) -> Vec<u8> {
    gen_core::providers::mock_article::png(content::fnv(topic.as_bytes()), 8).data
}

/// Standard padded base64 (RFC 4648 §4), as Gemini sends `inlineData.data`. Written here, not
/// shared with gen, so the fake cannot agree with a bug in gen's decoder.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= group.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A 200 with a body written by [`out`].
fn json_200(body: Vec<u8>) -> HttpResponse {
    HttpResponse::raw(200, "application/json", body)
}

fn openai_success(
    model: &str,
    finish: Finish,
    answer: &Answer,
    budget: RequestBudget,
    cited: Option<&[String]>,
) -> HttpResponse {
    let id = next_id();
    let finish_reason = match finish {
        Finish::Stop => "stop",
        Finish::Length => "length",
        Finish::Safety => "content_filter",
    };
    let mut body = Vec::with_capacity(answer.text.len() + 768);
    let b = &mut body;
    out::raw(b, "{\"id\":\"chatcmpl-fake");
    out::number(b, id);
    out::raw(b, "\",\"object\":\"chat.completion\",\"created\":");
    out::number(b, unix_now());
    out::raw(b, ",\"model\":");
    out::string(b, model);
    out::raw(
        b,
        ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":",
    );
    match finish {
        Finish::Safety => out::raw(b, "null"),
        _ => out::string(b, &answer.text),
    }
    out::raw(b, ",\"refusal\":null,\"annotations\":[]");
    if let Some(reasoning) = &answer.reasoning_text {
        // DeepSeek: the chain of thought beside the answer.
        out::raw(b, ",\"reasoning_content\":");
        out::string(b, reasoning);
    }
    out::raw(b, "},\"logprobs\":null,\"finish_reason\":\"");
    out::raw(b, finish_reason);
    out::raw(b, "\"}],\"usage\":{\"prompt_tokens\":");
    out::number(b, answer.input_tokens);
    out::raw(b, ",\"completion_tokens\":");
    out::number(b, answer.output_tokens);
    out::raw(b, ",\"total_tokens\":");
    out::number(b, answer.input_tokens + answer.output_tokens);
    out::raw(
        b,
        ",\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},\
         \"completion_tokens_details\":{\"reasoning_tokens\":",
    );
    out::number(b, answer.reasoning_tokens);
    out::raw(
        b,
        ",\"audio_tokens\":0,\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}},\
         \"service_tier\":\"default\",\"system_fingerprint\":\"fp_fake\"",
    );
    if let Some(urls) = cited {
        // Perplexity: the same sources twice, bare and with titles.
        out::raw(b, ",\"citations\":");
        out::value(b, &json!(urls));
        let results: Vec<Value> = urls
            .iter()
            .enumerate()
            .map(|(i, url)| {
                json!({"title": format!("Source {}", i + 1), "url": url,
                       "date": "2025-06-01", "snippet": "A page the fake searched."})
            })
            .collect();
        out::raw(b, ",\"search_results\":");
        out::value(b, &Value::Array(results));
    }
    out::raw(b, "}");
    let mut response = json_200(body)
        .header("x-request-id", format!("req_fake{id}"))
        .header("openai-processing-ms", "1")
        .header("openai-version", "2020-10-01");
    response
        .headers
        .extend(budget_headers(Api::OpenAi, &budget));
    response
        .header("x-ratelimit-limit-tokens", "2000000")
        .header(
            "x-ratelimit-remaining-tokens",
            (2_000_000 - answer.input_tokens.min(2_000_000)).to_string(),
        )
        .header("x-ratelimit-reset-tokens", "12ms")
}

/// The limit, remaining and reset headers of Anthropic's three token limits.
const ANTHROPIC_TOKEN_HEADERS: [[&str; 3]; 3] = [
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

fn anthropic_success(
    model: &str,
    finish: Finish,
    answer: &Answer,
    tool: Option<(&str, Value)>,
    budget: RequestBudget,
) -> HttpResponse {
    let id = next_id();
    let mut body = Vec::with_capacity(answer.text.len() + 512);
    let b = &mut body;
    out::raw(b, "{\"id\":\"msg_fake");
    out::number(b, id);
    out::raw(
        b,
        "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":",
    );
    out::string(b, model);
    out::raw(b, ",\"content\":[");
    // Thinking blocks come first, each signed.
    let mut first = true;
    if let Some(thinking) = &answer.reasoning_text {
        let signature = format!(
            "EqQBCkYI{}",
            base64(&content::fnv(thinking.as_bytes()).to_be_bytes())
        );
        out::raw(b, "{\"type\":\"thinking\",\"thinking\":");
        out::string(b, thinking);
        out::raw(b, ",\"signature\":");
        out::string(b, &signature);
        out::raw(b, "}");
        first = false;
    }
    let text_block = |b: &mut Vec<u8>, first: bool| {
        if !answer.textless {
            if !first {
                out::raw(b, ",");
            }
            out::raw(b, "{\"type\":\"text\",\"text\":");
            out::string(b, &answer.text);
            out::raw(b, "}");
        }
    };
    let stop_reason = match (finish, tool) {
        (Finish::Stop, Some((name, input))) => {
            if !first {
                out::raw(b, ",");
            }
            out::raw(b, "{\"type\":\"tool_use\",\"id\":\"toolu_fake");
            out::number(b, id);
            out::raw(b, "\",\"name\":");
            out::string(b, name);
            out::raw(b, ",\"input\":");
            out::value(b, &input);
            out::raw(b, "}");
            "tool_use"
        }
        (Finish::Stop, None) => {
            text_block(b, first);
            "end_turn"
        }
        (Finish::Length, _) => {
            text_block(b, first);
            "max_tokens"
        }
        (Finish::Safety, _) => "refusal",
    };
    out::raw(b, "],\"stop_reason\":\"");
    out::raw(b, stop_reason);
    out::raw(b, "\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":");
    out::number(b, answer.input_tokens);
    out::raw(b, ",\"output_tokens\":");
    out::number(b, answer.output_tokens);
    out::raw(
        b,
        ",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\
         \"service_tier\":\"standard\"}}",
    );
    let reset = rfc3339_after(budget.reset);
    let mut response = json_200(body)
        .header("request-id", format!("req_fake{id}"))
        .header("anthropic-organization-id", "org-fake");
    response
        .headers
        .extend(budget_headers(Api::Anthropic, &budget));
    for [limit, remaining, reset_name] in ANTHROPIC_TOKEN_HEADERS {
        response = response
            .header(limit, "400000")
            .header(remaining, "399000")
            .header(reset_name, reset.clone());
    }
    response
}

fn gemini_success(
    model: &str,
    finish: Finish,
    answer: &Answer,
    picture: Option<Vec<u8>>,
    grounded: Option<&[String]>,
) -> HttpResponse {
    let id = next_id();
    if finish == Finish::Safety {
        let body = json!({
            "promptFeedback": {"blockReason": "SAFETY", "safetyRatings": [
                {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true}]},
            "usageMetadata": {"promptTokenCount": answer.input_tokens,
                              "totalTokenCount": answer.input_tokens},
            "modelVersion": model,
            "responseId": format!("fake{id}"),
        });
        return HttpResponse::json(200, &body);
    }
    let mut body = Vec::with_capacity(answer.text.len() + 512);
    let b = &mut body;
    out::raw(b, "{\"candidates\":[{\"content\":{\"role\":\"model\"");
    // Cut while thinking: a candidate whose content has no parts at all.
    if !answer.textless {
        out::raw(b, ",\"parts\":[");
        if let Some(thought) = &answer.reasoning_text {
            out::raw(b, "{\"text\":");
            out::string(b, thought);
            out::raw(b, ",\"thought\":true},");
        }
        out::raw(b, "{\"text\":");
        out::string(b, &answer.text);
        out::raw(b, "}");
        if let Some(png) = &picture {
            out::raw(
                b,
                ",{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"",
            );
            out::raw(b, &base64(png));
            out::raw(b, "\"}}");
        }
        out::raw(b, "]");
    }
    out::raw(b, "},\"finishReason\":");
    out::raw(
        b,
        if finish == Finish::Length {
            "\"MAX_TOKENS\""
        } else {
            "\"STOP\""
        },
    );
    out::raw(b, ",\"index\":0");
    if let Some(urls) = grounded {
        out::raw(b, ",\"groundingMetadata\":");
        out::value(b, &grounding(&answer.text, urls));
    }
    // Thoughts are counted apart from the candidates; no candidate tokens when there is no text.
    out::raw(b, "}],\"usageMetadata\":{\"promptTokenCount\":");
    out::number(b, answer.input_tokens);
    if !answer.textless {
        out::raw(b, ",\"candidatesTokenCount\":");
        out::number(b, answer.output_tokens - answer.reasoning_tokens);
    }
    out::raw(b, ",\"totalTokenCount\":");
    out::number(b, answer.input_tokens + answer.output_tokens);
    out::raw(
        b,
        ",\"promptTokensDetails\":[{\"modality\":\"TEXT\",\"tokenCount\":",
    );
    out::number(b, answer.input_tokens);
    out::raw(b, "}]");
    if answer.reasoning_tokens > 0 {
        out::raw(b, ",\"thoughtsTokenCount\":");
        out::number(b, answer.reasoning_tokens);
    }
    out::raw(b, "},\"modelVersion\":");
    out::string(b, model);
    out::raw(b, ",\"responseId\":\"fake");
    out::number(b, id);
    out::raw(b, "\"}");
    json_200(body)
}

/// Grounding with Google Search as the API reports it: the queries, the pages (behind Google's
/// redirect URLs, titled with their domains) and which text they support.
fn grounding(text: &str, urls: &[String]) -> Value {
    let chunks: Vec<Value> = urls
        .iter()
        .map(|url| {
            let domain = url
                .trim_start_matches("https://")
                .split('/')
                .next()
                .unwrap_or(url);
            json!({"web": {
                "uri": format!(
                    "https://vertexaisearch.cloud.google.com/grounding-api-redirect/fake-{:x}",
                    content::fnv(url.as_bytes())
                ),
                "title": domain,
            }})
        })
        .collect();
    let first_line = text.lines().next().unwrap_or("");
    json!({
        "webSearchQueries": [first_line.trim_start_matches('#').trim()],
        "searchEntryPoint": {"renderedContent": "<div class=\"fake-search-chips\"></div>"},
        "groundingChunks": chunks,
        "groundingSupports": [{
            "segment": {"startIndex": 0, "endIndex": first_line.len(), "text": first_line},
            "groundingChunkIndices": (0..urls.len()).collect::<Vec<_>>(),
        }],
    })
}

fn model_list(api: Api, models: &[String]) -> HttpResponse {
    let body = match api {
        Api::OpenAi => json!({"object": "list", "data": models.iter().map(|m| json!({
            "id": m, "object": "model", "created": 1_700_000_000, "owned_by": "fake"})).collect::<Vec<_>>()}),
        Api::Anthropic => json!({
            "data": models.iter().map(|m| json!({"type": "model", "id": m, "display_name": m,
                "created_at": "2025-10-01T00:00:00Z"})).collect::<Vec<_>>(),
            "has_more": false,
            "first_id": models.first(),
            "last_id": models.last(),
        }),
        Api::Gemini => json!({"models": models.iter().map(|m| json!({
            "name": format!("models/{m}"), "version": "001", "displayName": m,
            "inputTokenLimit": 1_048_576, "outputTokenLimit": 65_536,
            "supportedGenerationMethods": ["generateContent", "countTokens", "batchGenerateContent"],
        })).collect::<Vec<_>>()}),
    };
    HttpResponse::json(200, &body)
}

/// The headers of one reset form; the body-only Gemini form has none.
fn reset_headers(reset: &ResetHeader) -> Vec<Header> {
    let h = |n: &'static str, v: String| (n.into(), v.into());
    match reset {
        ResetHeader::None | ResetHeader::GeminiRetryDelay(_) => vec![],
        ResetHeader::RetryAfterSeconds(s) => vec![h("retry-after", s.to_string())],
        ResetHeader::RetryAfterMs(ms) => vec![h("retry-after-ms", ms.to_string())],
        ResetHeader::RetryAfterHttpDate(d) => vec![h("retry-after", http_date_after(*d))],
        ResetHeader::OpenAiResetRequests(d) => vec![
            h("x-ratelimit-limit-requests", "60".into()),
            h("x-ratelimit-remaining-requests", "0".into()),
            h("x-ratelimit-reset-requests", go_duration(*d)),
        ],
        ResetHeader::OpenAiResetTokens(d) => vec![
            h("x-ratelimit-limit-tokens", "150000".into()),
            h("x-ratelimit-remaining-tokens", "0".into()),
            h("x-ratelimit-reset-tokens", go_duration(*d)),
        ],
        ResetHeader::AnthropicReset(d) => vec![
            h("anthropic-ratelimit-requests-limit", "50".into()),
            h("anthropic-ratelimit-requests-remaining", "0".into()),
            h("anthropic-ratelimit-requests-reset", rfc3339_after(*d)),
            h("retry-after", ceil_seconds(*d).to_string()),
        ],
    }
}

/// The wait a 429 names, for its message.
fn reset_wait(reset: &ResetHeader) -> Option<Duration> {
    match reset {
        ResetHeader::None => None,
        ResetHeader::RetryAfterSeconds(s) => Some(Duration::from_secs(*s)),
        ResetHeader::RetryAfterMs(ms) => Some(Duration::from_millis(*ms)),
        ResetHeader::RetryAfterHttpDate(d)
        | ResetHeader::OpenAiResetRequests(d)
        | ResetHeader::OpenAiResetTokens(d)
        | ResetHeader::AnthropicReset(d)
        | ResetHeader::GeminiRetryDelay(d) => Some(*d),
    }
}

fn rate_limited(api: Api, model: &str, reset: &ResetHeader) -> HttpResponse {
    let wait = reset_wait(reset);
    let mut response = match api {
        Api::OpenAi => {
            let tokens = matches!(reset, ResetHeader::OpenAiResetTokens(_));
            let (kind, per) = if tokens {
                (
                    "tokens",
                    "tokens per min (TPM): Limit 150000, Used 149990, Requested 400",
                )
            } else {
                (
                    "requests",
                    "requests per min (RPM): Limit 60, Used 60, Requested 1",
                )
            };
            let again = wait.map_or(String::new(), |w| {
                format!(" Please try again in {}.", go_duration(w))
            });
            openai_error(
                429,
                &format!(
                    "Rate limit reached for {model} in organization org-fake on {per}.{again}"
                ),
                kind,
                None,
                Some("rate_limit_exceeded"),
            )
        }
        Api::Anthropic => anthropic_error(
            429,
            "rate_limit_error",
            "This request would exceed the rate limit for your organization (org-fake) of 50 \
             requests per minute. Please reduce the prompt length or the maximum tokens \
             requested, or try again later.",
        ),
        Api::Gemini => {
            let mut details = vec![quota_failure(
                model,
                "GenerateRequestsPerMinutePerProjectPerModel",
                "generate_content_requests",
                "15",
            )];
            let mut message = "You exceeded your current quota, please check your plan and \
                               billing details."
                .to_string();
            if let ResetHeader::GeminiRetryDelay(d) = reset {
                details.push(retry_info(*d));
                message.push_str(&format!(" Please retry in {}.", proto_duration(*d)));
            }
            gemini_error(429, "RESOURCE_EXHAUSTED", &message, details)
        }
    };
    response.headers.extend(reset_headers(reset));
    response
}

/// What an unlimited key's answers report: a budget far from running out.
fn default_budget(api: Api) -> RequestBudget {
    match api {
        Api::Anthropic => RequestBudget {
            limit: 4_000,
            remaining: 3_999,
            reset: Duration::from_secs(1),
        },
        _ => RequestBudget {
            limit: 10_000,
            remaining: 9_999,
            reset: Duration::from_millis(6),
        },
    }
}

/// The request-limit headers of a budget: Go durations for OpenAI, RFC 3339 for Anthropic,
/// none for Gemini.
fn budget_headers(api: Api, budget: &RequestBudget) -> Vec<Header> {
    let h = |n: &'static str, v: String| (n.into(), v.into());
    match api {
        Api::OpenAi => vec![
            h("x-ratelimit-limit-requests", budget.limit.to_string()),
            h(
                "x-ratelimit-remaining-requests",
                budget.remaining.to_string(),
            ),
            h("x-ratelimit-reset-requests", go_duration(budget.reset)),
        ],
        Api::Anthropic => vec![
            h(
                "anthropic-ratelimit-requests-limit",
                budget.limit.to_string(),
            ),
            h(
                "anthropic-ratelimit-requests-remaining",
                budget.remaining.to_string(),
            ),
            h(
                "anthropic-ratelimit-requests-reset",
                rfc3339_after(budget.reset),
            ),
        ],
        Api::Gemini => vec![],
    }
}

/// The whole seconds a limiter 429 asks to wait: rounded up, at least 1.
pub fn retry_after_seconds(wait: Duration) -> u64 {
    ceil_seconds(wait).max(1)
}

/// The 429 of a key over its requests-per-minute limit, in the provider's real shape: OpenAI and
/// Anthropic with `retry-after` and the request-limit headers, Gemini with only `RetryInfo`.
pub fn over_request_limit(api: Api, model: &str, refused: &Refused) -> HttpResponse {
    let limit = refused.budget.limit;
    let mut response = match api {
        Api::OpenAi => openai_error(
            429,
            &format!(
                "Rate limit reached for {model} in organization org-fake on requests per min \
                 (RPM): Limit {limit}, Used {limit}, Requested 1. Please try again in {}.",
                go_duration(refused.wait)
            ),
            "requests",
            None,
            Some("rate_limit_exceeded"),
        ),
        Api::Anthropic => anthropic_error(
            429,
            "rate_limit_error",
            &format!(
                "This request would exceed the rate limit for your organization (org-fake) of \
                 {limit} requests per minute. You can see the response headers for current usage. \
                 Please reduce the prompt length or the maximum tokens \
                 requested, or try again later."
            ),
        ),
        Api::Gemini => {
            let details = vec![
                quota_failure(
                    model,
                    "GenerateRequestsPerMinutePerProjectPerModel",
                    "generate_content_requests",
                    &limit.to_string(),
                ),
                retry_info(refused.wait),
            ];
            let message = format!(
                "You exceeded your current quota, please check your plan and billing details. \
                 Please retry in {}.",
                proto_duration(refused.wait)
            );
            gemini_error(429, "RESOURCE_EXHAUSTED", &message, details)
        }
    };
    if api != Api::Gemini {
        let retry_after = retry_after_seconds(refused.wait).to_string();
        response
            .headers
            .push(("retry-after".into(), retry_after.into()));
        response
            .headers
            .extend(budget_headers(api, &refused.budget));
    }
    response
}

fn quota_failure(model: &str, quota_id: &str, metric: &str, value: &str) -> Value {
    json!({"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
        "quotaMetric": format!("{}/{metric}", super::wire::SERVICE_NAME),
        "quotaId": quota_id,
        "quotaDimensions": {"model": model, "location": "global"},
        "quotaValue": value,
    }]})
}

fn retry_info(d: Duration) -> Value {
    json!({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": proto_duration(d)})
}

fn quota_exhausted(api: Api, model: &str) -> HttpResponse {
    match api {
        Api::OpenAi => openai_error(
            429,
            "You exceeded your current quota, please check your plan and billing details. For \
             more information on this error, read the docs: \
             https://platform.openai.com/docs/guides/error-codes/api-errors.",
            "insufficient_quota",
            None,
            Some("insufficient_quota"),
        ),
        Api::Anthropic => anthropic_error(
            402,
            "billing_error",
            "Your credit balance is too low to access the Anthropic API. Please go to Plans & \
             Billing to upgrade or purchase credits.",
        ),
        // The real daily-quota 429 still carries a short retryDelay: only the quotaId says
        // waiting will not help.
        Api::Gemini => gemini_error(
            429,
            "RESOURCE_EXHAUSTED",
            "You exceeded your current quota, please check your plan and billing details. \
             Please retry in 19s.",
            vec![
                quota_failure(
                    model,
                    "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
                    "generate_content_free_tier_requests",
                    "20",
                ),
                retry_info(Duration::from_secs(19)),
            ],
        ),
    }
}

fn server_error(api: Api, status: u16) -> HttpResponse {
    if status == 502 {
        // Gateways answer in HTML, whatever the API behind them speaks.
        return HttpResponse::raw(
            502,
            "text/html",
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 \
             Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n",
        );
    }
    match api {
        Api::OpenAi => {
            let message = match status {
                503 => "The engine is currently overloaded, please try again later.",
                504 => "Gateway timeout. Please try again later.",
                _ => "The server had an error while processing your request. Sorry about that!",
            };
            openai_error(status, message, "server_error", None, None)
        }
        Api::Anthropic => match status {
            504 => anthropic_error(504, "timeout_error", "Request timed out"),
            _ => anthropic_error(status, "api_error", "Internal server error"),
        },
        Api::Gemini => {
            let (code, message) = match status {
                503 => (
                    "UNAVAILABLE",
                    "The model is overloaded. Please try again later.",
                ),
                504 => (
                    "DEADLINE_EXCEEDED",
                    "Deadline expired before operation could complete.",
                ),
                _ => (
                    "INTERNAL",
                    "An internal error has occurred. Please retry or report in \
                     https://developers.generativeai.google/guide/troubleshooting",
                ),
            };
            gemini_error(status, code, message, vec![])
        }
    }
}
