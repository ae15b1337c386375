//! Read-back of the simulator's truth for tests that compare a store with it: contacts,
//! companies, a contact's companies and listable events, rendered exactly as the API would.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::contact_companies::company_slots;
use crate::api::events::LIST_WINDOW_SECS;
use crate::error::ApiError;
use crate::model::contact::{normalize_email, opt_ts};
use crate::model::event::EventData;
use crate::model::world::World;
use crate::render::{company, contact, misc};
use crate::server::state::{AppState, now_secs};

/// Contacts rendered per read-lock hold: writers wait at most one chunk.
const CHUNK: usize = 1024;

/// A contact's identity and timestamps (see [`crate::SimHandle::contacts_created_since`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRef {
    pub id: String,
    /// `user` or `lead`.
    pub role: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Slots of listable contacts (not archived, not deleted) created at or after `since`.
fn listable_slots(w: &World, since: Option<i64>) -> Vec<u32> {
    (0..w.contacts.len() as u32)
        .filter(|&s| {
            let c = &w.contacts[s as usize];
            c.is_live() && since.is_none_or(|t| i64::from(c.created_at) >= t)
        })
        .collect()
}

/// The listable contacts' JSON in list order, rendered a chunk at a time under the read lock
/// (so memory stays flat and the simulator stays usable while the caller iterates; a contact
/// written meanwhile may show either version, one deleted or archived meanwhile is skipped).
/// From [`crate::SimHandle::contacts_json`].
#[derive(Debug)]
pub struct ContactsJson<'a> {
    st: &'a AppState,
    slots: Vec<u32>,
    next: usize,
    buf: std::vec::IntoIter<Value>,
}

impl<'a> ContactsJson<'a> {
    pub(crate) fn new(st: &'a AppState, since: Option<i64>) -> Self {
        ContactsJson {
            slots: listable_slots(&st.read(), since),
            st,
            next: 0,
            buf: Vec::new().into_iter(),
        }
    }
}

impl Iterator for ContactsJson<'_> {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        loop {
            if let Some(v) = self.buf.next() {
                return Some(v);
            }
            if self.next >= self.slots.len() {
                return None;
            }
            let end = (self.next + CHUNK).min(self.slots.len());
            let w = self.st.read();
            let rendered: Vec<Value> = self.slots[self.next..end]
                .iter()
                .filter(|&&s| w.contacts[s as usize].is_live())
                .map(|&s| contact::contact(&w, s))
                .collect();
            self.next = end;
            self.buf = rendered.into_iter();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.slots.len() - self.next + self.buf.len();
        (self.buf.len(), Some(left))
    }
}

/// The listable contacts from `offset` (at most `limit`) as one serialized list body:
/// `{type: list, data, total_count}`, `total_count` counting all that match.
pub(crate) fn contacts_page_body(
    st: &AppState,
    since: Option<i64>,
    offset: usize,
    limit: usize,
) -> axum::response::Response {
    let w = st.read();
    let slots = listable_slots(&w, since);
    let start = offset.min(slots.len());
    let end = start.saturating_add(limit).min(slots.len());
    misc::json_response(&contact::ContactPage {
        kind: "list",
        data: contact::ContactsSer {
            world: &w,
            slots: &slots[start..end],
        },
        total_count: slots.len(),
        pages: Value::Null,
    })
}

/// One contact (archived ones too, not deleted ones), as `GET /contacts/{id}` renders it.
pub(crate) fn contact_json(st: &AppState, id: &str) -> Result<Value, ApiError> {
    let w = st.read();
    let slot = w.contact_slot(id).ok_or_else(ApiError::user_not_found)?;
    Ok(contact::contact(&w, slot))
}

/// Every company (what the scroll returns), in scroll order.
pub(crate) fn companies_json(st: &AppState) -> Vec<Value> {
    let w = st.read();
    (0..w.companies.len() as u32)
        .filter(|&s| !w.companies[s as usize].deleted)
        .map(|s| company::company(&w, s))
        .collect()
}

/// Intercom ids of all companies a contact is attached to (not capped at the inline 10).
pub(crate) fn contact_company_ids(st: &AppState, id: &str) -> Result<Vec<String>, ApiError> {
    let w = st.read();
    let slot = w.contact_slot(id).ok_or_else(ApiError::user_not_found)?;
    Ok(company_slots(&w, slot)
        .into_iter()
        .map(|c| w.companies[c as usize].id.to_string())
        .collect())
}

/// The events `GET /events` would list for a contact (the last 90 days), newest first.
pub(crate) fn listable_events(w: &World, slot: u32) -> Vec<EventData> {
    let cutoff = now_secs().max(w.settings.anchor) - LIST_WINDOW_SECS;
    let mut events = w.events_of(slot);
    events.retain(|e| e.created_at >= cutoff);
    events
}

/// A contact's listable events as `event` objects of `GET /events`.
pub(crate) fn contact_events_json(st: &AppState, id: &str) -> Result<Vec<Value>, ApiError> {
    let w = st.read();
    let slot = w.contact_slot(id).ok_or_else(ApiError::user_not_found)?;
    let data = w.contact_data(slot);
    let contact_id = w.contacts[slot as usize].id.to_string();
    let email = data
        .email
        .as_deref()
        .map(normalize_email)
        .unwrap_or_default();
    Ok(listable_events(&w, slot)
        .iter()
        .map(|e| misc::event(e, &contact_id, data.external_id.as_deref(), &email))
        .collect())
}

/// Events of one contact: all of them, and those `GET /events` lists (the last 90 days).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct EventCounts {
    pub total: u64,
    pub listable: u64,
}

pub(crate) fn event_counts(st: &AppState, id: &str) -> Result<EventCounts, ApiError> {
    let w = st.read();
    let slot = w.contact_slot(id).ok_or_else(ApiError::user_not_found)?;
    Ok(EventCounts {
        total: w.events_of(slot).len() as u64,
        listable: listable_events(&w, slot).len() as u64,
    })
}

/// Listable contacts created at or after `since`, in list order.
pub(crate) fn contacts_created_since(st: &AppState, since: i64) -> Vec<ContactRef> {
    let w = st.read();
    listable_slots(&w, Some(since))
        .into_iter()
        .map(|s| {
            let c = &w.contacts[s as usize];
            ContactRef {
                id: c.id.to_string(),
                role: c.role().to_owned(),
                created_at: opt_ts(c.created_at).unwrap_or(0),
                updated_at: opt_ts(c.updated_at).unwrap_or(0),
            }
        })
        .collect()
}
