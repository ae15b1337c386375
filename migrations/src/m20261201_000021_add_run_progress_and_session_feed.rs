//! Live progress of a running sync run (records done and the estimate, written every few
//! seconds while it runs, so status shows done-of-estimated, rate and ETA from any instance),
//! and what the sessions feed needs: the point from which a rebuild replaced a contact's
//! sessions, and an index to page sessions by id.
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
        // Records the running run has read so far, and how many it expects in all.
        ("sync_runs", big_integer_null("progress_done")),
        ("sync_runs", big_integer_null("progress_estimate")),
        ("sync_runs", ts_null("progress_at")),
        // The rebuild that wrote the session replaced the contact's sessions starting at or
        // after this instant (a feed reader drops its copies from there on).
        ("sessions", ts_null("replaced_from")),
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
            vec![index(
                "sessions",
                "ix_sessions_feed",
                &["workspace_id", "id"],
            )],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_sessions_feed")
                    .table("sessions")
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
