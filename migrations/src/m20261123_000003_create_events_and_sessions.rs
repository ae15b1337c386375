//! `events` (with `seq`, the health-scoring feed's cursor) and `sessions`.

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
                    .table("events")
                    // The feed cursor: assigned at insert, never changed, increasing in commit
                    // order within a workspace (SQLite AUTOINCREMENT never reuses a value; the
                    // store serialises a workspace's event inserts on PostgreSQL).
                    .col(id("seq"))
                    .col(workspace_id())
                    .col(text("contact_intercom_id"))
                    .col(text("event_name"))
                    .col(ts("occurred_at"))
                    .col(json_object("metadata"))
                    .col(text("dedupe_key"))
                    .col(ts("imported_at"))
                    .foreign_key(&mut workspace_fk("events"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("sessions")
                    .col(id("id"))
                    .col(workspace_id())
                    .col(text("contact_intercom_id"))
                    .col(ts("started_at"))
                    .col(ts("ended_at"))
                    .col(big_integer("event_count"))
                    .col(ts("rebuilt_at"))
                    .foreign_key(&mut workspace_fk("sessions"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                unique_index(
                    "events",
                    "ux_events_dedupe_key",
                    &["workspace_id", "dedupe_key"],
                ),
                index(
                    "events",
                    "ix_events_contact_time",
                    &["workspace_id", "contact_intercom_id", "occurred_at"],
                ),
                index("events", "ix_events_feed", &["workspace_id", "seq"]),
                unique_index(
                    "sessions",
                    "ux_sessions_contact_start",
                    &["workspace_id", "contact_intercom_id", "started_at"],
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["sessions", "events"]).await
    }
}
