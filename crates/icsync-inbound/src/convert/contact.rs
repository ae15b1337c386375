//! Intercom contacts into domain [`Contact`]s, with their company ids; naming their tags.
//!
//! Intercom lists a contact's tags inline as `{type, id, url}` (the 2.11 `contact_tags`
//! schema: addressable items, no name), so [`convert`] keeps them by id and the import names
//! them afterwards ([`unnamed_tag_ids`], [`name_tags`]) from the workspace's tag list
//! (`GET /tags`, [`tag_names`]) or what icsync already knows.

use super::{Converted, Rejected, put, put_bool, put_str, put_time, to_json};
use icsync_domain::{
    AttributeMap, CompanyId, Contact, ContactId, ContactRole, IMPORTED_TAGS_KEY, ImportedTag,
    Location, imported_tags, imported_tags_value, split_custom_attributes,
};
use icsync_intercom::models;
use std::collections::HashMap;

/// A converted contact and what its inline `companies` list says.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactWithCompanies {
    pub contact: Converted<Contact>,
    /// The companies listed inline (at most 10).
    pub companies: Vec<CompanyId>,
    /// Whether the inline list holds every company; when not, list them with
    /// `GET /contacts/{id}/companies`.
    pub companies_complete: bool,
}

/// Converts a wire contact. `fallback_role` applies when Intercom sent no role (the search asked
/// for that role); an unknown role is rejected.
pub fn convert(
    wire: models::Contact,
    fallback_role: Option<ContactRole>,
) -> Result<ContactWithCompanies, Rejected> {
    let id = wire.id.trim().to_owned();
    if id.is_empty() {
        return Err(Rejected::new(None, "missing_id", "the contact has no id"));
    }
    let role = match &wire.role {
        Some(models::ContactRole::User) => ContactRole::User,
        Some(models::ContactRole::Lead) => ContactRole::Lead,
        Some(models::ContactRole::Other(other)) => {
            return Err(Rejected::new(
                Some(&id),
                "unknown_role",
                format!("role {other:?} is neither user nor lead"),
            ));
        }
        None => fallback_role
            .ok_or_else(|| Rejected::new(Some(&id), "missing_role", "the contact has no role"))?,
    };
    let (companies, companies_complete) = inline_companies(wire.companies.as_ref());
    let split = split_custom_attributes(wire.custom_attributes, Contact::STANDARD_ATTRIBUTES);
    let mut other = AttributeMap::new();
    put_str(&mut other, "workspace_id", &wire.workspace_id);
    put_str(&mut other, "email_domain", &wire.email_domain);
    put_str(&mut other, "formatted_phone", &wire.formatted_phone);
    put_bool(&mut other, "has_hard_bounced", wire.has_hard_bounced);
    put_bool(
        &mut other,
        "marked_email_as_spam",
        wire.marked_email_as_spam,
    );
    put_time(
        &mut other,
        "last_email_opened_at",
        wire.last_email_opened_at,
    );
    put_time(
        &mut other,
        "last_email_clicked_at",
        wire.last_email_clicked_at,
    );
    put_str(&mut other, "language_override", &wire.language_override);
    put_str(&mut other, "browser", &wire.browser);
    put_str(&mut other, "browser_version", &wire.browser_version);
    put_str(&mut other, "browser_language", &wire.browser_language);
    put_str(&mut other, "os", &wire.os);
    put(&mut other, "social_profiles", wire.social_profiles.clone());
    put(&mut other, "tags", wire.tags.as_ref().and_then(to_json));
    if let Some(list) = &wire.tags {
        // Inline contact tags carry ids only; the import names them (`name_tags`).
        let tags: Vec<ImportedTag> = list
            .data
            .iter()
            .filter_map(|t| t.id.clone())
            .map(|id| ImportedTag { id, name: None })
            .collect();
        put(
            &mut other,
            IMPORTED_TAGS_KEY,
            Some(imported_tags_value(&tags)),
        );
    }
    put(&mut other, "notes", wire.notes.as_ref().and_then(to_json));
    let location = wire.location.unwrap_or_default();
    put_str(&mut other, "location_country_code", &location.country_code);
    put_str(
        &mut other,
        "location_continent_code",
        &location.continent_code,
    );
    for (key, value) in wire.extra {
        // `type` says "contact"; everything else Intercom added is kept as sent.
        if key != "type" && !value.is_null() {
            other.insert(key, value);
        }
    }
    let contact = Contact {
        id: ContactId::new(id),
        external_id: wire.external_id.filter(|e| !e.is_empty()),
        email: wire.email.filter(|e| !e.is_empty()),
        role,
        name: wire.name,
        phone: wire.phone,
        avatar_url: wire.avatar.and_then(|a| a.image_url),
        owner_id: wire.owner_id,
        unsubscribed_from_emails: wire.unsubscribed_from_emails.unwrap_or(false),
        created_at: wire.created_at,
        updated_at: wire.updated_at,
        signed_up_at: wire.signed_up_at,
        last_seen_at: wire.last_seen_at,
        last_replied_at: wire.last_replied_at,
        last_contacted_at: wire.last_contacted_at,
        location: Location {
            country: location.country,
            region: location.region,
            city: location.city,
        },
        custom_attributes: split.kept,
        other_attributes: other,
    };
    Ok(ContactWithCompanies {
        contact: Converted {
            record: contact,
            shadowed: split.shadowing,
        },
        companies,
        companies_complete,
    })
}

/// The ids of a converted contact's tags that have no name yet.
pub fn unnamed_tag_ids(contact: &Contact) -> Vec<String> {
    imported_tags(&contact.other_attributes)
        .into_iter()
        .filter(|t| t.name.is_none())
        .map(|t| t.id)
        .collect()
}

/// Names a converted contact's tags from `names` (tag id -> name); returns how many stay
/// without a name.
pub fn name_tags(contact: &mut Contact, names: &HashMap<String, String>) -> usize {
    let mut tags = imported_tags(&contact.other_attributes);
    if tags.is_empty() {
        return 0;
    }
    let mut unnamed = 0;
    for tag in &mut tags {
        if tag.name.is_none() {
            tag.name = names.get(&tag.id).cloned();
            unnamed += usize::from(tag.name.is_none());
        }
    }
    contact
        .other_attributes
        .insert(IMPORTED_TAGS_KEY.to_owned(), imported_tags_value(&tags));
    unnamed
}

/// The workspace's tag list (`GET /tags`) as tag id -> name; tags without a name are left out.
pub fn tag_names(list: Vec<models::Tag>) -> HashMap<String, String> {
    list.into_iter()
        .filter_map(|tag| {
            let id = tag.id.trim().to_owned();
            let name = tag.name.filter(|n| !n.trim().is_empty())?;
            (!id.is_empty()).then_some((id, name))
        })
        .collect()
}

/// The company ids of an inline list, and whether the list is complete.
fn inline_companies(list: Option<&models::AddressableList>) -> (Vec<CompanyId>, bool) {
    let Some(list) = list else {
        // No list at all: Intercom sends one on every contact, so nothing is known; say
        // incomplete so the companies are listed rather than assumed gone.
        return (Vec::new(), false);
    };
    let mut ids: Vec<CompanyId> = list
        .data
        .iter()
        .filter_map(|item| item.id.as_deref())
        .filter(|id| !id.is_empty())
        .map(CompanyId::new)
        .collect();
    ids.dedup();
    let more = list.has_more == Some(true)
        || list
            .total_count
            .is_some_and(|total| total > list.data.len() as u64)
        || ids.len() < list.data.len();
    (ids, !more)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture(name: &str) -> models::Contact {
        let path = format!(
            "{}/../icsync-intercom/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let value: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        // Some fixtures are lists or wrap the contact.
        let contact = value.get("data").and_then(|d| d.get(0)).unwrap_or(&value);
        serde_json::from_str(&contact.to_string()).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn contact_tags_are_kept_by_id() {
        let converted =
            convert(fixture("contact_realistic.json"), None).unwrap_or_else(|e| panic!("{e:?}"));
        let tags = icsync_domain::imported_tags(&converted.contact.record.other_attributes);
        assert_eq!(
            tags,
            vec![ImportedTag {
                id: "93".into(),
                name: None
            }],
            "inline contact tags carry ids only"
        );
        let none = convert(fixture("contact.json"), None).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(icsync_domain::imported_tags(&none.contact.record.other_attributes).is_empty());
    }

    #[test]
    fn tags_are_named_from_the_tag_list_and_unknown_ids_stay_unnamed() {
        let mut contact = convert(fixture("contact_realistic.json"), None)
            .unwrap_or_else(|e| panic!("{e:?}"))
            .contact
            .record;
        assert_eq!(unnamed_tag_ids(&contact), vec!["93".to_owned()]);
        let list: Vec<models::Tag> = serde_json::from_value(json!([
            {"type": "tag", "id": "93", "name": "VIP"},
            {"type": "tag", "id": 94, "name": "trial"},
            {"type": "tag", "id": "95", "name": " "},
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        let names = tag_names(list);
        assert_eq!(names.len(), 2, "{names:?}");
        assert_eq!(names.get("94").map(String::as_str), Some("trial"));
        assert_eq!(name_tags(&mut contact, &HashMap::new()), 1);
        assert_eq!(name_tags(&mut contact, &names), 0);
        assert!(unnamed_tag_ids(&contact).is_empty());
        assert_eq!(
            icsync_domain::imported_tags(&contact.other_attributes),
            vec![ImportedTag {
                id: "93".into(),
                name: Some("VIP".into())
            }]
        );
        // A name already given is kept.
        let renamed: HashMap<String, String> = [("93".to_owned(), "other".to_owned())].into();
        assert_eq!(name_tags(&mut contact, &renamed), 0);
        assert_eq!(
            icsync_domain::imported_tags(&contact.other_attributes)[0]
                .name
                .as_deref(),
            Some("VIP")
        );
        let mut untagged = convert(fixture("contact.json"), None)
            .unwrap_or_else(|e| panic!("{e:?}"))
            .contact
            .record;
        let before = untagged.other_attributes.clone();
        assert_eq!(name_tags(&mut untagged, &names), 0);
        assert_eq!(untagged.other_attributes, before, "nothing added");
    }

    #[test]
    fn the_realistic_contact_keeps_every_attribute_and_drops_the_shadowing_one() {
        let converted =
            convert(fixture("contact_realistic.json"), None).unwrap_or_else(|e| panic!("{e:?}"));
        let contact = &converted.contact.record;
        assert_eq!(contact.id.as_str(), "667d60a98a68186f43bafdb9");
        assert_eq!(contact.role, ContactRole::User);
        assert_eq!(contact.email.as_deref(), Some("Zoë.Ångström@Example.COM"));
        assert_eq!(
            contact.normalized_email().as_deref(),
            Some("zoë.ångström@example.com")
        );
        assert_eq!(contact.owner_id.as_deref(), Some("991267715"));
        assert_eq!(
            contact.avatar_url.as_deref(),
            Some("https://example.com/zoe.png")
        );
        assert!(contact.unsubscribed_from_emails);
        assert_eq!(contact.created_at.map(|t| t.timestamp()), Some(1719492777));
        assert_eq!(contact.location.city.as_deref(), Some("Dublin"));
        assert_eq!(converted.contact.shadowed, vec!["name".to_owned()]);
        assert!(!contact.custom_attributes.contains_key("name"));
        assert_eq!(contact.custom_attributes.get("seats"), Some(&json!(42)));
        assert_eq!(
            contact.other_attributes.get("browser"),
            Some(&json!("chrome"))
        );
        assert_eq!(
            contact.other_attributes.get("ios_app_version"),
            Some(&json!("3.1.4"))
        );
        assert_eq!(
            contact.other_attributes.get("location_country_code"),
            Some(&json!("IRL"))
        );
        assert!(!contact.other_attributes.contains_key("type"));
        assert!(
            !contact.other_attributes.contains_key("android_app_name"),
            "nulls are not kept"
        );
    }

    #[test]
    fn the_spec_example_converts() {
        let converted = convert(fixture("contact.json"), None).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(!converted.contact.record.id.as_str().is_empty());
    }

    #[test]
    fn more_companies_than_the_inline_ten_say_the_list_is_incomplete() {
        let mut wire = fixture("contact_realistic.json");
        let list = wire.companies.get_or_insert_with(Default::default);
        let (_, complete) = inline_companies(Some(list));
        list.has_more = Some(true);
        let (ids, now_complete) = inline_companies(Some(list));
        assert!(!now_complete);
        assert!(!ids.is_empty() || !complete);
        let empty = models::AddressableList {
            total_count: Some(0),
            has_more: Some(false),
            ..Default::default()
        };
        assert_eq!(inline_companies(Some(&empty)), (vec![], true));
        assert_eq!(inline_companies(None), (vec![], false));
        let _ = convert(wire, None);
    }

    #[test]
    fn roles_missing_or_unknown() {
        let mut wire = fixture("contact.json");
        wire.role = None;
        assert_eq!(
            convert(wire.clone(), Some(ContactRole::Lead)).map(|c| c.contact.record.role),
            Ok(ContactRole::Lead)
        );
        assert_eq!(
            convert(wire.clone(), None).map(|_| ()).unwrap_err().reason,
            "missing_role"
        );
        wire.role = Some(models::ContactRole::Other("visitor".into()));
        let rejected = convert(wire, None).unwrap_err();
        assert_eq!(rejected.reason, "unknown_role");
        assert!(rejected.id.is_some());
    }

    #[test]
    fn empty_emails_and_external_ids_are_absent() {
        let mut wire = fixture("contact.json");
        wire.email = Some(String::new());
        wire.external_id = Some(String::new());
        let contact = convert(wire, None)
            .unwrap_or_else(|e| panic!("{e:?}"))
            .contact
            .record;
        assert_eq!((contact.email, contact.external_id), (None, None));
    }
}
