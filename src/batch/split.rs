//! How a submission is cut into jobs before anything is sent: the form the provider takes it in
//! (Gemini answers small jobs inline and larger ones through the Files API), each job's rows and
//! bytes under the provider's per-job limits, and one item as the job carries it. `submit` sends
//! what this computes; `--dry-run` only shows it.

use std::ops::Range;

use crate::batch::wire::{self, BatchError, BatchItem, Limits};
use crate::batch::{anthropic, gemini, openai};
use crate::providers::protocol::Wire;

/// How the items of one submission go to the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// Gemini only: the jobs upload an input file instead of carrying the requests inline.
    pub by_file: bool,
    pub limits: Limits,
    /// Each job's items (a range of the submission's, in order) and its bytes.
    pub jobs: Vec<(Range<usize>, usize)>,
}

impl Cut {
    /// `inline` / `file` for Gemini, else the one form the API has.
    pub fn form(&self, wire: Wire) -> &'static str {
        match (wire, self.by_file) {
            (Wire::Gemini, true) => "Files API upload",
            (Wire::Gemini, false) => "inline requests",
            (Wire::OpenAi, _) => "JSONL file upload",
            (Wire::Anthropic, _) => "requests in the create body",
        }
    }
}

/// Cuts `items` for `wire`'s Batch API.
pub fn cut(wire: Wire, items: &[BatchItem]) -> Result<Cut, BatchError> {
    let inline_sizes = |size: fn(&BatchItem) -> usize| items.iter().map(size).collect::<Vec<_>>();
    let (sizes, limits, by_file) = match wire {
        Wire::OpenAi => (inline_sizes(openai::item_size), openai::LIMITS, false),
        Wire::Anthropic => (inline_sizes(anthropic::item_size), anthropic::LIMITS, false),
        Wire::Gemini => {
            let inline = inline_sizes(gemini::inline_item_size);
            if inline.iter().sum::<usize>() > gemini::INLINE_LIMITS.max_bytes {
                (inline_sizes(gemini::item_size), gemini::FILE_LIMITS, true)
            } else {
                (inline, gemini::INLINE_LIMITS, false)
            }
        }
    };
    let ranges = wire::split(&sizes, limits.max_requests, limits.max_bytes)?;
    let jobs = ranges
        .into_iter()
        .map(|range| {
            let bytes = sizes[range.clone()].iter().sum();
            (range, bytes)
        })
        .collect();
    Ok(Cut {
        by_file,
        limits,
        jobs,
    })
}

/// `item` as its job carries it: an OpenAI input line, an Anthropic `requests[]` entry, a
/// Gemini inline entry or input line.
pub fn shown(wire: Wire, by_file: bool, item: &BatchItem) -> String {
    match (wire, by_file) {
        (Wire::OpenAi, _) => openai::input_line(item),
        (Wire::Anthropic, _) => anthropic::entry(item).to_string(),
        (Wire::Gemini, true) => gemini::input_line(item),
        (Wire::Gemini, false) => gemini::inline_entry(item).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::Request;

    #[test]
    fn small_submissions_are_one_job_and_gemini_goes_inline() {
        let request = Request::sample("m", 100);
        let ids: Vec<String> = (0..5).map(|i| format!("r{i}")).collect();
        let items: Vec<BatchItem> = ids
            .iter()
            .map(|id| BatchItem {
                custom_id: id,
                request: &request,
            })
            .collect();
        for wire in [Wire::OpenAi, Wire::Anthropic, Wire::Gemini] {
            let cut = cut(wire, &items).unwrap();
            assert!(!cut.by_file);
            assert_eq!(cut.jobs.len(), 1, "{wire:?}");
            assert_eq!(cut.jobs[0].0, 0..5);
            let line = shown(wire, false, &items[0]);
            assert!(
                line.contains("r0") && line.contains("Write about shoes."),
                "{line}"
            );
            assert!(
                cut.jobs[0].1 > 5 * line.len() / 2,
                "{wire:?}: bytes counted"
            );
        }
    }
}
