//! Contact routes: list (cursor pages), show, create, update, delete, archive, unarchive (the
//! contact's companies live in `contact_companies`).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::params::{Query, json_object};
use super::write::{ContactWrite, apply_contact_write, create_contact, set_flag};
use crate::error::{ApiError, ApiResult};
use crate::model::contact::{FLAG_ARCHIVED, FLAG_DELETED};
use crate::render::{contact, misc};
use crate::server::state::{AppState, now_ms, now_secs};
use crate::webhooks::topics::{self, ContactChange};

/// `GET /contacts`: default 10, max 150; cursor = position in slot order.
pub(crate) async fn list(
    State(st): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let q = Query::parse(q.as_deref());
    let per_page = q.per_page(10, 150)?;
    let _ = q.page()?;
    let w = st.read();
    let (start, page) = match q.str("starting_after").filter(|s| !s.is_empty()) {
        None => (0usize, 1usize),
        Some(c) => {
            let v = misc::decode_cursor(c)
                .ok_or_else(|| ApiError::invalid("starting_after is invalid"))?;
            let slot = v
                .get(0)
                .and_then(Value::as_u64)
                .ok_or_else(|| ApiError::invalid("starting_after is invalid"))?;
            let page = v.get(2).and_then(Value::as_u64).unwrap_or(1) as usize;
            (slot as usize + 1, page + 1)
        }
    };
    let mut slots = Vec::with_capacity(per_page);
    let mut last = None;
    let mut pos = start;
    while pos < w.contacts.len() && slots.len() < per_page {
        if w.contacts[pos].is_live() {
            slots.push(pos as u32);
            last = Some(pos);
        }
        pos += 1;
    }
    let more = w.contacts[pos.min(w.contacts.len())..]
        .iter()
        .any(|c| c.is_live());
    let next = match (more, last) {
        (true, Some(l)) => Some(misc::encode_cursor(&json!([
            l,
            w.contacts[l].id.to_string(),
            page
        ]))),
        _ => None,
    };
    let total = live_contacts(&w);
    Ok(misc::json_response(&contact::ContactPage {
        kind: "list",
        data: contact::ContactsSer {
            world: &w,
            slots: &slots,
        },
        total_count: total,
        pages: misc::cursor_pages(page, per_page, total, next),
    }))
}

pub(crate) fn live_contacts(w: &crate::model::world::World) -> usize {
    w.live
}

pub(crate) async fn show(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let w = st.read();
    let slot = w.contact_slot(&id).ok_or_else(ApiError::user_not_found)?;
    Ok(Json(contact::contact(&w, slot)))
}

pub(crate) async fn create(State(st): State<Arc<AppState>>, body: Bytes) -> ApiResult<Json<Value>> {
    let body = json_object(&body)?;
    let write = ContactWrite::parse(&body)?;
    if write.email.as_ref().and_then(Option::as_ref).is_none()
        && write
            .external_id
            .as_ref()
            .and_then(Option::as_ref)
            .is_none()
        && write.role.is_none()
    {
        return Err(ApiError::invalid(
            "Please provide one of email, external_id or role",
        ));
    }
    let mut w = st.write();
    let slot = create_contact(&mut w, write, now_secs(), now_ms())?;
    topics::contact(&st, &w, slot, ContactChange::Created);
    Ok(Json(contact::contact(&w, slot)))
}

pub(crate) async fn update(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = json_object(&body)?;
    let write = ContactWrite::parse(&body)?;
    let mut w = st.write();
    let slot = w.contact_slot(&id).ok_or_else(ApiError::user_not_found)?;
    apply_contact_write(&mut w, slot, write, now_secs(), now_ms())?;
    topics::contact(&st, &w, slot, ContactChange::Updated);
    Ok(Json(contact::contact(&w, slot)))
}

pub(crate) async fn delete(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let mut w = st.write();
    let slot = w.contact_slot(&id).ok_or_else(ApiError::user_not_found)?;
    let body = contact::contact_flag(&w, slot, "deleted", true);
    topics::contact(&st, &w, slot, ContactChange::Deleted);
    set_flag(&mut w, slot, FLAG_DELETED, true);
    Ok(Json(body))
}

pub(crate) async fn archive(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let mut w = st.write();
    let slot = w.contact_slot(&id).ok_or_else(ApiError::user_not_found)?;
    set_flag(&mut w, slot, FLAG_ARCHIVED, true);
    topics::contact(&st, &w, slot, ContactChange::Archived);
    Ok(Json(contact::contact_flag(&w, slot, "archived", true)))
}

pub(crate) async fn unarchive(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let mut w = st.write();
    let slot = w.contact_slot(&id).ok_or_else(ApiError::user_not_found)?;
    set_flag(&mut w, slot, FLAG_ARCHIVED, false);
    Ok(Json(contact::contact_flag(&w, slot, "archived", false)))
}
