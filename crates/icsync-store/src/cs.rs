//! CS attributes: the host's values per contact/company and the writeback work queue.

use crate::Store;
use crate::entities::cs_attribute;
use crate::error::{Result, StoreError};
use crate::reads::exact;
use chrono::{DateTime, Utc};
use icsync_domain::{CsAttributes, CsSubject, WorkspaceId};
use sea_orm::sea_query::{Expr, ExprTrait};
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
    /// True while health, stage or pulse differ from what was last pushed.
    pub needs_push: bool,
    pub pushed_at: Option<DateTime<Utc>>,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

impl Store {
    /// Sets a subject's CS attributes. Returns the stored record; setting the same values again
    /// changes nothing (no version bump, no push).
    pub async fn set_cs_attributes(
        &self,
        workspace: WorkspaceId,
        subject: &CsSubject,
        attributes: &CsAttributes,
    ) -> Result<CsRecord> {
        let now = Utc::now();
        let trigger_hash = attributes.trigger_hash().into_string();
        let txn = self.inner.write.begin().await?;
        let existing = find(&txn, workspace, subject).await?;
        let saved = match existing {
            Some(row) if to_attributes(&row).content_hash() == attributes.content_hash() => row,
            Some(row) => {
                let needs_push = row.pushed_trigger_hash.as_deref() != Some(trigger_hash.as_str());
                let version = row.version + 1;
                let mut active = row.into_active_model();
                fill(&mut active, attributes);
                active.version = Set(version);
                active.trigger_hash = Set(trigger_hash);
                active.needs_push = Set(needs_push);
                if needs_push {
                    active.next_attempt_at = Set(Some(now));
                    active.attempts = Set(0);
                }
                active.updated_at = Set(now);
                active.update(&txn).await?
            }
            None => {
                let mut active = cs_attribute::ActiveModel {
                    workspace_id: Set(workspace.0),
                    subject_kind: Set(subject.kind().to_owned()),
                    subject_intercom_id: Set(subject.id().to_owned()),
                    version: Set(1),
                    trigger_hash: Set(trigger_hash),
                    pushed_trigger_hash: Set(None),
                    pushed_hash: Set(None),
                    pushed_at: Set(None),
                    needs_push: Set(true),
                    next_attempt_at: Set(Some(now)),
                    attempts: Set(0),
                    last_error: Set(None),
                    updated_at: Set(now),
                    ..Default::default()
                };
                fill(&mut active, attributes);
                active.insert(&txn).await?
            }
        };
        txn.commit().await?;
        to_record(saved)
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

    /// Records due for a push (trigger fields changed and the retry time reached), oldest
    /// first. Served by the `(needs_push, next_attempt_at)` index, never a table scan.
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

    /// Records a successful push of `pushed` (the version the pusher read). If the host changed
    /// the record meanwhile, it stays pending.
    pub async fn mark_pushed(&self, pushed: &CsRecord, at: DateTime<Utc>) -> Result<bool> {
        let result = cs_attribute::Entity::update_many()
            .col_expr(
                cs_attribute::Column::PushedTriggerHash,
                Expr::value(pushed.attributes.trigger_hash().into_string()),
            )
            .col_expr(
                cs_attribute::Column::PushedHash,
                Expr::value(pushed.attributes.content_hash().into_string()),
            )
            .col_expr(cs_attribute::Column::PushedAt, Expr::value(at))
            .col_expr(cs_attribute::Column::NeedsPush, Expr::value(false))
            .col_expr(
                cs_attribute::Column::NextAttemptAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(cs_attribute::Column::Attempts, Expr::value(0))
            .col_expr(
                cs_attribute::Column::LastError,
                Expr::value(Option::<String>::None),
            )
            .filter(cs_attribute::Column::Id.eq(pushed.id))
            .filter(cs_attribute::Column::Version.eq(pushed.version))
            .exec(&self.inner.write)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Records a failed push and when to try again; other records are not held up.
    pub async fn mark_push_failed(
        &self,
        record: &CsRecord,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<()> {
        cs_attribute::Entity::update_many()
            .col_expr(
                cs_attribute::Column::Attempts,
                Expr::col(cs_attribute::Column::Attempts).add(1),
            )
            .col_expr(
                cs_attribute::Column::LastError,
                Expr::value(error.to_owned()),
            )
            .col_expr(cs_attribute::Column::NextAttemptAt, Expr::value(retry_at))
            .filter(cs_attribute::Column::Id.eq(record.id))
            .exec(&self.inner.write)
            .await?;
        Ok(())
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

fn to_record(row: cs_attribute::Model) -> Result<CsRecord> {
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
        needs_push: row.needs_push,
        pushed_at: row.pushed_at,
        attempts: row.attempts,
        next_attempt_at: row.next_attempt_at,
        last_error: row.last_error,
    })
}
