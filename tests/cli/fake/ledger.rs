//! What the fake would have charged: every 200 answer to a generate route (cut and empty ones
//! included) and every answered batch row adds its usage to per-(API, model) totals. Errors,
//! hangs and rate-limit refusals cost nothing.

use super::Api;

/// The usage of one billed answer, as its body reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: u64,
    /// Every generated token, reasoning included.
    pub output_tokens: u64,
    pub reasoning_tokens: u64,
    /// Stopped by the output cap (`length`, `max_tokens`, `MAX_TOKENS`).
    pub cut: bool,
    /// Cut before any answer text.
    pub cut_without_text: bool,
}

/// The totals of one model on one API, interactive answers and batch rows apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BilledModel {
    pub api: Api,
    pub model: String,
    /// Batch result rows (which the vendors charge at half price: the caller's to apply).
    pub batch: bool,
    pub requests: u64,
    pub input_tokens: u64,
    /// Reasoning included.
    pub output_tokens: u64,
    pub reasoning_tokens: u64,
    /// Answers stopped by the output cap.
    pub cut: u64,
    /// Of those, the ones without any answer text.
    pub cut_without_text: u64,
}

#[derive(Debug, Default)]
pub struct Ledger {
    rows: Vec<BilledModel>,
}

impl Ledger {
    pub fn bill(&mut self, api: Api, model: &str, batch: bool, usage: &Usage) {
        let i = match self
            .rows
            .iter()
            .position(|r| r.api == api && r.model == model && r.batch == batch)
        {
            Some(i) => i,
            None => {
                self.rows.push(BilledModel {
                    api,
                    model: model.to_string(),
                    batch,
                    requests: 0,
                    input_tokens: 0,
                    output_tokens: 0,
                    reasoning_tokens: 0,
                    cut: 0,
                    cut_without_text: 0,
                });
                self.rows.len() - 1
            }
        };
        let row = &mut self.rows[i];
        row.requests += 1;
        row.input_tokens += usage.input_tokens;
        row.output_tokens += usage.output_tokens;
        row.reasoning_tokens += usage.reasoning_tokens;
        row.cut += u64::from(usage.cut);
        row.cut_without_text += u64::from(usage.cut_without_text);
    }

    pub fn rows(&self) -> &[BilledModel] {
        &self.rows
    }
}

/// The USD of `rows` at `price` (USD per million input and output tokens, by model); panics
/// naming a billed model that has no price.
pub fn usd<'a>(
    rows: impl Iterator<Item = &'a BilledModel>,
    price: impl Fn(&str) -> Option<(f64, f64)>,
) -> f64 {
    rows.map(|row| {
        let (input, output) = price(&row.model).unwrap_or_else(|| {
            panic!(
                "no price for {:?} model {:?}, which was billed",
                row.api, row.model
            )
        });
        (row.input_tokens as f64 * input + row.output_tokens as f64 * output) / 1e6
    })
    .sum()
}
