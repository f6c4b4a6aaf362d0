//! `draft` on a lane: a row's stages run in order, outline/draft/humanize on the lane's own
//! provider, research and pictures on their own targets (with those keys' limiters). Each finished
//! stage goes to a sidecar file through the sink, so a row that fails late is retried from the
//! stage that failed (in this run or with `--resume`), never paying for earlier stages twice.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::engine::lane::{Lane, Shared, account, fail, reserve_budget, sizing};
use crate::engine::limiter::KeyState;
use crate::engine::queue::Job;
use crate::engine::sink::Outcome;
use crate::failure::{Failure, FailureKind};
use crate::plan::draft::DraftSettings;
use crate::providers::reasoning::Thinking;
use crate::providers::{Provider, ProviderError, Request, estimate_tokens};
use crate::tasks::draft::{self, Stage, StageOutput};
use crate::tasks::reasoning::Step;
use crate::text::{slugify, word_count};

/// What a finished stage left: its text (or picture paths) and what it cost, as the sidecar
/// file and the result line's `stages` keep it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageRecord {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    pub provider: String,
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// The reasoning in `output_tokens` (sidecar files of older runs have none).
    #[serde(default)]
    pub reasoning_tokens: u64,
    pub latency_ms: u64,
    pub cost_usd: f64,
    /// The content of the row the stage was written for: a resumed row takes only stages of its
    /// own content, whatever its id (ids that are row numbers move).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_fingerprint: Option<String>,
}

/// A stage that runs away from the row's lane, with its key and client.
pub struct TargetRuntime {
    pub provider: usize,
    pub model: String,
    pub price: Option<(f64, f64)>,
    pub key: Arc<KeyState>,
    pub client: Arc<dyn Provider>,
    pub thinking: Thinking,
}

/// Everything the lanes need to run drafts.
pub struct DraftRuntime {
    pub settings: DraftSettings,
    pub research: Option<TargetRuntime>,
    pub image_model: Option<TargetRuntime>,
    /// Stages an earlier run finished for rows not yet in the results (from the sidecar file).
    pub resumed: Mutex<HashMap<String, BTreeMap<Stage, StageRecord>>>,
}

/// Which key, client and model a stage's request goes to.
struct Route<'a> {
    key: &'a KeyState,
    client: &'a Arc<dyn Provider>,
    provider: usize,
    model: &'a str,
    price: Option<(f64, f64)>,
    thinking: &'a Thinking,
    /// The lane's own provider: when its key is parked the row goes back to the queue; a
    /// research or picture key has no alternative, so the lane waits for it.
    own: bool,
}

impl Lane {
    pub(crate) async fn run_draft(&self, shared: &Shared, draft: &DraftRuntime, mut job: Job) {
        if job.stages.is_empty() {
            let resumed = draft
                .resumed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&job.row.id);
            let own = crate::rows::fingerprint_text(job.row.fingerprint());
            if let Some(mut stages) = resumed {
                stages.retain(|_, record| {
                    record
                        .row_fingerprint
                        .as_ref()
                        .is_none_or(|written_for| *written_for == own)
                });
                job.stages = stages;
            }
        }
        let (words, audience, tone) = draft::row_targets(
            &job.row.fields,
            draft.settings.words,
            draft.settings.audience.as_deref(),
            draft.settings.tone.as_deref(),
        );
        // The lane took one request permit of its own key before it took the row.
        let mut own_permit = true;
        for &stage in &draft.settings.stages {
            if job.stages.contains_key(&stage) {
                continue;
            }
            // After Ctrl-C a row stops at a stage boundary: what it finished is in the sidecar
            // file, and --resume goes on from there.
            if shared.dispatcher.is_cancelled() {
                shared.dispatcher.requeue(job);
                return;
            }
            let route = self.route(stage, draft);
            let requests = if stage == Stage::Images {
                draft.settings.images
            } else {
                1
            };
            let mut record = StageRecord {
                text: String::new(),
                sources: Vec::new(),
                images: Vec::new(),
                provider: shared.providers[route.provider].name.clone(),
                model: route.model.to_string(),
                input_tokens: 0,
                output_tokens: 0,
                reasoning_tokens: 0,
                latency_ms: 0,
                cost_usd: 0.0,
                row_fingerprint: Some(crate::rows::fingerprint_text(job.row.fingerprint())),
            };
            let mut picture = 0;
            while picture < requests {
                if !self.wait_for(shared, &route, &mut own_permit).await {
                    if route.own {
                        shared.dispatcher.requeue(job);
                    } else {
                        let failure = Failure {
                            kind: FailureKind::NoLanes,
                            message: format!(
                                "stage `{}`: {} left the pool",
                                stage.name(),
                                shared.providers[route.provider].name
                            ),
                        };
                        fail(shared, job, failure).await;
                    }
                    return;
                }
                let heading = nth_heading(&job.stages, picture as usize);
                let text = |stage: Stage| job.stages.get(&stage).map_or("", |r| r.text.as_str());
                let earlier = draft::Earlier {
                    research: text(Stage::Research),
                    sources: job
                        .stages
                        .get(&Stage::Research)
                        .map_or(&[][..], |r| r.sources.as_slice()),
                    outline: text(Stage::Outline),
                    draft: text(Stage::Draft),
                };
                let extras = draft::template_extras(
                    words,
                    audience.as_deref(),
                    tone.as_deref(),
                    earlier,
                    heading.as_deref(),
                );
                let template = &draft.settings.templates[&stage];
                let line = job.row.line;
                let prompt = match template
                    .check_row(&job.row.fields)
                    .and_then(|()| template.render_with(&job.row.id, &job.row.fields, &extras))
                {
                    Ok(prompt) => prompt,
                    Err(message) => {
                        let failure = Failure {
                            kind: FailureKind::BadInput,
                            message: format!("line {line}: stage `{}`: {message}", stage.name()),
                        };
                        fail(shared, job, failure).await;
                        return;
                    }
                };
                let (choice, cap) = sizing(
                    shared,
                    route.thinking,
                    route.provider,
                    Step::Stage(stage),
                    stage.answer_tokens(words),
                    &job,
                );
                let request = Request {
                    purpose: stage.purpose(),
                    model: route.model.to_string(),
                    system: stage.system_prompt().to_string(),
                    prompt,
                    shape: crate::providers::OutputShape::Text,
                    max_output_tokens: cap,
                    reasoning: choice.field,
                    topic: job.row.text_of(shared.topic_column.as_deref()),
                    attempt: job.attempts + 1,
                    timeout: shared.providers[route.provider].timeout,
                    source_text: job.stages.get(&Stage::Draft).map(|d| d.text.clone()),
                    target_words: Some(words),
                    web_search: stage == Stage::Research,
                };
                let input_estimate =
                    estimate_tokens(&request.system) + estimate_tokens(&request.prompt);
                let output_estimate =
                    stage.typical_output_tokens(words) + u64::from(choice.expected);
                let estimated_tokens = input_estimate + output_estimate;
                if route.key.has_token_limit() {
                    route.key.charge_tokens(estimated_tokens).await;
                }
                let Some(reserved_usd) =
                    reserve_budget(shared, route.price, input_estimate, output_estimate)
                else {
                    shared.dispatcher.requeue(job);
                    return;
                };
                let stats = &shared.stats.providers[route.provider];
                job.record_try(self.index, route.provider);
                stats.in_flight.fetch_add(1, Relaxed);
                let started = Instant::now();
                let answer = route.client.complete(&request).await;
                let latency = started.elapsed();
                if route.own {
                    self.observe(shared, latency, &answer);
                }
                stats.in_flight.fetch_sub(1, Relaxed);
                stats.requests.fetch_add(1, Relaxed);
                stats
                    .latency_ms_total
                    .fetch_add(latency.as_millis() as u64, Relaxed);
                let spent_before = job.cost_usd;
                account(
                    shared,
                    &mut job,
                    route.provider,
                    route.price,
                    reserved_usd,
                    &answer,
                );
                let billed = job.cost_usd - spent_before;
                let completion = match answer {
                    Ok(completion) => completion,
                    Err(error) => {
                        self.stage_failed(shared, job, &route, in_stage(stage, error))
                            .await;
                        return;
                    }
                };
                route.key.record_success();
                let used = completion.input_tokens + completion.output_tokens;
                if route.key.has_token_limit() && used > estimated_tokens {
                    route.key.charge_tokens(used - estimated_tokens).await;
                }
                if let Some(rest) = completion.exhausted_for {
                    let until = route.key.park(Some(rest));
                    shared.stats.mark_parked(route.provider, until);
                }
                record.input_tokens += completion.input_tokens;
                record.output_tokens += completion.output_tokens;
                record.reasoning_tokens += completion.reasoning_tokens;
                record.latency_ms += latency.as_millis() as u64;
                record.cost_usd += billed;

                let draft_text = job.stages.get(&Stage::Draft).map(|d| d.text.as_str());
                let checked = if stage == Stage::Images {
                    self.save_picture(draft, &job, picture, &completion.images)
                        .map(|path| StageOutput {
                            text: String::new(),
                            sources: Vec::new(),
                            images: vec![path],
                        })
                } else {
                    draft::validate(
                        stage,
                        &completion.text,
                        &completion.citations,
                        words,
                        draft_text,
                    )
                };
                match checked {
                    Ok(output) => {
                        record.text = output.text;
                        record.sources = output.sources;
                        record.images.extend(output.images);
                        picture += 1;
                    }
                    // A draft far off its length gets one more try right here, on the same lane.
                    Err(_) if stage == Stage::Draft && !job.same_lane_retry_used => {
                        job.same_lane_retry_used = true;
                        job.counted_failures += 1;
                        stats.record_error(FailureKind::InvalidOutput);
                    }
                    Err(message) => {
                        let error = in_stage(
                            stage,
                            ProviderError::new(FailureKind::InvalidOutput, message),
                        );
                        self.stage_failed(shared, job, &route, error).await;
                        return;
                    }
                }
            }
            job.stages.insert(stage, record.clone());
            // Cuts raise the caps of the stage they happened in, not of the stages after it.
            job.cuts = 0;
            job.reasoning_cuts = 0;
            let outcome = Outcome::Stage {
                row_id: job.row.id.clone(),
                stage,
                record,
            };
            let _ = shared.outcomes.send(outcome).await;
        }
        self.finish_draft(shared, draft, job).await;
    }

    /// A stage's failed attempt, judged against the key and model that answered it.
    async fn stage_failed(
        &self,
        shared: &Shared,
        job: Job,
        route: &Route<'_>,
        error: ProviderError,
    ) {
        self.after_error_on(shared, job, error, route.key, route.provider, route.model)
            .await;
    }

    fn route<'a>(&'a self, stage: Stage, draft: &'a DraftRuntime) -> Route<'a> {
        let target = match stage {
            Stage::Research => draft.research.as_ref(),
            Stage::Images => draft.image_model.as_ref(),
            _ => None,
        };
        match target {
            Some(t) => Route {
                key: &t.key,
                client: &t.client,
                provider: t.provider,
                model: &t.model,
                price: t.price,
                thinking: &t.thinking,
                own: false,
            },
            None => Route {
                key: &self.key,
                client: &self.client,
                provider: self.provider,
                model: &self.model,
                price: self.price,
                thinking: &self.thinking,
                own: true,
            },
        }
    }

    /// Waits until the route's key may send; false when it cannot (removed, or the lane's own
    /// key is parked and the row should go to another lane).
    async fn wait_for(&self, shared: &Shared, route: &Route<'_>, own_permit: &mut bool) -> bool {
        loop {
            if !route.key.serves(route.model) {
                return false;
            }
            match route.key.parked_until() {
                Some(_) if route.own => return false,
                Some(until) => {
                    shared.stats.mark_parked(route.provider, until);
                    tokio::time::sleep_until(until.into()).await;
                }
                None => break,
            }
        }
        if route.own && *own_permit {
            *own_permit = false;
        } else {
            route.key.until_ready(0).await;
        }
        true
    }

    fn save_picture(
        &self,
        draft: &DraftRuntime,
        job: &Job,
        n: u32,
        images: &[crate::providers::Image],
    ) -> Result<String, String> {
        let image = images.first().ok_or("the answer has no picture")?;
        let extension = match image.mime.as_str() {
            "image/jpeg" => "jpg",
            "image/webp" => "webp",
            _ => "png",
        };
        let name = format!("{}-{}.{extension}", file_safe(&job.row.id), n + 1);
        let path = draft.settings.assets.join(name);
        std::fs::write(&path, &image.data)
            .map_err(|e| format!("cannot save `{}`: {e}", path.display()))?;
        Ok(path.to_string_lossy().into_owned())
    }

    async fn finish_draft(&self, shared: &Shared, draft: &DraftRuntime, job: Job) {
        let text = |stage: Stage| {
            job.stages
                .get(&stage)
                .map(|r| r.text.clone())
                .unwrap_or_default()
        };
        let body = match job.stages.get(&Stage::Humanize) {
            Some(humanized) => humanized.text.clone(),
            None => text(Stage::Draft),
        };
        let keyword = job.row.text_of(shared.topic_column.as_deref());
        let pictures: Vec<String> = job
            .stages
            .get(&Stage::Images)
            .map_or_else(Vec::new, |r| r.images.clone());
        let links: Vec<String> = pictures
            .iter()
            .map(|p| match &draft.settings.articles_dir {
                Some(dir) => relative_path(dir, Path::new(p)),
                None => p.clone(),
            })
            .collect();
        let article = with_pictures(&body, &links, &keyword);
        let title = article
            .lines()
            .find_map(|l| l.strip_prefix("# "))
            .map_or_else(|| keyword.clone(), |t| t.trim().to_string());
        let mut generated = Map::new();
        generated.insert("title".into(), title.clone().into());
        generated.insert("article".into(), article.clone().into());
        generated.insert("word_count".into(), word_count(&article).into());
        generated.insert("outline".into(), text(Stage::Outline).into());
        generated.insert("research".into(), text(Stage::Research).into());
        let sources = job
            .stages
            .get(&Stage::Research)
            .map_or_else(Vec::new, |r| r.sources.clone());
        generated.insert("sources".into(), sources.into());
        generated.insert("images".into(), pictures.into());
        let stages: Map<String, Value> = job
            .stages
            .iter()
            .map(|(stage, r)| {
                let summary = json!({
                    "provider": r.provider, "model": r.model, "input_tokens": r.input_tokens,
                    "output_tokens": r.output_tokens, "reasoning_tokens": r.reasoning_tokens,
                    "latency_ms": r.latency_ms, "cost_usd": r.cost_usd,
                });
                (stage.name().to_string(), summary)
            })
            .collect();
        generated.insert("stages".into(), stages.into());
        let usage = job
            .stages
            .values()
            .fold(crate::providers::Usage::default(), |sum, r| {
                crate::providers::Usage {
                    input_tokens: sum.input_tokens + r.input_tokens,
                    output_tokens: sum.output_tokens + r.output_tokens,
                    reasoning_tokens: sum.reasoning_tokens + r.reasoning_tokens,
                }
            });
        let latency_ms = job.stages.values().map(|r| r.latency_ms).sum();
        let record = self.record_with(shared, &job, generated, usage, latency_ms);
        let article_file = draft
            .settings
            .articles_dir
            .as_ref()
            .map(|_| ArticleFile::new(&title, &keyword, &job.row.id, &article));
        let outcome = Outcome::Done {
            seq: job.row.seq,
            provider: self.provider,
            record,
            article: article_file,
        };
        let _ = shared.outcomes.send(outcome).await;
        shared.dispatcher.finish();
    }
}

fn in_stage(stage: Stage, mut error: ProviderError) -> ProviderError {
    error.message = format!("stage `{}`: {}", stage.name(), error.message);
    error
}

/// The n-th `##` heading of the outline (or the draft), for a picture's prompt.
fn nth_heading(done: &BTreeMap<Stage, StageRecord>, n: usize) -> Option<String> {
    let source = done
        .get(&Stage::Outline)
        .or_else(|| done.get(&Stage::Draft))?;
    let headings: Vec<&str> = source
        .text
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .collect();
    headings
        .get(n % headings.len().max(1))
        .map(|h| h.trim().to_string())
}

/// The article with picture n placed under its (n+1)-th `##` heading, with alt text.
fn with_pictures(article: &str, links: &[String], keyword: &str) -> String {
    if links.is_empty() {
        return article.to_string();
    }
    let mut out = String::with_capacity(article.len() + links.len() * 80);
    let mut next = 0;
    for line in article.lines() {
        out.push_str(line);
        out.push('\n');
        if let Some(heading) = line.strip_prefix("## ") {
            if let Some(link) = links.get(next) {
                out.push_str(&format!("\n![{}: {}]({link})\n", keyword, heading.trim()));
                next += 1;
            }
        }
    }
    for link in &links[next.min(links.len())..] {
        out.push_str(&format!("\n![{keyword}]({link})\n"));
    }
    out
}

/// A row id as a file name: what a file system takes everywhere.
fn file_safe(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.is_empty() { "row".into() } else { safe }
}

/// `to` as seen from the folder `from`, e.g. `../assets/7-1.png`.
pub fn relative_path(from: &Path, to: &Path) -> String {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (from, to) = (absolute(from), absolute(to));
    let from: Vec<Component> = from.components().collect();
    let to_parts: Vec<Component> = to.components().collect();
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<String> =
        std::iter::repeat_n("..".to_string(), from.len() - common).collect();
    parts.extend(
        to_parts[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// An article as a markdown file with YAML front matter, for static-site generators.
#[derive(Debug)]
pub struct ArticleFile {
    pub slug: String,
    pub id: String,
    pub contents: String,
}

impl ArticleFile {
    fn new(title: &str, keyword: &str, id: &str, article: &str) -> Self {
        let slug = [title, keyword]
            .iter()
            .map(|t| slugify(t))
            .find(|s| !s.is_empty())
            .unwrap_or_else(|| file_safe(id));
        let description = article
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("!["))
            .map(|p| truncate(p, 160))
            .unwrap_or_default();
        let yaml = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let contents = format!(
            "---\ntitle: {}\ndescription: {}\nslug: {}\nkeyword: {}\n---\n\n{article}",
            yaml(title),
            yaml(&description),
            yaml(&slug),
            yaml(keyword)
        );
        ArticleFile {
            slug,
            id: id.to_string(),
            contents,
        }
    }

    /// Writes `<slug>.md`, or `<slug>-<id>.md` when another row already took the name.
    pub fn write_into(&self, dir: &Path) -> std::io::Result<()> {
        let mut path = dir.join(format!("{}.md", self.slug));
        if path.exists() {
            path = dir.join(format!("{}-{}.md", self.slug, file_safe(&self.id)));
        }
        std::fs::write(path, &self.contents)
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    match cut.rfind(' ') {
        Some(space) => format!("{}…", &cut[..space]),
        None => cut,
    }
}

/// Appends finished stages to the sidecar file, one flushed JSON line each.
pub struct StageWriter {
    file: File,
    path: PathBuf,
}

impl StageWriter {
    pub fn open(path: &Path, truncate: bool) -> anyhow::Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(!truncate)
            .write(true)
            .truncate(truncate)
            .open(path)
            .with_context(|| format!("cannot open the stage file `{}`", path.display()))?;
        Ok(StageWriter {
            file,
            path: path.to_path_buf(),
        })
    }

    pub fn append(
        &mut self,
        row_id: &str,
        stage: Stage,
        record: &StageRecord,
    ) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(
            &json!({ "row_id": row_id, "stage": stage.name(), "record": record }),
        )
        .map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|()| self.file.flush())
            .map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("the stage file `{}`: {e}", self.path.display()),
                )
            })
    }
}

/// Finished stages in a sidecar file for the rows `unfinished` accepts; a torn last line (a crash
/// mid-write) is cut, as in the results file.
pub fn load_stages(
    path: &Path,
    unfinished: impl Fn(&str) -> bool,
) -> anyhow::Result<HashMap<String, BTreeMap<Stage, StageRecord>>> {
    let mut stages: HashMap<String, BTreeMap<Stage, StageRecord>> = HashMap::new();
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(stages),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot read the stage file `{}`", path.display()));
        }
    };
    let mut reader = BufReader::new(file);
    let (mut good_end, mut offset, mut line) = (0u64, 0u64, String::new());
    loop {
        line.clear();
        let read = reader
            .read_line(&mut line)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        if read == 0 {
            break;
        }
        offset += read as u64;
        #[derive(Deserialize)]
        struct Line {
            row_id: String,
            stage: String,
            record: StageRecord,
        }
        let parsed = line
            .ends_with('\n')
            .then(|| serde_json::from_str::<Line>(&line).ok())
            .flatten();
        let Some(entry) = parsed else { break };
        good_end = offset;
        let Some(stage) = Stage::parse(&entry.stage) else {
            continue;
        };
        if unfinished(&entry.row_id) {
            stages
                .entry(entry.row_id)
                .or_default()
                .insert(stage, entry.record);
        }
    }
    let length = std::fs::metadata(path).map(|m| m.len()).unwrap_or(good_end);
    if length > good_end {
        let file = OpenOptions::new().write(true).open(path)?;
        file.set_len(good_end)
            .with_context(|| format!("cannot cut the torn end of `{}`", path.display()))?;
    }
    Ok(stages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(text: &str) -> StageRecord {
        StageRecord {
            text: text.into(),
            sources: vec![],
            images: vec![],
            provider: "mock".into(),
            model: "mock-1".into(),
            input_tokens: 1,
            output_tokens: 2,
            reasoning_tokens: 0,
            latency_ms: 3,
            cost_usd: 0.0,
            row_fingerprint: None,
        }
    }

    #[test]
    fn stages_survive_the_sidecar_and_a_torn_line_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let mut writer = StageWriter::open(&path, true).unwrap();
        writer
            .append("1", Stage::Research, &record("notes"))
            .unwrap();
        writer.append("1", Stage::Draft, &record("body")).unwrap();
        writer
            .append("2", Stage::Research, &record("other"))
            .unwrap();
        drop(writer);
        let mut bytes = std::fs::read(&path).unwrap();
        let whole = bytes.len();
        bytes.extend_from_slice(b"{\"row_id\":\"3\",\"sta");
        std::fs::write(&path, &bytes).unwrap();
        let loaded = load_stages(&path, |id| id != "2").unwrap();
        assert_eq!(loaded.len(), 1, "row 2 is finished");
        assert_eq!(loaded["1"][&Stage::Draft].text, "body");
        assert_eq!(std::fs::metadata(&path).unwrap().len() as usize, whole);
    }

    #[test]
    fn pictures_go_under_headings_with_relative_links() {
        let article = "# T\n\n## One\ntext\n## Two\ntext\n";
        let out = with_pictures(
            article,
            &["a/1.png".into(), "a/2.png".into(), "a/3.png".into()],
            "kw",
        );
        assert!(out.contains("## One\n\n![kw: One](a/1.png)"), "{out}");
        assert!(out.contains("## Two\n\n![kw: Two](a/2.png)"), "{out}");
        assert!(out.trim_end().ends_with("![kw](a/3.png)"), "{out}");
        assert_eq!(
            relative_path(Path::new("/x/articles"), Path::new("/x/assets/1.png")),
            "../assets/1.png"
        );
    }

    #[test]
    fn article_files_have_front_matter_and_a_unique_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = ArticleFile::new(
            "Trail \"Shoes\"",
            "trail shoes",
            "7",
            "# Trail Shoes\n\nFirst paragraph here.\n",
        );
        assert!(file.contents.starts_with("---\ntitle: \"Trail \\\"Shoes\\\"\"\ndescription: \"First paragraph here.\"\nslug: \"trail-shoes\""), "{}", file.contents);
        file.write_into(dir.path()).unwrap();
        file.write_into(dir.path()).unwrap();
        assert!(
            dir.path().join("trail-shoes.md").exists()
                && dir.path().join("trail-shoes-7.md").exists()
        );
    }
}
