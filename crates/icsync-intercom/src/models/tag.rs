//! Tags (`GET /tags`, tags of a contact, tags inline on companies and conversations).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    /// Tag id (numeric string).
    #[serde(with = "crate::serde_util::id")]
    pub id: String,
    /// Tag name.
    #[serde(default)]
    pub name: Option<String>,
    /// When it was applied (only in tagging responses).
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub applied_at: Option<DateTime<Utc>>,
    /// Who applied it (only in tagging responses).
    #[serde(default)]
    pub applied_by: Option<crate::models::ObjectRef>,
}
