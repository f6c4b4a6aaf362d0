//! The TOML profile: its schema, loading with `file:line:col` errors, and where profiles live
//! (`$XDG_CONFIG_HOME/gen`, else `~/.config/gen`; `--profile NAME|FILE`).
//!
//! A profile holds what the user typed, checked for shape only (types, ranges, pool syntax).
//! Merging it with flags and the environment, and rejecting combinations such as mock knobs
//! on a non-mock provider, is the plan's job.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::duration::deserialize_opt_duration;
use crate::pool::{self, MAX_WEIGHT, PoolEntry};
use crate::providers::dialect::Dialect;
use crate::providers::presets::Service;
use crate::providers::protocol::Wire;
use crate::providers::reasoning::{ModelThinking, Reasoning};

mod reasoning;

pub use reasoning::{ModelPrices, TaskRow, Tasks};

/// A parsed profile. Every field is optional in the file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The provider used when no pool is given.
    #[serde(default, deserialize_with = "deserialize_default")]
    pub default: Option<String>,
    /// `[pool]` entries in file order, checked like `--pool`.
    #[serde(default, deserialize_with = "deserialize_pool")]
    pub pool: Vec<PoolEntry>,
    /// `[providers.NAME]`: adjustments to built-in providers, or new ones (with `kind`).
    #[serde(default, deserialize_with = "deserialize_providers")]
    pub providers: BTreeMap<String, ProviderConfig>,
    /// `[draft]`: defaults for `gen draft`.
    #[serde(default)]
    pub draft: DraftConfig,
    /// The column the built-in tasks write about (default: `keyword`, in any case).
    #[serde(default, deserialize_with = "deserialize_non_empty")]
    pub subject_column: Option<String>,
    /// `[tasks.NAME]`: tasks defined as data (or built-in ones changed), and reasoning settings.
    #[serde(default, deserialize_with = "reasoning::deserialize_tasks")]
    pub tasks: reasoning::Tasks,
    /// `[models."ID"]`: how models the built-in table does not know reason, by lowercase id.
    #[serde(default, deserialize_with = "reasoning::deserialize_models")]
    pub models: BTreeMap<String, ModelThinking>,
    /// `[models."ID"]` prices, by lowercase id.
    #[serde(skip)]
    pub model_prices: BTreeMap<String, reasoning::ModelPrices>,
    /// The file this profile came from, for messages that point back at it.
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

/// The `[draft]` table: defaults for `gen draft` that flags override.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftConfig {
    /// `PROVIDER[:MODEL]` that runs the research stage (default: the lane's own provider).
    pub research: Option<String>,
    /// `PROVIDER[:MODEL]` that draws pictures (default: gemini's image model).
    pub image_model: Option<String>,
    /// Pictures per article.
    pub images: Option<u32>,
    /// Target length in words.
    pub words: Option<u32>,
    pub audience: Option<String>,
    pub tone: Option<String>,
    /// Stages to run, in order (`research`, `outline`, `draft`, `humanize`, `images`).
    pub stages: Option<Vec<String>>,
    /// Prompt template files per stage (`outline = "prompts/outline.j2"`).
    #[serde(default)]
    pub templates: BTreeMap<String, PathBuf>,
}

/// One `[providers.NAME]` table.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// `kind = "openai" | "anthropic" | "gemini" | "mock"`: the service the provider starts from
    /// (the wire at its own vendor's URL, or the default mock), which `base_url`, `dialect` and the
    /// mock knobs then adjust. Required for a new name, optional when adjusting a built-in.
    #[serde(default, deserialize_with = "deserialize_kind")]
    pub kind: Option<Service>,
    #[serde(default, deserialize_with = "deserialize_non_empty")]
    pub model: Option<String>,
    /// Replaces the preset's base URL as the vendor writes it (OpenAI `…/v1`, Anthropic without `/v1`, Gemini `…/v1beta`); the API's own path is appended.
    #[serde(default, deserialize_with = "deserialize_base_url")]
    pub base_url: Option<String>,
    /// Environment variables holding keys; each key gets its own lanes and limiter.
    #[serde(default, deserialize_with = "deserialize_key_envs")]
    pub api_key_env: Vec<String>,
    /// Requests per minute per key.
    #[serde(default, deserialize_with = "deserialize_positive")]
    pub rpm: Option<u32>,
    /// Tokens per minute per key.
    #[serde(default, deserialize_with = "deserialize_positive")]
    pub tpm: Option<u64>,
    /// The most lanes an automatic (`auto`) entry of this provider may grow to.
    #[serde(default, deserialize_with = "deserialize_positive")]
    pub max_lanes: Option<u32>,
    /// Per request.
    #[serde(default, deserialize_with = "deserialize_timeout")]
    pub timeout: Option<Duration>,
    /// The reasoning setting for every task this provider serves (`--reasoning` wins).
    #[serde(default, deserialize_with = "reasoning::deserialize_reasoning")]
    pub reasoning: Option<Reasoning>,
    /// OpenAI wire only: the request fields the server takes, `"openai"` (json_schema,
    /// max_completion_tokens) or `"compatible"` (json_object, max_tokens).
    #[serde(default, deserialize_with = "deserialize_dialect")]
    pub dialect: Option<Dialect>,
    /// Mock knob: how long an answer takes.
    #[serde(default, deserialize_with = "deserialize_opt_duration")]
    pub latency: Option<Duration>,
    /// Mock knob: up to this much is added to `latency`, deterministically per prompt.
    #[serde(default, deserialize_with = "deserialize_opt_duration")]
    pub jitter: Option<Duration>,
    /// Mock knob: probability of a rate-limited answer.
    #[serde(default, deserialize_with = "deserialize_rate")]
    pub rate_limit_rate: Option<f64>,
    /// Mock knob: the reset time a rate-limited answer reports.
    #[serde(default, deserialize_with = "deserialize_opt_duration")]
    pub retry_after: Option<Duration>,
    /// Mock knob: probability of a server error.
    #[serde(default, deserialize_with = "deserialize_rate")]
    pub server_error_rate: Option<f64>,
    /// Mock knob: probability of an answer that fails the task's validation.
    #[serde(default, deserialize_with = "deserialize_rate")]
    pub invalid_output_rate: Option<f64>,
    /// Mock knob: probability of a request that never answers.
    #[serde(default, deserialize_with = "deserialize_rate")]
    pub hang_rate: Option<f64>,
    /// Mock knob: how long a batch job takes from submit to completed.
    #[serde(default, deserialize_with = "deserialize_opt_duration")]
    pub batch_duration: Option<Duration>,
    /// USD per million input tokens for this provider's models, over the built-in price table
    /// (the mock's, and the models gen has no price for, need one for `--max-cost`).
    #[serde(default, deserialize_with = "deserialize_price")]
    pub input_price: Option<f64>,
    /// USD per million output tokens (the reasoning included).
    #[serde(default, deserialize_with = "deserialize_price")]
    pub output_price: Option<f64>,
    /// Batch API prices per million tokens (default: half the live ones).
    #[serde(default, deserialize_with = "deserialize_price")]
    pub batch_input_price: Option<f64>,
    #[serde(default, deserialize_with = "deserialize_price")]
    pub batch_output_price: Option<f64>,
}

/// Reads and parses the profile at `path`.
pub fn load(path: &Path) -> anyhow::Result<Profile> {
    let text = fs::read_to_string(path)
        .map_err(|e| anyhow!("cannot read profile `{}`: {e}", path.display()))?;
    parse(&text, Some(path))
}

/// Parses profile text; `origin` names it in errors (`<profile>` when absent) and becomes
/// [`Profile::source`].
pub fn parse(text: &str, origin: Option<&Path>) -> anyhow::Result<Profile> {
    let label = origin.map_or_else(|| "<profile>".to_owned(), |p| p.display().to_string());
    // Parsing first, separately, tells a TOML syntax error from a schema error.
    let document = toml::de::Deserializer::parse(text)
        .map_err(|e| anyhow!(describe(&e, text, &label, "invalid TOML: ")))?;
    let mut profile =
        Profile::deserialize(document).map_err(|e| anyhow!(describe(&e, text, &label, "")))?;
    profile.source = origin.map(Path::to_path_buf);
    profile.model_prices = reasoning::model_prices(text);
    for row in profile.tasks.rows.values_mut() {
        row.line = line_col(text, row.offset).0;
    }
    Ok(profile)
}

/// `path:LINE:COL: [in `a.b`: ]message`, with 1-based line and column (in characters).
fn describe(err: &toml::de::Error, text: &str, label: &str, kind: &str) -> String {
    let location = match err.span() {
        Some(span) => {
            let (line, col) = line_col(text, span.start);
            format!("{label}:{line}:{col}")
        }
        None => label.to_owned(),
    };
    let within = match key_path(err) {
        Some(keys) => format!("in `{keys}`: "),
        None => String::new(),
    };
    format!("{location}: {kind}{within}{}", err.message())
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    (line, before[line_start..].chars().count() + 1)
}

/// The dotted key path the error sits under. toml keeps it private and shows it only in its
/// `Display` when it has no input to quote, so render it that way; if the format ever
/// changes, messages merely lose this hint.
fn key_path(err: &toml::de::Error) -> Option<String> {
    let mut bare = err.clone();
    bare.set_input(None);
    let shown = bare.to_string();
    let line = shown.lines().rev().find(|l| l.starts_with("in `"))?;
    let keys = line.strip_prefix("in `")?.strip_suffix('`')?;
    (!keys.is_empty()).then(|| keys.to_owned())
}

/// The profile a command uses: none with `--no-profile`, the one `--profile NAME|FILE` names,
/// else the default profile when it exists.
pub fn select(arg: Option<&str>, no_profile: bool) -> anyhow::Result<Profile> {
    if no_profile {
        return Ok(Profile::default());
    }
    if let Some(arg) = arg {
        return load(&locate(arg)?);
    }
    match default_profile_path() {
        Some(path) => load(&path),
        None => Ok(Profile::default()),
    }
}

/// `$XDG_CONFIG_HOME/gen`, else `$HOME/.config/gen`.
pub fn config_dir() -> Option<PathBuf> {
    let xdg = std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from);
    let home = std::env::var_os("HOME").map(PathBuf::from);
    config_dir_from(xdg.as_deref(), home.as_deref())
}

/// [`config_dir`] without the environment. Empty or relative `XDG_CONFIG_HOME` is ignored,
/// as the XDG spec asks.
fn config_dir_from(xdg: Option<&Path>, home: Option<&Path>) -> Option<PathBuf> {
    match (xdg, home) {
        (Some(xdg), _) if xdg.is_absolute() => Some(xdg.join("gen")),
        (_, Some(home)) if !home.as_os_str().is_empty() => Some(home.join(".config").join("gen")),
        _ => None,
    }
}

/// `config_dir()/config.toml`, if it exists.
pub fn default_profile_path() -> Option<PathBuf> {
    Some(config_dir()?.join("config.toml")).filter(|p| p.is_file())
}

/// Resolves `--profile NAME|FILE` to a file path.
pub fn locate(arg: &str) -> anyhow::Result<PathBuf> {
    locate_in(arg, config_dir().as_deref())
}

/// [`locate`] with the config directory given, so tests need not touch the environment.
fn locate_in(arg: &str, config_dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    let as_path = Path::new(arg);
    let looks_like_file = arg.contains('/')
        || arg.contains(std::path::MAIN_SEPARATOR)
        || arg.ends_with(".toml")
        || as_path.is_file();
    if looks_like_file {
        if as_path.is_file() {
            return Ok(as_path.to_path_buf());
        }
        bail!(
            "profile file `{arg}` not found; check the path, or pass a profile NAME from the config directory"
        );
    }
    if arg.is_empty() {
        bail!("the profile name is empty; pass a NAME from the config directory or a .toml file");
    }
    let Some(dir) = config_dir else {
        bail!(
            "profile `{arg}` not found: neither XDG_CONFIG_HOME nor HOME is set, so there is no \
             config directory to look in; pass the profile's file path instead"
        );
    };
    let path = dir.join(format!("{arg}.toml"));
    if path.is_file() {
        return Ok(path);
    }
    let available = profile_names(dir);
    let listing = if available.is_empty() {
        format!("there are no profiles in `{}`", dir.display())
    } else {
        format!("profiles in `{}`: {}", dir.display(), available.join(", "))
    };
    bail!(
        "profile `{arg}` not found: looked for `{}`; {listing}; create it, or pass a file path",
        path.display()
    )
}

/// The stems of the `.toml` files in `dir`, sorted; empty when it cannot be read.
fn profile_names(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_owned()))
        .collect();
    names.sort();
    names
}

// ---- field deserializers: each checks one rule so its error lands on the offending value ----

fn deserialize_default<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let name = String::deserialize(d)?;
    if name.is_empty() {
        return Err(de::Error::custom(
            "default is empty; name a provider, e.g. `default = \"mock\"`, or remove the line",
        ));
    }
    match pool::parse_name(&name) {
        Ok(_) => Ok(Some(name)),
        Err(problem) => Err(de::Error::custom(format!(
            "default `{name}`: {problem}; name a provider, e.g. `default = \"mock\"`"
        ))),
    }
}

fn deserialize_non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let value = String::deserialize(d)?;
    if value.trim().is_empty() {
        return Err(de::Error::custom(
            "the value is empty; give one, or remove the line to use the default",
        ));
    }
    Ok(Some(value))
}

fn deserialize_base_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let url = String::deserialize(d)?;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(de::Error::custom(format!(
            "base_url `{url}` must start with `http://` or `https://`, e.g. `http://127.0.0.1:8080`"
        )));
    }
    Ok(Some(url))
}

fn deserialize_positive<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default + PartialEq,
{
    let value = T::deserialize(d)?;
    if value == T::default() {
        return Err(de::Error::custom(
            "a limit of 0 would never send anything; give a positive number, or remove the line \
             to use the provider's default",
        ));
    }
    Ok(Some(value))
}

fn deserialize_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    match deserialize_opt_duration(d)? {
        Some(Duration::ZERO) => Err(de::Error::custom(
            "a timeout of 0 would fail every request; give a positive duration, e.g. \"60s\"",
        )),
        other => Ok(other),
    }
}

/// `kind = "openai" | "anthropic" | "gemini" | "mock"`, read as TOML reads an enum, so a wrong
/// value is told the same way as any other enum's.
fn deserialize_kind<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Service>, D::Error> {
    const KINDS: &[&str] = &["openai", "anthropic", "gemini", "mock"];

    struct Name;

    impl<'de> DeserializeSeed<'de> for Name {
        type Value = Service;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Service, D::Error> {
            let name = String::deserialize(d)?;
            match (name.as_str(), Wire::parse(&name)) {
                // The registry names the mock after its provider.
                ("mock", _) => Ok(Service::mock("mock")),
                (_, Some(wire)) => Ok(Service::http(wire)),
                (other, None) => Err(de::Error::unknown_variant(other, KINDS)),
            }
        }
    }

    struct Kind;

    impl<'de> Visitor<'de> for Kind {
        type Value = Service;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a provider kind")
        }

        fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Service, A::Error> {
            let (service, variant) = data.variant_seed(Name)?;
            de::VariantAccess::unit_variant(variant)?;
            Ok(service)
        }
    }

    d.deserialize_enum("kind", KINDS, Kind).map(Some)
}

/// `dialect = "openai" | "compatible"`.
fn deserialize_dialect<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Dialect>, D::Error> {
    let name = String::deserialize(d)?;
    match name.as_str() {
        "openai" => Ok(Some(Dialect::OPENAI)),
        "compatible" => Ok(Some(Dialect::COMPATIBLE)),
        other => Err(de::Error::custom(format!(
            "dialect `{other}` is not known; choose \"openai\" (json_schema, \
             max_completion_tokens) or \"compatible\" (json_object, max_tokens)"
        ))),
    }
}

/// A price in USD per million tokens: a number of 0 or more.
fn deserialize_price<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let price = f64::deserialize(d)?;
    if !price.is_finite() || price < 0.0 {
        return Err(de::Error::custom(format!(
            "price {price} is not a price; give USD per million tokens, e.g. 0.6"
        )));
    }
    Ok(Some(price))
}

fn deserialize_rate<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let rate = f64::deserialize(d)?;
    if !(0.0..=1.0).contains(&rate) {
        return Err(de::Error::custom(format!(
            "rate {rate} is not a probability; give a number from 0 to 1, e.g. 0.05"
        )));
    }
    Ok(Some(rate))
}

/// `api_key_env = "VAR"` or `["VAR1", "VAR2"]`.
fn deserialize_key_envs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct KeyEnvs;

    fn check<E: de::Error>(var: String) -> Result<String, E> {
        if var.is_empty() || var.contains(['=', '\0']) {
            return Err(E::custom(format!(
                "`{var}` is not an environment variable name; give a name such as \
                 \"OPENAI_API_KEY\" (the variable, not the key itself)"
            )));
        }
        Ok(var)
    }

    impl<'de> Visitor<'de> for KeyEnvs {
        type Value = Vec<String>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an environment variable name or an array of them")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<String>, E> {
            Ok(vec![check(v.to_owned())?])
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
            let mut vars = Vec::new();
            while let Some(var) = seq.next_element::<String>()? {
                vars.push(check(var)?);
            }
            if vars.is_empty() {
                return Err(de::Error::custom(
                    "api_key_env is an empty array; name at least one variable, or remove the \
                     line to use the provider's usual one",
                ));
            }
            Ok(vars)
        }
    }

    d.deserialize_any(KeyEnvs)
}

/// `[providers.NAME]` keys: plain names, since `:` separates provider from model in a pool.
fn deserialize_providers<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, ProviderConfig>, D::Error> {
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    struct ProviderName(String);

    impl<'de> Deserialize<'de> for ProviderName {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let name = String::deserialize(d)?;
            let bad = name
                .chars()
                .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')));
            if name.is_empty() || bad.is_some() {
                return Err(de::Error::custom(format!(
                    "provider name `{name}` is not allowed; provider names use letters, digits, \
                     `-`, `_` and `.` (a model goes in `model = \"...\"`)"
                )));
            }
            Ok(ProviderName(name))
        }
    }

    let raw = BTreeMap::<ProviderName, ProviderConfig>::deserialize(d)?;
    Ok(raw.into_iter().map(|(k, v)| (k.0, v)).collect())
}

/// `[pool]`: `NAME = WEIGHT` in file order, with the same rules as `--pool`.
fn deserialize_pool<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PoolEntry>, D::Error> {
    struct PoolTable;

    impl<'de> Visitor<'de> for PoolTable {
        type Value = Vec<PoolEntry>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a table of NAME = WEIGHT entries")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<PoolEntry>, A::Error> {
            let mut entries = Vec::new();
            while let Some(PoolKey { key, name, model }) = map.next_key()? {
                let weight = map.next_value_seed(Weight { key: &key })?;
                entries.push(PoolEntry {
                    name,
                    model,
                    weight,
                });
            }
            Ok(entries)
        }
    }

    d.deserialize_map(PoolTable)
}

/// A pool key, checked while it is read so that an error points at the key itself.
struct PoolKey {
    key: String,
    name: String,
    model: Option<String>,
}

impl<'de> Deserialize<'de> for PoolKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let key = String::deserialize(d)?;
        match pool::parse_name(&key) {
            Ok((name, model)) => Ok(PoolKey { key, name, model }),
            Err(problem) => Err(de::Error::custom(format!("key `{key}`: {problem}"))),
        }
    }
}

/// A pool weight. toml already names the entry in the error's key path; the key itself is
/// needed only to explain a dotted key.
struct Weight<'k> {
    key: &'k str,
}

impl<'de> DeserializeSeed<'de> for Weight<'_> {
    type Value = pool::Weight;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<pool::Weight, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Weight<'_> {
    type Value = pool::Weight;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "a whole number of lanes from 1 to {MAX_WEIGHT}, or \"auto\""
        )
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<pool::Weight, E> {
        pool::check_weight(v.into())
            .map(pool::Weight::Lanes)
            .map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<pool::Weight, E> {
        pool::check_weight(v.into())
            .map(pool::Weight::Lanes)
            .map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<pool::Weight, E> {
        Err(E::custom(pool::EntryProblem::BadWeight(v.to_string())))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<pool::Weight, E> {
        match v {
            "auto" => Ok(pool::Weight::Auto),
            other => Err(E::custom(format!(
                "weight `{other}` is neither a whole number of lanes nor \"auto\""
            ))),
        }
    }

    // An unquoted key with a dot (`gpt-4.1 = 2`) is a dotted key in TOML: a nested table.
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<pool::Weight, A::Error> {
        Err(de::Error::custom(format!(
            "`{}` holds a table, not a weight: TOML splits unquoted keys at `.`; quote the \
             whole name, e.g. `\"gpt-4.1\" = 2`",
            self.key
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
default = "mock"

[pool]
fast = 3
slow = 1
"mock:tiny" = 2
"openrouter:openai/gpt-5-mini" = 1

[providers.fast]
kind = "mock"
model = "tiny"
latency = "200ms"
jitter = "50ms"
rate_limit_rate = 0.1
retry_after = "2s"
server_error_rate = 0.05
invalid_output_rate = 0

[providers.slow]
kind = "mock"
latency = 1

[providers.deepseek]
model = "deepseek-chat"
base_url = "http://127.0.0.1:8080"
api_key_env = ["DEEPSEEK_API_KEY", "DEEPSEEK_API_KEY_2"]
rpm = 600
tpm = 1_000_000
timeout = "1m30s"

[providers.local]
kind = "openai"
base_url = "http://localhost:11434/v1"
api_key_env = "LOCAL_KEY"
"#;

    fn parse_str(text: &str) -> anyhow::Result<Profile> {
        parse(text, Some(Path::new("p.toml")))
    }

    fn err(text: &str) -> String {
        format!("{:#}", parse_str(text).expect_err(text))
    }

    fn entry(name: &str, model: Option<&str>, weight: u32) -> PoolEntry {
        PoolEntry {
            name: name.into(),
            model: model.map(Into::into),
            weight: pool::Weight::Lanes(weight),
        }
    }

    #[test]
    fn a_pool_weight_may_be_auto() {
        let p = parse_str("[pool]\ngemini = \"auto\"\nmock = 2\n").unwrap();
        assert_eq!(p.pool[0].weight, pool::Weight::Auto);
        assert_eq!(p.pool[1].weight, pool::Weight::Lanes(2));
        let e = err("[pool]\ngemini = \"many\"\n");
        assert!(
            e.contains("neither a whole number of lanes nor \"auto\""),
            "{e}"
        );
    }

    #[test]
    fn full_example_parses() {
        let p = parse_str(FULL).unwrap();
        assert_eq!(p.default.as_deref(), Some("mock"));
        assert_eq!(p.source.as_deref(), Some(Path::new("p.toml")));
        assert_eq!(
            p.pool,
            vec![
                entry("fast", None, 3),
                entry("slow", None, 1),
                entry("mock", Some("tiny"), 2),
                entry("openrouter", Some("openai/gpt-5-mini"), 1),
            ]
        );
        let fast = &p.providers["fast"];
        assert_eq!(fast.kind, Some(Service::mock("mock")));
        assert_eq!(fast.model.as_deref(), Some("tiny"));
        assert_eq!(fast.latency, Some(Duration::from_millis(200)));
        assert_eq!(fast.jitter, Some(Duration::from_millis(50)));
        assert_eq!(fast.rate_limit_rate, Some(0.1));
        assert_eq!(fast.retry_after, Some(Duration::from_secs(2)));
        assert_eq!(fast.server_error_rate, Some(0.05));
        assert_eq!(fast.invalid_output_rate, Some(0.0));
        assert_eq!(p.providers["slow"].latency, Some(Duration::from_secs(1)));

        let ds = &p.providers["deepseek"];
        assert_eq!(ds.kind, None);
        assert_eq!(ds.base_url.as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(ds.api_key_env, ["DEEPSEEK_API_KEY", "DEEPSEEK_API_KEY_2"]);
        assert_eq!(ds.rpm, Some(600));
        assert_eq!(ds.tpm, Some(1_000_000));
        assert_eq!(ds.timeout, Some(Duration::from_secs(90)));

        let local = &p.providers["local"];
        assert_eq!(
            local.kind.as_ref().and_then(Service::wire),
            Some(Wire::OpenAi)
        );
        assert_eq!(local.api_key_env, ["LOCAL_KEY"]);
        assert_eq!(local.rpm, None);
    }

    #[test]
    fn empty_profile_is_all_defaults() {
        let p = parse("", None).unwrap();
        assert_eq!(p, Profile::default());
    }

    #[test]
    fn pool_keeps_file_order() {
        let p = parse_str("[pool]\nzeta = 1\nalpha = 2\nmid = 3\n").unwrap();
        let names: Vec<&str> = p.pool.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["zeta", "alpha", "mid"]);
    }

    #[test]
    fn unknown_top_level_field_points_at_it() {
        let e = err("default = \"mock\"\npools = 3\n");
        assert!(e.starts_with("p.toml:2:1: "), "{e}");
        assert!(e.contains("unknown field `pools`"), "{e}");
        assert!(e.contains("`default`, `pool`, `providers`"), "{e}");
    }

    #[test]
    fn unknown_provider_field_points_at_it() {
        let e = err("[providers.mock]\nmodel = \"m\"\n  rmp = 5\n");
        assert!(e.starts_with("p.toml:3:3: in `providers.mock`: "), "{e}");
        assert!(e.contains("unknown field `rmp`"), "{e}");
        assert!(e.contains("`rpm`"), "{e}");
    }

    #[test]
    fn reasoning_settings_per_provider_task_and_stage() {
        use crate::providers::reasoning::Reasoning;
        use crate::tasks::draft::Stage;
        let profile = parse_str(
            "[providers.openai]\nreasoning = \"low\"\n\
             [tasks.seo]\nreasoning = \"medium\"\n\
             [tasks.draft]\nreasoning = { research = \"high\", humanize = \"off\" }\n",
        )
        .unwrap();
        assert_eq!(profile.providers["openai"].reasoning, Some(Reasoning::Low));
        assert!(profile.tasks.steps.contains(&(
            crate::tasks::reasoning::Step::Task(crate::tasks::Task::seo()),
            Reasoning::Medium
        )));
        assert!(profile.tasks.steps.contains(&(
            crate::tasks::reasoning::Step::Stage(Stage::Research),
            Reasoning::High
        )));
        let all = parse_str("[tasks.draft]\nreasoning = \"low\"\n").unwrap();
        assert_eq!(all.tasks.steps.len(), Stage::ALL.len());

        let e = err("[providers.openai]\nreasoning = \"max\"\n");
        assert!(e.starts_with("p.toml:2:"), "{e}");
        assert!(e.contains("off, low, medium or high"), "{e}");
        let e = err("[tasks.summary]\nreasoning = \"low\"\n");
        assert!(e.contains("no task `summary`"), "{e}");
        let e = err("[tasks.seo]\nreasoning = { draft = \"low\" }\n");
        assert!(e.contains("only draft has stages"), "{e}");
        let e = err("[tasks.draft]\nreasoning = { writing = \"low\" }\n");
        assert!(e.contains("not a draft stage"), "{e}");
    }

    #[test]
    fn models_the_table_does_not_know_are_described_with_file_lines() {
        use crate::providers::reasoning::{Effort, Steering};
        let profile = parse_str(
            "[models.\"QwQ-32B\"]\nsteering = \"always\"\n\
             [models.\"my-gpt\"]\nsteering = \"effort\"\nlevels = [\"low\", \"high\"]\nmax_output = 4096\n\
             [models.\"my-gemini\"]\nsteering = \"budget\"\nmax_budget = 8192\n",
        )
        .unwrap();
        assert_eq!(profile.models["qwq-32b"].steering, Steering::Always);
        let Steering::Effort(levels) = profile.models["my-gpt"].steering else {
            panic!("{:?}", profile.models["my-gpt"])
        };
        assert!(levels.contains(Effort::Low) && !levels.contains(Effort::Medium));
        assert_eq!(profile.models["my-gpt"].max_output, Some(4096));
        assert_eq!(
            profile.models["my-gemini"].steering,
            Steering::Budget {
                min: 1,
                max: 8192,
                can_disable: true
            }
        );
        let e = err("[models.x]\nsteering = \"effort\"\n");
        assert!(e.starts_with("p.toml:1:"), "{e}");
        assert!(e.contains("needs `levels`"), "{e}");
        let e = err("[models.x]\nsteering = \"magic\"\n");
        assert!(e.contains("steering `magic` is not known"), "{e}");
        let e = err("[models.x]\nsteering = \"always\"\nlevels = [\"low\"]\n");
        assert!(e.contains("only applies"), "{e}");
        let e = err("[models.x]\nsteering = \"budget\"\nmin_budget = 900\nmax_budget = 10\n");
        assert!(e.contains("above max_budget"), "{e}");
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let e = err("default = \"mock\"\n[pool\nmock = 1\n");
        assert!(e.starts_with("p.toml:2:"), "{e}");
        assert!(e.contains("invalid TOML"), "{e}");
        let e = err("default = mock\n");
        assert!(e.starts_with("p.toml:1:11: invalid TOML"), "{e}");
    }

    #[test]
    fn unreadable_file_names_path_and_os_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        let e = format!("{:#}", load(&missing).unwrap_err());
        assert!(e.contains("cannot read profile"), "{e}");
        assert!(e.contains("nope.toml"), "{e}");
    }

    #[test]
    fn load_reads_a_file_and_records_its_source() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fast.toml");
        fs::write(&path, "default = \"gemini\"\n").unwrap();
        let p = load(&path).unwrap();
        assert_eq!(p.default.as_deref(), Some("gemini"));
        assert_eq!(p.source.as_deref(), Some(path.as_path()));

        fs::write(&path, "\n\n[pool]\nmock = 0\n").unwrap();
        let e = format!("{:#}", load(&path).unwrap_err());
        assert!(e.starts_with(&format!("{}:4:8: ", path.display())), "{e}");
    }

    #[test]
    fn bad_pool_weights_are_rejected_where_they_stand() {
        let e = err("[pool]\nmock = 0\n");
        assert!(e.starts_with("p.toml:2:8: in `pool.mock`: "), "{e}");
        assert!(
            e.contains("weight 0 gives no lanes; remove the entry"),
            "{e}"
        );
        assert!(err("[pool]\nmock = 257\n").contains("at most 256 lanes per entry"));
        assert!(err("[pool]\nmock = -1\n").contains("not a positive integer"));
        assert!(err("[pool]\nmock = 1.5\n").contains("not a positive integer"));
        assert!(err("[pool]\nmock = \"2\"\n").contains("whole number of lanes"));
        let e = err("[pool]\ngpt-4.1 = 2\n");
        assert!(e.contains("quote the whole name"), "{e}");
        let e = err("[pool]\n\"mock:\" = 2\n");
        assert!(e.starts_with("p.toml:2:1: "), "{e}");
        assert!(e.contains("no model after `mock:`"), "{e}");
    }

    #[test]
    fn rates_must_be_probabilities() {
        let e = err("[providers.mock]\nrate_limit_rate = 1.5\n");
        assert!(e.starts_with("p.toml:2:19: "), "{e}");
        assert!(e.contains("from 0 to 1"), "{e}");
        assert!(err("[providers.mock]\nserver_error_rate = -0.1\n").contains("from 0 to 1"));
        assert!(err("[providers.mock]\ninvalid_output_rate = nan\n").contains("from 0 to 1"));
        assert!(parse_str("[providers.mock]\nserver_error_rate = 1\n").is_ok());
    }

    #[test]
    fn limits_must_be_positive() {
        let e = err("[providers.mock]\nrpm = 0\n");
        assert!(
            e.starts_with("p.toml:2:7: in `providers.mock.rpm`: "),
            "{e}"
        );
        assert!(e.contains("positive"), "{e}");
        assert!(err("[providers.mock]\ntpm = 0\n").contains("positive"));
        assert!(err("[providers.mock]\nrpm = -5\n").contains("invalid value"));
        assert!(err("[providers.mock]\ntimeout = 0\n").contains("timeout of 0"));
    }

    #[test]
    fn durations_in_profile() {
        let p = parse_str("[providers.mock]\ntimeout = \"1.5s\"\nlatency = 2\n").unwrap();
        assert_eq!(
            p.providers["mock"].timeout,
            Some(Duration::from_millis(1500))
        );
        assert_eq!(p.providers["mock"].latency, Some(Duration::from_secs(2)));
        let e = err("[providers.mock]\ntimeout = \"5 minutes\"\n");
        assert!(e.starts_with("p.toml:2:11: "), "{e}");
        assert!(e.contains("`1h30m`"), "{e}");
    }

    #[test]
    fn api_key_env_string_or_array() {
        let p = parse_str(
            "[providers.a]\napi_key_env = \"K\"\n[providers.b]\napi_key_env = [\"K1\", \"K2\"]\n",
        )
        .unwrap();
        assert_eq!(p.providers["a"].api_key_env, ["K"]);
        assert_eq!(p.providers["b"].api_key_env, ["K1", "K2"]);
        assert!(!p.providers.contains_key("c"));
        assert!(err("[providers.a]\napi_key_env = []\n").contains("empty array"));
        assert!(err("[providers.a]\napi_key_env = \"\"\n").contains("not an environment variable"));
        assert!(err("[providers.a]\napi_key_env = 5\n").contains("environment variable name"));
    }

    #[test]
    fn kinds_names_and_urls_are_checked() {
        let e = err("[providers.x]\nkind = \"openia\"\n");
        assert!(e.contains("unknown variant `openia`"), "{e}");
        assert!(e.contains("`openai`, `anthropic`, `gemini`, `mock`"), "{e}");
        assert!(err("[providers.\"a:b\"]\nkind = \"mock\"\n").contains("provider name `a:b`"));
        assert!(err("[providers.x]\nbase_url = \"localhost:8080\"\n").contains("http://"));
        assert!(err("default = \"\"\n").contains("default is empty"));
        assert!(err("default = \"a b\"\n").contains("' ' is not allowed"));
    }

    #[test]
    fn a_dialect_is_openai_or_compatible() {
        let p = parse_str(
            "[providers.gw]\nkind = \"openai\"\ndialect = \"openai\"\n\
             [providers.deepseek]\ndialect = \"compatible\"\n",
        )
        .unwrap();
        assert_eq!(p.providers["gw"].dialect, Some(Dialect::OPENAI));
        assert_eq!(p.providers["deepseek"].dialect, Some(Dialect::COMPATIBLE));
        assert_eq!(
            parse_str("[providers.x]\n").unwrap().providers["x"].dialect,
            None
        );

        let e = err("[providers.gw]\nkind = \"openai\"\ndialect = \"json_schema\"\n");
        assert!(
            e.starts_with("p.toml:3:11: in `providers.gw.dialect`: "),
            "{e}"
        );
        assert!(e.contains("dialect `json_schema` is not known"), "{e}");
        assert!(
            e.contains("\"openai\" (json_schema, max_completion_tokens)")
                && e.contains("\"compatible\" (json_object, max_tokens)"),
            "{e}"
        );
        assert!(err("[providers.gw]\ndialect = \"OpenAI\"\n").contains("is not known"));
        assert!(err("[providers.gw]\ndialect = 1\n").contains("invalid type"));
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 3), (2, 1));
        assert_eq!(line_col("é\nxé=", 6), (2, 3));
        assert_eq!(line_col("ab", 99), (1, 3));
    }

    #[test]
    fn config_dir_prefers_absolute_xdg() {
        let p = |s: &'static str| Some(Path::new(s));
        assert_eq!(
            config_dir_from(p("/x"), p("/home/u")),
            Some(PathBuf::from("/x/gen"))
        );
        assert_eq!(
            config_dir_from(p("rel"), p("/home/u")),
            Some(PathBuf::from("/home/u/.config/gen"))
        );
        assert_eq!(
            config_dir_from(None, p("/home/u")),
            Some(PathBuf::from("/home/u/.config/gen"))
        );
        assert_eq!(config_dir_from(p(""), p("")), None);
        assert_eq!(config_dir_from(None, None), None);
    }

    #[test]
    fn locate_by_name_file_and_missing() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("gen");
        fs::create_dir(&cfg).unwrap();
        fs::write(cfg.join("fast.toml"), "").unwrap();
        fs::write(cfg.join("cheap.toml"), "").unwrap();
        fs::write(cfg.join("notes.txt"), "").unwrap();

        assert_eq!(
            locate_in("fast", Some(&cfg)).unwrap(),
            cfg.join("fast.toml")
        );

        let file = dir.path().join("elsewhere.toml");
        fs::write(&file, "").unwrap();
        let arg = file.to_str().unwrap();
        assert_eq!(locate_in(arg, Some(&cfg)).unwrap(), file);

        let e = locate_in("slow", Some(&cfg)).unwrap_err().to_string();
        assert!(e.contains("profile `slow` not found"), "{e}");
        assert!(
            e.contains(&cfg.join("slow.toml").display().to_string()),
            "{e}"
        );
        assert!(e.contains("cheap, fast"), "{e}");
        assert!(!e.contains("notes"), "{e}");

        let e = locate_in("missing.toml", Some(&cfg))
            .unwrap_err()
            .to_string();
        assert!(e.contains("profile file `missing.toml` not found"), "{e}");
        let e = locate_in("./sub/p", Some(&cfg)).unwrap_err().to_string();
        assert!(e.contains("profile file `./sub/p` not found"), "{e}");

        let empty = dir.path().join("empty");
        fs::create_dir(&empty).unwrap();
        let e = locate_in("fast", Some(&empty)).unwrap_err().to_string();
        assert!(e.contains("there are no profiles in"), "{e}");
        let e = locate_in("fast", None).unwrap_err().to_string();
        assert!(e.contains("no config directory"), "{e}");
    }
}
