//! The provider boundary: what the engine asks for ([`Request`]), what comes back ([`Completion`]),
//! and the one typed error ([`ProviderError`]) every adapter classifies its failures into.
//!
//! Adapters never schedule: they turn one request into one answer or one classified error, and the
//! engine decides by [`FailureKind`] what happens next.

pub mod anthropic;
mod base64;
mod classify;
pub mod dialect;
pub mod gemini;
pub mod http;
pub mod mock;
pub mod mock_article;
pub mod mock_schema;
pub mod openai;
pub mod presets;
pub mod protocol;
pub mod ratelimit;
pub mod reasoning;
pub mod structured;
pub mod transport;
pub mod wire;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::Value;

use crate::failure::FailureKind;
use crate::providers::reasoning::ReasoningField;

/// What a request is for. Real adapters use it to pick structured output; the mock uses it to
/// produce a valid answer for every task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Seo,
    Outline,
    /// Facts, sources and angles for a row's keyword (`draft`'s first stage).
    Research,
    /// An article body in markdown.
    Draft,
    /// A rewrite of `Request::source_text` in a natural voice, same facts and headings.
    Humanize,
    /// A task defined as data (`[tasks.NAME]`): its answer is whatever its schema or format says.
    Custom,
    /// A picture for an article (Gemini's image model). Only the Gemini adapter asks for
    /// pictures (`responseModalities`); the OpenAI-wire and Anthropic adapters build their
    /// ordinary text request for it, since the engine sends image requests to Gemini lanes only.
    Image,
}

/// How the answer should be shaped.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputShape {
    Text,
    /// A JSON object matching `schema`; `name` is the schema's identifier for APIs that want one.
    /// Shared, since every request of a run carries the same one.
    Json {
        name: String,
        schema: std::sync::Arc<Value>,
    },
}

/// One call to a model: a rendered prompt plus what the answer should look like.
#[derive(Debug, Clone)]
pub struct Request {
    pub purpose: Purpose,
    pub model: String,
    pub system: String,
    pub prompt: String,
    pub shape: OutputShape,
    /// The output cap sent: the answer's budget plus room for the model's reasoning, which
    /// every vendor counts against the same cap.
    pub max_output_tokens: u32,
    /// How much the model should reason, in its wire's vocabulary (`None`: nothing is sent).
    pub reasoning: ReasoningField,
    /// The row's subject (its keyword or first column), a hint the mock writes about.
    pub topic: String,
    /// 1-based attempt number for this row, so faults the mock injects vary between retries
    /// while staying reproducible.
    pub attempt: u32,
    pub timeout: Duration,
    /// The text a rewriting stage works on (humanize), for the mock to rewrite.
    pub source_text: Option<String>,
    /// The length a draft should have, in words.
    pub target_words: Option<u32>,
    /// Ask the provider to search the web where it can (Gemini's `google_search` tool). The
    /// OpenAI-wire and Anthropic adapters ignore it: Perplexity searches on every request and
    /// its sources are read from any answer.
    pub web_search: bool,
}

#[cfg(test)]
impl Request {
    /// A small seo request for adapter tests ("Write about shoes.", plain text); tests override
    /// the fields they exercise with struct update syntax.
    pub(crate) fn sample(model: &str, max_output_tokens: u32) -> Request {
        Request {
            purpose: Purpose::Seo,
            model: model.into(),
            system: "You are terse.".into(),
            prompt: "Write about shoes.".into(),
            shape: OutputShape::Text,
            max_output_tokens,
            reasoning: ReasoningField::None,
            topic: "shoes".into(),
            attempt: 1,
            timeout: Duration::from_secs(60),
            source_text: None,
            target_words: None,
            web_search: false,
        }
    }
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub text: String,
    pub input_tokens: u64,
    /// Every output token billed, the hidden reasoning included.
    pub output_tokens: u64,
    /// The part of `output_tokens` the model spent reasoning.
    pub reasoning_tokens: u64,
    /// The answer's rate-limit headers say this key has nothing left for this long: the engine
    /// parks the key now rather than wait to be refused.
    pub exhausted_for: Option<Duration>,
    /// The key's request limit per minute as the answer's headers report it
    /// (`x-ratelimit-limit-requests`, `anthropic-ratelimit-requests-limit`).
    pub limit_rpm: Option<u64>,
    /// Source URLs a searching provider cited (Perplexity `citations`, Gemini grounding).
    pub citations: Vec<String>,
    /// Pictures in the answer (Gemini's image model), as sent.
    pub images: Vec<Image>,
}

impl Completion {
    pub fn usage(&self) -> Usage {
        Usage {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            reasoning_tokens: self.reasoning_tokens,
        }
    }
}

/// The tokens a provider billed for one answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: u64,
    /// The reasoning included.
    pub output_tokens: u64,
    pub reasoning_tokens: u64,
}

/// Source URLs in first-seen order, each once; blank entries dropped. For
/// [`Completion::citations`], which providers report in several overlapping lists.
pub(crate) fn unique_urls<'a>(urls: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut unique: Vec<String> = Vec::new();
    for url in urls.into_iter().map(str::trim).filter(|u| !u.is_empty()) {
        if !unique.iter().any(|seen| seen == url) {
            unique.push(url.to_string());
        }
    }
    unique
}

/// One picture of an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// `image/png`, `image/jpeg`, ...
    pub mime: String,
    pub data: Vec<u8>,
}

/// One page of a provider's model list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelPage {
    /// Model ids as a request's `model` takes them (Gemini's without `models/`).
    pub ids: Vec<String>,
    /// What asks for the next page (Gemini's page token, Anthropic's last id); `None` on the last.
    pub next_page: Option<String>,
}

/// A classified failure of one request.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderError {
    pub kind: FailureKind,
    /// What the provider said, free of secrets (adapters never echo keys or auth headers).
    pub message: String,
    /// When the provider says to come back (Retry-After and friends).
    pub retry_after: Option<Duration>,
    /// The key's request limit per minute, when the refusal names it (Gemini's 429 does).
    pub limit_rpm: Option<u64>,
    /// What the provider billed for the failed answer: a 200 that was cut, empty or withheld
    /// still costs its tokens (`None`: nothing was billed, or the answer did not say).
    pub billed: Option<Usage>,
    /// The HTTP status the answer came with (`None`: no answer, or not over HTTP).
    pub status: Option<u16>,
}

impl ProviderError {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        ProviderError {
            kind,
            message: message.into(),
            retry_after: None,
            limit_rpm: None,
            billed: None,
            status: None,
        }
    }

    /// This error with the tokens its answer was billed.
    pub fn with_billed(mut self, billed: Option<Usage>) -> Self {
        self.billed = billed;
        self
    }

    pub fn with_retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = Some(retry_after);
        self
    }
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for ProviderError {}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A model API. One value serves every lane of its (provider, key); it must be cheap to share.
pub trait Provider: Send + Sync {
    /// Sends one request. Timeouts are the adapter's job (`request.timeout`), so that a hung
    /// connection is classified like any other failure.
    fn complete<'a>(
        &'a self,
        request: &'a Request,
    ) -> BoxFuture<'a, Result<Completion, ProviderError>>;

    /// Whether answers come over HTTP (a good one is then a 200), for the request log.
    fn over_http(&self) -> bool {
        false
    }
}

/// The input tokens a request is estimated at before it is sent: its prompts, and the schema of
/// a JSON answer, which every API bills as input (as a structured-output field or, where the
/// vendor has none, in the system prompt).
pub fn estimate_input_tokens(request: &Request) -> u64 {
    let schema = match &request.shape {
        OutputShape::Json { schema, .. } => schema_chars(schema).div_ceil(4),
        OutputShape::Text => 0,
    };
    estimate_tokens(&request.system) + estimate_tokens(&request.prompt) + schema
}

/// [`json_chars`] of a task's schema, counted once per schema and thread: every request of a run
/// carries the same few, and a cache per thread is never waited for. The cache holds each
/// schema, so no other can take its address.
fn schema_chars(schema: &std::sync::Arc<Value>) -> u64 {
    thread_local! {
        static COUNTED: std::cell::RefCell<Vec<(std::sync::Arc<Value>, u64)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    COUNTED.with_borrow_mut(|counted| {
        if let Some((_, chars)) = counted
            .iter()
            .find(|(known, _)| std::sync::Arc::ptr_eq(known, schema))
        {
            return *chars;
        }
        let chars = json_chars(schema);
        // One-off schemas of a long-lived process (tests) must not pile up without bound.
        if counted.len() >= 64 {
            counted.clear();
        }
        counted.push((schema.clone(), chars));
        chars
    })
}

/// About the characters `value` takes as compact JSON, counted without writing it out (every
/// request of a run carries the task's schema; serializing it for each would cost more than
/// building the request).
fn json_chars(value: &Value) -> u64 {
    match value {
        Value::Null => 4,
        Value::Bool(_) => 5,
        Value::Number(_) => 4,
        Value::String(s) => s.chars().count() as u64 + 2,
        Value::Array(items) => 2 + items.iter().map(|v| json_chars(v) + 1).sum::<u64>(),
        Value::Object(map) => {
            2 + map
                .iter()
                .map(|(k, v)| k.chars().count() as u64 + 4 + json_chars(v))
                .sum::<u64>()
        }
    }
}

/// Token estimate used before a provider reports usage: ceil(chars / 4), the usual rule of thumb
/// (no tokenizer in the hot path: tokenizer tables weigh megabytes and fit one vendor only).
pub fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}
