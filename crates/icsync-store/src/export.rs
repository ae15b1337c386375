//! Export: a workspace's export settings, the host's desired record per host id (each change
//! versioned; a record waits for an export while it differs from the last *successful* one),
//! and the cache of Intercom tags the export uses.

use crate::Store;
use crate::entities::{export, export_record, export_tag};
use crate::error::{Result, StoreError};
use chrono::{DateTime, Utc};
use icsync_domain::{
    ContentHash, CreationMode, ExportSettings, FieldMapping, HostRecord, RemovalMode, SyncMode,
    WorkspaceId,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};

/// A workspace's export settings with what provisioning found.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportState {
    pub settings: ExportSettings,
    /// Digest of the data attributes last found complete in Intercom.
    pub provisioned_hash: Option<String>,
    pub provisioned_at: Option<DateTime<Utc>>,
    /// Why the data attributes cannot be made to fit; exports wait until it is fixed.
    pub config_error: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
    /// The attribute digest that check was for.
    pub checked_hash: Option<String>,
    pub attributes_created: i64,
    pub updated_at: DateTime<Utc>,
}

/// What provisioning recorded (see [`Store::save_export_provisioning`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportProvisioning {
    pub provisioned_hash: Option<String>,
    pub provisioned_at: Option<DateTime<Utc>>,
    pub config_error: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
    pub checked_hash: Option<String>,
    pub attributes_created: i64,
}

/// A tag this export applied to a contact (the only tags it ever removes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ManagedTag {
    pub id: String,
    pub name: String,
}

/// The last settled outcome of a record's export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    /// Never exported yet.
    New,
    Exported,
    /// Removed from Intercom as the removal mode says (or left there in additive mode).
    Removed,
    /// The last attempt failed; retried with backoff.
    Failed,
    /// Intercom or the checks refused this version; not retried until the host changes it.
    Rejected,
    /// Enrich mode and no such contact in Intercom; looked for again when the host changes it.
    Skipped,
}

impl ExportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Exported => "exported",
            Self::Removed => "removed",
            Self::Failed => "failed",
            Self::Rejected => "rejected",
            Self::Skipped => "skipped",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [
            Self::New,
            Self::Exported,
            Self::Removed,
            Self::Failed,
            Self::Rejected,
            Self::Skipped,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// One host record as stored, with its delivery state.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredExportRecord {
    pub id: i64,
    pub workspace: WorkspaceId,
    /// The host's latest desired state (kept after a removal: its ids find the contact).
    pub record: HostRecord,
    pub removed: bool,
    /// Bumped on every change the host makes.
    pub version: i64,
    pub desired_hash: String,
    /// `desired_hash` of the last successful export; `None` when unknown.
    pub exported_hash: Option<String>,
    pub exported_at: Option<DateTime<Utc>>,
    /// True while the desired state differs from the last successful export.
    pub needs_push: bool,
    pub pending_since: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub status: ExportStatus,
    pub note: Option<String>,
    /// The Intercom contact the record is exported to.
    pub intercom_id: Option<String>,
    /// Its role there (`user`/`lead`), as last seen or set.
    pub intercom_role: Option<String>,
    /// Set while this export holds the contact archived.
    pub intercom_archived: bool,
    pub managed_tags: Vec<ManagedTag>,
    pub claim_token: Option<i64>,
    pub claimed_until: Option<DateTime<Utc>>,
}

/// What a put or removal did.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportWrite {
    pub record: StoredExportRecord,
    /// False when the desired state was already stored.
    pub changed: bool,
}

/// A record's version as icsync holds it (for hosts that send only what changed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportVersion {
    pub host_id: String,
    pub version: i64,
    pub desired_hash: String,
    pub removed: bool,
}

/// The digest of a desired state (the record and whether it is removed).
pub fn desired_hash(record: &HostRecord, removed: bool) -> String {
    ContentHash::of(&(record, removed)).into_string()
}

impl Store {
    /// A workspace's export settings and provisioning state; `None` before it is configured.
    pub async fn export_state(&self, workspace: WorkspaceId) -> Result<Option<ExportState>> {
        export::Entity::find()
            .filter(export::Column::WorkspaceId.eq(workspace.0))
            .one(&self.inner.read)
            .await?
            .map(to_state)
            .transpose()
    }

    /// Stores a workspace's export settings. When what a record turns into changes (modes or
    /// mapping, not `enabled`), every record's baseline is erased so it is exported again
    /// under the new settings. Returns the state and how many records were queued again.
    pub async fn save_export_settings(
        &self,
        workspace: WorkspaceId,
        settings: &ExportSettings,
        now: DateTime<Utc>,
    ) -> Result<(ExportState, u64)> {
        let mapping = serde_json::to_value(&settings.mapping)
            .map_err(|e| StoreError::corrupt(format!("export mapping: {e}")))?;
        let txn = self.inner.write.begin().await?;
        let existing = export::Entity::find()
            .filter(export::Column::WorkspaceId.eq(workspace.0))
            .one(&txn)
            .await?;
        let reshaped = match &existing {
            Some(row) => {
                let old = to_state(row.clone())?.settings;
                (
                    old.sync_mode,
                    old.creation_mode,
                    old.removal_mode,
                    &old.mapping,
                ) != (
                    settings.sync_mode,
                    settings.creation_mode,
                    settings.removal_mode,
                    &settings.mapping,
                )
            }
            None => false,
        };
        let is_new = existing.is_none();
        let mut active = match existing {
            Some(row) => row.into_active_model(),
            None => export::ActiveModel {
                workspace_id: Set(workspace.0),
                provisioned_hash: Set(None),
                provisioned_at: Set(None),
                config_error: Set(None),
                checked_at: Set(None),
                checked_hash: Set(None),
                attributes_created: Set(0),
                ..Default::default()
            },
        };
        active.enabled = Set(settings.enabled);
        active.sync_mode = Set(settings.sync_mode.as_str().to_owned());
        active.creation_mode = Set(settings.creation_mode.as_str().to_owned());
        active.removal_mode = Set(settings.removal_mode.as_str().to_owned());
        active.mapping = Set(mapping);
        active.updated_at = Set(now);
        let saved = if is_new {
            active.insert(&txn).await?
        } else {
            active.update(&txn).await?
        };
        let mut requeued = 0;
        if reshaped {
            requeued = export_record::Entity::update_many()
                .col_expr(
                    export_record::Column::ExportedHash,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(export_record::Column::NeedsPush, Expr::value(true))
                .col_expr(
                    export_record::Column::PendingSince,
                    Expr::col(export_record::Column::PendingSince).if_null(now),
                )
                .col_expr(export_record::Column::NextAttemptAt, Expr::value(Some(now)))
                .col_expr(export_record::Column::Attempts, Expr::value(0))
                .filter(export_record::Column::WorkspaceId.eq(workspace.0))
                .exec(&txn)
                .await?
                .rows_affected;
        }
        txn.commit().await?;
        Ok((to_state(saved)?, requeued))
    }

    /// Records what provisioning found (the settings are left alone).
    pub async fn save_export_provisioning(
        &self,
        workspace: WorkspaceId,
        state: &ExportProvisioning,
    ) -> Result<()> {
        export::Entity::update_many()
            .col_expr(
                export::Column::ProvisionedHash,
                Expr::value(state.provisioned_hash.clone()),
            )
            .col_expr(
                export::Column::ProvisionedAt,
                Expr::value(state.provisioned_at),
            )
            .col_expr(
                export::Column::ConfigError,
                Expr::value(state.config_error.clone()),
            )
            .col_expr(export::Column::CheckedAt, Expr::value(state.checked_at))
            .col_expr(
                export::Column::CheckedHash,
                Expr::value(state.checked_hash.clone()),
            )
            .col_expr(
                export::Column::AttributesCreated,
                Expr::value(state.attributes_created),
            )
            .filter(export::Column::WorkspaceId.eq(workspace.0))
            .exec(&self.inner.write)
            .await?;
        Ok(())
    }

    /// Stores the host's desired state for one (normalized) record, creating it on first use.
    /// Storing what is already stored changes nothing. A record whose desired state now equals
    /// its last successful export is not pending; one whose export is in flight stays pending
    /// (that export may have changed Intercom).
    pub async fn put_export_record(
        &self,
        workspace: WorkspaceId,
        record: &HostRecord,
        now: DateTime<Utc>,
    ) -> Result<ExportWrite> {
        self.write_desired(workspace, &record.host_id, Some(record), now)
            .await?
            .ok_or_else(|| StoreError::corrupt("a put stored no record"))
    }

    /// Marks a record removed (its last desired state is kept); `None` when icsync has no such
    /// record.
    pub async fn remove_export_record(
        &self,
        workspace: WorkspaceId,
        host_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ExportWrite>> {
        self.write_desired(workspace, host_id, None, now).await
    }

    async fn write_desired(
        &self,
        workspace: WorkspaceId,
        host_id: &str,
        put: Option<&HostRecord>,
        now: DateTime<Utc>,
    ) -> Result<Option<ExportWrite>> {
        let txn = self.inner.write.begin().await?;
        let existing = export_record::Entity::find()
            .filter(export_record::Column::WorkspaceId.eq(workspace.0))
            .filter(export_record::Column::HostId.eq(host_id))
            .one(&txn)
            .await?;
        let (saved, changed) = match (existing, put) {
            (None, None) => {
                txn.commit().await?;
                return Ok(None);
            }
            (None, Some(record)) => {
                let hash = desired_hash(record, false);
                let row = export_record::ActiveModel {
                    workspace_id: Set(workspace.0),
                    host_id: Set(record.host_id.clone()),
                    desired: Set(Some(to_json(record)?)),
                    desired_hash: Set(hash),
                    removed: Set(false),
                    version: Set(1),
                    exported_hash: Set(None),
                    exported_at: Set(None),
                    needs_push: Set(true),
                    pending_since: Set(Some(now)),
                    next_attempt_at: Set(Some(now)),
                    last_attempt_at: Set(None),
                    attempts: Set(0),
                    last_error: Set(None),
                    claimed_until: Set(None),
                    claim_token: Set(None),
                    status: Set(ExportStatus::New.as_str().to_owned()),
                    note: Set(None),
                    intercom_id: Set(None),
                    intercom_role: Set(None),
                    intercom_archived: Set(false),
                    managed_tags: Set(serde_json::Value::Array(Vec::new())),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                (row, true)
            }
            (Some(row), put) => {
                let removed = put.is_none();
                let desired = match put {
                    Some(record) => Some(to_json(record)?),
                    None => row.desired.clone(),
                };
                let record = match put {
                    Some(record) => record.clone(),
                    None => from_json(&row)?,
                };
                let hash = desired_hash(&record, removed);
                if hash == row.desired_hash {
                    (row, false)
                } else {
                    let needs_push = row.claim_token.is_some()
                        || row.exported_hash.as_deref() != Some(hash.as_str());
                    let was_pending = row.needs_push;
                    let version = row.version + 1;
                    let mut active = row.into_active_model();
                    active.desired = Set(desired);
                    active.desired_hash = Set(hash);
                    active.removed = Set(removed);
                    active.version = Set(version);
                    active.needs_push = Set(needs_push);
                    if needs_push && !was_pending {
                        active.pending_since = Set(Some(now));
                        active.next_attempt_at = Set(Some(now));
                        active.attempts = Set(0);
                        active.last_error = Set(None);
                    } else if needs_push {
                        // A new version is worth trying now, whatever the old one's backoff.
                        active.next_attempt_at = Set(Some(now));
                    } else {
                        active.pending_since = Set(None);
                        active.next_attempt_at = Set(None);
                        active.attempts = Set(0);
                        active.last_error = Set(None);
                    }
                    active.updated_at = Set(now);
                    (active.update(&txn).await?, true)
                }
            }
        };
        txn.commit().await?;
        Ok(Some(ExportWrite {
            record: to_record(saved)?,
            changed,
        }))
    }

    /// One record by host id.
    pub async fn export_record(
        &self,
        workspace: WorkspaceId,
        host_id: &str,
    ) -> Result<Option<StoredExportRecord>> {
        export_record::Entity::find()
            .filter(export_record::Column::WorkspaceId.eq(workspace.0))
            .filter(export_record::Column::HostId.eq(host_id))
            .one(&self.inner.read)
            .await?
            .map(to_record)
            .transpose()
    }

    /// The versions icsync holds for these host ids (unknown ids are left out).
    pub async fn export_versions(
        &self,
        workspace: WorkspaceId,
        host_ids: &[String],
    ) -> Result<Vec<ExportVersion>> {
        let mut versions = Vec::with_capacity(host_ids.len());
        for chunk in host_ids.chunks(500) {
            let rows: Vec<(String, i64, String, bool)> = export_record::Entity::find()
                .select_only()
                .column(export_record::Column::HostId)
                .column(export_record::Column::Version)
                .column(export_record::Column::DesiredHash)
                .column(export_record::Column::Removed)
                .filter(export_record::Column::WorkspaceId.eq(workspace.0))
                .filter(export_record::Column::HostId.is_in(chunk.iter().cloned()))
                .into_tuple()
                .all(&self.inner.read)
                .await?;
            versions.extend(
                rows.into_iter()
                    .map(|(host_id, version, desired_hash, removed)| ExportVersion {
                        host_id,
                        version,
                        desired_hash,
                        removed,
                    }),
            );
        }
        versions.sort_by(|a, b| a.host_id.cmp(&b.host_id));
        Ok(versions)
    }

    /// A workspace's records with `id > after`, by id (all of them, or only pending ones).
    pub async fn export_records(
        &self,
        workspace: WorkspaceId,
        after: i64,
        limit: u64,
        pending_only: bool,
    ) -> Result<Vec<StoredExportRecord>> {
        let mut query = export_record::Entity::find()
            .filter(export_record::Column::WorkspaceId.eq(workspace.0))
            .filter(export_record::Column::Id.gt(after));
        if pending_only {
            query = query.filter(export_record::Column::NeedsPush.eq(true));
        }
        query
            .order_by_asc(export_record::Column::Id)
            .limit(limit)
            .all(&self.inner.read)
            .await?
            .into_iter()
            .map(to_record)
            .collect()
    }

    /// Host ids of the records exported to this Intercom contact (normally one).
    pub async fn export_records_of_contact(
        &self,
        workspace: WorkspaceId,
        intercom_id: &str,
    ) -> Result<Vec<String>> {
        Ok(export_record::Entity::find()
            .select_only()
            .column(export_record::Column::HostId)
            .filter(export_record::Column::WorkspaceId.eq(workspace.0))
            .filter(export_record::Column::IntercomId.eq(intercom_id))
            .filter(
                Condition::any()
                    .add(export_record::Column::Removed.eq(false))
                    .add(export_record::Column::IntercomArchived.eq(true)),
            )
            .order_by_asc(export_record::Column::Id)
            .into_tuple()
            .all(&self.inner.read)
            .await?)
    }

    /// The tags the export knows in a workspace: normalized name key -> (name, tag id).
    pub async fn export_tags(
        &self,
        workspace: WorkspaceId,
    ) -> Result<std::collections::HashMap<String, ManagedTag>> {
        Ok(export_tag::Entity::find()
            .filter(export_tag::Column::WorkspaceId.eq(workspace.0))
            .all(&self.inner.read)
            .await?
            .into_iter()
            .map(|row| {
                (
                    row.name_key,
                    ManagedTag {
                        id: row.tag_id,
                        name: row.name,
                    },
                )
            })
            .collect())
    }

    /// Remembers a tag's id by its name key (a second save of the same key keeps the first).
    pub async fn save_export_tag(
        &self,
        workspace: WorkspaceId,
        name_key: &str,
        tag: &ManagedTag,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let txn = self.inner.write.begin().await?;
        let existing = export_tag::Entity::find()
            .filter(export_tag::Column::WorkspaceId.eq(workspace.0))
            .filter(export_tag::Column::NameKey.eq(name_key))
            .one(&txn)
            .await?;
        match existing {
            Some(row) if row.tag_id == tag.id => {}
            Some(row) => {
                // Intercom answered another id for the name (the tag was deleted and made again).
                let mut active = row.into_active_model();
                active.tag_id = Set(tag.id.clone());
                active.name = Set(tag.name.clone());
                active.update(&txn).await?;
            }
            None => {
                export_tag::ActiveModel {
                    workspace_id: Set(workspace.0),
                    name_key: Set(name_key.to_owned()),
                    name: Set(tag.name.clone()),
                    tag_id: Set(tag.id.clone()),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }

    /// Forgets a cached tag (Intercom no longer knows its id).
    pub async fn forget_export_tag(&self, workspace: WorkspaceId, name_key: &str) -> Result<()> {
        export_tag::Entity::delete_many()
            .filter(export_tag::Column::WorkspaceId.eq(workspace.0))
            .filter(export_tag::Column::NameKey.eq(name_key))
            .exec(&self.inner.write)
            .await?;
        Ok(())
    }
}

fn to_json(record: &HostRecord) -> Result<serde_json::Value> {
    serde_json::to_value(record).map_err(|e| StoreError::corrupt(format!("export record: {e}")))
}

fn from_json(row: &export_record::Model) -> Result<HostRecord> {
    let value = row.desired.clone().unwrap_or(serde_json::Value::Null);
    let mut record: HostRecord = serde_json::from_value(value)
        .map_err(|e| StoreError::corrupt(format!("export record {} desired state: {e}", row.id)))?;
    record.host_id.clone_from(&row.host_id);
    Ok(record)
}

fn to_state(row: export::Model) -> Result<ExportState> {
    let bad = |what: &str, value: &str| {
        StoreError::corrupt(format!("exports {} has {what} {value:?}", row.id))
    };
    let mapping: Vec<FieldMapping> = serde_json::from_value(row.mapping.clone())
        .map_err(|e| StoreError::corrupt(format!("exports {} mapping: {e}", row.id)))?;
    Ok(ExportState {
        settings: ExportSettings {
            enabled: row.enabled,
            sync_mode: SyncMode::parse(&row.sync_mode)
                .ok_or_else(|| bad("sync_mode", &row.sync_mode))?,
            creation_mode: CreationMode::parse(&row.creation_mode)
                .ok_or_else(|| bad("creation_mode", &row.creation_mode))?,
            removal_mode: RemovalMode::parse(&row.removal_mode)
                .ok_or_else(|| bad("removal_mode", &row.removal_mode))?,
            mapping,
        },
        provisioned_hash: row.provisioned_hash,
        provisioned_at: row.provisioned_at,
        config_error: row.config_error,
        checked_at: row.checked_at,
        checked_hash: row.checked_hash,
        attributes_created: row.attributes_created,
        updated_at: row.updated_at,
    })
}

pub(crate) fn to_record(row: export_record::Model) -> Result<StoredExportRecord> {
    let record = from_json(&row)?;
    let status = ExportStatus::parse(&row.status).ok_or_else(|| {
        StoreError::corrupt(format!(
            "export_records {} has status {:?}",
            row.id, row.status
        ))
    })?;
    let managed_tags: Vec<ManagedTag> = serde_json::from_value(row.managed_tags.clone())
        .map_err(|e| StoreError::corrupt(format!("export_records {} tags: {e}", row.id)))?;
    Ok(StoredExportRecord {
        id: row.id,
        workspace: WorkspaceId(row.workspace_id),
        record,
        removed: row.removed,
        version: row.version,
        desired_hash: row.desired_hash,
        exported_hash: row.exported_hash,
        exported_at: row.exported_at,
        needs_push: row.needs_push,
        pending_since: row.pending_since,
        next_attempt_at: row.next_attempt_at,
        last_attempt_at: row.last_attempt_at,
        attempts: row.attempts,
        last_error: row.last_error,
        status,
        note: row.note,
        intercom_id: row.intercom_id,
        intercom_role: row.intercom_role,
        intercom_archived: row.intercom_archived,
        managed_tags,
        claim_token: row.claim_token,
        claimed_until: row.claimed_until,
    })
}
