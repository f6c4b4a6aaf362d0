//! Prompt templates: minijinja over a row's columns, with a check before any request is sent that
//! every column a template needs is in the input.

use std::path::Path;

use anyhow::{Context, bail};
use minijinja::{Environment, UndefinedBehavior, Value as JinjaValue, context};
use serde_json::{Map, Value};

const TEMPLATE_NAME: &str = "prompt";

/// Names a template may use that are not columns: the whole row, its id, and minijinja's globals.
const NON_COLUMN_NAMES: [&str; 13] = [
    "row",
    "id",
    "range",
    "dict",
    "namespace",
    "debug",
    "lipsum",
    "cycler",
    "joiner",
    "loop",
    "self",
    "super",
    "caller",
];

#[derive(Clone)]
pub struct PromptTemplate {
    env: Environment<'static>,
    /// `the built-in seo template` or `template \`path\``, for error messages.
    origin: String,
    /// Columns that must hold text: the built-in templates write about `keyword`, and an empty
    /// one would buy a generic answer about nothing.
    required_text: Vec<String>,
    /// A built-in template's subject: the input column its `keyword` is read from (`Keyword`,
    /// `query`, or what `--subject-column` names) when it is not `keyword` itself.
    subject: Option<String>,
}

/// The column a built-in task writes about: the one `--subject-column` (or the profile's
/// `subject_column`) names, matched exactly or else case-insensitively, or else `keyword` in any
/// case. `None` when the input has none of them; the error names the columns and the flag.
pub fn subject_column(columns: &[String], named: Option<&str>) -> Result<String, String> {
    let find = |wanted: &str| {
        columns
            .iter()
            .find(|c| c.as_str() == wanted)
            .or_else(|| columns.iter().find(|c| c.eq_ignore_ascii_case(wanted)))
            .cloned()
    };
    let present = if columns.is_empty() {
        "(none)".to_string()
    } else {
        columns.join(", ")
    };
    match named {
        Some(name) => find(name).ok_or_else(|| {
            format!(
                "--subject-column `{name}` is not a column of the input\n  columns in the input: \
                 {present}"
            )
        }),
        None => find("keyword").ok_or_else(|| {
            format!(
                "the built-in templates write about a `keyword` column (any case), which the input \
                 lacks\n  columns in the input: {present}\n  name the column to write about with \
                 --subject-column NAME (or `subject_column` in the profile), or pass --template \
                 FILE with a template over these columns"
            )
        }),
    }
}

impl PromptTemplate {
    /// A template given inline; `origin` names it in messages.
    pub fn inline(source: String, origin: String) -> anyhow::Result<Self> {
        Self::new(source, origin)
    }

    /// This built-in template reading its `keyword` from `column`.
    pub fn about(mut self, column: &str) -> Self {
        self.required_text = vec![column.to_string()];
        self.subject = (column != "keyword").then(|| column.to_string());
        self
    }

    /// A built-in template other than a task's own (the draft stages'), named in messages as
    /// `the built-in NAME template`; like every built-in one it needs a non-empty `keyword`.
    pub fn builtin_named(source: &'static str, name: &str) -> Self {
        let mut template = Self::new(source.to_string(), format!("the built-in {name} template"))
            .expect("built-in templates parse");
        template.required_text = vec!["keyword".to_string()];
        template
    }

    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let source = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read template `{}`", path.display()))?;
        Self::new(source, format!("template `{}`", path.display()))
    }

    fn new(source: String, origin: String) -> anyhow::Result<Self> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.add_template_owned(TEMPLATE_NAME, source)
            .map_err(|e| anyhow::anyhow!("{origin}: {}", describe(&e)))?;
        Ok(PromptTemplate {
            env,
            origin,
            required_text: Vec::new(),
            subject: None,
        })
    }

    /// Fails when the template needs a column the input lacks, naming it and the columns present.
    /// A variable the template only uses behind `is defined` is optional and passes.
    pub fn check_columns(&self, columns: &[String]) -> anyhow::Result<()> {
        self.check_columns_with(columns, &[])
    }

    /// Like [`PromptTemplate::check_columns`], for a template that also gets the variables named
    /// in `provided` (a draft stage's earlier outputs and targets).
    pub fn check_columns_with(&self, columns: &[String], provided: &[&str]) -> anyhow::Result<()> {
        let columns: Vec<String> = columns
            .iter()
            .cloned()
            .chain(provided.iter().map(|p| p.to_string()))
            .collect();
        self.check_available(&columns)
    }

    fn check_available(&self, columns: &[String]) -> anyhow::Result<()> {
        let mut columns = columns.to_vec();
        if self.subject.is_some() {
            columns.push("keyword".to_string());
        }
        let columns = &columns[..];
        let template = self.env.get_template(TEMPLATE_NAME)?;
        let mut missing: Vec<String> = template
            .undeclared_variables(false)
            .into_iter()
            .filter(|name| !NON_COLUMN_NAMES.contains(&name.as_str()) && !columns.contains(name))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        missing.sort();
        let sample = |without: Option<&str>| -> Map<String, Value> {
            columns
                .iter()
                .chain(missing.iter())
                .filter(|name| Some(name.as_str()) != without)
                .map(|name| (name.clone(), Value::String("sample".into())))
                .collect()
        };
        // A variable is required when leaving only it out breaks the render; the others are
        // used behind `is defined` and may be absent.
        let required: Vec<&String> = missing
            .iter()
            .filter(|name| self.render("1", &sample(Some(name.as_str()))).is_err())
            .collect();
        if required.is_empty() {
            return Ok(());
        }
        let missing = required;
        let present = if columns.is_empty() {
            "(none)".to_string()
        } else {
            columns.join(", ")
        };
        let names = missing
            .iter()
            .map(|m| format!("`{m}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let noun = if missing.len() == 1 {
            "column"
        } else {
            "columns"
        };
        let remedy = if self.origin.starts_with("the built-in") {
            "rename the input's columns, or pass --template FILE with a template over these columns"
        } else {
            "rename the input's columns, or change the template to use the ones present"
        };
        bail!(
            "{} uses {noun} {names}, which the input lacks\n  columns in the input: {present}\n  \
             {remedy}",
            self.origin
        )
    }

    /// A row whose required column is empty is bad input, not something to send.
    pub fn check_row(&self, fields: &Map<String, Value>) -> Result<(), String> {
        for column in &self.required_text {
            let empty = match fields.get(column) {
                Some(Value::String(text)) => text.trim().is_empty(),
                Some(Value::Null) | None => true,
                Some(_) => false,
            };
            if empty {
                return Err(format!(
                    "column `{column}` is empty; {} needs it",
                    self.origin
                ));
            }
        }
        Ok(())
    }

    /// Renders the prompt for one row. Columns are top-level variables; `row` is the whole row
    /// (for column names that are not identifiers: `row["Product Name"]`) and `id` its id.
    pub fn render(&self, id: &str, fields: &Map<String, Value>) -> Result<String, String> {
        self.render_with(id, fields, &Map::new())
    }

    /// Like [`PromptTemplate::render`], with `extras` (earlier stages' outputs, targets) as more
    /// top-level variables; an extra wins over a column of the same name.
    pub fn render_with(
        &self,
        id: &str,
        fields: &Map<String, Value>,
        extras: &Map<String, Value>,
    ) -> Result<String, String> {
        let template = self
            .env
            .get_template(TEMPLATE_NAME)
            .map_err(|e| describe(&e))?;
        let row = JinjaValue::from(minijinja::value::Serde(fields));
        // A built-in template's `keyword` is the subject column's value.
        let subject = self
            .subject
            .as_ref()
            .filter(|_| !extras.contains_key("keyword"))
            .map(|column| {
                let mut with_keyword = extras.clone();
                let value = fields.get(column).cloned().unwrap_or(Value::Null);
                with_keyword.insert("keyword".to_string(), value);
                with_keyword
            });
        let extras = JinjaValue::from(minijinja::value::Serde(subject.as_ref().unwrap_or(extras)));
        // The last map wins: `row` and `id`, over stage outputs, over the columns.
        let ctx =
            minijinja::value::merge_maps([row.clone(), extras, context! { row => row, id => id }]);
        template
            .render(ctx)
            .map_err(|e| format!("{}: {}", self.origin, describe(&e)))
    }
}

/// minijinja's message plus the template line, without its multi-line debug dump.
fn describe(error: &minijinja::Error) -> String {
    let mut text = error.detail().map_or_else(
        || error.kind().to_string(),
        |d| format!("{}: {d}", error.kind()),
    );
    if let Some(line) = error.line() {
        text.push_str(&format!(" (line {line})"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect()
    }

    fn template(source: &str) -> PromptTemplate {
        PromptTemplate::new(source.to_string(), "template `t.j2`".into()).unwrap()
    }

    #[test]
    fn renders_columns_row_and_id() {
        let t = template("{{ keyword }} / {{ row[\"Product Name\"] }} / {{ id }}");
        let out = t
            .render(
                "7",
                &fields(&[("keyword", "shoes"), ("Product Name", "Air")]),
            )
            .unwrap();
        assert_eq!(out, "shoes / Air / 7");
    }

    #[test]
    fn a_missing_column_is_named_with_the_columns_present() {
        let t = template("About {{ keyword }} for {{ audiance }}");
        let columns = vec!["keyword".to_string(), "audience".to_string()];
        let error = t.check_columns(&columns).unwrap_err().to_string();
        assert!(error.contains("`audiance`"), "{error}");
        assert!(
            error.contains("columns in the input: keyword, audience"),
            "{error}"
        );
        assert!(error.contains("template `t.j2`"), "{error}");
    }

    #[test]
    fn columns_used_behind_is_defined_are_optional() {
        let builtin = crate::tasks::Task::seo().builtin_template();
        builtin.check_columns(&["keyword".to_string()]).unwrap();
        let error = builtin
            .check_columns(&["product".to_string()])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("built-in seo template uses column `keyword`"),
            "{error}"
        );
    }

    #[test]
    fn a_syntax_error_names_the_template_and_line() {
        let error = PromptTemplate::new("line one\n{{ oops".into(), "template `t.j2`".into())
            .err()
            .unwrap()
            .to_string();
        assert!(error.starts_with("template `t.j2`: "), "{error}");
        assert!(error.contains("line 2"), "{error}");
    }

    #[test]
    fn a_value_missing_from_one_row_fails_that_row_only() {
        let t = template("{{ keyword }}");
        let error = t.render("3", &fields(&[("other", "x")])).unwrap_err();
        assert!(error.contains("undefined"), "{error}");
    }
}

#[cfg(test)]
mod subject_tests {
    use super::*;

    fn columns(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_subject_is_keyword_in_any_case_or_the_named_column() {
        assert_eq!(
            subject_column(&columns(&["id", "Keyword"]), None).unwrap(),
            "Keyword"
        );
        assert_eq!(
            subject_column(&columns(&["query", "keyword"]), Some("Query")).unwrap(),
            "query"
        );
        let error = subject_column(&columns(&["query", "audience"]), None).unwrap_err();
        assert!(error.contains("--subject-column"), "{error}");
        assert!(
            error.contains("columns in the input: query, audience"),
            "{error}"
        );
        let error = subject_column(&columns(&["query"]), Some("topic")).unwrap_err();
        assert!(error.contains("`topic` is not a column"), "{error}");
    }

    #[test]
    fn a_builtin_template_reads_its_keyword_from_the_subject_column() {
        let template = crate::tasks::Task::seo().builtin_template().about("Query");
        template
            .check_columns(&columns(&["Query", "audience"]))
            .unwrap();
        let row: Map<String, Value> = [("Query".to_string(), Value::from("trail shoes"))]
            .into_iter()
            .collect();
        assert!(
            template
                .render("1", &row)
                .unwrap()
                .contains("\"trail shoes\"")
        );
        let empty: Map<String, Value> = [("Query".to_string(), Value::from(" "))]
            .into_iter()
            .collect();
        assert!(
            template
                .check_row(&empty)
                .unwrap_err()
                .contains("`Query` is empty")
        );
    }

    #[test]
    fn a_custom_templates_error_does_not_suggest_a_template() {
        let custom = PromptTemplate::new("{{ nope }}".into(), "template `t.j2`".into()).unwrap();
        let error = custom
            .check_columns(&columns(&["a"]))
            .unwrap_err()
            .to_string();
        assert!(!error.contains("--template"), "{error}");
    }
}

#[cfg(test)]
mod required_text_tests {
    use super::*;

    #[test]
    fn builtin_templates_need_a_non_empty_keyword_custom_ones_do_not() {
        let builtin = crate::tasks::Task::outline().builtin_template();
        let row = |keyword: Value| -> Map<String, Value> {
            [("keyword".to_string(), keyword)].into_iter().collect()
        };
        assert!(
            builtin
                .check_row(&row(Value::String("shoes".into())))
                .is_ok()
        );
        let error = builtin
            .check_row(&row(Value::String("  ".into())))
            .unwrap_err();
        assert!(error.contains("column `keyword` is empty"), "{error}");
        assert!(builtin.check_row(&row(Value::Null)).is_err());
        let custom = PromptTemplate::new("{{ keyword }}".into(), "template `t`".into()).unwrap();
        assert!(custom.check_row(&row(Value::String(String::new()))).is_ok());
    }
}
