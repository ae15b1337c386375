//! The tables the bulk path writes, and how domain records become their rows.

use super::table::{Cell, Guard, Kind, OnConflict, Rows, Table};
use chrono::{DateTime, Utc};
use icsync_domain::{
    AttributeMap, Company, CompanyId, Contact, ContactId, Conversation, ConversationPart, Event,
};
use std::collections::HashMap;
use std::hash::Hash;

use Kind::*;

pub(crate) static CONTACTS: Table = Table {
    name: "contacts",
    columns: &[
        ("intercom_id", Text),
        ("external_id", Text),
        ("email", Text),
        ("email_normalized", Text),
        ("role", Text),
        ("name", Text),
        ("phone", Text),
        ("avatar_url", Text),
        ("owner_id", Text),
        ("unsubscribed_from_emails", Bool),
        ("created_at", Ts),
        ("updated_at", Ts),
        ("signed_up_at", Ts),
        ("last_seen_at", Ts),
        ("last_replied_at", Ts),
        ("last_contacted_at", Ts),
        ("location_country", Text),
        ("location_region", Text),
        ("location_city", Text),
        ("custom_attributes", Json),
        ("other_attributes", Json),
        ("content_hash", Text),
        ("first_imported_at", Ts),
        ("last_imported_at", Ts),
        // Not content: a contact read from Intercom exists, so an import clears a deletion.
        ("deleted_at", Ts),
    ],
    key: &["intercom_id"],
    on_conflict: OnConflict::UpdateIfDistinct {
        compare: &["content_hash"],
        keep: &["first_imported_at"],
    },
    sequenced: false,
    // A notification changes a contact only to a strictly newer version, and never brings a
    // deleted one back (only a read from Intercom, the truth, does).
    guard: Guard::NewerOnly {
        condition: NEWER_UPDATED_AT,
        keep: &["deleted_at"],
    },
};

/// The incoming row is strictly newer than the stored one, or the stored one has no time.
const NEWER_UPDATED_AT: &str = "{t}.updated_at IS NULL OR excluded.updated_at > {t}.updated_at";

pub(crate) static COMPANIES: Table = Table {
    name: "companies",
    columns: &[
        ("intercom_id", Text),
        ("company_id", Text),
        ("name", Text),
        ("plan_name", Text),
        ("size", Int),
        ("website", Text),
        ("industry", Text),
        ("monthly_spend", Dec),
        ("session_count", Int),
        ("user_count", Int),
        ("remote_created_at", Ts),
        ("created_at", Ts),
        ("updated_at", Ts),
        ("last_request_at", Ts),
        ("custom_attributes", Json),
        ("other_attributes", Json),
        ("content_hash", Text),
        ("first_imported_at", Ts),
        ("last_imported_at", Ts),
    ],
    key: &["intercom_id"],
    on_conflict: OnConflict::UpdateIfDistinct {
        compare: &["content_hash"],
        keep: &["first_imported_at"],
    },
    sequenced: false,
    guard: Guard::NewerOnly {
        condition: NEWER_UPDATED_AT,
        keep: &[],
    },
};

pub(crate) static CONTACT_COMPANIES: Table = Table {
    name: "contact_companies",
    columns: &[
        ("contact_intercom_id", Text),
        ("company_intercom_id", Text),
        ("first_imported_at", Ts),
    ],
    key: &["contact_intercom_id", "company_intercom_id"],
    on_conflict: OnConflict::Ignore,
    sequenced: false,
    guard: Guard::None,
};

pub(crate) static EVENTS: Table = Table {
    name: "events",
    columns: &[
        ("contact_intercom_id", Text),
        ("event_name", Text),
        ("occurred_at", Ts),
        ("metadata", Json),
        ("dedupe_key", Text),
        ("imported_at", Ts),
    ],
    // The unique index `ux_events_contact_time_key`: ordered by contact, so a page's events
    // land on a few index pages (the dedupe key alone is a digest and spread them over all).
    key: &["contact_intercom_id", "occurred_at", "dedupe_key"],
    on_conflict: OnConflict::Ignore,
    sequenced: true,
    guard: Guard::None,
};

pub(crate) static SEEN_SIGNALS: Table = Table {
    name: "seen_signals",
    columns: &[("contact_intercom_id", Text), ("seen_at", Ts)],
    key: &["contact_intercom_id", "seen_at"],
    on_conflict: OnConflict::Ignore,
    sequenced: false,
    guard: Guard::None,
};

/// Written only after the replaced sessions are deleted (see `ingest/sessions.rs`).
pub(crate) static SESSIONS: Table = Table {
    name: "sessions",
    columns: &[
        ("contact_intercom_id", Text),
        ("started_at", Ts),
        ("ended_at", Ts),
        ("event_count", Int),
        ("rebuilt_at", Ts),
        ("replaced_from", Ts),
    ],
    key: &["contact_intercom_id", "started_at"],
    on_conflict: OnConflict::UpdateIfDistinct {
        compare: &["ended_at", "event_count"],
        keep: &[],
    },
    sequenced: false,
    guard: Guard::None,
};

pub(crate) static CONVERSATIONS: Table = Table {
    name: "conversations",
    columns: &[
        ("intercom_id", Text),
        ("title", Text),
        ("state", Text),
        ("open", Bool),
        ("created_at", Ts),
        ("updated_at", Ts),
        ("waiting_since", Ts),
        ("snoozed_until", Ts),
        ("admin_assignee_id", Text),
        ("source_type", Text),
        ("source_subject", Text),
        ("source_body", Text),
        ("source_author_type", Text),
        ("source_author_id", Text),
        ("source_author_name", Text),
        ("source_author_email", Text),
        ("source_url", Text),
        ("tags", Json),
        ("parts_reported", Int),
        ("contact_email", Text),
        ("content_hash", Text),
        ("first_imported_at", Ts),
        ("last_imported_at", Ts),
        // Not content: a conversation read from Intercom exists, so an import clears a deletion.
        ("deleted_at", Ts),
    ],
    key: &["intercom_id"],
    on_conflict: OnConflict::UpdateIfDistinct {
        compare: &["content_hash"],
        keep: &["first_imported_at"],
    },
    sequenced: false,
    // A conversation never goes back to an older state, whoever writes it (a poll's retrieve
    // that finished after a notification, a late or replayed notification). Intercom's
    // `updated_at` has whole seconds; within one second the state with more parts is newer.
    guard: Guard::Always(
        "excluded.updated_at > {t}.updated_at OR (excluded.updated_at = {t}.updated_at AND \
         COALESCE(excluded.parts_reported, 0) >= COALESCE({t}.parts_reported, 0))",
    ),
};

pub(crate) static CONVERSATION_CONTACTS: Table = Table {
    name: "conversation_contacts",
    columns: &[
        ("conversation_intercom_id", Text),
        ("contact_intercom_id", Text),
        ("position", Int),
    ],
    key: &["conversation_intercom_id", "contact_intercom_id"],
    on_conflict: OnConflict::UpdateIfDistinct {
        compare: &["position"],
        keep: &[],
    },
    sequenced: false,
    guard: Guard::None,
};

pub(crate) static CONVERSATION_PARTS: Table = Table {
    name: "conversation_parts",
    columns: &[
        ("intercom_id", Text),
        ("conversation_intercom_id", Text),
        ("part_type", Text),
        ("author_type", Text),
        ("author_id", Text),
        ("author_name", Text),
        ("author_email", Text),
        ("body", Text),
        ("created_at", Ts),
        ("updated_at", Ts),
        ("content_hash", Text),
        ("imported_at", Ts),
    ],
    key: &["intercom_id"],
    on_conflict: OnConflict::UpdateIfDistinct {
        compare: &["content_hash"],
        keep: &["imported_at"],
    },
    sequenced: false,
    // An older copy of a part (a late notification) never undoes an edit or a redaction.
    guard: Guard::Always(
        "{t}.updated_at IS NULL OR excluded.updated_at IS NULL OR excluded.updated_at >= {t}.updated_at",
    ),
};

/// A text cell. PostgreSQL's `text` cannot hold U+0000, which Intercom's JSON may carry:
/// it becomes U+FFFD on both backends, so they store the same value (JSON cells keep the
/// `\u0000` escape and so the exact value).
fn text(value: &Option<String>) -> Cell {
    Cell::Text(value.as_deref().map(without_nul))
}

fn string(value: &str) -> Cell {
    Cell::Text(Some(without_nul(value)))
}

fn without_nul(value: &str) -> String {
    if value.contains('\0') {
        value.replace('\0', "\u{fffd}")
    } else {
        value.to_owned()
    }
}

fn json(map: &AttributeMap) -> Cell {
    thread_local! {
        // Serialized into one growing buffer, then copied out at its exact size: one allocation
        // per map instead of a doubling series from serde_json's 128 bytes.
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let text = BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        let text = serde_json::to_writer(&mut *buffer, map)
            .map(|()| String::from_utf8_lossy(buffer).into_owned());
        // An outsized record does not pin its buffer for the thread's life.
        buffer.shrink_to(64 * 1024);
        text
    });
    // Serializing a map of JSON values into a Vec cannot fail: keys are strings, values are
    // JSON, and serde_json writes valid UTF-8.
    Cell::Json(text.unwrap_or_else(|_| "{}".to_owned()))
}

/// Keeps the last occurrence of each key, in first-seen order: a statement must not touch one
/// row twice (PostgreSQL refuses), and the last copy in a page is the newest.
fn last_per_key<'a, T, K: Hash + Eq>(items: &'a [T], key: impl Fn(&'a T) -> K) -> Vec<&'a T> {
    let mut index: HashMap<K, usize> = HashMap::with_capacity(items.len());
    let mut kept: Vec<&T> = Vec::with_capacity(items.len());
    for item in items {
        match index.entry(key(item)) {
            std::collections::hash_map::Entry::Occupied(slot) => kept[*slot.get()] = item,
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(kept.len());
                kept.push(item);
            }
        }
    }
    kept
}

pub(crate) fn contact_rows(contacts: &[Contact], now: DateTime<Utc>) -> Rows {
    let contacts = last_per_key(contacts, |c| c.id.as_str());
    let mut rows = Rows::new(&CONTACTS, contacts.len());
    for c in contacts {
        rows.push_hashed(
            [
                string(c.id.as_str()),
                text(&c.external_id),
                text(&c.email),
                Cell::Text(c.normalized_email()),
                string(c.role.as_str()),
                text(&c.name),
                text(&c.phone),
                text(&c.avatar_url),
                text(&c.owner_id),
                Cell::Bool(c.unsubscribed_from_emails),
                Cell::Ts(c.created_at),
                Cell::Ts(c.updated_at),
                Cell::Ts(c.signed_up_at),
                Cell::Ts(c.last_seen_at),
                Cell::Ts(c.last_replied_at),
                Cell::Ts(c.last_contacted_at),
                text(&c.location.country),
                text(&c.location.region),
                text(&c.location.city),
                json(&c.custom_attributes),
                json(&c.other_attributes),
            ],
            [Cell::Ts(Some(now)), Cell::Ts(Some(now)), Cell::Ts(None)],
        );
    }
    rows
}

pub(crate) fn company_rows(companies: &[Company], now: DateTime<Utc>) -> Rows {
    let companies = last_per_key(companies, |c| c.id.as_str());
    let mut rows = Rows::new(&COMPANIES, companies.len());
    for c in companies {
        rows.push_hashed(
            [
                string(c.id.as_str()),
                text(&c.company_id),
                text(&c.name),
                text(&c.plan_name),
                Cell::Int(c.size),
                text(&c.website),
                text(&c.industry),
                Cell::Dec(c.monthly_spend),
                Cell::Int(c.session_count),
                Cell::Int(c.user_count),
                Cell::Ts(c.remote_created_at),
                Cell::Ts(c.created_at),
                Cell::Ts(c.updated_at),
                Cell::Ts(c.last_request_at),
                json(&c.custom_attributes),
                json(&c.other_attributes),
            ],
            [Cell::Ts(Some(now)), Cell::Ts(Some(now))],
        );
    }
    rows
}

pub(crate) fn association_rows(pairs: &[(ContactId, CompanyId)], now: DateTime<Utc>) -> Rows {
    let pairs = last_per_key(pairs, |(contact, company)| {
        (contact.as_str(), company.as_str())
    });
    let mut rows = Rows::new(&CONTACT_COMPANIES, pairs.len());
    for (contact, company) in pairs {
        rows.push([
            string(contact.as_str()),
            string(company.as_str()),
            Cell::Ts(Some(now)),
        ]);
    }
    rows
}

pub(crate) fn seen_rows(seen: &[(ContactId, DateTime<Utc>)]) -> Rows {
    let seen = last_per_key(seen, |(contact, at)| (contact.as_str(), *at));
    let mut rows = Rows::new(&SEEN_SIGNALS, seen.len());
    for (contact, at) in seen {
        rows.push([string(contact.as_str()), Cell::Ts(Some(*at))]);
    }
    rows
}

pub(crate) fn event_rows(events: &[Event], now: DateTime<Utc>) -> Rows {
    let keyed: Vec<(String, &Event)> = events
        .iter()
        .map(|e| (e.dedupe_key().into_string(), e))
        .collect();
    let keyed = last_per_key(&keyed, |(key, _)| key.as_str());
    let mut rows = Rows::new(&EVENTS, keyed.len());
    for (key, e) in keyed {
        rows.push([
            string(e.contact_id.as_str()),
            string(&e.event_name),
            Cell::Ts(Some(e.occurred_at)),
            json(&e.metadata),
            string(key),
            Cell::Ts(Some(now)),
        ]);
    }
    rows
}

pub(crate) fn conversation_rows(
    conversations: &[Conversation],
    now: DateTime<Utc>,
) -> (Rows, Rows) {
    let conversations = last_per_key(conversations, |c| c.id.as_str());
    let mut rows = Rows::new(&CONVERSATIONS, conversations.len());
    let mut participants = Rows::new(&CONVERSATION_CONTACTS, conversations.len());
    for c in conversations {
        let tags = serde_json::Value::from(c.tags.clone());
        rows.push_hashed(
            [
                string(c.id.as_str()),
                text(&c.title),
                string(&c.state),
                Cell::Bool(c.open),
                Cell::Ts(Some(c.created_at)),
                Cell::Ts(Some(c.updated_at)),
                Cell::Ts(c.waiting_since),
                Cell::Ts(c.snoozed_until),
                text(&c.admin_assignee_id),
                text(&c.source.kind),
                text(&c.source.subject),
                text(&c.source.body),
                text(&c.source.author.kind),
                text(&c.source.author.id),
                text(&c.source.author.name),
                text(&c.source.author.email),
                text(&c.source.url),
                Cell::Json(tags.to_string()),
                Cell::Int(c.parts_reported),
                text(&c.contact_email),
            ],
            [Cell::Ts(Some(now)), Cell::Ts(Some(now)), Cell::Ts(None)],
        );
        let mut seen = std::collections::HashSet::new();
        for (position, contact) in c.contact_ids.iter().enumerate() {
            if seen.insert(contact.as_str()) {
                participants.push([
                    string(c.id.as_str()),
                    string(contact.as_str()),
                    Cell::Int(Some(position as i64)),
                ]);
            }
        }
    }
    (rows, participants)
}

pub(crate) fn part_rows(parts: &[ConversationPart], now: DateTime<Utc>) -> Rows {
    let parts = last_per_key(parts, |p| p.id.as_str());
    let mut rows = Rows::new(&CONVERSATION_PARTS, parts.len());
    for p in parts {
        rows.push_hashed(
            [
                string(p.id.as_str()),
                string(p.conversation_id.as_str()),
                string(&p.part_type),
                text(&p.author.kind),
                text(&p.author.id),
                text(&p.author.name),
                text(&p.author.email),
                text(&p.body),
                Cell::Ts(Some(p.created_at)),
                Cell::Ts(p.updated_at),
            ],
            [Cell::Ts(Some(now))],
        );
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_row_has_one_cell_per_column() {
        // Rows::push debug-asserts the width; build one row of each kind.
        let now = Utc::now();
        let event = Event {
            contact_id: ContactId::new("c1"),
            event_name: "e".into(),
            occurred_at: now,
            metadata: AttributeMap::new(),
        };
        assert_eq!(
            event_rows(&[event.clone(), event], now).len(),
            1,
            "duplicates collapse"
        );
        let pairs = [
            (ContactId::new("c"), CompanyId::new("k")),
            (ContactId::new("c"), CompanyId::new("k")),
        ];
        assert_eq!(association_rows(&pairs, now).len(), 1);
    }

    #[test]
    fn the_last_copy_of_a_key_wins_in_first_seen_order() {
        let items = [("a", 1), ("b", 2), ("a", 3)];
        let kept = last_per_key(&items, |(k, _)| *k);
        assert_eq!(kept, vec![&("a", 3), &("b", 2)]);
    }
}
