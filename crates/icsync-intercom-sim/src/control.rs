//! The control surface's operations (summary, journal, reset, knobs, mutations), callable
//! in-process through [`crate::SimHandle`] and over HTTP under `/_sim/`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::api::events::add_event;
use crate::api::write::{ContactWrite, apply_contact_write, set_flag};
use crate::config::FaultConfig;
use crate::error::ApiError;
use crate::model::contact::FLAG_DELETED;
use crate::model::conversation::{
    Author, ConvRec, FIRST_CONVERSATION_ID, PartData, StartedSource, State,
};
use crate::model::world::World;
use crate::server::journal::JournalEntry;
use crate::server::state::{AppState, now_ms, now_secs};

/// Object counts, as the API would report them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Summary {
    /// Contacts `GET /contacts` lists (users and leads, not archived or deleted).
    pub contacts: u64,
    pub users: u64,
    pub leads: u64,
    pub archived_contacts: u64,
    pub deleted_contacts: u64,
    /// All companies (the scroll returns them all).
    pub companies: u64,
    /// Companies with at least one listed contact (`POST /companies/list` returns these).
    pub companies_with_contacts: u64,
    pub conversations: u64,
    /// Parts of all conversations (the API returns at most 500 per conversation).
    pub conversation_parts: u64,
    /// Conversations with more than 500 parts.
    pub conversations_over_part_cap: u64,
    /// Data events of all contacts, including those older than the 90-day listing window.
    pub events: u64,
    pub tags: u64,
    pub admins: u64,
    pub data_attributes: u64,
    /// Requests the API surface has answered since start or the last journal clear.
    pub requests: u64,
}

pub(crate) fn summary(st: &AppState) -> Summary {
    let w = st.read();
    let mut s = Summary {
        contacts: w.live as u64,
        ..Summary::default()
    };
    for c in &w.contacts {
        if c.is_deleted() {
            s.deleted_contacts += 1;
        } else if !c.is_live() {
            s.archived_contacts += 1;
        } else if c.is_lead() {
            s.leads += 1;
        } else {
            s.users += 1;
        }
    }
    s.companies = w.companies.iter().filter(|c| !c.deleted).count() as u64;
    s.companies_with_contacts = w
        .companies
        .iter()
        .filter(|c| !c.deleted && c.contacts.iter().any(|&k| w.contacts[k as usize].is_live()))
        .count() as u64;
    for c in w
        .conversations
        .iter()
        .filter(|c| !w.contacts[c.contact as usize].is_deleted())
    {
        s.conversations += 1;
        s.conversation_parts += u64::from(c.total_parts());
        s.conversations_over_part_cap += u64::from(c.total_parts() > 500);
    }
    // Generated events of deleted contacts no longer exist.
    let deleted_events: u64 = w
        .contacts
        .iter()
        .enumerate()
        .filter(|(_, c)| c.is_deleted() && c.seq != crate::model::contact::NO_SEQ)
        .map(|(_, c)| {
            u64::from(crate::generate::events::count(
                w.settings.seed,
                c.seq,
                w.settings.events_mean,
            ))
        })
        .sum();
    let added: u64 = w
        .added_events
        .iter()
        .filter(|(slot, _)| !w.contacts[**slot as usize].is_deleted())
        .map(|(_, v)| v.len() as u64)
        .sum();
    s.events = w.generated_events - deleted_events + added;
    s.tags = w.tags.len() as u64;
    s.admins = w.admins.len() as u64;
    s.data_attributes = w.attributes.iter().filter(|a| !a.archived).count() as u64;
    s.requests = st.journal().total();
    s
}

pub(crate) fn journal(st: &AppState, since: u64, limit: usize) -> Vec<JournalEntry> {
    st.journal().since(since, limit)
}

pub(crate) fn reset(st: &AppState, anchor: i64) {
    let fresh = World::build(&st.config, anchor);
    *st.write() = fresh;
    st.journal().clear();
    st.cache().clear();
    *st.rt() = crate::server::state::Runtime::new(&st.config);
}

/// Run-time knobs besides faults.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Knobs {
    pub search_lag_ms: Option<u64>,
    pub rate_limit_per_window: Option<u32>,
    pub scroll_expiry_ms: Option<u64>,
}

pub(crate) fn set_knobs(st: &AppState, k: &Knobs) {
    let mut rt = st.rt();
    if let Some(v) = k.search_lag_ms {
        rt.search_lag = Duration::from_millis(v);
    }
    if let Some(v) = k.rate_limit_per_window {
        rt.rate_limit = v;
    }
    if let Some(v) = k.scroll_expiry_ms {
        rt.scroll_expiry = Duration::from_millis(v);
    }
}

pub(crate) fn knobs(st: &AppState) -> Knobs {
    let rt = st.rt();
    Knobs {
        search_lag_ms: Some(rt.search_lag.as_millis() as u64),
        rate_limit_per_window: Some(rt.rate_limit),
        scroll_expiry_ms: Some(rt.scroll_expiry.as_millis() as u64),
    }
}

pub(crate) fn set_faults(st: &AppState, f: FaultConfig) {
    st.rt().set_faults(f);
}

/// Updates a contact like `PUT /contacts/{id}` (bumps `updated_at`).
pub(crate) fn update_contact(
    st: &AppState,
    id: &str,
    body: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let write = ContactWrite::parse(body)?;
    let mut w = st.write();
    let slot = w.contact_slot(id).ok_or_else(ApiError::user_not_found)?;
    apply_contact_write(&mut w, slot, write, now_secs(), now_ms())?;
    Ok(crate::render::contact::contact(&w, slot))
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
    let events = w.events_of(slot);
    let cutoff = now_secs().max(w.settings.anchor) - crate::api::events::LIST_WINDOW_SECS;
    Ok(EventCounts {
        total: events.len() as u64,
        listable: events.iter().filter(|e| e.created_at >= cutoff).count() as u64,
    })
}

pub(crate) fn delete_contact(st: &AppState, id: &str) -> Result<(), ApiError> {
    let mut w = st.write();
    let slot = w.contact_slot(id).ok_or_else(ApiError::user_not_found)?;
    set_flag(&mut w, slot, FLAG_DELETED, true);
    Ok(())
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
    let rec = &mut w.contacts[slot as usize];
    rec.last_seen_at = rec.last_seen_at.max(now_secs() as u32);
    Ok(())
}

/// Starts a conversation from a contact; returns its id.
pub(crate) fn start_conversation(
    st: &AppState,
    contact_id: &str,
    subject: &str,
    body: &str,
) -> Result<String, ApiError> {
    let mut w = st.write();
    let contact = w
        .contact_slot(contact_id)
        .ok_or_else(ApiError::user_not_found)?;
    let now = now_secs();
    let slot = w.conversations.len() as u32;
    w.conversations.push(ConvRec {
        seq: u32::MAX,
        contact,
        created_at: now,
        updated_at: now,
        state: State::Open,
        read: false,
        admin_assignee_id: None,
        generated_parts: 0,
        added: Vec::new(),
        started: Some(Box::new(StartedSource {
            subject: subject.to_owned(),
            body: body.to_owned(),
        })),
    });
    Ok((FIRST_CONVERSATION_ID + u64::from(slot)).to_string())
}

/// Adds a reply part, from the conversation's contact or from an admin; reopens the conversation.
pub(crate) fn reply(
    st: &AppState,
    conversation_id: &str,
    body: &str,
    admin_id: Option<i64>,
) -> Result<Value, ApiError> {
    let mut w = st.write();
    let slot = w
        .conversation_slot(conversation_id)
        .ok_or_else(ApiError::resource_not_found)?;
    let id = w.next_part_id;
    w.next_part_id += 1;
    let now = now_secs();
    let admin = admin_id
        .map(|a| {
            if w.admin_ids.contains(&a) {
                Ok(a)
            } else {
                Err(ApiError::new(
                    axum::http::StatusCode::NOT_FOUND,
                    "admin_not_found",
                    "Admin not found",
                ))
            }
        })
        .transpose()?;
    let c = &mut w.conversations[slot as usize];
    c.added.push(PartData {
        id,
        part_type: "comment".to_owned(),
        body: Some(format!("<p>{body}</p>")),
        created_at: now,
        author: admin.map_or(Author::Contact(c.contact), Author::Admin),
        assigned_to: None,
    });
    c.updated_at = now.max(c.updated_at);
    c.state = State::Open;
    c.read = admin.is_some();
    Ok(crate::render::conversation::full(&w, slot, false))
}
