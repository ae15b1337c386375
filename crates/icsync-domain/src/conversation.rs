//! Conversations and their parts (the messages, notes and state changes after the first message).

use crate::{ContactId, ConversationId, PartId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who wrote a message: a contact, an admin, a team or a bot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// Intercom's author type (`user`, `lead`, `admin`, `bot`, `team`, ...).
    pub kind: Option<String>,
    pub id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// The message that started a conversation; Intercom keeps it apart from the parts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSource {
    /// Channel (`conversation`, `email`, `push`, ...).
    pub kind: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub author: Author,
    pub url: Option<String>,
}

/// A conversation as icsync keeps it, without its parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub title: Option<String>,
    /// `open`, `closed` or `snoozed`.
    pub state: String,
    pub open: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub waiting_since: Option<DateTime<Utc>>,
    pub snoozed_until: Option<DateTime<Utc>>,
    /// Intercom contact ids of every participant, in Intercom's order (usually one).
    pub contact_ids: Vec<ContactId>,
    /// The normalized email (trimmed, lower-cased) of the first participant that has one: what
    /// links the conversation to host contacts. `None`: stored, but matched to no host contact.
    pub contact_email: Option<String>,
    pub admin_assignee_id: Option<String>,
    pub source: ConversationSource,
    pub tags: Vec<String>,
    /// How many parts Intercom says exist (`statistics.count_conversation_parts`); Intercom
    /// returns at most the 500 most recent, so this can exceed what was stored.
    pub parts_reported: Option<i64>,
}

/// One part of a conversation: a reply, a note, an assignment, a state change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationPart {
    pub id: PartId,
    pub conversation_id: ConversationId,
    pub part_type: String,
    pub author: Author,
    pub body: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
}
