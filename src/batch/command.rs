//! `gen batch …`: rows rendered exactly like a live run go to a provider's Batch API as one or
//! more jobs; `fetch` maps the answers back to their rows, checks them like the live task and
//! writes the same result and manifest files. Job state lives in a small file per job.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::batch::job::{self, JobFile, Unsent};
use crate::batch::remote::Remote;
use crate::batch::wire::{ItemResult, JobState};
use crate::cli::{
    BatchCommand, BatchFetchArgs, BatchRunArgs, BatchSubmitArgs, BatchTask, InputFormat,
    ProgressArg, RunArgs,
};
use crate::engine::lane::{RecordMeta, compose_record};
use crate::exit;
use crate::failure::{Failure, FailureKind};
use crate::plan::{Backend, Plan};
use crate::providers::reasoning::Reasoning;
use crate::providers::{ProviderError, Request, Usage, estimate_tokens};
use crate::rows::manifest::ManifestWriter;
use crate::rows::resume::read_journal;
use crate::rows::writer::{OpenMode, ResultWriter, Target};
use crate::tasks::TaskKind;
use crate::tasks::reasoning::Step;

/// Batch prices are half the interactive ones on all three APIs (PROTOCOLS.md §6).
const BATCH_DISCOUNT: f64 = 0.5;

pub fn run(command: &BatchCommand) -> u8 {
    let outcome = match command {
        BatchCommand::Submit(args) if args.live => spill_to_live(args),
        BatchCommand::Submit(args) => submit(args).map(|_| exit::OK),
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

/// The live run's plan for these rows on this one provider: same reader, template, routing,
/// profile and keys, so a batch row is rendered exactly like a live one.
#[allow(clippy::too_many_arguments)]
fn plan_for(
    task: TaskKind,
    input: &str,
    provider: &str,
    model: Option<&str>,
    id_column: Option<String>,
    template: Option<PathBuf>,
    input_format: Option<InputFormat>,
    profile: Option<String>,
    no_profile: bool,
    reasoning: Option<Reasoning>,
) -> anyhow::Result<Plan> {
    // Which provider first: a provider without a Batch API is the answer, whatever its key.
    let profile_used = crate::profile::select(profile.as_deref(), no_profile)?;
    let available = crate::registry::available(&profile_used)?;
    let entry = crate::pool::PoolEntry {
        name: provider.to_string(),
        model: model.map(str::to_string),
        weight: crate::pool::Weight::Lanes(1),
    };
    let (found, _) = crate::registry::route(&entry, &available)?;
    if !matches!(found.name.as_str(), "openai" | "anthropic" | "gemini") {
        bail!(
            "provider `{}` has no Batch API gen knows; batch jobs run on gemini, openai or \
             anthropic (use a live run for the others)",
            found.name
        );
    }
    let pool = match model {
        Some(model) => format!("{provider}:{model}=1"),
        None => format!("{provider}=1"),
    };
    let args = RunArgs {
        input: input.to_string(),
        pool: Some(pool),
        profile,
        no_profile,
        out: None,
        failed: None,
        resume: false,
        force: false,
        id_column,
        template,
        input_format,
        max_attempts: 1,
        max_cost: None,
        max_inflight: None,
        timeout: None,
        connect_timeout: crate::providers::http::DEFAULT_CONNECT_TIMEOUT,
        keep_order: false,
        // Paths are checked by fetch, not here.
        dry_run: true,
        progress: ProgressArg::None,
        progress_interval: Duration::from_secs(5),
        batch: None,
        poll: Duration::from_secs(30),
        reasoning,
    };
    Plan::resolve(task, &args, None)
}

fn remote_for(plan: &Plan) -> anyhow::Result<Remote> {
    let provider = &plan.providers[0];
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
        Backend::Mock(_) => {
            bail!("the mock has no Batch API; batch jobs run on gemini, openai or anthropic")
        }
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
    /// Only these rows (custom ids) when retrying a job's failures.
    only: Option<std::collections::BTreeSet<String>>,
    /// `--reasoning`, else the retried job's.
    reasoning: Option<Reasoning>,
}

fn submit_inputs(args: &BatchSubmitArgs) -> anyhow::Result<SubmitInputs> {
    let Some(earlier) = &args.retry_failed else {
        return Ok(SubmitInputs {
            task: task_of(args.task.context("--task is required")?),
            input: args.input.clone().context("an input file is required")?,
            provider: args.provider.clone().context("--provider is required")?,
            only: None,
            reasoning: args.reasoning,
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
    let task = match earlier.task.as_str() {
        "outline" => TaskKind::Outline,
        _ => TaskKind::Seo,
    };
    Ok(SubmitInputs {
        task,
        input: earlier.input.to_string_lossy().into_owned(),
        provider: args.provider.clone().unwrap_or(earlier.provider.clone()),
        only: Some(earlier.failed.clone()),
        reasoning: args
            .reasoning
            .or_else(|| earlier.reasoning.as_deref().and_then(Reasoning::parse)),
    })
}

fn submit(args: &BatchSubmitArgs) -> anyhow::Result<JobFile> {
    if args.pool.is_some() {
        bail!(
            "--pool does not apply to batch: a batch job runs on one provider (--provider); use a \
             live run (`gen seo --pool …`, or `--retry-failed JOB --live`) to spread rows over several"
        );
    }
    let inputs = submit_inputs(args)?;
    let task = inputs.task;
    let input = std::fs::canonicalize(&inputs.input)
        .with_context(|| format!("input file `{}` not found", inputs.input))?;
    let plan = plan_for(
        task,
        &inputs.input,
        &inputs.provider,
        args.model.as_deref(),
        args.id_column.clone(),
        args.template.clone(),
        args.input_format,
        args.profile.clone(),
        args.no_profile,
        inputs.reasoning,
    )?;
    let remote = remote_for(&plan)?;
    let model = plan.lanes[0].model.clone();
    let price = plan.lanes[0].price;
    let provider = plan.providers[0].name.clone();
    // The same reasoning field and cap a live lane of this model would send.
    let thinking = plan.lanes[0].thinking;
    let (choice, cap) = thinking.size(
        plan.reasoning.setting(0, Step::Task(task)),
        task.answer_tokens(),
        0,
    );
    let input_format = plan.reader.format().extension().to_string();

    let mut rows = Vec::new();
    let mut requests: Vec<(String, Request)> = Vec::new();
    let mut unsent = Vec::new();
    let mut estimated_tokens = (0u64, 0u64);
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
        match item {
            Ok(row) => {
                let custom_id = format!("r{}", row.seq);
                let prompt = plan
                    .template
                    .check_row(&row.fields)
                    .and_then(|()| plan.template.render(&row.id, &row.fields));
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
                let topic = row.text_of(plan.topic_column.as_deref());
                estimated_tokens.0 +=
                    estimate_tokens(task.system_prompt()) + estimate_tokens(&prompt);
                estimated_tokens.1 += task.typical_output_tokens() + u64::from(choice.expected);
                let request = task.request(
                    &model,
                    prompt,
                    topic,
                    1,
                    plan.providers[0].timeout,
                    cap,
                    choice.field,
                );
                rows.push((custom_id.clone(), row.id));
                requests.push((custom_id, request));
            }
            Err(bad) => unsent.push(Unsent {
                seq: bad.seq,
                row_id: bad.id,
                error_kind: bad.kind.as_str().into(),
                error: bad.message,
            }),
        }
    }
    if requests.is_empty() {
        bail!(
            "no row of `{}` can be sent ({} unreadable); nothing was submitted",
            inputs.input,
            unsent.len()
        );
    }
    let parts = runtime()?.block_on(remote.submit(&model, &requests))?;
    let estimated_cost_usd = price.map(|(input, output)| {
        (estimated_tokens.0 as f64 * input + estimated_tokens.1 as f64 * output) / 1e6
            * BATCH_DISCOUNT
    });
    let job = JobFile {
        job: job::new_job_id(),
        provider,
        model,
        task: task.name().into(),
        input: input.clone(),
        input_format,
        input_hash: job::file_hash(&input)?,
        id_column: args.id_column.clone(),
        template: args.template.clone(),
        profile: args.profile.clone(),
        no_profile: args.no_profile,
        submitted_at: job::now_unix(),
        fetched_at: None,
        out: None,
        failed_path: None,
        parts,
        rows,
        unsent,
        fetched: Default::default(),
        failed: Default::default(),
        estimated_cost_usd,
        reasoning: inputs.reasoning.map(|r| r.name().to_string()),
    };
    let dir = job::state_dir(args.state.state_dir.as_deref())?;
    job.save(&dir)?;
    let cost = estimated_cost_usd.map_or_else(
        || "unknown (no price for the model)".into(),
        |c| format!("${c:.4}"),
    );
    eprintln!(
        "gen: submitted {} rows to {} ({}) as {} job(s); estimated cost at batch prices: {cost}{}",
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
        }
    );
    println!("{}", job.job);
    Ok(job)
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
        match refresh(&rt, &mut job) {
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
fn refresh(rt: &tokio::runtime::Runtime, job: &mut JobFile) -> anyhow::Result<String> {
    let plan = plan_for_job(job)?;
    let remote = remote_for(&plan)?;
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
        if job.fetched_at.is_some() {
            "  fetched"
        } else {
            ""
        }
    ))
}

fn plan_for_job(job: &JobFile) -> anyhow::Result<Plan> {
    let task = match job.task.as_str() {
        "seo" => TaskKind::Seo,
        "outline" => TaskKind::Outline,
        other => bail!("job {} has an unknown task `{other}`", job.job),
    };
    let format = match job.input_format.as_str() {
        "csv" => InputFormat::Csv,
        _ => InputFormat::Jsonl,
    };
    plan_for(
        task,
        &job.input.to_string_lossy(),
        &job.provider,
        Some(&job.model),
        job.id_column.clone(),
        job.template.clone(),
        Some(format),
        job.profile.clone(),
        job.no_profile,
        job.reasoning.as_deref().and_then(Reasoning::parse),
    )
}

fn fetch(args: &BatchFetchArgs) -> anyhow::Result<u8> {
    let dir = job::state_dir(args.state.state_dir.as_deref())?;
    let mut job = JobFile::load(&dir, &args.job)?;
    fetch_job(
        &mut job,
        &dir,
        args.out.clone(),
        args.failed.clone(),
        args.wait,
        args.poll,
    )
}

fn fetch_job(
    job: &mut JobFile,
    dir: &Path,
    out: Option<PathBuf>,
    failed: Option<PathBuf>,
    wait: bool,
    poll: Duration,
) -> anyhow::Result<u8> {
    if job::file_hash(&job.input)? != job.input_hash {
        bail!(
            "the input `{}` changed since job {} was submitted; its answers can no longer be matched \
             to rows",
            job.input.display(),
            job.job
        );
    }
    let rt = runtime()?;
    loop {
        let summary = refresh(&rt, job)?;
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
    let remote = remote_for(&plan)?;
    let mut results: HashMap<String, ItemResult> = HashMap::new();
    for part in job.parts.iter().filter(|p| is_terminal(&p.state)) {
        let keys = crate::batch::remote::part_keys(&job.rows, part.range.0..part.range.1);
        for (custom_id, result) in rt.block_on(remote.results(part, &keys))? {
            results.insert(custom_id, result);
        }
    }

    let input_stem = job
        .input
        .file_stem()
        .map_or_else(|| "batch".into(), |s| s.to_string_lossy().into_owned());
    let out = out.unwrap_or_else(|| PathBuf::from(format!("{input_stem}.{}.jsonl", job.task)));
    let out_format = if out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        crate::rows::Format::Csv
    } else {
        crate::rows::Format::Jsonl
    };
    let failed = failed.unwrap_or_else(|| {
        let stem = out
            .file_stem()
            .map_or_else(|| input_stem.clone(), |s| s.to_string_lossy().into_owned());
        PathBuf::from(format!(
            "{stem}.failed.{}",
            plan.reader.format().extension()
        ))
    });
    let already = read_journal(&out, out_format, "row_id")?.ids;
    let mut writer = ResultWriter::open(
        &Target::File(out.clone()),
        out_format,
        plan.output_columns.clone(),
        OpenMode::Append,
    )?;
    let mut manifest = ManifestWriter::appending(
        failed.clone(),
        plan.reader.format(),
        plan.reader.columns().to_vec(),
    );
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

    let (mut done, mut failures, mut pending) = (0u64, 0u64, 0u64);
    let mut spent = 0.0;
    for item in plan.reader {
        let (seq, row_id, fields) = match &item {
            Ok(row) => (row.seq, row.id.clone(), row.fields.clone()),
            Err(bad) => (bad.seq, bad.id.clone(), bad.fields.clone()),
        };
        let custom_id = format!("r{seq}");
        // A retry job carries only some of the input's rows.
        let ours = row_index.contains_key(&custom_id) || unsent.contains_key(&seq);
        if !ours || job.fetched.contains(&custom_id) || already.contains(&row_id) {
            continue;
        }
        if let Some(unsent) = unsent.get(&seq) {
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
    job.fetched_at = Some(job::now_unix());
    job.out = Some(std::path::absolute(&out).unwrap_or(out.clone()));
    job.failed_path = Some(std::path::absolute(&failed).unwrap_or(failed.clone()));
    job.save(dir)?;
    eprintln!(
        "gen: fetched job {}: {done} results to `{}` (${spent:.4} at batch prices), {failures} failed{}{}",
        job.job,
        out.display(),
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
    let task = match earlier.task.as_str() {
        "outline" => TaskKind::Outline,
        _ => TaskKind::Seo,
    };
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
        input_format: None,
        max_attempts: 5,
        max_cost: None,
        max_inflight: None,
        timeout: None,
        connect_timeout: crate::providers::http::DEFAULT_CONNECT_TIMEOUT,
        keep_order: false,
        dry_run: false,
        progress: ProgressArg::Auto,
        progress_interval: Duration::from_secs(5),
        batch: None,
        poll: Duration::from_secs(30),
        reasoning: args
            .reasoning
            .or_else(|| earlier.reasoning.as_deref().and_then(Reasoning::parse)),
    };
    let plan = Plan::resolve(task, &run_args, None)?;
    let report = crate::engine::run::run(plan)?;
    Ok(report.exit_code())
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
    let remote = remote_for(&plan)?;
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
    let mut job = submit(&args.submit)?;
    let dir = job::state_dir(args.submit.state.state_dir.as_deref())?;
    // Ctrl-C while waiting leaves the job running at the provider: say how to come back to it.
    let id = job.job.clone();
    let _ = ctrlc_note(id);
    fetch_job(
        &mut job,
        &dir,
        args.out.clone(),
        args.failed.clone(),
        true,
        args.poll,
    )
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

/// `gen seo --batch PROVIDER …`: the live command's options as a `batch run`.
pub fn shorthand(task: TaskKind, provider: &str, args: &RunArgs) -> anyhow::Result<BatchRunArgs> {
    let task = match task {
        TaskKind::Seo => BatchTask::Seo,
        TaskKind::Outline => BatchTask::Outline,
        TaskKind::Draft => bail!("--batch applies to seo and outline; drafts run live"),
    };
    if args.pool.is_some() {
        bail!(
            "--pool does not apply with --batch: a batch job runs on one provider; drop --pool, or \
             drop --batch to spread the rows over a live pool"
        );
    }
    let (provider, model) = match provider.split_once(':') {
        Some((p, m)) => (p.to_string(), Some(m.to_string())),
        None => (provider.to_string(), None),
    };
    Ok(BatchRunArgs {
        submit: crate::cli::BatchSubmitArgs {
            input: Some(args.input.clone()),
            task: Some(task),
            provider: Some(provider),
            model,
            retry_failed: None,
            live: false,
            pool: None,
            id_column: args.id_column.clone(),
            template: args.template.clone(),
            input_format: args.input_format,
            profile: args.profile.clone(),
            no_profile: args.no_profile,
            reasoning: args.reasoning,
            state: crate::cli::StateDirArg { state_dir: None },
        },
        out: args.out.as_ref().map(PathBuf::from),
        failed: args.failed.clone(),
        poll: args.poll,
    })
}
