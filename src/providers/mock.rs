//! The offline `mock` provider: deterministic answers computed from the prompt, valid for every
//! task (for one that asks for JSON, an instance of its schema: `mock_schema`), with configurable
//! latency and injected faults so lanes, limits and rerouting can be watched without a key or a
//! network.

use std::time::Duration;

use crate::failure::FailureKind;
use crate::providers::mock_schema::{self, Subject, meta_text, slug_text, title_text};
use crate::providers::{
    BoxFuture, Completion, Image, OutputShape, Provider, ProviderError, Purpose, Request,
    estimate_tokens, mock_article,
};

/// The knobs a profile entry of kind `mock` may set.
#[derive(Debug, Clone, PartialEq)]
pub struct MockConfig {
    /// Distinguishes providers so two mocks fail on different rows.
    pub name: String,
    pub latency: Duration,
    pub jitter: Duration,
    pub rate_limit_rate: f64,
    pub retry_after: Duration,
    pub server_error_rate: f64,
    pub invalid_output_rate: f64,
    /// Share of requests that never answer (until the request's timeout).
    pub hang_rate: f64,
    /// How long a mock batch job takes from submit to completed (`gen batch … --provider mock`).
    pub batch_duration: Duration,
}

/// A mock batch job's default duration: long enough to watch it move, short enough for a demo.
pub const DEFAULT_BATCH_DURATION: Duration = Duration::from_secs(3);

impl MockConfig {
    pub fn new(name: impl Into<String>) -> Self {
        MockConfig {
            name: name.into(),
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            rate_limit_rate: 0.0,
            retry_after: Duration::from_secs(2),
            server_error_rate: 0.0,
            invalid_output_rate: 0.0,
            hang_rate: 0.0,
            batch_duration: DEFAULT_BATCH_DURATION,
        }
    }
}

pub struct MockProvider {
    config: MockConfig,
}

impl MockProvider {
    pub fn new(config: MockConfig) -> Self {
        MockProvider { config }
    }

    /// Everything the mock decides for one request, without waiting: the answer and its latency.
    pub fn answer(&self, request: &Request) -> (Result<Completion, ProviderError>, Duration) {
        let seed = self.seed(request);
        let latency = self.latency(seed);
        if latency > request.timeout {
            let error = ProviderError::new(
                FailureKind::Timeout,
                format!("no answer within {:?}", request.timeout),
            );
            return (Err(error), request.timeout);
        }
        if chance(seed, 1) < self.config.rate_limit_rate {
            let error = ProviderError::new(FailureKind::RateLimited, "mock rate limit reached")
                .with_retry_after(self.config.retry_after);
            return (Err(error), latency);
        }
        (self.answer_now(request), latency)
    }

    /// The answer alone, as a Batch API would give it: no latency, so no timeout, and no rate
    /// limit; the server-error and invalid-output faults still apply. For a request that
    /// [`MockProvider::answer`] neither times out nor rate-limits, the two answers are the same.
    pub fn answer_now(&self, request: &Request) -> Result<Completion, ProviderError> {
        let seed = self.seed(request);
        if chance(seed, 2) < self.config.server_error_rate {
            return Err(ProviderError::new(
                FailureKind::Server,
                "mock server error (HTTP 500)",
            ));
        }
        let (text, citations, images) = if chance(seed, 3) < self.config.invalid_output_rate {
            (invalid_text(request, seed), Vec::new(), Vec::new())
        } else {
            valid_answer(request, seed)
        };
        // A picture costs about what Gemini bills for one (1,290 output tokens).
        let image_tokens = 1_290 * images.len() as u64;
        Ok(Completion {
            exhausted_for: None,
            limit_rpm: None,
            input_tokens: estimate_tokens(&request.system) + estimate_tokens(&request.prompt),
            output_tokens: estimate_tokens(&text) + image_tokens,
            // The mock does not reason.
            reasoning_tokens: 0,
            text,
            citations,
            images,
        })
    }

    fn seed(&self, request: &Request) -> u64 {
        fnv1a(&[
            self.config.name.as_bytes(),
            request.prompt.as_bytes(),
            &request.attempt.to_le_bytes(),
        ])
    }

    fn latency(&self, seed: u64) -> Duration {
        if chance(seed, 5) < self.config.hang_rate {
            return Duration::MAX;
        }
        let jitter = self.config.jitter.as_secs_f64() * (2.0 * chance(seed, 4) - 1.0);
        Duration::from_secs_f64((self.config.latency.as_secs_f64() + jitter).max(0.0))
    }
}

impl Provider for MockProvider {
    fn complete<'a>(
        &'a self,
        request: &'a Request,
    ) -> BoxFuture<'a, Result<Completion, ProviderError>> {
        Box::pin(async move {
            let (answer, latency) = self.answer(request);
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            answer
        })
    }
}

/// The row's subject as the schema answers echo it, as written and title-cased.
fn subject_of(request: &Request) -> (String, String) {
    let text = request.topic.trim();
    if text.is_empty() {
        ("this topic".into(), "This Topic".into())
    } else {
        (text.to_string(), title_case(text))
    }
}

/// Text, cited sources and pictures of a valid answer for the request's purpose, or for its
/// schema when it asks for JSON: whatever the task, the answer is an instance of the schema it
/// sent.
fn valid_answer(request: &Request, seed: u64) -> (String, Vec<String>, Vec<Image>) {
    let (subject, topic) = subject_of(request);
    let text = |text: String| (text, Vec::new(), Vec::new());
    if let OutputShape::Json { schema, .. } = &request.shape
        && request.purpose != Purpose::Image
    {
        if is_plain_seo(schema) {
            return text(seo_json(&topic, seed));
        }
        let subject = Subject {
            text: &subject,
            title: &topic,
        };
        return text(mock_schema::answer(schema, subject, seed));
    }
    match request.purpose {
        Purpose::Seo => text(seo_json(&topic, seed)),
        Purpose::Outline => text(outline_markdown(&topic, seed)),
        Purpose::Research => {
            let (notes, sources) = mock_article::research(&topic, seed);
            (notes, sources, Vec::new())
        }
        Purpose::Draft => text(mock_article::draft(
            &topic,
            request.target_words.unwrap_or(1_200),
            seed,
        )),
        Purpose::Humanize => match &request.source_text {
            Some(source) => text(mock_article::humanize(source)),
            None => text(mock_article::draft(
                &topic,
                request.target_words.unwrap_or(1_200),
                seed,
            )),
        },
        Purpose::Image => (String::new(), Vec::new(), vec![mock_article::png(seed, 16)]),
        // A task defined as data: an article of its target length.
        Purpose::Custom => text(mock_article::draft(
            &topic,
            request.target_words.unwrap_or(300),
            seed,
        )),
    }
}

/// The built-in seo schema: three strings, described but not constrained. The schema writer
/// answers it with exactly [`seo_json`] (a test holds it to that), but every `seo` row sends it,
/// and writing the answer directly costs half as much: the throughput benchmark's 50,000 rows/s
/// has little room to spare.
fn is_plain_seo(schema: &serde_json::Value) -> bool {
    // The built-in task's own schema: its limits are the ones `seo_json` was written to meet.
    if let crate::tasks::spec::Output::Json(builtin) = &crate::tasks::Task::seo().def().output {
        if std::ptr::eq(schema, &*builtin.schema) || *schema == *builtin.schema {
            return true;
        }
    }
    let Some(properties) = schema.get("properties").and_then(|p| p.as_object()) else {
        return false;
    };
    let plain_string = |p: &serde_json::Value| {
        p.get("type").and_then(|t| t.as_str()) == Some("string")
            && p.as_object()
                .is_some_and(|p| p.keys().all(|k| k == "type" || k == "description"))
    };
    properties.len() == 3
        && properties
            .iter()
            .zip(["title", "meta_description", "slug"])
            .all(|((name, p), expected)| name == expected && plain_string(p))
        && schema.as_object().is_some_and(|s| {
            s.keys().all(|k| {
                matches!(
                    k.as_str(),
                    "type" | "properties" | "required" | "additionalProperties" | "description"
                )
            })
        })
        && schema.get("type").and_then(|t| t.as_str()) == Some("object")
}

fn invalid_text(request: &Request, seed: u64) -> String {
    if let OutputShape::Json { schema, .. } = &request.shape
        && request.purpose != Purpose::Image
    {
        let (subject, topic) = subject_of(request);
        let subject = Subject {
            text: &subject,
            title: &topic,
        };
        return mock_schema::broken_answer(schema, subject, seed);
    }
    match request.purpose {
        Purpose::Seo if seed % 2 == 0 => "Sure! Here is your SEO metadata.".to_string(),
        Purpose::Seo => serde_json::json!({
            "title": "An Overly Long Title That Goes On And On Well Past Sixty Characters For Sure",
            "meta_description": "Too long a title.",
            "slug": "Not A Slug",
        })
        .to_string(),
        Purpose::Outline => format!("# {}\n\nJust one paragraph.\n", request.topic),
        Purpose::Research => "I could not find anything.".to_string(),
        Purpose::Draft | Purpose::Humanize | Purpose::Custom => {
            format!("# {}\n\nToo short to be an article.\n", request.topic)
        }
        Purpose::Image => "I cannot draw that.".to_string(),
    }
}

fn seo_json(topic: &str, seed: u64) -> String {
    serde_json::json!({
        "title": title_text(topic, seed),
        "meta_description": meta_text(topic),
        "slug": slug_text(topic, seed),
    })
    .to_string()
}

const SECTION_PATTERNS: [&str; 7] = [
    "What {t} Means",
    "Why {t} Matters",
    "How to Get Started with {t}",
    "Common Mistakes with {t}",
    "Choosing the Right Options for {t}",
    "Costs and Trade-offs of {t}",
    "Frequently Asked Questions",
];

fn outline_markdown(topic: &str, seed: u64) -> String {
    let sections = 4 + (seed % 3) as usize;
    let mut out = format!("# {topic}\n\n");
    for pattern in SECTION_PATTERNS.iter().take(sections) {
        out.push_str("## ");
        out.push_str(&pattern.replace("{t}", topic));
        out.push_str("\n- Key point\n- Example\n\n");
    }
    out.push_str("## Conclusion\n- Summary and next steps\n");
    out
}

fn title_case(text: &str) -> String {
    text.split_whitespace()
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// FNV-1a: stable across Rust releases and platforms, unlike `DefaultHasher`, so mock answers
/// stay the same from one version of `gen` to the next.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in *part {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        hash ^= 0xff;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// A uniform number in [0, 1) derived from `seed` and a salt, one independent draw per decision.
fn chance(seed: u64, salt: u64) -> f64 {
    let mixed = splitmix64(seed ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    (mixed >> 11) as f64 / (1u64 << 53) as f64
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::Task;

    fn request(purpose: Purpose, topic: &str, attempt: u32) -> Request {
        Request {
            purpose,
            system: String::new(),
            prompt: format!("Write about {topic}"),
            topic: topic.into(),
            attempt,
            timeout: Duration::from_secs(5),
            ..Request::sample("mock-1", 512)
        }
    }

    #[test]
    fn answers_are_deterministic_and_valid_for_every_task() {
        let mock = MockProvider::new(MockConfig::new("mock"));
        for topic in [
            "running shoes",
            "Café Crème",
            "",
            "a very long keyword phrase that keeps going and going and going beyond sixty",
        ] {
            for (purpose, kind) in [
                (Purpose::Seo, Task::seo()),
                (Purpose::Outline, Task::outline()),
            ] {
                let req = request(purpose, topic, 1);
                let (first, _) = mock.answer(&req);
                let (second, _) = mock.answer(&req);
                assert_eq!(first, second);
                let text = first.unwrap().text;
                kind.validate(&text)
                    .unwrap_or_else(|e| panic!("{topic:?} {kind:?}: {e}\n{text}"));
            }
        }
    }

    fn json_request(
        schema: impl Into<std::sync::Arc<serde_json::Value>>,
        topic: &str,
        attempt: u32,
    ) -> Request {
        Request {
            shape: OutputShape::Json {
                name: "answer".to_string(),
                schema: schema.into(),
            },
            ..request(Purpose::Seo, topic, attempt)
        }
    }

    fn product_schema() -> serde_json::Value {
        serde_json::json!({
            "type": "object",
            "properties": {
                "headline": {"type": "string", "maxLength": 50},
                "bullets": {"type": "array", "items": {"type": "string", "maxLength": 60},
                            "minItems": 3, "maxItems": 3},
                "price_band": {"enum": ["budget", "mid-range", "premium"]}
            },
            "required": ["headline", "bullets", "price_band"],
            "additionalProperties": false
        })
    }

    #[test]
    fn the_builtin_seo_schema_gets_the_seo_answer_it_always_had() {
        let mock = MockProvider::new(MockConfig::new("mock"));
        let crate::providers::OutputShape::Json { schema, .. } = crate::tasks::seo::shape() else {
            panic!("seo asks for JSON");
        };
        assert!(is_plain_seo(&schema));
        let mut constrained = (*schema).clone();
        constrained["properties"]["title"]["maxLength"] = 20.into();
        assert!(!is_plain_seo(&constrained));
        let outline = Request {
            purpose: Purpose::Outline,
            ..json_request(schema.clone(), "kw", 1)
        };
        Task::seo()
            .validate(&mock.answer(&outline).0.unwrap().text)
            .expect("JSON is asked for, whatever the purpose");
        for topic in [
            "running shoes",
            "Café Crème",
            "",
            &"long keyword ".repeat(8),
        ] {
            for attempt in 1..=4 {
                let text = mock
                    .answer(&json_request(schema.clone(), topic, attempt))
                    .0
                    .unwrap()
                    .text;
                let plain = mock
                    .answer(&request(Purpose::Seo, topic, attempt))
                    .0
                    .unwrap();
                assert_eq!(text, plain.text, "the schema answer is the SEO answer");
                Task::seo()
                    .validate(&text)
                    .unwrap_or_else(|e| panic!("{topic:?}: {e}\n{text}"));
            }
        }
    }

    #[test]
    fn any_schema_gets_a_valid_answer_about_the_row_and_faults_break_it() {
        let schema = product_schema();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let mock = MockProvider::new(MockConfig::new("mock"));
        for i in 0..20 {
            let req = json_request(schema.clone(), &format!("trail shoes {i}"), 1);
            let text = mock.answer(&req).0.unwrap().text;
            assert_eq!(text, mock.answer(&req).0.unwrap().text);
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert!(validator.is_valid(&value), "{text}");
            assert!(text.contains(&format!("Trail Shoes {i}")), "{text}");
        }
        let mut config = MockConfig::new("sloppy");
        config.invalid_output_rate = 1.0;
        let sloppy = MockProvider::new(config);
        let seo = match crate::tasks::seo::shape() {
            OutputShape::Json { schema, .. } => schema,
            OutputShape::Text => unreachable!(),
        };
        let mut broken_json = 0;
        for i in 0..20 {
            let text = sloppy
                .answer(&json_request(schema.clone(), &format!("kw {i}"), 1))
                .0
                .unwrap()
                .text;
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
                broken_json += 1;
                assert!(!validator.is_valid(&value), "{text}");
            }
            let text = sloppy
                .answer(&json_request(seo.clone(), &format!("kw {i}"), 1))
                .0
                .unwrap()
                .text;
            assert!(Task::seo().validate(&text).is_err(), "{text}");
        }
        assert!(
            broken_json > 0,
            "some faults are JSON that breaks the schema"
        );
    }

    #[test]
    fn fault_rates_are_honoured_and_vary_by_attempt() {
        let mut config = MockConfig::new("flaky");
        config.server_error_rate = 0.5;
        let mock = MockProvider::new(config);
        let failures = (0..1000)
            .filter(|i| {
                mock.answer(&request(Purpose::Seo, &format!("kw {i}"), 1))
                    .0
                    .is_err()
            })
            .count();
        assert!(
            (400..600).contains(&failures),
            "{failures} of 1000 failed at rate 0.5"
        );
        let attempts: Vec<bool> = (1..=20)
            .map(|attempt| mock.answer(&request(Purpose::Seo, "kw", attempt)).0.is_ok())
            .collect();
        assert!(attempts.contains(&true) && attempts.contains(&false));
    }

    #[test]
    fn rate_limited_answers_carry_the_configured_reset() {
        let mut config = MockConfig::new("limited");
        config.rate_limit_rate = 1.0;
        config.retry_after = Duration::from_millis(1500);
        let error = MockProvider::new(config)
            .answer(&request(Purpose::Seo, "kw", 1))
            .0
            .unwrap_err();
        assert_eq!(error.kind, FailureKind::RateLimited);
        assert_eq!(error.retry_after, Some(Duration::from_millis(1500)));
    }

    #[test]
    fn invalid_output_fault_fails_validation() {
        let mut config = MockConfig::new("sloppy");
        config.invalid_output_rate = 1.0;
        let mock = MockProvider::new(config);
        for (purpose, kind) in [
            (Purpose::Seo, Task::seo()),
            (Purpose::Outline, Task::outline()),
        ] {
            for i in 0..10 {
                let text = mock
                    .answer(&request(purpose, &format!("kw {i}"), 1))
                    .0
                    .unwrap()
                    .text;
                assert!(kind.validate(&text).is_err(), "{text}");
            }
        }
    }

    #[test]
    fn latency_beyond_the_timeout_is_a_timeout() {
        let mut config = MockConfig::new("slow");
        config.latency = Duration::from_secs(10);
        let mut req = request(Purpose::Seo, "kw", 1);
        req.timeout = Duration::from_millis(100);
        let (answer, waited) = MockProvider::new(config).answer(&req);
        assert_eq!(answer.unwrap_err().kind, FailureKind::Timeout);
        assert_eq!(waited, Duration::from_millis(100));
    }

    #[test]
    fn the_answer_now_is_the_answer_without_its_wait() {
        let mut config = MockConfig::new("slow");
        config.latency = Duration::from_secs(10);
        let mut req = request(Purpose::Seo, "kw", 1);
        req.timeout = Duration::from_millis(100);
        let mock = MockProvider::new(config.clone());
        assert_eq!(
            mock.answer(&req).0.unwrap_err().kind,
            FailureKind::Timeout,
            "live, the wait is longer than the timeout"
        );
        assert!(
            mock.answer_now(&req).is_ok(),
            "without the wait, no timeout"
        );
        config.latency = Duration::ZERO;
        config.server_error_rate = 0.3;
        let mock = MockProvider::new(config);
        let answers: Vec<_> = (0..50)
            .map(|i| request(Purpose::Seo, &format!("kw {i}"), 1))
            .map(|req| {
                assert_eq!(mock.answer(&req).0, mock.answer_now(&req));
                mock.answer_now(&req).is_ok()
            })
            .collect();
        assert!(answers.contains(&true) && answers.contains(&false));
    }
}
