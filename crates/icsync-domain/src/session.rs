//! Sessions: periods of activity rebuilt from a contact's events (Intercom exports none).

use crate::ContactId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One rebuilt session of one contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub contact_id: ContactId,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub event_count: i64,
}
