//! Entity for `conversations`: conversations, without their parts.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub intercom_id: String,
    pub title: Option<String>,
    pub state: String,
    pub open: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub waiting_since: Option<DateTimeUtc>,
    pub snoozed_until: Option<DateTimeUtc>,
    pub admin_assignee_id: Option<String>,
    pub source_type: Option<String>,
    pub source_subject: Option<String>,
    pub source_body: Option<String>,
    pub source_author_type: Option<String>,
    pub source_author_id: Option<String>,
    pub source_author_name: Option<String>,
    pub source_author_email: Option<String>,
    pub source_url: Option<String>,
    pub tags: Json,
    pub parts_reported: Option<i64>,
    pub parts_stored: i64,
    pub content_hash: String,
    pub first_imported_at: DateTimeUtc,
    pub last_imported_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    pub contact_email: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
