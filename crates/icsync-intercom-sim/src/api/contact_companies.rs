//! A contact's companies: `GET /contacts/{id}/companies`, attach (`POST`) and detach
//! (`DELETE /contacts/{id}/companies/{company_id}`), shared with the control surface.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::params::{Query, json_object};
use crate::error::{ApiError, ApiResult};
use crate::model::world::World;
use crate::render::{company, misc};
use crate::server::state::{AppState, now_ms, now_secs};
use crate::webhooks::topics::{self, ContactChange};

/// Intercom refuses more associations than this per contact.
pub(crate) const MAX_COMPANIES: usize = 1000;

/// `GET /contacts/{id}/companies`: page-number pages; the body uses `data` like the example.
pub(crate) async fn list(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(q.as_deref());
    let per_page = q.per_page(50, 150)?;
    let page = q.page()?;
    let w = st.read();
    let slot = w.contact_slot(&id).ok_or_else(ApiError::user_not_found)?;
    let all = company_slots(&w, slot);
    let data: Vec<Value> = all
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|&c| company::company(&w, c))
        .collect();
    let path = format!("/contacts/{id}/companies");
    Ok(Json(json!({
        "type": "list",
        "data": data,
        "total_count": all.len(),
        "pages": misc::link_pages(&st.base_url, &path, page, per_page, all.len()),
    })))
}

/// Slots of the (not deleted) companies a contact is attached to, in attach order.
pub(crate) fn company_slots(w: &World, slot: u32) -> Vec<u32> {
    w.contacts[slot as usize]
        .companies
        .iter()
        .copied()
        .filter(|&c| !w.companies[c as usize].deleted)
        .collect()
}

/// `POST /contacts/{id}/companies` with `{id: <company id>}`: answers the company.
pub(crate) async fn attach_route(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = json_object(&body)?;
    let company_id = match body.get("id") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(ApiError::missing("company not specified"));
        }
        Some(_) => return Err(ApiError::invalid("id must be a string")),
    };
    let mut w = st.write();
    let (slot, cslot) = resolve(&w, &id, &company_id)?;
    if attach(&mut w, slot, cslot, now_secs(), now_ms())? {
        topics::contact(&st, &w, slot, ContactChange::Updated);
    }
    Ok(Json(company::company(&w, cslot)))
}

/// `DELETE /contacts/{id}/companies/{company_id}`: answers the company (its `user_count` one
/// lower); 404 `company_not_found` when the company does not exist or is not attached.
pub(crate) async fn detach_route(
    State(st): State<Arc<AppState>>,
    Path((id, company_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let mut w = st.write();
    let (slot, cslot) = resolve(&w, &id, &company_id)?;
    detach(&mut w, slot, cslot, now_secs(), now_ms())?;
    topics::contact(&st, &w, slot, ContactChange::Updated);
    Ok(Json(company::company(&w, cslot)))
}

/// The contact and company slots of a pair of Intercom ids (404s in Intercom's words).
pub(crate) fn resolve(w: &World, contact_id: &str, company_id: &str) -> ApiResult<(u32, u32)> {
    let slot = w
        .contact_slot(contact_id)
        .ok_or_else(ApiError::user_not_found)?;
    let cslot = w
        .company_slot(company_id)
        .ok_or_else(ApiError::company_not_found)?;
    Ok((slot, cslot))
}

/// Attaches and bumps the contact's `updated_at` (a write: the contact lags in search).
/// Attaching an attached company changes nothing.
pub(crate) fn attach(
    w: &mut World,
    slot: u32,
    cslot: u32,
    now: i64,
    now_ms: i64,
) -> ApiResult<bool> {
    if !link(w, slot, cslot)? {
        return Ok(false);
    }
    bump(w, slot, now, now_ms);
    Ok(true)
}

/// Detaches and bumps the contact's `updated_at`.
pub(crate) fn detach(w: &mut World, slot: u32, cslot: u32, now: i64, now_ms: i64) -> ApiResult<()> {
    let rec = &mut w.contacts[slot as usize];
    if !rec.companies.contains(&cslot) {
        return Err(ApiError::company_not_found());
    }
    rec.companies = rec
        .companies
        .iter()
        .copied()
        .filter(|&c| c != cslot)
        .collect();
    w.companies[cslot as usize].contacts.retain(|&s| s != slot);
    bump(w, slot, now, now_ms);
    Ok(())
}

/// Adds the association without touching timestamps; `false` when it already existed.
pub(crate) fn link(w: &mut World, slot: u32, cslot: u32) -> ApiResult<bool> {
    let rec = &mut w.contacts[slot as usize];
    if rec.companies.contains(&cslot) {
        return Ok(false);
    }
    if rec.companies.len() >= MAX_COMPANIES {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "contact_company_limit_exceeded",
            "Contact has reached the maximum of 1000 company associations",
        ));
    }
    let mut list = rec.companies.to_vec();
    list.push(cslot);
    rec.companies = list.into_boxed_slice();
    w.companies[cslot as usize].contacts.push(slot);
    Ok(true)
}

fn bump(w: &mut World, slot: u32, now: i64, now_ms: i64) {
    w.contact_ext(slot, now_ms);
    let rec = &mut w.contacts[slot as usize];
    rec.updated_at = rec.updated_at.max(crate::model::contact::to_ts(Some(now)));
}
