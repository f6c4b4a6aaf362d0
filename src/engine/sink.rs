//! The one writer: every row's outcome arrives here over a channel and is appended, flushed, to
//! the results file or the failed manifest, in completion order or (with `--keep-order`) in input
//! order. Result lines of rows that finished together go out in one write, still whole lines.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::engine::stats::RunStats;
use crate::failure::Failure;
use crate::rows::articles::{ArticleFile, ArticleWriter};
use crate::rows::manifest::ManifestWriter;
use crate::rows::record::Record;
use crate::rows::stages::{StageRecord, StageWriter};
use crate::rows::writer::ResultWriter;

/// Held while a line is being written, so an immediate exit never leaves half a line behind.
static WRITE_GUARD: Mutex<()> = Mutex::new(());

/// At most this many rows, or this many bytes of result lines, go out in one write: enough to
/// spare a write per row when rows finish faster than they are written, little enough that a
/// burst of long drafts is never held in memory.
const BURST_ROWS: usize = 256;
const BURST_BYTES: usize = 64 * 1024;

/// How long the sink lets rows gather while they arrive in bursts: a line reaches the file at
/// most this much after its row finished.
const GATHER: std::time::Duration = std::time::Duration::from_millis(1);

/// Past this many rows in one burst the lanes outpace the writes and the sink is never idle, so
/// there is no wakeup to save.
const GATHER_BELOW: usize = 16;

/// Why the sink stopped writing (it keeps draining so no lane blocks on a full channel).
#[derive(Default)]
struct Stopped {
    error: Option<String>,
    /// The reader of stdout went away.
    reader_gone: bool,
}

impl Stopped {
    fn any(&self) -> bool {
        self.error.is_some() || self.reader_gone
    }
}

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
        record: Record,
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
        let mut stopped = Stopped::default();
        // The providers of the result lines appended and not yet written.
        let mut unflushed = Vec::new();
        while let Some(first) = outcomes.blocking_recv() {
            // Rows that finished while the last lines were written go out in one write. The guard
            // spans the burst: an immediate exit waits until its lines are written.
            let guard = WRITE_GUARD.lock().unwrap_or_else(|e| e.into_inner());
            let mut burst = Some(first);
            let mut taken = 0;
            while let Some(outcome) = burst {
                if stopped.any() {
                    break;
                }
                let result = match (self.keep_order, outcome.seq()) {
                    (true, Some(seq)) => {
                        held_back.insert(seq, outcome);
                        let before = next_seq;
                        let released =
                            self.release_in_order(&mut held_back, &mut next_seq, &mut unflushed);
                        if next_seq > before {
                            written_up_to(next_seq);
                        }
                        released
                    }
                    _ => self.write(outcome, &mut unflushed),
                };
                self.settle(result, &mut stopped, &on_error);
                taken += 1;
                burst = match taken < BURST_ROWS && self.results.unwritten() < BURST_BYTES {
                    true => outcomes.try_recv().ok(),
                    false => None,
                };
            }
            if !stopped.any() {
                let flushed = self.flush(&mut unflushed);
                self.settle(flushed, &mut stopped, &on_error);
            }
            drop(guard);
            if (2..GATHER_BELOW).contains(&taken) {
                // Rows are finishing faster than one at a time: gather them for a moment rather
                // than have a lane wake this thread for each (a futex call on both sides).
                std::thread::sleep(GATHER);
            }
        }
        // Rows that never finished (interrupted) leave gaps; what did finish is still written, in order.
        if !stopped.any() {
            let _guard = WRITE_GUARD.lock().unwrap_or_else(|e| e.into_inner());
            let mut result = Ok(());
            for (_, outcome) in std::mem::take(&mut held_back) {
                result = self.write(outcome, &mut unflushed);
                if result.is_err() {
                    break;
                }
            }
            let result = result.and_then(|()| self.flush(&mut unflushed));
            if let Err(e) = result {
                stopped.error = Some(e.to_string());
            }
        }
        SinkReport {
            manifest_rows: self.manifest.rows_written(),
            error: stopped.error,
            reader_gone: stopped.reader_gone,
        }
    }

    /// What a write's result means for the run: a closed stdout ends it quietly, any other error
    /// stops it with the message.
    fn settle(&self, result: std::io::Result<()>, stopped: &mut Stopped, on_error: &impl Fn()) {
        match result {
            Err(e) if self.results_to_stdout && e.kind() == std::io::ErrorKind::BrokenPipe => {
                stopped.reader_gone = true;
                on_error();
            }
            Err(e) => {
                stopped.error = Some(e.to_string());
                on_error();
            }
            Ok(()) => {}
        }
    }

    fn release_in_order(
        &mut self,
        held_back: &mut BTreeMap<u64, Outcome>,
        next_seq: &mut u64,
        unflushed: &mut Vec<usize>,
    ) -> std::io::Result<()> {
        while let Some(outcome) = held_back.remove(next_seq) {
            *next_seq += 1;
            self.write(outcome, unflushed)?;
        }
        Ok(())
    }

    /// Writes the result lines appended since the last flush; only then do they count as done.
    /// The caller holds `WRITE_GUARD`.
    fn flush(&mut self, unflushed: &mut Vec<usize>) -> std::io::Result<()> {
        self.results.flush().map_err(|e| self.results_error(e))?;
        for provider in unflushed.drain(..) {
            self.stats.done.fetch_add(1, Ordering::Relaxed);
            self.stats.providers[provider]
                .done
                .fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    fn results_error(&self, e: std::io::Error) -> std::io::Error {
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
    }

    /// Writes a failure or a draft's stage at once; appends a result line for the next flush,
    /// noting its provider in `unflushed`. The caller holds `WRITE_GUARD`.
    fn write(&mut self, outcome: Outcome, unflushed: &mut Vec<usize>) -> std::io::Result<()> {
        if !matches!(outcome, Outcome::Done { .. } | Outcome::Skipped { .. }) {
            // A result line is never held behind another file's write, which may fail and stop
            // the sink: what was paid for is written first.
            self.flush(unflushed)?;
        }
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
                self.results
                    .append(&record)
                    .map_err(|e| self.results_error(e))?;
                unflushed.push(provider);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::FailureKind;
    use crate::rows::Format;
    use crate::rows::writer::{OpenMode, Target};
    use serde_json::json;

    fn sink(dir: &std::path::Path, manifest: std::path::PathBuf) -> (Sink, Arc<RunStats>) {
        let stats = Arc::new(RunStats::new(vec![("mock".into(), 1)]));
        let results = ResultWriter::open(
            &Target::File(dir.join("out.jsonl")),
            Format::Jsonl,
            Vec::new(),
            OpenMode::CreateNew,
        )
        .unwrap();
        let sink = Sink {
            results,
            results_label: "the results file".into(),
            results_to_stdout: false,
            manifest: ManifestWriter::new(manifest, Format::Jsonl, vec!["keyword".into()]),
            keep_order: false,
            stats: stats.clone(),
            stages: None,
            articles: None,
        };
        (sink, stats)
    }

    fn done(seq: u64) -> Outcome {
        let mut record = Record::default();
        record.insert("row_id", json!(seq.to_string()));
        Outcome::Done {
            seq,
            provider: 0,
            record,
            article: None,
        }
    }

    fn failed(seq: u64) -> Outcome {
        let mut fields = Map::new();
        fields.insert("keyword".into(), json!("k"));
        Outcome::Failed {
            seq,
            fields,
            raw_cells: Vec::new(),
            failure: Failure {
                kind: FailureKind::Server,
                message: "500".into(),
            },
            attempts: 1,
            providers_tried: vec!["mock".into()],
            cost_usd: None,
        }
    }

    fn run(sink: Sink, outcomes: Vec<Outcome>) -> SinkReport {
        let (tx, rx) = mpsc::channel(outcomes.len() + 1);
        for outcome in outcomes {
            tx.try_send(outcome).unwrap();
        }
        drop(tx);
        sink.run(rx, || {}, |_| {})
    }

    #[test]
    fn a_burst_is_written_whole_and_counted_once_written() {
        let dir = tempfile::tempdir().unwrap();
        let (sink, stats) = sink(dir.path(), dir.path().join("failed.jsonl"));
        let report = run(sink, vec![done(0), done(1), failed(2), done(3)]);
        assert_eq!(report.error, None);
        assert_eq!(report.manifest_rows, 1);
        let lines = std::fs::read_to_string(dir.path().join("out.jsonl")).unwrap();
        assert_eq!(
            lines,
            "{\"row_id\":\"0\"}\n{\"row_id\":\"1\"}\n{\"row_id\":\"3\"}\n"
        );
        assert_eq!(stats.done.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn results_before_a_failing_manifest_write_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the manifest file should be: its write fails.
        let manifest = dir.path().join("failed.jsonl");
        std::fs::create_dir(&manifest).unwrap();
        let (sink, stats) = sink(dir.path(), manifest);
        let report = run(sink, vec![done(0), done(1), failed(2), done(3)]);
        assert!(report.error.is_some_and(|e| e.contains("manifest")));
        let lines = std::fs::read_to_string(dir.path().join("out.jsonl")).unwrap();
        assert_eq!(lines, "{\"row_id\":\"0\"}\n{\"row_id\":\"1\"}\n");
        assert_eq!(stats.done.load(Ordering::Relaxed), 2);
    }
}
