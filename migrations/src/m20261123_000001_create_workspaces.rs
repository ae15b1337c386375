//! `workspaces`: connected Intercom workspaces, their settings and encrypted secrets.

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
                    .table("workspaces")
                    .col(id("id"))
                    .col(text("name"))
                    .col(text_null("intercom_app_id"))
                    .col(text("region").default("us"))
                    .col(text_null("base_url"))
                    // Encrypted with the store's key (nonce + AEAD ciphertext); never plaintext.
                    .col(blob_null("access_token_enc"))
                    .col(blob_null("webhook_secret_enc"))
                    .col(boolean("user_tracking").default(false))
                    .col(boolean("primary_source_is_intercom").default(false))
                    .col(boolean("writeback_enabled").default(false))
                    .col(integer("backfill_days").default(60))
                    .col(text_null("timezone"))
                    .col(ts_null("connected_at"))
                    .col(ts_null("disconnected_at"))
                    .col(ts("created_at"))
                    .col(ts("updated_at"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![unique_index(
                "workspaces",
                "ux_workspaces_intercom_app_id",
                &["intercom_app_id"],
            )],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["workspaces"]).await
    }
}
