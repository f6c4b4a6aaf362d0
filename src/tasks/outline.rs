//! `outline`: a markdown heading structure per row, accepted when it has at least three `##`
//! sections. The task is a row of `builtin.toml`; `draft`'s outline stage checks its answer the
//! same way.

use serde_json::{Map, Value};

use crate::tasks::Task;

pub fn validate(text: &str) -> Result<Map<String, Value>, String> {
    Task::outline().validate(text)
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
