//! The store's error type: each variant says what failed and what to do about it.

use std::path::PathBuf;

/// Everything the store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "invalid database_url `{url}`: {reason}; use sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB"
    )]
    InvalidUrl { url: String, reason: String },

    #[error("cannot create the data directory {}: {source}; make its parent writable or point database_url elsewhere", path.display())]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot open the database at {url}: {reason}; {hint}")]
    Connect {
        url: String,
        reason: String,
        hint: &'static str,
    },

    #[error(
        "migrating the database failed, nothing was applied: {0}; fix the cause and run `icsync migrate` again"
    )]
    Migrate(String),

    #[error(
        "the database schema is not up to date ({pending} migration(s) pending); run `icsync migrate`"
    )]
    SchemaOutdated { pending: usize },

    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),

    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),

    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),

    #[error("{what} not found")]
    NotFound { what: String },

    #[error("stored data is not readable: {0}")]
    Corrupt(String),

    #[error(
        "the ingest queue's writer has stopped (an earlier batch failed); finish the queue to see why, then resume the stream from its checkpoint"
    )]
    QueueClosed,

    #[error(
        "injected fault after {statements} statement(s) of the batch (a test asked for it); the batch was rolled back"
    )]
    InjectedFault { statements: usize },
}

impl StoreError {
    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        Self::Corrupt(what.to_string())
    }
}

/// Short alias used across the crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
