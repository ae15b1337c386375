//! The inbound streams and what they share: the context of a run, pages fetched ahead of the
//! one being written, checkpoint state, and the bookkeeping of a run (span, `sync_runs`, stats).
//!
//! **Invariant**: a page's records and its stream's checkpoint are pushed to the
//! [`icsync_store::IngestQueue`] together, so the store commits them in one transaction; a run
//! killed at any point resumes after the last committed page and re-reads at most the pages
//! that were in flight (every write is an upsert).

pub mod companies;
pub mod conversations;
pub mod events;
pub mod users;

use crate::config::InboundConfig;
use crate::control::{RunControl, StopReason};
use crate::error::{InboundError, Result};
use crate::report::{Progress, StreamReport};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use icsync_domain::{RunStatus, StreamName, Workspace};
use icsync_intercom::{IntercomClient, Page, PageStream, StatsSnapshot};
use icsync_store::{CheckpointUpdate, IngestPage, IngestQueue, QueueTotals, Store};
use serde::{Serialize, de::DeserializeOwned};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Everything a stream run needs.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub workspace: &'a Workspace,
    pub client: &'a IntercomClient,
    pub config: &'a InboundConfig,
    pub control: &'a RunControl,
    pub progress: &'a dyn Progress,
}

impl std::fmt::Debug for Ctx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("workspace", &self.workspace.name)
            .finish_non_exhaustive()
    }
}

impl Ctx<'_> {
    /// A reason to stop at this page boundary, if any (gated streams stop with User Tracking).
    pub(crate) async fn should_stop(&self) -> Option<StopReason> {
        self.control
            .check(self.store, self.workspace.id, true)
            .await
    }

    pub(crate) fn queue(&self) -> IngestQueue {
        IngestQueue::new(
            self.store,
            self.workspace.id,
            self.config.queue_capacity_pages,
            self.config.queue_max_rows,
        )
    }

    pub(crate) fn client_error(&self, stream: &str, err: icsync_intercom::Error) -> InboundError {
        InboundError::from_client(&self.workspace.name, &StreamName::new(stream), err)
    }
}

/// Pages of a stream fetched by a task of their own, `depth` ahead of the consumer, so fetching
/// page N+1 overlaps converting and writing page N. Dropping it stops the fetching.
pub(crate) struct Prefetch<T> {
    pages: mpsc::Receiver<std::result::Result<Page<T>, icsync_intercom::Error>>,
    task: JoinHandle<()>,
}

impl<T: Send + 'static> Prefetch<T> {
    pub(crate) fn new(mut stream: PageStream<T>, depth: usize) -> Self {
        let (tx, rx) = mpsc::channel(depth.max(1));
        let task = tokio::spawn(async move {
            while let Some(page) = stream.next().await {
                let failed = page.is_err();
                if tx.send(page).await.is_err() || failed {
                    break;
                }
            }
        });
        Prefetch { pages: rx, task }
    }

    pub(crate) async fn next(
        &mut self,
    ) -> Option<std::result::Result<Page<T>, icsync_intercom::Error>> {
        self.pages.recv().await
    }
}

impl<T> Drop for Prefetch<T> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads a stream's checkpoint cursor as `S` (the stream's own state), `None` between runs.
pub(crate) fn parse_state<S: DeserializeOwned>(
    stream: &str,
    cursor: Option<&str>,
) -> Result<Option<S>> {
    match cursor {
        None => Ok(None),
        Some(text) => {
            serde_json::from_str(text)
                .map(Some)
                .map_err(|e| InboundError::BadCheckpoint {
                    stream: StreamName::new(stream),
                    reason: e.to_string(),
                })
        }
    }
}

/// A checkpoint update carrying `state` as its cursor.
pub(crate) fn checkpoint<S: Serialize>(
    stream: &str,
    watermark: Option<DateTime<Utc>>,
    state: Option<&S>,
    status: RunStatus,
) -> CheckpointUpdate {
    CheckpointUpdate {
        stream: StreamName::new(stream),
        watermark,
        // Serializing plain state (strings, numbers, timestamps) into a string cannot fail.
        cursor: state.and_then(|s| serde_json::to_string(s).ok()),
        status,
    }
}

/// A page with only a checkpoint (a run's end, a stop).
pub(crate) fn checkpoint_page(update: CheckpointUpdate) -> IngestPage {
    IngestPage {
        checkpoint: Some(update),
        ..IngestPage::default()
    }
}

/// Pushes a page; a queue that stopped on a store error yields that error at `finish`.
pub(crate) async fn push(queue: &IngestQueue, page: IngestPage) -> Result<()> {
    queue.push(page).await.map_err(InboundError::Store)
}

/// Folds a queue's totals and the client's request counters into a report.
pub(crate) fn settle(
    report: &mut StreamReport,
    totals: &QueueTotals,
    before: &StatsSnapshot,
    client: &IntercomClient,
) {
    let used = client.stats().since(before);
    report.stats.requests += used.requests as i64;
    report.stats.retries += used.retries as i64;
    report.stats.rate_limited += used.rate_limited as i64;
    report.stats.pacer_wait_ms += used.pacer_wait.as_millis() as i64;
    let r = &totals.report;
    report.add("contacts_written", r.contacts.written);
    report.add("companies_written", r.companies.written);
    report.add("associations_added", r.associations.written);
    report.add("associations_removed", r.detached);
    report.add("events_written", r.events.written);
    report.add("sessions_written", r.sessions.written);
    report.add("sessions_replaced", r.sessions_replaced);
    report.add("seen_signals", r.seen.written);
    report.add("markers_set", r.marked);
}
