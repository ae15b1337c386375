//! Entity for `workspaces`: connected Intercom workspaces (secrets encrypted).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "workspaces")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub intercom_app_id: Option<String>,
    pub region: String,
    pub base_url: Option<String>,
    pub access_token_enc: Option<Vec<u8>>,
    pub webhook_secret_enc: Option<Vec<u8>>,
    pub user_tracking: bool,
    pub primary_source_is_intercom: bool,
    pub writeback_enabled: bool,
    pub backfill_days: i32,
    pub timezone: Option<String>,
    pub connected_at: Option<DateTimeUtc>,
    pub disconnected_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub include_leads: bool,
    pub connection_error: Option<String>,
    pub connection_error_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
