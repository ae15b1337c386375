//! Entity for `events`: custom data events; `seq` is the feed cursor.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub workspace_id: i64,
    pub contact_intercom_id: String,
    pub event_name: String,
    pub occurred_at: DateTimeUtc,
    pub metadata: Json,
    pub dedupe_key: String,
    pub imported_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
