//! Export of host records to Intercom contacts, on writeback's delivery machinery.
//!
//! - [`Exporter::configure`]: a workspace's export settings (sync, creation and removal modes,
//!   the property mapping); a change that reshapes records queues every record again.
//! - [`Exporter::put`] / [`Exporter::remove`] (and batches): the host's desired state per
//!   record, validated (nothing stored when a record is bad, each problem naming its field)
//!   and versioned; a record waits for an export while it differs from the last *successful*
//!   one. Puts coalesce: only the latest desired state is ever exported.
//! - [`Exporter::drain_once`]: the step function (gate, provision the mapped data attributes,
//!   claim due records in batches under a lease, reconcile each with bounded concurrency, one
//!   commit per batch); [`Exporter::run`] is the loop beside writeback's.
//! - [`Exporter::status`]: pending, exported, failed (with reasons), removed, per workspace.
//!
//! **Invariant** (writeback's): a failed export never becomes the baseline; one whose outcome
//! is unknown erases it, so Intercom ends at the host's latest desired state whatever the
//! interleaving of puts, removals, 5xx, 429s and restarts.
//! **Invariant**: the only tags export ever removes are those it applied (`managed_tags`).

mod config;
mod drain;
mod reconcile;
mod status;
mod writer;

pub use config::ExportConfig;
pub use drain::{ExportDrainOptions, ExportSummary, RecordFailure};
pub use status::{ExportBlocked, ExportRecordFailure, ExportStatusReport, export_blocked};
pub use writer::{ExportWriter, ExportWriterSource};

use crate::config::ConfigProblem;
use crate::service::Clock;
use chrono::{DateTime, Utc};
use icsync_domain::{ExportSettings, HostRecord, RecordProblem, WorkspaceId};
use icsync_store::{ExportState, ExportVersion, Store, StoreError, StoredExportRecord};
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::Notify;

/// Everything export can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigProblem),
    #[error(
        "the workspace has no export settings yet; set them first (PUT /v1/workspaces/{{workspace}}/export)"
    )]
    NotConfigured,
    #[error("invalid export settings: {}", join(.0))]
    InvalidSettings(Vec<RecordProblem>),
    #[error("record {host_id:?} is invalid: {}", join(.problems))]
    InvalidRecord {
        host_id: String,
        problems: Vec<RecordProblem>,
    },
    #[error("no record {0:?} in this workspace's export")]
    UnknownRecord(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn join(problems: &[RecordProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// What happened to one record of a batch.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum BatchItem {
    /// Stored; it waits for an export when it differs from the last one.
    Stored {
        host_id: String,
        version: i64,
        pending: bool,
    },
    /// Already stored as it is: nothing to do.
    Unchanged { host_id: String, version: i64 },
    /// Refused: nothing of it was stored.
    Invalid {
        host_id: String,
        problems: Vec<RecordProblem>,
    },
    /// A removal of a record icsync does not hold.
    Unknown { host_id: String },
}

/// The export service; cheap to clone.
#[derive(Clone)]
pub struct Exporter {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    config: ExportConfig,
    wake: Notify,
    clock: Clock,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Exporter {
    /// A service over `store`; the configuration is validated first.
    pub fn new(store: Store, config: ExportConfig) -> Result<Self, ExportError> {
        config.validate()?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                config,
                wake: Notify::new(),
                clock: Arc::new(Utc::now),
            }),
        })
    }

    /// The same service reading time from `clock` (tests).
    pub fn with_clock(self, clock: Clock) -> Self {
        Self {
            inner: Arc::new(Inner {
                store: self.inner.store.clone(),
                config: self.inner.config.clone(),
                wake: Notify::new(),
                clock,
            }),
        }
    }

    pub fn config(&self) -> &ExportConfig {
        &self.inner.config
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        (self.inner.clock)()
    }

    /// Wakes the loop (it also wakes every `loop_interval_secs`).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// A workspace's export settings, `None` before they are set.
    pub async fn settings(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Option<ExportState>, ExportError> {
        Ok(self.inner.store.export_state(workspace).await?)
    }

    /// Validates and stores a workspace's export settings; returns them with the number of
    /// records queued again (a change of modes or mapping re-exports every record).
    pub async fn configure(
        &self,
        workspace: WorkspaceId,
        settings: &ExportSettings,
    ) -> Result<(ExportState, u64), ExportError> {
        let problems = settings.problems();
        if !problems.is_empty() {
            return Err(ExportError::InvalidSettings(problems));
        }
        let mut settings = settings.clone();
        for mapping in &mut settings.mapping {
            if let icsync_domain::AttributeTarget::Data { name, .. } = &mut mapping.target {
                *name = name.trim().to_owned();
            }
        }
        let saved = self
            .inner
            .store
            .save_export_settings(workspace, &settings, self.now())
            .await?;
        self.wake();
        Ok(saved)
    }

    async fn required_settings(
        &self,
        workspace: WorkspaceId,
    ) -> Result<ExportSettings, ExportError> {
        self.settings(workspace)
            .await?
            .map(|s| s.settings)
            .ok_or(ExportError::NotConfigured)
    }

    /// Validates and stores one record's desired state.
    pub async fn put(
        &self,
        workspace: WorkspaceId,
        record: HostRecord,
    ) -> Result<StoredExportRecord, ExportError> {
        let settings = self.required_settings(workspace).await?;
        let record = record.normalized();
        let problems = record.problems(&settings);
        if !problems.is_empty() {
            return Err(ExportError::InvalidRecord {
                host_id: record.host_id,
                problems,
            });
        }
        let write = self
            .inner
            .store
            .put_export_record(workspace, &record, self.now())
            .await?;
        if write.record.needs_push {
            self.wake();
        }
        Ok(write.record)
    }

    /// Marks one record removed (what that does in Intercom follows the sync and removal modes).
    pub async fn remove(
        &self,
        workspace: WorkspaceId,
        host_id: &str,
    ) -> Result<StoredExportRecord, ExportError> {
        self.required_settings(workspace).await?;
        let write = self
            .inner
            .store
            .remove_export_record(workspace, host_id.trim(), self.now())
            .await?
            .ok_or_else(|| ExportError::UnknownRecord(host_id.to_owned()))?;
        if write.record.needs_push {
            self.wake();
        }
        Ok(write.record)
    }

    /// Stores many records; each good one is stored, each bad one reported (a host id given
    /// twice is refused on its second occurrence).
    pub async fn put_batch(
        &self,
        workspace: WorkspaceId,
        records: Vec<HostRecord>,
    ) -> Result<Vec<BatchItem>, ExportError> {
        let settings = self.required_settings(workspace).await?;
        let mut seen = std::collections::HashSet::new();
        let mut items = Vec::with_capacity(records.len());
        let now = self.now();
        for record in records {
            let record = record.normalized();
            let mut problems = record.problems(&settings);
            if !seen.insert(record.host_id.clone()) {
                problems.push(RecordProblem::new(
                    "host_id",
                    "given twice in this batch; send each record once",
                ));
            }
            if !problems.is_empty() {
                items.push(BatchItem::Invalid {
                    host_id: record.host_id,
                    problems,
                });
                continue;
            }
            let write = self
                .inner
                .store
                .put_export_record(workspace, &record, now)
                .await?;
            items.push(if write.changed {
                BatchItem::Stored {
                    host_id: record.host_id,
                    version: write.record.version,
                    pending: write.record.needs_push,
                }
            } else {
                BatchItem::Unchanged {
                    host_id: record.host_id,
                    version: write.record.version,
                }
            });
        }
        self.wake();
        Ok(items)
    }

    /// Removes many records.
    pub async fn remove_batch(
        &self,
        workspace: WorkspaceId,
        host_ids: &[String],
    ) -> Result<Vec<BatchItem>, ExportError> {
        self.required_settings(workspace).await?;
        let now = self.now();
        let mut items = Vec::with_capacity(host_ids.len());
        for host_id in host_ids {
            let host_id = host_id.trim();
            let item = match self
                .inner
                .store
                .remove_export_record(workspace, host_id, now)
                .await?
            {
                None => BatchItem::Unknown {
                    host_id: host_id.to_owned(),
                },
                Some(write) if write.changed => BatchItem::Stored {
                    host_id: host_id.to_owned(),
                    version: write.record.version,
                    pending: write.record.needs_push,
                },
                Some(write) => BatchItem::Unchanged {
                    host_id: host_id.to_owned(),
                    version: write.record.version,
                },
            };
            items.push(item);
        }
        self.wake();
        Ok(items)
    }

    /// The versions icsync holds for these host ids (so a host can send only what changed).
    pub async fn versions(
        &self,
        workspace: WorkspaceId,
        host_ids: &[String],
    ) -> Result<Vec<ExportVersion>, ExportError> {
        Ok(self
            .inner
            .store
            .export_versions(workspace, host_ids)
            .await?)
    }

    /// One record as stored.
    pub async fn record(
        &self,
        workspace: WorkspaceId,
        host_id: &str,
    ) -> Result<Option<StoredExportRecord>, ExportError> {
        Ok(self.inner.store.export_record(workspace, host_id).await?)
    }
}
