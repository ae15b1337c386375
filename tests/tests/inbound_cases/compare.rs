//! Comparing what the store holds with the simulator's own rendering of its data.

use icsync_domain::{Company, Contact, ContactId, WorkspaceId};
use icsync_intercom_sim::SimHandle;
use icsync_store::Store;
use serde_json::Value;
use std::collections::BTreeSet;

/// The custom attributes Intercom sent, minus those that shadow a standard attribute.
fn kept_custom(value: &Value, standard: &[&str]) -> serde_json::Map<String, Value> {
    value
        .get("custom_attributes")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| !standard.iter().any(|s| s.eq_ignore_ascii_case(k)))
        .collect()
}

fn text(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn secs(value: &Value, key: &str) -> Option<i64> {
    value.get(key).and_then(Value::as_i64)
}

/// Asserts a stored contact equals the simulator's rendering of it.
pub fn assert_contact_matches(stored: &Contact, sim: &Value) {
    let id = stored.id.as_str();
    assert_eq!(text(sim, "id").as_deref(), Some(id));
    assert_eq!(stored.email, text(sim, "email"), "email of {id}");
    assert_eq!(stored.name, text(sim, "name"), "name of {id}");
    assert_eq!(
        stored.external_id,
        text(sim, "external_id"),
        "external id of {id}"
    );
    assert_eq!(
        Some(stored.role.as_str().to_owned()),
        text(sim, "role"),
        "role of {id}"
    );
    assert_eq!(
        stored.created_at.map(|t| t.timestamp()),
        secs(sim, "created_at"),
        "created_at of {id}"
    );
    assert_eq!(
        stored.updated_at.map(|t| t.timestamp()),
        secs(sim, "updated_at"),
        "updated_at of {id}"
    );
    assert_eq!(
        stored.last_seen_at.map(|t| t.timestamp()),
        secs(sim, "last_seen_at"),
        "last_seen_at of {id}"
    );
    assert_eq!(
        stored.custom_attributes,
        kept_custom(sim, Contact::STANDARD_ATTRIBUTES),
        "custom attributes of {id}"
    );
}

/// Asserts a stored company equals the simulator's rendering of it.
pub fn assert_company_matches(stored: &Company, sim: &Value) {
    let id = stored.id.as_str();
    assert_eq!(stored.name, text(sim, "name"), "name of company {id}");
    assert_eq!(
        stored.company_id,
        text(sim, "company_id"),
        "company_id of {id}"
    );
    assert_eq!(
        stored.updated_at.map(|t| t.timestamp()),
        secs(sim, "updated_at"),
        "updated_at of company {id}"
    );
    assert_eq!(
        stored.custom_attributes,
        kept_custom(sim, Company::STANDARD_ATTRIBUTES),
        "custom attributes of company {id}"
    );
}

/// Asserts the store holds exactly `expected` as live contacts, each equal to the simulator's
/// rendering, with the simulator's companies and listable events.
pub async fn assert_store_matches_sim(
    store: &Store,
    ws: WorkspaceId,
    sim: &SimHandle,
    stored_ids: &[String],
    expected: &BTreeSet<String>,
) {
    let stored: BTreeSet<String> = stored_ids.iter().cloned().collect();
    let missing: Vec<_> = expected.difference(&stored).collect();
    let extra: Vec<_> = stored.difference(expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "stored users differ from the simulator's: missing {missing:?}, extra {extra:?}"
    );
    let companies_json: std::collections::HashMap<String, Value> = sim
        .companies_json()
        .into_iter()
        .filter_map(|c| text(&c, "id").map(|id| (id, c)))
        .collect();
    for id in expected {
        let profile = store
            .contact_profile(ws, &ContactId::new(id.clone()))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("contact {id} is stored"));
        let sim_contact = sim.contact_json(id).unwrap();
        assert_contact_matches(&profile.contact.contact, &sim_contact);
        let mut stored_companies: Vec<String> = profile
            .companies
            .iter()
            .map(|c| c.company.id.as_str().to_owned())
            .collect();
        stored_companies.sort();
        let mut sim_companies = sim.contact_company_ids(id).unwrap();
        sim_companies.sort();
        assert_eq!(stored_companies, sim_companies, "companies of {id}");
        for company in &profile.companies {
            let sim_company = companies_json
                .get(company.company.id.as_str())
                .unwrap_or_else(|| panic!("company {} exists", company.company.id));
            assert_company_matches(&company.company, sim_company);
        }
        let mut stored_events: Vec<(String, i64)> = store
            .contact_events(ws, &ContactId::new(id.clone()), None, 100_000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.event.event_name, e.event.occurred_at.timestamp()))
            .collect();
        stored_events.sort();
        let mut sim_events: Vec<(String, i64)> = sim
            .contact_events_json(id)
            .unwrap()
            .iter()
            .map(|e| {
                (
                    text(e, "event_name").unwrap_or_default(),
                    secs(e, "created_at").unwrap_or_default(),
                )
            })
            .collect();
        sim_events.sort();
        assert_eq!(stored_events, sim_events, "events of {id}");
    }
}
