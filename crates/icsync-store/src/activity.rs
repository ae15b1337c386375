//! Activity reads: the sessions feed (sessions in the order they were written, after a
//! cursor) and a set of contacts' sessions and events in a time window (account rollups).

use crate::Store;
use crate::entities::{contact, event, session};
use crate::error::Result;
use crate::reads::feed_event;
use chrono::{DateTime, Utc};
use icsync_domain::{ContactId, Event, Session, WorkspaceId};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// One session of the feed, with its cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedSession {
    /// icsync's id of the session: the feed's cursor. A rebuild writes new rows (new, larger
    /// ids), so a rebuilt session comes again after the cursor.
    pub id: i64,
    pub session: Session,
    pub rebuilt_at: DateTime<Utc>,
    /// The rebuild that wrote this session replaced the contact's sessions that start at or
    /// after this instant: earlier copies from there on are gone.
    pub replaced_from: Option<DateTime<Utc>>,
}

/// A page of the sessions feed; pass `next_cursor` back to get the following page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFeedPage {
    pub sessions: Vec<FeedSession>,
    /// The last id returned, or the given cursor when the page is empty.
    pub next_cursor: Option<i64>,
}

/// Contacts a window read takes per query.
const CHUNK: usize = 500;

impl Store {
    /// Sessions written after `after` (exclusive), in the order they were written, at most
    /// `limit`. Sessions of deleted contacts are left out.
    pub async fn session_feed(
        &self,
        workspace: WorkspaceId,
        after: Option<i64>,
        limit: u64,
    ) -> Result<SessionFeedPage> {
        let deleted = sea_orm::sea_query::Query::select()
            .column(contact::Column::IntercomId)
            .from(contact::Entity)
            .and_where(contact::Column::WorkspaceId.eq(workspace.0))
            .and_where(contact::Column::DeletedAt.is_not_null())
            .to_owned();
        let sessions: Vec<FeedSession> = session::Entity::find()
            .filter(session::Column::WorkspaceId.eq(workspace.0))
            .filter(session::Column::Id.gt(after.unwrap_or(0)))
            .filter(session::Column::ContactIntercomId.not_in_subquery(deleted))
            .order_by_asc(session::Column::Id)
            .limit(limit)
            .all(&self.inner.read)
            .await?
            .into_iter()
            .map(|row| FeedSession {
                id: row.id,
                rebuilt_at: row.rebuilt_at,
                replaced_from: row.replaced_from,
                session: Session {
                    contact_id: ContactId::new(row.contact_intercom_id),
                    started_at: row.started_at,
                    ended_at: row.ended_at,
                    event_count: row.event_count,
                },
            })
            .collect();
        let next_cursor = sessions.last().map(|s| s.id).or(after);
        Ok(SessionFeedPage {
            sessions,
            next_cursor,
        })
    }

    /// The sessions of `contacts` that touch `[from, to)`, by start.
    pub async fn sessions_of_contacts_between(
        &self,
        workspace: WorkspaceId,
        contacts: &[ContactId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Session>> {
        let mut sessions = Vec::new();
        for chunk in contacts.chunks(CHUNK) {
            let rows = session::Entity::find()
                .filter(session::Column::WorkspaceId.eq(workspace.0))
                .filter(
                    session::Column::ContactIntercomId
                        .is_in(chunk.iter().map(|c| c.as_str().to_owned())),
                )
                .filter(session::Column::StartedAt.lt(to))
                .filter(session::Column::EndedAt.gte(from))
                .order_by_asc(session::Column::StartedAt)
                .all(&self.inner.read)
                .await?;
            sessions.extend(rows.into_iter().map(|row| Session {
                contact_id: ContactId::new(row.contact_intercom_id),
                started_at: row.started_at,
                ended_at: row.ended_at,
                event_count: row.event_count,
            }));
        }
        sessions.sort_by_key(|s| s.started_at);
        Ok(sessions)
    }

    /// The events of `contacts` that occurred in `[from, to)`, oldest first.
    pub async fn events_of_contacts_between(
        &self,
        workspace: WorkspaceId,
        contacts: &[ContactId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Event>> {
        let mut events = Vec::new();
        for chunk in contacts.chunks(CHUNK) {
            let rows = event::Entity::find()
                .filter(event::Column::WorkspaceId.eq(workspace.0))
                .filter(
                    event::Column::ContactIntercomId
                        .is_in(chunk.iter().map(|c| c.as_str().to_owned())),
                )
                .filter(event::Column::OccurredAt.gte(from))
                .filter(event::Column::OccurredAt.lt(to))
                .order_by_asc(event::Column::OccurredAt)
                .all(&self.inner.read)
                .await?;
            for row in rows {
                events.push(feed_event(row)?.event);
            }
        }
        events.sort_by_key(|e| e.occurred_at);
        Ok(events)
    }
}
