//! What the inbound streams ask the store between pages: which contacts still need their
//! companies or events fetched (their markers lag their `updated_at`/`last_seen_at`), which
//! companies are referenced, which contacts exist. Markers are set with
//! [`crate::ContactMark`] in the page that did the work.

use crate::Store;
use crate::entities::{contact, contact_company, event};
use crate::error::Result;
use chrono::{DateTime, Utc};
use icsync_domain::{CompanyId, ContactId, WorkspaceId};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashSet;

/// A contact's stored sessionizer signals from some instant on: its events and the
/// `last_seen_at` values syncs observed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactSignals {
    pub events: Vec<(String, DateTime<Utc>)>,
    pub seen: Vec<DateTime<Utc>>,
}

/// The shape of what inbound stored, for request floors: how many contacts belong to more
/// companies than Intercom lists inline, and how many event pages (of 150) the stored events fill,
/// counting one page for a contact without events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboundShape {
    pub contacts_over_ten_companies: u64,
    pub event_pages: u64,
}

/// A contact whose companies must be fetched, with the `updated_at` to mark them synced at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCompanies {
    pub contact: ContactId,
    pub updated_at: Option<DateTime<Utc>>,
}

/// A contact whose events must be listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEvents {
    pub contact: ContactId,
    pub updated_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// The newest event stored for the contact: listing (newest first) can stop before it.
    pub newest_event_at: Option<DateTime<Utc>>,
    /// Whether the contact's events were ever listed.
    pub ever_synced: bool,
    /// Whether the contact has stored sessions (without, there are none to read before
    /// rebuilding them: a backfill's contacts cost no session read each).
    pub has_sessions: bool,
}

/// `(updated_at, deleted_at)` of a contact.
type TimePair = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

const COMPANIES_PENDING: &str = "companies_synced_updated_at IS DISTINCT FROM updated_at";
/// The newest stored event of the contact row being selected.
const NEWEST_EVENT: &str = "(SELECT MAX(e.occurred_at) FROM events e \
     WHERE e.workspace_id = contacts.workspace_id \
     AND e.contact_intercom_id = contacts.intercom_id)";
/// Whether the contact row being selected has sessions.
const HAS_SESSIONS: &str = "EXISTS (SELECT 1 FROM sessions s \
     WHERE s.workspace_id = contacts.workspace_id \
     AND s.contact_intercom_id = contacts.intercom_id)";
const EVENTS_PENDING: &str = "(events_synced_updated_at IS DISTINCT FROM updated_at OR \
     events_synced_last_seen_at IS DISTINCT FROM last_seen_at)";

impl Store {
    /// Contacts (not deleted) whose companies changed since last fetched, by Intercom id after
    /// `after`, at most `limit`.
    pub async fn contacts_pending_companies(
        &self,
        workspace: WorkspaceId,
        after: Option<&ContactId>,
        limit: u64,
    ) -> Result<Vec<PendingCompanies>> {
        let mut query = contact::Entity::find()
            .select_only()
            .column(contact::Column::IntercomId)
            .column(contact::Column::UpdatedAt)
            .filter(contact::Column::WorkspaceId.eq(workspace.0))
            .filter(contact::Column::DeletedAt.is_null())
            .filter(Expr::cust(COMPANIES_PENDING));
        if let Some(after) = after {
            query = query.filter(contact::Column::IntercomId.gt(after.as_str()));
        }
        let rows: Vec<(String, Option<DateTime<Utc>>)> = query
            .order_by_asc(contact::Column::IntercomId)
            .limit(limit)
            .into_tuple()
            .all(&self.inner.read)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, updated_at)| PendingCompanies {
                contact: ContactId::new(id),
                updated_at,
            })
            .collect())
    }

    /// How many contacts have companies to fetch.
    pub async fn count_contacts_pending_companies(&self, workspace: WorkspaceId) -> Result<u64> {
        Ok(contact::Entity::find()
            .filter(contact::Column::WorkspaceId.eq(workspace.0))
            .filter(contact::Column::DeletedAt.is_null())
            .filter(Expr::cust(COMPANIES_PENDING))
            .count(&self.inner.read)
            .await?)
    }

    /// The distinct companies associated with `contacts`.
    pub async fn companies_of_contacts(
        &self,
        workspace: WorkspaceId,
        contacts: &[ContactId],
    ) -> Result<Vec<CompanyId>> {
        let mut companies = Vec::new();
        for chunk in contacts.chunks(500) {
            // No DISTINCT in SQL: SQLite would answer it by walking the by-company index of the
            // whole workspace (1 s a query at 1M contacts) instead of looking the 500 contacts
            // up in the unique (workspace, contact, company) index; duplicates go below.
            let ids: Vec<String> = contact_company::Entity::find()
                .select_only()
                .column(contact_company::Column::CompanyIntercomId)
                .filter(contact_company::Column::WorkspaceId.eq(workspace.0))
                .filter(
                    contact_company::Column::ContactIntercomId
                        .is_in(chunk.iter().map(|c| c.as_str().to_owned())),
                )
                .into_tuple()
                .all(&self.inner.read)
                .await?;
            companies.extend(ids);
        }
        companies.sort();
        companies.dedup();
        Ok(companies.into_iter().map(CompanyId::new).collect())
    }

    /// Every company some stored contact is associated with.
    pub async fn referenced_companies(&self, workspace: WorkspaceId) -> Result<HashSet<String>> {
        let ids: Vec<String> = contact_company::Entity::find()
            .select_only()
            .column(contact_company::Column::CompanyIntercomId)
            .distinct()
            .filter(contact_company::Column::WorkspaceId.eq(workspace.0))
            .into_tuple()
            .all(&self.inner.read)
            .await?;
        Ok(ids.into_iter().collect())
    }

    /// The stored `updated_at` of a contact and whether it is marked deleted; `None` when the
    /// contact is not stored. What a notification compares itself with before it applies.
    pub async fn contact_version(
        &self,
        workspace: WorkspaceId,
        contact_id: &ContactId,
    ) -> Result<Option<(Option<DateTime<Utc>>, bool)>> {
        let row: Option<TimePair> = contact::Entity::find()
            .select_only()
            .column(contact::Column::UpdatedAt)
            .column(contact::Column::DeletedAt)
            .filter(contact::Column::WorkspaceId.eq(workspace.0))
            .filter(contact::Column::IntercomId.eq(contact_id.as_str()))
            .into_tuple()
            .one(&self.inner.read)
            .await?;
        Ok(row.map(|(updated_at, deleted_at)| (updated_at, deleted_at.is_some())))
    }

    /// Whether a company is stored or some stored contact is associated with it: the companies
    /// icsync keeps (a notification about any other company is not for this store).
    pub async fn company_known(&self, workspace: WorkspaceId, company: &CompanyId) -> Result<bool> {
        use crate::entities::company;
        let stored = company::Entity::find()
            .filter(company::Column::WorkspaceId.eq(workspace.0))
            .filter(company::Column::IntercomId.eq(company.as_str()))
            .count(&self.inner.read)
            .await?;
        if stored > 0 {
            return Ok(true);
        }
        let linked = contact_company::Entity::find()
            .filter(contact_company::Column::WorkspaceId.eq(workspace.0))
            .filter(contact_company::Column::CompanyIntercomId.eq(company.as_str()))
            .count(&self.inner.read)
            .await?;
        Ok(linked > 0)
    }

    /// Companies some stored contact is associated with but that are not stored themselves.
    pub async fn referenced_companies_not_stored(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<String>> {
        use crate::entities::company;
        let stored = sea_orm::sea_query::Query::select()
            .column(company::Column::IntercomId)
            .from(company::Entity)
            .and_where(company::Column::WorkspaceId.eq(workspace.0))
            .to_owned();
        let ids: Vec<String> = contact_company::Entity::find()
            .select_only()
            .column(contact_company::Column::CompanyIntercomId)
            .distinct()
            .filter(contact_company::Column::WorkspaceId.eq(workspace.0))
            .filter(contact_company::Column::CompanyIntercomId.not_in_subquery(stored))
            .into_tuple()
            .all(&self.inner.read)
            .await?;
        Ok(ids)
    }

    /// Clears every contact's companies and events markers: the next runs fetch the companies
    /// and events of every stored contact again (`icsync sync --full`).
    pub async fn reset_contact_marks(&self, workspace: WorkspaceId) -> Result<u64> {
        use sea_orm::sea_query::Expr as E;
        let none: Option<DateTime<Utc>> = None;
        let result = contact::Entity::update_many()
            .col_expr(contact::Column::CompaniesSyncedUpdatedAt, E::value(none))
            .col_expr(contact::Column::EventsSyncedUpdatedAt, E::value(none))
            .col_expr(contact::Column::EventsSyncedLastSeenAt, E::value(none))
            .filter(contact::Column::WorkspaceId.eq(workspace.0))
            .exec(&self.inner.write)
            .await?;
        Ok(result.rows_affected)
    }

    /// Contacts (not deleted) whose events must be listed because their `updated_at` or
    /// `last_seen_at` moved since, by Intercom id after `after`, at most `limit`.
    pub async fn contacts_pending_events(
        &self,
        workspace: WorkspaceId,
        after: Option<&ContactId>,
        limit: u64,
    ) -> Result<Vec<PendingEvents>> {
        // The newest stored event and whether sessions exist come with each contact in the same
        // statement (index lookups on the events key and the sessions key), not as two reads per
        // contact: a chunk is one round trip to the database however many contacts it holds.
        let mut query = contact::Entity::find()
            .select_only()
            .column(contact::Column::IntercomId)
            .column(contact::Column::UpdatedAt)
            .column(contact::Column::LastSeenAt)
            .column(contact::Column::EventsSyncedUpdatedAt)
            .column(contact::Column::EventsSyncedLastSeenAt)
            .expr_as(Expr::cust(NEWEST_EVENT), "newest_event_at")
            .expr_as(Expr::cust(HAS_SESSIONS), "has_sessions")
            .filter(contact::Column::WorkspaceId.eq(workspace.0))
            .filter(contact::Column::DeletedAt.is_null())
            .filter(Expr::cust(EVENTS_PENDING));
        if let Some(after) = after {
            query = query.filter(contact::Column::IntercomId.gt(after.as_str()));
        }
        type Row = (
            String,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            bool,
        );
        let rows: Vec<Row> = query
            .order_by_asc(contact::Column::IntercomId)
            .limit(limit)
            .into_tuple()
            .all(&self.inner.read)
            .await?;
        let mut pending = Vec::with_capacity(rows.len());
        for (id, updated_at, last_seen_at, synced_updated, synced_seen, newest, has_sessions) in
            rows
        {
            let ever_synced = synced_updated.is_some() || synced_seen.is_some();
            pending.push(PendingEvents {
                contact: ContactId::new(id),
                updated_at,
                last_seen_at,
                // Events stored before the first listing (a webhook's) do not stop it early.
                newest_event_at: newest.filter(|_| ever_synced),
                ever_synced,
                has_sessions,
            });
        }
        Ok(pending)
    }

    /// How many contacts have events to list.
    pub async fn count_contacts_pending_events(&self, workspace: WorkspaceId) -> Result<u64> {
        Ok(contact::Entity::find()
            .filter(contact::Column::WorkspaceId.eq(workspace.0))
            .filter(contact::Column::DeletedAt.is_null())
            .filter(Expr::cust(EVENTS_PENDING))
            .count(&self.inner.read)
            .await?)
    }

    /// A contact's events and seen-signals at or after `from`, oldest first.
    pub async fn contact_signals_since(
        &self,
        workspace: WorkspaceId,
        contact: &ContactId,
        from: DateTime<Utc>,
    ) -> Result<ContactSignals> {
        use crate::entities::seen_signal;
        let events: Vec<(String, DateTime<Utc>)> = event::Entity::find()
            .select_only()
            .column(event::Column::EventName)
            .column(event::Column::OccurredAt)
            .filter(event::Column::WorkspaceId.eq(workspace.0))
            .filter(event::Column::ContactIntercomId.eq(contact.as_str()))
            .filter(event::Column::OccurredAt.gte(from))
            .order_by_asc(event::Column::OccurredAt)
            .into_tuple()
            .all(&self.inner.read)
            .await?;
        let seen: Vec<DateTime<Utc>> = seen_signal::Entity::find()
            .select_only()
            .column(seen_signal::Column::SeenAt)
            .filter(seen_signal::Column::WorkspaceId.eq(workspace.0))
            .filter(seen_signal::Column::ContactIntercomId.eq(contact.as_str()))
            .filter(seen_signal::Column::SeenAt.gte(from))
            .order_by_asc(seen_signal::Column::SeenAt)
            .into_tuple()
            .all(&self.inner.read)
            .await?;
        Ok(ContactSignals { events, seen })
    }

    /// See [`InboundShape`].
    pub async fn inbound_shape(&self, workspace: WorkspaceId) -> Result<InboundShape> {
        use sea_orm::{ConnectionTrait, Statement};
        let db = &self.inner.read;
        let backend = db.get_database_backend();
        let ws = workspace.0;
        // The workspace id is an integer of ours, not user input.
        let over_ten = format!(
            "SELECT contact_intercom_id FROM contact_companies WHERE workspace_id = {ws} \
             GROUP BY contact_intercom_id HAVING count(*) > 10"
        );
        let over_ten = db
            .query_all_raw(Statement::from_string(backend, over_ten))
            .await?
            .len() as u64;
        let per_contact = format!(
            "SELECT (SELECT count(*) FROM events e WHERE e.workspace_id = c.workspace_id AND \
             e.contact_intercom_id = c.intercom_id) AS n FROM contacts c WHERE c.workspace_id = {ws} \
             AND c.deleted_at IS NULL"
        );
        let mut pages = 0u64;
        for row in db
            .query_all_raw(Statement::from_string(backend, per_contact))
            .await?
        {
            let n: i64 = row.try_get_by_index(0)?;
            pages += (n.max(0) as u64).div_ceil(150).max(1);
        }
        Ok(InboundShape {
            contacts_over_ten_companies: over_ten,
            event_pages: pages,
        })
    }

    /// Stored contacts not marked deleted, by Intercom id after `after`, at most `limit`.
    pub async fn live_contact_ids(
        &self,
        workspace: WorkspaceId,
        after: Option<&ContactId>,
        limit: u64,
    ) -> Result<Vec<ContactId>> {
        let mut query = contact::Entity::find()
            .select_only()
            .column(contact::Column::IntercomId)
            .filter(contact::Column::WorkspaceId.eq(workspace.0))
            .filter(contact::Column::DeletedAt.is_null());
        if let Some(after) = after {
            query = query.filter(contact::Column::IntercomId.gt(after.as_str()));
        }
        let ids: Vec<String> = query
            .order_by_asc(contact::Column::IntercomId)
            .limit(limit)
            .into_tuple()
            .all(&self.inner.read)
            .await?;
        Ok(ids.into_iter().map(ContactId::new).collect())
    }

    /// Contacts Intercom answered 404 for.
    pub async fn deleted_contact_ids(&self, workspace: WorkspaceId) -> Result<Vec<ContactId>> {
        let ids: Vec<String> = contact::Entity::find()
            .select_only()
            .column(contact::Column::IntercomId)
            .filter(contact::Column::WorkspaceId.eq(workspace.0))
            .filter(contact::Column::DeletedAt.is_not_null())
            .order_by_asc(contact::Column::IntercomId)
            .into_tuple()
            .all(&self.inner.read)
            .await?;
        Ok(ids.into_iter().map(ContactId::new).collect())
    }

    /// Sets a stream's run status, leaving its watermark and cursor as committed (a run that
    /// failed or stopped resumes from them).
    pub async fn set_checkpoint_status(
        &self,
        workspace: WorkspaceId,
        stream: &icsync_domain::StreamName,
        status: icsync_domain::RunStatus,
    ) -> Result<()> {
        use crate::entities::sync_checkpoint;
        use sea_orm::sea_query::Expr as E;
        sync_checkpoint::Entity::update_many()
            .col_expr(sync_checkpoint::Column::Status, E::value(status.as_str()))
            .col_expr(sync_checkpoint::Column::UpdatedAt, E::value(Utc::now()))
            .filter(sync_checkpoint::Column::WorkspaceId.eq(workspace.0))
            .filter(sync_checkpoint::Column::Stream.eq(stream.as_str()))
            .exec(&self.inner.write)
            .await?;
        Ok(())
    }

    /// Forgets a stream's checkpoint, so its next run starts over (a new backfill).
    pub async fn reset_checkpoint(
        &self,
        workspace: WorkspaceId,
        stream: &icsync_domain::StreamName,
    ) -> Result<()> {
        use crate::entities::sync_checkpoint;
        sync_checkpoint::Entity::delete_many()
            .filter(sync_checkpoint::Column::WorkspaceId.eq(workspace.0))
            .filter(sync_checkpoint::Column::Stream.eq(stream.as_str()))
            .exec(&self.inner.write)
            .await?;
        Ok(())
    }
}
