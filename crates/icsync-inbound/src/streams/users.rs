//! The users stream: contact search pages into contacts and their complete company lists.
//!
//! - **Backfill** (first run, and after User Tracking is switched on): users (and leads when the
//!   workspace includes them) created at or after a cutoff `backfill_days` before the run began.
//!   Contact search matches dates by day in the workspace's time zone, so the query starts at the
//!   cutoff's local day and the page is filtered to the exact second. The cutoff is kept in the
//!   checkpoint, so a resumed backfill keeps it.
//! - **Incremental**: users updated since the watermark, re-read from the start of the
//!   watermark's local day; the new watermark trails the pass's start by the search-lag margin.
//! - A contact whose inline company list is incomplete (more than 10) has its companies listed;
//!   a contact Intercom answers 404 for is marked deleted.
//! - Contact tags (listed inline by id) are named from one id -> name map per run
//!   ([`crate::tags`]): listed before a backfill's first page; on incremental passes from
//!   what the store knows, else `GET /tags`; at most two lists a run.
//! - When due, a deletion check searches every stored contact's id (50 per request) and marks
//!   those Intercom no longer has.

use super::{Ctx, Prefetch, checkpoint, checkpoint_page, parse_state, push, settle};
use crate::control::StopReason;
use crate::convert::{self, Rejected, contact::ContactWithCompanies};
use crate::error::Result;
use crate::report::StreamReport;
use crate::tags::TagNames;
use chrono::{DateTime, Duration, TimeZone, Utc};
use futures::{StreamExt, TryStreamExt};
use icsync_domain::{Company, CompanyId, ContactId, ContactRole, RunStatus, StreamName};
use icsync_intercom::{Cursor, Error as ClientError, Query, SearchRequest, search};
use icsync_store::{ContactMark, IngestPage};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use tracing::Instrument;

pub const STREAM: &str = StreamName::USERS;
const DELETIONS: &str = "users:deletions";
/// Ids per deletion-check search (one `IN` filter).
const IDS_PER_CHECK: usize = 50;

/// The users stream's position, stored as its checkpoint cursor while a pass runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct State {
    #[serde(flatten)]
    phase: Phase,
    started_at: DateTime<Utc>,
    /// Disjoint date ranges searched at the same time, each with its own cursor.
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
enum Phase {
    /// Users created at or after `cutoff`.
    Backfill { cutoff: DateTime<Utc> },
    /// Users updated since `since` (re-read from the start of its local day).
    Incremental { since: DateTime<Utc> },
}

/// One date range of a pass: `field > after` and, unless last, `field < before` (contact
/// search matches dates by local day, so both bounds sit on local day boundaries).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Part {
    after: DateTime<Utc>,
    before: Option<DateTime<Utc>>,
    /// The search cursor to resume from (`Cursor::to_json`).
    search: String,
    done: bool,
}

impl State {
    fn kind(&self) -> &'static str {
        match self.phase {
            Phase::Backfill { .. } => "backfill",
            Phase::Incremental { .. } => "incremental",
        }
    }

    fn field(&self) -> search::ContactDateField {
        match self.phase {
            Phase::Backfill { .. } => search::contact::created_at(),
            Phase::Incremental { .. } => search::contact::updated_at(),
        }
    }

    /// A new pass over `[from, now]`, split into up to `parts` ranges of whole local days.
    fn new(phase: Phase, started_at: DateTime<Utc>, zone: Option<&str>, parts: usize) -> State {
        let (field, from) = match phase {
            Phase::Backfill { cutoff } => (search::contact::created_at(), cutoff),
            Phase::Incremental { since } => (search::contact::updated_at(), since),
        };
        let window = search::contacts_since_in_zone(field, from, zone);
        // The start of every local day of the window, the first one included.
        let mut day_starts = vec![window.rereads_from];
        if let Some(tz) = zone.and_then(|z| z.trim().parse::<chrono_tz::Tz>().ok()) {
            let today = started_at.with_timezone(&tz).date_naive();
            let mut day = window.rereads_from.with_timezone(&tz).date_naive();
            while let Some(next) = day.succ_opt().filter(|next| *next <= today) {
                day = next;
                if let Some(start) = tz
                    .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
                    .earliest()
                {
                    day_starts.push(start.with_timezone(&Utc));
                }
            }
        }
        let count = parts.clamp(1, day_starts.len());
        let per_part = day_starts.len().div_ceil(count);
        // Each part but the first begins on a local day start.
        let cuts: Vec<DateTime<Utc>> = (1..count)
            .filter_map(|i| day_starts.get(i * per_part).copied())
            .collect();
        let mut parts = Vec::with_capacity(cuts.len() + 1);
        let mut after = window.lower_bound;
        for cut in cuts.iter().copied().map(Some).chain(std::iter::once(None)) {
            parts.push(Part {
                after,
                // `< cut` matches dates before `cut`'s local day: the next part has that day.
                before: cut,
                search: Cursor::Start.to_json(),
                done: false,
            });
            if let Some(cut) = cut {
                // `> cut - 1s` matches from `cut`'s local day on.
                after = cut - Duration::seconds(1);
            }
        }
        State {
            phase,
            started_at,
            parts,
        }
    }
}

/// Runs the users stream once. `full` starts a new backfill whatever the checkpoint says.
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
    let zone = ws.timezone.as_deref();
    let partitions = ctx.config.search_partitions;
    let state = match (resumed, watermark, full) {
        (Some(state), _, _) => state,
        (None, Some(since), false) => {
            State::new(Phase::Incremental { since }, now, zone, partitions)
        }
        _ => State::new(
            Phase::Backfill {
                cutoff: now - Duration::days(i64::from(ws.backfill_days)),
            },
            now,
            zone,
            partitions,
        ),
    };
    let mut report = StreamReport::new(STREAM);
    report.stats.kind = Some(state.kind().to_owned());
    report.since = Some(match state.phase {
        Phase::Backfill { cutoff } => cutoff,
        Phase::Incremental { since } => since,
    });
    let before = ctx.client.stats();
    let queue = ctx.queue();
    let tags = TagNames::new();
    let outcome = pages(ctx, &state, watermark, &queue, &tags, &mut report).await;
    let totals = queue.finish().await;
    let outcome = match (outcome, totals) {
        (Ok(end), Ok(totals)) => {
            settle(&mut report, &totals, &before, ctx.client);
            Ok(end)
        }
        (Err(err), Ok(totals)) => {
            settle(&mut report, &totals, &before, ctx.client);
            Err(err)
        }
        (_, Err(store)) => Err(store.into()),
    };
    match outcome? {
        None => {
            report.status = RunStatus::Succeeded;
            if matches!(state.phase, Phase::Incremental { .. }) || full {
                deletion_check_if_due(ctx, &mut report, full).await?;
            }
        }
        Some(reason) => {
            report.status = RunStatus::Stopped;
            report.error = Some(reason.describe().to_owned());
            ctx.store
                .set_checkpoint_status(ws.id, &StreamName::new(STREAM), RunStatus::Stopped)
                .await?;
        }
    }
    report.stats.records = report.also.get("contacts_written").copied().unwrap_or(0) as i64;
    report.stats.unchanged =
        (report.stats.read - report.stats.records - report.stats.skipped_total()).max(0);
    Ok(report)
}

/// The search of one part of a pass: the role filter AND the part's date range.
fn query(ctx: Ctx<'_>, state: &State, part: &Part) -> SearchRequest {
    let role = if ctx.workspace.include_leads {
        search::contact::role().is_in(["user", "lead"])
    } else {
        search::contact::role().eq("user")
    };
    let field = state.field();
    let mut filters = vec![role, field.after_day_of(part.after)];
    if let Some(before) = part.before {
        filters.push(field.before_day_of(before));
    }
    SearchRequest::new(Query::and(filters))
}

/// The pass's shared position: parts report their pages here, in the order they are queued
/// (which is the order they commit), so each page's checkpoint holds every part's cursor.
struct Shared {
    state: State,
    old_watermark: Option<DateTime<Utc>>,
}

/// Reads every part of the pass at the same time; `Some(reason)` when it stopped early.
async fn pages(
    ctx: Ctx<'_>,
    state: &State,
    old_watermark: Option<DateTime<Utc>>,
    queue: &icsync_store::IngestQueue,
    tags: &TagNames,
    report: &mut StreamReport,
) -> Result<Option<StopReason>> {
    if let Some(reason) = ctx.should_stop().await {
        return Ok(Some(reason));
    }
    if let Phase::Backfill { .. } = state.phase {
        tags.preload(ctx, report).await?;
    }
    ctx.progress.started(STREAM, state.kind(), None);
    let shared = tokio::sync::Mutex::new(Shared {
        state: state.clone(),
        old_watermark,
    });
    let parts: Vec<usize> = (0..state.parts.len())
        .filter(|i| !state.parts[*i].done)
        .collect();
    if parts.is_empty() {
        // Every part was done when the pass was interrupted: only its end is missing.
        let end = end_checkpoint(ctx, &shared.lock().await.state, old_watermark);
        push(queue, checkpoint_page(end)).await?;
        return Ok(None);
    }
    let estimates = std::sync::Mutex::new(vec![0u64; state.parts.len()]);
    let runs = parts.into_iter().map(|index| {
        let shared = &shared;
        let estimates = &estimates;
        async move {
            let mut part_report = StreamReport::new(STREAM);
            let outcome =
                part_pages(ctx, index, shared, estimates, queue, tags, &mut part_report).await;
            (outcome, part_report)
        }
    });
    let results = futures::future::join_all(runs).await;
    let mut stopped = None;
    let mut failed = None;
    for (outcome, part_report) in results {
        report.stats.absorb(&part_report.stats);
        for (key, n) in part_report.also {
            report.add(key, n);
        }
        match outcome {
            Ok(Some(reason)) => stopped = stopped.or(Some(reason)),
            Ok(None) => {}
            Err(err) => failed = failed.or(Some(err)),
        }
    }
    match (failed, stopped) {
        (Some(err), _) => Err(err),
        (None, stopped) => Ok(stopped),
    }
}

/// One part's pages, each pushed with the checkpoint of the whole pass.
async fn part_pages(
    ctx: Ctx<'_>,
    index: usize,
    shared: &tokio::sync::Mutex<Shared>,
    estimates: &std::sync::Mutex<Vec<u64>>,
    queue: &icsync_store::IngestQueue,
    tags: &TagNames,
    report: &mut StreamReport,
) -> Result<Option<StopReason>> {
    let (state, part) = {
        let shared = shared.lock().await;
        (shared.state.clone(), shared.state.parts[index].clone())
    };
    let start = Cursor::from_json(&part.search).unwrap_or(Cursor::Start);
    let resuming = start != Cursor::Start;
    let search = query(ctx, &state, &part);
    let fallback = (!ctx.workspace.include_leads).then_some(ContactRole::User);
    let convert = move |wire| convert::contact::convert(wire, fallback);
    let mut prefetch = Prefetch::mapped(
        ctx.client.contacts().search_from(search.clone(), start),
        ctx.config.prefetch_pages,
        convert,
    );
    let mut first = true;
    let mut page_no = 0u64;
    loop {
        let page = match prefetch.next().await {
            None => break,
            Some(Ok(page)) => page,
            Some(Err(err)) if first && resuming && stale_cursor(&err) => {
                // A search cursor from an earlier process may have expired: read the part
                // again from its first page (upserts make the repeat harmless).
                tracing::warn!(workspace = %ctx.workspace.name, stream = STREAM, part = index, error = %err, "stored search cursor refused, reading the part again from its start");
                prefetch = Prefetch::mapped(
                    ctx.client.contacts().search(search.clone()),
                    ctx.config.prefetch_pages,
                    convert,
                );
                first = false;
                continue;
            }
            Some(Err(err)) => return Err(ctx.client_error(STREAM, err)),
        };
        if first
            && let Some(total) = page.total_count
            && let Ok(mut estimates) = estimates.lock()
        {
            estimates[index] = total;
            ctx.progress.estimate(STREAM, estimates.iter().sum());
        }
        first = false;
        page_no += 1;
        let span = tracing::debug_span!("page", workspace = %ctx.workspace.name, stream = STREAM, part = index, page = page_no);
        let done = page.next.is_done();
        let mut ingest = convert_page(ctx, &state, page.items, &page.rejected, tags, report)
            .instrument(span)
            .await?;
        let mut shared = shared.lock().await;
        {
            let part = &mut shared.state.parts[index];
            part.search = page.next.to_json();
            part.done = done;
        }
        ingest.checkpoint = Some(next_checkpoint(ctx, &shared));
        push(queue, ingest).await?;
        drop(shared);
        if done {
            return Ok(None);
        }
        if let Some(reason) = ctx.should_stop().await {
            return Ok(Some(reason));
        }
    }
    // The search ended without a last page (it answered nothing at all).
    let mut shared = shared.lock().await;
    shared.state.parts[index].done = true;
    let checkpoint = next_checkpoint(ctx, &shared);
    push(queue, checkpoint_page(checkpoint)).await?;
    Ok(None)
}

/// The checkpoint after the latest page: the pass's state while a part is left, the new
/// watermark once every part is done.
fn next_checkpoint(ctx: Ctx<'_>, shared: &Shared) -> icsync_store::CheckpointUpdate {
    if shared.state.parts.iter().all(|p| p.done) {
        end_checkpoint(ctx, &shared.state, shared.old_watermark)
    } else {
        checkpoint(
            STREAM,
            shared.old_watermark,
            Some(&shared.state),
            RunStatus::Running,
        )
    }
}

fn end_checkpoint(
    ctx: Ctx<'_>,
    state: &State,
    old: Option<DateTime<Utc>>,
) -> icsync_store::CheckpointUpdate {
    let watermark = end_watermark(ctx, state, old);
    checkpoint::<State>(STREAM, Some(watermark), None, RunStatus::Succeeded)
}

/// Where the watermark goes when a pass completes: the pass's start minus the search-lag
/// margin, never backwards.
fn end_watermark(ctx: Ctx<'_>, state: &State, old: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let candidate = state.started_at - ctx.config.lag_margin();
    match old {
        Some(old) if old > candidate => old,
        _ => candidate,
    }
}

fn stale_cursor(err: &ClientError) -> bool {
    matches!(err, ClientError::Api { status, .. } if (400..500).contains(status) && *status != 429)
        || matches!(err, ClientError::NotFound { .. })
}

/// Turns one search page, its contacts converted by the fetching task, into an ingest page:
/// in-scope contacts, their complete company lists (listing the companies of contacts with more
/// than the inline ten), and marks.
async fn convert_page(
    ctx: Ctx<'_>,
    state: &State,
    items: Vec<Result<ContactWithCompanies, Rejected>>,
    rejected: &[icsync_intercom::models::RejectedItem],
    tags: &TagNames,
    report: &mut StreamReport,
) -> Result<IngestPage> {
    let read = (items.len() + rejected.len()) as u64;
    report.stats.read += read as i64;
    ctx.progress.advanced(STREAM, read);
    for item in rejected {
        skip(ctx, report, &Rejected::undecodable(item));
    }
    let mut accepted: Vec<ContactWithCompanies> = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Ok(converted) => {
                let contact = &converted.contact.record;
                if contact.role == ContactRole::Lead && !ctx.workspace.include_leads {
                    report.stats.skip("lead_not_included");
                    continue;
                }
                if let Phase::Backfill { cutoff } = state.phase
                    && contact.created_at.is_some_and(|created| created < cutoff)
                {
                    // Same local day as the cutoff, but before it.
                    report.stats.skip("created_before_cutoff");
                    continue;
                }
                report.stats.shadowed_attributes += converted.contact.shadowed.len() as i64;
                accepted.push(converted);
            }
            Err(rejected) => skip(ctx, report, &rejected),
        }
    }
    tags.name_page(
        ctx,
        accepted.iter_mut().map(|c| &mut c.contact.record),
        report,
    )
    .await?;
    let mut page = IngestPage::default();
    let (complete, incomplete): (Vec<_>, Vec<_>) =
        accepted.into_iter().partition(|c| c.companies_complete);
    for c in complete {
        let contact = c.contact.record;
        if c.companies.is_empty() {
            // Nothing to fetch for this contact's companies.
            page.marks.push(ContactMark::CompaniesSynced {
                contact: contact.id.clone(),
                updated_at: contact.updated_at,
            });
        }
        page.company_sets.push((contact.id.clone(), c.companies));
        page.contacts.push(contact);
    }
    let listed = futures::stream::iter(incomplete.into_iter().map(|c| {
        let client = ctx.client.clone();
        async move {
            let id = c.contact.record.id.as_str().to_owned();
            let result = icsync_intercom::collect_all(client.contacts().companies(&id)).await;
            (c, result)
        }
    }))
    .buffer_unordered(ctx.config.contact_companies_concurrency)
    .collect::<Vec<_>>()
    .await;
    for (c, result) in listed {
        let contact = c.contact.record;
        match result {
            Ok(wire_companies) => {
                let (companies, ids) = convert_companies(ctx, wire_companies, report);
                page.companies.extend(companies);
                // Those companies are stored with this page: nothing left to fetch.
                page.marks.push(ContactMark::CompaniesSynced {
                    contact: contact.id.clone(),
                    updated_at: contact.updated_at,
                });
                page.company_sets.push((contact.id.clone(), ids));
                page.contacts.push(contact);
            }
            Err(ClientError::NotFound { .. }) => {
                tracing::info!(workspace = %ctx.workspace.name, stream = STREAM, contact = %contact.id, "contact gone from intercom while listing its companies, marking it deleted");
                page.marks.push(ContactMark::Deleted {
                    contact: contact.id.clone(),
                });
                report.add("contacts_deleted", 1);
            }
            Err(err) => return Err(ctx.client_error(STREAM, err)),
        }
    }
    Ok(page)
}

/// Converts listed companies, counting those that cannot be.
pub(crate) fn convert_companies(
    ctx: Ctx<'_>,
    wire: Vec<icsync_intercom::models::Company>,
    report: &mut StreamReport,
) -> (Vec<Company>, Vec<CompanyId>) {
    let mut companies = Vec::with_capacity(wire.len());
    let mut ids = Vec::with_capacity(wire.len());
    for company in wire {
        match convert::company::convert(company) {
            Ok(converted) => {
                report.stats.shadowed_attributes += converted.shadowed.len() as i64;
                ids.push(converted.record.id.clone());
                companies.push(converted.record);
            }
            Err(rejected) => skip(ctx, report, &rejected),
        }
    }
    (companies, ids)
}

pub(crate) fn skip(ctx: Ctx<'_>, report: &mut StreamReport, rejected: &Rejected) {
    tracing::warn!(
        workspace = %ctx.workspace.name,
        stream = %report.stream,
        id = rejected.id.as_deref().unwrap_or("(none)"),
        reason = rejected.reason,
        error = %rejected.detail,
        "record skipped: it cannot be converted"
    );
    report.stats.skip(rejected.reason);
}

/// When the last check is older than the interval (or `force`), asks Intercom which stored
/// contacts still exist and marks the others deleted.
async fn deletion_check_if_due(ctx: Ctx<'_>, report: &mut StreamReport, force: bool) -> Result<()> {
    let ws = ctx.workspace;
    let last = ctx
        .store
        .checkpoint(ws.id, &StreamName::new(DELETIONS))
        .await?
        .and_then(|c| c.watermark);
    let now = Utc::now();
    let due = force || last.is_none_or(|last| now - last >= ctx.config.deletion_check_interval());
    if !due {
        return Ok(());
    }
    let before = ctx.client.stats();
    let queue = ctx.queue();
    let mut after: Option<ContactId> = None;
    let mut marked = 0u64;
    let result: Result<Option<StopReason>> = async {
        loop {
            if let Some(reason) = ctx.should_stop().await {
                return Ok(Some(reason));
            }
            let ids = ctx
                .store
                .live_contact_ids(ws.id, after.as_ref(), IDS_PER_CHECK as u64)
                .await?;
            let Some(last_id) = ids.last().cloned() else {
                return Ok(None);
            };
            let gone = missing_in_intercom(ctx, &ids).await?;
            marked += gone.len() as u64;
            let page = IngestPage {
                marks: gone
                    .into_iter()
                    .map(|contact| ContactMark::Deleted { contact })
                    .collect(),
                ..IngestPage::default()
            };
            push(&queue, page).await?;
            after = Some(last_id);
        }
    }
    .await;
    let totals = queue.finish().await?;
    report.add("contacts_deleted", totals.report.marked.min(marked));
    let used = ctx.client.stats().since(&before);
    report.stats.requests += used.requests as i64;
    report.stats.rate_limited += used.rate_limited as i64;
    report.stats.pacer_wait_ms += used.pacer_wait.as_millis() as i64;
    if result?.is_none() {
        ctx.store
            .write_batch(
                ws.id,
                icsync_store::IngestBatch {
                    checkpoint: Some(&checkpoint::<()>(
                        DELETIONS,
                        Some(now),
                        None,
                        RunStatus::Succeeded,
                    )),
                    ..Default::default()
                },
            )
            .await?;
    }
    Ok(())
}

/// Which of `ids` Intercom no longer has: those an id search does not return and a direct
/// read answers 404 for (a search may miss a contact changed a moment ago).
async fn missing_in_intercom(ctx: Ctx<'_>, ids: &[ContactId]) -> Result<Vec<ContactId>> {
    let query = search::contact::id().is_in(ids.iter().map(|id| id.as_str().to_owned()));
    let found: HashSet<String> = ctx
        .client
        .contacts()
        .search(SearchRequest::new(query))
        .map_ok(|page| {
            futures::stream::iter(
                page.items
                    .into_iter()
                    .map(|c| c.id)
                    .chain(page.rejected.into_iter().filter_map(|r| r.id))
                    .map(Ok::<_, ClientError>),
            )
        })
        .try_flatten()
        .try_collect()
        .await
        .map_err(|e| ctx.client_error(STREAM, e))?;
    let mut gone = Vec::new();
    for id in ids.iter().filter(|id| !found.contains(id.as_str())) {
        match ctx.client.contacts().get(id.as_str()).await {
            Err(ClientError::NotFound { .. }) => gone.push(id.clone()),
            Ok(_) => {}
            Err(err) => return Err(ctx.client_error(STREAM, err)),
        }
    }
    Ok(gone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn a_backfill_is_split_into_contiguous_ranges_of_whole_local_days() {
        let now = at("2026-12-01T20:00:00Z");
        let cutoff = now - Duration::days(60);
        let state = State::new(
            Phase::Backfill { cutoff },
            now,
            Some("America/Los_Angeles"),
            4,
        );
        assert_eq!(state.parts.len(), 4);
        let first = &state.parts[0];
        // The cutoff's local day starts at 00:00 PST = 08:00 UTC (PDT before Nov 1st: 07:00).
        assert_eq!(first.after, at("2026-10-02T06:59:59Z"));
        for pair in state.parts.windows(2) {
            let cut = pair[0].before.unwrap_or_else(|| panic!("a bound"));
            assert_eq!(pair[1].after, cut - Duration::seconds(1), "contiguous");
            let local = cut.with_timezone(&chrono_tz::America::Los_Angeles);
            assert_eq!(
                local.time(),
                chrono::NaiveTime::MIN,
                "on a local midnight: {local}"
            );
        }
        assert_eq!(state.parts[3].before, None, "the last range is open");
        assert!(state.parts.iter().all(|p| !p.done));
    }

    #[test]
    fn an_unknown_zone_or_a_one_day_window_is_one_range() {
        let now = at("2026-12-01T20:00:00Z");
        let unknown = State::new(
            Phase::Backfill {
                cutoff: now - Duration::days(60),
            },
            now,
            None,
            4,
        );
        assert_eq!(unknown.parts.len(), 1);
        let today = State::new(
            Phase::Incremental {
                since: now - Duration::minutes(20),
            },
            now,
            Some("Europe/Dublin"),
            4,
        );
        assert_eq!(today.parts.len(), 1);
        assert_eq!(today.parts[0].before, None);
    }

    #[test]
    fn the_state_survives_its_checkpoint() {
        let now = at("2026-12-01T20:00:00Z");
        let state = State::new(
            Phase::Backfill {
                cutoff: now - Duration::days(60),
            },
            now,
            Some("Asia/Tokyo"),
            3,
        );
        let text = serde_json::to_string(&state).unwrap_or_default();
        assert_eq!(
            parse_state::<State>(STREAM, Some(&text)).ok().flatten(),
            Some(state)
        );
    }
}
