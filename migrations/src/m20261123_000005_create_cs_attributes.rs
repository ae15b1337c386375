//! `cs_attributes`: the CS values the host set per contact/company, and writeback state.

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
                    .table("cs_attributes")
                    .col(id("id"))
                    .col(workspace_id())
                    // `contact` or `company`, and that record's Intercom id.
                    .col(text("subject_kind"))
                    .col(text("subject_intercom_id"))
                    .col(decimal_4_null("health"))
                    .col(text_null("stage"))
                    .col(text_null("profile_url"))
                    .col(text_null("pulse"))
                    .col(decimal_4_null("licence_utilization"))
                    .col(text_null("cs_owner"))
                    .col(text_null("cs_owner_email"))
                    // Bumped on every change the host makes.
                    .col(big_integer("version").default(1))
                    // Digest of health, stage and pulse now, and as last pushed.
                    .col(text("trigger_hash"))
                    .col(text_null("pushed_trigger_hash"))
                    .col(text_null("pushed_hash"))
                    .col(ts_null("pushed_at"))
                    // True while the trigger fields differ from what was pushed: the pusher's
                    // work queue, found through `ix_cs_attributes_pending` without a scan.
                    .col(boolean("needs_push").default(false))
                    .col(ts_null("next_attempt_at"))
                    .col(integer("attempts").default(0))
                    .col(text_null("last_error"))
                    .col(ts("updated_at"))
                    .foreign_key(&mut workspace_fk("cs_attributes"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                unique_index(
                    "cs_attributes",
                    "ux_cs_attributes_subject",
                    &["workspace_id", "subject_kind", "subject_intercom_id"],
                ),
                index(
                    "cs_attributes",
                    "ix_cs_attributes_pending",
                    &["needs_push", "next_attempt_at"],
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["cs_attributes"]).await
    }
}
