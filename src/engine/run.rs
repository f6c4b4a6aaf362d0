//! Wires one live run: reader thread → bounded queue → lanes → sink thread, with Ctrl-C handling,
//! the "no lane left" drain, and the final report.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use tokio::sync::mpsc;

use crate::engine::budget::Budget;
use crate::engine::draft::DraftProgram;
use crate::engine::gate::Gate;
use crate::engine::lane::{Lane, Program};
use crate::engine::limiter::KeyState;
use crate::engine::queue::{Dispatcher, KEEP_ORDER_WINDOW, PoolSize};
use crate::engine::request_log::RequestLog;
use crate::engine::shared::{ProviderSlot, Shared};
use crate::engine::sink::{Outcome, Sink};
use crate::engine::stats::{RunReport, RunStats};
use crate::engine::target::Target;
use crate::engine::task::TaskProgram;
use crate::failure::{Failure, FailureKind};
use crate::plan::{Plan, WriteMode};
use crate::progress;
use crate::providers::Provider;
use crate::providers::http::HttpProvider;
use crate::providers::mock::MockProvider;
use crate::providers::presets::Service;
use crate::rows::Row;
use crate::rows::articles::ArticleWriter;
use crate::rows::id_set::IdSet;
use crate::rows::manifest::ManifestWriter;
use crate::rows::reader::{RowReader, Source};
use crate::rows::reconcile::{has_fingerprints, reconcile};
use crate::rows::resume::{id_hash, read_journal};
use crate::rows::stages::{StageRecord, StageWriter, load_stages};
use crate::rows::writer::{OpenMode, ResultWriter, Target as Output};
use crate::tasks::draft::Stage;

/// Bounded so the reader never runs far ahead of the lanes: memory stays flat however many rows.
const QUEUE_CAPACITY: usize = 1024;
const OUTCOME_CAPACITY: usize = 1024;

pub fn run(plan: Plan) -> anyhow::Result<RunReport> {
    // From the first line on: what resuming says is a notice event under `--progress json`.
    crate::verbose::set_json(plan.progress == crate::plan::ProgressMode::Json);
    // Hashes, not strings: a resumed million-row run keeps 8 bytes per finished row.
    let hasher = RandomState::new();
    let (done_ids, done_key) = resumed_rows(&plan, &hasher)?;

    let open_mode = match plan.write_mode {
        WriteMode::New => OpenMode::CreateNew,
        WriteMode::Overwrite => OpenMode::Truncate,
        WriteMode::Resume => OpenMode::Append,
    };
    let results = ResultWriter::open_with_bom(
        &plan.out,
        plan.out_format,
        plan.output_columns.clone(),
        open_mode,
        plan.bom,
    )?;
    if plan.write_mode != WriteMode::New || plan.out == Output::Stdout {
        remove_stale_manifest(&plan.failed)?;
    }
    let manifest = ManifestWriter::new(
        plan.failed.clone(),
        plan.reader.format(),
        plan.reader.columns().to_vec(),
    )
    .styled(plan.reader.manifest_style())
    .with_bom(plan.bom);

    crate::providers::transport::set_connect_timeout(plan.connect_timeout);
    let runtime = runtime_for(&plan).context("cannot start the async runtime")?;
    let draft_io = match &plan.draft {
        Some(draft) => Some(prepare_draft(draft, plan.write_mode, &done_ids, done_key)?),
        None => None,
    };
    runtime.block_on(drive(
        plan, results, manifest, done_ids, done_key, hasher, draft_io,
    ))
}

/// The async runtime for `plan`'s lanes. Lanes that wait on providers over the network need little
/// CPU, and on a worker thread per core much of it went to handing tasks between the threads (a
/// futex call per wakeup): one thread serves them at well over a thousand requests a second with a
/// third less CPU per row. The mock answers without waiting, so a pool with a mock lane keeps a
/// worker per core.
fn runtime_for(plan: &Plan) -> std::io::Result<tokio::runtime::Runtime> {
    let over_network = plan
        .providers
        .iter()
        .all(|p| matches!(p.service, Service::Http { .. }));
    match over_network {
        true => tokio::runtime::Builder::new_current_thread(),
        false => tokio::runtime::Builder::new_multi_thread(),
    }
    .enable_all()
    .build()
}

/// `draft`'s files: the stage sidecar (loaded on `--resume` for rows not in the results yet) and
/// the folders for pictures and articles.
struct DraftIo {
    resumed: HashMap<String, BTreeMap<Stage, StageRecord>>,
    writer: StageWriter,
}

/// How a row is looked up among those already done: by id, or by id and content (results that
/// carry fingerprints).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DoneKey {
    Id,
    IdAndContent,
}

impl DoneKey {
    fn of(self, row: &crate::rows::Row, hasher: &RandomState) -> u64 {
        match self {
            DoneKey::Id => id_hash(&row.id),
            DoneKey::IdAndContent => hasher.hash_one((row.id.as_str(), row.fingerprint())),
        }
    }
}

/// The rows `--resume` skips. Results that carry fingerprints are matched to the input's rows by
/// content first (a file input is read once for it: see `rows::reconcile`), so rows that moved are
/// not generated again and rows that changed are; older results are matched by id.
fn resumed_rows(plan: &Plan, hasher: &RandomState) -> anyhow::Result<(IdSet, DoneKey)> {
    let (Output::File(path), WriteMode::Resume) = (&plan.out, plan.write_mode) else {
        return Ok((IdSet::new(), DoneKey::Id));
    };
    let journal = read_journal(path, plan.out_format, "row_id")?;
    if journal.cut_bytes > 0 {
        crate::verbose::notice(&format!(
            "cut a torn last line ({} bytes) from `{}` left by an interrupted run",
            journal.cut_bytes,
            path.display()
        ));
    }
    let input = plan
        .input_path
        .as_ref()
        .filter(|_| has_fingerprints(&journal));
    if input.is_none() && has_fingerprints(&journal) {
        crate::verbose::notice(&format!(
            "resuming `{}` from stdin, which cannot be read twice: rows are matched by id \
             only, so a row whose text changed since is not generated again",
            path.display()
        ));
    }
    let Some(input) = input else {
        let done = journal.records.iter().map(|(id, _)| *id).collect();
        return Ok((done, DoneKey::Id));
    };
    let rows = RowReader::open(&Source::File(input.clone()), &plan.reader_options)?;
    let outcome = reconcile(path, plan.out_format, &journal, rows, |id, fingerprint| {
        hasher.hash_one((id, fingerprint))
    })?;
    let mut notes = vec![format!("{} rows already done", outcome.done.len())];
    if outcome.changed > 0 {
        notes.push(format!(
            "{} changed since their results were written (generated again)",
            outcome.changed
        ));
    }
    if outcome.new > 0 {
        notes.push(format!("{} new", outcome.new));
    }
    if outcome.dropped > 0 {
        notes.push(format!(
            "{} results dropped (their rows changed or are gone)",
            outcome.dropped
        ));
    }
    if outcome.renumbered > 0 {
        notes.push(format!(
            "{} results given their rows' new ids (rows moved)",
            outcome.renumbered
        ));
    }
    crate::verbose::notice(&format!(
        "resuming `{}`: {}",
        path.display(),
        notes.join("; ")
    ));
    Ok((outcome.done, DoneKey::IdAndContent))
}

fn prepare_draft(
    draft: &crate::plan::draft::DraftPlan,
    mode: WriteMode,
    done_ids: &IdSet,
    done_key: DoneKey,
) -> anyhow::Result<DraftIo> {
    let resumed = if mode == WriteMode::Resume {
        // By content, finished rows cannot be told from their id alone: every stage is loaded,
        // and a row takes only stages written for its own content.
        load_stages(
            &draft.sidecar,
            |id| done_key == DoneKey::IdAndContent || !done_ids.contains(id_hash(id)),
            Stage::parse,
        )?
    } else {
        HashMap::new()
    };
    let writer = StageWriter::open(&draft.sidecar, mode != WriteMode::Resume)?;
    if draft.settings.stages.contains(&Stage::Images) {
        std::fs::create_dir_all(&draft.settings.assets).with_context(|| {
            format!(
                "cannot create the picture folder `{}`",
                draft.settings.assets.display()
            )
        })?;
    }
    if let Some(dir) = &draft.settings.articles_dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the article folder `{}`", dir.display()))?;
    }
    Ok(DraftIo { resumed, writer })
}

fn remove_stale_manifest(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => {
            Err(e).with_context(|| format!("cannot remove the old manifest `{}`", path.display()))
        }
    }
}

async fn drive(
    mut plan: Plan,
    results: ResultWriter,
    manifest: ManifestWriter,
    done_ids: IdSet,
    done_key: DoneKey,
    hasher: RandomState,
    draft_io: Option<DraftIo>,
) -> anyhow::Result<RunReport> {
    let lanes_per_provider: Vec<(String, usize)> = plan
        .providers
        .iter()
        .enumerate()
        .map(|(index, p)| {
            (
                p.name.clone(),
                plan.lanes.iter().filter(|l| l.provider == index).count(),
            )
        })
        .collect();
    let stats = Arc::new(RunStats::new(lanes_per_provider));
    // A workbook is loaded at open and knows its rows; counting its zipped bytes' newlines would not.
    if let Some(rows) = plan.reader.known_rows() {
        stats.expected_total.store(rows, Ordering::Relaxed);
    } else if let Some(path) = &plan.input_path {
        estimate_total_in_background(path.clone(), stats.clone());
    }
    let clients = build_clients(&plan.providers, &plan.lanes, &stats);
    let lanes: Vec<Lane> = plan
        .lanes
        .iter()
        .enumerate()
        .map(|(index, lane)| Lane {
            index,
            target: Target {
                provider: lane.provider,
                model: lane.model.clone(),
                price: lane.price,
                key: clients.keys[lane.provider][lane.key].clone(),
                client: clients.clients[lane.provider][lane.key].clone(),
                gate: if lane.adaptive {
                    clients.gates[lane.provider][lane.key].clone()
                } else {
                    None
                },
                thinking: lane.thinking,
            },
        })
        .collect();
    let sink = Sink {
        results,
        results_label: match &plan.out {
            Output::File(path) => format!("the results file `{}`", path.display()),
            Output::Stdout => "the results to stdout".to_string(),
        },
        results_to_stdout: plan.out == Output::Stdout,
        manifest,
        keep_order: plan.keep_order,
        stats: stats.clone(),
        stages: None,
        articles: None,
    };
    let resume = Resumed {
        done_ids,
        done_key,
        hasher,
    };
    match plan.draft.take() {
        Some(draft) => {
            let target = |t: Option<crate::plan::draft::StageTarget>| {
                t.map(|t| Target {
                    key: clients.keys[t.provider][0].clone(),
                    client: clients.clients[t.provider][0].clone(),
                    provider: t.provider,
                    model: t.model,
                    price: t.price,
                    gate: None,
                    thinking: t.thinking,
                })
            };
            let (resumed, writer) = match draft_io {
                Some(io) => (io.resumed, Some(io.writer)),
                None => (HashMap::new(), None),
            };
            let sink =
                Sink {
                    stages: writer,
                    articles: draft.settings.articles_dir.clone().map(|dir| {
                        ArticleWriter::new(dir, plan.write_mode == WriteMode::Overwrite)
                    }),
                    ..sink
                };
            let program = DraftProgram {
                research: target(draft.research),
                images: target(draft.image_model),
                settings: draft.settings,
                resumed: Mutex::new(resumed),
                topic_column: plan.topic_column.clone(),
                renames: plan.renames.clone(),
            };
            execute(plan, stats, lanes, sink, resume, program).await
        }
        None => {
            let program = TaskProgram {
                task: plan.task,
                template: plan.template.clone(),
                topic_column: plan.topic_column.clone(),
                renames: plan.renames.clone(),
            };
            execute(plan, stats, lanes, sink, resume, program).await
        }
    }
}

/// What `--resume` found already done, to skip.
struct Resumed {
    done_ids: IdSet,
    done_key: DoneKey,
    hasher: RandomState,
}

/// Runs `program` over the input on `lanes`: the reader thread feeds the queue, the lanes take
/// rows from it, the sink thread writes what they finish.
async fn execute<P: Program>(
    plan: Plan,
    stats: Arc<RunStats>,
    lanes: Vec<Lane>,
    sink: Sink,
    resume: Resumed,
    program: P,
) -> anyhow::Result<RunReport> {
    let notes = plan.structured_output_notes();
    let (fresh_tx, fresh_rx) = async_channel::bounded::<Row>(QUEUE_CAPACITY);
    let (outcome_tx, outcome_rx) = mpsc::channel::<Outcome>(OUTCOME_CAPACITY);
    // Providers with lanes: a research or picture provider takes no rows, so a retried row
    // never waits to "try" it.
    let mut laned: Vec<usize> = lanes.iter().map(|l| l.target.provider).collect();
    laned.sort_unstable();
    laned.dedup();
    let pool_size = PoolSize {
        lanes: lanes.len(),
        providers: laned.len(),
    };
    let mut dispatcher = Dispatcher::new(fresh_rx, pool_size);
    if plan.keep_order {
        dispatcher = dispatcher.with_window(KEEP_ORDER_WINDOW);
    }
    let dispatcher = Arc::new(dispatcher);
    let shared = Arc::new(Shared {
        max_attempts: plan.max_attempts,
        providers: plan
            .providers
            .iter()
            .map(|p| ProviderSlot {
                name: p.name.clone(),
                timeout: p.timeout,
            })
            .collect(),
        dispatcher: dispatcher.clone(),
        stats: stats.clone(),
        outcomes: outcome_tx.clone(),
        removals: Mutex::new(Vec::new()),
        budget: plan.max_cost.map(Budget::new),
        inflight: plan
            .max_inflight
            .map(|n| tokio::sync::Semaphore::new(n as usize)),
        budget_reached: AtomicBool::new(false),
        reasoning: plan.reasoning.clone(),
        deadlines: Default::default(),
        log: match &plan.log {
            Some(path) => Some(RequestLog::open(path)?),
            None => None,
        },
    });

    // The sink holds only the dispatcher: holding `shared` would keep a sender alive and the sink
    // would wait for itself.
    let sink_dispatcher = dispatcher.clone();
    let sink_thread = std::thread::Builder::new()
        .name("gen-sink".into())
        .spawn(move || {
            sink.run(
                outcome_rx,
                || sink_dispatcher.cancel(),
                |next| sink_dispatcher.written_up_to(next),
            )
        })
        .context("cannot start the writer thread")?;

    let reader_thread = {
        let stats = stats.clone();
        let reader_dispatcher = dispatcher.clone();
        let fresh = dispatcher.feeder(fresh_tx);
        let outcomes = outcome_tx.clone();
        let keep_order = plan.keep_order;
        let mut reader = plan.reader;
        let Resumed {
            done_ids,
            done_key,
            hasher,
        } = resume;
        std::thread::Builder::new()
            .name("gen-reader".into())
            .spawn(move || {
                for item in reader.by_ref() {
                    stats.read.fetch_add(1, Ordering::Relaxed);
                    match item {
                        Ok(row) if done_ids.contains(done_key.of(&row, &hasher)) => {
                            stats.skipped.fetch_add(1, Ordering::Relaxed);
                            if keep_order
                                && outcomes
                                    .blocking_send(Outcome::Skipped { seq: row.seq })
                                    .is_err()
                            {
                                break;
                            }
                        }
                        Ok(row) => {
                            if fresh.send(row).is_err() {
                                break; // cancelled: the rest is left for --resume
                            }
                        }
                        Err(bad) => {
                            let outcome = Outcome::Failed {
                                seq: bad.seq,
                                fields: bad.fields,
                                raw_cells: bad.raw_cells,
                                failure: Failure {
                                    kind: bad.kind,
                                    message: bad.message,
                                },
                                attempts: 0,
                                providers_tried: Vec::new(),
                                cost_usd: None,
                            };
                            if outcomes.blocking_send(outcome).is_err() {
                                break;
                            }
                        }
                    }
                }
                stats.blank.store(reader.blank_rows(), Ordering::Relaxed);
                stats.reader_finished.store(true, Ordering::Relaxed);
                drop(fresh);
                reader_dispatcher.input_finished();
            })
            .context("cannot start the reader thread")?
    };
    drop(outcome_tx);

    let interrupted = Arc::new(AtomicBool::new(false));
    let signal_task = {
        let dispatcher = dispatcher.clone();
        let stats = stats.clone();
        let interrupted = interrupted.clone();
        let bar = plan.progress == crate::plan::ProgressMode::Bar;
        tokio::spawn(async move {
            watch_ctrl_c(|| dispatcher.cancel(), &stats, &interrupted, bar).await;
        })
    };

    let json_progress = plan.progress == crate::plan::ProgressMode::Json;
    let progress = progress::start(plan.progress, plan.progress_interval, stats.clone());
    // `--progress json` writes JSON lines only: the start event says what these lines say.
    if !json_progress {
        log_lanes(&plan.providers, &plan.lanes);
    }
    for note in &notes {
        crate::verbose::notice(&format!("note: {note}"));
    }

    run_lanes(shared.clone(), Arc::new(program), lanes).await;

    signal_task.abort();
    let reader_result = tokio::task::spawn_blocking(move || reader_thread.join()).await;
    if !matches!(reader_result, Ok(Ok(()))) {
        crate::verbose::notice("the input reader stopped unexpectedly");
    }
    let shared_budget_reached = match &shared.budget {
        Some(budget) if shared.budget_reached.load(Ordering::Relaxed) => {
            let spent: f64 = stats.providers.iter().map(|p| p.cost_usd()).sum();
            Some((budget.limit_usd(), spent))
        }
        _ => None,
    };
    drop(shared);
    let sink_report = tokio::task::spawn_blocking(move || sink_thread.join())
        .await
        .ok()
        .and_then(Result::ok)
        .context("the writer thread stopped unexpectedly")?;
    progress.finish();

    let report = RunReport {
        done: stats.done.load(Ordering::Relaxed),
        failed: stats.failed.load(Ordering::Relaxed),
        skipped: stats.skipped.load(Ordering::Relaxed),
        interrupted: interrupted.load(Ordering::Relaxed),
        budget_reached: shared_budget_reached,
        fatal: sink_report.error.map(|e| format!("cannot write {e}")),
        stdout_closed: sink_report.reader_gone,
    };
    if report.stdout_closed {
        return Ok(report);
    }
    if json_progress {
        eprintln!("{}", progress::final_event(&stats, &report));
        return Ok(report);
    }
    progress::print_summary(
        &stats,
        &report,
        &progress::Paths {
            out: plan.out.clone(),
            failed: (sink_report.manifest_rows > 0).then(|| plan.failed.clone()),
        },
    );
    Ok(report)
}

/// Runs every lane to its end, then fails what no lane is left to serve. The lanes' clients and
/// the outcome channel come from the caller, so tests drive the scheduling with their own.
pub async fn run_lanes<P: Program>(
    shared: Arc<Shared<P::State>>,
    program: Arc<P>,
    lanes: Vec<Lane>,
) {
    let mut handles = Vec::with_capacity(lanes.len());
    for lane in lanes {
        handles.push(tokio::spawn(lane.run(shared.clone(), program.clone())));
    }
    for handle in handles {
        if let Err(e) = handle.await {
            crate::verbose::notice(&format!("a lane stopped unexpectedly: {e}"));
        }
    }
    if !shared.dispatcher.is_cancelled() {
        fail_unserved(&shared).await;
    }
}

/// One limiter state and one client per (provider, key); lanes of a key share them.
#[allow(clippy::type_complexity)]
fn build_clients(
    providers: &[crate::plan::ProviderPlan],
    lanes: &[crate::plan::LanePlan],
    stats: &RunStats,
) -> Clients {
    let mut keys: Vec<Vec<Arc<KeyState>>> = Vec::new();
    let mut clients: Vec<Vec<Arc<dyn Provider>>> = Vec::new();
    let mut gates: Vec<Vec<Option<Arc<Gate>>>> = Vec::new();
    for (index, provider) in providers.iter().enumerate() {
        let mut provider_keys = Vec::new();
        let mut provider_clients: Vec<Arc<dyn Provider>> = Vec::new();
        let mut provider_gates = Vec::new();
        for (key, label) in provider.key_labels.iter().enumerate() {
            let on_key = |adaptive: bool| {
                lanes
                    .iter()
                    .filter(|l| l.provider == index && l.key == key && l.adaptive == adaptive)
                    .count() as u32
            };
            let (fixed, adaptive) = (on_key(false), on_key(true));
            let gate = (adaptive > 0).then(|| Arc::new(Gate::new(adaptive, provider.rpm)));
            // The burst follows the lanes that will work at first, not the ceiling spawned.
            let working = fixed + gate.as_ref().map_or(0, |g| g.target());
            if let Some(gate) = &gate {
                stats.providers[index]
                    .gates
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(gate.clone());
            }
            provider_gates.push(gate);
            provider_keys.push(Arc::new(KeyState::new(
                label.clone(),
                provider.rpm,
                provider.tpm,
                working,
            )));
            provider_clients.push(match &provider.service {
                Service::Mock(config) => Arc::new(MockProvider::new(config.clone())),
                Service::Http {
                    wire,
                    base_url,
                    dialect,
                } => Arc::new(HttpProvider::new(
                    *wire,
                    *dialect,
                    base_url.clone(),
                    provider.keys[key].clone(),
                )),
            });
        }
        keys.push(provider_keys);
        clients.push(provider_clients);
        gates.push(provider_gates);
    }
    Clients {
        keys,
        clients,
        gates,
    }
}

/// Per provider, per key: the limiter state, the client and, for automatic lanes, the gate.
struct Clients {
    keys: Vec<Vec<Arc<KeyState>>>,
    clients: Vec<Vec<Arc<dyn Provider>>>,
    gates: Vec<Vec<Option<Arc<Gate>>>>,
}

/// Every lane left the pool (bad keys, no quota): what is still queued or unread fails with the
/// reasons, so each row still ends in exactly one place.
async fn fail_unserved<S>(shared: &Shared<S>) {
    let retries = shared.dispatcher.drain_retries();
    let reasons = shared
        .removals
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .join("; ");
    let message = if reasons.is_empty() {
        "no lane was left to serve the row".to_string()
    } else {
        format!("no lane was left to serve the row: {reasons}")
    };
    for job in retries {
        let failure = Failure {
            kind: FailureKind::NoLanes,
            message: message.clone(),
        };
        shared.fail(job, failure).await;
    }
    while let Some(row) = shared.dispatcher.next_unserved().await {
        let failure = Failure {
            kind: FailureKind::NoLanes,
            message: message.clone(),
        };
        let outcome = Outcome::Failed {
            seq: row.seq,
            fields: row.fields,
            raw_cells: Vec::new(),
            failure,
            attempts: 0,
            providers_tried: Vec::new(),
            cost_usd: None,
        };
        let _ = shared.outcomes.send(outcome).await;
    }
}

/// First Ctrl-C: stop dispatching and let in-flight rows finish (each bounded by its timeout).
/// Second: leave at once, between two writes so no line is torn.
async fn watch_ctrl_c(cancel: impl Fn(), stats: &RunStats, interrupted: &AtomicBool, bar: bool) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    interrupted.store(true, Ordering::Relaxed);
    let in_flight: u64 = stats
        .providers
        .iter()
        .map(|p| p.in_flight.load(Ordering::Relaxed))
        .sum();
    let notice = format!(
        "interrupted; finishing {in_flight} in-flight row(s), then writing everything \
         (Ctrl-C again to quit at once; --resume continues later)"
    );
    // Under the live display, printed above it whole rather than cut by its redraw.
    if bar {
        stats.notice(format!("gen: {notice}"));
    } else if crate::verbose::json() {
        crate::verbose::notice(&notice);
    } else {
        // On a line of its own, after the terminal's `^C`.
        eprintln!("\ngen: {notice}");
    }
    cancel();
    if tokio::signal::ctrl_c().await.is_ok() {
        crate::engine::sink::exit_between_writes(130);
    }
}

fn log_lanes(providers: &[crate::plan::ProviderPlan], lanes: &[crate::plan::LanePlan]) {
    for (index, provider) in providers.iter().enumerate() {
        for (key, label) in provider.key_labels.iter().enumerate() {
            let on_key: Vec<&crate::plan::LanePlan> = lanes
                .iter()
                .filter(|l| l.provider == index && l.key == key)
                .collect();
            if on_key.is_empty() {
                continue;
            }
            let mut models: Vec<&str> = on_key.iter().map(|l| l.model.as_str()).collect();
            models.dedup();
            let limit = provider
                .rpm
                .map_or_else(String::new, |rpm| format!(", {rpm} rpm"));
            // Automatic lanes are a ceiling: the gate lets as many work as the key can use.
            let automatic = on_key.iter().filter(|l| l.adaptive).count();
            let count = match (on_key.len() - automatic, automatic) {
                (fixed, 0) => format!("{fixed} lane(s)"),
                (0, auto) => format!("up to {auto} automatic lane(s)"),
                (fixed, auto) => format!("{fixed} lane(s) and up to {auto} automatic"),
            };
            eprintln!(
                "gen: {count} on {} · model {} · key {label}{limit}",
                provider.name,
                models.join(", ")
            );
        }
    }
}

/// Counts the input's lines on a spare thread so progress can show an ETA without delaying the
/// start (an estimate: quoted multi-line CSV fields count extra).
fn estimate_total_in_background(path: std::path::PathBuf, stats: Arc<RunStats>) {
    let _ = std::thread::Builder::new()
        .name("gen-count".into())
        .spawn(move || {
            use std::io::Read;
            let Ok(mut file) = std::fs::File::open(&path) else {
                return;
            };
            let mut buffer = vec![0u8; 1 << 16];
            let (mut lines, mut last) = (0u64, b'\n');
            while let Ok(n) = file.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                lines += buffer[..n].iter().filter(|&&b| b == b'\n').count() as u64;
                last = buffer[n - 1];
            }
            if last != b'\n' {
                lines += 1;
            }
            let header = u64::from(
                path.extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("csv")),
            );
            stats
                .expected_total
                .store(lines.saturating_sub(header), Ordering::Relaxed);
        });
}
