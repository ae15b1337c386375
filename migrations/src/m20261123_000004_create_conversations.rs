//! `conversations`, their participants `conversation_contacts`, and `conversation_parts`.

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
                    .table("conversations")
                    .col(id("id"))
                    .col(workspace_id())
                    .col(text("intercom_id"))
                    .col(text_null("title"))
                    .col(text("state"))
                    .col(boolean("open").default(false))
                    .col(ts("created_at"))
                    .col(ts("updated_at"))
                    .col(ts_null("waiting_since"))
                    .col(ts_null("snoozed_until"))
                    .col(text_null("admin_assignee_id"))
                    .col(text_null("source_type"))
                    .col(text_null("source_subject"))
                    .col(text_null("source_body"))
                    .col(text_null("source_author_type"))
                    .col(text_null("source_author_id"))
                    .col(text_null("source_author_name"))
                    .col(text_null("source_author_email"))
                    .col(text_null("source_url"))
                    .col(json_object("tags"))
                    .col(big_integer_null("parts_reported"))
                    .col(big_integer("parts_stored").default(0))
                    .col(text("content_hash"))
                    .col(ts("first_imported_at"))
                    .col(ts("last_imported_at"))
                    .foreign_key(&mut workspace_fk("conversations"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("conversation_contacts")
                    .col(id("id"))
                    .col(workspace_id())
                    .col(text("conversation_intercom_id"))
                    .col(text("contact_intercom_id"))
                    // Position in Intercom's participant list; 0 is the contact who started it.
                    .col(integer("position").default(0))
                    .foreign_key(&mut workspace_fk("conversation_contacts"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("conversation_parts")
                    .col(id("id"))
                    .col(workspace_id())
                    .col(text("intercom_id"))
                    .col(text("conversation_intercom_id"))
                    .col(text("part_type"))
                    .col(text_null("author_type"))
                    .col(text_null("author_id"))
                    .col(text_null("author_name"))
                    .col(text_null("author_email"))
                    .col(text_null("body"))
                    .col(ts("created_at"))
                    .col(ts_null("updated_at"))
                    .col(text("content_hash"))
                    .col(ts("imported_at"))
                    .foreign_key(&mut workspace_fk("conversation_parts"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                unique_index(
                    "conversations",
                    "ux_conversations_intercom_id",
                    &["workspace_id", "intercom_id"],
                ),
                index(
                    "conversations",
                    "ix_conversations_updated_at",
                    &["workspace_id", "updated_at"],
                ),
                unique_index(
                    "conversation_contacts",
                    "ux_conversation_contacts",
                    &[
                        "workspace_id",
                        "conversation_intercom_id",
                        "contact_intercom_id",
                    ],
                ),
                index(
                    "conversation_contacts",
                    "ix_conversation_contacts_contact",
                    &["workspace_id", "contact_intercom_id"],
                ),
                unique_index(
                    "conversation_parts",
                    "ux_conversation_parts_intercom_id",
                    &["workspace_id", "intercom_id"],
                ),
                index(
                    "conversation_parts",
                    "ix_conversation_parts_conversation",
                    &["workspace_id", "conversation_intercom_id", "created_at"],
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "conversation_parts",
                "conversation_contacts",
                "conversations",
            ],
        )
        .await
    }
}
