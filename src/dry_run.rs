//! `--dry-run`: what a run would do (lanes, the first prompt, row count, token estimate) without
//! sending anything.

use std::fmt::Write as _;

use crate::plan::draft::DraftPlan;
use crate::plan::{LanePlan, Plan, ProviderPlan};
use crate::providers::estimate_tokens;
use crate::tasks::draft::{Earlier, Stage, row_targets, template_extras};

pub fn describe(plan: Plan) -> String {
    let Plan {
        task,
        reader,
        template,
        providers,
        lanes,
        input_label,
        draft,
        ..
    } = plan;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "dry run: gen {} over {input_label}; nothing is sent",
        task.name()
    );
    let _ = writeln!(text, "lanes ({}):", lanes.len());
    for (index, provider) in providers.iter().enumerate() {
        for (key, label) in provider.key_labels.iter().enumerate() {
            let models: Vec<&str> = lanes
                .iter()
                .filter(|l| l.provider == index && l.key == key)
                .map(|l| l.model.as_str())
                .collect();
            if models.is_empty() {
                continue;
            }
            let rpm = provider
                .rpm
                .map_or_else(|| "no rpm limit".to_string(), |r| format!("{r} rpm"));
            let _ = writeln!(
                text,
                "  {} ×{} · model {} · key {label} · {rpm}",
                provider.name,
                models.len(),
                models[0]
            );
        }
    }
    if let Some(draft) = &draft {
        let _ = writeln!(text, "stages: {}", stage_listing(draft, &providers));
    }
    // A draft row's first request is its first stage; later stages add what earlier ones wrote.
    let (first_template, stage_overhead) = match &draft {
        Some(draft) => {
            let first = draft.settings.stages[0];
            let extras = (
                draft.settings.words,
                draft.settings.audience.clone(),
                draft.settings.tone.clone(),
            );
            let overhead: u64 = draft
                .settings
                .stages
                .iter()
                .scan(0u64, |earlier, stage| {
                    let input = *earlier + estimate_tokens(stage.system_prompt());
                    *earlier += stage.typical_output_tokens(draft.settings.words);
                    Some(input)
                })
                .sum();
            (Some((&draft.settings.templates[&first], extras)), overhead)
        }
        None => (None, estimate_tokens(task.system_prompt())),
    };
    let stages = draft.as_ref().map_or(1, |d| d.settings.stages.len() as u64);
    let output_per_row = match &draft {
        Some(d) => d
            .settings
            .stages
            .iter()
            .map(|s| s.typical_output_tokens(d.settings.words))
            .sum(),
        None => task.typical_output_tokens(),
    };
    let (mut rows, mut bad, mut input_tokens) = (0u64, 0u64, 0u64);
    let mut first_prompt: Option<Result<String, String>> = None;
    let system_tokens = stage_overhead;
    for item in reader {
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
                        input_tokens += system_tokens + stages * estimate_tokens(&prompt);
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
    let output_tokens = rows.saturating_sub(bad) * output_per_row;
    let _ = writeln!(
        text,
        "rows: {rows} ({bad} would go to the manifest) · estimated tokens: {input_tokens} in, ~{output_tokens} out"
    );
    let _ = writeln!(text, "{}", cost_line(&lanes, input_tokens, output_tokens));
    text
}

/// Rows go to whichever lane is free, so the cost lies between all rows on the cheapest lane and
/// all on the dearest.
fn cost_line(lanes: &[LanePlan], input_tokens: u64, output_tokens: u64) -> String {
    if let Some(lane) = lanes.iter().find(|lane| lane.price.is_none()) {
        return format!(
            "estimated cost: unknown (no price for model `{}`)",
            lane.model
        );
    }
    let costs: Vec<f64> = lanes
        .iter()
        .filter_map(|lane| lane.price)
        .map(|(input, output)| (input_tokens as f64 * input + output_tokens as f64 * output) / 1e6)
        .collect();
    let low = costs.iter().copied().fold(f64::INFINITY, f64::min);
    let high = costs.iter().copied().fold(0.0, f64::max);
    if costs.is_empty() {
        "estimated cost: no lanes".to_string()
    } else if (high - low).abs() < 5e-5 {
        format!("estimated cost: ${high:.4}")
    } else {
        format!(
            "estimated cost: ${low:.4} to ${high:.4} (all rows on the cheapest or the dearest lane)"
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
