//! A typed builder for `POST /contacts/search` and `POST /conversations/search` queries: nested AND/OR,
//! only the operators each field type accepts, Intercom's nesting limits checked before sending, and the
//! "updated since watermark" helper that copes with contact search's day-granular dates.

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::Error;

/// Intercom allows at most this many filters or groups in one AND/OR group.
pub const MAX_GROUP_SIZE: usize = 15;
/// Intercom allows groups nested at most this deep.
pub const MAX_NESTING: usize = 2;

/// A search query: one filter or a nested AND/OR group.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// `{field, operator, value}`.
    Filter {
        /// Field name (`updated_at`, `custom_attributes.plan`, `contact_ids`).
        field: String,
        /// Wire operator (`=`, `>`, `IN`, `~`, ...).
        operator: &'static str,
        /// Value, already in wire form (Unix seconds for dates).
        value: Value,
    },
    /// All of these.
    And(Vec<Query>),
    /// Any of these.
    Or(Vec<Query>),
}

impl Query {
    /// All of `items`.
    pub fn and(items: impl IntoIterator<Item = Query>) -> Query {
        Query::And(items.into_iter().collect())
    }

    /// Any of `items`.
    pub fn or(items: impl IntoIterator<Item = Query>) -> Query {
        Query::Or(items.into_iter().collect())
    }

    /// The JSON Intercom expects under `query`.
    pub fn to_json(&self) -> Value {
        match self {
            Query::Filter {
                field,
                operator,
                value,
            } => json!({ "field": field, "operator": operator, "value": value }),
            Query::And(items) => {
                json!({ "operator": "AND", "value": items.iter().map(Query::to_json).collect::<Vec<_>>() })
            }
            Query::Or(items) => {
                json!({ "operator": "OR", "value": items.iter().map(Query::to_json).collect::<Vec<_>>() })
            }
        }
    }

    /// Checks Intercom's limits: at most [`MAX_NESTING`] levels of groups, at most [`MAX_GROUP_SIZE`] items
    /// per group, no empty group.
    pub fn validate(&self) -> Result<(), Error> {
        self.validate_at(0)
    }

    fn validate_at(&self, depth: usize) -> Result<(), Error> {
        let (items, name) = match self {
            Query::Filter { .. } => return Ok(()),
            Query::And(items) => (items, "AND"),
            Query::Or(items) => (items, "OR"),
        };
        let depth = depth + 1;
        if depth > MAX_NESTING {
            return Err(Error::InvalidQuery(format!(
                "groups nest {depth} levels deep; Intercom allows {MAX_NESTING}"
            )));
        }
        if items.is_empty() {
            return Err(Error::InvalidQuery(format!("empty {name} group")));
        }
        if items.len() > MAX_GROUP_SIZE {
            return Err(Error::InvalidQuery(format!(
                "{name} group has {} items; Intercom allows {MAX_GROUP_SIZE} per group",
                items.len()
            )));
        }
        items.iter().try_for_each(|item| item.validate_at(depth))
    }
}

fn filter(field: &str, operator: &'static str, value: Value) -> Query {
    Query::Filter {
        field: field.to_owned(),
        operator,
        value,
    }
}

/// Sort order of a search (accepted by Intercom, documented from 2.16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sort {
    /// Field to sort on.
    pub field: String,
    /// `ascending` or `descending`.
    pub order: SortOrder,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Oldest/lowest first.
    Ascending,
    /// Newest/highest first.
    Descending,
}

/// A query plus an optional sort: the body of a search, less its pagination.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    /// The query.
    pub query: Query,
    /// Optional sort.
    pub sort: Option<Sort>,
}

impl SearchRequest {
    /// A search for `query`, unsorted.
    pub fn new(query: Query) -> Self {
        SearchRequest { query, sort: None }
    }

    /// Sorted by `field`.
    pub fn sorted_by(mut self, field: impl Into<String>, order: SortOrder) -> Self {
        self.sort = Some(Sort {
            field: field.into(),
            order,
        });
        self
    }

    /// The request body for one page: the cursor goes in the body (a query-string cursor is ignored by Intercom).
    pub(crate) fn body(&self, per_page: u32, starting_after: Option<&str>) -> Value {
        let mut pagination = json!({ "per_page": per_page });
        if let Some(cursor) = starting_after {
            pagination["starting_after"] = Value::String(cursor.to_owned());
        }
        let mut body = json!({ "query": self.query.to_json(), "pagination": pagination });
        if let Some(sort) = &self.sort {
            body["sort"] = json!(sort);
        }
        body
    }
}

impl From<Query> for SearchRequest {
    fn from(query: Query) -> Self {
        SearchRequest::new(query)
    }
}

/// A string field: `= != IN NIN ~ !~ ^ $`.
#[derive(Debug, Clone)]
pub struct StringField(pub(crate) String);

impl StringField {
    /// Equals.
    pub fn eq(&self, value: impl Into<String>) -> Query {
        filter(&self.0, "=", Value::String(value.into()))
    }
    /// Not equal.
    pub fn ne(&self, value: impl Into<String>) -> Query {
        filter(&self.0, "!=", Value::String(value.into()))
    }
    /// One of.
    pub fn is_in(&self, values: impl IntoIterator<Item = impl Into<String>>) -> Query {
        filter(
            &self.0,
            "IN",
            Value::Array(
                values
                    .into_iter()
                    .map(|v| Value::String(v.into()))
                    .collect(),
            ),
        )
    }
    /// None of.
    pub fn not_in(&self, values: impl IntoIterator<Item = impl Into<String>>) -> Query {
        filter(
            &self.0,
            "NIN",
            Value::Array(
                values
                    .into_iter()
                    .map(|v| Value::String(v.into()))
                    .collect(),
            ),
        )
    }
    /// Contains.
    pub fn contains(&self, value: impl Into<String>) -> Query {
        filter(&self.0, "~", Value::String(value.into()))
    }
    /// Does not contain.
    pub fn not_contains(&self, value: impl Into<String>) -> Query {
        filter(&self.0, "!~", Value::String(value.into()))
    }
    /// Starts with.
    pub fn starts_with(&self, value: impl Into<String>) -> Query {
        filter(&self.0, "^", Value::String(value.into()))
    }
    /// Ends with.
    pub fn ends_with(&self, value: impl Into<String>) -> Query {
        filter(&self.0, "$", Value::String(value.into()))
    }
}

/// An integer field: `= != IN NIN < > <= >=`.
#[derive(Debug, Clone)]
pub struct IntField(pub(crate) String);

impl IntField {
    /// Equals.
    pub fn eq(&self, value: i64) -> Query {
        filter(&self.0, "=", json!(value))
    }
    /// Not equal.
    pub fn ne(&self, value: i64) -> Query {
        filter(&self.0, "!=", json!(value))
    }
    /// One of.
    pub fn is_in(&self, values: impl IntoIterator<Item = i64>) -> Query {
        filter(&self.0, "IN", json!(values.into_iter().collect::<Vec<_>>()))
    }
    /// Less than.
    pub fn lt(&self, value: i64) -> Query {
        filter(&self.0, "<", json!(value))
    }
    /// Greater than.
    pub fn gt(&self, value: i64) -> Query {
        filter(&self.0, ">", json!(value))
    }
    /// Less than or equal.
    pub fn le(&self, value: i64) -> Query {
        filter(&self.0, "<=", json!(value))
    }
    /// Greater than or equal.
    pub fn ge(&self, value: i64) -> Query {
        filter(&self.0, ">=", json!(value))
    }
}

/// A boolean field: `= !=`.
#[derive(Debug, Clone)]
pub struct BoolField(pub(crate) String);

impl BoolField {
    /// Equals.
    pub fn eq(&self, value: bool) -> Query {
        filter(&self.0, "=", Value::Bool(value))
    }
    /// Not equal.
    pub fn ne(&self, value: bool) -> Query {
        filter(&self.0, "!=", Value::Bool(value))
    }
}

/// An id field that only takes `=` and `!=` (`tag_id`, `segment_id`).
#[derive(Debug, Clone)]
pub struct IdField(pub(crate) String);

impl IdField {
    /// Equals.
    pub fn eq(&self, value: impl Into<String>) -> Query {
        filter(&self.0, "=", Value::String(value.into()))
    }
    /// Not equal.
    pub fn ne(&self, value: impl Into<String>) -> Query {
        filter(&self.0, "!=", Value::String(value.into()))
    }
}

/// A contact date field. Contact search (2.7-2.16) matches dates **by calendar day in the workspace time
/// zone** and accepts only `=`, `<`, `>`: `>` starts at the next day, `<` ends before the day, `=` is the
/// whole day. For "changed since", use [`contacts_updated_since`].
#[derive(Debug, Clone)]
pub struct ContactDateField(pub(crate) String);

impl ContactDateField {
    /// From the day after `at`'s day (workspace time zone).
    pub fn after_day_of(&self, at: DateTime<Utc>) -> Query {
        filter(&self.0, ">", json!(at.timestamp()))
    }
    /// Before `at`'s day (workspace time zone).
    pub fn before_day_of(&self, at: DateTime<Utc>) -> Query {
        filter(&self.0, "<", json!(at.timestamp()))
    }
    /// On `at`'s day (workspace time zone).
    pub fn on_day_of(&self, at: DateTime<Utc>) -> Query {
        filter(&self.0, "=", json!(at.timestamp()))
    }
}

/// A conversation date field: `= != > <` on Unix seconds.
#[derive(Debug, Clone)]
pub struct ConversationDateField(pub(crate) String);

impl ConversationDateField {
    /// Later than `at` (documented as "greater or equal").
    pub fn gt(&self, at: DateTime<Utc>) -> Query {
        filter(&self.0, ">", json!(at.timestamp()))
    }
    /// Earlier than `at` (documented as "lower or equal").
    pub fn lt(&self, at: DateTime<Utc>) -> Query {
        filter(&self.0, "<", json!(at.timestamp()))
    }
    /// Exactly `at`.
    pub fn eq(&self, at: DateTime<Utc>) -> Query {
        filter(&self.0, "=", json!(at.timestamp()))
    }
}

/// A contact search that returns every contact updated at or after a watermark, given day-granular dates.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdatedSince {
    /// The query (`updated_at > lower_bound`); AND it with other filters as needed.
    pub query: Query,
    /// The timestamp sent with `>`: a second on the day before the watermark's day.
    pub lower_bound: DateTime<Utc>,
    /// The earliest update the search can return: callers may drop contacts with `updated_at` before the
    /// watermark (already stored) or simply upsert them.
    pub rereads_from: DateTime<Utc>,
}

/// "Contacts updated since `watermark`" for contact search's day-granular `updated_at` (INTERCOM.md traps 1-2).
///
/// `updated_at > T` skips the rest of T's day and `>=` is rejected, so the query asks for
/// `updated_at > (start of the watermark's day - 1 s)`, re-reading from the start of that day. The day is
/// taken in the workspace's UTC offset when known; without it the bound is 26 hours before the watermark,
/// which is before the watermark's day in every time zone. Prefer [`contacts_updated_since_in_zone`] with
/// the IANA zone of `GET /me` (`app.timezone`), which also gets daylight-saving days right.
pub fn contacts_updated_since(
    watermark: DateTime<Utc>,
    workspace_offset: Option<FixedOffset>,
) -> UpdatedSince {
    let lower_bound = workspace_offset.and_then(|offset| start_of_day(watermark, &offset));
    updated_since(watermark, lower_bound)
}

/// Like [`contacts_updated_since`], with the workspace's IANA time zone (`app.timezone` of `GET /me`, e.g.
/// `Europe/Dublin`). An unknown or missing zone falls back to the 26-hour bound.
pub fn contacts_updated_since_in_zone(
    watermark: DateTime<Utc>,
    zone: Option<&str>,
) -> UpdatedSince {
    let tz = zone.and_then(|z| z.trim().parse::<chrono_tz::Tz>().ok());
    let lower_bound = tz.and_then(|tz| start_of_day(watermark, &tz));
    updated_since(watermark, lower_bound)
}

/// "Contacts whose `field` is at or after `at`" for a day-granular contact date (`created_at` for a
/// backfill window, `updated_at` for an incremental pass): the query re-reads from the start of `at`'s
/// day in the workspace's IANA `zone` (26 hours back when the zone is unknown); callers filter exactly.
pub fn contacts_since_in_zone(
    field: ContactDateField,
    at: DateTime<Utc>,
    zone: Option<&str>,
) -> UpdatedSince {
    let tz = zone.and_then(|z| z.trim().parse::<chrono_tz::Tz>().ok());
    let day_start = tz.and_then(|tz| start_of_day(at, &tz));
    let lower_bound = match day_start {
        Some(start) => start - Duration::seconds(1),
        None => at - Duration::hours(26),
    };
    UpdatedSince {
        query: field.after_day_of(lower_bound),
        lower_bound,
        rereads_from: lower_bound + Duration::seconds(1),
    }
}

/// The UTC instant at which `at`'s calendar day starts in `tz` (the earliest one when midnight repeats;
/// the first existing local time when a daylight-saving gap swallows midnight).
fn start_of_day<Tz: TimeZone>(at: DateTime<Utc>, tz: &Tz) -> Option<DateTime<Utc>> {
    let day = at.with_timezone(tz).date_naive();
    (0..=3 * 60).find_map(|minutes| {
        let local = day.and_time(NaiveTime::MIN) + Duration::minutes(minutes);
        tz.from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    })
}

fn updated_since(watermark: DateTime<Utc>, day_start: Option<DateTime<Utc>>) -> UpdatedSince {
    let lower_bound = match day_start {
        Some(start) => start - Duration::seconds(1),
        None => watermark - Duration::hours(26),
    };
    UpdatedSince {
        query: contact::updated_at().after_day_of(lower_bound),
        lower_bound,
        rereads_from: lower_bound + Duration::seconds(1),
    }
}

/// Contact search fields (2.11 table).
pub mod contact {
    use super::*;

    macro_rules! fields {
        ($kind:ident: $($name:ident => $wire:literal),+ $(,)?) => {
            $(
                #[doc = concat!("`", $wire, "`")]
                pub fn $name() -> $kind {
                    $kind($wire.to_owned())
                }
            )+
        };
    }

    fields!(StringField: id => "id", role => "role", name => "name", email => "email", email_domain => "email_domain",
        phone => "phone", external_id => "external_id", owner_id => "owner_id", language_override => "language_override",
        browser => "browser", browser_language => "browser_language", os => "os", country => "location.country",
        region => "location.region", city => "location.city");
    fields!(ContactDateField: created_at => "created_at", updated_at => "updated_at", signed_up_at => "signed_up_at",
        last_seen_at => "last_seen_at", last_contacted_at => "last_contacted_at", last_replied_at => "last_replied_at",
        last_email_opened_at => "last_email_opened_at", last_email_clicked_at => "last_email_clicked_at");
    fields!(BoolField: unsubscribed_from_emails => "unsubscribed_from_emails", marked_email_as_spam => "marked_email_as_spam",
        has_hard_bounced => "has_hard_bounced");
    fields!(IdField: tag_id => "tag_id", segment_id => "segment_id");

    /// A string custom attribute.
    pub fn custom_string(name: &str) -> StringField {
        StringField(format!("custom_attributes.{name}"))
    }
    /// An integer custom attribute.
    pub fn custom_int(name: &str) -> IntField {
        IntField(format!("custom_attributes.{name}"))
    }
    /// A boolean custom attribute.
    pub fn custom_bool(name: &str) -> BoolField {
        BoolField(format!("custom_attributes.{name}"))
    }
    /// A date custom attribute (day-granular like the standard dates).
    pub fn custom_date(name: &str) -> ContactDateField {
        ContactDateField(format!("custom_attributes.{name}"))
    }
}

/// Conversation search fields.
pub mod conversation {
    use super::*;

    /// `id`.
    pub fn id() -> StringField {
        StringField("id".to_owned())
    }
    /// `contact_ids`: conversations of one contact (`eq`) or several (`is_in`).
    pub fn contact_ids() -> StringField {
        StringField("contact_ids".to_owned())
    }
    /// `state` (`open`/`closed`/`snoozed`).
    pub fn state() -> StringField {
        StringField("state".to_owned())
    }
    /// `open`.
    pub fn open() -> BoolField {
        BoolField("open".to_owned())
    }
    /// `created_at`.
    pub fn created_at() -> ConversationDateField {
        ConversationDateField("created_at".to_owned())
    }
    /// `updated_at`.
    pub fn updated_at() -> ConversationDateField {
        ConversationDateField("updated_at".to_owned())
    }
    /// `admin_assignee_id`.
    pub fn admin_assignee_id() -> IntField {
        IntField("admin_assignee_id".to_owned())
    }
    /// `tag_ids`.
    pub fn tag_ids() -> StringField {
        StringField("tag_ids".to_owned())
    }
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
