//! Plain text helpers shared by production code and the mock: a slug for file names and front
//! matter, and the word count a draft is judged by.

/// Words in markdown text, headings included (what a writer would count).
pub fn word_count(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// Lowercase ASCII kebab-case, folding common Latin accents so `Café Crème` gives `cafe-creme`.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            'ß' => 's',
            other => other,
        };
        if folded.is_ascii_alphanumeric() {
            slug.push(folded);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug.truncate(80);
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

/// Removes a markdown code fence wrapped around a whole answer (models add them unasked).
pub fn strip_code_fence(text: &str) -> &str {
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
    fn slugify_folds_accents_and_punctuation() {
        assert_eq!(
            slugify("Café Crème -- Best of 2026!"),
            "cafe-creme-best-of-2026"
        );
        assert_eq!(slugify("!!!"), "");
    }

    #[test]
    fn words_are_what_has_a_letter_or_digit() {
        assert_eq!(word_count("# Title\n\n## A - b\n\n2026 is *here*."), 6);
        assert_eq!(word_count("  \n---\n"), 0);
    }

    #[test]
    fn code_fences_are_stripped_only_when_they_wrap_everything() {
        assert_eq!(strip_code_fence("```json\n{\"a\":1}\n```"), "{\"a\":1}");
        assert_eq!(strip_code_fence("  plain  "), "plain");
        assert_eq!(strip_code_fence("```json\n{\"a\":1}"), "```json\n{\"a\":1}");
    }
}
