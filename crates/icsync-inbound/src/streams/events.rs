//! The events stream: each due contact's data events (`GET /events`, one contact at a time, the
//! last 90 days: Intercom lists events no other way).
//!
//! A contact is due when its `updated_at` or `last_seen_at` moved since its events were last
//! listed (markers in the store), so a pass where nobody changed asks nothing. Listing a known
//! contact again stops once a page reaches events older than the newest one stored minus an
//! overlap. Several contacts are listed at once; their pages are written in order, each with its
//! marker, and the checkpoint names the last contact written.

use super::users::skip;
use super::{Ctx, checkpoint, checkpoint_page, parse_state, push, settle};
use crate::control::StopReason;
use crate::convert::{self, Rejected};
use crate::error::{InboundError, Result};
use crate::report::StreamReport;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use icsync_domain::{ContactId, Event, RunStatus, StreamName};
use icsync_intercom::{Error as ClientError, EventsFor};
use icsync_sessionizer::{Anomaly, SessionRules, Sessionizer, Signal, rebuild_window};
use icsync_store::{ContactMark, IngestPage, IngestQueue, PendingEvents, SessionRebuild};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio_util::task::AbortOnDropHandle;

pub const STREAM: &str = StreamName::EVENTS;
const CONTACTS_PER_CHUNK: u64 = 200;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct State {
    started_at: DateTime<Utc>,
    /// The last due contact whose events are stored.
    after: Option<String>,
}

/// What listing one contact's events gave.
enum Listed {
    Events {
        events: Vec<Event>,
        read: u64,
        rejected: Vec<Rejected>,
        /// The contact's sessions rebuilt with the new signals, when they changed.
        rebuild: Option<SessionRebuild>,
        /// Signals dated in the future (clock skew): kept, and counted.
        future_signals: u64,
    },
    Gone,
}

/// Runs the events stream once.
pub async fn run(ctx: Ctx<'_>) -> Result<StreamReport> {
    let ws = ctx.workspace;
    let mut report = StreamReport::new(STREAM);
    let stored = ctx
        .store
        .checkpoint(ws.id, &StreamName::new(STREAM))
        .await?;
    let watermark = stored.as_ref().and_then(|c| c.watermark);
    let resumed: Option<State> =
        parse_state(STREAM, stored.as_ref().and_then(|c| c.cursor.as_deref()))?;
    let before = ctx.client.stats();
    let queue = ctx.queue();
    let outcome = async {
        if let Some(reason) = ctx.should_stop().await {
            return Ok(Some(reason));
        }
        let due = ctx.store.count_contacts_pending_events(ws.id).await?;
        if due == 0 && resumed.is_none() {
            return Ok(None);
        }
        let state = resumed.unwrap_or(State {
            started_at: Utc::now(),
            after: None,
        });
        report.stats.kind = Some("per_contact".to_owned());
        ctx.progress.started(STREAM, "per_contact", Some(due));
        contacts(ctx, &queue, &mut report, state, watermark).await
    }
    .await;
    let totals = queue.finish().await;
    let outcome = match (outcome, totals) {
        (outcome, Ok(totals)) => {
            settle(&mut report, &totals, &before, ctx.client);
            // How well listed contacts were grouped into writes (one per contact is the worst).
            report.add("write_transactions", totals.transactions);
            outcome
        }
        (_, Err(store)) => Err(store.into()),
    };
    match outcome? {
        None => report.status = RunStatus::Succeeded,
        Some(reason) => {
            report.status = RunStatus::Stopped;
            report.error = Some(reason.describe().to_owned());
            ctx.store
                .set_checkpoint_status(ws.id, &StreamName::new(STREAM), RunStatus::Stopped)
                .await?;
        }
    }
    report.stats.records = report.also.get("events_written").copied().unwrap_or(0) as i64;
    report.stats.unchanged =
        (report.stats.read - report.stats.records - report.stats.skipped_total()).max(0);
    Ok(report)
}

async fn contacts(
    ctx: Ctx<'_>,
    queue: &IngestQueue,
    report: &mut StreamReport,
    mut state: State,
    watermark: Option<DateTime<Utc>>,
) -> Result<Option<StopReason>> {
    let ws = ctx.workspace;
    // Listing runs in a task of its own, several contacts at a time and in order, so requests
    // keep flowing while earlier contacts are converted and written.
    let (tx, mut rx) = mpsc::channel(ctx.config.events_concurrency * 4);
    let lister = Lister {
        store: ctx.store.clone(),
        client: ctx.client.clone(),
        workspace: ws.clone(),
        concurrency: ctx.config.events_concurrency,
        overlap: ctx.config.events_overlap(),
        rules: ctx.config.sessions,
    };
    let producer = AbortOnDropHandle::new(tokio::spawn(lister.run(state.after.clone(), tx)));
    let mut since_check = 0usize;
    while let Some(first) = rx.recv().await {
        let mut page = IngestPage::default();
        let mut contacts = 0;
        let mut failed = None;
        // Contacts listed within the window join the page: with requests spaced by the pacer
        // they trickle in, and one write per contact would cost the database a transaction each.
        let gather_until = tokio::time::Instant::now() + GATHER_WINDOW;
        let mut next = Some(first);
        while let Some(item) = next.take() {
            let (pending, listed) = match item {
                Ok(listed) => listed,
                Err(err) => {
                    // What is listed before the failure is kept.
                    failed = Some(err);
                    break;
                }
            };
            contacts += 1;
            let contact = pending.contact.clone();
            match listed {
                Listed::Events {
                    events,
                    read,
                    rejected,
                    rebuild,
                    future_signals,
                } => {
                    report.stats.read += read as i64;
                    for rejected in &rejected {
                        skip(ctx, report, rejected);
                    }
                    report.add("future_signals", future_signals);
                    if let Some(seen) = pending.last_seen_at {
                        page.seen.push((contact.clone(), seen));
                    }
                    page.sessions.extend(rebuild);
                    page.events.extend(events);
                    page.marks.push(ContactMark::EventsSynced {
                        contact: contact.clone(),
                        updated_at: pending.updated_at,
                        last_seen_at: pending.last_seen_at,
                    });
                }
                Listed::Gone => {
                    tracing::info!(workspace = %ws.name, stream = STREAM, contact = %contact, "contact gone from intercom while listing its events, marking it deleted");
                    report.add("contacts_deleted", 1);
                    page.marks.push(ContactMark::Deleted {
                        contact: contact.clone(),
                    });
                }
            }
            state.after = Some(contact.as_str().to_owned());
            // Group what is listed meanwhile into one page (bounded), so writes stay few.
            if page.events.len() < EVENTS_PER_PAGE && contacts < CONTACTS_PER_PAGE {
                next = match rx.try_recv() {
                    Ok(item) => Some(item),
                    Err(mpsc::error::TryRecvError::Empty) => {
                        tokio::time::timeout_at(gather_until, rx.recv())
                            .await
                            .ok()
                            .flatten()
                    }
                    Err(mpsc::error::TryRecvError::Disconnected) => None,
                };
            }
        }
        if contacts > 0 {
            page.checkpoint = Some(checkpoint(
                STREAM,
                watermark,
                Some(&state),
                RunStatus::Running,
            ));
            push(queue, page).await?;
            ctx.progress.advanced(STREAM, contacts as u64);
        }
        if let Some(err) = failed {
            return Err(err);
        }
        since_check += contacts;
        if since_check >= CONTACTS_PER_CHUNK as usize {
            since_check = 0;
            if let Some(reason) = ctx.should_stop().await {
                return Ok(Some(reason));
            }
        }
    }
    // The lister ends after the last due contact, or after its first error (sent above).
    drop(producer);
    push(
        queue,
        checkpoint_page(checkpoint::<State>(
            STREAM,
            Some(state.started_at),
            None,
            RunStatus::Succeeded,
        )),
    )
    .await?;
    Ok(None)
}

/// Events per page handed to the store at most, and contacts per page.
const EVENTS_PER_PAGE: usize = 5_000;
const CONTACTS_PER_PAGE: usize = 100;
/// How long a page waits for more listed contacts after its first.
const GATHER_WINDOW: std::time::Duration = std::time::Duration::from_millis(250);

type Item = Result<(PendingEvents, Listed)>;

/// A listing task that ended without its result (it panicked, or was cancelled).
fn task_failed(err: &tokio::task::JoinError) -> InboundError {
    InboundError::Task {
        stream: StreamName::new(STREAM),
        reason: err.to_string(),
    }
}

/// A contact's stored signals as the sessionizer takes them.
fn stored_signals(signals: &icsync_store::ContactSignals) -> Vec<Signal<'_>> {
    signals
        .events
        .iter()
        .map(|(name, at)| Signal::event(name, *at))
        .chain(signals.seen.iter().map(|at| Signal::seen(*at)))
        .collect()
}

/// Lists the due contacts' events, owned so it can run in a task of its own.
struct Lister {
    store: icsync_store::Store,
    client: icsync_intercom::IntercomClient,
    workspace: icsync_domain::Workspace,
    concurrency: usize,
    overlap: chrono::Duration,
    rules: SessionRules,
}

/// Where the listing of due contacts stands, chunk by chunk.
///
/// A resumed run starts after its cursor. Contacts before it that became due since (the resumed
/// pass's users stream brought new or changed ones) are listed after one wrap to the start,
/// instead of waiting for the next pass, and only up to the resume point: past it the first sweep
/// listed everything (what it listed last may not be written yet, so the store would still call
/// it due).
struct Sweep {
    after: Option<String>,
    resume_point: Option<String>,
    wrap: bool,
    until: Option<String>,
    finished: bool,
}

impl Sweep {
    fn new(after: Option<String>) -> Sweep {
        Sweep {
            resume_point: after.clone(),
            wrap: after.is_some(),
            after,
            until: None,
            finished: false,
        }
    }

    /// The next chunk of due contacts in id order, `None` after the last (or after an error).
    async fn next_chunk(&mut self, lister: &Lister) -> Option<Result<Vec<PendingEvents>>> {
        loop {
            if self.finished {
                return None;
            }
            let after_id = self.after.clone().map(ContactId::new);
            let mut due = match lister
                .store
                .contacts_pending_events(lister.workspace.id, after_id.as_ref(), CONTACTS_PER_CHUNK)
                .await
            {
                Ok(due) => due,
                Err(err) => {
                    self.finished = true;
                    return Some(Err(err.into()));
                }
            };
            let mut reached_resume_point = false;
            if let Some(until) = &self.until {
                let before = due.len();
                due.retain(|p| p.contact.as_str() < until.as_str());
                reached_resume_point = due.len() < before;
            }
            let Some(last) = due.last() else {
                if !reached_resume_point && std::mem::take(&mut self.wrap) {
                    self.after = None;
                    self.until.clone_from(&self.resume_point);
                    continue;
                }
                return None;
            };
            self.after = Some(last.contact.as_str().to_owned());
            self.finished = reached_resume_point;
            return Some(Ok(due));
        }
    }
}

impl Lister {
    async fn run(self, after: Option<String>, tx: mpsc::Sender<Item>) {
        let concurrency = self.concurrency;
        // Shared with the listing futures by ownership: borrowing `self` into them inside this
        // spawned task trips rustc's lifetime inference (`FnOnce` is not general enough).
        let this = std::sync::Arc::new(self);
        // One ordered stream over every chunk of due contacts: the next chunk is read while the
        // last ones are listed, so no chunk waits for its slowest (retried) request to drain.
        // Every store read here runs in a task of its own, so it finishes (and gives its pooled
        // connection back) whatever this stream is doing. Polled only through the stream, a read
        // under way would stall holding its connection while the stream waits to hand its items
        // on, which waits for the writer: on PostgreSQL, where readers and the writer share one
        // pool, eight stalled reads left the writer no connection (a 1M-contact backfill failed
        // with "pool timed out" after the acquire timeout).
        let due = futures::stream::unfold(
            Some((this.clone(), Sweep::new(after))),
            |state| async move {
                let (this, mut sweep) = state?;
                let read = AbortOnDropHandle::new(tokio::spawn(async move {
                    let chunk = sweep.next_chunk(&this).await;
                    (chunk, this, sweep)
                }));
                match read.await {
                    Ok((chunk, this, sweep)) => Some((chunk?, Some((this, sweep)))),
                    // The stream ends after the error.
                    Err(err) => Some((Err(task_failed(&err)), None)),
                }
            },
        )
        .flat_map(|chunk| {
            futures::stream::iter(match chunk {
                Ok(due) => due.into_iter().map(Ok).collect::<Vec<_>>(),
                Err(err) => vec![Err(err)],
            })
        });
        let mut listed = std::pin::pin!(super::in_order(
            due.map(|pending: Result<PendingEvents>| {
                let this = this.clone();
                // Spawned when its turn comes (`in_order` polls it once a slot is free).
                async move {
                    let pending = pending?;
                    AbortOnDropHandle::new(tokio::spawn(async move {
                        let listed = this.list(&pending).await?;
                        Ok((pending, listed))
                    }))
                    .await
                    .unwrap_or_else(|err| Err(task_failed(&err)))
                }
            }),
            concurrency,
            // A contact's listed events are small: let many wait behind a retried one.
            concurrency * 32,
        ));
        while let Some(item) = listed.next().await {
            let failed = item.is_err();
            if tx.send(item).await.is_err() || failed {
                return;
            }
        }
    }

    /// Lists one contact's events, newest first, stopping at what is already stored.
    async fn list(&self, pending: &PendingEvents) -> Result<Listed> {
        let stop_before = pending.newest_event_at.map(|newest| newest - self.overlap);
        let mut pages = self
            .client
            .events()
            .list(&EventsFor::IntercomId(pending.contact.as_str().to_owned()));
        let mut events = Vec::new();
        let mut rejected = Vec::new();
        let mut read = 0u64;
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                Err(ClientError::NotFound { .. }) => return Ok(Listed::Gone),
                Err(err) => {
                    return Err(InboundError::from_client(
                        &self.workspace.name,
                        &StreamName::new(STREAM),
                        err,
                    ));
                }
            };
            read += (page.items.len() + page.rejected.len()) as u64;
            rejected.extend(page.rejected.iter().map(|item| {
                let mut r = Rejected::undecodable(item);
                r.id = Some(pending.contact.as_str().to_owned());
                r
            }));
            let oldest = page.items.iter().map(|e| e.created_at).min();
            for wire in page.items {
                match convert::event::convert(&pending.contact, wire) {
                    Ok(event) => events.push(event),
                    Err(r) => rejected.push(r),
                }
            }
            if let (Some(stop), Some(oldest)) = (stop_before, oldest)
                && oldest < stop
            {
                break;
            }
        }
        let (rebuild, future_signals) = self.sessionize(pending, &events).await?;
        Ok(Listed::Events {
            events,
            read,
            rejected,
            rebuild,
            future_signals,
        })
    }

    /// The contact's sessions with the new signals (its listed events, and its `last_seen_at`
    /// as a seen-signal), rebuilt from the earliest session they can change.
    async fn sessionize(
        &self,
        pending: &PendingEvents,
        events: &[Event],
    ) -> Result<(Option<SessionRebuild>, u64)> {
        let contact = &pending.contact;
        let mut new: Vec<Signal<'_>> = events.iter().map(Signal::of_event).collect();
        new.extend(pending.last_seen_at.map(Signal::seen));
        if new.is_empty() {
            return Ok((None, 0));
        }
        let ws = self.workspace.id;
        let existing = if pending.has_sessions {
            self.store.sessions_of_contact(ws, contact).await?
        } else {
            Vec::new()
        };
        let Some(from) = rebuild_window(&existing, &new) else {
            return Ok((None, 0));
        };
        let stored = if pending.ever_synced || !existing.is_empty() {
            self.store.contact_signals_since(ws, contact, from).await?
        } else {
            Default::default()
        };
        let sessionizer = Sessionizer::new(self.rules, Utc::now());
        let Some(mut rebuild) =
            sessionizer.apply(contact, &existing, stored_signals(&stored), new.clone())
        else {
            return Ok((None, 0));
        };
        let disagree = rebuild
            .anomalies
            .iter()
            .any(|a| !matches!(a, Anomaly::FutureSignal { .. }));
        if disagree {
            // The stored sessions were not made by these rules (a rules change, a foreign write):
            // rebuild all of the contact's sessions from every stored signal.
            tracing::info!(workspace = %self.workspace.name, stream = STREAM, contact = %contact, "stored sessions disagree with the rules, rebuilding them all");
            let first = existing
                .iter()
                .map(|s| s.started_at)
                .chain(std::iter::once(from))
                .min()
                .unwrap_or(from);
            let all = self
                .store
                .contact_signals_since(ws, contact, first - chrono::Duration::days(3_650))
                .await?;
            let mut signals = stored_signals(&all);
            signals.extend(new);
            if let Some(full) = sessionizer.rebuild_all(contact, &existing, signals) {
                rebuild = full;
            }
        }
        let future = rebuild
            .anomalies
            .iter()
            .filter(|a| matches!(a, Anomaly::FutureSignal { .. }))
            .count() as u64;
        let rebuilt = rebuild.changed.then(|| SessionRebuild {
            contact: contact.clone(),
            from: rebuild.from,
            sessions: rebuild.sessions,
        });
        Ok((rebuilt, future))
    }
}
