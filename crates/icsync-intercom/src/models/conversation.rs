//! Conversations and their parts, with the "Intercom returned fewer parts than it has" flag.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::models::TagList;
use crate::models::contact::null_as_empty_map;
use crate::serde_util::open_enum;

/// Intercom returns at most this many parts (the most recent) from `GET /conversations/{id}`.
pub const MAX_PARTS_RETURNED: u64 = 500;

open_enum! {
    /// A conversation's state.
    ConversationState {
        /// Open.
        Open => "open",
        /// Closed.
        Closed => "closed",
        /// Snoozed.
        Snoozed => "snoozed",
    }
}

/// A conversation: a list/search item (no parts) or a retrieved one (with `conversation_parts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// Conversation id (a numeric string; integers accepted).
    #[serde(with = "crate::serde_util::id")]
    pub id: String,
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
    /// Created.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub created_at: Option<DateTime<Utc>>,
    /// Last changed.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Waiting for a reply since.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub waiting_since: Option<DateTime<Utc>>,
    /// Snoozed until.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub snoozed_until: Option<DateTime<Utc>>,
    /// Open flag.
    #[serde(default)]
    pub open: Option<bool>,
    /// `open` / `closed` / `snoozed`.
    #[serde(default)]
    pub state: Option<ConversationState>,
    /// Read flag.
    #[serde(default)]
    pub read: Option<bool>,
    /// `priority` / `not_priority` (2.11).
    #[serde(default)]
    pub priority: Option<String>,
    /// Assigned admin (an integer on the 2.11 wire).
    #[serde(default, with = "crate::serde_util::id_opt")]
    pub admin_assignee_id: Option<String>,
    /// Assigned team (an integer on the 2.11 wire).
    #[serde(default, with = "crate::serde_util::id_opt")]
    pub team_assignee_id: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Option<TagList>,
    /// The first message (not a part).
    #[serde(default)]
    pub source: Option<ConversationSource>,
    /// Contacts in the conversation (ids only).
    #[serde(default)]
    pub contacts: Option<ConversationContacts>,
    /// Statistics (`count_conversation_parts` among them).
    #[serde(default)]
    pub statistics: Option<ConversationStatistics>,
    /// Conversation custom attributes.
    #[serde(default, deserialize_with = "null_as_empty_map")]
    pub custom_attributes: Map<String, Value>,
    /// Parts (only on retrieve).
    #[serde(default)]
    pub conversation_parts: Option<ConversationPartList>,
    /// Every other field, verbatim (`teammates`, `conversation_rating`, `sla_applied`, `ai_agent`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Conversation {
    /// The parts returned (empty for list/search items).
    pub fn parts(&self) -> &[ConversationPart] {
        self.conversation_parts
            .as_ref()
            .map(|p| p.conversation_parts.as_slice())
            .unwrap_or(&[])
    }

    /// Ids of the contacts in this conversation.
    pub fn contact_ids(&self) -> Vec<&str> {
        self.contacts
            .as_ref()
            .map(|c| c.contacts.iter().map(|r| r.id.as_str()).collect())
            .unwrap_or_default()
    }

    /// How many parts Intercom returned versus how many it says exist.
    ///
    /// `truncated` is set when the part list's `total_count` exceeds the parts returned, or when
    /// `statistics.count_conversation_parts` exceeds them by more than one (that count may include the source).
    pub fn parts_completeness(&self) -> PartsCompleteness {
        let returned = self.parts().len() as u64;
        let list_total = self.conversation_parts.as_ref().and_then(|p| p.total_count);
        let statistics_count = self
            .statistics
            .as_ref()
            .and_then(|s| s.count_conversation_parts);
        let truncated = list_total.is_some_and(|total| total > returned)
            || statistics_count.is_some_and(|count| count > returned + 1);
        let reported = list_total.into_iter().chain(statistics_count).max();
        PartsCompleteness {
            returned,
            reported,
            truncated,
        }
    }
}

/// Parts received versus parts Intercom reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartsCompleteness {
    /// Parts in the answer.
    pub returned: u64,
    /// The largest count Intercom reported (part list `total_count`, `statistics.count_conversation_parts`).
    pub reported: Option<u64>,
    /// Intercom returned fewer parts than exist (it keeps only the 500 most recent).
    pub truncated: bool,
}

/// `{type: "conversation_part.list", conversation_parts, total_count}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationPartList {
    /// The parts, oldest first.
    #[serde(default, deserialize_with = "crate::serde_util::null_default")]
    pub conversation_parts: Vec<ConversationPart>,
    /// Number of parts Intercom reports.
    #[serde(default)]
    pub total_count: Option<u64>,
}

/// One part of a conversation (a reply, note, assignment, state change...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationPart {
    /// Part id (numeric string; unique only within a workspace).
    #[serde(with = "crate::serde_util::id")]
    pub id: String,
    /// `comment`, `note`, `open`, `close`, `assignment`, ... (free string).
    #[serde(default)]
    pub part_type: Option<String>,
    /// HTML body, or null.
    #[serde(default)]
    pub body: Option<String>,
    /// Created.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub created_at: Option<DateTime<Utc>>,
    /// Updated.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Notified.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub notified_at: Option<DateTime<Utc>>,
    /// Assigned to.
    #[serde(default)]
    pub assigned_to: Option<crate::models::ObjectRef>,
    /// Author.
    #[serde(default)]
    pub author: Option<Author>,
    /// Attachments, verbatim.
    #[serde(default, deserialize_with = "crate::serde_util::null_default")]
    pub attachments: Vec<Value>,
    /// External id.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Redacted flag.
    #[serde(default)]
    pub redacted: Option<bool>,
}

/// An author: contact (`user`/`lead`), admin, team or bot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Author {
    /// `admin`, `user`, `lead`, `team`, `bot`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Id.
    #[serde(default, with = "crate::serde_util::id_opt")]
    pub id: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
}

/// The conversation's first message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationSource {
    /// Channel: `conversation`, `email`, `push`, ...
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Source id.
    #[serde(default, with = "crate::serde_util::id_opt")]
    pub id: Option<String>,
    /// `customer_initiated`, `admin_initiated`, ...
    #[serde(default)]
    pub delivered_as: Option<String>,
    /// Subject.
    #[serde(default)]
    pub subject: Option<String>,
    /// HTML body.
    #[serde(default)]
    pub body: Option<String>,
    /// Author.
    #[serde(default)]
    pub author: Option<Author>,
    /// URL where it started.
    #[serde(default)]
    pub url: Option<String>,
    /// Redacted flag.
    #[serde(default)]
    pub redacted: Option<bool>,
}

/// `{type: "contact.list", contacts: [{type, id, external_id}]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationContacts {
    /// The contacts.
    #[serde(default, deserialize_with = "crate::serde_util::null_default")]
    pub contacts: Vec<ConversationContactRef>,
}

/// A contact reference inside a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationContactRef {
    /// Contact id.
    pub id: String,
    /// External id.
    #[serde(default)]
    pub external_id: Option<String>,
}

/// `statistics`; only the counts icsync uses are typed, the rest is kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationStatistics {
    /// Number of parts (possibly counting the source).
    #[serde(default)]
    pub count_conversation_parts: Option<u64>,
    /// Reopens.
    #[serde(default)]
    pub count_reopens: Option<u64>,
    /// Assignments.
    #[serde(default)]
    pub count_assignments: Option<u64>,
    /// Everything else, verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
