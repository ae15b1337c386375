//! Contact writes shared by the API and the control surface: parsing, custom-attribute checks,
//! conflicts on create, partial updates that bump `updated_at`.

use serde_json::{Map, Value};

use super::params::{only_fields, opt_bool, opt_int, opt_str_nn, opt_string};
use crate::error::{ApiError, ApiResult};
use crate::model::attribute::{Model, value_fits};
use crate::model::contact::{
    ContactData, ContactExt, ContactRec, FLAG_ARCHIVED, FLAG_DELETED, FLAG_LEAD, NO_SEQ,
    normalize_email, to_ts,
};
use crate::model::ids::{MAX_SLOT, ObjectId};
use crate::model::world::{CONTACT_KIND, World};

const FIELDS: &[&str] = &[
    "role",
    "external_id",
    "email",
    "phone",
    "name",
    "avatar",
    "signed_up_at",
    "last_seen_at",
    "owner_id",
    "unsubscribed_from_emails",
    "custom_attributes",
];

/// A parsed create/update body: `None` = not sent, `Some(None)` = sent as null.
#[derive(Debug, Default)]
pub(crate) struct ContactWrite {
    pub role: Option<String>,
    pub external_id: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub name: Option<Option<String>>,
    pub avatar: Option<Option<String>>,
    pub signed_up_at: Option<Option<i64>>,
    pub last_seen_at: Option<Option<i64>>,
    pub owner_id: Option<Option<i64>>,
    pub unsubscribed: Option<Option<bool>>,
    pub custom_attributes: Option<Map<String, Value>>,
}

impl ContactWrite {
    pub(crate) fn parse(body: &Map<String, Value>) -> ApiResult<Self> {
        only_fields(body, FIELDS)?;
        let role = match opt_str_nn(body, "role")? {
            None => None,
            Some(r) if r == "user" || r == "lead" => Some(r),
            Some(r) => {
                return Err(ApiError::invalid(format!(
                    "role must be one of user, lead (got {r:?})"
                )));
            }
        };
        let custom_attributes = match body.get("custom_attributes") {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m.clone()),
            Some(_) => return Err(ApiError::invalid("custom_attributes must be an object")),
        };
        let non_null = |key: &str, v: Option<Option<String>>| match v {
            Some(None) => Err(ApiError::invalid(format!("{key} must be a string"))),
            other => Ok(other),
        };
        Ok(ContactWrite {
            role,
            external_id: non_null("external_id", opt_string(body, "external_id")?)?,
            email: non_null("email", opt_string(body, "email")?)?,
            phone: opt_string(body, "phone")?,
            name: opt_string(body, "name")?,
            avatar: opt_string(body, "avatar")?,
            signed_up_at: opt_int(body, "signed_up_at")?,
            last_seen_at: opt_int(body, "last_seen_at")?,
            owner_id: opt_int(body, "owner_id")?,
            unsubscribed: opt_bool(body, "unsubscribed_from_emails")?,
            custom_attributes,
        })
    }
}

/// Every key must be a live custom contact attribute and every value fit its type.
pub(crate) fn check_custom(w: &World, attrs: &Map<String, Value>) -> ApiResult<()> {
    for (k, v) in attrs {
        match w.attribute(Model::Contact, k).filter(|a| !a.archived) {
            Some(a) if !value_fits(a, v) => {
                return Err(ApiError::invalid(format!(
                    "Custom attribute '{k}' expects a value of type {}",
                    a.data_type
                )));
            }
            Some(_) => {}
            None if w.settings.reject_unknown_custom_attributes => {
                return Err(ApiError::invalid(format!(
                    "Custom attribute '{k}' does not exist"
                )));
            }
            None => {}
        }
    }
    Ok(())
}

fn conflict(w: &World, write: &ContactWrite, except: Option<u32>) -> ApiResult<()> {
    let mut slots = Vec::new();
    if let Some(Some(e)) = &write.email {
        slots.extend(w.contacts_by_email(e));
    }
    if let Some(Some(x)) = &write.external_id {
        slots.extend(w.contacts_by_external_id(x));
    }
    if let Some(&s) = slots.iter().find(|&&s| Some(s) != except) {
        let rec = &w.contacts[s as usize];
        let archived = if rec.flags & FLAG_ARCHIVED != 0 {
            "An archived contact"
        } else {
            "A contact"
        };
        return Err(ApiError::conflict(format!(
            "{archived} matching those details already exists with id={}",
            rec.id
        )));
    }
    Ok(())
}

pub(crate) fn create_contact(
    w: &mut World,
    write: ContactWrite,
    now: i64,
    now_ms: i64,
) -> ApiResult<u32> {
    conflict(w, &write, None)?;
    if let Some(attrs) = &write.custom_attributes {
        check_custom(w, attrs)?;
    }
    let lead = write.role.as_deref() == Some("lead");
    let slot = insert_contact(w, lead, now, now_ms)?;
    write_fields(w, slot, write, now, now_ms);
    Ok(slot)
}

/// Appends an empty contact created at `created_at` (users are signed up then, leads never).
pub(crate) fn insert_contact(
    w: &mut World,
    lead: bool,
    created_at: i64,
    now_ms: i64,
) -> ApiResult<u32> {
    let slot = w.contacts.len() as u32;
    if slot > MAX_SLOT {
        return Err(ApiError::invalid("workspace is full"));
    }
    w.contacts.push(ContactRec {
        id: ObjectId::new(w.settings.seed ^ 0x5EED, CONTACT_KIND, created_at, slot),
        seq: NO_SEQ,
        created_at: to_ts(Some(created_at)),
        updated_at: to_ts(Some(created_at)),
        signed_up_at: if lead { 0 } else { to_ts(Some(created_at)) },
        last_seen_at: 0,
        flags: if lead { FLAG_LEAD } else { 0 },
        companies: Box::new([]),
        ext: Some(Box::new(ContactExt {
            data: ContactData::empty(),
            written_ms: now_ms,
        })),
    });
    w.live += 1;
    Ok(slot)
}

/// Partial update: only sent fields change; custom attributes merge (null clears a key).
pub(crate) fn apply_contact_write(
    w: &mut World,
    slot: u32,
    write: ContactWrite,
    now: i64,
    now_ms: i64,
) -> ApiResult<()> {
    conflict(w, &write, Some(slot))?;
    check_write(w, slot, &write)?;
    write_fields(w, slot, write, now, now_ms);
    Ok(())
}

/// The checks of a write besides conflicts: custom attributes exist and fit, no user→lead.
fn check_write(w: &World, slot: u32, write: &ContactWrite) -> ApiResult<()> {
    if let Some(attrs) = &write.custom_attributes {
        check_custom(w, attrs)?;
    }
    if write.role.as_deref() == Some("lead") && !w.contacts[slot as usize].is_lead() {
        return Err(ApiError::invalid("A user cannot be converted to a lead"));
    }
    Ok(())
}

/// Stores a checked write and bumps `updated_at` to `now` (never backwards).
pub(crate) fn write_fields(w: &mut World, slot: u32, write: ContactWrite, now: i64, now_ms: i64) {
    if let Some(Some(e)) = &write.email {
        w.emails.insert(&normalize_email(e), slot);
    }
    if let Some(Some(x)) = &write.external_id {
        w.external_ids.insert(x, slot);
    }
    let ext = w.contact_ext(slot, now_ms);
    let d = &mut ext.data;
    if let Some(v) = write.external_id {
        d.external_id = v;
    }
    if let Some(v) = write.email {
        d.email = v;
    }
    if let Some(v) = write.phone {
        d.phone = v;
    }
    if let Some(v) = write.name {
        d.name = v;
    }
    if let Some(v) = write.avatar {
        d.avatar = v;
    }
    if let Some(v) = write.owner_id {
        d.owner_id = v;
    }
    if let Some(v) = write.unsubscribed {
        d.unsubscribed_from_emails = v.unwrap_or(false);
    }
    if let Some(attrs) = write.custom_attributes {
        for (k, v) in attrs {
            if v.is_null() {
                d.custom_attributes.remove(&k);
            } else {
                d.custom_attributes.insert(k, v);
            }
        }
    }
    let rec = &mut w.contacts[slot as usize];
    if write.role.as_deref() == Some("user") && rec.is_lead() {
        rec.flags &= !FLAG_LEAD;
        if rec.signed_up_at == 0 {
            rec.signed_up_at = to_ts(Some(now));
        }
    }
    if let Some(v) = write.signed_up_at {
        rec.signed_up_at = to_ts(v);
    }
    if let Some(v) = write.last_seen_at {
        rec.last_seen_at = to_ts(v);
    }
    rec.updated_at = to_ts(Some(now)).max(rec.updated_at);
}

/// Sets or clears flags, keeping the live-contact count right.
pub(crate) fn set_flag(w: &mut World, slot: u32, flag: u8, on: bool) {
    let rec = &mut w.contacts[slot as usize];
    let was_live = rec.is_live();
    let was_live_or_archived = !rec.is_deleted();
    if on {
        rec.flags |= flag;
    } else {
        rec.flags &= !flag;
    }
    match (was_live, rec.is_live()) {
        (true, false) => w.live -= 1,
        (false, true) => w.live += 1,
        _ => {}
    }
    if flag == FLAG_DELETED && on && was_live_or_archived {
        w.hidden_conversations += w.conversations.iter().filter(|c| c.contact == slot).count();
        let companies = w.contacts[slot as usize].companies.clone();
        for c in companies.iter() {
            w.companies[*c as usize].contacts.retain(|&s| s != slot);
        }
    }
}
