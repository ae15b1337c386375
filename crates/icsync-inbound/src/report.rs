//! What a stream run did, for the CLI summary, `sync_runs` and status; and how a run shows
//! progress (the CLI draws bars, the daemon logs, tests ignore it).

use chrono::{DateTime, Utc};
use icsync_domain::{RunStatus, StreamName, SyncRunStats};
use std::collections::BTreeMap;

/// The outcome of one stream's run.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamReport {
    pub stream: StreamName,
    pub status: RunStatus,
    /// Figures as kept in `sync_runs` (kind, read, written, unchanged, skipped by reason,
    /// requests, 429s, pacer wait, duration).
    pub stats: SyncRunStats,
    /// Other records the run wrote or changed (`companies`, `associations_removed`,
    /// `contacts_deleted`, `events`, ...).
    pub also: BTreeMap<&'static str, u64>,
    /// Why the run failed or stopped.
    pub error: Option<String>,
    /// The users stream's window: the backfill's cutoff (users created at or after it) or the
    /// incremental pass's watermark (users updated since).
    pub since: Option<DateTime<Utc>>,
}

impl StreamReport {
    pub(crate) fn new(stream: &str) -> Self {
        StreamReport {
            stream: StreamName::new(stream),
            status: RunStatus::Running,
            stats: SyncRunStats::default(),
            also: BTreeMap::new(),
            error: None,
            since: None,
        }
    }

    /// A stream that did not run, and why (User Tracking off, ...): no request was made.
    pub fn skipped(stream: &str, why: &str) -> Self {
        let mut report = StreamReport::new(stream);
        report.status = RunStatus::Idle;
        report.error = Some(why.to_owned());
        report
    }

    pub(crate) fn add(&mut self, key: &'static str, n: u64) {
        if n > 0 {
            *self.also.entry(key).or_default() += n;
        }
    }

    /// Whether the stream did what it was asked (finished, or had nothing to do).
    pub fn finished(&self) -> bool {
        matches!(self.status, RunStatus::Succeeded | RunStatus::Idle)
    }
}

/// The outcome of a sync pass over a workspace's streams.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncReport {
    pub workspace: String,
    pub streams: Vec<StreamReport>,
}

impl SyncReport {
    /// True when every stream finished (or was not due to run).
    pub fn all_finished(&self) -> bool {
        self.streams.iter().all(StreamReport::finished)
    }
}

/// Receives a run's progress. Implementations must be cheap: it is called per page.
pub trait Progress: Send + Sync {
    /// A stream run starts; `estimate` is the expected number of records, when known.
    fn started(&self, _stream: &str, _kind: &str, _estimate: Option<u64>) {}
    /// The estimate became known or changed.
    fn estimate(&self, _stream: &str, _estimate: u64) {}
    /// `records` more were read.
    fn advanced(&self, _stream: &str, _records: u64) {}
    /// The stream run ended.
    fn finished(&self, _report: &StreamReport) {}
}

/// Progress that goes nowhere.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {}
