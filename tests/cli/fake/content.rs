//! What the fake "model" writes: valid task output computed from the prompt, an `seo` JSON
//! object when JSON is wanted and a markdown outline otherwise, independent of `gen`'s own code.

use serde_json::json;

/// The answer for a prompt: `json` when the request asked for JSON (structured output or a prompt
/// naming `meta_description`).
pub fn answer(prompt: &str, json: bool) -> String {
    let topic = topic(prompt);
    if json || prompt.contains("meta_description") {
        seo_object(&topic).to_string()
    } else {
        outline(&topic)
    }
}

/// The `seo` fields as a JSON value (also used as forced tool-use input).
pub fn seo_object(topic: &str) -> serde_json::Value {
    let mut title = format!("{topic}: A Practical Guide");
    if title.chars().count() > 60 {
        title = cut_words(topic, 60);
    }
    let description = cut_words(
        &format!(
            "Everything about {topic}: what it is, how to choose and the mistakes to avoid, \
             with clear answers and practical tips."
        ),
        160,
    );
    let mut slug = slugify(topic);
    if slug.is_empty() {
        slug = format!("page-{:08x}", fnv(topic.as_bytes()) as u32);
    }
    json!({ "title": title, "meta_description": description, "slug": slug })
}

fn outline(topic: &str) -> String {
    let mut out = format!("# {topic}\n\n");
    for section in [
        "What {t} Is",
        "Why {t} Matters",
        "How to Get Started with {t}",
        "Common Mistakes with {t}",
        "Next Steps",
    ] {
        out.push_str(&format!(
            "## {}\n- What the section covers\n- An example\n\n",
            section.replace("{t}", topic)
        ));
    }
    out.trim_end().to_string() + "\n"
}

/// The subject of a prompt: the first double-quoted phrase (gen's templates quote the keyword),
/// else the first words of the first line; title-cased.
pub fn topic(prompt: &str) -> String {
    let quoted = prompt
        .split_once('"')
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(inside, _)| inside.trim())
        .filter(|inside| !inside.is_empty());
    let raw = match quoted {
        Some(inside) => inside.to_string(),
        None => prompt
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("This Topic")
            .split_whitespace()
            .take(6)
            .collect::<Vec<_>>()
            .join(" "),
    };
    let titled: Vec<String> = raw
        .split_whitespace()
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        })
        .collect();
    let topic = cut_words(&titled.join(" "), 50);
    if topic.is_empty() {
        "This Topic".into()
    } else {
        topic
    }
}

/// The first part of `text` cut at a word boundary to at most `max` characters.
fn cut_words(text: &str, max: usize) -> String {
    let mut out = String::new();
    for word in text.split_whitespace() {
        let extra = usize::from(!out.is_empty());
        if out.chars().count() + extra + word.chars().count() > max {
            break;
        }
        if extra == 1 {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        out = text.chars().take(max).collect();
    }
    out
}

/// Lowercase ASCII words joined by single hyphens; other characters separate words.
fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A rough token count, as the real APIs would report it: one token per four bytes.
pub fn tokens(text: &str) -> u64 {
    (text.len() as u64).div_ceil(4).max(1)
}

/// The first half of `text`, cut on a character boundary, as a reply stopped by max tokens.
pub fn cut_in_half(text: &str) -> String {
    let half = text.chars().count() / 2;
    text.chars().take(half).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seo_answers_fit_the_task_limits() {
        let prompt = "Write SEO metadata for a web page about \"café crème and the very long \
                      keyword that keeps going on and on past sixty characters\".";
        let value: serde_json::Value = serde_json::from_str(&answer(prompt, true)).unwrap();
        let title = value["title"].as_str().unwrap();
        let description = value["meta_description"].as_str().unwrap();
        let slug = value["slug"].as_str().unwrap();
        assert!(title.chars().count() <= 60, "{title}");
        assert!(description.chars().count() <= 160, "{description}");
        assert!(
            slug.split('-').all(|w| !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
            "{slug}"
        );
        assert!(title.starts_with("Café Crème"), "{title}");
    }

    #[test]
    fn outlines_have_a_title_and_four_sections() {
        let text = answer(
            "Write an article outline for the keyword \"running shoes\".",
            false,
        );
        assert!(text.starts_with("# Running Shoes\n"), "{text}");
        assert!(text.lines().filter(|l| l.starts_with("## ")).count() >= 4);
    }

    #[test]
    fn a_prompt_naming_meta_description_gets_json() {
        let text = answer("fill in \"title\" and meta_description", false);
        assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
    }
}
