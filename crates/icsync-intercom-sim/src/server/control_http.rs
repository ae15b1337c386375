//! HTTP handlers of the control surface under `/_sim/` (no Intercom auth, never journaled):
//! knobs, journal and mutations (read-back routes live in `control_read`).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::state::AppState;
use crate::api::params::{Query, json_object};
use crate::config::FaultConfig;
use crate::control::conversations;
use crate::control::mutate::{self, NewContact};
use crate::control::{self, Knobs};
use crate::error::{ApiError, ApiResult};

pub(crate) async fn summary(State(st): State<Arc<AppState>>) -> Json<Value> {
    Json(json!(control::summary(&st)))
}

pub(crate) async fn journal(
    State(st): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(q.as_deref());
    let since = q.int("since")?.unwrap_or(0).max(0) as u64;
    let limit = q.int("limit")?.unwrap_or(1000).clamp(1, 100_000) as usize;
    let entries = control::journal(&st, since, limit);
    let total = st.journal().total();
    Ok(Json(json!({"entries": entries, "total": total})))
}

pub(crate) async fn clear_journal(State(st): State<Arc<AppState>>) -> StatusCode {
    st.journal().clear();
    StatusCode::NO_CONTENT
}

pub(crate) async fn reset(State(st): State<Arc<AppState>>) -> StatusCode {
    let anchor = st.read().settings.anchor;
    control::reset(&st, anchor);
    StatusCode::NO_CONTENT
}

pub(crate) async fn get_faults(State(st): State<Arc<AppState>>) -> Json<Value> {
    Json(json!(st.rt().faults))
}

pub(crate) async fn put_faults(
    State(st): State<Arc<AppState>>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let faults: FaultConfig = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(format!("invalid faults: {e}")))?;
    control::set_faults(&st, faults.clone());
    Ok(Json(json!(faults)))
}

pub(crate) async fn get_knobs(State(st): State<Arc<AppState>>) -> Json<Value> {
    Json(json!(control::knobs(&st)))
}

pub(crate) async fn put_knobs(
    State(st): State<Arc<AppState>>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let knobs: Knobs = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(format!("invalid settings: {e}")))?;
    control::set_knobs(&st, &knobs);
    Ok(Json(json!(control::knobs(&st))))
}

pub(crate) async fn update_contact(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = json_object(&body)?;
    mutate::update_contact(&st, &id, &body).map(Json)
}

/// `POST /_sim/contacts`: a [`NewContact`] body; answers the contact JSON.
pub(crate) async fn create_contact(
    State(st): State<Arc<AppState>>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let c: NewContact = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(format!("invalid contact: {e}")))?;
    mutate::create_contact(&st, c).map(Json)
}

pub(crate) async fn attach_company(
    State(st): State<Arc<AppState>>,
    Path((id, company_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    mutate::attach_company(&st, &id, &company_id).map(Json)
}

pub(crate) async fn detach_company(
    State(st): State<Arc<AppState>>,
    Path((id, company_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    mutate::detach_company(&st, &id, &company_id).map(Json)
}

pub(crate) async fn delete_contact(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    mutate::delete_contact(&st, &id)?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn add_event(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let b = json_object(&body)?;
    let name = b
        .get("event_name")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("event_name is required"))?;
    let created_at = match b.get("created_at") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| ApiError::invalid("created_at must be Unix seconds"))?,
        ),
    };
    let metadata = b
        .get("metadata")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    mutate::add_contact_event(&st, &id, name, created_at, metadata)?;
    Ok(StatusCode::ACCEPTED.into_response())
}

pub(crate) async fn start_conversation(
    State(st): State<Arc<AppState>>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let b = json_object(&body)?;
    let contact = b
        .get("contact_id")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("contact_id is required"))?;
    let text = b.get("body").and_then(Value::as_str).unwrap_or("Hello");
    let subject = b.get("subject").and_then(Value::as_str).unwrap_or("");
    let id = conversations::start_conversation(&st, contact, subject, &format!("<p>{text}</p>"))?;
    Ok(Json(json!({"type": "conversation", "id": id})))
}

pub(crate) async fn reply(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let b = json_object(&body)?;
    let text = b
        .get("body")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("body is required"))?;
    let admin = admin_id(&b)?;
    conversations::reply(&st, &id, text, admin).map(Json)
}

fn admin_id(b: &serde_json::Map<String, Value>) -> ApiResult<Option<i64>> {
    match b.get("admin_id") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => Ok(Some(
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .ok_or_else(|| ApiError::invalid("admin_id must be an admin id"))?,
        )),
    }
}

/// `POST /_sim/conversations/{id}/close` with `{admin_id?}` (default: the first admin).
pub(crate) async fn close(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let b = json_object(&body)?;
    conversations::close(&st, &id, admin_id(&b)?).map(Json)
}

/// `POST /_sim/oauth/codes` with `{ttl_ms?}`: `{code, client_id, expires_in}` (seconds).
pub(crate) async fn mint_oauth_code(
    State(st): State<Arc<AppState>>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let b = json_object(&body)?;
    let ttl = match b.get("ttl_ms") {
        None | Some(Value::Null) => None,
        Some(v) => Some(std::time::Duration::from_millis(v.as_u64().ok_or_else(
            || ApiError::invalid("ttl_ms must be a whole number of milliseconds"),
        )?)),
    };
    let (code, ttl) = crate::api::oauth::mint_code(&st, ttl);
    Ok(Json(json!({
        "code": code,
        "client_id": st.config.oauth.client_id,
        "expires_in": ttl.as_secs(),
    })))
}
