//! `seen_signals`: each `last_seen_at` a sync observed for a contact. With custom events they
//! are the signals the sessionizer rebuilds sessions from (Intercom exports no sessions).

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
                    .table("seen_signals")
                    .col(id("id"))
                    .col(workspace_id())
                    .col(text("contact_intercom_id"))
                    .col(ts("seen_at"))
                    .foreign_key(&mut workspace_fk("seen_signals"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![unique_index(
                "seen_signals",
                "ux_seen_signals",
                &["workspace_id", "contact_intercom_id", "seen_at"],
            )],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["seen_signals"]).await
    }
}
