//! The providers a run may name: the offline `mock`, the built-in presets, and a profile's own
//! entries, merged; routing a pool entry (a provider, `provider:model`, or a bare model id) to one
//! of them; and finding each provider's keys in the environment.

use anyhow::bail;
use secrecy::SecretString;

use crate::pool::PoolEntry;
use crate::profile::{Profile, ProviderConfig};
use crate::providers::mock::MockConfig;
use crate::providers::presets::{self, Service};
use crate::providers::protocol::Wire;

pub const MOCK: &str = "mock";
const MOCK_MODEL: &str = "mock-1";
/// Keys beyond the first: `VAR_2` .. `VAR_9`.
const MAX_KEYS_PER_VARIABLE: usize = 9;

/// A provider a pool may name.
#[derive(Debug, Clone)]
pub struct Available {
    pub name: String,
    pub aliases: Vec<String>,
    pub service: Service,
    /// Variables to read keys from; empty means the provider is used without a key.
    pub key_vars: Vec<String>,
    pub model_prefixes: Vec<String>,
    pub default_model: String,
    pub config: ProviderConfig,
}

impl Available {
    /// Whether `name` is this provider's name or one of its aliases (case-insensitive).
    pub fn answers_to(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    }

    /// Whether a bare model id names this provider: by a model prefix, or as its profile model.
    pub fn claims_model(&self, model: &str) -> bool {
        let model = model.to_ascii_lowercase();
        self.model_prefixes
            .iter()
            .any(|prefix| model.starts_with(prefix.as_str()))
            || self
                .config
                .model
                .as_deref()
                .is_some_and(|m| m.eq_ignore_ascii_case(&model))
    }
}

/// The mock, every preset, then the profile's entries (which adjust a preset or add a provider).
pub fn available(profile: &Profile) -> anyhow::Result<Vec<Available>> {
    let mut all = vec![Available {
        name: MOCK.to_string(),
        aliases: Vec::new(),
        service: Service::mock(MOCK),
        key_vars: Vec::new(),
        model_prefixes: Vec::new(),
        default_model: MOCK_MODEL.to_string(),
        config: ProviderConfig::default(),
    }];
    all.extend(presets::PRESETS.iter().map(|preset| {
        Available {
            name: preset.name.to_string(),
            aliases: preset.aliases.iter().map(|a| a.to_string()).collect(),
            service: preset.service(),
            key_vars: if preset.needs_key {
                preset.key_vars.iter().map(|v| v.to_string()).collect()
            } else {
                Vec::new()
            },
            model_prefixes: preset
                .model_prefixes
                .iter()
                .map(|p| p.to_string())
                .collect(),
            default_model: preset.default_model.to_string(),
            config: ProviderConfig::default(),
        }
    }));
    let origin = profile.source.as_ref().map_or_else(
        || "the profile".to_string(),
        |p| format!("profile `{}`", p.display()),
    );
    for (name, config) in &profile.providers {
        let existing = all.iter().position(|a| a.answers_to(name));
        let entry = match existing {
            Some(index) => adjust(&all[index], config, &origin)?,
            None => new_provider(name, config, &origin)?,
        };
        match existing {
            Some(index) => all[index] = entry,
            None => all.push(entry),
        }
    }
    Ok(all)
}

fn adjust(base: &Available, config: &ProviderConfig, origin: &str) -> anyhow::Result<Available> {
    let mut entry = base.clone();
    if let Some(kind) = &config.kind {
        // Another wire on a server that had one keeps its address and dialect.
        entry.service = match (kind, &base.service) {
            (
                Service::Http { wire, .. },
                Service::Http {
                    base_url, dialect, ..
                },
            ) => Service::Http {
                wire: *wire,
                base_url: base_url.clone(),
                dialect: *dialect,
            },
            (kind, _) => kind.clone(),
        };
    }
    apply(&mut entry, config, origin)?;
    Ok(entry)
}

fn new_provider(name: &str, config: &ProviderConfig, origin: &str) -> anyhow::Result<Available> {
    let Some(service) = config.kind.clone() else {
        bail!(
            "{origin}: provider `{name}` is not a built-in provider, so it needs a `kind` \
             (openai, anthropic, gemini or mock)"
        );
    };
    let mut entry = Available {
        name: name.to_string(),
        aliases: Vec::new(),
        service,
        // A new provider is sent without a key unless its entry names the variable.
        key_vars: Vec::new(),
        model_prefixes: Vec::new(),
        default_model: MOCK_MODEL.to_string(),
        config: ProviderConfig::default(),
    };
    if !matches!(entry.service, Service::Mock(_)) && config.model.is_none() {
        bail!("{origin}: provider `{name}` needs a `model` (the model id its API expects)");
    }
    apply(&mut entry, config, origin)?;
    Ok(entry)
}

fn apply(entry: &mut Available, config: &ProviderConfig, origin: &str) -> anyhow::Result<()> {
    let name = entry.name.clone();
    if let Some(model) = &config.model {
        entry.default_model = model.clone();
    }
    if !config.api_key_env.is_empty() {
        entry.key_vars = config.api_key_env.clone();
    }
    match &mut entry.service {
        Service::Http {
            wire,
            base_url,
            dialect,
        } => {
            if let Some(url) = &config.base_url {
                *base_url = url.trim_end_matches('/').to_string();
            }
            match (config.dialect, *wire) {
                (None, _) => {}
                (Some(chosen), Wire::OpenAi) => *dialect = chosen,
                (Some(_), other @ (Wire::Anthropic | Wire::Gemini)) => bail!(
                    "{origin}: `dialect` of provider `{name}` only applies to the OpenAI wire \
                     (kind = \"openai\"), and `{name}` speaks the {other:?} wire; remove it"
                ),
            }
            let mock_knobs = [
                ("latency", config.latency.is_some()),
                ("jitter", config.jitter.is_some()),
                ("rate_limit_rate", config.rate_limit_rate.is_some()),
                ("retry_after", config.retry_after.is_some()),
                ("server_error_rate", config.server_error_rate.is_some()),
                ("invalid_output_rate", config.invalid_output_rate.is_some()),
                ("hang_rate", config.hang_rate.is_some()),
                ("batch_duration", config.batch_duration.is_some()),
            ];
            if let Some((knob, _)) = mock_knobs.iter().find(|(_, set)| *set) {
                bail!(
                    "{origin}: `{knob}` of provider `{name}` only applies to kind = \"mock\"; remove it"
                );
            }
        }
        Service::Mock(mock) => {
            if config.dialect.is_some() {
                bail!(
                    "{origin}: `dialect` of provider `{name}` only applies to the OpenAI wire \
                     (kind = \"openai\"), and `{name}` is a mock; remove it"
                );
            }
            if config.base_url.is_some() {
                bail!(
                    "{origin}: provider `{name}` is a mock, which has no `base_url`; remove it or set a `kind`"
                );
            }
            *mock = mock_config(&name, config);
        }
    }
    entry.config = config.clone();
    Ok(())
}

/// The mock named `name` with the knobs its profile entry sets.
fn mock_config(name: &str, config: &ProviderConfig) -> MockConfig {
    let mut mock = MockConfig::new(name);
    if let Some(latency) = config.latency {
        mock.latency = latency;
    }
    if let Some(jitter) = config.jitter {
        mock.jitter = jitter;
    }
    mock.rate_limit_rate = config.rate_limit_rate.unwrap_or(0.0);
    if let Some(retry_after) = config.retry_after {
        mock.retry_after = retry_after;
    }
    mock.server_error_rate = config.server_error_rate.unwrap_or(0.0);
    mock.invalid_output_rate = config.invalid_output_rate.unwrap_or(0.0);
    mock.hang_rate = config.hang_rate.unwrap_or(0.0);
    if let Some(duration) = config.batch_duration {
        mock.batch_duration = duration;
    }
    mock
}

/// Routes one pool entry: a provider name or alias, `provider:model`, or a model id whose prefix
/// names exactly one provider. Anything else is an error, never a guess.
pub fn route<'a>(
    entry: &PoolEntry,
    available: &'a [Available],
) -> anyhow::Result<(&'a Available, String)> {
    if let Some(provider) = available.iter().find(|a| a.answers_to(&entry.name)) {
        let model = entry
            .model
            .clone()
            .unwrap_or_else(|| provider.default_model.clone());
        return Ok((provider, model));
    }
    let names = || {
        available
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if entry.model.is_some() {
        bail!(
            "unknown provider `{}` in `{}`; providers: {}",
            entry.name,
            entry.label(),
            names()
        );
    }
    let claimers: Vec<&Available> = available
        .iter()
        .filter(|a| a.claims_model(&entry.name))
        .collect();
    match claimers.as_slice() {
        [provider] => Ok((provider, entry.name.clone())),
        [] => bail!(
            "unknown provider or model `{}` in the pool; providers: {}\n  a model id routes by its \
             prefix (deepseek-…, glm-…, claude-…, gemini-…, gpt-…); write PROVIDER:MODEL for any \
             other, or define the provider in a profile",
            entry.name,
            names()
        ),
        several => {
            let forms: Vec<String> = several
                .iter()
                .map(|a| format!("`{}:{}`", a.name, entry.name))
                .collect();
            bail!(
                "model `{}` could be served by {}; write {} to choose",
                entry.name,
                several
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" and "),
                forms.join(" or ")
            )
        }
    }
}

/// One key found in the environment, with a label safe to print.
#[derive(Debug, Clone)]
pub struct Key {
    /// `DEEPSEEK_API_KEY_2 (…7f3a)`.
    pub label: String,
    pub secret: SecretString,
}

/// Every distinct key for `provider`: each variable, then `VAR_2` .. `VAR_9`. Errors when the
/// provider needs a key and none is set, naming the variables to set.
pub fn keys(
    provider: &Available,
    env: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Vec<Key>> {
    let mut found: Vec<(String, String)> = Vec::new();
    for var in &provider.key_vars {
        for n in 1..=MAX_KEYS_PER_VARIABLE {
            let name = if n == 1 {
                var.clone()
            } else {
                format!("{var}_{n}")
            };
            let Some(value) = env(&name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
            else {
                continue;
            };
            if !found.iter().any(|(_, v)| *v == value) {
                found.push((name, value));
            }
        }
    }
    if found.is_empty() && !provider.key_vars.is_empty() {
        bail!(
            "provider `{}` has no key: set {}, or name another variable with `api_key_env` in its \
             profile entry",
            provider.name,
            provider.key_vars.join(" or ")
        );
    }
    Ok(found
        .into_iter()
        .map(|(name, value)| {
            let tail: String = value
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            // Short keys would be mostly revealed by their tail.
            let label = if value.chars().count() >= 16 {
                format!("{name} (…{tail})")
            } else {
                name
            };
            Key {
                label,
                secret: SecretString::from(value),
            }
        })
        .collect())
}

/// Reads one variable of the real environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::dialect::Dialect;
    use std::collections::HashMap;

    fn entry(name: &str, model: Option<&str>) -> PoolEntry {
        PoolEntry {
            name: name.into(),
            model: model.map(Into::into),
            weight: crate::pool::Weight::Lanes(1),
        }
    }

    fn profile(text: &str) -> Profile {
        crate::profile::parse(text, None).unwrap()
    }

    #[test]
    fn names_aliases_and_model_ids_route_to_one_provider() {
        let all = available(&Profile::default()).unwrap();
        let route_name = |e: PoolEntry| route(&e, &all).map(|(p, m)| (p.name.clone(), m));
        assert_eq!(
            route_name(entry("claude", None)).unwrap(),
            ("anthropic".into(), "claude-haiku-4-5".into())
        );
        assert_eq!(
            route_name(entry("deepseek-chat", None)).unwrap(),
            ("deepseek".into(), "deepseek-chat".into())
        );
        assert_eq!(
            route_name(entry("glm-4.6", None)).unwrap(),
            ("glm".into(), "glm-4.6".into())
        );
        assert_eq!(
            route_name(entry("openrouter", Some("openai/gpt-5-mini")))
                .unwrap()
                .1,
            "openai/gpt-5-mini"
        );
        let error = route_name(entry("llama3.2", None)).unwrap_err().to_string();
        assert!(
            error.contains("unknown provider or model `llama3.2`"),
            "{error}"
        );
        let error = route_name(entry("nosuch", Some("m")))
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown provider `nosuch`"), "{error}");
    }

    #[test]
    fn an_id_two_providers_could_serve_asks_for_provider_model() {
        let p = profile(
            "[providers.cheap]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\nmodel = \"deepseek-chat\"\n",
        );
        let all = available(&p).unwrap();
        let error = route(&entry("deepseek-chat", None), &all)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("`deepseek:deepseek-chat` or `cheap:deepseek-chat`"),
            "{error}"
        );
        assert_eq!(
            route(&entry("cheap", None), &all).unwrap().1,
            "deepseek-chat"
        );
    }

    #[test]
    fn profile_entries_adjust_presets_and_add_providers() {
        let p = profile(
            "[providers.deepseek]\nbase_url = \"http://127.0.0.1:9/\"\napi_key_env = \"MY_DS\"\n\n\
             [providers.local]\nkind = \"openai\"\nbase_url = \"http://localhost:11434/v1\"\nmodel = \"llama3.2\"\n",
        );
        let all = available(&p).unwrap();
        let deepseek = all.iter().find(|a| a.name == "deepseek").unwrap();
        assert_eq!(
            deepseek.service,
            Service::Http {
                wire: Wire::OpenAi,
                base_url: "http://127.0.0.1:9".into(),
                dialect: Dialect::COMPATIBLE,
            }
        );
        assert_eq!(deepseek.key_vars, ["MY_DS"]);
        let local = all.iter().find(|a| a.name == "local").unwrap();
        assert!(
            local.key_vars.is_empty(),
            "a new provider without api_key_env sends no key"
        );
        let error = available(&profile("[providers.x]\nkind = \"openai\"\n"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("needs a `model`"), "{error}");
        let error = available(&profile("[providers.openai]\nlatency = \"1s\"\n"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("only applies to kind = \"mock\""), "{error}");
    }

    #[test]
    fn a_kind_sets_the_service_and_the_entry_adjusts_it() {
        let p = profile(
            "[providers.fast]\nkind = \"mock\"\nlatency = \"200ms\"\nserver_error_rate = 0.5\n\n\
             [providers.deepseek]\nkind = \"anthropic\"\n\n\
             [providers.mock]\nkind = \"gemini\"\n",
        );
        let all = available(&p).unwrap();
        let service = |name: &str| &all.iter().find(|a| a.name == name).unwrap().service;
        let mut fast = MockConfig::new("fast");
        fast.latency = std::time::Duration::from_millis(200);
        fast.server_error_rate = 0.5;
        assert_eq!(service("fast"), &Service::Mock(fast));
        // Another wire on a server keeps its address; a mock given a wire starts at its vendor.
        assert_eq!(
            service("deepseek"),
            &Service::Http {
                wire: Wire::Anthropic,
                base_url: "https://api.deepseek.com".into(),
                dialect: Dialect::COMPATIBLE,
            }
        );
        assert_eq!(service("mock"), &Service::http(Wire::Gemini));
        assert_eq!(
            Service::http(Wire::Gemini),
            Service::Http {
                wire: Wire::Gemini,
                base_url: "https://generativelanguage.googleapis.com/v1beta".into(),
                dialect: Dialect::COMPATIBLE,
            }
        );
    }

    #[test]
    fn a_dialect_applies_to_openai_wire_providers_only() {
        let dialect_of = |all: &[Available], name: &str| match &all
            .iter()
            .find(|a| a.name == name)
            .unwrap()
            .service
        {
            Service::Http { dialect, .. } => *dialect,
            Service::Mock(_) => panic!("{name} is a mock"),
        };
        let defaults = available(&Profile::default()).unwrap();
        assert_eq!(dialect_of(&defaults, "openai"), Dialect::OPENAI);
        assert_eq!(dialect_of(&defaults, "deepseek"), Dialect::COMPATIBLE);

        let p = profile(
            "[providers.gateway]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:4000/v1\"\n\
             model = \"gpt-4.1-mini\"\ndialect = \"openai\"\n\n\
             [providers.openai]\ndialect = \"compatible\"\n",
        );
        let all = available(&p).unwrap();
        assert_eq!(dialect_of(&all, "gateway"), Dialect::OPENAI);
        assert_eq!(dialect_of(&all, "openai"), Dialect::COMPATIBLE);
        // Without the field, a new OpenAI-kind provider is a compatible server.
        let p = profile(
            "[providers.local]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\nmodel = \"m\"\n",
        );
        assert_eq!(
            dialect_of(&available(&p).unwrap(), "local"),
            Dialect::COMPATIBLE
        );

        for (text, wire) in [
            (
                "[providers.claude]\ndialect = \"openai\"\n",
                "Anthropic wire",
            ),
            (
                "[providers.gw]\nkind = \"gemini\"\nmodel = \"g\"\ndialect = \"compatible\"\n",
                "Gemini wire",
            ),
            (
                "[providers.fast]\nkind = \"mock\"\ndialect = \"openai\"\n",
                "is a mock",
            ),
        ] {
            let error = available(&profile(text)).unwrap_err().to_string();
            assert!(error.contains("only applies to the OpenAI wire"), "{error}");
            assert!(error.contains(wire), "{error}");
        }
    }

    #[test]
    fn keys_come_from_each_variable_and_numbered_siblings_without_repeats() {
        let all = available(&Profile::default()).unwrap();
        let gemini = all.iter().find(|a| a.name == "gemini").unwrap();
        let env: HashMap<&str, &str> = [
            ("GEMINI_API_KEY", "AIzaSy-first-key-0001"),
            ("GEMINI_API_KEY_2", "AIzaSy-second-key-0002"),
            ("GOOGLE_API_KEY", "AIzaSy-first-key-0001"),
            ("GOOGLE_API_KEY_3", "short"),
        ]
        .into_iter()
        .collect();
        let keys = keys(gemini, |name| env.get(name).map(|v| v.to_string())).unwrap();
        let labels: Vec<&str> = keys.iter().map(|k| k.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "GEMINI_API_KEY (…0001)",
                "GEMINI_API_KEY_2 (…0002)",
                "GOOGLE_API_KEY_3"
            ]
        );
        let error = super::keys(gemini, |_| None).unwrap_err().to_string();
        assert!(
            error.contains("set GEMINI_API_KEY or GOOGLE_API_KEY"),
            "{error}"
        );
        assert!(
            !format!("{keys:?}").contains("second-key"),
            "Debug must not show a key"
        );
    }
}
