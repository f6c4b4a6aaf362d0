//! The shared queue every lane pulls from: fresh rows streamed from the reader (bounded, so memory
//! stays flat) and rows coming back after a retryable failure (at most one per in-flight row).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::engine::pipeline::StageRecord;
use crate::providers::ProviderError;
use crate::rows::Row;
use crate::tasks::draft::Stage;

/// A row on its way through the pool, with what happened to it so far.
#[derive(Debug)]
pub struct Job {
    pub row: Row,
    /// Rendered once, reused by every attempt.
    pub prompt: Option<String>,
    /// Requests sent for the row.
    pub attempts: u32,
    /// Failures that count against `--max-attempts`.
    pub counted_failures: u32,
    pub lanes_tried: Vec<usize>,
    /// Provider indices, in the order they were tried, without repeats.
    pub providers_tried: Vec<usize>,
    pub last_error: Option<ProviderError>,
    /// USD billed for the row so far, over all its attempts.
    pub cost_usd: f64,
    /// An attempt was billed on a model without a price, so `cost_usd` is not the whole cost.
    pub unpriced: bool,
    /// Attempts whose answer was cut at the output cap: each doubles the next attempt's cap.
    pub cuts: u32,
    /// Of those, the ones where the model's reasoning used up the cap: from the second on, the
    /// next attempt also reasons one step less.
    pub reasoning_cuts: u32,
    /// `draft`: stages finished so far (this run, or a sidecar file of an earlier one).
    pub stages: BTreeMap<Stage, StageRecord>,
    /// `draft`: whether the one same-lane retry of a draft outside its length was used.
    pub same_lane_retry_used: bool,
    pub not_before: Option<Instant>,
    /// When the job last went back to the queue: lanes it does not prefer may take it only after
    /// [`PREFERENCE_GRACE`], which gives a lane it prefers the chance to free up first.
    pub requeued_at: Option<Instant>,
}

/// How long a retried row waits for a lane it prefers (a new provider, a new lane) before any lane
/// may take it.
pub const PREFERENCE_GRACE: Duration = Duration::from_secs(1);

impl Job {
    pub fn new(row: Row) -> Self {
        Job {
            row,
            prompt: None,
            attempts: 0,
            counted_failures: 0,
            lanes_tried: Vec::new(),
            providers_tried: Vec::new(),
            last_error: None,
            cost_usd: 0.0,
            unpriced: false,
            cuts: 0,
            reasoning_cuts: 0,
            stages: BTreeMap::new(),
            same_lane_retry_used: false,
            not_before: None,
            requeued_at: None,
        }
    }

    pub fn record_try(&mut self, lane: usize, provider: usize) {
        self.attempts += 1;
        if !self.lanes_tried.contains(&lane) {
            self.lanes_tried.push(lane);
        }
        if !self.providers_tried.contains(&provider) {
            self.providers_tried.push(provider);
        }
    }

    /// A retried row goes to a provider it has not seen yet when the pool has one, else to a lane
    /// it has not used, so a provider's bad answer is not simply asked for again.
    fn prefers(&self, lane: usize, provider: usize, pool: PoolSize) -> bool {
        let lane_is_new = !self.lanes_tried.contains(&lane) || self.lanes_tried.len() >= pool.lanes;
        let provider_is_new = !self.providers_tried.contains(&provider)
            || self.providers_tried.len() >= pool.providers;
        lane_is_new && provider_is_new
    }

    fn is_ready(&self, now: Instant) -> bool {
        self.not_before.is_none_or(|t| t <= now)
    }

    /// When a lane the job does not prefer may take it.
    fn open_to_any_lane_at(&self) -> Instant {
        let requeued = self
            .requeued_at
            .map_or_else(Instant::now, |t| t + PREFERENCE_GRACE);
        self.not_before.map_or(requeued, |t| t.max(requeued))
    }
}

/// How many lanes and providers the pool has, to know when a row has tried them all.
#[derive(Debug, Clone, Copy)]
pub struct PoolSize {
    pub lanes: usize,
    pub providers: usize,
}

pub struct Dispatcher {
    fresh: async_channel::Receiver<Row>,
    retry: Mutex<VecDeque<Job>>,
    /// Rows taken from `fresh` and not yet finished: in a lane or waiting in `retry`.
    outstanding: AtomicUsize,
    changed: Notify,
    cancelled: AtomicBool,
    pool: PoolSize,
}

impl Dispatcher {
    pub fn new(fresh: async_channel::Receiver<Row>, pool: PoolSize) -> Self {
        Dispatcher {
            fresh,
            retry: Mutex::new(VecDeque::new()),
            outstanding: AtomicUsize::new(0),
            changed: Notify::new(),
            cancelled: AtomicBool::new(false),
            pool: PoolSize {
                lanes: pool.lanes.max(1),
                providers: pool.providers.max(1),
            },
        }
    }

    /// The next job for a lane, or `None` when the run is over for it: the input is exhausted and
    /// no row is left in flight anywhere (an in-flight row may still come back), or the run was
    /// cancelled.
    pub async fn next(&self, lane: usize, provider: usize) -> Option<Job> {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled() {
                return None;
            }
            // Read before `try_recv`: if the reader closes the channel after this, `recv` below
            // sees it; reading it later could skip `recv` and wait for a wakeup that never comes.
            let fresh_open = !self.fresh.is_closed();
            let now = Instant::now();
            if let Some(job) = self.take_retry(now, |job| job.prefers(lane, provider, self.pool)) {
                return Some(job);
            }
            match self.fresh.try_recv() {
                Ok(row) => {
                    self.outstanding.fetch_add(1, Ordering::AcqRel);
                    return Some(Job::new(row));
                }
                Err(async_channel::TryRecvError::Empty) => {}
                Err(async_channel::TryRecvError::Closed) => {
                    if self.outstanding.load(Ordering::Acquire) == 0 {
                        return None;
                    }
                }
            }
            // Nothing fresh right now: a retry that waited its grace is better than idling.
            if let Some(job) = self.take_retry(now, |job| job.open_to_any_lane_at() <= now) {
                return Some(job);
            }
            let wake_at = self.earliest_retry(lane, provider);
            tokio::select! {
                _ = &mut notified => {}
                row = self.fresh.recv(), if fresh_open => {
                    if let Ok(row) = row {
                        self.outstanding.fetch_add(1, Ordering::AcqRel);
                        return Some(Job::new(row));
                    }
                }
                _ = sleep_until(wake_at), if wake_at.is_some() => {}
            }
        }
    }

    fn take_retry(&self, now: Instant, wanted: impl Fn(&Job) -> bool) -> Option<Job> {
        let mut retry = self.retry.lock().unwrap_or_else(|e| e.into_inner());
        let position = retry
            .iter()
            .position(|job| job.is_ready(now) && wanted(job))?;
        retry.remove(position)
    }

    /// When this lane should look again: the first moment a queued retry becomes takeable by it.
    fn earliest_retry(&self, lane: usize, provider: usize) -> Option<Instant> {
        let retry = self.retry.lock().unwrap_or_else(|e| e.into_inner());
        retry
            .iter()
            .map(|job| match job.prefers(lane, provider, self.pool) {
                true => job.not_before.unwrap_or_else(Instant::now),
                false => job.open_to_any_lane_at(),
            })
            .min()
    }

    /// Puts a job back for another lane. After cancellation the row is left for `--resume`.
    pub fn requeue(&self, mut job: Job) {
        if self.is_cancelled() {
            self.finish();
            return;
        }
        job.requeued_at = Some(Instant::now());
        self.retry
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(job);
        self.changed.notify_waiters();
    }

    /// A job reached its outcome (result or manifest).
    pub fn finish(&self) {
        self.outstanding.fetch_sub(1, Ordering::AcqRel);
        // Idle lanes only need this once the input is exhausted (to see that nothing is left);
        // before that, new rows wake them. Skipping it keeps 64 lanes from waking on every row.
        if self.fresh.is_closed() {
            self.changed.notify_waiters();
        }
    }

    /// Stops dispatching: idle lanes return, and the reader's next send fails so it stops too.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        self.fresh.close();
        self.changed.notify_waiters();
    }

    /// Resolves once no lane will get another job: the run was cancelled, or the input is
    /// exhausted with nothing in flight. Lanes waiting on a limiter or a park race this so they
    /// do not outlive the work.
    pub async fn finished(&self) {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled() || self.is_exhausted() {
                return;
            }
            // The reader calls `input_finished` after closing the channel, and finishing jobs
            // notify once it is closed, so every change that can make this true wakes us.
            notified.await;
        }
    }

    /// The reader dropped its sender: wakes lanes waiting in [`Dispatcher::finished`].
    pub fn input_finished(&self) {
        self.changed.notify_waiters();
    }

    fn is_exhausted(&self) -> bool {
        self.fresh.is_closed()
            && self.fresh.is_empty()
            && self.outstanding.load(Ordering::Acquire) == 0
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// Everything still queued, once no lane is left to serve it.
    pub fn drain_retries(&self) -> Vec<Job> {
        self.retry
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect()
    }

    /// The reader's remaining rows, once no lane is left to serve them (blocks until the reader
    /// finishes, so every row is accounted for).
    pub async fn next_unserved(&self) -> Option<Row> {
        self.fresh.recv().await.ok()
    }
}

async fn sleep_until(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at.into()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;
    use std::sync::Arc;

    fn row(seq: u64) -> Row {
        Row {
            seq,
            line: seq + 2,
            id: (seq + 1).to_string(),
            fields: Map::new(),
        }
    }

    #[tokio::test]
    async fn lanes_end_only_when_input_is_exhausted_and_nothing_is_in_flight() {
        let (tx, rx) = async_channel::bounded(4);
        let dispatcher = Arc::new(Dispatcher::new(
            rx,
            PoolSize {
                lanes: 2,
                providers: 1,
            },
        ));
        tx.send(row(0)).await.unwrap();
        drop(tx);
        let job = dispatcher.next(0, 0).await.unwrap();
        // The row is in flight: a second lane must wait, not end, since the row may come back.
        let waiter = {
            let dispatcher = dispatcher.clone();
            tokio::spawn(async move { dispatcher.next(1, 0).await.map(|j| j.row.seq) })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        dispatcher.requeue(job);
        assert_eq!(
            waiter.await.unwrap(),
            Some(0),
            "the retried row goes to the waiting lane"
        );
        dispatcher.finish();
        assert!(dispatcher.next(0, 0).await.is_none());
    }

    #[tokio::test]
    async fn a_retry_prefers_a_provider_it_has_not_tried() {
        let (tx, rx) = async_channel::bounded(4);
        let dispatcher = Dispatcher::new(
            rx,
            PoolSize {
                lanes: 3,
                providers: 2,
            },
        );
        tx.send(row(0)).await.unwrap();
        tx.send(row(1)).await.unwrap();
        let mut job = dispatcher.next(0, 0).await.unwrap();
        job.record_try(0, 0);
        dispatcher.requeue(job);
        // Lane 1 is provider 0 too: it takes the fresh row and leaves the retry for provider 1.
        assert_eq!(dispatcher.next(1, 0).await.unwrap().row.seq, 1);
        assert_eq!(dispatcher.next(2, 1).await.unwrap().row.seq, 0);
    }

    #[tokio::test]
    async fn a_lane_takes_a_retry_it_does_not_prefer_only_after_the_grace() {
        let (tx, rx) = async_channel::bounded(4);
        let dispatcher = Dispatcher::new(
            rx,
            PoolSize {
                lanes: 2,
                providers: 2,
            },
        );
        tx.send(row(0)).await.unwrap();
        drop(tx);
        let mut job = dispatcher.next(0, 0).await.unwrap();
        job.record_try(0, 0);
        let requeued = Instant::now();
        dispatcher.requeue(job);
        // Lane 1 is provider 0 again and the pool has an untried provider: it waits the grace
        // out, then takes the row rather than leave it stranded.
        let job = dispatcher.next(1, 0).await.unwrap();
        assert!(requeued.elapsed() >= PREFERENCE_GRACE);
        assert_eq!(job.row.seq, 0);
    }

    #[tokio::test]
    async fn a_retry_waits_for_its_backoff() {
        let (tx, rx) = async_channel::bounded(4);
        let dispatcher = Dispatcher::new(
            rx,
            PoolSize {
                lanes: 2,
                providers: 1,
            },
        );
        tx.send(row(0)).await.unwrap();
        drop(tx);
        let mut job = dispatcher.next(0, 0).await.unwrap();
        let backoff = Duration::from_millis(50);
        job.not_before = Some(Instant::now() + backoff);
        let started = Instant::now();
        dispatcher.requeue(job);
        dispatcher.next(1, 0).await.unwrap();
        assert!(started.elapsed() >= backoff);
    }

    /// The input closing at any moment relative to a lane's `next` must end the lane, never
    /// leave it waiting for a wakeup (a race once seen as a hung run under load).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn closing_the_input_at_any_moment_never_strands_a_lane() {
        for _ in 0..3000 {
            let (tx, rx) = async_channel::bounded::<Row>(1);
            let dispatcher = Arc::new(Dispatcher::new(
                rx,
                PoolSize {
                    lanes: 1,
                    providers: 1,
                },
            ));
            let closer = {
                let dispatcher = dispatcher.clone();
                std::thread::spawn(move || {
                    drop(tx);
                    dispatcher.input_finished();
                })
            };
            let lane = tokio::time::timeout(Duration::from_secs(5), dispatcher.next(0, 0));
            let finished = tokio::time::timeout(Duration::from_secs(5), dispatcher.finished());
            let (next, finished) = tokio::join!(lane, finished);
            assert!(matches!(next, Ok(None)), "a lane was stranded");
            assert!(finished.is_ok(), "finished() was stranded");
            closer.join().unwrap();
        }
    }

    #[tokio::test]
    async fn cancel_releases_waiting_lanes_and_stops_the_reader() {
        let (tx, rx) = async_channel::bounded(1);
        let dispatcher = Arc::new(Dispatcher::new(
            rx,
            PoolSize {
                lanes: 2,
                providers: 1,
            },
        ));
        let waiter = {
            let dispatcher = dispatcher.clone();
            tokio::spawn(async move { dispatcher.next(0, 0).await.is_none() })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        dispatcher.cancel();
        assert!(waiter.await.unwrap());
        assert!(tx.send(row(0)).await.is_err());
    }
}
