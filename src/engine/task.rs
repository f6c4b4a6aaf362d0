//! `seo`, `outline` and `--template` runs: one self-contained request per row, whose answer the
//! task validates into its fields.

use crate::engine::attempt::{Admission, Call, OnParked, Sent, attempt, sizing};
use crate::engine::lane::{Lane, Program};
use crate::engine::queue::Job;
use crate::engine::shared::Shared;
use crate::failure::{Failure, FailureKind};
use crate::tasks::Task;
use crate::tasks::reasoning::Step;
use crate::tasks::template::PromptTemplate;

pub struct TaskProgram {
    pub task: Task,
    pub template: PromptTemplate,
    /// The column whose value is the row's subject (mock answers and previews).
    pub topic_column: Option<String>,
    /// Input columns renamed in results because they collide with a generated or metadata field.
    pub renames: Vec<(String, String)>,
}

/// What a row keeps between its attempts.
#[derive(Debug, Default)]
pub struct TaskState {
    /// The row's prompt, rendered once and reused by every attempt.
    prompt: Option<String>,
    /// Why the last answer failed the task's checks: the next attempt's prompt says so, so the
    /// model corrects that answer rather than guess again.
    rejection: Option<String>,
}

impl Program for TaskProgram {
    type State = TaskState;

    async fn run(
        &self,
        shared: &Shared<TaskState>,
        lane: &Lane,
        mut job: Job<TaskState>,
        mut admission: Admission,
    ) {
        let prompt = match self.prompt_for(&mut job) {
            Ok(prompt) => prompt,
            Err(failure) => return shared.fail(job, failure).await,
        };
        let prompt = match &job.state.rejection {
            Some(reason) => with_correction(prompt, reason),
            None => prompt,
        };
        let target = &lane.target;
        let (choice, cap) = sizing(
            shared,
            &target.thinking,
            target.provider,
            Step::Task(self.task),
            self.task.answer_tokens(),
            &job,
        );
        let request = self.task.request(
            &target.model,
            prompt,
            job.row.text_of(self.topic_column.as_deref()),
            job.attempts + 1,
            shared.providers[target.provider].timeout,
            cap,
            choice.field,
        );
        let call = Call {
            target,
            step: Step::Task(self.task),
            request,
            output_estimate: self.task.typical_output_tokens() + u64::from(choice.expected),
            on_parked: OnParked::HandBack,
        };
        let sent = attempt(
            shared,
            lane.index,
            &mut job,
            call,
            &mut admission,
            |answer| self.task.validate(&answer.text),
        )
        .await;
        match sent {
            Sent::Answered(answer) => {
                let record = shared.record(
                    &job,
                    &self.renames,
                    (target.provider, &target.model),
                    answer.value,
                    answer.completion.usage(),
                    answer.latency.as_millis() as u64,
                );
                shared.done(job, target.provider, record, None).await;
            }
            Sent::Failed(error) => {
                if error.kind == FailureKind::InvalidOutput {
                    job.state.rejection = Some(error.message.clone());
                }
                shared.retry_or_fail(job, error).await;
            }
            Sent::NotSent(_) => shared.dispatcher.requeue(job),
        }
    }
}

/// The prompt again, with why the previous answer was refused.
fn with_correction(prompt: String, reason: &str) -> String {
    format!(
        "{prompt}\n\nYour previous answer was rejected: {reason}. Answer again in full, fixing \
         that."
    )
}

impl TaskProgram {
    fn prompt_for(&self, job: &mut Job<TaskState>) -> Result<String, Failure> {
        if let Some(prompt) = &job.state.prompt {
            return Ok(prompt.clone());
        }
        let line = job.row.line;
        self.template
            .check_row(&job.row.fields)
            .map_err(|message| Failure {
                kind: FailureKind::BadInput,
                message: format!("line {line}: {message}"),
            })?;
        let prompt = self
            .template
            .render(&job.row.id, &job.row.fields)
            .map_err(|message| Failure {
                kind: FailureKind::Template,
                message: format!("line {line}: {message}"),
            })?;
        job.state.prompt = Some(prompt.clone());
        Ok(prompt)
    }
}
