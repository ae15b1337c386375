//! Data attribute routes: list, create (name rules, shared namespace, no standard names),
//! update (type immutable; archiving one in use is refused).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::params::{Query, json_object, only_fields, opt_bool, opt_str_nn};
use crate::error::{ApiError, ApiResult};
use crate::model::attribute::{self, Model};
use crate::render::misc;
use crate::server::state::{AppState, now_secs};

pub(crate) async fn list(
    State(st): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(q.as_deref());
    let model = match q.str("model") {
        None => None,
        Some("contact") => Some(Model::Contact),
        Some("company") => Some(Model::Company),
        // Conversation attributes exist in Intercom; the simulator has none.
        Some("conversation") => return Ok(Json(json!({"type": "list", "data": []}))),
        Some(_) => {
            return Err(ApiError::invalid(
                "The Data Attribute model field must be either contact or company",
            ));
        }
    };
    let archived = q.bool("include_archived")?.unwrap_or(false);
    let w = st.read();
    let data: Vec<Value> = w
        .attributes
        .iter()
        .filter(|a| model.is_none_or(|m| a.model == m) && (archived || !a.archived))
        .map(misc::data_attribute)
        .collect();
    Ok(Json(json!({"type": "list", "data": data})))
}

fn nn_bool(b: &serde_json::Map<String, Value>, key: &str) -> ApiResult<Option<bool>> {
    match opt_bool(b, key)? {
        Some(None) => Err(ApiError::invalid(format!("{key} must be a boolean"))),
        v => Ok(v.flatten()),
    }
}

fn name_ok(name: &str) -> bool {
    !name.trim().is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '$' | '€' | '£' | '¥'))
}

/// `options` of a create (strings, as the 2.11 schema says, or `{value}` hashes as its prose
/// says) or of an update (`{value}` hashes only).
fn options(v: Option<&Value>, strings_allowed: bool) -> ApiResult<Vec<String>> {
    let bad = || ApiError::invalid("Options isn't an array");
    match v {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|o| match o {
                Value::String(s) if strings_allowed => Ok(s.clone()),
                Value::Object(m) => m
                    .get("value")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(bad),
                _ => Err(bad()),
            })
            .collect(),
        Some(_) => Err(bad()),
    }
}

pub(crate) async fn create(State(st): State<Arc<AppState>>, body: Bytes) -> ApiResult<Json<Value>> {
    let b = json_object(&body)?;
    only_fields(
        &b,
        &[
            "name",
            "model",
            "data_type",
            "description",
            "options",
            "messenger_writable",
        ],
    )?;
    let name = opt_str_nn(&b, "name")?.ok_or_else(|| ApiError::missing("name is required"))?;
    let model = match opt_str_nn(&b, "model")?.as_deref() {
        Some("contact") => Model::Contact,
        Some("company") => Model::Company,
        _ => {
            return Err(ApiError::invalid(
                "The Data Attribute model field must be either contact or company",
            ));
        }
    };
    let data_type: &'static str = match opt_str_nn(&b, "data_type")?.as_deref() {
        Some("string") => "string",
        Some("integer") => "integer",
        Some("float") => "float",
        Some("boolean") => "boolean",
        Some("date" | "datetime") => "date",
        _ => return Err(ApiError::invalid("Data Type isn't an option")),
    };
    let description = opt_str_nn(&b, "description")?.unwrap_or_default();
    let messenger_writable = nn_bool(&b, "messenger_writable")?.unwrap_or(false);
    let options = options(b.get("options"), true)?;
    if !options.is_empty() && options.len() < 2 {
        return Err(ApiError::invalid(
            "You must have at least two options on a list type data attribute",
        ));
    }
    if !name_ok(&name) {
        return Err(ApiError::invalid(
            "Your name for this attribute must only contain alphanumeric characters, currency symbols, and hyphens",
        ));
    }
    let people = |m: Model| {
        if m == Model::Contact {
            "people"
        } else {
            "company"
        }
    };
    if attribute::standard_names(model).any(|s| s.eq_ignore_ascii_case(&name)) {
        return Err(ApiError::invalid(format!(
            "'{name}' is one of our standard attributes for your {} data. Please use a different name.",
            people(model)
        )));
    }
    let mut w = st.write();
    if let Some(existing) = w
        .attributes
        .iter()
        .find(|a| a.custom && a.name.eq_ignore_ascii_case(&name))
    {
        return Err(ApiError::invalid(format!(
            "You already have '{name}' in your {} data. To save this as new {} data, use a different name.",
            people(existing.model),
            people(model)
        )));
    }
    let id = w.next_attribute_id;
    w.next_attribute_id += 1;
    let admin = w.admins[0].id.to_string();
    let mut attr = attribute::custom(
        id,
        model,
        &name,
        data_type,
        options,
        &description,
        now_secs(),
        &admin,
    );
    attr.messenger_writable = messenger_writable;
    let out = misc::data_attribute(&attr);
    w.attributes.push(attr);
    Ok(Json(out))
}

pub(crate) async fn update(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let b = json_object(&body)?;
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "field_not_found",
            "We couldn't find that data attribute to update",
        )
    };
    only_fields(
        &b,
        &["archived", "description", "options", "messenger_writable"],
    )?;
    let archived = nn_bool(&b, "archived")?;
    let description = opt_str_nn(&b, "description")?;
    let messenger_writable = nn_bool(&b, "messenger_writable")?;
    let options = match b.get("options") {
        None => None,
        v => Some(options(v, false)?),
    };
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let mut w = st.write();
    let idx = w
        .attributes
        .iter()
        .position(|a| a.id == Some(id))
        .ok_or_else(not_found)?;
    if archived == Some(true) {
        let a = &w.attributes[idx];
        let (model, name) = (a.model, a.name.clone());
        let in_use = match model {
            Model::Company => w
                .companies
                .iter()
                .any(|c| c.custom_attributes.contains_key(&name)),
            Model::Contact => w.contacts.iter().take(2000).enumerate().any(|(s, _)| {
                w.contact_data(s as u32)
                    .custom_attributes
                    .contains_key(&name)
            }),
        };
        if in_use {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "data_invalid",
                "The Data Attribute you are trying to archive has a dependant object",
            ));
        }
    }
    let a = &mut w.attributes[idx];
    if let Some(v) = archived {
        a.archived = v;
    }
    if let Some(v) = description {
        a.description = v;
    }
    if let Some(v) = messenger_writable {
        a.messenger_writable = v;
    }
    if let Some(v) = options {
        a.options = v;
    }
    a.updated_at = now_secs();
    Ok(Json(misc::data_attribute(a)))
}
