//! The live run: a shared queue, lanes pulling from it under per-key limiters, and one sink.
//! ARCHITECTURE.md follows one row through these modules.

pub mod attempt;
pub mod budget;
pub mod deadline;
pub mod draft;
pub mod feed;
pub mod gate;
pub mod lane;
pub mod limiter;
pub mod queue;
pub mod request_log;
pub mod retry;
pub mod run;
pub mod shared;
pub mod sink;
pub mod stats;
pub mod target;
pub mod task;

#[cfg(test)]
mod tests;
