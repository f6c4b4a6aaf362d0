//! One provider's Batch API over the shared HTTP client: submit a job (splitting it where the
//! provider's per-job limits require), poll it, cancel it, download its results. The requests
//! and parsers are the pure functions of the provider modules; this only sends them. The offline
//! mock's Batch API ([`crate::batch::mock`]) answers the same four calls without a network.
//! With `--log`, every call (each HTTP request, or each of the mock's calls) writes a line.

use std::ops::Range;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use anyhow::bail;
use secrecy::{ExposeSecret, SecretString};

use crate::batch::job::Part;
use crate::batch::mock::MockBatch;
use crate::batch::wire::{BatchItem, ItemResult, JobStatus, Results};
use crate::batch::{anthropic, gemini, openai};
use crate::engine::request_log::{BatchCall, RequestLog};
use crate::failure::FailureKind;
use crate::providers::Request;
use crate::providers::http::{classify_error, exchange, hide_key};
use crate::providers::mock::MockConfig;
use crate::providers::protocol::Wire;
use crate::providers::wire::{Endpoint, HttpRequest};

/// Where a batch job goes: a provider's Batch API, or the mock's.
pub struct Remote {
    api: Api,
    log: Option<CallLog>,
}

enum Api {
    Http(Http),
    Mock(MockBatch),
}

/// The request log and what its lines say about who made the calls.
pub struct CallLog {
    pub log: RequestLog,
    pub provider: String,
    pub model: String,
    /// The key's label, never the key.
    pub key: String,
}

impl CallLog {
    fn write(&self, call: Call, job: Option<&str>, outcome: Outcome<'_>, latency: Duration) {
        self.log.write_call(&BatchCall {
            call: call.name(),
            job,
            provider: &self.provider,
            model: &self.model,
            key: &self.key,
            status: outcome.status,
            outcome: outcome.kind.map_or("ok", FailureKind::as_str),
            error: outcome.error,
            latency,
        });
    }
}

/// How a call ended, for its line.
struct Outcome<'a> {
    status: Option<u16>,
    /// `None` for a success.
    kind: Option<FailureKind>,
    error: Option<&'a str>,
}

/// The calls a job makes, as the request log names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    StartUpload,
    Upload,
    Create,
    Poll,
    Cancel,
    Download,
}

impl Call {
    fn name(self) -> &'static str {
        match self {
            Call::StartUpload => "upload_start",
            Call::Upload => "upload",
            Call::Create => "create",
            Call::Poll => "poll",
            Call::Cancel => "cancel",
            Call::Download => "download",
        }
    }

    /// What gen was doing, for its errors.
    fn doing(self) -> &'static str {
        match self {
            Call::StartUpload => "starting the upload",
            Call::Upload => "uploading the batch input",
            Call::Create => "creating the batch",
            Call::Poll => "asking for the job",
            Call::Cancel => "cancelling the job",
            Call::Download => "downloading the results",
        }
    }
}

impl Remote {
    /// Batch input is always OpenAI's own dialect (the Batch API is OpenAI's), so none is taken.
    pub fn new(wire: Wire, base_url: String, key: Option<SecretString>, timeout: Duration) -> Self {
        Remote {
            api: Api::Http(Http {
                wire,
                base_url: base_url.trim_end_matches('/').to_string(),
                key,
                timeout,
                log: None,
            }),
            log: None,
        }
    }

    /// The offline mock's Batch API: its jobs keep their answers in files in `state_dir` (the
    /// directory of the local job files), so every command on a job must give the same one.
    pub fn mock(config: MockConfig, state_dir: PathBuf) -> Self {
        Remote {
            api: Api::Mock(MockBatch::new(config, state_dir)),
            log: None,
        }
    }

    /// Every call writes a line in `log` from now on.
    pub fn logged(mut self, log: CallLog) -> Self {
        match &mut self.api {
            Api::Http(http) => http.log = Some(log),
            Api::Mock(_) => self.log = Some(log),
        }
        self
    }

    /// A mock call's line: the mock has no HTTP status, and its only failures are its own.
    fn mock_call<T>(
        &self,
        call: Call,
        job: Option<&str>,
        answer: impl FnOnce() -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let started = Instant::now();
        let result = answer();
        if let Some(log) = &self.log {
            let error = result.as_ref().err().map(|e| format!("{e:#}"));
            let outcome = Outcome {
                status: None,
                kind: error.as_ref().map(|_| FailureKind::Server),
                error: error.as_deref(),
            };
            log.write(call, job, outcome, started.elapsed());
        }
        result
    }

    /// Sends every request as one or more jobs; each part covers a contiguous range of
    /// `requests` (custom ids in order).
    pub async fn submit(
        &self,
        model: &str,
        requests: &[(String, Request)],
    ) -> anyhow::Result<Vec<Part>> {
        match &self.api {
            Api::Http(http) => http.submit(model, requests).await,
            Api::Mock(mock) => {
                let started = Instant::now();
                let parts = mock.submit(requests);
                let (Some(log), Ok(parts)) = (&self.log, &parts) else {
                    return self.mock_call(Call::Create, None, || parts);
                };
                // The mock makes every part in one call; the log has a line per job, as over HTTP.
                for part in parts {
                    let ok = Outcome {
                        status: None,
                        kind: None,
                        error: None,
                    };
                    log.write(Call::Create, Some(&part.remote_id), ok, started.elapsed());
                }
                Ok(parts.clone())
            }
        }
    }

    pub async fn poll(&self, part: &Part) -> anyhow::Result<JobStatus> {
        match &self.api {
            Api::Http(http) => http.poll(part).await,
            Api::Mock(mock) => {
                self.mock_call(Call::Poll, Some(&part.remote_id), || mock.poll(part))
            }
        }
    }

    /// Asks for the part to stop; its status afterwards.
    pub async fn cancel(&self, part: &Part) -> anyhow::Result<JobStatus> {
        match &self.api {
            Api::Http(http) => http.cancel(part).await,
            Api::Mock(mock) => {
                self.mock_call(Call::Cancel, Some(&part.remote_id), || mock.cancel(part))
            }
        }
    }

    /// Every answer of a finished part, by custom id; `keys` are the part's custom ids in order
    /// (a Gemini inline answer may carry only its position).
    pub async fn results(
        &self,
        part: &Part,
        keys: &[&str],
    ) -> anyhow::Result<Vec<(String, ItemResult)>> {
        match &self.api {
            Api::Http(http) => http.results(part, keys).await,
            Api::Mock(mock) => self.mock_call(Call::Download, Some(&part.remote_id), || {
                mock.results(part, keys)
            }),
        }
    }
}

/// A provider's Batch API over HTTP.
struct Http {
    wire: Wire,
    base_url: String,
    key: Option<SecretString>,
    timeout: Duration,
    log: Option<CallLog>,
}

/// The status of an answer, its headers and its body.
type Answer = (u16, Vec<(String, String)>, Vec<u8>);

impl Http {
    fn endpoint(&self) -> Endpoint<'_> {
        Endpoint {
            base_url: &self.base_url,
            api_key: self.key.as_ref().map(|k| k.expose_secret()),
            extra_headers: &[],
        }
    }

    /// Sends one request of `job` (none before it is created) and writes its line.
    async fn send(
        &self,
        request: HttpRequest,
        call: Call,
        job: Option<&str>,
    ) -> anyhow::Result<Answer> {
        let started = Instant::now();
        let answer = exchange(request, self.timeout)
            .await
            .map(|(status, headers, body)| (status, headers, body.as_ref().to_vec()));
        if let Some(log) = &self.log {
            self.write_line(log, call, job, &answer, started.elapsed());
        }
        answer.map_err(|e| anyhow::anyhow!("{}: {e}", call.doing()))
    }

    fn write_line(
        &self,
        log: &CallLog,
        call: Call,
        job: Option<&str>,
        answer: &Result<Answer, crate::providers::ProviderError>,
        latency: Duration,
    ) {
        match answer {
            Ok((status, _, body)) if (200..300).contains(status) => {
                // The job's id is in the creating call's line, so a job whose state file was
                // never written (gen stopped right after) can still be found and cancelled.
                let created = (call == Call::Create).then(|| created_id(body)).flatten();
                let ok = Outcome {
                    status: Some(*status),
                    kind: None,
                    error: None,
                };
                log.write(call, job.or(created.as_deref()), ok, latency);
            }
            Ok((status, headers, body)) => {
                let mut error = classify_error(self.wire, *status, headers, body);
                hide_key(&mut error.message, self.key.as_ref());
                let failed = Outcome {
                    status: Some(*status),
                    kind: Some(error.kind),
                    error: Some(&error.message),
                };
                log.write(call, job, failed, latency);
            }
            Err(error) => {
                let failed = Outcome {
                    status: None,
                    kind: Some(error.kind),
                    error: Some(&error.message),
                };
                log.write(call, job, failed, latency);
            }
        }
    }

    async fn submit(
        &self,
        model: &str,
        requests: &[(String, Request)],
    ) -> anyhow::Result<Vec<Part>> {
        let items: Vec<BatchItem> = requests
            .iter()
            .map(|(custom_id, request)| BatchItem { custom_id, request })
            .collect();
        let cut = crate::batch::split::cut(self.wire, &items)?;
        let gemini_by_file = cut.by_file;
        let ranges: Vec<Range<usize>> = cut.jobs.into_iter().map(|(range, _)| range).collect();
        let mut parts = Vec::with_capacity(ranges.len());
        for (n, range) in ranges.into_iter().enumerate() {
            let part_items = &items[range.clone()];
            let display_name = format!("gen-{}", n + 1);
            let part = match self.wire {
                Wire::OpenAi => self.submit_openai(part_items, &display_name).await?,
                Wire::Anthropic => self.submit_anthropic(part_items).await?,
                Wire::Gemini if gemini_by_file => {
                    self.submit_gemini_file(model, part_items, &display_name)
                        .await?
                }
                Wire::Gemini => {
                    self.submit_gemini_inline(model, part_items, &display_name)
                        .await?
                }
            };
            parts.push(Part {
                range: (range.start, range.end),
                ..part
            });
        }
        Ok(parts)
    }

    async fn submit_openai(
        &self,
        items: &[BatchItem<'_>],
        display_name: &str,
    ) -> anyhow::Result<Part> {
        let jsonl: String = items
            .iter()
            .map(|item| openai::input_line(item) + "\n")
            .collect();
        let upload = openai::upload_request(
            &self.endpoint(),
            &format!("{display_name}.jsonl"),
            jsonl.as_bytes(),
        );
        let (status, headers, body) = self.send(upload, Call::Upload, None).await?;
        let file_id = openai::parse_upload(status, &headers, &body, SystemTime::now())
            .map_err(|e| anyhow::anyhow!("uploading the batch input: {e}"))?;
        let create = openai::create_request(&self.endpoint(), &file_id, &[("created_by", "gen")]);
        let (status, headers, body) = self.send(create, Call::Create, None).await?;
        let (id, job) = openai::parse_job(status, &headers, &body, SystemTime::now())
            .map_err(|e| anyhow::anyhow!("creating the batch: {e}"))?;
        Ok(part(id, items.len(), &job, false))
    }

    async fn submit_anthropic(&self, items: &[BatchItem<'_>]) -> anyhow::Result<Part> {
        let create = anthropic::create_request(&self.endpoint(), items)?;
        let (status, headers, body) = self.send(create, Call::Create, None).await?;
        let (id, job) = anthropic::parse_job(status, &headers, &body, SystemTime::now())
            .map_err(|e| anyhow::anyhow!("creating the batch: {e}"))?;
        Ok(part(id, items.len(), &job, false))
    }

    async fn submit_gemini_inline(
        &self,
        model: &str,
        items: &[BatchItem<'_>],
        display_name: &str,
    ) -> anyhow::Result<Part> {
        let create = gemini::create_inline_request(&self.endpoint(), model, display_name, items)?;
        let (status, headers, body) = self.send(create, Call::Create, None).await?;
        let (id, job) = gemini::parse_job(status, &headers, &body, SystemTime::now())
            .map_err(|e| anyhow::anyhow!("creating the batch: {e}"))?;
        Ok(part(id, items.len(), &job, true))
    }

    async fn submit_gemini_file(
        &self,
        model: &str,
        items: &[BatchItem<'_>],
        display_name: &str,
    ) -> anyhow::Result<Part> {
        let jsonl: String = items
            .iter()
            .map(|item| gemini::input_line(item) + "\n")
            .collect();
        let start =
            gemini::upload_start_request(&self.endpoint(), jsonl.len() as u64, display_name);
        let (status, headers, body) = self.send(start, Call::StartUpload, None).await?;
        let session = gemini::parse_upload_start(status, &headers, &body, SystemTime::now())
            .map_err(|e| anyhow::anyhow!("starting the upload: {e}"))?;
        let finish = gemini::upload_finish_request(&self.endpoint(), &session, jsonl.as_bytes())?;
        let (status, headers, body) = self.send(finish, Call::Upload, None).await?;
        let file = gemini::parse_upload_finish(status, &headers, &body, SystemTime::now())
            .map_err(|e| anyhow::anyhow!("uploading the batch input: {e}"))?;
        let create = gemini::create_request(&self.endpoint(), model, display_name, &file)?;
        let (status, headers, body) = self.send(create, Call::Create, None).await?;
        let (id, job) = gemini::parse_job(status, &headers, &body, SystemTime::now())
            .map_err(|e| anyhow::anyhow!("creating the batch: {e}"))?;
        Ok(part(id, items.len(), &job, false))
    }

    /// The part's current status, and the poll's body (a Gemini inline job carries its answers).
    async fn status(&self, part: &Part) -> anyhow::Result<(JobStatus, Vec<u8>)> {
        let request = match self.wire {
            Wire::OpenAi => openai::poll_request(&self.endpoint(), &part.remote_id),
            Wire::Anthropic => anthropic::poll_request(&self.endpoint(), &part.remote_id),
            Wire::Gemini => gemini::poll_request(&self.endpoint(), &part.remote_id)?,
        };
        let (status, headers, body) = self
            .send(request, Call::Poll, Some(&part.remote_id))
            .await?;
        let parsed = match self.wire {
            Wire::OpenAi => openai::parse_job(status, &headers, &body, SystemTime::now()),
            Wire::Anthropic => anthropic::parse_job(status, &headers, &body, SystemTime::now()),
            Wire::Gemini => gemini::parse_job(status, &headers, &body, SystemTime::now()),
        };
        let (_, job) = parsed.map_err(|e| anyhow::anyhow!("job {}: {e}", part.remote_id))?;
        Ok((job, body))
    }

    async fn poll(&self, part: &Part) -> anyhow::Result<JobStatus> {
        Ok(self.status(part).await?.0)
    }

    async fn cancel(&self, part: &Part) -> anyhow::Result<JobStatus> {
        let request = match self.wire {
            Wire::OpenAi => openai::cancel_request(&self.endpoint(), &part.remote_id),
            Wire::Anthropic => anthropic::cancel_request(&self.endpoint(), &part.remote_id),
            Wire::Gemini => gemini::cancel_request(&self.endpoint(), &part.remote_id)?,
        };
        let (status, _, body) = self
            .send(request, Call::Cancel, Some(&part.remote_id))
            .await?;
        if !(200..300).contains(&status) {
            bail!(
                "cancelling job {}: HTTP {status}: {}",
                part.remote_id,
                String::from_utf8_lossy(&body)
            );
        }
        self.poll(part).await
    }

    async fn results(
        &self,
        part: &Part,
        keys: &[&str],
    ) -> anyhow::Result<Vec<(String, ItemResult)>> {
        let results = match self.wire {
            Wire::Gemini if part.inline => {
                let (_, body) = self.status(part).await?;
                gemini::parse_inline_results(&body, keys)
                    .map_err(|e| anyhow::anyhow!("job {}: {e}", part.remote_id))?
            }
            _ => {
                let mut all = Results::default();
                for file in [&part.output, &part.error_output].into_iter().flatten() {
                    let request = match self.wire {
                        Wire::OpenAi => openai::content_request(&self.endpoint(), file),
                        Wire::Anthropic => anthropic::results_request(&self.endpoint(), file)?,
                        Wire::Gemini => gemini::download_request(&self.endpoint(), file)?,
                    };
                    let (status, _, body) = self
                        .send(request, Call::Download, Some(&part.remote_id))
                        .await?;
                    if !(200..300).contains(&status) {
                        bail!(
                            "downloading the results of job {}: HTTP {status}",
                            part.remote_id
                        );
                    }
                    let parsed = match self.wire {
                        Wire::OpenAi => openai::parse_results(&body),
                        Wire::Anthropic => anthropic::parse_results(&body),
                        Wire::Gemini => gemini::parse_results(&body),
                    };
                    all.items.extend(parsed.items);
                    all.skipped.extend(parsed.skipped);
                }
                all
            }
        };
        for skipped in &results.skipped {
            eprintln!(
                "gen: job {}: result line {} skipped: {}",
                part.remote_id, skipped.line, skipped.reason
            );
        }
        Ok(results.items)
    }
}

/// The id in a job-creating answer: `id` on OpenAI and Anthropic, `name` on Gemini.
fn created_id(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    ["id", "name"]
        .into_iter()
        .find_map(|field| value.get(field)?.as_str().map(str::to_string))
}

fn part(remote_id: String, items: usize, job: &JobStatus, inline: bool) -> Part {
    Part {
        remote_id,
        items,
        range: (0, 0),
        state: job.state.name().to_string(),
        output: job.output.clone(),
        error_output: job.error_output.clone(),
        inline,
    }
}

/// The custom ids of a part, from the job's row list.
pub fn part_keys(rows: &[(String, String)], range: Range<usize>) -> Vec<&str> {
    rows[range]
        .iter()
        .map(|(custom_id, _)| custom_id.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::wire::JobState;

    #[test]
    fn the_mock_remote_serves_a_job_through_the_same_four_calls() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = MockConfig::new("mock");
        config.batch_duration = Duration::from_secs(60);
        let remote = Remote::mock(config, dir.path().to_path_buf());
        let requests: Vec<(String, Request)> = (0..3)
            .map(|i| (format!("r{i}"), Request::sample("mock-1", 512)))
            .collect();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let parts = rt.block_on(remote.submit("mock-1", &requests)).unwrap();
        assert_eq!(parts.len(), 1);
        let part = &parts[0];
        assert_eq!(part.range, (0, 3));
        let status = rt.block_on(remote.poll(part)).unwrap();
        assert_eq!(status.state, JobState::Pending);
        let status = rt.block_on(remote.cancel(part)).unwrap();
        assert_eq!(status.state, JobState::Cancelled);
        let rows: Vec<(String, String)> =
            (0..3).map(|i| (format!("r{i}"), i.to_string())).collect();
        let keys = part_keys(&rows, 0..3);
        let results = rt.block_on(remote.results(part, &keys)).unwrap();
        assert_eq!(
            results,
            keys.iter()
                .map(|k| (k.to_string(), ItemResult::Cancelled))
                .collect::<Vec<_>>()
        );
    }
}
