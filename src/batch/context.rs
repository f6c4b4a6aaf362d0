//! What every `gen batch` command needs of a job: the live run's plan for its rows on its one
//! provider, the provider's Batch API (or the offline mock's), a refresh of its parts' states,
//! and the names its state file uses.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::batch::job::{self, JobFile};
use crate::batch::remote::{CallLog, Remote};
use crate::cli::{InputFormat, ProgressArg, ReadArgs, RunArgs};
use crate::engine::request_log::RequestLog;
use crate::plan::{Checks, Plan, ProviderPlan};
use crate::providers::presets::Service;
use crate::providers::reasoning::Reasoning;
use crate::tasks::Task;

/// The task `name` under the profile the job is submitted with: a built-in one or the profile's
/// row of that name.
pub(super) fn task_of(name: &str, profile: Option<&str>, no_profile: bool) -> anyhow::Result<Task> {
    let profile = crate::profile::select(profile, no_profile)?;
    crate::plan::task::named(name, &profile)
}

/// The task a job file names, under the job's profile: a fetch checks answers against the task
/// as the profile defines it now (as a live run would).
pub(super) fn task_named(job: &JobFile) -> anyhow::Result<Task> {
    let task = task_of(&job.task, job.profile.as_deref(), job.no_profile)
        .with_context(|| format!("job {} names the task `{}`", job.job, job.task))?;
    if task.is_draft() {
        bail!(
            "job {} names the task `draft`, which runs live only; was its state file written by \
             another version?",
            job.job
        );
    }
    Ok(task)
}

pub(super) fn input_format_of(job: &JobFile) -> InputFormat {
    match job.input_format.as_str() {
        "csv" => InputFormat::Csv,
        _ => InputFormat::Jsonl,
    }
}

/// What a batch plan is built from: the rows, the one provider and what shapes the requests.
pub(super) struct PlanInputs<'a> {
    pub(super) task: Task,
    pub(super) input: &'a str,
    pub(super) provider: &'a str,
    pub(super) model: Option<&'a str>,
    pub(super) id_column: Option<String>,
    pub(super) template: Option<PathBuf>,
    pub(super) input_format: Option<InputFormat>,
    pub(super) read: ReadArgs,
    pub(super) profile: Option<String>,
    pub(super) no_profile: bool,
    pub(super) reasoning: Option<Reasoning>,
    pub(super) timeout: Option<Duration>,
    /// The submission needs the provider's key; a dry run only says which.
    pub(super) need_key: bool,
    pub(super) subject_column: Option<String>,
}

/// The live run's plan for these rows on this one provider: same reader, template, routing,
/// profile, reasoning and keys. Paths are checked by fetch, not here.
pub(super) fn plan_for(inputs: PlanInputs) -> anyhow::Result<Plan> {
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
        || matches!(found.service, Service::Mock(_));
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
        connect_timeout: crate::providers::transport::DEFAULT_CONNECT_TIMEOUT,
        log: None,
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
/// keeps its jobs' answers in the state directory). With `log`, each call writes a line there.
pub(super) fn remote_for(
    provider: &ProviderPlan,
    model: &str,
    state_dir: &Path,
    log: Option<&Path>,
) -> anyhow::Result<Remote> {
    let remote = match &provider.service {
        Service::Http { wire, base_url, .. } => {
            let key = provider.keys.first().cloned().flatten();
            Remote::new(*wire, base_url.clone(), key, provider.timeout)
        }
        Service::Mock(config) => Remote::mock(config.clone(), state_dir.to_path_buf()),
    };
    Ok(match log {
        None => remote,
        Some(path) => remote.logged(CallLog {
            log: RequestLog::open(path)?,
            provider: provider.name.clone(),
            model: model.to_string(),
            key: provider.key_labels.first().cloned().unwrap_or_default(),
        }),
    })
}

pub(super) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Polls the job's parts that are not over yet; returns a one-line summary.
pub(super) fn refresh(
    rt: &tokio::runtime::Runtime,
    job: &mut JobFile,
    dir: &Path,
    log: Option<&Path>,
) -> anyhow::Result<String> {
    let plan = plan_for_job(job)?;
    let remote = remote_for(&plan.providers[0], &job.model, dir, log)?;
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
pub(super) fn currency(job: &JobFile) -> String {
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

pub(super) fn plan_for_job(job: &JobFile) -> anyhow::Result<Plan> {
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

pub(super) fn is_terminal(state: &str) -> bool {
    crate::batch::wire::JobState::from_name(state).is_some_and(|s| s.is_terminal())
}
