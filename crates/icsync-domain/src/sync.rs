//! Sync bookkeeping: streams, their checkpoints and the stats of each run.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A resumable inbound stream of one workspace (`contacts`, `companies`, `events`, ...).
///
/// Free text, so a stream can be scoped (e.g. `events:contact:<id>`), but the well-known names
/// are constants.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StreamName(String);

impl StreamName {
    pub const CONTACTS: &'static str = "contacts";
    pub const COMPANIES: &'static str = "companies";
    pub const EVENTS: &'static str = "events";
    pub const CONVERSATIONS: &'static str = "conversations";

    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StreamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for StreamName {
    fn from(name: &str) -> Self {
        Self(name.to_owned())
    }
}

/// Where a stream's run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Idle,
    Running,
    Succeeded,
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub fn parse(status: &str) -> Option<Self> {
        match status {
            "idle" => Some(Self::Idle),
            "running" => Some(Self::Running),
            "succeeded" => Some(Self::Succeeded),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// A stream's position, written in the same transaction as the page it follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub stream: StreamName,
    /// Completed-run high-water mark (e.g. the largest `updated_at` fully imported).
    pub watermark: Option<DateTime<Utc>>,
    /// Opaque cursor to resume an interrupted run at the next page; `None` between runs.
    pub cursor: Option<String>,
    pub status: RunStatus,
    /// Records written by this stream, over all runs.
    pub records_total: i64,
}

impl Checkpoint {
    pub fn new(stream: impl Into<StreamName>) -> Self {
        Self {
            stream: stream.into(),
            watermark: None,
            cursor: None,
            status: RunStatus::Idle,
            records_total: 0,
        }
    }
}

impl From<String> for StreamName {
    fn from(name: String) -> Self {
        Self(name)
    }
}

/// The figures of one sync run, as shown in status and kept in `sync_runs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRunStats {
    pub records: i64,
    pub requests: i64,
    pub retries: i64,
    pub rate_limited: i64,
    pub errors: i64,
    /// Custom attributes dropped because they shadow a standard attribute.
    pub shadowed_attributes: i64,
    pub pacer_wait_ms: i64,
}
