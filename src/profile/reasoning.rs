//! The profile's reasoning fields: a provider's `reasoning`, the `[tasks.NAME]` tables and the
//! `[models."ID"]` tables that describe how a model the built-in table does not know reasons.
//! Each deserializer checks its own rule, so an error lands on the offending value's line.
//!
//! ```toml
//! [providers.openai]
//! reasoning = "low"                 # every task this provider serves
//!
//! [tasks.seo]
//! reasoning = "off"
//! [tasks.draft]
//! reasoning = { research = "medium", draft = "low" }   # or one setting for every stage
//!
//! [models."qwq-32b"]
//! steering = "always"               # none | always | effort | budget | level | extended
//!                                   # | thinking | enable_thinking
//! [models."my-gpt"]
//! steering = "effort"
//! levels = ["low", "medium", "high"]
//! max_output = 32768
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::providers::reasoning::{Effort, Levels, ModelThinking, Reasoning, Steering, Toggle};
use crate::tasks::TaskKind;
use crate::tasks::draft::Stage;
use crate::tasks::reasoning::Step;

fn setting<E: de::Error>(text: &str) -> Result<Reasoning, E> {
    Reasoning::parse(text).ok_or_else(|| {
        E::custom(format!(
            "reasoning `{text}` is not a setting; use off, low, medium or high"
        ))
    })
}

/// `reasoning = "off" | "low" | "medium" | "high"`.
pub(super) fn deserialize_reasoning<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Reasoning>, D::Error> {
    let text = String::deserialize(d)?;
    setting(&text).map(Some)
}

/// `[tasks.NAME]` tables: `seo`, `outline` and `draft`, each with a `reasoning` (a table of
/// stages for `draft`, or one setting for all of them).
pub(super) fn deserialize_tasks<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<(Step, Reasoning)>, D::Error> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct TaskTable {
        #[serde(default)]
        reasoning: Option<Settings>,
    }

    /// One setting, or `{ STAGE = setting, … }`.
    enum Settings {
        All(Reasoning),
        PerStage(Vec<(Stage, Reasoning)>),
    }

    impl<'de> Deserialize<'de> for Settings {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct SettingsVisitor;
            impl<'de> Visitor<'de> for SettingsVisitor {
                type Value = Settings;

                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a setting (off, low, medium, high) or a table of stages")
                }

                fn visit_str<E: de::Error>(self, v: &str) -> Result<Settings, E> {
                    setting(v).map(Settings::All)
                }

                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Settings, A::Error> {
                    let mut stages = Vec::new();
                    while let Some(name) = map.next_key::<String>()? {
                        let Some(stage) = Stage::parse(&name) else {
                            let known: Vec<&str> = Stage::ALL.iter().map(|s| s.name()).collect();
                            return Err(de::Error::custom(format!(
                                "`{name}` is not a draft stage; the stages are {}",
                                known.join(", ")
                            )));
                        };
                        let text = map.next_value::<String>()?;
                        stages.push((stage, setting(&text)?));
                    }
                    Ok(Settings::PerStage(stages))
                }
            }
            d.deserialize_any(SettingsVisitor)
        }
    }

    let tables = BTreeMap::<String, TaskTable>::deserialize(d)?;
    let mut steps = Vec::new();
    for (name, table) in tables {
        let task = match name.as_str() {
            "seo" => TaskKind::Seo,
            "outline" => TaskKind::Outline,
            "draft" => TaskKind::Draft,
            _ => {
                return Err(de::Error::custom(format!(
                    "`[tasks.{name}]`: gen has no task `{name}`; the tasks are seo, outline and draft"
                )));
            }
        };
        match (task, table.reasoning) {
            (_, None) => {}
            (TaskKind::Draft, Some(Settings::All(setting))) => {
                steps.extend(Stage::ALL.map(|stage| (Step::Stage(stage), setting)));
            }
            (TaskKind::Draft, Some(Settings::PerStage(stages))) => {
                steps.extend(stages.into_iter().map(|(s, r)| (Step::Stage(s), r)));
            }
            (task, Some(Settings::All(setting))) => steps.push((Step::Task(task), setting)),
            (task, Some(Settings::PerStage(_))) => {
                return Err(de::Error::custom(format!(
                    "`[tasks.{}]`: only draft has stages; give one setting, e.g. reasoning = \"low\"",
                    task.name()
                )));
            }
        }
    }
    Ok(steps)
}

/// `[models."ID"]` tables, keyed by model id (matched case-insensitively, exactly).
pub(super) fn deserialize_models<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, ModelThinking>, D::Error> {
    let tables = BTreeMap::<String, ModelTable>::deserialize(d)?;
    Ok(tables
        .into_iter()
        .map(|(id, table)| (id.to_ascii_lowercase(), table.0))
        .collect())
}

struct ModelTable(ModelThinking);

impl<'de> Deserialize<'de> for ModelTable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            steering: String,
            #[serde(default)]
            levels: Vec<String>,
            min_budget: Option<u32>,
            max_budget: Option<u32>,
            max_output: Option<u32>,
            reasons_by_default: Option<bool>,
        }
        let raw = Raw::deserialize(d)?;
        let levels = || -> Result<Levels, D::Error> {
            let mut parsed = Vec::new();
            for name in &raw.levels {
                parsed.push(Effort::parse(name).ok_or_else(|| {
                    de::Error::custom(format!(
                        "level `{name}` is not one of none, minimal, low, medium, high"
                    ))
                })?);
            }
            let levels = Levels::of(&parsed);
            if levels.is_empty() {
                return Err(de::Error::custom(format!(
                    "steering = \"{}\" needs `levels`, the values the model accepts, e.g. \
                     levels = [\"low\", \"medium\", \"high\"]",
                    raw.steering
                )));
            }
            Ok(levels)
        };
        let budgets = |min: u32, max: u32| -> Result<(u32, u32), D::Error> {
            let (min, max) = (raw.min_budget.unwrap_or(min), raw.max_budget.unwrap_or(max));
            if min > max {
                return Err(de::Error::custom(format!(
                    "min_budget {min} is above max_budget {max}"
                )));
            }
            Ok((min, max))
        };
        let steering = match raw.steering.as_str() {
            "none" => Steering::None,
            "always" => Steering::Always,
            "effort" => Steering::Effort(levels()?),
            "level" => Steering::Level(levels()?),
            "budget" => {
                let (min, max) = budgets(0, 24_576)?;
                Steering::Budget {
                    min: min.max(1),
                    max,
                    can_disable: min == 0,
                }
            }
            "extended" => {
                let (min, max) = budgets(1_024, 32_000)?;
                Steering::Extended { min, max }
            }
            "thinking" => Steering::Toggle(Toggle::ThinkingType),
            "enable_thinking" => Steering::Toggle(Toggle::EnableThinking),
            other => {
                return Err(de::Error::custom(format!(
                    "steering `{other}` is not known; use none, always, effort (OpenAI \
                     reasoning_effort), budget (Gemini thinkingBudget), level (Gemini \
                     thinkingLevel), extended (Anthropic thinking), thinking (thinking: {{type}}) \
                     or enable_thinking"
                )));
            }
        };
        if !matches!(steering, Steering::Effort(_) | Steering::Level(_)) && !raw.levels.is_empty() {
            return Err(de::Error::custom(format!(
                "`levels` only applies to steering = \"effort\" or \"level\", not \"{}\"",
                raw.steering
            )));
        }
        if raw.max_output == Some(0) {
            return Err(de::Error::custom(
                "max_output = 0 would leave no room for any answer; give the model's largest cap",
            ));
        }
        Ok(ModelTable(ModelThinking {
            steering,
            reasons_by_default: raw.reasons_by_default.unwrap_or(!matches!(
                steering,
                Steering::None | Steering::Extended { .. }
            )),
            max_output: raw.max_output,
        }))
    }
}
