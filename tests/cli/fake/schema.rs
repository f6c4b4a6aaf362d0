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

use std::borrow::Cow;

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
    plan(schema).value(topic)
}

/// A schema the fake was sent, with its [`Plan`]: kept per distinct schema text.
#[derive(Debug)]
pub struct Known {
    pub value: Value,
    pub plan: Plan,
}

impl Known {
    pub fn new(value: Value) -> Self {
        Known {
            plan: plan(&value),
            value,
        }
    }
}

/// A schema compiled for answering: the shape of its instances, which the schema alone decides,
/// with the leaves that depend on the topic left to fill. Writing an instance from a plan does no
/// lookups in the schema, so a plan kept per distinct schema makes each answer cheap.
#[derive(Debug)]
pub struct Plan {
    root: Node,
    /// [`is_open_object`]: answered with the SEO object instead.
    open: bool,
}

#[derive(Debug)]
enum Node {
    Null,
    Const(Value),
    /// A required property the schema does not describe: the topic.
    Topic,
    /// One of the options, by the pick at this offset.
    Enum(Vec<Value>, u64),
    Bool(u64),
    Number(Numbers, u64),
    String(Strings),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

/// `schema` compiled.
pub fn plan(schema: &Value) -> Plan {
    let compiler = Compiler { root: schema };
    Plan {
        root: compiler.node(schema, None, 0, 0, 0),
        open: is_open_object(schema),
    }
}

impl Plan {
    pub fn is_open_object(&self) -> bool {
        self.open
    }

    /// The instance about `topic`.
    pub fn value(&self, topic: &str) -> Value {
        self.root.value(&Leaves::new(topic))
    }

    /// The instance about `topic` as compact JSON text, as `serde_json` writes the value.
    pub fn write(&self, out: &mut Vec<u8>, topic: &str) {
        self.root.write(out, &Leaves::new(topic));
    }
}

/// What the leaves are drawn from.
struct Leaves<'a> {
    topic: &'a str,
    seed: u64,
}

impl<'a> Leaves<'a> {
    fn new(topic: &'a str) -> Self {
        Leaves {
            topic,
            seed: fnv(topic.as_bytes()),
        }
    }

    /// The same for the same topic, property and item.
    fn pick(&self, offset: u64) -> u64 {
        self.seed.wrapping_add(offset)
    }
}

impl Node {
    fn value(&self, leaves: &Leaves) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Const(value) => value.clone(),
            Node::Topic => json!(leaves.topic),
            Node::Enum(options, offset) => {
                options[(leaves.pick(*offset) % options.len() as u64) as usize].clone()
            }
            Node::Bool(offset) => json!(leaves.pick(*offset) % 2 == 0),
            Node::Number(numbers, offset) => numbers.value(leaves.pick(*offset)),
            Node::String(strings) => json!(strings.text(leaves)),
            Node::Array(items) => Value::Array(items.iter().map(|n| n.value(leaves)).collect()),
            Node::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(key, node)| (key.clone(), node.value(leaves)))
                    .collect(),
            ),
        }
    }

    fn write(&self, out: &mut Vec<u8>, leaves: &Leaves) {
        match self {
            Node::Null => out.extend_from_slice(b"null"),
            Node::Const(value) => super::out::value(out, value),
            Node::Topic => super::out::string(out, leaves.topic),
            Node::Enum(..) | Node::Number(..) => super::out::value(out, &self.value(leaves)),
            Node::Bool(offset) => {
                let b: &[u8] = if leaves.pick(*offset) % 2 == 0 {
                    b"true"
                } else {
                    b"false"
                };
                out.extend_from_slice(b);
            }
            Node::String(strings) => super::out::string(out, &strings.text(leaves)),
            Node::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write(out, leaves);
                }
                out.push(b']');
            }
            Node::Object(members) => {
                out.push(b'{');
                for (i, (key, node)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    super::out::string(out, key);
                    out.push(b':');
                    node.write(out, leaves);
                }
                out.push(b'}');
            }
        }
    }
}

/// How many `$ref`s deep the writer goes before objects keep only required properties and
/// arrays their fewest items.
const REF_DEPTH: u32 = 3;
/// Past this depth a value is `null`: only a schema with no finite instance gets this far.
const MAX_DEPTH: u32 = 32;

struct Compiler<'a> {
    root: &'a Value,
}

impl<'a> Compiler<'a> {
    /// `name`: the property being filled; `index`: the array item it is in; `refs`: `$ref`s
    /// followed on the way.
    fn node(
        &self,
        schema: &Value,
        name: Option<&str>,
        index: usize,
        depth: u32,
        refs: u32,
    ) -> Node {
        if depth > MAX_DEPTH {
            return Node::Null;
        }
        let mut refs = refs;
        let schema = self.merged(schema, &mut refs, 0);
        if let Some(value) = schema.get("const") {
            return Node::Const(value.clone());
        }
        let offset = fnv(name.unwrap_or("").as_bytes()).wrapping_add(index as u64);
        if let Some(Value::Array(options)) = schema.get("enum")
            && !options.is_empty()
        {
            return Node::Enum(options.clone(), offset);
        }
        let types: &[Value] = match schema.get("type") {
            Some(Value::Array(list)) => list,
            Some(one @ Value::String(_)) => std::slice::from_ref(one),
            _ => &[],
        };
        let mut named = types.iter().filter_map(Value::as_str).peekable();
        let any_named = named.peek().is_some();
        let chosen = named
            .find(|t| !t.eq_ignore_ascii_case("null"))
            .map(str::to_ascii_lowercase)
            .unwrap_or_else(|| {
                if any_named {
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
                let mut members: Vec<(String, Node)> = Vec::new();
                for (key, property) in properties {
                    if shallow && !required.contains(&key.as_str()) {
                        continue;
                    }
                    let node = self.node(property, Some(key), index, depth + 1, refs);
                    members.push((key.clone(), node));
                }
                for key in required {
                    if !members.iter().any(|(k, _)| k == key) {
                        members.push((key.to_string(), Node::Topic));
                    }
                }
                Node::Object(members)
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
                Node::Array(
                    (0..count)
                        .map(|i| {
                            let item = prefix.get(i).unwrap_or(items);
                            self.node(item, name, i, depth + 1, refs)
                        })
                        .collect(),
                )
            }
            "integer" | "number" => {
                Node::Number(Numbers::new(&schema, chosen == "integer"), offset)
            }
            "boolean" => Node::Bool(offset),
            "null" => Node::Null,
            _ => Node::String(Strings::new(&schema, name, index, offset)),
        }
    }

    /// The schema with what its `$ref`, `allOf` and first `anyOf`/`oneOf` branch add, its own
    /// keywords first. Borrowed when it has none of them, as most nodes: a copy of each node
    /// (the root's copy holding the whole schema) was most of the fake's work per JSON answer.
    fn merged<'s>(
        &self,
        schema: &'s Value,
        refs: &mut u32,
        hops: u32,
    ) -> Cow<'s, Map<String, Value>>
    where
        'a: 's,
    {
        let Some(object) = schema.as_object() else {
            return Cow::Owned(Map::new());
        };
        let composed = object
            .keys()
            .any(|k| matches!(k.as_str(), "$ref" | "allOf" | "anyOf" | "oneOf"));
        if !composed && object.get("nullable") != Some(&Value::Bool(true)) {
            return Cow::Borrowed(object);
        }
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
            for (key, value) in self.merged(part, refs, hops + 1).into_owned() {
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
        Cow::Owned(out)
    }
}

/// A number leaf: its bounds and step from the schema, the value by the pick.
#[derive(Debug)]
struct Numbers {
    integer: bool,
    lo: f64,
    hi: f64,
    step: f64,
}

impl Numbers {
    fn new(schema: &Map<String, Value>, integer: bool) -> Self {
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
        Numbers {
            integer,
            lo,
            hi,
            step,
        }
    }

    fn value(&self, pick: u64) -> Value {
        let Numbers {
            integer,
            lo,
            hi,
            step,
        } = *self;
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
}

/// A string leaf: what it is about (by its format, pattern and property name) and its lengths
/// from the schema; the text from the topic and the pick.
#[derive(Debug)]
struct Strings {
    kind: Text,
    index: usize,
    offset: u64,
    min: usize,
    max: Option<usize>,
}

#[derive(Debug)]
enum Text {
    Date,
    DateTime,
    Email,
    Uri,
    Uuid,
    Slug,
    Title,
    MetaDescription,
    Question,
    Answer,
    Point,
    /// `{topic} {key with spaces} {n}`.
    Keyed(String),
}

impl Strings {
    fn new(schema: &Map<String, Value>, name: Option<&str>, index: usize, offset: u64) -> Self {
        let key = name.unwrap_or("").to_ascii_lowercase();
        let kind = match schema.get("format").and_then(Value::as_str) {
            Some("date") => Text::Date,
            Some("date-time") => Text::DateTime,
            Some("email") => Text::Email,
            Some("uri") => Text::Uri,
            Some("uuid") => Text::Uuid,
            _ => {
                let kebab = schema
                    .get("pattern")
                    .and_then(Value::as_str)
                    .is_some_and(|p| p.contains("a-z") && p.contains('-'));
                if kebab || key.contains("slug") {
                    Text::Slug
                } else if key == "title" || key.contains("headline") {
                    Text::Title
                } else if key.contains("meta_description") || key.contains("metadescription") {
                    Text::MetaDescription
                } else if key.contains("question") {
                    Text::Question
                } else if key.contains("answer")
                    || key.contains("description")
                    || key.contains("summary")
                {
                    Text::Answer
                } else if key.is_empty() {
                    Text::Point
                } else {
                    Text::Keyed(key.replace('_', " "))
                }
            }
        };
        Strings {
            kind,
            index,
            offset,
            min: number(schema, "minLength").map_or(0, |n| n as usize),
            max: number(schema, "maxLength").map(|n| n as usize),
        }
    }

    fn text(&self, leaves: &Leaves) -> String {
        let topic = leaves.topic;
        let pick = leaves.pick(self.offset);
        let index = self.index;
        let text = match &self.kind {
            Text::Date => format!("2026-{:02}-{:02}", 1 + pick % 12, 1 + pick % 28),
            Text::DateTime => format!("2026-{:02}-{:02}T10:30:00Z", 1 + pick % 12, 1 + pick % 28),
            Text::Email => format!("{}@example.com", seo_slug(topic)),
            Text::Uri => format!("https://example.com/{}", seo_slug(topic)),
            Text::Uuid => {
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
            Text::Slug => seo_slug(topic),
            Text::Title => seo_title(topic),
            Text::MetaDescription => seo_description(topic),
            Text::Question => format!("What should you know about {topic} ({})?", index + 1),
            Text::Answer => {
                format!("{topic} in short: what it is, how to choose it and what to avoid.")
            }
            Text::Point => format!("{topic}, point {}", index + 1),
            Text::Keyed(key) => format!("{topic} {key} {}", index + 1),
        };
        fit(text, self.min, self.max)
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
