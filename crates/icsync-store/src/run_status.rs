//! What status and metrics read about sync runs: the newest run and the newest error of each
//! stream, live progress of running runs (written by the running instance every few seconds,
//! so any instance can show it), and per-stream totals over every run.

use crate::Store;
use crate::entities::sync_run;
use crate::error::Result;
use crate::runs::{RunId, SyncRun, run_from_row};
use chrono::{DateTime, Utc};
use icsync_domain::{RunStatus, StreamName, WorkspaceId};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect};

/// How far a running run has got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunProgress {
    pub run: RunId,
    pub stream: StreamName,
    pub kind: Option<String>,
    pub started_at: DateTime<Utc>,
    /// Records read so far.
    pub done: i64,
    /// Records the run expects in all, when known.
    pub estimate: Option<i64>,
    /// When the figures were written.
    pub updated_at: DateTime<Utc>,
}

/// Totals over every run of one workspace's stream (for metrics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTotals {
    pub workspace: WorkspaceId,
    pub stream: StreamName,
    pub runs: i64,
    pub failed_runs: i64,
    pub records: i64,
    pub requests: i64,
    pub rate_limited: i64,
    pub pacer_wait_ms: i64,
    pub duration_ms: i64,
}

impl Store {
    /// Records the progress of the newest running run of `stream` (what the run reported so
    /// far); false when no run of it is running.
    pub async fn record_run_progress(
        &self,
        workspace: WorkspaceId,
        stream: &StreamName,
        kind: Option<&str>,
        done: i64,
        estimate: Option<i64>,
    ) -> Result<bool> {
        let running: Option<i64> = sync_run::Entity::find()
            .select_only()
            .column(sync_run::Column::Id)
            .filter(sync_run::Column::WorkspaceId.eq(workspace.0))
            .filter(sync_run::Column::Stream.eq(stream.as_str()))
            .filter(sync_run::Column::Status.eq(RunStatus::Running.as_str()))
            .order_by_desc(sync_run::Column::Id)
            .limit(1)
            .into_tuple()
            .one(&self.inner.read)
            .await?;
        let Some(id) = running else {
            return Ok(false);
        };
        let mut update = sync_run::Entity::update_many()
            .col_expr(sync_run::Column::ProgressDone, Expr::value(done))
            .col_expr(sync_run::Column::ProgressEstimate, Expr::value(estimate))
            .col_expr(sync_run::Column::ProgressAt, Expr::value(Utc::now()));
        if let Some(kind) = kind {
            update = update.col_expr(sync_run::Column::Kind, Expr::value(kind));
        }
        let result = update
            .filter(sync_run::Column::Id.eq(id))
            .filter(sync_run::Column::Status.eq(RunStatus::Running.as_str()))
            .exec(&self.inner.write)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// The progress of every running run of a workspace that reported some.
    pub async fn running_progress(&self, workspace: WorkspaceId) -> Result<Vec<RunProgress>> {
        Ok(sync_run::Entity::find()
            .filter(sync_run::Column::WorkspaceId.eq(workspace.0))
            .filter(sync_run::Column::Status.eq(RunStatus::Running.as_str()))
            .filter(sync_run::Column::ProgressAt.is_not_null())
            .order_by_asc(sync_run::Column::Id)
            .all(&self.inner.read)
            .await?
            .into_iter()
            .filter_map(|row| {
                Some(RunProgress {
                    run: RunId(row.id),
                    stream: StreamName::new(row.stream),
                    kind: row.kind,
                    started_at: row.started_at,
                    done: row.progress_done.unwrap_or(0),
                    estimate: row.progress_estimate,
                    updated_at: row.progress_at?,
                })
            })
            .collect())
    }

    /// The newest run of each stream of a workspace, by stream name.
    pub async fn latest_runs(&self, workspace: WorkspaceId) -> Result<Vec<SyncRun>> {
        self.newest_per_stream(workspace, false).await
    }

    /// The newest run of each stream that ended with an error, by stream name.
    pub async fn latest_failed_runs(&self, workspace: WorkspaceId) -> Result<Vec<SyncRun>> {
        self.newest_per_stream(workspace, true).await
    }

    async fn newest_per_stream(
        &self,
        workspace: WorkspaceId,
        with_error: bool,
    ) -> Result<Vec<SyncRun>> {
        let mut newest = sync_run::Entity::find()
            .select_only()
            .column_as(Expr::col(sync_run::Column::Id).max(), "id")
            .filter(sync_run::Column::WorkspaceId.eq(workspace.0));
        if with_error {
            newest = newest.filter(sync_run::Column::ErrorMessage.is_not_null());
        }
        let ids: Vec<i64> = newest
            .group_by(sync_run::Column::Stream)
            .into_tuple()
            .all(&self.inner.read)
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        sync_run::Entity::find()
            .filter(sync_run::Column::Id.is_in(ids))
            .order_by_asc(sync_run::Column::Stream)
            .all(&self.inner.read)
            .await?
            .into_iter()
            .map(run_from_row)
            .collect()
    }

    /// Totals of every workspace's streams over all their runs, by workspace and stream.
    pub async fn run_totals(&self) -> Result<Vec<RunTotals>> {
        type Row = (i64, String, i64, i64, i64, i64, i64, i64, i64);
        let sum = |column: &str| Expr::cust(format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT)"));
        let rows: Vec<Row> = sync_run::Entity::find()
            .select_only()
            .column(sync_run::Column::WorkspaceId)
            .column(sync_run::Column::Stream)
            .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "runs")
            .column_as(
                Expr::cust("CAST(COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT)"),
                "failed_runs",
            )
            .column_as(sum("records"), "records")
            .column_as(sum("requests"), "requests")
            .column_as(sum("rate_limited"), "rate_limited")
            .column_as(sum("pacer_wait_ms"), "pacer_wait_ms")
            .column_as(sum("duration_ms"), "duration_ms")
            .group_by(sync_run::Column::WorkspaceId)
            .group_by(sync_run::Column::Stream)
            .order_by_asc(sync_run::Column::WorkspaceId)
            .order_by_asc(sync_run::Column::Stream)
            .into_tuple()
            .all(&self.inner.read)
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    ws,
                    stream,
                    runs,
                    failed_runs,
                    records,
                    requests,
                    rate_limited,
                    wait,
                    duration,
                )| {
                    RunTotals {
                        workspace: WorkspaceId(ws),
                        stream: StreamName::new(stream),
                        runs,
                        failed_runs,
                        records,
                        requests,
                        rate_limited,
                        pacer_wait_ms: wait,
                        duration_ms: duration,
                    }
                },
            )
            .collect())
    }
}
