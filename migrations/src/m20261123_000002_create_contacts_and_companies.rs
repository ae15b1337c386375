//! `contacts`, `companies` and their association `contact_companies`.

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
                    .table("contacts")
                    .col(id("id"))
                    .col(workspace_id())
                    .col(text("intercom_id"))
                    .col(text_null("external_id"))
                    .col(text_null("email"))
                    .col(text_null("email_normalized"))
                    .col(text("role"))
                    .col(text_null("name"))
                    .col(text_null("phone"))
                    .col(text_null("avatar_url"))
                    .col(text_null("owner_id"))
                    .col(boolean("unsubscribed_from_emails").default(false))
                    .col(ts_null("created_at"))
                    .col(ts_null("updated_at"))
                    .col(ts_null("signed_up_at"))
                    .col(ts_null("last_seen_at"))
                    .col(ts_null("last_replied_at"))
                    .col(ts_null("last_contacted_at"))
                    .col(text_null("location_country"))
                    .col(text_null("location_region"))
                    .col(text_null("location_city"))
                    .col(json_object("custom_attributes"))
                    .col(json_object("other_attributes"))
                    .col(text("content_hash"))
                    .col(ts("first_imported_at"))
                    .col(ts("last_imported_at"))
                    .foreign_key(&mut workspace_fk("contacts"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("companies")
                    .col(id("id"))
                    .col(workspace_id())
                    .col(text("intercom_id"))
                    .col(text_null("company_id"))
                    .col(text_null("name"))
                    .col(text_null("plan_name"))
                    .col(big_integer_null("size"))
                    .col(text_null("website"))
                    .col(text_null("industry"))
                    .col(decimal_4_null("monthly_spend"))
                    .col(big_integer_null("session_count"))
                    .col(big_integer_null("user_count"))
                    .col(ts_null("remote_created_at"))
                    .col(ts_null("created_at"))
                    .col(ts_null("updated_at"))
                    .col(ts_null("last_request_at"))
                    .col(json_object("custom_attributes"))
                    .col(json_object("other_attributes"))
                    .col(text("content_hash"))
                    .col(ts("first_imported_at"))
                    .col(ts("last_imported_at"))
                    .foreign_key(&mut workspace_fk("companies"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("contact_companies")
                    .col(id("id"))
                    .col(workspace_id())
                    .col(text("contact_intercom_id"))
                    .col(text("company_intercom_id"))
                    .col(ts("first_imported_at"))
                    .foreign_key(&mut workspace_fk("contact_companies"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                unique_index(
                    "contacts",
                    "ux_contacts_intercom_id",
                    &["workspace_id", "intercom_id"],
                ),
                index(
                    "contacts",
                    "ix_contacts_email",
                    &["workspace_id", "email_normalized"],
                ),
                index(
                    "contacts",
                    "ix_contacts_updated_at",
                    &["workspace_id", "updated_at"],
                ),
                unique_index(
                    "companies",
                    "ux_companies_intercom_id",
                    &["workspace_id", "intercom_id"],
                ),
                index(
                    "companies",
                    "ix_companies_company_id",
                    &["workspace_id", "company_id"],
                ),
                unique_index(
                    "contact_companies",
                    "ux_contact_companies",
                    &["workspace_id", "contact_intercom_id", "company_intercom_id"],
                ),
                index(
                    "contact_companies",
                    "ix_contact_companies_company",
                    &["workspace_id", "company_intercom_id"],
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["contact_companies", "companies", "contacts"]).await
    }
}
