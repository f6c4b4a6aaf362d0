//! Flags + profile + environment → one validated, immutable [`Plan`]. Every usage, config and input
//! error is found here, before a single request is sent (exit code 2).

pub mod draft;
pub mod task;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::cli::{DraftArgs, InputFormat, ProgressArg, RunArgs};
use crate::pool::{self, PoolEntry};
use crate::profile::{self, Profile};
use crate::providers::presets::{self, Service};
use crate::providers::reasoning::{ModelThinking, Thinking};
use crate::registry::{self, Available};
use crate::rows::Format;
use crate::rows::reader::{ReaderOptions, RowReader, Source};
use crate::rows::record::METADATA_FIELDS;
use crate::rows::writer::Target;
use crate::tasks::Task;
use crate::tasks::draft::Stage;
use crate::tasks::reasoning::ReasoningPolicy;
use crate::tasks::template::{PromptTemplate, subject_column};
use secrecy::SecretString;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
pub const DEFAULT_PROGRESS_INTERVAL: Duration = Duration::from_secs(5);
/// `--progress auto` off a terminal: a line every 30 s.
pub const UNATTENDED_PROGRESS_INTERVAL: Duration = Duration::from_secs(30);
/// An automatic entry's ceiling when its profile sets no `max_lanes`.
pub const DEFAULT_MAX_LANES: u32 = 32;

/// How the results file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// The file must not exist yet.
    New,
    /// `--force`: replace it.
    Overwrite,
    /// `--resume`: skip the ids it holds, append the rest.
    Resume,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    Bar,
    Plain,
    Json,
    None,
}

/// A provider of the pool, with everything needed to build its clients and limiters.
#[derive(Debug, Clone)]
pub struct ProviderPlan {
    pub name: String,
    pub service: Service,
    /// The key of each entry of `key_labels`; `None` for the mock and keyless servers.
    pub keys: Vec<Option<SecretString>>,
    /// One label per key (never the key itself); each key has its own limiter and lanes.
    pub key_labels: Vec<String>,
    pub rpm: Option<u32>,
    pub tpm: Option<u64>,
    pub timeout: Duration,
    /// The ceiling of an automatic entry's lanes (profile `max_lanes`).
    pub max_lanes: u32,
    /// The profile's reasoning setting for every task this provider serves.
    pub reasoning: Option<crate::providers::reasoning::Reasoning>,
    /// A plan for a dry run may lack the keys: the variables the real run needs, any of which
    /// would do (empty when the keys are there or none is needed).
    pub missing_key_vars: Vec<String>,
    /// The profile's `input_price` and `output_price` for the provider's models.
    pub price: Option<(f64, f64)>,
    /// The profile's batch prices.
    pub batch_price: Option<(f64, f64)>,
    /// The profile's `[models."ID"]` prices, which come before the provider's.
    pub model_prices: std::collections::BTreeMap<String, crate::profile::ModelPrices>,
}

impl ProviderPlan {
    /// How `model` reasons on this provider's wire (the mock does not reason); `described` are
    /// the profile's `[models."ID"]` tables.
    pub fn thinking(
        &self,
        model: &str,
        described: &std::collections::BTreeMap<String, ModelThinking>,
    ) -> Thinking {
        match self.service.wire() {
            None => Thinking::NEVER,
            Some(wire) => Thinking::for_model(
                model,
                wire,
                described.get(&model.to_ascii_lowercase()).copied(),
            ),
        }
    }
}

/// One lane: a fixed (provider, model, key).
#[derive(Debug, Clone, PartialEq)]
pub struct LanePlan {
    pub provider: usize,
    pub key: usize,
    pub model: String,
    /// USD per million input and output tokens for this lane's model, when known.
    pub price: Option<(f64, f64)>,
    /// Part of an automatic entry: it works only while its key's gate lets it.
    pub adaptive: bool,
    /// How the lane's model reasons on its provider's wire.
    pub thinking: Thinking,
}

pub struct Plan {
    pub task: Task,
    pub input_label: String,
    pub input_path: Option<PathBuf>,
    pub reader: RowReader,
    /// How the input was opened, so `--resume` can read it once more before the run.
    pub reader_options: ReaderOptions,
    pub template: PromptTemplate,
    pub topic_column: Option<String>,
    pub renames: Vec<(String, String)>,
    pub output_columns: Vec<String>,
    pub providers: Vec<ProviderPlan>,
    pub lanes: Vec<LanePlan>,
    pub out: Target,
    pub out_format: Format,
    pub failed: PathBuf,
    pub write_mode: WriteMode,
    pub max_attempts: u32,
    pub max_cost: Option<f64>,
    pub max_inflight: Option<u32>,
    pub connect_timeout: Duration,
    /// `--log FILE`: the request log.
    pub log: Option<PathBuf>,
    pub keep_order: bool,
    /// `--bom`: new CSV results and manifests start with a UTF-8 byte-order mark.
    pub bom: bool,
    pub progress: ProgressMode,
    pub progress_interval: Duration,
    pub dry_run: bool,
    pub profile_source: Option<PathBuf>,
    /// The article pipeline's part, for `gen draft`.
    pub draft: Option<draft::DraftPlan>,
    /// Who asks for how much reasoning: the flag, the providers, the tasks.
    pub reasoning: ReasoningPolicy,
}

impl Plan {
    /// What each provider's structured output cannot take of the task's schema, one line per
    /// provider: those rules go in the prompt instead, and every answer is still validated
    /// against the whole schema.
    pub fn structured_output_notes(&self) -> Vec<String> {
        use crate::providers::dialect::JsonMode;
        let crate::providers::OutputShape::Json { schema, .. } = self.task.shape() else {
            return Vec::new();
        };
        // A built-in prompt states its own rules (the seo title's 60 characters); only a
        // user's task needs telling where its schema's rules went.
        if self.task.has_builtin_prompt() {
            return Vec::new();
        }
        let mut notes = Vec::new();
        for provider in &self.providers {
            let Service::Http { wire, dialect, .. } = &provider.service else {
                continue;
            };
            if dialect.json != JsonMode::JsonSchema
                && *wire == crate::providers::protocol::Wire::OpenAi
            {
                notes.push(format!(
                    "{} takes no JSON Schema as structured output: the schema goes in the prompt \
                     and every answer is validated against it",
                    provider.name
                ));
                continue;
            }
            let planned = crate::providers::structured::plan(*wire, dialect.json, &schema);
            if planned.unsupported.is_empty() {
                continue;
            }
            let what: Vec<String> = planned
                .unsupported
                .iter()
                .map(|u| format!("`{}` at {}", u.keyword, u.location()))
                .collect();
            notes.push(format!(
                "{}'s structured output cannot take {}: {} in the prompt, and every answer is \
                 validated against the whole schema",
                provider.name,
                what.join(", "),
                if what.len() == 1 {
                    "it goes"
                } else {
                    "they go"
                }
            ));
        }
        notes
    }
}

/// What [`Plan::resolve_with`] checks beyond the arguments themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checks {
    /// The results file and manifest may be written (a live run's; a batch job's are checked
    /// when it is fetched).
    pub paths: bool,
    /// Every provider's key is set (a dry run only says which the real run needs).
    pub keys: bool,
}

impl Plan {
    /// A live run's plan, or a dry run's (which checks neither paths nor keys).
    pub fn resolve(
        task: Task,
        args: &RunArgs,
        draft_args: Option<&DraftArgs>,
    ) -> anyhow::Result<Plan> {
        let checks = Checks {
            paths: !args.dry_run,
            keys: !args.dry_run,
        };
        Plan::resolve_with(task, args, draft_args, checks)
    }

    pub fn resolve_with(
        task: Task,
        args: &RunArgs,
        draft_args: Option<&DraftArgs>,
        checks: Checks,
    ) -> anyhow::Result<Plan> {
        let profile = load_profile(args)?;
        // `gen seo` and `gen outline` run the profile's row of that name where it has one.
        let task = match task.builtin() {
            Some(_) if task.def().origin == "built-in" => task::named(task.name(), &profile)?,
            _ => task,
        };
        let providers_available = registry::available(&profile)?;
        let entries = pool_entries(args, &profile)?;
        let (mut providers, mut lanes) = resolve_pool(
            &entries,
            &providers_available,
            args.timeout,
            registry::process_env,
            &profile.models,
            checks.keys,
        )?;
        // A model's own prices in the profile come before its provider's and the table's.
        for provider in &mut providers {
            provider.model_prices = profile.model_prices.clone();
        }
        for lane in &mut lanes {
            lane.price = price_of(&providers[lane.provider], &lane.model);
        }

        let source = if args.input == "-" {
            Source::Stdin
        } else {
            Source::File(PathBuf::from(&args.input))
        };
        let input_path = match &source {
            Source::File(path) => Some(path.clone()),
            Source::Stdin => None,
        };
        let reader_options = ReaderOptions {
            format: args.input_format.map(|f| match f {
                InputFormat::Csv => Format::Csv,
                InputFormat::Jsonl => Format::Jsonl,
            }),
            id_column: args.id_column.clone(),
            delimiter: args.read.delimiter,
            encoding: args.read.encoding,
            sheet: args.read.sheet.clone(),
        };
        let reader = RowReader::open(&source, &reader_options)?;

        // The built-in templates write about the subject column (`keyword` in any case, or the
        // one named); a template of the user's own names its columns itself.
        let subject_flag = args
            .subject_column
            .as_deref()
            .or(profile.subject_column.as_deref());
        let builtin_templates =
            task.has_builtin_prompt() && (args.template.is_none() || draft_args.is_some());
        let subject = if reader.columns().is_empty() {
            subject_flag.unwrap_or("keyword").to_string()
        } else if builtin_templates || subject_flag.is_some() {
            subject_column(reader.columns(), subject_flag)
                .map_err(|message| anyhow::anyhow!("{}: {message}", input_label_of(&source)))?
        } else {
            "keyword".to_string()
        };
        let template = match (&args.template, draft_args) {
            (Some(path), None) => PromptTemplate::from_file(path)?,
            _ if builtin_templates || draft_args.is_some() => {
                task.builtin_template().about(&subject)
            }
            _ => task.prompt_template()?,
        };
        if !reader.columns().is_empty() && draft_args.is_none() {
            template.check_columns(reader.columns())?;
        }

        let input_stem = input_path
            .as_deref()
            .and_then(Path::file_stem)
            .map_or_else(|| "stdin".to_string(), |s| s.to_string_lossy().into_owned());
        let (out, out_format) = match args.out.as_deref() {
            Some("-") => (Target::Stdout, Format::Jsonl),
            Some(path) => (
                Target::File(PathBuf::from(path)),
                format_of(Path::new(path)),
            ),
            None => (
                Target::File(PathBuf::from(format!("{input_stem}.{}.jsonl", task.name()))),
                Format::Jsonl,
            ),
        };
        // Beside the results file; for `-o -`, in the current directory.
        let failed = args.failed.clone().unwrap_or_else(|| {
            let extension = reader.format().extension();
            match &out {
                Target::File(path) => {
                    let stem = path
                        .file_stem()
                        .map_or_else(|| input_stem.clone(), |s| s.to_string_lossy().into_owned());
                    path.with_file_name(format!("{stem}.failed.{extension}"))
                }
                Target::Stdout => {
                    PathBuf::from(format!("{input_stem}.{}.failed.{extension}", task.name()))
                }
            }
        });
        let write_mode = match (args.resume, args.force) {
            (true, _) => WriteMode::Resume,
            (false, true) => WriteMode::Overwrite,
            (false, false) => WriteMode::New,
        };
        if checks.paths {
            check_paths(input_path.as_deref(), &out, &failed, write_mode)?;
        }

        let results_stem = match &out {
            Target::File(path) => path.with_extension(""),
            Target::Stdout => PathBuf::from(format!("{input_stem}.{}", task.name())),
        };
        let draft = match draft_args {
            Some(draft_args) => Some(draft::resolve(
                draft_args,
                &profile,
                &providers_available,
                &mut providers,
                &lanes,
                reader.columns(),
                &subject,
                &results_stem,
            )?),
            None => None,
        };
        if args.max_cost.is_some() {
            check_priced(task, &providers, &lanes, draft.as_ref())?;
        }
        if let (Some(draft), Some(draft_args)) = (&draft, draft_args) {
            if !args.dry_run {
                draft::confirm_mixed_pool(&providers, &lanes, draft_args.yes)?;
            }
            if !args.dry_run && write_mode == WriteMode::New && draft.sidecar.exists() {
                bail!(
                    "the stage file `{}` of an earlier draft run exists; pass --resume to reuse its \
                     finished stages or --force to start over",
                    draft.sidecar.display()
                );
            }
        }
        let (renames, output_columns) = output_columns(task, reader.columns());
        let topic_column = if reader.columns().contains(&subject) {
            Some(subject.clone())
        } else {
            topic_column(reader.columns(), reader.id_column())
        };
        let progress = progress_mode(args.progress.unwrap_or(ProgressArg::Auto));
        let reasoning = ReasoningPolicy {
            flag: args.reasoning,
            providers: providers.iter().map(|p| p.reasoning).collect(),
            steps: profile.tasks.steps.clone(),
        };
        Ok(Plan {
            task,
            input_label: input_path
                .as_ref()
                .map_or_else(|| "stdin".to_string(), |p| p.display().to_string()),
            input_path,
            reader,
            reader_options,
            template,
            topic_column,
            renames,
            output_columns,
            providers,
            lanes,
            out,
            out_format,
            failed,
            write_mode,
            max_attempts: args.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS),
            max_cost: args.max_cost,
            max_inflight: args.max_inflight,
            connect_timeout: args.connect_timeout,
            log: args.log.clone(),
            keep_order: args.keep_order,
            bom: args.bom,
            progress,
            progress_interval: args.progress_interval.unwrap_or(
                if args.progress.is_none() && progress == ProgressMode::Plain {
                    UNATTENDED_PROGRESS_INTERVAL
                } else {
                    DEFAULT_PROGRESS_INTERVAL
                },
            ),
            dry_run: args.dry_run,
            profile_source: profile.source.clone(),
            draft,
            reasoning,
        })
    }
}

/// `--max-cost` reserves each request's estimate before sending it, and a model without a price
/// has none: it would be counted as free. So every model the run may send to (the lanes', the
/// draft's research and image models) needs a price, checked before anything is sent.
fn check_priced(
    task: Task,
    providers: &[ProviderPlan],
    lanes: &[LanePlan],
    draft: Option<&draft::DraftPlan>,
) -> anyhow::Result<()> {
    let lane_work = match draft {
        None => format!("the {} task", task.name()),
        Some(draft) => {
            let stages: Vec<&str> = draft
                .settings
                .stages
                .iter()
                .filter(|stage| match stage {
                    Stage::Research => draft.research.is_none(),
                    Stage::Images => false,
                    _ => true,
                })
                .map(|stage| stage.name())
                .collect();
            format!("the draft's {} stages", stages.join(", "))
        }
    };
    let lanes = lanes
        .iter()
        .map(|lane| (lane.provider, &lane.model, lane.price, lane_work.clone()));
    let stages = draft.into_iter().flat_map(|draft| {
        [
            (Stage::Research, &draft.research),
            (Stage::Images, &draft.image_model),
        ]
        .into_iter()
        .filter_map(|(stage, target)| {
            let target = target.as_ref()?;
            let work = format!("the draft's {} stage", stage.name());
            Some((target.provider, &target.model, target.price, work))
        })
    });
    if let Some((provider, model, _, work)) =
        lanes.chain(stages).find(|(_, _, price, _)| price.is_none())
    {
        bail!(
            "--max-cost needs a price for every model the run sends to, and `{model}` on provider \
             `{}` ({work}) has none; choose a priced model (`gen models` lists them) or drop \
             --max-cost",
            providers[provider].name
        );
    }
    Ok(())
}

/// The input as messages name it.
fn input_label_of(source: &Source) -> String {
    match source {
        Source::File(path) => format!("input `{}`", path.display()),
        Source::Stdin => "stdin".to_string(),
    }
}

fn load_profile(args: &RunArgs) -> anyhow::Result<Profile> {
    profile::select(args.profile.as_deref(), args.no_profile)
}

fn pool_entries(args: &RunArgs, profile: &Profile) -> anyhow::Result<Vec<PoolEntry>> {
    if let Some(spec) = &args.pool {
        return pool::parse_pool(spec).with_context(|| format!("--pool `{spec}`"));
    }
    if !profile.pool.is_empty() {
        return Ok(profile.pool.clone());
    }
    let name = profile
        .default
        .clone()
        .unwrap_or_else(|| registry::MOCK.to_string());
    Ok(vec![PoolEntry {
        name,
        model: None,
        weight: crate::pool::Weight::Lanes(1),
    }])
}

fn resolve_pool(
    entries: &[PoolEntry],
    available: &[Available],
    timeout_flag: Option<Duration>,
    env: impl Fn(&str) -> Option<String>,
    described: &std::collections::BTreeMap<String, ModelThinking>,
    need_keys: bool,
) -> anyhow::Result<(Vec<ProviderPlan>, Vec<LanePlan>)> {
    let mut providers: Vec<ProviderPlan> = Vec::new();
    let mut entry_bindings: Vec<(usize, String)> = Vec::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for entry in entries {
        let (found, model) = registry::route(entry, available)?;
        if !seen.insert((found.name.clone(), model.clone())) {
            bail!(
                "the pool names provider `{}` with model `{model}` twice; give it one entry with \
                 the summed weight",
                found.name
            );
        }
        let index = match providers.iter().position(|p| p.name == found.name) {
            Some(index) => index,
            None => {
                providers.push(provider_plan(found, timeout_flag, &env, need_keys)?);
                providers.len() - 1
            }
        };
        entry_bindings.push((index, model));
    }
    // An automatic entry spawns its ceiling of lanes; a gate per key lets only as many work as
    // the key's limit and latency call for.
    let weights: Vec<(u32, usize)> = entries
        .iter()
        .zip(&entry_bindings)
        .map(|(entry, (provider, _))| {
            let lanes = match entry.weight {
                pool::Weight::Lanes(n) => n,
                pool::Weight::Auto => providers[*provider].max_lanes,
            };
            (lanes, providers[*provider].key_labels.len())
        })
        .collect();
    let adaptive: Vec<bool> = entries
        .iter()
        .map(|e| e.weight == pool::Weight::Auto)
        .collect();
    let lanes = pool::expand_lanes(&weights)
        .into_iter()
        .map(|slot| {
            let (provider, model) = &entry_bindings[slot.entry];
            let price = price_of(&providers[*provider], model);
            LanePlan {
                provider: *provider,
                key: slot.key,
                model: model.clone(),
                price,
                adaptive: adaptive[slot.entry],
                thinking: providers[*provider].thinking(model, described),
            }
        })
        .collect();
    for (provider, model) in &entry_bindings {
        check_described_wire(&providers[*provider], model, described)?;
    }
    Ok((providers, lanes))
}

/// USD per million input and output tokens for `model` on `provider`, when known: the profile's
/// price, else the built-in table's; the mock is free unless its profile entry prices it.
pub(crate) fn price_of(provider: &ProviderPlan, model: &str) -> Option<(f64, f64)> {
    let described = provider.model_prices.get(&model.to_ascii_lowercase());
    described
        .and_then(|p| p.live)
        .or(provider.price)
        .or_else(|| match &provider.service {
            Service::Mock(_) => Some((0.0, 0.0)),
            Service::Http { .. } => presets::price(model).map(|p| (p.input, p.output)),
        })
}

/// Batch prices are half the interactive ones on all three APIs.
pub const BATCH_DISCOUNT: f64 = 0.5;

/// Batch prices: the profile's, else the live ones at the Batch APIs' discount.
pub(crate) fn batch_price_of(provider: &ProviderPlan, model: &str) -> Option<(f64, f64)> {
    let described = provider.model_prices.get(&model.to_ascii_lowercase());
    described
        .and_then(|p| p.batch)
        .or(provider.batch_price)
        .or_else(|| {
            price_of(provider, model).map(|(i, o)| (i * BATCH_DISCOUNT, o * BATCH_DISCOUNT))
        })
}

/// A profile's `[models."ID"]` steering must be a field of the provider's own wire: a budget is
/// Gemini's, an effort OpenAI's. (The built-in table's models are merely left unsteered on another
/// wire, as behind a gateway; a description the user wrote for this run should not be.)
pub(crate) fn check_described_wire(
    provider: &ProviderPlan,
    model: &str,
    described: &std::collections::BTreeMap<String, ModelThinking>,
) -> anyhow::Result<()> {
    let (Some(wire), Some(entry)) = (
        provider.service.wire(),
        described.get(&model.to_ascii_lowercase()),
    ) else {
        return Ok(());
    };
    if let Some(steering_wire) = entry.steering.wire().filter(|w| *w != wire) {
        bail!(
            "the profile's `[models.\"{model}\"]` says steering = \"{}\", a field of the {} wire, \
             but provider `{}` speaks the {} wire; use a steering of that wire, or \"always\" / \"none\"",
            entry.steering.kind_name(),
            steering_wire.name(),
            provider.name,
            wire.name(),
        );
    }
    Ok(())
}

pub(crate) fn provider_plan(
    found: &Available,
    timeout_flag: Option<Duration>,
    env: impl Fn(&str) -> Option<String>,
    need_keys: bool,
) -> anyhow::Result<ProviderPlan> {
    let mut missing_key_vars = Vec::new();
    let config = &found.config;
    let (keys, key_labels) = match &found.service {
        Service::Mock(_) => (vec![None], vec![format!("{} (no key)", found.name)]),
        Service::Http { .. } => {
            let keys = match registry::keys(found, env) {
                Ok(keys) => keys,
                Err(_) if !need_keys => {
                    missing_key_vars = found.key_vars.clone();
                    Vec::new()
                }
                Err(error) => return Err(error),
            };
            if !missing_key_vars.is_empty() {
                let label = format!("{} (not set)", missing_key_vars.join(" or "));
                (vec![None], vec![label])
            } else if keys.is_empty() {
                (vec![None], vec!["no key".to_string()])
            } else {
                keys.into_iter().map(|k| (Some(k.secret), k.label)).unzip()
            }
        }
    };
    Ok(ProviderPlan {
        name: found.name.clone(),
        service: found.service.clone(),
        keys,
        key_labels,
        rpm: config.rpm,
        tpm: config.tpm,
        timeout: timeout_flag.or(config.timeout).unwrap_or(DEFAULT_TIMEOUT),
        max_lanes: config
            .max_lanes
            .unwrap_or(DEFAULT_MAX_LANES)
            .min(pool::MAX_WEIGHT),
        reasoning: config.reasoning,
        missing_key_vars,
        model_prices: std::collections::BTreeMap::new(),
        price: match (config.input_price, config.output_price) {
            (Some(input), Some(output)) => Some((input, output)),
            (None, None) => None,
            _ => anyhow::bail!(
                "[providers.{}]: give both input_price and output_price (USD per million tokens)",
                found.name
            ),
        },
        batch_price: match (config.batch_input_price, config.batch_output_price) {
            (Some(input), Some(output)) => Some((input, output)),
            (None, None) => None,
            _ => anyhow::bail!(
                "[providers.{}]: give both batch_input_price and batch_output_price",
                found.name
            ),
        },
    })
}

fn format_of(path: &Path) -> Format {
    match path.extension().and_then(|e| e.to_str()) {
        Some(ext) if ext.eq_ignore_ascii_case("csv") => Format::Csv,
        _ => Format::Jsonl,
    }
}

fn check_paths(
    input: Option<&Path>,
    out: &Target,
    failed: &Path,
    mode: WriteMode,
) -> anyhow::Result<()> {
    let out_path = match out {
        Target::File(path) => Some(path.as_path()),
        Target::Stdout => None,
    };
    if mode == WriteMode::Resume && out_path.is_none() {
        bail!("--resume needs a results file to read: give -o FILE instead of -o -");
    }
    if let Some(input) = input {
        if let Some(out) = out_path.filter(|out| same_file(input, out)) {
            bail!(
                "the results file `{}` is the input file; choose another -o",
                out.display()
            );
        }
        if same_file(input, failed) {
            bail!(
                "the failed-rows manifest `{}` is the input file; choose another --failed",
                failed.display()
            );
        }
    }
    if let Some(out) = out_path {
        if same_file(out, failed) {
            bail!(
                "--out and --failed are both `{}`; give them different files",
                out.display()
            );
        }
        if mode == WriteMode::New && out.exists() {
            bail!(
                "the results file `{}` already exists; pass --resume to continue that run, --force \
                 to overwrite it, or -o to write elsewhere",
                out.display()
            );
        }
    }
    // A stdout run keeps no results to resume, so an earlier manifest is simply replaced.
    if mode == WriteMode::New && failed.exists() && out_path.is_some() {
        bail!(
            "the failed-rows manifest `{}` already exists; pass --resume or --force (it is rewritten \
             with this run's failures), or --failed to write elsewhere",
            failed.display()
        );
    }
    Ok(())
}

/// Same path, or the same file reached another way.
/// A file not created yet is compared by its absolute path.
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    if a == b {
        return true;
    }
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => std::path::absolute(a).ok() == std::path::absolute(b).ok(),
    }
}

/// Input columns keep their names unless they collide with a field gen writes; those become
/// `input_<name>` (the plan reports it) so nothing is overwritten silently.
fn output_columns(task: Task, input: &[String]) -> (Vec<(String, String)>, Vec<String>) {
    let fields = task.output_fields();
    let generated: Vec<&str> = fields
        .iter()
        .map(String::as_str)
        .chain(METADATA_FIELDS.iter().copied())
        .collect();
    let mut renames = Vec::new();
    let mut columns = Vec::with_capacity(input.len() + generated.len());
    for column in input {
        if generated.contains(&column.as_str()) {
            let mut renamed = format!("input_{column}");
            while input.contains(&renamed) || generated.contains(&renamed.as_str()) {
                renamed.insert_str(0, "input_");
            }
            renames.push((column.clone(), renamed.clone()));
            columns.push(renamed);
        } else {
            columns.push(column.clone());
        }
    }
    columns.extend(generated.iter().map(|s| s.to_string()));
    (renames, columns)
}

/// The column a row is about: `keyword` when present, else the first column that is not the id.
fn topic_column(columns: &[String], id_column: Option<&str>) -> Option<String> {
    if columns.iter().any(|c| c == "keyword") {
        return Some("keyword".to_string());
    }
    columns
        .iter()
        .find(|c| Some(c.as_str()) != id_column)
        .cloned()
}

/// `auto`: the live display on a terminal; off one (CI logs, `2> file`), a plain line every
/// [`UNATTENDED_PROGRESS_INTERVAL`], so a long run shows it is alive and a short one prints
/// nothing but its summary.
fn progress_mode(arg: ProgressArg) -> ProgressMode {
    use std::io::IsTerminal;
    match arg {
        ProgressArg::Auto if std::io::stderr().is_terminal() => ProgressMode::Bar,
        ProgressArg::Auto => ProgressMode::Plain,
        ProgressArg::None => ProgressMode::None,
        ProgressArg::Bar => ProgressMode::Bar,
        ProgressArg::Plain => ProgressMode::Plain,
        ProgressArg::Json => ProgressMode::Json,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colliding_input_columns_are_renamed_not_overwritten() {
        let input = vec![
            "keyword".to_string(),
            "title".to_string(),
            "provider".to_string(),
        ];
        let (renames, columns) = output_columns(Task::seo(), &input);
        assert_eq!(
            renames,
            vec![
                ("title".to_string(), "input_title".to_string()),
                ("provider".to_string(), "input_provider".to_string()),
            ]
        );
        assert_eq!(
            &columns[..5],
            [
                "keyword",
                "input_title",
                "input_provider",
                "title",
                "meta_description"
            ]
        );
        let unique: HashSet<&String> = columns.iter().collect();
        assert_eq!(unique.len(), columns.len());
    }

    #[test]
    fn topic_prefers_keyword_then_the_first_non_id_column() {
        let cols = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            topic_column(&cols(&["id", "keyword"]), Some("id")).as_deref(),
            Some("keyword")
        );
        assert_eq!(
            topic_column(&cols(&["id", "product"]), Some("id")).as_deref(),
            Some("product")
        );
        assert_eq!(topic_column(&[], None), None);
    }
}
