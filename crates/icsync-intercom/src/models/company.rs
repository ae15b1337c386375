//! Companies: the read model with every unknown field kept, and the upsert body of `POST /companies`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::models::TagList;
use crate::models::extra::{IdOpt, MapOrNull, Plain, UnixOpt, deserialize_with_extra};

/// A company as Intercom returns it; fields not named here are kept in `extra`. Decoded by
/// [`deserialize_with_extra!`] (the field list below the struct); the `serde` attributes serve
/// serialization.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Company {
    /// Intercom's `type` (`contact` / `company`).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Intercom id (24 hex).
    pub id: String,
    /// The workspace's own company id (immutable once set).
    #[serde(serialize_with = "crate::serde_util::id_opt::serialize")]
    pub company_id: Option<String>,
    /// Workspace id.
    pub app_id: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Plan (`{type: "plan", id, name}` or `{}`).
    pub plan: Option<Plan>,
    /// When the workspace says the company was created.
    #[serde(serialize_with = "crate::serde_util::unix_opt::serialize")]
    pub remote_created_at: Option<DateTime<Utc>>,
    /// Created in Intercom.
    #[serde(serialize_with = "crate::serde_util::unix_opt::serialize")]
    pub created_at: Option<DateTime<Utc>>,
    /// Last changed in Intercom.
    #[serde(serialize_with = "crate::serde_util::unix_opt::serialize")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Last time anyone from the company was seen.
    #[serde(serialize_with = "crate::serde_util::unix_opt::serialize")]
    pub last_request_at: Option<DateTime<Utc>>,
    /// Head count.
    pub size: Option<i64>,
    /// Website.
    pub website: Option<String>,
    /// Industry.
    pub industry: Option<String>,
    /// Monthly spend (an integer on write, a float in the data model).
    pub monthly_spend: Option<Decimal>,
    /// Web sessions.
    pub session_count: Option<i64>,
    /// People in the company.
    pub user_count: Option<i64>,
    /// Custom attributes, verbatim (strings, numbers, booleans in practice).
    pub custom_attributes: Map<String, Value>,
    /// Tags.
    pub tags: Option<TagList>,
    /// Segments, verbatim.
    pub segments: Option<Value>,
    /// Every other field, verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

deserialize_with_extra! {
    Company, "a company object", extra: extra,
    required { id: "id" => Plain<String> }
    optional {
        kind: "type" => Plain<Option<String>>,
        company_id: "company_id" => IdOpt,
        app_id: "app_id" => Plain<Option<String>>,
        name: "name" => Plain<Option<String>>,
        plan: "plan" => Plain<Option<Plan>>,
        remote_created_at: "remote_created_at" => UnixOpt,
        created_at: "created_at" => UnixOpt,
        updated_at: "updated_at" => UnixOpt,
        last_request_at: "last_request_at" => UnixOpt,
        size: "size" => Plain<Option<i64>>,
        website: "website" => Plain<Option<String>>,
        industry: "industry" => Plain<Option<String>>,
        monthly_spend: "monthly_spend" => Plain<Option<Decimal>>,
        session_count: "session_count" => Plain<Option<i64>>,
        user_count: "user_count" => Plain<Option<i64>>,
        custom_attributes: "custom_attributes" => MapOrNull,
        tags: "tags" => Plain<Option<TagList>>,
        segments: "segments" => Plain<Option<Value>>,
    }
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
