//! JSON of admins, tags, data attributes, events and the `pages` objects.

use base64::Engine;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::model::attribute::DataAttribute;
use crate::model::event::EventData;
use crate::model::world::{Admin, Tag, World};

/// Serializes `value` into a 200 JSON response (for bodies that borrow the locked model).
pub(crate) fn json_response<T: serde::Serialize>(value: &T) -> axum::response::Response {
    use axum::response::IntoResponse;
    match serde_json::to_vec(value) {
        Ok(bytes) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            bytes,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(error = %error, "sim failed to serialize a response");
            crate::error::ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "Server Error",
            )
            .into_response()
        }
    }
}

pub(crate) fn admin(a: &Admin) -> Value {
    json!({
        "type": "admin",
        "email": a.email,
        "id": a.id.to_string(),
        "name": a.name,
        "job_title": "Customer Success",
        "away_mode_enabled": false,
        "away_mode_reassign": false,
        "has_inbox_seat": true,
        "team_ids": [],
    })
}

pub(crate) fn me(world: &World, tz: &str, region: &str) -> Value {
    let mut v = admin(&world.admins[0]);
    v["email_verified"] = json!(true);
    v["avatar"] = json!({"type": "avatar", "image_url": "https://static.intercomassets.com/assets/default-avatars/admins/128.png"});
    v["app"] = json!({
        "type": "app",
        "id_code": world.settings.workspace_id,
        "name": "Simulated workspace",
        "created_at": world.app_created_at,
        "secure": false,
        "identity_verification": false,
        "timezone": tz,
        "region": region,
    });
    v
}

pub(crate) fn tag(t: &Tag) -> Value {
    json!({"type": "tag", "id": t.id.to_string(), "name": t.name, "applied_at": null, "applied_by": null})
}

pub(crate) fn data_attribute(a: &DataAttribute) -> Value {
    let mut v = json!({
        "type": "data_attribute",
        "model": a.model.as_str(),
        "name": a.name,
        "full_name": a.full_name,
        "label": a.label,
        "description": a.description,
        "data_type": a.data_type,
        "api_writable": a.api_writable,
        "messenger_writable": a.messenger_writable,
        "ui_writable": a.ui_writable,
        "custom": a.custom,
        "archived": a.archived,
    });
    if let Some(id) = a.id {
        v["id"] = json!(id);
        v["created_at"] = json!(a.created_at);
        v["updated_at"] = json!(a.updated_at);
    }
    if let Some(admin) = &a.admin_id {
        v["admin_id"] = json!(admin);
    }
    if !a.options.is_empty() {
        v["options"] = json!(a.options);
    }
    v
}

/// An event as `GET /events` lists it, borrowing the model (keys in the sorted order they had
/// when events were built as `Value` maps, so responses keep their bytes).
#[derive(Serialize)]
pub(crate) struct EventSer<'a> {
    created_at: i64,
    #[serde(skip_serializing_if = "str::is_empty")]
    email: &'a str,
    event_name: &'a str,
    intercom_user_id: &'a str,
    metadata: &'a Map<String, Value>,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
}

impl<'a> EventSer<'a> {
    pub(crate) fn new(
        e: &'a EventData,
        contact_id: &'a str,
        user_id: Option<&'a str>,
        email: &'a str,
    ) -> EventSer<'a> {
        EventSer {
            created_at: e.created_at,
            email,
            event_name: &e.name,
            intercom_user_id: contact_id,
            metadata: &e.metadata,
            kind: "event",
            user_id,
        }
    }
}

pub(crate) fn event(e: &EventData, contact_id: &str, user_id: Option<&str>, email: &str) -> Value {
    serde_json::to_value(EventSer::new(e, contact_id, user_id, email)).unwrap_or(Value::Null)
}

/// An opaque cursor, Intercom style: base64 of a small JSON array.
pub(crate) fn encode_cursor(parts: &Value) -> String {
    base64::engine::general_purpose::STANDARD.encode(parts.to_string())
}

pub(crate) fn decode_cursor(cursor: &str) -> Option<Value> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cursor.trim())
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// `pages` of cursor-paginated lists: `next` is `{page, starting_after}` or absent at the end.
pub(crate) fn cursor_pages(
    page: usize,
    per_page: usize,
    total: usize,
    next: Option<String>,
) -> Value {
    let total_pages = total.div_ceil(per_page.max(1));
    let mut v =
        json!({"type": "pages", "page": page, "per_page": per_page, "total_pages": total_pages});
    if let Some(cursor) = next {
        v["next"] = json!({"page": page + 1, "starting_after": cursor});
    }
    v
}

/// `pages` of page-number lists typed `cursor_pages` (companies): `next` names the next page
/// as `{page, per_page}` (shape unconfirmed; the 2.11 examples only show single pages), null at
/// the end.
pub(crate) fn number_pages(page: usize, per_page: usize, total: usize) -> Value {
    let total_pages = total.div_ceil(per_page.max(1));
    let next = (page < total_pages).then(|| json!({"page": page + 1, "per_page": per_page}));
    json!({"type": "pages", "page": page, "per_page": per_page, "total_pages": total_pages, "next": next})
}

/// `pages` of page-number lists typed `pages_link`: `next` is a URL or null.
pub(crate) fn link_pages(
    base: &str,
    path: &str,
    page: usize,
    per_page: usize,
    total: usize,
) -> Value {
    let total_pages = total.div_ceil(per_page.max(1));
    let next =
        (page < total_pages).then(|| format!("{base}{path}?per_page={per_page}&page={}", page + 1));
    json!({"type": "pages", "page": page, "per_page": per_page, "total_pages": total_pages, "next": next})
}
