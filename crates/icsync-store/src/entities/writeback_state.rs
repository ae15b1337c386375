//! Entity for `writeback_state`: per workspace, the data attributes provisioned for writeback.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "writeback_state")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub mapping_hash: Option<String>,
    pub provisioned_at: Option<DateTimeUtc>,
    pub config_error: Option<String>,
    pub checked_at: Option<DateTimeUtc>,
    pub checked_mapping_hash: Option<String>,
    pub attributes_created: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
