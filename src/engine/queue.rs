//! The shared queue every lane pulls from: fresh rows streamed from the reader (bounded, so memory
//! stays flat) and rows coming back after a retryable failure (at most one per in-flight row).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::engine::feed::{Feeder, Refill};
use crate::rows::Row;

/// A row on its way through the pool, with what happened to it so far. `S` is what the row's
/// program keeps between its attempts (a draft's finished stages); the queue only carries it.
#[derive(Debug)]
pub struct Job<S> {
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
    /// USD billed for the row so far, over all its attempts.
    pub cost_usd: f64,
    /// An attempt was billed on a model without a price, so `cost_usd` is not the whole cost.
    pub unpriced: bool,
    /// Attempts whose answer was cut at the output cap: each doubles the next attempt's cap.
    pub cuts: u32,
    /// Attempts abandoned at their learnt deadline: each doubles the next one's.
    pub deadline_misses: u32,
    /// Of those, the ones where the model's reasoning used up the cap: from the second on, the
    /// next attempt also reasons one step less.
    pub reasoning_cuts: u32,
    pub state: S,
    pub not_before: Option<Instant>,
    /// When the job last went back to the queue: lanes it does not prefer may take it only after
    /// [`PREFERENCE_GRACE`], which gives a lane it prefers the chance to free up first.
    pub requeued_at: Option<Instant>,
}

/// How long a retried row waits for a lane it prefers (a new provider, a new lane) before any lane
/// may take it.
pub const PREFERENCE_GRACE: Duration = Duration::from_secs(1);

impl<S: Default> Job<S> {
    pub fn new(row: Row) -> Self {
        Job {
            row,
            prompt: None,
            attempts: 0,
            counted_failures: 0,
            lanes_tried: Vec::new(),
            providers_tried: Vec::new(),
            cost_usd: 0.0,
            unpriced: false,
            cuts: 0,
            deadline_misses: 0,
            reasoning_cuts: 0,
            state: S::default(),
            not_before: None,
            requeued_at: None,
        }
    }
}

impl<S> Job<S> {
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

/// `--keep-order`: how many rows past the oldest unwritten one lanes may take. The sink holds
/// finished rows back until the rows before them are written, so this bounds what it holds.
pub const KEEP_ORDER_WINDOW: u64 = 2048;

pub struct Dispatcher<S> {
    fresh: async_channel::Receiver<Row>,
    /// Where the reader sleeps while `fresh` is full.
    refill: Arc<Refill>,
    retry: Mutex<VecDeque<Job<S>>>,
    /// A fresh row taken from the reader but beyond the keep-order window, waiting for it.
    held: Mutex<Option<Row>>,
    /// Rows taken from `fresh` and not yet finished: in a lane, held, or waiting in `retry`.
    outstanding: AtomicUsize,
    changed: Notify,
    cancelled: AtomicBool,
    pool: PoolSize,
    /// With `--keep-order`, the rows lanes may take end below `written + window`.
    window: Option<u64>,
    /// Rows the sink wrote in input order so far (the sequence number of the next one).
    written: AtomicU64,
}

impl<S: Default> Dispatcher<S> {
    pub fn new(fresh: async_channel::Receiver<Row>, pool: PoolSize) -> Self {
        Dispatcher {
            fresh,
            refill: Arc::default(),
            retry: Mutex::new(VecDeque::new()),
            held: Mutex::new(None),
            outstanding: AtomicUsize::new(0),
            changed: Notify::new(),
            cancelled: AtomicBool::new(false),
            pool: PoolSize {
                lanes: pool.lanes.max(1),
                providers: pool.providers.max(1),
            },
            window: None,
            written: AtomicU64::new(0),
        }
    }

    /// The reader's end of the queue: `fresh` must be the sender of the receiver given to
    /// [`Dispatcher::new`].
    pub fn feeder(&self, fresh: async_channel::Sender<Row>) -> Feeder {
        Feeder::new(fresh, self.refill.clone())
    }

    /// Lanes take no row more than `rows` past the oldest one not yet written.
    pub fn with_window(mut self, rows: u64) -> Self {
        self.window = Some(rows.max(1));
        self
    }

    /// The next job for a lane, or `None` when the run is over for it: the input is exhausted and
    /// no row is left in flight anywhere (an in-flight row may still come back), or the run was
    /// cancelled.
    pub async fn next(&self, lane: usize, provider: usize) -> Option<Job<S>> {
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
            let holding = match self.take_fresh() {
                Fresh::Row(row) => return Some(Job::new(row)),
                Fresh::Held => true,
                Fresh::Empty => false,
                Fresh::Closed => {
                    if self.outstanding.load(Ordering::Acquire) == 0 {
                        return None;
                    }
                    false
                }
            };
            // Nothing fresh right now: a retry that waited its grace is better than idling.
            if let Some(job) = self.take_retry(now, |job| job.open_to_any_lane_at() <= now) {
                return Some(job);
            }
            let wake_at = self.earliest_retry(lane, provider);
            tokio::select! {
                _ = &mut notified => {}
                row = self.fresh.recv(), if fresh_open && !holding => {
                    if let Ok(row) = row {
                        self.outstanding.fetch_add(1, Ordering::AcqRel);
                        self.refill.taken(&self.fresh);
                        match self.admit(row) {
                            Some(row) => return Some(Job::new(row)),
                            None => continue,
                        }
                    }
                }
                _ = sleep_until(wake_at), if wake_at.is_some() => {}
            }
        }
    }
}

/// What the reader's side of the queue has for a lane.
enum Fresh {
    Row(Row),
    /// A row waits for the keep-order window to move.
    Held,
    Empty,
    Closed,
}

impl<S> Dispatcher<S> {
    fn take_fresh(&self) -> Fresh {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(row) = held.take() {
            if self.in_window(&row) {
                return Fresh::Row(row);
            }
            *held = Some(row);
            return Fresh::Held;
        }
        match self.fresh.try_recv() {
            Ok(row) => {
                self.outstanding.fetch_add(1, Ordering::AcqRel);
                self.refill.taken(&self.fresh);
                if self.in_window(&row) {
                    Fresh::Row(row)
                } else {
                    *held = Some(row);
                    Fresh::Held
                }
            }
            Err(async_channel::TryRecvError::Empty) => Fresh::Empty,
            Err(async_channel::TryRecvError::Closed) => Fresh::Closed,
        }
    }

    /// A row just received, unless it lies beyond the keep-order window (then it is held).
    fn admit(&self, row: Row) -> Option<Row> {
        if self.in_window(&row) {
            return Some(row);
        }
        *self.held.lock().unwrap_or_else(|e| e.into_inner()) = Some(row);
        None
    }

    fn in_window(&self, row: &Row) -> bool {
        self.window
            .is_none_or(|window| row.seq < self.written.load(Ordering::Acquire) + window)
    }

    /// The sink wrote every row below `next_seq` in input order: the window moves on.
    pub fn written_up_to(&self, next_seq: u64) {
        self.written.fetch_max(next_seq, Ordering::AcqRel);
        // Only a held row waits on the window; waking every lane on every row would cost 64
        // wakeups per row for nothing.
        if self
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
        {
            self.changed.notify_waiters();
        }
    }

    fn take_retry(&self, now: Instant, wanted: impl Fn(&Job<S>) -> bool) -> Option<Job<S>> {
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
    pub fn requeue(&self, mut job: Job<S>) {
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
        self.refill.wake_reader();
        if let Some(_row) = self.held.lock().unwrap_or_else(|e| e.into_inner()).take() {
            // Never dispatched: left for --resume like the reader's other rows.
            self.outstanding.fetch_sub(1, Ordering::AcqRel);
        }
        self.changed.notify_waiters();
    }

    /// Resolves once the run is cancelled (Ctrl-C, `--max-cost`, a write error): every wait of a
    /// lane that holds a row races this, so the row is let go at once.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
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
    pub fn drain_retries(&self) -> Vec<Job<S>> {
        self.retry
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect()
    }

    /// The reader's remaining rows, once no lane is left to serve them (blocks until the reader
    /// finishes, so every row is accounted for).
    pub async fn next_unserved(&self) -> Option<Row> {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner()).take();
        if held.is_some() {
            self.outstanding.fetch_sub(1, Ordering::AcqRel);
            return held;
        }
        let row = self.fresh.recv().await.ok();
        self.refill.taken(&self.fresh);
        row
    }
}

async fn sleep_until(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::row;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn lanes_end_only_when_input_is_exhausted_and_nothing_is_in_flight() {
        let (tx, rx) = async_channel::bounded(4);
        let dispatcher = Arc::new(Dispatcher::<()>::new(
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

    #[tokio::test(start_paused = true)]
    async fn a_retry_prefers_a_provider_it_has_not_tried() {
        let (tx, rx) = async_channel::bounded(4);
        let dispatcher = Dispatcher::<()>::new(
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

    #[tokio::test(start_paused = true)]
    async fn a_lane_takes_a_retry_it_does_not_prefer_only_after_the_grace() {
        let (tx, rx) = async_channel::bounded(4);
        let dispatcher = Dispatcher::<()>::new(
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

    #[tokio::test(start_paused = true)]
    async fn a_retry_waits_for_its_backoff() {
        let (tx, rx) = async_channel::bounded(4);
        let dispatcher = Dispatcher::<()>::new(
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
            let dispatcher = Arc::new(Dispatcher::<()>::new(
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

    #[tokio::test(start_paused = true)]
    async fn cancel_releases_waiting_lanes_and_stops_the_reader() {
        let (tx, rx) = async_channel::bounded(1);
        let dispatcher = Arc::new(Dispatcher::<()>::new(
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

    #[tokio::test(start_paused = true)]
    async fn keep_order_lanes_wait_at_the_window_until_the_oldest_row_is_written() {
        let (tx, rx) = async_channel::bounded(8);
        let dispatcher = Arc::new(
            Dispatcher::<()>::new(
                rx,
                PoolSize {
                    lanes: 2,
                    providers: 1,
                },
            )
            .with_window(3),
        );
        for seq in 0..5 {
            tx.send(row(seq)).await.unwrap();
        }
        drop(tx);
        let oldest = dispatcher.next(0, 0).await.unwrap();
        assert_eq!(oldest.row.seq, 0);
        for seq in 1..3 {
            assert_eq!(dispatcher.next(1, 0).await.unwrap().row.seq, seq);
            dispatcher.finish();
        }
        // Rows 1 and 2 are done but held behind row 0: row 3 lies beyond the window.
        let waiter = {
            let dispatcher = dispatcher.clone();
            tokio::spawn(async move { dispatcher.next(1, 0).await.map(|j| j.row.seq) })
        };
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert!(!waiter.is_finished(), "a lane took a row past the window");
        dispatcher.finish();
        dispatcher.written_up_to(3);
        assert_eq!(waiter.await.unwrap(), Some(3));
        drop(oldest);
        let fourth = dispatcher.next(1, 0).await;
        assert_eq!(fourth.map(|j| j.row.seq), Some(4));
    }

    #[tokio::test(start_paused = true)]
    async fn cancelled_resolves_only_on_cancel() {
        let (_tx, rx) = async_channel::bounded::<Row>(1);
        let dispatcher = Arc::new(Dispatcher::<()>::new(
            rx,
            PoolSize {
                lanes: 1,
                providers: 1,
            },
        ));
        let waiter = {
            let dispatcher = dispatcher.clone();
            tokio::spawn(async move { dispatcher.cancelled().await })
        };
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(!waiter.is_finished());
        dispatcher.cancel();
        waiter.await.unwrap();
    }
}
