//! Export status per workspace: why records wait (gates, configuration), pending, exported,
//! failed (with reasons), removed, rejected and skipped records.

use crate::export::{ExportError, Exporter};
use chrono::{DateTime, Utc};
pub use icsync_domain::ExportBlocked;
use icsync_domain::{ExportSettings, Workspace, WorkspaceId};
use serde::Serialize;

/// The gate (see [`ExportBlocked::of`]).
pub fn export_blocked(workspace: &Workspace, settings: &ExportSettings) -> Option<ExportBlocked> {
    ExportBlocked::of(workspace, settings)
}

/// One record that is not in Intercom as the host wants.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportRecordFailure {
    pub host_id: String,
    /// `failed` (retried), `rejected` (until the host changes it) or `skipped` (enrich mode,
    /// no such contact).
    pub status: &'static str,
    pub attempts: i32,
    pub reason: String,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// What the API, metrics and the console show for one workspace's export.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportStatusReport {
    pub workspace: WorkspaceId,
    /// `false` before the export is configured.
    pub configured: bool,
    pub settings: Option<ExportSettings>,
    /// Why records wait, when a gate is closed.
    pub blocked: Option<ExportBlocked>,
    /// A problem with the mapped data attributes in Intercom.
    pub config_error: Option<String>,
    pub provisioned_at: Option<DateTime<Utc>>,
    pub attributes_created: i64,
    pub records: u64,
    pub pending: u64,
    pub failing: u64,
    pub in_flight: u64,
    pub exported: u64,
    pub removed: u64,
    pub rejected: u64,
    pub skipped: u64,
    pub oldest_pending_since: Option<DateTime<Utc>>,
    pub oldest_pending_age_secs: Option<i64>,
    /// Failing, rejected and skipped records with their reasons (most attempts first, ≤ 50).
    pub failures: Vec<ExportRecordFailure>,
}

const FAILURES_SHOWN: u64 = 50;

impl Exporter {
    /// A workspace's export status.
    pub async fn status(&self, workspace: &Workspace) -> Result<ExportStatusReport, ExportError> {
        let now = self.now();
        let store = self.store();
        let state = store.export_state(workspace.id).await?;
        let counts = store
            .export_counts(workspace.id, now, FAILURES_SHOWN)
            .await?;
        Ok(ExportStatusReport {
            workspace: workspace.id,
            configured: state.is_some(),
            blocked: state
                .as_ref()
                .and_then(|s| export_blocked(workspace, &s.settings)),
            config_error: state.as_ref().and_then(|s| s.config_error.clone()),
            provisioned_at: state.as_ref().and_then(|s| s.provisioned_at),
            attributes_created: state.as_ref().map_or(0, |s| s.attributes_created),
            settings: state.map(|s| s.settings),
            records: counts.records,
            pending: counts.pending,
            failing: counts.failing,
            in_flight: counts.in_flight,
            exported: counts.exported,
            removed: counts.removed,
            rejected: counts.rejected,
            skipped: counts.skipped,
            oldest_pending_since: counts.oldest_pending_since,
            oldest_pending_age_secs: counts
                .oldest_pending_since
                .map(|since| (now - since).num_seconds().max(0)),
            failures: counts
                .problems
                .into_iter()
                .map(|p| ExportRecordFailure {
                    host_id: p.host_id,
                    status: p.status.as_str(),
                    attempts: p.attempts,
                    reason: p.reason,
                    next_attempt_at: p.next_attempt_at,
                })
                .collect(),
        })
    }
}
