//! Company routes: list (page numbers, 10,000 cap), `POST /companies/list`, the per-workspace
//! scroll, show, create-or-update by `company_id`, and the company's contacts.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::params::{Query, json_object, only_fields};
use crate::error::{ApiError, ApiResult};
use crate::model::attribute::{Model, value_fits};
use crate::model::company::{CompanyRec, Plan};
use crate::model::ids::{MAX_SLOT, ObjectId};
use crate::model::world::World;
use crate::render::{company, contact, misc};
use crate::server::state::{AppState, Scroll, now_secs};

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

const FIELDS: &[&str] = &[
    "name",
    "company_id",
    "plan",
    "size",
    "website",
    "industry",
    "custom_attributes",
    "remote_created_at",
    "monthly_spend",
];

fn get<'a>(
    b: &'a Map<String, Value>,
    k: &str,
    ok: fn(&Value) -> bool,
    what: &str,
) -> ApiResult<Option<&'a Value>> {
    match b.get(k) {
        None => Ok(None),
        Some(v) if ok(v) => Ok(Some(v)),
        Some(_) => Err(ApiError::invalid(format!("{k} must be {what}"))),
    }
}

/// A parsed company write (`POST /companies` or `PUT /companies/{id}`).
#[derive(Debug, Default)]
struct CompanyWrite {
    company_id: Option<String>,
    name: Option<String>,
    plan: Option<String>,
    website: Option<String>,
    industry: Option<String>,
    size: Option<i64>,
    remote_created_at: Option<i64>,
    monthly_spend: Option<i64>,
    custom: Option<Map<String, Value>>,
}

impl CompanyWrite {
    fn parse(b: &Map<String, Value>, allowed: &[&str]) -> ApiResult<Self> {
        only_fields(b, allowed)?;
        let s = |k| {
            get(b, k, Value::is_string, "a string")
                .map(|v| v.and_then(Value::as_str).map(str::to_owned))
        };
        let int = |k| get(b, k, Value::is_i64, "an integer").map(|v| v.and_then(Value::as_i64));
        // `monthly_spend` is an integer; floats are truncated (INTERCOM.md section 3).
        let spend = get(b, "monthly_spend", Value::is_number, "a number")?
            .and_then(Value::as_f64)
            .map(|f| f as i64);
        Ok(CompanyWrite {
            company_id: s("company_id")?,
            name: s("name")?,
            plan: s("plan")?,
            website: s("website")?,
            industry: s("industry")?,
            size: int("size")?,
            remote_created_at: int("remote_created_at")?,
            monthly_spend: spend,
            custom: get(b, "custom_attributes", Value::is_object, "an object")?
                .and_then(Value::as_object)
                .cloned(),
        })
    }
}

fn check_custom(w: &World, attrs: &Map<String, Value>) -> ApiResult<()> {
    for (k, v) in attrs {
        match w.attribute(Model::Company, k).filter(|a| !a.archived) {
            Some(a) if !value_fits(a, v) => {
                return Err(ApiError::invalid(format!(
                    "Custom attribute '{k}' expects a value of type {}",
                    a.data_type
                )));
            }
            None if w.settings.reject_unknown_custom_attributes => {
                return Err(ApiError::invalid(format!(
                    "Custom attribute '{k}' does not exist"
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

fn apply(w: &mut World, slot: u32, write: CompanyWrite, now: i64) {
    let c = &mut w.companies[slot as usize];
    if let Some(v) = write.name {
        c.name = v;
    }
    if let Some(p) = write.plan {
        c.plan = Some(Plan {
            id: format!("{}", 269_400 + p.len()),
            name: p,
        });
    }
    if let Some(v) = write.website {
        c.website = v;
    }
    if let Some(v) = write.industry {
        c.industry = v;
    }
    if let Some(v) = write.size {
        c.size = v;
    }
    if let Some(v) = write.remote_created_at {
        c.remote_created_at = v;
    }
    if let Some(v) = write.monthly_spend {
        c.monthly_spend = v.clamp(0, i64::from(i32::MAX));
    }
    for (k, v) in write.custom.unwrap_or_default() {
        if v.is_null() {
            c.custom_attributes.remove(&k);
        } else {
            c.custom_attributes.insert(k, v);
        }
    }
    c.updated_at = now;
}

/// `POST /companies`: create, or update the company with this `company_id`.
pub(crate) async fn create_or_update(
    State(st): State<Arc<AppState>>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let write = CompanyWrite::parse(&json_object(&body)?, FIELDS)?;
    let company_id = write
        .company_id
        .clone()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::missing("company_id not specified"))?;
    let now = now_secs();
    let mut w = st.write();
    if let Some(attrs) = &write.custom {
        check_custom(&w, attrs)?;
    }
    let slot = match w
        .company_ids
        .get(&company_id)
        .copied()
        .filter(|&s| !w.companies[s as usize].deleted)
    {
        Some(s) => s,
        None => {
            let slot = w.companies.len() as u32;
            if slot > MAX_SLOT {
                return Err(ApiError::invalid("workspace is full"));
            }
            let seed = w.settings.seed;
            w.companies.push(CompanyRec {
                id: ObjectId::new(
                    seed ^ 0xC0,
                    crate::generate::company::COMPANY_KIND,
                    now,
                    slot,
                ),
                company_id: company_id.clone(),
                name: String::new(),
                plan: None,
                remote_created_at: now,
                created_at: now,
                updated_at: now,
                last_request_at: now,
                size: 0,
                website: String::new(),
                industry: String::new(),
                monthly_spend: 0,
                session_count: 0,
                custom_attributes: Map::new(),
                tags: Vec::new(),
                contacts: Vec::new(),
                deleted: false,
            });
            w.company_ids.insert(company_id, slot);
            slot
        }
    };
    apply(&mut w, slot, write, now);
    Ok(Json(company::company(&w, slot)))
}

/// `PUT /companies/{id}`: update by Intercom id (the 2.14+ body: no `company_id`).
pub(crate) async fn update(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let allowed: Vec<&str> = FIELDS
        .iter()
        .copied()
        .filter(|f| *f != "company_id" && *f != "remote_created_at")
        .collect();
    let write = CompanyWrite::parse(&json_object(&body)?, &allowed)?;
    let mut w = st.write();
    let slot = w
        .company_slot(&id)
        .ok_or_else(ApiError::company_not_found)?;
    if let Some(attrs) = &write.custom {
        check_custom(&w, attrs)?;
    }
    apply(&mut w, slot, write, now_secs());
    Ok(Json(company::company(&w, slot)))
}
