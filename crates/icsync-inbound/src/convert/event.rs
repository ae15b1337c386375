//! Intercom data events into domain [`Event`]s of one contact.

use super::Rejected;
use icsync_domain::{ContactId, Event};
use icsync_intercom::models;

/// Converts an event listed for `contact` (Intercom's event carries the contact's ids, which may
/// be absent; the contact we listed for is authoritative).
pub fn convert(contact: &ContactId, wire: models::DataEvent) -> Result<Event, Rejected> {
    if wire.event_name.trim().is_empty() {
        return Err(Rejected::new(
            Some(contact.as_str()),
            "missing_event_name",
            format!("an event at {} has no name", wire.created_at),
        ));
    }
    Ok(Event {
        contact_id: contact.clone(),
        event_name: wire.event_name,
        occurred_at: wire.created_at,
        metadata: wire.metadata,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct List {
        events: Vec<models::DataEvent>,
    }

    #[test]
    fn listed_events_keep_their_metadata_exactly() {
        let path = format!(
            "{}/../icsync-intercom/tests/fixtures/event_list_realistic.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let list: List = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        let contact = ContactId::new("667d60a98a68186f43bafdb9");
        for wire in list.events {
            let metadata = wire.metadata.clone();
            let event = convert(&contact, wire).unwrap_or_else(|e| panic!("{e:?}"));
            assert_eq!(event.contact_id, contact);
            assert_eq!(event.metadata, metadata);
        }
    }

    #[test]
    fn big_numbers_in_metadata_are_kept_digit_for_digit() {
        let wire: models::DataEvent = serde_json::from_str(
            r#"{"event_name":"paid","created_at":1719492777,"metadata":{"amount":123456789012345678901234567890,"ratio":0.1000000000000000055511151231257827}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let event = convert(&ContactId::new("c"), wire).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            serde_json::to_string(&event.metadata).unwrap_or_default(),
            r#"{"amount":123456789012345678901234567890,"ratio":0.1000000000000000055511151231257827}"#
        );
    }

    #[test]
    fn a_nameless_event_is_rejected() {
        let wire: models::DataEvent = serde_json::from_str(r#"{"event_name":" ","created_at":1}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            convert(&ContactId::new("c"), wire).unwrap_err().reason,
            "missing_event_name"
        );
    }
}
