//! A set of 64-bit id hashes that costs about 8 bytes per id: a sorted vector plus a small hash set
//! of recent inserts, merged into the vector when it fills. Duplicate-id detection and resume
//! both need every id seen; a `HashSet<u64>` would take 10 to 20 bytes per id, and twice that
//! while it grows, which is most of a million-row run's memory.

use std::collections::HashSet;

/// Recent inserts held before a merge: large enough that merges are rare (each one moves the
/// whole sorted vector), small enough to stay a few hundred KiB.
const PENDING_CAPACITY: usize = 1 << 15;

#[derive(Debug, Default)]
pub struct IdSet {
    sorted: Vec<u64>,
    pending: HashSet<u64>,
}

impl IdSet {
    pub fn new() -> Self {
        IdSet::default()
    }

    pub fn contains(&self, id: u64) -> bool {
        self.pending.contains(&id) || self.sorted.binary_search(&id).is_ok()
    }

    /// Adds `id`; false when it was already there.
    pub fn insert(&mut self, id: u64) -> bool {
        if self.sorted.binary_search(&id).is_ok() || !self.pending.insert(id) {
            return false;
        }
        if self.pending.len() >= PENDING_CAPACITY {
            self.merge();
        }
        true
    }

    pub fn len(&self) -> usize {
        self.sorted.len() + self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves the pending ids into the sorted vector, merging from the back in place so no second
    /// copy of the vector is ever needed.
    fn merge(&mut self) {
        let mut incoming: Vec<u64> = self.pending.drain().collect();
        incoming.sort_unstable();
        let old_len = self.sorted.len();
        self.sorted.reserve_exact(incoming.len());
        self.sorted.resize(old_len + incoming.len(), 0);
        let (mut read, mut write) = (old_len, self.sorted.len());
        while let Some(&next) = incoming.last() {
            write -= 1;
            if read > 0 && self.sorted[read - 1] > next {
                self.sorted[write] = self.sorted[read - 1];
                read -= 1;
            } else {
                self.sorted[write] = next;
                incoming.pop();
            }
        }
    }
}

impl FromIterator<u64> for IdSet {
    fn from_iter<I: IntoIterator<Item = u64>>(iter: I) -> Self {
        let mut sorted: Vec<u64> = iter.into_iter().collect();
        sorted.sort_unstable();
        sorted.dedup();
        sorted.shrink_to_fit();
        IdSet {
            sorted,
            pending: HashSet::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn finds_ids_across_merges() {
        let mut set = IdSet::new();
        let count = PENDING_CAPACITY as u64 * 3 + 17;
        for i in 0..count {
            assert!(set.insert(i.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
        }
        assert_eq!(set.len() as u64, count);
        for i in 0..count {
            assert!(set.contains(i.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
            assert!(
                !set.insert(i.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
                "a repeat is refused"
            );
        }
        assert!(!set.contains(1));
        assert!(
            set.sorted.windows(2).all(|w| w[0] < w[1]),
            "merges keep the vector sorted"
        );
    }

    proptest! {
        #[test]
        fn behaves_like_a_hash_set(ids in proptest::collection::vec(0u64..5_000, 0..3_000)) {
            let mut set = IdSet::new();
            let mut model = HashSet::new();
            for id in &ids {
                prop_assert_eq!(set.insert(*id), model.insert(*id));
            }
            set.merge();
            for probe in 0..5_000u64 {
                prop_assert_eq!(set.contains(probe), model.contains(&probe));
            }
            let collected: IdSet = ids.iter().copied().collect();
            prop_assert_eq!(collected.len(), model.len());
        }
    }
}
