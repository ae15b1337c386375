//! Export of host records to Intercom contacts: the per-workspace export settings
//! (`exports`), the host's desired state per record with its delivery bookkeeping
//! (`export_records`) and the tags the export created or found (`export_tags`). Tags imported
//! with contacts and companies live in their `other_attributes` (`icsync_tags`), no column.

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
                    .table("exports")
                    .col(id("id"))
                    .col(workspace_id())
                    .col(boolean("enabled").default(false))
                    // `sync`, `additive` or `enrich`.
                    .col(text("sync_mode"))
                    // `user`, `lead` or `lifecycle`.
                    .col(text("creation_mode"))
                    // `archive` or `delete`.
                    .col(text("removal_mode"))
                    // Host property -> Intercom attribute (JSON array of mappings).
                    .col(json_object("mapping"))
                    // Digest of the mapping last provisioned in Intercom (data attributes).
                    .col(text_null("provisioned_hash"))
                    .col(ts_null("provisioned_at"))
                    // Why the data attributes cannot be made to fit (shown in status).
                    .col(text_null("config_error"))
                    .col(ts_null("checked_at"))
                    .col(text_null("checked_hash"))
                    .col(big_integer("attributes_created").default(0))
                    .col(ts("updated_at"))
                    .foreign_key(&mut workspace_fk("exports"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("export_records")
                    .col(id("id"))
                    .col(workspace_id())
                    // The host's own id for the record.
                    .col(text("host_id"))
                    // The desired state (email, external id, properties, groups), kept
                    // when the host removes the record (its ids find the contact to remove).
                    .col(json_null("desired"))
                    .col(text("desired_hash"))
                    .col(boolean("removed").default(false))
                    .col(big_integer("version"))
                    // The desired hash of the last *successful* export; NULL when none is known
                    // (never exported, or the last outcome is unknown).
                    .col(text_null("exported_hash"))
                    .col(ts_null("exported_at"))
                    .col(boolean("needs_push").default(true))
                    .col(ts_null("pending_since"))
                    .col(ts_null("next_attempt_at"))
                    .col(ts_null("last_attempt_at"))
                    .col(integer("attempts").default(0))
                    .col(text_null("last_error"))
                    .col(ts_null("claimed_until"))
                    .col(big_integer_null("claim_token"))
                    // `pending`, `exported`, `removed`, `failed`, `rejected`, `skipped`.
                    .col(text("status"))
                    // A note on a successful export (e.g. a user kept as a user in lead mode).
                    .col(text_null("note"))
                    // The Intercom contact the record is exported to, and its role there.
                    .col(text_null("intercom_id"))
                    .col(text_null("intercom_role"))
                    // Set while the contact is archived by this export (unarchived on a put).
                    .col(boolean("intercom_archived").default(false))
                    // Tags this export applied to the contact (JSON array of {id, name}): the
                    // only tags it ever removes.
                    .col(json_object("managed_tags"))
                    .col(ts("created_at"))
                    .col(ts("updated_at"))
                    .foreign_key(&mut workspace_fk("export_records"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("export_tags")
                    .col(id("id"))
                    .col(workspace_id())
                    // Lower-cased, trimmed, inner whitespace collapsed.
                    .col(text("name_key"))
                    .col(text("name"))
                    .col(text("tag_id"))
                    .col(ts("created_at"))
                    .foreign_key(&mut workspace_fk("export_tags"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                unique_index("exports", "ux_exports_workspace", &["workspace_id"]),
                unique_index(
                    "export_records",
                    "ux_export_records_host_id",
                    &["workspace_id", "host_id"],
                ),
                index(
                    "export_records",
                    "ix_export_records_due",
                    &["workspace_id", "needs_push", "next_attempt_at"],
                ),
                index(
                    "export_records",
                    "ix_export_records_intercom_id",
                    &["workspace_id", "intercom_id"],
                ),
                unique_index(
                    "export_tags",
                    "ux_export_tags_name",
                    &["workspace_id", "name_key"],
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["export_tags", "export_records", "exports"]).await
    }
}
