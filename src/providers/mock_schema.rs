//! The mock's answer to a request for JSON that matches a JSON Schema: a valid instance of any
//! schema a task gives, deterministic from the seed, whose strings echo the row's subject so a
//! reader can tell which row an answer belongs to. Also the broken instances the mock's
//! `invalid_output_rate` sends.
//!
//! Understood: `type` (one or a list), `properties`, `required`, `additionalProperties`,
//! `minProperties`/`maxProperties`, `items`, `prefixItems` (and the older array form of `items`),
//! `minItems`/`maxItems`, `uniqueItems`, `contains`, `enum`, `const`, `minLength`/`maxLength`,
//! `minimum`/`maximum`/`exclusiveMinimum`/`exclusiveMaximum`/`multipleOf`, `format` (date,
//! date-time, time, email, uri, uuid, hostname, ipv4, ipv6, duration), `pattern` (see
//! `pattern_text`), `$ref` within the schema, `allOf` (merged), `anyOf`/`oneOf` (the first
//! branch that is not just `null`). Everything else, `description` included, is ignored.
//!
//! What a string says follows its property's name: a title for `title` or `headline` (at most
//! 60 characters unless the schema says otherwise), the SEO description for `meta_description`, a
//! slug for `slug`, a question for `question`, a sentence for `answer` or `description`, the
//! subject as written for `keyword` or `translation`, a URL for `url`, else the subject and the
//! field's name.
//!
//! Known gaps, each answered as best it can: `not`, `if`/`then`/`else`, `patternProperties`,
//! `propertyNames`, `dependentSchemas`, references to other documents or `$anchor`s; a first
//! `oneOf` branch that a later one also matches; lengths on formatted strings; patterns beyond
//! `pattern_text`'s reach.

use std::borrow::Cow;

use serde_json::{Map, Number, Value, json};

use crate::text::slugify;

/// Whom the strings are about: the row's subject as written and title-cased.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub text: &'a str,
    pub title: &'a str,
}

/// A valid instance of `schema`, as JSON text.
pub fn answer(schema: &Value, subject: Subject<'_>, seed: u64) -> String {
    Writer::new(schema, subject, seed)
        .value(schema, &Place::root())
        .to_string()
}

/// An answer that fails `schema`, the way models fail: on even seeds prose around no JSON at all,
/// else a valid instance broken in one place (a required field dropped, a string past its
/// `maxLength`, a value outside its `enum`, ...), or prose when the schema forbids nothing the
/// writer knows how to break.
pub fn broken_answer(schema: &Value, subject: Subject<'_>, seed: u64) -> String {
    const PROSE: &str = "Sure! Here is the JSON you asked for.";
    if seed % 2 == 0 {
        return PROSE.to_string();
    }
    let writer = Writer::new(schema, subject, seed);
    let mut value = writer.value(schema, &Place::root());
    if writer.break_value(schema, &mut value, 0) {
        value.to_string()
    } else {
        PROSE.to_string()
    }
}

const TITLE_PATTERNS: [&str; 4] = [
    "{t}: A Practical Guide",
    "{t}: What You Need to Know",
    "The Complete Guide to {t}",
    "{t} Explained",
];

/// A title of at most 60 characters, as search results show them.
pub fn title_text(title: &str, pick: u64) -> String {
    let pattern = TITLE_PATTERNS[(pick % TITLE_PATTERNS.len() as u64) as usize];
    let text = pattern.replace("{t}", title);
    if text.chars().count() > 60 {
        truncate_words(title, 60)
    } else {
        text
    }
}

/// A meta description of at most 160 characters.
pub fn meta_text(title: &str) -> String {
    truncate_words(
        &format!(
            "Everything about {title}: how it works, what to compare and the mistakes to avoid. \
             Clear answers and practical tips."
        ),
        160,
    )
}

/// A kebab-case slug of the subject, or of the seed when the subject has no ASCII letter.
pub fn slug_text(text: &str, seed: u64) -> String {
    let slug = slugify(text);
    if slug.is_empty() {
        format!("item-{:x}", seed & 0xffff_ffff)
    } else {
        slug
    }
}

/// Cuts at a word boundary so the text fits in `max` characters (mid-word only when the first
/// word alone is longer).
pub fn truncate_words(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out = String::new();
    let mut len = 0;
    for word in text.split_whitespace() {
        let extra = usize::from(len > 0);
        let width = word.chars().count();
        if len + extra + width > max {
            break;
        }
        if extra == 1 {
            out.push(' ');
        }
        out.push_str(word);
        len += extra + width;
    }
    if out.is_empty() {
        out = text.chars().take(max).collect();
    }
    out
}

/// Where a value sits: the property it fills, the index of the array item it is in (inherited
/// by what is nested in that item, so an FAQ's third question and answer go together), and how
/// deep and through which `$ref`s the writer came.
#[derive(Debug, Clone)]
struct Place<'p> {
    name: Option<&'p str>,
    /// The value is an item of an array itself, not a property of one.
    item: bool,
    index: usize,
    /// Hash of the property names on the way here, array indexes left out, so one field's
    /// numbers and enum picks differ from another's while the items of one array count up.
    field: u64,
    depth: u32,
    /// The references expanded on the way here, in order.
    trail: Vec<String>,
}

impl<'p> Place<'p> {
    fn root() -> Self {
        Place {
            name: None,
            item: false,
            index: 0,
            field: 0,
            depth: 0,
            trail: Vec::new(),
        }
    }

    fn property(&self, name: &'p str) -> Place<'p> {
        Place {
            name: Some(name),
            item: false,
            index: self.index,
            field: fnv(self.field, name.as_bytes()),
            depth: self.depth + 1,
            trail: self.trail.clone(),
        }
    }

    fn item(&self, index: usize) -> Place<'p> {
        Place {
            name: self.name,
            item: true,
            index,
            field: self.field,
            depth: self.depth + 1,
            trail: self.trail.clone(),
        }
    }

    /// Once a reference comes round a second time (a recursive schema) or the value is deep,
    /// objects get only their required properties and arrays their fewest items, so the answer
    /// ends.
    fn minimal(&self) -> bool {
        self.depth > SOFT_DEPTH
            || self
                .trail
                .iter()
                .enumerate()
                .any(|(i, r)| self.trail[..i].contains(r))
    }
}

/// The keywords that bring in other schemas.
const COMBINERS: [&str; 4] = ["$ref", "allOf", "anyOf", "oneOf"];

const SOFT_DEPTH: u32 = 12;
/// A schema that still recurses (a required field that refers back to its object) is cut here.
const HARD_DEPTH: u32 = 40;
/// Expansions of `$ref` on one path, beyond which a reference is left unresolved.
const MAX_REFS: usize = 64;

struct Writer<'a> {
    root: &'a Value,
    subject: Subject<'a>,
    seed: u64,
}

impl<'a> Writer<'a> {
    fn new(root: &'a Value, subject: Subject<'a>, seed: u64) -> Self {
        Writer {
            root,
            subject,
            seed,
        }
    }

    /// A number for a decision at `place`: the same for the same row, field and item.
    fn pick(&self, place: &Place<'_>) -> u64 {
        splitmix64(self.seed ^ place.field).wrapping_add(place.index as u64)
    }

    fn value(&self, schema: &Value, place: &Place<'_>) -> Value {
        if place.depth > HARD_DEPTH {
            return Value::Null;
        }
        match schema {
            // Nothing is valid against `false`; a property that is one is left out before this.
            Value::Bool(false) => return Value::Null,
            Value::Object(_) => {}
            _ => return Value::String(self.string(&Map::new(), place)),
        }
        let mut here = place.clone();
        let schema = self.resolve(schema, &mut here.trail);
        if let Some(value) = schema.get("const") {
            return value.clone();
        }
        let types = types(&schema);
        if let Some(Value::Array(options)) = schema.get("enum") {
            let fitting: Vec<&Value> = options
                .iter()
                .filter(|v| types.len == 0 || types.as_slice().iter().any(|t| is_of_type(v, t)))
                .collect();
            let options: Vec<&Value> = if fitting.is_empty() {
                options.iter().collect()
            } else {
                fitting
            };
            if !options.is_empty() {
                let i = (self.pick(place) % options.len() as u64) as usize;
                return options[i].clone();
            }
        }
        match chosen_type(types, &schema) {
            "object" => self.object(&schema, &here),
            "array" => self.array(&schema, &here),
            "integer" => self.number(&schema, &here, true),
            "number" => self.number(&schema, &here, false),
            "boolean" => Value::Bool(self.pick(&here) % 2 == 0),
            "null" => Value::Null,
            _ => Value::String(self.string(&schema, &here)),
        }
    }

    /// The schema's own keywords with those its `$ref`, `allOf` and first `anyOf`/`oneOf` branch
    /// bring, its own winning; `properties` and `required` are joined. Each reference expanded is
    /// added to `trail`.
    fn resolve<'s>(
        &self,
        schema: &'s Value,
        trail: &mut Vec<String>,
    ) -> Cow<'s, Map<String, Value>> {
        // Most schemas combine nothing: read them where they are.
        match schema.as_object() {
            Some(object) if !COMBINERS.iter().any(|k| object.contains_key(*k)) => {
                Cow::Borrowed(object)
            }
            _ => Cow::Owned(self.resolve_in(schema, trail, &mut Vec::new())),
        }
    }

    /// `local`: the references this one resolution expanded, so an alias of itself ends.
    fn resolve_in(
        &self,
        schema: &Value,
        trail: &mut Vec<String>,
        local: &mut Vec<String>,
    ) -> Map<String, Value> {
        let Some(object) = schema.as_object() else {
            return Map::new();
        };
        let mut out: Map<String, Value> = object
            .iter()
            .filter(|(k, _)| !COMBINERS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut parts: Vec<&Value> = Vec::new();
        if let Some(reference) = object.get("$ref").and_then(Value::as_str)
            && !local.iter().any(|r| r == reference)
            && trail.len() < MAX_REFS
            && let Some(target) = self.lookup(reference)
        {
            local.push(reference.to_string());
            trail.push(reference.to_string());
            parts.push(target);
        }
        if let Some(Value::Array(all)) = object.get("allOf") {
            parts.extend(all);
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = object.get(key)
                && let Some(branch) = branches
                    .iter()
                    .find(|b| !is_null_only(b))
                    .or(branches.first())
            {
                parts.push(branch);
            }
        }
        for part in parts {
            let resolved = self.resolve_in(part, trail, local);
            absorb(&mut out, resolved);
        }
        out
    }

    /// `#`, `#/$defs/...`, `#/definitions/...` or any JSON pointer into the schema itself.
    /// References to other documents or to `$anchor`s are not followed.
    fn lookup(&self, reference: &str) -> Option<&'a Value> {
        let pointer = reference.strip_prefix('#')?;
        if pointer.is_empty() {
            return Some(self.root);
        }
        let decoded = pointer.replace("%24", "$").replace("%25", "%");
        self.root.pointer(&decoded)
    }

    fn object(&self, schema: &Map<String, Value>, place: &Place<'_>) -> Value {
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
        let additional = schema.get("additionalProperties");
        let extras_allowed = !matches!(additional, Some(Value::Bool(false)));
        let minimal = place.minimal();
        let mut out = Map::new();
        for (name, property) in properties {
            if property == &Value::Bool(false) || (minimal && !required.contains(&name.as_str())) {
                continue;
            }
            let value = self.value(property, &place.property(name));
            out.insert(name.clone(), value);
        }
        let extra_schema = additional.filter(|a| a.is_object()).cloned();
        let extra = |name: &str| {
            let child = place.property(name);
            match &extra_schema {
                Some(s) => self.value(s, &child),
                None => Value::String(self.string(&Map::new(), &child)),
            }
        };
        for name in &required {
            if !out.contains_key(*name) {
                out.insert(name.to_string(), extra(name));
            }
        }
        if let Some(max) = usize_of(schema, "maxProperties") {
            let optional: Vec<String> = out
                .keys()
                .filter(|k| !required.contains(&k.as_str()))
                .cloned()
                .collect();
            for name in optional.iter().rev() {
                if out.len() <= max {
                    break;
                }
                out.remove(name);
            }
        }
        if let Some(min) = usize_of(schema, "minProperties")
            && extras_allowed
        {
            let mut n = 1;
            while out.len() < min {
                let name = format!("extra_{n}");
                if !out.contains_key(&name) {
                    out.insert(name.clone(), extra(&name));
                }
                n += 1;
            }
        }
        Value::Object(out)
    }

    fn array(&self, schema: &Map<String, Value>, place: &Place<'_>) -> Value {
        // 2020-12 writes a tuple as `prefixItems` and the rest as `items`; drafts 4 to 2019-09
        // wrote the tuple as an `items` array and the rest as `additionalItems`.
        let (prefix, rest): (&[Value], Option<&Value>) =
            match (schema.get("prefixItems"), schema.get("items")) {
                (Some(Value::Array(prefix)), rest) => (prefix, rest),
                (_, Some(Value::Array(prefix))) => (prefix, schema.get("additionalItems")),
                (_, rest) => (&[], rest),
            };
        let rest_allowed = !matches!(rest, Some(Value::Bool(false)));
        let min = usize_of(schema, "minItems").unwrap_or(0);
        let max = usize_of(schema, "maxItems");
        let wanted = if place.minimal() {
            min
        } else if prefix.is_empty() {
            3
        } else {
            prefix.len()
        };
        let mut count = wanted.max(min);
        if let Some(max) = max {
            count = count.min(max);
        }
        if !rest_allowed {
            count = count.min(prefix.len());
        }
        let any = Value::Bool(true);
        let mut items: Vec<Value> = (0..count)
            .map(|i| {
                let item = match prefix.get(i) {
                    Some(s) => s,
                    None if i == 0 && schema.contains_key("contains") => &schema["contains"],
                    None => rest.unwrap_or(&any),
                };
                self.value(item, &place.item(i))
            })
            .collect();
        if schema.get("uniqueItems") == Some(&Value::Bool(true)) {
            let mut unique: Vec<Value> = Vec::with_capacity(items.len());
            for item in items {
                if !unique.contains(&item) {
                    unique.push(item);
                }
            }
            items = unique;
        }
        Value::Array(items)
    }

    fn number(&self, schema: &Map<String, Value>, place: &Place<'_>, integer: bool) -> Value {
        let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
        // Draft 4 writes exclusivity as a flag beside the bound; later drafts as the bound.
        let flag = |key: &str| schema.get(key) == Some(&Value::Bool(true));
        let (mut lo, mut lo_open) = (bound("minimum"), flag("exclusiveMinimum"));
        if let Some(x) = bound("exclusiveMinimum")
            && lo.is_none_or(|lo| x >= lo)
        {
            (lo, lo_open) = (Some(x), true);
        }
        let (mut hi, mut hi_open) = (bound("maximum"), flag("exclusiveMaximum"));
        if let Some(x) = bound("exclusiveMaximum")
            && hi.is_none_or(|hi| x <= hi)
        {
            (hi, hi_open) = (Some(x), true);
        }
        let step = bound("multipleOf").filter(|m| *m > 0.0 && m.is_finite());
        let step = match (integer, step) {
            (true, Some(m)) if m.fract() != 0.0 => {
                // Integers that are multiples of 0.5 are the multiples of 1; of 0.4, of 2.
                let mut k = 1.0;
                while (k * m).fract().abs() > 1e-9 && k < 1e6 {
                    k += 1.0;
                }
                k * m
            }
            (true, None) => 1.0,
            (_, m) => m.unwrap_or(0.0),
        };
        // With no bound, a small positive number, such as counts and prices are.
        let (lo, hi) = match (lo, hi) {
            (None, None) => (1.0, 100.0),
            (Some(lo), None) => (lo, lo + 99.0),
            (None, Some(hi)) => (hi - 99.0, hi),
            (Some(lo), Some(hi)) => (lo, hi),
        };
        let pick = self.pick(place);
        let value = if step > 0.0 {
            let mut first = (lo / step).ceil();
            if lo_open && first * step <= lo {
                first += 1.0;
            }
            let mut last = (hi / step).floor();
            if hi_open && last * step >= hi {
                last -= 1.0;
            }
            let k = if last >= first {
                first + (pick % ((last - first) as u64 + 1).min(1 << 52)) as f64
            } else {
                first
            };
            round_like(k * step, step)
        } else {
            // A number with a half, so it reads as one, where the bounds leave room.
            let first = if lo_open && lo.fract() == 0.0 {
                lo + 1.0
            } else {
                lo.ceil()
            };
            let last = if hi_open && hi.fract() == 0.0 {
                hi - 1.0
            } else {
                hi.floor()
            };
            if last >= first {
                let n = first + (pick % ((last - first) as u64 + 1).min(1 << 52)) as f64;
                if n + 0.5 < hi { n + 0.5 } else { n }
            } else {
                (lo + hi) / 2.0
            }
        };
        let whole = integer || (step > 0.0 && step.fract() == 0.0);
        if whole && value.fract() == 0.0 && value.abs() < 9.0e15 {
            return json!(value as i64);
        }
        Number::from_f64(value).map_or(Value::Null, Value::Number)
    }

    fn string(&self, schema: &Map<String, Value>, place: &Place<'_>) -> String {
        let min = usize_of(schema, "minLength").unwrap_or(0);
        let max = usize_of(schema, "maxLength");
        if let Some(format) = schema.get("format").and_then(Value::as_str)
            && let Some(text) = self.formatted(format, place, max)
        {
            return text;
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            if let Some(slug) = slug_pattern(pattern) {
                let slug = self.slug(slug, max);
                return pad_slug(slug, min, max);
            }
            if let Some(text) = pattern_text(pattern, self.pick(place)) {
                return text;
            }
        }
        let name = place.name.map(words).unwrap_or_default();
        if name.iter().any(|w| w == "slug") {
            return pad_slug(self.slug(SlugPattern { digits: true }, max), min, max);
        }
        fit(self.text(schema, place, &name), min, max)
    }

    fn slug(&self, pattern: SlugPattern, max: Option<usize>) -> String {
        let mut slug = slug_text(self.subject.text, self.seed);
        if !pattern.digits {
            let letters: Vec<String> = slug
                .split('-')
                .map(|w| w.chars().filter(char::is_ascii_lowercase).collect())
                .filter(|w: &String| !w.is_empty())
                .collect();
            slug = if letters.is_empty() {
                "item".into()
            } else {
                letters.join("-")
            };
        }
        match max {
            Some(max) => cut_slug(&slug, max),
            None => slug,
        }
    }

    fn formatted(&self, format: &str, place: &Place<'_>, max: Option<usize>) -> Option<String> {
        let pick = self.pick(place);
        let slug = |room: usize| cut_slug(&slug_text(self.subject.text, self.seed), room);
        let date = format!("2026-{:02}-{:02}", 1 + pick % 12, 1 + (pick >> 8) % 28);
        let time = format!("{:02}:{:02}:00Z", 8 + (pick >> 16) % 10, (pick >> 24) % 60);
        Some(match format {
            "date" => date,
            "date-time" => format!("{date}T{time}"),
            "time" => time,
            "email" | "idn-email" => {
                let domain = "@example.com";
                let room = max.map_or(40, |m| m.saturating_sub(domain.len()).min(40));
                format!("{}{domain}", slug(room.max(1)))
            }
            "uri" | "iri" | "uri-reference" | "iri-reference" | "url" => {
                let base = "https://example.com/";
                let room = max.map_or(80, |m| m.saturating_sub(base.len()));
                format!("{base}{}", slug(room))
            }
            "uuid" => {
                let (a, b) = (splitmix64(pick), splitmix64(pick ^ 0x5555));
                format!(
                    "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
                    a >> 32,
                    (a >> 16) & 0xffff,
                    a & 0xfff,
                    8 + (b >> 62),
                    (b >> 48) & 0xfff,
                    b & 0xffff_ffff_ffff
                )
            }
            "hostname" | "idn-hostname" => {
                let domain = ".example.com";
                let room = max.map_or(63, |m| m.saturating_sub(domain.len()).min(63));
                format!("{}{domain}", slug(room.max(1)))
            }
            "ipv4" => format!("192.0.2.{}", 1 + pick % 254),
            "ipv6" => format!("2001:db8::{:x}", 1 + pick % 0xfffe),
            "duration" => format!("P{}D", 1 + pick % 30),
            _ => return None,
        })
    }

    /// Prose about the subject that suits the field's name: a title for `title`, a question for
    /// `question`, a sentence for `answer` or `description`, the subject itself for `keyword`.
    /// `name`: the words of the property's name.
    fn text(&self, schema: &Map<String, Value>, place: &Place<'_>, name: &[String]) -> String {
        let Subject { text, title } = self.subject;
        let i = place.index;
        let pick = self.seed.wrapping_add(i as u64);
        let nth = |pool: &[&str], t: &str| {
            let line = pool[i % pool.len()].replace("{t}", t);
            if i < pool.len() {
                line
            } else {
                format!("{line} ({})", i + 1)
            }
        };
        let has = |w: &[&str]| name.iter().any(|n| w.contains(&n.as_str()));
        if (has(&["meta"]) && has(&["description"])) || has(&["metadescription"]) {
            return meta_text(title);
        }
        if has(&["url", "uri", "link", "href", "website", "canonical"]) {
            return self
                .formatted("uri", place, usize_of(schema, "maxLength"))
                .unwrap_or_default();
        }
        if has(&["email"]) {
            return self
                .formatted("email", place, usize_of(schema, "maxLength"))
                .unwrap_or_default();
        }
        if has(&["question", "questions", "faq", "q"]) {
            return nth(&QUESTIONS, text);
        }
        if has(&[
            "title",
            "titles",
            "headline",
            "headlines",
            "heading",
            "subtitle",
        ]) {
            let line = title_text(title, pick);
            return if i < TITLE_PATTERNS.len() {
                line
            } else {
                format!("{} ({})", truncate_words(&line, 54), i + 1)
            };
        }
        if has(&[
            "answer",
            "answers",
            "description",
            "summary",
            "body",
            "text",
            "content",
            "excerpt",
            "paragraph",
            "details",
            "explanation",
            "reason",
            "reasoning",
            "intro",
            "conclusion",
        ]) {
            return capitalized(&nth(&SENTENCES, text));
        }
        if has(&[
            "keyword",
            "keywords",
            "topic",
            "subject",
            "query",
            "term",
            "source",
            "original",
            "input",
            "translation",
            "translated",
        ]) {
            return if i == 0 {
                text.to_string()
            } else {
                format!("{text} {}", i + 1)
            };
        }
        if has(&["name"]) {
            return if i == 0 {
                title.to_string()
            } else {
                format!("{title} {}", i + 1)
            };
        }
        if place.item || name.is_empty() || has(&BULLET_NAMES) {
            nth(&BULLETS, title)
        } else {
            format!("{title} {}", name.join(" "))
        }
    }

    /// Breaks `value` so that it no longer matches `schema`, in the first place that can be
    /// broken, outermost first. Whether the result matches another `anyOf`/`oneOf` branch is not
    /// checked.
    fn break_value(&self, schema: &Value, value: &mut Value, depth: u32) -> bool {
        if depth > HARD_DEPTH {
            return false;
        }
        let schema = self.resolve(schema, &mut Vec::new());
        if let Some(constant) = schema.get("const") {
            *value = if constant == &json!("changed") {
                json!("altered")
            } else {
                json!("changed")
            };
            return true;
        }
        if let Some(Value::Array(options)) = schema.get("enum") {
            let mut candidate = "not one of the listed values".to_string();
            while options.contains(&json!(candidate)) {
                candidate.push('!');
            }
            *value = json!(candidate);
            return true;
        }
        match value {
            Value::Object(object) => {
                let required = schema.get("required").and_then(Value::as_array);
                if let Some(name) = required
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .find(|n| object.contains_key(*n))
                {
                    object.shift_remove(name);
                    return true;
                }
                if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                    for (name, property) in properties {
                        if let Some(child) = object.get_mut(name)
                            && self.break_value(property, child, depth + 1)
                        {
                            return true;
                        }
                    }
                }
            }
            Value::String(text) => {
                if let Some(max) = usize_of(&schema, "maxLength") {
                    while text.chars().count() <= max {
                        text.push_str(if text.is_empty() {
                            "overflow"
                        } else {
                            " and more"
                        });
                    }
                    return true;
                }
                if usize_of(&schema, "minLength").is_some_and(|min| min > 0) {
                    text.clear();
                    return true;
                }
            }
            Value::Array(items) => {
                if let Some(min) = usize_of(&schema, "minItems").filter(|m| *m > 0) {
                    items.truncate(min - 1);
                    return true;
                }
                let item_schema = schema.get("items").filter(|s| s.is_object());
                if let (Some(item_schema), Some(first)) = (item_schema, items.first_mut())
                    && self.break_value(item_schema, first, depth + 1)
                {
                    return true;
                }
            }
            Value::Number(_) => {
                if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
                    *value = json!(max.floor() as i64 + 1);
                    return true;
                }
                if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
                    *value = json!(min.ceil() as i64 - 1);
                    return true;
                }
            }
            Value::Bool(_) | Value::Null => {}
        }
        // Last, outermost only: a value of a type the schema does not take.
        let types = types(&schema);
        let types = types.as_slice();
        if depth == 0 && !types.is_empty() {
            let wrong = [
                json!("text"),
                json!(1.5),
                json!({}),
                json!(true),
                json!(null),
            ];
            if let Some(other) = wrong
                .into_iter()
                .find(|w| !types.iter().any(|t| is_of_type(w, t)))
            {
                *value = other;
                return true;
            }
        }
        false
    }
}

const QUESTIONS: [&str; 6] = [
    "What is {t}?",
    "How do I choose {t}?",
    "What does {t} cost?",
    "What mistakes should I avoid with {t}?",
    "How do I get started with {t}?",
    "Is {t} worth it?",
];

const SENTENCES: [&str; 6] = [
    "{t} is easiest to judge by a few concrete criteria rather than by brand.",
    "Most problems with {t} come from skipping the basics.",
    "Costs for {t} vary widely, so a budget set up front saves time.",
    "People who compare two or three options are happier with {t} a year later.",
    "Start small with {t} and add complexity only when a real need shows up.",
    "A short checklist keeps every decision about {t} grounded in facts.",
];

const BULLET_NAMES: [&str; 14] = [
    "bullet",
    "bullets",
    "point",
    "points",
    "feature",
    "features",
    "benefit",
    "benefits",
    "highlight",
    "highlights",
    "tip",
    "tips",
    "items",
    "list",
];

const BULLETS: [&str; 6] = [
    "{t} made simple",
    "Built for everyday {t}",
    "The {t} essentials in one place",
    "Compare {t} options at a glance",
    "Practical {t} tips that work",
    "{t} without the guesswork",
];

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The lowercase words of a property name: `metaDescription`, `meta-description` and
/// `meta_description` all give `meta`, `description`.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// What a kebab-case `pattern` lets through: digits or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SlugPattern {
    digits: bool,
}

/// Recognises the usual slug patterns: `^[a-z0-9]+(-[a-z0-9]+)*$`, with `(?:`, `\d`, `{1,}`,
/// `[0-9a-z]` or without digits, and the looser `^[a-z0-9-]+$`; anchors optional.
fn slug_pattern(pattern: &str) -> Option<SlugPattern> {
    let p = pattern
        .replace("(?:", "(")
        .replace("\\d", "0-9")
        .replace("\\-", "-")
        .replace("{1,}", "+");
    let p = p.strip_prefix('^').unwrap_or(&p);
    let p = p.strip_suffix('$').unwrap_or(p);
    let class = |c: &str| match c {
        "[a-z0-9]" | "[0-9a-z]" => Some(SlugPattern { digits: true }),
        "[a-z]" => Some(SlugPattern { digits: false }),
        _ => None,
    };
    if let Some((head, tail)) = p.split_once("+(-")
        && let Some(tail) = tail.strip_suffix("+)*")
        && head == tail
    {
        return class(head);
    }
    match p {
        "[a-z0-9-]+" | "[a-z0-9_-]+" | "[0-9a-z-]+" | "[-a-z0-9]+" => {
            Some(SlugPattern { digits: true })
        }
        "[a-z-]+" => Some(SlugPattern { digits: false }),
        _ => None,
    }
}

/// A slug cut at a hyphen to at most `max` characters (mid-word only when its first word is
/// longer).
fn cut_slug(slug: &str, max: usize) -> String {
    if slug.len() <= max {
        return slug.to_string();
    }
    let mut out = String::new();
    for word in slug.split('-') {
        let extra = usize::from(!out.is_empty());
        if out.len() + extra + word.len() > max {
            break;
        }
        if extra == 1 {
            out.push('-');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        out = slug.chars().take(max).collect();
    }
    out
}

fn pad_slug(mut slug: String, min: usize, max: Option<usize>) -> String {
    const MORE: [&str; 4] = ["guide", "tips", "basics", "faq"];
    let mut i = 0;
    while slug.len() < min {
        slug.push('-');
        slug.push_str(MORE[i % MORE.len()]);
        i += 1;
    }
    match max {
        Some(max) if slug.len() > max => slug.chars().take(max).collect::<String>(),
        _ => slug,
    }
    .trim_end_matches('-')
    .to_string()
}

/// `text` within `min..=max` characters: cut at a word boundary, padded with words.
fn fit(text: String, min: usize, max: Option<usize>) -> String {
    const MORE: [&str; 6] = ["with", "clear", "answers", "and", "practical", "tips"];
    let mut out = text;
    let mut len = out.chars().count();
    let mut i = 0;
    while len < min {
        let word = MORE[i % MORE.len()];
        if len > 0 {
            out.push(' ');
            len += 1;
        }
        out.push_str(word);
        len += word.len();
        i += 1;
    }
    if let Some(max) = max
        && len > max
    {
        let cut = truncate_words(&out, max);
        out = if cut.chars().count() >= min {
            cut
        } else {
            out.chars().take(max).collect()
        };
    }
    out
}

/// One string matching a simple regular expression: literals, escapes (`\d`, `\w`, `\s`, `\.`),
/// `.`, classes with ranges (negated ones pick from a few common characters), groups with
/// alternatives (the first is taken), anchors, and the quantifiers `? * + {n} {n,} {n,m}` (the
/// fewest repeats, but `*` once). Anything else (lookaround, backreferences, `\p{...}`) gives
/// `None` and the field gets ordinary text: a best effort, not a regex engine.
fn pattern_text(pattern: &str, pick: u64) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut parser = RegexWriter {
        chars: &chars,
        at: 0,
        pick,
    };
    let out = parser.alternatives()?;
    (parser.at == chars.len()).then_some(out)
}

struct RegexWriter<'c> {
    chars: &'c [char],
    at: usize,
    pick: u64,
}

impl RegexWriter<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn next_pick(&mut self, n: usize) -> usize {
        self.pick = splitmix64(self.pick);
        (self.pick % n.max(1) as u64) as usize
    }

    /// The first alternative of a `|` list, the others parsed and dropped.
    fn alternatives(&mut self) -> Option<String> {
        let first = self.sequence()?;
        while self.peek() == Some('|') {
            self.at += 1;
            self.sequence()?;
        }
        Some(first)
    }

    fn sequence(&mut self) -> Option<String> {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            if c == '^' || c == '$' {
                self.at += 1;
                continue;
            }
            let start = self.at;
            let atom = self.atom()?;
            let repeats = self.quantifier()?;
            for r in 0..repeats {
                if r == 0 {
                    out.push_str(&atom);
                } else {
                    // A class repeated draws again, so `[0-9]{4}` is not `7777`.
                    let again = self.redraw(start)?;
                    out.push_str(&again);
                }
            }
        }
        Some(out)
    }

    /// The atom at `start` written once more, with fresh picks.
    fn redraw(&mut self, start: usize) -> Option<String> {
        let end = self.at;
        self.at = start;
        let atom = self.atom()?;
        self.at = end;
        Some(atom)
    }

    /// How many times to write the atom before: the fewest the quantifier allows, except once
    /// for `*`, so a pattern's optional tail still shows; once with no quantifier.
    fn quantifier(&mut self) -> Option<usize> {
        let q = match self.peek() {
            Some('?') => {
                self.at += 1;
                0
            }
            Some('*' | '+') => {
                self.at += 1;
                1
            }
            Some('{') => {
                let close = self.chars[self.at..].iter().position(|c| *c == '}')? + self.at;
                let inside: String = self.chars[self.at + 1..close].iter().collect();
                let lo = inside.split(',').next()?.trim().parse::<usize>().ok()?;
                self.at = close + 1;
                lo.min(1_000)
            }
            _ => return Some(1),
        };
        // Lazy and possessive marks change nothing for a writer.
        if matches!(self.peek(), Some('?' | '+')) {
            self.at += 1;
        }
        Some(q)
    }

    fn atom(&mut self) -> Option<String> {
        let c = self.peek()?;
        self.at += 1;
        match c {
            '(' => {
                if self.peek() == Some('?') {
                    self.at += 1;
                    match self.peek()? {
                        ':' => self.at += 1,
                        '<' if !matches!(self.chars.get(self.at + 1), Some('=' | '!')) => {
                            let close =
                                self.chars[self.at..].iter().position(|c| *c == '>')? + self.at;
                            self.at = close + 1;
                        }
                        'P' if self.chars.get(self.at + 1) == Some(&'<') => {
                            let close =
                                self.chars[self.at..].iter().position(|c| *c == '>')? + self.at;
                            self.at = close + 1;
                        }
                        _ => return None,
                    }
                }
                let inner = self.alternatives()?;
                (self.peek() == Some(')')).then(|| self.at += 1)?;
                Some(inner)
            }
            '[' => self.class().map(String::from),
            '\\' => {
                let e = self.peek()?;
                self.at += 1;
                let set: &[char] = match e {
                    'd' => &['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
                    'w' => &['a', 'b', 'c', 'x', 'y', 'z', '0', '7'],
                    's' => &[' '],
                    'D' | 'W' | 'S' => &['-'],
                    'p' | 'P' | 'b' | 'B' | 'k' | '1'..='9' => return None,
                    'n' => &['\n'],
                    't' => &['\t'],
                    other => return Some(other.to_string()),
                };
                let i = self.next_pick(set.len());
                Some(set[i].to_string())
            }
            '.' => Some("x".into()),
            ')' | '|' | '*' | '+' | '?' | '{' => None,
            other => Some(other.to_string()),
        }
    }

    /// One character of a `[...]` class.
    fn class(&mut self) -> Option<char> {
        let negated = self.peek() == Some('^');
        if negated {
            self.at += 1;
        }
        let mut ranges: Vec<(char, char)> = Vec::new();
        let mut first = true;
        loop {
            let c = self.peek()?;
            self.at += 1;
            if c == ']' && !first {
                break;
            }
            first = false;
            let lo = if c == '\\' {
                let e = self.peek()?;
                self.at += 1;
                match e {
                    'd' => {
                        ranges.push(('0', '9'));
                        continue;
                    }
                    'w' => {
                        ranges.extend([('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')]);
                        continue;
                    }
                    's' => {
                        ranges.push((' ', ' '));
                        continue;
                    }
                    'p' | 'P' | 'D' | 'W' | 'S' => return None,
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                }
            } else if c == '[' && self.peek() == Some(':') {
                return None;
            } else {
                c
            };
            if self.peek() == Some('-') && self.chars.get(self.at + 1).is_some_and(|c| *c != ']') {
                self.at += 1;
                let mut hi = self.peek()?;
                self.at += 1;
                if hi == '\\' {
                    hi = self.peek()?;
                    self.at += 1;
                }
                ranges.push((lo, hi));
            } else {
                ranges.push((lo, lo));
            }
        }
        let inside = |c: char| ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi);
        if negated {
            return ['x', 'a', 'Z', '0', '7', '-', '_', ' ']
                .into_iter()
                .find(|c| !inside(*c));
        }
        let (lo, hi) = ranges[self.next_pick(ranges.len())];
        let span = (hi as u32).checked_sub(lo as u32)? as usize + 1;
        char::from_u32(lo as u32 + self.next_pick(span) as u32)
    }
}

/// The types a schema names, in its order, whatever their case (Gemini's OpenAPI subset writes
/// `STRING`). Kept in place rather than in a `Vec`: every value of every answer asks.
#[derive(Debug, Clone, Copy, Default)]
struct Types {
    names: [&'static str; 7],
    len: usize,
}

impl Types {
    fn as_slice(&self) -> &[&'static str] {
        &self.names[..self.len]
    }
}

fn types(schema: &Map<String, Value>) -> Types {
    const KNOWN: [&str; 7] = [
        "object", "array", "string", "integer", "number", "boolean", "null",
    ];
    let mut out = Types::default();
    let mut add = |name: &str| {
        if let Some(known) = KNOWN.iter().find(|k| k.eq_ignore_ascii_case(name))
            && out.len < out.names.len()
            && !out.as_slice().contains(known)
        {
            out.names[out.len] = known;
            out.len += 1;
        }
    };
    match schema.get("type") {
        Some(Value::String(t)) => add(t),
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).for_each(add),
        _ => {}
    }
    out
}

/// The type to write: the first named other than `null`, else the one the keywords imply.
fn chosen_type(types: Types, schema: &Map<String, Value>) -> &'static str {
    let types = types.as_slice();
    if let Some(t) = types.iter().find(|t| **t != "null") {
        return t;
    }
    if !types.is_empty() {
        return "null";
    }
    let has = |keys: &[&str]| keys.iter().any(|k| schema.contains_key(*k));
    if has(&[
        "properties",
        "required",
        "additionalProperties",
        "patternProperties",
        "minProperties",
        "maxProperties",
    ]) {
        "object"
    } else if has(&[
        "items",
        "prefixItems",
        "minItems",
        "maxItems",
        "contains",
        "uniqueItems",
    ]) {
        "array"
    } else if has(&[
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    ]) {
        "number"
    } else {
        "string"
    }
}

fn is_of_type(value: &Value, t: &str) -> bool {
    match t {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.as_f64().is_some_and(|n| n.fract() == 0.0),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => false,
    }
}

fn is_null_only(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
}

/// Adds what `part` says to `out` where `out` says nothing, joining `properties` and `required`.
fn absorb(out: &mut Map<String, Value>, part: Map<String, Value>) {
    for (key, value) in part {
        match (key.as_str(), out.get_mut(&key), value) {
            ("properties", Some(Value::Object(mine)), Value::Object(theirs)) => {
                for (name, schema) in theirs {
                    mine.entry(name).or_insert(schema);
                }
            }
            ("required", Some(Value::Array(mine)), Value::Array(theirs)) => {
                for name in theirs {
                    if !mine.contains(&name) {
                        mine.push(name);
                    }
                }
            }
            (_, Some(_), _) => {}
            (_, None, value) => {
                out.insert(key, value);
            }
        }
    }
}

fn usize_of(schema: &Map<String, Value>, key: &str) -> Option<usize> {
    schema
        .get(key)
        .and_then(Value::as_f64)
        .filter(|n| *n >= 0.0)
        .map(|n| n.min(1e6) as usize)
}

/// `value` rounded to as many decimals as `step` has, so `0.1 × 3` is written `0.3`.
fn round_like(value: f64, step: f64) -> f64 {
    let decimals = format!("{step}")
        .split_once('.')
        .map_or(0, |(_, d)| d.len().min(12));
    let scale = 10f64.powi(decimals as i32);
    (value * scale).round() / scale
}

fn fnv(start: u64, bytes: &[u8]) -> u64 {
    let mut hash = if start == 0 {
        0xcbf2_9ce4_8422_2325
    } else {
        start
    };
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash ^ 0xff
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
    use proptest::prelude::*;

    const SUBJECT: Subject<'static> = Subject {
        text: "trail running shoes",
        title: "Trail Running Shoes",
    };

    /// The answer to `schema`, parsed, after a real validator (formats checked) accepted it.
    #[track_caller]
    fn valid(schema: &Value, subject: Subject<'_>, seed: u64) -> Value {
        let text = answer(schema, subject, seed);
        let instance: Value = serde_json::from_str(&text).expect(&text);
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(schema)
            .expect("the test's schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{errors:#?}\nschema: {schema:#}\nanswer: {instance:#}"
        );
        instance
    }

    #[track_caller]
    fn assert_broken(schema: &Value, seed: u64) {
        let text = broken_answer(schema, SUBJECT, seed);
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(schema)
            .unwrap();
        if let Ok(instance) = serde_json::from_str::<Value>(&text) {
            assert!(
                !validator.is_valid(&instance),
                "{schema}\nstill valid: {text}"
            );
        }
    }

    fn product_copy() -> Value {
        json!({
            "type": "object",
            "properties": {
                "headline": {"type": "string", "maxLength": 40},
                "bullets": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 10, "maxLength": 50},
                    "minItems": 3,
                    "maxItems": 3
                },
                "price_band": {"enum": ["budget", "mid-range", "premium"]},
                "slug": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
                "in_stock": {"type": "boolean"},
                "rating": {"type": "number", "minimum": 1, "maximum": 5}
            },
            "required": ["headline", "bullets", "price_band"],
            "additionalProperties": false
        })
    }

    fn faq() -> Value {
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "faq": {
                    "type": "array",
                    "items": {"$ref": "#/$defs/entry"},
                    "minItems": 4,
                    "maxItems": 6
                },
                "updated": {"type": "string", "format": "date"}
            },
            "required": ["faq", "updated"],
            "additionalProperties": false,
            "$defs": {
                "entry": {
                    "type": "object",
                    "properties": {
                        "question": {"type": "string", "maxLength": 80},
                        "answer": {"type": "string", "minLength": 20, "maxLength": 300}
                    },
                    "required": ["question", "answer"],
                    "additionalProperties": false
                }
            }
        })
    }

    fn classification() -> Value {
        json!({
            "type": "object",
            "properties": {
                "label": {"type": "string", "enum": ["positive", "neutral", "negative"]},
                "confidence": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                "score": {"type": "integer", "minimum": 3, "maximum": 12, "multipleOf": 5},
                "price": {"type": "number", "minimum": 10, "maximum": 20, "multipleOf": 0.01},
                "tags": {"type": "array", "items": {"enum": ["a", "b", "c"]}, "uniqueItems": true},
                "reason": {"type": ["string", "null"], "maxLength": 12}
            },
            "required": ["label", "confidence"]
        })
    }

    fn translation() -> Value {
        json!({
            "type": "object",
            "properties": {
                "source_language": {"const": "en"},
                "target_language": {"type": "string", "enum": ["de", "fr"]},
                "original": {"type": "string"},
                "translation": {"type": "string", "minLength": 1}
            },
            "required": ["source_language", "target_language", "original", "translation"],
            "additionalProperties": false
        })
    }

    fn formats() -> Value {
        let formats = [
            "date",
            "date-time",
            "time",
            "email",
            "uri",
            "uuid",
            "hostname",
            "ipv4",
            "ipv6",
            "duration",
        ];
        let properties: Map<String, Value> = formats
            .iter()
            .map(|f| (f.replace('-', "_"), json!({"type": "string", "format": f})))
            .collect();
        json!({"type": "object", "properties": properties, "required": formats.map(|f| f.replace('-', "_"))})
    }

    fn tree() -> Value {
        json!({
            "$ref": "#/definitions/node",
            "definitions": {
                "node": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "children": {"type": "array", "items": {"$ref": "#/definitions/node"}}
                    },
                    "required": ["name", "children"]
                }
            }
        })
    }

    fn all_schemas() -> Vec<Value> {
        vec![
            product_copy(),
            faq(),
            classification(),
            translation(),
            formats(),
            tree(),
        ]
    }

    #[test]
    fn task_schemas_get_valid_answers_about_the_row() {
        for seed in 0..40 {
            for schema in all_schemas() {
                valid(&schema, SUBJECT, seed);
            }
        }
        let copy = valid(&product_copy(), SUBJECT, 7);
        assert!(copy["headline"].as_str().unwrap().contains("Trail Running"));
        assert_eq!(copy["slug"], "trail-running-shoes");
        assert_eq!(copy["bullets"].as_array().unwrap().len(), 3);
        assert!(
            copy["bullets"]
                .as_array()
                .unwrap()
                .iter()
                .all(|b| b.as_str().unwrap().contains("Trail Running Shoes")),
            "{copy}"
        );
        assert!(
            copy.get("rating").is_some(),
            "optional fields are filled too"
        );

        let faq = valid(&faq(), SUBJECT, 3);
        let entries = faq["faq"].as_array().unwrap();
        assert_eq!(entries.len(), 4);
        let questions: Vec<&str> = entries
            .iter()
            .map(|e| e["question"].as_str().unwrap())
            .collect();
        assert!(
            questions
                .iter()
                .all(|q| q.contains("trail running shoes") && q.ends_with('?'))
        );
        assert!(
            (1..questions.len()).all(|i| !questions[..i].contains(&questions[i])),
            "{questions:?}"
        );

        let translated = valid(&translation(), SUBJECT, 1);
        assert_eq!(translated["original"], "trail running shoes");
        assert_eq!(translated["source_language"], "en");
    }

    #[test]
    fn answers_repeat_for_a_seed_and_vary_between_seeds() {
        for schema in all_schemas() {
            assert_eq!(answer(&schema, SUBJECT, 11), answer(&schema, SUBJECT, 11));
        }
        let labels: Vec<String> = (0..30)
            .map(|seed| valid(&classification(), SUBJECT, seed)["label"].to_string())
            .collect();
        assert!(labels.iter().any(|l| l != &labels[0]), "{labels:?}");
    }

    #[test]
    fn strings_fit_their_lengths_in_characters_cut_at_words() {
        let subject = Subject {
            text: "café crème à la maison",
            title: "Café Crème À La Maison",
        };
        for max in [1, 5, 12, 17, 30] {
            let schema = json!({"type": "object", "properties": {
                "title": {"type": "string", "maxLength": max},
                "long": {"type": "string", "minLength": 120}
            }});
            let value = valid(&schema, subject, 2);
            let title = value["title"].as_str().unwrap();
            assert!(title.chars().count() <= max, "{title}");
            if max >= 12 {
                assert!(title_text(subject.title, 2).starts_with(title), "{title}");
                assert!(!title.ends_with(' '), "{title:?}");
            }
        }
        let exact = json!({"type": "string", "minLength": 8, "maxLength": 8});
        assert_eq!(
            valid(&exact, subject, 0).as_str().unwrap().chars().count(),
            8
        );
    }

    #[test]
    fn slug_patterns_echo_the_subject_and_other_patterns_match() {
        for pattern in [
            "^[a-z0-9]+(-[a-z0-9]+)*$",
            "^[a-z0-9]+(?:-[a-z0-9]+)*$",
            "[a-z0-9]+(?:-[a-z0-9]+)*",
            "^[a-z\\d]+(?:-[a-z\\d]+)*$",
            "^[a-z0-9-]+$",
            "^[a-z]+(-[a-z]+)*$",
        ] {
            let schema = json!({"type": "string", "pattern": pattern, "maxLength": 14});
            let slug = valid(&schema, SUBJECT, 1);
            assert_eq!(slug, "trail-running", "{pattern}");
        }
        let digits = Subject {
            text: "iPhone 15 cases",
            title: "IPhone 15 Cases",
        };
        let letters = json!({"type": "string", "pattern": "^[a-z]+(-[a-z]+)*$"});
        assert_eq!(valid(&letters, digits, 1), "iphone-cases");
        for pattern in [
            "^[A-Z]{3}-\\d{4}$",
            "^SKU-[0-9]+$",
            "^(foo|bar)baz$",
            "^\\+?[0-9]{7,15}$",
            "^[^@\\s]+\\.[a-z]{2,}$",
            "^(?<year>\\d{4})-Q[1-4]$",
            "^#[0-9a-fA-F]{6}$",
        ] {
            let schema = json!({"type": "string", "pattern": pattern});
            for seed in 0..10 {
                valid(&schema, SUBJECT, seed);
            }
        }
        let code = valid(
            &json!({"type": "string", "pattern": "^[A-Z]{3}-\\d{4}$"}),
            SUBJECT,
            5,
        );
        assert_ne!(
            code, "AAA-0000",
            "characters are drawn, not the first of each class"
        );
        // Past what the writer understands, the field still gets text.
        let text = answer(
            &json!({"type": "string", "pattern": "^(?=x)\\p{L}+$"}),
            SUBJECT,
            1,
        );
        assert!(text.contains("Trail Running Shoes"), "{text}");
    }

    #[test]
    fn types_lists_tuples_and_property_counts() {
        let schema = json!({
            "type": "object",
            "properties": {
                "maybe": {"type": ["null", "integer"]},
                "nothing": {"type": "null"},
                "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": false},
                "either": {"anyOf": [{"type": "null"}, {"type": "object", "properties": {"x": {"type": "boolean"}}, "required": ["x"]}]},
                "one": {"oneOf": [{"type": "string", "maxLength": 3}, {"type": "integer"}]},
                "merged": {"allOf": [{"properties": {"a": {"type": "integer"}}, "required": ["a"]}, {"properties": {"b": {"type": "string"}}, "required": ["b"]}]},
                "bag": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}, "minProperties": 2},
                "small": {"type": "object", "properties": {"a": {}, "b": {}, "c": {}}, "required": ["c"], "maxProperties": 1},
                "tagged": {"type": "array", "contains": {"const": "new"}, "items": {"type": "string"}},
                "none": {"type": "array", "items": {"type": "string"}, "maxItems": 0},
                "anything": {},
                "missing": true
            },
            "required": ["declared_elsewhere"]
        });
        let value = valid(&schema, SUBJECT, 4);
        assert_eq!(value["small"], json!({"c": value["small"]["c"]}));
        assert_eq!(value["tagged"][0], "new");
        assert_eq!(value["bag"].as_object().unwrap().len(), 2);
        assert!(value["maybe"].is_i64() && value["either"]["x"].is_boolean());
        assert!(value.get("declared_elsewhere").is_some());

        let draft7 = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "array",
            "items": [{"type": "string", "format": "email"}, {"type": "number", "minimum": 0, "exclusiveMaximum": 0.5}],
            "additionalItems": false
        });
        valid(&draft7, SUBJECT, 0);
        let draft4 = json!({
            "$schema": "http://json-schema.org/draft-04/schema#",
            "type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 2, "exclusiveMaximum": true
        });
        assert_eq!(valid(&draft4, SUBJECT, 0), 1);
    }

    #[test]
    fn numbers_respect_bounds_and_steps() {
        for seed in 0..200 {
            for schema in [
                json!({"type": "number", "minimum": 0.1, "maximum": 0.3, "multipleOf": 0.1}),
                json!({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}),
                json!({"type": "number", "minimum": 9.99, "maximum": 99.99, "multipleOf": 0.01}),
                json!({"type": "integer", "minimum": -7, "maximum": -3}),
                json!({"type": "integer", "multipleOf": 0.5, "exclusiveMaximum": 4}),
                json!({"type": "integer", "exclusiveMinimum": 10}),
                json!({"type": "number", "maximum": -1000}),
            ] {
                valid(&schema, SUBJECT, seed);
            }
        }
    }

    #[test]
    fn recursion_ends() {
        let value = valid(&tree(), SUBJECT, 1);
        let mut depth = 0;
        let mut node = &value;
        while let Some(child) = node["children"].get(0) {
            node = child;
            depth += 1;
        }
        assert!((1..=3).contains(&depth), "{value:#}");
        let linked = json!({
            "type": "object",
            "properties": {"value": {"type": "integer"}, "next": {"$ref": "#"}},
            "required": ["value"]
        });
        valid(&linked, SUBJECT, 0);
        let alias = json!({"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}});
        answer(&alias, SUBJECT, 0);
        let endless = json!({
            "type": "object",
            "properties": {"next": {"$ref": "#"}},
            "required": ["next"]
        });
        // No finite instance exists; the writer must still return.
        assert!(answer(&endless, SUBJECT, 0).len() < 10_000);
    }

    #[test]
    fn broken_answers_fail_the_schema() {
        for seed in 0..20 {
            for schema in all_schemas() {
                assert_broken(&schema, seed);
            }
            for schema in [
                json!({"type": "string", "maxLength": 10}),
                json!({"type": "array", "minItems": 2}),
                json!({"type": "integer", "maximum": 3}),
                json!({"type": "object"}),
                json!({"type": "string"}),
                json!({}),
            ] {
                assert_broken(&schema, seed);
            }
        }
        let odd = broken_answer(&product_copy(), SUBJECT, 1);
        let value: Value = serde_json::from_str(&odd).expect("odd seeds break JSON, not prose");
        assert!(
            value.get("headline").is_none(),
            "the first required field is dropped: {value}"
        );
    }

    /// Schemas built from the keywords the writer knows, nested a few levels.
    fn schemas() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            (0usize..30, 0usize..30).prop_map(
                |(a, b)| json!({"type": "string", "minLength": a.min(b), "maxLength": a.max(b)})
            ),
            (-50i64..50, 0i64..100).prop_map(
                |(lo, span)| json!({"type": "integer", "minimum": lo, "maximum": lo + span})
            ),
            (-5.0f64..5.0, 0.5f64..10.0).prop_map(
                |(lo, span)| json!({"type": "number", "exclusiveMinimum": lo, "maximum": lo + span})
            ),
            (1i64..6, 0i64..40).prop_map(
                |(step, lo)| json!({"type": "integer", "multipleOf": step, "minimum": lo})
            ),
            prop::collection::vec("[a-z]{1,6}", 1..5).prop_map(|v| json!({"enum": v})),
            Just(json!({"type": "boolean"})),
            Just(json!({"type": ["string", "null"]})),
            Just(json!({"type": "string", "format": "date-time"})),
            Just(json!({"type": "string", "format": "uuid"})),
            Just(json!({"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"})),
        ];
        let tree = leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                (inner.clone(), 0usize..4, 0usize..4).prop_map(|(items, a, b)| json!({
                    "type": "array", "items": items, "minItems": a.min(b), "maxItems": a.max(b)
                })),
                (
                    prop::collection::btree_map("[a-z_]{1,10}", inner.clone(), 1..5),
                    any::<bool>()
                )
                    .prop_map(|(properties, closed)| {
                        let required: Vec<&String> = properties.keys().collect();
                        json!({"type": "object", "properties": properties, "required": required,
                               "additionalProperties": !closed})
                    }),
            ]
        });
        // A reference resolves against the whole document, so the definitions sit at its root.
        prop_oneof![
            tree.clone(),
            tree.prop_map(|schema| json!({
                "type": "object",
                "properties": {"first": {"$ref": "#/$defs/x"}, "more": {"type": "array", "items": {"$ref": "#/$defs/x"}}},
                "$defs": {"x": schema}
            })),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_generated_schema_gets_a_valid_answer(schema in schemas(), seed in any::<u64>()) {
            valid(&schema, SUBJECT, seed);
        }
    }
}
