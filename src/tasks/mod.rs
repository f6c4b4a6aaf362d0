//! The per-row tasks: what each asks the model for ([`TaskKind`]) and how its prompt is rendered
//! ([`template::PromptTemplate`]). Validation of answers lives beside each task.

pub mod draft;
pub mod outline;
pub mod reasoning;
pub mod seo;
pub mod spec;
pub mod template;

use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::providers::reasoning::{Reasoning, ReasoningField};
use crate::providers::{OutputShape, Purpose, Request};
use crate::tasks::spec::{Builtin, Output, PromptSource, TaskDef, TaskTable};
use crate::tasks::template::PromptTemplate;

/// A one-call-per-row task (or `draft`, whose methods describe its draft stage, where one call
/// stands for the row). A run resolves its task once and keeps it for the whole process, so a
/// `Task` is a plain reference that copies freely.
#[derive(Clone, Copy)]
pub struct Task(&'static TaskDef);

impl PartialEq for Task {
    fn eq(&self, other: &Task) -> bool {
        std::ptr::eq(self.0, other.0) || self.0.name == other.0.name
    }
}

impl Eq for Task {}

impl std::hash::Hash for Task {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.name.hash(state);
    }
}

impl PartialOrd for Task {
    fn partial_cmp(&self, other: &Task) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Task {
    fn cmp(&self, other: &Task) -> std::cmp::Ordering {
        self.0.name.cmp(&other.0.name)
    }
}

impl std::fmt::Debug for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Task({})", self.0.name)
    }
}

/// The built-in rows, resolved once.
fn builtin(name: &str, which: Builtin) -> Task {
    static SEO: OnceLock<TaskDef> = OnceLock::new();
    static OUTLINE: OnceLock<TaskDef> = OnceLock::new();
    let cell = match which {
        Builtin::Seo => &SEO,
        Builtin::Outline => &OUTLINE,
        Builtin::Draft => unreachable!("draft is not a row of the table"),
    };
    Task(cell.get_or_init(|| {
        let table = &spec::builtin_tables()[name];
        TaskDef::resolve(
            name,
            table,
            "built-in",
            std::path::Path::new("."),
            Some(which),
        )
        .expect("the built-in tasks resolve")
    }))
}

impl Task {
    pub fn seo() -> Task {
        builtin("seo", Builtin::Seo)
    }

    pub fn outline() -> Task {
        builtin("outline", Builtin::Outline)
    }

    /// `draft`: a pipeline of stages (`draft::Stage`), not a row of the table.
    pub fn draft() -> Task {
        static DRAFT: OnceLock<TaskDef> = OnceLock::new();
        Task(DRAFT.get_or_init(|| TaskDef {
            name: "draft".into(),
            description: "A full article: research, outline, draft, humanize, pictures".into(),
            origin: "built-in".into(),
            system: draft::Stage::Draft.system_prompt().to_string(),
            prompt: PromptSource::Inline {
                text: include_str!("prompts/draft_draft.j2").to_string(),
                origin: "the built-in draft template".into(),
            },
            output: Output::Article,
            answer_tokens: 4000,
            typical_output_tokens: 1600,
            reasoning: Reasoning::Low,
            builtin: Some(Builtin::Draft),
        }))
    }

    /// A task resolved for this process (a profile's or a one-off's); kept until it exits.
    pub fn keep(def: TaskDef) -> Task {
        Task(Box::leak(Box::new(def)))
    }

    /// The built-in task `name`, changed by `table` where it sets a key, or a new task.
    pub fn resolve(
        name: &str,
        table: Option<&TaskTable>,
        origin: &str,
        dir: &std::path::Path,
    ) -> anyhow::Result<Task> {
        let which = match name {
            "seo" => Some(Builtin::Seo),
            "outline" => Some(Builtin::Outline),
            _ => None,
        };
        match (which, table) {
            (Some(which), None) => Ok(builtin(name, which)),
            (Some(which), Some(table)) => {
                let merged = spec::overlay(&spec::builtin_tables()[name], table);
                TaskDef::resolve(name, &merged, origin, dir, Some(which)).map(Task::keep)
            }
            (None, Some(table)) => TaskDef::resolve(name, table, origin, dir, None).map(Task::keep),
            (None, None) => anyhow::bail!("no task `{name}`"),
        }
    }

    pub fn def(self) -> &'static TaskDef {
        self.0
    }

    pub fn name(self) -> &'static str {
        &self.0.name
    }

    pub fn builtin(self) -> Option<Builtin> {
        self.0.builtin
    }

    /// Whether the prompt is a built-in task's own (which writes about the subject column).
    pub fn has_builtin_prompt(self) -> bool {
        match (&self.0.prompt, self.0.builtin) {
            (_, Some(Builtin::Draft)) => true,
            (PromptSource::Inline { text, .. }, Some(_)) => {
                spec::builtin_tables()
                    .get(self.name())
                    .and_then(|t| t.prompt.as_ref())
                    == Some(text)
            }
            _ => false,
        }
    }

    pub fn is_draft(self) -> bool {
        self.0.builtin == Some(Builtin::Draft)
    }

    pub fn purpose(self) -> Purpose {
        match self.0.builtin {
            Some(Builtin::Seo) => Purpose::Seo,
            Some(Builtin::Outline) => Purpose::Outline,
            Some(Builtin::Draft) => Purpose::Draft,
            None => Purpose::Custom,
        }
    }

    /// The fields this task adds to a result line, in output order.
    pub fn output_fields(self) -> Vec<String> {
        match self.0.output {
            Output::Article => draft::FIELDS.iter().map(|f| f.to_string()).collect(),
            _ => self.0.columns(),
        }
    }

    pub fn shape(self) -> OutputShape {
        match &self.0.output {
            Output::Json(json) => OutputShape::Json {
                name: json.name.clone(),
                schema: json.schema.clone(),
            },
            Output::Text(_) | Output::Article => OutputShape::Text,
        }
    }

    pub fn system_prompt(self) -> &'static str {
        &self.0.system
    }

    /// The answer's own output budget: generous enough for a valid answer, small enough to cut
    /// runaway ones. The cap sent adds room for the model's reasoning
    /// ([`crate::providers::reasoning::Thinking::cap`]).
    pub fn answer_tokens(self) -> u32 {
        self.0.answer_tokens
    }

    /// Rough size of the answer itself (reasoning not included), used by `--dry-run`, token limits
    /// and `--max-cost` before anything is sent.
    pub fn typical_output_tokens(self) -> u64 {
        self.0.typical_output_tokens
    }

    /// The length a text answer should have, for the mock: well inside its word checks.
    fn target_words(self) -> Option<u32> {
        match &self.0.output {
            Output::Text(text) => match (text.min_words, text.max_words) {
                (Some(min), Some(max)) => Some((min + max) / 2),
                (Some(min), None) => Some(min + min / 4 + 20),
                (None, Some(max)) => Some(max * 3 / 4),
                (None, None) => None,
            },
            _ => None,
        }
    }

    /// The request for one row: the task's system prompt and output shape around the rendered
    /// `prompt`, with the cap and reasoning field the lane chose (live lanes and batch jobs send
    /// exactly the same).
    #[allow(clippy::too_many_arguments)]
    pub fn request(
        self,
        model: &str,
        prompt: String,
        topic: String,
        attempt: u32,
        timeout: std::time::Duration,
        max_output_tokens: u32,
        reasoning: ReasoningField,
    ) -> Request {
        Request {
            purpose: self.purpose(),
            model: model.to_string(),
            system: self.system_prompt().to_string(),
            prompt,
            shape: self.shape(),
            max_output_tokens,
            reasoning,
            topic,
            attempt,
            timeout,
            source_text: None,
            target_words: self.target_words(),
            web_search: false,
        }
    }

    /// Checks a model's answer and extracts the task's fields; the error says what was wrong, for
    /// the manifest's `error` column and for the next attempt's prompt.
    pub fn validate(self, text: &str) -> Result<Map<String, Value>, String> {
        match self.0.output {
            Output::Article => {
                draft::validate(draft::Stage::Draft, text, &[], draft::DEFAULT_WORDS, None).map(
                    |output| {
                        [("article".to_string(), Value::String(output.text))]
                            .into_iter()
                            .collect()
                    },
                )
            }
            _ => self.0.validate(text),
        }
    }

    /// A built-in task's own template; like every built-in one it needs a non-empty `keyword`
    /// (`PromptTemplate::about` names another subject column).
    pub fn builtin_template(self) -> PromptTemplate {
        self.prompt_template()
            .expect("built-in templates parse")
            .about("keyword")
    }

    /// The prompt template the task's row gives, inline or from a file.
    pub fn prompt_template(self) -> anyhow::Result<PromptTemplate> {
        match &self.0.prompt {
            PromptSource::Inline { text, origin } => {
                let origin = if self.0.origin == "built-in" {
                    format!("the built-in {} template", self.name())
                } else {
                    origin.clone()
                };
                PromptTemplate::inline(text.clone(), origin)
            }
            PromptSource::File(path) => PromptTemplate::from_file(path),
        }
    }
}
