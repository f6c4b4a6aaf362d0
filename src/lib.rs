//! `gen_core`: bulk AI text generation over a weighted pool of provider lanes.
//!
//! A run streams rows from CSV or JSONL, renders each into a prompt, and lets lanes (each one
//! fixed provider, model and key) pull rows from one shared queue under per-key rate limiters.
//! Results stream to a JSONL or CSV file that doubles as the resume journal; rows that fail go to
//! a manifest in the input's own format. Module docs describe each part; README.md describes the product.

pub mod batch;
pub mod cli;
pub mod dry_run;
pub mod duration;
pub mod engine;
pub mod failure;
pub mod models;
pub mod plan;
pub mod pool;
pub mod profile;
pub mod progress;
pub mod providers;
pub mod registry;
pub mod rows;
pub mod tasks;
pub mod text;
pub mod verbose;

#[cfg(test)]
mod module_graph;

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::{BatchCommand, BatchFlags, Cli, Command, DraftArgs, RunArgs};
use crate::plan::Plan;
use crate::tasks::Task;

/// Exit codes (documented in README.md).
pub mod exit {
    /// Every row done.
    pub const OK: u8 = 0;
    /// Some rows failed (the manifest has them), or the run stopped on a write error.
    pub const ROWS_FAILED: u8 = 1;
    /// Usage, configuration or input error before any work started.
    pub const USAGE: u8 = 2;
    /// Interrupted (Ctrl-C) after draining in-flight rows and writing everything.
    pub const INTERRUPTED: u8 = 130;
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    verbose::set(cli.verbose);
    let code = match cli.command {
        Command::Seo(args) => task_run(Task::seo(), &args.run, &args.batch),
        Command::Outline(args) => task_run(Task::outline(), &args.run, &args.batch),
        Command::Draft(args) => live_run(Task::draft(), &args.run, Some(&args)),
        Command::Run(args) => match run_task(&args) {
            Ok(task) => task_run(task, &args.run, &args.batch),
            Err(error) => {
                eprintln!("gen: error: {error:#}");
                exit::USAGE
            }
        },
        Command::Tasks(args) => match plan::task::print_list(&args) {
            Ok(()) => exit::OK,
            Err(error) => {
                eprintln!("gen: error: {error:#}");
                exit::USAGE
            }
        },
        Command::Models(args) => models::run(&args),
        Command::Batch(command) => batch::command::run(&command),
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "gen", &mut std::io::stdout());
            exit::OK
        }
    };
    ExitCode::from(code)
}

/// `gen run [TASK] INPUT`: the task named (under the profile), or a one-off from flags.
fn run_task(args: &cli::RunTaskArgs) -> anyhow::Result<Task> {
    let run = &args.run;
    match (args.task(), args.define.defines_a_task()) {
        (Some(name), false) => {
            if args.define.any() {
                anyhow::bail!(
                    "--prompt, --system and --answer-tokens define a one-off task with --schema \
                     or --format; task `{name}` is defined by its row (`gen tasks` shows it)"
                );
            }
            let profile = profile::select(run.profile.as_deref(), run.no_profile)?;
            plan::task::named(name, &profile)
        }
        (Some(name), true) => anyhow::bail!(
            "give a task name or a one-off task (--schema or --format), not both: `{name}` is \
             defined by its row"
        ),
        (None, true) => plan::task::one_off(&args.define, run.template.as_deref()),
        (None, false) => anyhow::bail!(
            "`gen run {}` names one thing; give the task and the input (`gen run TASK INPUT`; \
             `gen tasks` lists the tasks), or define a one-off task with --schema FILE or \
             --format markdown|text, and --template FILE or --prompt TEXT",
            run.input
        ),
    }
}

/// `gen seo|outline|run`: a live run, or with `--batch` the same rows as a batch job.
fn task_run(task: Task, args: &RunArgs, batch: &BatchFlags) -> u8 {
    let Some(provider) = &batch.batch else {
        return live_run(task, args, None);
    };
    match batch::command::shorthand(task, provider, args, batch) {
        Ok(run) => batch::command::run(&BatchCommand::Run(Box::new(run))),
        Err(error) => {
            eprintln!("gen: error: {error:#}");
            exit::USAGE
        }
    }
}

fn live_run(task: Task, args: &RunArgs, draft: Option<&DraftArgs>) -> u8 {
    crate::verbose::set_json(args.progress == Some(cli::ProgressArg::Json));
    let plan = match Plan::resolve(task, args, draft).and_then(check_targets) {
        Ok(plan) => plan,
        Err(error) => {
            crate::verbose::error(&error);
            return exit::USAGE;
        }
    };
    if plan.dry_run {
        let text = dry_run::describe(plan);
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        return exit::OK;
    }
    match engine::run::run(plan) {
        Ok(report) => report.exit_code(),
        Err(error) => {
            crate::verbose::error(&error);
            exit::USAGE
        }
    }
}

/// `--words` is checked as it is parsed; a profile's `[draft] words` only once resolved.
fn check_targets(plan: Plan) -> anyhow::Result<Plan> {
    if let Some(draft) = &plan.draft {
        tasks::draft::check_words(draft.settings.words)?;
    }
    Ok(plan)
}
