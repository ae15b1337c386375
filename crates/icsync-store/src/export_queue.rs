//! The export queue: claiming due records under a lease (the same [`ClaimRequest`] as
//! writeback's queue), recording each export's outcome, and the per-workspace figures status
//! shows.
//!
//! **Invariant** (as writeback's): a failed export never becomes the baseline; an export whose
//! outcome is unknown (Intercom may have applied part of it) erases the baseline, so the record
//! is exported again whatever the host sends next. The baseline moves only when the export of
//! the claim succeeded.

use crate::Store;
use crate::cs_queue::ClaimRequest;
use crate::entities::export_record::{self, Column};
use crate::error::Result;
use crate::export::{ExportStatus, ManagedTag, StoredExportRecord, to_record};
use chrono::{DateTime, Utc};
use icsync_domain::WorkspaceId;
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, TransactionTrait,
};

/// How one export attempt ended (see [`Store::record_export_outcomes`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ExportOutcome {
    /// The claimed record the attempt was for.
    pub record: StoredExportRecord,
    pub at: DateTime<Utc>,
    pub result: ExportResult,
    /// The contact as the attempt left it (recorded whatever the result, so what the attempt
    /// learnt or created is never lost).
    pub contact: ContactLink,
}

/// The Intercom contact a record is linked to, and the tags the export applied to it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactLink {
    pub intercom_id: Option<String>,
    pub intercom_role: Option<String>,
    pub archived: bool,
    pub managed_tags: Vec<ManagedTag>,
}

/// The result of one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportResult {
    /// Intercom now holds the desired state.
    Exported { note: Option<String> },
    /// The removal is done (or, in additive mode, deliberately left undone).
    Removed { note: Option<String> },
    /// Enrich mode: no such contact in Intercom.
    Skipped { reason: String },
    /// Refused for good (until the host changes the record).
    Rejected { reason: String },
    /// Retried at `retry_at`; `uncertain` when Intercom may have acted on it.
    Failed {
        error: String,
        retry_at: DateTime<Utc>,
        uncertain: bool,
    },
}

/// A workspace's export figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportCounts {
    pub records: u64,
    /// Waiting for an export (due or in backoff).
    pub pending: u64,
    /// Pending records whose last attempt failed.
    pub failing: u64,
    pub in_flight: u64,
    /// Records whose last settled outcome is each status and that wait for nothing.
    pub exported: u64,
    pub removed: u64,
    pub rejected: u64,
    pub skipped: u64,
    pub oldest_pending_since: Option<DateTime<Utc>>,
    /// Failing, rejected and skipped records with their reasons (most attempts first).
    pub problems: Vec<ExportProblem>,
}

/// A record that is not in Intercom as the host wants, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportProblem {
    pub host_id: String,
    pub status: ExportStatus,
    pub attempts: i32,
    pub reason: String,
    /// When the last attempt ended as it did.
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Claims up to `limit` due records of a workspace, oldest first; two exporters never hold
    /// the same record (the claim is one `UPDATE` that re-checks the record is free).
    pub async fn claim_exports(&self, request: &ClaimRequest) -> Result<Vec<StoredExportRecord>> {
        let now = request.now;
        let free = || {
            Condition::any()
                .add(Column::ClaimedUntil.is_null())
                .add(Column::ClaimedUntil.lt(now))
        };
        let mut due = export_record::Entity::find()
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
        // A claim that expired without an outcome (its exporter stopped mid-attempt) may have
        // changed Intercom: its record's baseline is no longer known.
        export_record::Entity::update_many()
            .col_expr(Column::ExportedHash, null_text())
            .filter(Column::WorkspaceId.eq(request.workspace.0))
            .filter(Column::ClaimToken.is_not_null())
            .filter(Column::ClaimedUntil.lt(now))
            .filter(Column::ExportedHash.is_not_null())
            .exec(&self.inner.write)
            .await?;
        let token = fastrand::i64(1..i64::MAX);
        let claimed = export_record::Entity::update_many()
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

    /// Records many outcomes in one transaction (one commit per batch).
    pub async fn record_export_outcomes(&self, outcomes: &[ExportOutcome]) -> Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let txn = self.inner.write.begin().await?;
        for outcome in outcomes {
            record_in(&txn, outcome).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Records, before they are attached, the tags an attempt is about to apply and the
    /// contact it applies them to, so an attempt cut short never leaves a tag the export would
    /// not know to take off. Only while the claim holds; false otherwise.
    pub async fn note_export_link(
        &self,
        claimed: &StoredExportRecord,
        link: &ContactLink,
    ) -> Result<bool> {
        Ok(link_columns(export_record::Entity::update_many(), link)
            .filter(Column::Id.eq(claimed.id))
            .filter(Column::ClaimToken.eq(claimed.claim_token))
            .exec(&self.inner.write)
            .await?
            .rows_affected
            == 1)
    }

    /// Every pending record of a workspace is tried now (`icsync export run --now`).
    pub async fn export_due_now(&self, workspace: WorkspaceId, now: DateTime<Utc>) -> Result<u64> {
        Ok(export_record::Entity::update_many()
            .col_expr(Column::NextAttemptAt, Expr::value(now))
            .filter(Column::WorkspaceId.eq(workspace.0))
            .filter(Column::NeedsPush.eq(true))
            .exec(&self.inner.write)
            .await?
            .rows_affected)
    }

    /// A workspace's export figures, with at most `problem_limit` problem records.
    pub async fn export_counts(
        &self,
        workspace: WorkspaceId,
        now: DateTime<Utc>,
        problem_limit: u64,
    ) -> Result<ExportCounts> {
        let db = &self.inner.read;
        let of_workspace =
            || export_record::Entity::find().filter(Column::WorkspaceId.eq(workspace.0));
        let pending = || of_workspace().filter(Column::NeedsPush.eq(true));
        let settled = |status: ExportStatus| {
            of_workspace()
                .filter(Column::NeedsPush.eq(false))
                .filter(Column::Status.eq(status.as_str()))
        };
        let oldest: Option<Option<DateTime<Utc>>> = pending()
            .select_only()
            .column_as(Expr::col(Column::PendingSince).min(), "oldest")
            .into_tuple()
            .one(db)
            .await?;
        let problems = of_workspace()
            .filter(
                Condition::any()
                    .add(
                        Condition::all()
                            .add(Column::NeedsPush.eq(true))
                            .add(Column::LastError.is_not_null()),
                    )
                    .add(Condition::all().add(Column::NeedsPush.eq(false)).add(
                        Column::Status.is_in([
                            ExportStatus::Rejected.as_str(),
                            ExportStatus::Skipped.as_str(),
                        ]),
                    )),
            )
            .order_by_desc(Column::Attempts)
            .order_by_asc(Column::Id)
            .limit(problem_limit)
            .all(db)
            .await?
            .into_iter()
            .map(|row| {
                to_record(row).map(|r| ExportProblem {
                    host_id: r.record.host_id,
                    status: if r.needs_push {
                        ExportStatus::Failed
                    } else {
                        r.status
                    },
                    attempts: r.attempts,
                    reason: r.last_error.unwrap_or_default(),
                    last_attempt_at: r.last_attempt_at,
                    next_attempt_at: r.next_attempt_at.filter(|_| r.needs_push),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ExportCounts {
            records: of_workspace().count(db).await?,
            pending: pending().count(db).await?,
            failing: pending()
                .filter(Column::LastError.is_not_null())
                .count(db)
                .await?,
            in_flight: of_workspace()
                .filter(Column::ClaimedUntil.gt(now))
                .count(db)
                .await?,
            exported: settled(ExportStatus::Exported).count(db).await?,
            removed: settled(ExportStatus::Removed).count(db).await?,
            rejected: settled(ExportStatus::Rejected).count(db).await?,
            skipped: settled(ExportStatus::Skipped).count(db).await?,
            oldest_pending_since: oldest.flatten(),
            problems,
        })
    }
}

fn null_time() -> SimpleExpr {
    Expr::value(Option::<DateTime<Utc>>::None)
}

fn null_text() -> SimpleExpr {
    Expr::value(Option::<String>::None)
}

fn link_columns(
    update: sea_orm::UpdateMany<export_record::Entity>,
    link: &ContactLink,
) -> sea_orm::UpdateMany<export_record::Entity> {
    let tags = serde_json::to_value(&link.managed_tags).unwrap_or(serde_json::Value::Null);
    update
        .col_expr(Column::IntercomId, Expr::value(link.intercom_id.clone()))
        .col_expr(
            Column::IntercomRole,
            Expr::value(link.intercom_role.clone()),
        )
        .col_expr(Column::IntercomArchived, Expr::value(link.archived))
        .col_expr(Column::ManagedTags, Expr::value(tags))
}

/// Makes a record pending with no baseline (its claim, if another exporter holds it, stays).
fn erase_baseline(id: i64, at: DateTime<Utc>) -> sea_orm::UpdateMany<export_record::Entity> {
    export_record::Entity::update_many()
        .col_expr(Column::ExportedHash, null_text())
        .col_expr(Column::NeedsPush, Expr::value(true))
        .col_expr(
            Column::PendingSince,
            Expr::col(Column::PendingSince).if_null(at),
        )
        .col_expr(
            Column::NextAttemptAt,
            Expr::col(Column::NextAttemptAt).if_null(at),
        )
        .filter(Column::Id.eq(id))
}

async fn record_in<C: ConnectionTrait>(db: &C, outcome: &ExportOutcome) -> Result<()> {
    let record = &outcome.record;
    let at = outcome.at;
    let held = || {
        export_record::Entity::update_many()
            .filter(Column::Id.eq(record.id))
            .filter(Column::ClaimToken.eq(record.claim_token))
    };
    let release = |update: sea_orm::UpdateMany<export_record::Entity>| {
        link_columns(update, &outcome.contact)
            .col_expr(Column::ClaimToken, Expr::value(Option::<i64>::None))
            .col_expr(Column::ClaimedUntil, null_time())
    };
    let settle = |status: ExportStatus, note: Option<String>, error: Option<String>| {
        let mut update = release(held())
            .col_expr(
                Column::ExportedHash,
                Expr::value(record.desired_hash.clone()),
            )
            .col_expr(Column::NeedsPush, Expr::value(false))
            .col_expr(Column::PendingSince, null_time())
            .col_expr(Column::NextAttemptAt, null_time())
            .col_expr(Column::Attempts, Expr::value(0))
            .col_expr(Column::LastError, Expr::value(error))
            .col_expr(Column::Status, Expr::value(status.as_str()))
            .col_expr(Column::Note, Expr::value(note));
        if matches!(status, ExportStatus::Exported | ExportStatus::Removed) {
            update = update.col_expr(Column::ExportedAt, Expr::value(at));
        }
        update
    };
    let update = match &outcome.result {
        ExportResult::Exported { note } => settle(ExportStatus::Exported, note.clone(), None),
        ExportResult::Removed { note } => settle(ExportStatus::Removed, note.clone(), None),
        ExportResult::Skipped { reason } => {
            settle(ExportStatus::Skipped, None, Some(reason.clone()))
        }
        ExportResult::Rejected { reason } => {
            settle(ExportStatus::Rejected, None, Some(reason.clone()))
        }
        ExportResult::Failed {
            error,
            retry_at,
            uncertain,
        } => {
            let mut update = release(held())
                .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
                .col_expr(Column::LastError, Expr::value(error.clone()))
                .col_expr(Column::NextAttemptAt, Expr::value(*retry_at))
                .col_expr(Column::Status, Expr::value(ExportStatus::Failed.as_str()));
            if *uncertain {
                update = update.col_expr(Column::ExportedHash, null_text());
            }
            update
        }
    };
    let held = update.exec(db).await?.rows_affected == 1;
    if !held {
        // The claim expired and another exporter took the record: who wrote last is unknown.
        erase_baseline(record.id, at).exec(db).await?;
        return Ok(());
    }
    if !matches!(outcome.result, ExportResult::Failed { .. }) {
        // The host changed the record while the export was in flight.
        export_record::Entity::update_many()
            .col_expr(Column::NeedsPush, Expr::value(true))
            .col_expr(Column::PendingSince, Expr::value(at))
            .col_expr(Column::NextAttemptAt, Expr::value(at))
            .filter(Column::Id.eq(record.id))
            .filter(Column::DesiredHash.ne(record.desired_hash.clone()))
            .exec(db)
            .await?;
    }
    Ok(())
}
