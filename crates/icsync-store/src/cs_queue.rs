//! The writeback queue: claiming due rows under a lease, recording each push's outcome, and
//! the per-workspace figures status shows.
//!
//! **Invariant**: a failed push never becomes the baseline; a push whose outcome is unknown
//! (Intercom may have applied it) erases the baseline, so the row is pushed again whatever the
//! host writes next. A row's baseline moves only when its claim's push succeeded.

use crate::Store;
use crate::cs::{CsRecord, to_record};
use crate::entities::cs_attribute::{self, Column};
use crate::error::Result;
use chrono::{DateTime, Duration, Utc};
use icsync_domain::{CsSubject, WorkspaceId};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, TransactionTrait,
};

/// Which rows one claim may take.
#[derive(Debug, Clone, Copy)]
pub struct ClaimRequest {
    pub workspace: WorkspaceId,
    pub now: DateTime<Utc>,
    /// Rows whose retry time is after this wait (`None`: take them now, as `icsync push` does).
    pub due_before: Option<DateTime<Utc>>,
    /// Rows attempted at or after this time are left alone (one attempt per drain).
    pub not_attempted_since: DateTime<Utc>,
    pub limit: u64,
    /// How long the claim holds; an expired claim is free for another pusher.
    pub lease: Duration,
}

/// A workspace's writeback figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WritebackCounts {
    /// Rows waiting for a push (due or in backoff).
    pub pending: u64,
    /// Pending rows whose last attempt failed.
    pub failing: u64,
    /// Rows claimed by a pusher right now.
    pub in_flight: u64,
    /// Rows pushed successfully at least once.
    pub pushed: u64,
    /// Rows whose contact or company is gone in Intercom (404).
    pub gone: u64,
    /// Since when the oldest pending row has waited.
    pub oldest_pending_since: Option<DateTime<Utc>>,
    /// Failing and gone rows, most attempts first (at most the limit asked for).
    pub failures: Vec<PushFailure>,
}

/// The recorded outcome of one push (see [`Store::record_push_outcomes`]).
#[derive(Debug, Clone, PartialEq)]
pub enum PushOutcome {
    Pushed {
        record: CsRecord,
        attributes: serde_json::Value,
        at: DateTime<Utc>,
    },
    Failed {
        record: CsRecord,
        error: String,
        retry_at: DateTime<Utc>,
        uncertain: bool,
    },
    Gone {
        record: CsRecord,
        error: String,
        at: DateTime<Utc>,
    },
}

/// One row that could not be pushed, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct PushFailure {
    pub subject: CsSubject,
    pub attempts: i32,
    pub last_error: String,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub gone_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Claims up to `limit` due rows of a workspace for a push, oldest first, and returns them
    /// with their claim. Two pushers never hold the same row: the claim is one `UPDATE` whose
    /// condition re-checks that the row is free.
    pub async fn claim_pushes(&self, request: &ClaimRequest) -> Result<Vec<CsRecord>> {
        let now = request.now;
        let free = || {
            Condition::any()
                .add(Column::ClaimedUntil.is_null())
                .add(Column::ClaimedUntil.lt(now))
        };
        let mut due = cs_attribute::Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(Column::WorkspaceId.eq(request.workspace.0))
            .filter(Column::NeedsPush.eq(true))
            .filter(free())
            .filter(
                Condition::any()
                    .add(Column::LastAttemptAt.is_null())
                    .add(Column::LastAttemptAt.lt(request.not_attempted_since)),
            );
        if let Some(due_before) = request.due_before {
            due = due.filter(
                Condition::any()
                    .add(Column::NextAttemptAt.is_null())
                    .add(Column::NextAttemptAt.lte(due_before)),
            );
        }
        let due = due
            .order_by_asc(Column::NextAttemptAt)
            .order_by_asc(Column::Id)
            .limit(request.limit)
            .into_query();
        // Any value other pushers are unlikely to draw; it only has to differ from a stale claim's.
        let token = fastrand::i64(1..i64::MAX);
        // A row still holding a claim (expired: its pusher died mid-push, the outcome never
        // recorded) may hold in Intercom what that push sent: its baseline is unknown, so it is
        // erased here and the push goes out even if the values equal the old baseline. (SET
        // expressions read the row as it was, before the new claim; the NULL is untyped so
        // PostgreSQL gives it the column's type, jsonb included.)
        let unless_claimed = |column: Column| -> SimpleExpr {
            Expr::case(Column::ClaimToken.is_null(), Expr::col(column))
                .finally(Expr::cust("NULL"))
                .into()
        };
        let claimed = cs_attribute::Entity::update_many()
            .col_expr(
                Column::PushedTriggerHash,
                unless_claimed(Column::PushedTriggerHash),
            )
            .col_expr(Column::PushedHash, unless_claimed(Column::PushedHash))
            .col_expr(
                Column::PushedAttributes,
                unless_claimed(Column::PushedAttributes),
            )
            .col_expr(Column::ClaimToken, Expr::value(token))
            .col_expr(Column::ClaimedUntil, Expr::value(now + request.lease))
            .col_expr(Column::LastAttemptAt, Expr::value(now))
            .filter(Column::Id.in_subquery(due))
            .filter(Column::NeedsPush.eq(true))
            .filter(free())
            .exec_with_returning(&self.inner.write)
            .await?;
        let mut records = claimed
            .into_iter()
            .map(to_record)
            .collect::<Result<Vec<_>>>()?;
        records.sort_by_key(|r| (r.next_attempt_at, r.id));
        Ok(records)
    }

    /// Records that the push of `pushed` (a claimed record) succeeded, sending `attributes`.
    /// Its values become the baseline; the row stays pending if the host changed its trigger
    /// fields meanwhile. If the claim was lost (expired and taken), the baseline is erased
    /// instead: who pushed last is unknown, so the row is pushed again.
    pub async fn mark_pushed(
        &self,
        pushed: &CsRecord,
        attributes: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let txn = self.inner.write.begin().await?;
        let held = mark_pushed_in(&txn, pushed, attributes, at).await?;
        txn.commit().await?;
        Ok(held)
    }

    /// Records many outcomes in one transaction (the pusher's path: one commit per batch).
    pub async fn record_push_outcomes(&self, outcomes: &[PushOutcome]) -> Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let txn = self.inner.write.begin().await?;
        for outcome in outcomes {
            match outcome {
                PushOutcome::Pushed {
                    record,
                    attributes,
                    at,
                } => {
                    mark_pushed_in(&txn, record, attributes, *at).await?;
                }
                PushOutcome::Failed {
                    record,
                    error,
                    retry_at,
                    uncertain,
                } => mark_failed_in(&txn, record, error, *retry_at, *uncertain).await?,
                PushOutcome::Gone { record, error, at } => {
                    mark_gone_in(&txn, record, error, *at).await?
                }
            }
        }
        txn.commit().await?;
        Ok(())
    }

    /// Records a failed push and when to try again; other rows are not held up. When Intercom
    /// may have applied the push (`uncertain`: a timeout, a 5xx, a dropped connection), the
    /// baseline is erased so the row is pushed again whatever the host writes next.
    pub async fn mark_push_failed(
        &self,
        record: &CsRecord,
        error: &str,
        retry_at: DateTime<Utc>,
        uncertain: bool,
    ) -> Result<()> {
        let txn = self.inner.write.begin().await?;
        mark_failed_in(&txn, record, error, retry_at, uncertain).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Records that Intercom has no such contact or company (404): the row stops waiting until
    /// the host sets new values for it.
    pub async fn mark_push_gone(
        &self,
        record: &CsRecord,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        mark_gone_in(&self.inner.write, record, error, at).await
    }

    /// Makes every row of a workspace that was pushed before pending again, with no baseline
    /// (after the attribute names changed, Intercom holds nothing under the new names).
    /// Returns how many rows were queued.
    pub async fn requeue_pushed(&self, workspace: WorkspaceId, now: DateTime<Utc>) -> Result<u64> {
        let result = erase(cs_attribute::Entity::update_many(), now)
            .filter(Column::WorkspaceId.eq(workspace.0))
            .filter(Column::GoneAt.is_null())
            .filter(
                Condition::any()
                    .add(Column::PushedAt.is_not_null())
                    .add(Column::PushedTriggerHash.is_not_null()),
            )
            .exec(&self.inner.write)
            .await?;
        Ok(result.rows_affected)
    }

    /// A workspace's writeback figures, with at most `failure_limit` failing or gone rows.
    pub async fn writeback_counts(
        &self,
        workspace: WorkspaceId,
        now: DateTime<Utc>,
        failure_limit: u64,
    ) -> Result<WritebackCounts> {
        let db = &self.inner.read;
        let of_workspace =
            || cs_attribute::Entity::find().filter(Column::WorkspaceId.eq(workspace.0));
        let pending = of_workspace().filter(Column::NeedsPush.eq(true));
        let failing = || {
            Condition::any()
                .add(
                    Condition::all()
                        .add(Column::NeedsPush.eq(true))
                        .add(Column::LastError.is_not_null()),
                )
                .add(Column::GoneAt.is_not_null())
        };
        let oldest: Option<Option<DateTime<Utc>>> = pending
            .clone()
            .select_only()
            .column_as(Expr::col(Column::PendingSince).min(), "oldest")
            .into_tuple()
            .one(db)
            .await?;
        let failures = of_workspace()
            .filter(failing())
            .order_by_desc(Column::Attempts)
            .order_by_asc(Column::Id)
            .limit(failure_limit)
            .all(db)
            .await?
            .into_iter()
            .map(|row| {
                to_record(row).map(|r| PushFailure {
                    subject: r.subject,
                    attempts: r.attempts,
                    last_error: r.last_error.unwrap_or_default(),
                    next_attempt_at: r.next_attempt_at,
                    gone_at: r.gone_at,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(WritebackCounts {
            pending: pending.clone().count(db).await?,
            failing: pending
                .clone()
                .filter(Column::LastError.is_not_null())
                .count(db)
                .await?,
            in_flight: of_workspace()
                .filter(Column::ClaimedUntil.gt(now))
                .count(db)
                .await?,
            pushed: of_workspace()
                .filter(Column::PushedAt.is_not_null())
                .count(db)
                .await?,
            gone: of_workspace()
                .filter(Column::GoneAt.is_not_null())
                .count(db)
                .await?,
            oldest_pending_since: oldest.flatten(),
            failures,
        })
    }
}

fn null_time() -> SimpleExpr {
    Expr::value(Option::<DateTime<Utc>>::None)
}

fn null_json() -> SimpleExpr {
    Expr::value(Option::<serde_json::Value>::None)
}

/// Sets the columns that make a row pending with no baseline.
fn erase(
    update: sea_orm::UpdateMany<cs_attribute::Entity>,
    now: DateTime<Utc>,
) -> sea_orm::UpdateMany<cs_attribute::Entity> {
    update
        .col_expr(
            Column::PushedTriggerHash,
            Expr::value(Option::<String>::None),
        )
        .col_expr(Column::PushedHash, Expr::value(Option::<String>::None))
        .col_expr(Column::PushedAttributes, null_json())
        .col_expr(Column::NeedsPush, Expr::value(true))
        .col_expr(
            Column::PendingSince,
            Expr::col(Column::PendingSince).if_null(now),
        )
        .col_expr(
            Column::NextAttemptAt,
            Expr::col(Column::NextAttemptAt).if_null(now),
        )
}

/// Like [`erase`], leaving `next_attempt_at` to the caller.
fn erase_keeping_schedule(
    update: sea_orm::UpdateMany<cs_attribute::Entity>,
    now: DateTime<Utc>,
) -> sea_orm::UpdateMany<cs_attribute::Entity> {
    update
        .col_expr(
            Column::PushedTriggerHash,
            Expr::value(Option::<String>::None),
        )
        .col_expr(Column::PushedHash, Expr::value(Option::<String>::None))
        .col_expr(Column::PushedAttributes, null_json())
        .col_expr(Column::NeedsPush, Expr::value(true))
        .col_expr(
            Column::PendingSince,
            Expr::col(Column::PendingSince).if_null(now),
        )
}

/// Erases one row's baseline without touching its claim (which another pusher may hold).
fn erase_baseline(id: i64, now: DateTime<Utc>) -> sea_orm::UpdateMany<cs_attribute::Entity> {
    erase(cs_attribute::Entity::update_many(), now).filter(Column::Id.eq(id))
}

async fn mark_pushed_in<C: ConnectionTrait>(
    db: &C,
    pushed: &CsRecord,
    attributes: &serde_json::Value,
    at: DateTime<Utc>,
) -> Result<bool> {
    let held = cs_attribute::Entity::update_many()
        .col_expr(
            Column::PushedTriggerHash,
            Expr::value(pushed.trigger_hash.clone()),
        )
        .col_expr(
            Column::PushedHash,
            Expr::value(pushed.attributes.content_hash().into_string()),
        )
        .col_expr(Column::PushedAttributes, Expr::value(attributes.clone()))
        .col_expr(Column::PushedAt, Expr::value(at))
        .col_expr(Column::NeedsPush, Expr::value(false))
        .col_expr(Column::PendingSince, null_time())
        .col_expr(Column::NextAttemptAt, null_time())
        .col_expr(Column::Attempts, Expr::value(0))
        .col_expr(Column::LastError, Expr::value(Option::<String>::None))
        .col_expr(Column::GoneAt, null_time())
        .col_expr(Column::ClaimToken, Expr::value(Option::<i64>::None))
        .col_expr(Column::ClaimedUntil, null_time())
        .filter(Column::Id.eq(pushed.id))
        .filter(Column::ClaimToken.eq(pushed.claim_token))
        .exec(db)
        .await?
        .rows_affected
        == 1;
    if held {
        // The host changed the trigger fields while the push was in flight.
        cs_attribute::Entity::update_many()
            .col_expr(Column::NeedsPush, Expr::value(true))
            .col_expr(Column::PendingSince, Expr::value(at))
            .col_expr(Column::NextAttemptAt, Expr::value(at))
            .filter(Column::Id.eq(pushed.id))
            .filter(Column::TriggerHash.ne(pushed.trigger_hash.clone()))
            .exec(db)
            .await?;
    } else {
        erase_baseline(pushed.id, at).exec(db).await?;
    }
    Ok(held)
}

async fn mark_failed_in<C: ConnectionTrait>(
    db: &C,
    record: &CsRecord,
    error: &str,
    retry_at: DateTime<Utc>,
    uncertain: bool,
) -> Result<()> {
    let mut update = cs_attribute::Entity::update_many()
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .col_expr(Column::LastError, Expr::value(error.to_owned()))
        .col_expr(Column::NextAttemptAt, Expr::value(retry_at))
        .col_expr(Column::ClaimToken, Expr::value(Option::<i64>::None))
        .col_expr(Column::ClaimedUntil, null_time());
    if uncertain {
        update = erase_keeping_schedule(update, retry_at);
    }
    let held = update
        .filter(Column::Id.eq(record.id))
        .filter(Column::ClaimToken.eq(record.claim_token))
        .exec(db)
        .await?
        .rows_affected
        == 1;
    if !held && uncertain {
        erase_baseline(record.id, retry_at).exec(db).await?;
    }
    Ok(())
}

async fn mark_gone_in<C: ConnectionTrait>(
    db: &C,
    record: &CsRecord,
    error: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    cs_attribute::Entity::update_many()
        .col_expr(Column::GoneAt, Expr::value(at))
        .col_expr(Column::NeedsPush, Expr::value(false))
        .col_expr(Column::PendingSince, null_time())
        .col_expr(Column::NextAttemptAt, null_time())
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .col_expr(Column::LastError, Expr::value(error.to_owned()))
        .col_expr(
            Column::PushedTriggerHash,
            Expr::value(Option::<String>::None),
        )
        .col_expr(Column::PushedHash, Expr::value(Option::<String>::None))
        .col_expr(Column::PushedAttributes, null_json())
        .col_expr(Column::ClaimToken, Expr::value(Option::<i64>::None))
        .col_expr(Column::ClaimedUntil, null_time())
        .filter(Column::Id.eq(record.id))
        .filter(Column::ClaimToken.eq(record.claim_token))
        .exec(db)
        .await?;
    Ok(())
}
