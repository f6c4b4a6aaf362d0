//! What an OpenAI-compatible vendor accepts: how to ask it for JSON and what to call the output
//! limit. Plain data, so the presets table and profiles can name a dialect without depending on
//! the adapter that speaks it.

/// How a vendor takes a JSON answer request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonMode {
    /// `response_format: {type: json_schema, json_schema: {name, schema, strict}}`; `strict` is
    /// set only when the schema meets Structured Outputs' rules (every object closed with
    /// `additionalProperties: false` and listing all its properties in `required`).
    JsonSchema,
    /// `response_format: {type: json_object}` with the schema written into the system message
    /// (vendors without json_schema support, such as DeepSeek).
    JsonObject,
    /// No `response_format`; the schema goes into the system message only.
    PromptOnly,
}

/// The field that caps the answer's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxTokensField {
    /// `max_completion_tokens`: OpenAI's current name, the only one reasoning models take.
    MaxCompletionTokens,
    /// `max_tokens`: the older name many compatible vendors still expect.
    MaxTokens,
}

/// What an OpenAI-compatible vendor accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    pub json: JsonMode,
    pub max_tokens: MaxTokensField,
}

impl Dialect {
    /// OpenAI itself.
    pub const OPENAI: Dialect = Dialect {
        json: JsonMode::JsonSchema,
        max_tokens: MaxTokensField::MaxCompletionTokens,
    };

    /// What OpenAI-compatible vendors and local servers broadly accept: `json_object` (not every
    /// vendor takes `json_schema`) and the older `max_tokens`.
    pub const COMPATIBLE: Dialect = Dialect {
        json: JsonMode::JsonObject,
        max_tokens: MaxTokensField::MaxTokens,
    };
}
