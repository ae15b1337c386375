//! The conversations stream: conversations and every part of them, by conversation search.
//!
//! - **Backfill** (first run, `--full`): conversations *created* at or after a cutoff
//!   `backfill_days` before the run began (`created_at > cutoff`, sorted by `created_at`).
//!   A conversation cannot start before its contact exists, so this holds every conversation of
//!   the users in the backfill scope; it also holds the recent conversations of older contacts
//!   and leads, which the incremental poll would import anyway as soon as they change. It is
//!   the cheapest correct choice in requests: one search page per 150 conversations, where
//!   searching `contact_ids IN [...]` costs at least one request per chunk of stored users
//!   (most of whom have no conversation) and needs the users stream to have run first, which
//!   it never does with User Tracking off. The cutoff is kept in the checkpoint across a resume.
//! - **Incremental**, every pass: conversations updated since the watermark
//!   (`updated_at > since`: conversation search compares exact seconds and its `>` includes
//!   the bound, unlike contact search's whole days: INTERCOM.md section 5, the simulator's
//!   `conversation_search`). The new watermark trails the pass's start by the search-lag margin.
//! - **Parts**: search items carry none (trap 10). Each item whose `updated_at` is newer than
//!   the stored copy (or which is new, or deleted here, or whose stored parts fall short of what
//!   Intercom reports) is retrieved, one request each, a few at a time; an unchanged one costs
//!   nothing but its share of the search page. Intercom returns the 500 most recent parts: the
//!   conversation stores the true count beside (trap 9). A conversation that answers 404 is
//!   marked deleted.
//! - **Matching**: a conversation's contacts are its participants (by Intercom id); the email
//!   of the first one with an email (stored contact, else what they wrote with) links it to
//!   host contacts. Those without one are stored and counted as `conversations_unmatched`.
//!
//! Not gated by User Tracking: it runs on every pass of a connected workspace.

use super::{Ctx, Prefetch, checkpoint, checkpoint_page, parse_state, push, settle};
use crate::control::StopReason;
use crate::convert::{self, Rejected, conversation::ConvertedConversation};
use crate::error::Result;
use crate::report::StreamReport;
use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use icsync_domain::{ContactId, ConversationId, RunStatus, StreamName};
use icsync_intercom::search::SortOrder;
use icsync_intercom::{Cursor, Error as ClientError, SearchRequest, models, search};
use icsync_store::{ConversationVersion, IngestPage};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use tracing::Instrument;

pub const STREAM: &str = StreamName::CONVERSATIONS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
enum State {
    Backfill {
        cutoff: DateTime<Utc>,
        started_at: DateTime<Utc>,
        /// The search cursor to resume from (`Cursor::to_json`).
        search: String,
    },
    Incremental {
        since: DateTime<Utc>,
        started_at: DateTime<Utc>,
        search: String,
    },
}

impl State {
    fn kind(&self) -> &'static str {
        match self {
            State::Backfill { .. } => "backfill",
            State::Incremental { .. } => "incremental",
        }
    }

    fn search_cursor(&self) -> &str {
        match self {
            State::Backfill { search, .. } | State::Incremental { search, .. } => search,
        }
    }

    fn with_search(&self, cursor: &Cursor) -> State {
        let mut next = self.clone();
        match &mut next {
            State::Backfill { search, .. } | State::Incremental { search, .. } => {
                *search = cursor.to_json()
            }
        }
        next
    }

    fn started_at(&self) -> DateTime<Utc> {
        match self {
            State::Backfill { started_at, .. } | State::Incremental { started_at, .. } => {
                *started_at
            }
        }
    }

    fn request(&self) -> SearchRequest {
        match self {
            State::Backfill { cutoff, .. } => {
                SearchRequest::new(search::conversation::created_at().gt(*cutoff))
                    .sorted_by("created_at", SortOrder::Ascending)
            }
            State::Incremental { since, .. } => {
                SearchRequest::new(search::conversation::updated_at().gt(*since))
                    .sorted_by("updated_at", SortOrder::Ascending)
            }
        }
    }
}

/// Runs the conversations stream once. `full` starts a new backfill whatever the checkpoint says.
pub async fn run(ctx: Ctx<'_>, full: bool) -> Result<StreamReport> {
    let ws = ctx.workspace;
    let stored = ctx
        .store
        .checkpoint(ws.id, &StreamName::new(STREAM))
        .await?;
    let watermark = stored.as_ref().and_then(|c| c.watermark);
    let resumed: Option<State> = if full {
        None
    } else {
        parse_state(STREAM, stored.as_ref().and_then(|c| c.cursor.as_deref()))?
    };
    let now = Utc::now();
    let state = match (resumed, watermark, full) {
        (Some(state), _, _) => state,
        (None, Some(since), false) => State::Incremental {
            since,
            started_at: now,
            search: Cursor::Start.to_json(),
        },
        _ => State::Backfill {
            cutoff: now - Duration::days(i64::from(ws.backfill_days)),
            started_at: now,
            search: Cursor::Start.to_json(),
        },
    };
    let mut report = StreamReport::new(STREAM);
    report.stats.kind = Some(state.kind().to_owned());
    report.since = Some(match &state {
        State::Backfill { cutoff, .. } => *cutoff,
        State::Incremental { since, .. } => *since,
    });
    let before = ctx.client.stats();
    let queue = ctx.queue();
    let outcome = pages(ctx, &state, watermark, &queue, &mut report).await;
    let totals = queue.finish().await;
    let outcome = match (outcome, totals) {
        (outcome, Ok(totals)) => {
            settle(&mut report, &totals, &before, ctx.client);
            settle_conversations(&mut report, &totals.report);
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
    report.stats.records = report
        .also
        .get("conversations_written")
        .copied()
        .unwrap_or(0) as i64;
    report.stats.unchanged =
        (report.stats.read - report.stats.records - report.stats.skipped_total()).max(0);
    Ok(report)
}

/// The conversation figures of a store report.
pub(crate) fn settle_conversations(
    report: &mut StreamReport,
    written: &icsync_store::IngestReport,
) {
    report.add("conversations_written", written.conversations.written);
    report.add("parts_written", written.parts.written);
    report.add("conversations_deleted", written.conversations_deleted);
}

/// Conversations do not stop with User Tracking: only shutdown and disconnection stop them.
async fn should_stop(ctx: Ctx<'_>) -> Option<StopReason> {
    ctx.control.check(ctx.store, ctx.workspace.id, false).await
}

/// Reads every page of the pass; `Some(reason)` when it stopped early.
async fn pages(
    ctx: Ctx<'_>,
    state: &State,
    old_watermark: Option<DateTime<Utc>>,
    queue: &icsync_store::IngestQueue,
    report: &mut StreamReport,
) -> Result<Option<StopReason>> {
    if let Some(reason) = should_stop(ctx).await {
        return Ok(Some(reason));
    }
    let start = Cursor::from_json(state.search_cursor()).unwrap_or(Cursor::Start);
    let resuming = start != Cursor::Start;
    let request = state.request();
    let mut prefetch = Prefetch::new(
        ctx.client
            .conversations()
            .search_from(request.clone(), start),
        ctx.config.prefetch_pages,
    );
    ctx.progress.started(STREAM, state.kind(), None);
    let mut first = true;
    let mut page_no = 0u64;
    loop {
        let page = match prefetch.next().await {
            None => break,
            Some(Ok(page)) => page,
            Some(Err(err)) if first && resuming && stale_cursor(&err) => {
                // The stored search cursor may have expired: read the phase again from its
                // first page (unchanged conversations cost no retrieve, so little is lost).
                tracing::warn!(workspace = %ctx.workspace.name, stream = STREAM, error = %err, "stored search cursor refused, reading the pass again from its start");
                prefetch = Prefetch::new(
                    ctx.client.conversations().search(request.clone()),
                    ctx.config.prefetch_pages,
                );
                first = false;
                continue;
            }
            Some(Err(err)) => return Err(ctx.client_error(STREAM, err)),
        };
        if first && let Some(total) = page.total_count {
            ctx.progress.estimate(STREAM, total);
        }
        first = false;
        page_no += 1;
        report.add("search_pages", 1);
        let span = tracing::debug_span!("page", workspace = %ctx.workspace.name, stream = STREAM, page = page_no);
        let done = page.next.is_done();
        let mut ingest = import_page(ctx, page.items, &page.rejected, report)
            .instrument(span)
            .await?;
        ingest.checkpoint = Some(if done {
            let watermark = end_watermark(ctx, state, old_watermark);
            checkpoint::<State>(STREAM, Some(watermark), None, RunStatus::Succeeded)
        } else {
            checkpoint(
                STREAM,
                old_watermark,
                Some(&state.with_search(&page.next)),
                RunStatus::Running,
            )
        });
        push(queue, ingest).await?;
        if done {
            return Ok(None);
        }
        if let Some(reason) = should_stop(ctx).await {
            return Ok(Some(reason));
        }
    }
    let watermark = end_watermark(ctx, state, old_watermark);
    push(
        queue,
        checkpoint_page(checkpoint::<State>(
            STREAM,
            Some(watermark),
            None,
            RunStatus::Succeeded,
        )),
    )
    .await?;
    Ok(None)
}

/// The pass's start minus the search-lag margin, never backwards.
fn end_watermark(ctx: Ctx<'_>, state: &State, old: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let candidate = state.started_at() - ctx.config.lag_margin();
    match old {
        Some(old) if old > candidate => old,
        _ => candidate,
    }
}

fn stale_cursor(err: &ClientError) -> bool {
    matches!(err, ClientError::Api { status, .. } if (400..500).contains(status) && *status != 429)
        || matches!(err, ClientError::NotFound { .. })
}

/// Whether Intercom's search item says more than the stored copy holds.
fn is_due(item: &models::Conversation, stored: Option<&ConversationVersion>) -> bool {
    let Some(stored) = stored else {
        return true;
    };
    if stored.deleted {
        return true;
    }
    if item.updated_at.is_some_and(|at| at > stored.updated_at) {
        return true;
    }
    // Parts missing from an earlier copy (a notification that carried only the new parts). A
    // statistics count may include the source message, hence the one part of slack.
    let reported = convert::conversation::parts_reported(item).unwrap_or(0);
    let expected = reported.min(models::MAX_PARTS_RETURNED as i64);
    stored.parts_stored + 1 < expected
}

/// One search page (or one on-view page) into an ingest page: the conversations Intercom has
/// newer than the store, retrieved with their parts, linked to their contacts; those gone
/// (404) marked deleted.
pub(crate) async fn import_page(
    ctx: Ctx<'_>,
    items: Vec<models::Conversation>,
    rejected: &[models::RejectedItem],
    report: &mut StreamReport,
) -> Result<IngestPage> {
    let read = (items.len() + rejected.len()) as u64;
    report.stats.read += read as i64;
    ctx.progress.advanced(STREAM, read);
    for item in rejected {
        skip(ctx, report, &Rejected::undecodable(item));
    }
    let ids: Vec<ConversationId> = items
        .iter()
        .map(|c| ConversationId::new(c.id.trim()))
        .collect();
    let stored = ctx
        .store
        .conversation_versions(ctx.workspace.id, &ids)
        .await?;
    let due: Vec<String> = items
        .iter()
        .zip(&ids)
        .filter(|(item, id)| !item.id.trim().is_empty() && is_due(item, stored.get(*id)))
        .map(|(_, id)| id.as_str().to_owned())
        .collect();
    let mut retrieved = Box::pin(super::in_order(
        futures::stream::iter(due.into_iter().map(|id| {
            let client = ctx.client.clone();
            async move {
                let result = client.conversations().get(&id).await;
                (id, result)
            }
        })),
        ctx.config.conversations_concurrency,
        // At most a search page's (150): they are all held for the page's write anyway.
        ctx.config.conversations_concurrency * 32,
    ));
    let mut converted: Vec<ConvertedConversation> = Vec::new();
    let mut page = IngestPage::default();
    while let Some((id, result)) = retrieved.next().await {
        match result {
            Ok(wire) => {
                report.add("conversations_fetched", 1);
                match convert::conversation::convert(wire) {
                    Ok(c) => converted.push(c),
                    Err(rejected) => skip(ctx, report, &rejected),
                }
            }
            Err(ClientError::NotFound { .. }) => {
                tracing::info!(workspace = %ctx.workspace.name, stream = STREAM, conversation = %id, "conversation gone from intercom, marking it deleted");
                page.deleted_conversations.push(ConversationId::new(id));
            }
            Err(err) => return Err(ctx.client_error(STREAM, err)),
        }
    }
    drop(retrieved);
    collect(ctx, converted, &mut page, report).await?;
    Ok(page)
}

/// Links converted conversations to their contacts' emails and puts them in `page`.
pub(crate) async fn collect(
    ctx: Ctx<'_>,
    mut converted: Vec<ConvertedConversation>,
    page: &mut IngestPage,
    report: &mut StreamReport,
) -> Result<()> {
    let mut contacts: Vec<ContactId> = converted
        .iter()
        .flat_map(|c| c.conversation.contact_ids.iter().cloned())
        .collect();
    contacts.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    contacts.dedup();
    let emails: HashMap<ContactId, String> = if contacts.is_empty() {
        HashMap::new()
    } else {
        ctx.store
            .contact_emails(ctx.workspace.id, &contacts)
            .await?
    };
    for mut c in converted.drain(..) {
        if !c.link_email(&emails) {
            tracing::debug!(workspace = %ctx.workspace.name, stream = STREAM, conversation = %c.conversation.id, "conversation stored unmatched: none of its contacts has an email");
            report.add("conversations_unmatched", 1);
        }
        if c.conversation
            .parts_reported
            .is_some_and(|reported| reported > c.parts.len() as i64)
        {
            report.add("conversations_truncated", 1);
        }
        for rejected in &c.rejected_parts {
            skip(ctx, report, rejected);
        }
        report.add("parts_received", c.parts.len() as u64);
        page.parts.append(&mut c.parts);
        page.conversations.push(c.conversation);
    }
    Ok(())
}

fn skip(ctx: Ctx<'_>, report: &mut StreamReport, rejected: &Rejected) {
    super::users::skip(ctx, report, rejected);
}
