//! Export: the settings an admin sets (modes, property mapping), the records the host puts and
//! removes, and how records and the export's status are shown.

use chrono::{DateTime, Utc};
use icsync_domain::{
    AttributeTarget, CreationMode, DataType, ExportSettings, FieldMapping, HostRecord,
    RecordProblem, RemovalMode, StandardAttribute, SyncMode,
};
use icsync_store::{ExportCounts, ExportState, ExportVersion, StoredExportRecord};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A workspace's export settings.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportSettingsBody {
    /// Nothing is sent to Intercom while false (records are still accepted and queued).
    pub enabled: bool,
    /// `sync` (create, update, remove), `additive` (never remove) or `enrich` (update only
    /// contacts that exist in Intercom).
    #[schema(example = "sync")]
    pub sync_mode: String,
    /// `user`, `lead` or `lifecycle` (a lead until the record has an external id).
    #[schema(example = "lifecycle")]
    pub creation_mode: String,
    /// `archive` (recoverable) or `delete` (permanent).
    #[schema(example = "archive")]
    pub removal_mode: String,
    /// Host property -> Intercom attribute.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub mapping: Vec<MappingBody>,
}

/// One host property and the Intercom attribute it goes to: a standard attribute (`name`,
/// `phone`, `avatar`, `signed_up_at`, `last_seen_at`, `owner_id`, `unsubscribed_from_emails`)
/// when `type` is left out, else a data attribute of that type, created when missing.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MappingBody {
    #[schema(example = "plan", max_length = 190)]
    pub property: String,
    #[schema(example = "host_plan", max_length = 190)]
    pub attribute: String,
    /// `string`, `integer`, `float`, `boolean` or `date` for a data attribute.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
}

fn choose<T: Copy>(
    field: &str,
    value: &str,
    all: &[T],
    parse: fn(&str) -> Option<T>,
    name: fn(T) -> &'static str,
) -> Result<T, (String, String)> {
    parse(value.trim()).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|v| name(*v)).collect();
        (
            field.to_owned(),
            format!("{value:?} is not one of {}", names.join(", ")),
        )
    })
}

impl ExportSettingsBody {
    /// The settings, or the member at fault and why.
    pub(crate) fn into_settings(self) -> Result<ExportSettings, (String, String)> {
        let sync_mode = choose(
            "sync_mode",
            &self.sync_mode,
            SyncMode::ALL,
            SyncMode::parse,
            SyncMode::as_str,
        )?;
        let creation_mode = choose(
            "creation_mode",
            &self.creation_mode,
            CreationMode::ALL,
            CreationMode::parse,
            CreationMode::as_str,
        )?;
        let removal_mode = choose(
            "removal_mode",
            &self.removal_mode,
            RemovalMode::ALL,
            RemovalMode::parse,
            RemovalMode::as_str,
        )?;
        let mut mapping = Vec::with_capacity(self.mapping.len());
        for (i, m) in self.mapping.into_iter().enumerate() {
            let target = match &m.data_type {
                None => AttributeTarget::Standard {
                    attribute: choose(
                        &format!("mapping[{i}].attribute"),
                        &m.attribute,
                        StandardAttribute::ALL,
                        StandardAttribute::parse,
                        StandardAttribute::as_str,
                    )
                    .map_err(|(field, message)| {
                        (
                            field,
                            format!("{message}; give `type` to map to a data attribute"),
                        )
                    })?,
                },
                Some(kind) => AttributeTarget::Data {
                    name: m.attribute.trim().to_owned(),
                    data_type: choose(
                        &format!("mapping[{i}].type"),
                        kind,
                        DataType::ALL,
                        DataType::parse,
                        DataType::as_str,
                    )?,
                },
            };
            mapping.push(FieldMapping {
                property: m.property,
                target,
            });
        }
        Ok(ExportSettings {
            enabled: self.enabled,
            sync_mode,
            creation_mode,
            removal_mode,
            mapping,
        })
    }

    pub(crate) fn from_settings(settings: &ExportSettings) -> Self {
        Self {
            enabled: settings.enabled,
            sync_mode: settings.sync_mode.as_str().to_owned(),
            creation_mode: settings.creation_mode.as_str().to_owned(),
            removal_mode: settings.removal_mode.as_str().to_owned(),
            mapping: settings
                .mapping
                .iter()
                .map(|m| MappingBody {
                    property: m.property.clone(),
                    attribute: m.target.name().to_owned(),
                    data_type: match &m.target {
                        AttributeTarget::Standard { .. } => None,
                        AttributeTarget::Data { data_type, .. } => {
                            Some(data_type.as_str().to_owned())
                        }
                    },
                })
                .collect(),
        }
    }
}

/// A record as the host wants it in Intercom.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    /// Required for every record (leads and users); matched trimmed and case-insensitively.
    #[schema(example = "ann@example.com", max_length = 320)]
    pub email: Option<String>,
    /// Required for users; a lifecycle record with one becomes a user.
    #[schema(example = "user-42", max_length = 255)]
    pub external_id: Option<String>,
    /// Mapped host properties; `null` clears the attribute. An unmapped property is refused.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub properties: BTreeMap<String, Value>,
    /// Group names, exported as Intercom tags.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub groups: Vec<String>,
}

impl RecordBody {
    pub(crate) fn into_record(self, host_id: String) -> HostRecord {
        HostRecord {
            host_id,
            email: self.email,
            external_id: self.external_id,
            properties: self.properties,
            groups: self.groups,
        }
    }
}

/// A record of a batch: the body of a single put with its host id.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRecordBody {
    #[schema(example = "h-42", max_length = 255)]
    pub host_id: String,
    #[schema(max_length = 320)]
    pub email: Option<String>,
    #[schema(max_length = 255)]
    pub external_id: Option<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub properties: BTreeMap<String, Value>,
    #[serde(default)]
    #[schema(max_items = 100)]
    pub groups: Vec<String>,
}

impl BatchRecordBody {
    pub(crate) fn into_record(self) -> HostRecord {
        HostRecord {
            host_id: self.host_id,
            email: self.email,
            external_id: self.external_id,
            properties: self.properties,
            groups: self.groups,
        }
    }
}

/// Up to 500 puts and removals, each independent.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportBatchBody {
    #[serde(default)]
    #[schema(max_items = 500)]
    pub put: Vec<BatchRecordBody>,
    /// Host ids to remove.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub remove: Vec<String>,
}

/// Host ids whose versions the host asks for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportVersionsBody {
    #[schema(max_items = 1000)]
    pub host_ids: Vec<String>,
}

/// One problem with a record, naming its member.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemView {
    #[schema(example = "properties.seats")]
    pub field: String,
    pub message: String,
}

impl From<&RecordProblem> for ProblemView {
    fn from(p: &RecordProblem) -> Self {
        Self {
            field: p.field.clone(),
            message: p.message.clone(),
        }
    }
}

/// A record as icsync holds it, with where its export stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportRecordView {
    pub host_id: String,
    pub email: Option<String>,
    pub external_id: Option<String>,
    #[schema(value_type = Object)]
    pub properties: BTreeMap<String, Value>,
    pub groups: Vec<String>,
    /// The host removed it.
    pub removed: bool,
    /// Bumped on every change the host makes.
    pub version: i64,
    /// `pending`, `exported`, `removed`, `failed`, `rejected` or `skipped`.
    #[schema(example = "exported")]
    pub status: String,
    /// True while the desired state differs from the last successful export.
    pub pending: bool,
    pub exported_at: Option<DateTime<Utc>>,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed, or why the record was rejected or skipped.
    pub error: Option<String>,
    /// A note on the export (e.g. a user kept a user in lead mode).
    pub note: Option<String>,
    /// The Intercom contact the record is exported to.
    pub intercom_id: Option<String>,
    pub intercom_role: Option<String>,
    /// Tags this export applied (the only ones it removes).
    pub tags: Vec<String>,
}

impl From<&StoredExportRecord> for ExportRecordView {
    fn from(r: &StoredExportRecord) -> Self {
        let status = if r.needs_push && r.last_error.is_some() {
            "failed"
        } else if r.needs_push {
            "pending"
        } else {
            r.status.as_str()
        };
        Self {
            host_id: r.record.host_id.clone(),
            email: r.record.email.clone(),
            external_id: r.record.external_id.clone(),
            properties: r.record.properties.clone(),
            groups: r.record.groups.clone(),
            removed: r.removed,
            version: r.version,
            status: status.to_owned(),
            pending: r.needs_push,
            exported_at: r.exported_at,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at.filter(|_| r.needs_push),
            error: r.last_error.clone(),
            note: r.note.clone(),
            intercom_id: r.intercom_id.clone(),
            intercom_role: r.intercom_role.clone(),
            tags: r.managed_tags.iter().map(|t| t.name.clone()).collect(),
        }
    }
}

/// What happened to one item of a batch.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportItemView {
    pub host_id: String,
    /// `stored`, `unchanged`, `invalid` or `unknown` (a removal of a record icsync does not hold).
    #[schema(example = "stored")]
    pub result: String,
    pub version: Option<i64>,
    /// True when the record now waits for an export.
    pub pending: bool,
    /// Why the record was refused (nothing of it was stored).
    pub problems: Vec<ProblemView>,
}

/// A batch's outcome, item by item (puts first, then removals, each in order).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportBatchView {
    pub workspace: String,
    pub stored: usize,
    pub unchanged: usize,
    pub refused: usize,
    pub items: Vec<ExportItemView>,
}

/// The version icsync holds for a host id.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportVersionView {
    pub host_id: String,
    pub version: i64,
    /// Digest of the desired state as stored.
    pub desired_hash: String,
    pub removed: bool,
}

impl From<ExportVersion> for ExportVersionView {
    fn from(v: ExportVersion) -> Self {
        Self {
            host_id: v.host_id,
            version: v.version,
            desired_hash: v.desired_hash,
            removed: v.removed,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportVersionsView {
    pub workspace: String,
    /// Known host ids only, sorted.
    pub versions: Vec<ExportVersionView>,
}

/// A record that is not in Intercom as the host wants.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportFailureView {
    pub host_id: String,
    /// `failed` (retried), `rejected` (until the host changes it), `skipped` (enrich mode).
    pub status: String,
    pub attempts: i32,
    pub reason: String,
    /// When the last attempt was made.
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A workspace's export: settings and figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportStatusView {
    pub workspace: String,
    pub configured: bool,
    pub settings: Option<ExportSettingsBody>,
    /// Why records wait: `disconnected`, `no_access_token` or `disabled`.
    pub blocked: Option<String>,
    pub blocked_reason: Option<String>,
    /// A problem with the mapped data attributes in Intercom.
    pub config_error: Option<String>,
    pub provisioned_at: Option<DateTime<Utc>>,
    pub records: u64,
    pub pending: u64,
    pub failing: u64,
    pub in_flight: u64,
    pub exported: u64,
    pub removed: u64,
    pub rejected: u64,
    pub skipped: u64,
    pub oldest_pending_since: Option<DateTime<Utc>>,
    /// Failing, rejected and skipped records (most attempts first, at most 50).
    pub failures: Vec<ExportFailureView>,
}

impl ExportStatusView {
    pub(crate) fn new(
        workspace: &icsync_domain::Workspace,
        state: Option<&ExportState>,
        counts: ExportCounts,
    ) -> Self {
        let blocked = state.and_then(|s| icsync_domain::ExportBlocked::of(workspace, &s.settings));
        Self {
            workspace: workspace.name.clone(),
            configured: state.is_some(),
            settings: state.map(|s| ExportSettingsBody::from_settings(&s.settings)),
            blocked: blocked.map(|b| b.as_str().to_owned()),
            blocked_reason: blocked.map(|b| b.to_string()),
            config_error: state.and_then(|s| s.config_error.clone()),
            provisioned_at: state.and_then(|s| s.provisioned_at),
            records: counts.records,
            pending: counts.pending,
            failing: counts.failing,
            in_flight: counts.in_flight,
            exported: counts.exported,
            removed: counts.removed,
            rejected: counts.rejected,
            skipped: counts.skipped,
            oldest_pending_since: counts.oldest_pending_since,
            failures: counts
                .problems
                .into_iter()
                .map(|p| ExportFailureView {
                    host_id: p.host_id,
                    status: p.status.as_str().to_owned(),
                    attempts: p.attempts,
                    reason: p.reason,
                    last_attempt_at: p.last_attempt_at,
                    next_attempt_at: p.next_attempt_at,
                })
                .collect(),
        }
    }
}

/// Settings as stored, with how many records were queued again.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportSettingsView {
    pub workspace: String,
    pub settings: ExportSettingsBody,
    /// Records queued again because modes or mapping changed.
    pub requeued: u64,
}
