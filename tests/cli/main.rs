//! One integration-test binary: runs the real `gen` as a user would, in a temp dir, and reads back
//! the files it wrote.

mod fake;
mod support;

mod bad_input;
mod batch;
mod batch_mock;
mod completions;
mod deadlines;
mod draft;
mod live_run;
mod models;
mod outputs;
mod providers;
mod reasoning;
mod request_log;
mod resume_by_content;
mod spreadsheets;
mod tasks;
mod transport;
