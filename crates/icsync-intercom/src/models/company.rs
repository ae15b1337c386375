//! Companies: the read model with every unknown field kept, and the upsert body of `POST /companies`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::models::TagList;
use crate::models::contact::null_as_empty_map;

/// A company as Intercom returns it; fields not named here are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Company {
    /// Intercom's `type` (`contact` / `company`).
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Intercom id (24 hex).
    pub id: String,
    /// The workspace's own company id (immutable once set).
    #[serde(default, with = "crate::serde_util::id_opt")]
    pub company_id: Option<String>,
    /// Workspace id.
    #[serde(default)]
    pub app_id: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Plan (`{type: "plan", id, name}` or `{}`).
    #[serde(default)]
    pub plan: Option<Plan>,
    /// When the workspace says the company was created.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub remote_created_at: Option<DateTime<Utc>>,
    /// Created in Intercom.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub created_at: Option<DateTime<Utc>>,
    /// Last changed in Intercom.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Last time anyone from the company was seen.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub last_request_at: Option<DateTime<Utc>>,
    /// Head count.
    #[serde(default)]
    pub size: Option<i64>,
    /// Website.
    #[serde(default)]
    pub website: Option<String>,
    /// Industry.
    #[serde(default)]
    pub industry: Option<String>,
    /// Monthly spend (an integer on write, a float in the data model).
    #[serde(default)]
    pub monthly_spend: Option<Decimal>,
    /// Web sessions.
    #[serde(default)]
    pub session_count: Option<i64>,
    /// People in the company.
    #[serde(default)]
    pub user_count: Option<i64>,
    /// Custom attributes, verbatim (strings, numbers, booleans in practice).
    #[serde(default, deserialize_with = "null_as_empty_map")]
    pub custom_attributes: Map<String, Value>,
    /// Tags.
    #[serde(default)]
    pub tags: Option<TagList>,
    /// Segments, verbatim.
    #[serde(default)]
    pub segments: Option<Value>,
    /// Every other field, verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A company's plan; `{}` decodes to all-`None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Plan id.
    #[serde(default, with = "crate::serde_util::id_opt")]
    pub id: Option<String>,
    /// Plan name.
    #[serde(default)]
    pub name: Option<String>,
}

/// Body of `POST /companies` (create or update keyed on `company_id`): only the fields set are sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CompanyUpsert {
    /// The workspace's company id (the upsert key).
    pub company_id: String,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Plan name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// Head count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    /// Website.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// Industry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
    /// Monthly spend: Intercom truncates to an integer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monthly_spend: Option<i64>,
    /// Created at (Unix seconds on the wire).
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "crate::serde_util::unix_opt"
    )]
    pub remote_created_at: Option<DateTime<Utc>>,
    /// Custom attributes to set (`null` clears one).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub custom_attributes: Map<String, Value>,
}
