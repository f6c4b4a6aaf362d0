//! Pool specs (`gemini=3,claude=1,mock:tiny=2`) as typed, and their expansion into lane slots.
//!
//! This module only checks the spec's shape: names, weights, duplicates. Whether a name is a
//! known provider, a profile's own provider or a model id to route by prefix is decided later,
//! when the plan resolves entries against providers.

use std::fmt;

use thiserror::Error;

/// The most lanes one entry may ask for; more is almost surely a typo, and every lane is a task.
pub const MAX_WEIGHT: u32 = 256;

/// One `NAME=WEIGHT` entry of a pool spec, as typed (resolution against providers happens later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolEntry {
    /// A provider name, a profile's own provider name, or a model id (the part before the
    /// first `:` when the entry is written `provider:model`).
    pub name: String,
    /// The model after `provider:`, when the entry names one explicitly.
    pub model: Option<String>,
    /// How many lanes this entry gets.
    pub weight: Weight,
}

/// An entry's lanes: a fixed count, or adapted during the run to the provider's limit and latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    /// Exactly this many lanes, 1..=[`MAX_WEIGHT`].
    Lanes(u32),
    /// As many as the key's rate limit and latency call for (a bare name in `--pool`, or
    /// `"auto"` in a profile).
    Auto,
}

impl fmt::Display for Weight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Weight::Lanes(n) => write!(f, "{n}"),
            Weight::Auto => f.write_str("auto"),
        }
    }
}

impl PoolEntry {
    /// The entry's name as typed: `name` or `name:model`.
    pub fn label(&self) -> String {
        match &self.model {
            Some(model) => format!("{}:{model}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Renders the entry in spec syntax, so that [`parse_pool`] reads it back.
impl fmt::Display for PoolEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.weight {
            Weight::Lanes(n) => write!(f, "{}={n}", self.label()),
            Weight::Auto => f.write_str(&self.label()),
        }
    }
}

/// Renders entries as a pool spec (`a=1,b:m=2`), the inverse of [`parse_pool`].
pub fn render_pool(entries: &[PoolEntry]) -> String {
    let parts: Vec<String> = entries.iter().map(ToString::to_string).collect();
    parts.join(",")
}

/// Why a pool spec was rejected. Positions are 1-based, counting comma-separated entries.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PoolError {
    #[error(
        "the pool spec is empty; give comma-separated `NAME=WEIGHT` entries, e.g. `gemini=3,claude=1`"
    )]
    Empty,
    #[error(
        "pool entry {position} is empty (two commas in a row, or a trailing comma?); remove it"
    )]
    EmptyEntry { position: usize },
    #[error("pool entry {position} `{text}`: {problem}")]
    Entry {
        position: usize,
        text: String,
        problem: EntryProblem,
    },
    #[error(
        "pool entry {position} `{text}` repeats entry {first} `{first_text}`; \
         merge them into one entry with the summed weight"
    )]
    Duplicate {
        position: usize,
        text: String,
        first: usize,
        first_text: String,
    },
}

/// What is wrong with one entry; shared by `--pool` and a profile's `[pool]` table.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EntryProblem {
    #[error("no name before `=`; write `NAME=WEIGHT`, e.g. `mock=2`")]
    EmptyName,
    #[error("no provider before `:`; write `PROVIDER:MODEL`, e.g. `mock:tiny`")]
    EmptyProvider,
    #[error("no model after `{0}:`; write `{0}:MODEL`, or just `{0}` for its default model")]
    EmptyModel(String),
    #[error(
        "{0:?} is not allowed in a name; names use letters, digits, `-`, `_`, `.`, `/` and `:`"
    )]
    BadChar(char),
    #[error(
        "weight `{0}` is not a positive integer; give a whole number of lanes from 1 to {MAX_WEIGHT}"
    )]
    BadWeight(String),
    #[error("weight 0 gives no lanes; remove the entry")]
    ZeroWeight,
    #[error("weight {0} is too large: at most {MAX_WEIGHT} lanes per entry")]
    TooManyLanes(String),
}

/// Parses a pool spec: comma-separated `NAME=WEIGHT` entries, where NAME is a provider, a
/// model id, or `provider:model` (split on the first `:`). Whitespace around parts is ignored.
pub fn parse_pool(spec: &str) -> Result<Vec<PoolEntry>, PoolError> {
    if spec.trim().is_empty() {
        return Err(PoolError::Empty);
    }
    let mut entries: Vec<PoolEntry> = Vec::new();
    for (index, raw) in spec.split(',').enumerate() {
        let position = index + 1;
        let text = raw.trim();
        if text.is_empty() {
            return Err(PoolError::EmptyEntry { position });
        }
        let entry = parse_entry(text).map_err(|problem| PoolError::Entry {
            position,
            text: text.to_owned(),
            problem,
        })?;
        let same = |e: &&PoolEntry| e.name == entry.name && e.model == entry.model;
        if let Some(first) = entries.iter().position(|e| same(&e)) {
            return Err(PoolError::Duplicate {
                position,
                text: text.to_owned(),
                first: first + 1,
                first_text: entries[first].to_string(),
            });
        }
        entries.push(entry);
    }
    Ok(entries)
}

fn parse_entry(text: &str) -> Result<PoolEntry, EntryProblem> {
    // A bare name: its lanes adapt to the provider's limit and latency.
    let (name, weight) = match text.split_once('=') {
        Some((name, weight)) => (name, Weight::Lanes(parse_weight(weight.trim())?)),
        None => (text, Weight::Auto),
    };
    let (name, model) = parse_name(name.trim())?;
    Ok(PoolEntry {
        name,
        model,
        weight,
    })
}

/// Splits an entry name into name and optional model on the first `:`, checking its characters.
pub(crate) fn parse_name(text: &str) -> Result<(String, Option<String>), EntryProblem> {
    if text.is_empty() {
        return Err(EntryProblem::EmptyName);
    }
    if let Some(bad) = text.chars().find(|&c| !is_name_char(c)) {
        return Err(EntryProblem::BadChar(bad));
    }
    match text.split_once(':') {
        None => Ok((text.to_owned(), None)),
        Some(("", _)) => Err(EntryProblem::EmptyProvider),
        Some((provider, "")) => Err(EntryProblem::EmptyModel(provider.to_owned())),
        Some((provider, model)) => Ok((provider.to_owned(), Some(model.to_owned()))),
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':')
}

fn parse_weight(text: &str) -> Result<u32, EntryProblem> {
    // Only plain digits: `+2`, `2.0` and `0x2` parse somewhere, but nobody means them here.
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EntryProblem::BadWeight(text.to_owned()));
    }
    match text.parse::<u64>() {
        Ok(weight) => check_weight(weight.into()),
        // All digits but beyond u64: certainly too many.
        Err(_) => Err(EntryProblem::TooManyLanes(text.to_owned())),
    }
}

/// Checks a weight that is already an integer (a profile's TOML value, or a parsed spec weight).
pub(crate) fn check_weight(weight: i128) -> Result<u32, EntryProblem> {
    match weight {
        0 => Err(EntryProblem::ZeroWeight),
        w if w < 0 => Err(EntryProblem::BadWeight(w.to_string())),
        w if w > i128::from(MAX_WEIGHT) => Err(EntryProblem::TooManyLanes(w.to_string())),
        // In 1..=MAX_WEIGHT, so it fits.
        w => Ok(w as u32),
    }
}

/// One lane: which entry it serves and which of that entry's keys it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaneSlot {
    /// Index into the entries given to [`expand_lanes`].
    pub entry: usize,
    /// Index into that entry's keys.
    pub key: usize,
}

/// Expands `(weight, key count)` per entry into lanes: entry i gets exactly weight_i lanes,
/// spread round-robin over its keys, and entries are interleaved round-robin so that the
/// first lanes to start mix providers instead of saturating one. A key count of 0 is treated
/// as 1 (an entry always has at least one key by the time it has lanes).
pub fn expand_lanes(entries: &[(u32, usize)]) -> Vec<LaneSlot> {
    let total: usize = entries.iter().map(|&(w, _)| w as usize).sum();
    let rounds = entries.iter().map(|&(w, _)| w).max().unwrap_or(0);
    let mut lanes = Vec::with_capacity(total);
    for round in 0..rounds {
        for (entry, &(weight, keys)) in entries.iter().enumerate() {
            if round < weight {
                let key = round as usize % keys.max(1);
                lanes.push(LaneSlot { entry, key });
            }
        }
    }
    lanes
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(name: &str, model: Option<&str>, weight: u32) -> PoolEntry {
        PoolEntry {
            name: name.into(),
            model: model.map(Into::into),
            weight: Weight::Lanes(weight),
        }
    }

    #[test]
    fn parses_names_models_and_weights() {
        let got = parse_pool(" gemini = 3, mock:tiny=2 ,deepseek-chat=1,openrouter:openai/gpt-5-mini=4,ollama:gpt-oss:20b=1,fast=1").unwrap();
        assert_eq!(
            got,
            vec![
                entry("gemini", None, 3),
                entry("mock", Some("tiny"), 2),
                entry("deepseek-chat", None, 1),
                entry("openrouter", Some("openai/gpt-5-mini"), 4),
                entry("ollama", Some("gpt-oss:20b"), 1),
                entry("fast", None, 1),
            ]
        );
    }

    #[test]
    fn same_name_with_different_models_is_not_a_duplicate() {
        let got = parse_pool("mock=1,mock:tiny=1,mock:big=1").unwrap();
        assert_eq!(got.len(), 3);
    }

    fn err(spec: &str) -> String {
        parse_pool(spec).expect_err(spec).to_string()
    }

    #[test]
    fn errors_name_the_entry_and_what_to_do() {
        assert!(err("").contains("empty"));
        assert!(err("  ").contains("e.g. `gemini=3,claude=1`"));
        assert_eq!(
            parse_pool("a=1,,b=2"),
            Err(PoolError::EmptyEntry { position: 2 })
        );
        assert!(err("a=1,").contains("pool entry 2 is empty"));

        let auto = parse_pool("a=1,mock,claude:claude-haiku-4-5").unwrap();
        assert_eq!(auto[1].weight, Weight::Auto, "a bare name adapts");
        assert_eq!(auto[2].weight, Weight::Auto);
        assert_eq!(auto[2].model.as_deref(), Some("claude-haiku-4-5"));
        assert_eq!(auto[1].to_string(), "mock", "renders back to a bare name");

        for bad in [
            "mock=x", "mock=1.5", "mock=-1", "mock=", "mock=+2", "mock=1=2",
        ] {
            let e = err(bad);
            assert!(e.contains("is not a positive integer"), "{bad}: {e}");
            assert!(
                e.starts_with(&format!("pool entry 1 `{bad}`")),
                "{bad}: {e}"
            );
        }
        assert!(err("mock=0").contains("weight 0 gives no lanes; remove the entry"));
        assert!(err("mock=257").contains("at most 256 lanes per entry"));
        assert!(err("mock=99999999999999999999999").contains("at most 256 lanes"));
        assert!(parse_pool("mock=256").is_ok());

        assert!(err("=2").contains("no name before `=`"));
        assert!(err(":tiny=2").contains("no provider before `:`"));
        assert!(err("mock:=2").contains("no model after `mock:`"));
        assert!(err("my mock=2").contains("' ' is not allowed in a name"));
        assert!(err("mo$ck=2").contains("'$' is not allowed"));
    }

    #[test]
    fn duplicates_name_both_entries() {
        assert_eq!(
            parse_pool("mock=1,gemini=2, mock = 3"),
            Err(PoolError::Duplicate {
                position: 3,
                text: "mock = 3".into(),
                first: 1,
                first_text: "mock=1".into(),
            })
        );
        let e = err("mock:tiny=1,mock:tiny=2");
        assert!(
            e.contains("pool entry 2 `mock:tiny=2` repeats entry 1"),
            "{e}"
        );
        assert!(e.contains("summed weight"), "{e}");
    }

    #[test]
    fn lanes_interleave_entries_and_spread_keys() {
        let lanes = expand_lanes(&[(3, 2), (1, 1), (2, 1)]);
        let pairs: Vec<(usize, usize)> = lanes.iter().map(|l| (l.entry, l.key)).collect();
        assert_eq!(pairs, vec![(0, 0), (1, 0), (2, 0), (0, 1), (2, 0), (0, 0)]);
        assert!(expand_lanes(&[]).is_empty());
        assert_eq!(expand_lanes(&[(2, 0)]).len(), 2);
    }

    fn name_strategy() -> impl Strategy<Value = String> {
        "[A-Za-z0-9_./-]{1,12}"
    }

    fn entries_strategy() -> impl Strategy<Value = Vec<PoolEntry>> {
        prop::collection::vec(
            (
                name_strategy(),
                prop::option::of("[A-Za-z0-9_./:-]{1,12}"),
                1..=MAX_WEIGHT,
            ),
            1..8,
        )
        .prop_map(|raw| {
            let mut seen = std::collections::HashSet::new();
            raw.into_iter()
                .filter(|(n, m, _)| seen.insert((n.clone(), m.clone())))
                .map(|(name, model, weight)| PoolEntry {
                    name,
                    model,
                    weight: Weight::Lanes(weight),
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = parse_pool(&s);
        }

        #[test]
        fn parse_never_panics_on_spec_like_text(s in "[a-z:=,0-9 .-]{0,30}") {
            let _ = parse_pool(&s);
        }

        #[test]
        fn render_round_trips(entries in entries_strategy()) {
            prop_assert_eq!(parse_pool(&render_pool(&entries)), Ok(entries));
        }

        #[test]
        fn lanes_match_weights_and_keys(
            spec in prop::collection::vec((0u32..20, 1usize..5), 0..8)
        ) {
            let lanes = expand_lanes(&spec);
            let total: u32 = spec.iter().map(|&(w, _)| w).sum();
            prop_assert_eq!(lanes.len(), total as usize);

            for (i, &(weight, keys)) in spec.iter().enumerate() {
                let mut per_key = vec![0usize; keys];
                for lane in lanes.iter().filter(|l| l.entry == i) {
                    prop_assert!(lane.key < keys);
                    per_key[lane.key] += 1;
                }
                prop_assert_eq!(per_key.iter().sum::<usize>(), weight as usize);
                let (lo, hi) = (per_key.iter().min().unwrap(), per_key.iter().max().unwrap());
                prop_assert!(hi - lo <= 1, "entry {} keys {:?}", i, per_key);
            }

            // In every prefix, entries that still have lanes to come are within one of each other.
            let mut counts = vec![0u32; spec.len()];
            for lane in &lanes {
                counts[lane.entry] += 1;
                let open: Vec<u32> = counts
                    .iter()
                    .zip(&spec)
                    .filter(|(c, (w, _))| *c < w)
                    .map(|(c, _)| *c)
                    .collect();
                if let (Some(lo), Some(hi)) = (open.iter().min(), open.iter().max()) {
                    prop_assert!(hi - lo <= 1, "prefix counts {:?}", counts);
                }
            }
        }
    }
}
