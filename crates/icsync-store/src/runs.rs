//! Sync runs: one row per run of a stream, with its figures, for status and benchmarks.

use crate::Store;
use crate::entities::sync_run;
use crate::error::{Result, StoreError};
use chrono::{DateTime, Utc};
use icsync_domain::{RunStatus, StreamName, SyncRunStats, WorkspaceId};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

/// icsync's id of a sync run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RunId(pub i64);

/// A run as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncRun {
    pub id: RunId,
    pub workspace: WorkspaceId,
    pub stream: StreamName,
    pub status: RunStatus,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub stats: SyncRunStats,
    pub error_message: Option<String>,
}

impl Store {
    /// Records that a run of `stream` started.
    pub async fn start_run(&self, workspace: WorkspaceId, stream: &StreamName) -> Result<RunId> {
        let row = sync_run::ActiveModel {
            workspace_id: Set(workspace.0),
            stream: Set(stream.as_str().to_owned()),
            status: Set(RunStatus::Running.as_str().to_owned()),
            started_at: Set(Utc::now()),
            finished_at: Set(None),
            records: Set(0),
            requests: Set(0),
            retries: Set(0),
            rate_limited: Set(0),
            errors: Set(0),
            shadowed_attributes: Set(0),
            pacer_wait_ms: Set(0),
            error_message: Set(None),
            kind: Set(None),
            records_read: Set(0),
            records_unchanged: Set(0),
            records_skipped: Set(0),
            skipped_reasons: Set(None),
            duration_ms: Set(0),
            ..Default::default()
        }
        .insert(&self.inner.write)
        .await?;
        Ok(RunId(row.id))
    }

    /// Records how a run ended and its figures.
    pub async fn finish_run(
        &self,
        run: RunId,
        status: RunStatus,
        stats: &SyncRunStats,
        error_message: Option<&str>,
    ) -> Result<()> {
        let row = sync_run::Entity::find_by_id(run.0)
            .one(&self.inner.write)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("sync run {}", run.0),
            })?;
        let mut active: sync_run::ActiveModel = row.into();
        active.status = Set(status.as_str().to_owned());
        active.finished_at = Set(Some(Utc::now()));
        active.records = Set(stats.records);
        active.requests = Set(stats.requests);
        active.retries = Set(stats.retries);
        active.rate_limited = Set(stats.rate_limited);
        active.errors = Set(stats.errors);
        active.shadowed_attributes = Set(stats.shadowed_attributes);
        active.pacer_wait_ms = Set(stats.pacer_wait_ms);
        active.error_message = Set(error_message.map(str::to_owned));
        active.kind = Set(stats.kind.clone());
        active.records_read = Set(stats.read);
        active.records_unchanged = Set(stats.unchanged);
        active.records_skipped = Set(stats.skipped_total());
        active.skipped_reasons = Set(if stats.skipped.is_empty() {
            None
        } else {
            serde_json::to_string(&stats.skipped).ok()
        });
        active.duration_ms = Set(stats.duration_ms);
        active.update(&self.inner.write).await?;
        Ok(())
    }

    /// The latest runs of a workspace, newest first.
    pub async fn recent_runs(&self, workspace: WorkspaceId, limit: u64) -> Result<Vec<SyncRun>> {
        sync_run::Entity::find()
            .filter(sync_run::Column::WorkspaceId.eq(workspace.0))
            .order_by_desc(sync_run::Column::StartedAt)
            .order_by_desc(sync_run::Column::Id)
            .limit(limit)
            .all(&self.inner.read)
            .await?
            .into_iter()
            .map(run_from_row)
            .collect()
    }
}

/// A `sync_runs` row as a [`SyncRun`].
pub(crate) fn run_from_row(row: sync_run::Model) -> Result<SyncRun> {
    let status = RunStatus::parse(&row.status).ok_or_else(|| {
        StoreError::corrupt(format!("sync run {} has status {:?}", row.id, row.status))
    })?;
    Ok(SyncRun {
        id: RunId(row.id),
        workspace: WorkspaceId(row.workspace_id),
        stream: StreamName::new(row.stream),
        status,
        started_at: row.started_at,
        finished_at: row.finished_at,
        stats: SyncRunStats {
            kind: row.kind,
            read: row.records_read,
            unchanged: row.records_unchanged,
            skipped: row
                .skipped_reasons
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok())
                .unwrap_or_default(),
            duration_ms: row.duration_ms,
            records: row.records,
            requests: row.requests,
            retries: row.retries,
            rate_limited: row.rate_limited,
            errors: row.errors,
            shadowed_attributes: row.shadowed_attributes,
            pacer_wait_ms: row.pacer_wait_ms,
        },
        error_message: row.error_message,
    })
}
