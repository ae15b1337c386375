//! Intercom's webhook notifications: the `X-Hub-Signature` check and the `notification_event`
//! envelope with its item (INTERCOM.md section 10).
//!
//! Check the signature on the raw bytes first ([`verify_signature`], constant time), parse
//! after ([`Notification::parse`]): a body that is not signed by the app's client secret is
//! never read.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha1::Sha1;

use crate::models;

/// The header carrying `sha1=<hex HMAC-SHA1 of the raw body>`.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature";

/// Why a signature does not prove a notification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Hub-Signature header is missing")]
    Missing,
    #[error("the X-Hub-Signature header is not `sha1=` followed by 40 hex digits")]
    Malformed,
    #[error("the X-Hub-Signature does not match the body under any webhook secret")]
    Mismatch,
}

/// The HMAC-SHA1 digest a header carries, parsed once to be checked against several secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature([u8; 20]);

impl Signature {
    /// Parses `sha1=<40 hex digits>` (the prefix and digits in any case).
    pub fn parse(header: Option<&str>) -> Result<Signature, SignatureError> {
        let header = header.ok_or(SignatureError::Missing)?.trim();
        let hex_digits = header
            .get(..5)
            .filter(|prefix| prefix.eq_ignore_ascii_case("sha1="))
            .and_then(|_| header.get(5..))
            .ok_or(SignatureError::Malformed)?;
        let mut digest = [0u8; 20];
        hex::decode_to_slice(hex_digits, &mut digest).map_err(|_| SignatureError::Malformed)?;
        Ok(Signature(digest))
    }

    /// Whether this is the signature of `body` under `secret`, compared in constant time.
    pub fn verifies(&self, secret: &[u8], body: &[u8]) -> bool {
        match Hmac::<Sha1>::new_from_slice(secret) {
            Ok(mut mac) => {
                mac.update(body);
                mac.verify_slice(&self.0).is_ok()
            }
            // HMAC takes keys of any length; nothing to verify against otherwise.
            Err(_) => false,
        }
    }
}

/// Checks `header` against `body` under `secret`.
pub fn verify_signature(
    secret: &[u8],
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    if Signature::parse(header)?.verifies(secret, body) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The `X-Hub-Signature` value of `body` under `secret` (for tests and tools).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    match Hmac::<Sha1>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(body);
            format!("sha1={}", hex::encode(mac.finalize().into_bytes()))
        }
        Err(_) => "sha1=".to_owned(),
    }
}

/// A notification's envelope (`type: notification_event`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// `notification_event`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The Intercom workspace (`app.id_code`) the notification is about.
    #[serde(default)]
    pub app_id: Option<String>,
    /// `notif_<uuid>`: the same across a retry and a replay.
    #[serde(default)]
    pub id: Option<String>,
    /// `contact.user.updated`, `conversation.admin.replied`, `ping`, ...
    pub topic: String,
    /// When the change happened (Unix seconds).
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
    /// 1, then 2 on Intercom's one retry.
    #[serde(default)]
    pub delivery_attempts: Option<u32>,
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub first_sent_at: Option<chrono::DateTime<chrono::Utc>>,
    /// `{type: notification_event_data, item}`.
    pub data: NotificationData,
}

/// The envelope's `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationData {
    /// The object the topic is about, with its own `type`.
    #[serde(default)]
    pub item: Value,
}

/// The identifying fields `*.deleted` and `contact.archived` items carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectGone {
    #[serde(with = "crate::serde_util::id")]
    pub id: String,
    #[serde(default)]
    pub external_id: Option<String>,
}

/// A notification's item, decoded by its topic.
#[derive(Debug, Clone, PartialEq)]
pub enum NotificationItem {
    /// `ping`: Intercom checking the endpoint.
    Ping,
    /// `contact.{user,lead}.{created,updated}`: the whole contact.
    Contact(Box<models::Contact>),
    /// `contact.deleted`: identifying fields only.
    ContactDeleted(ObjectGone),
    /// `contact.archived`: identifying fields only.
    ContactArchived(ObjectGone),
    /// `company.created`, `company.updated`: the whole company.
    Company(Box<models::Company>),
    /// `conversation.*` (created, replied, closed, ...): the conversation with parts.
    Conversation(Box<models::Conversation>),
    /// `conversation.deleted`: identifying fields only.
    ConversationDeleted(ObjectGone),
    /// A topic this client does not decode.
    Other,
}

/// Why a notification could not be read.
#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    #[error("the body is not a notification_event envelope: {0}")]
    Envelope(String),
    #[error("the {topic} item cannot be decoded: {reason}")]
    Item { topic: String, reason: String },
}

impl Notification {
    /// Parses the raw body (after its signature was checked).
    pub fn parse(body: &[u8]) -> Result<Notification, NotificationError> {
        let deserializer = &mut serde_json::Deserializer::from_slice(body);
        serde_path_to_error::deserialize(deserializer)
            .map_err(|e| NotificationError::Envelope(e.to_string()))
    }

    /// Decodes `data.item` as the topic says.
    pub fn item(&self) -> Result<NotificationItem, NotificationError> {
        let topic = self.topic.as_str();
        let decode = |what: &str| NotificationError::Item {
            topic: topic.to_owned(),
            reason: what.to_owned(),
        };
        let item = self.data.item.clone();
        Ok(match topic {
            "ping" => NotificationItem::Ping,
            "contact.deleted" => NotificationItem::ContactDeleted(
                serde_json::from_value(item).map_err(|e| decode(&e.to_string()))?,
            ),
            "contact.archived" | "contact.archive" => NotificationItem::ContactArchived(
                serde_json::from_value(item).map_err(|e| decode(&e.to_string()))?,
            ),
            "contact.user.created"
            | "contact.user.updated"
            | "contact.lead.created"
            | "contact.lead.updated"
            | "contact.lead.signed_up" => NotificationItem::Contact(
                serde_json::from_value(item).map_err(|e| decode(&e.to_string()))?,
            ),
            "company.created" | "company.updated" => NotificationItem::Company(
                serde_json::from_value(item).map_err(|e| decode(&e.to_string()))?,
            ),
            "conversation.deleted" => NotificationItem::ConversationDeleted(
                serde_json::from_value(item).map_err(|e| decode(&e.to_string()))?,
            ),
            t if t.starts_with("conversation.") && !t.starts_with("conversation_part.") => {
                NotificationItem::Conversation(
                    serde_json::from_value(item).map_err(|e| decode(&e.to_string()))?,
                )
            }
            _ => NotificationItem::Other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_signature_verifies_only_its_body_under_its_secret() {
        let body = br#"{"type":"notification_event","topic":"ping","data":{"item":{}}}"#;
        let header = sign(b"s3cret", body);
        assert!(header.starts_with("sha1=") && header.len() == 45);
        assert_eq!(verify_signature(b"s3cret", body, Some(&header)), Ok(()));
        assert_eq!(
            verify_signature(b"other", body, Some(&header)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(b"s3cret", b"{}", Some(&header)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(b"s3cret", body, None),
            Err(SignatureError::Missing)
        );
        for bad in ["sha1=xyz", "sha256=00", "", "sha1=", &header[..44]] {
            assert_eq!(
                verify_signature(b"s3cret", body, Some(bad)),
                Err(SignatureError::Malformed),
                "{bad:?}"
            );
        }
        let upper = format!("SHA1={}", header[5..].to_uppercase());
        assert_eq!(verify_signature(b"s3cret", body, Some(&upper)), Ok(()));
    }

    #[test]
    fn the_simulators_signature_matches() {
        let body = br#"{"hello":"world"}"#;
        assert_eq!(
            sign(b"sim-client-secret", body),
            icsync_intercom_sim::webhook_signature("sim-client-secret", body)
        );
    }

    #[test]
    fn envelopes_decode_their_item_by_topic() {
        let envelope = |topic: &str, item: Value| {
            let body = json!({"type": "notification_event", "app_id": "ecahpwf5",
                "id": "notif_1", "topic": topic, "created_at": 1719492825,
                "delivery_attempts": 1, "first_sent_at": 1719492825,
                "data": {"type": "notification_event_data", "item": item}});
            Notification::parse(body.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e}"))
        };
        let n = envelope(
            "contact.deleted",
            json!({"type": "contact", "id": "abc", "deleted": true}),
        );
        assert_eq!(n.app_id.as_deref(), Some("ecahpwf5"));
        assert!(matches!(n.item(), Ok(NotificationItem::ContactDeleted(g)) if g.id == "abc"));
        let n = envelope(
            "conversation.admin.closed",
            json!({"type": "conversation", "id": 12}),
        );
        assert!(matches!(n.item(), Ok(NotificationItem::Conversation(c)) if c.id == "12"));
        let n = envelope("ping", json!({"type": "ping", "message": "hi"}));
        assert!(matches!(n.item(), Ok(NotificationItem::Ping)));
        let n = envelope("contact.user.tag.created", json!({}));
        assert!(matches!(n.item(), Ok(NotificationItem::Other)));
        let n = envelope("contact.user.updated", json!({"type": "contact"}));
        assert!(n.item().is_err(), "a contact without id");
        assert!(Notification::parse(b"{not json").is_err());
        assert!(
            Notification::parse(br#"{"topic": "ping"}"#).is_err(),
            "no data"
        );
    }
}
