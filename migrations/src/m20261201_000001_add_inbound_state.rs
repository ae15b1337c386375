//! Inbound pipeline state: per-contact markers that drive the company and event streams,
//! deleted contacts, workspace connection health and lead import, richer run figures.
//!
//! One column per `ALTER TABLE`: SQLite accepts a single change per statement.

use crate::common::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, column definition) pairs this migration adds.
fn added_columns() -> Vec<(&'static str, ColumnDef)> {
    vec![
        // Intercom answered 404 for the contact: kept for history, left out of feeds.
        ("contacts", ts_null("deleted_at")),
        // The contact's `updated_at` when its companies were last fetched: a contact whose
        // `updated_at` moved since has companies to refresh.
        ("contacts", ts_null("companies_synced_updated_at")),
        // The contact's `updated_at` and `last_seen_at` when its events were last listed.
        ("contacts", ts_null("events_synced_updated_at")),
        ("contacts", ts_null("events_synced_last_seen_at")),
        (
            "workspaces",
            boolean("include_leads").default(false).to_owned(),
        ),
        // Why the workspace's jobs stopped (e.g. a revoked token); null while healthy.
        ("workspaces", text_null("connection_error")),
        ("workspaces", ts_null("connection_error_at")),
        ("sync_runs", text_null("kind")),
        (
            "sync_runs",
            big_integer("records_read").default(0).to_owned(),
        ),
        (
            "sync_runs",
            big_integer("records_unchanged").default(0).to_owned(),
        ),
        (
            "sync_runs",
            big_integer("records_skipped").default(0).to_owned(),
        ),
        // {"reason": count} of the records skipped, as JSON text.
        ("sync_runs", text_null("skipped_reasons")),
        (
            "sync_runs",
            big_integer("duration_ms").default(0).to_owned(),
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, mut column) in added_columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        create_indexes(
            manager,
            vec![unique_index("workspaces", "ux_workspaces_name", &["name"])],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ux_workspaces_name")
                    .table("workspaces")
                    .to_owned(),
            )
            .await?;
        for (table, column) in added_columns().into_iter().rev() {
            let name = column.get_column_name();
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column(Alias::new(name))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
