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
use crate::tasks::Task;
use crate::tasks::draft::Stage;
use crate::tasks::reasoning::Step;
use crate::tasks::spec::TaskTable;

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

/// `[tasks.NAME]` tables: rows of the task table (`seo` and `outline` changed key by key, new
/// tasks whole) and their reasoning; `draft`'s table holds only its reasoning, one setting or a
/// table of stages.
pub(super) fn deserialize_tasks<'de, D: Deserializer<'de>>(d: D) -> Result<Tasks, D::Error> {
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

    let tables = BTreeMap::<String, toml::Spanned<TaskTable>>::deserialize(d)?;
    let mut tasks = Tasks::default();
    for (name, spanned) in tables {
        let offset = spanned.span().start;
        let table = spanned.into_inner();
        let settings = match &table.reasoning {
            Some(value) => Some(Settings::deserialize(value.clone()).map_err(de::Error::custom)?),
            None => None,
        };
        let builtin = match name.as_str() {
            "seo" => Some(Task::seo()),
            "outline" => Some(Task::outline()),
            "draft" => {
                if table
                    != (TaskTable {
                        reasoning: table.reasoning.clone(),
                        ..TaskTable::default()
                    })
                {
                    return Err(de::Error::custom(
                        "`[tasks.draft]` takes only `reasoning`: the draft's stages are set in \
                         `[draft]` and with `gen draft`'s flags",
                    ));
                }
                match settings {
                    Some(Settings::All(setting)) => tasks
                        .steps
                        .extend(Stage::ALL.map(|stage| (Step::Stage(stage), setting))),
                    Some(Settings::PerStage(stages)) => tasks
                        .steps
                        .extend(stages.into_iter().map(|(s, r)| (Step::Stage(s), r))),
                    None => {}
                }
                continue;
            }
            _ => None,
        };
        match (&settings, builtin) {
            (Some(Settings::PerStage(_)), _) => {
                return Err(de::Error::custom(format!(
                    "`[tasks.{name}]`: only draft has stages; give one setting, e.g. reasoning = \
                     \"low\""
                )));
            }
            (Some(Settings::All(setting)), Some(task)) => {
                tasks.steps.push((Step::Task(task), *setting));
            }
            _ => {}
        }
        let defines = table.prompt.is_some() || table.template.is_some();
        if builtin.is_none() && !defines {
            return Err(de::Error::custom(format!(
                "`[tasks.{name}]`: gen has no task `{name}` (the built-in ones are seo, outline \
                 and draft); a new task needs a `prompt` (or a `template` file) and a `schema` \
                 (or a text `format`)"
            )));
        }
        tasks.rows.insert(
            name,
            TaskRow {
                table,
                offset,
                line: 0,
            },
        );
    }
    Ok(tasks)
}

/// The profile's `[tasks]`: its rows of the task table, and the reasoning they set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tasks {
    /// Reasoning per built-in task and per draft stage.
    pub steps: Vec<(Step, Reasoning)>,
    pub rows: BTreeMap<String, TaskRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskRow {
    pub table: TaskTable,
    /// Where the row starts in the profile's text, and its 1-based line (set once parsed).
    pub offset: usize,
    pub line: usize,
}

/// `[models."ID"]` tables, keyed by model id (matched case-insensitively, exactly).
pub(super) fn deserialize_models<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, ModelThinking>, D::Error> {
    let tables = BTreeMap::<String, ModelTable>::deserialize(d)?;
    Ok(tables
        .into_iter()
        .filter_map(|(id, table)| Some((id.to_ascii_lowercase(), table.0?)))
        .collect())
}

/// A model's table: how it reasons, unless the table only prices it (its prices are read by
/// `model_prices`).
struct ModelTable(Option<ModelThinking>);

/// `[models."ID"] input_price / output_price` (and the batch ones), by lowercase id: USD per
/// million tokens for a model, over its provider's and the built-in table's.
pub(super) fn model_prices(text: &str) -> BTreeMap<String, ModelPrices> {
    let Ok(document) = toml::from_str::<toml::Table>(text) else {
        return BTreeMap::new();
    };
    let Some(models) = document.get("models").and_then(toml::Value::as_table) else {
        return BTreeMap::new();
    };
    let number = |table: &toml::Table, key: &str| {
        table
            .get(key)
            .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
    };
    models
        .iter()
        .filter_map(|(id, table)| {
            let table = table.as_table()?;
            let pair = |a: &str, b: &str| Some((number(table, a)?, number(table, b)?));
            let prices = ModelPrices {
                live: pair("input_price", "output_price"),
                batch: pair("batch_input_price", "batch_output_price"),
            };
            (prices.live.is_some() || prices.batch.is_some())
                .then(|| (id.to_ascii_lowercase(), prices))
        })
        .collect()
}

/// A model's prices from the profile, USD per million input and output tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ModelPrices {
    pub live: Option<(f64, f64)>,
    pub batch: Option<(f64, f64)>,
}

impl<'de> Deserialize<'de> for ModelTable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            steering: Option<String>,
            input_price: Option<f64>,
            output_price: Option<f64>,
            batch_input_price: Option<f64>,
            batch_output_price: Option<f64>,
            #[serde(default)]
            levels: Vec<String>,
            min_budget: Option<u32>,
            max_budget: Option<u32>,
            max_output: Option<u32>,
            reasons_by_default: Option<bool>,
        }
        struct RawSteered {
            steering: String,
            levels: Vec<String>,
            min_budget: Option<u32>,
            max_budget: Option<u32>,
            max_output: Option<u32>,
            reasons_by_default: Option<bool>,
        }
        let raw = Raw::deserialize(d)?;
        let prices = [
            ("input_price", raw.input_price, raw.output_price.is_some()),
            ("output_price", raw.output_price, raw.input_price.is_some()),
            (
                "batch_input_price",
                raw.batch_input_price,
                raw.batch_output_price.is_some(),
            ),
            (
                "batch_output_price",
                raw.batch_output_price,
                raw.batch_input_price.is_some(),
            ),
        ];
        for (name, price, pair_given) in prices {
            match price {
                Some(p) if !p.is_finite() || p < 0.0 => {
                    return Err(de::Error::custom(format!(
                        "{name} {p} is not a price; give USD per million tokens, e.g. 0.6"
                    )));
                }
                Some(_) if !pair_given => {
                    return Err(de::Error::custom(
                        "give input and output prices together (input_price and output_price, \
                         or batch_input_price and batch_output_price)",
                    ));
                }
                _ => {}
            }
        }
        let Some(steering_name) = raw.steering.clone() else {
            let described = !raw.levels.is_empty()
                || raw.min_budget.is_some()
                || raw.max_budget.is_some()
                || raw.max_output.is_some()
                || raw.reasons_by_default.is_some();
            if described || (raw.input_price.is_none() && raw.batch_input_price.is_none()) {
                return Err(de::Error::custom(
                    "a model's table needs `steering` (how it reasons) or its prices \
                     (input_price and output_price)",
                ));
            }
            return Ok(ModelTable(None));
        };
        let raw = RawSteered {
            steering: steering_name,
            levels: raw.levels,
            min_budget: raw.min_budget,
            max_budget: raw.max_budget,
            max_output: raw.max_output,
            reasons_by_default: raw.reasons_by_default,
        };
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
        Ok(ModelTable(Some(ModelThinking {
            steering,
            reasons_by_default: raw.reasons_by_default.unwrap_or(!matches!(
                steering,
                Steering::None | Steering::Extended { .. }
            )),
            max_output: raw.max_output,
        })))
    }
}
