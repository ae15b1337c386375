//! `GET /conversations` (cursor pages, no parts) and `GET /conversations/{id}` (500 parts).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Value, json};

use super::params::Query;
use crate::error::{ApiError, ApiResult};
use crate::render::{conversation, misc};
use crate::server::state::AppState;

pub(crate) async fn list(
    State(st): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(q.as_deref());
    let per_page = q.per_page(20, 150)?;
    let w = st.read();
    let visible = |s: usize| !w.contacts[w.conversations[s].contact as usize].is_deleted();
    let (start, page) = match q.str("starting_after").filter(|s| !s.is_empty()) {
        None => (0, 1),
        Some(c) => {
            let v = misc::decode_cursor(c)
                .ok_or_else(|| ApiError::invalid("starting_after is invalid"))?;
            let slot = v
                .get(0)
                .and_then(Value::as_u64)
                .ok_or_else(|| ApiError::invalid("starting_after is invalid"))?;
            (
                slot as usize + 1,
                v.get(1).and_then(Value::as_u64).unwrap_or(1) as usize + 1,
            )
        }
    };
    let mut data = Vec::with_capacity(per_page);
    let mut pos = start;
    let mut last = None;
    while pos < w.conversations.len() && data.len() < per_page {
        if visible(pos) {
            data.push(conversation::list_item(&w, pos as u32));
            last = Some(pos);
        }
        pos += 1;
    }
    let more = (pos..w.conversations.len()).any(visible);
    let next = last
        .filter(|_| more)
        .map(|l| misc::encode_cursor(&json!([l, page])));
    let total = w.conversations.len() - w.hidden_conversations;
    Ok(Json(json!({
        "type": "conversation.list",
        "conversations": data,
        "total_count": total,
        "pages": misc::cursor_pages(page, per_page, total, next),
    })))
}

pub(crate) async fn show(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(q.as_deref());
    let plaintext = q.str("display_as") == Some("plaintext");
    let w = st.read();
    let slot = w
        .conversation_slot(&id)
        .filter(|&s| !w.contacts[w.conversations[s as usize].contact as usize].is_deleted())
        .ok_or_else(ApiError::resource_not_found)?;
    Ok(Json(conversation::full(&w, slot, plaintext)))
}
