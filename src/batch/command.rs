//! `gen batch …`: rows rendered exactly like a live run go to a provider's Batch API as one or
//! more jobs (`submit`), whose answers are mapped back to their rows and written to the same
//! result and manifest files (`fetch`). This module dispatches the subcommands and holds the
//! small ones (status, cancel, list, run, the `--batch` shorthand, the live spill-over). Job state
//! lives in a small file per job.

use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use super::context::{
    input_format_of, is_terminal, plan_for_job, refresh, remote_for, runtime, task_named,
};
use super::fetch::{destination, fetch, fetch_job};
use super::submit::{Submitted, submit, submit_inputs};
use crate::batch::job::{self, JobFile};
use crate::cli::{
    BatchCommand, BatchFlags, BatchLogArg, BatchRunArgs, BatchSubmitArgs, FetchFiles, InputFormat,
    ProgressArg, RunArgs, StateDirArg,
};
use crate::exit;
use crate::plan::Plan;
use crate::providers::reasoning::Reasoning;
use crate::tasks::Task;

pub fn run(command: &BatchCommand) -> u8 {
    let outcome = match command {
        BatchCommand::Submit(args) if args.live => spill_to_live(args),
        BatchCommand::Submit(args) => submit_command(args),
        BatchCommand::Status { job, state, log } => status(
            job.as_deref(),
            state.state_dir.as_deref(),
            log.log.as_deref(),
        ),
        BatchCommand::Fetch(args) => fetch(args),
        BatchCommand::Cancel { job, state, log } => {
            cancel(job, state.state_dir.as_deref(), log.log.as_deref())
        }
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

fn submit_command(args: &BatchSubmitArgs) -> anyhow::Result<u8> {
    Ok(match submit(args, &HashSet::new())? {
        Submitted::Job(_) | Submitted::DryRun => exit::OK,
        Submitted::OverBudget => exit::ROWS_FAILED,
    })
}

fn status(job: Option<&str>, state_dir: Option<&Path>, log: Option<&Path>) -> anyhow::Result<u8> {
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
        match refresh(&rt, &mut job, &dir, log) {
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
        connect_timeout: crate::providers::transport::DEFAULT_CONNECT_TIMEOUT,
        log: args.log.log.clone(),
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

fn cancel(job: &str, state_dir: Option<&Path>, log: Option<&Path>) -> anyhow::Result<u8> {
    let dir = job::state_dir(state_dir)?;
    let mut job = JobFile::load(&dir, job)?;
    let plan = plan_for_job(&job)?;
    let remote = remote_for(&plan.providers[0], &job.model, &dir, log)?;
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
    let log = args.submit.log.log.as_deref();
    fetch_job(&mut job, &dir, &files, true, args.poll, log)
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
    task: Task,
    provider: &str,
    args: &RunArgs,
    flags: &BatchFlags,
) -> anyhow::Result<BatchRunArgs> {
    if task.is_draft() {
        bail!("--batch applies to one-call tasks; drafts run live");
    }
    // A job is fetched later, perhaps in another shell: its task must be one a name finds again.
    if task.def().origin == "the command line" {
        bail!(
            "--batch takes a task with a name (a built-in one or a profile's [tasks.NAME]), since \
             the job's answers are checked against it again at fetch; define this one in a profile"
        );
    }
    let task = task.name().to_string();
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
    crate::providers::transport::set_connect_timeout(args.connect_timeout);
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
            log: BatchLogArg {
                log: args.log.clone(),
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
