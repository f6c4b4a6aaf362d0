//! `outline`: a markdown heading structure per row, accepted when it has at least three `##`
//! sections.

use serde_json::{Map, Value};

pub const FIELDS: [&str; 1] = ["outline"];
pub const MIN_SECTIONS: usize = 3;

pub const SYSTEM: &str =
    "You are a content strategist. You answer with a markdown outline and nothing else.";

pub fn validate(text: &str) -> Result<Map<String, Value>, String> {
    let body = super::strip_code_fence(text);
    let sections = body
        .lines()
        .filter(|line| line.trim_start().starts_with("## "))
        .count();
    if sections < MIN_SECTIONS {
        return Err(format!(
            "outline has {sections} `##` sections, at least {MIN_SECTIONS} are required"
        ));
    }
    let mut fields = Map::new();
    fields.insert("outline".into(), Value::String(body.to_string()));
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_three_level_two_headings() {
        assert!(validate("# T\n## a\n## b\n## c\n").is_ok());
        let error = validate("# T\n## a\n### not counted\n## b\n").unwrap_err();
        assert!(error.contains("2 `##` sections"), "{error}");
        assert!(validate("").is_err());
    }

    #[test]
    fn keeps_the_markdown_without_its_fence() {
        let fields = validate("```markdown\n# T\n## a\n## b\n## c\n```").unwrap();
        assert_eq!(fields["outline"], "# T\n## a\n## b\n## c");
    }
}
