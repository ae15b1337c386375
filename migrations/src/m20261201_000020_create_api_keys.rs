//! `api_keys`: the keys the HTTP API accepts, stored hashed, each with a scope (`admin` or
//! `host`). A key belongs to the installation, not to a workspace, so its unique key
//! (`key_id`, the public part of the key) does not start with `workspace_id`.

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
                    .table("api_keys")
                    .col(id("id"))
                    // The public part of the key (`icsync_<key_id>_<secret>`): finds the row.
                    .col(text("key_id"))
                    .col(text("name"))
                    .col(text("scope"))
                    // SHA-256 of the whole key, hex; the key itself is never stored.
                    .col(text("key_hash"))
                    .col(ts("created_at"))
                    .col(ts_null("revoked_at"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![unique_index("api_keys", "ux_api_keys_key_id", &["key_id"])],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["api_keys"]).await
    }
}
