//! Stopping a run at a page boundary: on shutdown (the token is cancelled), and when the
//! workspace's User Tracking is switched off or the workspace is disconnected meanwhile.

use icsync_domain::WorkspaceId;
use icsync_store::Store;
use tokio_util::sync::CancellationToken;

/// Why a run stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    Cancelled,
    TrackingOff,
    Disconnected,
}

impl StopReason {
    pub fn describe(&self) -> &'static str {
        match self {
            StopReason::Cancelled => "stopped: shutting down (the next run resumes here)",
            StopReason::TrackingOff => {
                "stopped: User Tracking was switched off (switching it on starts a new backfill)"
            }
            StopReason::Disconnected => "stopped: the workspace was disconnected",
        }
    }
}

/// Shared by every stream of a pass; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct RunControl {
    cancel: CancellationToken,
}

impl RunControl {
    pub fn new(cancel: CancellationToken) -> Self {
        RunControl { cancel }
    }

    /// Stops every run using this control at its next page boundary.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    pub fn token(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Checked between pages: a reason to stop now, if any. `gated` streams (users, companies,
    /// events) also stop when User Tracking is off.
    pub(crate) async fn check(
        &self,
        store: &Store,
        workspace: WorkspaceId,
        gated: bool,
    ) -> Option<StopReason> {
        if self.cancel.is_cancelled() {
            return Some(StopReason::Cancelled);
        }
        match store.workspace(workspace).await {
            Ok(Some(ws)) if !ws.is_connected() => Some(StopReason::Disconnected),
            Ok(Some(ws)) if gated && !ws.user_tracking => Some(StopReason::TrackingOff),
            // A failed read is not a reason to stop: the page's own write would fail anyway.
            _ => None,
        }
    }
}
