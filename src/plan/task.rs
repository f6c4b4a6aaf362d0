//! Which task a run does: a built-in one, a profile's `[tasks.NAME]` row (a new task, or changes
//! to a built-in one), or a one-off from `gen run --schema/--format` flags.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};

use crate::cli::TaskFlags;
use crate::profile::Profile;
use crate::tasks::Task;
use crate::tasks::spec::{SchemaSource, TaskTable};

/// The names a profile can run: the built-in ones and its own rows.
pub fn known(profile: &Profile) -> Vec<String> {
    let mut names: Vec<String> = ["seo", "outline", "draft"].map(String::from).to_vec();
    for name in profile.tasks.rows.keys() {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}

/// The task `name` under `profile`: its row, over the built-in one of that name if any.
pub fn named(name: &str, profile: &Profile) -> anyhow::Result<Task> {
    if name == "draft" {
        return Ok(Task::draft());
    }
    let label = profile
        .source
        .as_ref()
        .map_or_else(|| "the profile".to_string(), |p| p.display().to_string());
    let dir = profile
        .source
        .as_deref()
        .and_then(Path::parent)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let row = profile.tasks.rows.get(name);
    let builtin = matches!(name, "seo" | "outline");
    if row.is_none() && !builtin {
        bail!(
            "gen has no task `{name}`; the tasks are {} (`gen tasks` lists them with their fields; \
             a profile adds one with a `[tasks.{name}]` table)",
            known(profile)
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let origin = match row {
        Some(row) => format!("{label}:{}", row.line),
        None => "built-in".to_string(),
    };
    Task::resolve(name, row.map(|r| &r.table), &origin, &dir)
}

/// `gen run --schema FILE | --format FORMAT …`: a task from flags, paths relative to the current
/// folder. It is named after its schema file (`product.schema.json` → `product`), or `text`
/// (its result column too, unless `--field` names another).
pub fn one_off(flags: &TaskFlags, template: Option<&Path>) -> anyhow::Result<Task> {
    let name = match &flags.schema {
        Some(path) => path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.split('.').next())
            .filter(|n| !n.is_empty())
            .unwrap_or("run")
            .to_string(),
        None => "text".to_string(),
    };
    if matches!(name.as_str(), "seo" | "outline" | "draft") {
        return Err(anyhow!(
            "a one-off task named `{name}` would shadow the built-in one; rename the schema file"
        ));
    }
    let table = TaskTable {
        system: flags.system.clone(),
        prompt: flags.prompt.clone(),
        template: template.map(Path::to_path_buf),
        schema: flags.schema.clone().map(SchemaSource::File),
        format: flags.format,
        field: flags.field.clone(),
        min_words: flags.min_words,
        max_words: flags.max_words,
        min_headings: flags.min_headings,
        answer_tokens: flags.answer_tokens,
        ..TaskTable::default()
    };
    Task::resolve(&name, Some(&table), "the command line", Path::new("."))
}

/// `gen tasks`: every task the profile can run, with its output fields. A row that does not
/// resolve is shown with its error, and the command exits 2 after the list.
pub fn print_list(args: &crate::cli::TasksArgs) -> anyhow::Result<()> {
    let profile = crate::profile::select(args.profile.as_deref(), args.no_profile)?;
    let mut broken = 0;
    let mut out = String::new();
    for name in known(&profile) {
        match named(&name, &profile) {
            Ok(task) => out.push_str(&describe(task)),
            Err(error) => {
                broken += 1;
                out.push_str(&format!("{name}\n  error    {error:#}\n"));
            }
        }
        out.push('\n');
    }
    print!("{out}");
    if broken > 0 {
        bail!("{broken} task(s) of the profile do not resolve (shown above)");
    }
    Ok(())
}

/// A task as `gen tasks` shows it.
pub fn describe(task: Task) -> String {
    use crate::tasks::spec::{Output, PromptSource};
    let def = task.def();
    let mut text = format!("{}  ({})\n", def.name, def.origin);
    if !def.description.is_empty() {
        text.push_str(&format!("  {}\n", def.description));
    }
    let output = match &def.output {
        Output::Json(json) => {
            let properties = json.schema.get("properties").and_then(|p| p.as_object());
            let required: Vec<&str> = json
                .schema
                .get("required")
                .and_then(|r| r.as_array())
                .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
                .unwrap_or_default();
            let fields: Vec<String> = json
                .columns
                .iter()
                .map(|column| {
                    let schema = properties.and_then(|p| p.get(column));
                    let mut line = format!("{column}: {}", schema.map_or_else(String::new, shape));
                    if !required.contains(&column.as_str()) {
                        line.push_str(", optional");
                    }
                    if json.truncate.iter().any(|(f, _)| f == column) {
                        line.push_str(", cut to fit");
                    }
                    line
                })
                .collect();
            format!("  output   a JSON object\n{}", indent(&fields))
        }
        Output::Text(t) => {
            let mut checks = Vec::new();
            if let Some(n) = t.min_words {
                checks.push(format!("at least {n} words"));
            }
            if let Some(n) = t.max_words {
                checks.push(format!("at most {n} words"));
            }
            if let Some(n) = t.min_headings {
                checks.push(format!("at least {n} `##` headings"));
            }
            let checks = if checks.is_empty() {
                String::new()
            } else {
                format!(": {}", checks.join(", "))
            };
            format!("  output   {} in `{}`{checks}\n", t.format.name(), t.field)
        }
        Output::Article => "  output   an article and its stages (`gen draft`)\n".to_string(),
    };
    text.push_str(&output);
    let prompt = match &def.prompt {
        PromptSource::Inline { .. } if task.has_builtin_prompt() => "built-in".to_string(),
        PromptSource::Inline { .. } => "inline".to_string(),
        PromptSource::File(path) => format!("template `{}`", path.display()),
    };
    text.push_str(&format!(
        "  prompt   {prompt}; answer budget {} tokens\n",
        def.answer_tokens
    ));
    text
}

fn indent(lines: &[String]) -> String {
    lines.iter().map(|l| format!("           {l}\n")).collect()
}

/// A property's schema in a few words: `string, at most 70 characters`.
fn shape(schema: &serde_json::Value) -> String {
    let get = |key: &str| schema.get(key);
    let mut parts = Vec::new();
    if let Some(options) = get("enum").and_then(|e| e.as_array()) {
        let options: Vec<String> = options.iter().map(|o| o.to_string()).collect();
        return format!("one of {}", options.join(", "));
    }
    let kind = match get("type") {
        Some(serde_json::Value::String(t)) => t.clone(),
        Some(serde_json::Value::Array(types)) => types
            .iter()
            .filter_map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_string(),
    };
    if kind == "array" {
        let items = get("items").map_or_else(|| "any".to_string(), shape);
        let count = match (get("minItems"), get("maxItems")) {
            (Some(a), Some(b)) if a == b => format!("{a} "),
            (Some(a), Some(b)) => format!("{a} to {b} "),
            (Some(a), None) => format!("at least {a} "),
            (None, Some(b)) => format!("at most {b} "),
            (None, None) => String::new(),
        };
        return format!("array of {count}({items})");
    }
    if kind == "object" {
        let names: Vec<&String> = get("properties")
            .and_then(|p| p.as_object())
            .map(|p| p.keys().collect())
            .unwrap_or_default();
        return format!(
            "object with {}",
            names
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    parts.push(kind);
    match (get("minLength"), get("maxLength")) {
        (Some(a), Some(b)) => parts.push(format!("{a} to {b} characters")),
        (None, Some(b)) => parts.push(format!("at most {b} characters")),
        (Some(a), None) if a != 1 => parts.push(format!("at least {a} characters")),
        _ => {}
    }
    if let Some(pattern) = get("pattern").and_then(|p| p.as_str()) {
        parts.push(format!("matching {pattern}"));
    }
    match (get("minimum"), get("maximum")) {
        (Some(a), Some(b)) => parts.push(format!("{a} to {b}")),
        (Some(a), None) => parts.push(format!("at least {a}")),
        (None, Some(b)) => parts.push(format!("at most {b}")),
        _ => {}
    }
    parts.join(", ")
}
