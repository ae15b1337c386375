//! Reads for the API and the jobs: profiles, the event feed, sessions, conversations,
//! checkpoints. Rows are turned back into domain records here.

use crate::Store;
use crate::cs::CsRecord;
use crate::entities::{
    company, contact, contact_company, conversation, conversation_part, event, session,
    sync_checkpoint,
};
use crate::error::{Result, StoreError};
use chrono::{DateTime, Utc};
use icsync_domain::{
    AttributeMap, Checkpoint, Company, CompanyId, Contact, ContactId, ContactRole, CsSubject,
    Event, Location, RunStatus, Session, StreamName, WorkspaceId, normalize_email,
};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

/// A contact as stored, with icsync's bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredContact {
    pub contact: Contact,
    pub first_imported_at: DateTime<Utc>,
    pub last_imported_at: DateTime<Utc>,
    /// When Intercom first answered 404 for the contact; it stays for history.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A company as stored, with icsync's bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCompany {
    pub company: Company,
    pub first_imported_at: DateTime<Utc>,
    pub last_imported_at: DateTime<Utc>,
}

/// What a CS person sees first when opening a contact.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactProfile {
    pub contact: StoredContact,
    pub companies: Vec<StoredCompany>,
    pub cs_attributes: Option<CsRecord>,
}

/// One event of the health-scoring feed, with its cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEvent {
    pub seq: i64,
    pub event: Event,
    pub imported_at: DateTime<Utc>,
}

/// A page of the event feed; pass `next_cursor` back to get the following page.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedPage {
    pub events: Vec<FeedEvent>,
    /// The cursor to resume after this page: the last `seq` returned, or the given cursor when
    /// the page is empty (so a poller can keep asking with it).
    pub next_cursor: Option<i64>,
}

impl Store {
    /// A contact with its companies and CS attributes, by Intercom id.
    pub async fn contact_profile(
        &self,
        workspace: WorkspaceId,
        contact_id: &ContactId,
    ) -> Result<Option<ContactProfile>> {
        let db = &self.inner.read;
        let Some(row) = contact::Entity::find()
            .filter(contact::Column::WorkspaceId.eq(workspace.0))
            .filter(contact::Column::IntercomId.eq(contact_id.as_str()))
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        let company_ids: Vec<String> = contact_company::Entity::find()
            .filter(contact_company::Column::WorkspaceId.eq(workspace.0))
            .filter(contact_company::Column::ContactIntercomId.eq(contact_id.as_str()))
            .all(db)
            .await?
            .into_iter()
            .map(|link| link.company_intercom_id)
            .collect();
        let companies = if company_ids.is_empty() {
            Vec::new()
        } else {
            company::Entity::find()
                .filter(company::Column::WorkspaceId.eq(workspace.0))
                .filter(company::Column::IntercomId.is_in(company_ids))
                .order_by_asc(company::Column::Name)
                .all(db)
                .await?
                .into_iter()
                .map(stored_company)
                .collect::<Result<Vec<_>>>()?
        };
        let cs_attributes = self
            .cs_attributes(workspace, &CsSubject::Contact(contact_id.to_string()))
            .await?;
        Ok(Some(ContactProfile {
            contact: stored_contact(row)?,
            companies,
            cs_attributes,
        }))
    }

    /// Contacts whose email matches, trimmed and case-insensitively.
    pub async fn contacts_by_email(
        &self,
        workspace: WorkspaceId,
        email: &str,
    ) -> Result<Vec<StoredContact>> {
        let Some(normalized) = normalize_email(email) else {
            return Ok(Vec::new());
        };
        contact::Entity::find()
            .filter(contact::Column::WorkspaceId.eq(workspace.0))
            .filter(contact::Column::EmailNormalized.eq(normalized))
            .order_by_asc(contact::Column::Id)
            .all(&self.inner.read)
            .await?
            .into_iter()
            .map(stored_contact)
            .collect()
    }

    /// One company by Intercom id.
    pub async fn company(
        &self,
        workspace: WorkspaceId,
        company_id: &CompanyId,
    ) -> Result<Option<StoredCompany>> {
        company::Entity::find()
            .filter(company::Column::WorkspaceId.eq(workspace.0))
            .filter(company::Column::IntercomId.eq(company_id.as_str()))
            .one(&self.inner.read)
            .await?
            .map(stored_company)
            .transpose()
    }

    /// Events in the order they were imported, after `after` (exclusive), at most `limit`.
    pub async fn event_feed(
        &self,
        workspace: WorkspaceId,
        after: Option<i64>,
        limit: u64,
    ) -> Result<FeedPage> {
        // Events of deleted contacts are left out (their rows stay for history).
        let deleted = sea_orm::sea_query::Query::select()
            .column(contact::Column::IntercomId)
            .from(contact::Entity)
            .and_where(contact::Column::WorkspaceId.eq(workspace.0))
            .and_where(contact::Column::DeletedAt.is_not_null())
            .to_owned();
        let rows = event::Entity::find()
            .filter(event::Column::WorkspaceId.eq(workspace.0))
            .filter(event::Column::Seq.gt(after.unwrap_or(0)))
            .filter(event::Column::ContactIntercomId.not_in_subquery(deleted))
            .order_by_asc(event::Column::Seq)
            .limit(limit)
            .all(&self.inner.read)
            .await?;
        let events = rows
            .into_iter()
            .map(feed_event)
            .collect::<Result<Vec<_>>>()?;
        let next_cursor = events.last().map(|e| e.seq).or(after);
        Ok(FeedPage {
            events,
            next_cursor,
        })
    }

    /// A contact's events, newest first, optionally only those at or after `since`.
    pub async fn contact_events(
        &self,
        workspace: WorkspaceId,
        contact_id: &ContactId,
        since: Option<DateTime<Utc>>,
        limit: u64,
    ) -> Result<Vec<FeedEvent>> {
        let mut query = event::Entity::find()
            .filter(event::Column::WorkspaceId.eq(workspace.0))
            .filter(event::Column::ContactIntercomId.eq(contact_id.as_str()));
        if let Some(since) = since {
            query = query.filter(event::Column::OccurredAt.gte(since));
        }
        query
            .order_by_desc(event::Column::OccurredAt)
            .order_by_desc(event::Column::Seq)
            .limit(limit)
            .all(&self.inner.read)
            .await?
            .into_iter()
            .map(feed_event)
            .collect()
    }

    /// A contact's sessions, oldest first.
    pub async fn sessions_of_contact(
        &self,
        workspace: WorkspaceId,
        contact_id: &ContactId,
    ) -> Result<Vec<Session>> {
        Ok(session::Entity::find()
            .filter(session::Column::WorkspaceId.eq(workspace.0))
            .filter(session::Column::ContactIntercomId.eq(contact_id.as_str()))
            .order_by_asc(session::Column::StartedAt)
            .all(&self.inner.read)
            .await?
            .into_iter()
            .map(|row| Session {
                contact_id: ContactId::new(row.contact_intercom_id),
                started_at: row.started_at,
                ended_at: row.ended_at,
                event_count: row.event_count,
            })
            .collect())
    }

    /// A stream's checkpoint, if it ever wrote one.
    pub async fn checkpoint(
        &self,
        workspace: WorkspaceId,
        stream: &StreamName,
    ) -> Result<Option<Checkpoint>> {
        sync_checkpoint::Entity::find()
            .filter(sync_checkpoint::Column::WorkspaceId.eq(workspace.0))
            .filter(sync_checkpoint::Column::Stream.eq(stream.as_str()))
            .one(&self.inner.read)
            .await?
            .map(checkpoint_from_row)
            .transpose()
    }

    /// Every checkpoint of a workspace, by stream name.
    pub async fn checkpoints(&self, workspace: WorkspaceId) -> Result<Vec<Checkpoint>> {
        sync_checkpoint::Entity::find()
            .filter(sync_checkpoint::Column::WorkspaceId.eq(workspace.0))
            .order_by_asc(sync_checkpoint::Column::Stream)
            .all(&self.inner.read)
            .await?
            .into_iter()
            .map(checkpoint_from_row)
            .collect()
    }

    /// How many contacts, companies, events and conversations a workspace holds.
    pub async fn record_counts(&self, workspace: WorkspaceId) -> Result<RecordCounts> {
        let db = &self.inner.read;
        let ws = workspace.0;
        Ok(RecordCounts {
            contacts: contact::Entity::find()
                .filter(contact::Column::WorkspaceId.eq(ws))
                .count(db)
                .await?,
            companies: company::Entity::find()
                .filter(company::Column::WorkspaceId.eq(ws))
                .count(db)
                .await?,
            associations: contact_company::Entity::find()
                .filter(contact_company::Column::WorkspaceId.eq(ws))
                .count(db)
                .await?,
            events: event::Entity::find()
                .filter(event::Column::WorkspaceId.eq(ws))
                .count(db)
                .await?,
            conversations: conversation::Entity::find()
                .filter(conversation::Column::WorkspaceId.eq(ws))
                .count(db)
                .await?,
            parts: conversation_part::Entity::find()
                .filter(conversation_part::Column::WorkspaceId.eq(ws))
                .count(db)
                .await?,
        })
    }
}

/// Row counts of one workspace, for status pages and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordCounts {
    pub contacts: u64,
    pub companies: u64,
    pub associations: u64,
    pub events: u64,
    pub conversations: u64,
    pub parts: u64,
}

fn object(value: serde_json::Value, what: &str) -> Result<AttributeMap> {
    match value {
        serde_json::Value::Object(map) => Ok(map),
        serde_json::Value::Null => Ok(AttributeMap::new()),
        other => Err(StoreError::corrupt(format!(
            "{what} is not a JSON object: {other}"
        ))),
    }
}

/// SQLite keeps decimals as REAL; four places is what the schema promises.
pub(crate) fn exact(value: Option<Decimal>) -> Option<Decimal> {
    value.map(|d| d.round_dp(4).normalize())
}

pub(crate) fn stored_contact(row: contact::Model) -> Result<StoredContact> {
    let role = ContactRole::parse(&row.role).ok_or_else(|| {
        StoreError::corrupt(format!(
            "contact {} has role {:?}",
            row.intercom_id, row.role
        ))
    })?;
    Ok(StoredContact {
        contact: Contact {
            id: ContactId::new(row.intercom_id),
            external_id: row.external_id,
            email: row.email,
            role,
            name: row.name,
            phone: row.phone,
            avatar_url: row.avatar_url,
            owner_id: row.owner_id,
            unsubscribed_from_emails: row.unsubscribed_from_emails,
            created_at: row.created_at,
            updated_at: row.updated_at,
            signed_up_at: row.signed_up_at,
            last_seen_at: row.last_seen_at,
            last_replied_at: row.last_replied_at,
            last_contacted_at: row.last_contacted_at,
            location: Location {
                country: row.location_country,
                region: row.location_region,
                city: row.location_city,
            },
            custom_attributes: object(row.custom_attributes, "custom_attributes")?,
            other_attributes: object(row.other_attributes, "other_attributes")?,
        },
        first_imported_at: row.first_imported_at,
        last_imported_at: row.last_imported_at,
        deleted_at: row.deleted_at,
    })
}

pub(crate) fn stored_company(row: company::Model) -> Result<StoredCompany> {
    Ok(StoredCompany {
        company: Company {
            id: CompanyId::new(row.intercom_id),
            company_id: row.company_id,
            name: row.name,
            plan_name: row.plan_name,
            size: row.size,
            website: row.website,
            industry: row.industry,
            monthly_spend: exact(row.monthly_spend),
            session_count: row.session_count,
            user_count: row.user_count,
            remote_created_at: row.remote_created_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
            last_request_at: row.last_request_at,
            custom_attributes: object(row.custom_attributes, "custom_attributes")?,
            other_attributes: object(row.other_attributes, "other_attributes")?,
        },
        first_imported_at: row.first_imported_at,
        last_imported_at: row.last_imported_at,
    })
}

pub(crate) fn feed_event(row: event::Model) -> Result<FeedEvent> {
    Ok(FeedEvent {
        seq: row.seq,
        event: Event {
            contact_id: ContactId::new(row.contact_intercom_id),
            event_name: row.event_name,
            occurred_at: row.occurred_at,
            metadata: object(row.metadata, "event metadata")?,
        },
        imported_at: row.imported_at,
    })
}

fn checkpoint_from_row(row: sync_checkpoint::Model) -> Result<Checkpoint> {
    let status = RunStatus::parse(&row.status).ok_or_else(|| {
        StoreError::corrupt(format!(
            "checkpoint {} has status {:?}",
            row.stream, row.status
        ))
    })?;
    Ok(Checkpoint {
        stream: StreamName::new(row.stream),
        watermark: row.watermark,
        cursor: row.cursor,
        status,
        records_total: row.records_total,
    })
}
