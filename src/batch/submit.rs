//! `gen batch submit`: every row rendered as the live run would, cut into jobs, priced at batch
//! prices, and sent, or with `--dry-run` only shown.

use std::collections::{BTreeSet, HashSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, bail};

use crate::batch::job::{self, JobFile, Unsent};
use crate::batch::wire::BatchItem;
use crate::cli::{BatchSubmitArgs, InputFormat, ReadArgs};
use crate::failure::FailureKind;
use crate::plan::ProviderPlan;
use crate::providers::presets::Service;
use crate::providers::reasoning::Reasoning;
use crate::providers::{Request, estimate_tokens};
use crate::rows::reader::ReadSettings;
use crate::rows::resume::id_hash;
use crate::tasks::Task;
use crate::tasks::reasoning::Step;

use super::context::{
    PlanInputs, input_format_of, plan_for, remote_for, runtime, task_named, task_of,
};

/// What a submit works on: its own flags, or with `--retry-failed` the earlier job's.
pub(super) struct SubmitInputs {
    pub(super) task: Task,
    pub(super) input: String,
    pub(super) provider: String,
    pub(super) model: Option<String>,
    pub(super) id_column: Option<String>,
    pub(super) template: Option<PathBuf>,
    pub(super) input_format: Option<InputFormat>,
    pub(super) read: ReadArgs,
    pub(super) profile: Option<String>,
    pub(super) no_profile: bool,
    pub(super) subject_column: Option<String>,
    /// Only these rows (custom ids) when retrying a job's failures.
    pub(super) only: Option<BTreeSet<String>>,
    /// `--reasoning`, else the retried job's.
    pub(super) reasoning: Option<Reasoning>,
    /// The job being retried.
    pub(super) earlier: Option<JobFile>,
}

pub(super) fn submit_inputs(args: &BatchSubmitArgs) -> anyhow::Result<SubmitInputs> {
    let Some(earlier) = &args.retry_failed else {
        return Ok(SubmitInputs {
            task: {
                let name = args.task.as_deref().context("--task is required")?;
                let task = task_of(name, args.profile.as_deref(), args.no_profile)?;
                if task.is_draft() {
                    bail!("a draft runs live only (`gen draft`): it is a pipeline of requests");
                }
                task
            },
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
pub(super) struct Submission {
    pub(super) inputs: SubmitInputs,
    pub(super) input: PathBuf,
    pub(super) provider: ProviderPlan,
    pub(super) model: String,
    /// USD per million tokens at batch prices.
    pub(super) price: Option<(f64, f64)>,
    pub(super) input_format: String,
    /// How the input was read, for the job file.
    pub(super) read: ReadSettings,
    pub(super) requests: Vec<(String, Request)>,
    pub(super) rows: Vec<(String, String)>,
    /// Each row's content fingerprint, beside `rows`.
    pub(super) fingerprints: Vec<String>,
    pub(super) unsent: Vec<Unsent>,
    /// Rows skipped because the results file already has them (`--resume`).
    pub(super) skipped: u64,
    /// Estimated input and output tokens, and the reasoning part of the output.
    pub(super) tokens: (u64, u64, u64),
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
pub(super) fn prepare(
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
    let price = crate::plan::batch_price_of(&plan.providers[0], &plan.lanes[0].model);
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
pub(super) enum Submitted {
    Job(Box<JobFile>),
    /// `--dry-run`: described, nothing sent.
    DryRun,
    /// The estimate passed `--max-cost`: nothing sent.
    OverBudget,
}

/// Submits the rows not in `done` (or with `--dry-run` only describes what would be sent); prints
/// the job id on stdout.
pub(super) fn submit(args: &BatchSubmitArgs, done: &HashSet<u64>) -> anyhow::Result<Submitted> {
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
            "--max-cost needs the model's price, and `{}` on provider `{}` (the {} batch job) has \
             none; choose a priced model (`gen models` lists them) or drop --max-cost",
            submission.model,
            submission.provider.name,
            submission.inputs.task.name()
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
    let log = args.log.log.as_deref();
    let remote = remote_for(&submission.provider, &submission.model, &dir, log)?;
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
pub(super) fn describe(submission: &Submission, max_cost: Option<f64>) -> anyhow::Result<String> {
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
    match &provider.service {
        Service::Http { wire, .. } => {
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
        Service::Mock(_) => {
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

pub(super) fn limit_text(limit: usize) -> String {
    if limit == usize::MAX {
        "any number of".to_string()
    } else {
        limit.to_string()
    }
}
