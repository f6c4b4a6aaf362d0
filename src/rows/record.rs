//! A result line's shape, shared by live runs and batch fetches: the row's columns (renamed where
//! they collide with gen's fields), the task's fields, then the run's metadata.

use serde_json::{Map, Value};

use crate::rows::Row;

/// The run metadata of a result line.
pub struct RecordMeta<'a> {
    pub provider: &'a str,
    pub model: &'a str,
    pub attempts: u32,
    pub input_tokens: u64,
    /// The reasoning included.
    pub output_tokens: u64,
    pub reasoning_tokens: u64,
    /// `None` where no latency is known (a batch job's rows).
    pub latency_ms: Option<u64>,
    pub cost_usd: Option<f64>,
}

/// A result line: the row's columns (renamed where they collide with gen's fields), the task's
/// fields, then the metadata. Live runs and batch fetches write the same shape.
pub fn compose_record(
    row: &Row,
    renames: &[(String, String)],
    generated: Map<String, Value>,
    meta: &RecordMeta<'_>,
) -> Map<String, Value> {
    let mut record = Map::with_capacity(row.fields.len() + generated.len() + 8);
    for (column, value) in &row.fields {
        let name = renames
            .iter()
            .find(|(from, _)| from == column)
            .map_or(column, |(_, to)| to);
        record.insert(name.clone(), value.clone());
    }
    record.extend(generated);
    record.insert("row_id".into(), Value::String(row.id.clone()));
    record.insert(
        "row_fingerprint".into(),
        Value::String(super::fingerprint_text(row.fingerprint())),
    );
    record.insert("provider".into(), meta.provider.into());
    record.insert("model".into(), meta.model.into());
    record.insert("attempts".into(), meta.attempts.into());
    record.insert("input_tokens".into(), meta.input_tokens.into());
    record.insert("output_tokens".into(), meta.output_tokens.into());
    record.insert("reasoning_tokens".into(), meta.reasoning_tokens.into());
    record.insert(
        "latency_ms".into(),
        meta.latency_ms.map_or(Value::Null, Value::from),
    );
    record.insert(
        "cost_usd".into(),
        meta.cost_usd
            .map_or(Value::Null, |c| super::round_usd(c).into()),
    );
    record
}

/// Metadata fields of every result line, after the task's own fields.
pub const METADATA_FIELDS: [&str; 10] = [
    "row_id",
    "row_fingerprint",
    "provider",
    "model",
    "attempts",
    "input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "latency_ms",
    "cost_usd",
];
