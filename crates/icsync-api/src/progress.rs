//! [`StoreProgress`]: an inbound [`Progress`] that writes a running run's progress (records
//! read, the estimate) to its `sync_runs` row every few seconds, so `GET .../status` on any
//! instance shows done-of-estimated, rate and ETA. The daemon passes it to `sync_workspace`.

use icsync_domain::{StreamName, WorkspaceId};
use icsync_inbound::{Progress, StreamReport};
use icsync_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
struct Live {
    kind: Option<String>,
    done: u64,
    estimate: Option<u64>,
    last_write: Option<Instant>,
    writing: bool,
}

/// Records the progress of one workspace's runs; cheap to call per page.
#[derive(Clone)]
pub struct StoreProgress {
    store: Store,
    workspace: WorkspaceId,
    every: Duration,
    live: Arc<Mutex<HashMap<String, Live>>>,
    next: Option<Arc<dyn Progress>>,
}

impl std::fmt::Debug for StoreProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreProgress")
            .field("workspace", &self.workspace)
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

impl StoreProgress {
    /// Writes at most every 2 seconds per stream.
    pub fn new(store: Store, workspace: WorkspaceId) -> Self {
        StoreProgress {
            store,
            workspace,
            every: Duration::from_secs(2),
            live: Arc::default(),
            next: None,
        }
    }

    /// Writes at most every `every` per stream.
    pub fn every(mut self, every: Duration) -> Self {
        self.every = every;
        self
    }

    /// Also tells `next` (the CLI's bars, a log) everything.
    pub fn and_then(mut self, next: Arc<dyn Progress>) -> Self {
        self.next = Some(next);
        self
    }

    fn update(&self, stream: &str, force: bool, change: impl FnOnce(&mut Live)) {
        let Ok(mut live) = self.live.lock() else {
            return;
        };
        let entry = live.entry(stream.to_owned()).or_default();
        change(entry);
        let due = entry.last_write.is_none_or(|at| at.elapsed() >= self.every);
        if entry.writing || !(force || due) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        entry.writing = true;
        entry.last_write = Some(Instant::now());
        let snapshot = (entry.kind.clone(), entry.done, entry.estimate);
        let (store, workspace, live_map) = (self.store.clone(), self.workspace, self.live.clone());
        let stream = stream.to_owned();
        runtime.spawn(async move {
            let (kind, done, estimate) = snapshot;
            let written = store
                .record_run_progress(
                    workspace,
                    &StreamName::new(stream.as_str()),
                    kind.as_deref(),
                    i64::try_from(done).unwrap_or(i64::MAX),
                    estimate.map(|e| i64::try_from(e).unwrap_or(i64::MAX)),
                )
                .await;
            if let Err(error) = written {
                tracing::warn!(workspace = %workspace, stream = %stream, error = %error, "could not record sync progress");
            }
            if let Ok(mut live) = live_map.lock()
                && let Some(entry) = live.get_mut(&stream)
            {
                entry.writing = false;
            }
        });
    }
}

impl Progress for StoreProgress {
    fn started(&self, stream: &str, kind: &str, estimate: Option<u64>) {
        self.update(stream, true, |live| {
            live.kind = Some(kind.to_owned());
            live.done = 0;
            live.estimate = estimate;
        });
        if let Some(next) = &self.next {
            next.started(stream, kind, estimate);
        }
    }

    fn estimate(&self, stream: &str, estimate: u64) {
        self.update(stream, true, |live| live.estimate = Some(estimate));
        if let Some(next) = &self.next {
            next.estimate(stream, estimate);
        }
    }

    fn advanced(&self, stream: &str, records: u64) {
        self.update(stream, false, |live| live.done += records);
        if let Some(next) = &self.next {
            next.advanced(stream, records);
        }
    }

    fn finished(&self, report: &StreamReport) {
        if let Ok(mut live) = self.live.lock() {
            live.remove(report.stream.as_str());
        }
        if let Some(next) = &self.next {
            next.finished(report);
        }
    }
}
