//! JSON of contacts, shaped like Intercom 2.11 `contact` objects (nulls present, not omitted).

use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};
use serde_json::{Value, json};

use crate::model::contact::{ContactRec, opt_ts};
use crate::model::world::World;

/// Inline lists (`companies`, `tags`, `notes`) show at most this many items.
pub(crate) const INLINE_CAP: usize = 10;

#[derive(Serialize)]
struct Item {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    url: String,
}

/// An inline addressable list (`companies`, `tags`, `notes`, subscriptions).
#[derive(Serialize)]
struct Addressable {
    #[serde(rename = "type")]
    kind: &'static str,
    data: Vec<Item>,
    url: String,
    total_count: usize,
    has_more: bool,
}

fn addressable(
    kind: &'static str,
    ids: Vec<String>,
    contact_id: &str,
    what: &str,
    item_path: &str,
) -> Addressable {
    let total = ids.len();
    let data = ids
        .into_iter()
        .take(INLINE_CAP)
        .map(|id| Item {
            kind,
            url: format!("/{item_path}/{id}"),
            id,
        })
        .collect();
    Addressable {
        kind: "list",
        data,
        url: format!("/contacts/{contact_id}/{what}"),
        total_count: total,
        has_more: total > INLINE_CAP,
    }
}

#[derive(Serialize)]
struct Avatar<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    image_url: &'a str,
}

#[derive(Serialize)]
struct LocationJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    country: Option<&'a str>,
    region: Option<&'a str>,
    city: Option<&'a str>,
    country_code: Option<&'a str>,
    continent_code: Option<&'static str>,
}

#[derive(Serialize)]
struct EmptyList {
    #[serde(rename = "type")]
    kind: &'static str,
    data: [(); 0],
}

/// The `contact` object; field order follows the 2.11 example.
#[derive(Serialize)]
struct ContactJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    workspace_id: &'a str,
    external_id: Option<&'a str>,
    role: &'static str,
    email: &'a str,
    email_domain: String,
    phone: Option<&'a str>,
    formatted_phone: Option<String>,
    name: Option<&'a str>,
    avatar: Option<Avatar<'a>>,
    owner_id: Option<i64>,
    social_profiles: EmptyList,
    has_hard_bounced: bool,
    marked_email_as_spam: bool,
    unsubscribed_from_emails: bool,
    created_at: u32,
    updated_at: u32,
    signed_up_at: Option<i64>,
    last_seen_at: Option<i64>,
    last_replied_at: Option<i64>,
    last_contacted_at: Option<i64>,
    last_email_opened_at: Option<i64>,
    last_email_clicked_at: Option<i64>,
    language_override: Option<&'a str>,
    browser: Option<&'a str>,
    browser_version: Option<&'a str>,
    browser_language: Option<&'a str>,
    os: Option<&'a str>,
    location: LocationJson<'a>,
    android_app_name: Option<()>,
    android_app_version: Option<()>,
    android_device: Option<()>,
    android_os_version: Option<()>,
    android_sdk_version: Option<()>,
    android_last_seen_at: Option<()>,
    ios_app_name: Option<()>,
    ios_app_version: Option<()>,
    ios_device: Option<()>,
    ios_os_version: Option<()>,
    ios_sdk_version: Option<()>,
    ios_last_seen_at: Option<()>,
    custom_attributes: &'a serde_json::Map<String, Value>,
    tags: Addressable,
    notes: Addressable,
    companies: Addressable,
    opted_out_subscription_types: Addressable,
    opted_in_subscription_types: Addressable,
    utm_campaign: Option<()>,
    utm_content: Option<()>,
    utm_medium: Option<()>,
    utm_source: Option<()>,
    utm_term: Option<()>,
    referrer: Option<()>,
}

/// Serializes the contact in `slot` straight to the output (no intermediate JSON tree).
pub(crate) struct ContactSer<'a> {
    pub world: &'a World,
    pub slot: u32,
}

impl Serialize for ContactSer<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let world = self.world;
        let rec: &ContactRec = &world.contacts[self.slot as usize];
        let d = world.contact_data(self.slot);
        let id = rec.id.to_string();
        let email = d.email.as_deref().unwrap_or("");
        let email_domain = email
            .trim()
            .rsplit_once('@')
            .map(|(_, dom)| dom.to_lowercase())
            .unwrap_or_default();
        let companies: Vec<String> = rec
            .companies
            .iter()
            .filter(|&&c| !world.companies[c as usize].deleted)
            .map(|&c| world.companies[c as usize].id.to_string())
            .collect();
        let tags: Vec<String> = d
            .tags
            .iter()
            .filter_map(|&t| world.tags.get(t as usize))
            .map(|t| t.id.to_string())
            .collect();
        let loc = d.location.as_ref();
        ContactJson {
            kind: "contact",
            workspace_id: &world.settings.workspace_id,
            external_id: d.external_id.as_deref(),
            role: rec.role(),
            email,
            email_domain,
            phone: d.phone.as_deref(),
            formatted_phone: d.phone.as_ref().map(|p| p.replace(' ', "")),
            name: d.name.as_deref(),
            avatar: d.avatar.as_deref().map(|url| Avatar {
                kind: "avatar",
                image_url: url,
            }),
            owner_id: d.owner_id,
            social_profiles: EmptyList {
                kind: "list",
                data: [],
            },
            has_hard_bounced: d.has_hard_bounced,
            marked_email_as_spam: d.marked_email_as_spam,
            unsubscribed_from_emails: d.unsubscribed_from_emails,
            created_at: rec.created_at,
            updated_at: rec.updated_at,
            signed_up_at: opt_ts(rec.signed_up_at),
            last_seen_at: opt_ts(rec.last_seen_at),
            last_replied_at: d.last_replied_at,
            last_contacted_at: d.last_contacted_at,
            last_email_opened_at: d.last_email_opened_at,
            last_email_clicked_at: d.last_email_clicked_at,
            language_override: d.language_override.as_deref(),
            browser: d.browser.as_deref(),
            browser_version: d.browser_version.as_deref(),
            browser_language: d.browser_language.as_deref(),
            os: d.os.as_deref(),
            location: LocationJson {
                kind: "location",
                country: loc.map(|l| l.country.as_str()),
                region: loc.map(|l| l.region.as_str()),
                city: loc.map(|l| l.city.as_str()),
                country_code: loc.map(|l| l.country_code.as_str()),
                continent_code: loc.map(|l| continent(&l.country_code)),
            },
            android_app_name: None,
            android_app_version: None,
            android_device: None,
            android_os_version: None,
            android_sdk_version: None,
            android_last_seen_at: None,
            ios_app_name: None,
            ios_app_version: None,
            ios_device: None,
            ios_os_version: None,
            ios_sdk_version: None,
            ios_last_seen_at: None,
            custom_attributes: &d.custom_attributes,
            tags: addressable("tag", tags, &id, "tags", "tags"),
            notes: addressable("note", Vec::new(), &id, "notes", "notes"),
            companies: addressable("company", companies, &id, "companies", "companies"),
            opted_out_subscription_types: addressable(
                "subscription",
                Vec::new(),
                &id,
                "subscriptions",
                "subscriptions",
            ),
            opted_in_subscription_types: addressable(
                "subscription",
                Vec::new(),
                &id,
                "subscriptions",
                "subscriptions",
            ),
            utm_campaign: None,
            utm_content: None,
            utm_medium: None,
            utm_source: None,
            utm_term: None,
            referrer: None,
            id,
        }
        .serialize(s)
    }
}

/// A sequence of contacts, serialized one by one.
pub(crate) struct ContactsSer<'a> {
    pub world: &'a World,
    pub slots: &'a [u32],
}

impl Serialize for ContactsSer<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.slots.len()))?;
        for &slot in self.slots {
            seq.serialize_element(&ContactSer {
                world: self.world,
                slot,
            })?;
        }
        seq.end()
    }
}

/// A contact list page (`{type: list, data, total_count, pages}`).
#[derive(Serialize)]
pub(crate) struct ContactPage<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub data: ContactsSer<'a>,
    pub total_count: usize,
    pub pages: Value,
}

pub(crate) fn contact(world: &World, slot: u32) -> Value {
    serde_json::to_value(ContactSer { world, slot }).unwrap_or(Value::Null)
}

fn continent(country_code: &str) -> &'static str {
    match country_code {
        "US" | "CA" => "NA",
        "BR" => "SA",
        "JP" | "IN" => "AS",
        "AU" => "OC",
        _ => "EU",
    }
}

/// `{type: contact, id, external_id, deleted|archived: bool}`.
pub(crate) fn contact_flag(world: &World, slot: u32, flag: &str, value: bool) -> Value {
    let rec = &world.contacts[slot as usize];
    let mut v = json!({"type": "contact", "id": rec.id.to_string(), "external_id": world.contact_data(slot).external_id});
    v[flag] = json!(value);
    v
}
