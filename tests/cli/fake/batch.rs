//! The three providers' batch APIs: OpenAI files + `/v1/batches`, Anthropic
//! `/v1/messages/batches`, Gemini's resumable Files upload + `:batchGenerateContent` with its
//! long-running Operation and `/download`. Jobs move one state per poll (`GET` of that job), so
//! a test drives them deterministically; finished rows get the same answers the interactive
//! routes give for the same body.
//!
//! The per-job rule, for every provider: creating a job puts it in its first state; each `GET`
//! of the job moves it one state on. Half the rows (rounded up) are answered when the job starts
//! running (OpenAI `in_progress`, Gemini `BATCH_STATE_RUNNING`, Anthropic at creation), the rest
//! when it finishes; a cancel turns the rows not yet answered into cancelled ones, and an
//! expiring job turns them into expired ones.

use std::collections::{HashMap, HashSet};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::clock::rfc3339;
use super::content::fnv;
use super::http::{HttpRequest, HttpResponse};
use super::ledger::{Ledger, Usage};
use super::reply::{self, Reply, anthropic_error, gemini_error, openai_error};
use super::thinking::{Simulation, Spend};
use super::wire::{self, Kind, Route, gemini_value_field};
use super::{Api, Behavior, RecordedRequest, Shared};

/// How a whole job ends when it is not cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ended {
    /// OpenAI `completed`, Anthropic `ended`, Gemini `BATCH_STATE_SUCCEEDED`.
    #[default]
    Completed,
    /// The window ran out while running: OpenAI `expired`, Anthropic `ended` with the unanswered
    /// rows `expired`, Gemini `BATCH_STATE_EXPIRED`.
    Expired,
}

/// Per-API scripting of batch outcomes.
#[derive(Debug, Clone, Copy, Default)]
struct Config {
    errored_every: Option<u32>,
    expired_every: Option<u32>,
    end: Ended,
}

/// Where a job is, in provider-neutral terms; [`Job::state`] spells it per provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Queued,
    Running,
    Finishing,
    Cancelling,
    Failed,
    Completed,
    Expired,
    Cancelled,
}

impl Phase {
    fn terminal(self) -> bool {
        matches!(
            self,
            Phase::Failed | Phase::Completed | Phase::Expired | Phase::Cancelled
        )
    }
}

#[derive(Debug, Clone)]
enum Outcome {
    /// The provider's whole success body (chat.completion, Message, GenerateContentResponse).
    Succeeded(Value),
    /// The HTTP status and the provider's whole error body.
    Errored(u16, Value),
    Expired,
    Cancelled,
}

#[derive(Debug, Clone)]
struct Row {
    /// `custom_id` or Gemini `key`.
    id: String,
    /// The request body (chat body, Messages params, GenerateContentRequest).
    request: Value,
    outcome: Option<Outcome>,
}

#[derive(Debug, Clone)]
struct Job {
    api: Api,
    id: String,
    model: String,
    rows: Vec<Row>,
    phase: Phase,
    created_at: u64,
    /// Unix times of the transitions, by OpenAI's field names (`in_progress_at`…).
    stamps: Vec<(&'static str, u64)>,
    /// OpenAI: the input file; Gemini: the input file name, `None` for inline requests.
    input_file: Option<String>,
    /// OpenAI validation errors, shown when the first poll fails the job.
    invalid: Vec<Value>,
    /// Gemini `displayName`, OpenAI `metadata`.
    label: Value,
    output_file: Option<String>,
    error_file: Option<String>,
    deleted: bool,
}

#[derive(Debug, Clone)]
struct StoredFile {
    api: Api,
    name: String,
    filename: String,
    mime: String,
    bytes: Vec<u8>,
    created_at: u64,
    purpose: &'static str,
}

#[derive(Debug, Clone)]
struct Upload {
    display_name: String,
    declared: Option<usize>,
    mime: String,
    received: Vec<u8>,
}

/// Every batch-side object the fake holds; part of the server's `State`.
#[derive(Default)]
pub struct Batches {
    config: HashMap<Api, Config>,
    jobs: Vec<Job>,
    files: HashMap<String, StoredFile>,
    uploads: HashMap<String, Upload>,
    next: u64,
    /// The reasoning simulation of batch rows (switched with the interactive one).
    pub thinking: Simulation,
    /// What the answered rows cost.
    pub ledger: Ledger,
}

impl Batches {
    fn next_id(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    pub fn set_failures(
        &mut self,
        api: Api,
        errored_every: Option<u32>,
        expired_every: Option<u32>,
    ) {
        assert!(
            errored_every != Some(0) && expired_every != Some(0),
            "every 0th row never applies"
        );
        let config = self.config.entry(api).or_default();
        config.errored_every = errored_every;
        config.expired_every = expired_every;
    }

    pub fn set_end(&mut self, api: Api, end: Ended) {
        self.config.entry(api).or_default().end = end;
    }

    pub fn jobs(&self, api: Api) -> Vec<(String, String)> {
        self.jobs
            .iter()
            .filter(|j| j.api == api && !j.deleted)
            .map(|j| (j.id.clone(), j.state().to_string()))
            .collect()
    }
}

/// One batch operation.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    OpenAiUpload,
    OpenAiFileContent(String),
    OpenAiCreate,
    OpenAiGet(String),
    OpenAiCancel(String),
    OpenAiList,
    AnthropicCreate,
    AnthropicGet(String),
    AnthropicCancel(String),
    AnthropicResults(String),
    AnthropicList,
    GeminiUploadStart,
    GeminiUploadChunk(String),
    GeminiCreate(String),
    GeminiGet(String),
    GeminiCancel(String),
    GeminiDelete(String),
    GeminiList,
    GeminiDownload(String),
}

#[derive(Debug, Clone)]
pub struct BatchRoute {
    api: Api,
    op: Op,
}

/// The batch route a request targets, if any.
pub fn route(request: &HttpRequest) -> Option<BatchRoute> {
    let path = request.path();
    // Every batch route has one of these: one search spares the interactive requests (nearly
    // all of them) the dozen below.
    if !path.contains("batch") && !path.contains("/files") {
        return None;
    }
    let method = request.method();
    let found = |api, op| Some(BatchRoute { api, op });
    let segment = |rest: &str| (!rest.is_empty() && !rest.contains('/')).then(|| rest.to_string());
    if let Some((_, rest)) = path.split_once("/v1/messages/batches") {
        return match (method, rest) {
            ("POST", "") => found(Api::Anthropic, Op::AnthropicCreate),
            ("GET", "") => found(Api::Anthropic, Op::AnthropicList),
            (_, rest) => {
                let rest = rest.strip_prefix('/')?;
                if let Some(id) = rest.strip_suffix("/cancel") {
                    (method == "POST").then_some(())?;
                    found(Api::Anthropic, Op::AnthropicCancel(segment(id)?))
                } else if let Some(id) = rest.strip_suffix("/results") {
                    (method == "GET").then_some(())?;
                    found(Api::Anthropic, Op::AnthropicResults(segment(id)?))
                } else {
                    (method == "GET").then_some(())?;
                    found(Api::Anthropic, Op::AnthropicGet(segment(rest)?))
                }
            }
        };
    }
    if let Some((_, rest)) = path.split_once("/v1/batches") {
        return match (method, rest) {
            ("POST", "") => found(Api::OpenAi, Op::OpenAiCreate),
            ("GET", "") => found(Api::OpenAi, Op::OpenAiList),
            (_, rest) => {
                let rest = rest.strip_prefix('/')?;
                if let Some(id) = rest.strip_suffix("/cancel") {
                    (method == "POST").then_some(())?;
                    found(Api::OpenAi, Op::OpenAiCancel(segment(id)?))
                } else {
                    (method == "GET").then_some(())?;
                    found(Api::OpenAi, Op::OpenAiGet(segment(rest)?))
                }
            }
        };
    }
    if method == "POST" && path.ends_with("/v1/files") && !path.contains("/v1beta") {
        return found(Api::OpenAi, Op::OpenAiUpload);
    }
    if let Some((_, rest)) = path.split_once("/v1/files/") {
        let id = rest.strip_suffix("/content")?;
        (method == "GET").then_some(())?;
        return found(Api::OpenAi, Op::OpenAiFileContent(segment(id)?));
    }
    if path.ends_with("/upload/v1beta/files") && method == "POST" {
        return match request.query_param("upload_id") {
            Some(id) => found(Api::Gemini, Op::GeminiUploadChunk(id.to_string())),
            None => found(Api::Gemini, Op::GeminiUploadStart),
        };
    }
    if let Some((_, rest)) = path.split_once("/download/v1beta/files/") {
        let name = rest.strip_suffix(":download")?;
        (method == "GET").then_some(())?;
        return found(
            Api::Gemini,
            Op::GeminiDownload(format!("files/{}", segment(name)?)),
        );
    }
    if let Some((_, rest)) = path.split_once("/v1beta/models/") {
        let model = rest.strip_suffix(":batchGenerateContent")?;
        (method == "POST").then_some(())?;
        return found(Api::Gemini, Op::GeminiCreate(segment(model)?));
    }
    if let Some((_, rest)) = path.split_once("/v1beta/batches") {
        if rest.is_empty() {
            return (method == "GET").then_some(BatchRoute {
                api: Api::Gemini,
                op: Op::GeminiList,
            });
        }
        let rest = rest.strip_prefix('/')?;
        return match method {
            "POST" => {
                let id = rest.strip_suffix(":cancel")?;
                found(
                    Api::Gemini,
                    Op::GeminiCancel(format!("batches/{}", segment(id)?)),
                )
            }
            "GET" => found(
                Api::Gemini,
                Op::GeminiGet(format!("batches/{}", segment(rest)?)),
            ),
            "DELETE" => found(
                Api::Gemini,
                Op::GeminiDelete(format!("batches/{}", segment(rest)?)),
            ),
            _ => None,
        };
    }
    None
}

/// Which request bodies are JSON (the others are uploads or empty).
fn expects_json(op: &Op) -> bool {
    matches!(
        op,
        Op::OpenAiCreate
            | Op::AnthropicCreate
            | Op::GeminiUploadStart
            | Op::GeminiCreate(_)
            | Op::GeminiCancel(_)
    )
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

const DAY: u64 = 24 * 3600;

/// Checks, records and answers one batch request.
pub fn serve(route: &BatchRoute, request: &HttpRequest, shared: &Shared) -> HttpResponse {
    let api = route.api;
    let key = wire::sent_key(api, request);
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let mut state = shared.state();
    let mut violations = wire::header_violations(api, request);
    let at = format!("{} {}", request.method(), request.path());
    let content_type = request
        .header("content-type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    if expects_json(&route.op) && !content_type.starts_with("application/json") {
        violations.push(format!("{at}: content-type is not application/json"));
    }
    if route.op == Op::OpenAiUpload && !content_type.starts_with("multipart/form-data") {
        violations.push(format!("{at}: content-type is not multipart/form-data"));
    }
    state.violations.append(&mut violations);
    // The resumable session URL is the upload's credential; a key sent with it must still be good.
    let auth = match &route.op {
        Op::GeminiUploadChunk(_) if key.is_none() => Ok(()),
        _ => wire::check_auth(api, request, &state.keys),
    };
    let response = match auth {
        Err(response) => response,
        Ok(())
            if body.is_null()
                && expects_json(&route.op)
                && !matches!(route.op, Op::GeminiCancel(_)) =>
        {
            wire::unparsable_body(api)
        }
        Ok(()) => {
            let origin = shared.origin.clone();
            let models = state.models.get(&api).cloned().unwrap_or_default();
            let batches = &mut state.batches;
            answer(batches, &route.op, request, &body, &origin, &models)
        }
    };
    state.received += 1;
    if !state.log_off {
        let model = match &route.op {
            Op::GeminiCreate(model) => Some(model.clone()),
            _ => None,
        };
        state.requests.push(RecordedRequest {
            api,
            method: request.method().to_string(),
            key,
            path: request.target().to_string(),
            model,
            headers: request.headers_owned(),
            body,
            at: std::time::Instant::now(),
            behavior: Behavior::Ok,
            status: Some(response.status),
        });
    }
    response
}

fn answer(
    batches: &mut Batches,
    op: &Op,
    request: &HttpRequest,
    body: &Value,
    origin: &str,
    models: &[String],
) -> HttpResponse {
    match op {
        Op::OpenAiUpload => openai_upload(batches, request),
        Op::OpenAiFileContent(id) => match batches.files.get(id).filter(|f| f.api == Api::OpenAi) {
            Some(file) => HttpResponse::raw(200, "application/octet-stream", file.bytes.clone()),
            None => openai_not_found(&format!("No such File object: {id}"), "id"),
        },
        Op::OpenAiCreate => openai_create(batches, body),
        Op::OpenAiGet(id) => with_job(batches, Api::OpenAi, id, |batches, i| {
            batches.advance(i);
            HttpResponse::json(200, &batches.jobs[i].openai_object())
        }),
        Op::OpenAiCancel(id) => with_job(batches, Api::OpenAi, id, |batches, i| {
            let job = &mut batches.jobs[i];
            if job.phase.terminal() || job.phase == Phase::Cancelling {
                let status = job.state();
                return openai_error(
                    400,
                    &format!("Cannot cancel a batch with status '{status}'."),
                    "invalid_request_error",
                    None,
                    None,
                );
            }
            job.phase = Phase::Cancelling;
            job.stamp("cancelling_at");
            HttpResponse::json(200, &job.openai_object())
        }),
        Op::OpenAiList => {
            let jobs: Vec<&Job> = batches.listed(Api::OpenAi);
            let (page, has_more) = page(&jobs, request.query_param("after"), request, 20);
            let data: Vec<Value> = page.iter().map(|j| j.openai_object()).collect();
            HttpResponse::json(
                200,
                &json!({"object": "list", "data": data,
                        "first_id": page.first().map(|j| &j.id),
                        "last_id": page.last().map(|j| &j.id), "has_more": has_more}),
            )
        }
        Op::AnthropicCreate => anthropic_create(batches, body, origin),
        Op::AnthropicGet(id) => with_job(batches, Api::Anthropic, id, |batches, i| {
            batches.advance(i);
            HttpResponse::json(200, &batches.jobs[i].anthropic_object(origin))
        }),
        Op::AnthropicCancel(id) => with_job(batches, Api::Anthropic, id, |batches, i| {
            let job = &mut batches.jobs[i];
            if job.phase.terminal() {
                return anthropic_error(
                    400,
                    "invalid_request_error",
                    &format!("Batch {id} has already ended and cannot be canceled."),
                );
            }
            if job.phase != Phase::Cancelling {
                job.phase = Phase::Cancelling;
                job.stamp("cancelling_at");
            }
            HttpResponse::json(200, &job.anthropic_object(origin))
        }),
        Op::AnthropicResults(id) => with_job(batches, Api::Anthropic, id, |batches, i| {
            let job = &batches.jobs[i];
            if !job.phase.terminal() {
                return anthropic_error(
                    404,
                    "not_found_error",
                    &format!("Results for batch {id} are not available until it has ended."),
                );
            }
            HttpResponse::raw(200, "application/binary", job.anthropic_results())
        }),
        Op::AnthropicList => {
            let jobs: Vec<&Job> = batches.listed(Api::Anthropic);
            let (page, has_more) = page(&jobs, request.query_param("after_id"), request, 20);
            let data: Vec<Value> = page.iter().map(|j| j.anthropic_object(origin)).collect();
            HttpResponse::json(
                200,
                &json!({"data": data, "has_more": has_more,
                        "first_id": page.first().map(|j| &j.id),
                        "last_id": page.last().map(|j| &j.id)}),
            )
        }
        Op::GeminiUploadStart => gemini_upload_start(batches, request, body, origin),
        Op::GeminiUploadChunk(id) => gemini_upload_chunk(batches, request, id, origin),
        Op::GeminiCreate(model) => gemini_create(batches, body, model, models),
        Op::GeminiGet(name) => with_job(batches, Api::Gemini, name, |batches, i| {
            batches.advance(i);
            HttpResponse::json(200, &batches.jobs[i].gemini_operation(true))
        }),
        Op::GeminiCancel(name) => with_job(batches, Api::Gemini, name, |batches, i| {
            if batches.jobs[i].phase.terminal() {
                return gemini_error(
                    400,
                    "FAILED_PRECONDITION",
                    &format!("Batch {name} has already finished."),
                    vec![],
                );
            }
            // Gemini has no cancelling state: the next poll already shows CANCELLED.
            batches.finish(i, Phase::Cancelled);
            HttpResponse::json(200, &json!({}))
        }),
        Op::GeminiDelete(name) => with_job(batches, Api::Gemini, name, |batches, i| {
            batches.jobs[i].deleted = true;
            if let Some(file) = batches.jobs[i].output_file.clone() {
                batches.files.remove(&file);
            }
            HttpResponse::json(200, &json!({}))
        }),
        Op::GeminiList => {
            let jobs: Vec<&Job> = batches.listed(Api::Gemini);
            let (page, has_more) = page(&jobs, request.query_param("pageToken"), request, 50);
            let data: Vec<Value> = page.iter().map(|j| j.gemini_operation(false)).collect();
            let mut list = json!({ "operations": data });
            if has_more && let Some(last) = page.last() {
                list["nextPageToken"] = json!(last.id);
            }
            HttpResponse::json(200, &list)
        }
        Op::GeminiDownload(name) => {
            if request.query_param("alt") != Some("media") {
                return gemini_error(
                    400,
                    "INVALID_ARGUMENT",
                    "Downloads need ?alt=media.",
                    vec![],
                );
            }
            match batches.files.get(name).filter(|f| f.api == Api::Gemini) {
                Some(file) => {
                    HttpResponse::raw(200, "application/octet-stream", file.bytes.clone())
                }
                None => gemini_not_found(&format!("File {name} not found.")),
            }
        }
    }
}

/// Runs `then` on the job `id` of `api`, or answers the provider's 404.
fn with_job(
    batches: &mut Batches,
    api: Api,
    id: &str,
    then: impl FnOnce(&mut Batches, usize) -> HttpResponse,
) -> HttpResponse {
    match batches
        .jobs
        .iter()
        .position(|j| j.api == api && j.id == id && !j.deleted)
    {
        Some(i) => then(batches, i),
        None => match api {
            Api::OpenAi => openai_not_found(&format!("No batch found with id '{id}'."), "batch_id"),
            Api::Anthropic => anthropic_error(404, "not_found_error", &format!("{id} not found")),
            Api::Gemini => gemini_not_found(&format!("Batch {id} not found.")),
        },
    }
}

/// The page of a newest-first list after the cursor, at most `limit` (query) long.
fn page<'a>(
    jobs: &[&'a Job],
    after: Option<&str>,
    request: &HttpRequest,
    default: usize,
) -> (Vec<&'a Job>, bool) {
    let limit = request
        .query_param("limit")
        .or_else(|| request.query_param("pageSize"))
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(default)
        .clamp(1, 100);
    let start = after
        .and_then(|after| jobs.iter().position(|j| j.id == after))
        .map_or(0, |i| i + 1);
    let rest = &jobs[start.min(jobs.len())..];
    let page: Vec<&Job> = rest.iter().take(limit).copied().collect();
    (page, rest.len() > limit)
}

fn openai_not_found(message: &str, param: &str) -> HttpResponse {
    openai_error(404, message, "invalid_request_error", Some(param), None)
}

fn gemini_not_found(message: &str) -> HttpResponse {
    gemini_error(404, "NOT_FOUND", message, vec![])
}

impl Batches {
    /// Jobs of `api`, newest first.
    fn listed(&self, api: Api) -> Vec<&Job> {
        self.jobs
            .iter()
            .rev()
            .filter(|j| j.api == api && !j.deleted)
            .collect()
    }

    /// One poll's step of the state machine.
    fn advance(&mut self, i: usize) {
        let end = self
            .config
            .get(&self.jobs[i].api)
            .copied()
            .unwrap_or_default()
            .end;
        let (api, phase) = (self.jobs[i].api, self.jobs[i].phase);
        match phase {
            Phase::Queued if !self.jobs[i].invalid.is_empty() => {
                self.jobs[i].phase = Phase::Failed;
                self.jobs[i].stamp("failed_at");
            }
            Phase::Queued => {
                self.jobs[i].phase = Phase::Running;
                self.jobs[i].stamp("in_progress_at");
                self.answer_half(i);
            }
            Phase::Running if end == Ended::Expired => self.finish(i, Phase::Expired),
            Phase::Running if api == Api::OpenAi => {
                self.answer_rest(i);
                self.jobs[i].phase = Phase::Finishing;
                self.jobs[i].stamp("finalizing_at");
            }
            Phase::Running | Phase::Finishing => self.finish(i, Phase::Completed),
            Phase::Cancelling => self.finish(i, Phase::Cancelled),
            Phase::Failed | Phase::Completed | Phase::Expired | Phase::Cancelled => {}
        }
    }

    fn answer_half(&mut self, i: usize) {
        let half = self.jobs[i].rows.len().div_ceil(2);
        self.answer_rows(i, half);
    }

    fn answer_rest(&mut self, i: usize) {
        let all = self.jobs[i].rows.len();
        self.answer_rows(i, all);
    }

    /// Answers the unanswered rows among the first `upto`.
    fn answer_rows(&mut self, i: usize, upto: usize) {
        let config = self
            .config
            .get(&self.jobs[i].api)
            .copied()
            .unwrap_or_default();
        let job = &mut self.jobs[i];
        let api = job.api;
        for (n, row) in job.rows.iter_mut().enumerate().take(upto) {
            if row.outcome.is_some() {
                continue;
            }
            // OpenAI and Anthropic rows name their model; Gemini rows use the job's.
            let model = row.request["model"]
                .as_str()
                .unwrap_or(&job.model)
                .to_string();
            let raw = row.request.to_string();
            let spend = || {
                super::json::with_json(&row.request, |request| {
                    self.thinking.spend(api, &model, request, raw.as_bytes())
                })
            };
            let (outcome, usage) = row_outcome(api, &model, n + 1, &row.request, config, spend);
            if let Some(usage) = usage {
                self.ledger.bill(api, &model, true, &usage);
            }
            row.outcome = Some(outcome);
        }
    }

    /// Ends job `i` in `phase`: unanswered rows become expired or cancelled, output files are
    /// written.
    fn finish(&mut self, i: usize, phase: Phase) {
        if phase == Phase::Completed {
            self.answer_rest(i);
        }
        let stamp = match phase {
            Phase::Expired => "expired_at",
            Phase::Cancelled => "cancelled_at",
            _ => "completed_at",
        };
        let id = self.next_id();
        let job = &mut self.jobs[i];
        for row in &mut job.rows {
            if row.outcome.is_none() {
                row.outcome = Some(match phase {
                    Phase::Expired => Outcome::Expired,
                    _ => Outcome::Cancelled,
                });
            }
        }
        job.phase = phase;
        job.stamp(stamp);
        let now = unix_now();
        let files: Vec<StoredFile> = match job.api {
            Api::OpenAi => {
                let (out, errors) = job.openai_result_lines();
                let mut files = Vec::new();
                for (lines, slot, kind) in [(out, 0, "output"), (errors, 1, "errors")] {
                    if lines.is_empty() {
                        continue;
                    }
                    let name = format!("file-fake{kind}{id}");
                    if slot == 0 {
                        job.output_file = Some(name.clone());
                    } else {
                        job.error_file = Some(name.clone());
                    }
                    files.push(StoredFile {
                        api: Api::OpenAi,
                        filename: format!("batch_{}_{kind}.jsonl", job.id),
                        name,
                        mime: "application/jsonl".into(),
                        bytes: lines.into_bytes(),
                        created_at: now,
                        purpose: "batch_output",
                    });
                }
                files
            }
            Api::Gemini if job.input_file.is_some() => {
                let name = format!("files/batch-{}", job.id.trim_start_matches("batches/"));
                job.output_file = Some(name.clone());
                vec![StoredFile {
                    api: Api::Gemini,
                    filename: name.clone(),
                    name,
                    mime: "application/jsonl".into(),
                    bytes: job.gemini_result_lines().into_bytes(),
                    created_at: now,
                    purpose: "batch_output",
                }]
            }
            _ => Vec::new(),
        };
        for file in files {
            self.files.insert(file.name.clone(), file);
        }
    }
}

/// What row number `n` (1-based) gets when it is answered, with its usage when it succeeds;
/// `spend` draws its reasoning, asked only for a row that is answered.
fn row_outcome(
    api: Api,
    model: &str,
    n: usize,
    request: &Value,
    config: Config,
    spend: impl FnOnce() -> Option<Spend>,
) -> (Outcome, Option<Usage>) {
    let every = |e: Option<u32>| e.is_some_and(|e| n % e as usize == 0);
    if let Err(response) = wire::validate_value(api, model, request) {
        return (errored(response), None);
    }
    if every(config.errored_every) {
        let message = format!("The loopback fake was scripted to fail batch row {n}.");
        let response = match api {
            Api::OpenAi => openai_error(500, &message, "server_error", None, None),
            Api::Anthropic => anthropic_error(500, "api_error", &message),
            Api::Gemini => gemini_error(500, "INTERNAL", &message, vec![]),
        };
        return (errored(response), None);
    }
    if every(config.expired_every) {
        return (Outcome::Expired, None);
    }
    let route = Route {
        api,
        kind: Kind::Generate,
        model: Some(model.to_string()),
    };
    let behavior = Behavior::Ok;
    let spend = spend();
    let answered = super::json::with_json(request, |request| {
        reply::respond(
            api,
            &route,
            &behavior,
            request,
            model,
            &[],
            false,
            None,
            spend,
        )
    });
    match answered {
        (Reply::Whole(response), usage) => (
            Outcome::Succeeded(serde_json::from_slice(&response.body).unwrap_or(Value::Null)),
            usage,
        ),
        _ => unreachable!("Behavior::Ok answers whole"),
    }
}

fn errored(response: HttpResponse) -> Outcome {
    Outcome::Errored(
        response.status,
        serde_json::from_slice(&response.body).unwrap_or(Value::Null),
    )
}

/// A fixed permutation of `0..n` for `seed`, never the identity when `n > 1`: the order in
/// which a provider that does not keep input order writes its results.
fn shuffled_order(n: usize, seed: &str) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut state = fnv(seed.as_bytes()) | 1;
    for i in (1..n).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = (state >> 33) as usize % (i + 1);
        order.swap(i, j);
    }
    if n > 1 && order.iter().enumerate().all(|(i, &o)| i == o) {
        order.swap(0, 1);
    }
    order
}

impl Job {
    fn stamp(&mut self, name: &'static str) {
        self.stamps.push((name, unix_now()));
    }

    fn stamped(&self, name: &str) -> Option<u64> {
        self.stamps
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
    }

    /// The state in the provider's spelling.
    fn state(&self) -> &'static str {
        match (self.api, self.phase) {
            (Api::OpenAi, Phase::Queued) => "validating",
            (Api::OpenAi, Phase::Running) => "in_progress",
            (Api::OpenAi, Phase::Finishing) => "finalizing",
            (Api::OpenAi, Phase::Cancelling) => "cancelling",
            (Api::OpenAi, Phase::Failed) => "failed",
            (Api::OpenAi, Phase::Completed) => "completed",
            (Api::OpenAi, Phase::Expired) => "expired",
            (Api::OpenAi, Phase::Cancelled) => "cancelled",
            (Api::Anthropic, Phase::Cancelling) => "canceling",
            (Api::Anthropic, p) if p.terminal() => "ended",
            (Api::Anthropic, _) => "in_progress",
            (Api::Gemini, Phase::Queued) => "BATCH_STATE_PENDING",
            (Api::Gemini, Phase::Running | Phase::Finishing | Phase::Cancelling) => {
                "BATCH_STATE_RUNNING"
            }
            (Api::Gemini, Phase::Failed) => "BATCH_STATE_FAILED",
            (Api::Gemini, Phase::Completed) => "BATCH_STATE_SUCCEEDED",
            (Api::Gemini, Phase::Expired) => "BATCH_STATE_EXPIRED",
            (Api::Gemini, Phase::Cancelled) => "BATCH_STATE_CANCELLED",
        }
    }

    fn count(&self, pick: impl Fn(&Outcome) -> bool) -> usize {
        self.rows
            .iter()
            .filter(|r| r.outcome.as_ref().is_some_and(&pick))
            .count()
    }

    fn openai_object(&self) -> Value {
        let stamp = |name| json!(self.stamped(name));
        let usage = self
            .rows
            .iter()
            .fold((0, 0), |(i, o), row| match &row.outcome {
                Some(Outcome::Succeeded(body)) => (
                    i + body["usage"]["prompt_tokens"].as_u64().unwrap_or(0),
                    o + body["usage"]["completion_tokens"].as_u64().unwrap_or(0),
                ),
                _ => (i, o),
            });
        let errors = (!self.invalid.is_empty() && self.phase == Phase::Failed)
            .then(|| json!({"object": "list", "data": self.invalid}));
        json!({
            "id": self.id,
            "object": "batch",
            "endpoint": "/v1/chat/completions",
            "errors": errors,
            "input_file_id": self.input_file,
            "completion_window": "24h",
            "status": self.state(),
            "output_file_id": self.output_file,
            "error_file_id": self.error_file,
            "created_at": self.created_at,
            "in_progress_at": stamp("in_progress_at"),
            "expires_at": self.created_at + DAY,
            "finalizing_at": stamp("finalizing_at"),
            "completed_at": stamp("completed_at"),
            "failed_at": stamp("failed_at"),
            "expired_at": stamp("expired_at"),
            "cancelling_at": stamp("cancelling_at"),
            "cancelled_at": stamp("cancelled_at"),
            "request_counts": {
                "total": self.rows.len(),
                "completed": self.count(|o| matches!(o, Outcome::Succeeded(_))),
                "failed": self.count(|o| matches!(o, Outcome::Errored(..) | Outcome::Expired)),
            },
            "metadata": self.label,
            "model": self.model,
            "usage": {
                "input_tokens": usage.0,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": usage.1,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": usage.0 + usage.1,
            },
        })
    }

    /// The output file (successes, shuffled) and the error file (everything else, shuffled).
    fn openai_result_lines(&self) -> (String, String) {
        let (mut out, mut errors) = (String::new(), String::new());
        for i in shuffled_order(self.rows.len(), &self.id) {
            let row = &self.rows[i];
            let request_id = format!(
                "req_fake{}",
                fnv(format!("{}{}", self.id, row.id).as_bytes())
            );
            let (response, error) = match &row.outcome {
                Some(Outcome::Succeeded(body)) => (
                    json!({"status_code": 200, "request_id": request_id, "body": body}),
                    Value::Null,
                ),
                Some(Outcome::Errored(status, body)) => (
                    json!({"status_code": status, "request_id": request_id, "body": body}),
                    Value::Null,
                ),
                Some(Outcome::Expired) => (
                    Value::Null,
                    json!({"code": "batch_expired", "message": "This request could not be \
                           executed before the completion window expired."}),
                ),
                Some(Outcome::Cancelled) | None => (
                    Value::Null,
                    json!({"code": "batch_cancelled", "message": "This request was not executed \
                           because the batch was cancelled."}),
                ),
            };
            let line = json!({"id": format!("batch_req_fake{i}_{}", self.id), "custom_id": row.id,
                              "response": response, "error": error});
            let target = if matches!(row.outcome, Some(Outcome::Succeeded(_))) {
                &mut out
            } else {
                &mut errors
            };
            target.push_str(&line.to_string());
            target.push('\n');
        }
        (out, errors)
    }

    fn anthropic_object(&self, origin: &str) -> Value {
        let ended = self.phase.terminal();
        let counted = |pick: fn(&Outcome) -> bool| if ended { self.count(pick) } else { 0 };
        let time = |t: Option<u64>| t.map(rfc3339);
        json!({
            "id": self.id,
            "type": "message_batch",
            "processing_status": self.state(),
            "request_counts": {
                "processing": if ended { 0 } else { self.rows.len() },
                "succeeded": counted(|o| matches!(o, Outcome::Succeeded(_))),
                "errored": counted(|o| matches!(o, Outcome::Errored(..))),
                "canceled": counted(|o| matches!(o, Outcome::Cancelled)),
                "expired": counted(|o| matches!(o, Outcome::Expired)),
            },
            "created_at": rfc3339(self.created_at),
            "expires_at": rfc3339(self.created_at + DAY),
            "ended_at": time(self.stamps.iter().find(|(n, _)| n.ends_with("ed_at")
                && *n != "cancelling_at").map(|(_, t)| *t)).filter(|_| ended),
            "cancel_initiated_at": time(self.stamped("cancelling_at")),
            "archived_at": null,
            "results_url": ended.then(|| format!("{origin}/v1/messages/batches/{}/results", self.id)),
        })
    }

    fn anthropic_results(&self) -> String {
        let mut lines = String::new();
        for i in shuffled_order(self.rows.len(), &self.id) {
            let row = &self.rows[i];
            let result = match &row.outcome {
                Some(Outcome::Succeeded(message)) => {
                    json!({"type": "succeeded", "message": message})
                }
                Some(Outcome::Errored(_, error)) => json!({"type": "errored", "error": error}),
                Some(Outcome::Expired) => json!({"type": "expired"}),
                Some(Outcome::Cancelled) | None => json!({"type": "canceled"}),
            };
            lines.push_str(&json!({"custom_id": row.id, "result": result}).to_string());
            lines.push('\n');
        }
        lines
    }

    /// Gemini's per-row error for rows that were not answered (the field shape is UNVERIFIED).
    fn gemini_row_error(outcome: &Option<Outcome>) -> Option<Value> {
        match outcome {
            Some(Outcome::Succeeded(_)) => None,
            Some(Outcome::Errored(_, body)) => Some(body["error"].clone()),
            Some(Outcome::Expired) => Some(json!({"code": 504, "status": "DEADLINE_EXCEEDED",
                "message": "The batch expired before this request was run."})),
            Some(Outcome::Cancelled) | None => Some(json!({"code": 499, "status": "CANCELLED",
                "message": "The batch was cancelled before this request was run."})),
        }
    }

    /// The responses file: one line per row, in input order.
    fn gemini_result_lines(&self) -> String {
        let mut lines = String::new();
        for row in &self.rows {
            let line = match (&row.outcome, Self::gemini_row_error(&row.outcome)) {
                (Some(Outcome::Succeeded(response)), _) => {
                    json!({"key": row.id, "response": response})
                }
                (_, error) => json!({"key": row.id, "error": error}),
            };
            lines.push_str(&line.to_string());
            lines.push('\n');
        }
        lines
    }

    fn gemini_operation(&self, with_inline: bool) -> Value {
        let n = self.rows.len();
        let succeeded = self.count(|o| matches!(o, Outcome::Succeeded(_)));
        let answered = self.count(|_| true);
        let time = |t: u64| rfc3339(t);
        let updated = self.stamps.last().map_or(self.created_at, |(_, t)| *t);
        let mut metadata = json!({
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
            "name": self.id,
            "model": format!("models/{}", self.model),
            "displayName": self.label,
            "createTime": time(self.created_at),
            "updateTime": time(updated),
            "batchStats": {
                "requestCount": n.to_string(),
                "successfulRequestCount": succeeded.to_string(),
                "failedRequestCount": (answered - succeeded).to_string(),
                "pendingRequestCount": (n - answered).to_string(),
            },
            "state": self.state(),
        });
        let mut operation = json!({"name": self.id});
        if self.phase.terminal() {
            metadata["endTime"] = json!(time(updated));
            operation["done"] = json!(true);
            let output = match &self.output_file {
                Some(file) => Some(json!({"responsesFile": file})),
                None if with_inline && self.input_file.is_none() => {
                    let responses: Vec<Value> = self
                        .rows
                        .iter()
                        .map(
                            |row| match (&row.outcome, Self::gemini_row_error(&row.outcome)) {
                                (Some(Outcome::Succeeded(response)), _) => {
                                    json!({"response": response, "metadata": {"key": row.id}})
                                }
                                (_, error) => json!({"error": error, "metadata": {"key": row.id}}),
                            },
                        )
                        .collect();
                    Some(json!({"inlinedResponses": {"inlinedResponses": responses}}))
                }
                None => None,
            };
            if let Some(output) = output {
                metadata["output"] = output.clone();
                let mut response = output;
                response["@type"] = json!(
                    "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput"
                );
                operation["response"] = response;
            }
        }
        operation["metadata"] = metadata;
        operation
    }
}

/// One part of a `multipart/form-data` body: field name, filename, content.
type FormPart = (String, Option<String>, Vec<u8>);

/// The parts of a `multipart/form-data` body, or `None` when it does not parse.
fn multipart(content_type: &str, body: &[u8]) -> Option<Vec<FormPart>> {
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))?
        .trim_matches('"');
    let delimiter = format!("--{boundary}").into_bytes();
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    };
    let mut parts = Vec::new();
    let mut at = find(body, &delimiter, 0)? + delimiter.len();
    loop {
        if body.get(at..at + 2) == Some(b"--") {
            return Some(parts);
        }
        at += 2; // CRLF after the delimiter
        let head_end = find(body, b"\r\n\r\n", at)?;
        let head = String::from_utf8_lossy(&body[at..head_end]).into_owned();
        let content_start = head_end + 4;
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(&delimiter);
        let content_end = find(body, &closing, content_start)?;
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
        let param = |name: &str| {
            disposition.split(';').map(str::trim).find_map(|p| {
                p.strip_prefix(&format!("{name}="))
                    .map(|v| v.trim_matches('"').to_string())
            })
        };
        parts.push((
            param("name")?,
            param("filename"),
            body[content_start..content_end].to_vec(),
        ));
        at = content_end + closing.len();
    }
}

fn openai_upload(batches: &mut Batches, request: &HttpRequest) -> HttpResponse {
    let bad = |message: &str| openai_error(400, message, "invalid_request_error", None, None);
    let content_type = request.header("content-type").unwrap_or_default();
    let Some(parts) = multipart(content_type, &request.body) else {
        return bad("Could not parse multipart form data.");
    };
    let field = |name: &str| parts.iter().find(|(n, _, _)| n == name);
    let purpose = field("purpose").map(|(_, _, v)| String::from_utf8_lossy(v).into_owned());
    match purpose.as_deref() {
        Some("batch") => {}
        Some(other) => {
            return bad(&format!(
                "The loopback fake only takes purpose 'batch', not '{other}'."
            ));
        }
        None => return bad("Missing required parameter: 'purpose'."),
    }
    let Some((_, filename, bytes)) = field("file") else {
        return bad("Missing required parameter: 'file'.");
    };
    let filename = filename.clone().unwrap_or_else(|| "upload".into());
    if !filename.ends_with(".jsonl") {
        return bad("Invalid file format for Batch API. Must be .jsonl");
    }
    let id = format!("file-fake{}", batches.next_id());
    let file = StoredFile {
        api: Api::OpenAi,
        name: id.clone(),
        filename,
        mime: "application/jsonl".into(),
        bytes: bytes.clone(),
        created_at: unix_now(),
        purpose: "batch",
    };
    let object = openai_file_object(&file);
    batches.files.insert(id, file);
    HttpResponse::json(200, &object)
}

fn openai_file_object(file: &StoredFile) -> Value {
    json!({"id": file.name, "object": "file", "bytes": file.bytes.len(),
           "created_at": file.created_at, "filename": file.filename, "purpose": file.purpose,
           "status": "processed", "expires_at": null, "status_details": null})
}

fn openai_create(batches: &mut Batches, body: &Value) -> HttpResponse {
    let bad = |message: &str, param: &str| {
        openai_error(400, message, "invalid_request_error", Some(param), None)
    };
    let Some(file_id) = body["input_file_id"].as_str() else {
        return bad(
            "Missing required parameter: 'input_file_id'.",
            "input_file_id",
        );
    };
    match body["endpoint"].as_str() {
        Some("/v1/chat/completions") => {}
        Some(other) => {
            return bad(
                &format!("The loopback fake batches only /v1/chat/completions, not {other:?}."),
                "endpoint",
            );
        }
        None => return bad("Missing required parameter: 'endpoint'.", "endpoint"),
    }
    if body["completion_window"] != "24h" {
        return bad(
            "Invalid 'completion_window': only '24h' is supported.",
            "completion_window",
        );
    }
    let Some(file) = batches.files.get(file_id).filter(|f| f.purpose == "batch") else {
        return bad(
            &format!("Invalid 'input_file_id': '{file_id}'."),
            "input_file_id",
        );
    };
    let text = String::from_utf8_lossy(&file.bytes).into_owned();
    let mut rows = Vec::new();
    let mut invalid = Vec::new();
    let mut seen = HashSet::new();
    // Validation problems fail the batch at its first poll, as the real `validating` step does
    // (the codes are the fake's own: UNVERIFIED).
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let mut problem = |code: &str, message: String| {
            invalid.push(json!({"code": code, "message": message, "param": null, "line": n + 1}));
        };
        let Ok(line) = serde_json::from_str::<Value>(line) else {
            problem(
                "invalid_json_line",
                format!("Line {} is not valid JSON.", n + 1),
            );
            continue;
        };
        let Some(custom_id) = line["custom_id"].as_str() else {
            problem(
                "missing_custom_id",
                "Each line needs a string custom_id.".into(),
            );
            continue;
        };
        if !seen.insert(custom_id.to_string()) {
            problem(
                "duplicate_custom_id",
                format!("The custom_id {custom_id:?} is used twice."),
            );
        }
        if line["method"] != "POST" {
            problem("invalid_method", "Only POST is allowed.".into());
        }
        if line["url"] != "/v1/chat/completions" {
            problem(
                "mismatched_endpoint",
                "The url of each line must match the batch's endpoint.".into(),
            );
        }
        rows.push(Row {
            id: custom_id.to_string(),
            request: line["body"].clone(),
            outcome: None,
        });
    }
    if rows.is_empty() && invalid.is_empty() {
        invalid.push(
            json!({"code": "empty_file", "message": "The input file has no requests.",
                             "param": null, "line": null}),
        );
    }
    let model = rows
        .first()
        .and_then(|r| r.request["model"].as_str())
        .unwrap_or_default()
        .to_string();
    let id = format!("batch_fake{}", batches.next_id());
    let job = Job {
        api: Api::OpenAi,
        id,
        model,
        rows,
        phase: Phase::Queued,
        created_at: unix_now(),
        stamps: Vec::new(),
        input_file: Some(file_id.to_string()),
        invalid,
        label: body.get("metadata").cloned().unwrap_or(Value::Null),
        output_file: None,
        error_file: None,
        deleted: false,
    };
    let object = job.openai_object();
    batches.jobs.push(job);
    HttpResponse::json(200, &object)
}

fn anthropic_create(batches: &mut Batches, body: &Value, origin: &str) -> HttpResponse {
    let bad = |message: &str| anthropic_error(400, "invalid_request_error", message);
    let Some(requests) = body["requests"].as_array().filter(|r| !r.is_empty()) else {
        return bad("requests: List should have at least 1 item after validation");
    };
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for (i, request) in requests.iter().enumerate() {
        let custom_id = request["custom_id"].as_str().unwrap_or_default();
        let good = (1..=64).contains(&custom_id.len())
            && custom_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !good {
            return bad(&format!(
                "requests.{i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'"
            ));
        }
        if !seen.insert(custom_id) {
            return bad(&format!(
                "requests.{i}.custom_id: Duplicate custom_id {custom_id:?}; each must be unique."
            ));
        }
        if !request["params"].is_object() {
            return bad(&format!("requests.{i}.params: Field required"));
        }
        if request["params"]["stream"] == true {
            return bad(&format!(
                "requests.{i}.params.stream: batches do not stream"
            ));
        }
        rows.push(Row {
            id: custom_id.to_string(),
            request: request["params"].clone(),
            outcome: None,
        });
    }
    let model = rows[0].request["model"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let id = format!("msgbatch_fake{}", batches.next_id());
    batches.jobs.push(Job {
        api: Api::Anthropic,
        id,
        model,
        rows,
        phase: Phase::Running,
        created_at: unix_now(),
        stamps: Vec::new(),
        input_file: None,
        invalid: Vec::new(),
        label: Value::Null,
        output_file: None,
        error_file: None,
        deleted: false,
    });
    let i = batches.jobs.len() - 1;
    batches.answer_half(i);
    HttpResponse::json(200, &batches.jobs[i].anthropic_object(origin))
}

fn gemini_upload_start(
    batches: &mut Batches,
    request: &HttpRequest,
    body: &Value,
    origin: &str,
) -> HttpResponse {
    let bad = |message: &str| gemini_error(400, "INVALID_ARGUMENT", message, vec![]);
    if request.header("x-goog-upload-protocol") != Some("resumable") {
        return bad("The loopback fake takes only X-Goog-Upload-Protocol: resumable.");
    }
    if request.header("x-goog-upload-command") != Some("start") {
        return bad("A resumable upload opens with X-Goog-Upload-Command: start.");
    }
    let declared = request
        .header("x-goog-upload-header-content-length")
        .and_then(|l| l.parse().ok());
    let display_name = body["file"]
        .as_object()
        .and_then(|f| {
            f.get("displayName")
                .or_else(|| f.get("display_name"))
                .and_then(Value::as_str)
        })
        .unwrap_or_default()
        .to_string();
    let id = format!("upload-fake{}", batches.next_id());
    batches.uploads.insert(
        id.clone(),
        Upload {
            display_name,
            declared,
            mime: request
                .header("x-goog-upload-header-content-type")
                .unwrap_or("application/octet-stream")
                .to_string(),
            received: Vec::new(),
        },
    );
    let url = format!("{origin}/upload/v1beta/files?upload_id={id}&upload_protocol=resumable");
    HttpResponse::raw(200, "text/plain; charset=utf-8", Vec::new())
        .header("x-goog-upload-url", url)
        .header("x-goog-upload-status", "active")
        .header("x-goog-upload-chunk-granularity", "8388608")
}

fn gemini_upload_chunk(
    batches: &mut Batches,
    request: &HttpRequest,
    id: &str,
    origin: &str,
) -> HttpResponse {
    let bad = |message: &str| gemini_error(400, "INVALID_ARGUMENT", message, vec![]);
    let next = batches.next_id();
    let Some(upload) = batches.uploads.get_mut(id) else {
        return gemini_not_found("No such upload session.");
    };
    let command = request
        .header("x-goog-upload-command")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let words: Vec<&str> = command.split(',').map(str::trim).collect();
    if words == ["query"] {
        return HttpResponse::raw(200, "text/plain; charset=utf-8", Vec::new())
            .header("x-goog-upload-status", "active")
            .header(
                "x-goog-upload-size-received",
                upload.received.len().to_string(),
            );
    }
    let uploading = words.contains(&"upload");
    let finalize = words.contains(&"finalize");
    if !uploading && !finalize {
        return bad("X-Goog-Upload-Command must be upload, finalize or both.");
    }
    if uploading {
        let offset = request
            .header("x-goog-upload-offset")
            .and_then(|o| o.parse::<usize>().ok());
        if offset != Some(upload.received.len()) {
            return bad(&format!(
                "X-Goog-Upload-Offset {offset:?} does not match the {} bytes received.",
                upload.received.len()
            ));
        }
        upload.received.extend_from_slice(&request.body);
    }
    if !finalize {
        return HttpResponse::raw(200, "text/plain; charset=utf-8", Vec::new())
            .header("x-goog-upload-status", "active");
    }
    if upload.declared.is_some_and(|d| d != upload.received.len()) {
        return bad(&format!(
            "Received {} bytes, but X-Goog-Upload-Header-Content-Length said {:?}.",
            upload.received.len(),
            upload.declared
        ));
    }
    let upload = batches.uploads.remove(id).unwrap_or_else(|| unreachable!());
    let name = format!("files/fake{next}");
    let file = StoredFile {
        api: Api::Gemini,
        name: name.clone(),
        filename: upload.display_name,
        mime: upload.mime,
        bytes: upload.received,
        created_at: unix_now(),
        purpose: "batch",
    };
    let object = json!({"file": {
        "name": file.name, "displayName": file.filename, "mimeType": file.mime,
        "sizeBytes": file.bytes.len().to_string(), "createTime": rfc3339(file.created_at),
        "updateTime": rfc3339(file.created_at), "expirationTime": rfc3339(file.created_at + 2 * DAY),
        "sha256Hash": format!("{:016x}", fnv(&file.bytes)),
        // The fake's own address: a file URI never points at the real service.
        "uri": format!("{origin}/v1beta/{name}"),
        "state": "ACTIVE", "source": "UPLOADED"}});
    batches.files.insert(name, file);
    HttpResponse::json(200, &object).header("x-goog-upload-status", "final")
}

fn gemini_create(
    batches: &mut Batches,
    body: &Value,
    model: &str,
    models: &[String],
) -> HttpResponse {
    let bad = |message: &str| gemini_error(400, "INVALID_ARGUMENT", message, vec![]);
    if !models.iter().any(|m| m == model) {
        return gemini_not_found(&format!(
            "models/{model} is not found for API version v1beta, or is not supported for \
             batchGenerateContent."
        ));
    }
    let Some(batch) = gemini_value_field(body, "batch").filter(|b| b.is_object()) else {
        return bad("* BatchGenerateContentRequest.batch: batch is required");
    };
    let Some(input) = gemini_value_field(batch, "inputConfig") else {
        return bad("* GenerateContentBatch.input_config: input_config is required");
    };
    let mut rows = Vec::new();
    let input_file = gemini_value_field(input, "fileName").and_then(Value::as_str);
    if let Some(name) = input_file {
        let Some(file) = batches.files.get(name).filter(|f| f.api == Api::Gemini) else {
            return gemini_not_found(&format!("File {name} not found."));
        };
        let text = String::from_utf8_lossy(&file.bytes).into_owned();
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let Ok(line) = serde_json::from_str::<Value>(line) else {
                return bad(&format!("Line {} of {name} is not valid JSON.", n + 1));
            };
            let request = line["request"].clone();
            if let Err(response) = wire::validate_value(Api::Gemini, model, &request) {
                let why = serde_json::from_slice::<Value>(&response.body).unwrap_or_default();
                return bad(&format!("Line {}: {}", n + 1, why["error"]["message"]));
            }
            rows.push(Row {
                id: line["key"]
                    .as_str()
                    .map_or_else(|| n.to_string(), str::to_string),
                request,
                outcome: None,
            });
        }
    } else {
        let requests = gemini_value_field(input, "requests")
            .and_then(|r| gemini_value_field(r, "requests"))
            .and_then(Value::as_array);
        let Some(requests) = requests else {
            return bad("* GenerateContentBatch.input_config: file_name or requests is required");
        };
        for (n, entry) in requests.iter().enumerate() {
            let request = entry["request"].clone();
            if let Err(response) = wire::validate_value(Api::Gemini, model, &request) {
                let why = serde_json::from_slice::<Value>(&response.body).unwrap_or_default();
                return bad(&format!("requests[{n}]: {}", why["error"]["message"]));
            }
            rows.push(Row {
                id: entry["metadata"]["key"]
                    .as_str()
                    .map_or_else(|| n.to_string(), str::to_string),
                request,
                outcome: None,
            });
        }
    }
    if rows.is_empty() {
        return bad("The batch has no requests.");
    }
    let id = format!("batches/fake{}", batches.next_id());
    let job = Job {
        api: Api::Gemini,
        id,
        model: model.to_string(),
        rows,
        phase: Phase::Queued,
        created_at: unix_now(),
        stamps: Vec::new(),
        input_file: input_file.map(str::to_string),
        invalid: Vec::new(),
        label: gemini_value_field(batch, "displayName")
            .cloned()
            .unwrap_or(json!("")),
        output_file: None,
        error_file: None,
        deleted: false,
    };
    let operation = job.gemini_operation(true);
    batches.jobs.push(job);
    HttpResponse::json(200, &operation)
}
