//! How much each task asks its model to reason, and who may change it.
//!
//! Each task picks the lowest setting that does its job: SEO metadata and outlines are short,
//! structured answers that hidden reasoning does not improve, so they ask for `off` (each model's
//! lowest accepted value). In a draft, the research notes and the article itself are written from
//! scratch and gain from a little planning, so they ask for `low`; the outline and the humanizing
//! rewrite follow a given structure and ask for `off`; pictures come from image models, which do
//! not reason.
//!
//! The profile's `[tasks.NAME] reasoning` changes a task's setting, a provider's `reasoning`
//! changes it for every task that provider serves, and `--reasoning` changes it for the whole run:
//! the flag wins over the provider, the provider over the task.

use crate::providers::reasoning::Reasoning;
use crate::tasks::Task;
use crate::tasks::draft::Stage;

/// What a request is for, as far as reasoning goes: a task, or one stage of a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    Task(Task),
    Stage(Stage),
}

impl Step {
    /// The built-in setting (see the module docs for why).
    pub fn default_reasoning(self) -> Reasoning {
        match self {
            // The task's own row says (built-in: off for seo and outline, low for a draft).
            Step::Task(task) => task.def().reasoning,
            Step::Stage(Stage::Research | Stage::Draft) => Reasoning::Low,
            Step::Stage(Stage::Outline | Stage::Humanize | Stage::Images) => Reasoning::Off,
        }
    }

    pub fn label(self) -> String {
        match self {
            Step::Task(task) => task.name().to_string(),
            Step::Stage(stage) => format!("draft.{}", stage.name()),
        }
    }
}

/// The settings of one run: the flag, each provider's (by the plan's provider index) and each
/// task's or stage's from the profile.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReasoningPolicy {
    pub flag: Option<Reasoning>,
    pub providers: Vec<Option<Reasoning>>,
    pub steps: Vec<(Step, Reasoning)>,
}

impl ReasoningPolicy {
    /// The setting for `step` on `provider`.
    pub fn setting(&self, provider: usize, step: Step) -> Reasoning {
        self.flag
            .or_else(|| self.providers.get(provider).copied().flatten())
            .or_else(|| {
                self.steps
                    .iter()
                    .find(|(s, _)| *s == step)
                    .map(|(_, setting)| *setting)
            })
            .unwrap_or_else(|| step.default_reasoning())
    }
}

/// A row's setting after its earlier attempts: every answer cut because reasoning used the cap
/// after the first lowers the setting one more step (the first only raises the cap).
pub fn after_cuts(setting: Reasoning, reasoning_cuts: u32) -> Reasoning {
    let mut setting = setting;
    for _ in 1..reasoning_cuts {
        match setting.lower() {
            Some(lower) => setting = lower,
            None => break,
        }
    }
    setting
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_beats_the_provider_which_beats_the_task() {
        let seo = Step::Task(Task::seo());
        let research = Step::Stage(Stage::Research);
        let mut policy = ReasoningPolicy::default();
        assert_eq!(policy.setting(0, seo), Reasoning::Off);
        assert_eq!(policy.setting(0, research), Reasoning::Low);
        policy.steps.push((seo, Reasoning::Medium));
        assert_eq!(policy.setting(0, seo), Reasoning::Medium);
        assert_eq!(policy.setting(0, research), Reasoning::Low);
        policy.providers = vec![None, Some(Reasoning::High)];
        assert_eq!(policy.setting(0, seo), Reasoning::Medium);
        assert_eq!(policy.setting(1, seo), Reasoning::High);
        policy.flag = Some(Reasoning::Off);
        assert_eq!(policy.setting(1, seo), Reasoning::Off);
        assert_eq!(policy.setting(1, research), Reasoning::Off);
    }

    #[test]
    fn the_second_reasoning_cut_lowers_the_setting() {
        assert_eq!(after_cuts(Reasoning::High, 0), Reasoning::High);
        assert_eq!(after_cuts(Reasoning::High, 1), Reasoning::High);
        assert_eq!(after_cuts(Reasoning::High, 2), Reasoning::Medium);
        assert_eq!(after_cuts(Reasoning::High, 9), Reasoning::Off);
        assert_eq!(after_cuts(Reasoning::Off, 3), Reasoning::Off);
    }
}
