//! What the fake "model" writes: valid task output computed from the prompt, independent of
//! `gen`'s own code. By the markers `gen`'s built-in templates use: a rewrite (`Rewrite the
//! article below` … `---ARTICLE---`), an article (`Target length: N words`), research notes
//! (`Research` in the system prompt or opening the prompt); otherwise, when JSON is wanted, an
//! instance of the request's schema (`schema.rs`), or the `seo` JSON object when the schema says
//! no more than "an object", and a markdown outline.

use serde_json::{Value, json};

use super::schema;

/// The line a humanize prompt opens its instruction with.
const REWRITE: &str = "Rewrite the article below";
/// The line after which a humanize prompt quotes the article.
const ARTICLE_MARKER: &str = "---ARTICLE---";

/// The answer for a request: `json` when the request asked for JSON (structured output or a
/// forced tool), matching `schema` when it sent one. `system` is the system prompt, `prompt` the
/// user turns.
pub fn answer(system: &str, prompt: &str, json: bool, schema: Option<&Value>) -> String {
    let plan = schema.map(schema::plan);
    answer_on(system, prompt, &topic(prompt), json, plan.as_ref())
}

/// [`answer`] with the prompt's [`topic`] already found and the schema compiled.
pub fn answer_on(
    system: &str,
    prompt: &str,
    topic: &str,
    json: bool,
    schema: Option<&schema::Plan>,
) -> String {
    if json {
        return json_text(schema, topic);
    }
    if let Some(article) = article_to_rewrite(prompt) {
        return rewrite(article);
    }
    if let Some(words) = target_words(prompt) {
        return article(topic, words);
    }
    let opens_with_research = prompt
        .lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.trim_start().starts_with("Research"));
    if system.contains("Research") || opens_with_research {
        return research(topic);
    }
    if system.contains("meta_description") || prompt.contains("meta_description") {
        return seo_object(topic).to_string();
    }
    outline(topic)
}

/// The text after the `---ARTICLE---` line of a prompt that has a `Rewrite the article below`
/// line before it.
fn article_to_rewrite(prompt: &str) -> Option<&str> {
    let mut offset = 0;
    let mut asked = false;
    for line in prompt.split_inclusive('\n') {
        offset += line.len();
        let trimmed = line.trim();
        if trimmed.starts_with(REWRITE) {
            asked = true;
        } else if trimmed == ARTICLE_MARKER {
            return asked.then(|| &prompt[offset..]);
        }
    }
    None
}

/// N of a `Target length: N words` line.
fn target_words(prompt: &str) -> Option<u32> {
    prompt.lines().find_map(|line| {
        line.trim()
            .strip_prefix("Target length:")?
            .trim()
            .strip_suffix("words")?
            .trim()
            .parse()
            .ok()
    })
}

/// Words the rewrite swaps for others, whole words only.
const SWAPS: [(&str, &str); 8] = [
    ("use", "pick"),
    ("important", "key"),
    ("start", "begin"),
    ("helps", "lets"),
    ("simple", "plain"),
    ("often", "regularly"),
    ("choose", "select"),
    ("many", "plenty of"),
];

/// The article with a few words swapped; heading lines and blank lines kept byte for byte.
fn rewrite(article: &str) -> String {
    let body = article.trim_matches(|c| c == '\n' || c == '\r');
    let lines: Vec<String> = body
        .lines()
        .map(|line| {
            if line.trim_start().starts_with('#') {
                return line.to_string();
            }
            line.split(' ').map(swap).collect::<Vec<_>>().join(" ")
        })
        .collect();
    lines.join("\n") + "\n"
}

/// One word swapped if it is in [`SWAPS`], its trailing punctuation and capital kept.
fn swap(word: &str) -> String {
    let core = word.trim_end_matches(|c: char| c.is_ascii_punctuation());
    let tail = &word[core.len()..];
    let lower = core.to_lowercase();
    let Some((_, to)) = SWAPS.iter().find(|(from, _)| *from == lower) else {
        return word.to_string();
    };
    let capital = core.chars().next().is_some_and(char::is_uppercase);
    let mut out = if capital {
        let mut chars = to.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    } else {
        to.to_string()
    };
    out.push_str(tail);
    out
}

const SECTIONS: [&str; 4] = [
    "Why {t} Matters",
    "How to Choose {t}",
    "Getting Started with {t}",
    "Mistakes to Avoid",
];

const SENTENCES: [&str; 6] = [
    "Many people start with {t} because it is simple to try and easy to judge.",
    "It helps to write down what you want before you choose anything.",
    "The important thing is to use what you learn from each small test.",
    "Experts often suggest comparing two or three options side by side.",
    "A budget set up front keeps the decision about {t} honest.",
    "Small, steady changes usually beat one big change that nobody keeps up.",
];

/// A markdown article of about `words` words (at most one sentence over; never under about 80,
/// as each section has a sentence): a `#` title, four `##` sections, paragraphs of stock
/// sentences.
fn article(topic: &str, words: u32) -> String {
    let words = words as usize;
    let mut out = format!("# {topic}: A Practical Guide\n");
    let mut written = out.split_whitespace().count();
    let mut sentence = 0;
    for (i, section) in SECTIONS.iter().enumerate() {
        let heading = format!("## {}", section.replace("{t}", topic));
        written += heading.split_whitespace().count();
        out.push_str(&format!("\n{heading}\n\n"));
        let section_end = words * (i + 1) / SECTIONS.len();
        let mut paragraph = Vec::new();
        while written < section_end || paragraph.is_empty() {
            let text = SENTENCES[sentence % SENTENCES.len()].replace("{t}", topic);
            sentence += 1;
            written += text.split_whitespace().count();
            paragraph.push(text);
        }
        out.push_str(&paragraph.join(" "));
        out.push('\n');
    }
    out
}

/// The pages the fake "searched" for a topic: research notes, Perplexity citations.
pub fn sources(topic: &str) -> Vec<String> {
    let mut slug = slugify(topic);
    if slug.is_empty() {
        slug = "topic".into();
    }
    vec![
        format!("https://guide.example.com/{slug}"),
        format!("https://research.example.org/{slug}-study"),
        format!("https://forum.example.net/t/{slug}"),
    ]
}

/// Research notes in markdown ending in a `## Sources` list.
fn research(topic: &str) -> String {
    let mut out = format!(
        "## Key facts about {topic}\n\
         - Most buyers of {topic} compare two or three options first [1]\n\
         - Costs vary widely, so set a budget up front [2]\n\
         - Beginners most often skip the basics [3]\n\n\
         ## Angles\n\
         - A beginner's checklist\n\
         - Common mistakes and how to avoid them\n\n\
         ## Sources\n"
    );
    for (i, url) in sources(topic).iter().enumerate() {
        out.push_str(&format!("{}. {url}\n", i + 1));
    }
    out
}

/// The JSON answer about `topic`: an instance of `schema`, or the `seo` object when there is no
/// schema or it leaves an object open (also used as forced tool-use input).
pub fn json_value(schema: Option<&Value>, topic: &str) -> Value {
    match schema {
        Some(schema) if !schema::is_open_object(schema) => schema::instance(schema, topic),
        _ => seo_object(topic),
    }
}

/// [`json_value`] of a compiled schema.
pub fn plan_value(plan: Option<&schema::Plan>, topic: &str) -> Value {
    match plan {
        Some(plan) if !plan.is_open_object() => plan.value(topic),
        _ => seo_object(topic),
    }
}

/// [`plan_value`] as compact JSON text, written without building the value.
pub fn json_text(plan: Option<&schema::Plan>, topic: &str) -> String {
    let mut out = Vec::with_capacity(256);
    match plan {
        Some(plan) if !plan.is_open_object() => plan.write(&mut out, topic),
        _ => {
            out.extend_from_slice(b"{\"title\":");
            super::out::string(&mut out, &seo_title(topic));
            out.extend_from_slice(b",\"meta_description\":");
            super::out::string(&mut out, &seo_description(topic));
            out.extend_from_slice(b",\"slug\":");
            super::out::string(&mut out, &seo_slug(topic));
            out.push(b'}');
        }
    }
    // Built from `&str`s and serde_json's own output.
    String::from_utf8(out).unwrap_or_default()
}

/// The `seo` fields as a JSON value.
pub fn seo_object(topic: &str) -> Value {
    json!({
        "title": seo_title(topic),
        "meta_description": seo_description(topic),
        "slug": seo_slug(topic),
    })
}

/// A title of at most 60 characters.
pub fn seo_title(topic: &str) -> String {
    let title = format!("{topic}: A Practical Guide");
    if title.chars().count() > 60 {
        cut_words(topic, 60)
    } else {
        title
    }
}

/// A description of at most 160 characters.
pub fn seo_description(topic: &str) -> String {
    cut_words(
        &format!(
            "Everything about {topic}: what it is, how to choose and the mistakes to avoid, \
             with clear answers and practical tips."
        ),
        160,
    )
}

/// A kebab-case slug of the topic, or of its hash when it has no ASCII letter or digit.
pub fn seo_slug(topic: &str) -> String {
    let slug = slugify(topic);
    if slug.is_empty() {
        format!("page-{:08x}", fnv(topic.as_bytes()) as u32)
    } else {
        slug
    }
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
    let words: &mut dyn Iterator<Item = &str> = match quoted {
        Some(inside) => &mut inside.split_whitespace(),
        None => &mut prompt
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("This Topic")
            .split_whitespace()
            .take(6),
    };
    let mut titled = String::with_capacity(64);
    for word in words {
        if !titled.is_empty() {
            titled.push(' ');
        }
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            titled.extend(first.to_uppercase());
            titled.push_str(chars.as_str());
        }
    }
    let topic = cut_words(&titled, 50);
    if topic.is_empty() {
        "This Topic".into()
    } else {
        topic
    }
}

/// The first part of `text` cut at a word boundary to at most `max` characters.
fn cut_words(text: &str, max: usize) -> String {
    // Every answer comes through here a few times; ASCII text (but a vertical tab, which
    // `split_ascii_whitespace` keeps in words) splits the same way without Unicode tables.
    let ascii = text.is_ascii() && !text.contains('\u{b}');
    if ascii && text.len() <= max && single_spaced(text) {
        // What the words joined again would give.
        return text.to_string();
    }
    let words: &mut dyn Iterator<Item = &str> = if ascii {
        &mut text.split_ascii_whitespace()
    } else {
        &mut text.split_whitespace()
    };
    let mut out = String::with_capacity(text.len().min(max * 4));
    let mut chars = 0;
    for word in words {
        let extra = usize::from(!out.is_empty());
        let word_chars = if ascii {
            word.len()
        } else {
            word.chars().count()
        };
        if chars + extra + word_chars > max {
            break;
        }
        if extra == 1 {
            out.push(' ');
        }
        out.push_str(word);
        chars += extra + word_chars;
    }
    if out.is_empty() {
        out = text.chars().take(max).collect();
    }
    out
}

/// Whether the text is words separated by single spaces, nothing before or after.
fn single_spaced(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut after_space = true;
    for &b in bytes {
        match b {
            b' ' if after_space => return false,
            b' ' => after_space = true,
            b'\t' | b'\n' | b'\r' | 0x0c | 0x0b => return false,
            _ => after_space = false,
        }
    }
    !after_space || bytes.is_empty()
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

pub fn fnv(bytes: &[u8]) -> u64 {
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

    /// `cut_words` as first written, to hold its fast paths to.
    fn cut_words_reference(text: &str, max: usize) -> String {
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

    #[test]
    fn cuts_at_words_as_before() {
        let texts = [
            "",
            "one",
            "two words",
            " leading",
            "trailing ",
            "double  space",
            "tab\there",
            "vertical\u{b}tab",
            "crème brûlée is très bon",
            "averyveryverylongwordthatdoesnotfit",
            "Everything about Trail Running: what it is, how to choose and the mistakes to avoid.",
        ];
        for text in texts {
            for max in [0, 1, 3, 5, 10, 20, 60, 160] {
                assert_eq!(
                    cut_words(text, max),
                    cut_words_reference(text, max),
                    "{text:?} at {max}"
                );
            }
        }
    }

    #[test]
    fn seo_answers_fit_the_task_limits() {
        let prompt = "Write SEO metadata for a web page about \"café crème and the very long \
                      keyword that keeps going on and on past sixty characters\".";
        let value: serde_json::Value =
            serde_json::from_str(&answer("", prompt, true, None)).unwrap();
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
            "You are a content strategist.",
            "Write an article outline for the keyword \"running shoes\".",
            false,
            None,
        );
        assert!(text.starts_with("# Running Shoes\n"), "{text}");
        assert!(text.lines().filter(|l| l.starts_with("## ")).count() >= 4);
    }

    #[test]
    fn a_prompt_naming_meta_description_gets_json() {
        let text = answer("", "fill in \"title\" and meta_description", false, None);
        assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
    }

    #[test]
    fn articles_come_near_their_target_length() {
        for target in [100, 300, 1500] {
            let prompt = format!("Write about \"trail running\".\nTarget length: {target} words\n");
            let text = answer("", &prompt, false, None);
            assert!(text.starts_with("# Trail Running"), "{text}");
            assert_eq!(text.lines().filter(|l| l.starts_with("## ")).count(), 4);
            let words = text.split_whitespace().count() as u32;
            assert!(words >= target && words <= target + 20, "{target}: {words}");
        }
        assert_eq!(target_words("Target length:  800 words"), Some(800));
        assert_eq!(target_words("Target length: many words"), None);
    }

    #[test]
    fn rewrites_swap_words_and_keep_headings() {
        let article = "# Title: Use It\n\n## Start Here\n\nMany people use it. It helps, often.\n";
        let prompt = format!(
            "Rewrite the article below in a natural voice.\nKeep headings.\n---ARTICLE---\n{article}"
        );
        assert_eq!(
            answer("", &prompt, false, None),
            "# Title: Use It\n\n## Start Here\n\nPlenty of people pick it. It lets, regularly.\n"
        );
        // The marker alone, or the instruction alone, is not a rewrite.
        assert!(article_to_rewrite(&format!("---ARTICLE---\n{article}")).is_none());
        assert!(article_to_rewrite("Rewrite the article below.").is_none());
    }

    #[test]
    fn research_notes_cite_sources() {
        for (system, prompt) in [
            ("Research the topic.", "\"trail running\""),
            ("", "Research \"trail running\" for an article."),
        ] {
            let notes = answer(system, prompt, false, None);
            let (_, sources) = notes.split_once("## Sources\n").expect(&notes);
            let urls: Vec<&str> = sources.lines().filter(|l| l.contains("https://")).collect();
            assert_eq!(urls.len(), 3, "{notes}");
            assert!(notes.contains("Trail Running"));
        }
    }
}
