//! The companies stream: the companies of stored users whose companies changed since fetched.
//!
//! Which contacts are due comes from their markers (`companies_synced_updated_at` lags their
//! `updated_at`), so the stream knows its work without a request. It then fetches the companies
//! in the cheapest of three ways, counted in requests:
//! - **by id** (`GET /companies/{id}`): one request per distinct company of the due contacts;
//! - **list** (`POST /companies/list`, 150 a page, pages fetched several at a time and each
//!   retryable): every company with users, when there are at most 10,000 (Intercom's cap);
//! - **scroll**: every company, for larger workspaces (Intercom's 15-a-page scroll that cannot
//!   resume: a restart reads it again, upserts make that harmless).
//!
//! Listing keeps only companies some stored contact belongs to.

use super::users::{convert_companies, skip};
use super::{Ctx, checkpoint, checkpoint_page, parse_state, push, settle};
use crate::control::StopReason;
use crate::convert::Rejected;
use crate::error::Result;
use crate::report::StreamReport;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use icsync_domain::{CompanyId, ContactId, RunStatus, StreamName};
use icsync_intercom::{Cursor, Error as ClientError, Page, ScrollOptions, models};
use icsync_store::{ContactMark, IngestPage, IngestQueue};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

pub const STREAM: &str = StreamName::COMPANIES;
/// Intercom's page-number listing stops at this many companies.
const LIST_CAP: u64 = 10_000;
/// Companies per list page (the maximum).
const LIST_PAGE: u64 = 150;
/// Companies per scroll page (Intercom's fixed size).
const SCROLL_PAGE: u64 = 15;
/// Due contacts read from the store at a time.
const CONTACTS_PER_CHUNK: u64 = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
enum State {
    ById {
        started_at: DateTime<Utc>,
        /// The last due contact whose companies are stored.
        after: Option<String>,
    },
    List {
        started_at: DateTime<Utc>,
        next_page: u32,
        total_pages: u32,
    },
    Scroll {
        started_at: DateTime<Utc>,
    },
}

impl State {
    fn kind(&self) -> &'static str {
        match self {
            State::ById { .. } => "by_id",
            State::List { .. } => "list",
            State::Scroll { .. } => "scroll",
        }
    }
}

/// Runs the companies stream once.
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
        let (state, first_page) = match resumed {
            Some(state) => (state, None),
            None => match plan(ctx, &mut report).await? {
                Some(planned) => planned,
                // Nothing is due: no request, no write.
                None => return Ok(None),
            },
        };
        report.stats.kind = Some(state.kind().to_owned());
        ctx.progress.started(STREAM, state.kind(), None);
        match state {
            State::ById { started_at, after } => {
                by_id(ctx, &queue, &mut report, started_at, after, watermark).await
            }
            State::List {
                started_at,
                next_page,
                total_pages,
            } => {
                list(
                    ctx,
                    &queue,
                    &mut report,
                    (started_at, next_page, total_pages),
                    first_page,
                    watermark,
                )
                .await
            }
            State::Scroll { started_at } => {
                scroll(ctx, &queue, &mut report, started_at, watermark).await
            }
        }
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
    report.stats.records = report.also.get("companies_written").copied().unwrap_or(0) as i64;
    report.stats.unchanged =
        (report.stats.read - report.stats.records - report.stats.skipped_total()).max(0);
    Ok(report)
}

/// Picks the cheapest way to fetch what is due; `None` when nothing is.
async fn plan(
    ctx: Ctx<'_>,
    report: &mut StreamReport,
) -> Result<Option<(State, Option<Page<models::Company>>)>> {
    let ws = ctx.workspace;
    let started_at = Utc::now();
    let due = ctx.store.count_contacts_pending_companies(ws.id).await?;
    if due == 0 {
        return Ok(None);
    }
    // Distinct companies of the due contacts: the by-id cost.
    let mut referenced: HashSet<CompanyId> = HashSet::new();
    let mut after: Option<ContactId> = None;
    loop {
        let chunk = ctx
            .store
            .contacts_pending_companies(ws.id, after.as_ref(), 5_000)
            .await?;
        let Some(last) = chunk.last() else { break };
        after = Some(last.contact.clone());
        let contacts: Vec<ContactId> = chunk.into_iter().map(|p| p.contact).collect();
        referenced.extend(ctx.store.companies_of_contacts(ws.id, &contacts).await?);
    }
    let by_id = State::ById {
        started_at,
        after: None,
    };
    let by_id_cost = referenced.len() as u64;
    if by_id_cost <= 1 {
        return Ok(Some((by_id, None)));
    }
    // One list page tells how many companies there are (and is kept if listing wins).
    let first = ctx
        .client
        .companies()
        .list_from(Cursor::Page { page: 1 })
        .next()
        .await;
    let first = match first {
        Some(Ok(page)) => page,
        Some(Err(err)) => return Err(ctx.client_error(STREAM, err)),
        None => return Ok(Some((by_id, None))),
    };
    let total = first.total_count.unwrap_or(0);
    if total > LIST_CAP {
        let scroll_cost = total.div_ceil(SCROLL_PAGE) + 1;
        if by_id_cost <= scroll_cost {
            return Ok(Some((by_id, None)));
        }
        return Ok(Some((State::Scroll { started_at }, None)));
    }
    let total_pages = total.div_ceil(LIST_PAGE).max(1);
    if by_id_cost < total_pages {
        return Ok(Some((by_id, None)));
    }
    report.add("list_pages", total_pages);
    Ok(Some((
        State::List {
            started_at,
            next_page: 1,
            total_pages: u32::try_from(total_pages).unwrap_or(u32::MAX),
        },
        Some(first),
    )))
}

/// One request per distinct company of the due contacts, a chunk of contacts at a time.
async fn by_id(
    ctx: Ctx<'_>,
    queue: &IngestQueue,
    report: &mut StreamReport,
    started_at: DateTime<Utc>,
    mut after: Option<String>,
    watermark: Option<DateTime<Utc>>,
) -> Result<Option<StopReason>> {
    let ws = ctx.workspace;
    ctx.progress.estimate(
        STREAM,
        ctx.store.count_contacts_pending_companies(ws.id).await?,
    );
    let mut fetched: HashSet<CompanyId> = HashSet::new();
    loop {
        let after_id = after.clone().map(ContactId::new);
        let due = ctx
            .store
            .contacts_pending_companies(ws.id, after_id.as_ref(), CONTACTS_PER_CHUNK)
            .await?;
        let Some(last) = due.last() else {
            break;
        };
        let last = last.contact.as_str().to_owned();
        let contacts: Vec<ContactId> = due.iter().map(|p| p.contact.clone()).collect();
        let wanted: Vec<CompanyId> = ctx
            .store
            .companies_of_contacts(ws.id, &contacts)
            .await?
            .into_iter()
            .filter(|id| !fetched.contains(id))
            .collect();
        let results = futures::stream::iter(wanted.into_iter().map(|id| {
            let client = ctx.client.clone();
            async move {
                let result = client.companies().get(id.as_str()).await;
                (id, result)
            }
        }))
        .buffer_unordered(ctx.config.companies_concurrency)
        .collect::<Vec<_>>()
        .await;
        let mut wire = Vec::with_capacity(results.len());
        for (id, result) in results {
            match result {
                Ok(company) => wire.push(company),
                Err(ClientError::NotFound { .. }) => {
                    report.add("companies_not_found", 1);
                    tracing::info!(workspace = %ws.name, stream = STREAM, company = %id, "company gone from intercom");
                }
                Err(err) => return Err(ctx.client_error(STREAM, err)),
            }
            fetched.insert(id);
        }
        report.stats.read += wire.len() as i64;
        ctx.progress.advanced(STREAM, due.len() as u64);
        let (companies, _) = convert_companies(ctx, wire, report);
        let page = IngestPage {
            companies,
            marks: due
                .into_iter()
                .map(|p| ContactMark::CompaniesSynced {
                    contact: p.contact,
                    updated_at: p.updated_at,
                })
                .collect(),
            checkpoint: Some(checkpoint(
                STREAM,
                watermark,
                Some(&State::ById {
                    started_at,
                    after: Some(last.clone()),
                }),
                RunStatus::Running,
            )),
            ..IngestPage::default()
        };
        push(queue, page).await?;
        after = Some(last);
        if let Some(reason) = ctx.should_stop().await {
            return Ok(Some(reason));
        }
    }
    push(
        queue,
        checkpoint_page(checkpoint::<State>(
            STREAM,
            Some(started_at),
            None,
            RunStatus::Succeeded,
        )),
    )
    .await?;
    Ok(None)
}

/// Every list page, several in flight, committed in order; then the referenced companies the
/// list did not show, by id.
async fn list(
    ctx: Ctx<'_>,
    queue: &IngestQueue,
    report: &mut StreamReport,
    (started_at, next_page, total_pages): (DateTime<Utc>, u32, u32),
    first_page: Option<Page<models::Company>>,
    watermark: Option<DateTime<Utc>>,
) -> Result<Option<StopReason>> {
    let referenced = ctx.store.referenced_companies(ctx.workspace.id).await?;
    ctx.progress
        .estimate(STREAM, u64::from(total_pages) * LIST_PAGE);
    let mut first_page = first_page.filter(|_| next_page == 1);
    let pages = futures::stream::iter(next_page..=total_pages).map(|number| {
        let client = ctx.client.clone();
        let ready = if number == 1 { first_page.take() } else { None };
        async move {
            if let Some(page) = ready {
                return (number, Ok(page));
            }
            let fetched = client
                .companies()
                .list_from(Cursor::Page { page: number })
                .next()
                .await;
            let result = match fetched {
                Some(result) => result,
                None => Ok(Page {
                    items: Vec::new(),
                    cursor: Cursor::Page { page: number },
                    next: Cursor::Done,
                    total_count: None,
                    restarted: false,
                    rejected: Vec::new(),
                }),
            };
            (number, result)
        }
    });
    // Pages of 150 companies: up to eight per request in flight wait behind a retried one.
    let pages = super::in_order(
        pages,
        ctx.config.companies_concurrency,
        ctx.config.companies_concurrency * 8,
    );
    futures::pin_mut!(pages);
    let mut seen = HashSet::new();
    while let Some((number, result)) = pages.next().await {
        let page = result.map_err(|e| ctx.client_error(STREAM, e))?;
        let ingest = keep_referenced(ctx, report, page, &referenced, &mut seen);
        let next = State::List {
            started_at,
            next_page: number + 1,
            total_pages,
        };
        push(
            queue,
            IngestPage {
                checkpoint: Some(checkpoint(
                    STREAM,
                    watermark,
                    Some(&next),
                    RunStatus::Running,
                )),
                ..ingest
            },
        )
        .await?;
        if let Some(reason) = ctx.should_stop().await {
            return Ok(Some(reason));
        }
    }
    finish_enumeration(ctx, queue, report, started_at, &seen).await
}

/// The company scroll (it cannot resume: a resumed run scrolls from the start again).
async fn scroll(
    ctx: Ctx<'_>,
    queue: &IngestQueue,
    report: &mut StreamReport,
    started_at: DateTime<Utc>,
    watermark: Option<DateTime<Utc>>,
) -> Result<Option<StopReason>> {
    let referenced = ctx.store.referenced_companies(ctx.workspace.id).await?;
    let mut pages = ctx.client.companies().scroll(ScrollOptions::default());
    let mut seen = HashSet::new();
    while let Some(result) = pages.next().await {
        let page = result.map_err(|e| ctx.client_error(STREAM, e))?;
        let ingest = keep_referenced(ctx, report, page, &referenced, &mut seen);
        push(
            queue,
            IngestPage {
                checkpoint: Some(checkpoint(
                    STREAM,
                    watermark,
                    Some(&State::Scroll { started_at }),
                    RunStatus::Running,
                )),
                ..ingest
            },
        )
        .await?;
        if let Some(reason) = ctx.should_stop().await {
            return Ok(Some(reason));
        }
    }
    finish_enumeration(ctx, queue, report, started_at, &seen).await
}

/// The companies of a listed page that some stored contact belongs to.
fn keep_referenced(
    ctx: Ctx<'_>,
    report: &mut StreamReport,
    page: Page<models::Company>,
    referenced: &HashSet<String>,
    seen: &mut HashSet<String>,
) -> IngestPage {
    for item in &page.rejected {
        skip(ctx, report, &Rejected::undecodable(item));
    }
    let wanted: Vec<models::Company> = page
        .items
        .into_iter()
        .filter(|c| referenced.contains(c.id.as_str()))
        .collect();
    seen.extend(wanted.iter().map(|c| c.id.clone()));
    report.stats.read += wanted.len() as i64;
    ctx.progress.advanced(STREAM, LIST_PAGE);
    let (companies, _) = convert_companies(ctx, wanted, report);
    IngestPage {
        companies,
        ..IngestPage::default()
    }
}

/// After listing everything: referenced companies still not stored are fetched by id, then every
/// contact imported before the listing began is marked synced, with the end checkpoint.
async fn finish_enumeration(
    ctx: Ctx<'_>,
    queue: &IngestQueue,
    report: &mut StreamReport,
    started_at: DateTime<Utc>,
    listed: &HashSet<String>,
) -> Result<Option<StopReason>> {
    // Pages of this run may still be queued: what they hold is in `listed`; what earlier runs
    // stored (before a resume) is in the store.
    let missing: Vec<String> = ctx
        .store
        .referenced_companies_not_stored(ctx.workspace.id)
        .await?
        .into_iter()
        .filter(|id| !listed.contains(id))
        .collect();
    let results = futures::stream::iter(missing.into_iter().map(|id| {
        let client = ctx.client.clone();
        async move {
            let result = client.companies().get(&id).await;
            (id, result)
        }
    }))
    .buffer_unordered(ctx.config.companies_concurrency)
    .collect::<Vec<_>>()
    .await;
    let mut wire = Vec::new();
    for (id, result) in results {
        match result {
            Ok(company) => wire.push(company),
            Err(ClientError::NotFound { .. }) => {
                report.add("companies_not_found", 1);
                tracing::info!(workspace = %ctx.workspace.name, stream = STREAM, company = %id, "company gone from intercom");
            }
            Err(err) => return Err(ctx.client_error(STREAM, err)),
        }
    }
    report.stats.read += wire.len() as i64;
    let (companies, _) = convert_companies(ctx, wire, report);
    push(
        queue,
        IngestPage {
            companies,
            marks: vec![ContactMark::CompaniesSyncedUpTo {
                imported_by: started_at,
            }],
            checkpoint: Some(checkpoint::<State>(
                STREAM,
                Some(started_at),
                None,
                RunStatus::Succeeded,
            )),
            ..IngestPage::default()
        },
    )
    .await?;
    Ok(None)
}
