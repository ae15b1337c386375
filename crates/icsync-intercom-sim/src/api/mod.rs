//! The Intercom API routes, one module per resource.

pub(crate) mod admin;
pub(crate) mod attributes;
pub(crate) mod companies;
pub(crate) mod company_write;
pub(crate) mod contact_companies;
pub(crate) mod contact_filter;
pub(crate) mod contacts;
pub(crate) mod conversation_search;
pub(crate) mod conversations;
pub(crate) mod events;
pub(crate) mod oauth;
pub(crate) mod params;
pub(crate) mod query;
pub(crate) mod search;
pub(crate) mod write;
