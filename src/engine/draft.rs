//! `draft` as a row's program: its stages run in order, outline/draft/humanize on the lane's own
//! target, research and pictures on targets of their own (with those keys' limiters), each request
//! through the one [`attempt`]. Each finished stage goes to the sidecar file through the sink, so a
//! row that fails late is retried from the stage that failed (in this run or with `--resume`),
//! never paying for earlier stages twice.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Mutex;

use serde_json::{Map, Value, json};

use crate::engine::attempt::{Admission, Call, OnParked, Sent, Unsent, attempt, sizing};
use crate::engine::lane::{Lane, Program};
use crate::engine::queue::Job;
use crate::engine::shared::Shared;
use crate::engine::sink::Outcome;
use crate::engine::target::Target;
use crate::failure::{Failure, FailureKind};
use crate::plan::draft::DraftSettings;
use crate::providers::{Completion, ProviderError, Request, Usage};
use crate::rows::articles::{ArticleFile, file_safe, relative_path};
use crate::rows::stages::StageRecord;
use crate::tasks::draft::{self, Stage, StageOutput};
use crate::tasks::reasoning::Step;
use crate::text::word_count;

pub struct DraftProgram {
    pub settings: DraftSettings,
    pub research: Option<Target>,
    pub images: Option<Target>,
    /// Stages an earlier run finished for rows not yet in the results (from the sidecar file).
    pub resumed: Mutex<HashMap<String, BTreeMap<Stage, StageRecord>>>,
    /// The column whose value is the row's subject (mock answers, alt text, article names).
    pub topic_column: Option<String>,
    /// Input columns renamed in results because they collide with a generated or metadata field.
    pub renames: Vec<(String, String)>,
}

/// What a row keeps between its attempts.
#[derive(Debug, Default)]
pub struct DraftState {
    /// Stages finished so far (this run, or the sidecar file of an earlier one).
    stages: BTreeMap<Stage, StageRecord>,
    /// Whether the sidecar's stages were looked up for the row.
    resumed: bool,
    /// Whether the one same-lane retry of a draft outside its length was used.
    same_lane_retry_used: bool,
}

/// A row's targets for its stages: words, audience and tone.
struct RowTargets {
    words: u32,
    audience: Option<String>,
    tone: Option<String>,
}

impl Program for DraftProgram {
    type State = DraftState;

    async fn run(
        &self,
        shared: &Shared<DraftState>,
        lane: &Lane,
        mut job: Job<DraftState>,
        mut admission: Admission,
    ) {
        self.take_resumed(&mut job);
        let (words, audience, tone) = draft::row_targets(
            &job.row.fields,
            self.settings.words,
            self.settings.audience.as_deref(),
            self.settings.tone.as_deref(),
        );
        let targets = RowTargets {
            words,
            audience,
            tone,
        };
        for &stage in &self.settings.stages {
            if job.state.stages.contains_key(&stage) {
                continue;
            }
            // After Ctrl-C a row stops at a stage boundary: what it finished is in the sidecar
            // file, and --resume goes on from there.
            if shared.dispatcher.is_cancelled() {
                return shared.dispatcher.requeue(job);
            }
            let (target, on_parked) = match stage {
                Stage::Research => (self.research.as_ref(), OnParked::Wait),
                Stage::Images => (self.images.as_ref(), OnParked::Wait),
                _ => (None, OnParked::HandBack),
            };
            let (target, on_parked) = match target {
                Some(target) => (target, on_parked),
                None => (&lane.target, OnParked::HandBack),
            };
            let requests = if stage == Stage::Images {
                self.settings.images
            } else {
                1
            };
            let mut record = StageRecord {
                text: String::new(),
                sources: Vec::new(),
                images: Vec::new(),
                provider: shared.providers[target.provider].name.clone(),
                model: target.model.clone(),
                input_tokens: 0,
                output_tokens: 0,
                reasoning_tokens: 0,
                latency_ms: 0,
                cost_usd: 0.0,
                row_fingerprint: Some(crate::rows::fingerprint_text(job.row.fingerprint())),
            };
            let mut picture = 0;
            while picture < requests {
                let request = match self.request(shared, &job, stage, target, &targets, picture) {
                    Ok(request) => request,
                    Err(failure) => return shared.fail(job, failure).await,
                };
                let (request, expected_reasoning) = request;
                let call = Call {
                    target,
                    step: Step::Stage(stage),
                    request,
                    output_estimate: stage.typical_output_tokens(words) + expected_reasoning,
                    on_parked,
                };
                let row_id = job.row.id.clone();
                let draft_text = job.state.stages.get(&Stage::Draft).map(|d| d.text.clone());
                let check = |answer: &Completion| match stage {
                    Stage::Images => {
                        self.save_picture(&row_id, picture, answer)
                            .map(|path| StageOutput {
                                text: String::new(),
                                sources: Vec::new(),
                                images: vec![path],
                            })
                    }
                    _ => draft::validate(
                        stage,
                        &answer.text,
                        &answer.citations,
                        words,
                        draft_text.as_deref(),
                    ),
                };
                let sent = attempt(shared, lane.index, &mut job, call, &mut admission, check).await;
                match sent {
                    Sent::Answered(answer) => {
                        add_usage(&mut record, answer.completion.usage());
                        record.latency_ms += answer.latency.as_millis() as u64;
                        record.cost_usd += answer.billed_usd;
                        record.text = answer.value.text;
                        record.sources = answer.value.sources;
                        record.images.extend(answer.value.images);
                        picture += 1;
                    }
                    // A draft far off its length gets one more try right here, on the same lane.
                    Sent::Failed(error)
                        if error.kind == FailureKind::InvalidOutput
                            && stage == Stage::Draft
                            && !job.state.same_lane_retry_used =>
                    {
                        job.state.same_lane_retry_used = true;
                        job.counted_failures += 1;
                        if let Some(billed) = error.billed {
                            add_usage(&mut record, billed);
                        }
                    }
                    Sent::Failed(error) => {
                        return shared.retry_or_fail(job, in_stage(stage, error)).await;
                    }
                    // A research or picture key is the only one of its kind: without it the
                    // stage cannot run anywhere.
                    Sent::NotSent(Unsent::Gone) if on_parked == OnParked::Wait => {
                        let failure = Failure {
                            kind: FailureKind::NoLanes,
                            message: format!(
                                "stage `{}`: {} left the pool",
                                stage.name(),
                                shared.providers[target.provider].name
                            ),
                        };
                        return shared.fail(job, failure).await;
                    }
                    Sent::NotSent(_) => return shared.dispatcher.requeue(job),
                }
            }
            job.state.stages.insert(stage, record.clone());
            // Cuts raise the caps of the stage they happened in, not of the stages after it.
            job.cuts = 0;
            job.reasoning_cuts = 0;
            let outcome = Outcome::Stage {
                row_id: job.row.id.clone(),
                stage: stage.name(),
                record,
            };
            let _ = shared.outcomes.send(outcome).await;
        }
        self.finish(shared, lane, job).await;
    }
}

impl DraftProgram {
    /// Stages an earlier run finished for this row's content, the first time a lane takes it.
    fn take_resumed(&self, job: &mut Job<DraftState>) {
        if std::mem::replace(&mut job.state.resumed, true) {
            return;
        }
        let resumed = self
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
            job.state.stages = stages;
        }
    }

    /// The stage's next request for the row, and the reasoning tokens it expects.
    fn request(
        &self,
        shared: &Shared<DraftState>,
        job: &Job<DraftState>,
        stage: Stage,
        target: &Target,
        row: &RowTargets,
        picture: u32,
    ) -> Result<(Request, u64), Failure> {
        let done = &job.state.stages;
        let heading = nth_heading(done, picture as usize);
        let text = |stage: Stage| done.get(&stage).map_or("", |r| r.text.as_str());
        let earlier = draft::Earlier {
            research: text(Stage::Research),
            sources: done
                .get(&Stage::Research)
                .map_or(&[][..], |r| r.sources.as_slice()),
            outline: text(Stage::Outline),
            draft: text(Stage::Draft),
        };
        let extras = draft::template_extras(
            row.words,
            row.audience.as_deref(),
            row.tone.as_deref(),
            earlier,
            heading.as_deref(),
        );
        let template = &self.settings.templates[&stage];
        let prompt = template
            .check_row(&job.row.fields)
            .and_then(|()| template.render_with(&job.row.id, &job.row.fields, &extras))
            .map_err(|message| Failure {
                kind: FailureKind::BadInput,
                message: format!("line {}: stage `{}`: {message}", job.row.line, stage.name()),
            })?;
        let (choice, cap) = sizing(
            shared,
            &target.thinking,
            target.provider,
            Step::Stage(stage),
            stage.answer_tokens(row.words),
            job,
        );
        let request = Request {
            purpose: stage.purpose(),
            model: target.model.clone(),
            system: stage.system_prompt().to_string(),
            prompt,
            shape: crate::providers::OutputShape::Text,
            max_output_tokens: cap,
            reasoning: choice.field,
            topic: job.row.text_of(self.topic_column.as_deref()),
            attempt: job.attempts + 1,
            timeout: shared.providers[target.provider].timeout,
            source_text: done.get(&Stage::Draft).map(|d| d.text.clone()),
            target_words: Some(row.words),
            web_search: stage == Stage::Research,
        };
        Ok((request, u64::from(choice.expected)))
    }

    fn save_picture(&self, row_id: &str, n: u32, answer: &Completion) -> Result<String, String> {
        let image = answer.images.first().ok_or("the answer has no picture")?;
        let extension = match image.mime.as_str() {
            "image/jpeg" => "jpg",
            "image/webp" => "webp",
            _ => "png",
        };
        let name = format!("{}-{}.{extension}", file_safe(row_id), n + 1);
        let path = self.settings.assets.join(name);
        std::fs::write(&path, &image.data)
            .map_err(|e| format!("cannot save `{}`: {e}", path.display()))?;
        Ok(path.to_string_lossy().into_owned())
    }

    /// Every stage is done: the article is assembled and the row's result line written.
    async fn finish(&self, shared: &Shared<DraftState>, lane: &Lane, job: Job<DraftState>) {
        let text = |stage: Stage| {
            job.state
                .stages
                .get(&stage)
                .map(|r| r.text.clone())
                .unwrap_or_default()
        };
        let body = match job.state.stages.get(&Stage::Humanize) {
            Some(humanized) => humanized.text.clone(),
            None => text(Stage::Draft),
        };
        let keyword = job.row.text_of(self.topic_column.as_deref());
        let pictures: Vec<String> = job
            .state
            .stages
            .get(&Stage::Images)
            .map_or_else(Vec::new, |r| r.images.clone());
        let links: Vec<String> = pictures
            .iter()
            .map(|p| match &self.settings.articles_dir {
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
            .state
            .stages
            .get(&Stage::Research)
            .map_or_else(Vec::new, |r| r.sources.clone());
        generated.insert("sources".into(), sources.into());
        generated.insert("images".into(), pictures.into());
        let stages: Map<String, Value> = job
            .state
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
            .state
            .stages
            .values()
            .fold(Usage::default(), |sum, r| Usage {
                input_tokens: sum.input_tokens + r.input_tokens,
                output_tokens: sum.output_tokens + r.output_tokens,
                reasoning_tokens: sum.reasoning_tokens + r.reasoning_tokens,
            });
        let latency_ms = job.state.stages.values().map(|r| r.latency_ms).sum();
        let answered_by = (lane.target.provider, lane.target.model.as_str());
        let record = shared.record(
            &job,
            &self.renames,
            answered_by,
            generated,
            usage,
            latency_ms,
        );
        let article_file = self
            .settings
            .articles_dir
            .as_ref()
            .map(|_| ArticleFile::new(&title, &keyword, &job.row.id, &article));
        shared
            .done(job, lane.target.provider, record, article_file)
            .await;
    }
}

fn add_usage(record: &mut StageRecord, usage: Usage) {
    record.input_tokens += usage.input_tokens;
    record.output_tokens += usage.output_tokens;
    record.reasoning_tokens += usage.reasoning_tokens;
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

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
