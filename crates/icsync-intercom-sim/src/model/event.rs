//! Data events: generated lazily per contact; only events added later are stored.

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EventData {
    pub name: String,
    pub created_at: i64,
    pub metadata: Map<String, Value>,
}
