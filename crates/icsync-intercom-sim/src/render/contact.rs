//! JSON of contacts, shaped like Intercom 2.11 `contact` objects (nulls present, not omitted).

use serde_json::{Value, json};

use crate::model::contact::{ContactRec, opt_ts};
use crate::model::world::World;

/// Inline lists (`companies`, `tags`, `notes`) show at most this many items.
pub(crate) const INLINE_CAP: usize = 10;

fn addressable(kind: &str, ids: Vec<String>, contact_id: &str, what: &str) -> Value {
    let total = ids.len();
    let data: Vec<Value> = ids
        .into_iter()
        .take(INLINE_CAP)
        .map(|id| json!({"type": kind, "id": id, "url": format!("/{what}s/{id}")}))
        .collect();
    json!({
        "type": "list",
        "data": data,
        "url": format!("/contacts/{contact_id}/{what}s"),
        "total_count": total,
        "has_more": total > INLINE_CAP,
    })
}

pub(crate) fn contact(world: &World, slot: u32) -> Value {
    let rec: &ContactRec = &world.contacts[slot as usize];
    let d = world.contact_data(slot);
    let id = rec.id.to_string();
    let email = d.email.clone().unwrap_or_default();
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
    let location = match &d.location {
        Some(l) => {
            json!({"type": "location", "country": l.country, "region": l.region, "city": l.city,
            "country_code": l.country_code, "continent_code": continent(&l.country_code)})
        }
        None => json!({"type": "location", "country": null, "region": null, "city": null,
            "country_code": null, "continent_code": null}),
    };
    let subscriptions = json!({"type": "list", "data": [], "url": format!("/contacts/{id}/subscriptions"),
        "total_count": 0, "has_more": false});
    json!({
        "type": "contact",
        "id": id,
        "workspace_id": world.settings.workspace_id,
        "external_id": d.external_id,
        "role": rec.role(),
        "email": email,
        "email_domain": email_domain,
        "phone": d.phone,
        "formatted_phone": d.phone.as_ref().map(|p| p.replace(' ', "")),
        "name": d.name,
        "avatar": d.avatar.as_ref().map(|url| json!({"type": "avatar", "image_url": url})),
        "owner_id": d.owner_id,
        "social_profiles": {"type": "list", "data": []},
        "has_hard_bounced": d.has_hard_bounced,
        "marked_email_as_spam": d.marked_email_as_spam,
        "unsubscribed_from_emails": d.unsubscribed_from_emails,
        "created_at": rec.created_at,
        "updated_at": rec.updated_at,
        "signed_up_at": opt_ts(rec.signed_up_at),
        "last_seen_at": opt_ts(rec.last_seen_at),
        "last_replied_at": d.last_replied_at,
        "last_contacted_at": d.last_contacted_at,
        "last_email_opened_at": d.last_email_opened_at,
        "last_email_clicked_at": d.last_email_clicked_at,
        "language_override": d.language_override,
        "browser": d.browser,
        "browser_version": d.browser_version,
        "browser_language": d.browser_language,
        "os": d.os,
        "location": location,
        "android_app_name": null,
        "android_app_version": null,
        "android_device": null,
        "android_os_version": null,
        "android_sdk_version": null,
        "android_last_seen_at": null,
        "ios_app_name": null,
        "ios_app_version": null,
        "ios_device": null,
        "ios_os_version": null,
        "ios_sdk_version": null,
        "ios_last_seen_at": null,
        "custom_attributes": d.custom_attributes,
        "tags": addressable("tag", tags, &rec.id.to_string(), "tag"),
        "notes": addressable("note", Vec::new(), &rec.id.to_string(), "note"),
        "companies": addressable("company", companies, &rec.id.to_string(), "companie"),
        "opted_out_subscription_types": subscriptions.clone(),
        "opted_in_subscription_types": subscriptions,
        "utm_campaign": null,
        "utm_content": null,
        "utm_medium": null,
        "utm_source": null,
        "utm_term": null,
        "referrer": null,
    })
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
