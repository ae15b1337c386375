//! Draining a workspace's export: gate, provision the mapped data attributes, then claim due
//! records in batches and reconcile each (bounded concurrency, one `export` span per attempt),
//! recording a batch's outcomes in one commit. The loop beside writeback's lives here too.

use crate::config::Model;
use crate::delivery::{Failure, FailureKind, attempt_deadline};
use crate::export::reconcile::{Context, Reconciled, TagCache, first_spellings};
use crate::export::status::export_blocked;
use crate::export::writer::{ExportAttributes, ExportWriter, ExportWriterSource};
use crate::export::{ExportError, Exporter};
use crate::provision::{Provisioned, Requirement, provision_requirements};
use futures::StreamExt;
use icsync_domain::{ContentHash, DataType, ExportSettings, Workspace};
use icsync_intercom::models::DataType as WireType;
use icsync_store::{
    ClaimRequest, ContactLink, ExportOutcome, ExportProvisioning, ExportResult, ExportState,
    StoredExportRecord,
};
use serde::Serialize;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tracing::Instrument;

/// How one drain runs.
#[derive(Clone, Default)]
pub struct ExportDrainOptions {
    /// Export records now even when their retry time has not come.
    pub ignore_backoff: bool,
    /// Set to stop after the batch in flight (shutdown).
    pub stop: Option<Arc<AtomicBool>>,
}

impl std::fmt::Debug for ExportDrainOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportDrainOptions")
            .field("ignore_backoff", &self.ignore_backoff)
            .finish_non_exhaustive()
    }
}

/// A record whose export did not succeed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordFailure {
    pub host_id: String,
    pub reason: String,
    /// `failed` (retried), `rejected` (until the host changes it) or `skipped` (enrich).
    pub status: &'static str,
}

/// What one drain did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExportSummary {
    /// Set when a gate is closed: nothing was sent.
    pub blocked: Option<String>,
    /// Set when the mapped data attributes cannot be made to fit: nothing was exported.
    pub config_error: Option<String>,
    /// Set when Intercom could not be reached to provision, or refused the token.
    pub unreachable: Option<String>,
    pub attributes_created: u32,
    pub exported: u64,
    pub removed: u64,
    /// Exports that succeeded with a note (e.g. a user kept a user in lead mode).
    pub notes: Vec<(String, String)>,
    pub failures: Vec<RecordFailure>,
}

impl ExportSummary {
    /// True when nothing failed and nothing stopped the drain.
    pub fn is_success(&self) -> bool {
        self.blocked.is_none()
            && self.config_error.is_none()
            && self.unreachable.is_none()
            && self.failures.is_empty()
    }
}

/// How long provisioning waits after a configuration error before looking again.
const RECHECK_CONFIG_AFTER: chrono::Duration = chrono::Duration::seconds(60);

fn requirements(settings: &ExportSettings) -> Vec<Requirement> {
    settings
        .mapping
        .iter()
        .filter_map(|m| match &m.target {
            icsync_domain::AttributeTarget::Data { name, data_type } => Some(Requirement {
                model: Model::Contact,
                name: name.trim().to_owned(),
                data_type: wire_type(*data_type),
                key: format!("the export mapping of property `{}`", m.property),
                description: format!(
                    "`{}` of the host's records (exported by icsync)",
                    m.property
                ),
            }),
            icsync_domain::AttributeTarget::Standard { .. } => None,
        })
        .collect()
}

fn wire_type(data_type: DataType) -> WireType {
    match data_type {
        DataType::String => WireType::String,
        DataType::Integer => WireType::Integer,
        DataType::Float => WireType::Float,
        DataType::Boolean => WireType::Boolean,
        DataType::Date => WireType::Date,
    }
}

impl Exporter {
    /// Exports a workspace's due records once: each at most one attempt. A closed gate sends
    /// nothing; a configuration error or an unreachable Intercom stops before any export; one
    /// failing record never holds up the others.
    pub async fn drain_once(
        &self,
        workspace: &Workspace,
        writer: &dyn ExportWriter,
        options: &ExportDrainOptions,
    ) -> Result<ExportSummary, ExportError> {
        let mut summary = ExportSummary::default();
        let store = self.store();
        let Some(state) = store.export_state(workspace.id).await? else {
            summary.blocked = Some(ExportError::NotConfigured.to_string());
            return Ok(summary);
        };
        if let Some(gate) = export_blocked(workspace, &state.settings) {
            summary.blocked = Some(gate.to_string());
            return Ok(summary);
        }
        let started = self.now();
        if store
            .export_records(workspace.id, 0, 1, true)
            .await?
            .is_empty()
        {
            return Ok(summary);
        }
        if !self
            .ensure_attributes(workspace, writer, &state, &mut summary)
            .await?
        {
            return Ok(summary);
        }
        let tags = TagCache {
            tags: tokio::sync::Mutex::new(store.export_tags(workspace.id).await?),
        };
        let config = self.config();
        loop {
            if options
                .stop
                .as_ref()
                .is_some_and(|s| s.load(Ordering::Relaxed))
            {
                break;
            }
            let now = self.now();
            let claimed = store
                .claim_exports(&ClaimRequest {
                    workspace: workspace.id,
                    now,
                    due_before: (!options.ignore_backoff).then_some(now),
                    not_attempted_since: started,
                    limit: config.batch_size,
                    lease: chrono::Duration::seconds(config.lease_secs as i64),
                })
                .await?;
            if claimed.is_empty() {
                break;
            }
            let spellings = first_spellings(&claimed);
            let context = Context {
                workspace: workspace.id,
                settings: &state.settings,
                writer,
                store,
                tags: &tags,
                spellings: &spellings,
                now,
            };
            let results: Vec<_> = futures::stream::iter(claimed)
                .map(|record| self.export_one(&context, record))
                .buffer_unordered(config.concurrency)
                .collect()
                .await;
            let results = results.into_iter().collect::<Result<Vec<_>, _>>()?;
            store
                .record_export_outcomes(&results.iter().map(|(o, _)| o.clone()).collect::<Vec<_>>())
                .await?;
            let mut unauthorized = None;
            for (outcome, fatal) in results {
                let host_id = outcome.record.record.host_id.clone();
                match outcome.result {
                    ExportResult::Exported { note } => {
                        summary.exported += 1;
                        if let Some(note) = note {
                            summary.notes.push((host_id, note));
                        }
                    }
                    ExportResult::Removed { note } => {
                        summary.removed += 1;
                        if let Some(note) = note {
                            summary.notes.push((host_id, note));
                        }
                    }
                    ExportResult::Skipped { reason } => summary.failures.push(RecordFailure {
                        host_id,
                        reason,
                        status: "skipped",
                    }),
                    ExportResult::Rejected { reason } => summary.failures.push(RecordFailure {
                        host_id,
                        reason,
                        status: "rejected",
                    }),
                    ExportResult::Failed { error, .. } => summary.failures.push(RecordFailure {
                        host_id,
                        reason: error,
                        status: "failed",
                    }),
                }
                if fatal.is_some() {
                    unauthorized = fatal;
                }
            }
            if let Some(reason) = unauthorized {
                summary.unreachable = Some(reason);
                break;
            }
        }
        Ok(summary)
    }

    /// Provisions the mapped data attributes when the mapping is new or changed; false when
    /// exports must wait (the reason is in the summary).
    async fn ensure_attributes(
        &self,
        workspace: &Workspace,
        writer: &dyn ExportWriter,
        state: &ExportState,
        summary: &mut ExportSummary,
    ) -> Result<bool, ExportError> {
        let required = requirements(&state.settings);
        let digest = ContentHash::of(
            &required
                .iter()
                .map(|r| (r.name.to_lowercase(), r.data_type.as_str().to_owned()))
                .collect::<Vec<_>>(),
        )
        .into_string();
        if state.provisioned_hash.as_deref() == Some(digest.as_str())
            && state.config_error.is_none()
        {
            return Ok(true);
        }
        let now = self.now();
        if let (Some(error), Some(checked)) = (&state.config_error, state.checked_at)
            && state.checked_hash.as_deref() == Some(digest.as_str())
            && now - checked < RECHECK_CONFIG_AFTER
        {
            summary.config_error = Some(error.clone());
            return Ok(false);
        }
        let mut record = ExportProvisioning {
            provisioned_hash: state.provisioned_hash.clone(),
            provisioned_at: state.provisioned_at,
            config_error: None,
            checked_at: Some(now),
            checked_hash: Some(digest.clone()),
            attributes_created: state.attributes_created,
        };
        let provisioned = if required.is_empty() {
            Provisioned::Ready { created: 0 }
        } else {
            provision_requirements(&required, &ExportAttributes(writer)).await
        };
        match provisioned {
            Provisioned::Ready { created } => {
                summary.attributes_created = created;
                record.provisioned_hash = Some(digest);
                record.provisioned_at = Some(now);
                record.attributes_created += i64::from(created);
                self.store()
                    .save_export_provisioning(workspace.id, &record)
                    .await?;
                Ok(true)
            }
            Provisioned::ConfigError(problem) => {
                tracing::warn!(workspace = workspace.id.0, error = %problem, "export mapping does not fit the workspace's data attributes");
                record.config_error = Some(problem.clone());
                self.store()
                    .save_export_provisioning(workspace.id, &record)
                    .await?;
                summary.config_error = Some(problem);
                Ok(false)
            }
            Provisioned::Unreachable(error) => {
                tracing::warn!(workspace = workspace.id.0, error = %error, "cannot list or create data attributes; exports wait");
                summary.unreachable = Some(format!(
                    "cannot list or create the data attributes: {error}"
                ));
                Ok(false)
            }
        }
    }

    /// One attempt for one claimed record; the second value is set when the failure concerns
    /// the whole workspace (the token was refused).
    async fn export_one(
        &self,
        context: &Context<'_>,
        record: StoredExportRecord,
    ) -> Result<(ExportOutcome, Option<String>), ExportError> {
        let span = tracing::info_span!(
            "export",
            workspace = context.workspace.0,
            record = %record.record.host_id,
            attempt = record.attempts + 1,
        );
        async move {
            let mut link = ContactLink {
                intercom_id: record.intercom_id.clone(),
                intercom_role: record.intercom_role.clone(),
                archived: record.intercom_archived,
                managed_tags: record.managed_tags.clone(),
            };
            let deadline = attempt_deadline(self.config().lease_secs);
            let reconciled =
                match tokio::time::timeout(deadline, context.reconcile(&record, &mut link)).await {
                    Ok(result) => result?,
                    Err(_) => Reconciled::Failed(Failure::uncertain(format!(
                        "no answer within {}s (the export may have been applied; it is sent again)",
                        deadline.as_secs()
                    ))),
                };
            let now = self.now();
            let mut fatal = None;
            let result = match reconciled {
                Reconciled::Exported { note } => {
                    tracing::debug!("exported");
                    ExportResult::Exported { note }
                }
                Reconciled::Removed { note } => {
                    tracing::debug!("removed");
                    ExportResult::Removed { note }
                }
                Reconciled::Skipped(reason) => {
                    tracing::info!(reason = %reason, "skipped");
                    ExportResult::Skipped { reason }
                }
                Reconciled::Rejected(reason) => {
                    tracing::warn!(error = %reason, "export rejected; it waits for the host to change the record");
                    ExportResult::Rejected { reason }
                }
                Reconciled::Failed(failure) => {
                    let retry_at = failure.retry_at(&self.config().backoff, record.attempts, now);
                    if failure.kind == FailureKind::Unauthorized {
                        fatal = Some(failure.reason.clone());
                    }
                    tracing::warn!(error = %failure.reason, retry_in_s = (retry_at - now).num_seconds(), "export failed");
                    // An export is several requests: a failure after any of them succeeded
                    // leaves Intercom at neither version, so every failure erases the baseline.
                    ExportResult::Failed {
                        error: failure.reason,
                        retry_at,
                        uncertain: true,
                    }
                }
            };
            Ok((
                ExportOutcome {
                    record,
                    at: now,
                    result,
                    contact: link,
                },
                fatal,
            ))
        }
        .instrument(span)
        .await
    }

    /// Runs the export loop until `shutdown` completes: drain every workspace whose export is
    /// on, then sleep until a host write wakes it or `loop_interval_secs` pass.
    pub async fn run(&self, writers: &dyn ExportWriterSource, shutdown: impl Future<Output = ()>) {
        let stop = Arc::new(AtomicBool::new(false));
        let options = ExportDrainOptions {
            stop: Some(stop.clone()),
            ..ExportDrainOptions::default()
        };
        let mut shutdown = std::pin::pin!(shutdown);
        tracing::info!(
            interval_s = self.config().loop_interval_secs,
            "export loop started"
        );
        loop {
            let mut pass = std::pin::pin!(self.pass(writers, &options));
            tokio::select! {
                () = &mut pass => {}
                () = &mut shutdown => {
                    stop.store(true, Ordering::Relaxed);
                    pass.await;
                    break;
                }
            }
            tokio::select! {
                () = self.inner.wake.notified() => {}
                () = tokio::time::sleep(self.config().loop_interval()) => {}
                () = &mut shutdown => break,
            }
        }
        tracing::info!("export loop stopped");
    }

    async fn pass(&self, writers: &dyn ExportWriterSource, options: &ExportDrainOptions) {
        let workspaces = match self.store().workspaces().await {
            Ok(workspaces) => workspaces,
            Err(error) => {
                tracing::warn!(error = %error, "export cannot list workspaces; retrying later");
                return;
            }
        };
        for workspace in workspaces.iter().filter(|w| writers.owns(w)) {
            let settings = match self.store().export_state(workspace.id).await {
                Ok(Some(state)) => state.settings,
                Ok(None) => continue,
                Err(error) => {
                    tracing::warn!(workspace = workspace.id.0, error = %error, "cannot read export settings");
                    continue;
                }
            };
            if export_blocked(workspace, &settings).is_some() {
                continue;
            }
            let writer = match writers.export_writer(workspace) {
                Ok(writer) => writer,
                Err(error) => {
                    tracing::warn!(workspace = workspace.id.0, error = %error, "no intercom client for the workspace; its records wait");
                    continue;
                }
            };
            match self.drain_once(workspace, writer.as_ref(), options).await {
                Ok(summary)
                    if summary.exported + summary.removed + summary.failures.len() as u64 > 0 =>
                {
                    tracing::info!(
                        workspace = workspace.id.0,
                        exported = summary.exported,
                        removed = summary.removed,
                        failed = summary.failures.len(),
                        "export pass"
                    );
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(workspace = workspace.id.0, error = %error, "export pass failed; retrying later");
                }
            }
        }
    }
}
