//! Which topic a change sends and the item it carries, rendered from the model at the moment
//! of the change (`contact.user.created`, `contact.deleted`, `company.updated`, ...).

use serde_json::json;

use crate::model::world::World;
use crate::render;
use crate::server::state::AppState;

/// What happened to a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContactChange {
    Created,
    Updated,
    /// Identifying fields only, like every `*.deleted` topic.
    Deleted,
    /// Identifying fields and `archived: true`.
    Archived,
}

/// `contact.{user|lead}.created|updated` with the full contact, `contact.deleted` or
/// `contact.archived` with its identifying fields.
pub(crate) fn contact(st: &AppState, w: &World, slot: u32, change: ContactChange) {
    if !st.webhooks.active() {
        return;
    }
    let role = w.contacts[slot as usize].role();
    let (topic, item) = match change {
        ContactChange::Created => (
            format!("contact.{role}.created"),
            render::contact::contact(w, slot),
        ),
        ContactChange::Updated => (
            format!("contact.{role}.updated"),
            render::contact::contact(w, slot),
        ),
        ContactChange::Deleted => (
            "contact.deleted".to_owned(),
            render::contact::contact_flag(w, slot, "deleted", true),
        ),
        ContactChange::Archived => (
            "contact.archived".to_owned(),
            render::contact::contact_flag(w, slot, "archived", true),
        ),
    };
    st.webhooks.emit(&topic, item);
}

/// `company.created` or `company.updated` with the full company.
pub(crate) fn company(st: &AppState, w: &World, slot: u32, created: bool) {
    if st.webhooks.active() {
        let topic = if created {
            "company.created"
        } else {
            "company.updated"
        };
        st.webhooks.emit(topic, render::company::company(w, slot));
    }
}

/// A conversation topic (`conversation.user.created`, `conversation.admin.replied`, ...) with
/// the conversation and its parts, as `GET /conversations/{id}` renders it.
pub(crate) fn conversation(st: &AppState, w: &World, slot: u32, topic: &str) {
    if st.webhooks.active() {
        st.webhooks
            .emit(topic, render::conversation::full(w, slot, false));
    }
}

/// The `ping` item.
pub(crate) fn ping_item(app_id: &str) -> serde_json::Value {
    json!({"type": "ping", "message": format!("ping from the simulated workspace {app_id}")})
}
