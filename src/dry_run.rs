//! `--dry-run`: what a run would do (lanes, what each sends about reasoning and its cap, the first
//! prompt, row count, token and cost estimates) without sending anything.
//!
//! The output estimate of a request is the task's typical answer plus the reasoning tokens its
//! setting is expected to spend on the lane's model (`Choice::expected`: about 800 at medium, the
//! median vendors' models show at their default, scaled for the other settings and capped by a
//! thinking budget). Rows go to whichever lane is free, so the expected cost shares them equally
//! among the lanes, between all on the cheapest and all on the dearest.

use std::fmt::Write as _;

use crate::plan::draft::DraftPlan;
use crate::plan::{LanePlan, Plan, ProviderPlan};
use crate::providers::estimate_tokens;
use crate::providers::reasoning::Thinking;
use crate::tasks::Task;
use crate::tasks::draft::{Earlier, Stage, row_targets, template_extras};
use crate::tasks::reasoning::{ReasoningPolicy, Step};

pub fn describe(plan: Plan) -> String {
    let notes = plan.structured_output_notes();
    let Plan {
        task,
        mut reader,
        template,
        providers,
        lanes,
        input_label,
        draft,
        reasoning,
        ..
    } = plan;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "dry run: gen {} over {input_label}; nothing is sent",
        task.name()
    );
    let _ = writeln!(text, "input: {}", reader.describe_input());
    for note in &notes {
        let _ = writeln!(text, "note: {note}");
    }
    let _ = writeln!(text, "lanes ({}):", lanes.len());
    for (index, provider) in providers.iter().enumerate() {
        let rpm = provider
            .rpm
            .map_or_else(|| "no rpm limit".to_string(), |r| format!("{r} rpm"));
        let mut models: Vec<&LanePlan> = Vec::new();
        for lane in lanes.iter().filter(|l| l.provider == index) {
            if !models.iter().any(|m| m.model == lane.model) {
                models.push(lane);
            }
        }
        for model in models {
            for (key, label) in provider.key_labels.iter().enumerate() {
                let count = lanes
                    .iter()
                    .filter(|l| l.provider == index && l.key == key && l.model == model.model)
                    .count();
                if count > 0 {
                    let _ = writeln!(
                        text,
                        "  {} ×{count} · model {} · key {label} · {rpm}",
                        provider.name, model.model
                    );
                }
            }
            // What the lanes of this model send about reasoning, and the cap that leaves it.
            for (step, answer_tokens) in steps(task, draft.as_ref(), lane_runs_research(&draft)) {
                let _ = writeln!(
                    text,
                    "    {}",
                    sizing_line(&model.thinking, &reasoning, index, step, answer_tokens)
                );
            }
        }
    }
    if let Some(draft) = &draft {
        let _ = writeln!(text, "stages: {}", stage_listing(draft, &providers));
        let words = draft.settings.words;
        for (stage, target) in [
            (Stage::Research, &draft.research),
            (Stage::Images, &draft.image_model),
        ] {
            if let Some(t) = target
                .as_ref()
                .filter(|_| draft.settings.stages.contains(&stage))
            {
                let _ = writeln!(
                    text,
                    "    {} on {}: {}",
                    stage.name(),
                    providers[t.provider].name,
                    sizing_line(
                        &t.thinking,
                        &reasoning,
                        t.provider,
                        Step::Stage(stage),
                        stage.answer_tokens(words)
                    )
                );
            }
        }
    }
    // A draft row's first request is its first stage; later stages add what earlier ones wrote.
    // Each request of a row (its stages, or the task's one) has this input besides the prompt.
    let (first_template, overheads): (_, Vec<u64>) = match &draft {
        Some(draft) => {
            let first = draft.settings.stages[0];
            let extras = (
                draft.settings.words,
                draft.settings.audience.clone(),
                draft.settings.tone.clone(),
            );
            let overheads = draft
                .settings
                .stages
                .iter()
                .scan(0u64, |earlier, stage| {
                    let input = *earlier + estimate_tokens(stage.system_prompt());
                    *earlier += stage.typical_output_tokens(draft.settings.words);
                    Some(input)
                })
                .collect();
            (Some((&draft.settings.templates[&first], extras)), overheads)
        }
        None => {
            let schema = match task.shape() {
                crate::providers::OutputShape::Json { schema, .. } => {
                    estimate_tokens(&schema.to_string())
                }
                crate::providers::OutputShape::Text => 0,
            };
            (None, vec![estimate_tokens(task.system_prompt()) + schema])
        }
    };
    // Per lane, the requests a row makes there: each one's model and output.
    let legs: Vec<Vec<Leg>> = lanes
        .iter()
        .map(|lane| legs(task, draft.as_ref(), lane, &reasoning))
        .collect();
    // Output tokens per row on each lane: the answers, and the reasoning its models spend.
    let per_row: Vec<(u64, u64)> = legs
        .iter()
        .map(|legs| {
            legs.iter()
                .fold((0, 0), |(a, r), leg| (a + leg.answers, r + leg.reasoning))
        })
        .collect();
    let (mut rows, mut bad, mut prompts, mut prompt_tokens) = (0u64, 0u64, 0u64, 0u64);
    let mut first_prompt: Option<Result<String, String>> = None;
    for item in reader.by_ref() {
        match item {
            Ok(row) => {
                rows += 1;
                let rendered = match &first_template {
                    Some((template, (words, audience, tone))) => {
                        let (words, audience, tone) =
                            row_targets(&row.fields, *words, audience.as_deref(), tone.as_deref());
                        let extras = template_extras(
                            words,
                            audience.as_deref(),
                            tone.as_deref(),
                            Earlier::default(),
                            None,
                        );
                        template.render_with(&row.id, &row.fields, &extras)
                    }
                    None => template.render(&row.id, &row.fields),
                };
                match rendered {
                    Ok(prompt) => {
                        prompts += 1;
                        prompt_tokens += estimate_tokens(&prompt);
                        first_prompt.get_or_insert(Ok(prompt));
                    }
                    Err(error) => {
                        bad += 1;
                        first_prompt.get_or_insert(Err(format!("row {}: {error}", row.id)));
                    }
                }
            }
            Err(_) => bad += 1,
        }
    }
    match first_prompt {
        Some(Ok(prompt)) => {
            let _ = writeln!(text, "first prompt:\n---\n{}\n---", prompt.trim_end());
        }
        Some(Err(error)) => {
            let _ = writeln!(text, "first prompt could not be rendered: {error}");
        }
        None => {
            let _ = writeln!(text, "no rows to render");
        }
    }
    // Every request of a row carries its prompt.
    let input_by_leg: Vec<u64> = overheads
        .iter()
        .map(|overhead| prompts * overhead + prompt_tokens)
        .collect();
    let input_tokens: u64 = input_by_leg.iter().sum();
    let sent = rows.saturating_sub(bad);
    let lanes_n = per_row.len().max(1) as u64;
    let mean = |pick: fn(&(u64, u64)) -> u64| per_row.iter().map(pick).sum::<u64>() / lanes_n;
    let output_tokens = sent * mean(|(answer, reasoning)| answer + reasoning);
    let reasoning_tokens = sent * mean(|(_, reasoning)| *reasoning);
    let blank = match reader.blank_rows() {
        0 => String::new(),
        1 => "1 blank row skipped, ".to_string(),
        n => format!("{n} blank rows skipped, "),
    };
    let _ = writeln!(
        text,
        "rows: {rows} ({blank}{bad} would go to the manifest) · estimated tokens: {input_tokens} \
         in, ~{output_tokens} out (~{reasoning_tokens} of it reasoning)"
    );
    let _ = writeln!(text, "{}", cost_line(&legs, &input_by_leg, sent));
    let _ = writeln!(text, "{}", keys_line(&providers));
    text
}

/// Which keys the real run needs that are not set (a dry run needs none).
fn keys_line(providers: &[ProviderPlan]) -> String {
    let missing: Vec<String> = providers
        .iter()
        .filter(|p| !p.missing_key_vars.is_empty())
        .map(|p| format!("{} ({})", p.missing_key_vars.join(" or "), p.name))
        .collect();
    if missing.is_empty() {
        "keys: every key the run needs is set".to_string()
    } else {
        format!(
            "keys the real run needs but are not set: {}",
            missing.join("; ")
        )
    }
}

/// The requests a row makes on a lane, with each one's answer budget: the task's one, or the
/// draft stages that run on the lane's own provider.
fn steps(task: Task, draft: Option<&DraftPlan>, research_here: bool) -> Vec<(Step, u32)> {
    match draft {
        None => vec![(Step::Task(task), task.answer_tokens())],
        Some(draft) => draft
            .settings
            .stages
            .iter()
            .filter(|s| match s {
                Stage::Research => research_here,
                Stage::Images => false,
                _ => true,
            })
            .map(|&s| (Step::Stage(s), s.answer_tokens(draft.settings.words)))
            .collect(),
    }
}

/// Whether research runs on each lane's own provider (no `--research` target).
fn lane_runs_research(draft: &Option<DraftPlan>) -> bool {
    draft.as_ref().is_some_and(|d| d.research.is_none())
}

/// `seo: reasoning_effort: minimal (--reasoning off); the cap leaves 1024 tokens for it · cap 1424`.
fn sizing_line(
    thinking: &Thinking,
    policy: &ReasoningPolicy,
    provider: usize,
    step: Step,
    answer_tokens: u32,
) -> String {
    let (choice, cap) = thinking.size(policy.setting(provider, step), answer_tokens, 0);
    format!(
        "{}: {} · output cap {cap}",
        step.label(),
        thinking.describe(&choice)
    )
}

/// One request a row makes: the model that serves it, and its expected output per row.
struct Leg<'a> {
    model: &'a str,
    /// USD per million input and output tokens, when known.
    price: Option<(f64, f64)>,
    answers: u64,
    reasoning: u64,
}

/// The requests a row makes on `lane`: the task's one, or one per draft stage (in stage order),
/// a stage with its own target on that target's model.
fn legs<'a>(
    task: Task,
    draft: Option<&'a DraftPlan>,
    lane: &'a LanePlan,
    policy: &ReasoningPolicy,
) -> Vec<Leg<'a>> {
    // As the lane will size each request (an Anthropic budget fitted under a small cap).
    let expected = |thinking: &Thinking, provider: usize, step: Step, answer_tokens: u32| {
        let (choice, _) = thinking.size(policy.setting(provider, step), answer_tokens, 0);
        u64::from(choice.expected)
    };
    let Some(draft) = draft else {
        return vec![Leg {
            model: &lane.model,
            price: lane.price,
            answers: task.typical_output_tokens(),
            reasoning: expected(
                &lane.thinking,
                lane.provider,
                Step::Task(task),
                task.answer_tokens(),
            ),
        }];
    };
    let words = draft.settings.words;
    draft
        .settings
        .stages
        .iter()
        .map(|&stage| {
            let (model, price, thinking, provider) =
                match (stage, &draft.research, &draft.image_model) {
                    (Stage::Research, Some(t), _) | (Stage::Images, _, Some(t)) => {
                        (t.model.as_str(), t.price, &t.thinking, t.provider)
                    }
                    _ => (
                        lane.model.as_str(),
                        lane.price,
                        &lane.thinking,
                        lane.provider,
                    ),
                };
            let requests = if stage == Stage::Images {
                u64::from(draft.settings.images)
            } else {
                1
            };
            Leg {
                model,
                price,
                answers: requests * stage.typical_output_tokens(words),
                reasoning: requests
                    * expected(
                        thinking,
                        provider,
                        Step::Stage(stage),
                        stage.answer_tokens(words),
                    ),
            }
        })
        .collect()
}

/// The expected cost shares the rows equally among the lanes; the range puts them all on the
/// cheapest lane or all on the dearest. Each request is priced at the model that serves it, and
/// one model without a price makes the estimate unknown (not free).
fn cost_line(legs: &[Vec<Leg>], input_by_leg: &[u64], rows: u64) -> String {
    if let Some(leg) = legs.iter().flatten().find(|leg| leg.price.is_none()) {
        return format!(
            "estimated cost: unknown (no price for model `{}`)",
            leg.model
        );
    }
    let costs: Vec<f64> = legs
        .iter()
        .map(|legs| {
            legs.iter()
                .zip(input_by_leg)
                .filter_map(|(leg, &input_tokens)| {
                    let (input, output) = leg.price?;
                    let output_tokens = rows * (leg.answers + leg.reasoning);
                    Some((input_tokens as f64 * input + output_tokens as f64 * output) / 1e6)
                })
                .sum()
        })
        .collect();
    if costs.is_empty() {
        return "estimated cost: no lanes".to_string();
    }
    let low = costs.iter().copied().fold(f64::INFINITY, f64::min);
    let high = costs.iter().copied().fold(0.0, f64::max);
    let expected = costs.iter().sum::<f64>() / costs.len() as f64;
    if (high - low).abs() < 5e-5 {
        format!("estimated cost: ${expected:.4}")
    } else {
        format!(
            "estimated cost: ${expected:.4} with rows shared equally among the lanes \
             (${low:.4} to ${high:.4}: all on the cheapest or the dearest lane)"
        )
    }
}

/// `research (perplexity · sonar) → outline → draft → humanize → images ×2 (gemini · …)`.
fn stage_listing(draft: &DraftPlan, providers: &[ProviderPlan]) -> String {
    let target = |t: &Option<crate::plan::draft::StageTarget>| {
        t.as_ref()
            .map(|t| format!(" ({} · {})", providers[t.provider].name, t.model))
            .unwrap_or_default()
    };
    draft
        .settings
        .stages
        .iter()
        .map(|stage| match stage {
            Stage::Research => format!("research{}", target(&draft.research)),
            Stage::Images => format!(
                "images ×{}{}",
                draft.settings.images,
                target(&draft.image_model)
            ),
            other => other.name().to_string(),
        })
        .collect::<Vec<_>>()
        .join(" → ")
}
