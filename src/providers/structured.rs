//! What each API's structured output can take of a JSON Schema, decided once per request and
//! without I/O: [`plan`] returns the schema the API's structured-output field is sent
//! ([`Structured::sent`]), a plain-language note of the rules it had to leave out, for the prompt
//! ([`Structured::prompt_note`]), and the list of what could not be sent
//! ([`Structured::unsupported`]), for the caller to tell the user once before a run.
//!
//! Every API takes a subset of JSON Schema, each its own:
//!
//! - **OpenAI** Structured Outputs (`response_format: json_schema`, the "Supported schemas"
//!   section of OpenAI's structured outputs guide) enforces the schema only with `strict: true`,
//!   which rejects a request whose schema leaves the subset: every object closed with
//!   `additionalProperties: false` and listing all its properties in `required`, the root an
//!   object, strings with `pattern`, `format` (nine named formats) and, as the guide's note on
//!   fine-tuned models implies, `minLength` / `maxLength`; numbers with `minimum`, `maximum`,
//!   their exclusive forms and `multipleOf`; arrays with `minItems` / `maxItems`; `anyOf`,
//!   `enum`, `const`, `$defs` and `$ref` (recursion included). Composition keywords (`allOf`,
//!   `not`, `if`/`then`/`else`, `dependent*`) are named unsupported; at most 5,000 properties,
//!   10 levels of nesting and 1,000 enum values. Without `strict` the schema only guides the
//!   model, unsupported keywords and all.
//! - **Anthropic** structured outputs (`output_config.format`, "JSON Schema limitations" in
//!   Anthropic's structured outputs docs) answers an unsupported feature with a 400: no
//!   recursive schemas, no numeric constraints, no `minLength` / `maxLength`, no array
//!   constraint beyond `minItems` 0 or 1, `additionalProperties` only `false`, enums of
//!   primitives, ten named formats, and simple regular expressions only. Its SDKs' own
//!   `transform_schema` moves what is left out into descriptions; this module moves it into the
//!   prompt instead, so the sent schema stays the user's.
//! - **Gemini**'s `responseJsonSchema` (the `GenerationConfig` definition in Google's
//!   generative language API) "may be sent" any JSON Schema but supports only `$id`, `$defs`,
//!   `$ref`, `$anchor`, `type`, `format`, `title`, `description`, `enum` (strings and numbers),
//!   `items`, `prefixItems`, `minItems`, `maxItems`, `minimum`, `maximum`, `anyOf`, `oneOf` (as
//!   `anyOf`), `properties`, `additionalProperties`, `required` and `propertyOrdering`; a `$ref`
//!   may have no sibling but `$`-keywords, and a cycle may only pass through optional
//!   properties.
//!
//! What an API would reject or ignore is taken out of the copy it is sent and described in the
//! prompt; the answer is still checked against the user's whole schema by the task's own
//! validation. A schema an API cannot take at all without changing its meaning (a recursive one
//! for Anthropic, a free-form object where objects must be closed, ...) is not sent: the whole
//! schema goes in the prompt (OpenAI: it is sent with `strict: false`, as a guide). Annotations
//! an API does not take (`$comment`, `examples`, `default`, ...) are dropped without a word: they
//! constrain nothing.

use std::fmt;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use super::dialect::JsonMode;
use super::protocol::Wire;

/// What a request carries of a schema on one API.
#[derive(Debug, Clone, PartialEq)]
pub struct Structured {
    /// The schema for the API's structured-output field (`json_schema.schema`,
    /// `output_config.format.schema`, `responseJsonSchema`); `None`: the field is not used and
    /// the whole schema is in [`Structured::prompt_note`].
    pub sent: Option<Value>,
    /// OpenAI's `json_schema.strict`: true only when [`Structured::sent`] meets strict mode's
    /// rules. Always false on the other wires, which have no such switch.
    pub strict: bool,
    /// Text for the system prompt: the rules left out of `sent`, or the whole schema when nothing
    /// is sent.
    pub prompt_note: Option<String>,
    /// What could not be sent as it is, in schema order.
    pub unsupported: Vec<Unsupported>,
}

/// One keyword an API could not take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// The JSON Schema keyword (`maxLength`), or `json_schema` when the API takes no schema.
    pub keyword: String,
    /// The keyword's JSON Pointer in the user's schema (`/properties/headline/maxLength`); empty
    /// for the whole schema.
    pub path: String,
    /// What happens instead.
    pub reason: String,
}

impl Unsupported {
    /// The JSON Pointer of the subschema that holds the keyword (`/properties/headline`).
    pub fn location(&self) -> &str {
        match self.path.rfind('/') {
            Some(cut) => &self.path[..cut],
            None => "",
        }
    }
}

/// "`maxLength` at /properties/headline: it goes in the prompt and the answer is validated",
/// for a line that starts with the provider's name and "cannot take".
impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = match self.location() {
            "" => "the root",
            location => location,
        };
        write!(f, "`{}` at {at}: {}", self.keyword, self.reason)
    }
}

/// The system-prompt text that asks for `schema` when no structured-output field carries it.
pub fn schema_instruction(schema: &Value) -> String {
    format!("Answer with a single JSON object that matches this JSON Schema:\n{schema}")
}

/// `system` with `note` appended as a paragraph of its own.
pub(crate) fn with_note(system: &str, note: Option<&str>) -> String {
    match note {
        None => system.to_string(),
        Some(note) if system.is_empty() => note.to_string(),
        Some(note) => format!("{system}\n\n{note}"),
    }
}

/// A request's system text with its schema note, ready to send: one JSON string, escaped once per
/// thread while requests keep carrying the same text. Escaping a system prompt that holds a schema
/// for every request cost more than the rest of the request body.
#[derive(Clone)]
pub(crate) struct SystemText(Arc<serde_json::value::RawValue>);

impl SystemText {
    pub(crate) fn is_empty(&self) -> bool {
        self.0.get() == "\"\""
    }
}

impl serde::Serialize for SystemText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// `system` with `note` appended (see [`with_note`]), as a [`SystemText`].
pub(crate) fn system_text(system: &str, note: Option<&str>) -> SystemText {
    /// A run sends a system text per task or draft stage; a few cover them all.
    const KEPT: usize = 8;
    type Escaped = (String, Option<String>, SystemText);
    thread_local! {
        static ESCAPED: std::cell::RefCell<Vec<Escaped>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    ESCAPED.with_borrow_mut(|escaped| {
        let hit = escaped
            .iter()
            .find(|(text, with, _)| text == system && with.as_deref() == note);
        if let Some((.., known)) = hit {
            return known.clone();
        }
        let json = serde_json::to_string(&with_note(system, note)).expect("a string serializes");
        let fresh = SystemText(Arc::from(
            serde_json::value::RawValue::from_string(json).expect("a JSON string is JSON"),
        ));
        if escaped.len() >= KEPT {
            escaped.remove(0);
        }
        escaped.push((system.to_string(), note.map(str::to_string), fresh.clone()));
        fresh
    })
}

/// [`plan`] for a request's schema, remembered: every request of a run carries the same shared
/// schema, and planning walks and copies it, so each (schema, wire, JSON mode) is planned once.
/// Holding the schema's `Arc` keeps its address from being reused by another while it is here.
pub fn plan_shared(wire: Wire, json: JsonMode, schema: &Arc<Value>) -> Arc<Structured> {
    type Planned = (Arc<Value>, Wire, JsonMode, Arc<Structured>);
    /// A run has one task; a few entries cover tests and tools that plan several.
    const KEPT: usize = 16;
    static CACHE: Mutex<Vec<Planned>> = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let hit = cache
        .iter()
        .find(|(s, w, j, _)| Arc::ptr_eq(s, schema) && *w == wire && *j == json);
    if let Some((.., planned)) = hit {
        return planned.clone();
    }
    let planned = Arc::new(plan(wire, json, schema));
    if cache.len() >= KEPT {
        cache.clear();
    }
    cache.push((schema.clone(), wire, json, planned.clone()));
    planned
}

/// What `wire` is sent of `schema`. `json` is the OpenAI dialect's JSON mode; the Anthropic and
/// Gemini wires ignore it.
pub fn plan(wire: Wire, json: JsonMode, schema: &Value) -> Structured {
    match (wire, json) {
        (Wire::OpenAi, JsonMode::JsonSchema) => openai(schema),
        (Wire::OpenAi, JsonMode::JsonObject) => in_prompt_only(
            schema,
            "this API takes only `response_format: json_object`: the whole schema goes in the \
             system prompt and the answer is validated",
        ),
        (Wire::OpenAi, JsonMode::PromptOnly) => in_prompt_only(
            schema,
            "this API takes no `response_format`: the whole schema goes in the system prompt and \
             the answer is validated",
        ),
        (Wire::Anthropic, _) => constrained(Api::Anthropic, schema),
        (Wire::Gemini, _) => constrained(Api::Gemini, schema),
    }
}

const MOVED: &str = "it goes in the prompt and the answer is validated";

fn in_prompt_only(schema: &Value, reason: &str) -> Structured {
    Structured {
        sent: None,
        strict: false,
        prompt_note: Some(schema_instruction(schema)),
        unsupported: vec![Unsupported {
            keyword: "json_schema".into(),
            path: String::new(),
            reason: reason.into(),
        }],
    }
}

/// OpenAI with `json_schema`: strict with a copy that fits strict mode when one can be made
/// without changing what a valid answer is beyond leaving rules to the prompt; otherwise the
/// user's schema with `strict: false`. Making optional properties required (nullable, as OpenAI
/// suggests) is not done: a `null` where the user's schema wants a string would fail the
/// answer's validation.
fn openai(schema: &Value) -> Structured {
    let document = definitions_as_defs(schema);
    let mut walk = Walk::new(Api::OpenAiStrict, &document);
    let sent = walk.root(&document);
    restore_paths(schema, &mut walk.unsupported);
    restore_paths(schema, &mut walk.blockers);
    if walk.blockers.is_empty() {
        return Structured {
            sent: Some(sent),
            strict: true,
            prompt_note: walk.note(),
            unsupported: walk.unsupported,
        };
    }
    let unsupported = walk
        .blockers
        .into_iter()
        .map(|blocker| Unsupported {
            reason: format!(
                "{}: the schema is sent with `strict: false`, as a guide the model is not held \
                 to, and the answer is validated",
                blocker.reason
            ),
            ..blocker
        })
        .collect();
    Structured {
        sent: Some(schema.clone()),
        strict: false,
        prompt_note: None,
        unsupported,
    }
}

/// Anthropic and Gemini: a copy without what the API rejects or ignores, or nothing when the
/// schema cannot be sent.
fn constrained(api: Api, schema: &Value) -> Structured {
    let document = match api {
        Api::Gemini => definitions_as_defs(schema),
        _ => std::borrow::Cow::Borrowed(schema),
    };
    let mut walk = Walk::new(api, &document);
    for cycle in cycles(&document) {
        let blocked = match api {
            Api::Anthropic => Some("Anthropic takes no recursive schema"),
            Api::Gemini if !cycle.through_optional => {
                Some("Gemini takes a recursive `$ref` only below a property that is not required")
            }
            _ => None,
        };
        if let Some(why) = blocked {
            walk.blockers.push(Unsupported {
                keyword: "$ref".into(),
                path: cycle.ref_path,
                reason: why.into(),
            });
        }
    }
    let sent = walk.root(&document);
    restore_paths(schema, &mut walk.unsupported);
    restore_paths(schema, &mut walk.blockers);
    if walk.blockers.is_empty() {
        return Structured {
            sent: Some(sent),
            strict: false,
            prompt_note: walk.note(),
            unsupported: walk.unsupported,
        };
    }
    let unsupported = walk
        .blockers
        .into_iter()
        .map(|blocker| Unsupported {
            reason: format!(
                "{}: the whole schema goes in the prompt and the answer is validated",
                blocker.reason
            ),
            ..blocker
        })
        .collect();
    Structured {
        sent: None,
        strict: false,
        prompt_note: Some(schema_instruction(schema)),
        unsupported,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    OpenAiStrict,
    Anthropic,
    Gemini,
}

impl Api {
    fn name(self) -> &'static str {
        match self {
            Api::OpenAiStrict => "OpenAI's strict mode",
            Api::Anthropic => "Anthropic",
            Api::Gemini => "Gemini",
        }
    }

    /// Whether every object must be closed (`additionalProperties: false`).
    fn closes_objects(self) -> bool {
        matches!(self, Api::OpenAiStrict | Api::Anthropic)
    }
}

/// The string formats OpenAI's guide lists for strict mode.
const OPENAI_FORMATS: [&str; 9] = [
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
];

/// The string formats Anthropic's docs list (its SDK's `SupportedStringFormats` too).
const ANTHROPIC_FORMATS: [&str; 10] = [
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "uri",
    "ipv4",
    "ipv6",
    "uuid",
];

/// OpenAI's published limits on a strict schema.
const OPENAI_MAX_PROPERTIES: usize = 5_000;
const OPENAI_MAX_DEPTH: usize = 10;
const OPENAI_MAX_ENUM_VALUES: usize = 1_000;
const OPENAI_MAX_STRING_CHARS: usize = 120_000;
const OPENAI_LARGE_ENUM: usize = 250;
const OPENAI_LARGE_ENUM_CHARS: usize = 15_000;

/// The largest `{n,m}` bound counted as one of the "simple `{n,m}` cases" Anthropic's docs
/// accept; they give no number, so this is a guess on the low side.
const ANTHROPIC_MAX_REPEAT: u64 = 50;

/// Annotations no API needs: dropped wherever an API is not known to take them.
const ANNOTATIONS: [&str; 9] = [
    "$comment",
    "$schema",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "contentMediaType",
    "contentEncoding",
    "contentSchema",
];

/// One pass over a schema for one API, building the copy it is sent.
struct Walk<'a> {
    api: Api,
    document: &'a Value,
    /// Keywords moved to the prompt, by the JSON Pointer of their subschema, in schema order.
    moved: Vec<(String, Vec<(String, Value)>)>,
    unsupported: Vec<Unsupported>,
    /// What keeps the schema from being sent at all (OpenAI: from being strict).
    blockers: Vec<Unsupported>,
    properties: usize,
    enum_values: usize,
    string_chars: usize,
    too_deep: bool,
}

impl<'a> Walk<'a> {
    fn new(api: Api, document: &'a Value) -> Self {
        Walk {
            api,
            document,
            moved: Vec::new(),
            unsupported: Vec::new(),
            blockers: Vec::new(),
            properties: 0,
            enum_values: 0,
            string_chars: 0,
            too_deep: false,
        }
    }

    fn root(&mut self, schema: &Value) -> Value {
        let sent = self.schema(schema, "", 1);
        if self.api == Api::OpenAiStrict {
            let object = schema.as_object();
            if object.is_none_or(|map| !is_object_schema(map)) {
                self.block("", "type", "the root is not an object schema".into());
            } else if object.is_some_and(|map| map.contains_key("anyOf")) {
                self.block("", "anyOf", "the root is an `anyOf`".into());
            }
            if self.properties > OPENAI_MAX_PROPERTIES {
                self.block(
                    "",
                    "properties",
                    format!("more than {OPENAI_MAX_PROPERTIES} properties in all"),
                );
            }
            if self.too_deep {
                self.block(
                    "",
                    "properties",
                    format!("more than {OPENAI_MAX_DEPTH} levels of nesting"),
                );
            }
            if self.enum_values > OPENAI_MAX_ENUM_VALUES {
                self.block(
                    "",
                    "enum",
                    format!("more than {OPENAI_MAX_ENUM_VALUES} enum values in all"),
                );
            }
            if self.string_chars > OPENAI_MAX_STRING_CHARS {
                self.block(
                    "",
                    "properties",
                    format!(
                        "names, enum and const values longer than {OPENAI_MAX_STRING_CHARS} \
                         characters in all"
                    ),
                );
            }
        }
        sent
    }

    fn block(&mut self, at: &str, keyword: &str, reason: String) {
        self.blockers.push(Unsupported {
            keyword: keyword.into(),
            path: pointer(at, keyword),
            reason,
        });
    }

    fn report(&mut self, at: &str, keyword: &str, reason: impl Into<String>) {
        self.unsupported.push(Unsupported {
            keyword: keyword.into(),
            path: pointer(at, keyword),
            reason: reason.into(),
        });
    }

    /// Takes `keyword` out of the copy: described in the prompt, and reported.
    fn move_out(&mut self, at: &str, keyword: &str, value: &Value) {
        self.report(at, keyword, MOVED);
        self.describe(at, keyword, value);
    }

    /// Describes `keyword` in the prompt without reporting it (it was reported otherwise).
    fn describe(&mut self, at: &str, keyword: &str, value: &Value) {
        let entry = (keyword.to_string(), value.clone());
        match self.moved.iter_mut().find(|(location, _)| location == at) {
            Some((_, keywords)) => keywords.push(entry),
            None => self.moved.push((at.to_string(), vec![entry])),
        }
    }

    fn unknown(&mut self, at: &str, keyword: &str) {
        let reason = format!(
            "{} does not take this keyword, so it is dropped",
            self.api.name()
        );
        self.report(at, keyword, reason);
    }

    /// The copy of one subschema at JSON Pointer `at`, `depth` levels below the root.
    fn schema(&mut self, value: &Value, at: &str, depth: usize) -> Value {
        if depth > OPENAI_MAX_DEPTH {
            self.too_deep = true;
        }
        let map = match value {
            Value::Object(map) => map,
            Value::Bool(_) if self.api != Api::Gemini => {
                self.block(
                    at,
                    "type",
                    format!("{} takes no `true` / `false` schema", self.api.name()),
                );
                return value.clone();
            }
            _ => return value.clone(),
        };
        if map.contains_key("$ref") {
            return self.reference(map, at, depth);
        }
        let object = is_object_schema(map);
        let shaped = map
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|properties| !properties.is_empty());
        let mut out = Map::new();
        for (key, v) in map {
            self.keyword(map, key, v, at, depth, &mut out);
        }
        if self.api.closes_objects() && object {
            match map.get("additionalProperties") {
                Some(Value::Bool(false)) => {}
                _ if map.contains_key("patternProperties") => {}
                _ if !shaped => self.block(
                    at,
                    "additionalProperties",
                    format!(
                        "{} takes no object without `properties` that may hold any key",
                        self.api.name()
                    ),
                ),
                None => {
                    out.insert("additionalProperties".into(), Value::Bool(false));
                }
                Some(_) => {}
            }
        }
        if self.api == Api::OpenAiStrict {
            self.strict_checks(map, &out, at, shaped);
        }
        if self.api != Api::Gemini && !has_type(&out) && object {
            // Narrower than the user's schema (which also let non-objects through), so every
            // answer it allows still passes the user's.
            out.insert("type".into(), Value::from("object"));
        }
        if self.api != Api::Gemini && !has_type(&out) {
            self.block(
                at,
                "type",
                format!(
                    "{} needs a `type`, `enum`, `const`, `anyOf` or `$ref` here",
                    self.api.name()
                ),
            );
        }
        Value::Object(out)
    }

    /// What strict mode needs of every subschema beyond its keywords.
    fn strict_checks(
        &mut self,
        map: &Map<String, Value>,
        out: &Map<String, Value>,
        at: &str,
        shaped: bool,
    ) {
        if shaped {
            let required: Vec<&str> = map
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let optional: Vec<String> = map["properties"]
                .as_object()
                .into_iter()
                .flat_map(|properties| properties.keys())
                .filter(|name| !required.contains(&name.as_str()))
                .map(|name| format!("`{name}`"))
                .collect();
            if !optional.is_empty() {
                self.block(
                    at,
                    "required",
                    format!(
                        "strict mode needs every property required, and {} is not",
                        optional.join(", ")
                    ),
                );
            }
        }
        if is_type(map, "array") && !out.contains_key("items") && !map.contains_key("prefixItems") {
            self.block(at, "items", "strict mode needs the items' schema".into());
        }
    }

    /// One keyword of an object schema without `$ref`.
    fn keyword(
        &mut self,
        map: &Map<String, Value>,
        key: &str,
        v: &Value,
        at: &str,
        depth: usize,
        out: &mut Map<String, Value>,
    ) {
        let api = self.api;
        let here = pointer(at, key);
        let keep = |out: &mut Map<String, Value>| {
            out.insert(key.to_string(), v.clone());
        };
        match key {
            "type" | "title" | "description" | "required" => keep(out),
            _ if ANNOTATIONS.contains(&key) => {}
            "$id" | "$anchor" if api == Api::Gemini => keep(out),
            "$id" | "$anchor" => {}
            "default" if api == Api::Anthropic => keep(out),
            "default" => {}
            "propertyOrdering" if api == Api::Gemini => keep(out),
            "enum" => self.enumeration(v, at, out),
            "const" => match api {
                Api::Gemini if !map.contains_key("enum") && (v.is_string() || v.is_number()) => {
                    out.insert("enum".into(), Value::Array(vec![v.clone()]));
                }
                Api::Gemini => self.move_out(at, key, v),
                _ => {
                    if let Some(s) = v.as_str() {
                        self.string_chars += s.chars().count();
                    }
                    keep(out)
                }
            },
            "properties" => {
                let Some(properties) = v.as_object() else {
                    return keep(out);
                };
                let mut copy = Map::new();
                for (name, property) in properties {
                    self.properties += 1;
                    self.string_chars += name.chars().count();
                    let path = pointer(&here, name);
                    copy.insert(name.clone(), self.schema(property, &path, depth + 1));
                }
                out.insert(key.into(), Value::Object(copy));
            }
            "additionalProperties" => match v {
                Value::Bool(false) => keep(out),
                _ if api.closes_objects() => {
                    let shaped = map
                        .get("properties")
                        .and_then(Value::as_object)
                        .is_some_and(|p| !p.is_empty());
                    if shaped {
                        out.insert(key.into(), Value::Bool(false));
                        self.report(
                            at,
                            key,
                            format!(
                                "{} needs every object closed, so no key beyond `properties` \
                                 will be produced",
                                api.name()
                            ),
                        );
                    }
                }
                Value::Object(_) => {
                    let copy = self.schema(v, &here, depth + 1);
                    out.insert(key.into(), copy);
                }
                _ => keep(out),
            },
            "patternProperties" => {
                let closed = map.get("additionalProperties") == Some(&Value::Bool(false));
                if api.closes_objects() || closed {
                    self.block(
                        at,
                        key,
                        format!(
                            "{} cannot take `patternProperties`, and an object closed without \
                             them would refuse those keys",
                            api.name()
                        ),
                    );
                } else {
                    self.move_out(at, key, v);
                }
            }
            "items" => match v {
                Value::Array(_) => self.block(
                    at,
                    key,
                    "an array of `items` (a tuple in draft-07 form) is not taken".into(),
                ),
                _ => {
                    let copy = self.schema(v, &here, depth + 1);
                    out.insert(key.into(), copy);
                }
            },
            "prefixItems" => match (api, v) {
                (Api::Gemini, Value::Array(items)) => {
                    let copy = items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| {
                            self.schema(item, &pointer(&here, &i.to_string()), depth + 1)
                        })
                        .collect();
                    out.insert(key.into(), Value::Array(copy));
                }
                _ => self.block(
                    at,
                    key,
                    format!("{} takes no tuple (`prefixItems`)", api.name()),
                ),
            },
            "minItems" => match api {
                Api::Anthropic if !matches!(v.as_u64(), Some(0 | 1)) => {
                    self.describe(at, key, v);
                    if v.as_u64().is_some_and(|n| n > 1) {
                        out.insert(key.into(), Value::from(1));
                        self.report(
                            at,
                            key,
                            "Anthropic takes only 0 or 1: `minItems: 1` is sent, the count goes \
                             in the prompt and the answer is validated",
                        );
                    } else {
                        self.report(at, key, MOVED);
                    }
                }
                _ => keep(out),
            },
            "maxItems" | "minimum" | "maximum" => match api {
                Api::Anthropic => self.move_out(at, key, v),
                _ => keep(out),
            },
            "minLength" | "maxLength" | "multipleOf" => match api {
                Api::OpenAiStrict => keep(out),
                _ => self.move_out(at, key, v),
            },
            "exclusiveMinimum" | "exclusiveMaximum" => match api {
                Api::OpenAiStrict if v.is_number() => keep(out),
                _ => self.move_out(at, key, v),
            },
            "pattern" => match api {
                Api::OpenAiStrict => keep(out),
                Api::Anthropic if v.as_str().is_some_and(simple_regex) => keep(out),
                _ => self.move_out(at, key, v),
            },
            "format" => {
                let name = v.as_str().unwrap_or_default();
                let taken = match api {
                    Api::OpenAiStrict => OPENAI_FORMATS.contains(&name),
                    Api::Anthropic => ANTHROPIC_FORMATS.contains(&name),
                    Api::Gemini => true,
                };
                if taken {
                    keep(out)
                } else {
                    self.move_out(at, key, v)
                }
            }
            "uniqueItems" => {
                if v == &Value::Bool(true) {
                    self.move_out(at, key, v)
                }
            }
            "anyOf" => self.options(key, key, v, at, depth, out),
            "oneOf" => {
                if map.contains_key("anyOf") {
                    self.move_out(at, key, v);
                    return;
                }
                let (sent_as, reason) = match api {
                    Api::Gemini => (
                        "oneOf",
                        "Gemini takes it as `anyOf`: an answer matching more than one option is \
                         caught by validation",
                    ),
                    _ => (
                        "anyOf",
                        "it is sent as `anyOf`: an answer matching more than one option is \
                         caught by validation",
                    ),
                };
                self.report(at, key, reason);
                self.options(key, sent_as, v, at, depth, out);
            }
            "allOf" if api == Api::Anthropic => {
                // Anthropic's docs: "`allOf` with `$ref` not supported"; every $ref can be
                // inlined here since Anthropic takes no recursion anyway.
                let inlined = inline_refs(v, self.document, 0);
                self.options(key, key, &inlined, at, depth, out);
            }
            "$defs" | "definitions" => {
                if key == "definitions" && api != Api::Anthropic {
                    self.block(
                        at,
                        key,
                        format!(
                            "{} takes `$defs`, and `definitions` below the root",
                            api.name()
                        ),
                    );
                }
                let Some(defs) = v.as_object() else {
                    return keep(out);
                };
                let mut copy = Map::new();
                for (name, def) in defs {
                    self.string_chars += name.chars().count();
                    copy.insert(name.clone(), self.schema(def, &pointer(&here, name), 1));
                }
                out.insert(key.into(), Value::Object(copy));
            }
            "allOf"
            | "not"
            | "if"
            | "then"
            | "else"
            | "contains"
            | "minContains"
            | "maxContains"
            | "propertyNames"
            | "dependentRequired"
            | "dependentSchemas"
            | "dependencies"
            | "unevaluatedProperties"
            | "unevaluatedItems"
            | "additionalItems"
            | "minProperties"
            | "maxProperties" => self.move_out(at, key, v),
            _ => self.unknown(at, key),
        }
    }

    /// `enum`, kept where the API takes its values.
    fn enumeration(&mut self, v: &Value, at: &str, out: &mut Map<String, Value>) {
        let Some(values) = v.as_array() else {
            out.insert("enum".into(), v.clone());
            return;
        };
        let taken = match self.api {
            Api::OpenAiStrict => true,
            Api::Anthropic => values
                .iter()
                .all(|value| !value.is_object() && !value.is_array()),
            Api::Gemini => values
                .iter()
                .all(|value| value.is_string() || value.is_number()),
        };
        if !taken {
            return self.move_out(at, "enum", v);
        }
        self.enum_values += values.len();
        let chars: usize = values
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.chars().count())
            .sum();
        self.string_chars += chars;
        if self.api == Api::OpenAiStrict
            && values.len() > OPENAI_LARGE_ENUM
            && chars > OPENAI_LARGE_ENUM_CHARS
        {
            self.block(
                at,
                "enum",
                format!(
                    "more than {OPENAI_LARGE_ENUM} values of more than \
                     {OPENAI_LARGE_ENUM_CHARS} characters in all"
                ),
            );
        }
        out.insert("enum".into(), v.clone());
    }

    /// `anyOf` and its kin: each option walked, sent under `sent_as`.
    fn options(
        &mut self,
        key: &str,
        sent_as: &str,
        v: &Value,
        at: &str,
        depth: usize,
        out: &mut Map<String, Value>,
    ) {
        let Some(options) = v.as_array() else {
            out.insert(sent_as.into(), v.clone());
            return;
        };
        let here = pointer(at, key);
        let copy = options
            .iter()
            .enumerate()
            .map(|(i, option)| self.schema(option, &pointer(&here, &i.to_string()), depth))
            .collect();
        out.insert(sent_as.into(), Value::Array(copy));
    }

    /// A subschema with `$ref`: only `$`-keywords may stand beside it on Gemini, and OpenAI's and
    /// Anthropic's SDKs resolve or drop its siblings too, so every API gets the bare reference
    /// (and `$defs`); the siblings' rules go in the prompt.
    fn reference(&mut self, map: &Map<String, Value>, at: &str, depth: usize) -> Value {
        let reference = map.get("$ref");
        let target = reference.and_then(Value::as_str).unwrap_or_default();
        if resolve(self.document, target).is_none() {
            self.block(
                at,
                "$ref",
                format!("`{target}` is not a reference inside this schema"),
            );
        }
        let mut out = Map::new();
        for (key, v) in map {
            match key.as_str() {
                "$ref" => {
                    out.insert(key.clone(), v.clone());
                }
                "$defs" | "definitions" => self.keyword(map, key, v, at, depth, &mut out),
                "$id" | "$anchor" if self.api == Api::Gemini => {
                    out.insert(key.clone(), v.clone());
                }
                "title" | "$id" | "$anchor" | "default" => {}
                _ if ANNOTATIONS.contains(&key.as_str()) => {}
                "description" => self.describe(at, key, v),
                _ => self.move_out(at, key, v),
            }
        }
        Value::Object(out)
    }

    /// The prompt's list of rules left out of the sent schema.
    fn note(&self) -> Option<String> {
        if self.moved.is_empty() {
            return None;
        }
        let mut note = String::from("The JSON answer must also meet these rules:");
        for (location, keywords) in &self.moved {
            note.push_str(&format!("\n- {}: {}", label(location), describe(keywords)));
        }
        Some(note)
    }
}

/// Whether a subschema describes objects.
fn is_object_schema(map: &Map<String, Value>) -> bool {
    is_type(map, "object")
        || ["properties", "additionalProperties", "patternProperties"]
            .iter()
            .any(|key| map.contains_key(*key))
}

/// Whether `type` is `name` or a list holding it.
fn is_type(map: &Map<String, Value>, name: &str) -> bool {
    match map.get("type") {
        Some(Value::String(t)) => t == name,
        Some(Value::Array(types)) => types.iter().any(|t| t == name),
        _ => false,
    }
}

/// Whether a copy still says what its values are.
fn has_type(map: &Map<String, Value>) -> bool {
    ["type", "enum", "const", "anyOf", "allOf", "$ref"]
        .iter()
        .any(|key| map.contains_key(*key))
}

/// Whether Anthropic's regular-expression subset takes `pattern`: no backreferences, lookaround,
/// word boundaries or `(?` groups other than `(?:`, and no `{n,m}` bound above
/// [`ANTHROPIC_MAX_REPEAT`].
fn simple_regex(pattern: &str) -> bool {
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                let next = chars.get(i + 1).copied().unwrap_or(' ');
                if next.is_ascii_digit() && next != '0' || "bBkpPAzZG".contains(next) {
                    return false;
                }
                i += 2;
                continue;
            }
            '(' if chars.get(i + 1) == Some(&'?') && chars.get(i + 2) != Some(&':') => {
                return false;
            }
            '{' => {
                let end = chars[i..].iter().position(|&c| c == '}').map(|p| i + p);
                if let Some(end) = end {
                    let bounds: String = chars[i + 1..end].iter().collect();
                    let numbers: Vec<&str> = bounds.split(',').collect();
                    let repeat = numbers.len() <= 2
                        && numbers
                            .iter()
                            .all(|n| n.trim().is_empty() || n.trim().parse::<u64>().is_ok());
                    if repeat
                        && numbers
                            .iter()
                            .filter_map(|n| n.trim().parse::<u64>().ok())
                            .any(|n| n > ANTHROPIC_MAX_REPEAT)
                    {
                        return false;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    true
}

/// `base/segment` as a JSON Pointer (RFC 6901 escapes).
fn pointer(base: &str, segment: &str) -> String {
    format!("{base}/{}", segment.replace('~', "~0").replace('/', "~1"))
}

fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// The subschema a local reference names: `#` or `#/…` (a JSON Pointer into the document).
fn resolve<'v>(document: &'v Value, reference: &str) -> Option<&'v Value> {
    let rest = reference.strip_prefix('#')?;
    if rest.is_empty() {
        return Some(document);
    }
    if !rest.starts_with('/') {
        return None;
    }
    document.pointer(rest)
}

/// A copy of `value` with every `$ref` replaced by what it names (siblings kept over it), for
/// APIs that take no `$ref` in some place. Stops at a depth that only a cycle reaches.
fn inline_refs(value: &Value, document: &Value, depth: usize) -> Value {
    match value {
        Value::Object(map) if depth < 32 => {
            if let Some(target) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| resolve(document, r))
            {
                let mut merged = match inline_refs(target, document, depth + 1) {
                    Value::Object(resolved) => resolved,
                    other => return other,
                };
                merged.remove("$defs");
                for (key, v) in map {
                    if key != "$ref" {
                        merged.insert(key.clone(), inline_refs(v, document, depth + 1));
                    }
                }
                return Value::Object(merged);
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), inline_refs(v, document, depth + 1)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| inline_refs(item, document, depth + 1))
                .collect(),
        ),
        _ => value.clone(),
    }
}

/// The schema with a root `definitions` merged into `$defs` and every reference into it
/// rewritten, for the APIs whose definitions name only `$defs`. Unchanged when the two would
/// collide.
fn definitions_as_defs(schema: &Value) -> std::borrow::Cow<'_, Value> {
    let Some(root) = schema.as_object() else {
        return std::borrow::Cow::Borrowed(schema);
    };
    let Some(Value::Object(definitions)) = root.get("definitions") else {
        return std::borrow::Cow::Borrowed(schema);
    };
    let defs = root.get("$defs").and_then(Value::as_object);
    if defs.is_some_and(|defs| definitions.keys().any(|name| defs.contains_key(name))) {
        return std::borrow::Cow::Borrowed(schema);
    }
    let mut merged = defs.cloned().unwrap_or_default();
    merged.extend(definitions.clone());
    let mut copy = Map::new();
    for (key, v) in root {
        match key.as_str() {
            "definitions" if root.contains_key("$defs") => {}
            "definitions" | "$defs" => {
                copy.insert("$defs".into(), Value::Object(merged.clone()));
            }
            _ => {
                copy.insert(key.clone(), v.clone());
            }
        }
    }
    let mut copy = Value::Object(copy);
    rewrite_refs(&mut copy);
    std::borrow::Cow::Owned(copy)
}

/// Paths into a copy made by [`definitions_as_defs`] turned back into paths into the user's
/// schema, which says `definitions`.
fn restore_paths(schema: &Value, unsupported: &mut [Unsupported]) {
    let Some(Value::Object(definitions)) = schema.get("definitions") else {
        return;
    };
    let defs = schema.get("$defs").and_then(Value::as_object);
    for entry in unsupported {
        let segments = segments(&entry.path);
        let renamed = match segments.as_slice() {
            [first, name, ..] if first == "$defs" => {
                definitions.contains_key(name) && !defs.is_some_and(|defs| defs.contains_key(name))
            }
            _ => false,
        };
        if renamed {
            entry.path = format!("/definitions{}", &entry.path["/$defs".len()..]);
        }
    }
}

fn rewrite_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let rewritten = match v.as_str() {
                    Some(r) if key == "$ref" => r
                        .strip_prefix("#/definitions/")
                        .map(|rest| format!("#/$defs/{rest}")),
                    _ => None,
                };
                match rewritten {
                    Some(r) => *v = Value::String(r),
                    None => rewrite_refs(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

/// A `$ref` that leads back to a subschema it is inside of.
#[derive(Debug, Clone, PartialEq)]
struct Cycle {
    /// The `$ref`'s JSON Pointer.
    ref_path: String,
    /// Whether the way round passes a property that is not required, where the answer can stop.
    through_optional: bool,
}

/// Every cycle in `document`, each `$ref` once, found by walking subschemas and following
/// references. The walk gives up after a number of steps only a pathological schema needs.
fn cycles(document: &Value) -> Vec<Cycle> {
    struct Search<'d> {
        document: &'d Value,
        /// The references being followed: target, and optional properties passed before it.
        stack: Vec<(String, usize)>,
        found: Vec<Cycle>,
        steps: usize,
    }
    impl Search<'_> {
        fn visit(&mut self, value: &Value, at: &str, optional: usize) {
            self.steps += 1;
            if self.steps > 20_000 {
                return;
            }
            let Value::Object(map) = value else { return };
            if let Some(target) = map.get("$ref").and_then(Value::as_str) {
                let ref_path = pointer(at, "$ref");
                let key = target.strip_prefix('#').unwrap_or(target).to_string();
                if let Some(&(_, before)) = self.stack.iter().find(|(t, _)| *t == key) {
                    if !self.found.iter().any(|c| c.ref_path == ref_path) {
                        self.found.push(Cycle {
                            ref_path,
                            through_optional: optional > before,
                        });
                    }
                } else if let Some(resolved) = resolve(self.document, target) {
                    // Carry on at the target's own place, so paths stay pointers into the
                    // document.
                    self.stack.push((key.clone(), optional));
                    self.visit(resolved, &key, optional);
                    self.stack.pop();
                }
            }
            let required: Vec<&str> = map
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for (key, v) in map {
                let here = pointer(at, key);
                match key.as_str() {
                    "properties" => {
                        for (name, property) in v.as_object().into_iter().flatten() {
                            let extra = usize::from(!required.contains(&name.as_str()));
                            self.visit(property, &pointer(&here, name), optional + extra);
                        }
                    }
                    "items"
                    | "additionalProperties"
                    | "not"
                    | "if"
                    | "then"
                    | "else"
                    | "contains"
                    | "propertyNames"
                    | "additionalItems" => match v {
                        Value::Array(items) => {
                            for (i, item) in items.iter().enumerate() {
                                self.visit(item, &pointer(&here, &i.to_string()), optional);
                            }
                        }
                        _ => self.visit(v, &here, optional),
                    },
                    "anyOf" | "oneOf" | "allOf" | "prefixItems" => {
                        for (i, item) in v.as_array().into_iter().flatten().enumerate() {
                            self.visit(item, &pointer(&here, &i.to_string()), optional);
                        }
                    }
                    "patternProperties" | "dependentSchemas" => {
                        for (name, item) in v.as_object().into_iter().flatten() {
                            self.visit(item, &pointer(&here, name), optional);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    let mut search = Search {
        document,
        stack: vec![(String::new(), 0)],
        found: Vec::new(),
        steps: 0,
    };
    search.visit(document, "", 0);
    search.found
}

/// A subschema's place in words a model reads: `headline`, `product.name`, `bullets[]`,
/// `text` in each `step`, the answer.
fn label(location: &str) -> String {
    let segments = segments(location);
    let mut name = String::new();
    let mut definition = None;
    let mut options = Vec::new();
    let mut i = 0;
    while i < segments.len() {
        let next = segments.get(i + 1);
        match (segments[i].as_str(), next) {
            ("properties", Some(property)) => {
                if !name.is_empty() {
                    name.push('.');
                }
                name.push_str(property);
                i += 2;
            }
            ("$defs" | "definitions", Some(def)) if i == 0 => {
                definition = Some(def.clone());
                i += 2;
            }
            ("prefixItems", Some(index)) => {
                name.push_str(&format!("[{index}]"));
                i += 2;
            }
            ("anyOf" | "oneOf" | "allOf", Some(index)) => {
                let n = index.parse::<usize>().map_or(0, |n| n + 1);
                options.push(format!("option {n}"));
                i += 2;
            }
            ("items", _) => {
                name.push_str("[]");
                i += 1;
            }
            ("additionalProperties", _) => {
                name.push_str(if name.is_empty() { "*" } else { ".*" });
                i += 1;
            }
            _ => i += 1,
        }
    }
    let mut text = match (name.is_empty(), definition) {
        (true, None) => "the answer".to_string(),
        (false, None) => format!("`{name}`"),
        (true, Some(def)) => format!("each `{def}`"),
        (false, Some(def)) => format!("`{name}` in each `{def}`"),
    };
    if !options.is_empty() {
        text.push_str(&format!(" ({})", options.join(", ")));
    }
    text
}

/// The rules of one subschema in words: "at most 70 characters; matching `^[a-z]+$`".
fn describe(keywords: &[(String, Value)]) -> String {
    let get = |name: &str| {
        keywords
            .iter()
            .find(|(keyword, _)| keyword == name)
            .map(|(_, v)| v)
    };
    let mut parts: Vec<String> = get("description")
        .and_then(Value::as_str)
        .map(str::to_string)
        .into_iter()
        .collect();
    let ranged = |min: &str, max: &str, one: &str, many: &str, parts: &mut Vec<String>| {
        if let Some(text) = range(get(min), get(max), one, many) {
            parts.push(text);
        }
    };
    ranged(
        "minLength",
        "maxLength",
        "character",
        "characters",
        &mut parts,
    );
    ranged("minItems", "maxItems", "item", "items", &mut parts);
    ranged("minProperties", "maxProperties", "key", "keys", &mut parts);
    match (get("minimum"), get("maximum")) {
        (Some(min), Some(max)) => parts.push(format!("between {min} and {max}")),
        (Some(min), None) => parts.push(format!("at least {min}")),
        (None, Some(max)) => parts.push(format!("at most {max}")),
        (None, None) => {}
    }
    for (keyword, v) in keywords {
        let text = match keyword.as_str() {
            "minLength" | "maxLength" | "minItems" | "maxItems" | "minProperties"
            | "maxProperties" | "minimum" | "maximum" | "description" => continue,
            "exclusiveMinimum" if v.is_number() => format!("greater than {v}"),
            "exclusiveMaximum" if v.is_number() => format!("less than {v}"),
            "multipleOf" => format!("a multiple of {v}"),
            "pattern" => match v.as_str() {
                Some(p) => format!("matching the regular expression `{p}`"),
                None => format!("matching the regular expression {v}"),
            },
            "format" => match v.as_str() {
                Some(f) => format!("in `{f}` format"),
                None => format!("in {v} format"),
            },
            "uniqueItems" => "no two items the same".to_string(),
            "enum" => match v.as_array() {
                Some(values) => format!(
                    "one of {}",
                    values
                        .iter()
                        .map(Value::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => format!("one of {v}"),
            },
            "const" => format!("exactly {v}"),
            "dependentRequired" => match v.as_object() {
                Some(rules) => rules
                    .iter()
                    .map(|(name, needs)| {
                        let needs: Vec<String> = needs
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .map(|n| format!("`{n}`"))
                            .collect();
                        format!("if `{name}` is present, so is {}", needs.join(" and "))
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                None => format!("meeting `{{\"{keyword}\": {v}}}`"),
            },
            _ => format!("meeting `{{\"{keyword}\": {v}}}`"),
        };
        parts.push(text);
    }
    parts.join("; ")
}

/// "exactly 3 items", "between 2 and 5 items", "at least 1 item", "at most 70 characters".
fn range(min: Option<&Value>, max: Option<&Value>, one: &str, many: &str) -> Option<String> {
    let unit = |n: &Value| if n.as_f64() == Some(1.0) { one } else { many };
    Some(match (min, max) {
        (Some(min), Some(max)) if min == max => format!("exactly {min} {}", unit(min)),
        (Some(min), Some(max)) => format!("between {min} and {max} {many}"),
        (Some(min), None) => format!("at least {min} {}", unit(min)),
        (None, Some(max)) => format!("at most {max} {}", unit(max)),
        (None, None) => return None,
    })
}

/// Product copy as a user's task would define it: a headline of at most 70 characters, exactly
/// three bullets, a price band from a list, and a nested object. For the adapters' tests.
#[cfg(test)]
pub(crate) fn product_schema() -> Value {
    serde_json::json!({
        "type": "object",
        "properties": {
            "headline": {"type": "string", "maxLength": 70, "description": "the hook"},
            "bullets": {
                "type": "array",
                "items": {"type": "string"},
                "minItems": 3,
                "maxItems": 3
            },
            "price_band": {"type": "string", "enum": ["budget", "mid", "premium"]},
            "details": {
                "type": "object",
                "properties": {
                    "material": {"type": "string"},
                    "care": {"type": "string", "maxLength": 200}
                },
                "required": ["material", "care"],
                "additionalProperties": false
            }
        },
        "required": ["headline", "bullets", "price_band", "details"],
        "additionalProperties": false
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn openai(schema: &Value) -> Structured {
        plan(Wire::OpenAi, JsonMode::JsonSchema, schema)
    }

    fn anthropic(schema: &Value) -> Structured {
        plan(Wire::Anthropic, JsonMode::JsonSchema, schema)
    }

    fn gemini(schema: &Value) -> Structured {
        plan(Wire::Gemini, JsonMode::JsonSchema, schema)
    }

    /// (keyword, path) of each entry, to compare lists without their prose.
    fn places(structured: &Structured) -> Vec<(&str, &str)> {
        structured
            .unsupported
            .iter()
            .map(|u| (u.keyword.as_str(), u.path.as_str()))
            .collect()
    }

    fn product() -> Value {
        product_schema()
    }

    fn seo() -> Value {
        match crate::tasks::seo::shape() {
            crate::providers::OutputShape::Json { schema, .. } => (*schema).clone(),
            crate::providers::OutputShape::Text => unreachable!("seo asks for JSON"),
        }
    }

    #[test]
    fn a_shared_schema_is_planned_once_per_wire() {
        let schema = Arc::new(product());
        let first = plan_shared(Wire::Gemini, JsonMode::JsonSchema, &schema);
        let again = plan_shared(Wire::Gemini, JsonMode::JsonSchema, &schema);
        assert!(Arc::ptr_eq(&first, &again), "planned twice");
        assert_eq!(*first, plan(Wire::Gemini, JsonMode::JsonSchema, &schema));
        let other_wire = plan_shared(Wire::Anthropic, JsonMode::JsonSchema, &schema);
        assert_eq!(
            *other_wire,
            plan(Wire::Anthropic, JsonMode::JsonSchema, &schema)
        );
        // An equal schema in another allocation is planned on its own, and the same.
        let copy = Arc::new(product());
        let planned = plan_shared(Wire::Gemini, JsonMode::JsonSchema, &copy);
        assert!(!Arc::ptr_eq(&first, &planned));
        assert_eq!(*planned, *first);
    }

    #[test]
    fn the_seo_schema_is_strict_on_openai_and_its_limits_go_in_the_prompt_elsewhere() {
        let schema = seo();
        let strict = openai(&schema);
        assert_eq!(strict.sent.as_ref(), Some(&schema));
        assert!(strict.strict);
        assert_eq!(strict.prompt_note, None);
        assert!(strict.unsupported.is_empty(), "{strict:?}");
        for structured in [anthropic(&schema), gemini(&schema)] {
            let sent = structured.sent.as_ref().expect("a schema is sent");
            assert_eq!(sent["required"], schema["required"]);
            assert!(sent["properties"]["title"].get("maxLength").is_none());
            let note = structured.prompt_note.as_deref().unwrap_or_default();
            assert!(
                note.contains("`title`: between 1 and 60 characters"),
                "{note}"
            );
            assert!(!structured.unsupported.is_empty());
        }
    }

    #[test]
    fn product_copy_is_strict_on_openai_unchanged() {
        let schema = product();
        let structured = openai(&schema);
        assert_eq!(structured.sent, Some(schema));
        assert!(structured.strict);
        assert_eq!(structured.prompt_note, None);
        assert!(structured.unsupported.is_empty());
    }

    #[test]
    fn product_copy_on_anthropic_moves_lengths_and_counts_to_the_prompt() {
        let structured = anthropic(&product());
        let sent = structured.sent.clone().unwrap();
        assert_eq!(
            sent["properties"]["headline"],
            json!({"type": "string", "description": "the hook"})
        );
        assert_eq!(
            sent["properties"]["bullets"],
            json!({"type": "array", "items": {"type": "string"}, "minItems": 1})
        );
        assert_eq!(
            sent["properties"]["price_band"],
            product()["properties"]["price_band"]
        );
        assert_eq!(
            sent["properties"]["details"]["properties"]["care"],
            json!({"type": "string"})
        );
        assert_eq!(sent["additionalProperties"], false);
        assert!(!structured.strict);
        assert_eq!(
            structured.prompt_note.as_deref(),
            Some(
                "The JSON answer must also meet these rules:\n\
                 - `headline`: at most 70 characters\n\
                 - `bullets`: exactly 3 items\n\
                 - `details.care`: at most 200 characters"
            )
        );
        assert_eq!(
            places(&structured),
            [
                ("maxLength", "/properties/headline/maxLength"),
                ("minItems", "/properties/bullets/minItems"),
                ("maxItems", "/properties/bullets/maxItems"),
                ("maxLength", "/properties/details/properties/care/maxLength"),
            ]
        );
        assert!(
            structured.unsupported[1]
                .reason
                .contains("`minItems: 1` is sent")
        );
    }

    #[test]
    fn product_copy_on_gemini_moves_only_string_lengths() {
        let structured = gemini(&product());
        let sent = structured.sent.clone().unwrap();
        assert_eq!(
            sent["properties"]["headline"],
            json!({"type": "string", "description": "the hook"})
        );
        assert_eq!(
            sent["properties"]["bullets"],
            product()["properties"]["bullets"]
        );
        assert_eq!(sent["properties"]["details"]["additionalProperties"], false);
        assert_eq!(
            structured.prompt_note.as_deref(),
            Some(
                "The JSON answer must also meet these rules:\n\
                 - `headline`: at most 70 characters\n\
                 - `details.care`: at most 200 characters"
            )
        );
        assert_eq!(
            places(&structured),
            [
                ("maxLength", "/properties/headline/maxLength"),
                ("maxLength", "/properties/details/properties/care/maxLength"),
            ]
        );
        assert_eq!(
            structured.unsupported[0].to_string(),
            "`maxLength` at /properties/headline: it goes in the prompt and the answer is validated"
        );
    }

    #[test]
    fn json_object_and_prompt_only_dialects_carry_the_schema_in_the_prompt() {
        let schema = product();
        for mode in [JsonMode::JsonObject, JsonMode::PromptOnly] {
            let structured = plan(Wire::OpenAi, mode, &schema);
            assert_eq!(structured.sent, None);
            assert!(!structured.strict);
            assert_eq!(
                structured.prompt_note,
                Some(schema_instruction(&schema)),
                "{mode:?}"
            );
            assert_eq!(places(&structured), [("json_schema", "")]);
            assert!(
                structured.unsupported[0]
                    .to_string()
                    .starts_with("`json_schema` at the root: ")
            );
        }
    }

    #[test]
    fn optional_properties_keep_openai_from_strict_mode() {
        let schema = json!({
            "type": "object",
            "properties": {"title": {"type": "string"}, "subtitle": {"type": "string"}},
            "required": ["title"],
            "additionalProperties": false
        });
        let structured = openai(&schema);
        assert_eq!(structured.sent, Some(schema.clone()));
        assert!(!structured.strict);
        assert_eq!(structured.prompt_note, None);
        assert_eq!(places(&structured), [("required", "/required")]);
        let reason = &structured.unsupported[0].reason;
        assert!(reason.contains("`subtitle` is not"), "{reason}");
        assert!(reason.contains("`strict: false`"), "{reason}");
        // Anthropic and Gemini take optional properties.
        assert_eq!(anthropic(&schema).sent, Some(schema.clone()));
        assert_eq!(gemini(&schema).sent, Some(schema));
    }

    #[test]
    fn objects_are_closed_where_the_api_needs_it() {
        let schema = json!({
            "type": "object",
            "properties": {
                "a": {"type": "object", "properties": {"b": {"type": "integer"}}, "required": ["b"]}
            },
            "required": ["a"]
        });
        let closed = json!({
            "type": "object",
            "properties": {
                "a": {"type": "object", "properties": {"b": {"type": "integer"}}, "required": ["b"],
                      "additionalProperties": false}
            },
            "required": ["a"],
            "additionalProperties": false
        });
        let strict = openai(&schema);
        assert_eq!(strict.sent, Some(closed.clone()));
        assert!(strict.strict);
        // Closing an object that named no rule for extra keys loses nothing worth a word.
        assert!(strict.unsupported.is_empty());
        assert_eq!(anthropic(&schema).sent, Some(closed));
        assert_eq!(gemini(&schema).sent, Some(schema));

        let open = json!({
            "type": "object",
            "properties": {"a": {"type": "string"}},
            "required": ["a"],
            "additionalProperties": {"type": "string"}
        });
        for structured in [openai(&open), anthropic(&open)] {
            assert_eq!(
                structured.sent.clone().unwrap()["additionalProperties"],
                false
            );
            assert_eq!(
                places(&structured),
                [("additionalProperties", "/additionalProperties")]
            );
        }
        assert_eq!(gemini(&open).sent, Some(open));
    }

    #[test]
    fn a_free_form_object_is_not_strict_on_openai_and_not_sent_to_anthropic() {
        let schema = json!({
            "type": "object",
            "properties": {"name": {"type": "string"}, "extra": {"type": "object"}},
            "required": ["name", "extra"],
            "additionalProperties": false
        });
        let strict = openai(&schema);
        assert!(!strict.strict);
        assert_eq!(strict.sent, Some(schema.clone()));
        assert_eq!(
            places(&strict),
            [(
                "additionalProperties",
                "/properties/extra/additionalProperties"
            )]
        );
        let claude = anthropic(&schema);
        assert_eq!(claude.sent, None);
        assert_eq!(claude.prompt_note, Some(schema_instruction(&schema)));
        assert!(
            claude.unsupported[0]
                .reason
                .contains("whole schema goes in the prompt")
        );
        assert_eq!(gemini(&schema).sent, Some(schema));
    }

    fn linked_list(next_required: bool) -> Value {
        let required = if next_required {
            json!(["value", "next"])
        } else {
            json!(["value"])
        };
        json!({
            "type": "object",
            "properties": {"head": {"$ref": "#/$defs/node"}},
            "required": ["head"],
            "additionalProperties": false,
            "$defs": {
                "node": {
                    "type": "object",
                    "properties": {
                        "value": {"type": "number"},
                        "next": {"anyOf": [{"$ref": "#/$defs/node"}, {"type": "null"}]}
                    },
                    "required": required,
                    "additionalProperties": false
                }
            }
        })
    }

    #[test]
    fn recursion_is_strict_on_openai_refused_by_anthropic_and_gemini_below_required_properties() {
        let schema = linked_list(true);
        let strict = openai(&schema);
        assert!(strict.strict, "{strict:?}");
        assert_eq!(strict.sent, Some(schema.clone()));

        let claude = anthropic(&schema);
        assert_eq!(claude.sent, None);
        assert_eq!(
            places(&claude),
            [("$ref", "/$defs/node/properties/next/anyOf/0/$ref")]
        );
        assert!(
            claude.unsupported[0]
                .reason
                .starts_with("Anthropic takes no recursive schema")
        );

        let google = gemini(&schema);
        assert_eq!(google.sent, None);
        assert_eq!(places(&google), places(&claude));

        let optional = linked_list(false);
        let google = gemini(&optional);
        assert_eq!(google.sent, Some(optional.clone()));
        assert!(google.unsupported.is_empty());
        assert_eq!(anthropic(&optional).sent, None);
    }

    #[test]
    fn a_self_reference_to_the_root_is_a_cycle() {
        let schema = json!({
            "type": "object",
            "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#"}}},
            "required": ["name", "children"],
            "additionalProperties": false
        });
        assert!(openai(&schema).strict);
        assert_eq!(anthropic(&schema).sent, None);
        assert_eq!(gemini(&schema).sent, None);
        assert_eq!(
            cycles(&schema),
            [Cycle {
                ref_path: "/properties/children/items/$ref".into(),
                through_optional: false
            }]
        );
    }

    #[test]
    fn string_formats_each_api_takes() {
        let schema = |format: &str| {
            json!({"type": "object", "properties": {"link": {"type": "string", "format": format}},
                   "required": ["link"], "additionalProperties": false})
        };
        let uri = schema("uri");
        let strict = openai(&uri);
        assert!(strict.strict);
        assert_eq!(
            strict.sent.clone().unwrap()["properties"]["link"],
            json!({"type": "string"})
        );
        assert_eq!(
            strict.prompt_note.as_deref(),
            Some("The JSON answer must also meet these rules:\n- `link`: in `uri` format")
        );
        assert_eq!(anthropic(&uri).sent, Some(uri.clone()));
        assert_eq!(gemini(&uri).sent, Some(uri));
        let email = schema("email");
        assert_eq!(openai(&email).sent, Some(email.clone()));
        let custom = schema("sku");
        assert!(
            anthropic(&custom)
                .prompt_note
                .unwrap()
                .contains("in `sku` format")
        );
    }

    #[test]
    fn patterns_and_numbers() {
        let schema = json!({
            "type": "object",
            "properties": {
                "slug": {"type": "string", "pattern": "^[a-z0-9-]+$"},
                "code": {"type": "string", "pattern": "^(?!x)\\w{2,3}$"},
                "rating": {"type": "integer", "minimum": 1, "maximum": 5},
                "share": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5}
            },
            "required": ["slug", "code", "rating", "share"],
            "additionalProperties": false
        });
        let strict = openai(&schema);
        assert!(strict.strict);
        assert_eq!(strict.sent, Some(schema.clone()));

        let claude = anthropic(&schema);
        let sent = claude.sent.clone().unwrap();
        assert_eq!(sent["properties"]["slug"], schema["properties"]["slug"]);
        assert_eq!(sent["properties"]["code"], json!({"type": "string"}));
        assert_eq!(sent["properties"]["rating"], json!({"type": "integer"}));
        assert_eq!(
            claude.prompt_note.as_deref(),
            Some(
                "The JSON answer must also meet these rules:\n\
                 - `code`: matching the regular expression `^(?!x)\\w{2,3}$`\n\
                 - `rating`: between 1 and 5\n\
                 - `share`: greater than 0; a multiple of 0.5"
            )
        );

        let google = gemini(&schema);
        let sent = google.sent.clone().unwrap();
        assert_eq!(sent["properties"]["slug"], json!({"type": "string"}));
        assert_eq!(sent["properties"]["rating"], schema["properties"]["rating"]);
        assert_eq!(
            places(&google),
            [
                ("pattern", "/properties/slug/pattern"),
                ("pattern", "/properties/code/pattern"),
                ("exclusiveMinimum", "/properties/share/exclusiveMinimum"),
                ("multipleOf", "/properties/share/multipleOf"),
            ]
        );
    }

    #[test]
    fn simple_regexes_are_told_from_the_rest() {
        for simple in [
            "^[a-z]+$",
            "\\d{3}-\\d{4}",
            "(ab)+c?",
            "^(?:x|y)$",
            "a{1,50}",
            "\\{",
        ] {
            assert!(simple_regex(simple), "{simple}");
        }
        for complex in [
            "(a)\\1",
            "(?=a)",
            "(?<!b)c",
            "\\bword\\b",
            "a{1,1000}",
            "(?i)abc",
            "\\p{L}",
        ] {
            assert!(!simple_regex(complex), "{complex}");
        }
    }

    #[test]
    fn one_of_is_sent_as_any_of_and_said() {
        let schema = json!({
            "type": "object",
            "properties": {"v": {"oneOf": [{"type": "string"}, {"type": "integer"}]}},
            "required": ["v"],
            "additionalProperties": false
        });
        let any_of = json!({"anyOf": [{"type": "string"}, {"type": "integer"}]});
        let strict = openai(&schema);
        assert!(strict.strict);
        assert_eq!(strict.sent.clone().unwrap()["properties"]["v"], any_of);
        assert_eq!(places(&strict), [("oneOf", "/properties/v/oneOf")]);
        assert_eq!(
            anthropic(&schema).sent.clone().unwrap()["properties"]["v"],
            any_of
        );
        let google = gemini(&schema);
        assert_eq!(google.sent, Some(schema));
        assert!(
            google.unsupported[0]
                .reason
                .starts_with("Gemini takes it as `anyOf`")
        );
        assert_eq!(google.prompt_note, None);
    }

    #[test]
    fn enums_and_consts_gemini_cannot_take() {
        let schema = json!({
            "type": "object",
            "properties": {
                "kind": {"const": "review"},
                "size": {"type": ["string", "null"], "enum": ["s", "m", null]},
                "ok": {"type": "boolean", "enum": [true]}
            },
            "required": ["kind", "size", "ok"],
            "additionalProperties": false
        });
        let google = gemini(&schema);
        let sent = google.sent.clone().unwrap();
        assert_eq!(sent["properties"]["kind"], json!({"enum": ["review"]}));
        assert_eq!(
            sent["properties"]["size"],
            json!({"type": ["string", "null"]})
        );
        assert_eq!(
            google.prompt_note.as_deref(),
            Some(
                "The JSON answer must also meet these rules:\n\
                 - `size`: one of \"s\", \"m\", null\n\
                 - `ok`: one of true"
            )
        );
        assert_eq!(anthropic(&schema).sent, Some(schema.clone()));
        assert_eq!(openai(&schema).sent, Some(schema));
    }

    #[test]
    fn a_ref_keeps_no_siblings_and_their_rules_go_in_the_prompt() {
        let schema = json!({
            "type": "object",
            "properties": {
                "name": {"$ref": "#/$defs/text", "description": "the product's name", "maxLength": 40}
            },
            "required": ["name"],
            "additionalProperties": false,
            "$defs": {"text": {"type": "string"}}
        });
        for structured in [openai(&schema), anthropic(&schema), gemini(&schema)] {
            let sent = structured.sent.clone().unwrap();
            assert_eq!(sent["properties"]["name"], json!({"$ref": "#/$defs/text"}));
            assert_eq!(sent["$defs"], schema["$defs"]);
            assert_eq!(
                structured.prompt_note.as_deref(),
                Some(
                    "The JSON answer must also meet these rules:\n\
                     - `name`: the product's name; at most 40 characters"
                )
            );
            assert_eq!(
                places(&structured),
                [("maxLength", "/properties/name/maxLength")]
            );
        }
    }

    #[test]
    fn root_definitions_become_defs_where_only_defs_are_named() {
        let schema = json!({
            "type": "object",
            "properties": {"step": {"$ref": "#/definitions/step"}},
            "required": ["step"],
            "additionalProperties": false,
            "definitions": {
                "step": {"type": "object", "properties": {"text": {"type": "string", "maxLength": 9}},
                         "required": ["text"], "additionalProperties": false}
            }
        });
        let strict = openai(&schema);
        assert!(strict.strict);
        let sent = strict.sent.clone().unwrap();
        assert_eq!(sent["properties"]["step"], json!({"$ref": "#/$defs/step"}));
        assert_eq!(sent["$defs"], schema["definitions"]);
        assert!(sent.get("definitions").is_none());
        let google = gemini(&schema);
        assert_eq!(
            google.prompt_note.as_deref(),
            Some(
                "The JSON answer must also meet these rules:\n- `text` in each `step`: at most 9 characters"
            )
        );
        assert_eq!(
            places(&google),
            [("maxLength", "/definitions/step/properties/text/maxLength")]
        );
        // Anthropic names `definitions` itself.
        let claude = anthropic(&schema);
        assert_eq!(
            claude.sent.clone().unwrap()["properties"]["step"],
            schema["properties"]["step"]
        );
    }

    #[test]
    fn unknown_keywords_and_annotations() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {"t": {"type": "string", "maxLenght": 5, "examples": ["x"], "default": "y"}},
            "required": ["t"],
            "additionalProperties": false
        });
        let strict = openai(&schema);
        assert!(strict.strict);
        assert_eq!(
            strict.sent.clone().unwrap(),
            json!({"type": "object", "properties": {"t": {"type": "string"}},
                   "required": ["t"], "additionalProperties": false})
        );
        assert_eq!(places(&strict), [("maxLenght", "/properties/t/maxLenght")]);
        assert_eq!(strict.prompt_note, None);
        assert!(strict.unsupported[0].reason.contains("it is dropped"));
        // Anthropic's docs name `default` among what it takes.
        let claude = anthropic(&schema);
        assert_eq!(
            claude.sent.clone().unwrap()["properties"]["t"],
            json!({"type": "string", "default": "y"})
        );
    }

    #[test]
    fn what_openai_strict_mode_cannot_take_at_the_root_or_in_size() {
        let array = json!({"type": "array", "items": {"type": "string"}});
        let strict = openai(&array);
        assert!(!strict.strict);
        assert_eq!(strict.sent, Some(array));
        assert_eq!(places(&strict), [("type", "/type")]);

        let mut deep = json!({"type": "string"});
        for _ in 0..11 {
            deep = json!({"type": "object", "properties": {"x": deep}, "required": ["x"],
                          "additionalProperties": false});
        }
        let strict = openai(&deep);
        assert!(!strict.strict);
        assert!(strict.unsupported[0].reason.contains("levels of nesting"));

        let values: Vec<Value> = (0..1001).map(Value::from).collect();
        let many = json!({"type": "object", "properties": {"n": {"type": "integer", "enum": values}},
                          "required": ["n"], "additionalProperties": false});
        let strict = openai(&many);
        assert!(!strict.strict);
        assert_eq!(places(&strict), [("enum", "/enum")]);
    }

    #[test]
    fn composition_strict_mode_cannot_take_and_anthropic_all_of_refs() {
        let schema = json!({
            "type": "object",
            "properties": {"base": {"allOf": [{"$ref": "#/$defs/base"}]}},
            "required": ["base"],
            "additionalProperties": false,
            "$defs": {"base": {"type": "object", "properties": {"id": {"type": "string"}},
                               "required": ["id"], "additionalProperties": false}}
        });
        let strict = openai(&schema);
        assert!(!strict.strict);
        assert_eq!(places(&strict), [("type", "/properties/base/type")]);
        let claude = anthropic(&schema);
        let sent = claude.sent.clone().unwrap();
        assert_eq!(
            sent["properties"]["base"]["allOf"][0],
            schema["$defs"]["base"]
        );
        assert!(claude.unsupported.is_empty());
    }

    #[test]
    fn references_outside_the_schema_are_not_sent() {
        let schema = json!({
            "type": "object",
            "properties": {"a": {"$ref": "https://example.com/a.json"}},
            "required": ["a"],
            "additionalProperties": false
        });
        assert!(!openai(&schema).strict);
        for structured in [anthropic(&schema), gemini(&schema)] {
            assert_eq!(structured.sent, None);
            assert_eq!(places(&structured), [("$ref", "/properties/a/$ref")]);
        }
    }

    #[test]
    fn labels_read_as_places_in_the_answer() {
        assert_eq!(label(""), "the answer");
        assert_eq!(
            label("/properties/product/properties/name"),
            "`product.name`"
        );
        assert_eq!(label("/properties/bullets/items"), "`bullets[]`");
        assert_eq!(label("/$defs/step"), "each `step`");
        assert_eq!(label("/properties/v/anyOf/1"), "`v` (option 2)");
        assert_eq!(label("/properties/a~1b"), "`a/b`");
        assert_eq!(pointer("/properties", "a/b~c"), "/properties/a~1b~0c");
    }

    #[test]
    fn ranges_in_words() {
        let n = Value::from;
        assert_eq!(
            range(Some(&n(3)), Some(&n(3)), "item", "items").unwrap(),
            "exactly 3 items"
        );
        assert_eq!(
            range(Some(&n(1)), None, "item", "items").unwrap(),
            "at least 1 item"
        );
        assert_eq!(
            range(Some(&n(2)), Some(&n(5)), "key", "keys").unwrap(),
            "between 2 and 5 keys"
        );
        assert_eq!(range(None, None, "key", "keys"), None);
        let keywords = vec![
            ("uniqueItems".to_string(), json!(true)),
            ("dependentRequired".to_string(), json!({"a": ["b", "c"]})),
            ("not".to_string(), json!({"type": "null"})),
        ];
        assert_eq!(
            describe(&keywords),
            "no two items the same; if `a` is present, so is `b` and `c`; \
             meeting `{\"not\": {\"type\":\"null\"}}`"
        );
    }

    #[test]
    fn notes_join_the_system_prompt_as_their_own_paragraph() {
        assert_eq!(with_note("Be terse.", None), "Be terse.");
        assert_eq!(with_note("", Some("Rules.")), "Rules.");
        assert_eq!(
            with_note("Be terse.", Some("Rules.")),
            "Be terse.\n\nRules."
        );
    }

    #[test]
    fn a_system_text_is_sent_as_the_json_string_of_the_prompt_and_its_note() {
        let json = |text: &SystemText| serde_json::to_string(text).unwrap();
        let note = r#"Match {"type": "object"}."#;
        let first = system_text("Be \"terse\".", Some(note));
        let again = system_text("Be \"terse\".", Some(note));
        assert_eq!(json(&first), json(&again));
        assert_eq!(
            serde_json::from_str::<String>(&json(&first)).unwrap(),
            with_note("Be \"terse\".", Some(note))
        );
        // Another note, or none, is another text, not the one remembered.
        assert_eq!(
            json(&system_text("Be \"terse\".", None)),
            r#""Be \"terse\".""#
        );
        assert!(system_text("", None).is_empty());
        assert!(!system_text("", Some("Rules.")).is_empty());
    }
}
