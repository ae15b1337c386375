//! The services the daemon injects: the parts of icsync the API reaches without owning them
//! (the on-view fetch in inbound, writeback's status and validated setter, the sessionizer's
//! daily rollups). The API calls them through these traits and never talks to Intercom itself.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use icsync_domain::{CompanyId, ContactId, CsSubject, Workspace};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Why an injected service failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The caller's input is refused (`field` names the member): a 422.
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    /// Intercom (or another upstream) could not help now: a 502.
    #[error("{0}")]
    Upstream(String),
    /// Anything else: logged, a 500.
    #[error(transparent)]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl From<ServiceError> for crate::ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Invalid { field, message } => crate::ApiError::validation(field, message),
            ServiceError::Upstream(message) => crate::ApiError::IntercomUnavailable(message),
            ServiceError::Internal(cause) => crate::ApiError::Internal(cause),
        }
    }
}

impl From<icsync_store::StoreError> for ServiceError {
    fn from(error: icsync_store::StoreError) -> Self {
        Self::Internal(Box::new(error))
    }
}

/// Whether a contact's conversation timeline is as Intercom has it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TimelineStatus {
    /// Fetched from Intercom just now, or recently enough (the on-view cache).
    Fresh,
    /// What icsync last stored: the fetch failed, timed out or could not run.
    Stale,
}

/// What an on-view fetch achieved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Freshness {
    pub status: TimelineStatus,
    /// When the contact's conversations were last fetched from Intercom.
    pub fetched_at: Option<DateTime<Utc>>,
    /// Why the timeline is stale, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The on-view fetch: opening a profile imports that contact's conversations from Intercom
/// unless they are fresh (cached a few minutes; concurrent views coalesce into one fetch).
/// The daemon wires it to inbound.
#[async_trait]
pub trait OnViewFetch: Send + Sync {
    async fn fetch(
        &self,
        workspace: &Workspace,
        contact: &ContactId,
    ) -> Result<Freshness, ServiceError>;
}

/// One row whose push keeps failing (or whose Intercom record is gone).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WritebackFailure {
    /// `contact` or `company`.
    pub subject_kind: String,
    /// The Intercom id of the contact or company.
    pub subject_id: String,
    pub attempts: i64,
    pub error: String,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Set when Intercom has no such record (no more retries).
    pub gone_at: Option<DateTime<Utc>>,
}

/// Writeback figures of one workspace.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WritebackFigures {
    /// Why rows wait instead of being pushed (a gate is closed), when one is.
    pub blocked: Option<String>,
    /// A configuration problem found in Intercom (e.g. an attribute name taken with another
    /// type).
    pub config_error: Option<String>,
    /// Rows waiting for a push.
    pub pending: u64,
    /// Rows being pushed now.
    pub in_flight: u64,
    /// Rows pushed and unchanged since.
    pub pushed: u64,
    /// Rows whose last push failed (retried with backoff).
    pub failed: u64,
    /// Rows whose Intercom record no longer exists.
    pub gone: u64,
    pub oldest_pending_since: Option<DateTime<Utc>>,
    pub oldest_pending_age_secs: Option<i64>,
    /// Failing and gone rows with their reasons (a bounded list).
    pub failures: Vec<WritebackFailure>,
}

/// Writeback status of a workspace; the daemon injects writeback's implementation.
#[async_trait]
pub trait WritebackStatus: Send + Sync {
    async fn status(&self, workspace: &Workspace) -> Result<WritebackFigures, ServiceError>;
}

/// One account's activity on one day of the workspace's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DailyRollup {
    /// The Intercom id of the company.
    #[schema(value_type = String)]
    pub account: CompanyId,
    /// The day, in the workspace's time zone.
    pub day: NaiveDate,
    /// The day's first instant and the next day's, in UTC (23 or 25 hours apart on DST days).
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The account's contacts with a session or an event on the day.
    pub active_users: u64,
    /// Sessions of the account's contacts that started on the day.
    pub sessions: u64,
    /// Events of the account's contacts on the day, by name.
    pub events: BTreeMap<String, u64>,
}

/// Daily rollups of an account over `[from, to]` (days of the workspace's zone), by day.
/// The daemon injects an implementation over the sessionizer's `daily_rollups` (its inputs
/// come from [`crate::rollup_inputs`]).
#[async_trait]
pub trait Rollups: Send + Sync {
    async fn daily(
        &self,
        workspace: &Workspace,
        account: &CompanyId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyRollup>, ServiceError>;
}

/// A change to a subject's CS attributes: a member left out keeps its value, `Some(None)`
/// (JSON `null`) clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsChange {
    pub health: Option<Option<Decimal>>,
    pub stage: Option<Option<String>>,
    pub profile_url: Option<Option<String>>,
    pub pulse: Option<Option<String>>,
    pub licence_utilization: Option<Option<Decimal>>,
    pub cs_owner: Option<Option<String>>,
    pub cs_owner_email: Option<Option<String>>,
}

impl CsChange {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A subject's CS attributes as stored, with where their writeback stands.
#[derive(Debug, Clone, PartialEq)]
pub struct CsState {
    pub subject: CsSubject,
    pub attributes: icsync_domain::CsAttributes,
    /// Bumped on every change the host makes.
    pub version: i64,
    /// True while health, stage or pulse differ from what was last pushed.
    pub needs_push: bool,
    pub pushed_at: Option<DateTime<Utc>>,
    pub attempts: i64,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// Sets CS attributes (the writeback input): validates the change, stores it, wakes the
/// pusher. The daemon injects writeback's validated setter; [`crate::StoreCsAttributes`] is
/// the store-only fallback.
#[async_trait]
pub trait CsAttributesService: Send + Sync {
    async fn set(
        &self,
        workspace: &Workspace,
        subject: &CsSubject,
        change: &CsChange,
    ) -> Result<CsState, ServiceError>;

    /// The subject's CS attributes, if the host ever set them.
    async fn get(
        &self,
        workspace: &Workspace,
        subject: &CsSubject,
    ) -> Result<Option<CsState>, ServiceError>;
}
