//! `draft`: a per-row article pipeline of stages (research → outline → draft → humanize →
//! images), each with its own prompt template and its own check of the answer.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use serde_json::{Map, Value};

use crate::providers::Purpose;
use crate::tasks::template::PromptTemplate;
use crate::text::word_count;

/// Fields a draft result line adds, in output order.
pub const FIELDS: [&str; 8] = [
    "title",
    "article",
    "word_count",
    "outline",
    "research",
    "sources",
    "images",
    "stages",
];

/// The article length when neither `--words`, a `words` column nor the profile gives one.
pub const DEFAULT_WORDS: u32 = 1_200;

/// The shortest target an article can meet. Its title and headings count (as `word_count`
/// counts them), and it has at least three `##` sections, the outline check's minimum, which the
/// draft keeps: a short title and three headings come to 10–20 words, and a sentence under each
/// brings the article to about 40–60, the ±20 % band around 50. Any shorter and the headings
/// alone use up what the check allows.
pub const MIN_WORDS: u32 = 50;

/// The longest target `--words` takes.
pub const MAX_WORDS: u32 = 20_000;

/// `--words N`, refused below [`MIN_WORDS`] with the reason.
pub fn parse_words(text: &str) -> Result<u32, String> {
    let words: u32 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of words"))?;
    if words > MAX_WORDS {
        return Err(format!("at most {MAX_WORDS} words"));
    }
    match too_short(words) {
        Some(reason) => Err(reason),
        None => Ok(words),
    }
}

/// Refuses a run-wide target no article can meet before anything is sent, since every row would
/// fail its draft check after paying for research and the outline. `--words` is checked as it
/// is parsed, so what this refuses came from the profile.
pub fn check_words(words: u32) -> anyhow::Result<()> {
    match too_short(words) {
        Some(reason) => bail!(
            "{reason}; set the profile's `[draft] words` to {MIN_WORDS} or more, or give --words"
        ),
        None => Ok(()),
    }
}

fn too_short(words: u32) -> Option<String> {
    (words < MIN_WORDS).then(|| {
        format!(
            "a target of {words} words is too short: an article needs at least {MIN_WORDS} (a \
             title and three sections of a sentence each, headings counted)"
        )
    })
}

/// The stages, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Research,
    Outline,
    Draft,
    Humanize,
    Images,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Research,
        Stage::Outline,
        Stage::Draft,
        Stage::Humanize,
        Stage::Images,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Research => "research",
            Stage::Outline => "outline",
            Stage::Draft => "draft",
            Stage::Humanize => "humanize",
            Stage::Images => "images",
        }
    }

    pub fn parse(name: &str) -> Option<Stage> {
        Stage::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name.trim()))
    }

    pub fn purpose(self) -> Purpose {
        match self {
            Stage::Research => Purpose::Research,
            Stage::Outline => Purpose::Outline,
            Stage::Draft => Purpose::Draft,
            Stage::Humanize => Purpose::Humanize,
            Stage::Images => Purpose::Image,
        }
    }

    pub fn system_prompt(self) -> &'static str {
        match self {
            Stage::Research => {
                "You are a research assistant. You answer with concise notes and the URLs of your sources."
            }
            Stage::Outline => crate::tasks::spec::builtin_tables()["outline"]
                .system
                .as_deref()
                .unwrap_or_default(),
            Stage::Draft => {
                "You are an experienced writer. You answer with the article in markdown and nothing else."
            }
            Stage::Humanize => {
                "You are an editor. You answer with the rewritten article in markdown and nothing else."
            }
            Stage::Images => "You are an illustrator.",
        }
    }

    fn builtin_template(self) -> &'static str {
        match self {
            Stage::Research => include_str!("prompts/draft_research.j2"),
            Stage::Outline => include_str!("prompts/draft_outline.j2"),
            Stage::Draft => include_str!("prompts/draft_draft.j2"),
            Stage::Humanize => include_str!("prompts/draft_humanize.j2"),
            Stage::Images => include_str!("prompts/draft_images.j2"),
        }
    }

    /// The stage's answer budget (the cap sent adds room for reasoning).
    pub fn answer_tokens(self, words: u32) -> u32 {
        match self {
            Stage::Research => 2_000,
            Stage::Outline => 1_500,
            // About 1.4 tokens a word, with room for markdown.
            Stage::Draft | Stage::Humanize => (words.saturating_mul(2)).max(1_000),
            Stage::Images => 2_000,
        }
    }

    /// Rough output size for token budgets and cost estimates.
    pub fn typical_output_tokens(self, words: u32) -> u64 {
        match self {
            Stage::Research => 600,
            Stage::Outline => 400,
            Stage::Draft | Stage::Humanize => u64::from(words) * 4 / 3,
            Stage::Images => 1_290,
        }
    }

    /// Variables a stage's template gets besides the row's columns.
    pub const VARIABLES: [&'static str; 8] = [
        "words", "audience", "tone", "research", "sources", "outline", "draft", "heading",
    ];
}

/// Which stages run: the default list, `--stages` replacing it, `--skip` taking some out.
pub fn choose_stages(
    stages: Option<&[String]>,
    skip: &[String],
    images: u32,
) -> anyhow::Result<Vec<Stage>> {
    let parse = |names: &[String], flag: &str| -> anyhow::Result<Vec<Stage>> {
        names
            .iter()
            .filter(|n| !n.trim().is_empty())
            .map(|name| {
                Stage::parse(name).with_context(|| {
                    let known: Vec<&str> = Stage::ALL.iter().map(|s| s.name()).collect();
                    format!(
                        "{flag}: unknown stage `{name}`; the stages are {}",
                        known.join(", ")
                    )
                })
            })
            .collect()
    };
    let mut chosen = match stages {
        Some(names) => parse(names, "--stages")?,
        None => {
            let mut all = vec![
                Stage::Research,
                Stage::Outline,
                Stage::Draft,
                Stage::Humanize,
            ];
            if images > 0 {
                all.push(Stage::Images);
            }
            all
        }
    };
    let skipped = parse(skip, "--skip")?;
    chosen.retain(|s| !skipped.contains(s));
    chosen.sort();
    chosen.dedup();
    if !chosen.contains(&Stage::Draft) {
        bail!("the stages must include `draft`: it writes the article");
    }
    if chosen.contains(&Stage::Images) && images == 0 {
        bail!(
            "the stages include `images` but --images is 0; give --images N (pictures per article)"
        );
    }
    Ok(chosen)
}

/// The templates of the chosen stages: built-in (writing about the `subject` column), or files
/// from flags or the profile.
pub fn templates(
    stages: &[Stage],
    files: &BTreeMap<Stage, PathBuf>,
    subject: &str,
) -> anyhow::Result<BTreeMap<Stage, PromptTemplate>> {
    stages
        .iter()
        .map(|&stage| {
            let template = match files.get(&stage) {
                Some(path) => PromptTemplate::from_file(path)?,
                None => PromptTemplate::builtin_named(
                    stage.builtin_template(),
                    &format!("{} stage", stage.name()),
                )
                .about(subject),
            };
            Ok((stage, template))
        })
        .collect()
}

/// `STAGE=FILE` from `--stage-template`.
pub fn parse_stage_template(text: &str) -> Result<(Stage, PathBuf), String> {
    let (stage, file) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not STAGE=FILE, e.g. outline=prompts/outline.j2"))?;
    let stage = Stage::parse(stage).ok_or_else(|| format!("`{stage}` is not a stage"))?;
    Ok((stage, PathBuf::from(file)))
}

/// What a stage produced, as kept in the sidecar file and the result line.
#[derive(Debug, Clone, PartialEq)]
pub struct StageOutput {
    pub text: String,
    pub sources: Vec<String>,
    pub images: Vec<String>,
}

/// Checks a stage's answer against the row's targets and the earlier stages.
pub fn validate(
    stage: Stage,
    text: &str,
    citations: &[String],
    words: u32,
    draft: Option<&str>,
) -> Result<StageOutput, String> {
    let body = crate::text::strip_code_fence(text).to_string();
    let output = |text: String, sources: Vec<String>| StageOutput {
        text,
        sources,
        images: Vec::new(),
    };
    match stage {
        Stage::Research => {
            let count = word_count(&body);
            if count < 20 {
                return Err(format!(
                    "research notes have {count} words; at least 20 are expected"
                ));
            }
            let mut sources: Vec<String> = citations.to_vec();
            for url in urls_in(&body) {
                if !sources.contains(&url) {
                    sources.push(url);
                }
            }
            Ok(output(body, sources))
        }
        Stage::Outline => crate::tasks::spec::TextOutput::outline_check()
            .validate(&body)
            .map(|_| output(body, Vec::new())),
        Stage::Draft => {
            let count = word_count(&body);
            let (low, high) = (f64::from(words) * 0.8, f64::from(words) * 1.2);
            if (count as f64) < low || (count as f64) > high {
                return Err(format!(
                    "the draft has {count} words; the target is {words} (±20 %: {}–{})",
                    low.ceil(),
                    high.floor()
                ));
            }
            Ok(output(body, Vec::new()))
        }
        Stage::Humanize => {
            let draft = draft.unwrap_or_default();
            if headings(&body) != headings(draft) {
                return Err(
                    "the rewrite changed the article's headings; they must stay as they are".into(),
                );
            }
            let (before, after) = (word_count(draft) as f64, word_count(&body) as f64);
            if before > 0.0 && (after < before * 0.8 || after > before * 1.2) {
                return Err(format!(
                    "the rewrite has {after} words against the draft's {before}; it must keep the length (±20 %)"
                ));
            }
            Ok(output(body, Vec::new()))
        }
        Stage::Images => Ok(output(String::new(), Vec::new())),
    }
}

/// The heading lines of a markdown text, as they are.
pub fn headings(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| l.starts_with('#'))
        .collect()
}

/// `http(s)://` URLs in a text, with trailing punctuation cut.
pub fn urls_in(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '<' | '>' | '[' | ']' | '"'))
        .filter(|w| w.starts_with("https://") || w.starts_with("http://"))
        .map(|w| {
            w.trim_end_matches(['.', ',', ';', ':', '!', '?'])
                .to_string()
        })
        .collect()
}

/// A row's targets: its `words`, `audience` and `tone` columns where it has them, else the run's.
pub fn row_targets(
    fields: &Map<String, Value>,
    words: u32,
    audience: Option<&str>,
    tone: Option<&str>,
) -> (u32, Option<String>, Option<String>) {
    let text = |column: &str| {
        fields
            .get(column)
            .map(crate::rows::value_text)
            .filter(|t| !t.trim().is_empty())
    };
    let words = text("words")
        .and_then(|t| t.trim().parse().ok())
        .filter(|&n: &u32| n > 0)
        .unwrap_or(words);
    (
        words,
        text("audience").or_else(|| audience.map(str::to_string)),
        text("tone").or_else(|| tone.map(str::to_string)),
    )
}

/// What earlier stages produced, for the next stage's template.
#[derive(Debug, Clone, Copy, Default)]
pub struct Earlier<'a> {
    pub research: &'a str,
    pub sources: &'a [String],
    pub outline: &'a str,
    pub draft: &'a str,
}

/// The extras a stage's template sees: targets and earlier outputs.
pub fn template_extras(
    words: u32,
    audience: Option<&str>,
    tone: Option<&str>,
    earlier: Earlier<'_>,
    heading: Option<&str>,
) -> Map<String, Value> {
    let mut extras = Map::new();
    extras.insert("words".into(), words.into());
    extras.insert("audience".into(), audience.unwrap_or_default().into());
    extras.insert("tone".into(), tone.unwrap_or_default().into());
    extras.insert("research".into(), earlier.research.into());
    extras.insert("sources".into(), earlier.sources.to_vec().into());
    extras.insert("outline".into(), earlier.outline.into());
    extras.insert("draft".into(), earlier.draft.into());
    extras.insert("heading".into(), heading.unwrap_or_default().into());
    extras
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_default_replace_and_skip() {
        let names = |v: &[Stage]| v.iter().map(|s| s.name()).collect::<Vec<_>>();
        assert_eq!(
            names(&choose_stages(None, &[], 0).unwrap()),
            ["research", "outline", "draft", "humanize"]
        );
        assert_eq!(
            names(&choose_stages(None, &[], 2).unwrap()).last(),
            Some(&"images")
        );
        let skip = vec!["humanize".to_string(), "research".to_string()];
        assert_eq!(
            names(&choose_stages(None, &skip, 0).unwrap()),
            ["outline", "draft"]
        );
        let only = vec!["draft".to_string(), "outline".to_string()];
        assert_eq!(
            names(&choose_stages(Some(&only), &[], 0).unwrap()),
            ["outline", "draft"]
        );
        assert!(
            choose_stages(Some(&["outline".to_string()]), &[], 0)
                .unwrap_err()
                .to_string()
                .contains("must include `draft`")
        );
        assert!(
            choose_stages(Some(&["drat".to_string()]), &[], 0)
                .unwrap_err()
                .to_string()
                .contains("unknown stage `drat`")
        );
        assert!(choose_stages(Some(&["draft".to_string(), "images".to_string()]), &[], 0).is_err());
    }

    #[test]
    fn the_draft_must_land_within_twenty_percent() {
        let article = |n: usize| format!("# T\n\n## A\n\n{}", "word ".repeat(n));
        assert!(validate(Stage::Draft, &article(1000), &[], 1000, None).is_ok());
        let error = validate(Stage::Draft, &article(500), &[], 1000, None).unwrap_err();
        assert!(error.contains("target is 1000"), "{error}");
        assert!(validate(Stage::Draft, &article(1300), &[], 1000, None).is_err());
    }

    #[test]
    fn targets_below_what_an_article_needs_are_refused_with_the_reason() {
        assert_eq!(parse_words("50"), Ok(50));
        assert_eq!(parse_words("20000"), Ok(20_000));
        let short = parse_words("49").unwrap_err();
        assert!(
            short.contains("at least 50") && short.contains("headings"),
            "{short}"
        );
        assert!(parse_words("20001").is_err() && parse_words("many").is_err());
        assert!(check_words(MIN_WORDS).is_ok());
        let error = check_words(20).unwrap_err().to_string();
        assert!(
            error.contains("20 words") && error.contains("[draft] words"),
            "{error}"
        );
    }

    #[test]
    fn a_short_article_is_asked_for_three_sections_and_told_headings_count() {
        let templates = templates(&Stage::ALL, &BTreeMap::new(), "keyword").unwrap();
        let fields: Map<String, Value> = [("keyword".to_string(), Value::from("tea"))]
            .into_iter()
            .collect();
        let outline = |words: u32| {
            let extras = template_extras(words, None, None, Earlier::default(), None);
            templates[&Stage::Outline]
                .render_with("1", &fields, &extras)
                .unwrap()
        };
        assert!(
            outline(50).contains("then three `##` sections"),
            "{}",
            outline(50)
        );
        assert!(outline(1200).contains("then at least five `##` sections"));
        let extras = template_extras(50, None, None, Earlier::default(), None);
        let draft = templates[&Stage::Draft]
            .render_with("1", &fields, &extras)
            .unwrap();
        assert!(draft.contains("Target length: 50 words\nThe title and headings count"));
    }

    #[test]
    fn humanize_keeps_headings_and_length() {
        let draft = "# T\n## A\nsome words here and there\n## B\nmore words";
        assert!(
            validate(
                Stage::Humanize,
                "# T\n## A\nsome words there and here\n## B\nmore words",
                &[],
                0,
                Some(draft)
            )
            .is_ok()
        );
        let error = validate(
            Stage::Humanize,
            "# T\n## Changed\nsome words here and there\n## B\nmore words",
            &[],
            0,
            Some(draft),
        )
        .unwrap_err();
        assert!(error.contains("headings"), "{error}");
    }

    #[test]
    fn research_keeps_citations_and_urls_in_the_notes() {
        let notes = format!(
            "{} see https://a.example/x. and (https://b.example/y)",
            "fact ".repeat(25)
        );
        let out = validate(
            Stage::Research,
            &notes,
            &["https://c.example/z".to_string()],
            0,
            None,
        )
        .unwrap();
        assert_eq!(
            out.sources,
            [
                "https://c.example/z",
                "https://a.example/x",
                "https://b.example/y"
            ]
        );
        assert!(validate(Stage::Research, "too short", &[], 0, None).is_err());
    }

    #[test]
    fn builtin_stage_templates_render_with_extras() {
        let templates = templates(&Stage::ALL, &BTreeMap::new(), "keyword").unwrap();
        let fields: Map<String, Value> = [("keyword".to_string(), Value::from("trail shoes"))]
            .into_iter()
            .collect();
        let earlier = Earlier {
            draft: "# Draft body",
            ..Earlier::default()
        };
        let extras = template_extras(900, Some("runners"), None, earlier, None);
        let draft = templates[&Stage::Draft]
            .render_with("1", &fields, &extras)
            .unwrap();
        assert!(
            draft.contains("Target length: 900 words") && draft.contains("Audience: runners"),
            "{draft}"
        );
        let humanize = templates[&Stage::Humanize]
            .render_with("1", &fields, &extras)
            .unwrap();
        assert!(
            humanize.contains("---ARTICLE---\n# Draft body"),
            "{humanize}"
        );
        for template in templates.values() {
            template
                .check_columns_with(&["keyword".to_string()], &Stage::VARIABLES)
                .unwrap();
        }
    }
}
