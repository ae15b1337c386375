//! `GET /_sim/...` read-back routes: the simulator's truth as the API renders it, for tests
//! that compare a store with it.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::state::AppState;
use crate::api::params::Query;
use crate::control::readback;
use crate::error::ApiResult;

/// `GET /_sim/contacts?created_since=&offset=&limit=`: listable contacts, full JSON.
pub(crate) async fn contacts(
    State(st): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let q = Query::parse(q.as_deref());
    let since = q.int("created_since")?;
    let offset = q.int("offset")?.unwrap_or(0).max(0) as usize;
    let limit = q.int("limit")?.map_or(usize::MAX, |l| l.max(0) as usize);
    Ok(readback::contacts_page_body(&st, since, offset, limit))
}

/// `GET /_sim/contacts/refs?created_since=`: `{data: [{id, role, created_at, updated_at}], total_count}`.
pub(crate) async fn contact_refs(
    State(st): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let since = Query::parse(q.as_deref())
        .int("created_since")?
        .unwrap_or(0);
    let refs = readback::contacts_created_since(&st, since);
    Ok(Json(
        json!({"type": "list", "total_count": refs.len(), "data": refs}),
    ))
}

pub(crate) async fn contact(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    readback::contact_json(&st, &id).map(Json)
}

/// `GET /_sim/contacts/{id}/companies`: `{company_ids, total_count}` (all, not the inline 10).
pub(crate) async fn contact_companies(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let ids = readback::contact_company_ids(&st, &id)?;
    Ok(Json(json!({"total_count": ids.len(), "company_ids": ids})))
}

/// `GET /_sim/contacts/{id}/events`: `{total, listable, events}` (`events`: the listable ones).
pub(crate) async fn contact_events(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let counts = readback::event_counts(&st, &id)?;
    let events = readback::contact_events_json(&st, &id)?;
    Ok(Json(
        json!({"total": counts.total, "listable": counts.listable, "events": events}),
    ))
}

/// `GET /_sim/companies`: every company, full JSON.
pub(crate) async fn companies(State(st): State<Arc<AppState>>) -> Json<Value> {
    let data = readback::companies_json(&st);
    Json(json!({"type": "list", "total_count": data.len(), "data": data}))
}
