//! Company storage: every company is kept whole (companies are far fewer than contacts).

use serde_json::{Map, Value};

use super::ids::ObjectId;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub(crate) struct CompanyRec {
    pub id: ObjectId,
    pub company_id: String,
    pub name: String,
    pub plan: Option<Plan>,
    pub remote_created_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_request_at: i64,
    pub size: i64,
    pub website: String,
    pub industry: String,
    pub monthly_spend: i64,
    pub session_count: i64,
    pub custom_attributes: Map<String, Value>,
    /// Indexes into the workspace's tag table.
    pub tags: Vec<u32>,
    /// Slots of attached contacts, in attach order.
    pub contacts: Vec<u32>,
    pub deleted: bool,
}
