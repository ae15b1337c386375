//! An account's profile: the company, its contacts, its CS attributes and daily rollups.

use crate::model::CsView;
use crate::services::DailyRollup;
use chrono::{DateTime, NaiveDate, Utc};
use icsync_store::{LocatedCompany, LocatedContact};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// A company with everything icsync keeps of it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompanyView {
    /// icsync's id of the company.
    pub icsync_id: i64,
    /// Intercom's id of the company.
    pub intercom_id: String,
    /// The workspace's own id for the company (Intercom's `company_id`).
    pub company_id: Option<String>,
    pub name: Option<String>,
    pub plan_name: Option<String>,
    pub size: Option<i64>,
    pub website: Option<String>,
    pub industry: Option<String>,
    #[serde(serialize_with = "crate::model::decimal_number")]
    #[schema(value_type = Option<f64>)]
    pub monthly_spend: Option<Decimal>,
    /// Intercom's session count (Intercom's own; icsync's sessions are in the rollups).
    pub session_count: Option<i64>,
    pub user_count: Option<i64>,
    pub remote_created_at: Option<DateTime<Utc>>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub last_request_at: Option<DateTime<Utc>>,
    #[schema(value_type = Object)]
    pub custom_attributes: Map<String, Value>,
    #[schema(value_type = Object)]
    pub other_attributes: Map<String, Value>,
    /// The company's tag names, as the last import saw them.
    pub tags: Vec<String>,
    pub first_imported_at: DateTime<Utc>,
    pub last_imported_at: DateTime<Utc>,
}

impl From<&LocatedCompany> for CompanyView {
    fn from(located: &LocatedCompany) -> Self {
        let stored = &located.company;
        let c = &stored.company;
        CompanyView {
            icsync_id: located.icsync_id,
            intercom_id: c.id.to_string(),
            company_id: c.company_id.clone(),
            name: c.name.clone(),
            plan_name: c.plan_name.clone(),
            size: c.size,
            website: c.website.clone(),
            industry: c.industry.clone(),
            monthly_spend: c.monthly_spend,
            session_count: c.session_count,
            user_count: c.user_count,
            remote_created_at: c.remote_created_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
            last_request_at: c.last_request_at,
            custom_attributes: c.custom_attributes.clone(),
            other_attributes: c.other_attributes.clone(),
            tags: icsync_domain::imported_tags(&c.other_attributes)
                .into_iter()
                .map(|t| t.name.unwrap_or(t.id))
                .collect(),
            first_imported_at: stored.first_imported_at,
            last_imported_at: stored.last_imported_at,
        }
    }
}

/// A contact as an account lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactSummary {
    pub icsync_id: i64,
    pub intercom_id: String,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub role: String,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl From<&LocatedContact> for ContactSummary {
    fn from(located: &LocatedContact) -> Self {
        let c = &located.contact.contact;
        ContactSummary {
            icsync_id: located.icsync_id,
            intercom_id: c.id.to_string(),
            external_id: c.external_id.clone(),
            email: c.email.clone(),
            name: c.name.clone(),
            role: c.role.as_str().to_owned(),
            last_seen_at: c.last_seen_at,
            deleted_at: located.contact.deleted_at,
        }
    }
}

/// Daily rollups over a range of days (inclusive, in the workspace's time zone).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RollupsView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The workspace's time zone the days are in (UTC when unknown).
    pub timezone: String,
    /// Days with activity, oldest first (days without any are left out).
    pub days: Vec<DailyRollup>,
}

/// An account (company) profile.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountProfileView {
    pub workspace: String,
    pub key: String,
    pub account: CompanyView,
    pub cs_attributes: Option<CsView>,
    /// The account's contacts, most recently seen first (at most `contacts_limit`).
    pub contacts: Vec<ContactSummary>,
    pub contacts_total: u64,
    /// The last 30 days' rollups; null when they could not be computed (`rollups_error`).
    pub rollups: Option<RollupsView>,
    pub rollups_error: Option<String>,
}
