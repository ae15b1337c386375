//! Entity for `exports`: a workspace's export settings and data-attribute provisioning.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "exports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub enabled: bool,
    pub sync_mode: String,
    pub creation_mode: String,
    pub removal_mode: String,
    pub mapping: Json,
    pub provisioned_hash: Option<String>,
    pub provisioned_at: Option<DateTimeUtc>,
    pub config_error: Option<String>,
    pub checked_at: Option<DateTimeUtc>,
    pub checked_hash: Option<String>,
    pub attributes_created: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
