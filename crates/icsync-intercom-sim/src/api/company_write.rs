//! Company writes: `POST /companies` (create or update by `company_id`) and
//! `PUT /companies/{id}`, with custom-attribute checks.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde_json::{Map, Value};

use super::params::{json_object, only_fields};
use crate::error::{ApiError, ApiResult};
use crate::model::attribute::{Model, value_fits};
use crate::model::company::{CompanyRec, Plan};
use crate::model::ids::{MAX_SLOT, ObjectId};
use crate::model::world::World;
use crate::render::company;
use crate::server::state::{AppState, now_secs};

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
    let mut created = false;
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
            created = true;
            slot
        }
    };
    apply(&mut w, slot, write, now);
    crate::webhooks::topics::company(&st, &w, slot, created);
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
    crate::webhooks::topics::company(&st, &w, slot, false);
    Ok(Json(company::company(&w, slot)))
}
