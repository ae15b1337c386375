//! Writeback bookkeeping: per-row claims, attempts, the exact attributes last pushed and a
//! "gone in Intercom" mark on `cs_attributes`; per-workspace provisioning state in
//! `writeback_state`.

use crate::common::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "cs_attributes";

/// Columns added to `cs_attributes`, one statement each (SQLite alters one column at a time).
fn added_columns() -> Vec<ColumnDef> {
    vec![
        // The custom attributes (Intercom name -> value) the last successful push sent: the
        // baseline `--dry-run` compares with. NULL when no push succeeded or the last outcome
        // is unknown (a failure Intercom may have acted on).
        json_null("pushed_attributes"),
        // A pusher holds the row until this time (a lease; an expired one is free again),
        // under this token, which its outcome must present.
        ts_null("claimed_until"),
        big_integer_null("claim_token"),
        // Since when the row has been waiting for a push (oldest pending age in status).
        ts_null("pending_since"),
        // When the last push attempt started.
        ts_null("last_attempt_at"),
        // Intercom answered 404: the contact or company is gone; no retries until the host
        // changes a trigger field again.
        ts_null("gone_at"),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for mut column in added_columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(TABLE)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("writeback_state")
                    .col(id("id"))
                    .col(workspace_id())
                    // Digest of the attribute names and types last provisioned successfully.
                    .col(text_null("mapping_hash"))
                    .col(ts_null("provisioned_at"))
                    // Why provisioning cannot succeed (a name taken with another type, ...);
                    // shown in status until an admin fixes it.
                    .col(text_null("config_error"))
                    .col(ts_null("checked_at"))
                    // The mapping that check was for (a changed configuration is checked again
                    // at once).
                    .col(text_null("checked_mapping_hash"))
                    .col(big_integer("attributes_created").default(0))
                    .col(ts("updated_at"))
                    .foreign_key(&mut workspace_fk("writeback_state"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                unique_index(
                    "writeback_state",
                    "ux_writeback_state_workspace",
                    &["workspace_id"],
                ),
                // The pusher claims a workspace's due rows through this index.
                index(
                    TABLE,
                    "ix_cs_attributes_due",
                    &["workspace_id", "needs_push", "next_attempt_at"],
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_cs_attributes_due")
                    .table(TABLE)
                    .to_owned(),
            )
            .await?;
        drop_tables(manager, &["writeback_state"]).await?;
        for name in [
            "gone_at",
            "last_attempt_at",
            "pending_since",
            "claim_token",
            "claimed_until",
            "pushed_attributes",
        ] {
            manager
                .alter_table(Table::alter().table(TABLE).drop_column(name).to_owned())
                .await?;
        }
        Ok(())
    }
}
