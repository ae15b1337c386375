//! `/_sim/webhooks` routes: configuration, the webhook journal, ping, forgery and replay.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::state::AppState;
use crate::api::params::Query;
use crate::control::webhooks::{self, WebhookUpdate};
use crate::error::{ApiError, ApiResult, SimError};
use crate::webhooks::Forgery;

fn invalid(e: SimError) -> ApiError {
    ApiError::invalid(e.to_string())
}

pub(crate) async fn get(State(st): State<Arc<AppState>>) -> Json<Value> {
    Json(json!(webhooks::view(&st)))
}

/// `PUT /_sim/webhooks` with `{url, client_secret, retry_delay_ms, timeout_ms, faults}`.
pub(crate) async fn put(State(st): State<Arc<AppState>>, body: Bytes) -> ApiResult<Json<Value>> {
    let u: WebhookUpdate = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(format!("invalid webhook settings: {e}")))?;
    Ok(Json(json!(webhooks::update(&st, u).map_err(invalid)?)))
}

/// `GET /_sim/webhooks/journal?since=&limit=`: `{entries, total}`.
pub(crate) async fn journal(
    State(st): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(q.as_deref());
    let since = q.int("since")?.unwrap_or(0).max(0) as u64;
    let limit = q.int("limit")?.unwrap_or(1000).clamp(1, 100_000) as usize;
    let entries = webhooks::journal(&st, since, limit);
    Ok(Json(json!({"entries": entries})))
}

pub(crate) async fn clear_journal(State(st): State<Arc<AppState>>) -> StatusCode {
    st.webhooks.hub.journal().clear();
    StatusCode::NO_CONTENT
}

/// `POST /_sim/webhooks/ping`: 202 `{id}`, or 400 without a URL.
pub(crate) async fn ping(State(st): State<Arc<AppState>>) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = webhooks::ping(&st)
        .ok_or_else(|| ApiError::invalid("no webhook url is configured (PUT /_sim/webhooks)"))?;
    Ok((StatusCode::ACCEPTED, Json(json!({"id": id}))))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ForgeBody {
    kind: Forgery,
    topic: Option<String>,
    item: Option<Value>,
}

/// `POST /_sim/webhooks/forge` with `{kind: bad_signature|missing_signature, topic?, item?}`:
/// sends it now and answers its journal entry.
pub(crate) async fn forge(State(st): State<Arc<AppState>>, body: Bytes) -> ApiResult<Json<Value>> {
    let b: ForgeBody = if body.iter().all(u8::is_ascii_whitespace) {
        ForgeBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::invalid(format!("invalid forgery: {e}")))?
    };
    let d = webhooks::forge(&st, b.kind, b.topic, b.item)
        .await
        .map_err(invalid)?;
    Ok(Json(json!(d)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayBody {
    seq: u64,
}

/// `POST /_sim/webhooks/replay` with `{seq}`: re-sends that delivery byte for byte.
pub(crate) async fn replay(State(st): State<Arc<AppState>>, body: Bytes) -> ApiResult<Json<Value>> {
    let b: ReplayBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(format!("invalid replay (expected {{\"seq\": N}}): {e}")))?;
    let d = webhooks::replay(&st, b.seq).await.map_err(invalid)?;
    Ok(Json(json!(d)))
}
