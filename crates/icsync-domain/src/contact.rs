//! Contacts: Intercom users and leads, with their standard attributes as fields.

use crate::{AttributeMap, ContactId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Intercom's two kinds of contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContactRole {
    User,
    Lead,
}

impl ContactRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Lead => "lead",
        }
    }

    pub fn parse(role: &str) -> Option<Self> {
        match role {
            "user" => Some(Self::User),
            "lead" => Some(Self::Lead),
            _ => None,
        }
    }
}

/// Where Intercom last saw the contact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub country: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
}

/// An Intercom contact as icsync keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: ContactId,
    pub external_id: Option<String>,
    /// The email exactly as Intercom has it; see [`Contact::normalized_email`] for matching.
    pub email: Option<String>,
    pub role: ContactRole,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub avatar_url: Option<String>,
    /// Intercom admin id of the contact's owner.
    pub owner_id: Option<String>,
    pub unsubscribed_from_emails: bool,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub signed_up_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub last_replied_at: Option<DateTime<Utc>>,
    pub last_contacted_at: Option<DateTime<Utc>>,
    pub location: Location,
    /// Custom attributes, minus any that would shadow a standard attribute.
    pub custom_attributes: AttributeMap,
    /// Standard attributes without a column of their own (browser, os, social profiles, ...) and
    /// fields Intercom added that icsync does not know yet: kept so nothing is lost.
    pub other_attributes: AttributeMap,
}

impl Contact {
    /// Intercom's standard contact attribute names (2.11): a custom attribute with one of these
    /// names is not kept.
    pub const STANDARD_ATTRIBUTES: &'static [&'static str] = &[
        "type",
        "id",
        "workspace_id",
        "external_id",
        "role",
        "email",
        "email_domain",
        "phone",
        "formatted_phone",
        "name",
        "avatar",
        "owner_id",
        "social_profiles",
        "has_hard_bounced",
        "marked_email_as_spam",
        "unsubscribed_from_emails",
        "created_at",
        "updated_at",
        "signed_up_at",
        "last_seen_at",
        "last_replied_at",
        "last_contacted_at",
        "last_email_opened_at",
        "last_email_clicked_at",
        "language_override",
        "browser",
        "browser_version",
        "browser_language",
        "os",
        "location",
        "android_app_name",
        "android_app_version",
        "android_device",
        "android_os_version",
        "android_sdk_version",
        "android_last_seen_at",
        "ios_app_name",
        "ios_app_version",
        "ios_device",
        "ios_os_version",
        "ios_sdk_version",
        "ios_last_seen_at",
        "custom_attributes",
        "tags",
        "notes",
        "companies",
    ];

    /// The email used to match host contacts: trimmed and lower-cased; `None` when blank.
    pub fn normalized_email(&self) -> Option<String> {
        self.email.as_deref().and_then(normalize_email)
    }
}

/// Trims and lower-cases an email; a blank one is no email.
pub fn normalize_email(email: &str) -> Option<String> {
    let trimmed = email.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_matched_trimmed_and_lower_cased() {
        assert_eq!(
            normalize_email("  Ada@Example.COM "),
            Some("ada@example.com".into())
        );
        assert_eq!(normalize_email("   "), None);
        assert_eq!(
            normalize_email("Ünïcode@Exämple.org"),
            Some("ünïcode@exämple.org".into())
        );
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in [ContactRole::User, ContactRole::Lead] {
            assert_eq!(ContactRole::parse(role.as_str()), Some(role));
        }
        assert_eq!(ContactRole::parse("visitor"), None);
    }
}
