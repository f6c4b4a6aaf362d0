//! Built-in providers as data: wire format, base URL, key variables, model prefixes and default
//! model for OpenAI, Anthropic, Gemini and the OpenAI-compatible vendors, plus the price table the
//! cost estimator reads. Adding a vendor is adding a row, not code.

use crate::providers::dialect::Dialect;
use crate::providers::protocol::Wire;

/// How a provider's requests are served: by the offline mock, or over HTTP in a wire's format.
/// The registry gives each provider one, the plan hands it to the run (with the keys beside it),
/// and a profile's `kind` names the one a provider starts from.
#[derive(Debug, Clone, PartialEq)]
pub enum Service {
    /// The offline mock, with the knobs its profile entry sets.
    Mock(crate::providers::mock::MockConfig),
    Http {
        wire: Wire,
        /// As the vendor documents it; the API's own path is appended.
        base_url: String,
        /// The OpenAI request fields the server takes (OpenAI wire only).
        dialect: Dialect,
    },
}

impl Service {
    /// The offline mock named `name` (two mocks fail on different rows), with default knobs.
    pub fn mock(name: &str) -> Service {
        Service::Mock(crate::providers::mock::MockConfig::new(name))
    }

    /// A new provider of `wire`: at the wire's own vendor until a `base_url` says otherwise, and
    /// in the compatible dialect, since a new OpenAI-wire server is seldom OpenAI itself (vLLM,
    /// llama.cpp, a vendor).
    pub fn http(wire: Wire) -> Service {
        Service::Http {
            wire,
            base_url: find(wire.name()).map_or("", |p| p.base_url).to_string(),
            dialect: Dialect::COMPATIBLE,
        }
    }

    /// The wire it speaks; `None` for the mock.
    pub fn wire(&self) -> Option<Wire> {
        match self {
            Service::Mock(_) => None,
            Service::Http { wire, .. } => Some(*wire),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    pub name: &'static str,
    /// Other names a pool or profile may use (`claude` for anthropic).
    pub aliases: &'static [&'static str],
    pub wire: Wire,
    /// As the vendor documents it (OpenAI `…/v1`, Anthropic without `/v1`, Gemini `…/v1beta`); the
    /// API's own path is appended.
    pub base_url: &'static str,
    /// Environment variables holding keys, in order of preference. Each may be followed by
    /// `_2`, `_3`, ... for more keys (each key gets its own lanes and limiter).
    pub key_vars: &'static [&'static str],
    /// Local servers (Ollama) accept requests without a key.
    pub needs_key: bool,
    /// Model ids that name this provider (`deepseek-chat` → deepseek).
    pub model_prefixes: &'static [&'static str],
    pub default_model: &'static str,
    /// Which OpenAI request fields the vendor takes (ignored by the other wires).
    pub dialect: Dialect,
}

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "openai",
        aliases: &[],
        wire: Wire::OpenAi,
        base_url: "https://api.openai.com/v1",
        key_vars: &["OPENAI_API_KEY"],
        needs_key: true,
        model_prefixes: &["gpt-", "o1", "o3", "o4", "chatgpt-"],
        default_model: "gpt-5-mini",
        dialect: Dialect::OPENAI,
    },
    Preset {
        name: "anthropic",
        aliases: &["claude"],
        wire: Wire::Anthropic,
        base_url: "https://api.anthropic.com",
        key_vars: &["ANTHROPIC_API_KEY"],
        needs_key: true,
        model_prefixes: &["claude-"],
        default_model: "claude-haiku-4-5",
        dialect: Dialect::OPENAI,
    },
    Preset {
        name: "gemini",
        aliases: &["google"],
        wire: Wire::Gemini,
        base_url: "https://generativelanguage.googleapis.com/v1beta",
        key_vars: &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
        needs_key: true,
        model_prefixes: &["gemini-"],
        default_model: "gemini-2.5-flash",
        dialect: Dialect::OPENAI,
    },
    Preset {
        name: "deepseek",
        aliases: &[],
        wire: Wire::OpenAi,
        base_url: "https://api.deepseek.com",
        key_vars: &["DEEPSEEK_API_KEY"],
        needs_key: true,
        model_prefixes: &["deepseek-"],
        default_model: "deepseek-flash",
        dialect: Dialect::COMPATIBLE,
    },
    Preset {
        name: "glm",
        aliases: &["zhipu", "zai"],
        wire: Wire::OpenAi,
        base_url: "https://api.z.ai/api/paas/v4",
        key_vars: &["ZAI_API_KEY", "ZHIPUAI_API_KEY", "GLM_API_KEY"],
        needs_key: true,
        model_prefixes: &["glm-"],
        default_model: "glm-4.6",
        dialect: Dialect::COMPATIBLE,
    },
    Preset {
        name: "moonshot",
        aliases: &["kimi"],
        wire: Wire::OpenAi,
        base_url: "https://api.moonshot.ai/v1",
        key_vars: &["MOONSHOT_API_KEY", "KIMI_API_KEY"],
        needs_key: true,
        model_prefixes: &["kimi-", "moonshot-"],
        default_model: "kimi-k2.5",
        dialect: Dialect::COMPATIBLE,
    },
    Preset {
        name: "qwen",
        aliases: &["dashscope"],
        wire: Wire::OpenAi,
        base_url: "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
        key_vars: &["DASHSCOPE_API_KEY", "QWEN_API_KEY"],
        needs_key: true,
        model_prefixes: &["qwen-", "qwen3"],
        default_model: "qwen-plus",
        dialect: Dialect::COMPATIBLE,
    },
    Preset {
        name: "perplexity",
        aliases: &["pplx"],
        wire: Wire::OpenAi,
        base_url: "https://api.perplexity.ai",
        key_vars: &["PERPLEXITY_API_KEY", "PPLX_API_KEY"],
        needs_key: true,
        model_prefixes: &["sonar"],
        default_model: "sonar",
        dialect: Dialect::COMPATIBLE,
    },
    Preset {
        name: "openrouter",
        aliases: &[],
        wire: Wire::OpenAi,
        base_url: "https://openrouter.ai/api/v1",
        key_vars: &["OPENROUTER_API_KEY"],
        needs_key: true,
        model_prefixes: &[],
        default_model: "openai/gpt-5-mini",
        dialect: Dialect::COMPATIBLE,
    },
    Preset {
        name: "mistral",
        aliases: &[],
        wire: Wire::OpenAi,
        base_url: "https://api.mistral.ai/v1",
        key_vars: &["MISTRAL_API_KEY"],
        needs_key: true,
        model_prefixes: &[
            "mistral-",
            "codestral-",
            "ministral-",
            "magistral-",
            "open-mistral-",
        ],
        default_model: "mistral-small-latest",
        dialect: Dialect::COMPATIBLE,
    },
    Preset {
        name: "groq",
        aliases: &[],
        wire: Wire::OpenAi,
        base_url: "https://api.groq.com/openai/v1",
        key_vars: &["GROQ_API_KEY"],
        needs_key: true,
        model_prefixes: &[],
        default_model: "llama-3.3-70b-versatile",
        dialect: Dialect::COMPATIBLE,
    },
    Preset {
        name: "xai",
        aliases: &["grok"],
        wire: Wire::OpenAi,
        base_url: "https://api.x.ai/v1",
        key_vars: &["XAI_API_KEY"],
        needs_key: true,
        model_prefixes: &["grok-"],
        default_model: "grok-4",
        dialect: Dialect::COMPATIBLE,
    },
    Preset {
        name: "together",
        aliases: &[],
        wire: Wire::OpenAi,
        base_url: "https://api.together.ai/v1",
        key_vars: &["TOGETHER_API_KEY"],
        needs_key: true,
        model_prefixes: &[],
        default_model: "meta-llama/Llama-3.3-70B-Instruct-Turbo",
        dialect: Dialect::COMPATIBLE,
    },
    Preset {
        name: "fireworks",
        aliases: &[],
        wire: Wire::OpenAi,
        base_url: "https://api.fireworks.ai/inference/v1",
        key_vars: &["FIREWORKS_API_KEY"],
        needs_key: true,
        model_prefixes: &["accounts/fireworks/"],
        default_model: "accounts/fireworks/models/llama-v3p3-70b-instruct",
        dialect: Dialect::COMPATIBLE,
    },
    Preset {
        name: "ollama",
        aliases: &[],
        wire: Wire::OpenAi,
        base_url: "http://localhost:11434/v1",
        key_vars: &["OLLAMA_API_KEY"],
        needs_key: false,
        model_prefixes: &[],
        default_model: "llama3.2",
        dialect: Dialect::COMPATIBLE,
    },
];

impl Preset {
    pub fn service(&self) -> Service {
        Service::Http {
            wire: self.wire,
            base_url: self.base_url.to_string(),
            dialect: self.dialect,
        }
    }
}

/// The preset a pool or profile name means, by name or alias (case-insensitive).
pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|preset| {
        preset.name.eq_ignore_ascii_case(name)
            || preset
                .aliases
                .iter()
                .any(|alias| alias.eq_ignore_ascii_case(name))
    })
}

/// The presets whose model prefixes claim `model` (several means the id is ambiguous).
pub fn claiming(model: &str) -> Vec<&'static Preset> {
    let model = model.to_ascii_lowercase();
    PRESETS
        .iter()
        .filter(|preset| {
            preset
                .model_prefixes
                .iter()
                .any(|prefix| model.starts_with(prefix))
        })
        .collect()
}

/// USD per million tokens at the standard (synchronous) tier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub model: &'static str,
    pub input: f64,
    pub cached_input: Option<f64>,
    pub output: f64,
}

/// From the vendors' price pages. Where a model has time-of-day or size tiers, the lower (off-peak, short
/// prompt) rate is listed: the estimate is a floor, and the note on the table says so.
pub const PRICES: &[Price] = &[
    Price {
        model: "gemini-2.5-flash",
        input: 0.30,
        cached_input: None,
        output: 2.50,
    },
    // Pictures are billed as output tokens at $30 per million (1290 a picture, about $0.039). The
    // few text tokens beside a picture cost the text rate, so pricing all output as image output
    // errs by a fraction of a cent, and on the side a budget wants.
    Price {
        model: "gemini-2.5-flash-image",
        input: 0.30,
        cached_input: None,
        output: 30.00,
    },
    Price {
        model: "claude-haiku-4-5",
        input: 1.00,
        cached_input: Some(0.10),
        output: 5.00,
    },
    Price {
        model: "claude-sonnet-4-5",
        input: 3.00,
        cached_input: Some(0.30),
        output: 15.00,
    },
    Price {
        model: "claude-sonnet-5",
        input: 2.00,
        cached_input: Some(0.20),
        output: 10.00,
    },
    Price {
        model: "claude-haiku-5-5",
        input: 0.10,
        cached_input: Some(0.01),
        output: 0.50,
    },
    Price {
        model: "deepseek-chat",
        input: 0.28,
        cached_input: Some(0.028),
        output: 0.42,
    },
    Price {
        model: "deepseek-flash",
        input: 0.15,
        cached_input: Some(0.003),
        output: 0.60,
    },
    Price {
        model: "deepseek-v4-pro",
        input: 0.66,
        cached_input: Some(0.022),
        output: 1.98,
    },
    Price {
        model: "gpt-4o-mini",
        input: 0.15,
        cached_input: Some(0.075),
        output: 0.60,
    },
    Price {
        model: "gpt-4.1-mini",
        input: 0.40,
        cached_input: Some(0.10),
        output: 1.60,
    },
    Price {
        model: "gpt-5-mini",
        input: 0.25,
        cached_input: Some(0.025),
        output: 2.00,
    },
    Price {
        model: "gpt-5.4-mini",
        input: 0.75,
        cached_input: Some(0.075),
        output: 4.50,
    },
];

/// The price of `model`: its own entry, else the entry it names with a version suffix
/// (`claude-haiku-4-5-20251001` → `claude-haiku-4-5`). Any other suffix names another model, often
/// billed quite differently (`gemini-2.5-flash-lite`, `-image`, `gpt-4o-mini-tts`,
/// `-search-preview`), so it has no price rather than its neighbour's.
pub fn price(model: &str) -> Option<&'static Price> {
    let model = model.to_ascii_lowercase();
    PRICES
        .iter()
        .filter(|price| {
            model
                .strip_prefix(price.model)
                .is_some_and(|rest| rest.is_empty() || is_version_suffix(rest))
        })
        .max_by_key(|price| price.model.len())
}

/// The suffixes vendors give a snapshot or alias of one model: a date (`-20251001`, Vertex's
/// `@20251001`, OpenAI's `-2024-07-18`), a revision (`-001`, Mistral's `-2506`), `-latest`, and
/// Gemini's `-preview-09-2025`. Gemini's older `-preview-05-20` previews had prices of their own.
fn is_version_suffix(rest: &str) -> bool {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let Some(version) = rest.strip_prefix('-').or_else(|| rest.strip_prefix('@')) else {
        return false;
    };
    if version == "latest" {
        return true;
    }
    if let Some(date) = version.strip_prefix("preview-") {
        return date
            .split_once('-')
            .is_some_and(|(month, year)| digits(month, 2) && digits(year, 4));
    }
    match version.split('-').collect::<Vec<_>>().as_slice() {
        [number] => [3, 4, 8].into_iter().any(|n| digits(number, n)),
        [year, month, day] => digits(year, 4) && digits(month, 2) && digits(day, 2),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_find_their_preset() {
        assert_eq!(find("claude").unwrap().name, "anthropic");
        assert_eq!(find("Google").unwrap().name, "gemini");
        assert_eq!(find("kimi").unwrap().name, "moonshot");
        assert!(find("mock").is_none());
    }

    #[test]
    fn every_name_and_alias_is_unique_and_urls_have_no_trailing_slash() {
        let mut names: Vec<&str> = PRESETS
            .iter()
            .flat_map(|p| std::iter::once(p.name).chain(p.aliases.iter().copied()))
            .collect();
        let total = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), total, "a name or alias is used twice");
        for preset in PRESETS {
            assert!(!preset.base_url.ends_with('/'), "{}", preset.name);
            assert!(
                !preset.needs_key || !preset.key_vars.is_empty(),
                "{} needs a key but names no variable",
                preset.name
            );
            if !preset.model_prefixes.is_empty() {
                assert_eq!(
                    claiming(preset.default_model),
                    vec![preset],
                    "{}'s default model routes back to it",
                    preset.name
                );
            }
        }
    }

    #[test]
    fn model_ids_route_by_prefix_and_no_prefix_is_claimed_twice() {
        assert_eq!(claiming("deepseek-chat")[0].name, "deepseek");
        assert_eq!(claiming("glm-4.6")[0].name, "glm");
        assert_eq!(claiming("claude-haiku-4-5")[0].name, "anthropic");
        assert_eq!(claiming("gemini-2.5-flash")[0].name, "gemini");
        assert_eq!(claiming("gpt-5-mini")[0].name, "openai");
        assert!(claiming("llama3.2").is_empty());
        for preset in PRESETS {
            for prefix in preset.model_prefixes {
                assert_eq!(
                    claiming(prefix).len(),
                    1,
                    "prefix `{prefix}` is claimed twice"
                );
            }
        }
    }

    #[test]
    fn image_models_are_priced_at_their_image_rate() {
        let image = price("gemini-2.5-flash-image").unwrap();
        assert_eq!(image.model, "gemini-2.5-flash-image");
        assert_eq!((image.input, image.output), (0.30, 30.00));
        // A picture is 1290 output tokens: about $0.039.
        let picture = 1_290.0 * image.output / 1e6;
        assert!((picture - 0.039).abs() < 0.001, "{picture}");
    }

    #[test]
    fn a_suffix_naming_another_model_does_not_inherit_a_price() {
        for id in [
            "gemini-2.5-flash-lite",
            "gemini-2.5-flash-lite-preview-09-2025",
            "gemini-2.5-flash-image-preview",
            "gemini-2.5-flash-preview-tts",
            "gemini-2.5-flash-native-audio-preview-09-2025",
            "gemini-2.5-flash-live-preview",
            // An older preview, billed at its own rates.
            "gemini-2.5-flash-preview-05-20",
            "gemini-2.5-flash-exp",
            "gpt-4o-mini-tts",
            "gpt-4o-mini-transcribe",
            "gpt-4o-mini-audio-preview-2024-12-17",
            "gpt-4o-mini-search-preview-2025-03-11",
            "gpt-4o-mini-realtime-preview",
            "gpt-5-mini-thinking",
            "claude-haiku-4-5-thinking",
            "claude-sonnet-4-5-1m",
            "deepseek-chat-search",
            "gpt-5-mini-2025-08",
            "claude-haiku-4-5-20",
        ] {
            assert_eq!(price(id), None, "{id}");
        }
    }

    #[test]
    fn version_suffixes_keep_the_price_of_the_model_they_version() {
        // Each form a vendor names snapshots and aliases with.
        for (id, model) in [
            ("claude-haiku-4-5-20251001", "claude-haiku-4-5"),
            ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
            ("claude-sonnet-4-5-latest", "claude-sonnet-4-5"),
            ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
            ("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"),
            ("GPT-5-mini-2025-08-07", "gpt-5-mini"),
            ("gemini-2.5-flash-preview-09-2025", "gemini-2.5-flash"),
            ("gemini-2.5-flash-001", "gemini-2.5-flash"),
            ("gemini-2.5-flash-image@001", "gemini-2.5-flash-image"),
            ("gpt-4o-mini-0718", "gpt-4o-mini"),
        ] {
            assert_eq!(price(id).map(|p| p.model), Some(model), "{id}");
        }
    }

    #[test]
    fn prices_match_dated_ids_but_not_other_models() {
        assert_eq!(
            price("claude-haiku-4-5-20251001").unwrap().model,
            "claude-haiku-4-5"
        );
        assert_eq!(price("gpt-5-mini").unwrap().output, 2.00);
        assert!(price("gpt-5-minimal").is_none());
        assert_eq!(price("gpt-5.4-mini").unwrap().input, 0.75);
        assert!(price("llama3.2").is_none());
    }
}
