//! `GET /v1/workspaces/{name}/status` (admin): per stream its state, last and next run, a
//! running run's progress (done of estimated, rate, ETA), its last error; record counts; the
//! workspace's connection error; writeback figures from the injected service.

use crate::auth::AdminKey;
use crate::error::ApiResult;
use crate::extract::ApiPath;
use crate::model::{
    CountsView, LastError, ProgressView, RunView, StatusView, StreamState, StreamStatus,
    WorkspaceView,
};
use crate::openapi::{E400, E401, E403, E404, E500};
use crate::routes::workspace_named;
use crate::state::ApiState;
use axum::Json;
use axum::extract::State;
use chrono::Duration as TimeDelta;
use icsync_domain::{Checkpoint, RunStatus, Workspace};
use icsync_inbound::workspaces::GATED_STREAMS;
use icsync_store::{RunProgress, SyncRun};

/// A workspace's sync and writeback status.
#[utoipa::path(get, path = "/v1/workspaces/{name}/status", operation_id = "get_workspace_status", tag = "status",
    security(("api_key" = [])),
    params(("name" = String, Path, description = "The workspace's name.")),
    responses((status = 200, description = "The workspace's status.", body = StatusView),
        E400, E401, E403, E404, E500))]
pub(crate) async fn status(
    _admin: AdminKey,
    State(state): State<ApiState>,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Json<StatusView>> {
    workspace_status(&state, &name).await.map(Json)
}

/// What `GET /v1/workspaces/{name}/status` answers, without HTTP (the console's status page).
pub async fn workspace_status(state: &ApiState, name: &str) -> ApiResult<StatusView> {
    let workspace = workspace_named(state, name).await?;
    let store = state.store();
    let checkpoints = store.checkpoints(workspace.id).await?;
    let latest = store.latest_runs(workspace.id).await?;
    let failed = store.latest_failed_runs(workspace.id).await?;
    let progress = store.running_progress(workspace.id).await?;
    let counts = store.record_counts(workspace.id).await?;

    // The known streams first, in the order a pass runs them, then any other top-level one
    // (conversations, ...); scoped streams (`events:contact:<id>`) are internal.
    let mut names: Vec<String> = GATED_STREAMS.iter().map(|s| (*s).to_owned()).collect();
    let mut others: Vec<String> = checkpoints
        .iter()
        .map(|c| c.stream.as_str())
        .chain(latest.iter().map(|r| r.stream.as_str()))
        .filter(|s| !s.contains(':') && !names.iter().any(|n| n == s))
        .map(str::to_owned)
        .collect();
    others.sort();
    others.dedup();
    names.extend(others);

    let poll = TimeDelta::from_std(state.settings().poll_interval).unwrap_or(TimeDelta::MAX);
    let streams = names
        .iter()
        .map(|stream| {
            let checkpoint = checkpoints.iter().find(|c| c.stream.as_str() == stream);
            let last = latest.iter().find(|r| r.stream.as_str() == stream);
            let running = progress.iter().find(|p| p.stream.as_str() == stream);
            let error = failed.iter().find(|r| r.stream.as_str() == stream);
            stream_status(&workspace, stream, checkpoint, last, running, error, poll)
        })
        .collect();

    let (writeback, writeback_error) = match state.services().writeback.status(&workspace).await {
        Ok(figures) => (Some(figures), None),
        Err(error) => {
            tracing::warn!(workspace = %workspace.name, error = %error, "writeback status unavailable");
            (
                None,
                Some(match error {
                    crate::ServiceError::Internal(_) => {
                        "writeback status could not be read; see the daemon's log".to_owned()
                    }
                    other => other.to_string(),
                }),
            )
        }
    };
    Ok(StatusView {
        workspace: WorkspaceView::from(&workspace),
        poll_interval_secs: state.settings().poll_interval.as_secs(),
        streams,
        counts: CountsView {
            contacts: counts.contacts,
            companies: counts.companies,
            associations: counts.associations,
            events: counts.events,
            conversations: counts.conversations,
            conversation_parts: counts.parts,
        },
        writeback,
        writeback_error,
    })
}

fn stream_status(
    workspace: &Workspace,
    stream: &str,
    checkpoint: Option<&Checkpoint>,
    last: Option<&SyncRun>,
    running: Option<&RunProgress>,
    error: Option<&SyncRun>,
    poll: TimeDelta,
) -> StreamStatus {
    let gated = GATED_STREAMS.contains(&stream);
    let is_running = running.is_some() || last.is_some_and(|r| r.status == RunStatus::Running);
    let state = if !workspace.is_connected() {
        StreamState::Disconnected
    } else if workspace.connection_error.is_some() {
        StreamState::Blocked
    } else if gated && !workspace.user_tracking {
        StreamState::Off
    } else if is_running {
        StreamState::Running
    } else {
        match (checkpoint.map(|c| c.status), last.map(|r| r.status)) {
            (Some(status), _) | (None, Some(status)) => match status {
                RunStatus::Idle => StreamState::Idle,
                RunStatus::Running => StreamState::Running,
                RunStatus::Succeeded => StreamState::Succeeded,
                RunStatus::Failed => StreamState::Failed,
                RunStatus::Stopped => StreamState::Stopped,
            },
            (None, None) => StreamState::Pending,
        }
    };
    let syncing = workspace.can_sync() && (!gated || workspace.user_tracking);
    let next_run_at = match (syncing, is_running, last) {
        (true, false, Some(run)) => run.started_at.checked_add_signed(poll),
        _ => None,
    };
    StreamStatus {
        stream: stream.to_owned(),
        state,
        watermark: checkpoint.and_then(|c| c.watermark),
        records_total: checkpoint.map_or(0, |c| c.records_total),
        resumable: checkpoint.is_some_and(|c| c.cursor.is_some()),
        last_run: last.map(RunView::from),
        next_run_at,
        progress: running.map(progress_view),
        last_error: error.and_then(|run| {
            Some(LastError {
                message: run.error_message.clone()?,
                at: run.finished_at.unwrap_or(run.started_at),
                run_id: run.id.0,
            })
        }),
    }
}

/// Done of estimated, the rate since the run started, and the time left at that rate.
fn progress_view(progress: &RunProgress) -> ProgressView {
    let elapsed = (progress.updated_at - progress.started_at).num_milliseconds() as f64 / 1000.0;
    let rate = (elapsed > 0.0 && progress.done > 0).then(|| progress.done as f64 / elapsed);
    let percent = progress
        .estimate
        .filter(|e| *e > 0)
        .map(|e| (progress.done as f64 * 100.0 / e as f64).min(100.0));
    let eta_secs = match (progress.estimate, rate) {
        (Some(estimate), Some(rate)) => {
            let left = (estimate - progress.done).max(0) as f64;
            Some((left / rate).ceil() as i64)
        }
        _ => None,
    };
    ProgressView {
        kind: progress.kind.clone(),
        done: progress.done,
        estimated: progress.estimate,
        percent: percent.map(|p| (p * 10.0).round() / 10.0),
        rate_per_sec: rate.map(|r| (r * 10.0).round() / 10.0),
        eta_secs,
        eta_at: eta_secs.and_then(|s| {
            progress
                .updated_at
                .checked_add_signed(TimeDelta::seconds(s))
        }),
        started_at: progress.started_at,
        updated_at: progress.updated_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use icsync_domain::StreamName;
    use icsync_store::RunId;

    #[test]
    fn progress_gives_rate_and_eta_from_the_run_start() {
        let started = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let view = progress_view(&RunProgress {
            run: RunId(1),
            stream: StreamName::new("users"),
            kind: Some("backfill".into()),
            started_at: started,
            done: 500,
            estimate: Some(2000),
            updated_at: started + TimeDelta::seconds(10),
        });
        assert_eq!(view.percent, Some(25.0));
        assert_eq!(view.rate_per_sec, Some(50.0));
        assert_eq!(view.eta_secs, Some(30));
        assert_eq!(view.eta_at, Some(started + TimeDelta::seconds(40)));
    }
}
