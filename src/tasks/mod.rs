//! The per-row tasks: what each asks the model for ([`TaskKind`]) and how its prompt is rendered
//! ([`template::PromptTemplate`]). Validation of answers lives beside each task.

pub mod draft;
pub mod outline;
pub mod reasoning;
pub mod seo;
pub mod template;

use serde_json::{Map, Value};

use crate::providers::reasoning::ReasoningField;
use crate::providers::{OutputShape, Purpose, Request};

/// A one-call-per-row task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaskKind {
    Seo,
    Outline,
    /// The article pipeline: its stages are in [`draft::Stage`]; the methods below describe its
    /// draft stage, where one call stands for the row.
    Draft,
}

impl TaskKind {
    pub fn name(self) -> &'static str {
        match self {
            TaskKind::Seo => "seo",
            TaskKind::Outline => "outline",
            TaskKind::Draft => "draft",
        }
    }

    pub fn purpose(self) -> Purpose {
        match self {
            TaskKind::Seo => Purpose::Seo,
            TaskKind::Outline => Purpose::Outline,
            TaskKind::Draft => Purpose::Draft,
        }
    }

    /// The fields this task adds to a result line, in output order.
    pub fn output_fields(self) -> &'static [&'static str] {
        match self {
            TaskKind::Seo => &seo::FIELDS,
            TaskKind::Outline => &outline::FIELDS,
            TaskKind::Draft => &draft::FIELDS,
        }
    }

    pub fn shape(self) -> OutputShape {
        match self {
            TaskKind::Seo => seo::shape(),
            TaskKind::Outline | TaskKind::Draft => OutputShape::Text,
        }
    }

    pub fn system_prompt(self) -> &'static str {
        match self {
            TaskKind::Seo => seo::SYSTEM,
            TaskKind::Outline => outline::SYSTEM,
            TaskKind::Draft => draft::Stage::Draft.system_prompt(),
        }
    }

    pub fn builtin_template(self) -> &'static str {
        match self {
            TaskKind::Seo => include_str!("prompts/seo.j2"),
            TaskKind::Outline => include_str!("prompts/outline.j2"),
            TaskKind::Draft => include_str!("prompts/draft_draft.j2"),
        }
    }

    /// The answer's own output budget: generous enough for a valid answer, small enough to cut
    /// runaway ones. The cap sent adds room for the model's reasoning
    /// ([`crate::providers::reasoning::Thinking::cap`]).
    pub fn answer_tokens(self) -> u32 {
        match self {
            TaskKind::Seo => 400,
            TaskKind::Outline => 1500,
            TaskKind::Draft => 4000,
        }
    }

    /// Rough size of the answer itself (reasoning not included), used by `--dry-run`, token limits
    /// and `--max-cost` before anything is sent. SEO metadata is a title of about 50 characters,
    /// a description of about 140 and a slug of about 30, with some 40 characters of JSON around
    /// them: about 260 characters, 65 tokens at four characters a token.
    pub fn typical_output_tokens(self) -> u64 {
        match self {
            TaskKind::Seo => 65,
            TaskKind::Outline => 400,
            TaskKind::Draft => 1600,
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
            target_words: None,
            web_search: false,
        }
    }

    /// Checks a model's answer and extracts the task's fields; the error says what was wrong, for
    /// the manifest's `error` column.
    pub fn validate(self, text: &str) -> Result<Map<String, Value>, String> {
        match self {
            TaskKind::Seo => seo::validate(text),
            TaskKind::Outline => outline::validate(text),
            TaskKind::Draft => {
                draft::validate(draft::Stage::Draft, text, &[], draft::DEFAULT_WORDS, None).map(
                    |output| {
                        [("article".to_string(), Value::String(output.text))]
                            .into_iter()
                            .collect()
                    },
                )
            }
        }
    }
}

/// Removes a markdown code fence wrapped around a whole answer (models add them unasked).
pub(crate) fn strip_code_fence(text: &str) -> &str {
    let trimmed = text.trim();
    let Some(rest) = trimmed.strip_prefix("```") else {
        return trimmed;
    };
    let Some(body_start) = rest.find('\n') else {
        return trimmed;
    };
    let body = &rest[body_start + 1..];
    match body.trim_end().strip_suffix("```") {
        Some(inner) => inner.trim(),
        None => trimmed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_fences_are_stripped_only_when_they_wrap_everything() {
        assert_eq!(strip_code_fence("```json\n{\"a\":1}\n```"), "{\"a\":1}");
        assert_eq!(strip_code_fence("  plain  "), "plain");
        assert_eq!(strip_code_fence("```json\n{\"a\":1}"), "```json\n{\"a\":1}");
    }
}
