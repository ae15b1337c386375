//! Writeback status per workspace: why rows wait (gates, configuration), pending, pushed and
//! failing rows with their reasons, and the oldest pending age.

use crate::service::{Writeback, WritebackError};
use chrono::{DateTime, Utc};
use icsync_domain::{CsSubject, Workspace, WorkspaceId};
use serde::Serialize;

/// Why a workspace's rows wait instead of being pushed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Blocked {
    #[error("the workspace is disconnected; reconnect it to push again")]
    Disconnected,
    #[error("the workspace has no Intercom access token; reconnect it with a token")]
    NoAccessToken,
    #[error(
        "Intercom is not the workspace's primary data source; writeback runs only when it is (workspace setting primary_source_is_intercom)"
    )]
    PrimarySourceNotIntercom,
    #[error(
        "writeback is off for this workspace; turn it on (workspace setting writeback_enabled)"
    )]
    WritebackDisabled,
}

/// The gate: writeback only for a connected workspace with a token, whose primary data source
/// is Intercom and whose writeback is on.
pub fn blocked(workspace: &Workspace) -> Option<Blocked> {
    if !workspace.is_connected() {
        Some(Blocked::Disconnected)
    } else if workspace.access_token.is_none() {
        Some(Blocked::NoAccessToken)
    } else if !workspace.primary_source_is_intercom {
        Some(Blocked::PrimarySourceNotIntercom)
    } else if !workspace.writeback_enabled {
        Some(Blocked::WritebackDisabled)
    } else {
        None
    }
}

/// One row that could not be pushed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedPush {
    pub subject: CsSubject,
    pub attempts: i32,
    pub error: String,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Set when Intercom has no such contact or company (no more retries).
    pub gone_at: Option<DateTime<Utc>>,
}

/// What status pages, the API and metrics show for one workspace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WritebackStatus {
    pub workspace: WorkspaceId,
    /// Why rows wait, when a gate is closed.
    pub blocked: Option<Blocked>,
    /// A configuration problem found in Intercom (e.g. a name taken with another type).
    pub config_error: Option<String>,
    /// When the data attributes were last found complete.
    pub provisioned_at: Option<DateTime<Utc>>,
    /// Data attributes icsync created in the workspace, in total.
    pub attributes_created: i64,
    pub pending: u64,
    pub failing: u64,
    pub in_flight: u64,
    pub pushed: u64,
    pub gone: u64,
    pub oldest_pending_since: Option<DateTime<Utc>>,
    pub oldest_pending_age_secs: Option<i64>,
    /// Failing and gone rows with their reasons (most attempts first, at most 50).
    pub failures: Vec<FailedPush>,
}

/// Failing rows listed in status.
const FAILURES_SHOWN: u64 = 50;

impl Writeback {
    /// A workspace's writeback status.
    pub async fn status(&self, workspace: &Workspace) -> Result<WritebackStatus, WritebackError> {
        let now = self.now();
        let store = self.store();
        let counts = store
            .writeback_counts(workspace.id, now, FAILURES_SHOWN)
            .await?;
        let state = store.writeback_state(workspace.id).await?;
        Ok(WritebackStatus {
            workspace: workspace.id,
            blocked: blocked(workspace),
            config_error: state.config_error,
            provisioned_at: state.provisioned_at,
            attributes_created: state.attributes_created,
            pending: counts.pending,
            failing: counts.failing,
            in_flight: counts.in_flight,
            pushed: counts.pushed,
            gone: counts.gone,
            oldest_pending_since: counts.oldest_pending_since,
            oldest_pending_age_secs: counts
                .oldest_pending_since
                .map(|since| (now - since).num_seconds().max(0)),
            failures: counts
                .failures
                .into_iter()
                .map(|f| FailedPush {
                    subject: f.subject,
                    attempts: f.attempts,
                    error: f.last_error,
                    next_attempt_at: f.next_attempt_at,
                    gone_at: f.gone_at,
                })
                .collect(),
        })
    }
}
