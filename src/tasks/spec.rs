//! Tasks as data: a task is a row of one table, `[tasks.NAME]`, with a prompt, a system prompt,
//! and an output (a JSON Schema, or markdown or text with checks). The built-in `seo` and
//! `outline` are rows of `builtin.toml`; a profile's rows add tasks or change a built-in one key
//! by key. [`TaskTable`] is a row as written; [`TaskDef`] is a row resolved and checked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, anyhow, bail};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::providers::reasoning::Reasoning;
use crate::text::{strip_code_fence, word_count};

/// A `[tasks.NAME]` row as a profile (or `builtin.toml`) writes it; every key is optional, so a
/// profile's row can change one key of a built-in task.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskTable {
    pub description: Option<String>,
    pub system: Option<String>,
    /// The user prompt, inline.
    pub prompt: Option<String>,
    /// The user prompt, from a file (relative to the profile's folder).
    pub template: Option<PathBuf>,
    /// A JSON Schema file, or an inline table.
    pub schema: Option<SchemaSource>,
    pub format: Option<TextFormat>,
    /// A text output's result column (default: the task's name).
    pub field: Option<String>,
    pub min_words: Option<u32>,
    pub max_words: Option<u32>,
    pub min_headings: Option<u32>,
    #[serde(default)]
    pub fields: BTreeMap<String, FieldRule>,
    pub answer_tokens: Option<u32>,
    pub typical_output_tokens: Option<u64>,
    /// Read by the profile's reasoning rules (one setting, or a table of draft stages).
    pub reasoning: Option<toml::Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum SchemaSource {
    File(PathBuf),
    Inline(Value),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TextFormat {
    Markdown,
    Text,
}

impl TextFormat {
    pub fn name(self) -> &'static str {
        match self {
            TextFormat::Markdown => "markdown",
            TextFormat::Text => "text",
        }
    }
}

/// `[tasks.NAME.fields.FIELD]`: what to do with a top-level string longer than its `maxLength`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldRule {
    pub on_overflow: Option<OnOverflow>,
    /// Replaces the schema's `maxLength` for this property.
    pub max_length: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnOverflow {
    /// The answer fails validation and the row is asked again, with the reason.
    Retry,
    /// The value is cut at the last word boundary that fits.
    Truncate,
}

/// Where a task's prompt comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum PromptSource {
    Inline { text: String, origin: String },
    File(PathBuf),
}

/// A task, resolved: what it asks and how its answer is checked.
#[derive(Debug)]
pub struct TaskDef {
    pub name: String,
    pub description: String,
    /// `built-in`, or the profile that defines (or changes) it.
    pub origin: String,
    pub system: String,
    pub prompt: PromptSource,
    pub output: Output,
    pub answer_tokens: u32,
    pub typical_output_tokens: u64,
    /// The task's reasoning unless a flag, provider or profile says otherwise.
    pub reasoning: Reasoning,
    /// Which built-in task this is (or changes), for the mock's answers and the subject column.
    pub builtin: Option<Builtin>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    Seo,
    Outline,
    Draft,
}

#[derive(Debug)]
pub enum Output {
    Json(JsonOutput),
    Text(TextOutput),
    /// `draft`: an article, checked by its stages.
    Article,
}

#[derive(Debug)]
pub struct JsonOutput {
    /// The schema's identifier for APIs that want one.
    pub name: String,
    /// As sent and enforced: `fields.*.max_length` applied.
    pub schema: std::sync::Arc<Value>,
    validator: jsonschema::Validator,
    /// The schema's top-level properties, in order: the result columns.
    pub columns: Vec<String>,
    /// Top-level properties cut to their `maxLength` rather than asked again.
    pub truncate: Vec<(String, u64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TextOutput {
    pub format: TextFormat,
    pub field: String,
    pub min_words: Option<u32>,
    pub max_words: Option<u32>,
    pub min_headings: Option<u32>,
}

/// The built-in rows, parsed once.
pub fn builtin_tables() -> &'static BTreeMap<String, TaskTable> {
    static TABLES: OnceLock<BTreeMap<String, TaskTable>> = OnceLock::new();
    TABLES.get_or_init(|| {
        #[derive(Deserialize)]
        struct File {
            tasks: BTreeMap<String, TaskTable>,
        }
        let file: File =
            toml::from_str(include_str!("builtin.toml")).expect("builtin.toml is a valid table");
        file.tasks
    })
}

/// `table` over `base`: every key `table` sets replaces `base`'s; field rules merge by field.
pub fn overlay(base: &TaskTable, table: &TaskTable) -> TaskTable {
    let mut fields = base.fields.clone();
    for (name, rule) in &table.fields {
        let merged = fields.entry(name.clone()).or_default();
        if rule.on_overflow.is_some() {
            merged.on_overflow = rule.on_overflow;
        }
        if rule.max_length.is_some() {
            merged.max_length = rule.max_length;
        }
    }
    // A prompt replaces a template and the other way round; a schema replaces a text format.
    let (prompt, template) = match (&table.prompt, &table.template) {
        (None, None) => (base.prompt.clone(), base.template.clone()),
        _ => (table.prompt.clone(), table.template.clone()),
    };
    let (schema, format) = match (&table.schema, &table.format) {
        (None, None) => (base.schema.clone(), base.format),
        _ => (table.schema.clone(), table.format),
    };
    TaskTable {
        description: table
            .description
            .clone()
            .or_else(|| base.description.clone()),
        system: table.system.clone().or_else(|| base.system.clone()),
        prompt,
        template,
        schema,
        format,
        field: table.field.clone().or_else(|| base.field.clone()),
        min_words: table.min_words.or(base.min_words),
        max_words: table.max_words.or(base.max_words),
        min_headings: table.min_headings.or(base.min_headings),
        fields,
        answer_tokens: table.answer_tokens.or(base.answer_tokens),
        typical_output_tokens: table.typical_output_tokens.or(base.typical_output_tokens),
        reasoning: table.reasoning.clone().or_else(|| base.reasoning.clone()),
    }
}

/// Output budgets for a task that names none: room for a JSON object of a few fields, or for a
/// page of text.
const DEFAULT_JSON_ANSWER_TOKENS: u32 = 1_000;
const DEFAULT_TEXT_ANSWER_TOKENS: u32 = 2_000;

impl TaskDef {
    /// Resolves a row. `origin` names where it was written (`profile `p.toml`, line 12`), `dir`
    /// is the folder its file paths are relative to.
    pub fn resolve(
        name: &str,
        table: &TaskTable,
        origin: &str,
        dir: &Path,
        builtin: Option<Builtin>,
    ) -> anyhow::Result<TaskDef> {
        let within = |e: anyhow::Error| anyhow!("{origin}: task `{name}`: {e:#}");
        let prompt = match (&table.prompt, &table.template) {
            (Some(_), Some(_)) => {
                return Err(within(anyhow!(
                    "has both `prompt` and `template`; keep one"
                )));
            }
            (Some(text), None) => PromptSource::Inline {
                text: text.clone(),
                origin: format!("the prompt of task `{name}` ({origin})"),
            },
            (None, Some(path)) => {
                let path = dir.join(path);
                if !path.is_file() {
                    return Err(within(anyhow!(
                        "its template `{}` is not a file",
                        path.display()
                    )));
                }
                PromptSource::File(path)
            }
            (None, None) => {
                return Err(within(anyhow!(
                    "has no `prompt` or `template`; give the user prompt inline (`prompt = \"…\"`) \
                     or as a minijinja file (`template = \"FILE\"`)"
                )));
            }
        };
        let output = match (&table.schema, table.format) {
            (Some(_), Some(_)) => {
                return Err(within(anyhow!(
                    "has both `schema` and `format`; a JSON answer has a schema, a text answer a \
                     format"
                )));
            }
            (Some(source), None) => {
                if table.min_words.is_some()
                    || table.max_words.is_some()
                    || table.min_headings.is_some()
                {
                    return Err(within(anyhow!(
                        "min_words, max_words and min_headings check text answers; a schema's \
                         own keywords (maxLength, minItems…) check JSON ones"
                    )));
                }
                let schema = load_schema(source, dir).map_err(within)?;
                Output::Json(JsonOutput::new(name, schema, &table.fields).map_err(within)?)
            }
            (None, Some(format)) => {
                if !table.fields.is_empty() {
                    return Err(within(anyhow!(
                        "`fields` rules apply to a schema's properties; this task answers {}",
                        format.name()
                    )));
                }
                if let (Some(min), Some(max)) = (table.min_words, table.max_words) {
                    if min > max {
                        return Err(within(anyhow!(
                            "min_words ({min}) is above max_words ({max})"
                        )));
                    }
                }
                Output::Text(TextOutput {
                    format,
                    field: table.field.clone().unwrap_or_else(|| name.to_string()),
                    min_words: table.min_words,
                    max_words: table.max_words,
                    min_headings: table.min_headings,
                })
            }
            (None, None) => {
                return Err(within(anyhow!(
                    "has no output: give a JSON Schema (`schema = \"FILE\"` or a \
                     `[tasks.{name}.schema]` table) or `format = \"markdown\"` or `\"text\"`"
                )));
            }
        };
        let answer_tokens = table.answer_tokens.unwrap_or(match &output {
            Output::Text(_) => DEFAULT_TEXT_ANSWER_TOKENS,
            _ => DEFAULT_JSON_ANSWER_TOKENS,
        });
        if answer_tokens == 0 {
            return Err(within(anyhow!("answer_tokens must be at least 1")));
        }
        let typical_output_tokens = table
            .typical_output_tokens
            .unwrap_or_else(|| typical_tokens(&output, answer_tokens));
        let reasoning = match &table.reasoning {
            Some(toml::Value::String(text)) => Reasoning::parse(text).ok_or_else(|| {
                within(anyhow!(
                    "reasoning `{text}` is not a setting; use off, low, medium or high"
                ))
            })?,
            Some(_) => {
                return Err(within(anyhow!(
                    "reasoning is one setting (off, low, medium or high); a table of stages is \
                     for `[tasks.draft]`"
                )));
            }
            None => Reasoning::Off,
        };
        Ok(TaskDef {
            name: name.to_string(),
            description: table.description.clone().unwrap_or_default(),
            origin: origin.to_string(),
            system: table.system.clone().unwrap_or_default(),
            prompt,
            output,
            answer_tokens,
            typical_output_tokens,
            reasoning,
            builtin,
        })
    }

    /// The fields this task adds to a result line, in output order.
    pub fn columns(&self) -> Vec<String> {
        match &self.output {
            Output::Json(json) => json.columns.clone(),
            Output::Text(text) => vec![text.field.clone()],
            // `draft`'s fields are its pipeline's (`Task::output_fields`).
            Output::Article => Vec::new(),
        }
    }

    /// Checks an answer and extracts the task's fields; the error says what was wrong in words a
    /// model (asked again with it) and a person (reading the manifest) both understand.
    pub fn validate(&self, text: &str) -> Result<Map<String, Value>, String> {
        match &self.output {
            Output::Json(json) => json.validate(text),
            Output::Text(checks) => checks.validate(text),
            // Checked by its stages (`Task::validate`).
            Output::Article => Err("a draft is checked by its stages".into()),
        }
    }
}

/// An answer's usual size before anything is measured: a third of its budget for JSON, half for
/// text (budgets are set generously above the usual answer).
fn typical_tokens(output: &Output, answer_tokens: u32) -> u64 {
    match output {
        Output::Text(text) => {
            text.max_words
                .or(text.min_words)
                .map_or(u64::from(answer_tokens) / 2, |words| {
                    // About four tokens for three words of English.
                    u64::from(words) * 4 / 3
                })
        }
        _ => u64::from(answer_tokens) / 3,
    }
}

fn load_schema(source: &SchemaSource, dir: &Path) -> anyhow::Result<Value> {
    match source {
        SchemaSource::Inline(value) => Ok(value.clone()),
        SchemaSource::File(path) => {
            let path = dir.join(path);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read the schema `{}`", path.display()))?;
            serde_json::from_str(&text).map_err(|e| {
                anyhow!(
                    "the schema `{}`:{}:{}: not JSON: {e}",
                    path.display(),
                    e.line(),
                    e.column()
                )
            })
        }
    }
}

impl JsonOutput {
    fn new(
        task: &str,
        mut schema: Value,
        rules: &BTreeMap<String, FieldRule>,
    ) -> anyhow::Result<JsonOutput> {
        let Some(object) = schema.as_object_mut() else {
            bail!("its schema is not a JSON object");
        };
        if object.get("type").and_then(Value::as_str) != Some("object") {
            bail!(
                "its schema must describe an object (`type = \"object\"`): the object's \
                 properties are the result columns"
            );
        }
        let properties = object
            .get_mut("properties")
            .and_then(Value::as_object_mut)
            .ok_or_else(|| {
                anyhow!("its schema has no `properties`: they are the result columns")
            })?;
        let mut truncate = Vec::new();
        for (field, rule) in rules {
            let Some(property) = properties.get_mut(field).and_then(Value::as_object_mut) else {
                let known: Vec<&String> = properties.keys().collect();
                bail!(
                    "`fields.{field}`: the schema has no property `{field}` (its properties: {})",
                    join(&known)
                );
            };
            if let Some(max) = rule.max_length {
                property.insert("maxLength".into(), max.into());
            }
            if rule.on_overflow == Some(OnOverflow::Truncate) {
                let max = property.get("maxLength").and_then(Value::as_u64).ok_or_else(|| {
                    anyhow!(
                        "`fields.{field}`: on_overflow = \"truncate\" needs a maxLength (in the \
                         schema, or `max_length` here)"
                    )
                })?;
                truncate.push((field.clone(), max));
            }
        }
        let columns: Vec<String> = properties.keys().cloned().collect();
        jsonschema::meta::validate(&schema).map_err(|e| {
            anyhow!(
                "its schema is not a valid JSON Schema: {e} (at {})",
                e.instance_path()
            )
        })?;
        let validator = jsonschema::validator_for(&schema)
            .map_err(|e| anyhow!("its schema cannot be used: {e}"))?;
        Ok(JsonOutput {
            name: task.to_string(),
            schema: std::sync::Arc::new(schema),
            validator,
            columns,
            truncate,
        })
    }

    fn validate(&self, text: &str) -> Result<Map<String, Value>, String> {
        let body = strip_code_fence(text);
        let value: Value = serde_json::from_str(body)
            .map_err(|e| format!("answer is not JSON ({e}): {}", preview(body)))?;
        let Value::Object(mut object) = value else {
            return Err(format!(
                "answer is JSON but not an object: {}",
                preview(body)
            ));
        };
        // Fields the schema does not name are not columns: they are dropped, not refused.
        object.retain(|key, _| self.columns.contains(key));
        for value in object.values_mut() {
            if let Value::String(text) = value {
                let trimmed = text.trim();
                if trimmed.len() != text.len() {
                    *text = trimmed.to_string();
                }
            }
        }
        for (field, max) in &self.truncate {
            if let Some(Value::String(text)) = object.get_mut(field) {
                if text.chars().count() as u64 > *max {
                    *text = truncate_at_word(text, *max as usize);
                }
            }
        }
        let instance = Value::Object(object);
        // The quick yes/no first: most answers pass, and only a failure needs its reasons.
        let problems: Vec<String> = if self.validator.is_valid(&instance) {
            Vec::new()
        } else {
            self.validator
                .iter_errors(&instance)
                .take(3)
                .map(|error| describe(&error, &self.schema))
                .collect()
        };
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
        let Value::Object(mut object) = instance else {
            unreachable!("built as an object above")
        };
        Ok(self
            .columns
            .iter()
            .map(|column| (column.clone(), object.remove(column).unwrap_or(Value::Null)))
            .collect())
    }
}

impl TextOutput {
    /// The built-in outline's checks, which `draft`'s outline stage applies too.
    pub fn outline_check() -> TextOutput {
        let table = &builtin_tables()["outline"];
        TextOutput {
            format: TextFormat::Markdown,
            field: "outline".into(),
            min_words: table.min_words,
            max_words: table.max_words,
            min_headings: table.min_headings,
        }
    }

    pub fn validate(&self, text: &str) -> Result<Map<String, Value>, String> {
        let body = strip_code_fence(text);
        if body.is_empty() {
            return Err("the answer is empty".into());
        }
        let words = word_count(body) as u32;
        if let Some(min) = self.min_words {
            if words < min {
                return Err(format!("the answer has {words} words; at least {min}"));
            }
        }
        if let Some(max) = self.max_words {
            if words > max {
                return Err(format!("the answer has {words} words; at most {max}"));
            }
        }
        if let Some(min) = self.min_headings {
            let headings = body
                .lines()
                .filter(|line| line.trim_start().starts_with("## "))
                .count() as u32;
            if headings < min {
                return Err(format!(
                    "the answer has {headings} `##` sections; at least {min} are required"
                ));
            }
        }
        let mut fields = Map::new();
        fields.insert(self.field.clone(), Value::String(body.to_string()));
        Ok(fields)
    }
}

/// A validation error in plain words, naming the field: "`headline` has 74 characters; at most
/// 70".
fn describe(error: &jsonschema::ValidationError<'_>, schema: &Value) -> String {
    use jsonschema::error::ValidationErrorKind as Kind;
    let pointer = error.instance_path().as_str().to_string();
    let field = field_name(&pointer);
    let instance = error.instance();
    let count = |v: &Value| match v {
        Value::String(s) => s.chars().count(),
        Value::Array(a) => a.len(),
        _ => 0,
    };
    match error.kind() {
        Kind::MaxLength { limit } => format!(
            "`{field}` has {} characters; at most {limit}",
            count(instance)
        ),
        Kind::MinLength { .. } if count(instance) == 0 => format!("`{field}` is empty"),
        Kind::MinLength { limit } => format!(
            "`{field}` has {} characters; at least {limit}",
            count(instance)
        ),
        Kind::MaxItems { limit } => {
            format!("`{field}` has {} items; at most {limit}", count(instance))
        }
        Kind::MinItems { limit } => {
            format!("`{field}` has {} items; at least {limit}", count(instance))
        }
        Kind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            if pointer.is_empty() {
                format!("`{name}` is missing")
            } else {
                format!("`{field}.{name}` is missing")
            }
        }
        Kind::Enum { options } => format!(
            "`{field}` is {}; it must be one of {}",
            short(instance),
            options
                .as_array()
                .map(|o| o.iter().map(short).collect::<Vec<_>>().join(", "))
                .unwrap_or_default()
        ),
        Kind::Type { .. } => format!(
            "`{field}` is not {}: {}",
            expected_type(schema, error),
            short(instance)
        ),
        Kind::Pattern { pattern } => {
            let hint = property_schema(schema, &pointer)
                .and_then(|p| p.get("description"))
                .and_then(Value::as_str)
                .map_or_else(String::new, |d| format!(" ({d})"));
            format!(
                "`{field}` is {}, which does not match `{pattern}`{hint}",
                short(instance)
            )
        }
        _ if field.is_empty() => format!("the answer: {error}"),
        _ => format!("`{field}`: {error}"),
    }
}

/// `/bullets/0/text` → `bullets[0].text`.
fn field_name(pointer: &str) -> String {
    let mut name = String::new();
    for part in pointer.split('/').skip(1) {
        let part = part.replace("~1", "/").replace("~0", "~");
        if part.parse::<usize>().is_ok() {
            name.push_str(&format!("[{part}]"));
        } else {
            if !name.is_empty() {
                name.push('.');
            }
            name.push_str(&part);
        }
    }
    name
}

/// The schema of the property at an instance pointer, following `properties` and `items`.
fn property_schema<'a>(schema: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut current = schema;
    for part in pointer.split('/').skip(1) {
        current = if part.parse::<usize>().is_ok() {
            current.get("items")?
        } else {
            current.get("properties")?.get(part)?
        };
    }
    Some(current)
}

fn expected_type(schema: &Value, error: &jsonschema::ValidationError<'_>) -> String {
    let wanted = property_schema(schema, error.instance_path().as_str())
        .and_then(|p| p.get("type"))
        .map(|t| match t {
            Value::String(s) => s.clone(),
            Value::Array(types) => types
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" or "),
            _ => String::new(),
        })
        .unwrap_or_default();
    match wanted.as_str() {
        "" => "of the schema's type".into(),
        "array" | "object" | "integer" => format!("an {wanted}"),
        _ => format!("a {wanted}"),
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

fn preview(text: &str) -> String {
    let flat: String = text.chars().take(80).collect();
    flat.replace('\n', " ")
}

fn join(names: &[&String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `text` cut to at most `max` characters at the last word boundary that fits (mid-word only
/// when its first word alone is longer), without trailing punctuation left dangling.
pub fn truncate_at_word(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let at_boundary = text.chars().nth(max).is_some_and(char::is_whitespace);
    let kept = if at_boundary {
        cut.as_str()
    } else {
        match cut.rfind(char::is_whitespace) {
            Some(space) => &cut[..space],
            None => cut.as_str(),
        }
    };
    kept.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '-'))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn product() -> TaskDef {
        let table: TaskTable = toml::from_str(
            r#"
            prompt = "Copy for {{ name }}"
            [schema]
            type = "object"
            required = ["headline", "bullets", "price_band"]
            [schema.properties.headline]
            type = "string"
            maxLength = 20
            [schema.properties.bullets]
            type = "array"
            items = { type = "string" }
            minItems = 3
            maxItems = 3
            [schema.properties.price_band]
            type = "string"
            enum = ["budget", "mid", "premium"]
            [schema.properties.specs]
            type = "object"
            required = ["weight_g"]
            properties = { weight_g = { type = "integer" } }
            "#,
        )
        .unwrap();
        TaskDef::resolve("product", &table, "test", Path::new("."), None).unwrap()
    }

    #[test]
    fn the_schema_properties_are_the_columns_and_errors_name_the_field() {
        let task = product();
        assert_eq!(
            task.columns(),
            ["headline", "bullets", "price_band", "specs"]
        );
        let good = json!({"headline": "Trail shoe", "bullets": ["a", "b", "c"],
            "price_band": "mid", "specs": {"weight_g": 240}, "extra": 1});
        let fields = task.validate(&good.to_string()).unwrap();
        assert_eq!(fields["bullets"], json!(["a", "b", "c"]));
        assert!(!fields.contains_key("extra"));
        let cases = [
            (
                json!({"headline": "x".repeat(24), "bullets": ["a","b","c"], "price_band": "mid"}),
                "`headline` has 24 characters; at most 20",
            ),
            (
                json!({"headline": "h", "bullets": ["a","b"], "price_band": "mid"}),
                "`bullets` has 2 items; at least 3",
            ),
            (
                json!({"headline": "h", "bullets": ["a","b","c"]}),
                "`price_band` is missing",
            ),
            (
                json!({"headline": "h", "bullets": ["a","b","c"], "price_band": "cheap"}),
                "`price_band` is \"cheap\"; it must be one of \"budget\", \"mid\", \"premium\"",
            ),
            (
                json!({"headline": "h", "bullets": ["a","b","c"], "price_band": "mid",
                "specs": {"weight_g": "heavy"}}),
                "`specs.weight_g` is not an integer",
            ),
            (
                json!({"headline": "h", "bullets": ["a","b","c"], "price_band": "mid",
                "specs": {}}),
                "`specs.weight_g` is missing",
            ),
        ];
        for (answer, expected) in cases {
            let error = task.validate(&answer.to_string()).unwrap_err();
            assert!(error.contains(expected), "{answer}: {error}");
        }
    }

    #[test]
    fn a_truncated_field_is_cut_at_a_word_boundary() {
        assert_eq!(
            truncate_at_word("Light trail shoes for wet days", 20),
            "Light trail shoes"
        );
        assert_eq!(truncate_at_word("Light trail, shoes", 12), "Light trail");
        assert_eq!(truncate_at_word("Supercalifragilistic", 5), "Super");
        let mut table = TaskTable {
            prompt: Some("p".into()),
            schema: Some(SchemaSource::Inline(json!({"type": "object",
                "properties": {"headline": {"type": "string", "maxLength": 20}}}))),
            ..TaskTable::default()
        };
        table.fields.insert(
            "headline".into(),
            FieldRule {
                on_overflow: Some(OnOverflow::Truncate),
                max_length: None,
            },
        );
        let task = TaskDef::resolve("t", &table, "test", Path::new("."), None).unwrap();
        let fields = task
            .validate(r#"{"headline": "Light trail shoes for wet days"}"#)
            .unwrap();
        assert_eq!(fields["headline"], "Light trail shoes");
    }

    #[test]
    fn bad_definitions_say_what_to_do() {
        let resolve = |toml_text: &str| {
            let table: TaskTable = toml::from_str(toml_text).unwrap();
            TaskDef::resolve("t", &table, "p.toml, line 3", Path::new("."), None)
                .unwrap_err()
                .to_string()
        };
        let no_prompt = resolve("format = \"text\"");
        assert!(
            no_prompt.contains("p.toml, line 3: task `t`: has no `prompt` or `template`"),
            "{no_prompt}"
        );
        let no_output = resolve("prompt = \"p\"");
        assert!(no_output.contains("has no output"), "{no_output}");
        let bad = resolve(
            "prompt = \"p\"\n[schema]\ntype = \"object\"\nproperties = { a = { type = \"strin\" } }",
        );
        assert!(bad.contains("not a valid JSON Schema"), "{bad}");
        let rule = resolve(
            "prompt = \"p\"\n[schema]\ntype = \"object\"\nproperties = { a = { type = \"string\" } }\n[fields.b]\non_overflow = \"truncate\"",
        );
        assert!(rule.contains("no property `b`"), "{rule}");
        let truncate = resolve(
            "prompt = \"p\"\n[schema]\ntype = \"object\"\nproperties = { a = { type = \"string\" } }\n[fields.a]\non_overflow = \"truncate\"",
        );
        assert!(truncate.contains("needs a maxLength"), "{truncate}");
    }

    #[test]
    fn text_answers_are_checked_for_words_and_headings() {
        let table: TaskTable =
            toml::from_str("prompt = \"p\"\nformat = \"markdown\"\nmin_words = 5\nmax_words = 12\nmin_headings = 2\nfield = \"intro\"").unwrap();
        let task = TaskDef::resolve("t", &table, "test", Path::new("."), None).unwrap();
        assert_eq!(task.columns(), ["intro"]);
        assert!(
            task.validate("## One\nsome words here\n## Two\nmore")
                .is_ok()
        );
        assert!(
            task.validate("## One\nshort")
                .unwrap_err()
                .contains("at least 5")
        );
        assert!(
            task.validate("## One\na b c d e f g")
                .unwrap_err()
                .contains("1 `##` sections")
        );
    }
}
