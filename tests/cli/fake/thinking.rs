//! Reasoning ("thinking") models as the fake knows them: which model takes which reasoning
//! field and which values (checked on every request, like the real APIs), and, when a test
//! switches the simulation on, how many hidden reasoning tokens a request spends.
//!
//! The table is the fake's own data, written from the vendors' documentation and independent of
//! `gen`'s `src/`, so the fake cannot agree with a bug in gen. A model id matches the longest
//! prefix of its API's entries (`claude-haiku-4-5-20251001` matches `claude-`, `gpt-5.4-mini`
//! matches `gpt-5.`, `gpt-5-mini-2025-08-07` matches `gpt-5`); ids no entry matches are
//! unknown and keep the fake's behaviour from before reasoning models.

use super::json::Json;

use super::Api;
use super::content::fnv;
use super::http::HttpResponse;
use super::reply::{anthropic_error, gemini_error, openai_error};
use super::wire::{camel, gemini_field};

/// How a model is steered, and what it does when the request says nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Steer {
    /// OpenAI `reasoning_effort`: the values the model accepts and its default.
    Effort {
        accepted: &'static [&'static str],
        default: &'static str,
    },
    /// An OpenAI model without reasoning: any `reasoning_effort` is a 400.
    NoEffort,
    /// DeepSeek's hybrid models: `thinking: {"type": "enabled"|"disabled"}` (enabled by
    /// default) and `reasoning_effort` `low`/`high`/`max` (high by default).
    DeepSeekHybrid,
    /// `deepseek-reasoner`: always thinks; the controls are ignored.
    DeepSeekAlways,
    /// `deepseek-chat`: never thinks; the controls are ignored, as DeepSeek ignores unknown
    /// fields.
    DeepSeekNever,
    /// Gemini 2.5 `thinkingConfig.thinkingBudget`: -1 is dynamic, 0 is off when `off_ok`,
    /// otherwise `min..=max`; dynamic by default when `default_on`, else off. `dynamic` is the
    /// median a dynamic budget spends.
    Budget {
        min: i64,
        max: i64,
        off_ok: bool,
        default_on: bool,
        dynamic: f64,
    },
    /// Gemini 3 `thinkingConfig.thinkingLevel` (any case), HIGH by default. A `thinkingBudget`
    /// alone is still taken (Google keeps it for compatibility).
    Level { levels: &'static [&'static str] },
    /// A Gemini model that does not think: any `thinkingConfig` is a 400.
    NoThinking,
    /// Anthropic extended thinking: `{"type": "enabled", "budget_tokens": N}` with
    /// `1024 <= N < max_tokens`, or `{"type": "disabled"}`; off by default.
    Extended,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Model {
    pub api: Api,
    pub prefix: &'static str,
    pub steer: Steer,
}

const GPT5: Steer = Steer::Effort {
    accepted: &["minimal", "low", "medium", "high"],
    default: "medium",
};
const GPT51: Steer = Steer::Effort {
    accepted: &["none", "low", "medium", "high"],
    default: "none",
};
const O_SERIES: Steer = Steer::Effort {
    accepted: &["low", "medium", "high"],
    default: "medium",
};
const FLASH: Steer = Steer::Budget {
    min: 1,
    max: 24_576,
    off_ok: true,
    default_on: true,
    dynamic: 700.0,
};
const FLASH_LITE: Steer = Steer::Budget {
    min: 512,
    max: 24_576,
    off_ok: true,
    default_on: false,
    dynamic: 700.0,
};
const PRO: Steer = Steer::Budget {
    min: 128,
    max: 32_768,
    off_ok: false,
    default_on: true,
    dynamic: 1_200.0,
};

/// Every model the fake knows, by API and id prefix.
pub const MODELS: &[Model] = &[
    m(Api::OpenAi, "gpt-5", GPT5),
    m(Api::OpenAi, "gpt-5.", GPT51),
    m(Api::OpenAi, "o1", O_SERIES),
    m(Api::OpenAi, "o3", O_SERIES),
    m(Api::OpenAi, "o4-mini", O_SERIES),
    m(Api::OpenAi, "gpt-4o", Steer::NoEffort),
    m(Api::OpenAi, "gpt-4.1", Steer::NoEffort),
    m(Api::OpenAi, "deepseek-flash", Steer::DeepSeekHybrid),
    m(Api::OpenAi, "deepseek-v4-pro", Steer::DeepSeekHybrid),
    m(Api::OpenAi, "deepseek-reasoner", Steer::DeepSeekAlways),
    m(Api::OpenAi, "deepseek-chat", Steer::DeepSeekNever),
    m(Api::Gemini, "gemini-2.5-flash", FLASH),
    m(Api::Gemini, "gemini-2.5-flash-lite", FLASH_LITE),
    m(Api::Gemini, "gemini-2.5-flash-image", Steer::NoThinking),
    m(Api::Gemini, "gemini-2.5-pro", PRO),
    m(
        Api::Gemini,
        "gemini-3-pro",
        Steer::Level {
            levels: &["LOW", "HIGH"],
        },
    ),
    m(
        Api::Gemini,
        "gemini-3-flash",
        Steer::Level {
            levels: &["MINIMAL", "LOW", "MEDIUM", "HIGH"],
        },
    ),
    m(Api::Anthropic, "claude-", Steer::Extended),
];

const fn m(api: Api, prefix: &'static str, steer: Steer) -> Model {
    Model { api, prefix, steer }
}

/// The table row for `model` on `api`: the longest matching prefix.
pub fn lookup(api: Api, model: &str) -> Option<&'static Model> {
    MODELS
        .iter()
        .filter(|row| row.api == api && model.starts_with(row.prefix))
        .max_by_key(|row| row.prefix.len())
}

// ---------------------------------------------------------------------------------------------
// Validation

/// The reasoning fields of a request checked against the model, with the real 400s. Unknown
/// models pass.
pub fn validate(api: Api, model: &str, body: &Json) -> Result<(), HttpResponse> {
    let Some(row) = lookup(api, model) else {
        return Ok(());
    };
    match api {
        Api::OpenAi => validate_openai(row.steer, body),
        Api::Anthropic => validate_anthropic(body),
        Api::Gemini => validate_gemini(row.steer, body),
    }
}

/// `'a', 'b', and 'c'`, as OpenAI lists supported values.
fn openai_list(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{}, and {last}", rest.join(", ")),
    }
}

fn unsupported_value(param: &str, value: &Json, accepted: &[&str]) -> HttpResponse {
    let shown = value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string);
    openai_error(
        400,
        &format!(
            "Unsupported value: '{param}' does not support '{shown}' with this model. Supported \
             values are: {}.",
            openai_list(accepted)
        ),
        "invalid_request_error",
        Some(param),
        Some("unsupported_value"),
    )
}

/// A field that is absent or JSON `null`.
fn given<'a, 'j>(body: &'a Json<'j>, name: &str) -> Option<&'a Json<'j>> {
    body.get(name).filter(|v| !v.is_null())
}

fn validate_openai(steer: Steer, body: &Json) -> Result<(), HttpResponse> {
    let effort = given(body, "reasoning_effort");
    match steer {
        Steer::NoEffort if effort.is_some() => Err(openai_error(
            400,
            "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
            "invalid_request_error",
            Some("reasoning_effort"),
            Some("unsupported_parameter"),
        )),
        Steer::Effort { accepted, .. } => match effort {
            Some(v) if !v.as_str().is_some_and(|v| accepted.contains(&v)) => {
                Err(unsupported_value("reasoning_effort", v, accepted))
            }
            _ => Ok(()),
        },
        Steer::DeepSeekHybrid => {
            const EFFORTS: [&str; 3] = ["low", "high", "max"];
            if let Some(v) = effort
                && !v.as_str().is_some_and(|v| EFFORTS.contains(&v))
            {
                return Err(unsupported_value("reasoning_effort", v, &EFFORTS));
            }
            if let Some(thinking) = given(body, "thinking") {
                let kind = thinking.get("type").and_then(Json::as_str);
                if !matches!(kind, Some("enabled" | "disabled")) {
                    return Err(openai_error(
                        400,
                        &format!(
                            "Invalid value for 'thinking.type': {}. Supported values are: \
                             'enabled' and 'disabled'.",
                            thinking.get("type").unwrap_or(&Json::Null)
                        ),
                        "invalid_request_error",
                        Some("thinking.type"),
                        Some("invalid_value"),
                    ));
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn anthropic_bad(message: &str) -> HttpResponse {
    anthropic_error(400, "invalid_request_error", message)
}

fn validate_anthropic(body: &Json) -> Result<(), HttpResponse> {
    let Some(thinking) = given(body, "thinking") else {
        return Ok(());
    };
    if !thinking.is_object() {
        return Err(anthropic_bad(
            "thinking: Input should be a valid dictionary or object to extract fields from",
        ));
    }
    match thinking.get("type").and_then(Json::as_str) {
        Some("disabled") => return Ok(()),
        Some("enabled") => {}
        Some(other) => {
            return Err(anthropic_bad(&format!(
                "thinking: Input tag '{other}' found using 'type' does not match any of the \
                 expected tags: 'enabled', 'disabled'"
            )));
        }
        None => {
            return Err(anthropic_bad(
                "thinking: Unable to extract tag using discriminator 'type'",
            ));
        }
    }
    let budget = match thinking.get("budget_tokens") {
        None => {
            return Err(anthropic_bad(
                "thinking.enabled.budget_tokens: Field required",
            ));
        }
        Some(b) => b.as_u64().ok_or_else(|| {
            anthropic_bad("thinking.enabled.budget_tokens: Input should be a valid integer")
        })?,
    };
    if budget < 1024 {
        return Err(anthropic_bad(
            "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
        ));
    }
    // validate_anthropic (wire.rs) has already required max_tokens.
    if body["max_tokens"].as_u64().is_some_and(|max| budget >= max) {
        return Err(anthropic_bad(
            "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our \
             documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size",
        ));
    }
    if given(body, "temperature").is_some_and(|t| t.as_f64() != Some(1.0)) {
        return Err(anthropic_bad(
            "`temperature` may only be set to 1 when thinking is enabled. Please consult our \
             documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility",
        ));
    }
    if matches!(body["tool_choice"]["type"].as_str(), Some("tool" | "any")) {
        return Err(anthropic_bad(
            "Thinking may not be enabled when `tool_choice` forces tool use.",
        ));
    }
    Ok(())
}

fn gemini_bad(message: &str) -> HttpResponse {
    gemini_error(400, "INVALID_ARGUMENT", message, vec![])
}

const GEMINI_THINKING_FIELDS: [&str; 3] = ["thinkingBudget", "thinkingLevel", "includeThoughts"];
const GEMINI_LEVELS: [&str; 4] = ["MINIMAL", "LOW", "MEDIUM", "HIGH"];

/// `generationConfig.thinkingConfig`, under either spelling.
fn thinking_config<'a, 'j>(body: &'a Json<'j>) -> Option<&'a Json<'j>> {
    gemini_field(body, "generationConfig").and_then(|c| gemini_field(c, "thinkingConfig"))
}

fn validate_gemini(steer: Steer, body: &Json) -> Result<(), HttpResponse> {
    let Some(config) = thinking_config(body) else {
        return Ok(());
    };
    let Some(fields) = config.as_object() else {
        return Err(gemini_bad(
            "Invalid value at 'generation_config.thinking_config': expected a ThinkingConfig \
             object.",
        ));
    };
    for name in fields.keys() {
        if !GEMINI_THINKING_FIELDS.contains(&camel(name).as_ref()) {
            return Err(gemini_bad(&format!(
                "Invalid JSON payload received. Unknown name \"{name}\" at \
                 'generation_config.thinking_config': Cannot find field."
            )));
        }
    }
    if steer == Steer::NoThinking {
        return Err(gemini_bad("Thinking is not supported for this model."));
    }
    let budget = match gemini_field(config, "thinkingBudget") {
        None => None,
        Some(b) => Some(b.as_i64().ok_or_else(|| {
            gemini_bad(&format!(
                "Invalid value at 'generation_config.thinking_config.thinking_budget' \
                 (TYPE_INT32), {b}"
            ))
        })?),
    };
    let level = match gemini_field(config, "thinkingLevel") {
        None => None,
        Some(l) => {
            let upper = l.as_str().map(str::to_ascii_uppercase);
            match upper {
                Some(upper) if GEMINI_LEVELS.contains(&upper.as_str()) => Some(upper),
                _ => {
                    return Err(gemini_bad(&format!(
                        "Invalid value at 'generation_config.thinking_config.thinking_level' \
                         (type.googleapis.com/google.ai.generativelanguage.v1beta.\
                         ThinkingConfig.ThinkingLevel), {l}"
                    )));
                }
            }
        }
    };
    if budget.is_some() && level.is_some() {
        return Err(gemini_bad(
            "You can only set only one of thinking budget and thinking level.",
        ));
    }
    match steer {
        Steer::Budget {
            min, max, off_ok, ..
        } => {
            if level.is_some() {
                return Err(gemini_bad(
                    "Thinking level is not supported for this model.",
                ));
            }
            match budget {
                None | Some(-1) => Ok(()),
                Some(0) if !off_ok => Err(gemini_bad(
                    "Budget 0 is invalid. This model only works in thinking mode.",
                )),
                Some(0) => Ok(()),
                Some(b) if b < min || b > max => Err(gemini_bad(&format!(
                    "The thinking budget {b} is invalid. Please choose a value between {min} and \
                     {max}."
                ))),
                Some(_) => Ok(()),
            }
        }
        Steer::Level { levels } => {
            if let Some(level) = level
                && !levels.contains(&level.as_str())
            {
                let allowed: Vec<String> = levels.iter().map(|l| l.to_lowercase()).collect();
                return Err(gemini_bad(&format!(
                    "'{}' is not a supported thinking level for this model. Allowed values are: \
                     {}.",
                    level.to_lowercase(),
                    allowed.join(", ")
                )));
            }
            match budget {
                Some(b) if b < -1 => {
                    Err(gemini_bad(&format!("The thinking budget {b} is invalid.")))
                }
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Simulation

/// What a request's effective reasoning setting spends: a log-normal draw around `median`
/// with spread `sigma`, at most `ceiling`. A median of 0 spends nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Setting {
    pub median: f64,
    pub sigma: f64,
    pub ceiling: Option<u64>,
    /// The answer shows its reasoning: DeepSeek `reasoning_content`, an Anthropic `thinking`
    /// block, a Gemini thought part (when `includeThoughts` is set).
    pub shows: bool,
}

/// The spread of every setting but OpenAI `minimal`.
pub const SIGMA: f64 = 0.6;
/// OpenAI `minimal`: a median of 20 with its 99th percentile near 150.
pub const SIGMA_MINIMAL: f64 = 0.87;

const OFF: Setting = Setting {
    median: 0.0,
    sigma: SIGMA,
    ceiling: None,
    shows: false,
};

fn around(median: f64) -> Setting {
    Setting { median, ..OFF }
}

/// The median tokens of an OpenAI `reasoning_effort`.
pub fn effort_median(effort: &str) -> f64 {
    match effort {
        "minimal" => 20.0,
        "low" => 250.0,
        "medium" => 700.0,
        "high" => 2_000.0,
        _ => 0.0,
    }
}

/// The median tokens of a Gemini 3 `thinkingLevel`.
pub fn level_median(level: &str) -> f64 {
    match level {
        "MINIMAL" => 30.0,
        "LOW" => 300.0,
        "MEDIUM" => 700.0,
        _ => 1_500.0,
    }
}

/// The effective setting of a (valid) request: what it says, else the model's default.
/// `None` for an unknown model.
pub fn setting(api: Api, model: &str, body: &Json) -> Option<Setting> {
    let row = lookup(api, model)?;
    Some(match row.steer {
        Steer::Effort { default, .. } => {
            let effort = given(body, "reasoning_effort")
                .and_then(Json::as_str)
                .unwrap_or(default);
            Setting {
                sigma: if effort == "minimal" {
                    SIGMA_MINIMAL
                } else {
                    SIGMA
                },
                ..around(effort_median(effort))
            }
        }
        Steer::NoEffort | Steer::DeepSeekNever | Steer::NoThinking => OFF,
        Steer::DeepSeekHybrid => {
            let off = given(body, "thinking").and_then(|t| t["type"].as_str()) == Some("disabled");
            let low = given(body, "reasoning_effort").and_then(Json::as_str) == Some("low");
            match (off, low) {
                (true, _) => OFF,
                (false, true) => shown(around(250.0)),
                (false, false) => shown(around(700.0)),
            }
        }
        Steer::DeepSeekAlways => shown(around(700.0)),
        Steer::Budget {
            max,
            default_on,
            dynamic,
            ..
        } => {
            let config = thinking_config(body);
            let thoughts = includes_thoughts(config);
            let budget = config
                .and_then(|c| gemini_field(c, "thinkingBudget"))
                .and_then(Json::as_i64)
                .unwrap_or(if default_on { -1 } else { 0 });
            let setting = match budget {
                0 => OFF,
                -1 => Setting {
                    ceiling: Some(max as u64),
                    ..around(dynamic)
                },
                b => Setting {
                    ceiling: Some(b as u64),
                    ..around(dynamic)
                },
            };
            Setting {
                shows: thoughts,
                ..setting
            }
        }
        Steer::Level { levels } => {
            let config = thinking_config(body);
            let thoughts = includes_thoughts(config);
            let level = config
                .and_then(|c| gemini_field(c, "thinkingLevel"))
                .and_then(Json::as_str)
                .map(str::to_ascii_uppercase);
            let budget = config
                .and_then(|c| gemini_field(c, "thinkingBudget"))
                .and_then(Json::as_i64);
            let setting = match (level, budget) {
                (Some(level), _) => around(level_median(&level)),
                // Gemini 3 cannot switch thinking off: budget 0 is its lowest level.
                (None, Some(0)) => around(level_median(levels[0])),
                (None, Some(b)) if b > 0 => Setting {
                    ceiling: Some(b as u64),
                    ..around(level_median("HIGH"))
                },
                (None, _) => around(level_median("HIGH")),
            };
            Setting {
                shows: thoughts,
                ..setting
            }
        }
        Steer::Extended => {
            let thinking = given(body, "thinking");
            match thinking.and_then(|t| t["budget_tokens"].as_u64()) {
                Some(budget) if thinking.is_some_and(|t| t["type"] == "enabled") => Setting {
                    ceiling: Some(budget),
                    ..shown(around(effort_median("medium")))
                },
                _ => OFF,
            }
        }
    })
}

fn shown(setting: Setting) -> Setting {
    Setting {
        shows: true,
        ..setting
    }
}

fn includes_thoughts(config: Option<&Json>) -> bool {
    config
        .and_then(|c| gemini_field(c, "includeThoughts"))
        .and_then(Json::as_bool)
        == Some(true)
}

/// The reasoning tokens one request spends under `setting`: the `n`th draw of a server, for a
/// request whose body is `body`. Deterministic: a hash of both is the uniform the log-normal
/// is drawn from.
pub fn draw(setting: &Setting, body: &[u8], n: u64) -> u64 {
    if setting.median <= 0.0 {
        return 0;
    }
    let bits = splitmix(fnv(body) ^ splitmix(n));
    let u = ((bits >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let z = probit(u.clamp(1e-6, 1.0 - 1e-6));
    let tokens = (setting.median * (setting.sigma * z).exp())
        .round()
        .max(1.0) as u64;
    setting.ceiling.map_or(tokens, |c| tokens.min(c))
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9).
fn probit(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.024_25 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.024_25 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// The reasoning simulation's switch and the count of draws so far.
#[derive(Debug, Default)]
pub struct Simulation {
    pub on: bool,
    drawn: u64,
}

/// What the simulation decided for one request to a known model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spend {
    /// Hidden reasoning tokens, before the request's cap.
    pub reasoning: u64,
    /// The answer shows its reasoning (see [`Setting::shows`]).
    pub shows: bool,
}

impl Simulation {
    /// The spend of one request, when the simulation is on and the model is known.
    pub fn spend(&mut self, api: Api, model: &str, body: &Json, raw: &[u8]) -> Option<Spend> {
        if !self.on {
            return None;
        }
        let setting = setting(api, model, body)?;
        let n = self.drawn;
        self.drawn += 1;
        Some(Spend {
            reasoning: draw(&setting, raw, n),
            shows: setting.shows,
        })
    }
}
