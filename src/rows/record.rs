//! A result line's shape, shared by live runs and batch fetches: the row's columns (renamed where
//! they collide with gen's fields), the task's fields, then the run's metadata.

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::rows::Row;

/// A result line's fields, in order. A short list rather than a hashed map: a line has a dozen or
/// two fields and is built once to be written once, and hashing every name cost more than the rest
/// of composing the line. A name set twice keeps its first place and its last value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record(Vec<(Cow<'static, str>, Value)>);

impl Record {
    pub fn with_capacity(fields: usize) -> Self {
        Record(Vec::with_capacity(fields))
    }

    pub fn insert(&mut self, name: impl Into<Cow<'static, str>>, value: Value) {
        let name = name.into();
        match self.0.iter_mut().find(|(known, _)| *known == name) {
            Some((_, old)) => *old = value,
            None => self.0.push((name, value)),
        }
    }

    /// Adds a field known not to be in the record yet, without looking: a wide input's columns
    /// would otherwise cost a scan each, quadratic in the width.
    fn push_new(&mut self, name: String, value: Value) {
        debug_assert!(self.get(&name).is_none(), "{name} is already in the record");
        self.0.push((name.into(), value));
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, value)| value)
    }

    /// The value of each of `names`, in that order: a CSV line's cells. Columns come in the order
    /// lines are composed in, so each is looked for first where the last one was found; a wide
    /// line costs no scan per cell.
    pub fn values_of<'r>(
        &'r self,
        names: &'r [String],
    ) -> impl Iterator<Item = Option<&'r Value>> + 'r {
        let mut next = 0;
        names.iter().map(move |name| {
            let at = match self.0.get(next) {
                Some((known, _)) if known == name => Some(next),
                _ => self.0.iter().position(|(known, _)| known == name),
            };
            at.map(|at| {
                next = at + 1;
                &self.0[at].1
            })
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(name, value)| (name.as_ref(), value))
    }
}

impl From<Map<String, Value>> for Record {
    fn from(fields: Map<String, Value>) -> Self {
        let mut record = Record::with_capacity(fields.len());
        for (name, value) in fields {
            record.insert(name, value);
        }
        record
    }
}

/// Written as a JSON object, fields in order.
impl Serialize for Record {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name.as_ref(), value)?;
        }
        map.end()
    }
}

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
) -> Record {
    let mut record = Record::with_capacity(row.fields.len() + generated.len() + 10);
    // The row's columns are distinct, and a renamed one takes a name no other column has.
    for (column, value) in &row.fields {
        let name = renames
            .iter()
            .find(|(from, _)| from == column)
            .map_or(column, |(_, to)| to);
        record.push_new(name.clone(), value.clone());
    }
    for (name, value) in generated {
        record.insert(name, value);
    }
    record.insert("row_id", Value::String(row.id.clone()));
    record.insert(
        "row_fingerprint",
        Value::String(super::fingerprint_text(row.fingerprint())),
    );
    record.insert("provider", meta.provider.into());
    record.insert("model", meta.model.into());
    record.insert("attempts", meta.attempts.into());
    record.insert("input_tokens", meta.input_tokens.into());
    record.insert("output_tokens", meta.output_tokens.into());
    record.insert("reasoning_tokens", meta.reasoning_tokens.into());
    record.insert(
        "latency_ms",
        meta.latency_ms.map_or(Value::Null, Value::from),
    );
    record.insert(
        "cost_usd",
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_field_set_twice_keeps_its_place_and_its_last_value() {
        let mut record = Record::default();
        record.insert("title", json!("first"));
        record.insert("row_id", json!("7"));
        record.insert(String::from("title"), json!("second"));
        assert_eq!(record.get("title"), Some(&json!("second")));
        assert_eq!(record.get("slug"), None);
        let names: Vec<&str> = record.iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["title", "row_id"]);
        assert_eq!(
            serde_json::to_string(&record).unwrap(),
            r#"{"title":"second","row_id":"7"}"#
        );
    }

    #[test]
    fn cells_are_found_in_any_column_order() {
        let mut record = Record::default();
        for (name, value) in [("a", 1), ("b", 2), ("c", 3)] {
            record.insert(name, json!(value));
        }
        let names = |list: &[&str]| list.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let cells = |list: &[String]| {
            record
                .values_of(list)
                .map(Option::<&Value>::cloned)
                .collect::<Vec<_>>()
        };
        let (one, two, three) = (json!(1), json!(2), json!(3));
        assert_eq!(
            cells(&names(&["a", "b", "c"])),
            [Some(one.clone()), Some(two.clone()), Some(three.clone())]
        );
        assert_eq!(
            cells(&names(&["c", "missing", "a", "b", "b"])),
            [Some(three), None, Some(one), Some(two.clone()), Some(two)]
        );
    }

    #[test]
    fn a_line_is_the_row_then_the_task_then_the_metadata() {
        let mut fields = Map::new();
        fields.insert("keyword".into(), json!("rust"));
        fields.insert("provider".into(), json!("the row's own"));
        let row = Row {
            seq: 0,
            line: 2,
            id: "1".into(),
            fields,
        };
        let renames = [("provider".to_string(), "input_provider".to_string())];
        let mut generated = Map::new();
        generated.insert("title".into(), json!("Rust"));
        generated.insert("keyword".into(), json!("from the answer"));
        let meta = RecordMeta {
            provider: "mock",
            model: "mock-1",
            attempts: 1,
            input_tokens: 10,
            output_tokens: 20,
            reasoning_tokens: 0,
            latency_ms: None,
            cost_usd: Some(0.001),
        };
        let record = compose_record(&row, &renames, generated, &meta);
        let names: Vec<&str> = record.iter().map(|(name, _)| name).collect();
        let mut expected = vec!["keyword", "input_provider", "title"];
        expected.extend(METADATA_FIELDS);
        assert_eq!(names, expected);
        assert_eq!(record.get("keyword"), Some(&json!("from the answer")));
        assert_eq!(record.get("input_provider"), Some(&json!("the row's own")));
        assert_eq!(record.get("provider"), Some(&json!("mock")));
        assert_eq!(record.get("latency_ms"), Some(&Value::Null));
    }
}
