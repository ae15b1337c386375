//! One index for events instead of two, ordered by contact: the unique key becomes
//! `(workspace_id, contact_intercom_id, occurred_at, dedupe_key)` in place of
//! `(workspace_id, dedupe_key)` plus the non-unique `(workspace_id, contact_intercom_id,
//! occurred_at)`.
//!
//! The same rows are unique either way: the dedupe key is a digest of contact, name, time and
//! metadata, so one key never has two contacts or two times. But a digest spreads a page's
//! events over the whole old unique index, so every commit rewrote most of its pages (the
//! events stream of a 100k-contact backfill spent four tenths of its SQLite writer's time
//! writing and checkpointing pages); ordered by contact, a page's events land on a few.
//! Reads by contact and time use the new index's first three columns as they used the old one.

use crate::common::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const OLD_UNIQUE: &str = "ux_events_dedupe_key";
const OLD_CONTACT_TIME: &str = "ix_events_contact_time";
const NEW_UNIQUE: &str = "ux_events_contact_time_key";

async fn drop_index(manager: &SchemaManager<'_>, name: &str) -> Result<(), DbErr> {
    manager
        .drop_index(Index::drop().name(name).table("events").to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Created first: the rows stay unique while the old indexes go.
        create_indexes(
            manager,
            vec![unique_index(
                "events",
                NEW_UNIQUE,
                &[
                    "workspace_id",
                    "contact_intercom_id",
                    "occurred_at",
                    "dedupe_key",
                ],
            )],
        )
        .await?;
        drop_index(manager, OLD_UNIQUE).await?;
        drop_index(manager, OLD_CONTACT_TIME).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_indexes(
            manager,
            vec![
                unique_index("events", OLD_UNIQUE, &["workspace_id", "dedupe_key"]),
                index(
                    "events",
                    OLD_CONTACT_TIME,
                    &["workspace_id", "contact_intercom_id", "occurred_at"],
                ),
            ],
        )
        .await?;
        drop_index(manager, NEW_UNIQUE).await
    }
}
