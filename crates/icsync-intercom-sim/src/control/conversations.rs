//! Conversation mutations of the control surface: start one from a contact, reply as the
//! contact or an admin, close it; each sends its `conversation.*` webhook.

use serde_json::Value;

use crate::error::ApiError;
use crate::model::conversation::{
    Author, ConvRec, FIRST_CONVERSATION_ID, PartData, StartedSource, State,
};
use crate::model::world::World;
use crate::render::conversation::full;
use crate::server::state::{AppState, now_secs};
use crate::webhooks::topics;

/// Starts a conversation from a contact (`conversation.user.created`); returns its id.
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
    topics::conversation(st, &w, slot, "conversation.user.created");
    Ok((FIRST_CONVERSATION_ID + u64::from(slot)).to_string())
}

fn admin(w: &World, admin_id: i64) -> Result<i64, ApiError> {
    if w.admin_ids.contains(&admin_id) {
        Ok(admin_id)
    } else {
        Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "admin_not_found",
            "Admin not found",
        ))
    }
}

/// Appends a part and moves the conversation's state and `updated_at`; returns its slot.
fn add_part(
    w: &mut World,
    conversation_id: &str,
    part_type: &str,
    body: Option<String>,
    admin_id: Option<i64>,
    state: State,
) -> Result<u32, ApiError> {
    let slot = w
        .conversation_slot(conversation_id)
        .ok_or_else(ApiError::resource_not_found)?;
    let admin = admin_id.map(|a| admin(w, a)).transpose()?;
    let id = w.next_part_id;
    w.next_part_id += 1;
    let now = now_secs();
    let c = &mut w.conversations[slot as usize];
    c.added.push(PartData {
        id,
        part_type: part_type.to_owned(),
        body,
        created_at: now,
        author: admin.map_or(Author::Contact(c.contact), Author::Admin),
        assigned_to: None,
    });
    c.updated_at = now.max(c.updated_at);
    c.state = state;
    c.read = admin.is_some();
    Ok(slot)
}

/// Adds a reply from the conversation's contact (`admin_id: None`,
/// `conversation.user.replied`) or an admin (`conversation.admin.replied`); reopens it.
pub(crate) fn reply(
    st: &AppState,
    conversation_id: &str,
    body: &str,
    admin_id: Option<i64>,
) -> Result<Value, ApiError> {
    let mut w = st.write();
    let html = Some(format!("<p>{body}</p>"));
    let slot = add_part(
        &mut w,
        conversation_id,
        "comment",
        html,
        admin_id,
        State::Open,
    )?;
    let topic = if admin_id.is_some() {
        "conversation.admin.replied"
    } else {
        "conversation.user.replied"
    };
    topics::conversation(st, &w, slot, topic);
    Ok(full(&w, slot, false))
}

/// Closes the conversation as an admin (a `close` part; `conversation.admin.closed`); the
/// workspace's first admin when `admin_id` is `None`.
pub(crate) fn close(
    st: &AppState,
    conversation_id: &str,
    admin_id: Option<i64>,
) -> Result<Value, ApiError> {
    let mut w = st.write();
    let admin = admin_id.unwrap_or(w.admin_ids[0]);
    let slot = add_part(
        &mut w,
        conversation_id,
        "close",
        None,
        Some(admin),
        State::Closed,
    )?;
    topics::conversation(st, &w, slot, "conversation.admin.closed");
    Ok(full(&w, slot, false))
}
