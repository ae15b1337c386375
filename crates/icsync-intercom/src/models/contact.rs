//! Contacts (users and leads): the read model with every unknown field kept, and the create/update body.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::models::AddressableList;
use crate::models::extra::{FieldKey, IdOpt, MapOrNull, Plain, UnixOpt, deserialize_with_extra};
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
/// subscription lists, whatever Intercom adds next) are kept in `extra`. Decoded by
/// [`deserialize_with_extra!`] (the field list below the struct); the `serde` attributes serve
/// serialization.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contact {
    /// Intercom's `type` (`contact` / `company`).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Intercom id (24 hex).
    pub id: String,
    /// Workspace id.
    pub workspace_id: Option<String>,
    /// The host's own id for this contact.
    pub external_id: Option<String>,
    /// `user` or `lead`.
    pub role: Option<ContactRole>,
    /// Email (optional, not unique).
    pub email: Option<String>,
    /// Domain of the email.
    pub email_domain: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Phone in E.164 (2.11 only).
    pub formatted_phone: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Avatar image.
    pub avatar: Option<Avatar>,
    /// Owning admin id (an integer in 2.11, a string in 2.16; kept as a string).
    #[serde(serialize_with = "crate::serde_util::id_opt::serialize")]
    pub owner_id: Option<String>,
    /// Hard bounce flag.
    pub has_hard_bounced: Option<bool>,
    /// Spam flag.
    pub marked_email_as_spam: Option<bool>,
    /// Unsubscribed from emails.
    pub unsubscribed_from_emails: Option<bool>,
    /// Created in Intercom.
    #[serde(serialize_with = "crate::serde_util::unix_opt::serialize")]
    pub created_at: Option<DateTime<Utc>>,
    /// Last changed in Intercom (full seconds; search on it is day-granular).
    #[serde(serialize_with = "crate::serde_util::unix_opt::serialize")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Signed up.
    #[serde(serialize_with = "crate::serde_util::unix_opt::serialize")]
    pub signed_up_at: Option<DateTime<Utc>>,
    /// Last seen.
    #[serde(serialize_with = "crate::serde_util::unix_opt::serialize")]
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Last replied.
    #[serde(serialize_with = "crate::serde_util::unix_opt::serialize")]
    pub last_replied_at: Option<DateTime<Utc>>,
    /// Last contacted.
    #[serde(serialize_with = "crate::serde_util::unix_opt::serialize")]
    pub last_contacted_at: Option<DateTime<Utc>>,
    /// Last email opened.
    #[serde(serialize_with = "crate::serde_util::unix_opt::serialize")]
    pub last_email_opened_at: Option<DateTime<Utc>>,
    /// Last email clicked.
    #[serde(serialize_with = "crate::serde_util::unix_opt::serialize")]
    pub last_email_clicked_at: Option<DateTime<Utc>>,
    /// Language override.
    pub language_override: Option<String>,
    /// Browser.
    pub browser: Option<String>,
    /// Browser version.
    pub browser_version: Option<String>,
    /// Browser language.
    pub browser_language: Option<String>,
    /// Operating system.
    pub os: Option<String>,
    /// Location.
    pub location: Option<Location>,
    /// Custom attributes, verbatim.
    pub custom_attributes: Map<String, Value>,
    /// Inline tags (at most 10).
    pub tags: Option<AddressableList>,
    /// Inline notes (at most 10).
    pub notes: Option<AddressableList>,
    /// Inline companies (at most 10; `has_more` says when to list them).
    pub companies: Option<AddressableList>,
    /// Social profiles, verbatim.
    pub social_profiles: Option<Value>,
    /// Every other field, verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

deserialize_with_extra! {
    Contact, "a contact object", extra: extra,
    required { id: "id" => Plain<String> }
    optional {
        kind: "type" => Plain<Option<String>>,
        workspace_id: "workspace_id" => Plain<Option<String>>,
        external_id: "external_id" => Plain<Option<String>>,
        role: "role" => Plain<Option<ContactRole>>,
        email: "email" => Plain<Option<String>>,
        email_domain: "email_domain" => Plain<Option<String>>,
        phone: "phone" => Plain<Option<String>>,
        formatted_phone: "formatted_phone" => Plain<Option<String>>,
        name: "name" => Plain<Option<String>>,
        avatar: "avatar" => Plain<Option<Avatar>>,
        owner_id: "owner_id" => IdOpt,
        has_hard_bounced: "has_hard_bounced" => Plain<Option<bool>>,
        marked_email_as_spam: "marked_email_as_spam" => Plain<Option<bool>>,
        unsubscribed_from_emails: "unsubscribed_from_emails" => Plain<Option<bool>>,
        created_at: "created_at" => UnixOpt,
        updated_at: "updated_at" => UnixOpt,
        signed_up_at: "signed_up_at" => UnixOpt,
        last_seen_at: "last_seen_at" => UnixOpt,
        last_replied_at: "last_replied_at" => UnixOpt,
        last_contacted_at: "last_contacted_at" => UnixOpt,
        last_email_opened_at: "last_email_opened_at" => UnixOpt,
        last_email_clicked_at: "last_email_clicked_at" => UnixOpt,
        language_override: "language_override" => Plain<Option<String>>,
        browser: "browser" => Plain<Option<String>>,
        browser_version: "browser_version" => Plain<Option<String>>,
        browser_language: "browser_language" => Plain<Option<String>>,
        os: "os" => Plain<Option<String>>,
        location: "location" => Plain<Option<Location>>,
        custom_attributes: "custom_attributes" => MapOrNull,
        tags: "tags" => Plain<Option<AddressableList>>,
        notes: "notes" => Plain<Option<AddressableList>>,
        companies: "companies" => Plain<Option<AddressableList>>,
        social_profiles: "social_profiles" => Plain<Option<Value>>,
    }
}

impl Contact {
    /// True for `role: user`.
    pub fn is_user(&self) -> bool {
        self.role == Some(ContactRole::User)
    }
}

/// `{type: "avatar", image_url}`; a bare URL string is accepted too.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Avatar {
    /// Image URL.
    pub image_url: Option<String>,
}

impl<'de> Deserialize<'de> for Avatar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct AvatarVisitor;

        impl<'de> serde::de::Visitor<'de> for AvatarVisitor {
            type Value = Avatar;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an avatar object or an image URL")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Avatar, E> {
                Ok(Avatar {
                    image_url: Some(v.to_owned()),
                })
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Avatar, A::Error> {
                let mut image_url = None;
                while let Some(key) = map.next_key::<FieldKey<'de>>()? {
                    if key.as_str() == "image_url" {
                        image_url = map.next_value::<Option<String>>()?;
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(Avatar { image_url })
            }
        }

        // Not `#[serde(untagged)]`: that buffers the value into serde's `Content` first.
        d.deserialize_any(AvatarVisitor)
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
