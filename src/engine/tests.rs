//! The engine's scheduling on tokio's paused clock: scripted providers, real lanes, queue and
//! attempt path, and virtual time, so a 60-second park costs no real second and every wait can be
//! measured exactly.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Map;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::engine::attempt::{Admission, Call, OnParked, Sent, Unsent, attempt};
use crate::engine::budget::Budget;
use crate::engine::lane::{Lane, Program};
use crate::engine::limiter::KeyState;
use crate::engine::queue::{Dispatcher, Job, PoolSize};
use crate::engine::run::run_lanes;
use crate::engine::shared::{ProviderSlot, Shared};
use crate::engine::sink::Outcome;
use crate::engine::stats::RunStats;
use crate::engine::target::Target;
use crate::failure::{Failure, FailureKind};
use crate::providers::reasoning::Thinking;
use crate::providers::{BoxFuture, Completion, Provider, ProviderError, Request};
use crate::rows::Row;
use crate::tasks::reasoning::{ReasoningPolicy, Step};

/// A provider whose answers a test writes: `answer(n)` for its n-th request (0-based), after
/// `latency`, unless `hangs(n)`: then no answer comes. Like the real adapters it gives up at the
/// request's timeout. It records when each request arrived.
struct Scripted {
    latency: Duration,
    answer: Box<dyn Fn(usize) -> Result<Completion, ProviderError> + Send + Sync>,
    hangs: Box<dyn Fn(usize) -> bool + Send + Sync>,
    sent_at: Mutex<Vec<Instant>>,
}

impl Scripted {
    fn new(
        latency: Duration,
        answer: impl Fn(usize) -> Result<Completion, ProviderError> + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Scripted {
            latency,
            answer: Box::new(answer),
            hangs: Box::new(|_| false),
            sent_at: Mutex::new(Vec::new()),
        })
    }

    /// Good answers after `latency`, but the requests `hangs` names never answer.
    fn hanging(
        latency: Duration,
        hangs: impl Fn(usize) -> bool + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Scripted {
            latency,
            answer: Box::new(|_| Ok(completion())),
            hangs: Box::new(hangs),
            sent_at: Mutex::new(Vec::new()),
        })
    }

    fn ok(latency: Duration) -> Arc<Self> {
        Scripted::new(latency, |_| Ok(completion()))
    }

    fn requests(&self) -> usize {
        self.sent_at.lock().unwrap().len()
    }

    fn sent_at(&self) -> Vec<Instant> {
        self.sent_at.lock().unwrap().clone()
    }
}

impl Provider for Scripted {
    fn complete<'a>(
        &'a self,
        request: &'a Request,
    ) -> BoxFuture<'a, Result<Completion, ProviderError>> {
        Box::pin(async move {
            let n = {
                let mut sent = self.sent_at.lock().unwrap();
                sent.push(Instant::now());
                sent.len() - 1
            };
            let wait = if (self.hangs)(n) {
                Duration::MAX
            } else {
                self.latency
            };
            match tokio::time::timeout(request.timeout, tokio::time::sleep(wait)).await {
                Ok(()) => (self.answer)(n),
                Err(_) => Err(ProviderError::new(FailureKind::Timeout, "no answer")),
            }
        })
    }
}

fn completion() -> Completion {
    Completion {
        text: "ok".into(),
        input_tokens: 100,
        output_tokens: 100,
        reasoning_tokens: 0,
        exhausted_for: None,
        limit_rpm: None,
        citations: Vec::new(),
        images: Vec::new(),
    }
}

fn rate_limited(retry_after: Duration) -> ProviderError {
    ProviderError::new(FailureKind::RateLimited, "slow down").with_retry_after(retry_after)
}

/// One request per row to the lane's own target; with `research`, a first request to that
/// target (which waits out its parks, as a draft's research stage does).
struct OneCall {
    research: Option<Target>,
}

#[derive(Default)]
struct Progress {
    researched: bool,
}

impl Program for OneCall {
    type State = Progress;

    async fn run(
        &self,
        shared: &Shared<Progress>,
        lane: &Lane,
        mut job: Job<Progress>,
        mut admission: Admission,
    ) {
        if let (Some(research), false) = (&self.research, job.state.researched) {
            let call = Call {
                target: research,
                step: Step::Task(crate::tasks::Task::seo()),
                request: Request::sample("research-1", 100),
                output_estimate: 100,
                on_parked: OnParked::Wait,
            };
            match attempt(shared, lane.index, &mut job, call, &mut admission, |_| {
                Ok(())
            })
            .await
            {
                Sent::Answered(_) => job.state.researched = true,
                Sent::Failed(error) => return shared.retry_or_fail(job, error).await,
                Sent::NotSent(_) => return shared.dispatcher.requeue(job),
            }
        }
        let call = Call {
            target: &lane.target,
            step: Step::Task(crate::tasks::Task::seo()),
            request: Request::sample("model-1", 100),
            output_estimate: 100,
            on_parked: OnParked::HandBack,
        };
        match attempt(shared, lane.index, &mut job, call, &mut admission, |_| {
            Ok(())
        })
        .await
        {
            Sent::Answered(_) => {
                let provider = lane.target.provider;
                shared.done(job, provider, Default::default(), None).await;
            }
            Sent::Failed(error) => shared.retry_or_fail(job, error).await,
            Sent::NotSent(Unsent::Gone) => {
                let failure = Failure {
                    kind: FailureKind::NoLanes,
                    message: "gone".into(),
                };
                shared.fail(job, failure).await;
            }
            Sent::NotSent(_) => shared.dispatcher.requeue(job),
        }
    }
}

/// A provider of the test pool: its client, key limits, lane count and price.
struct Pool {
    client: Arc<Scripted>,
    rpm: Option<u32>,
    tpm: Option<u64>,
    lanes: usize,
    price: Option<(f64, f64)>,
}

impl Pool {
    fn of(client: Arc<Scripted>, lanes: usize) -> Self {
        Pool {
            client,
            rpm: None,
            tpm: None,
            lanes,
            price: None,
        }
    }
}

/// A run over `rows` rows: the shared state, the lanes, the keys (one per provider), and the
/// outcomes' receiver. Providers past `laned` get no lanes (research targets).
struct Harness {
    shared: Arc<Shared<Progress>>,
    lanes: Vec<Lane>,
    keys: Vec<Arc<KeyState>>,
    outcomes: mpsc::Receiver<Outcome>,
    clients: Vec<Arc<Scripted>>,
    prices: Vec<Option<(f64, f64)>>,
}

struct Settings {
    rows: u64,
    max_inflight: Option<usize>,
    max_cost: Option<f64>,
    max_attempts: u32,
    window: Option<u64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rows: 1,
            max_inflight: None,
            max_cost: None,
            max_attempts: 3,
            window: None,
        }
    }
}

/// The row at `seq` of an input without an id column (ids count from 1, lines from 2).
pub(super) fn row(seq: u64) -> Row {
    Row {
        seq,
        line: seq + 2,
        id: (seq + 1).to_string(),
        fields: Map::new(),
    }
}

fn harness(pools: Vec<Pool>, settings: Settings) -> Harness {
    let (tx, rx) = async_channel::bounded(settings.rows.max(1) as usize);
    for seq in 0..settings.rows {
        tx.try_send(row(seq)).unwrap();
    }
    drop(tx);
    let laned = pools.iter().filter(|p| p.lanes > 0).count();
    let lane_count = pools.iter().map(|p| p.lanes).sum();
    let mut dispatcher = Dispatcher::new(
        rx,
        PoolSize {
            lanes: lane_count,
            providers: laned,
        },
    );
    if let Some(window) = settings.window {
        dispatcher = dispatcher.with_window(window);
    }
    let dispatcher = Arc::new(dispatcher);
    dispatcher.input_finished();
    let stats = Arc::new(RunStats::new(
        pools
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("p{i}"), p.lanes))
            .collect(),
    ));
    let (outcome_tx, outcomes) = mpsc::channel(settings.rows.max(1) as usize * 8);
    let keys: Vec<Arc<KeyState>> = pools
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Arc::new(KeyState::new(
                format!("p{i}"),
                p.rpm,
                p.tpm,
                p.lanes.max(1) as u32,
            ))
        })
        .collect();
    let mut lanes = Vec::new();
    for (provider, pool) in pools.iter().enumerate() {
        for _ in 0..pool.lanes {
            lanes.push(Lane {
                index: lanes.len(),
                target: Target {
                    provider,
                    model: "model-1".into(),
                    price: pool.price,
                    key: keys[provider].clone(),
                    client: pool.client.clone(),
                    gate: None,
                    thinking: Thinking::NEVER,
                },
            });
        }
    }
    let shared = Arc::new(Shared {
        max_attempts: settings.max_attempts,
        providers: (0..pools.len())
            .map(|i| ProviderSlot {
                name: format!("p{i}"),
                timeout: Duration::from_secs(60),
            })
            .collect(),
        dispatcher,
        stats,
        outcomes: outcome_tx,
        removals: Mutex::new(Vec::new()),
        budget: settings.max_cost.map(Budget::new),
        inflight: settings.max_inflight.map(tokio::sync::Semaphore::new),
        budget_reached: AtomicBool::new(false),
        reasoning: ReasoningPolicy::default(),
        deadlines: Default::default(),
        log: None,
    });
    Harness {
        shared,
        lanes,
        keys,
        outcomes,
        clients: pools.iter().map(|p| p.client.clone()).collect(),
        prices: pools.iter().map(|p| p.price).collect(),
    }
}

impl Harness {
    /// A target on provider `index` (for a research stage).
    fn target(&self, index: usize) -> Target {
        Target {
            provider: index,
            model: "research-1".into(),
            price: self.prices[index],
            key: self.keys[index].clone(),
            client: self.clients[index].clone(),
            gate: None,
            thinking: Thinking::NEVER,
        }
    }

    /// Runs the lanes to the end; returns (done, failed) by row id.
    async fn run(self, program: OneCall) -> (Vec<String>, Vec<(String, FailureKind)>) {
        let Harness {
            shared,
            lanes,
            mut outcomes,
            ..
        } = self;
        run_lanes(shared, Arc::new(program), lanes).await;
        collect(&mut outcomes)
    }
}

fn collect(outcomes: &mut mpsc::Receiver<Outcome>) -> (Vec<String>, Vec<(String, FailureKind)>) {
    let (mut done, mut failed) = (Vec::new(), Vec::new());
    while let Ok(outcome) = outcomes.try_recv() {
        match outcome {
            Outcome::Done { seq, .. } => done.push((seq + 1).to_string()),
            Outcome::Failed { seq, failure, .. } => {
                failed.push(((seq + 1).to_string(), failure.kind));
            }
            _ => {}
        }
    }
    done.sort();
    failed.sort();
    (done, failed)
}

const NO_RESEARCH: OneCall = OneCall { research: None };

#[tokio::test(start_paused = true)]
async fn a_rate_limited_key_parks_until_the_reset_then_the_row_is_retried() {
    let provider = Scripted::new(Duration::from_millis(100), |n| match n {
        0 => Err(rate_limited(Duration::from_secs(30))),
        _ => Ok(completion()),
    });
    let h = harness(
        vec![Pool::of(provider.clone(), 1)],
        Settings {
            rows: 1,
            ..Settings::default()
        },
    );
    let (done, failed) = h.run(NO_RESEARCH).await;
    assert_eq!(done, ["1"]);
    assert!(failed.is_empty());
    let sent = provider.sent_at();
    assert_eq!(sent.len(), 2);
    let waited = sent[1] - sent[0];
    assert!(
        waited >= Duration::from_secs(30) && waited < Duration::from_secs(32),
        "the retry came {waited:?} after the 429, not at its 30 s reset"
    );
}

/// A lane whose key's limiter makes it wait must not hold one of `--max-inflight`'s permits
/// meanwhile: the other provider's lanes go on at their own pace.
#[tokio::test(start_paused = true)]
async fn lanes_waiting_on_a_slow_key_hold_no_in_flight_permit() {
    let slow = Scripted::ok(Duration::from_millis(100));
    let fast = Scripted::ok(Duration::from_secs(1));
    let mut slow_pool = Pool::of(slow.clone(), 2);
    // Two requests a minute, and a burst of two: after them, the slow key's lanes wait ~30 s.
    slow_pool.rpm = Some(2);
    let h = harness(
        vec![slow_pool, Pool::of(fast.clone(), 1)],
        Settings {
            rows: 90,
            max_inflight: Some(1),
            ..Settings::default()
        },
    );
    let started = Instant::now();
    let (done, failed) = h.run(NO_RESEARCH).await;
    assert_eq!(done.len(), 90);
    assert!(failed.is_empty());
    let elapsed = started.elapsed();
    // The fast provider takes 1 s a row (about 90 s in all, the slow key adding a few rows);
    // slow lanes holding the only permit through their 30 s waits stretch it to half an hour.
    assert!(
        elapsed < Duration::from_secs(120),
        "the run took {elapsed:?}: the fast provider was starved of permits"
    );
    assert!(fast.requests() >= 80, "fast served {}", fast.requests());
}

/// Ctrl-C (the dispatcher's cancellation) ends every kind of wait at once, and the rows in those
/// waits are left for --resume rather than failed.
#[tokio::test(start_paused = true)]
async fn cancelling_ends_every_wait_at_once() {
    for wait in [
        "parked key",
        "request limiter",
        "token limit",
        "in-flight permit",
        "research park",
    ] {
        let own = Scripted::ok(Duration::from_millis(10));
        let research = Scripted::ok(Duration::from_millis(10));
        let mut own_pool = Pool::of(own.clone(), 1);
        let mut research_pool = Pool::of(research.clone(), 0);
        let mut settings = Settings {
            rows: 3,
            ..Settings::default()
        };
        let mut with_research = false;
        match wait {
            "parked key" => {}
            "request limiter" => own_pool.rpm = Some(1),
            // About 110 tokens charged a request, 200 used: the second request waits ~40 s.
            "token limit" => own_pool.tpm = Some(150),
            "in-flight permit" => settings.max_inflight = Some(1),
            _ => with_research = true,
        }
        if wait == "in-flight permit" {
            own_pool.lanes = 2;
        }
        research_pool.rpm = None;
        let h = harness(vec![own_pool, research_pool], settings);
        match wait {
            "parked key" => {
                h.keys[0].park(Some(Duration::from_secs(3600)));
            }
            "research park" => {
                h.keys[1].park(Some(Duration::from_secs(3600)));
            }
            "in-flight permit" => {
                // Another part of the run holds the only permit for an hour.
                let shared = h.shared.clone();
                tokio::spawn(async move {
                    let _held = shared.inflight.as_ref().unwrap().acquire().await;
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                });
            }
            _ => {}
        }
        let program = OneCall {
            research: with_research.then(|| h.target(1)),
        };
        let dispatcher = h.shared.dispatcher.clone();
        let run = tokio::spawn(h.run(program));
        tokio::time::sleep(Duration::from_secs(5)).await;
        let cancelled_at = Instant::now();
        dispatcher.cancel();
        let (done, failed) = run.await.unwrap();
        let took = cancelled_at.elapsed();
        assert!(
            took < Duration::from_secs(1),
            "{wait}: the run took {took:?} to stop after cancellation"
        );
        assert!(failed.is_empty(), "{wait}: {failed:?}");
        assert!(
            done.len() < 3,
            "{wait}: every row was done, so nothing waited"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_research_key_learns_the_limit_its_provider_reports() {
    let own = Scripted::ok(Duration::from_millis(10));
    let research = Scripted::new(Duration::from_millis(10), |_| {
        Ok(Completion {
            limit_rpm: Some(120),
            ..completion()
        })
    });
    let h = harness(
        vec![Pool::of(own, 1), Pool::of(research, 0)],
        Settings::default(),
    );
    let research_key = h.keys[1].clone();
    let program = OneCall {
        research: Some(h.target(1)),
    };
    let (done, _) = h.run(program).await;
    assert_eq!(done, ["1"]);
    assert_eq!(research_key.rpm(), Some(120));
}

/// `--max-cost`: each request reserves its estimate; the first that does not fit stops
/// dispatching, and nothing is sent past the limit.
#[tokio::test(start_paused = true)]
async fn the_budget_stops_dispatching_before_the_limit_is_passed() {
    let provider = Scripted::ok(Duration::from_millis(100));
    let mut pool = Pool::of(provider.clone(), 2);
    // $1 per million tokens each way: a sample request is estimated at about 110 tokens.
    pool.price = Some((1.0, 1.0));
    let h = harness(
        vec![pool],
        Settings {
            rows: 100,
            max_cost: Some(0.001),
            ..Settings::default()
        },
    );
    let shared = h.shared.clone();
    let (done, failed) = h.run(NO_RESEARCH).await;
    assert!(
        failed.is_empty(),
        "rows past the budget are left for --resume"
    );
    assert!(shared.budget_reached.load(Relaxed));
    let spent = shared.stats.providers[0].cost_usd();
    assert!(spent <= 0.001 + 1e-12, "spent {spent}");
    // 200 billed tokens a row at $1/M: five rows fit in $0.001.
    assert_eq!(done.len(), provider.requests());
    assert!((4..=5).contains(&done.len()), "{} rows done", done.len());
}

/// `--keep-order`: behind a row that takes long, lanes take no more than the window's rows.
#[tokio::test(start_paused = true)]
async fn keep_order_takes_at_most_the_window_past_a_slow_row() {
    // One lane answers after 100 s, the two others at once.
    let provider = Scripted::new(Duration::from_millis(10), |_| Ok(completion()));
    let slow = Arc::new(Scripted {
        latency: Duration::from_secs(100),
        answer: Box::new(|_| Ok(completion())),
        hangs: Box::new(|_| false),
        sent_at: Mutex::new(Vec::new()),
    });
    let h = harness(
        vec![Pool::of(slow.clone(), 1), Pool::of(provider.clone(), 2)],
        Settings {
            rows: 50,
            window: Some(8),
            ..Settings::default()
        },
    );
    let Harness {
        shared,
        lanes,
        mut outcomes,
        ..
    } = h;
    let dispatcher = shared.dispatcher.clone();
    // The sink's part: hold finished rows back until the ones before them are out, and tell
    // the dispatcher how far the written rows reach.
    let sink = tokio::spawn(async move {
        let mut finished: HashMap<u64, Instant> = HashMap::new();
        let mut next = 0;
        let mut most_held = 0;
        while let Some(outcome) = outcomes.recv().await {
            if let Outcome::Done { seq, .. } = outcome {
                finished.insert(seq, Instant::now());
                while finished.remove(&next).is_some() {
                    next += 1;
                }
                dispatcher.written_up_to(next);
                most_held = most_held.max(finished.len());
            }
        }
        (next, most_held)
    });
    run_lanes(shared, Arc::new(NO_RESEARCH), lanes).await;
    let (written, most_held) = sink.await.unwrap();
    assert_eq!(written, 50);
    assert!(
        most_held < 8,
        "{most_held} rows were held back behind the slow one; the window is 8"
    );
    assert!(slow.requests() >= 1);
}

/// `--max-attempts` counts the failures that count (not rate limits), and the message says so
/// with the same number; the requests sent in all are added when they differ.
#[tokio::test(start_paused = true)]
async fn giving_up_names_the_attempts_that_counted() {
    let provider = Scripted::new(Duration::from_millis(10), |n| match n {
        0 | 1 => Err(rate_limited(Duration::from_secs(1))),
        _ => Err(ProviderError::new(FailureKind::Server, "boom")),
    });
    let h = harness(vec![Pool::of(provider.clone(), 1)], Settings::default());
    let Harness {
        shared,
        lanes,
        mut outcomes,
        ..
    } = h;
    run_lanes(shared, Arc::new(NO_RESEARCH), lanes).await;
    let Some(Outcome::Failed {
        failure, attempts, ..
    }) = outcomes.recv().await
    else {
        panic!("the row did not fail");
    };
    assert_eq!(failure.kind, FailureKind::Server);
    assert_eq!(attempts, 5);
    assert!(
        failure
            .message
            .ends_with("boom (gave up after 3 attempts; 5 requests in all)"),
        "{}",
        failure.message
    );
    assert_eq!(provider.requests(), 5);
}

/// A request that hangs holds its lane only until its step's learnt deadline once the step has
/// its answers; before that, until the request's own timeout. Each row is answered once.
#[tokio::test(start_paused = true)]
async fn a_hung_request_is_abandoned_at_the_learnt_deadline_and_its_row_sent_again() {
    use crate::engine::deadline::{FLOOR, MIN_ANSWERS};
    // Request 2 hangs before there is any history; requests 100 and 150 after.
    let provider = Scripted::hanging(Duration::from_millis(100), |n| [2, 100, 150].contains(&n));
    let h = harness(
        vec![Pool::of(provider.clone(), 2)],
        Settings {
            rows: 200,
            ..Settings::default()
        },
    );
    let started = Instant::now();
    let (done, failed) = h.run(NO_RESEARCH).await;
    let elapsed = started.elapsed();
    assert_eq!(done.len(), 200, "every row once");
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(
        provider.requests(),
        203,
        "one more request per hang, none sent twice at once"
    );
    let sent = provider.sent_at();
    // The early hang waits out the request's 60 s timeout: its retry comes after.
    const { assert!(MIN_ANSWERS > 2) };
    assert!(sent[202] - sent[0] >= Duration::from_secs(60));
    // The late ones cost the floor each, not a minute: 200 rows at 100 ms over 2 lanes (10 s),
    // the early hang's minute overlapping the other lane's work.
    assert!(
        elapsed < Duration::from_secs(60) + FLOOR * 2 + Duration::from_secs(5),
        "the run took {elapsed:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn one_lane_loses_only_the_floor_to_a_hang() {
    let provider = Scripted::hanging(Duration::from_millis(100), |n| n == 150);
    let h = harness(
        vec![Pool::of(provider.clone(), 1)],
        Settings {
            rows: 200,
            ..Settings::default()
        },
    );
    let started = Instant::now();
    let (done, _) = h.run(NO_RESEARCH).await;
    assert_eq!(done.len(), 200);
    // One lane: 200 answers of 100 ms, and the hang abandoned at the floor (5 s), not at 60 s.
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(25) && elapsed < Duration::from_secs(30),
        "the run took {elapsed:?}"
    );
}
