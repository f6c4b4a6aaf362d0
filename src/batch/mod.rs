//! Provider Batch APIs (issue 6): the cheap, slow path for the same tasks. [`wire`] holds the
//! shared job and result types and the job splitter; each provider module holds its pure request
//! builders and response parsers. [`mock`] is the offline mock's Batch API, for
//! demos and tests without a key or a network.

pub mod anthropic;
pub mod command;
mod context;
mod fetch;
pub mod gemini;
pub mod job;
pub mod mock;
pub mod openai;
pub mod remote;
pub mod split;
mod submit;
pub mod wire;

pub use wire::{BatchError, BatchItem, ItemResult, JobState, JobStatus, Limits, Results};
