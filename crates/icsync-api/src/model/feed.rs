//! Feeds for the host's health-scoring jobs: events and sessions after a cursor.

use crate::model::EventView;
use chrono::{DateTime, Utc};
use icsync_store::FeedSession;
use serde::Serialize;
use utoipa::ToSchema;

/// A page of the event feed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventFeedView {
    pub workspace: String,
    /// Events in the order icsync imported them.
    pub events: Vec<EventView>,
    /// Pass as `after` for the next page; unchanged when the page is empty (poll with it).
    pub next_cursor: Option<i64>,
    /// More events are waiting after this page.
    pub has_more: bool,
}

/// One session of the sessions feed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedSessionView {
    /// The session's cursor: a rebuilt session comes again with a new, larger id.
    pub id: i64,
    /// Intercom's id of the contact.
    pub contact_id: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub duration_secs: i64,
    pub event_count: i64,
    pub rebuilt_at: DateTime<Utc>,
    /// The rebuild that wrote this session replaced the contact's sessions starting at or
    /// after this instant: drop the ones you hold for the contact from there on, then keep
    /// the ones this feed gives.
    pub replaced_from: Option<DateTime<Utc>>,
}

impl From<&FeedSession> for FeedSessionView {
    fn from(s: &FeedSession) -> Self {
        FeedSessionView {
            id: s.id,
            contact_id: s.session.contact_id.to_string(),
            started_at: s.session.started_at,
            ended_at: s.session.ended_at,
            duration_secs: (s.session.ended_at - s.session.started_at)
                .num_seconds()
                .max(0),
            event_count: s.session.event_count,
            rebuilt_at: s.rebuilt_at,
            replaced_from: s.replaced_from,
        }
    }
}

/// A page of the sessions feed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionFeedView {
    pub workspace: String,
    /// Sessions in the order they were written.
    pub sessions: Vec<FeedSessionView>,
    pub next_cursor: Option<i64>,
    pub has_more: bool,
}

/// An account's daily rollups.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RollupFeedView {
    pub workspace: String,
    /// Intercom's id of the company.
    pub account: String,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    /// The workspace's time zone the days are in.
    pub timezone: String,
    /// Days with activity, oldest first.
    pub days: Vec<crate::services::DailyRollup>,
}
