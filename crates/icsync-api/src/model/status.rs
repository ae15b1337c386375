//! Sync status of a workspace: each stream's state, runs, progress and errors; record counts;
//! writeback figures.

use crate::model::WorkspaceView;
use crate::services::WritebackFigures;
use chrono::{DateTime, Utc};
use icsync_store::SyncRun;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Where a stream stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StreamState {
    /// Never ran (a backfill is due at the next pass).
    Pending,
    Running,
    /// The last run finished; the next incremental pass is due at `next_run_at`.
    Succeeded,
    /// The last run failed; the next pass resumes from the last committed page.
    Failed,
    /// Stopped on purpose at a page boundary (User Tracking switched off, shutdown); resumable.
    Stopped,
    Idle,
    /// User Tracking is off: the stream makes no request.
    Off,
    /// The workspace is disconnected.
    Disconnected,
    /// The workspace's jobs stopped on a connection error (see `connection_error`).
    Blocked,
}

/// One run of a stream, with its figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunView {
    pub id: i64,
    /// `backfill`, `incremental`, `full`, ...
    pub kind: Option<String>,
    /// `running`, `succeeded`, `failed`, `stopped`.
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: i64,
    /// Records received from Intercom.
    pub read: i64,
    /// Records written (inserted or changed).
    pub written: i64,
    pub unchanged: i64,
    /// Records that could not be converted, by reason.
    pub skipped: BTreeMap<String, i64>,
    pub requests: i64,
    pub retries: i64,
    /// Answers 429 Too Many Requests.
    pub rate_limited: i64,
    pub errors: i64,
    /// Time waited for Intercom's rate limit.
    pub pacer_wait_ms: i64,
    /// Custom attributes dropped because they shadow a standard attribute.
    pub shadowed_attributes: i64,
    pub error: Option<String>,
}

impl From<&SyncRun> for RunView {
    fn from(run: &SyncRun) -> Self {
        let s = &run.stats;
        RunView {
            id: run.id.0,
            kind: s.kind.clone(),
            status: run.status.as_str().to_owned(),
            started_at: run.started_at,
            finished_at: run.finished_at,
            duration_ms: s.duration_ms,
            read: s.read,
            written: s.records,
            unchanged: s.unchanged,
            skipped: s.skipped.clone(),
            requests: s.requests,
            retries: s.retries,
            rate_limited: s.rate_limited,
            errors: s.errors,
            pacer_wait_ms: s.pacer_wait_ms,
            shadowed_attributes: s.shadowed_attributes,
            error: run.error_message.clone(),
        }
    }
}

/// How far a running run has got.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgressView {
    pub kind: Option<String>,
    /// Records read so far.
    pub done: i64,
    /// Records expected in all, when Intercom said.
    pub estimated: Option<i64>,
    /// `done` of `estimated`, 0 to 100.
    pub percent: Option<f64>,
    /// Records per second since the run started.
    pub rate_per_sec: Option<f64>,
    /// Seconds left at that rate.
    pub eta_secs: Option<i64>,
    pub eta_at: Option<DateTime<Utc>>,
    pub started_at: DateTime<Utc>,
    /// When the running instance last reported (older than a minute: it may have died; the
    /// next pass resumes from the checkpoint).
    pub updated_at: DateTime<Utc>,
}

/// The latest error of a stream.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LastError {
    pub message: String,
    pub at: DateTime<Utc>,
    pub run_id: i64,
}

/// One stream of a workspace.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StreamStatus {
    /// `users`, `companies`, `events` (and `conversations` once imported).
    pub stream: String,
    pub state: StreamState,
    /// High-water mark of completed runs (e.g. the largest `updated_at` fully imported).
    pub watermark: Option<DateTime<Utc>>,
    /// Records this stream wrote since its last reset (a new backfill resets it).
    pub records_total: i64,
    /// An interrupted run left a page cursor: the next run resumes there.
    pub resumable: bool,
    pub last_run: Option<RunView>,
    /// When the next incremental pass is due (last start plus the poll interval), while the
    /// workspace syncs.
    pub next_run_at: Option<DateTime<Utc>>,
    /// Set while a run is running.
    pub progress: Option<ProgressView>,
    pub last_error: Option<LastError>,
}

/// Rows a workspace holds.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CountsView {
    pub contacts: u64,
    pub companies: u64,
    pub associations: u64,
    pub events: u64,
    pub conversations: u64,
    pub conversation_parts: u64,
}

/// A workspace's sync and writeback status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusView {
    pub workspace: WorkspaceView,
    /// Seconds between incremental passes while User Tracking is on.
    pub poll_interval_secs: u64,
    pub streams: Vec<StreamStatus>,
    pub counts: CountsView,
    /// Null when writeback's status could not be read (`writeback_error` says why).
    pub writeback: Option<WritebackFigures>,
    pub writeback_error: Option<String>,
}
