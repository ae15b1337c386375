//! What real third-party clients send: every published `Intercom-Version`, whole-number
//! timestamps as JSON floats, conversation paging by `id > ""`, doubled slashes in paths.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests fail loudly on purpose

mod common;

use common::{assert_error, start};
use icsync_intercom_sim::SimConfig;
use serde_json::{Value, json};

async fn with_version(api: &common::Api, version: &str) -> reqwest::Response {
    api.http
        .get(format!("{}/me", api.sim.base_url()))
        .bearer_auth(api.sim.token())
        .header("Intercom-Version", version)
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn every_published_version_is_served_and_others_are_refused() {
    let api = start(SimConfig::default()).await;
    for v in [
        "1.0", "2.0", "2.10", "2.11", "2.12", "2.13", "2.14", "2.15", "2.16", "Preview",
    ] {
        let r = with_version(&api, v).await;
        assert_eq!(r.status(), 200, "version {v}");
    }
    for v in ["Unstable", "2.17", "3.0", "9.9", "2.1.1", "preview", ""] {
        let r = with_version(&api, v).await;
        assert_eq!(r.status(), 400, "version {v:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["errors"][0]["code"], "intercom_version_invalid");
    }
    let versions: Vec<Option<String>> = api
        .sim
        .journal(0)
        .into_iter()
        .map(|e| e.intercom_version)
        .collect();
    assert_eq!(
        versions[0].as_deref(),
        Some("1.0"),
        "the journal keeps the version sent"
    );
}

#[tokio::test]
async fn contact_search_takes_whole_float_timestamps_and_refuses_fractions() {
    let api = start(SimConfig {
        anchor: Some(1_790_899_200),
        time_zone: "UTC".into(),
        ..SimConfig::default()
    })
    .await;
    let search = |value: Value| {
        json!({"query": {"operator": "OR", "value": [
            {"field": "updated_at", "operator": ">", "value": value},
            {"field": "updated_at", "operator": "=", "value": value}]},
            "sort": {"field": "updated_at", "order": "ascending"},
            "pagination": {"per_page": 150}})
    };
    let as_int = api
        .post("/contacts/search", &search(json!(1_780_000_000)))
        .await;
    let as_float = api
        .post("/contacts/search", &search(json!(1_780_000_000.0)))
        .await;
    assert_eq!(as_float.status, 200, "{}", as_float.text);
    assert_eq!(as_int.body["total_count"], as_float.body["total_count"]);
    assert!(as_int.body["total_count"].as_u64().unwrap() > 0);
    assert_error(
        &api.post("/contacts/search", &search(json!(1_780_000_000.5)))
            .await,
        400,
        "parameter_invalid",
    );
    assert_error(
        &api.post("/contacts/search", &search(json!("1780000000")))
            .await,
        400,
        "parameter_invalid",
    );
    // A float custom attribute takes fractions.
    let mrr = json!({"query": {"field": "custom_attributes.mrr", "operator": ">", "value": 10.5}});
    assert_eq!(api.post("/contacts/search", &mrr).await.status, 200);
}

#[tokio::test]
async fn conversations_page_by_id_greater_than_empty_like_tap_intercom() {
    let api = start(SimConfig {
        conversations: 40,
        ..SimConfig::default()
    })
    .await;
    let query = |after: &str| {
        json!({"pagination": {"per_page": 15},
            "query": {"operator": "AND", "value": [
                {"operator": "OR", "value": [
                    {"field": "id", "operator": ">", "value": after},
                    {"field": "id", "operator": "=", "value": after}]},
                {"operator": "OR", "value": [
                    {"field": "updated_at", "operator": ">", "value": 946_684_800.0},
                    {"field": "updated_at", "operator": "=", "value": 946_684_800.0}]}]},
            "sort": {"field": "id", "order": "ascending"}})
    };
    let mut body = query("");
    let mut ids = Vec::new();
    loop {
        let r = api.post("/conversations/search", &body).await;
        assert_eq!(r.status, 200, "{}", r.text);
        ids.extend(
            r.body["conversations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().parse::<u64>().unwrap()),
        );
        match r.body["pages"]["next"]["starting_after"].as_str() {
            Some(c) => body["pagination"]["starting_after"] = json!(c),
            None => break,
        }
    }
    assert_eq!(ids.len(), 40);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ascending by id");
    let from = ids[25].to_string();
    let r = api.post("/conversations/search", &query(&from)).await;
    assert_eq!(
        r.body["total_count"], 15,
        "id >= {from} (inclusive) plus id = {from}"
    );
    // `>` on other string fields stays refused, as documented.
    let bad = json!({"query": {"field": "state", "operator": ">", "value": "open"}});
    assert_error(
        &api.post("/conversations/search", &bad).await,
        400,
        "parameter_invalid",
    );
}

#[tokio::test]
async fn doubled_slashes_reach_the_same_route() {
    let api = start(SimConfig::default()).await;
    let id = api.sim.contact_ids(1).remove(0);
    let plain = api
        .get(&format!("/contacts/{id}/companies?per_page=60"))
        .await;
    let doubled = api
        .get(&format!("//contacts/{id}//companies?per_page=60"))
        .await;
    assert_eq!(doubled.status, 200, "{}", doubled.text);
    assert_eq!(plain.body["total_count"], doubled.body["total_count"]);
}

#[tokio::test]
async fn a_contact_author_without_email_has_a_null_email() {
    let api = start(SimConfig {
        contacts: 300,
        conversations: 200,
        ..SimConfig::default()
    })
    .await;
    let mut seen_null = false;
    for id in api.sim.conversation_ids(200) {
        let c = api.get(&format!("/conversations/{id}")).await.body;
        let author = &c["source"]["author"];
        match &author["email"] {
            Value::Null => {
                assert_ne!(author["type"], "admin");
                seen_null = true;
            }
            Value::String(e) => assert!(e.contains('@'), "{e:?} is an email"),
            other => panic!("author email {other}"),
        }
        for p in c["conversation_parts"]["conversation_parts"]
            .as_array()
            .unwrap()
        {
            assert_ne!(p["author"]["email"], "", "never an empty string");
        }
    }
    assert!(
        seen_null,
        "generated data has contact authors without email"
    );
}
