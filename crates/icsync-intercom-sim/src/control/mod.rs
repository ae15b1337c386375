//! The control surface's operations (summary, journal, reset, knobs; mutations in `mutate`,
//! read-back of the simulator's truth in `readback`), callable in-process through
//! [`crate::SimHandle`] and over HTTP under `/_sim/`.

pub(crate) mod conversations;
pub(crate) mod mutate;
pub(crate) mod readback;
pub(crate) mod webhooks;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::FaultConfig;
use crate::model::world::World;
use crate::server::journal::JournalEntry;
use crate::server::state::AppState;

pub use mutate::{ContactRole, NewContact};
pub use readback::{ContactRef, ContactsJson, EventCounts};

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
    st.webhooks.set_config(st.config.webhooks.clone());
    st.webhooks.hub.journal().clear();
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
