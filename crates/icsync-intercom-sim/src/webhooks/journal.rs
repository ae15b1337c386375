//! The webhook journal: a bounded ring of every delivery attempt (separate from the request
//! journal), with the exact body and signature sent, so tests can check and replay them.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// One delivery attempt (or a notification the `drop` fault swallowed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    /// Monotonic sequence number (survives ring eviction; use it as a cursor and for replays).
    pub seq: u64,
    /// Wall-clock Unix milliseconds when the attempt started.
    pub at_ms: i64,
    /// The notification's `id` (`notif_<uuid>`), shared by its retries, duplicates and replays.
    pub notification_id: String,
    pub topic: String,
    /// `delivery_attempts` of the body sent (1, or 2 for the retry).
    pub attempt: u32,
    pub url: String,
    /// The receiver's status, `None` when no answer came (timeout, refused, dropped).
    pub status: Option<u16>,
    /// Why no answer came, if so.
    pub error: Option<String>,
    pub duration_ms: f64,
    /// `delivered`, `will_retry`, `failed` (after the retry), `disabled` (410), `dropped`.
    pub outcome: String,
    /// The fault or test action behind this attempt: `duplicate`, `delayed`, `reordered`,
    /// `dropped`, `forged_signature`, `missing_signature`, `replay`.
    pub fault: Option<String>,
    /// The `X-Hub-Signature` header sent (`sha1=<hex>`), `None` when left out.
    pub signature: Option<String>,
    /// The exact body bytes sent, as text.
    pub body: String,
}

#[derive(Debug)]
pub(crate) struct WebhookJournal {
    entries: VecDeque<WebhookDelivery>,
    capacity: usize,
    next_seq: u64,
}

impl WebhookJournal {
    pub(crate) fn new(capacity: usize) -> Self {
        WebhookJournal {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
            next_seq: 1,
        }
    }

    /// Appends `d` with the next sequence number; returns it.
    pub(crate) fn push(&mut self, mut d: WebhookDelivery) -> u64 {
        d.seq = self.next_seq;
        self.next_seq += 1;
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(d);
        self.next_seq - 1
    }

    /// Entries with `seq > since`, oldest first, at most `limit`.
    pub(crate) fn since(&self, since: u64, limit: usize) -> Vec<WebhookDelivery> {
        self.entries
            .iter()
            .filter(|e| e.seq > since)
            .take(limit)
            .cloned()
            .collect()
    }

    pub(crate) fn get(&self, seq: u64) -> Option<WebhookDelivery> {
        self.entries.iter().find(|e| e.seq == seq).cloned()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(topic: &str) -> WebhookDelivery {
        WebhookDelivery {
            seq: 0,
            at_ms: 0,
            notification_id: "notif_x".into(),
            topic: topic.into(),
            attempt: 1,
            url: "http://127.0.0.1:1/hook".into(),
            status: Some(200),
            error: None,
            duration_ms: 1.0,
            outcome: "delivered".into(),
            fault: None,
            signature: Some("sha1=00".into()),
            body: "{}".into(),
        }
    }

    #[test]
    fn keeps_the_newest_attempts_with_stable_sequence_numbers() {
        let mut j = WebhookJournal::new(2);
        for t in ["a", "b", "c"] {
            j.push(delivery(t));
        }
        let all = j.since(0, 10);
        assert_eq!(all.iter().map(|d| d.seq).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(j.get(3).map(|d| d.topic), Some("c".to_owned()));
        assert!(j.get(1).is_none(), "evicted");
        assert_eq!(j.since(2, 10).len(), 1);
    }
}
