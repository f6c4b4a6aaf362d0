//! The `draft` part of a plan: stages and their templates, targets, where research and pictures
//! run, where pictures, articles and finished stages go, and the confirmation a mixed-provider
//! pool needs.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::cli::DraftArgs;
use crate::plan::{LanePlan, ProviderPlan, price_of, provider_plan};
use crate::pool::PoolEntry;
use crate::profile::Profile;
use crate::providers::presets::Service;
use crate::registry::{self, Available};
use crate::tasks::draft::{self, Stage};
use crate::tasks::template::PromptTemplate;

/// Where a stage that does not run on the row's lane goes: a provider of the plan and a model.
#[derive(Debug, Clone, PartialEq)]
pub struct StageTarget {
    pub provider: usize,
    pub model: String,
    /// USD per million input and output tokens, when known.
    pub price: Option<(f64, f64)>,
    /// How the model reasons on its provider's wire.
    pub thinking: crate::providers::reasoning::Thinking,
}

/// What every draft row shares: stages, templates, targets and where files go.
pub struct DraftSettings {
    pub stages: Vec<Stage>,
    pub templates: BTreeMap<Stage, PromptTemplate>,
    pub words: u32,
    pub audience: Option<String>,
    pub tone: Option<String>,
    pub images: u32,
    pub assets: PathBuf,
    /// Where article files go (pictures are linked relative to it).
    pub articles_dir: Option<PathBuf>,
}

pub struct DraftPlan {
    pub settings: DraftSettings,
    /// `None`: each lane researches on its own provider.
    pub research: Option<StageTarget>,
    pub image_model: Option<StageTarget>,
    /// Finished stages of rows not yet in the results, so a retry never pays for them again.
    pub sidecar: PathBuf,
}

const DEFAULT_IMAGE_MODEL: &str = "gemini:gemini-2.5-flash-image";

#[allow(clippy::too_many_arguments)]
pub fn resolve(
    args: &DraftArgs,
    profile: &Profile,
    available: &[Available],
    providers: &mut Vec<ProviderPlan>,
    lanes: &[LanePlan],
    columns: &[String],
    subject: &str,
    results_stem: &Path,
) -> anyhow::Result<DraftPlan> {
    if args.run.template.is_some() {
        bail!("--template applies to seo and outline; for draft give --stage-template STAGE=FILE");
    }
    let config = &profile.draft;
    let images = args.images.or(config.images).unwrap_or(0);
    let stage_names = args.stages.clone().or_else(|| config.stages.clone());
    let stages = draft::choose_stages(stage_names.as_deref(), &args.skip, images)?;

    let mut files: BTreeMap<Stage, PathBuf> = BTreeMap::new();
    for (name, path) in &config.templates {
        let stage = Stage::parse(name)
            .with_context(|| format!("profile [draft.templates]: `{name}` is not a stage"))?;
        files.insert(stage, path.clone());
    }
    files.extend(args.stage_templates.iter().cloned());
    let templates = draft::templates(&stages, &files, subject)?;
    if !columns.is_empty() {
        for template in templates.values() {
            template.check_columns_with(columns, &Stage::VARIABLES)?;
        }
    }

    let research = match args.research.as_deref().or(config.research.as_deref()) {
        Some(spec) if stages.contains(&Stage::Research) => {
            Some(target(spec, available, providers, args, profile)?)
        }
        _ => None,
    };
    let image_model = if stages.contains(&Stage::Images) {
        let all_mock = lanes
            .iter()
            .all(|l| matches!(providers[l.provider].service, Service::Mock(_)));
        let default = if all_mock {
            registry::MOCK
        } else {
            DEFAULT_IMAGE_MODEL
        };
        let spec = args
            .image_model
            .as_deref()
            .or(config.image_model.as_deref())
            .unwrap_or(default);
        Some(target(spec, available, providers, args, profile)?)
    } else {
        None
    };

    let stem = results_stem.to_string_lossy();
    let assets = args
        .assets
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{stem}.assets")));
    let sidecar = PathBuf::from(format!("{stem}.stages.jsonl"));
    Ok(DraftPlan {
        settings: DraftSettings {
            stages,
            templates,
            words: args.words.or(config.words).unwrap_or(draft::DEFAULT_WORDS),
            audience: args.audience.clone().or_else(|| config.audience.clone()),
            tone: args.tone.clone().or_else(|| config.tone.clone()),
            images,
            assets,
            articles_dir: args.articles_dir.clone(),
        },
        research,
        image_model,
        sidecar,
    })
}

/// `PROVIDER[:MODEL]` (or a model id) → a provider of the plan, added when the pool lacks it.
fn target(
    spec: &str,
    available: &[Available],
    providers: &mut Vec<ProviderPlan>,
    args: &DraftArgs,
    profile: &Profile,
) -> anyhow::Result<StageTarget> {
    let (name, model) = match spec.split_once(':') {
        Some((name, model)) => (name.trim().to_string(), Some(model.trim().to_string())),
        None => (spec.trim().to_string(), None),
    };
    let entry = PoolEntry {
        name,
        model,
        weight: crate::pool::Weight::Lanes(1),
    };
    let (found, model) = registry::route(&entry, available)?;
    let provider = match providers.iter().position(|p| p.name == found.name) {
        Some(index) => index,
        None => {
            providers.push(provider_plan(
                found,
                args.run.timeout,
                registry::process_env,
                !args.run.dry_run,
            )?);
            providers.len() - 1
        }
    };
    providers[provider].model_prices = profile.model_prices.clone();
    let price = price_of(&providers[provider], &model);
    crate::plan::check_described_wire(&providers[provider], &model, &profile.models)?;
    Ok(StageTarget {
        provider,
        thinking: providers[provider].thinking(&model, &profile.models),
        model,
        price,
    })
}

/// Articles written by different providers differ in voice: a pool spanning several asks once on
/// a terminal, needs `--yes` elsewhere.
pub(crate) fn confirm_mixed_pool(
    providers: &[ProviderPlan],
    lanes: &[LanePlan],
    yes: bool,
) -> anyhow::Result<()> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for lane in lanes {
        let name = &providers[lane.provider].name;
        match counts.iter_mut().find(|(n, _)| n == name) {
            Some((_, count)) => *count += 1,
            None => counts.push((name.clone(), 1)),
        }
    }
    if counts.len() < 2 || yes {
        return Ok(());
    }
    let listing = counts
        .iter()
        .map(|(n, c)| format!("{n} ×{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        bail!(
            "the pool spans {} providers ({listing}), so articles will differ in voice; add --yes \
             to go on (or use one provider)",
            counts.len()
        );
    }
    eprint!(
        "gen: the pool spans {} providers ({listing}); articles will differ in voice. Go on? [y/N] ",
        counts.len()
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "Yes") {
        Ok(())
    } else {
        bail!("stopped: not confirmed");
    }
}
