//! The closed set of reasons a row can fail, with the names the manifest and the summary use.

use std::fmt;

/// Why a row (or one attempt at it) failed. The snake_case name is the manifest's `error_kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FailureKind {
    /// The record could not be read (wrong field count, invalid UTF-8, not a JSON object).
    BadInput,
    /// The row's id repeats an earlier row's.
    DuplicateId,
    /// The prompt template could not be rendered for this row (a missing value).
    Template,
    RateLimited,
    Overloaded,
    Server,
    Timeout,
    Connection,
    /// No connection can pass as the network is set up: the server's certificate is not trusted,
    /// or the proxy wants credentials, refuses the tunnel, or is of a kind gen cannot speak to.
    NetworkSetup,
    Malformed,
    Empty,
    ContentBlocked,
    Truncated,
    /// Cut at the output cap after the model's hidden reasoning used up most of it.
    ReasoningExhausted,
    Auth,
    Quota,
    ModelNotFound,
    BadRequest,
    /// The answer arrived but failed the task's validation (e.g. seo title over 60 chars).
    InvalidOutput,
    /// Every lane left the pool (auth, quota) before the row could be served.
    NoLanes,
    /// A batch job ended (24 h or 48 h) before answering the row.
    BatchExpired,
    /// A batch job was cancelled before answering the row.
    BatchCancelled,
}

impl FailureKind {
    pub const ALL: [FailureKind; 22] = [
        FailureKind::BadInput,
        FailureKind::DuplicateId,
        FailureKind::Template,
        FailureKind::RateLimited,
        FailureKind::Overloaded,
        FailureKind::Server,
        FailureKind::Timeout,
        FailureKind::Connection,
        FailureKind::NetworkSetup,
        FailureKind::Malformed,
        FailureKind::Empty,
        FailureKind::ContentBlocked,
        FailureKind::Truncated,
        FailureKind::ReasoningExhausted,
        FailureKind::Auth,
        FailureKind::Quota,
        FailureKind::ModelNotFound,
        FailureKind::BadRequest,
        FailureKind::InvalidOutput,
        FailureKind::NoLanes,
        FailureKind::BatchExpired,
        FailureKind::BatchCancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::BadInput => "bad_input",
            FailureKind::DuplicateId => "duplicate_id",
            FailureKind::Template => "template",
            FailureKind::RateLimited => "rate_limited",
            FailureKind::Overloaded => "overloaded",
            FailureKind::Server => "server",
            FailureKind::Timeout => "timeout",
            FailureKind::Connection => "connection",
            FailureKind::NetworkSetup => "network_setup",
            FailureKind::Malformed => "malformed",
            FailureKind::Empty => "empty",
            FailureKind::ContentBlocked => "content_blocked",
            FailureKind::Truncated => "truncated",
            FailureKind::ReasoningExhausted => "reasoning_exhausted",
            FailureKind::Auth => "auth",
            FailureKind::Quota => "quota",
            FailureKind::ModelNotFound => "model_not_found",
            FailureKind::BadRequest => "bad_request",
            FailureKind::InvalidOutput => "invalid_output",
            FailureKind::NoLanes => "no_lanes",
            FailureKind::BatchExpired => "expired",
            FailureKind::BatchCancelled => "cancelled",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A row's final failure, as the manifest records it.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
}
