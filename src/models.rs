//! `gen models [--live] [PROVIDER]`: what each provider the registry knows offers, so a user can
//! see what to name in a pool and which key to set.
//!
//! Offline it shows the registry's view: wire, base URL, the OpenAI dialect the requests are sent
//! in, the keys' redacted labels (or the variable to set), the default model and the priced models
//! that route to the provider.
//! `--live` asks each provider's model-list endpoint with its first key over the shared client
//! and prices the ids that come back where the table knows them. Listings go to stdout; notes
//! and failures to stderr.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::cli::ModelsArgs;
use crate::exit;
use crate::profile::{self, Profile};
use crate::providers::ProviderError;
use crate::providers::dialect::{Dialect, JsonMode, MaxTokensField};
use crate::providers::http::HttpProvider;
use crate::providers::presets::{self, Price, Service};
use crate::providers::protocol::Wire;
use crate::registry::{self, Available};

/// How long one provider's model list may take, connection included.
const LIVE_TIMEOUT: Duration = Duration::from_secs(15);

/// Whether a provider's keys are there, as it is safe to show.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KeyStatus {
    /// The labels of the keys found (`DEEPSEEK_API_KEY (…7f3a)`), never the keys.
    Set(Vec<String>),
    /// None is set; any of these variables would hold one.
    Missing(Vec<String>),
    /// The provider is used without a key (the mock, a local server).
    NotNeeded,
}

impl KeyStatus {
    fn of(provider: &Available, env: impl Fn(&str) -> Option<String>) -> KeyStatus {
        match registry::keys(provider, env) {
            Ok(keys) if keys.is_empty() => KeyStatus::NotNeeded,
            Ok(keys) => KeyStatus::Set(keys.into_iter().map(|k| k.label).collect()),
            Err(_) => KeyStatus::Missing(provider.key_vars.clone()),
        }
    }

    fn describe(&self) -> String {
        match self {
            KeyStatus::Set(labels) => labels.join(", "),
            KeyStatus::Missing(vars) => format!("no key set (set {})", vars.join(" or ")),
            KeyStatus::NotNeeded => "none needed".to_string(),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            KeyStatus::Set(_) => "set",
            KeyStatus::Missing(_) => "missing",
            KeyStatus::NotNeeded => "not_needed",
        }
    }
}

/// One model: its id, its price when the table knows it, and whether it is the default.
#[derive(Debug, Clone, PartialEq)]
struct ModelLine {
    id: String,
    price: Option<&'static Price>,
    default: bool,
}

impl ModelLine {
    fn new(id: &str, default_model: &str) -> ModelLine {
        ModelLine {
            id: id.to_string(),
            price: presets::price(id),
            default: id.eq_ignore_ascii_case(default_model),
        }
    }
}

/// One provider as `gen models` shows it.
#[derive(Debug, Clone, PartialEq)]
struct Listing {
    name: String,
    aliases: Vec<String>,
    /// `openai`, `anthropic`, `gemini` or `mock`.
    wire: &'static str,
    base_url: Option<String>,
    /// How requests are written, for OpenAI-wire providers only.
    dialect: Option<Dialect>,
    key_vars: Vec<String>,
    key: KeyStatus,
    default_model: String,
    models: Vec<ModelLine>,
    /// The models came from the provider's own list endpoint.
    live: bool,
}

impl Listing {
    /// The registry's view: the default model first, then every priced model routing here.
    fn known(provider: &Available, env: impl Fn(&str) -> Option<String>) -> Listing {
        let default_model = provider.default_model.clone();
        let mut ids = vec![default_model.clone()];
        for price in presets::PRICES {
            if provider.claims_model(price.model) && !ids.iter().any(|id| id == price.model) {
                ids.push(price.model.to_string());
            }
        }
        let (wire, base_url, dialect) = match &provider.service {
            Service::Mock(_) => ("mock", None, None),
            Service::Http {
                wire,
                base_url,
                dialect,
            } => (
                wire.name(),
                Some(base_url.clone()),
                (*wire == Wire::OpenAi).then_some(*dialect),
            ),
        };
        Listing {
            name: provider.name.clone(),
            aliases: provider.aliases.clone(),
            wire,
            base_url,
            dialect,
            key_vars: provider.key_vars.clone(),
            key: KeyStatus::of(provider, env),
            models: ids
                .iter()
                .map(|id| ModelLine::new(id, &default_model))
                .collect(),
            default_model,
            live: false,
        }
    }

    /// This listing with the ids a provider's list endpoint returned, sorted, instead.
    fn with_live_ids(mut self, mut ids: Vec<String>) -> Listing {
        ids.sort();
        ids.dedup();
        self.models = ids
            .iter()
            .map(|id| ModelLine::new(id, &self.default_model))
            .collect();
        self.live = true;
        self
    }

    /// A block of the human-readable table.
    fn to_text(&self) -> String {
        let mut out = String::new();
        let aliases = if self.aliases.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.aliases.join(", "))
        };
        let _ = write!(out, "{}{aliases}", self.name);
        match &self.base_url {
            Some(url) => {
                let _ = write!(out, "  {} wire  {url}", self.wire);
            }
            None => out.push_str("  offline, built in"),
        }
        if self.live {
            let count = self.models.len();
            let _ = write!(
                out,
                "  (live: {count} model{})",
                if count == 1 { "" } else { "s" }
            );
        }
        out.push('\n');
        let _ = writeln!(out, "  key  {}", self.key.describe());
        if let Some(dialect) = self.dialect {
            let (name, json, max_tokens) = dialect_names(dialect);
            let json = if json == "prompt_only" {
                "prompt only"
            } else {
                json
            };
            let _ = writeln!(out, "  dialect  {name} ({json}, {max_tokens})");
        }
        let label = |m: &ModelLine| {
            if m.default {
                format!("{} (default)", m.id)
            } else {
                m.id.clone()
            }
        };
        let width = self
            .models
            .iter()
            .map(|m| label(m).chars().count())
            .max()
            .unwrap_or(0)
            .max("model".len());
        let _ = writeln!(
            out,
            "  {:<width$}  {:>9}  {:>9}",
            "model", "in $/1M", "out $/1M"
        );
        for model in &self.models {
            let (input, output) = match model.price {
                Some(p) => (format!("{:.2}", p.input), format!("{:.2}", p.output)),
                None => ("-".to_string(), "-".to_string()),
            };
            let _ = writeln!(out, "  {:<width$}  {input:>9}  {output:>9}", label(model));
        }
        out
    }

    /// One JSON object, for `--json`.
    fn to_json(&self) -> Value {
        let models: Vec<Value> = self
            .models
            .iter()
            .map(|m| {
                json!({
                    "id": m.id,
                    "default": m.default,
                    "input_usd_per_mtok": m.price.map(|p| p.input),
                    "output_usd_per_mtok": m.price.map(|p| p.output),
                })
            })
            .collect();
        let labels = match &self.key {
            KeyStatus::Set(labels) => labels.clone(),
            _ => Vec::new(),
        };
        json!({
            "provider": self.name,
            "aliases": self.aliases,
            "wire": self.wire,
            "base_url": self.base_url,
            "dialect": self.dialect.map(|d| {
                let (name, json, max_tokens) = dialect_names(d);
                json!({"name": name, "json": json, "max_tokens_field": max_tokens})
            }),
            "key_status": self.key.name(),
            "keys": labels,
            "key_vars": self.key_vars,
            "default_model": self.default_model,
            "source": if self.live { "live" } else { "builtin" },
            "models": models,
        })
    }
}

/// A dialect as `gen models` names it: the profile's name for it (`openai`, `compatible`, or
/// `custom` for another mix), how JSON is asked for, and the output-cap field.
fn dialect_names(dialect: Dialect) -> (&'static str, &'static str, &'static str) {
    let name = match dialect {
        Dialect::OPENAI => "openai",
        Dialect::COMPATIBLE => "compatible",
        _ => "custom",
    };
    let json = match dialect.json {
        JsonMode::JsonSchema => "json_schema",
        JsonMode::JsonObject => "json_object",
        JsonMode::PromptOnly => "prompt_only",
    };
    let max_tokens = match dialect.max_tokens {
        MaxTokensField::MaxCompletionTokens => "max_completion_tokens",
        MaxTokensField::MaxTokens => "max_tokens",
    };
    (name, json, max_tokens)
}

/// Runs `gen models` and returns the exit code: 0, 1 when a live listing failed, 2 on a usage
/// or configuration error.
pub fn run(args: &ModelsArgs) -> u8 {
    match execute(args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("gen: error: {error:#}");
            exit::USAGE
        }
    }
}

fn execute(args: &ModelsArgs) -> anyhow::Result<u8> {
    let profile = profile::select(args.profile.as_deref(), args.no_profile)?;
    let available = registry::available(&profile)?;
    let selected = select(&available, args.provider.as_deref())?;
    let env = registry::process_env;
    let (listings, code) = if args.live {
        live(&selected, &profile, args.provider.is_some(), env)?
    } else {
        let listings = selected.iter().map(|p| Listing::known(p, env)).collect();
        (listings, exit::OK)
    };
    let mut text = String::new();
    for (i, listing) in listings.iter().enumerate() {
        if args.json {
            text.push_str(&listing.to_json().to_string());
            text.push('\n');
        } else {
            if i > 0 {
                text.push('\n');
            }
            text.push_str(&listing.to_text());
        }
    }
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`gen models | head`) is not an error worth reporting.
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    Ok(code)
}

/// Every provider, or the one `name` names (by name or alias).
fn select<'a>(
    available: &'a [Available],
    name: Option<&str>,
) -> anyhow::Result<Vec<&'a Available>> {
    let Some(name) = name else {
        return Ok(available.iter().collect());
    };
    match available.iter().find(|a| a.answers_to(name)) {
        Some(provider) => Ok(vec![provider]),
        None => bail!(
            "unknown provider `{name}`; providers: {}",
            available
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// What `--live` does with one provider.
enum LiveStep {
    /// Nothing to ask: show the registry's view (the mock).
    Show(Listing),
    /// Ask its list endpoint with this client.
    Ask(Listing, HttpProvider),
    /// Leave it out, saying why on stderr.
    Skip(String),
}

fn live_step(
    provider: &Available,
    profile: &Profile,
    named: bool,
    env: impl Fn(&str) -> Option<String> + Copy,
) -> anyhow::Result<LiveStep> {
    let listing = Listing::known(provider, env);
    let Service::Http {
        wire,
        base_url,
        dialect,
    } = &provider.service
    else {
        return Ok(LiveStep::Show(listing));
    };
    let keys = match registry::keys(provider, env) {
        Ok(keys) => keys,
        // The user asked for this provider alone: without its key there is nothing to do.
        Err(error) if named => return Err(error),
        Err(_) => {
            return Ok(LiveStep::Skip(format!(
                "{}: skipped, {}",
                provider.name,
                listing.key.describe()
            )));
        }
    };
    // A keyless local server (Ollama) is asked only when the user points at it, so that a
    // plain `gen models --live` does not fail for a server that was never meant to run.
    let configured = profile.providers.keys().any(|n| provider.answers_to(n));
    if keys.is_empty() && !named && !configured {
        return Ok(LiveStep::Skip(format!(
            "{}: skipped, a local server needing no key ({base_url}); ask it with `gen models --live {}`",
            provider.name, provider.name
        )));
    }
    let client = HttpProvider::new(
        *wire,
        *dialect,
        base_url.clone(),
        keys.into_iter().next().map(|k| k.secret),
    );
    Ok(LiveStep::Ask(listing, client))
}

/// Asks every selected provider with a key at once, on one current-thread runtime; returns the
/// listings that answered, in registry order, and exit code 1 when any failed.
fn live(
    selected: &[&Available],
    profile: &Profile,
    named: bool,
    env: impl Fn(&str) -> Option<String> + Copy,
) -> anyhow::Result<(Vec<Listing>, u8)> {
    let mut slots: Vec<Option<Listing>> = Vec::with_capacity(selected.len());
    let mut asks: Vec<(usize, HttpProvider)> = Vec::new();
    for provider in selected {
        match live_step(provider, profile, named, env)? {
            LiveStep::Show(listing) => slots.push(Some(listing)),
            LiveStep::Ask(listing, client) => {
                asks.push((slots.len(), client));
                slots.push(Some(listing));
            }
            LiveStep::Skip(note) => {
                eprintln!("gen: {note}");
                slots.push(None);
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut answers: Vec<(usize, Result<Vec<String>, ProviderError>)> = runtime.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for (slot, client) in asks {
            tasks.spawn(async move { (slot, client.list_models(LIVE_TIMEOUT).await) });
        }
        let mut answers = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            // A listing task only panics on a bug; let it show as one.
            answers.push(joined.expect("a model-list task panicked"));
        }
        answers
    });
    answers.sort_by_key(|(slot, _)| *slot);
    let mut code = exit::OK;
    for (slot, answer) in answers {
        let Some(listing) = slots[slot].take() else {
            continue;
        };
        match answer {
            Ok(ids) => slots[slot] = Some(listing.with_live_ids(ids)),
            Err(error) => {
                eprintln!(
                    "gen: {}: cannot list models ({}): {error}",
                    listing.name,
                    listing.base_url.as_deref().unwrap_or_default()
                );
                code = exit::ROWS_FAILED;
            }
        }
    }
    Ok((slots.into_iter().flatten().collect(), code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn providers(profile_text: &str) -> Vec<Available> {
        let profile = crate::profile::parse(profile_text, None).unwrap();
        registry::available(&profile).unwrap()
    }

    fn env(
        pairs: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<String> + Copy {
        move |name| {
            let map: HashMap<&str, &str> = pairs.iter().copied().collect();
            map.get(name).map(|v| v.to_string())
        }
    }

    #[test]
    fn a_known_listing_has_the_default_first_and_every_priced_model_routing_here() {
        let all = providers("");
        let deepseek = all.iter().find(|a| a.name == "deepseek").unwrap();
        let listing = Listing::known(
            deepseek,
            env(&[("DEEPSEEK_API_KEY", "sk-deepseek-secret-abcd1234")]),
        );
        let ids: Vec<&str> = listing.models.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["deepseek-flash", "deepseek-chat", "deepseek-v4-pro"]);
        assert!(listing.models[0].default && !listing.models[1].default);
        assert_eq!(
            listing.key,
            KeyStatus::Set(vec!["DEEPSEEK_API_KEY (…1234)".into()])
        );
        let text = listing.to_text();
        assert!(
            text.starts_with("deepseek  openai wire  https://api.deepseek.com\n"),
            "{text}"
        );
        assert!(
            text.contains("\n  dialect  compatible (json_object, max_tokens)\n"),
            "{text}"
        );
        assert!(text.contains("deepseek-chat"), "{text}");
        assert!(text.contains("0.28") && text.contains("0.42"), "{text}");
        assert!(!text.contains("secret"), "{text}");
    }

    #[test]
    fn missing_and_unneeded_keys_say_so() {
        let all = providers("");
        let gemini = all.iter().find(|a| a.name == "gemini").unwrap();
        let listing = Listing::known(gemini, env(&[]));
        assert_eq!(
            listing.key.describe(),
            "no key set (set GEMINI_API_KEY or GOOGLE_API_KEY)"
        );
        let ollama = all.iter().find(|a| a.name == "ollama").unwrap();
        assert_eq!(Listing::known(ollama, env(&[])).key, KeyStatus::NotNeeded);
        let mock = Listing::known(&all[0], env(&[]));
        assert_eq!((mock.wire, mock.base_url.as_deref()), ("mock", None));
        assert!(mock.to_text().contains("offline, built in"));
    }

    #[test]
    fn a_profile_provider_lists_its_model_with_the_price_of_that_id() {
        let all = providers(
            "[providers.cheap]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\nmodel = \"deepseek-chat\"\n",
        );
        let cheap = all.iter().find(|a| a.name == "cheap").unwrap();
        let listing = Listing::known(cheap, env(&[]));
        assert_eq!(listing.models.len(), 1);
        assert_eq!(listing.models[0].price.unwrap().input, 0.28);
        assert_eq!(listing.key, KeyStatus::NotNeeded);
    }

    #[test]
    fn the_dialect_shows_for_openai_wire_providers_only() {
        let all =
            providers("[providers.gw]\nkind = \"openai\"\nmodel = \"m\"\ndialect = \"openai\"\n");
        let listing =
            |name: &str| Listing::known(all.iter().find(|a| a.name == name).unwrap(), env(&[]));
        let gw = listing("gw");
        assert_eq!(gw.dialect, Some(Dialect::OPENAI));
        assert!(
            gw.to_text()
                .contains("\n  dialect  openai (json_schema, max_completion_tokens)\n"),
            "{}",
            gw.to_text()
        );
        assert_eq!(
            gw.to_json()["dialect"],
            json!({"name": "openai", "json": "json_schema", "max_tokens_field": "max_completion_tokens"})
        );
        for name in ["anthropic", "gemini", "mock"] {
            let other = listing(name);
            assert_eq!(other.dialect, None, "{name}");
            assert!(!other.to_text().contains("dialect"), "{name}");
            assert!(other.to_json()["dialect"].is_null(), "{name}");
        }
        let prompt_only = Dialect {
            json: JsonMode::PromptOnly,
            max_tokens: MaxTokensField::MaxTokens,
        };
        assert_eq!(
            dialect_names(prompt_only),
            ("custom", "prompt_only", "max_tokens")
        );
    }

    #[test]
    fn live_ids_are_sorted_priced_and_marked_default() {
        let all = providers("");
        let anthropic = all.iter().find(|a| a.name == "anthropic").unwrap();
        let listing = Listing::known(anthropic, env(&[])).with_live_ids(vec![
            "claude-sonnet-4-5-20250929".into(),
            "claude-haiku-4-5".into(),
            "claude-opus-9".into(),
        ]);
        let json = listing.to_json();
        assert_eq!(json["source"], "live");
        assert_eq!(json["key_status"], "missing");
        let models = json["models"].as_array().unwrap();
        assert_eq!(models[0]["id"], "claude-haiku-4-5");
        assert_eq!(models[0]["default"], true);
        assert_eq!(models[1]["id"], "claude-opus-9");
        assert!(models[1]["input_usd_per_mtok"].is_null());
        assert_eq!(models[2]["output_usd_per_mtok"], 15.0);
    }

    #[test]
    fn an_unknown_provider_lists_the_known_ones() {
        let all = providers("");
        let error = select(&all, Some("nosuch")).unwrap_err().to_string();
        assert!(
            error.contains("unknown provider `nosuch`; providers: mock, openai"),
            "{error}"
        );
        assert_eq!(select(&all, Some("Claude")).unwrap()[0].name, "anthropic");
        assert_eq!(select(&all, None).unwrap().len(), all.len());
    }
}
