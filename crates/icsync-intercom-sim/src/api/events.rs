//! `GET /events` (per contact, last 90 days, `pages.next` on our own host, `summary=true`) and
//! `POST /events` (202, silent dedupe, metadata capped at 10 keys).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::params::{Query, json_object, only_fields};
use crate::error::{ApiError, ApiResult};
use crate::model::contact::normalize_email;
use crate::model::event::EventData;
use crate::model::world::World;
use crate::render::misc;
use crate::server::state::{AppState, now_secs};

/// Events older than this are not listed (summaries still count them).
pub(crate) const LIST_WINDOW_SECS: i64 = 90 * 86_400;
pub(crate) const METADATA_KEYS: usize = 10;

fn resolve(w: &World, q: &Query) -> ApiResult<u32> {
    let given = ["intercom_user_id", "user_id", "email"]
        .iter()
        .filter(|k| q.str(k).is_some())
        .count();
    if given != 1 {
        return Err(ApiError::invalid(
            "Exactly one of intercom_user_id, user_id or email is required",
        ));
    }
    let found = if let Some(id) = q.str("intercom_user_id") {
        w.contact_slot(id).into_iter().collect()
    } else if let Some(uid) = q.str("user_id") {
        w.contacts_by_external_id(uid)
    } else {
        w.contacts_by_email(q.str("email").unwrap_or_default())
    };
    match found.as_slice() {
        [] => Err(ApiError::user_not_found()),
        [one] => Ok(*one),
        _ => Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "Multiple existing users match this email address - must be more specific using user_id",
        )),
    }
}

pub(crate) async fn list(
    State(st): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = Query::parse(raw.as_deref());
    match q.str("type") {
        Some("user") => {}
        Some(_) => return Err(ApiError::invalid("type must be user")),
        None => return Err(ApiError::missing("type is required")),
    }
    let summary = q.bool("summary")?.unwrap_or(false);
    let per_page = q.per_page(15, 150)?;
    let before_ms = q.int("before")?;
    let w = st.read();
    let slot = resolve(&w, &q)?;
    let rec = &w.contacts[slot as usize];
    let data = w.contact_data(slot);
    let contact_id = rec.id.to_string();
    let email = data
        .email
        .as_deref()
        .map(normalize_email)
        .unwrap_or_default();
    let events = w.events_of(slot);
    if summary {
        let mut by_name: BTreeMap<&str, (i64, i64, u64)> = BTreeMap::new();
        for e in &events {
            let entry = by_name
                .entry(&e.name)
                .or_insert((e.created_at, e.created_at, 0));
            entry.0 = entry.0.min(e.created_at);
            entry.1 = entry.1.max(e.created_at);
            entry.2 += 1;
        }
        let iso = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string())
        };
        let items: Vec<Value> = by_name
            .iter()
            .map(|(n, (first, last, count))| json!({"name": n, "first": iso(*first), "last": iso(*last), "count": count, "description": ""}))
            .collect();
        return Ok(Json(json!({
            "type": "event.summary",
            "email": email,
            "intercom_user_id": contact_id,
            "user_id": data.external_id.clone().unwrap_or_default(),
            "events": items,
        }))
        .into_response());
    }
    let cutoff = now_secs().max(w.settings.anchor) - LIST_WINDOW_SECS;
    let listable: Vec<&EventData> = events
        .iter()
        .filter(|e| e.created_at >= cutoff)
        .filter(|e| before_ms.is_none_or(|b| e.created_at * 1000 < b))
        .collect();
    let page: Vec<misc::EventSer<'_>> = listable
        .iter()
        .take(per_page)
        .map(|e| misc::EventSer::new(e, &contact_id, data.external_id.as_deref(), &email))
        .collect();
    let mut pages = Map::new();
    let base = format!(
        "{}/events?type=user&intercom_user_id={contact_id}&per_page={per_page}",
        st.base_url
    );
    if listable.len() > per_page
        && let Some(last) = listable.get(per_page - 1)
    {
        pages.insert(
            "next".into(),
            json!(format!("{base}&before={}", last.created_at * 1000)),
        );
    }
    if let Some(newest) = listable.first() {
        pages.insert(
            "since".into(),
            json!(format!("{base}&since={}", newest.created_at * 1000 + 1)),
        );
    }
    Ok(misc::json_response(&EventList {
        events: page,
        pages,
        kind: "event.list",
    }))
}

/// `{type: event.list, events, pages}`, serialized straight from the model.
#[derive(serde::Serialize)]
struct EventList<'a> {
    events: Vec<misc::EventSer<'a>>,
    pages: Map<String, Value>,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// Adds one event; duplicates (same contact, name and `created_at`) are accepted and dropped.
pub(crate) fn add_event(
    w: &mut World,
    slot: u32,
    name: &str,
    created_at: i64,
    metadata: Map<String, Value>,
) {
    let dup = w
        .events_of(slot)
        .iter()
        .any(|e| e.name == name && e.created_at == created_at);
    if !dup {
        let metadata: Map<String, Value> = metadata.into_iter().take(METADATA_KEYS).collect();
        w.added_events.entry(slot).or_default().push(EventData {
            name: name.to_owned(),
            created_at,
            metadata,
        });
    }
}

pub(crate) async fn create(State(st): State<Arc<AppState>>, body: Bytes) -> ApiResult<Response> {
    let b = json_object(&body)?;
    only_fields(
        &b,
        &[
            "event_name",
            "created_at",
            "user_id",
            "id",
            "email",
            "metadata",
        ],
    )?;
    let name = match b.get("event_name") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(ApiError::missing("event_name is required"));
        }
        Some(_) => return Err(ApiError::invalid("event_name must be a string")),
    };
    let created_at = match b.get("created_at") {
        Some(v) if v.is_i64() => v.as_i64().unwrap_or_default(),
        None => return Err(ApiError::missing("created_at is required")),
        Some(_) => return Err(ApiError::invalid("created_at must be an integer")),
    };
    let metadata = match b.get("metadata") {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(ApiError::invalid("metadata must be an object")),
    };
    let mut q = Query::default();
    for (k, qk) in [
        ("id", "intercom_user_id"),
        ("user_id", "user_id"),
        ("email", "email"),
    ] {
        match b.get(k) {
            None => {}
            Some(Value::String(s)) => {
                q.0.insert(qk.to_owned(), s.clone());
            }
            Some(_) => return Err(ApiError::invalid(format!("{k} must be a string"))),
        }
    }
    if q.0.is_empty() {
        return Err(ApiError::missing("One of id, user_id or email is required"));
    }
    // With several identifiers, Intercom prefers id, then user_id.
    for drop in ["email", "user_id"] {
        if q.0.len() > 1 {
            q.0.remove(drop);
        }
    }
    let mut w = st.write();
    let slot = resolve(&w, &q)?;
    add_event(&mut w, slot, &name, created_at, metadata);
    Ok(StatusCode::ACCEPTED.into_response())
}
