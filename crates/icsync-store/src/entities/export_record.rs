//! Entity for `export_records`: the host's desired state per record, with delivery state.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "export_records")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub host_id: String,
    pub desired: Option<Json>,
    pub desired_hash: String,
    pub removed: bool,
    pub version: i64,
    pub exported_hash: Option<String>,
    pub exported_at: Option<DateTimeUtc>,
    pub needs_push: bool,
    pub pending_since: Option<DateTimeUtc>,
    pub next_attempt_at: Option<DateTimeUtc>,
    pub last_attempt_at: Option<DateTimeUtc>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub claimed_until: Option<DateTimeUtc>,
    pub claim_token: Option<i64>,
    pub status: String,
    pub note: Option<String>,
    pub intercom_id: Option<String>,
    pub intercom_role: Option<String>,
    pub intercom_archived: bool,
    pub managed_tags: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
