//! CS attributes: the host's values per contact/company, each write versioned, and whether the
//! row waits for a push (its trigger fields differ from the last successful push).

use crate::Store;
use crate::entities::cs_attribute;
use crate::error::{Result, StoreError};
use crate::reads::exact;
use chrono::{DateTime, Utc};
use icsync_domain::{CsAttributes, CsPatch, CsSubject, TriggerSet, WorkspaceId};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

/// The CS attributes of one subject as stored, with writeback state.
#[derive(Debug, Clone, PartialEq)]
pub struct CsRecord {
    pub id: i64,
    pub workspace: WorkspaceId,
    pub subject: CsSubject,
    pub attributes: CsAttributes,
    /// Bumped on every change the host makes.
    pub version: i64,
    /// Digest of the trigger fields now (with the trigger set of the last write).
    pub trigger_hash: String,
    /// True while the trigger fields differ from what was last pushed successfully.
    pub needs_push: bool,
    /// Since when the row has been waiting for a push.
    pub pending_since: Option<DateTime<Utc>>,
    /// When the last successful push was recorded.
    pub pushed_at: Option<DateTime<Utc>>,
    /// The custom attributes the last successful push sent; `None` when no push succeeded or
    /// the last outcome is unknown.
    pub pushed_attributes: Option<serde_json::Value>,
    /// Failed attempts since the last success.
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Set when Intercom answered 404: the contact or company is gone; no more retries.
    pub gone_at: Option<DateTime<Utc>>,
    /// The claim a pusher holds on the row (see [`Store::claim_pushes`]).
    pub claim_token: Option<i64>,
    pub claimed_until: Option<DateTime<Utc>>,
}

/// What [`Store::set_cs_attributes`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct CsWrite {
    pub record: CsRecord,
    /// False when the values were already stored (nothing changed).
    pub changed: bool,
}

impl Store {
    /// Applies `patch` to a subject's CS attributes (creating the row on first use) and returns
    /// the stored record. A write that changes nothing changes nothing (no version bump, no
    /// push). A write whose fields in `triggers` differ from the last successful push makes the
    /// row pending; one that brings them back makes it not pending (other fields wait for the
    /// next trigger change). A row already pending keeps its retry schedule. A row whose push
    /// is in flight (or whose pusher died mid-push) stays pending: that push may have changed
    /// Intercom.
    pub async fn set_cs_attributes(
        &self,
        workspace: WorkspaceId,
        subject: &CsSubject,
        patch: &CsPatch,
        triggers: &TriggerSet,
        now: DateTime<Utc>,
    ) -> Result<CsWrite> {
        let txn = self.inner.write.begin().await?;
        let mut changed = true;
        let existing = find(&txn, workspace, subject).await?;
        let saved = match existing {
            Some(row) => {
                let current = to_attributes(&row);
                let next = round(patch.apply(&current));
                if next.content_hash() == current.content_hash() {
                    changed = false;
                    row
                } else {
                    let trigger_hash = next.trigger_hash_for(triggers).into_string();
                    // A claim whose outcome is not recorded yet (in flight, or its pusher
                    // died) may have changed Intercom: the baseline is unknown until it is.
                    let needs_push = row.claim_token.is_some()
                        || row.pushed_trigger_hash.as_deref() != Some(trigger_hash.as_str());
                    let was_pending = row.needs_push;
                    let version = row.version + 1;
                    let mut active = row.into_active_model();
                    fill(&mut active, &next);
                    active.version = Set(version);
                    active.trigger_hash = Set(trigger_hash);
                    active.needs_push = Set(needs_push);
                    if needs_push {
                        active.gone_at = Set(None);
                        if !was_pending {
                            active.pending_since = Set(Some(now));
                            active.next_attempt_at = Set(Some(now));
                            active.attempts = Set(0);
                            active.last_error = Set(None);
                        }
                    } else {
                        active.pending_since = Set(None);
                        active.next_attempt_at = Set(None);
                        active.attempts = Set(0);
                        active.last_error = Set(None);
                    }
                    active.updated_at = Set(now);
                    active.update(&txn).await?
                }
            }
            None => {
                let next = round(patch.apply(&CsAttributes::default()));
                let mut active = cs_attribute::ActiveModel {
                    workspace_id: Set(workspace.0),
                    subject_kind: Set(subject.kind().to_owned()),
                    subject_intercom_id: Set(subject.id().to_owned()),
                    version: Set(1),
                    trigger_hash: Set(next.trigger_hash_for(triggers).into_string()),
                    pushed_trigger_hash: Set(None),
                    pushed_hash: Set(None),
                    pushed_at: Set(None),
                    pushed_attributes: Set(None),
                    needs_push: Set(true),
                    pending_since: Set(Some(now)),
                    next_attempt_at: Set(Some(now)),
                    last_attempt_at: Set(None),
                    attempts: Set(0),
                    last_error: Set(None),
                    gone_at: Set(None),
                    claim_token: Set(None),
                    claimed_until: Set(None),
                    updated_at: Set(now),
                    ..Default::default()
                };
                fill(&mut active, &next);
                active.insert(&txn).await?
            }
        };
        txn.commit().await?;
        Ok(CsWrite {
            record: to_record(saved)?,
            changed,
        })
    }

    /// A subject's CS attributes, if the host ever set them.
    pub async fn cs_attributes(
        &self,
        workspace: WorkspaceId,
        subject: &CsSubject,
    ) -> Result<Option<CsRecord>> {
        find(&self.inner.read, workspace, subject)
            .await?
            .map(to_record)
            .transpose()
    }

    /// Records due for a push in any workspace (trigger fields changed and the retry time
    /// reached), oldest first. Served by the `(needs_push, next_attempt_at)` index.
    pub async fn pending_pushes(&self, now: DateTime<Utc>, limit: u64) -> Result<Vec<CsRecord>> {
        cs_attribute::Entity::find()
            .filter(cs_attribute::Column::NeedsPush.eq(true))
            .filter(
                Condition::any()
                    .add(cs_attribute::Column::NextAttemptAt.is_null())
                    .add(cs_attribute::Column::NextAttemptAt.lte(now)),
            )
            .order_by_asc(cs_attribute::Column::NextAttemptAt)
            .limit(limit)
            .all(&self.inner.read)
            .await?
            .into_iter()
            .map(to_record)
            .collect()
    }

    /// A workspace's pending records (due or not, claimed or not) with `id > after`, by id: for
    /// dry runs and listings.
    pub async fn cs_pending(
        &self,
        workspace: WorkspaceId,
        after: i64,
        limit: u64,
    ) -> Result<Vec<CsRecord>> {
        cs_attribute::Entity::find()
            .filter(cs_attribute::Column::WorkspaceId.eq(workspace.0))
            .filter(cs_attribute::Column::NeedsPush.eq(true))
            .filter(cs_attribute::Column::Id.gt(after))
            .order_by_asc(cs_attribute::Column::Id)
            .limit(limit)
            .all(&self.inner.read)
            .await?
            .into_iter()
            .map(to_record)
            .collect()
    }
}

async fn find<C: sea_orm::ConnectionTrait>(
    db: &C,
    workspace: WorkspaceId,
    subject: &CsSubject,
) -> Result<Option<cs_attribute::Model>> {
    Ok(cs_attribute::Entity::find()
        .filter(cs_attribute::Column::WorkspaceId.eq(workspace.0))
        .filter(cs_attribute::Column::SubjectKind.eq(subject.kind()))
        .filter(cs_attribute::Column::SubjectIntercomId.eq(subject.id()))
        .one(db)
        .await?)
}

/// Decimals at the schema's precision (four places), so what is hashed is what is stored.
fn round(mut attributes: CsAttributes) -> CsAttributes {
    attributes.health = exact(attributes.health);
    attributes.licence_utilization = exact(attributes.licence_utilization);
    attributes
}

fn fill(active: &mut cs_attribute::ActiveModel, attributes: &CsAttributes) {
    active.health = Set(attributes.health);
    active.stage = Set(attributes.stage.clone());
    active.profile_url = Set(attributes.profile_url.clone());
    active.pulse = Set(attributes.pulse.clone());
    active.licence_utilization = Set(attributes.licence_utilization);
    active.cs_owner = Set(attributes.cs_owner.clone());
    active.cs_owner_email = Set(attributes.cs_owner_email.clone());
}

fn to_attributes(row: &cs_attribute::Model) -> CsAttributes {
    CsAttributes {
        health: exact(row.health),
        stage: row.stage.clone(),
        profile_url: row.profile_url.clone(),
        pulse: row.pulse.clone(),
        licence_utilization: exact(row.licence_utilization),
        cs_owner: row.cs_owner.clone(),
        cs_owner_email: row.cs_owner_email.clone(),
    }
}

pub(crate) fn to_record(row: cs_attribute::Model) -> Result<CsRecord> {
    let subject = match row.subject_kind.as_str() {
        "contact" => CsSubject::Contact(row.subject_intercom_id.clone()),
        "company" => CsSubject::Company(row.subject_intercom_id.clone()),
        other => {
            return Err(StoreError::corrupt(format!(
                "cs_attributes {} has kind {other:?}",
                row.id
            )));
        }
    };
    Ok(CsRecord {
        id: row.id,
        workspace: WorkspaceId(row.workspace_id),
        attributes: to_attributes(&row),
        subject,
        version: row.version,
        trigger_hash: row.trigger_hash,
        needs_push: row.needs_push,
        pending_since: row.pending_since,
        pushed_at: row.pushed_at,
        pushed_attributes: row.pushed_attributes,
        attempts: row.attempts,
        next_attempt_at: row.next_attempt_at,
        last_attempt_at: row.last_attempt_at,
        last_error: row.last_error,
        gone_at: row.gone_at,
        claim_token: row.claim_token,
        claimed_until: row.claimed_until,
    })
}
