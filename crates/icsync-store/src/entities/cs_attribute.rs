//! Entity for `cs_attributes`: CS attributes set by the host, with writeback state.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cs_attributes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub subject_kind: String,
    pub subject_intercom_id: String,
    pub health: Option<Decimal>,
    pub stage: Option<String>,
    pub profile_url: Option<String>,
    pub pulse: Option<String>,
    pub licence_utilization: Option<Decimal>,
    pub cs_owner: Option<String>,
    pub cs_owner_email: Option<String>,
    pub version: i64,
    pub trigger_hash: String,
    pub pushed_trigger_hash: Option<String>,
    pub pushed_hash: Option<String>,
    pub pushed_at: Option<DateTimeUtc>,
    pub needs_push: bool,
    pub next_attempt_at: Option<DateTimeUtc>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub updated_at: DateTimeUtc,
    pub pushed_attributes: Option<Json>,
    pub claimed_until: Option<DateTimeUtc>,
    pub claim_token: Option<i64>,
    pub pending_since: Option<DateTimeUtc>,
    pub last_attempt_at: Option<DateTimeUtc>,
    pub gone_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
