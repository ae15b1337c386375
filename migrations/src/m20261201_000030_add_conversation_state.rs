//! Conversation state the inbound conversations stream needs: when Intercom stopped knowing a
//! conversation (404: kept for history, left out of timelines) and the normalized email that
//! links it to host contacts.
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
        // Intercom answered 404 for the conversation; an import that sees it again clears it.
        ("conversations", ts_null("deleted_at")),
        // The trimmed, lower-cased email of the first participant that has one: how host
        // contacts find their conversations. Null: the conversation is stored but unmatched.
        ("conversations", text_null("contact_email")),
    ]
}

const EMAIL_INDEX: &str = "ix_conversations_contact_email";

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
                "conversations",
                EMAIL_INDEX,
                &["workspace_id", "contact_email"],
            )],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(EMAIL_INDEX)
                    .table("conversations")
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
