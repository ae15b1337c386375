//! Entity for `sync_runs`: one row per sync run, with its figures.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub stream: String,
    pub status: String,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub records: i64,
    pub requests: i64,
    pub retries: i64,
    pub rate_limited: i64,
    pub errors: i64,
    pub shadowed_attributes: i64,
    pub pacer_wait_ms: i64,
    pub error_message: Option<String>,
    pub kind: Option<String>,
    pub records_read: i64,
    pub records_unchanged: i64,
    pub records_skipped: i64,
    pub skipped_reasons: Option<String>,
    pub duration_ms: i64,
    pub progress_done: Option<i64>,
    pub progress_estimate: Option<i64>,
    pub progress_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
