//! A sync pass over one workspace: users, then companies, then events (while User Tracking is
//! on), then conversations (always), each recorded in `sync_runs` under its own span. The
//! CLI's `icsync sync` and the daemon's scheduler call it.

use crate::config::InboundConfig;
use crate::control::RunControl;
use crate::error::{InboundError, Result};
use crate::report::{Progress, StreamReport, SyncReport};
use crate::streams::{self, Ctx};
use icsync_domain::{RunStatus, StreamName, WorkspaceId};
use icsync_intercom::IntercomClient;
use icsync_store::Store;
use std::time::Instant;
use tracing::Instrument;

/// Which streams a pass runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncOptions {
    /// Only these streams (`users`, `companies`, `events`, `conversations`); all when empty.
    pub streams: Vec<String>,
    /// Start over: a new backfill, and the companies and events of every stored user again.
    pub full: bool,
}

impl SyncOptions {
    fn wants(&self, stream: &str) -> bool {
        self.streams.is_empty() || self.streams.iter().any(|s| s == stream)
    }
}

/// The streams a pass knows, in the order they run.
pub const STREAMS: [&str; 4] = [
    StreamName::USERS,
    StreamName::COMPANIES,
    StreamName::EVENTS,
    StreamName::CONVERSATIONS,
];

/// The streams User Tracking gates; conversations run on every pass of a connected workspace.
fn gated(stream: &str) -> bool {
    crate::workspaces::GATED_STREAMS.contains(&stream)
}

/// Runs one pass of the workspace's streams with `client` (built by [`crate::client_for`]).
///
/// A stream that fails does not stop the next ones (events of stored users can still be read
/// when the users stream failed); a refused token stops them all and marks the workspace as
/// needing reconnection. Without User Tracking the gated streams make no request at all.
pub async fn sync_workspace(
    store: &Store,
    workspace: WorkspaceId,
    client: &IntercomClient,
    config: &InboundConfig,
    options: &SyncOptions,
    control: &RunControl,
    progress: &dyn Progress,
) -> Result<SyncReport> {
    let ws = store
        .workspace(workspace)
        .await?
        .ok_or_else(|| InboundError::UnknownWorkspace(workspace.to_string()))?;
    if let Some(unknown) = options
        .streams
        .iter()
        .find(|s| !STREAMS.contains(&s.as_str()))
    {
        return Err(InboundError::Invalid(format!(
            "unknown stream {unknown:?}: the streams are {}",
            STREAMS.join(", ")
        )));
    }
    if !ws.is_connected() {
        return Err(InboundError::NotSyncable {
            workspace: ws.name.clone(),
            reason: "it is disconnected; connect it again to sync".to_owned(),
        });
    }
    if let Some(error) = &ws.connection_error {
        return Err(InboundError::NotSyncable {
            workspace: ws.name.clone(),
            reason: format!("{error}; reconnect it with a valid token"),
        });
    }
    let mut report = SyncReport {
        workspace: ws.name.clone(),
        streams: Vec::new(),
    };
    if !ws.user_tracking {
        for stream in STREAMS.iter().filter(|s| options.wants(s) && gated(s)) {
            report.streams.push(StreamReport::skipped(
                stream,
                "User Tracking is off: no request made (switch it on to backfill and sync)",
            ));
        }
    } else if options.full {
        store.reset_contact_marks(ws.id).await?;
    }
    let ctx = Ctx {
        store,
        workspace: &ws,
        client,
        config,
        control,
        progress,
    };
    let mut tracking = ws.user_tracking;
    for stream in STREAMS.iter().filter(|s| options.wants(s)) {
        if gated(stream) && !tracking {
            continue;
        }
        let outcome = run_recorded(ctx, stream, options.full).await;
        match outcome {
            Ok(stream_report) => {
                let stopped = stream_report.status == RunStatus::Stopped;
                report.streams.push(stream_report);
                if stopped {
                    // User Tracking switched off stops the gated streams only; shutdown and
                    // disconnection stop the pass.
                    match control.check(store, ws.id, false).await {
                        None => tracking = false,
                        Some(_) => break,
                    }
                }
            }
            Err(InboundError::TokenRefused { workspace }) => {
                let message = "Intercom refused the access token (401): it was revoked or is wrong";
                store.set_connection_error(ws.id, Some(message)).await?;
                tracing::error!(workspace = %workspace, stream = *stream, "intercom refused the access token, the workspace's jobs stop until it is reconnected");
                let mut failed = StreamReport::skipped(stream, message);
                failed.status = RunStatus::Failed;
                report.streams.push(failed);
                return Err(InboundError::TokenRefused { workspace });
            }
            Err(err) => {
                let mut failed = StreamReport::skipped(stream, &err.to_string());
                failed.status = RunStatus::Failed;
                report.streams.push(failed);
            }
        }
    }
    Ok(report)
}

/// Runs one stream inside its span and records it in `sync_runs`.
async fn run_recorded(ctx: Ctx<'_>, stream: &'static str, full: bool) -> Result<StreamReport> {
    let store = ctx.store;
    let ws = ctx.workspace;
    let name = StreamName::new(stream);
    let run = store.start_run(ws.id, &name).await?;
    let span = tracing::info_span!("sync_run", workspace = %ws.name, stream, run = run.0);
    let started = Instant::now();
    let result = async {
        tracing::info!("stream run started");
        match stream {
            streams::users::STREAM => streams::users::run(ctx, full).await,
            streams::companies::STREAM => streams::companies::run(ctx).await,
            streams::conversations::STREAM => streams::conversations::run(ctx, full).await,
            _ => streams::events::run(ctx).await,
        }
    }
    .instrument(span.clone())
    .await;
    let elapsed = started.elapsed().as_millis() as i64;
    match result {
        Ok(mut report) => {
            report.stats.duration_ms = elapsed;
            store
                .finish_run(run, report.status, &report.stats, report.error.as_deref())
                .await?;
            span.in_scope(|| {
                tracing::info!(
                    status = report.status.as_str(),
                    read = report.stats.read,
                    written = report.stats.records,
                    skipped = report.stats.skipped_total(),
                    requests = report.stats.requests,
                    rate_limited = report.stats.rate_limited,
                    duration_ms = elapsed,
                    "stream run ended"
                )
            });
            ctx.progress.finished(&report);
            Ok(report)
        }
        Err(err) => {
            let stats = icsync_domain::SyncRunStats {
                duration_ms: elapsed,
                errors: 1,
                ..Default::default()
            };
            // The checkpoint stays at the last committed page; mark it failed for status.
            store
                .set_checkpoint_status(ws.id, &name, RunStatus::Failed)
                .await?;
            store
                .finish_run(run, RunStatus::Failed, &stats, Some(&err.to_string()))
                .await?;
            span.in_scope(|| tracing::error!(error = %err, "stream run failed, the next run resumes from the last committed page"));
            let mut failed = StreamReport::skipped(stream, &err.to_string());
            failed.status = RunStatus::Failed;
            failed.stats = stats;
            ctx.progress.finished(&failed);
            Err(err)
        }
    }
}
