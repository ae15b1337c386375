//! The request journal: a bounded ring of what the API was asked and how it answered.

use std::collections::VecDeque;

use serde::Serialize;

/// One request seen by the Intercom API surface.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JournalEntry {
    /// Monotonic sequence number (survives ring eviction; use it as a cursor).
    pub seq: u64,
    /// Wall-clock Unix milliseconds when the request arrived.
    pub at_ms: i64,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub status: u16,
    /// Time to produce the response head, in milliseconds.
    pub duration_ms: f64,
    /// The fault injected into this request, if any.
    pub fault: Option<String>,
    /// The `Intercom-Version` header the client sent, if any.
    pub intercom_version: Option<String>,
    /// The `User-Agent` the client sent, if any (tells several clients apart).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Journal {
    entries: VecDeque<JournalEntry>,
    capacity: usize,
    next_seq: u64,
}

impl Journal {
    pub(crate) fn new(capacity: usize) -> Self {
        Journal {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
            next_seq: 1,
        }
    }

    pub(crate) fn push(&mut self, mut entry: JournalEntry) {
        entry.seq = self.next_seq;
        self.next_seq += 1;
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    /// Entries with `seq > since`, oldest first, at most `limit`.
    pub(crate) fn since(&self, since: u64, limit: usize) -> Vec<JournalEntry> {
        self.entries
            .iter()
            .filter(|e| e.seq > since)
            .take(limit)
            .cloned()
            .collect()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    pub(crate) fn total(&self) -> u64 {
        self.next_seq - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> JournalEntry {
        JournalEntry {
            seq: 0,
            at_ms: 0,
            method: "GET".into(),
            path: path.into(),
            query: None,
            status: 200,
            duration_ms: 0.1,
            fault: None,
            intercom_version: None,
            user_agent: None,
        }
    }

    #[test]
    fn keeps_the_newest_entries_with_stable_sequence_numbers() {
        let mut j = Journal::new(2);
        for p in ["/a", "/b", "/c"] {
            j.push(entry(p));
        }
        let all = j.since(0, 10);
        assert_eq!(
            all.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(),
            ["/b", "/c"]
        );
        assert_eq!(all[1].seq, 3);
        assert_eq!(j.since(2, 10).len(), 1);
        assert_eq!(j.total(), 3);
    }
}
