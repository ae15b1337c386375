//! Decoding of Intercom's 2.11 example bodies and realistic variants: unknown fields kept, missing optional
//! fields accepted, timestamps as UTC, money as decimals.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use icsync_intercom::models::{
    Admin, AdminList, Company, Contact, ContactRole, Conversation, ConversationState,
    DataAttribute, DataEvent, DataType, EventSummaries, Tag,
};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn fixture<T: DeserializeOwned>(name: &str) -> T {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn list<T: DeserializeOwned>(name: &str, key: &str) -> Vec<T> {
    let value: Value = fixture(name);
    serde_json::from_value(value[key].clone()).unwrap_or_else(|e| panic!("{name}.{key}: {e}"))
}

fn ts(secs: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0)
}

#[test]
fn spec_contact_decodes_with_nulls_and_keeps_unknown_fields() {
    let contact: Contact = fixture("contact.json");
    assert_eq!(contact.id, "667d60a98a68186f43bafdb9");
    assert_eq!(contact.role, Some(ContactRole::User));
    assert_eq!(contact.email.as_deref(), Some("joe@bloggs.com"));
    assert_eq!(contact.created_at, ts(1719492777));
    assert_eq!(contact.last_seen_at, None);
    assert_eq!(contact.owner_id, None);
    assert!(contact.custom_attributes.is_empty());
    assert_eq!(
        contact.companies.as_ref().map(|c| c.has_more),
        Some(Some(false))
    );
    // Fields the model does not name are kept verbatim.
    assert_eq!(contact.extra.get("utm_campaign"), Some(&Value::Null));
    assert!(contact.extra.contains_key("android_app_name"));
    assert!(contact.extra.contains_key("opted_in_subscription_types"));
    assert!(
        !contact.extra.contains_key("email"),
        "named fields are not duplicated into extra"
    );
}

#[test]
fn realistic_contact_keeps_custom_attributes_and_new_fields() {
    let contact: Contact = fixture("contact_realistic.json");
    assert_eq!(contact.name.as_deref(), Some("Zoë Ångström"));
    assert_eq!(
        contact.owner_id.as_deref(),
        Some("991267715"),
        "integer owner ids become strings"
    );
    assert_eq!(contact.updated_at, ts(1719579177));
    assert_eq!(contact.custom_attributes["seats"], json!(42));
    assert_eq!(contact.custom_attributes["mrr"], json!(1234.56));
    assert_eq!(contact.custom_attributes["nested"], json!({"a": [1, 2]}));
    assert_eq!(
        contact.custom_attributes["name"],
        json!("shadowed standard name")
    );
    assert_eq!(
        contact.extra["field_intercom_added_next_year"],
        json!({"anything": "goes"})
    );
    assert_eq!(contact.extra["ios_app_version"], json!("3.1.4"));
    let companies = contact
        .companies
        .as_ref()
        .map(|c| (c.data.len(), c.total_count, c.has_more));
    assert_eq!(companies, Some((2, Some(12), Some(true))));
    assert_eq!(
        contact.location.as_ref().and_then(|l| l.city.as_deref()),
        Some("Dublin")
    );
    assert_eq!(
        contact.avatar.as_ref().and_then(|a| a.image_url.as_deref()),
        Some("https://example.com/zoe.png")
    );

    // Round trip keeps everything.
    let again: Contact = serde_json::from_value(serde_json::to_value(&contact).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again, contact);
}

#[test]
fn a_minimal_contact_decodes() {
    let contact: Contact =
        serde_json::from_value(json!({"id": "1", "role": "visitor", "custom_attributes": null}))
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(contact.role, Some(ContactRole::Other("visitor".into())));
    assert!(contact.custom_attributes.is_empty());
    assert!(
        serde_json::from_value::<Contact>(json!({"email": "no-id@example.com"})).is_err(),
        "a contact without id is an error"
    );
}

#[test]
fn companies_decode_with_empty_plan_and_decimal_money() {
    let company: Company = fixture("company.json");
    assert_eq!(company.company_id.as_deref(), Some("1"));
    assert_eq!(
        company.plan.as_ref().map(|p| p.name.clone()),
        Some(None),
        "`plan: {{}}` decodes"
    );
    assert_eq!(company.monthly_spend, Some(Decimal::ZERO));

    let company: Company = fixture("company_realistic.json");
    assert_eq!(company.monthly_spend, Decimal::from_str("1999.99").ok());
    assert_eq!(
        company.plan.as_ref().and_then(|p| p.name.as_deref()),
        Some("Pro")
    );
    assert_eq!(company.last_request_at, ts(1719575534));
    assert_eq!(company.custom_attributes["churn_risk"], json!(false));
    assert_eq!(company.tags.as_ref().map(|t| t.tags.len()), Some(1));
    assert_eq!(company.extra["brand_new_company_field"], json!([1, 2, 3]));

    for (file, key) in [
        ("company_list.json", "data"),
        ("company_find.json", "data"),
        ("company_scroll.json", "data"),
        ("companies_of_contact.json", "data"),
    ] {
        let companies: Vec<Company> = list(file, key);
        assert_eq!(companies.len(), 1, "{file}");
    }
    let upserted: Company = fixture("company_upserted.json");
    assert_eq!(
        upserted.custom_attributes["industry"],
        json!("manufacturing")
    );
}

#[test]
fn conversations_decode_and_flag_truncated_parts() {
    let listed: Vec<Conversation> = list("conversation_list.json", "conversations");
    assert_eq!(listed[0].id, "335");
    assert_eq!(listed[0].state, Some(ConversationState::Closed));
    assert_eq!(listed[0].admin_assignee_id.as_deref(), Some("991267715"));
    assert_eq!(listed[0].contact_ids(), vec!["667d60bb8a68186f43bafdc5"]);
    assert!(listed[0].parts().is_empty());
    let searched: Vec<Conversation> = list("conversation_search.json", "conversations");
    assert_eq!(searched[0].id, "378");

    let retrieved: Conversation = fixture("conversation_with_parts.json");
    assert_eq!(retrieved.parts().len(), 2);
    assert_eq!(
        retrieved.parts()[0]
            .author
            .as_ref()
            .and_then(|a| a.kind.as_deref()),
        Some("bot")
    );
    assert!(!retrieved.parts_completeness().truncated);
    assert_eq!(
        retrieved.source.as_ref().and_then(|s| s.body.as_deref()),
        Some("<p>this is the message body</p>")
    );

    // 600 parts exist, Intercom returned the 2 most recent.
    let mut value: Value = fixture("conversation_with_parts.json");
    value["conversation_parts"]["total_count"] = json!(600);
    value["statistics"] = json!({"type": "conversation_statistics", "count_conversation_parts": 601, "time_to_admin_reply": 12});
    let truncated: Conversation = serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"));
    let completeness = truncated.parts_completeness();
    assert!(completeness.truncated);
    assert_eq!(
        (completeness.returned, completeness.reported),
        (2, Some(601))
    );
    assert_eq!(
        truncated
            .statistics
            .as_ref()
            .map(|s| s.extra["time_to_admin_reply"].clone()),
        Some(json!(12))
    );

    // Statistics counting the source part too is not truncation.
    let mut value: Value = fixture("conversation_with_parts.json");
    value["statistics"] = json!({"count_conversation_parts": 3});
    let whole: Conversation = serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"));
    assert!(!whole.parts_completeness().truncated);
}

#[test]
fn events_and_summaries_decode() {
    let events: Vec<DataEvent> = list("event_list_realistic.json", "events");
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].created_at, ts(1719492777).unwrap_or_default());
    assert_eq!(
        events[1].metadata["price"],
        json!({"amount": 34999, "currency": "eur"})
    );
    assert!(events[2].metadata.is_empty(), "null metadata is empty");

    let summaries: EventSummaries = fixture("event_summaries_realistic.json");
    assert_eq!(summaries.events.len(), 2);
    assert_eq!(
        summaries.events[0].last,
        DateTime::parse_from_rfc3339("2014-01-16T23:12:21Z")
            .ok()
            .map(|t| t.with_timezone(&Utc))
    );
    assert_eq!(
        summaries.events[1].first,
        DateTime::parse_from_rfc3339("2023-05-01T06:00:00Z")
            .ok()
            .map(|t| t.with_timezone(&Utc))
    );

    // The spec's example: `events: []` (and the schema example's `events: null`) decode.
    let spec: EventSummaries = fixture("events_summary_spec.json");
    assert!(spec.events.is_empty());
    let null_events: EventSummaries =
        serde_json::from_value(json!({"type": "event.summary", "events": null}))
            .unwrap_or_else(|e| panic!("{e}"));
    assert!(null_events.events.is_empty());
}

#[test]
fn data_attributes_admins_and_tags_decode() {
    let attributes: Vec<DataAttribute> = list("data_attributes.json", "data");
    assert!(attributes.len() > 10);
    let custom: Vec<_> = attributes
        .iter()
        .filter(|a| a.custom == Some(true))
        .collect();
    assert!(custom.iter().any(|a| a.id.as_deref() == Some("34")
        && a.full_name.as_deref() == Some("custom_attributes.The One Ring")));
    assert!(
        attributes
            .iter()
            .any(|a| a.data_type == Some(DataType::Float) && a.name == "monthly_spend")
    );
    let created: DataAttribute = fixture("data_attribute_created.json");
    assert_eq!(created.name, "Mithril Shirt");

    let me: Admin = fixture("me.json");
    let app = me.app.as_ref();
    assert_eq!(
        app.and_then(|a| a.timezone.as_deref()),
        Some("America/Los_Angeles")
    );
    assert_eq!(app.and_then(|a| a.region.as_deref()), Some("US"));
    let admins: AdminList = fixture("admins.json");
    assert_eq!(admins.admins[0].id, "991267397");

    let tags: Vec<Tag> = list("tags.json", "data");
    assert_eq!(tags[0].name.as_deref(), Some("Manual tag 1"));
    let applied: Vec<Tag> = list("tags_of_contact.json", "data");
    assert_eq!(applied[0].applied_at, ts(1663597223));
}
