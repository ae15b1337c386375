//! Group commit for a stream: pages go into a bounded queue; one writer task commits whatever
//! has queued since its last commit as a single transaction, with the newest page's checkpoint.
//!
//! When the database keeps up, each transaction holds one page; when pages arrive faster than
//! commits, transactions grow (up to `max_rows`) and the per-commit cost is shared, so the store
//! is never what a sync waits for. A crash loses at most the uncommitted group, whose checkpoint
//! is lost with it, so those pages are fetched again.
//!
//! Memory is bounded by rows, not only by pages: every queued page holds permits for its rows
//! until its group is committed, so what waits, what is being prepared and what is being written
//! together stay within [`QueueBounds::rows`] (a page of long conversations counts for its parts).

use super::{CheckpointUpdate, ContactMark, IngestBatch, IngestReport, PreparedBatch};
use crate::Store;
use crate::error::{Result, StoreError};
use icsync_domain::{
    Company, CompanyId, Contact, ContactId, Conversation, ConversationId, ConversationPart, Event,
    WorkspaceId,
};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinHandle;

/// How much an [`IngestQueue`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueBounds {
    /// Pages waiting for the writer.
    pub pages: usize,
    /// Rows held at once: queued, being prepared and being written. A push waits for room; a
    /// page with more rows than this waits until nothing else is held, then goes alone.
    pub rows: usize,
    /// Rows one write transaction holds at most (group commit).
    pub transaction_rows: usize,
}

/// A page with the row permits it holds until its group commits.
struct Queued {
    page: IngestPage,
    permit: OwnedSemaphorePermit,
}

/// One page of a stream, owned, with the checkpoint that follows it.
#[derive(Debug, Clone, Default)]
pub struct IngestPage {
    pub contacts: Vec<Contact>,
    pub companies: Vec<Company>,
    pub associations: Vec<(ContactId, CompanyId)>,
    /// See [`IngestBatch::company_sets`].
    pub company_sets: Vec<(ContactId, Vec<CompanyId>)>,
    /// See [`IngestBatch::marks`].
    pub marks: Vec<ContactMark>,
    /// See [`IngestBatch::seen`].
    pub seen: Vec<(ContactId, chrono::DateTime<chrono::Utc>)>,
    /// See [`IngestBatch::sessions`].
    pub sessions: Vec<super::SessionRebuild>,
    pub events: Vec<Event>,
    pub conversations: Vec<Conversation>,
    pub parts: Vec<ConversationPart>,
    /// See [`IngestBatch::deleted_conversations`].
    pub deleted_conversations: Vec<ConversationId>,
    pub checkpoint: Option<CheckpointUpdate>,
}

impl IngestPage {
    /// Rows this page writes (a session rebuild counts one row besides its sessions).
    pub fn rows(&self) -> usize {
        self.contacts.len()
            + self.companies.len()
            + self.associations.len()
            + self.company_sets.len()
            + self.marks.len()
            + self.seen.len()
            + self
                .sessions
                .iter()
                .map(|r| r.sessions.len() + 1)
                .sum::<usize>()
            + self.events.len()
            + self.conversations.len()
            + self.parts.len()
            + self.deleted_conversations.len()
    }

    fn append(&mut self, mut next: IngestPage) {
        self.contacts.append(&mut next.contacts);
        self.companies.append(&mut next.companies);
        self.associations.append(&mut next.associations);
        self.company_sets.append(&mut next.company_sets);
        self.marks.append(&mut next.marks);
        self.seen.append(&mut next.seen);
        self.sessions.append(&mut next.sessions);
        self.events.append(&mut next.events);
        self.conversations.append(&mut next.conversations);
        self.parts.append(&mut next.parts);
        self.deleted_conversations
            .append(&mut next.deleted_conversations);
        if next.checkpoint.is_some() {
            self.checkpoint = next.checkpoint;
        }
    }
}

/// What a queue wrote over its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueTotals {
    pub pages: u64,
    pub transactions: u64,
    pub report: IngestReport,
}

impl QueueTotals {
    fn add(&mut self, pages: u64, report: &IngestReport) {
        self.pages += pages;
        self.transactions += 1;
        let total = &mut self.report;
        for (sum, part) in [
            (&mut total.contacts, report.contacts),
            (&mut total.companies, report.companies),
            (&mut total.associations, report.associations),
            (&mut total.events, report.events),
            (&mut total.conversations, report.conversations),
            (&mut total.parts, report.parts),
            (&mut total.sessions, report.sessions),
            (&mut total.seen, report.seen),
        ] {
            sum.received += part.received;
            sum.written += part.written;
        }
        total.detached += report.detached;
        total.sessions_replaced += report.sessions_replaced;
        total.marked += report.marked;
        total.conversations_deleted += report.conversations_deleted;
        total.statements += report.statements;
    }
}

/// A stream's write-behind queue with group commit. Drop it only after [`IngestQueue::finish`]:
/// dropping it stops the writer, so pages still queued are not written (and their checkpoint
/// neither), exactly as if the process had been killed; a transaction in flight rolls back.
#[derive(Debug)]
pub struct IngestQueue {
    sender: Option<mpsc::Sender<Queued>>,
    budget: Arc<Semaphore>,
    /// The budget's size in permits: a larger page takes all of them.
    budget_rows: u32,
    writer: JoinHandle<Result<QueueTotals>>,
}

impl Drop for IngestQueue {
    fn drop(&mut self) {
        // After `finish` the task is done and this does nothing.
        self.writer.abort();
    }
}

/// Aborts a task when dropped, so a cancelled queue leaves no writer behind.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl IngestQueue {
    /// Starts the writer; pushing waits while the queue holds `bounds.pages` pages or
    /// `bounds.rows` rows.
    pub fn new(store: &Store, workspace: WorkspaceId, bounds: QueueBounds) -> Self {
        let (sender, receiver) = mpsc::channel(bounds.pages.max(1));
        let budget_rows = u32::try_from(bounds.rows.max(1)).unwrap_or(u32::MAX);
        let budget = Arc::new(Semaphore::new(budget_rows as usize));
        let writer = tokio::spawn(write_loop(
            store.clone(),
            workspace,
            receiver,
            bounds.transaction_rows.max(1),
        ));
        Self {
            sender: Some(sender),
            budget,
            budget_rows,
            writer,
        }
    }

    /// Queues a page; waits while the queue is full. Fails if the writer stopped on an error
    /// (call [`IngestQueue::finish`] to get that error).
    pub async fn push(&self, page: IngestPage) -> Result<()> {
        let sender = self.sender.as_ref().ok_or(StoreError::QueueClosed)?;
        let rows = u32::try_from(page.rows())
            .unwrap_or(u32::MAX)
            .min(self.budget_rows);
        // The semaphore is never closed, so this fails only if the queue is gone.
        let permit = Arc::clone(&self.budget)
            .acquire_many_owned(rows)
            .await
            .map_err(|_| StoreError::QueueClosed)?;
        sender
            .send(Queued { page, permit })
            .await
            .map_err(|_| StoreError::QueueClosed)
    }

    /// Writes everything queued, stops the writer and returns its totals or its first error.
    pub async fn finish(mut self) -> Result<QueueTotals> {
        drop(self.sender.take());
        (&mut self.writer)
            .await
            .map_err(|e| StoreError::corrupt(format!("the ingest writer task failed: {e}")))?
    }
}

async fn write_loop(
    store: Store,
    workspace: WorkspaceId,
    mut receiver: mpsc::Receiver<Queued>,
    max_rows: usize,
) -> Result<QueueTotals> {
    // Two stages: this task groups pages and prepares rows (CPU) while a second task writes the
    // previous group (IO), so the database never waits for hashing and serialization. A group's
    // row permits go back only once it is committed.
    let (prepared_tx, mut prepared_rx) =
        mpsc::channel::<(u64, PreparedBatch, Vec<OwnedSemaphorePermit>)>(1);
    let mut writer = AbortOnDrop(tokio::spawn(async move {
        let mut totals = QueueTotals::default();
        while let Some((pages, prepared, permits)) = prepared_rx.recv().await {
            let report = store.write_prepared(workspace, prepared).await?;
            drop(permits);
            totals.add(pages, &report);
        }
        Ok::<_, StoreError>(totals)
    }));
    while let Some(first) = receiver.recv().await {
        let mut group = first.page;
        let mut permits = vec![first.permit];
        while group.rows() < max_rows {
            match receiver.try_recv() {
                Ok(next) => {
                    group.append(next.page);
                    permits.push(next.permit);
                }
                Err(_) => break,
            }
        }
        let pages = permits.len() as u64;
        tracing::debug!(%workspace, pages, rows = group.rows(), "ingest group prepared");
        let prepared = PreparedBatch::new(&IngestBatch {
            contacts: &group.contacts,
            companies: &group.companies,
            associations: &group.associations,
            company_sets: &group.company_sets,
            marks: &group.marks,
            seen: &group.seen,
            sessions: &group.sessions,
            events: &group.events,
            conversations: &group.conversations,
            parts: &group.parts,
            deleted_conversations: &group.deleted_conversations,
            newer_only: false,
            checkpoint: group.checkpoint.as_ref(),
        });
        drop(group);
        if prepared_tx.send((pages, prepared, permits)).await.is_err() {
            // The writer stopped on an error; it is reported below.
            break;
        }
    }
    drop(prepared_tx);
    drop(receiver);
    (&mut writer.0)
        .await
        .map_err(|e| StoreError::corrupt(format!("the ingest writer task failed: {e}")))?
}
