//! Whatever Intercom sends never crashes a page: records that cannot be read are skipped with
//! their id and reason, the rest commit with every value kept exactly (huge numbers, control
//! characters, nulls where the spec promises values, fields nobody documented).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use icsync_domain::{ContactId, StreamName};
use icsync_inbound::workspaces::{ConnectRequest, Endpoint, connect};
use icsync_inbound::{ClientSettings, InboundConfig, NoProgress, RunControl, SyncOptions};
use icsync_store::{SecretKey, Store};
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn contact(id: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut base = json!({
        "type": "contact", "id": id, "role": "user", "email": format!("{id}@example.com"),
        "name": format!("User {id}"), "created_at": now() - 86_400, "updated_at": now() - 3_600,
        "last_seen_at": null, "custom_attributes": {},
        "companies": {"type": "list", "data": [], "url": format!("/contacts/{id}/companies"), "total_count": 0, "has_more": false},
    });
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

/// A JSON body from text, so numbers beyond 64 bits go over the wire as written.
fn body(text: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(text.into_bytes(), "application/json")
}

async fn mount(server: &MockServer) {
    let me = json!({"type": "admin", "id": "1", "email": "a@example.com", "name": "A",
        "app": {"type": "app", "id_code": "odd1", "name": "Odd", "timezone": "Europe/Dublin", "region": "EU"}});
    Mock::given(method("GET"))
        .and(path("/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(me))
        .mount(server)
        .await;
    let contacts = [
        contact(
            "c1",
            json!({
                "name": "tab\tbell\u{7}nul\u{0}end 🦀",
                "custom_attributes": {"big": "BIG", "note": "line\nbreak"},
                "brand_new_field": {"nested": [1, 2.5, null]},
            }),
        ),
        contact("c2", json!({"created_at": "yesterday"})),
        contact("c3", json!({"role": "visitor"})),
        contact(
            "c4",
            json!({"custom_attributes": null, "location": null, "avatar": null,
            "companies": null, "tags": null, "social_profiles": null, "name": null, "email": null}),
        ),
        contact(
            "c5",
            json!({"email": "  Mixed@Case.COM ", "custom_attributes": {"email": "shadow@x.com", "plan": "gold"}}),
        ),
    ];
    let page = json!({"type": "list", "total_count": 5, "pages": {"type": "pages", "page": 1, "per_page": 150, "total_pages": 1}, "data": contacts});
    let text = page
        .to_string()
        .replace("\"BIG\"", "123456789012345678901234567890");
    Mock::given(method("POST"))
        .and(path("/contacts/search"))
        .respond_with(body(text))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/c4/companies"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"type": "list", "data": null, "total_count": 0, "pages": null}),
            ),
        )
        .mount(server)
        .await;
    for id in ["c1", "c4", "c5"] {
        let events = json!({"type": "event.list", "events": [
            {"event_name": "paid", "created_at": now() - 60, "metadata": {"amount": "AMOUNT"}},
            {"event_name": "broken", "created_at": null},
            {"event_name": "opened", "created_at": now() - 120, "metadata": null, "surprise": true},
        ], "pages": {"next": null}});
        let text = events
            .to_string()
            .replace("\"AMOUNT\"", "98765432109876543210987654321");
        Mock::given(method("GET"))
            .and(path("/events"))
            .and(query_param("intercom_user_id", id))
            .respond_with(body(text))
            .mount(server)
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_records_are_skipped_with_a_reason_and_the_rest_of_the_page_commits() {
    let server = MockServer::start().await;
    mount(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}", dir.path().join("odd.db").display()))
        .await
        .unwrap()
        .with_secret_key(&SecretKey::generate());
    store.migrate().await.unwrap();
    let settings = ClientSettings::default();
    let request = ConnectRequest::new(
        "odd",
        secrecy::SecretString::from("t".to_owned()),
        Endpoint {
            region: icsync_domain::Region::Eu,
            base_url: Some(server.uri()),
        },
    );
    let connected = connect(&store, &request, &settings).await.unwrap();
    assert_eq!(
        connected.workspace.timezone.as_deref(),
        Some("Europe/Dublin")
    );
    let client =
        icsync_inbound::client_for(&connected.workspace, &Default::default(), &settings).unwrap();
    let options = SyncOptions {
        streams: vec!["users".into(), "events".into()],
        full: false,
    };
    let report = icsync_inbound::sync_workspace(
        &store,
        connected.workspace.id,
        &client,
        // One search range: the mock answers every search with the same page.
        &InboundConfig {
            search_partitions: 1,
            ..InboundConfig::default()
        },
        &options,
        &RunControl::default(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert!(report.all_finished(), "{report:#?}");
    let users = &report.streams[0];
    assert_eq!(users.stream, StreamName::new("users"));
    assert_eq!(users.stats.read, 5);
    assert_eq!(users.stats.records, 3);
    assert_eq!(
        users.stats.skipped.get("undecodable"),
        Some(&1),
        "{users:#?}"
    );
    assert_eq!(
        users.stats.skipped.get("unknown_role"),
        Some(&1),
        "{users:#?}"
    );
    assert_eq!(users.stats.shadowed_attributes, 1, "c5's custom `email`");
    let ws = connected.workspace.id;
    let c1 = store
        .contact_profile(ws, &ContactId::new("c1"))
        .await
        .unwrap()
        .unwrap()
        .contact
        .contact;
    assert_eq!(
        serde_json::to_string(&c1.custom_attributes["big"]).unwrap(),
        "123456789012345678901234567890"
    );
    assert_eq!(c1.name.as_deref(), Some("tab\tbell\u{7}nul\u{fffd}end 🦀"));
    assert_eq!(
        c1.other_attributes["brand_new_field"],
        json!({"nested": [1, 2.5, null]})
    );
    let c4 = store
        .contact_profile(ws, &ContactId::new("c4"))
        .await
        .unwrap()
        .unwrap()
        .contact
        .contact;
    assert_eq!((c4.name, c4.email), (None, None));
    let c5 = store
        .contact_profile(ws, &ContactId::new("c5"))
        .await
        .unwrap()
        .unwrap()
        .contact
        .contact;
    assert_eq!(c5.normalized_email().as_deref(), Some("mixed@case.com"));
    assert!(!c5.custom_attributes.contains_key("email"));
    assert!(
        store
            .contact_profile(ws, &ContactId::new("c2"))
            .await
            .unwrap()
            .is_none()
    );
    let events = &report.streams[1];
    assert_eq!(
        (events.stats.read, events.stats.records),
        (9, 6),
        "{events:#?}"
    );
    assert_eq!(events.stats.skipped.get("undecodable"), Some(&3));
    let stored = store
        .contact_events(ws, &ContactId::new("c1"), None, 10)
        .await
        .unwrap();
    let paid = stored
        .iter()
        .find(|e| e.event.event_name == "paid")
        .unwrap();
    assert_eq!(
        serde_json::to_string(&paid.event.metadata["amount"]).unwrap(),
        "98765432109876543210987654321"
    );
}
