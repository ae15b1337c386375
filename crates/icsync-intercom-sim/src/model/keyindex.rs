//! A compact lookup index from string keys (emails, external ids) to contact slots.
//!
//! Generated keys live in one sorted vector of (hash, slot) pairs (12 bytes each); keys written
//! later go to a small overlay. Lookups return candidates that the caller verifies against the
//! contact's current value, so stale entries are harmless.

use std::collections::HashMap;

/// FNV-1a: deterministic and fast for short keys.
pub(crate) fn hash_key(key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[derive(Debug, Default)]
pub(crate) struct KeyIndex {
    base: Vec<(u64, u32)>,
    overlay: HashMap<u64, Vec<u32>>,
}

impl KeyIndex {
    pub(crate) fn from_pairs(mut base: Vec<(u64, u32)>) -> Self {
        base.sort_unstable();
        KeyIndex {
            base,
            overlay: HashMap::new(),
        }
    }

    pub(crate) fn insert(&mut self, key: &str, slot: u32) {
        let slots = self.overlay.entry(hash_key(key)).or_default();
        if !slots.contains(&slot) {
            slots.push(slot);
        }
    }

    /// Slots that may hold `key` (unverified), in slot order.
    pub(crate) fn candidates(&self, key: &str) -> Vec<u32> {
        let h = hash_key(key);
        let start = self.base.partition_point(|&(k, _)| k < h);
        let mut out: Vec<u32> = self.base[start..]
            .iter()
            .take_while(|&&(k, _)| k == h)
            .map(|&(_, s)| s)
            .collect();
        if let Some(more) = self.overlay.get(&h) {
            out.extend(more);
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_base_and_overlay_entries() {
        let mut idx = KeyIndex::from_pairs(vec![
            (hash_key("a@x.com"), 3),
            (hash_key("b@x.com"), 1),
            (hash_key("a@x.com"), 7),
        ]);
        assert_eq!(idx.candidates("a@x.com"), vec![3, 7]);
        idx.insert("a@x.com", 9);
        idx.insert("c@x.com", 2);
        assert_eq!(idx.candidates("a@x.com"), vec![3, 7, 9]);
        assert_eq!(idx.candidates("c@x.com"), vec![2]);
        assert!(idx.candidates("zzz").is_empty());
    }
}
