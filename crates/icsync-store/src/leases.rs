//! Instances and workspace leases: how several `icsync serve` processes on one PostgreSQL
//! database split the workspaces so that each runs on exactly one of them at a time.
//!
//! An instance registers a row and heartbeats it. A workspace's lease names the instance that
//! runs its jobs and pushes and until when; the holder renews it well before it expires, and
//! any instance may take a lease that has expired. Every transition is one conditional
//! statement, so two instances racing for a lease cannot both win: the `UPDATE` re-checks the
//! holder and expiry under the row lock, and the `INSERT` of a first lease conflicts on the
//! workspace's unique key.
//!
//! Times are the callers' clocks (`now`): instances must keep their clocks in step to well
//! under the lease's length, as with any lease.

use crate::Store;
use crate::entities::{instance, workspace_lease};
use crate::error::Result;
use chrono::{DateTime, Utc};
use icsync_domain::WorkspaceId;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, TryInsertResult,
};

/// An instance announcing itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInstance {
    pub instance_id: String,
    pub hostname: String,
    pub pid: u32,
    /// `sqlite` or `postgres`.
    pub backend: String,
}

/// An instance as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub instance_id: String,
    pub hostname: String,
    pub pid: i64,
    pub backend: String,
    pub started_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
}

/// A workspace's lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub workspace: WorkspaceId,
    pub owner: String,
    pub acquired_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// Records a starting instance (heartbeat now).
    pub async fn register_instance(&self, new: &NewInstance, now: DateTime<Utc>) -> Result<()> {
        instance::Entity::insert(instance::ActiveModel {
            instance_id: Set(new.instance_id.clone()),
            hostname: Set(new.hostname.clone()),
            pid: Set(i64::from(new.pid)),
            backend: Set(new.backend.clone()),
            started_at: Set(now),
            heartbeat_at: Set(now),
            stopped_at: Set(None),
            ..Default::default()
        })
        .exec(&self.inner.write)
        .await?;
        Ok(())
    }

    /// Moves an instance's heartbeat to `now`; false when it is not registered or has stopped.
    pub async fn heartbeat_instance(&self, instance_id: &str, now: DateTime<Utc>) -> Result<bool> {
        let result = instance::Entity::update_many()
            .col_expr(instance::Column::HeartbeatAt, Expr::value(now))
            .filter(instance::Column::InstanceId.eq(instance_id))
            .filter(instance::Column::StoppedAt.is_null())
            .exec(&self.inner.write)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Marks an instance stopped and gives back every lease it holds, so other instances take
    /// its workspaces at once instead of after the expiry.
    pub async fn stop_instance(&self, instance_id: &str, now: DateTime<Utc>) -> Result<u64> {
        instance::Entity::update_many()
            .col_expr(instance::Column::StoppedAt, Expr::value(now))
            .filter(instance::Column::InstanceId.eq(instance_id))
            .exec(&self.inner.write)
            .await?;
        let released = workspace_lease::Entity::delete_many()
            .filter(workspace_lease::Column::Owner.eq(instance_id))
            .exec(&self.inner.write)
            .await?;
        Ok(released.rows_affected)
    }

    /// Instances that have not stopped and heartbeat at or after `since`, oldest first.
    pub async fn live_instances(&self, since: DateTime<Utc>) -> Result<Vec<Instance>> {
        Ok(instance::Entity::find()
            .filter(instance::Column::StoppedAt.is_null())
            .filter(instance::Column::HeartbeatAt.gte(since))
            .order_by_asc(instance::Column::Id)
            .all(&self.inner.write)
            .await?
            .into_iter()
            .map(|row| Instance {
                instance_id: row.instance_id,
                hostname: row.hostname,
                pid: row.pid,
                backend: row.backend,
                started_at: row.started_at,
                heartbeat_at: row.heartbeat_at,
                stopped_at: row.stopped_at,
            })
            .collect())
    }

    /// Takes the workspace's lease for `owner` until `expires_at` if it is free, expired, or
    /// already `owner`'s (then it is renewed, keeping its `acquired_at`). True when `owner`
    /// holds it afterwards.
    pub async fn acquire_lease(
        &self,
        workspace: WorkspaceId,
        owner: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<bool> {
        if self.renew_lease(workspace, owner, expires_at).await? {
            return Ok(true);
        }
        let taken = workspace_lease::Entity::update_many()
            .col_expr(workspace_lease::Column::Owner, Expr::value(owner))
            .col_expr(workspace_lease::Column::AcquiredAt, Expr::value(now))
            .col_expr(workspace_lease::Column::ExpiresAt, Expr::value(expires_at))
            .filter(workspace_lease::Column::WorkspaceId.eq(workspace.0))
            .filter(workspace_lease::Column::ExpiresAt.lt(now))
            .exec(&self.inner.write)
            .await?;
        if taken.rows_affected == 1 {
            return Ok(true);
        }
        let inserted = workspace_lease::Entity::insert(workspace_lease::ActiveModel {
            workspace_id: Set(workspace.0),
            owner: Set(owner.to_owned()),
            acquired_at: Set(now),
            expires_at: Set(expires_at),
            ..Default::default()
        })
        .on_conflict_do_nothing_on([workspace_lease::Column::WorkspaceId])
        .exec(&self.inner.write)
        .await?;
        if matches!(inserted, TryInsertResult::Inserted(_)) {
            return Ok(true);
        }
        // A conflict means another instance inserted first; read the row rather than trust
        // the driver's report (sea-orm warns it can be a false negative).
        let row = workspace_lease::Entity::find()
            .filter(workspace_lease::Column::WorkspaceId.eq(workspace.0))
            .one(&self.inner.write)
            .await?;
        Ok(row.is_some_and(|row| row.owner == owner))
    }

    /// Extends `owner`'s lease of the workspace to `expires_at`; false when `owner` does not
    /// hold it (it expired and another instance took it, or it was released).
    pub async fn renew_lease(
        &self,
        workspace: WorkspaceId,
        owner: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool> {
        let renewed = workspace_lease::Entity::update_many()
            .col_expr(workspace_lease::Column::ExpiresAt, Expr::value(expires_at))
            .filter(workspace_lease::Column::WorkspaceId.eq(workspace.0))
            .filter(workspace_lease::Column::Owner.eq(owner))
            .exec(&self.inner.write)
            .await?;
        Ok(renewed.rows_affected == 1)
    }

    /// Gives the lease back (when `owner` holds it) so another instance may take it now.
    pub async fn release_lease(&self, workspace: WorkspaceId, owner: &str) -> Result<bool> {
        let released = workspace_lease::Entity::delete_many()
            .filter(workspace_lease::Column::WorkspaceId.eq(workspace.0))
            .filter(workspace_lease::Column::Owner.eq(owner))
            .exec(&self.inner.write)
            .await?;
        Ok(released.rows_affected == 1)
    }

    /// Every lease, by workspace; `live_at` keeps only those not expired at that time.
    pub async fn leases(&self, live_at: Option<DateTime<Utc>>) -> Result<Vec<Lease>> {
        let mut query = workspace_lease::Entity::find();
        if let Some(at) = live_at {
            query = query.filter(Condition::all().add(workspace_lease::Column::ExpiresAt.gte(at)));
        }
        Ok(query
            .order_by_asc(workspace_lease::Column::WorkspaceId)
            .all(&self.inner.write)
            .await?
            .into_iter()
            .map(|row| Lease {
                workspace: WorkspaceId(row.workspace_id),
                owner: row.owner,
                acquired_at: row.acquired_at,
                expires_at: row.expires_at,
            })
            .collect())
    }
}
