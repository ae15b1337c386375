//! Company routes: list (page numbers, 10,000 cap), `POST /companies/list`, the per-workspace
//! scroll, show, and the company's contacts (writes live in `company_write`).

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::params::Query;
use crate::error::{ApiError, ApiResult};
use crate::model::world::World;
use crate::render::{company, contact, misc};
use crate::server::state::{AppState, Scroll};

/// Page-number listing stops here: "page limit reached, please use scroll API".
pub(crate) const LIST_CAP: usize = 10_000;
/// Companies per scroll page.
pub(crate) const SCROLL_PAGE: usize = 15;

fn page_limit(page: usize, per_page: usize) -> ApiResult<()> {
    if (page - 1) * per_page >= LIST_CAP {
        return Err(ApiError::bad_request(
            "page limit reached, please use scroll API",
        ));
    }
    Ok(())
}

fn list_page(w: &World, slots: &[u32], page: usize, per_page: usize) -> Value {
    // The cap also trims the last reachable page.
    let visible = slots.len().min(LIST_CAP);
    let start = ((page - 1) * per_page).min(visible);
    let end = (start + per_page).min(visible);
    let data: Vec<Value> = slots[start..end]
        .iter()
        .map(|&s| company::company(w, s))
        .collect();
    json!({"type": "list", "data": data, "total_count": slots.len(), "pages": misc::number_pages(page, per_page, visible)})
}

/// `GET /companies`: `company_id`/`name` find one, `tag_id`/`segment_id` filter, else all.
pub(crate) async fn list(
    State(st): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(q.as_deref());
    let per_page = q.per_page(15, 150)?;
    let page = q.page()?;
    let w = st.read();
    let live = |s: &u32| !w.companies[*s as usize].deleted;
    let slots: Vec<u32> = if let Some(cid) = q.str("company_id") {
        let slot = w
            .company_ids
            .get(cid)
            .copied()
            .filter(live)
            .ok_or_else(ApiError::company_not_found)?;
        vec![slot]
    } else if let Some(name) = q.str("name") {
        let found: Vec<u32> = (0..w.companies.len() as u32)
            .filter(|s| live(s) && w.companies[*s as usize].name == name)
            .collect();
        if found.is_empty() {
            return Err(ApiError::company_not_found());
        }
        found
    } else if let Some(tag) = q.str("tag_id") {
        let t = w.tag_index(tag);
        (0..w.companies.len() as u32)
            .filter(|s| live(s) && t.is_some_and(|t| w.companies[*s as usize].tags.contains(&t)))
            .collect()
    } else if q.str("segment_id").is_some() {
        Vec::new()
    } else {
        page_limit(page, per_page)?;
        (0..w.companies.len() as u32).filter(live).collect()
    };
    Ok(Json(list_page(&w, &slots, page, per_page)))
}

/// `POST /companies/list`: companies with contacts, by `last_request_at` (`order` asc|desc).
pub(crate) async fn list_all(
    State(st): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(q.as_deref());
    let per_page = q.per_page(15, 150)?;
    let page = q.page()?;
    let asc = match q.str("order") {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(_) => return Err(ApiError::invalid("order must be asc or desc")),
    };
    page_limit(page, per_page)?;
    let w = st.read();
    let mut slots: Vec<u32> = (0..w.companies.len() as u32)
        .filter(|&s| {
            let c = &w.companies[s as usize];
            !c.deleted && c.contacts.iter().any(|&k| w.contacts[k as usize].is_live())
        })
        .collect();
    slots.sort_by_key(|&s| (w.companies[s as usize].last_request_at, s));
    if !asc {
        slots.reverse();
    }
    Ok(Json(list_page(&w, &slots, page, per_page)))
}

fn scroll_param() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `GET /companies/scroll`: one open scroll per workspace; idle expiry; empty page at the end.
pub(crate) async fn scroll(
    State(st): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(q.as_deref());
    let fail_roll = {
        let rt = st.rt();
        rt.faults.scroll_failure_rate
    };
    let mut rt = st.rt();
    let expiry = rt.scroll_expiry;
    if rt
        .scroll
        .as_ref()
        .is_some_and(|s| s.last_used.elapsed() >= expiry)
    {
        rt.scroll = None;
    }
    let position = match q.str("scroll_param").filter(|p| !p.is_empty()) {
        None => {
            if rt.scroll.is_some() {
                return Err(ApiError::bad_request("scroll already exists for this app")
                    .with_code("scroll_exists"));
            }
            rt.scroll = Some(Scroll {
                param: scroll_param(),
                position: 0,
                last_used: Instant::now(),
            });
            0
        }
        Some(p) => match &rt.scroll {
            Some(s) if s.param == p => s.position,
            _ => {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "scroll parameter not found",
                ));
            }
        },
    };
    if fail_roll > 0.0
        && crate::rng::mix(crate::server::state::now_ms() as u64) % 10_000
            < (fail_roll * 10_000.0) as u64
    {
        rt.scroll = None;
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Request failed due to an internal network error. Please restart the scroll operation.",
        ));
    }
    let w = st.read();
    let mut data = Vec::with_capacity(SCROLL_PAGE);
    let mut pos = position;
    while pos < w.companies.len() && data.len() < SCROLL_PAGE {
        if !w.companies[pos].deleted {
            data.push(company::company(&w, pos as u32));
        }
        pos += 1;
    }
    let param = rt
        .scroll
        .as_ref()
        .map(|s| s.param.clone())
        .unwrap_or_default();
    if data.is_empty() {
        // The end: the param expires and a new scroll may start.
        rt.scroll = None;
    } else if let Some(s) = rt.scroll.as_mut() {
        s.position = pos;
        s.last_used = Instant::now();
    }
    Ok(Json(
        json!({"type": "list", "data": data, "pages": null, "total_count": null, "scroll_param": param}),
    ))
}

pub(crate) async fn show(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let w = st.read();
    let slot = w
        .company_slot(&id)
        .ok_or_else(ApiError::company_not_found)?;
    Ok(Json(company::company(&w, slot)))
}

/// `GET /companies/{id}/contacts`.
pub(crate) async fn contacts(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<axum::response::Response> {
    let q = Query::parse(q.as_deref());
    let per_page = q.per_page(50, 150)?;
    let page = q.page()?;
    let w = st.read();
    let slot = w
        .company_slot(&id)
        .ok_or_else(ApiError::company_not_found)?;
    let all: Vec<u32> = w.companies[slot as usize]
        .contacts
        .iter()
        .copied()
        .filter(|&s| w.contacts[s as usize].is_live())
        .collect();
    let start = ((page - 1) * per_page).min(all.len());
    let end = (start + per_page).min(all.len());
    Ok(misc::json_response(&contact::ContactPage {
        kind: "list",
        data: contact::ContactsSer {
            world: &w,
            slots: &all[start..end],
        },
        total_count: all.len(),
        pages: misc::number_pages(page, per_page, all.len()),
    }))
}
