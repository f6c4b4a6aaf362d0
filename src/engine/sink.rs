//! The one writer: every row's outcome arrives here over a channel and is appended, flushed, to
//! the results file or the failed manifest, in completion order or (with `--keep-order`) in input
//! order.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::engine::stats::RunStats;
use crate::failure::Failure;
use crate::rows::articles::{ArticleFile, ArticleWriter};
use crate::rows::manifest::ManifestWriter;
use crate::rows::stages::{StageRecord, StageWriter};
use crate::rows::writer::ResultWriter;

/// Held while a line is being written, so an immediate exit never leaves half a line behind.
static WRITE_GUARD: Mutex<()> = Mutex::new(());

/// Exits the process between two writes (second Ctrl-C).
pub fn exit_between_writes(code: i32) -> ! {
    let _guard = WRITE_GUARD.lock().unwrap_or_else(|e| e.into_inner());
    std::process::exit(code)
}

/// How one row ended.
#[derive(Debug)]
pub enum Outcome {
    /// A result line ready to write, and the provider that produced it.
    Done {
        seq: u64,
        provider: usize,
        record: Map<String, Value>,
        /// `draft --articles-dir`: the article as a markdown file.
        article: Option<ArticleFile>,
    },
    /// `draft`: a stage of a row finished; kept in the sidecar file until the row's result is.
    Stage {
        row_id: String,
        stage: &'static str,
        record: StageRecord,
    },
    Failed {
        seq: u64,
        fields: Map<String, Value>,
        /// Undecodable input cells, as read (see [`crate::rows::BadRow::raw_cells`]).
        raw_cells: Vec<(String, Vec<u8>)>,
        failure: Failure,
        attempts: u32,
        providers_tried: Vec<String>,
        /// What the row's attempts were billed (`None`: unknown, or nothing was sent).
        cost_usd: Option<f64>,
    },
    /// Already in the results (`--resume`); only sent with `--keep-order`, to keep the sequence dense.
    Skipped { seq: u64 },
}

impl Outcome {
    fn seq(&self) -> Option<u64> {
        match self {
            Outcome::Done { seq, .. } | Outcome::Failed { seq, .. } | Outcome::Skipped { seq } => {
                Some(*seq)
            }
            // Not a row's end: written as it comes, whatever the order.
            Outcome::Stage { .. } => None,
        }
    }
}

pub struct Sink {
    pub results: ResultWriter,
    /// What the results go to, for write errors: "the results file `x`" or "the results to stdout".
    pub results_label: String,
    /// The results go to stdout, whose reader may go away (`gen … -o - | head`).
    pub results_to_stdout: bool,
    pub manifest: ManifestWriter,
    pub keep_order: bool,
    pub stats: Arc<RunStats>,
    /// `draft`: the sidecar of finished stages, and the folder for article files.
    pub stages: Option<StageWriter>,
    pub articles: Option<ArticleWriter>,
}

/// What the sink wrote, and the first write error if one stopped it.
pub struct SinkReport {
    pub manifest_rows: u64,
    pub error: Option<String>,
    /// The reader of stdout went away: not an error, the run just stops, as Unix filters do.
    pub reader_gone: bool,
}

impl Sink {
    /// Runs on its own thread until every sender is gone. On a write error it calls `on_error`
    /// once (the run stops dispatching) and keeps draining so no lane blocks on a full channel.
    /// With `--keep-order`, `written_up_to` hears the sequence number of the next row to write
    /// each time rows are released (the dispatcher's window moves with it).
    pub fn run(
        mut self,
        mut outcomes: mpsc::Receiver<Outcome>,
        on_error: impl Fn(),
        written_up_to: impl Fn(u64),
    ) -> SinkReport {
        let mut held_back: BTreeMap<u64, Outcome> = BTreeMap::new();
        let mut next_seq = 0u64;
        let mut error = None;
        let mut reader_gone = false;
        while let Some(outcome) = outcomes.blocking_recv() {
            if error.is_some() || reader_gone {
                continue;
            }
            let result = match (self.keep_order, outcome.seq()) {
                (true, Some(seq)) => {
                    held_back.insert(seq, outcome);
                    let before = next_seq;
                    let released = self.release_in_order(&mut held_back, &mut next_seq);
                    if next_seq > before {
                        written_up_to(next_seq);
                    }
                    released
                }
                _ => self.write(outcome),
            };
            match result {
                Err(e) if self.results_to_stdout && e.kind() == std::io::ErrorKind::BrokenPipe => {
                    reader_gone = true;
                    on_error();
                }
                Err(e) => {
                    error = Some(e.to_string());
                    on_error();
                }
                Ok(()) => {}
            }
        }
        // Rows that never finished (interrupted) leave gaps; what did finish is still written, in order.
        if error.is_none() && !reader_gone {
            for (_, outcome) in std::mem::take(&mut held_back) {
                if let Err(e) = self.write(outcome) {
                    error = Some(e.to_string());
                    break;
                }
            }
        }
        SinkReport {
            manifest_rows: self.manifest.rows_written(),
            error,
            reader_gone,
        }
    }

    fn release_in_order(
        &mut self,
        held_back: &mut BTreeMap<u64, Outcome>,
        next_seq: &mut u64,
    ) -> std::io::Result<()> {
        while let Some(outcome) = held_back.remove(next_seq) {
            *next_seq += 1;
            self.write(outcome)?;
        }
        Ok(())
    }

    fn write(&mut self, outcome: Outcome) -> std::io::Result<()> {
        let _guard = WRITE_GUARD.lock().unwrap_or_else(|e| e.into_inner());
        match outcome {
            Outcome::Stage {
                row_id,
                stage,
                record,
            } => {
                if let Some(stages) = &mut self.stages {
                    stages.append(&row_id, stage, &record)?;
                }
            }
            Outcome::Done {
                provider,
                record,
                article,
                ..
            } => {
                if let (Some(articles), Some(article)) = (&mut self.articles, article) {
                    articles.write(&article)?;
                }
                self.results.write(&record).map_err(|e| {
                    let written = self.stats.done.load(Ordering::Relaxed);
                    let what = if e.kind() == std::io::ErrorKind::BrokenPipe {
                        "the reading end of the pipe closed".to_string()
                    } else {
                        e.to_string()
                    };
                    std::io::Error::new(
                        e.kind(),
                        format!("{}: {what} ({written} rows written)", self.results_label),
                    )
                })?;
                self.stats.done.fetch_add(1, Ordering::Relaxed);
                self.stats.providers[provider]
                    .done
                    .fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Failed {
                fields,
                raw_cells,
                failure,
                attempts,
                providers_tried,
                cost_usd,
                ..
            } => {
                self.manifest
                    .write_with_raw(
                        &fields,
                        &raw_cells,
                        &failure,
                        attempts,
                        &providers_tried,
                        cost_usd,
                    )
                    .map_err(|e| {
                        let path = self.manifest.path().display();
                        std::io::Error::new(
                            e.kind(),
                            format!("the failed-rows manifest `{path}`: {e}"),
                        )
                    })?;
                self.stats.record_failure(failure.kind);
            }
            Outcome::Skipped { .. } => {}
        }
        Ok(())
    }
}
