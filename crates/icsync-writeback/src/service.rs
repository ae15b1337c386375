//! The writeback service the CLI, the API and the loop share: host writes (one subject or a
//! file), status, dry runs; drains live in `push.rs`.

use crate::config::{ConfigProblem, Model, WritebackConfig};
use crate::import::{FileError, ImportFormat, parse};
use crate::input::{InputError, validate_patch, validate_subject};
use crate::status::Blocked;
use chrono::{DateTime, Utc};
use icsync_domain::{CsField, CsPatch, CsSubject, CsValue, Workspace, WorkspaceId};
use icsync_store::{CsRecord, Store, StoreError};
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Notify;

/// Where the pusher's "now" comes from (the wall clock, or a test's).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Everything writeback can fail with.
#[derive(Debug, thiserror::Error)]
pub enum WritebackError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigProblem),
    #[error("cannot import: {0}")]
    File(#[from] FileError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The writeback service; cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct Writeback {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub store: Store,
    pub config: WritebackConfig,
    pub wake: Notify,
    pub clock: Clock,
}

impl std::fmt::Debug for Writeback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writeback")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// Rows whose values were stored (changed).
    pub imported: u64,
    /// Rows whose values were already stored.
    pub unchanged: u64,
    /// Rows refused, by line number, with the reason; nothing of them was stored.
    pub errors: Vec<(u64, String)>,
}

/// One attribute a push would change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributeChange {
    pub attribute: String,
    /// The value last pushed; `None` when no successful push is known.
    pub from: Option<Value>,
    pub to: Value,
}

/// What a dry run shows for one pending subject.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedPush {
    pub subject: CsSubject,
    /// False when no successful push is known (every attribute is sent).
    pub baseline_known: bool,
    /// Empty when the push would send nothing (the values equal the last push).
    pub changes: Vec<AttributeChange>,
}

impl Writeback {
    /// A service over `store`; the configuration is validated first.
    pub fn new(store: Store, config: WritebackConfig) -> Result<Self, WritebackError> {
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
        let inner = &self.inner;
        Self {
            inner: Arc::new(Inner {
                store: inner.store.clone(),
                config: inner.config.clone(),
                wake: Notify::new(),
                clock,
            }),
        }
    }

    pub fn config(&self) -> &WritebackConfig {
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

    /// Validates and stores a change to one subject's CS attributes; nothing is stored when a
    /// value is invalid. Wakes the loop when the row now waits for a push.
    pub async fn set(
        &self,
        workspace: WorkspaceId,
        subject: &CsSubject,
        patch: &CsPatch,
    ) -> Result<CsRecord, WritebackError> {
        validate_subject(subject)?;
        let patch = validate_patch(patch, &self.inner.config)?;
        let write = self
            .inner
            .store
            .set_cs_attributes(
                workspace,
                subject,
                &patch,
                &self.inner.config.trigger,
                self.now(),
            )
            .await?;
        if write.record.needs_push {
            self.wake();
        }
        Ok(write.record)
    }

    /// Imports a CSV or JSON-lines file: every good row is stored, every bad one reported with
    /// its line number. A subject given twice is refused on its second line.
    pub async fn import(
        &self,
        workspace: WorkspaceId,
        text: &str,
        format: ImportFormat,
    ) -> Result<ImportReport, WritebackError> {
        let rows = parse(text, format)?;
        let mut report = ImportReport::default();
        let mut seen: HashMap<CsSubject, u64> = HashMap::new();
        for parsed in rows {
            let (subject, patch) = match parsed.row {
                Ok(row) => row,
                Err(problem) => {
                    report.errors.push((parsed.line, problem));
                    continue;
                }
            };
            if let Some(first) = seen.get(&subject) {
                report.errors.push((
                    parsed.line,
                    format!(
                        "{} {} is already on line {first} (one row per subject)",
                        subject.kind(),
                        subject.id()
                    ),
                ));
                continue;
            }
            seen.insert(subject.clone(), parsed.line);
            let checked = validate_subject(&subject)
                .and_then(|()| validate_patch(&patch, &self.inner.config));
            let patch = match checked {
                Ok(patch) => patch,
                Err(e) => {
                    report.errors.push((parsed.line, e.to_string()));
                    continue;
                }
            };
            let write = self
                .inner
                .store
                .set_cs_attributes(
                    workspace,
                    &subject,
                    &patch,
                    &self.inner.config.trigger,
                    self.now(),
                )
                .await?;
            if write.changed {
                report.imported += 1;
            } else {
                report.unchanged += 1;
            }
        }
        self.wake();
        Ok(report)
    }

    /// The custom attributes a push of `record` sends: every field, `null` for cleared ones,
    /// so Intercom ends up holding exactly the host's values.
    pub fn payload(&self, record: &CsRecord) -> Map<String, Value> {
        let model = match record.subject {
            CsSubject::Contact(_) => Model::Contact,
            CsSubject::Company(_) => Model::Company,
        };
        let names = self.inner.config.names(model);
        CsField::ALL
            .into_iter()
            .map(|field| {
                let value = match record.attributes.get(field) {
                    Some(CsValue::Decimal(d)) => d
                        .to_f64()
                        .and_then(serde_json::Number::from_f64)
                        .map_or(Value::Null, Value::Number),
                    Some(CsValue::Text(s)) => Value::String(s),
                    None => Value::Null,
                };
                (names.get(field).trim().to_owned(), value)
            })
            .collect()
    }

    /// Per pending subject, the attributes a push would change from what was last pushed
    /// (a dry run: nothing is sent). Includes rows that wait for a retry or a gate.
    pub async fn plan(&self, workspace: &Workspace) -> Result<Vec<PlannedPush>, WritebackError> {
        let mut plans = Vec::new();
        let mut after = 0;
        // Changes are listed in field order (health, stage, url, pulse, ...).
        let order: Vec<String> = [Model::Contact, Model::Company]
            .into_iter()
            .flat_map(|m| {
                CsField::ALL
                    .into_iter()
                    .map(move |f| self.inner.config.names(m).get(f).trim().to_owned())
            })
            .collect();
        loop {
            let page = self
                .inner
                .store
                .cs_pending(workspace.id, after, 500)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for record in page {
                let payload = self.payload(&record);
                let baseline = record.pushed_attributes.as_ref().and_then(Value::as_object);
                let mut changes: Vec<AttributeChange> = payload
                    .into_iter()
                    .filter_map(|(attribute, to)| {
                        let from = baseline.and_then(|b| b.get(&attribute)).cloned();
                        (baseline.is_none() || from.as_ref() != Some(&to)).then_some(
                            AttributeChange {
                                attribute,
                                from,
                                to,
                            },
                        )
                    })
                    .collect();
                changes.sort_by_key(|c| order.iter().position(|n| *n == c.attribute));
                plans.push(PlannedPush {
                    subject: record.subject,
                    baseline_known: baseline.is_some(),
                    changes,
                });
            }
        }
        Ok(plans)
    }

    /// Why a workspace's rows wait, if they do (see [`Blocked`]).
    pub fn blocked(workspace: &Workspace) -> Option<Blocked> {
        crate::status::blocked(workspace)
    }
}
