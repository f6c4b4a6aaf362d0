//! The live run: a shared queue, lanes pulling from it under per-key limiters, and one sink.

pub mod budget;
pub mod gate;
pub mod lane;
pub mod limiter;
pub mod pipeline;
pub mod queue;
pub mod retry;
pub mod run;
pub mod sink;
pub mod stats;
