//! Pins the exact requests the client sends (method, path, query, headers, bodies) against wiremock.

mod common;

use common::{TOKEN, client, company, contact, fixture};
use futures::TryStreamExt;
use icsync_intercom::models::{
    CompanyUpsert, ContactWrite, DataAttributeCreate, DataAttributeModel, DataType,
};
use icsync_intercom::search::{Query, SearchRequest, SortOrder, contact as cf};
use icsync_intercom::{Created, Cursor, EventsFor, Page, collect_all};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn auth() -> wiremock::matchers::HeaderExactMatcher {
    header("authorization", format!("Bearer {TOKEN}").as_str())
}

#[tokio::test]
async fn list_contacts_sends_auth_version_accept_and_follows_starting_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts"))
        .and(auth())
        .and(header("intercom-version", "2.11"))
        .and(header("accept", "application/json"))
        .and(query_param("per_page", "150"))
        .and(query_param_is_missing("starting_after"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "type": "list", "data": [contact("c1"), contact("c2")], "total_count": 3,
            "pages": {"type": "pages", "page": 1, "per_page": 150, "total_pages": 2, "next": {"page": 2, "starting_after": "WzE3MTk0OTI3NzcwMDBd"}}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts"))
        .and(query_param("per_page", "150"))
        .and(query_param("starting_after", "WzE3MTk0OTI3NzcwMDBd"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "type": "list", "data": [contact("c3")], "total_count": 3,
            "pages": {"type": "pages", "page": 2, "per_page": 150, "total_pages": 2}
        })))
        .expect(1)
        .mount(&server)
        .await;

    let pages: Vec<Page<_>> = client(&server)
        .contacts()
        .list()
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pages.len(), 2);
    assert_eq!(
        pages[0].next,
        Cursor::StartingAfter {
            starting_after: "WzE3MTk0OTI3NzcwMDBd".into()
        }
    );
    assert_eq!(pages[1].cursor, pages[0].next);
    assert_eq!(pages[1].next, Cursor::Done);
    let ids: Vec<_> = pages
        .iter()
        .flat_map(|p| p.items.iter().map(|c| c.id.clone()))
        .collect();
    assert_eq!(ids, ["c1", "c2", "c3"]);

    let requests = server.received_requests().await.unwrap_or_default();
    let agent = requests[0]
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(agent.starts_with("icsync/"), "{agent}");
}

#[tokio::test]
async fn resuming_a_contact_list_starts_at_the_stored_cursor() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts"))
        .and(query_param("starting_after", "stored-cursor"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"type": "list", "data": [contact("c9")], "pages": {"next": null}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let stored =
        Cursor::from_json(r#"{"style":"starting_after","starting_after":"stored-cursor"}"#)
            .unwrap_or_else(|e| panic!("{e}"));
    let all = collect_all(client(&server).contacts().list_from(stored))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(all.len(), 1);
}

#[tokio::test]
async fn contact_search_puts_the_query_and_cursor_in_the_body() {
    let server = MockServer::start().await;
    let query = Query::and([
        cf::role().eq("user"),
        cf::updated_at()
            .after_day_of(chrono::DateTime::from_timestamp(1719446399, 0).unwrap_or_default()),
    ]);
    let search = SearchRequest::new(query).sorted_by("updated_at", SortOrder::Ascending);
    let first = json!({
        "query": {"operator": "AND", "value": [
            {"field": "role", "operator": "=", "value": "user"},
            {"field": "updated_at", "operator": ">", "value": 1719446399}
        ]},
        "pagination": {"per_page": 150},
        "sort": {"field": "updated_at", "order": "ascending"}
    });
    let mut second = first.clone();
    second["pagination"]["starting_after"] = json!("cursor-2");
    Mock::given(method("POST"))
        .and(path("/contacts/search"))
        .and(auth())
        .and(header("intercom-version", "2.11"))
        .and(header("content-type", "application/json"))
        .and(query_param_is_missing("starting_after"))
        .and(body_json(&first))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "type": "list", "data": [contact("s1")], "total_count": 2,
            "pages": {"type": "pages", "page": 1, "per_page": 150, "total_pages": 2, "next": {"page": 2, "starting_after": "cursor-2"}}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/contacts/search"))
        .and(body_json(&second))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"type": "list", "data": [contact("s2")], "total_count": 2, "pages": {"page": 2, "total_pages": 2}})))
        .expect(1)
        .mount(&server)
        .await;
    let all = collect_all(client(&server).contacts().search(search))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        all.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["s1", "s2"]
    );
}

#[tokio::test]
async fn an_invalid_search_fails_before_any_request() {
    let server = MockServer::start().await;
    let too_wide = Query::or((0..16).map(|i| cf::external_id().eq(i.to_string())));
    let result = collect_all(client(&server).contacts().search(too_wide)).await;
    assert!(
        matches!(result, Err(icsync_intercom::Error::InvalidQuery(_))),
        "{result:?}"
    );
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn update_sends_only_the_custom_attributes() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/contacts/667d60a98a68186f43bafdb9"))
        .and(auth())
        .and(header("intercom-version", "2.11"))
        .and(body_json(json!({"custom_attributes": {"cs_health": 72.5, "cs_stage": "onboarding", "cs_owner": null}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("contact.json")))
        .expect(1)
        .mount(&server)
        .await;
    let mut attributes = serde_json::Map::new();
    attributes.insert("cs_health".into(), json!(72.5));
    attributes.insert("cs_stage".into(), json!("onboarding"));
    attributes.insert("cs_owner".into(), serde_json::Value::Null);
    let updated = client(&server)
        .contacts()
        .update_custom_attributes("667d60a98a68186f43bafdb9", attributes)
        .await;
    assert!(updated.is_ok(), "{updated:?}");
}

#[tokio::test]
async fn create_contact_on_conflict_returns_the_existing_one() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contacts"))
        .and(body_json(
            json!({"role": "user", "email": "joe@bloggs.com"}),
        ))
        .respond_with(ResponseTemplate::new(409).set_body_json(common::error_body(
            "conflict",
            "A contact matching those details already exists with id=667d60a98a68186f43bafdb9",
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/667d60a98a68186f43bafdb9"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("contact.json")))
        .expect(1)
        .mount(&server)
        .await;
    let body = ContactWrite {
        role: Some(icsync_intercom::models::ContactRole::User),
        email: Some("joe@bloggs.com".into()),
        ..ContactWrite::default()
    };
    let created = client(&server)
        .contacts()
        .create(&body)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(&created, Created::Existing(c) if c.id == "667d60a98a68186f43bafdb9"),
        "{created:?}"
    );
}

#[tokio::test]
async fn a_create_without_identity_is_not_repeated_after_an_ambiguous_failure() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contacts"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"))
        .expect(1)
        .mount(&server)
        .await;
    let lead = ContactWrite {
        role: Some(icsync_intercom::models::ContactRole::Lead),
        name: Some("anonymous".into()),
        ..ContactWrite::default()
    };
    let result = client(&server).contacts().create(&lead).await;
    assert!(
        matches!(result, Err(icsync_intercom::Error::Api { status: 502, .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn companies_list_uses_page_numbers_and_upsert_posts_the_body() {
    let server = MockServer::start().await;
    for page in 1..=2 {
        Mock::given(method("POST"))
            .and(path("/companies/list"))
            .and(query_param("page", page.to_string().as_str()))
            .and(query_param("per_page", "150"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "type": "list", "data": [company(&format!("co{page}"))], "total_count": 2,
                "pages": {"type": "pages", "page": page, "per_page": 150, "total_pages": 2, "next": null}
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/companies"))
        .and(body_json(
            json!({"company_id": "acme-001", "custom_attributes": {"cs_account_health": "green"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("company_upserted.json")))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let pages: Vec<Page<_>> = client
        .companies()
        .list()
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        pages.iter().map(|p| p.next.clone()).collect::<Vec<_>>(),
        [Cursor::Page { page: 2 }, Cursor::Done]
    );
    let mut attributes = serde_json::Map::new();
    attributes.insert("cs_account_health".into(), json!("green"));
    assert!(
        client
            .companies()
            .update_custom_attributes("acme-001", attributes)
            .await
            .is_ok()
    );
    let _ = CompanyUpsert::default();
}

#[tokio::test]
async fn events_follow_the_next_url_on_the_configured_host_only() {
    let server = MockServer::start().await;
    let mut first = fixture("event_list_realistic.json");
    // Intercom's next URL names api.intercom.io; the client keeps its path and query and asks its own base URL.
    first["pages"]["next"] = json!(
        "https://api.intercom.io/events?type=user&intercom_user_id=667d&per_page=150&before=1719300000000"
    );
    Mock::given(method("GET"))
        .and(path("/events"))
        .and(query_param("type", "user"))
        .and(query_param("intercom_user_id", "667d"))
        .and(query_param("per_page", "150"))
        .and(query_param_is_missing("before"))
        .respond_with(ResponseTemplate::new(200).set_body_json(first))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/events"))
        .and(query_param("before", "1719300000000"))
        .and(auth())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"type": "event.list", "events": [], "pages": {}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let pages: Vec<Page<_>> = client(&server)
        .events()
        .list(&EventsFor::IntercomId("667d".into()))
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].items.len(), 3);
    assert_eq!(
        pages[0].next,
        Cursor::NextUrl {
            path: "/events?type=user&intercom_user_id=667d&per_page=150&before=1719300000000"
                .into()
        }
    );
    assert_eq!(pages[1].next, Cursor::Done);
}

#[tokio::test]
async fn event_summaries_and_conversation_with_parts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/events"))
        .and(query_param("summary", "true"))
        .and(query_param("type", "user"))
        .and(query_param("user_id", "314159"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("event_summaries_realistic.json")),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/conversations/367"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("conversation_with_parts.json")),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    let summaries = client
        .events()
        .summaries(&EventsFor::UserId("314159".into()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(summaries.events.len(), 2);
    let conversation = client
        .conversations()
        .get("367")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(conversation.parts().len(), 2);
}

#[tokio::test]
async fn conversations_of_a_contact_search_on_contact_ids() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/conversations/search"))
        .and(body_json(json!({
            "query": {"operator": "AND", "value": [
                {"field": "contact_ids", "operator": "=", "value": "667d60bb8a68186f43bafdc5"},
                {"field": "updated_at", "operator": ">", "value": 1719400000}
            ]},
            "pagination": {"per_page": 150},
            "sort": {"field": "updated_at", "order": "ascending"}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("conversation_search.json")))
        .expect(1)
        .mount(&server)
        .await;
    let since = chrono::DateTime::from_timestamp(1719400000, 0);
    let found = collect_all(
        client(&server)
            .conversations()
            .for_contact("667d60bb8a68186f43bafdc5", since),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found[0].id, "378");
}

#[tokio::test]
async fn data_attribute_create_finds_the_existing_one_on_repeat() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/data_attributes"))
        .and(body_json(
            json!({"name": "The One Ring", "model": "company", "data_type": "string"}),
        ))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(fixture("error_attribute_exists.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/data_attributes"))
        .and(query_param("model", "company"))
        .and(query_param("include_archived", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("data_attributes.json")))
        .expect(1)
        .mount(&server)
        .await;
    let create = DataAttributeCreate {
        name: "The One Ring".into(),
        model: DataAttributeModel::Company,
        data_type: DataType::String,
        description: None,
        messenger_writable: None,
    };
    let created = client(&server)
        .data_attributes()
        .create(&create)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(&created, Created::Existing(a) if a.id.as_deref() == Some("34")),
        "{created:?}"
    );
}

#[tokio::test]
async fn me_and_tags_and_companies_of_a_contact() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .and(auth())
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("me.json")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/c1/tags"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("tags_of_contact.json")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/c1/companies"))
        .and(query_param("page", "1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("companies_of_contact.json")),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    let me = client.admins().me().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(me.app.and_then(|a| a.region).as_deref(), Some("US"));
    assert_eq!(
        client.contacts().tags("c1").await.map(|t| t.len()).ok(),
        Some(1)
    );
    let companies = collect_all(client.contacts().companies("c1"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(companies.len(), 1);
}

#[tokio::test]
async fn a_configured_intercom_version_is_sent_instead_of_the_default() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .and(header("intercom-version", "2.14"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("me.json")))
        .expect(1)
        .mount(&server)
        .await;
    let config = icsync_intercom::ClientConfig::new(
        icsync_intercom::Region::Eu,
        icsync_intercom::AccessToken::new(TOKEN),
    )
    .with_base_url(&server.uri())
    .unwrap_or_else(|e| panic!("{e}"));
    let config = icsync_intercom::ClientConfig {
        intercom_version: "2.14".into(),
        ..config
    };
    let client = icsync_intercom::IntercomClient::new(config).unwrap_or_else(|e| panic!("{e}"));
    assert!(client.admins().me().await.is_ok());
}

#[tokio::test]
async fn data_attribute_create_recognises_an_existing_one_by_code_and_state_not_wording() {
    let server = MockServer::start().await;
    // Reworded message, same code: still found (by listing), as Intercom's prose may change.
    Mock::given(method("POST"))
        .and(path("/data_attributes"))
        .and(body_json(
            json!({"name": "the one ring", "model": "company", "data_type": "string"}),
        ))
        .respond_with(ResponseTemplate::new(400).set_body_json(common::error_body(
            "parameter_invalid",
            "Ce nom existe déjà",
        )))
        .mount(&server)
        .await;
    // An invalid name has the same code, and no attribute of that name exists: the 400 comes back.
    Mock::given(method("POST"))
        .and(path("/data_attributes"))
        .and(body_json(
            json!({"name": "!nv@l!d", "model": "company", "data_type": "string"}),
        ))
        .respond_with(ResponseTemplate::new(400).set_body_json(common::error_body(
            "parameter_invalid",
            "Your name for this attribute must only contain alphanumeric characters, currency symbols, and hyphens",
        )))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/data_attributes"))
        .and(query_param("model", "company"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("data_attributes.json")))
        .expect(2)
        .mount(&server)
        .await;
    let client = client(&server);
    let create = |name: &str| DataAttributeCreate {
        name: name.into(),
        model: DataAttributeModel::Company,
        data_type: DataType::String,
        description: None,
        messenger_writable: None,
    };
    let existing = client
        .data_attributes()
        .create(&create("the one ring"))
        .await;
    assert!(
        matches!(&existing, Ok(Created::Existing(a)) if a.name == "The One Ring"),
        "{existing:?}"
    );
    let invalid = client.data_attributes().create(&create("!nv@l!d")).await;
    assert!(
        matches!(&invalid, Err(icsync_intercom::Error::Api { status: 400, code, .. }) if code == "parameter_invalid"),
        "{invalid:?}"
    );
}
