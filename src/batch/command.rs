//! `gen batch …`: rows rendered exactly like a live run go to a provider's Batch API as one or
//! more jobs; `fetch` maps the answers back to their rows, checks them like the live task and
//! writes the same result and manifest files. Job state lives in a small file per job.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::batch::job::{self, JobFile, Unsent};
use crate::batch::remote::Remote;
use crate::batch::wire::{BatchItem, ItemResult, JobState};
use crate::cli::{
    BatchCommand, BatchFetchArgs, BatchFlags, BatchRunArgs, BatchSubmitArgs, BatchTask, FetchFiles,
    InputFormat, ProgressArg, ReadArgs, RunArgs, StateDirArg,
};
use crate::engine::lane::{RecordMeta, compose_record};
use crate::exit;
use crate::failure::{Failure, FailureKind};
use crate::plan::{Backend, Checks, Plan, ProviderPlan};
use crate::providers::reasoning::Reasoning;
use crate::providers::{ProviderError, Request, Usage, estimate_tokens};
use crate::rows::manifest::ManifestWriter;
use crate::rows::reader::ReadSettings;
use crate::rows::resume::{id_hash, read_journal};
use crate::rows::writer::{OpenMode, ResultWriter, Target};
use crate::tasks::TaskKind;
use crate::tasks::reasoning::Step;

/// Batch prices are half the interactive ones on all three APIs.
const BATCH_DISCOUNT: f64 = 0.5;

pub fn run(command: &BatchCommand) -> u8 {
    let outcome = match command {
        BatchCommand::Submit(args) if args.live => spill_to_live(args),
        BatchCommand::Submit(args) => submit_command(args),
        BatchCommand::Status { job, state } => status(job.as_deref(), state.state_dir.as_deref()),
        BatchCommand::Fetch(args) => fetch(args),
        BatchCommand::Cancel { job, state } => cancel(job, state.state_dir.as_deref()),
        BatchCommand::List { state } => list(state.state_dir.as_deref()),
        BatchCommand::Run(args) => run_all(args),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("gen: error: {error:#}");
            exit::USAGE
        }
    }
}

fn task_of(task: BatchTask) -> TaskKind {
    match task {
        BatchTask::Seo => TaskKind::Seo,
        BatchTask::Outline => TaskKind::Outline,
    }
}

/// The task a job file names; anything else is an error, wherever the job is read.
fn task_named(job: &JobFile) -> anyhow::Result<TaskKind> {
    match job.task.as_str() {
        "seo" => Ok(TaskKind::Seo),
        "outline" => Ok(TaskKind::Outline),
        other => bail!(
            "job {} names the task `{other}`, which gen does not know (batch jobs run seo or \
             outline); was its state file written by another version?",
            job.job
        ),
    }
}

fn input_format_of(job: &JobFile) -> InputFormat {
    match job.input_format.as_str() {
        "csv" => InputFormat::Csv,
        _ => InputFormat::Jsonl,
    }
}

/// What a batch plan is built from: the rows, the one provider and what shapes the requests.
struct PlanInputs<'a> {
    task: TaskKind,
    input: &'a str,
    provider: &'a str,
    model: Option<&'a str>,
    id_column: Option<String>,
    template: Option<PathBuf>,
    input_format: Option<InputFormat>,
    read: ReadArgs,
    profile: Option<String>,
    no_profile: bool,
    reasoning: Option<Reasoning>,
    timeout: Option<Duration>,
    /// The submission needs the provider's key; a dry run only says which.
    need_key: bool,
    subject_column: Option<String>,
}

/// The live run's plan for these rows on this one provider: same reader, template, routing,
/// profile, reasoning and keys. Paths are checked by fetch, not here.
fn plan_for(inputs: PlanInputs) -> anyhow::Result<Plan> {
    // Which provider first: a provider without a Batch API is the answer, whatever its key.
    let profile_used = crate::profile::select(inputs.profile.as_deref(), inputs.no_profile)?;
    let available = crate::registry::available(&profile_used)?;
    let entry = crate::pool::PoolEntry {
        name: inputs.provider.to_string(),
        model: inputs.model.map(str::to_string),
        weight: crate::pool::Weight::Lanes(1),
    };
    let (found, _) = crate::registry::route(&entry, &available)?;
    let batchable = matches!(found.name.as_str(), "openai" | "anthropic" | "gemini")
        || found.service == crate::registry::Service::Mock;
    if !batchable {
        bail!(
            "provider `{}` has no Batch API gen knows; batch jobs run on gemini, openai, anthropic \
             or the offline mock (use a live run for the others)",
            found.name
        );
    }
    let pool = match inputs.model {
        Some(model) => format!("{}:{model}=1", inputs.provider),
        None => format!("{}=1", inputs.provider),
    };
    let args = RunArgs {
        input: inputs.input.to_string(),
        pool: Some(pool),
        profile: inputs.profile,
        no_profile: inputs.no_profile,
        out: None,
        failed: None,
        resume: false,
        force: false,
        id_column: inputs.id_column,
        template: inputs.template,
        subject_column: inputs.subject_column,
        input_format: inputs.input_format,
        read: inputs.read,
        max_attempts: None,
        max_cost: None,
        max_inflight: None,
        timeout: inputs.timeout,
        connect_timeout: crate::providers::http::DEFAULT_CONNECT_TIMEOUT,
        keep_order: false,
        bom: false,
        dry_run: !inputs.need_key,
        progress: Some(ProgressArg::None),
        progress_interval: None,
        reasoning: inputs.reasoning,
    };
    let checks = Checks {
        paths: false,
        keys: inputs.need_key,
    };
    Plan::resolve_with(inputs.task, &args, None, checks)
}

/// How a job's provider is reached: its Batch API with its first key, or the offline mock (which
/// keeps its jobs' answers in the state directory).
fn remote_for(provider: &ProviderPlan, state_dir: &Path) -> anyhow::Result<Remote> {
    match &provider.backend {
        Backend::Http {
            wire,
            base_url,
            keys,
            ..
        } => {
            let key = keys.first().cloned().flatten();
            Ok(Remote::new(*wire, base_url.clone(), key, provider.timeout))
        }
        Backend::Mock(config) => Ok(Remote::mock(config.clone(), state_dir.to_path_buf())),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// What a submit works on: its own flags, or with `--retry-failed` the earlier job's.
struct SubmitInputs {
    task: TaskKind,
    input: String,
    provider: String,
    model: Option<String>,
    id_column: Option<String>,
    template: Option<PathBuf>,
    input_format: Option<InputFormat>,
    read: ReadArgs,
    profile: Option<String>,
    no_profile: bool,
    subject_column: Option<String>,
    /// Only these rows (custom ids) when retrying a job's failures.
    only: Option<BTreeSet<String>>,
    /// `--reasoning`, else the retried job's.
    reasoning: Option<Reasoning>,
    /// The job being retried.
    earlier: Option<JobFile>,
}

fn submit_inputs(args: &BatchSubmitArgs) -> anyhow::Result<SubmitInputs> {
    let Some(earlier) = &args.retry_failed else {
        return Ok(SubmitInputs {
            task: task_of(args.task.context("--task is required")?),
            input: args.input.clone().context("an input file is required")?,
            provider: args.provider.clone().context("--provider is required")?,
            model: args.model.clone(),
            id_column: args.id_column.clone(),
            template: args.template.clone(),
            input_format: args.input_format,
            read: args.read.clone(),
            profile: args.profile.clone(),
            no_profile: args.no_profile,
            subject_column: args.subject_column.clone(),
            only: None,
            reasoning: args.reasoning,
            earlier: None,
        });
    };
    let dir = job::state_dir(args.state.state_dir.as_deref())?;
    let earlier = JobFile::load(&dir, earlier)?;
    if earlier.fetched_at.is_none() {
        bail!(
            "job {} was never fetched, so gen does not know which rows failed; run `gen batch fetch {}` first",
            earlier.job,
            earlier.job
        );
    }
    if let Some(retry) = &earlier.retried_by {
        bail!(
            "job {} was already retried by job {retry}; retry that one's failures instead \
             (`gen batch submit --retry-failed {retry}`)",
            earlier.job
        );
    }
    if earlier.failed.is_empty() {
        bail!(
            "no row of job {} errored or expired; nothing to retry",
            earlier.job
        );
    }
    if job::file_hash(&earlier.input)? != earlier.input_hash {
        bail!(
            "the input `{}` changed since job {} was submitted",
            earlier.input.display(),
            earlier.job
        );
    }
    let provider = args.provider.clone().unwrap_or(earlier.provider.clone());
    // Another provider takes its own default model unless one is named.
    let model = args
        .model
        .clone()
        .or_else(|| (provider == earlier.provider).then(|| earlier.model.clone()));
    Ok(SubmitInputs {
        task: task_named(&earlier)?,
        input: earlier.input.to_string_lossy().into_owned(),
        provider,
        model,
        id_column: args.id_column.clone().or(earlier.id_column.clone()),
        template: args.template.clone().or(earlier.template.clone()),
        input_format: Some(input_format_of(&earlier)),
        // The rows to retry are the earlier job's row numbers: read the file as it did.
        read: earlier.read_args(),
        profile: args.profile.clone().or(earlier.profile.clone()),
        no_profile: args.no_profile || earlier.no_profile,
        subject_column: args
            .subject_column
            .clone()
            .or(earlier.subject_column.clone()),
        only: Some(earlier.failed.clone()),
        reasoning: args
            .reasoning
            .or_else(|| earlier.reasoning.as_deref().and_then(Reasoning::parse)),
        earlier: Some(earlier),
    })
}

/// Every row rendered for the batch, before anything is sent.
struct Submission {
    inputs: SubmitInputs,
    input: PathBuf,
    provider: ProviderPlan,
    model: String,
    /// USD per million tokens at batch prices.
    price: Option<(f64, f64)>,
    input_format: String,
    /// How the input was read, for the job file.
    read: ReadSettings,
    requests: Vec<(String, Request)>,
    rows: Vec<(String, String)>,
    /// Each row's content fingerprint, beside `rows`.
    fingerprints: Vec<String>,
    unsent: Vec<Unsent>,
    /// Rows skipped because the results file already has them (`--resume`).
    skipped: u64,
    /// Estimated input and output tokens, and the reasoning part of the output.
    tokens: (u64, u64, u64),
}

impl Submission {
    fn estimated_cost(&self) -> Option<f64> {
        self.price.map(|(input, output)| {
            (self.tokens.0 as f64 * input + self.tokens.1 as f64 * output) / 1e6
        })
    }
}

/// Renders every row as the live run would, for one provider; `done` are row ids already in the
/// results file, which are not sent again.
fn prepare(
    args: &BatchSubmitArgs,
    done: &HashSet<u64>,
    need_key: bool,
) -> anyhow::Result<Submission> {
    let inputs = submit_inputs(args)?;
    let input = std::fs::canonicalize(&inputs.input)
        .with_context(|| format!("input file `{}` not found", inputs.input))?;
    let timeout = args.timeout;
    let plan = plan_for(PlanInputs {
        task: inputs.task,
        input: &inputs.input,
        provider: &inputs.provider,
        model: inputs.model.as_deref(),
        id_column: inputs.id_column.clone(),
        template: inputs.template.clone(),
        input_format: inputs.input_format,
        read: inputs.read.clone(),
        profile: inputs.profile.clone(),
        no_profile: inputs.no_profile,
        reasoning: inputs.reasoning,
        timeout,
        need_key,
        subject_column: inputs.subject_column.clone(),
    })?;
    let task = inputs.task;
    let model = plan.lanes[0].model.clone();
    let price = plan.lanes[0]
        .price
        .map(|(i, o)| (i * BATCH_DISCOUNT, o * BATCH_DISCOUNT));
    let provider = plan.providers[0].clone();
    // The same reasoning field and cap a live lane of this model would send.
    let thinking = plan.lanes[0].thinking;
    let (choice, cap) = thinking.size(
        plan.reasoning.setting(0, Step::Task(task)),
        task.answer_tokens(),
        0,
    );
    let input_format = plan.reader.format().extension().to_string();
    let read = plan.reader.read_settings();
    let mut requests: Vec<(String, Request)> = Vec::new();
    let mut rows = Vec::new();
    let mut fingerprints = Vec::new();
    let mut unsent = Vec::new();
    let mut skipped = 0;
    let mut tokens = (0u64, 0u64, 0u64);
    let template = plan.template;
    let topic_column = plan.topic_column;
    for item in plan.reader {
        let seq = match &item {
            Ok(row) => row.seq,
            Err(bad) => bad.seq,
        };
        if inputs
            .only
            .as_ref()
            .is_some_and(|only| !only.contains(&format!("r{seq}")))
        {
            continue;
        }
        let row = match item {
            Ok(row) => row,
            Err(bad) => {
                unsent.push(Unsent {
                    seq: bad.seq,
                    row_id: bad.id,
                    error_kind: bad.kind.as_str().into(),
                    error: bad.message,
                });
                continue;
            }
        };
        if done.contains(&id_hash(&row.id)) {
            skipped += 1;
            continue;
        }
        let custom_id = format!("r{}", row.seq);
        let prompt = template
            .check_row(&row.fields)
            .and_then(|()| template.render(&row.id, &row.fields));
        let prompt = match prompt {
            Ok(prompt) => prompt,
            Err(message) => {
                unsent.push(Unsent {
                    seq: row.seq,
                    row_id: row.id.clone(),
                    error_kind: FailureKind::BadInput.as_str().into(),
                    error: format!("line {}: {message}", row.line),
                });
                continue;
            }
        };
        let topic = row.text_of(topic_column.as_deref());
        tokens.0 += estimate_tokens(task.system_prompt()) + estimate_tokens(&prompt);
        tokens.1 += task.typical_output_tokens() + u64::from(choice.expected);
        tokens.2 += u64::from(choice.expected);
        let request = task.request(
            &model,
            prompt,
            topic,
            1,
            provider.timeout,
            cap,
            choice.field,
        );
        fingerprints.push(crate::rows::fingerprint_text(row.fingerprint()));
        rows.push((custom_id.clone(), row.id));
        requests.push((custom_id, request));
    }
    // A retry covers the earlier job's unreadable rows too, so its manifest is the whole story.
    if let Some(earlier) = &inputs.earlier {
        unsent.extend(earlier.unsent.iter().cloned());
    }
    Ok(Submission {
        inputs,
        input,
        provider,
        model,
        price,
        input_format,
        read,
        requests,
        rows,
        fingerprints,
        unsent,
        skipped,
        tokens,
    })
}

/// What `submit` did.
enum Submitted {
    Job(Box<JobFile>),
    /// `--dry-run`: described, nothing sent.
    DryRun,
    /// The estimate passed `--max-cost`: nothing sent.
    OverBudget,
}

fn submit_command(args: &BatchSubmitArgs) -> anyhow::Result<u8> {
    Ok(match submit(args, &HashSet::new())? {
        Submitted::Job(_) | Submitted::DryRun => exit::OK,
        Submitted::OverBudget => exit::ROWS_FAILED,
    })
}

/// Submits the rows not in `done` (or with `--dry-run` only describes what would be sent); prints
/// the job id on stdout.
fn submit(args: &BatchSubmitArgs, done: &HashSet<u64>) -> anyhow::Result<Submitted> {
    if args.pool.is_some() {
        bail!(
            "--pool does not apply to batch: a batch job runs on one provider (--provider); use a \
             live run (`gen seo --pool …`, or `--retry-failed JOB --live`) to spread rows over several"
        );
    }
    let submission = prepare(args, done, !args.dry_run)?;
    let estimate = submission.estimated_cost();
    if args.max_cost.is_some() && estimate.is_none() {
        bail!(
            "--max-cost needs the model's price, and `{}` on provider `{}` has none; leave out \
             --max-cost or use a model from `gen models`",
            submission.model,
            submission.provider.name
        );
    }
    if args.dry_run {
        let text = describe(&submission, args.max_cost)?;
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        return Ok(Submitted::DryRun);
    }
    if let (Some(limit), Some(estimate)) = (args.max_cost, estimate) {
        if estimate > limit {
            eprintln!(
                "gen: the estimated cost at batch prices is ${estimate:.4}, over --max-cost \
                 ${limit}; nothing was submitted (see it with --dry-run)"
            );
            return Ok(Submitted::OverBudget);
        }
    }
    if submission.requests.is_empty() {
        bail!(
            "no row of `{}` can be sent ({} unreadable, {} already in the results); nothing was \
             submitted",
            submission.inputs.input,
            submission.unsent.len(),
            submission.skipped
        );
    }
    let dir = job::state_dir(args.state.state_dir.as_deref())?;
    let remote = remote_for(&submission.provider, &dir)?;
    let parts = runtime()?.block_on(remote.submit(&submission.model, &submission.requests))?;
    let Submission {
        inputs,
        input,
        provider,
        model,
        input_format,
        read,
        rows,
        fingerprints,
        unsent,
        skipped,
        ..
    } = submission;
    let (delimiter, encoding, sheet) = JobFile::read_fields(read);
    let earlier = inputs.earlier.as_ref();
    let job = JobFile {
        job: job::new_job_id(),
        provider: provider.name.clone(),
        model,
        task: inputs.task.name().into(),
        input: input.clone(),
        input_format,
        input_hash: job::file_hash(&input)?,
        id_column: inputs.id_column.clone(),
        template: inputs.template.clone(),
        profile: inputs.profile.clone(),
        no_profile: inputs.no_profile,
        submitted_at: job::now_unix(),
        fetched_at: None,
        // A retry writes where the job it retries wrote.
        out: earlier.and_then(|e| e.out.clone()),
        failed_path: earlier.and_then(|e| e.failed_path.clone()),
        parts,
        rows,
        row_fingerprints: fingerprints,
        unsent,
        fetched: Default::default(),
        failed: Default::default(),
        estimated_cost_usd: estimate,
        reasoning: inputs.reasoning.map(|r| r.name().to_string()),
        retry_of: earlier.map(|e| e.job.clone()),
        retried_by: None,
        subject_column: inputs.subject_column.clone(),
        delimiter,
        encoding,
        sheet,
    };
    job.save(&dir)?;
    let cost = estimate.map_or_else(
        || "unknown (no price for the model)".into(),
        |c| format!("${c:.4}"),
    );
    eprintln!(
        "gen: submitted {} rows to {} ({}) as {} job(s); estimated cost at batch prices: {cost}{}{}",
        job.rows.len(),
        job.provider,
        job.model,
        job.parts.len(),
        if job.unsent.is_empty() {
            String::new()
        } else {
            format!(
                "; {} unreadable rows will be in the manifest",
                job.unsent.len()
            )
        },
        if skipped > 0 {
            format!("; {skipped} rows already in the results were not sent")
        } else {
            String::new()
        }
    );
    println!("{}", job.job);
    Ok(Submitted::Job(Box::new(job)))
}

/// The dry run of a submission: the job split, the first request as its job carries it,
/// estimated tokens, the cost at batch prices and the key the real submission needs.
fn describe(submission: &Submission, max_cost: Option<f64>) -> anyhow::Result<String> {
    let mut text = String::new();
    let provider = &submission.provider;
    let _ = writeln!(
        text,
        "dry run: gen batch submit --task {} --provider {} over {}; nothing is sent and no job is \
         created",
        submission.inputs.task.name(),
        provider.name,
        submission.input.display()
    );
    let key = if !provider.missing_key_vars.is_empty() {
        format!(
            "{} (not set; the submission needs it)",
            provider.missing_key_vars.join(" or ")
        )
    } else {
        provider.key_labels.first().cloned().unwrap_or_default()
    };
    let _ = writeln!(
        text,
        "provider {} · model {} · key {key}",
        provider.name, submission.model
    );
    let items: Vec<BatchItem> = submission
        .requests
        .iter()
        .map(|(custom_id, request)| BatchItem { custom_id, request })
        .collect();
    match &provider.backend {
        Backend::Http { wire, .. } => {
            let cut = crate::batch::split::cut(*wire, &items)?;
            let _ = writeln!(
                text,
                "jobs: {} ({}; at most {} requests and {} bytes a job)",
                cut.jobs.len(),
                cut.form(*wire),
                limit_text(cut.limits.max_requests),
                limit_text(cut.limits.max_bytes),
            );
            for (n, (range, bytes)) in cut.jobs.iter().enumerate() {
                let _ = writeln!(text, "  job {}: {} rows, {bytes} bytes", n + 1, range.len());
            }
            if let Some(first) = items.first() {
                let shown = crate::batch::split::shown(*wire, cut.by_file, first);
                let _ = writeln!(text, "first request:\n---\n{shown}\n---");
            }
        }
        Backend::Mock(_) => {
            let _ = writeln!(text, "jobs: 1 (the offline mock: {} rows)", items.len());
            if let Some(first) = items.first() {
                let _ = writeln!(
                    text,
                    "first request:\n---\n{}\n---",
                    first.request.prompt.trim_end()
                );
            }
        }
    }
    let (input, output, reasoning) = submission.tokens;
    let _ = writeln!(
        text,
        "rows: {} to send, {} would go to the manifest{} · estimated tokens: {input} in, \
         ~{output} out (~{reasoning} of it reasoning)",
        submission.requests.len(),
        submission.unsent.len(),
        if submission.skipped > 0 {
            format!(", {} already in the results", submission.skipped)
        } else {
            String::new()
        }
    );
    match submission.estimated_cost() {
        Some(cost) => {
            let budget = match max_cost {
                Some(limit) if cost > limit => {
                    format!(" (over --max-cost ${limit}: the real run would submit nothing)")
                }
                Some(limit) => format!(" (within --max-cost ${limit})"),
                None => String::new(),
            };
            let _ = writeln!(text, "estimated cost at batch prices: ${cost:.4}{budget}");
        }
        None => {
            let _ = writeln!(
                text,
                "estimated cost at batch prices: unknown (no price for model `{}`)",
                submission.model
            );
        }
    }
    Ok(text)
}

fn limit_text(limit: usize) -> String {
    if limit == usize::MAX {
        "any number of".to_string()
    } else {
        limit.to_string()
    }
}

fn status(job: Option<&str>, state_dir: Option<&Path>) -> anyhow::Result<u8> {
    let dir = job::state_dir(state_dir)?;
    let jobs = match job {
        Some(id) => vec![JobFile::load(&dir, id)?],
        None => job::list(&dir)?,
    };
    if jobs.is_empty() {
        eprintln!("gen: no batch jobs in `{}`", dir.display());
    }
    let rt = runtime()?;
    let mut code = exit::OK;
    for mut job in jobs {
        match refresh(&rt, &mut job, &dir) {
            Ok(summary) => println!("{}", summary),
            Err(error) => {
                eprintln!("gen: {}: {error:#}", job.job);
                code = exit::ROWS_FAILED;
            }
        }
        job.save(&dir)?;
    }
    Ok(code)
}

/// Polls the job's parts that are not over yet; returns a one-line summary.
fn refresh(rt: &tokio::runtime::Runtime, job: &mut JobFile, dir: &Path) -> anyhow::Result<String> {
    let plan = plan_for_job(job)?;
    let remote = remote_for(&plan.providers[0], dir)?;
    let mut counts = (0u64, 0u64, 0u64);
    let mut states = Vec::new();
    for part in &mut job.parts {
        let status = rt.block_on(remote.poll(part))?;
        part.state = status.state.name().to_string();
        part.output = status.output.clone().or(part.output.take());
        part.error_output = status.error_output.clone().or(part.error_output.take());
        counts.0 += status.succeeded;
        counts.1 += status.failed;
        counts.2 += status.pending;
        states.push(part.state.clone());
    }
    let age = job::now_unix().saturating_sub(job.submitted_at);
    Ok(format!(
        "{}  {}  {}  {}  rows {}  succeeded {}  failed {}  pending {}  age {}{}",
        job.job,
        job.provider,
        job.model,
        states.join(","),
        job.rows.len(),
        counts.0,
        counts.1,
        counts.2,
        crate::progress::human(Duration::from_secs(age)),
        currency(job)
    ))
}

/// Where a fetched job's rows stand now: its files, or the retry job whose files are current.
fn currency(job: &JobFile) -> String {
    if let Some(retry) = &job.retried_by {
        return format!(
            "  fetched; retried by job {retry}, whose results and manifest are current ({} rows              still failed)",
            job.failed.len()
        );
    }
    match (&job.fetched_at, &job.out, &job.failed_path) {
        (Some(_), Some(out), Some(failed)) => format!(
            "  fetched into {} ({} failed rows in {})",
            out.display(),
            job.failed.len(),
            failed.display()
        ),
        (Some(_), _, _) => "  fetched".to_string(),
        _ => String::new(),
    }
}

fn plan_for_job(job: &JobFile) -> anyhow::Result<Plan> {
    let input = job.input.to_string_lossy();
    plan_for(PlanInputs {
        task: task_named(job)?,
        input: &input,
        provider: &job.provider,
        model: Some(&job.model),
        id_column: job.id_column.clone(),
        template: job.template.clone(),
        input_format: Some(input_format_of(job)),
        read: job.read_args(),
        profile: job.profile.clone(),
        no_profile: job.no_profile,
        reasoning: job.reasoning.as_deref().and_then(Reasoning::parse),
        timeout: None,
        need_key: true,
        subject_column: job.subject_column.clone(),
    })
}

fn fetch(args: &BatchFetchArgs) -> anyhow::Result<u8> {
    let dir = job::state_dir(args.state.state_dir.as_deref())?;
    let mut job = JobFile::load(&dir, &args.job)?;
    fetch_job(&mut job, &dir, &args.files, args.wait, args.poll)
}

/// Where a fetch writes, decided before anything is downloaded (or, for `batch run`, submitted).
struct Destination {
    out: Target,
    out_format: crate::rows::Format,
    failed: PathBuf,
    results_mode: OpenMode,
    /// Start the manifest afresh instead of adding to it.
    fresh_manifest: bool,
    /// Row ids already in the results file (as `id_hash`es), not written again.
    done: HashSet<u64>,
}

/// The results file and manifest of a fetch of `job`, and how they may be written: a file that
/// exists is added to only when it is this job's own (an earlier fetch, or the job it retries
/// wrote it) or with `--resume`, replaced only with `--force`.
fn destination(
    job: Option<&JobFile>,
    task: TaskKind,
    input: &Path,
    input_format: &str,
    files: &FetchFiles,
) -> anyhow::Result<Destination> {
    let input_stem = input
        .file_stem()
        .map_or_else(|| "batch".into(), |s| s.to_string_lossy().into_owned());
    let own_out = job.and_then(|j| j.out.clone());
    let out = match files.out.as_deref() {
        Some("-") => Target::Stdout,
        Some(path) => Target::File(PathBuf::from(path)),
        None => Target::File(
            own_out
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("{input_stem}.{}.jsonl", task.name()))),
        ),
    };
    let out_format = match &out {
        Target::File(path)
            if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv")) =>
        {
            crate::rows::Format::Csv
        }
        _ => crate::rows::Format::Jsonl,
    };
    let own = |path: &Path, own: Option<&PathBuf>| own.is_some_and(|o| same_file(o, path));
    let failed = files.failed.clone().unwrap_or_else(|| {
        match (&out, job.and_then(|j| j.failed_path.clone())) {
            (Target::File(path), Some(own_failed)) if own(path, own_out.as_ref()) => own_failed,
            (Target::File(path), _) => {
                let stem = path
                    .file_stem()
                    .map_or_else(|| input_stem.clone(), |s| s.to_string_lossy().into_owned());
                path.with_file_name(format!("{stem}.failed.{input_format}"))
            }
            (Target::Stdout, _) => PathBuf::from(format!(
                "{input_stem}.{}.failed.{input_format}",
                task.name()
            )),
        }
    });
    let results_own = match &out {
        Target::File(path) => own(path, own_out.as_ref()),
        Target::Stdout => true,
    };
    let manifest_own = job
        .and_then(|j| j.failed_path.as_ref())
        .is_some_and(|f| same_file(f, &failed));
    if !files.force && !files.resume {
        if let Target::File(path) = &out {
            if path.exists() && !results_own {
                bail!(
                    "the results file `{}` already exists and this job did not write it; pass \
                     --resume to add this job's rows to it (rows already there are skipped), \
                     --force to replace it, or -o to write elsewhere",
                    path.display()
                );
            }
        }
        if failed.exists() && !manifest_own {
            bail!(
                "the failed-rows manifest `{}` already exists and this job did not write it; pass \
                 --resume or --force, or --failed to write elsewhere",
                failed.display()
            );
        }
    }
    let done = match &out {
        Target::File(path) if !files.force && path.exists() => {
            read_journal(path, out_format, "row_id")?.id_hashes()
        }
        _ => HashSet::new(),
    };
    // A retry job's first fetch writes the whole manifest of the rows it carries.
    let first_retry_fetch = job.is_some_and(|j| j.retry_of.is_some() && j.fetched.is_empty());
    Ok(Destination {
        results_mode: if files.force {
            OpenMode::Truncate
        } else {
            OpenMode::Append
        },
        fresh_manifest: files.force || first_retry_fetch,
        out,
        out_format,
        failed,
        done,
    })
}

/// Same path, or the same file reached another way.
fn same_file(a: &Path, b: &Path) -> bool {
    if a == b {
        return true;
    }
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => std::path::absolute(a).ok() == std::path::absolute(b).ok(),
    }
}

fn fetch_job(
    job: &mut JobFile,
    dir: &Path,
    files: &FetchFiles,
    wait: bool,
    poll: Duration,
) -> anyhow::Result<u8> {
    // An input edited since submit is matched to the job's rows by content, as --resume does;
    // jobs submitted before rows carried fingerprints need the input as it was.
    let input_changed = job::file_hash(&job.input)? != job.input_hash;
    if input_changed && job.row_fingerprints.len() != job.rows.len() {
        bail!(
            "the input `{}` changed since job {} was submitted; its answers can no longer be matched \
             to rows",
            job.input.display(),
            job.job
        );
    }
    if input_changed {
        eprintln!(
            "gen: the input `{}` changed since job {} was submitted; its answers go to the rows \
             with the content they were asked for",
            job.input.display(),
            job.job
        );
    }
    let task = task_named(job)?;
    let destination = destination(Some(job), task, &job.input, &job.input_format, files)?;
    if files.force {
        // Replacing the files means writing every row of the job again.
        job.fetched.clear();
        job.failed.clear();
    }
    let rt = runtime()?;
    loop {
        let summary = refresh(&rt, job, dir)?;
        job.save(dir)?;
        let over = job.parts.iter().all(|p| is_terminal(&p.state));
        if over || !wait {
            eprintln!("gen: {summary}");
            break;
        }
        eprintln!(
            "gen: {summary}; next look in {}",
            crate::progress::human(poll)
        );
        std::thread::sleep(poll);
    }
    let plan = plan_for_job(job)?;
    let remote = remote_for(&plan.providers[0], dir)?;
    let mut results: HashMap<String, ItemResult> = HashMap::new();
    for part in job.parts.iter().filter(|p| is_terminal(&p.state)) {
        let keys = crate::batch::remote::part_keys(&job.rows, part.range.0..part.range.1);
        for (custom_id, result) in rt.block_on(remote.results(part, &keys))? {
            results.insert(custom_id, result);
        }
    }

    let Destination {
        out,
        out_format,
        failed,
        results_mode,
        fresh_manifest,
        done: already,
    } = destination;
    let mut writer = ResultWriter::open_with_bom(
        &out,
        out_format,
        plan.output_columns.clone(),
        results_mode,
        files.bom,
    )?;
    let columns = plan.reader.columns().to_vec();
    let mut manifest = if fresh_manifest {
        ManifestWriter::new(failed.clone(), plan.reader.format(), columns)
            .styled(plan.reader.manifest_style())
    } else {
        ManifestWriter::appending(failed.clone(), plan.reader.format(), columns)
            .styled(plan.reader.manifest_style())
    }
    .with_bom(files.bom);
    let task = plan.task;
    let price = plan.lanes[0]
        .price
        .map(|(i, o)| (i * BATCH_DISCOUNT, o * BATCH_DISCOUNT));
    let unsent: HashMap<u64, Unsent> = job.unsent.iter().map(|u| (u.seq, u.clone())).collect();
    let row_index: HashMap<String, usize> = job
        .rows
        .iter()
        .enumerate()
        .map(|(i, (c, _))| (c.clone(), i))
        .collect();

    let mut by_content: HashMap<u64, std::collections::VecDeque<String>> = HashMap::new();
    if input_changed {
        for ((custom_id, _), fingerprint) in job.rows.iter().zip(&job.row_fingerprints) {
            if let Some(fingerprint) = crate::rows::parse_fingerprint(fingerprint) {
                by_content
                    .entry(fingerprint)
                    .or_default()
                    .push_back(custom_id.clone());
            }
        }
    }
    let (mut done, mut failures, mut pending) = (0u64, 0u64, 0u64);
    let mut spent = 0.0;
    for item in plan.reader {
        let (seq, row_id, fields) = match &item {
            Ok(row) => (row.seq, row.id.clone(), row.fields.clone()),
            Err(bad) => (bad.seq, bad.id.clone(), bad.fields.clone()),
        };
        let custom_id = if input_changed {
            // The custom id asked for this row's content; rows added or edited since are not
            // the job's, and unreadable rows cannot be matched.
            let asked = item.as_ref().ok().and_then(|row| {
                by_content
                    .get_mut(&row.fingerprint())
                    .and_then(std::collections::VecDeque::pop_front)
            });
            match asked {
                Some(custom_id) => custom_id,
                None => continue,
            }
        } else {
            format!("r{seq}")
        };
        // A retry job carries only some of the input's rows.
        let ours = row_index.contains_key(&custom_id) || unsent.contains_key(&seq);
        if !ours || job.fetched.contains(&custom_id) || already.contains(&id_hash(&row_id)) {
            continue;
        }
        if let Some(unsent) = unsent.get(&seq).filter(|_| !input_changed) {
            let failure = Failure {
                kind: kind_named(&unsent.error_kind),
                message: unsent.error.clone(),
            };
            manifest.write(&fields, &failure, 0, &[], None)?;
            job.fetched.insert(custom_id);
            failures += 1;
            continue;
        }
        let Ok(row) = item else {
            pending += 1;
            continue;
        };
        // A row its finished job never answered ends with the job's own fate.
        let result = match results.remove(&custom_id) {
            Some(result) => result,
            None => match ended_part(job, row_index.get(custom_id.as_str()).copied()) {
                Some(JobState::Expired) => ItemResult::Expired,
                Some(JobState::Cancelled) => ItemResult::Cancelled,
                Some(state) => ItemResult::Failed(ProviderError::new(
                    FailureKind::Server,
                    format!(
                        "the batch job ended `{}` without answering this row",
                        state.name()
                    ),
                )),
                None => {
                    pending += 1;
                    continue;
                }
            },
        };
        // A cut, empty or invalid answer is billed like a good one.
        let billed = match &result {
            ItemResult::Done(completion) => Some(completion.usage()),
            ItemResult::Failed(error) => error.billed,
            ItemResult::Expired | ItemResult::Cancelled => None,
        };
        let cost_usd = |usage: Usage| {
            price.map(|(i, o)| {
                (usage.input_tokens as f64 * i + usage.output_tokens as f64 * o) / 1e6
            })
        };
        let row_cost = billed.and_then(cost_usd);
        spent += row_cost.unwrap_or(0.0);
        let failure = match result {
            ItemResult::Done(completion) => match task.validate(&completion.text) {
                Ok(generated) => {
                    let meta = RecordMeta {
                        provider: &job.provider,
                        model: &job.model,
                        attempts: 1,
                        input_tokens: completion.input_tokens,
                        output_tokens: completion.output_tokens,
                        reasoning_tokens: completion.reasoning_tokens,
                        latency_ms: None,
                        cost_usd: row_cost,
                    };
                    writer.write(&compose_record(&row, &plan.renames, generated, &meta))?;
                    job.fetched.insert(custom_id);
                    done += 1;
                    continue;
                }
                Err(message) => Failure {
                    kind: FailureKind::InvalidOutput,
                    message,
                },
            },
            ItemResult::Failed(error) => Failure {
                kind: error.kind,
                message: error.message,
            },
            ItemResult::Expired => Failure {
                kind: FailureKind::BatchExpired,
                message: "the batch job expired before this row was answered".into(),
            },
            ItemResult::Cancelled => Failure {
                kind: FailureKind::BatchCancelled,
                message: "the batch job was cancelled before this row was answered".into(),
            },
        };
        manifest.write(
            &row.fields,
            &failure,
            1,
            std::slice::from_ref(&job.provider),
            row_cost,
        )?;
        job.failed.insert(custom_id.clone());
        job.fetched.insert(custom_id);
        failures += 1;
    }
    if input_changed {
        let unmatched: usize = by_content
            .values()
            .map(std::collections::VecDeque::len)
            .sum();
        if unmatched > 0 {
            eprintln!(
                "gen: {unmatched} rows of job {} are no longer in the input as they were asked \
                 (edited or removed since): their answers are not written",
                job.job
            );
        }
    }
    job.fetched_at = Some(job::now_unix());
    let out_label = match &out {
        Target::File(path) => {
            job.out = Some(std::path::absolute(path).unwrap_or(path.clone()));
            format!("`{}`", path.display())
        }
        Target::Stdout => "stdout".to_string(),
    };
    job.failed_path = Some(std::path::absolute(&failed).unwrap_or(failed.clone()));
    job.save(dir)?;
    if let Some(earlier_id) = job.retry_of.clone() {
        mark_retried(dir, &earlier_id, job)?;
    }
    eprintln!(
        "gen: fetched job {}: {done} results to {out_label} (${spent:.4} at batch prices), {failures} failed{}{}",
        job.job,
        if failures > 0 {
            format!(" (in `{}`)", failed.display())
        } else {
            String::new()
        },
        if pending > 0 {
            format!(", {pending} not answered yet: fetch again later")
        } else {
            String::new()
        }
    );
    Ok(if failures > 0 {
        exit::ROWS_FAILED
    } else {
        exit::OK
    })
}

/// `submit --retry-failed JOB --live`: the rows JOB did not answer go through the live pool now,
/// as a `--resume` run on JOB's results file (rows already there are skipped, so none is paid
/// twice).
fn spill_to_live(args: &BatchSubmitArgs) -> anyhow::Result<u8> {
    let dir = job::state_dir(args.state.state_dir.as_deref())?;
    let earlier_id = args
        .retry_failed
        .as_deref()
        .context("--live needs --retry-failed JOB")?;
    let earlier = JobFile::load(&dir, earlier_id)?;
    let (Some(out), Some(failed)) = (&earlier.out, &earlier.failed_path) else {
        bail!("job {earlier_id} was never fetched; run `gen batch fetch {earlier_id}` first");
    };
    if !earlier.parts.iter().all(|p| is_terminal(&p.state)) {
        bail!(
            "job {earlier_id} is still running, and its unanswered rows would be paid twice; fetch \
             it with --wait, or cancel it first"
        );
    }
    let task = task_named(&earlier)?;
    let run_args = RunArgs {
        input: earlier.input.to_string_lossy().into_owned(),
        pool: args.pool.clone(),
        profile: args.profile.clone().or_else(|| earlier.profile.clone()),
        no_profile: args.no_profile || earlier.no_profile,
        out: Some(out.to_string_lossy().into_owned()),
        failed: Some(failed.clone()),
        resume: true,
        force: false,
        id_column: earlier.id_column.clone(),
        template: earlier.template.clone(),
        subject_column: earlier.subject_column.clone(),
        input_format: Some(input_format_of(&earlier)),
        read: earlier.read_args(),
        max_attempts: None,
        max_cost: args.max_cost,
        max_inflight: None,
        timeout: args.timeout,
        connect_timeout: crate::providers::http::DEFAULT_CONNECT_TIMEOUT,
        keep_order: false,
        bom: false,
        dry_run: args.dry_run,
        progress: None,
        progress_interval: None,
        reasoning: args
            .reasoning
            .or_else(|| earlier.reasoning.as_deref().and_then(Reasoning::parse)),
    };
    let plan = Plan::resolve(task, &run_args, None)?;
    if plan.dry_run {
        let text = crate::dry_run::describe(plan);
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
        return Ok(exit::OK);
    }
    let report = crate::engine::run::run(plan)?;
    Ok(report.exit_code())
}

/// After a retry job's fetch: the job it retried points at it (its files are now current) and no
/// longer counts as failed the rows that the retry answered.
fn mark_retried(dir: &Path, earlier_id: &str, retry: &JobFile) -> anyhow::Result<()> {
    let mut earlier = JobFile::load(dir, earlier_id)?;
    let answered: HashSet<&str> = retry
        .fetched
        .iter()
        .filter(|id| !retry.failed.contains(*id))
        .map(String::as_str)
        .collect();
    earlier.failed.retain(|id| !answered.contains(id.as_str()));
    earlier.retried_by = Some(retry.job.clone());
    earlier.save(dir)
}

/// The final state of the part that carries the row at `index` of the job, once it is over.
fn ended_part(job: &JobFile, index: Option<usize>) -> Option<JobState> {
    let index = index?;
    let part = job
        .parts
        .iter()
        .find(|p| (p.range.0..p.range.1).contains(&index))?;
    JobState::from_name(&part.state).filter(|s| s.is_terminal())
}

fn kind_named(name: &str) -> FailureKind {
    FailureKind::ALL
        .into_iter()
        .find(|k| k.as_str() == name)
        .unwrap_or(FailureKind::BadInput)
}

fn is_terminal(state: &str) -> bool {
    crate::batch::wire::JobState::from_name(state).is_some_and(|s| s.is_terminal())
}

fn cancel(job: &str, state_dir: Option<&Path>) -> anyhow::Result<u8> {
    let dir = job::state_dir(state_dir)?;
    let mut job = JobFile::load(&dir, job)?;
    let plan = plan_for_job(&job)?;
    let remote = remote_for(&plan.providers[0], &dir)?;
    let rt = runtime()?;
    for part in job.parts.iter_mut().filter(|p| !is_terminal(&p.state)) {
        let status = rt.block_on(remote.cancel(part))?;
        part.state = status.state.name().to_string();
    }
    job.save(&dir)?;
    eprintln!(
        "gen: cancel requested for job {}; fetch it to get what was answered",
        job.job
    );
    Ok(exit::OK)
}

fn list(state_dir: Option<&Path>) -> anyhow::Result<u8> {
    let dir = job::state_dir(state_dir)?;
    let mut stdout = std::io::stdout().lock();
    for job in job::list(&dir)? {
        let states: Vec<&str> = job.parts.iter().map(|p| p.state.as_str()).collect();
        let age = job::now_unix().saturating_sub(job.submitted_at);
        let _ = writeln!(
            stdout,
            "{}  {}  {}  {}  {} rows  {}  age {}{}",
            job.job,
            job.provider,
            job.model,
            job.task,
            job.rows.len(),
            states.join(","),
            crate::progress::human(Duration::from_secs(age)),
            if job.fetched_at.is_some() {
                "  fetched"
            } else {
                ""
            }
        );
    }
    Ok(exit::OK)
}

fn run_all(args: &BatchRunArgs) -> anyhow::Result<u8> {
    if args.submit.live {
        return spill_to_live(&args.submit);
    }
    // The files the fetch will write are checked before anything is paid for, and with
    // --resume the rows already in the results are not sent at all.
    let done = if args.submit.dry_run || args.submit.retry_failed.is_some() {
        HashSet::new()
    } else {
        let inputs = submit_inputs(&args.submit)?;
        let input = PathBuf::from(&inputs.input);
        // The manifest takes the input's format, as the reader will see it.
        let options = crate::rows::reader::ReaderOptions {
            format: inputs.input_format.map(|f| match f {
                InputFormat::Csv => crate::rows::Format::Csv,
                InputFormat::Jsonl => crate::rows::Format::Jsonl,
            }),
            id_column: inputs.id_column.clone(),
            delimiter: inputs.read.delimiter,
            encoding: inputs.read.encoding,
            sheet: inputs.read.sheet.clone(),
        };
        let source = crate::rows::reader::Source::File(input.clone());
        let format = crate::rows::reader::RowReader::open(&source, &options)?.format();
        destination(None, inputs.task, &input, format.extension(), &args.files)?.done
    };
    let mut job = match submit(&args.submit, &done)? {
        Submitted::Job(job) => job,
        Submitted::DryRun => return Ok(exit::OK),
        Submitted::OverBudget => return Ok(exit::ROWS_FAILED),
    };
    let dir = job::state_dir(args.submit.state.state_dir.as_deref())?;
    // Ctrl-C while waiting leaves the job running at the provider: say how to come back to it.
    let id = job.job.clone();
    let _ = ctrlc_note(id);
    // The files were checked above; an earlier run's results file is this run's own.
    let files = FetchFiles {
        resume: args.files.resume || !done.is_empty(),
        ..args.files.clone()
    };
    fetch_job(&mut job, &dir, &files, true, args.poll)
}

/// Prints how to fetch the job later when the user interrupts the wait.
fn ctrlc_note(job: String) -> anyhow::Result<()> {
    std::thread::Builder::new().name("gen-batch-ctrlc".into()).spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        if rt.block_on(tokio::signal::ctrl_c()).is_ok() {
            eprintln!("\ngen: stopped waiting; job {job} goes on at the provider: `gen batch fetch {job} --wait` gets its results");
            std::process::exit(i32::from(exit::INTERRUPTED));
        }
    })?;
    Ok(())
}

/// `gen seo --batch PROVIDER …`: the live command's options as a `batch run`. Every live option
/// either means the same for the batch or is refused: a batch job runs on one provider, sends
/// each row once, and reports its state at each poll.
pub fn shorthand(
    task: TaskKind,
    provider: &str,
    args: &RunArgs,
    flags: &BatchFlags,
) -> anyhow::Result<BatchRunArgs> {
    let task = match task {
        TaskKind::Seo => BatchTask::Seo,
        TaskKind::Outline => BatchTask::Outline,
        TaskKind::Draft => bail!("--batch applies to seo and outline; drafts run live"),
    };
    let refused = [
        (
            args.pool.is_some(),
            "--pool",
            "a batch job runs on one provider; drop --pool, or drop --batch to spread the rows \
             over a live pool",
        ),
        (
            args.max_attempts.is_some(),
            "--max-attempts",
            "a batch job sends each row once; retry its failures with `gen batch submit \
             --retry-failed JOB`",
        ),
        (
            args.max_inflight.is_some(),
            "--max-inflight",
            "the provider runs a batch job's rows at its own pace",
        ),
        (
            args.progress.is_some_and(|p| p != ProgressArg::Auto)
                || args.progress_interval.is_some(),
            "--progress",
            "a batch run reports the job's state at each --poll instead",
        ),
    ];
    if let Some((_, flag, why)) = refused.iter().find(|(given, _, _)| *given) {
        bail!("{flag} does not apply with --batch: {why}");
    }
    if args.input == "-" {
        bail!(
            "--batch needs an input file (a job is matched to its rows when fetched, maybe hours \
             later); save stdin to a file first"
        );
    }
    crate::providers::http::set_connect_timeout(args.connect_timeout);
    let (provider, model) = match provider.split_once(':') {
        Some((p, m)) => (p.to_string(), Some(m.to_string())),
        None => (provider.to_string(), None),
    };
    Ok(BatchRunArgs {
        submit: BatchSubmitArgs {
            input: Some(args.input.clone()),
            task: Some(task),
            provider: Some(provider),
            model,
            retry_failed: None,
            live: false,
            pool: None,
            id_column: args.id_column.clone(),
            template: args.template.clone(),
            subject_column: args.subject_column.clone(),
            input_format: args.input_format,
            read: args.read.clone(),
            profile: args.profile.clone(),
            no_profile: args.no_profile,
            reasoning: args.reasoning,
            max_cost: args.max_cost,
            timeout: args.timeout,
            dry_run: args.dry_run,
            state: StateDirArg {
                state_dir: flags.state_dir.clone(),
            },
        },
        // A batch fetch writes rows in input order, so --keep-order holds without asking.
        files: FetchFiles {
            out: args.out.clone(),
            failed: args.failed.clone(),
            resume: args.resume,
            force: args.force,
            bom: args.bom,
        },
        poll: flags.poll,
    })
}
