//! `POST /contacts/search`: body-only pagination over cached result snapshots, sort, and the
//! search-index lag (filters live in `contact_filter`, conversations in `conversation_search`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use serde_json::{Map, Value, json};

use super::contact_filter::{ContactEval, contact_kind, indexed_candidates, sort_contacts};
use super::params::{json_object, page_size};
use super::query::{Kind, parse};
use crate::error::{ApiError, ApiResult};
use crate::render::{contact, misc};
use crate::server::state::{AppState, now_ms};

/// Parsed `pagination` and `sort` of a search body.
pub(crate) struct Paging {
    pub per_page: usize,
    pub cursor: Option<(u64, usize, usize)>,
    pub sort: Option<(String, bool)>,
}

pub(crate) fn paging(body: &Map<String, Value>, default: usize) -> ApiResult<Paging> {
    super::params::only_fields(body, &["query", "pagination", "sort"])?;
    let (per_page, cursor) = match body.get("pagination") {
        None | Some(Value::Null) => (default, None),
        Some(Value::Object(p)) => {
            let per_page = match p.get("per_page") {
                None => None,
                Some(v) => Some(
                    v.as_i64()
                        .ok_or_else(|| ApiError::invalid("per_page must be an integer"))?,
                ),
            };
            let cursor = match p.get("starting_after") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if s.is_empty() => None,
                Some(Value::String(s)) => {
                    let v = misc::decode_cursor(s)
                        .ok_or_else(|| ApiError::invalid("starting_after is invalid"))?;
                    let n = |i: usize| v.get(i).and_then(Value::as_u64).map(|x| x as usize);
                    Some((
                        n(0).unwrap_or(0) as u64,
                        n(1).ok_or_else(|| ApiError::invalid("starting_after is invalid"))?,
                        n(2).unwrap_or(1),
                    ))
                }
                Some(_) => return Err(ApiError::invalid("starting_after must be a string")),
            };
            (page_size(per_page, default, 150)?, cursor)
        }
        Some(_) => return Err(ApiError::invalid("pagination must be an object")),
    };
    let sort = match body.get("sort") {
        None | Some(Value::Null) => None,
        Some(Value::Object(s)) => {
            let field = s
                .get("field")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::invalid("sort.field is required"))?;
            let desc = match s
                .get("order")
                .and_then(Value::as_str)
                .unwrap_or("ascending")
            {
                "ascending" => false,
                "descending" => true,
                _ => {
                    return Err(
                        ApiError::invalid("sort.order must be ascending or descending")
                            .with_code("invalid_sort_order"),
                    );
                }
            };
            Some((field.to_owned(), desc))
        }
        Some(_) => return Err(ApiError::invalid("sort must be an object")),
    };
    Ok(Paging {
        per_page,
        cursor,
        sort,
    })
}

/// Runs (or reuses) a search and returns `(page items, total, page number, next cursor)`.
pub(crate) fn page_of(
    st: &AppState,
    key: String,
    paging: &Paging,
    compute: impl FnOnce() -> Vec<u32>,
) -> (Vec<u32>, usize, usize, Option<String>) {
    let (snap_id, offset, page) = paging.cursor.unwrap_or((0, 0, 0));
    let cached = paging.cursor.and_then(|_| st.cache().get(snap_id, &key));
    let (snap_id, slots) = match cached {
        Some(s) => (snap_id, s),
        None => {
            let slots = compute();
            st.cache().put(key, slots)
        }
    };
    let end = (offset + paging.per_page).min(slots.len());
    let items = slots
        .get(offset..end)
        .map(<[u32]>::to_vec)
        .unwrap_or_default();
    let next = (end < slots.len()).then(|| misc::encode_cursor(&json!([snap_id, end, page + 1])));
    (items, slots.len(), page + 1, next)
}

pub(crate) async fn contacts(
    State(st): State<Arc<AppState>>,
    body: Bytes,
) -> ApiResult<axum::response::Response> {
    let body = json_object(&body)?;
    let paging = paging(&body, 50)?;
    let query = body
        .get("query")
        .ok_or_else(|| ApiError::invalid("query is required"))?;
    let w = st.read();
    let node = parse(query, &|f| contact_kind(&w, f), false)?;
    if let Some((field, _)) = &paging.sort
        && !matches!(
            contact_kind(&w, field),
            Some(Kind::Date | Kind::Int | Kind::Float | Kind::Str)
        )
    {
        return Err(ApiError::invalid(format!("{field} cannot be sorted on")));
    }
    let key = json!({"q": query, "s": body.get("sort"), "m": "contacts"}).to_string();
    let lag_ms = st.rt().search_lag.as_millis() as i64;
    let now = now_ms();
    let eval = ContactEval { w: &w, tz: st.tz };
    let (items, total, page, next) = page_of(&st, key, &paging, || {
        let scan: Box<dyn Iterator<Item = u32>> = match indexed_candidates(&w, &node) {
            Some(slots) => Box::new(slots.into_iter()),
            None => Box::new(0..w.contacts.len() as u32),
        };
        let mut out: Vec<u32> = scan
            .filter(|&s| {
                let rec = &w.contacts[s as usize];
                rec.is_live()
                    && rec
                        .ext
                        .as_ref()
                        .is_none_or(|e| e.written_ms + lag_ms <= now)
                    && eval.eval(s, &node, &mut None)
            })
            .collect();
        if let Some((field, desc)) = &paging.sort {
            sort_contacts(&w, &mut out, field, *desc);
        }
        out
    });
    Ok(misc::json_response(&contact::ContactPage {
        kind: "list",
        data: contact::ContactsSer {
            world: &w,
            slots: &items,
        },
        total_count: total,
        pages: misc::cursor_pages(page, paging.per_page, total, next),
    }))
}
