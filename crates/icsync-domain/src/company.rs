//! Companies: Intercom companies, with their standard attributes as fields.

use crate::{AttributeMap, CompanyId};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An Intercom company as icsync keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Company {
    pub id: CompanyId,
    /// The workspace's own id for the company (Intercom's `company_id`).
    pub company_id: Option<String>,
    pub name: Option<String>,
    pub plan_name: Option<String>,
    pub size: Option<i64>,
    pub website: Option<String>,
    pub industry: Option<String>,
    pub monthly_spend: Option<Decimal>,
    pub session_count: Option<i64>,
    pub user_count: Option<i64>,
    pub remote_created_at: Option<DateTime<Utc>>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub last_request_at: Option<DateTime<Utc>>,
    pub custom_attributes: AttributeMap,
    /// Standard attributes without a column (tags, segments, plan id, ...) and unknown fields.
    pub other_attributes: AttributeMap,
}

impl Company {
    /// Intercom's standard company attribute names (2.11).
    pub const STANDARD_ATTRIBUTES: &'static [&'static str] = &[
        "type",
        "id",
        "name",
        "company_id",
        "app_id",
        "created_at",
        "updated_at",
        "remote_created_at",
        "last_request_at",
        "user_count",
        "session_count",
        "monthly_spend",
        "size",
        "industry",
        "website",
        "plan",
        "custom_attributes",
        "tags",
        "segments",
    ];
}
