//! `seo`: a title, meta description and slug per row, as a JSON object. The task itself is a row
//! of `builtin.toml` like any other; these are the names the adapters' tests and the batch mock
//! use for it.

use serde_json::{Map, Value};

use crate::providers::OutputShape;
use crate::tasks::Task;

pub fn shape() -> OutputShape {
    Task::seo().shape()
}

pub fn validate(text: &str) -> Result<Map<String, Value>, String> {
    Task::seo().validate(text)
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
