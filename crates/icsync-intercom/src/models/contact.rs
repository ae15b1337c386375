//! Contacts (users and leads): the read model with every unknown field kept, and the create/update body.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::models::AddressableList;
use crate::serde_util::open_enum;

open_enum! {
    /// A contact's role.
    ContactRole {
        /// A user (signed up).
        User => "user",
        /// A lead (anonymous or unverified).
        Lead => "lead",
    }
}

/// A contact as Intercom returns it. Fields not named here (the `android_*`/`ios_*` block, `utm_*`,
/// subscription lists, whatever Intercom adds next) are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// Intercom's `type` (`contact` / `company`).
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Intercom id (24 hex).
    pub id: String,
    /// Workspace id.
    #[serde(default)]
    pub workspace_id: Option<String>,
    /// The host's own id for this contact.
    #[serde(default)]
    pub external_id: Option<String>,
    /// `user` or `lead`.
    #[serde(default)]
    pub role: Option<ContactRole>,
    /// Email (optional, not unique).
    #[serde(default)]
    pub email: Option<String>,
    /// Domain of the email.
    #[serde(default)]
    pub email_domain: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// Phone in E.164 (2.11 only).
    #[serde(default)]
    pub formatted_phone: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Avatar image.
    #[serde(default)]
    pub avatar: Option<Avatar>,
    /// Owning admin id (an integer in 2.11, a string in 2.16; kept as a string).
    #[serde(default, with = "crate::serde_util::id_opt")]
    pub owner_id: Option<String>,
    /// Hard bounce flag.
    #[serde(default)]
    pub has_hard_bounced: Option<bool>,
    /// Spam flag.
    #[serde(default)]
    pub marked_email_as_spam: Option<bool>,
    /// Unsubscribed from emails.
    #[serde(default)]
    pub unsubscribed_from_emails: Option<bool>,
    /// Created in Intercom.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub created_at: Option<DateTime<Utc>>,
    /// Last changed in Intercom (full seconds; search on it is day-granular).
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Signed up.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub signed_up_at: Option<DateTime<Utc>>,
    /// Last seen.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Last replied.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub last_replied_at: Option<DateTime<Utc>>,
    /// Last contacted.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub last_contacted_at: Option<DateTime<Utc>>,
    /// Last email opened.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub last_email_opened_at: Option<DateTime<Utc>>,
    /// Last email clicked.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub last_email_clicked_at: Option<DateTime<Utc>>,
    /// Language override.
    #[serde(default)]
    pub language_override: Option<String>,
    /// Browser.
    #[serde(default)]
    pub browser: Option<String>,
    /// Browser version.
    #[serde(default)]
    pub browser_version: Option<String>,
    /// Browser language.
    #[serde(default)]
    pub browser_language: Option<String>,
    /// Operating system.
    #[serde(default)]
    pub os: Option<String>,
    /// Location.
    #[serde(default)]
    pub location: Option<Location>,
    /// Custom attributes, verbatim.
    #[serde(default, deserialize_with = "null_as_empty_map")]
    pub custom_attributes: Map<String, Value>,
    /// Inline tags (at most 10).
    #[serde(default)]
    pub tags: Option<AddressableList>,
    /// Inline notes (at most 10).
    #[serde(default)]
    pub notes: Option<AddressableList>,
    /// Inline companies (at most 10; `has_more` says when to list them).
    #[serde(default)]
    pub companies: Option<AddressableList>,
    /// Social profiles, verbatim.
    #[serde(default)]
    pub social_profiles: Option<Value>,
    /// Every other field, verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Contact {
    /// True for `role: user`.
    pub fn is_user(&self) -> bool {
        self.role == Some(ContactRole::User)
    }
}

/// `{type: "avatar", image_url}`; a bare URL string is accepted too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "AvatarWire")]
pub struct Avatar {
    /// Image URL.
    pub image_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum AvatarWire {
    Url(String),
    Object {
        #[serde(default)]
        image_url: Option<String>,
    },
}

impl From<AvatarWire> for Avatar {
    fn from(value: AvatarWire) -> Self {
        match value {
            AvatarWire::Url(url) => Avatar {
                image_url: Some(url),
            },
            AvatarWire::Object { image_url } => Avatar { image_url },
        }
    }
}

/// `{type: "location", country, region, city, country_code, continent_code}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Country.
    #[serde(default)]
    pub country: Option<String>,
    /// Region.
    #[serde(default)]
    pub region: Option<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// ISO country code.
    #[serde(default)]
    pub country_code: Option<String>,
    /// Continent code.
    #[serde(default)]
    pub continent_code: Option<String>,
}

pub(crate) fn null_as_empty_map<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Map<String, Value>, D::Error> {
    Ok(Option::<Map<String, Value>>::deserialize(d)?.unwrap_or_default())
}

/// Body of `POST /contacts` and `PUT /contacts/{id}`: only the fields set are sent (a partial update).
/// In `custom_attributes`, a `null` value clears that attribute; keys not sent are kept by Intercom.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ContactWrite {
    /// `user` or `lead`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<ContactRole>,
    /// The host's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Avatar URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// Signed up (Unix seconds on the wire).
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "crate::serde_util::unix_opt"
    )]
    pub signed_up_at: Option<DateTime<Utc>>,
    /// Last seen (Unix seconds on the wire).
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "crate::serde_util::unix_opt"
    )]
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Owning admin id (an integer on the 2.11 wire).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<i64>,
    /// Unsubscribed from emails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsubscribed_from_emails: Option<bool>,
    /// Custom attributes to set (`null` clears one).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub custom_attributes: Map<String, Value>,
    /// Standard attributes to clear: each is sent as `null` (names from Intercom's contact
    /// fields, e.g. `name`, `phone`).
    #[serde(flatten, serialize_with = "nulls")]
    pub cleared: Vec<&'static str>,
}

fn nulls<S: serde::Serializer>(names: &[&'static str], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(names.len()))?;
    for name in names {
        map.serialize_entry(name, &Value::Null)?;
    }
    map.end()
}

impl ContactWrite {
    /// An update that sets only these custom attributes.
    pub fn custom_attributes(attributes: Map<String, Value>) -> Self {
        ContactWrite {
            custom_attributes: attributes,
            ..ContactWrite::default()
        }
    }

    /// Whether Intercom can match this body to an existing contact (so a repeated create answers 409, not a duplicate).
    pub fn has_identity(&self) -> bool {
        self.email.as_deref().is_some_and(|e| !e.is_empty())
            || self.external_id.as_deref().is_some_and(|e| !e.is_empty())
    }
}

/// Answer of `POST /contacts/{id}/archive`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactArchived {
    /// Contact id.
    pub id: String,
    /// External id.
    #[serde(default)]
    pub external_id: Option<String>,
    /// True once archived.
    #[serde(default)]
    pub archived: bool,
}

/// Answer of `DELETE /contacts/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactDeleted {
    /// Contact id.
    pub id: String,
    /// External id.
    #[serde(default)]
    pub external_id: Option<String>,
    /// True once deleted.
    #[serde(default)]
    pub deleted: bool,
}
