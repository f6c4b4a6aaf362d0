//! `seo`: a title, meta description and slug per row, as a JSON object, validated strictly.

use serde_json::{Map, Value, json};

use crate::providers::OutputShape;

pub const FIELDS: [&str; 3] = ["title", "meta_description", "slug"];
pub const MAX_TITLE_CHARS: usize = 60;
pub const MAX_DESCRIPTION_CHARS: usize = 160;

pub const SYSTEM: &str =
    "You are an SEO copywriter. You answer with a single JSON object and nothing else.";

pub fn shape() -> OutputShape {
    OutputShape::Json {
        name: "seo_metadata",
        schema: json!({
            "type": "object",
            "properties": {
                "title": {"type": "string", "description": "at most 60 characters"},
                "meta_description": {"type": "string", "description": "at most 160 characters"},
                "slug": {"type": "string", "description": "lowercase ASCII kebab-case"}
            },
            "required": ["title", "meta_description", "slug"],
            "additionalProperties": false
        }),
    }
}

pub fn validate(text: &str) -> Result<Map<String, Value>, String> {
    let body = super::strip_code_fence(text);
    let value: Value = serde_json::from_str(body)
        .map_err(|e| format!("answer is not JSON ({e}): {}", preview(body)))?;
    let Value::Object(object) = value else {
        return Err(format!(
            "answer is JSON but not an object: {}",
            preview(body)
        ));
    };
    let mut fields = Map::new();
    for name in FIELDS {
        match object.get(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => {
                fields.insert(name.to_string(), Value::String(s.trim().to_string()));
            }
            Some(Value::String(_)) => return Err(format!("`{name}` is empty")),
            Some(other) => return Err(format!("`{name}` is not a string: {other}")),
            None => return Err(format!("`{name}` is missing")),
        }
    }
    let title_len = char_len(&fields["title"]);
    if title_len > MAX_TITLE_CHARS {
        return Err(format!(
            "title has {title_len} characters, the limit is {MAX_TITLE_CHARS}"
        ));
    }
    let description_len = char_len(&fields["meta_description"]);
    if description_len > MAX_DESCRIPTION_CHARS {
        return Err(format!(
            "meta_description has {description_len} characters, the limit is {MAX_DESCRIPTION_CHARS}"
        ));
    }
    let slug = fields["slug"].as_str().unwrap_or_default();
    if !is_kebab_slug(slug) {
        return Err(format!("slug `{slug}` is not lowercase ASCII kebab-case"));
    }
    Ok(fields)
}

fn char_len(value: &Value) -> usize {
    value.as_str().map_or(0, |s| s.chars().count())
}

/// `a-b-c`: lowercase ASCII letters and digits in words joined by single hyphens.
pub fn is_kebab_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn preview(text: &str) -> String {
    const MAX: usize = 80;
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= MAX {
        flat
    } else {
        format!("{}…", flat.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_valid_answer_in_a_code_fence() {
        let text = "```json\n{\"title\":\"Running Shoes\",\"meta_description\":\"Pick the right pair.\",\"slug\":\"running-shoes\",\"extra\":1}\n```";
        let fields = validate(text).unwrap();
        assert_eq!(
            fields.keys().collect::<Vec<_>>(),
            ["title", "meta_description", "slug"]
        );
        assert_eq!(fields["slug"], "running-shoes");
    }

    #[test]
    fn rejects_each_kind_of_bad_answer_with_a_reason() {
        let cases = [
            ("Sure! Here you go", "not JSON"),
            ("[1,2]", "not an object"),
            (
                r#"{"title":"t","meta_description":"d"}"#,
                "`slug` is missing",
            ),
            (
                r#"{"title":"t","meta_description":"d","slug":5}"#,
                "not a string",
            ),
            (
                r#"{"title":" ","meta_description":"d","slug":"s"}"#,
                "`title` is empty",
            ),
            (
                &format!(
                    r#"{{"title":"{}","meta_description":"d","slug":"s"}}"#,
                    "x".repeat(61)
                ),
                "61 characters",
            ),
            (
                &format!(
                    r#"{{"title":"t","meta_description":"{}","slug":"s"}}"#,
                    "é".repeat(161)
                ),
                "161 characters",
            ),
            (
                r#"{"title":"t","meta_description":"d","slug":"Running Shoes"}"#,
                "kebab-case",
            ),
            (
                r#"{"title":"t","meta_description":"d","slug":"a--b"}"#,
                "kebab-case",
            ),
            (
                r#"{"title":"t","meta_description":"d","slug":"café"}"#,
                "kebab-case",
            ),
        ];
        for (text, expected) in cases {
            let error = validate(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let title = "é".repeat(60);
        let text = format!(r#"{{"title":"{title}","meta_description":"d","slug":"a-1"}}"#);
        assert!(validate(&text).is_ok());
    }
}
