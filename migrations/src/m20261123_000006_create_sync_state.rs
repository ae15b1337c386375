//! `sync_checkpoints` (per workspace and stream) and `sync_runs` (one row per run).

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
                    .table("sync_checkpoints")
                    .col(id("id"))
                    .col(workspace_id())
                    .col(text("stream"))
                    .col(ts_null("watermark"))
                    .col(text_null("cursor"))
                    .col(text("status").default("idle"))
                    .col(big_integer("records_total").default(0))
                    .col(ts("updated_at"))
                    .foreign_key(&mut workspace_fk("sync_checkpoints"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("sync_runs")
                    .col(id("id"))
                    .col(workspace_id())
                    .col(text("stream"))
                    .col(text("status"))
                    .col(ts("started_at"))
                    .col(ts_null("finished_at"))
                    .col(big_integer("records").default(0))
                    .col(big_integer("requests").default(0))
                    .col(big_integer("retries").default(0))
                    .col(big_integer("rate_limited").default(0))
                    .col(big_integer("errors").default(0))
                    .col(big_integer("shadowed_attributes").default(0))
                    .col(big_integer("pacer_wait_ms").default(0))
                    .col(text_null("error_message"))
                    .foreign_key(&mut workspace_fk("sync_runs"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                unique_index(
                    "sync_checkpoints",
                    "ux_sync_checkpoints_stream",
                    &["workspace_id", "stream"],
                ),
                index(
                    "sync_runs",
                    "ix_sync_runs_stream",
                    &["workspace_id", "stream", "started_at"],
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["sync_runs", "sync_checkpoints"]).await
    }
}
