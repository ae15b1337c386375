//! Wire models of `icsync-intercom` into domain records: the only place that does it.
//!
//! **Invariant**: a converter never fails a page. A record it cannot convert is returned as a
//! [`Rejected`] (its id and why), which the stream counts, logs and skips; custom attributes
//! that would shadow a standard one are dropped and counted.

pub mod company;
pub mod contact;
pub mod conversation;
pub mod event;

use chrono::{DateTime, Utc};
use icsync_domain::AttributeMap;
use serde_json::Value;

/// A record converted, with the custom attribute keys dropped for shadowing a standard one.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted<T> {
    pub record: T,
    pub shadowed: Vec<String>,
}

/// A record that could not be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Its Intercom id, when it had one.
    pub id: Option<String>,
    /// A stable reason code for counts (`unknown_role`, `undecodable`, ...).
    pub reason: &'static str,
    /// What exactly was wrong, for the log.
    pub detail: String,
}

impl Rejected {
    pub(crate) fn new(id: Option<&str>, reason: &'static str, detail: impl Into<String>) -> Self {
        Rejected {
            id: id.map(str::to_owned),
            reason,
            detail: detail.into(),
        }
    }

    /// A list item the client could not decode at all.
    pub fn undecodable(item: &icsync_intercom::models::RejectedItem) -> Self {
        Rejected {
            id: item.id.clone(),
            reason: "undecodable",
            detail: item.reason.clone(),
        }
    }
}

/// Inserts `value` under `key` unless it is `None`/null: other attributes keep what Intercom
/// sent without a column, not a list of absent fields.
pub(crate) fn put(map: &mut AttributeMap, key: &str, value: Option<Value>) {
    if let Some(value) = value
        && !value.is_null()
    {
        map.insert(key.to_owned(), value);
    }
}

pub(crate) fn put_str(map: &mut AttributeMap, key: &str, value: &Option<String>) {
    put(map, key, value.clone().map(Value::String));
}

pub(crate) fn put_bool(map: &mut AttributeMap, key: &str, value: Option<bool>) {
    put(map, key, value.map(Value::Bool));
}

pub(crate) fn put_time(map: &mut AttributeMap, key: &str, value: Option<DateTime<Utc>>) {
    put(map, key, value.map(|t| Value::from(t.timestamp())));
}

/// Serializes a wire value into JSON for `other_attributes` (a serialization that cannot fail:
/// wire models are plain data).
pub(crate) fn to_json(value: &impl serde::Serialize) -> Option<Value> {
    serde_json::to_value(value).ok()
}
