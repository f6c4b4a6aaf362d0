//! The fake model's answer to a request for JSON matching a JSON Schema: a valid instance built
//! from the schema alone (gen's own mock has another writer; the fake shares nothing with it), its
//! strings about the prompt's subject, the same for the same subject.
//!
//! Understood: `type` (one or a list, any case, as Gemini's `responseSchema` writes `OBJECT`),
//! `nullable`, `properties`, `required`, `additionalProperties: false`, `items`, `prefixItems`,
//! `minItems`/`maxItems`, `enum`, `const`, `minLength`/`maxLength`, `minimum`/`maximum`, both
//! `exclusive*` forms, `multipleOf`, `format` (date, date-time, email, uri, uuid), a kebab-case
//! `pattern` (any pattern naming `a-z` and `-`; other patterns are not followed), `$ref` within
//! the schema (recursion cut after a few levels), `allOf` (merged) and `anyOf`/`oneOf` (the first
//! branch that is not only `null`).

use serde_json::{Map, Value, json};

use super::content::{fnv, seo_description, seo_slug, seo_title};

/// Where gen's `json_object` and prompt-only dialects quote the schema in the system prompt:
/// "Answer with a single JSON object that matches this JSON Schema:\n{schema}".
const QUOTED: &str = "matches this JSON Schema:";

/// The schema a prompt quotes after [`QUOTED`], if it does.
pub fn quoted_in(text: &str) -> Option<Value> {
    let (_, rest) = text.split_once(QUOTED)?;
    serde_json::Deserializer::from_str(rest.trim_start())
        .into_iter::<Value>()
        .next()?
        .ok()
        .filter(Value::is_object)
}

/// Whether a schema leaves an object open (`{"type": "object"}` and no more), so the fake's
/// usual SEO object answers it.
pub fn is_open_object(schema: &Value) -> bool {
    let Some(object) = schema.as_object() else {
        return schema == &Value::Bool(true);
    };
    object.iter().all(|(key, value)| match key.as_str() {
        "type" => value
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("object")),
        "additionalProperties" => value != &Value::Bool(false),
        "description" | "title" | "$schema" | "$id" => true,
        _ => false,
    })
}

/// A valid instance of `schema` about `topic`.
pub fn instance(schema: &Value, topic: &str) -> Value {
    let writer = Writer {
        root: schema,
        topic,
        seed: fnv(topic.as_bytes()),
    };
    writer.value(schema, None, 0, 0, 0)
}

/// How many `$ref`s deep the writer goes before objects keep only required properties and
/// arrays their fewest items.
const REF_DEPTH: u32 = 3;
/// Past this depth a value is `null`: only a schema with no finite instance gets this far.
const MAX_DEPTH: u32 = 32;

struct Writer<'a> {
    root: &'a Value,
    topic: &'a str,
    seed: u64,
}

impl Writer<'_> {
    /// `name`: the property being filled; `index`: the array item it is in; `refs`: `$ref`s
    /// followed on the way.
    fn value(
        &self,
        schema: &Value,
        name: Option<&str>,
        index: usize,
        depth: u32,
        refs: u32,
    ) -> Value {
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        let mut refs = refs;
        let schema = self.merged(schema, &mut refs, 0);
        if let Some(value) = schema.get("const") {
            return value.clone();
        }
        let pick = self
            .seed
            .wrapping_add(fnv(name.unwrap_or("").as_bytes()))
            .wrapping_add(index as u64);
        if let Some(Value::Array(options)) = schema.get("enum")
            && !options.is_empty()
        {
            return options[(pick % options.len() as u64) as usize].clone();
        }
        let types: Vec<String> = match schema.get("type") {
            Some(Value::String(t)) => vec![t.to_ascii_lowercase()],
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_ascii_lowercase)
                .collect(),
            _ => Vec::new(),
        };
        let chosen = types
            .iter()
            .find(|t| *t != "null")
            .cloned()
            .unwrap_or_else(|| {
                if !types.is_empty() {
                    "null".into()
                } else if schema.contains_key("properties") || schema.contains_key("required") {
                    "object".into()
                } else if schema.contains_key("items") || schema.contains_key("prefixItems") {
                    "array".into()
                } else {
                    "string".into()
                }
            });
        let shallow = refs > REF_DEPTH;
        match chosen.as_str() {
            "object" => {
                let empty = Map::new();
                let properties = schema
                    .get("properties")
                    .and_then(Value::as_object)
                    .unwrap_or(&empty);
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let mut out = Map::new();
                for (key, property) in properties {
                    if shallow && !required.contains(&key.as_str()) {
                        continue;
                    }
                    out.insert(
                        key.clone(),
                        self.value(property, Some(key), index, depth + 1, refs),
                    );
                }
                for key in required {
                    if !out.contains_key(key) {
                        out.insert(key.to_string(), json!(self.topic));
                    }
                }
                Value::Object(out)
            }
            "array" => {
                let prefix = schema
                    .get("prefixItems")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let min = number(&schema, "minItems").map_or(0, |n| n as usize);
                let max = number(&schema, "maxItems").map(|n| n as usize);
                // Three items where the schema leaves it open, as a model asked for "bullets" writes.
                let wanted = if shallow { 0 } else { prefix.len().max(3) };
                let count = max.map_or(wanted.max(min), |max| wanted.max(min).min(max));
                let any = json!({});
                let items = schema
                    .get("items")
                    .filter(|i| i.is_object())
                    .unwrap_or(&any);
                Value::Array(
                    (0..count)
                        .map(|i| {
                            let item = prefix.get(i).unwrap_or(items);
                            self.value(item, name, i, depth + 1, refs)
                        })
                        .collect(),
                )
            }
            "integer" | "number" => self.number(&schema, chosen == "integer", pick),
            "boolean" => json!(pick % 2 == 0),
            "null" => Value::Null,
            _ => json!(self.string(&schema, name, index, pick)),
        }
    }

    /// The schema with what its `$ref`, `allOf` and first `anyOf`/`oneOf` branch add, its own
    /// keywords first.
    fn merged(&self, schema: &Value, refs: &mut u32, hops: u32) -> Map<String, Value> {
        let Some(object) = schema.as_object() else {
            return Map::new();
        };
        let mut out: Map<String, Value> = object
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "$ref" | "allOf" | "anyOf" | "oneOf"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if object.get("nullable") == Some(&Value::Bool(true)) {
            out.remove("nullable");
        }
        let mut parts: Vec<&Value> = Vec::new();
        if let Some(target) = object
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .filter(|_| hops < 16)
            .and_then(|pointer| self.root.pointer(pointer))
        {
            *refs += 1;
            parts.push(target);
        }
        if let Some(Value::Array(all)) = object.get("allOf") {
            parts.extend(all);
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = object.get(key)
                && let Some(first) = branches
                    .iter()
                    .find(|b| b.get("type").and_then(Value::as_str) != Some("null"))
                    .or(branches.first())
            {
                parts.push(first);
            }
        }
        for part in parts {
            for (key, value) in self.merged(part, refs, hops + 1) {
                match (key.as_str(), out.get_mut(&key), value) {
                    ("properties", Some(Value::Object(mine)), Value::Object(theirs)) => {
                        for (name, property) in theirs {
                            mine.entry(name).or_insert(property);
                        }
                    }
                    ("required", Some(Value::Array(mine)), Value::Array(theirs)) => {
                        mine.extend(
                            theirs
                                .into_iter()
                                .filter(|n| !mine.contains(n))
                                .collect::<Vec<_>>(),
                        );
                    }
                    (_, Some(_), _) => {}
                    (_, None, value) => {
                        out.insert(key, value);
                    }
                }
            }
        }
        out
    }

    fn number(&self, schema: &Map<String, Value>, integer: bool, pick: u64) -> Value {
        let mut lo = number(schema, "minimum");
        let mut hi = number(schema, "maximum");
        let flag = |key: &str| schema.get(key) == Some(&Value::Bool(true));
        let nudge = if integer { 1.0 } else { 0.01 };
        match schema.get("exclusiveMinimum").and_then(Value::as_f64) {
            Some(x) => lo = Some(lo.map_or(x, |lo: f64| lo.max(x)) + nudge),
            None if flag("exclusiveMinimum") => lo = lo.map(|lo| lo + nudge),
            None => {}
        }
        match schema.get("exclusiveMaximum").and_then(Value::as_f64) {
            Some(x) => hi = Some(hi.map_or(x, |hi: f64| hi.min(x)) - nudge),
            None if flag("exclusiveMaximum") => hi = hi.map(|hi| hi - nudge),
            None => {}
        }
        let (lo, hi) = match (lo, hi) {
            (None, None) => (1.0, 100.0),
            (Some(lo), None) => (lo, lo + 100.0),
            (None, Some(hi)) => (hi - 100.0, hi),
            (Some(lo), Some(hi)) => (lo, hi.max(lo)),
        };
        let step = number(schema, "multipleOf")
            .filter(|m| *m > 0.0)
            .unwrap_or(if integer { 1.0 } else { 0.0 });
        let value = if step > 0.0 {
            let (first, last) = ((lo / step).ceil(), (hi / step).floor());
            let k = if last >= first {
                first + (pick % ((last - first) as u64 + 1)) as f64
            } else {
                first
            };
            let decimals = format!("{step}")
                .split_once('.')
                .map_or(0, |(_, d)| d.len());
            let scale = 10f64.powi(decimals as i32);
            (k * step * scale).round() / scale
        } else {
            // Somewhere inside the bounds, at whole hundredths.
            let span = ((hi - lo) * 100.0).floor().max(0.0) as u64;
            let value = lo + (pick % (span + 1)) as f64 / 100.0;
            let rounded = (value * 100.0).round() / 100.0;
            if (lo..=hi).contains(&rounded) {
                rounded
            } else {
                value
            }
        };
        if integer || (value.fract() == 0.0 && step.fract() == 0.0 && step > 0.0) {
            json!(value as i64)
        } else {
            json!(value)
        }
    }

    fn string(
        &self,
        schema: &Map<String, Value>,
        name: Option<&str>,
        index: usize,
        pick: u64,
    ) -> String {
        let topic = self.topic;
        let slug = seo_slug(topic);
        let key = name.unwrap_or("").to_ascii_lowercase();
        let text = match schema.get("format").and_then(Value::as_str) {
            Some("date") => format!("2026-{:02}-{:02}", 1 + pick % 12, 1 + pick % 28),
            Some("date-time") => {
                format!("2026-{:02}-{:02}T10:30:00Z", 1 + pick % 12, 1 + pick % 28)
            }
            Some("email") => format!("{slug}@example.com"),
            Some("uri") => format!("https://example.com/{slug}"),
            Some("uuid") => {
                let (a, b) = (fnv(&pick.to_le_bytes()), fnv(&(!pick).to_le_bytes()));
                format!(
                    "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                    a >> 32,
                    (a >> 16) & 0xffff,
                    a & 0xfff,
                    b >> 52,
                    b & 0xffff_ffff_ffff
                )
            }
            _ => {
                let kebab = schema
                    .get("pattern")
                    .and_then(Value::as_str)
                    .is_some_and(|p| p.contains("a-z") && p.contains('-'));
                if kebab || key.contains("slug") {
                    slug
                } else if key == "title" || key.contains("headline") {
                    seo_title(topic)
                } else if key.contains("meta_description") || key.contains("metadescription") {
                    seo_description(topic)
                } else if key.contains("question") {
                    format!("What should you know about {topic} ({})?", index + 1)
                } else if key.contains("answer")
                    || key.contains("description")
                    || key.contains("summary")
                {
                    format!("{topic} in short: what it is, how to choose it and what to avoid.")
                } else if key.is_empty() {
                    format!("{topic}, point {}", index + 1)
                } else {
                    format!("{topic} {} {}", key.replace('_', " "), index + 1)
                }
            }
        };
        let min = number(schema, "minLength").map_or(0, |n| n as usize);
        let max = number(schema, "maxLength").map(|n| n as usize);
        fit(text, min, max)
    }
}

fn number(schema: &Map<String, Value>, key: &str) -> Option<f64> {
    schema.get(key).and_then(Value::as_f64)
}

/// Cut at a word (or hyphen) boundary to `max` characters, padded to `min` with dots.
fn fit(text: String, min: usize, max: Option<usize>) -> String {
    let mut out = text;
    if let Some(max) = max
        && out.chars().count() > max
    {
        let cut: String = out.chars().take(max + 1).collect();
        let boundary = cut
            .char_indices()
            .filter(|(_, c)| *c == ' ' || *c == '-')
            .map(|(i, _)| i)
            .next_back()
            .filter(|i| *i > 0);
        out = match boundary {
            Some(i) => cut[..i].to_string(),
            None => out.chars().take(max).collect(),
        };
    }
    while out.chars().count() < min {
        out.push('.');
    }
    out
}
