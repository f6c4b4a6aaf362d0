//! Who was paid for what, per input row: a client that abandons a slow attempt and retries the
//! row elsewhere may end up paying for two good answers to one row, or for an answer it never
//! read. The ledger (`ledger.rs`) has the totals; this has them per row.
//!
//! A row is known by the keyword the benches' inputs give it (`keyword phrase number N`, from
//! `benches/common::write_input`), found in the raw request body; requests without one are not
//! counted here.

use std::collections::HashMap;

/// What the benches' input rows say, before the row's number.
const ROW_MARKER: &str = "keyword phrase number ";

#[derive(Debug, Default)]
pub struct Paid {
    /// Counting per row is asked for: a million-row bench would otherwise hold a million tags,
    /// and a child forked from this process counts the parent's pages in its peak RSS.
    pub by_row: bool,
    /// Good answers (a whole 200 the client could take as the row's result) per row tag.
    good: HashMap<String, u32>,
    /// Billed answers the client was gone for when they were written.
    undelivered: u64,
}

impl Paid {
    pub fn good(&mut self, tag: &str) {
        if !self.by_row {
            return;
        }
        match self.good.get_mut(tag) {
            Some(n) => *n += 1,
            None => {
                self.good.insert(tag.to_string(), 1);
            }
        }
    }

    /// A good answer counted by [`good`](Self::good) whose write then failed.
    pub fn not_delivered_after_all(&mut self, tag: Option<&str>) {
        if let Some(n) = tag.and_then(|tag| self.good.get_mut(tag)) {
            *n -= 1;
        }
        self.undelivered += 1;
    }

    pub fn undelivered(&mut self) {
        self.undelivered += 1;
    }

    pub fn good_by_row(&self) -> HashMap<String, u32> {
        self.good
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(tag, n)| (tag.clone(), *n))
            .collect()
    }

    pub fn undelivered_count(&self) -> u64 {
        self.undelivered
    }
}

/// `keyword phrase number N` as the body spells it (its first occurrence), if it has one.
pub fn row_tag(body: &str) -> Option<&str> {
    // `str::find` runs a substring search; a byte-window scan cost as much as an answer.
    let start = body.find(ROW_MARKER)?;
    let digits_at = start + ROW_MARKER.len();
    let digits = body[digits_at..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    (digits > 0).then(|| &body[start..digits_at + digits])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_told_apart_by_their_whole_number() {
        let body = r#"{"messages":[{"content":"about \"keyword phrase number 12\" for 3"}]}"#;
        assert_eq!(row_tag(body), Some("keyword phrase number 12"));
        assert_eq!(row_tag("keyword phrase number x"), None);
        assert_eq!(row_tag("no row here"), None);
    }
}
