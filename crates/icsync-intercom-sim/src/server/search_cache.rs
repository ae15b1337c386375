//! Result snapshots of searches, so each page of a search costs O(page) after the first.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const MAX_SNAPSHOTS: usize = 64;
const TTL: Duration = Duration::from_secs(600);

#[derive(Debug)]
struct Snapshot {
    key: String,
    slots: Arc<Vec<u32>>,
    created: Instant,
}

#[derive(Debug, Default)]
pub(crate) struct SearchCache {
    next_id: u64,
    snapshots: HashMap<u64, Snapshot>,
}

impl SearchCache {
    /// Stores the matching slots of a search under a new snapshot id.
    pub(crate) fn put(&mut self, key: String, slots: Vec<u32>) -> (u64, Arc<Vec<u32>>) {
        self.snapshots.retain(|_, s| s.created.elapsed() < TTL);
        if self.snapshots.len() >= MAX_SNAPSHOTS
            && let Some(oldest) = self
                .snapshots
                .iter()
                .min_by_key(|(_, s)| s.created)
                .map(|(k, _)| *k)
        {
            self.snapshots.remove(&oldest);
        }
        self.next_id += 1;
        let slots = Arc::new(slots);
        self.snapshots.insert(
            self.next_id,
            Snapshot {
                key,
                slots: Arc::clone(&slots),
                created: Instant::now(),
            },
        );
        (self.next_id, slots)
    }

    /// The snapshot `id`, if it still exists and belongs to the same search.
    pub(crate) fn get(&self, id: u64, key: &str) -> Option<Arc<Vec<u32>>> {
        self.snapshots
            .get(&id)
            .filter(|s| s.key == key)
            .map(|s| Arc::clone(&s.slots))
    }

    pub(crate) fn clear(&mut self) {
        self.snapshots.clear();
    }
}
