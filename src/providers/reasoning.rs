//! How each model reasons ("thinks") before it answers, as data, and what a request must say and
//! leave room for because of it.
//!
//! Today's default models spend hidden reasoning tokens that are billed as output and count
//! against the same output cap as the answer. A request that caps output for the answer alone
//! comes back cut, often with no text at all. So every request names a [`Reasoning`] setting (the
//! task's default, a profile's or `--reasoning`), which [`Thinking::choose`] maps to the model's
//! nearest accepted value on the provider's wire ([`ReasoningField`], what the adapter sends), and
//! the cap sent is the answer's budget plus that setting's allowance ([`Thinking::cap`]).
//!
//! The table ([`MODELS`]) says for each model family how it is steered, as each vendor documents
//! it (2026-12):
//! - OpenAI `reasoning_effort`: gpt-5 / gpt-5-mini / gpt-5-nano take `minimal`..`high` (default
//!   `medium`), gpt-5.1 and later `none`..`high` (default `none`), o-series `low`..`high`;
//!   non-reasoning models (gpt-4o, gpt-4.1) answer 400 to the field, so it is never sent to them.
//! - Gemini 2.5 `thinkingConfig.thinkingBudget`: Flash 0..24,576 (0 turns it off; dynamic by
//!   default), Flash-Lite 0 or 512..24,576 (off by default), Pro 128..32,768 (cannot be turned
//!   off: budget 0 is a 400). Gemini 3 `thinkingConfig.thinkingLevel`: Pro `LOW`/`HIGH`, Flash
//!   `MINIMAL`..`HIGH` (default `HIGH`).
//! - Anthropic extended thinking `thinking: {type: enabled, budget_tokens}`, 1,024 <= budget <
//!   `max_tokens`; off unless asked.
//! - DeepSeek V4 (`deepseek-flash`, `deepseek-v4-pro`), GLM 4.5+ and Kimi K2.5+ think by default
//!   and take `thinking: {type: enabled|disabled}`; Qwen's hybrid models take `enable_thinking`;
//!   `deepseek-reasoner` and the other reasoning-only models always think and take no setting.
//!
//! A profile's `[models."ID"]` table describes a model the table does not know.

use std::fmt;

use crate::providers::protocol::Wire;

/// The reasoning a task asks for, from none to a lot; each model gets its nearest accepted value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reasoning {
    Off,
    Low,
    Medium,
    High,
}

impl Reasoning {
    pub const ALL: [Reasoning; 4] = [
        Reasoning::Off,
        Reasoning::Low,
        Reasoning::Medium,
        Reasoning::High,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Reasoning::Off => "off",
            Reasoning::Low => "low",
            Reasoning::Medium => "medium",
            Reasoning::High => "high",
        }
    }

    pub fn parse(text: &str) -> Option<Reasoning> {
        Reasoning::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(text.trim()))
    }

    /// One step less, if there is one.
    pub fn lower(self) -> Option<Reasoning> {
        match self {
            Reasoning::Off => None,
            Reasoning::Low => Some(Reasoning::Off),
            Reasoning::Medium => Some(Reasoning::Low),
            Reasoning::High => Some(Reasoning::Medium),
        }
    }

    /// Position on the scale [`Effort::rank`] shares, so settings and vendor values compare.
    fn rank(self) -> u8 {
        match self {
            Reasoning::Off => 0,
            Reasoning::Low => 2,
            Reasoning::Medium => 4,
            Reasoning::High => 6,
        }
    }

    /// Reasoning tokens a request at this setting is expected to spend: the estimate behind
    /// `--dry-run` and `--max-cost`. Medium is the median vendors' models show at their default
    /// (600-800 tokens per short answer); the others scale from it.
    fn expected_tokens(self) -> u32 {
        match self {
            Reasoning::Off => 0,
            Reasoning::Low => 300,
            Reasoning::Medium => 800,
            Reasoning::High => 2_500,
        }
    }

    /// Tokens the cap leaves for reasoning at this setting: well above what a request at it
    /// spends in the slow tail (a cap is a ceiling, not a charge: only tokens produced are billed).
    fn allowance(self) -> u32 {
        match self {
            Reasoning::Off => 0,
            Reasoning::Low => 4_096,
            Reasoning::Medium => 8_192,
            Reasoning::High => 16_384,
        }
    }

    /// The thinking budget in tokens a budget-steered model gets at this setting.
    fn budget(self) -> u32 {
        match self {
            Reasoning::Off => 0,
            Reasoning::Low => 1_024,
            Reasoning::Medium => 4_096,
            Reasoning::High => 16_384,
        }
    }
}

impl fmt::Display for Reasoning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A named reasoning value: OpenAI's `reasoning_effort` and Gemini 3's `thinkingLevel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Effort {
    None,
    Minimal,
    Low,
    Medium,
    High,
}

impl Effort {
    const ALL: [Effort; 5] = [
        Effort::None,
        Effort::Minimal,
        Effort::Low,
        Effort::Medium,
        Effort::High,
    ];

    /// As OpenAI's `reasoning_effort` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Effort::None => "none",
            Effort::Minimal => "minimal",
            Effort::Low => "low",
            Effort::Medium => "medium",
            Effort::High => "high",
        }
    }

    /// As the Gemini SDK's `ThinkingLevel` enum spells it.
    pub fn gemini_name(self) -> &'static str {
        match self {
            Effort::None => "THINKING_LEVEL_UNSPECIFIED",
            Effort::Minimal => "MINIMAL",
            Effort::Low => "LOW",
            Effort::Medium => "MEDIUM",
            Effort::High => "HIGH",
        }
    }

    pub fn parse(text: &str) -> Option<Effort> {
        Effort::ALL
            .into_iter()
            .find(|e| e.name().eq_ignore_ascii_case(text.trim()))
    }

    fn rank(self) -> u8 {
        match self {
            Effort::None => 0,
            Effort::Minimal => 1,
            Effort::Low => 2,
            Effort::Medium => 4,
            Effort::High => 6,
        }
    }

    /// Reasoning tokens a request at this value is expected to spend ([`Reasoning`]'s scale,
    /// with `minimal` a few dozen tokens).
    fn expected_tokens(self) -> u32 {
        match self {
            Effort::Minimal => 40,
            other => other.as_setting().expected_tokens(),
        }
    }

    fn allowance(self) -> u32 {
        match self {
            Effort::Minimal => 1_024,
            other => other.as_setting().allowance(),
        }
    }

    fn as_setting(self) -> Reasoning {
        match self {
            Effort::None => Reasoning::Off,
            Effort::Minimal | Effort::Low => Reasoning::Low,
            Effort::Medium => Reasoning::Medium,
            Effort::High => Reasoning::High,
        }
    }
}

/// The effort values a model accepts, as a set (so [`Steering`] stays `Copy`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Levels(u8);

impl Levels {
    pub const fn of(levels: &[Effort]) -> Levels {
        let mut bits = 0u8;
        let mut i = 0;
        while i < levels.len() {
            bits |= 1 << levels[i] as u8;
            i += 1;
        }
        Levels(bits)
    }

    pub fn contains(self, effort: Effort) -> bool {
        self.0 & (1 << effort as u8) != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Effort> {
        Effort::ALL.into_iter().filter(move |e| self.contains(*e))
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The accepted value nearest to `setting`; ties go to the lower (cheaper) one.
    fn nearest(self, setting: Reasoning) -> Option<Effort> {
        self.iter()
            .min_by_key(|e| (e.rank().abs_diff(setting.rank()), e.rank()))
    }
}

impl fmt::Debug for Levels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(Effort::name))
            .finish()
    }
}

/// Which field turns a hybrid model's thinking on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toggle {
    /// `thinking: {"type": "enabled" | "disabled"}` (DeepSeek, GLM, Kimi).
    ThinkingType,
    /// `enable_thinking: true | false` (Qwen on DashScope).
    EnableThinking,
}

/// How a model is steered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Steering {
    /// The model does not reason; no reasoning field is ever sent to it.
    None,
    /// The model reasons on every request and takes no setting.
    Always,
    /// OpenAI `reasoning_effort`, one of these values.
    Effort(Levels),
    /// Gemini 2.5 `thinkingConfig.thinkingBudget` within `min..=max`; `can_disable`: 0 turns
    /// thinking off (below `min` nothing else is accepted).
    Budget {
        min: u32,
        max: u32,
        can_disable: bool,
    },
    /// Gemini 3 `thinkingConfig.thinkingLevel`, one of these values.
    Level(Levels),
    /// Anthropic extended thinking, off unless asked: `budget_tokens` within `min..=max`.
    Extended { min: u32, max: u32 },
    /// A hybrid model's on/off switch.
    Toggle(Toggle),
}

impl Steering {
    /// The wire whose request fields this steering is (`None`: any wire, nothing is sent).
    pub fn wire(self) -> Option<Wire> {
        match self {
            Steering::None | Steering::Always => None,
            Steering::Effort(_) | Steering::Toggle(_) => Some(Wire::OpenAi),
            Steering::Budget { .. } | Steering::Level(_) => Some(Wire::Gemini),
            Steering::Extended { .. } => Some(Wire::Anthropic),
        }
    }

    /// The name a profile's `steering` uses.
    pub fn kind_name(self) -> &'static str {
        match self {
            Steering::None => "none",
            Steering::Always => "always",
            Steering::Effort(_) => "effort",
            Steering::Budget { .. } => "budget",
            Steering::Level(_) => "level",
            Steering::Extended { .. } => "extended",
            Steering::Toggle(Toggle::ThinkingType) => "thinking",
            Steering::Toggle(Toggle::EnableThinking) => "enable_thinking",
        }
    }
}

/// What the table knows of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelThinking {
    pub steering: Steering,
    /// Whether the model reasons when nothing is sent (what a request that cannot steer it, for
    /// instance through a gateway on another wire, must leave room for).
    pub reasons_by_default: bool,
    /// The largest output cap the model takes, when known; raised caps stop there.
    pub max_output: Option<u32>,
}

/// One row of [`MODELS`]: the ids starting with `prefix` (case-insensitive; the longest matching
/// prefix wins).
#[derive(Debug, Clone, Copy)]
pub struct ModelRow {
    pub prefix: &'static str,
    pub thinking: ModelThinking,
}

const fn row(
    prefix: &'static str,
    steering: Steering,
    reasons_by_default: bool,
    max_output: u32,
) -> ModelRow {
    ModelRow {
        prefix,
        thinking: ModelThinking {
            steering,
            reasons_by_default,
            max_output: Some(max_output),
        },
    }
}

const GPT5: Levels = Levels::of(&[Effort::Minimal, Effort::Low, Effort::Medium, Effort::High]);
const GPT51: Levels = Levels::of(&[Effort::None, Effort::Low, Effort::Medium, Effort::High]);
const O_SERIES: Levels = Levels::of(&[Effort::Low, Effort::Medium, Effort::High]);
const GEMINI3_PRO: Levels = Levels::of(&[Effort::Low, Effort::High]);
const GEMINI3_FLASH: Levels =
    Levels::of(&[Effort::Minimal, Effort::Low, Effort::Medium, Effort::High]);
const THINKING: Steering = Steering::Toggle(Toggle::ThinkingType);
const ENABLE_THINKING: Steering = Steering::Toggle(Toggle::EnableThinking);
const CLAUDE: Steering = Steering::Extended {
    min: 1_024,
    max: 32_000,
};

/// How each model family reasons (see the module docs for the vendors' rules).
pub const MODELS: &[ModelRow] = &[
    // OpenAI
    row("gpt-5-chat", Steering::None, false, 16_384),
    row(
        "gpt-5-pro",
        Steering::Effort(Levels::of(&[Effort::High])),
        true,
        128_000,
    ),
    row("gpt-5.", Steering::Effort(GPT51), false, 128_000),
    row("gpt-5", Steering::Effort(GPT5), true, 128_000),
    row("o1-mini", Steering::Always, true, 65_536),
    row("o1-preview", Steering::Always, true, 32_768),
    row("o1", Steering::Effort(O_SERIES), true, 100_000),
    row("o3", Steering::Effort(O_SERIES), true, 100_000),
    row("o4", Steering::Effort(O_SERIES), true, 100_000),
    row("gpt-4", Steering::None, false, 16_384),
    row("gpt-4.1", Steering::None, false, 32_768),
    row("chatgpt-", Steering::None, false, 16_384),
    // Gemini
    row(
        "gemini-2.5-flash-lite",
        Steering::Budget {
            min: 512,
            max: 24_576,
            can_disable: true,
        },
        false,
        65_536,
    ),
    row("gemini-2.5-flash-image", Steering::None, false, 32_768),
    row(
        "gemini-2.5-flash",
        Steering::Budget {
            min: 1,
            max: 24_576,
            can_disable: true,
        },
        true,
        65_536,
    ),
    row(
        "gemini-2.5-pro",
        Steering::Budget {
            min: 128,
            max: 32_768,
            can_disable: false,
        },
        true,
        65_536,
    ),
    row("gemini-3-pro-image", Steering::Always, true, 32_768),
    row("gemini-3-pro", Steering::Level(GEMINI3_PRO), true, 65_536),
    row(
        "gemini-3-flash",
        Steering::Level(GEMINI3_FLASH),
        true,
        65_536,
    ),
    row("gemini-2.0", Steering::None, false, 8_192),
    row("gemini-1.5", Steering::None, false, 8_192),
    // Anthropic: Claude 3.7 and every Claude 4 and later take extended thinking.
    row("claude-3-7", CLAUDE, false, 64_000),
    row("claude-3", Steering::None, false, 8_192),
    row("claude-", CLAUDE, false, 64_000),
    // OpenAI-compatible vendors
    row("deepseek-chat", Steering::None, false, 8_192),
    row("deepseek-reasoner", Steering::Always, true, 65_536),
    row("deepseek-flash", THINKING, true, 65_536),
    row("deepseek-v4", THINKING, true, 65_536),
    row("glm-4.5", THINKING, true, 98_304),
    row("glm-4.6", THINKING, true, 98_304),
    row("glm-4.7", THINKING, true, 98_304),
    row("glm-5", THINKING, true, 98_304),
    row("kimi-k2-thinking", Steering::Always, true, 65_536),
    row("kimi-k2.5", THINKING, true, 65_536),
    row("kimi-k2.6", THINKING, true, 65_536),
    row("kimi-k3", Steering::Always, true, 65_536),
    row("moonshot-v1", Steering::None, false, 8_192),
    row("qwq", Steering::Always, true, 32_768),
    row("qwen3", ENABLE_THINKING, false, 32_768),
    row("qwen-plus", ENABLE_THINKING, false, 32_768),
    row("qwen-flash", ENABLE_THINKING, false, 32_768),
    row("qwen-turbo", ENABLE_THINKING, false, 16_384),
    row("sonar-reasoning", Steering::Always, true, 32_768),
    row("sonar-deep-research", Steering::Always, true, 32_768),
    row("sonar", Steering::None, false, 8_192),
    row("magistral-", Steering::Always, true, 40_000),
    row("grok-4-fast-non-reasoning", Steering::None, false, 30_000),
    row("grok-4", Steering::Always, true, 64_000),
    row(
        "grok-3-mini",
        Steering::Effort(Levels::of(&[Effort::Low, Effort::High])),
        true,
        32_768,
    ),
];

/// The table's entry for `model`: the longest prefix that matches, case-insensitively. Ids in a
/// vendor's namespace (`openai/gpt-5-mini` on OpenRouter) match nothing here; [`Thinking::for_model`]
/// looks their family up without the namespace.
pub fn lookup(model: &str) -> Option<&'static ModelThinking> {
    let model = model.to_ascii_lowercase();
    MODELS
        .iter()
        .filter(|row| model.starts_with(row.prefix))
        .max_by_key(|row| row.prefix.len())
        .map(|row| &row.thinking)
}

/// The largest cap a raised request may ask for when the model's own limit is not known.
const DEFAULT_CEILING: u32 = 32_768;

/// What one request says about reasoning, and what the cap leaves for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    /// The setting asked for.
    pub setting: Reasoning,
    /// What the adapter sends.
    pub field: ReasoningField,
    /// Tokens added to the answer's budget in the cap.
    pub allowance: u32,
    /// Reasoning tokens a request is expected to spend (estimates).
    pub expected: u32,
}

/// The reasoning field a request carries, in its wire's own vocabulary. Adapters send only the
/// variants of their wire; [`Thinking::choose`] never gives another wire's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReasoningField {
    /// Nothing is sent.
    #[default]
    None,
    /// OpenAI `reasoning_effort`.
    Effort(Effort),
    /// Gemini `generationConfig.thinkingConfig.thinkingBudget`.
    Budget(u32),
    /// Gemini `generationConfig.thinkingConfig.thinkingLevel`.
    Level(Effort),
    /// Anthropic `thinking: {type: enabled, budget_tokens}`.
    Extended(u32),
    /// `thinking: {type: enabled | disabled}`.
    Thinking(bool),
    /// `enable_thinking: true | false`.
    EnableThinking(bool),
}

impl fmt::Display for ReasoningField {
    /// As the dry run shows it: the field and value sent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = |on: bool| if on { "enabled" } else { "disabled" };
        match self {
            ReasoningField::None => f.write_str("no reasoning field"),
            ReasoningField::Effort(e) => write!(f, "reasoning_effort: {}", e.name()),
            ReasoningField::Budget(b) => write!(f, "thinkingBudget: {b}"),
            ReasoningField::Level(e) => write!(f, "thinkingLevel: {}", e.gemini_name()),
            ReasoningField::Extended(b) => {
                write!(f, "thinking: enabled, budget_tokens: {b}")
            }
            ReasoningField::Thinking(on) => write!(f, "thinking: {}", state(*on)),
            ReasoningField::EnableThinking(on) => write!(f, "enable_thinking: {on}"),
        }
    }
}

/// How one lane's model reasons on its provider's wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thinking {
    /// `None` where the model cannot be steered on this wire.
    steering: Steering,
    reasons_by_default: bool,
    ceiling: u32,
    /// The model is in the table (or the profile), so the dry run can say what it knows.
    known: bool,
    /// Its steering is a field of this wire (false behind a gateway on another wire).
    native: bool,
}

impl Thinking {
    /// A model that does not reason (the mock; models nobody describes).
    pub const NONE: Thinking = Thinking {
        steering: Steering::None,
        reasons_by_default: false,
        ceiling: DEFAULT_CEILING,
        known: false,
        native: true,
    };

    /// A model known not to reason (the offline mock).
    pub const NEVER: Thinking = Thinking {
        known: true,
        ..Thinking::NONE
    };

    /// How `model` reasons when sent over `wire`: the profile's description when it has one,
    /// else the table's. A model whose steering is another wire's (a Gemini model behind an
    /// OpenAI-format gateway) cannot be steered there: nothing is sent, and the cap leaves room
    /// for what it does by default.
    ///
    /// An id in a vendor's namespace (`openai/gpt-5-mini` on OpenRouter) is the family after the
    /// namespace, reached through a router that may not take the vendor's own field: it is not
    /// steered, and the cap leaves room for its default (unless the profile describes the id).
    pub fn for_model(model: &str, wire: Wire, described: Option<ModelThinking>) -> Thinking {
        let (family, routed) = match model.rsplit_once('/') {
            Some((_, family)) => (family, described.is_none()),
            None => (model, false),
        };
        let Some(entry) = described.or_else(|| lookup(family).copied()) else {
            return Thinking::NONE;
        };
        let native = !routed && entry.steering.wire().is_none_or(|w| w == wire);
        let steering = match entry.steering {
            _ if !native && entry.reasons_by_default => Steering::Always,
            _ if !native => Steering::None,
            steering => steering,
        };
        Thinking {
            steering,
            reasons_by_default: entry.reasons_by_default,
            ceiling: entry.max_output.unwrap_or(DEFAULT_CEILING),
            known: true,
            native,
        }
    }

    /// The field and room for `setting`, mapped to the nearest value the model accepts.
    pub fn choose(&self, setting: Reasoning) -> Choice {
        let choice = |field, effective: Reasoning| Choice {
            setting,
            field,
            allowance: effective.allowance(),
            expected: effective.expected_tokens(),
        };
        let budgeted = |field, budget: u32| Choice {
            setting,
            field,
            // A budget guides the model; leave a quarter more for it to finish its thought.
            allowance: if budget == 0 {
                0
            } else {
                (budget + budget / 4).max(1_024)
            },
            expected: setting.expected_tokens().min(budget),
        };
        match self.steering {
            Steering::None => choice(ReasoningField::None, Reasoning::Off),
            Steering::Always => choice(ReasoningField::None, Reasoning::Medium),
            Steering::Effort(levels) | Steering::Level(levels) => {
                let Some(effort) = levels.nearest(setting) else {
                    return choice(ReasoningField::None, Reasoning::Medium);
                };
                let field = match self.steering {
                    Steering::Level(_) => ReasoningField::Level(effort),
                    _ => ReasoningField::Effort(effort),
                };
                Choice {
                    setting,
                    field,
                    allowance: effort.allowance(),
                    expected: effort.expected_tokens(),
                }
            }
            Steering::Budget {
                min,
                max,
                can_disable,
            } => {
                let budget = match setting.budget() {
                    0 if can_disable => 0,
                    wanted => wanted.clamp(min, max.max(min)),
                };
                budgeted(ReasoningField::Budget(budget), budget)
            }
            Steering::Extended { min, max } => match setting {
                Reasoning::Off => choice(ReasoningField::None, Reasoning::Off),
                _ => {
                    let budget = setting.budget().clamp(min, max.max(min));
                    Choice {
                        allowance: budget,
                        ..budgeted(ReasoningField::Extended(budget), budget)
                    }
                }
            },
            Steering::Toggle(toggle) => {
                let on = setting != Reasoning::Off;
                let field = match toggle {
                    Toggle::ThinkingType => ReasoningField::Thinking(on),
                    Toggle::EnableThinking => ReasoningField::EnableThinking(on),
                };
                choice(
                    field,
                    if on {
                        Reasoning::Medium
                    } else {
                        Reasoning::Off
                    },
                )
            }
        }
    }

    /// The output cap for an answer of `answer_tokens` under `choice`, doubled for each earlier
    /// attempt of the row that came back cut (`cuts`), and never above the model's largest cap
    /// (a vendor refuses a request over it).
    pub fn cap(&self, answer_tokens: u32, choice: &Choice, cuts: u32) -> u32 {
        let base = answer_tokens.saturating_add(choice.allowance);
        base.saturating_mul(1u32 << cuts.min(8)).min(self.ceiling)
    }

    /// The choice for `setting` and the cap for it ([`Thinking::cap`]), with an Anthropic thinking
    /// budget kept below the cap, as the API requires (halved, or dropped when below its least).
    pub fn size(&self, setting: Reasoning, answer_tokens: u32, cuts: u32) -> (Choice, u32) {
        let mut choice = self.choose(setting);
        let cap = self.cap(answer_tokens, &choice, cuts);
        if let (ReasoningField::Extended(budget), Steering::Extended { min, .. }) =
            (choice.field, self.steering)
        {
            if budget >= cap {
                let fitted = cap / 2;
                choice.field = if fitted >= min {
                    ReasoningField::Extended(fitted)
                } else {
                    ReasoningField::None
                };
                choice.expected = choice.expected.min(fitted);
            }
        }
        (choice, cap)
    }

    /// What the dry run says about the model's reasoning, beside the field sent.
    pub fn describe(&self, choice: &Choice) -> String {
        let sent = choice.field.to_string();
        if !self.native {
            return format!(
                "{sent}: the model cannot be steered on this wire; the cap leaves {} tokens for \
                 what it does by default",
                choice.allowance
            );
        }
        match self.steering {
            Steering::None if !self.known => {
                format!("{sent} (a model gen's table does not know; see `[models.\"ID\"]`)")
            }
            Steering::None => format!("{sent} (does not reason)"),
            Steering::Extended { .. } if choice.field == ReasoningField::None => {
                format!("{sent} (extended thinking stays off)")
            }
            Steering::Always => format!(
                "{sent} (always reasons); the cap leaves {} tokens for it",
                choice.allowance
            ),
            _ => format!(
                "{sent} (reasoning {}); the cap leaves {} tokens for it",
                choice.setting, choice.allowance
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thinking(model: &str, wire: Wire) -> Thinking {
        Thinking::for_model(model, wire, None)
    }

    #[test]
    fn the_table_knows_each_family_and_the_longest_prefix_wins() {
        let steering = |m: &str| lookup(m).map(|t| t.steering);
        assert_eq!(steering("gpt-5-mini"), Some(Steering::Effort(GPT5)));
        assert_eq!(steering("gpt-5.1-mini"), Some(Steering::Effort(GPT51)));
        assert_eq!(steering("gpt-5.4-mini"), Some(Steering::Effort(GPT51)));
        assert_eq!(steering("gpt-5-chat-latest"), Some(Steering::None));
        assert_eq!(steering("GPT-4o-mini"), Some(Steering::None));
        assert_eq!(steering("gpt-4.1-mini"), Some(Steering::None));
        assert_eq!(steering("o4-mini"), Some(Steering::Effort(O_SERIES)));
        assert_eq!(steering("o1-mini"), Some(Steering::Always));
        assert!(matches!(
            steering("gemini-2.5-pro"),
            Some(Steering::Budget {
                can_disable: false,
                ..
            })
        ));
        assert!(matches!(
            steering("gemini-2.5-flash-lite-preview"),
            Some(Steering::Budget { min: 512, .. })
        ));
        assert_eq!(steering("gemini-2.5-flash-image"), Some(Steering::None));
        assert_eq!(
            steering("gemini-3-pro-preview"),
            Some(Steering::Level(GEMINI3_PRO))
        );
        assert_eq!(steering("claude-haiku-4-5-20251001"), Some(CLAUDE));
        assert_eq!(steering("claude-3-5-haiku-latest"), Some(Steering::None));
        assert_eq!(steering("deepseek-flash"), Some(THINKING));
        assert_eq!(steering("deepseek-reasoner"), Some(Steering::Always));
        assert_eq!(steering("deepseek-chat"), Some(Steering::None));
        assert_eq!(steering("openai/gpt-5-mini"), None);
        assert_eq!(steering("llama3.2"), None);
        for row in MODELS {
            assert_eq!(
                row.prefix,
                row.prefix.to_ascii_lowercase(),
                "{}",
                row.prefix
            );
            let same = MODELS.iter().filter(|r| r.prefix == row.prefix).count();
            assert_eq!(same, 1, "`{}` is listed twice", row.prefix);
        }
    }

    #[test]
    fn settings_map_to_the_nearest_value_each_model_accepts() {
        let sent = |model: &str, wire: Wire, setting: Reasoning| {
            thinking(model, wire).choose(setting).field
        };
        use ReasoningField as F;
        assert_eq!(
            sent("gpt-5-mini", Wire::OpenAi, Reasoning::Off),
            F::Effort(Effort::Minimal)
        );
        assert_eq!(
            sent("gpt-5.1", Wire::OpenAi, Reasoning::Off),
            F::Effort(Effort::None)
        );
        assert_eq!(
            sent("o3", Wire::OpenAi, Reasoning::Off),
            F::Effort(Effort::Low)
        );
        assert_eq!(
            sent("gpt-5-mini", Wire::OpenAi, Reasoning::High),
            F::Effort(Effort::High)
        );
        assert_eq!(sent("gpt-4o-mini", Wire::OpenAi, Reasoning::High), F::None);
        assert_eq!(
            sent("gemini-2.5-flash", Wire::Gemini, Reasoning::Off),
            F::Budget(0)
        );
        assert_eq!(
            sent("gemini-2.5-pro", Wire::Gemini, Reasoning::Off),
            F::Budget(128)
        );
        assert_eq!(
            sent("gemini-2.5-flash-lite", Wire::Gemini, Reasoning::Off),
            F::Budget(0)
        );
        assert_eq!(
            sent("gemini-2.5-flash", Wire::Gemini, Reasoning::High),
            F::Budget(16_384)
        );
        // Pro takes LOW and HIGH: medium is as near to either, and ties go to the cheaper.
        assert_eq!(
            sent("gemini-3-pro-preview", Wire::Gemini, Reasoning::Medium),
            F::Level(Effort::Low)
        );
        assert_eq!(
            sent("gemini-3-flash", Wire::Gemini, Reasoning::Off),
            F::Level(Effort::Minimal)
        );
        assert_eq!(
            sent("claude-haiku-4-5", Wire::Anthropic, Reasoning::Off),
            F::None
        );
        assert_eq!(
            sent("claude-haiku-4-5", Wire::Anthropic, Reasoning::Low),
            F::Extended(1_024)
        );
        assert_eq!(
            sent("deepseek-flash", Wire::OpenAi, Reasoning::Off),
            F::Thinking(false)
        );
        assert_eq!(
            sent("qwen-plus", Wire::OpenAi, Reasoning::Low),
            F::EnableThinking(true)
        );
        assert_eq!(
            sent("deepseek-reasoner", Wire::OpenAi, Reasoning::Off),
            F::None
        );
    }

    #[test]
    fn a_routed_id_is_left_unsteered_with_room_for_its_family_default() {
        let t = thinking("openai/gpt-5-mini", Wire::OpenAi);
        let choice = t.choose(Reasoning::Off);
        assert_eq!(choice.field, ReasoningField::None);
        assert_eq!(t.cap(400, &choice, 0), 400 + 8_192);
        let t = thinking("openai/gpt-4o-mini", Wire::OpenAi);
        assert_eq!(t.cap(400, &t.choose(Reasoning::High), 0), 400);
        assert_eq!(
            thinking("meta-llama/llama-3.3-70b", Wire::OpenAi),
            Thinking::NONE
        );
    }

    #[test]
    fn another_wire_gets_no_field_but_room_for_the_default() {
        // A Gemini model behind an OpenAI-format gateway.
        let t = thinking("gemini-2.5-flash", Wire::OpenAi);
        let choice = t.choose(Reasoning::Off);
        assert_eq!(choice.field, ReasoningField::None);
        assert!(choice.allowance >= 8_192, "{choice:?}");
        // Claude does not think unless asked, so nothing needs room.
        let t = thinking("claude-haiku-4-5", Wire::OpenAi);
        assert_eq!(t.choose(Reasoning::High).allowance, 0);
    }

    #[test]
    fn caps_leave_room_and_grow_after_cuts_up_to_the_model_limit() {
        let t = thinking("gpt-5-mini", Wire::OpenAi);
        let off = t.choose(Reasoning::Off);
        assert_eq!(t.cap(400, &off, 0), 400 + 1_024);
        let medium = t.choose(Reasoning::Medium);
        assert_eq!(t.cap(400, &medium, 0), 400 + 8_192);
        assert_eq!(t.cap(400, &medium, 1), 2 * (400 + 8_192));
        assert_eq!(t.cap(400, &medium, 30), 128_000);
        let pro = thinking("gemini-2.5-pro", Wire::Gemini);
        let choice = pro.choose(Reasoning::Off);
        assert_eq!(choice.expected, 0);
        assert_eq!(pro.cap(400, &choice, 0), 400 + 1_024);
        let none = thinking("gpt-4o-mini", Wire::OpenAi);
        assert_eq!(none.cap(400, &none.choose(Reasoning::High), 0), 400);
        // Anthropic's budget must stay below max_tokens.
        let claude = thinking("claude-haiku-4-5", Wire::Anthropic);
        let high = claude.choose(Reasoning::High);
        let ReasoningField::Extended(budget) = high.field else {
            panic!("{high:?}")
        };
        assert!(claude.cap(400, &high, 0) > budget);
        // A thinking budget stays below a small model limit.
        let small = Thinking::for_model(
            "claude-x",
            Wire::Anthropic,
            Some(ModelThinking {
                steering: CLAUDE,
                reasons_by_default: false,
                max_output: Some(3_000),
            }),
        );
        let (choice, cap) = small.size(Reasoning::High, 400, 0);
        assert_eq!(
            (choice.field, cap),
            (ReasoningField::Extended(1_500), 3_000)
        );
        let (choice, _) = small.size(Reasoning::High, 400, 0);
        assert!(choice.expected <= 1_500);
        let tiny = Thinking {
            ceiling: 1_024,
            ..small
        };
        assert_eq!(
            tiny.size(Reasoning::Low, 400, 0).0.field,
            ReasoningField::None
        );
        // Never above the model's own limit.
        let chat = thinking("deepseek-chat", Wire::OpenAi);
        assert_eq!(chat.cap(9_000, &chat.choose(Reasoning::Off), 0), 8_192);
    }

    #[test]
    fn expected_tokens_follow_the_setting_and_the_budget() {
        let flash = thinking("gemini-2.5-flash", Wire::Gemini);
        assert_eq!(flash.choose(Reasoning::Off).expected, 0);
        assert_eq!(flash.choose(Reasoning::Medium).expected, 800);
        let pro = thinking("gemini-2.5-pro", Wire::Gemini);
        assert_eq!(pro.choose(Reasoning::Low).expected, 300);
        let gpt = thinking("gpt-5-mini", Wire::OpenAi);
        assert_eq!(gpt.choose(Reasoning::Off).expected, 40);
        assert_eq!(gpt.choose(Reasoning::Low).expected, 300);
        assert_eq!(Reasoning::Medium.lower(), Some(Reasoning::Low));
        assert_eq!(Reasoning::Off.lower(), None);
        assert_eq!(Reasoning::parse(" HIGH "), Some(Reasoning::High));
    }
}
