//! Entity for `sessions`: sessions rebuilt from events.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub contact_intercom_id: String,
    pub started_at: DateTimeUtc,
    pub ended_at: DateTimeUtc,
    pub event_count: i64,
    pub rebuilt_at: DateTimeUtc,
    pub replaced_from: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
