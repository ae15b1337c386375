//! Intercom conversations (with their parts, when retrieved) into domain [`Conversation`]s and
//! [`ConversationPart`]s, and the email that links a conversation to host contacts.
//!
//! - The first message is the conversation's `source`, not a part (INTERCOM.md trap 9).
//! - `parts_reported` is what Intercom says exists: the part list's `total_count`, unless
//!   `statistics.count_conversation_parts` says more than one beyond it (a list that is not
//!   the whole conversation); without a list (search items), the statistics count. Intercom
//!   returns at most the 500 most recent parts, so a long conversation stores "500 of 1,204".
//! - A part keeps its `part_type` as Intercom wrote it, known or not; a part without an id or
//!   a time is rejected (counted, logged) and the rest of the conversation is kept.

use super::Rejected;
use icsync_domain::{
    Author, ContactId, Conversation, ConversationId, ConversationPart, ConversationSource, PartId,
    normalize_email,
};
use icsync_intercom::models;
use std::collections::HashMap;

/// A converted conversation with its parts and what its authors say about its contacts.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvertedConversation {
    /// The conversation; `contact_email` is set from its authors and completed by
    /// [`ConvertedConversation::link_email`] from the stored contacts.
    pub conversation: Conversation,
    pub parts: Vec<ConversationPart>,
    /// Parts that could not be converted.
    pub rejected_parts: Vec<Rejected>,
    /// Emails the contact authors of the source and parts carry, by contact id.
    author_emails: HashMap<ContactId, String>,
}

impl ConvertedConversation {
    /// Sets the email that links the conversation to host contacts: the stored email of its
    /// first participant that has one, else the email a participant wrote with. Returns
    /// whether the conversation is matched.
    pub fn link_email(&mut self, stored: &HashMap<ContactId, String>) -> bool {
        let conversation = &mut self.conversation;
        conversation.contact_email = conversation
            .contact_ids
            .iter()
            .find_map(|id| stored.get(id).or_else(|| self.author_emails.get(id)))
            .cloned();
        conversation.contact_email.is_some()
    }
}

/// Author types that are contacts (`user`, `lead`; `contact` in some payloads).
fn is_contact(kind: Option<&str>) -> bool {
    matches!(kind, Some("user" | "lead" | "contact"))
}

fn author(wire: Option<models::Author>) -> Author {
    let wire = wire.unwrap_or_default();
    Author {
        kind: wire.kind,
        id: wire.id,
        name: wire.name,
        email: wire.email.filter(|e| !e.trim().is_empty()),
    }
}

/// What Intercom says the conversation holds: see the module docs.
pub fn parts_reported(wire: &models::Conversation) -> Option<i64> {
    let list = wire.conversation_parts.as_ref().and_then(|p| p.total_count);
    let statistics = wire
        .statistics
        .as_ref()
        .and_then(|s| s.count_conversation_parts);
    let reported = match (list, statistics) {
        (Some(list), Some(stats)) if stats > list + 1 => stats,
        (Some(list), _) => list,
        (None, stats) => stats?,
    };
    i64::try_from(reported).ok()
}

/// Converts a conversation (a search item or a retrieved one). Only a conversation without an
/// id or without any time is rejected.
pub fn convert(wire: models::Conversation) -> Result<ConvertedConversation, Rejected> {
    let id = wire.id.trim().to_owned();
    if id.is_empty() {
        return Err(Rejected::new(
            None,
            "missing_id",
            "the conversation has no id",
        ));
    }
    let (created_at, updated_at) = match (wire.created_at, wire.updated_at) {
        (Some(c), Some(u)) => (c, u.max(c)),
        (Some(t), None) | (None, Some(t)) => (t, t),
        (None, None) => {
            return Err(Rejected::new(
                Some(&id),
                "missing_timestamps",
                "the conversation has neither created_at nor updated_at",
            ));
        }
    };
    let reported = parts_reported(&wire);
    let mut contact_ids: Vec<ContactId> = Vec::new();
    for contact in wire.contact_ids() {
        let contact = contact.trim();
        if !contact.is_empty() && !contact_ids.iter().any(|c| c.as_str() == contact) {
            contact_ids.push(ContactId::new(contact));
        }
    }
    let state = match &wire.state {
        Some(state) => state.as_str().to_owned(),
        None if wire.open == Some(false) => "closed".to_owned(),
        None => "open".to_owned(),
    };
    let open = wire
        .open
        .unwrap_or(matches!(wire.state, Some(models::ConversationState::Open)));
    let tags = wire
        .tags
        .map(|list| {
            list.tags
                .into_iter()
                .filter_map(|tag| tag.name.or(Some(tag.id)).filter(|t| !t.is_empty()))
                .collect()
        })
        .unwrap_or_default();
    let source = wire.source.unwrap_or_default();
    let source_author = author(source.author);
    let mut author_emails = HashMap::new();
    let mut note = |author: &Author| {
        if is_contact(author.kind.as_deref())
            && let (Some(id), Some(email)) = (&author.id, author.email.as_deref())
            && let Some(email) = normalize_email(email)
        {
            author_emails
                .entry(ContactId::new(id.clone()))
                .or_insert(email);
        }
    };
    note(&source_author);
    let conversation_id = ConversationId::new(id.clone());
    let mut parts = Vec::new();
    let mut rejected_parts = Vec::new();
    for part in wire
        .conversation_parts
        .map(|p| p.conversation_parts)
        .unwrap_or_default()
    {
        match convert_part(&conversation_id, part) {
            Ok(part) => {
                note(&part.author);
                parts.push(part);
            }
            Err(rejected) => rejected_parts.push(rejected),
        }
    }
    let conversation = Conversation {
        id: conversation_id,
        title: wire.title.filter(|t| !t.is_empty()),
        state,
        open,
        created_at,
        updated_at,
        waiting_since: wire.waiting_since,
        snoozed_until: wire.snoozed_until,
        contact_ids,
        contact_email: None,
        admin_assignee_id: wire.admin_assignee_id,
        source: ConversationSource {
            kind: source.kind,
            subject: source.subject.filter(|s| !s.is_empty()),
            body: source.body,
            author: source_author,
            url: source.url,
        },
        tags,
        parts_reported: reported,
    };
    let mut converted = ConvertedConversation {
        conversation,
        parts,
        rejected_parts,
        author_emails,
    };
    converted.link_email(&HashMap::new());
    Ok(converted)
}

fn convert_part(
    conversation: &ConversationId,
    wire: models::ConversationPart,
) -> Result<ConversationPart, Rejected> {
    let id = wire.id.trim().to_owned();
    if id.is_empty() {
        return Err(Rejected::new(
            Some(conversation.as_str()),
            "part_missing_id",
            "a part of the conversation has no id",
        ));
    }
    let Some(created_at) = wire.created_at.or(wire.updated_at).or(wire.notified_at) else {
        return Err(Rejected::new(
            Some(&id),
            "part_missing_created_at",
            format!("part {id} of conversation {conversation} has no time"),
        ));
    };
    Ok(ConversationPart {
        id: PartId::new(id),
        conversation_id: conversation.clone(),
        // Kept as Intercom wrote it, known or not.
        part_type: wire
            .part_type
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| "(none)".to_owned()),
        author: author(wire.author),
        body: wire.body,
        created_at,
        updated_at: wire.updated_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture(name: &str) -> models::Conversation {
        let path = format!(
            "{}/../icsync-intercom/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let value: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let item = value
            .get("conversations")
            .and_then(|c| c.get(0))
            .unwrap_or(&value);
        serde_json::from_value(item.clone()).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn wire(value: serde_json::Value) -> models::Conversation {
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_spec_conversation_with_parts_keeps_every_part_and_its_raw_type() {
        let converted =
            convert(fixture("conversation_with_parts.json")).unwrap_or_else(|e| panic!("{e:?}"));
        let c = &converted.conversation;
        assert_eq!(c.id.as_str(), "371");
        assert_eq!(c.state, "closed");
        assert!(!c.open);
        assert_eq!(c.admin_assignee_id.as_deref(), Some("991267715"));
        assert_eq!(
            c.contact_ids,
            vec![ContactId::new("667d60e08a68186f43bafde5")]
        );
        assert_eq!(c.parts_reported, Some(2));
        assert_eq!(converted.parts.len(), 2);
        let part = &converted.parts[0];
        assert_eq!(part.part_type, "conversation_attribute_updated_by_admin");
        assert_eq!(part.author.kind.as_deref(), Some("bot"));
        assert_eq!(part.created_at.timestamp(), 1719492834);
        assert_eq!(c.source.author.kind.as_deref(), Some("admin"));
        assert_eq!(
            c.source.body.as_deref(),
            Some("<p>this is the message body</p>")
        );
        assert_eq!(
            c.contact_email, None,
            "an admin-started conversation has no contact email"
        );
    }

    #[test]
    fn list_and_search_items_convert_without_parts() {
        for name in [
            "conversation.json",
            "conversation_list.json",
            "conversation_search.json",
        ] {
            let converted = convert(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert!(converted.parts.is_empty(), "{name}");
            assert!(!converted.conversation.contact_ids.is_empty(), "{name}");
        }
    }

    #[test]
    fn a_truncated_conversation_reports_the_true_total() {
        let mut parts = Vec::new();
        for k in 0..500 {
            parts.push(
                json!({"type": "conversation_part", "id": format!("{}", 1000 + k),
                "part_type": "comment", "body": "<p>x</p>", "created_at": 1_719_000_000 + k}),
            );
        }
        let c = convert(wire(json!({
            "type": "conversation", "id": "9", "created_at": 1_719_000_000,
            "updated_at": 1_719_009_000,
            "statistics": {"count_conversation_parts": 1204},
            "conversation_parts": {"type": "conversation_part.list",
                "conversation_parts": parts, "total_count": 1204}
        })))
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(c.parts.len(), 500);
        assert_eq!(c.conversation.parts_reported, Some(1204));
        // A list that says less than the statistics (a notification with only its new part).
        let partial = wire(json!({"id": "10", "updated_at": 5,
            "statistics": {"count_conversation_parts": 40},
            "conversation_parts": {"conversation_parts": [], "total_count": 1}}));
        assert_eq!(parts_reported(&partial), Some(40));
        // Statistics counting the source as well do not make a whole list look short.
        let whole = wire(json!({"id": "11", "updated_at": 5,
            "statistics": {"count_conversation_parts": 3},
            "conversation_parts": {"conversation_parts": [], "total_count": 2}}));
        assert_eq!(parts_reported(&whole), Some(2));
    }

    #[test]
    fn unknown_part_types_are_kept_and_broken_parts_rejected_alone() {
        let c = convert(wire(json!({
            "id": "12", "created_at": 100, "updated_at": 200, "state": "snoozed_forever",
            "conversation_parts": {"conversation_parts": [
                {"id": "1", "part_type": "brand_new_kind_of_part", "created_at": 150},
                {"id": "", "part_type": "comment", "created_at": 150},
                {"id": "3", "part_type": "comment"},
                {"id": "4", "created_at": 160}
            ], "total_count": 4}
        })))
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(c.conversation.state, "snoozed_forever");
        let types: Vec<&str> = c.parts.iter().map(|p| p.part_type.as_str()).collect();
        assert_eq!(types, ["brand_new_kind_of_part", "(none)"]);
        let reasons: Vec<&str> = c.rejected_parts.iter().map(|r| r.reason).collect();
        assert_eq!(reasons, ["part_missing_id", "part_missing_created_at"]);
        assert_eq!(c.conversation.parts_reported, Some(4));
    }

    #[test]
    fn the_email_comes_from_the_stored_contact_else_from_what_the_contact_wrote() {
        let mut c = convert(wire(json!({
            "id": "13", "created_at": 100, "updated_at": 200,
            "contacts": {"contacts": [{"id": "aa"}, {"id": "bb"}]},
            "source": {"type": "conversation", "author":
                {"type": "user", "id": "bb", "name": "B", "email": " B@Example.com "}},
        })))
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            c.conversation.contact_email.as_deref(),
            Some("b@example.com")
        );
        let stored = HashMap::from([(ContactId::new("aa"), "a@example.com".to_owned())]);
        assert!(c.link_email(&stored));
        assert_eq!(
            c.conversation.contact_email.as_deref(),
            Some("a@example.com")
        );
        let mut unmatched = convert(wire(json!({
            "id": "14", "created_at": 100,
            "contacts": {"contacts": [{"id": "cc"}]},
            "source": {"author": {"type": "lead", "id": "cc", "email": null}},
        })))
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(!unmatched.link_email(&stored));
        assert_eq!(unmatched.conversation.updated_at.timestamp(), 100);
    }

    #[test]
    fn a_conversation_without_id_or_time_is_rejected() {
        assert_eq!(
            convert(wire(json!({"id": " ", "created_at": 1})))
                .map(|_| ())
                .unwrap_err()
                .reason,
            "missing_id"
        );
        assert_eq!(
            convert(wire(json!({"id": "5"})))
                .map(|_| ())
                .unwrap_err()
                .reason,
            "missing_timestamps"
        );
    }
}
