//! Entity for `contacts`: Intercom contacts (users and leads).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "contacts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub intercom_id: String,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub email_normalized: Option<String>,
    pub role: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub avatar_url: Option<String>,
    pub owner_id: Option<String>,
    pub unsubscribed_from_emails: bool,
    pub created_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
    pub signed_up_at: Option<DateTimeUtc>,
    pub last_seen_at: Option<DateTimeUtc>,
    pub last_replied_at: Option<DateTimeUtc>,
    pub last_contacted_at: Option<DateTimeUtc>,
    pub location_country: Option<String>,
    pub location_region: Option<String>,
    pub location_city: Option<String>,
    pub custom_attributes: Json,
    pub other_attributes: Json,
    pub content_hash: String,
    pub first_imported_at: DateTimeUtc,
    pub last_imported_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    pub companies_synced_updated_at: Option<DateTimeUtc>,
    pub events_synced_updated_at: Option<DateTimeUtc>,
    pub events_synced_last_seen_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
