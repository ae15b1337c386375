//! CS attributes: the change the host sends (left out keeps, `null` clears), how stored values
//! and their writeback state are shown, and the batch call.

use crate::error::ErrorDetail;
use crate::model::{DecimalInput, present};
use crate::services::{CsChange, CsState};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A change to CS attributes: a member left out keeps its value, `null` clears it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CsChangeBody {
    /// Health score, 0 to 100 (four decimal places are kept).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>)]
    pub health: Option<Option<DecimalInput>>,
    /// Lifecycle stage (`onboarding`, `adoption`, ...).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub stage: Option<Option<String>>,
    /// The host app's page for the subject (http or https).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub profile_url: Option<Option<String>>,
    /// Pulse (`up`, `flat`, `down`, ...).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub pulse: Option<Option<String>>,
    /// Licence utilization in percent (not negative).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>)]
    pub licence_utilization: Option<Option<DecimalInput>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub cs_owner: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub cs_owner_email: Option<Option<String>>,
}

impl CsChangeBody {
    pub(crate) fn into_change(self) -> CsChange {
        let decimal = |v: Option<Option<DecimalInput>>| v.map(|v| v.map(|d| d.0));
        CsChange {
            health: decimal(self.health),
            stage: self.stage,
            profile_url: self.profile_url,
            pulse: self.pulse,
            licence_utilization: decimal(self.licence_utilization),
            cs_owner: self.cs_owner,
            cs_owner_email: self.cs_owner_email,
        }
    }
}

/// The CS attribute values.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CsValues {
    #[serde(serialize_with = "crate::model::decimal_number")]
    #[schema(value_type = Option<f64>)]
    pub health: Option<Decimal>,
    pub stage: Option<String>,
    pub profile_url: Option<String>,
    pub pulse: Option<String>,
    #[serde(serialize_with = "crate::model::decimal_number")]
    #[schema(value_type = Option<f64>)]
    pub licence_utilization: Option<Decimal>,
    pub cs_owner: Option<String>,
    pub cs_owner_email: Option<String>,
}

/// Where a subject's writeback stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PushView {
    /// Health, stage or pulse differ from what was last pushed: a push is due.
    pub needs_push: bool,
    pub pushed_at: Option<DateTime<Utc>>,
    pub attempts: i64,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// A subject's CS attributes as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CsView {
    /// `contact` or `company`.
    pub subject_kind: String,
    /// Intercom's id of the contact or company.
    pub subject_id: String,
    pub attributes: CsValues,
    /// Bumped on every change the host makes.
    pub version: i64,
    pub push: PushView,
}

impl From<&CsState> for CsView {
    fn from(s: &CsState) -> Self {
        let a = &s.attributes;
        CsView {
            subject_kind: s.subject.kind().to_owned(),
            subject_id: s.subject.id().to_owned(),
            attributes: CsValues {
                health: a.health,
                stage: a.stage.clone(),
                profile_url: a.profile_url.clone(),
                pulse: a.pulse.clone(),
                licence_utilization: a.licence_utilization,
                cs_owner: a.cs_owner.clone(),
                cs_owner_email: a.cs_owner_email.clone(),
            },
            version: s.version,
            push: PushView {
                needs_push: s.needs_push,
                pushed_at: s.pushed_at,
                attempts: s.attempts,
                next_attempt_at: s.next_attempt_at,
                last_error: s.last_error.clone(),
            },
        }
    }
}

/// What a set stored: one entry per Intercom record (a contact key may name several contacts
/// sharing an email).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CsSetView {
    pub workspace: String,
    pub key: String,
    pub cs_attributes: Vec<CsView>,
}

/// One item of a batch: exactly one of `contact` and `account`, and the change.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CsBatchItem {
    /// A contact key (see `GET /v1/contacts/{key}`).
    pub contact: Option<String>,
    /// An account key (see `GET /v1/accounts/{key}`).
    pub account: Option<String>,
    pub attributes: CsChangeBody,
}

/// Up to 500 changes, each applied on its own.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CsBatchBody {
    pub items: Vec<CsBatchItem>,
}

/// The outcome of one batch item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CsBatchResult {
    /// The item's position in `items`, from 0.
    pub index: usize,
    pub ok: bool,
    /// What was stored, when `ok`.
    pub cs_attributes: Vec<CsView>,
    /// Why the item was refused (nothing of it was stored), when not `ok`.
    pub error: Option<ErrorDetail>,
}

/// What a batch did: items are independent; a refused one stores nothing and keeps no
/// other from being stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CsBatchView {
    pub workspace: String,
    pub stored: usize,
    pub refused: usize,
    pub results: Vec<CsBatchResult>,
}
