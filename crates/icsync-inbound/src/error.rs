//! The inbound pipeline's errors: what a caller (the CLI, the scheduler, the API) branches on.

use icsync_domain::StreamName;

/// Why an inbound operation failed.
#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    /// Intercom refused the token (401): the workspace needs reconnecting with a new one.
    #[error(
        "Intercom refused the access token of workspace {workspace:?} (it was revoked or is wrong): \
         reconnect it with a valid token (icsync workspace connect --name {workspace:?} --token-file FILE)"
    )]
    TokenRefused { workspace: String },
    /// A connection test: Intercom refused the token offered (nothing was stored).
    #[error(
        "Intercom refused this access token (401): check that it was copied whole, that it \
         belongs to a workspace in this region (us/eu/au, or the base URL given) and that it \
         has not been revoked"
    )]
    TokenRejected,
    /// The workspace is disconnected or stopped by an earlier connection error.
    #[error("workspace {workspace:?} cannot sync: {reason}")]
    NotSyncable { workspace: String, reason: String },
    /// No workspace by that name or id.
    #[error("no workspace named {0:?} (icsync workspace list shows them)")]
    UnknownWorkspace(String),
    /// A request the caller must change (a name taken, an invalid setting, ...).
    #[error("{0}")]
    Invalid(String),
    /// Intercom failed in a way retries did not cure.
    #[error("stream {stream} failed talking to Intercom: {source}")]
    Intercom {
        stream: StreamName,
        #[source]
        source: icsync_intercom::Error,
    },
    /// Intercom failed outside a stream (connection test, lookups).
    #[error("Intercom request failed: {0}")]
    Client(#[from] icsync_intercom::Error),
    /// The store failed.
    #[error("storage failed: {0}")]
    Store(#[from] icsync_store::StoreError),
    /// A checkpoint could not be read back (written by another version?).
    #[error(
        "the checkpoint of stream {stream} is unreadable ({reason}); reset it with `icsync sync --full`"
    )]
    BadCheckpoint { stream: StreamName, reason: String },
    /// A task of a stream ended without its result (it panicked): a bug, nothing was written
    /// for it.
    #[error(
        "a task of stream {stream} failed ({reason}); this is a bug in icsync, please report it \
         with the log: the next run resumes from the last committed page"
    )]
    Task { stream: StreamName, reason: String },
}

impl InboundError {
    /// Wraps a client error of `stream`, turning a 401 into [`InboundError::TokenRefused`].
    pub(crate) fn from_client(
        workspace: &str,
        stream: &StreamName,
        source: icsync_intercom::Error,
    ) -> Self {
        if matches!(source, icsync_intercom::Error::Unauthorized { .. }) {
            return InboundError::TokenRefused {
                workspace: workspace.to_owned(),
            };
        }
        InboundError::Intercom {
            stream: stream.clone(),
            source,
        }
    }

    /// Whether the next scheduled run may succeed without anyone doing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            InboundError::Intercom { source, .. } | InboundError::Client(source) => {
                source.is_retryable()
            }
            InboundError::Store(_) => true,
            _ => false,
        }
    }
}

pub type Result<T, E = InboundError> = std::result::Result<T, E>;
