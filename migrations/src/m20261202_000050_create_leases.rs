//! `instances` and `workspace_leases`: several `icsync serve` processes share one PostgreSQL
//! database and split the workspaces between them. Each instance heartbeats its row; each
//! workspace's jobs and pushes run on the instance holding its lease, which it renews while it
//! lives and which another instance takes once it has expired.
//!
//! `instances` belongs to the installation (its unique key is the instance id), like
//! `api_keys`; a lease belongs to its workspace and goes with it.

use crate::common::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("instances")
                    .col(id("id"))
                    // Random per process start: `<host>-<pid>-<random>`.
                    .col(text("instance_id"))
                    .col(text("hostname"))
                    .col(big_integer("pid"))
                    .col(text("backend"))
                    .col(ts("started_at"))
                    .col(ts("heartbeat_at"))
                    .col(ts_null("stopped_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("workspace_leases")
                    .col(id("id"))
                    .col(workspace_id())
                    // The instance id of the holder.
                    .col(text("owner"))
                    .col(ts("acquired_at"))
                    .col(ts("expires_at"))
                    .foreign_key(&mut workspace_fk("workspace_leases"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                unique_index("instances", "ux_instances_instance_id", &["instance_id"]),
                unique_index(
                    "workspace_leases",
                    "ux_workspace_leases_workspace",
                    &["workspace_id"],
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["workspace_leases", "instances"]).await
    }
}
