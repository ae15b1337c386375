//! Custom data events: what a contact did, when. Intercom gives them no id, so we derive one.

use crate::{AttributeMap, ContactId, ContentHash};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One custom data event of one contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub contact_id: ContactId,
    pub event_name: String,
    pub occurred_at: DateTime<Utc>,
    pub metadata: AttributeMap,
}

impl Event {
    /// The key that makes re-importing an event harmless: a digest of contact, name, time and
    /// metadata. Intercom has no event ids (INTERCOM.md trap 8) and silently dedupes events with
    /// the same contact, name and time, so two events differing only in metadata are two events.
    pub fn dedupe_key(&self) -> ContentHash {
        let metadata = ContentHash::of(&self.metadata);
        ContentHash::from_parts(&[
            self.contact_id.as_str().as_bytes(),
            self.event_name.as_bytes(),
            &self.occurred_at.timestamp().to_le_bytes(),
            metadata.as_str().as_bytes(),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn event(metadata: serde_json::Value) -> Event {
        let serde_json::Value::Object(metadata) = metadata else {
            unreachable!()
        };
        Event {
            contact_id: ContactId::new("5f1"),
            event_name: "invited-teammate".into(),
            occurred_at: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
            metadata,
        }
    }

    #[test]
    fn the_same_event_always_gets_the_same_key() {
        let a = event(json!({"plan": "pro", "seats": 3}));
        let b = event(json!({"seats": 3, "plan": "pro"}));
        assert_eq!(a.dedupe_key(), b.dedupe_key());
    }

    #[test]
    fn events_differing_in_any_part_get_different_keys() {
        let base = event(json!({"plan": "pro"}));
        let mut other_time = base.clone();
        other_time.occurred_at += chrono::Duration::seconds(1);
        let mut other_name = base.clone();
        other_name.event_name.push('x');
        let other_meta = event(json!({"plan": "team"}));
        for other in [other_time, other_name, other_meta] {
            assert_ne!(base.dedupe_key(), other.dedupe_key());
        }
    }
}
