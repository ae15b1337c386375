//! Draining a workspace: gate, provision data attributes, then claim due rows in batches and
//! push each (bounded concurrency, one span per attempt), recording every outcome.
//!
//! **Invariant**: this is the only code that sends mutating requests to Intercom.

use crate::config::Model;
use crate::delivery::{Failure, FailureKind, attempt_deadline};
use crate::provision::{Provisioned, provision};
use crate::service::{Writeback, WritebackError};
use crate::status::{Blocked, blocked};
use crate::writer::IntercomWriter;
use futures::StreamExt;
use icsync_domain::{CompanyId, CsSubject, Workspace};
use icsync_store::{ClaimRequest, CsRecord, PushOutcome, WritebackState};
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tracing::Instrument;

/// How one drain runs.
#[derive(Clone, Default)]
pub struct DrainOptions {
    /// Push rows now even when their retry time has not come (`icsync push`).
    pub ignore_backoff: bool,
    /// Told the pending count at the start and each row's outcome.
    pub progress: Option<Arc<dyn Progress>>,
    /// Set to stop after the batch in flight (shutdown).
    pub stop: Option<Arc<AtomicBool>>,
}

impl std::fmt::Debug for DrainOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DrainOptions")
            .field("ignore_backoff", &self.ignore_backoff)
            .finish_non_exhaustive()
    }
}

/// Progress of a drain, for progress bars.
pub trait Progress: Send + Sync {
    fn start(&self, pending: u64);
    fn row(&self, subject: &CsSubject, outcome: &Outcome);
}

/// What happened to one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "reason", rename_all = "snake_case")]
pub enum Outcome {
    Pushed,
    /// The values equal the last successful push: nothing was sent.
    Unchanged,
    /// Will be retried with backoff.
    Failed(String),
    /// Intercom has no such contact or company: no more retries.
    Gone(String),
}

/// A row that was not pushed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowFailure {
    pub subject: CsSubject,
    pub reason: String,
    /// True for a 404: the row stops retrying.
    pub gone: bool,
}

/// What one drain did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PushSummary {
    /// Set when a gate is closed: nothing was sent.
    pub blocked: Option<Blocked>,
    /// Set when the data attributes cannot be made to fit: nothing was pushed.
    pub config_error: Option<String>,
    /// Set when Intercom could not be reached to provision, or refused the token.
    pub unreachable: Option<String>,
    pub attributes_created: u32,
    /// Rows queued again because the attribute names changed.
    pub requeued: u64,
    pub pushed: u64,
    pub unchanged: u64,
    pub failures: Vec<RowFailure>,
}

impl PushSummary {
    /// True when nothing failed and nothing stopped the drain.
    pub fn is_success(&self) -> bool {
        self.blocked.is_none()
            && self.config_error.is_none()
            && self.unreachable.is_none()
            && self.failures.is_empty()
    }

    fn record(&mut self, subject: CsSubject, outcome: Outcome) {
        match outcome {
            Outcome::Pushed => self.pushed += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Failed(reason) => self.failures.push(RowFailure {
                subject,
                reason,
                gone: false,
            }),
            Outcome::Gone(reason) => self.failures.push(RowFailure {
                subject,
                reason,
                gone: true,
            }),
        }
    }
}

/// How long provisioning waits after a configuration error before looking again.
const RECHECK_CONFIG_AFTER: chrono::Duration = chrono::Duration::seconds(60);

impl Writeback {
    /// Pushes a workspace's due rows once: each row at most one attempt. Closed gates send
    /// nothing; a configuration error or an unreachable Intercom stops before any push; one
    /// failing row never holds up the others.
    pub async fn drain_once(
        &self,
        workspace: &Workspace,
        writer: &dyn IntercomWriter,
        options: &DrainOptions,
    ) -> Result<PushSummary, WritebackError> {
        let mut summary = PushSummary::default();
        if let Some(gate) = blocked(workspace) {
            summary.blocked = Some(gate);
            return Ok(summary);
        }
        let store = self.store();
        let started = self.now();
        if store.cs_pending(workspace.id, 0, 1).await?.is_empty() {
            return Ok(summary);
        }
        if !self
            .ensure_attributes(workspace, writer, &mut summary)
            .await?
        {
            return Ok(summary);
        }
        if let Some(progress) = &options.progress {
            let counts = store.writeback_counts(workspace.id, started, 0).await?;
            progress.start(counts.pending);
        }
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
                .claim_pushes(&ClaimRequest {
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
            let results: Vec<_> = futures::stream::iter(claimed)
                .map(|record| self.push_one(workspace, writer, record))
                .buffer_unordered(config.concurrency)
                .collect()
                .await;
            // One commit for the batch's outcomes (a crash before it only re-pushes the batch:
            // the rows' claims stay unresolved, so their baselines are not trusted).
            let results = results.into_iter().collect::<Result<Vec<_>, _>>()?;
            let marks: Vec<PushOutcome> = results.iter().map(|r| r.3.clone()).collect();
            store.record_push_outcomes(&marks).await?;
            let mut unauthorized = None;
            for (subject, outcome, fatal, _) in results {
                if let Some(progress) = &options.progress {
                    progress.row(&subject, &outcome);
                }
                if fatal.is_some() {
                    unauthorized = fatal;
                }
                summary.record(subject, outcome);
            }
            if let Some(reason) = unauthorized {
                // Every request of the workspace would fail the same way: stop here.
                summary.unreachable = Some(reason);
                break;
            }
        }
        Ok(summary)
    }

    /// Provisions data attributes when the mapping is new or changed; false when pushes must
    /// wait (the reason is in the summary).
    async fn ensure_attributes(
        &self,
        workspace: &Workspace,
        writer: &dyn IntercomWriter,
        summary: &mut PushSummary,
    ) -> Result<bool, WritebackError> {
        let store = self.store();
        let mut state = store.writeback_state(workspace.id).await?;
        let mapping = self.config().mapping_hash();
        let now = self.now();
        if state.mapping_hash.as_deref() == Some(mapping.as_str()) && state.config_error.is_none() {
            return Ok(true);
        }
        if let (Some(error), Some(checked)) = (&state.config_error, state.checked_at)
            && state.checked_mapping_hash.as_deref() == Some(mapping.as_str())
            && now - checked < RECHECK_CONFIG_AFTER
        {
            summary.config_error = Some(error.clone());
            return Ok(false);
        }
        match provision(self.config(), writer).await {
            Provisioned::Ready { created } => {
                summary.attributes_created = created;
                let previous = state.mapping_hash.replace(mapping.clone());
                let changed = previous.is_some_and(|p| p != mapping);
                let mapping = Some(mapping);
                if changed {
                    summary.requeued = store.requeue_pushed(workspace.id, now).await?;
                    tracing::info!(
                        workspace = workspace.id.0,
                        rows = summary.requeued,
                        "attribute names changed: pushed rows queued again"
                    );
                }
                state = WritebackState {
                    provisioned_at: Some(now),
                    config_error: None,
                    checked_at: Some(now),
                    checked_mapping_hash: mapping,
                    attributes_created: state.attributes_created + i64::from(created),
                    ..state
                };
                store.save_writeback_state(workspace.id, &state).await?;
                Ok(true)
            }
            Provisioned::ConfigError(problem) => {
                tracing::warn!(workspace = workspace.id.0, error = %problem, "writeback configuration does not fit the workspace's data attributes");
                state.config_error = Some(problem.clone());
                state.checked_at = Some(now);
                state.checked_mapping_hash = Some(mapping);
                store.save_writeback_state(workspace.id, &state).await?;
                summary.config_error = Some(problem);
                Ok(false)
            }
            Provisioned::Unreachable(error) => {
                tracing::warn!(workspace = workspace.id.0, error = %error, "cannot list or create data attributes; rows wait");
                summary.unreachable = Some(format!(
                    "cannot list or create the data attributes: {error}"
                ));
                Ok(false)
            }
        }
    }

    /// One push attempt of one claimed row, with its outcome recorded. The third value is set
    /// when the failure concerns the whole workspace (the token was refused).
    async fn push_one(
        &self,
        workspace: &Workspace,
        writer: &dyn IntercomWriter,
        record: CsRecord,
    ) -> Result<(CsSubject, Outcome, Option<String>, PushOutcome), WritebackError> {
        let subject = record.subject.clone();
        let span = tracing::info_span!(
            "push",
            workspace = workspace.id.0,
            subject = %format_args!("{}:{}", subject.kind(), subject.id()),
            attempt = record.attempts + 1,
        );
        async move {
            let payload = self.payload(&record);
            let sent = Value::Object(payload.clone());
            if record.pushed_attributes.as_ref() == Some(&sent) {
                let at = self.now();
                return Ok((subject, Outcome::Unchanged, None, PushOutcome::Pushed { record, attributes: sent, at }));
            }
            let deadline = attempt_deadline(self.config().lease_secs);
            let result = match tokio::time::timeout(deadline, self.send(workspace, writer, &record, payload)).await {
                Ok(result) => result?,
                Err(_) => Err(Failure::uncertain(format!(
                    "no answer within {}s (the push may have been applied; it is sent again)",
                    deadline.as_secs()
                ))),
            };
            let now = self.now();
            let (outcome, fatal, mark) = match result {
                Ok(()) => {
                    tracing::debug!("pushed");
                    (Outcome::Pushed, None, PushOutcome::Pushed { record, attributes: sent, at: now })
                }
                Err(Failure { reason, kind: FailureKind::Gone }) => {
                    tracing::warn!(error = %reason, "intercom record gone; the row stops retrying");
                    let mark = PushOutcome::Gone { record, error: reason.clone(), at: now };
                    (Outcome::Gone(reason), None, mark)
                }
                Err(failure) => {
                    let retry_at = failure.retry_at(&self.config().backoff, record.attempts, now);
                    let Failure { reason, kind } = failure;
                    let uncertain = kind == FailureKind::Uncertain;
                    tracing::warn!(error = %reason, uncertain, retry_in_s = (retry_at - now).num_seconds(), "push failed");
                    let fatal = (kind == FailureKind::Unauthorized).then(|| reason.clone());
                    let mark = PushOutcome::Failed { record, error: reason.clone(), retry_at, uncertain };
                    (Outcome::Failed(reason), fatal, mark)
                }
            };
            Ok((subject, outcome, fatal, mark))
        }
        .instrument(span)
        .await
    }

    /// Sends one row's attributes. A company goes through the upsert keyed on its
    /// `company_id` (the store's copy of the company), the update the 2.11 description
    /// documents with a body.
    async fn send(
        &self,
        workspace: &Workspace,
        writer: &dyn IntercomWriter,
        record: &CsRecord,
        payload: serde_json::Map<String, Value>,
    ) -> Result<Result<(), Failure>, WritebackError> {
        match &record.subject {
            CsSubject::Contact(id) => Ok(writer
                .update_contact(id, payload)
                .await
                .map_err(|e| Failure::from_error(e, Model::Contact.as_str()))),
            CsSubject::Company(id) => {
                let stored = self
                    .store()
                    .company(workspace.id, &CompanyId::new(id.clone()))
                    .await?;
                let Some(company_id) = stored.and_then(|s| s.company.company_id) else {
                    return Ok(Err(Failure {
                        reason: format!(
                            "company {id} is not in the store with its company_id yet (the upsert needs it); it is retried after the next companies sync"
                        ),
                        kind: FailureKind::Definite,
                    }));
                };
                Ok(match writer.upsert_company(&company_id, payload).await {
                    Ok(answered) if answered == *id => Ok(()),
                    Ok(answered) => Err(Failure {
                        reason: format!(
                            "Intercom's company with company_id {company_id:?} is {answered}, not {id}: the company was deleted in Intercom (the upsert updated or created another); the row stops retrying"
                        ),
                        kind: FailureKind::Gone,
                    }),
                    Err(e) => Err(Failure::from_error(e, Model::Company.as_str())),
                })
            }
        }
    }
}
