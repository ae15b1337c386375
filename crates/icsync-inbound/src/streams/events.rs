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
use crate::error::Result;
use crate::report::StreamReport;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use icsync_domain::{ContactId, Event, RunStatus, StreamName};
use icsync_intercom::{Error as ClientError, EventsFor};
use icsync_store::{ContactMark, IngestPage, IngestQueue, PendingEvents};
use serde::{Deserialize, Serialize};

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
    loop {
        let after = state.after.clone().map(ContactId::new);
        let due = ctx
            .store
            .contacts_pending_events(ws.id, after.as_ref(), CONTACTS_PER_CHUNK)
            .await?;
        if due.is_empty() {
            break;
        }
        // Listed several at a time, written in order: the checkpoint stays contiguous.
        let mut listed = futures::stream::iter(due.into_iter().map(|pending| async move {
            let result = list(ctx, &pending).await;
            (pending, result)
        }))
        .buffered(ctx.config.events_concurrency);
        while let Some((pending, result)) = listed.next().await {
            let listed = result?;
            let contact = pending.contact.clone();
            let mut page = IngestPage::default();
            match listed {
                Listed::Events {
                    events,
                    read,
                    rejected,
                } => {
                    report.stats.read += read as i64;
                    for rejected in &rejected {
                        skip(ctx, report, rejected);
                    }
                    page.events = events;
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
            page.checkpoint = Some(checkpoint(
                STREAM,
                watermark,
                Some(&state),
                RunStatus::Running,
            ));
            push(queue, page).await?;
            ctx.progress.advanced(STREAM, 1);
        }
        drop(listed);
        if let Some(reason) = ctx.should_stop().await {
            return Ok(Some(reason));
        }
    }
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

/// Lists one contact's events, newest first, stopping at what is already stored.
async fn list(ctx: Ctx<'_>, pending: &PendingEvents) -> Result<Listed> {
    let stop_before = pending
        .newest_event_at
        .map(|newest| newest - ctx.config.events_overlap());
    let mut pages = ctx
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
            Err(err) => return Err(ctx.client_error(STREAM, err)),
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
    Ok(Listed::Events {
        events,
        read,
        rejected,
    })
}
