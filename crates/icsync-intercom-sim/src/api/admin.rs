//! `GET /me`, `GET /admins`, `GET /tags`, `POST /tags` (create, rename, tag and untag), and a
//! contact's tags: `GET`/`POST /contacts/{id}/tags`, `DELETE /contacts/{id}/tags/{tag_id}`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Value, json};

use super::params::{Query, json_object, only_fields};
use crate::error::{ApiError, ApiResult};
use crate::model::world::Tag;
use crate::render::misc;
use crate::server::state::AppState;

pub(crate) async fn me(State(st): State<Arc<AppState>>) -> Json<Value> {
    let w = st.read();
    Json(misc::me(
        &w,
        &st.config.time_zone,
        st.config.region.as_str(),
    ))
}

pub(crate) async fn admins(
    State(st): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let avatar = Query::parse(q.as_deref())
        .bool("display_avatar")?
        .unwrap_or(false);
    let w = st.read();
    let admins: Vec<Value> = w
        .admins
        .iter()
        .map(|a| {
            let mut v = misc::admin(a);
            if avatar {
                v["avatar"] = json!({"image_url": "https://static.intercomassets.com/assets/default-avatars/admins/128.png"});
            }
            v
        })
        .collect();
    Ok(Json(json!({"type": "admin.list", "admins": admins})))
}

pub(crate) async fn list_tags(State(st): State<Arc<AppState>>) -> Json<Value> {
    let w = st.read();
    let data: Vec<Value> = w.tags.iter().map(misc::tag).collect();
    Json(json!({"type": "list", "data": data}))
}

pub(crate) async fn contact_tags(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let w = st.read();
    let slot = w.contact_slot(&id).ok_or_else(ApiError::user_not_found)?;
    let data: Vec<Value> = w
        .contact_data(slot)
        .tags
        .iter()
        .filter_map(|&t| w.tags.get(t as usize))
        .map(misc::tag)
        .collect();
    Ok(Json(json!({"type": "list", "data": data})))
}

/// The tag id of `POST /contacts/{id}/tags` (`{"id": "94"}`; the description's examples also
/// send it as a number).
fn tag_id_field(body: &Value) -> ApiResult<String> {
    match body.get("id") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(_) => Err(ApiError::invalid("id must be a string")),
        None => Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "parameter_not_found",
            "id is required",
        )),
    }
}

/// A tag as the tagging endpoints answer it: with `applied_at` and `applied_by` (the admin the
/// token belongs to).
fn tag_applied(w: &crate::model::world::World, t: &Tag, now: i64) -> Value {
    let admin = w.admin_ids.first().copied().unwrap_or(0);
    json!({
        "type": "tag",
        "id": t.id.to_string(),
        "name": t.name,
        "applied_at": now,
        "applied_by": {"type": "admin", "id": admin.to_string()},
    })
}

/// `POST /contacts/{id}/tags` `{id}`: tags the contact; tagging it again changes nothing.
/// Unknown contact: 404 "User Not Found"; unknown tag: 404 "Resource Not Found".
pub(crate) async fn attach_contact_tag(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = Value::Object(json_object(&body)?);
    let tag_id = tag_id_field(&body)?;
    let mut w = st.write();
    let slot = w.contact_slot(&id).ok_or_else(ApiError::user_not_found)?;
    let idx = w
        .tag_index(&tag_id)
        .ok_or_else(ApiError::resource_not_found)?;
    let now_ms = crate::server::state::now_ms();
    let ext = w.contact_ext(slot, now_ms);
    if !ext.data.tags.contains(&idx) {
        ext.data.tags.push(idx);
    }
    Ok(Json(tag_applied(&w, &w.tags[idx as usize], now_ms / 1000)))
}

/// `DELETE /contacts/{id}/tags/{tag_id}`: untags the contact and answers the tag. Untagging a
/// tag the contact does not carry answers the tag too (unconfirmed against Intercom; the
/// description documents only the 404s for an unknown contact or tag).
pub(crate) async fn detach_contact_tag(
    State(st): State<Arc<AppState>>,
    Path((id, tag_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let mut w = st.write();
    let slot = w.contact_slot(&id).ok_or_else(ApiError::user_not_found)?;
    let idx = w
        .tag_index(&tag_id)
        .ok_or_else(ApiError::resource_not_found)?;
    let now_ms = crate::server::state::now_ms();
    let ext = w.contact_ext(slot, now_ms);
    ext.data.tags.retain(|&t| t != idx);
    Ok(Json(tag_applied(&w, &w.tags[idx as usize], now_ms / 1000)))
}

fn str_field<'a>(v: &'a Value, key: &str) -> ApiResult<Option<&'a str>> {
    match v.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::invalid(format!("{key} must be a string"))),
    }
}

/// The overloaded `POST /tags`: `{name}`, `{id, name}`, `{name, companies}`, `{name, users}`.
pub(crate) async fn create_tag(
    State(st): State<Arc<AppState>>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = json_object(&body)?;
    only_fields(&body, &["name", "id", "companies", "users"])?;
    let body = Value::Object(body);
    let name = str_field(&body, "name")?
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("invalid tag parameters"))?;
    let id = str_field(&body, "id")?;
    let mut w = st.write();
    if let Some(id) = id {
        let idx = w.tag_index(id).ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "tag_not_found",
                "Tag Not Found",
            )
        })?;
        w.tags[idx as usize].name = name.to_owned();
        return Ok(Json(tag_basic(&w.tags[idx as usize])));
    }
    // Resolve targets before creating anything, so a bad target changes nothing.
    let mut companies = Vec::new();
    if let Some(list) = body.get("companies") {
        let list = list
            .as_array()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| ApiError::invalid("invalid tag parameters"))?;
        for item in list {
            let untag = match item.get("untag") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(ApiError::invalid("invalid tag parameters")),
            };
            let slot = match (str_field(item, "id")?, str_field(item, "company_id")?) {
                (Some(id), _) => w.company_slot(id),
                (None, Some(cid)) => w
                    .company_ids
                    .get(cid)
                    .copied()
                    .filter(|&s| !w.companies[s as usize].deleted),
                (None, None) => return Err(ApiError::invalid("invalid tag parameters")),
            };
            companies.push((slot.ok_or_else(ApiError::company_not_found)?, untag));
        }
    }
    let mut users = Vec::new();
    if let Some(list) = body.get("users") {
        let list = list
            .as_array()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| ApiError::invalid("invalid tag parameters"))?;
        for item in list {
            let id = str_field(item, "id")?
                .ok_or_else(|| ApiError::invalid("invalid tag parameters"))?;
            users.push(w.contact_slot(id).ok_or_else(ApiError::user_not_found)?);
        }
    }
    let idx = match w
        .tags
        .iter()
        .position(|t| t.name.eq_ignore_ascii_case(name))
    {
        Some(i) => i as u32,
        None => {
            let id = w.next_tag_id;
            w.next_tag_id += 1;
            w.tags.push(Tag {
                id,
                name: name.to_owned(),
            });
            (w.tags.len() - 1) as u32
        }
    };
    for (slot, untag) in companies {
        let c = &mut w.companies[slot as usize];
        c.tags.retain(|&t| t != idx);
        if !untag {
            c.tags.push(idx);
        }
    }
    let now = crate::server::state::now_ms();
    for slot in users {
        let ext = w.contact_ext(slot, now);
        if !ext.data.tags.contains(&idx) {
            ext.data.tags.push(idx);
        }
    }
    Ok(Json(tag_basic(&w.tags[idx as usize])))
}

fn tag_basic(t: &Tag) -> Value {
    json!({"type": "tag", "id": t.id.to_string(), "name": t.name})
}
