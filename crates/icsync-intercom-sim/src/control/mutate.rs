//! Contact mutations of the control surface: create contacts with explicit fields and
//! timestamps, updates with a sim-only `updated_at`, attach/detach companies, delete, events
//! (conversations live in `conversations`). Each sends its webhook like the API would.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::api::contact_companies;
use crate::api::events::add_event;
use crate::api::write::{
    ContactWrite, apply_contact_write, check_custom, insert_contact, set_flag, write_fields,
};
use crate::error::ApiError;
use crate::model::contact::{FLAG_DELETED, to_ts};
use crate::render::contact::contact as render_contact;
use crate::server::state::{AppState, now_ms, now_secs};
use crate::webhooks::topics::{self, ContactChange};

/// A timestamp the control surface accepts: whole Unix seconds in 1..=u32::MAX.
fn sim_ts(key: &str, v: &Value) -> Result<i64, ApiError> {
    v.as_i64()
        .filter(|t| (1..=i64::from(u32::MAX)).contains(t))
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "{key} must be Unix seconds between 1 and {} (got {v})",
                u32::MAX
            ))
        })
}

/// Updates a contact like `PUT /contacts/{id}`; the sim-only key `updated_at` (Unix seconds)
/// places the update at that instant instead of now (`last_seen_at` is a regular field).
pub(crate) fn update_contact(
    st: &AppState,
    id: &str,
    body: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let mut body = body.clone();
    let updated_at = body
        .remove("updated_at")
        .map(|v| sim_ts("updated_at", &v))
        .transpose()?;
    let write = ContactWrite::parse(&body)?;
    let mut w = st.write();
    let slot = w.contact_slot(id).ok_or_else(ApiError::user_not_found)?;
    apply_contact_write(
        &mut w,
        slot,
        write,
        updated_at.unwrap_or_else(now_secs),
        now_ms(),
    )?;
    if let Some(t) = updated_at {
        w.contacts[slot as usize].updated_at = to_ts(Some(t));
    }
    topics::contact(st, &w, slot, ContactChange::Updated);
    Ok(render_contact(&w, slot))
}

/// Role of a contact created through the control surface.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContactRole {
    #[default]
    User,
    Lead,
}

/// A contact to create with explicit fields (`POST /_sim/contacts`, [`crate::SimHandle::create_contact`]).
/// Timestamps are Unix seconds; `created_at` defaults to now, `updated_at` to `created_at`,
/// `signed_up_at` to `created_at` for users (never for leads), `last_seen_at` to null.
/// Unlike `POST /contacts`, a shared email or external id is allowed (generated data has them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewContact {
    pub role: ContactRole,
    pub email: Option<String>,
    pub name: Option<String>,
    pub external_id: Option<String>,
    pub phone: Option<String>,
    /// Keys must be existing contact data attributes and values fit their type.
    pub custom_attributes: Map<String, Value>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
    pub signed_up_at: Option<i64>,
    pub last_seen_at: Option<i64>,
    /// Intercom ids of companies to attach (all must exist).
    pub companies: Vec<String>,
}

/// Creates a contact; returns its JSON. Nothing changes when any part is invalid.
pub(crate) fn create_contact(st: &AppState, c: NewContact) -> Result<Value, ApiError> {
    let ts = |key: &str, v: Option<i64>| v.map(|t| sim_ts(key, &Value::from(t))).transpose();
    let now = now_secs();
    let created_at = ts("created_at", c.created_at)?.unwrap_or(now);
    let updated_at = ts("updated_at", c.updated_at)?.unwrap_or(created_at);
    let signed_up_at = ts("signed_up_at", c.signed_up_at)?;
    let last_seen_at = ts("last_seen_at", c.last_seen_at)?;
    if updated_at < created_at {
        return Err(ApiError::invalid(format!(
            "updated_at ({updated_at}) must not be before created_at ({created_at})"
        )));
    }
    let lead = c.role == ContactRole::Lead;
    let write = ContactWrite {
        external_id: c.external_id.map(Some),
        email: c.email.map(Some),
        phone: c.phone.map(Some),
        name: c.name.map(Some),
        signed_up_at: signed_up_at.map(Some),
        last_seen_at: last_seen_at.map(Some),
        custom_attributes: (!c.custom_attributes.is_empty()).then_some(c.custom_attributes),
        ..ContactWrite::default()
    };
    let mut w = st.write();
    let companies = c
        .companies
        .iter()
        .map(|id| {
            w.company_slot(id).ok_or_else(|| {
                ApiError::company_not_found().with_message(format!("Company Not Found: {id}"))
            })
        })
        .collect::<Result<Vec<u32>, ApiError>>()?;
    if companies.len() > contact_companies::MAX_COMPANIES {
        return Err(ApiError::invalid(format!(
            "at most {} companies per contact",
            contact_companies::MAX_COMPANIES
        )));
    }
    // Every check before the insert, so a bad request changes nothing.
    if let Some(attrs) = &write.custom_attributes {
        check_custom(&w, attrs)?;
    }
    let now_ms = now_ms();
    let slot = insert_contact(&mut w, lead, created_at, now_ms)?;
    write_fields(&mut w, slot, write, created_at, now_ms);
    for cslot in companies {
        contact_companies::link(&mut w, slot, cslot)?;
    }
    w.contacts[slot as usize].updated_at = to_ts(Some(updated_at));
    topics::contact(st, &w, slot, ContactChange::Created);
    Ok(render_contact(&w, slot))
}

/// Attaches a company to a contact like `POST /contacts/{id}/companies` (bumps `updated_at`);
/// returns the contact.
pub(crate) fn attach_company(st: &AppState, id: &str, company_id: &str) -> Result<Value, ApiError> {
    let mut w = st.write();
    let (slot, cslot) = contact_companies::resolve(&w, id, company_id)?;
    if contact_companies::attach(&mut w, slot, cslot, now_secs(), now_ms())? {
        topics::contact(st, &w, slot, ContactChange::Updated);
    }
    Ok(render_contact(&w, slot))
}

/// Detaches like `DELETE /contacts/{id}/companies/{company_id}` (bumps `updated_at`); returns
/// the contact.
pub(crate) fn detach_company(st: &AppState, id: &str, company_id: &str) -> Result<Value, ApiError> {
    let mut w = st.write();
    let (slot, cslot) = contact_companies::resolve(&w, id, company_id)?;
    contact_companies::detach(&mut w, slot, cslot, now_secs(), now_ms())?;
    topics::contact(st, &w, slot, ContactChange::Updated);
    Ok(render_contact(&w, slot))
}

pub(crate) fn delete_contact(st: &AppState, id: &str) -> Result<(), ApiError> {
    let mut w = st.write();
    let slot = w.contact_slot(id).ok_or_else(ApiError::user_not_found)?;
    topics::contact(st, &w, slot, ContactChange::Deleted);
    set_flag(&mut w, slot, FLAG_DELETED, true);
    Ok(())
}

/// Archives a contact as `POST /contacts/{id}/archive` does.
pub(crate) fn archive_contact(st: &AppState, id: &str) -> Result<(), ApiError> {
    let mut w = st.write();
    let slot = w.contact_slot(id).ok_or_else(ApiError::user_not_found)?;
    set_flag(&mut w, slot, crate::model::contact::FLAG_ARCHIVED, true);
    topics::contact(st, &w, slot, ContactChange::Archived);
    Ok(())
}

/// Tags a contact as a person in Intercom's UI would (the tag is created when missing).
pub(crate) fn tag_contact(st: &AppState, id: &str, name: &str) -> Result<String, ApiError> {
    let mut w = st.write();
    let slot = w.contact_slot(id).ok_or_else(ApiError::user_not_found)?;
    let idx = match w
        .tags
        .iter()
        .position(|t| t.name.eq_ignore_ascii_case(name))
    {
        Some(i) => i as u32,
        None => {
            let tag_id = w.next_tag_id;
            w.next_tag_id += 1;
            w.tags.push(crate::model::world::Tag {
                id: tag_id,
                name: name.to_owned(),
            });
            (w.tags.len() - 1) as u32
        }
    };
    let ext = w.contact_ext(slot, crate::server::state::now_ms());
    if !ext.data.tags.contains(&idx) {
        ext.data.tags.push(idx);
    }
    Ok(w.tags[idx as usize].id.to_string())
}

/// The state of a contact: `live`, `archived` or `deleted`; `None` for an unknown id.
pub(crate) fn contact_state(st: &AppState, id: &str) -> Option<&'static str> {
    let w = st.read();
    let oid = crate::model::ids::ObjectId::parse(id)?;
    let rec = w.contacts.get(oid.slot() as usize)?;
    (rec.id == oid).then(|| {
        if rec.is_deleted() {
            "deleted"
        } else if rec.is_live() {
            "live"
        } else {
            "archived"
        }
    })
}

/// The names of a contact's tags, sorted (archived contacts too).
pub(crate) fn contact_tag_names(st: &AppState, id: &str) -> Result<Vec<String>, ApiError> {
    let w = st.read();
    let slot = w.contact_slot(id).ok_or_else(ApiError::user_not_found)?;
    let mut names: Vec<String> = w
        .contact_data(slot)
        .tags
        .iter()
        .filter_map(|&t| w.tags.get(t as usize))
        .map(|t| t.name.clone())
        .collect();
    names.sort();
    Ok(names)
}

/// Ids of the contacts (live or archived) with this email, trimmed and case-insensitively.
pub(crate) fn contact_ids_by_email(st: &AppState, email: &str) -> Vec<String> {
    let w = st.read();
    w.contacts_by_email(email)
        .into_iter()
        .map(|s| w.contacts[s as usize].id.to_string())
        .collect()
}

pub(crate) fn add_contact_event(
    st: &AppState,
    id: &str,
    name: &str,
    created_at: Option<i64>,
    metadata: Map<String, Value>,
) -> Result<(), ApiError> {
    let mut w = st.write();
    let slot = w.contact_slot(id).ok_or_else(ApiError::user_not_found)?;
    add_event(
        &mut w,
        slot,
        name,
        created_at.unwrap_or_else(now_secs),
        metadata,
    );
    // An event changes nothing else on the contact: neither `updated_at` nor `last_seen_at`.
    Ok(())
}
