//! `gen batch fetch`: a job's answers mapped back to their rows (by content when the input was
//! edited since submit), checked like the live task, and written to the same results and
//! manifest files, under the rules for files another run wrote.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::bail;

use crate::batch::job::{self, JobFile, Unsent};
use crate::batch::wire::{ItemResult, JobState};
use crate::cli::{BatchFetchArgs, FetchFiles};
use crate::exit;
use crate::failure::{Failure, FailureKind};
use crate::plan::same_file;
use crate::providers::{ProviderError, Usage};
use crate::rows::manifest::ManifestWriter;
use crate::rows::record::{RecordMeta, compose_record};
use crate::rows::resume::{id_hash, read_journal};
use crate::rows::writer::{OpenMode, ResultWriter, Target};
use crate::tasks::Task;

use super::context::{is_terminal, plan_for_job, refresh, remote_for, runtime, task_named};

pub(super) fn fetch(args: &BatchFetchArgs) -> anyhow::Result<u8> {
    let dir = job::state_dir(args.state.state_dir.as_deref())?;
    let mut job = JobFile::load(&dir, &args.job)?;
    let log = args.log.log.as_deref();
    fetch_job(&mut job, &dir, &args.files, args.wait, args.poll, log)
}

/// Where a fetch writes, decided before anything is downloaded (or, for `batch run`, submitted).
pub(super) struct Destination {
    pub(super) out: Target,
    pub(super) out_format: crate::rows::Format,
    pub(super) failed: PathBuf,
    pub(super) results_mode: OpenMode,
    /// Start the manifest afresh instead of adding to it.
    pub(super) fresh_manifest: bool,
    /// Row ids already in the results file (as `id_hash`es), not written again.
    pub(super) done: HashSet<u64>,
}

/// The results file and manifest of a fetch of `job`, and how they may be written: a file that
/// exists is added to only when it is this job's own (an earlier fetch, or the job it retries
/// wrote it) or with `--resume`, replaced only with `--force`.
pub(super) fn destination(
    job: Option<&JobFile>,
    task: Task,
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

pub(super) fn fetch_job(
    job: &mut JobFile,
    dir: &Path,
    files: &FetchFiles,
    wait: bool,
    poll: Duration,
    log: Option<&Path>,
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
        let summary = refresh(&rt, job, dir, log)?;
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
    let remote = remote_for(&plan.providers[0], &job.model, dir, log)?;
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
    let price = crate::plan::batch_price_of(&plan.providers[0], &plan.lanes[0].model);
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
    let cost = match price {
        Some(_) => format!("${spent:.4} at batch prices"),
        None => format!("cost unknown: no price for model `{}`", job.model),
    };
    eprintln!(
        "gen: fetched job {}: {done} results to {out_label} ({cost}), {failures} failed{}{}",
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

/// After a retry job's fetch: the job it retried points at it (its files are now current) and no
/// longer counts as failed the rows that the retry answered.
pub(super) fn mark_retried(dir: &Path, earlier_id: &str, retry: &JobFile) -> anyhow::Result<()> {
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
pub(super) fn ended_part(job: &JobFile, index: Option<usize>) -> Option<JobState> {
    let index = index?;
    let part = job
        .parts
        .iter()
        .find(|p| (p.range.0..p.range.1).contains(&index))?;
    JobState::from_name(&part.state).filter(|s| s.is_terminal())
}

pub(super) fn kind_named(name: &str) -> FailureKind {
    FailureKind::ALL
        .into_iter()
        .find(|k| k.as_str() == name)
        .unwrap_or(FailureKind::BadInput)
}
