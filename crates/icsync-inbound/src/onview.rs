//! On-view fetch: when a CS person opens a profile, that contact's conversations (and their
//! new parts) are imported from Intercom unless the stored copy is fresh.
//!
//! - One upstream fetch per contact at a time: concurrent views of one contact share it
//!   (a moka cache of in-flight and finished fetches, keyed by workspace and contact).
//! - A finished fetch keeps the contact fresh for `on_view_ttl_secs`: views within it make
//!   no request at all. A failed fetch is forgotten at once, so the next view tries again.
//! - Requests run at [`Priority::OnView`], ahead of writeback and backfill in the workspace's
//!   shared pacer.
//! - A view waits at most `on_view_timeout_ms`; then it answers [`FreshnessState::Stale`]
//!   and the caller serves the stored copy. The fetch runs on in its own task and lands for
//!   the next view.
//!
//! The fetch: a conversation search on the contact (`contact_ids = id`), a retrieve of each
//! conversation newer than the store (one request each), and a retrieve of stored
//! conversations of the contact that the search no longer shows (404 marks them deleted).

use crate::client::{ClientSettings, client_for};
use crate::config::InboundConfig;
use crate::control::RunControl;
use crate::error::{InboundError, Result};
use crate::report::{NoProgress, StreamReport};
use crate::streams::Ctx;
use crate::streams::conversations::{STREAM, collect, import_page, settle_conversations};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::future::{BoxFuture, FutureExt, Shared};
use icsync_domain::{ContactId, ConversationId, WorkspaceId};
use icsync_intercom::{
    Error as ClientError, IntercomClient, PacerRegistry, Priority, SearchRequest, search,
};
use icsync_store::{IngestBatch, IngestPage, Store};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Whether the stored copy a view shows was just checked against Intercom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FreshnessState {
    /// Fetched from Intercom within `on_view_ttl_secs`.
    Fresh,
    /// Intercom was slow, down or refused: the stored copy, possibly behind.
    Stale,
}

/// What a view gets: how fresh the stored conversations are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Freshness {
    pub state: FreshnessState,
    /// When the stored copy was last fetched from Intercom by this process (`None`: not since
    /// it started).
    pub fetched_at: Option<DateTime<Utc>>,
    /// Why it is stale, for the page to say ("Intercom did not answer within 2000 ms").
    pub reason: Option<String>,
}

/// What importing one contact's conversations did.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactFetch {
    pub fetched_at: DateTime<Utc>,
    pub report: StreamReport,
}

type FetchOutcome = std::result::Result<Arc<ContactFetch>, Arc<String>>;
type SharedFetch = Shared<BoxFuture<'static, FetchOutcome>>;
type Key = (i64, String);

/// Fetches a contact's conversations on profile view; cheap to clone, hold one per process.
#[derive(Clone)]
pub struct OnViewFetcher {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    pacers: PacerRegistry,
    settings: ClientSettings,
    config: InboundConfig,
    /// In-flight and finished fetches; entries live `on_view_ttl_secs`.
    fetches: moka::future::Cache<Key, SharedFetch>,
    /// The last successful fetch per contact, to say how old a stale copy is.
    last_success: moka::sync::Cache<Key, DateTime<Utc>>,
    upstream: AtomicU64,
}

impl std::fmt::Debug for OnViewFetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnViewFetcher")
            .field("ttl_secs", &self.inner.config.on_view_ttl_secs)
            .field("timeout_ms", &self.inner.config.on_view_timeout_ms)
            .field("upstream_fetches", &self.upstream_fetches())
            .finish_non_exhaustive()
    }
}

/// Contacts whose fetches are remembered at most (a fetch is a few hundred bytes).
const MAX_CONTACTS: u64 = 100_000;

impl OnViewFetcher {
    /// `pacers` must be the registry the daemon's other jobs use, so views share each
    /// workspace's rate limit with them (and go first).
    pub fn new(
        store: Store,
        pacers: PacerRegistry,
        settings: ClientSettings,
        config: InboundConfig,
    ) -> Self {
        let fetches = moka::future::Cache::builder()
            .max_capacity(MAX_CONTACTS)
            .time_to_live(config.on_view_ttl())
            .build();
        let last_success = moka::sync::Cache::builder()
            .max_capacity(MAX_CONTACTS)
            .time_to_live(std::time::Duration::from_secs(86_400))
            .build();
        OnViewFetcher {
            inner: Arc::new(Inner {
                store,
                pacers,
                settings,
                config,
                fetches,
                last_success,
                upstream: AtomicU64::new(0),
            }),
        }
    }

    /// Upstream fetches started since this fetcher was made (views that shared one count once).
    pub fn upstream_fetches(&self) -> u64 {
        self.inner.upstream.load(Ordering::Relaxed)
    }

    /// Makes the next view of `contact` fetch again (e.g. after a notification said more).
    pub async fn forget(&self, workspace: WorkspaceId, contact: &ContactId) {
        self.inner
            .fetches
            .invalidate(&(workspace.0, contact.as_str().to_owned()))
            .await;
    }

    /// Imports `contact`'s conversations unless fetched within the TTL, answering within the
    /// timeout. Never fails: whatever goes wrong, the stored copy is served, marked stale.
    pub async fn fetch_on_view(&self, workspace: WorkspaceId, contact: &ContactId) -> Freshness {
        let key: Key = (workspace.0, contact.as_str().to_owned());
        let inner = self.inner.clone();
        let init_key = key.clone();
        // The cache holds the shared handle of the fetch (awaited below, under the timeout), not
        // its result: the init only spawns it, so every concurrent view gets the same handle.
        #[allow(clippy::async_yields_async)]
        let fetch = self
            .inner
            .fetches
            .get_with(key.clone(), async move { start_fetch(inner, init_key) })
            .await;
        let timeout = self.inner.config.on_view_timeout();
        match tokio::time::timeout(timeout, fetch).await {
            Ok(Ok(done)) => Freshness {
                state: FreshnessState::Fresh,
                fetched_at: Some(done.fetched_at),
                reason: None,
            },
            Ok(Err(reason)) => Freshness {
                state: FreshnessState::Stale,
                fetched_at: self.inner.last_success.get(&key),
                reason: Some(reason.to_string()),
            },
            Err(_) => Freshness {
                state: FreshnessState::Stale,
                fetched_at: self.inner.last_success.get(&key),
                reason: Some(format!(
                    "Intercom did not answer within {} ms; showing the stored conversations \
                     (the fetch goes on)",
                    timeout.as_millis()
                )),
            },
        }
    }
}

/// Spawns the upstream fetch and returns a handle every view of the contact can await.
fn start_fetch(inner: Arc<Inner>, key: Key) -> SharedFetch {
    inner.upstream.fetch_add(1, Ordering::Relaxed);
    let task = tokio::spawn({
        let inner = inner.clone();
        let key = key.clone();
        async move {
            let contact = ContactId::new(key.1.clone());
            let outcome = fetch(&inner, WorkspaceId(key.0), &contact).await;
            match outcome {
                Ok(done) => {
                    inner.last_success.insert(key, done.fetched_at);
                    Ok(Arc::new(done))
                }
                Err(err) => {
                    tracing::warn!(workspace = key.0, contact = %contact, error = %err, "on-view fetch failed, the next view tries again");
                    // Forget it: the next view fetches again instead of sharing a failure.
                    inner.fetches.invalidate(&key).await;
                    Err(Arc::new(err.to_string()))
                }
            }
        }
    });
    async move {
        task.await
            .unwrap_or_else(|e| Err(Arc::new(format!("the on-view fetch task failed: {e}"))))
    }
    .boxed()
    .shared()
}

async fn fetch(inner: &Inner, workspace: WorkspaceId, contact: &ContactId) -> Result<ContactFetch> {
    let ws = inner
        .store
        .workspace(workspace)
        .await?
        .ok_or_else(|| InboundError::UnknownWorkspace(workspace.to_string()))?;
    if !ws.can_sync() {
        return Err(InboundError::NotSyncable {
            workspace: ws.name.clone(),
            reason: ws
                .connection_error
                .clone()
                .unwrap_or_else(|| "it is disconnected".to_owned()),
        });
    }
    let client = client_for(&ws, &inner.pacers, &inner.settings)?.with_priority(Priority::OnView);
    let control = RunControl::default();
    let ctx = Ctx {
        store: &inner.store,
        workspace: &ws,
        client: &client,
        config: &inner.config,
        control: &control,
        progress: &NoProgress,
    };
    let report = import_contact_conversations(ctx, contact).await?;
    Ok(ContactFetch {
        fetched_at: Utc::now(),
        report,
    })
}

/// Imports one contact's conversations and their new parts now (the on-view fetch, and
/// `icsync sync --stream conversations --contact ID`), whatever their freshness. `client`
/// should carry [`Priority::OnView`] when a person waits on it.
pub async fn sync_contact_conversations(
    store: &Store,
    workspace: WorkspaceId,
    client: &IntercomClient,
    config: &InboundConfig,
    contact: &ContactId,
) -> Result<StreamReport> {
    let ws = store
        .workspace(workspace)
        .await?
        .ok_or_else(|| InboundError::UnknownWorkspace(workspace.to_string()))?;
    let control = RunControl::default();
    let ctx = Ctx {
        store,
        workspace: &ws,
        client,
        config,
        control: &control,
        progress: &NoProgress,
    };
    import_contact_conversations(ctx, contact).await
}

async fn import_contact_conversations(ctx: Ctx<'_>, contact: &ContactId) -> Result<StreamReport> {
    let mut report = StreamReport::new(STREAM);
    report.stats.kind = Some("contact".to_owned());
    let before = ctx.client.stats();
    let started = std::time::Instant::now();
    let query = search::conversation::contact_ids().eq(contact.as_str());
    let mut pages = ctx.client.conversations().search(SearchRequest::new(query));
    let mut seen: HashSet<String> = HashSet::new();
    let mut written = icsync_store::IngestReport::default();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.client_error(STREAM, e))?;
        report.add("search_pages", 1);
        seen.extend(page.items.iter().map(|c| c.id.trim().to_owned()));
        let ingest = import_page(ctx, page.items, &page.rejected, &mut report).await?;
        add(&mut written, &write(ctx, &ingest).await?);
    }
    // Stored conversations the search no longer shows: gone from Intercom, or the contact
    // left them. A retrieve tells which (404: deleted).
    let stored = ctx
        .store
        .conversations_of_contact(ctx.workspace.id, contact, 10_000)
        .await?;
    let missing: Vec<ConversationId> = stored
        .into_iter()
        .map(|c| c.conversation.id)
        .filter(|id| !seen.contains(id.as_str()))
        .collect();
    if !missing.is_empty() {
        let mut ingest = IngestPage::default();
        let mut converted = Vec::new();
        for id in missing {
            match ctx.client.conversations().get(id.as_str()).await {
                Ok(wire) => {
                    report.add("conversations_fetched", 1);
                    match crate::convert::conversation::convert(wire) {
                        Ok(c) => converted.push(c),
                        Err(rejected) => crate::streams::users::skip(ctx, &mut report, &rejected),
                    }
                }
                Err(ClientError::NotFound { .. }) => ingest.deleted_conversations.push(id),
                Err(err) => return Err(ctx.client_error(STREAM, err)),
            }
        }
        collect(ctx, converted, &mut ingest, &mut report).await?;
        add(&mut written, &write(ctx, &ingest).await?);
    }
    let used = ctx.client.stats().since(&before);
    report.stats.requests += used.requests as i64;
    report.stats.retries += used.retries as i64;
    report.stats.rate_limited += used.rate_limited as i64;
    report.stats.pacer_wait_ms += used.pacer_wait.as_millis() as i64;
    settle_conversations(&mut report, &written);
    report.stats.records = written.conversations.written as i64;
    report.stats.duration_ms = started.elapsed().as_millis() as i64;
    report.status = icsync_domain::RunStatus::Succeeded;
    Ok(report)
}

async fn write(ctx: Ctx<'_>, page: &IngestPage) -> Result<icsync_store::IngestReport> {
    if page.conversations.is_empty() && page.deleted_conversations.is_empty() {
        return Ok(icsync_store::IngestReport::default());
    }
    Ok(ctx
        .store
        .write_batch(
            ctx.workspace.id,
            IngestBatch {
                conversations: &page.conversations,
                parts: &page.parts,
                deleted_conversations: &page.deleted_conversations,
                ..IngestBatch::default()
            },
        )
        .await?)
}

fn add(total: &mut icsync_store::IngestReport, page: &icsync_store::IngestReport) {
    total.conversations.received += page.conversations.received;
    total.conversations.written += page.conversations.written;
    total.parts.received += page.parts.received;
    total.parts.written += page.parts.written;
    total.conversations_deleted += page.conversations_deleted;
}
