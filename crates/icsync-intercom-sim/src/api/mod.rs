//! The Intercom API routes, one module per resource.

pub(crate) mod admin;
pub(crate) mod attributes;
pub(crate) mod companies;
pub(crate) mod contacts;
pub(crate) mod conversations;
pub(crate) mod events;
pub(crate) mod params;
pub(crate) mod query;
pub(crate) mod search;
pub(crate) mod write;
