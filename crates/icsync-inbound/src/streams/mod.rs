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
use icsync_store::{CheckpointUpdate, IngestPage, IngestQueue, QueueBounds, QueueTotals, Store};
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
            QueueBounds {
                pages: self.config.queue_capacity_pages,
                rows: self.config.queue_capacity_rows,
                transaction_rows: self.config.queue_max_rows,
            },
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
    pub(crate) fn new(stream: PageStream<T>, depth: usize) -> Self {
        Self::mapped(stream, depth, |item| item)
    }

    /// Like [`Prefetch::new`], passing each item through `convert` in the fetching task: the
    /// conversion of one stream's pages then runs beside the others' and beside the consumer.
    pub(crate) fn mapped<W: Send + 'static>(
        mut stream: PageStream<W>,
        depth: usize,
        mut convert: impl FnMut(W) -> T + Send + 'static,
    ) -> Self {
        let (tx, rx) = mpsc::channel(depth.max(1));
        let task = tokio::spawn(async move {
            while let Some(page) = stream.next().await {
                let failed = page.is_err();
                let page = page.map(|page| page.map_items(&mut convert));
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

/// Runs `futures` at most `concurrency` at a time and yields their outputs in order, letting up to
/// `window` started or finished futures wait behind the oldest unfinished one.
///
/// Unlike `buffered(concurrency)`, a slow future (a request waiting out a retry's backoff) does
/// not stall the others: finished outputs queue behind it while new ones start, up to `window`.
/// Order is kept because a stream's checkpoint names the last item written, so every item before
/// it must be written too. Size `window` to cover a backoff at the stream's request rate (a 5xx
/// retried after ~75 ms at 2,000 requests a second: 150) within what its outputs may hold in memory.
pub(crate) fn in_order<F>(
    futures: impl futures::Stream<Item = F>,
    concurrency: usize,
    window: usize,
) -> impl futures::Stream<Item = F::Output>
where
    F: std::future::Future,
{
    let concurrency = concurrency.max(1);
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency));
    futures
        .map(move |future| {
            let permits = permits.clone();
            async move {
                // The semaphore is never closed, so this waits for a permit; the permit is held
                // until the future's output is ready. (Fair: the earliest future goes first.)
                let _permit = permits.acquire_owned().await.ok();
                future.await
            }
        })
        .buffered(window.max(concurrency))
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

#[cfg(test)]
mod tests {
    use super::in_order;
    use futures::StreamExt;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn in_order_keeps_order_while_a_slow_head_lets_the_others_finish() {
        // The head waits until five later futures have finished: with `buffered(2)` it would
        // wait forever (only one other could run); the window lets them.
        let finished = Arc::new(AtomicUsize::new(0));
        let running = Arc::new(AtomicUsize::new(0));
        let most_running = Arc::new(AtomicUsize::new(0));
        let futures = futures::stream::iter((0..12).map(|i| {
            let (finished, running, most) =
                (finished.clone(), running.clone(), most_running.clone());
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                if i == 0 {
                    // Holding one of the two slots, so the others go through the other one.
                    while finished.load(Ordering::SeqCst) < 5 {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                } else {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                running.fetch_sub(1, Ordering::SeqCst);
                finished.fetch_add(1, Ordering::SeqCst);
                i
            }
        }));
        let out: Vec<i32> = tokio::time::timeout(
            Duration::from_secs(60),
            in_order(futures, 2, 8).collect::<Vec<_>>(),
        )
        .await
        .expect("a slow head must not stall the window");
        assert_eq!(out, (0..12).collect::<Vec<_>>());
        assert!(
            most_running.load(Ordering::SeqCst) <= 2,
            "at most two at a time"
        );
    }
}
