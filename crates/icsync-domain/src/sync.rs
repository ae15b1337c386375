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
    /// Users (and leads when the workspace includes them), by contact search.
    pub const USERS: &'static str = "users";
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
    /// Stopped on purpose at a page boundary (User Tracking switched off, shutdown); resumable.
    Stopped,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Stopped => "stopped",
        }
    }

    pub fn parse(status: &str) -> Option<Self> {
        match status {
            "idle" => Some(Self::Idle),
            "running" => Some(Self::Running),
            "succeeded" => Some(Self::Succeeded),
            "failed" => Some(Self::Failed),
            "stopped" => Some(Self::Stopped),
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
    /// `backfill`, `incremental`, `full`, ...: what the run did.
    pub kind: Option<String>,
    /// Records received from Intercom.
    pub read: i64,
    /// Records written (inserted or changed).
    pub records: i64,
    /// Records received that equalled what was stored.
    pub unchanged: i64,
    /// Records that could not be converted, by reason.
    pub skipped: std::collections::BTreeMap<String, i64>,
    pub requests: i64,
    pub retries: i64,
    pub rate_limited: i64,
    pub errors: i64,
    /// Custom attributes dropped because they shadow a standard attribute.
    pub shadowed_attributes: i64,
    pub pacer_wait_ms: i64,
    pub duration_ms: i64,
}

impl SyncRunStats {
    /// Records skipped, whatever the reason.
    pub fn skipped_total(&self) -> i64 {
        self.skipped.values().sum()
    }

    /// Counts one skipped record under `reason`.
    pub fn skip(&mut self, reason: impl Into<String>) {
        *self.skipped.entry(reason.into()).or_default() += 1;
    }

    /// Adds `other`'s figures to these.
    pub fn absorb(&mut self, other: &SyncRunStats) {
        self.read += other.read;
        self.records += other.records;
        self.unchanged += other.unchanged;
        for (reason, count) in &other.skipped {
            *self.skipped.entry(reason.clone()).or_default() += count;
        }
        self.requests += other.requests;
        self.retries += other.retries;
        self.rate_limited += other.rate_limited;
        self.errors += other.errors;
        self.shadowed_attributes += other.shadowed_attributes;
        self.pacer_wait_ms += other.pacer_wait_ms;
        self.duration_ms += other.duration_ms;
    }
}
