//! A lane: one task bound to a target (provider, model, key) that loops: wait until its key may
//! send, take the next row, and run the row's program on it. What a row's program does (one call,
//! or a draft's stages) is the program's; the lane knows only when it may take a row.

use std::future::Future;
use std::sync::Arc;

use crate::engine::attempt::Admission;
use crate::engine::queue::Job;
use crate::engine::shared::Shared;
use crate::engine::target::Target;

/// What a run does with each row, from the lane that took it to the row's end: a result, a
/// failure, or back to the queue. Every request it sends goes through
/// [`crate::engine::attempt::attempt`].
pub trait Program: Send + Sync + 'static {
    /// What a row keeps between attempts, when it goes back to the queue.
    type State: Default + Send + 'static;

    /// Runs `job`'s row on `lane`; `admission` is the request the lane's key already let through.
    fn run(
        &self,
        shared: &Shared<Self::State>,
        lane: &Lane,
        job: Job<Self::State>,
        admission: Admission,
    ) -> impl Future<Output = ()> + Send;
}

/// One lane's fixed binding.
pub struct Lane {
    pub index: usize,
    pub target: Target,
}

impl Lane {
    pub async fn run<P: Program>(self, shared: Arc<Shared<P::State>>, program: Arc<P>) {
        let target = &self.target;
        let dispatcher = &shared.dispatcher;
        loop {
            if dispatcher.is_cancelled() || !target.key.serves(&target.model) {
                break;
            }
            if let Some(until) = target.key.parked_until() {
                shared.stats.mark_parked(target.provider, until);
                tokio::select! {
                    _ = tokio::time::sleep_until(until) => {}
                    _ = dispatcher.finished() => break,
                }
                // Every lane of the key wakes at once; the first to say so is enough.
                if target.key.back_from_park() {
                    crate::verbose::say(1, || {
                        format!("{} is back from its park", target.key.label)
                    });
                }
                continue;
            }
            // An automatic lane works only while its key's gate lets it, for the whole row.
            let _working = match &target.gate {
                Some(gate) => tokio::select! {
                    permit = gate.acquire() => Some(permit),
                    _ = dispatcher.finished() => break,
                },
                None => None,
            };
            tokio::select! {
                _ = target.key.until_ready(0) => {}
                _ = dispatcher.finished() => break,
            }
            let Some(job) = dispatcher.next(self.index, target.provider).await else {
                break;
            };
            let admission = Admission::of(&target.key);
            program.run(&shared, &self, job, admission).await;
        }
    }
}
