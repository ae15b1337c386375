//! Entity for `companies`: Intercom companies.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "companies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub intercom_id: String,
    pub company_id: Option<String>,
    pub name: Option<String>,
    pub plan_name: Option<String>,
    pub size: Option<i64>,
    pub website: Option<String>,
    pub industry: Option<String>,
    pub monthly_spend: Option<Decimal>,
    pub session_count: Option<i64>,
    pub user_count: Option<i64>,
    pub remote_created_at: Option<DateTimeUtc>,
    pub created_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
    pub last_request_at: Option<DateTimeUtc>,
    pub custom_attributes: Json,
    pub other_attributes: Json,
    pub content_hash: String,
    pub first_imported_at: DateTimeUtc,
    pub last_imported_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
