//! Data events of one contact (`GET /events`) and their summaries (`summary=true`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::models::contact::null_as_empty_map;

/// A data event. Intercom gives events no stable id: callers derive a dedupe key from
/// (contact, `event_name`, `created_at`, `metadata`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataEvent {
    /// Event name.
    pub event_name: String,
    /// When it happened.
    #[serde(with = "crate::serde_util::unix")]
    pub created_at: DateTime<Utc>,
    /// The contact's external id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The contact's email.
    #[serde(default)]
    pub email: Option<String>,
    /// The contact's Intercom id.
    #[serde(default)]
    pub intercom_user_id: Option<String>,
    /// "Your identifier for a lead or a user" (not an event id).
    #[serde(default, with = "crate::serde_util::id_opt")]
    pub id: Option<String>,
    /// Metadata, verbatim (strings, numbers, objects such as rich links and money).
    #[serde(default, deserialize_with = "null_as_empty_map")]
    pub metadata: Map<String, Value>,
}

/// Answer of `GET /events?summary=true`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventSummaries {
    /// Contact email.
    #[serde(default)]
    pub email: Option<String>,
    /// Contact Intercom id.
    #[serde(default)]
    pub intercom_user_id: Option<String>,
    /// Contact external id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// One summary per event name (all time, not only 90 days).
    #[serde(default, deserialize_with = "crate::serde_util::null_default")]
    pub events: Vec<EventSummary>,
}

/// Counts and first/last times of one event name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSummary {
    /// Event name.
    pub name: String,
    /// First occurrence (ISO-8601 on the wire).
    #[serde(default, with = "crate::serde_util::iso_opt")]
    pub first: Option<DateTime<Utc>>,
    /// Last occurrence (ISO-8601 on the wire).
    #[serde(default, with = "crate::serde_util::iso_opt")]
    pub last: Option<DateTime<Utc>>,
    /// Count.
    #[serde(default)]
    pub count: u64,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
}
