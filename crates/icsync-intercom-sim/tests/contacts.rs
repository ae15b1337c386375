//! Contacts: cursor pagination, page sizes, errors, auth, writes and conflicts.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests fail loudly on purpose

mod common;

use std::collections::HashSet;

use common::{assert_error, start};
use icsync_intercom_sim::SimConfig;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn listing_walks_every_contact_once_with_default_page_size_ten() {
    let api = start(SimConfig {
        contacts: 345,
        ..SimConfig::default()
    })
    .await;
    let first = api.get("/contacts").await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body["data"].as_array().map(Vec::len), Some(10));
    assert_eq!(first.body["total_count"], 345);
    assert_eq!(first.body["pages"]["per_page"], 10);
    let mut seen = HashSet::new();
    let mut path = "/contacts?per_page=150".to_owned();
    let mut pages = 0;
    loop {
        let r = api.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.text);
        pages += 1;
        assert_eq!(r.body["pages"]["page"], pages);
        for c in r.body["data"].as_array().expect("data") {
            assert!(
                seen.insert(c["id"].as_str().expect("id").to_owned()),
                "duplicate contact"
            );
        }
        match r.body["pages"]["next"]["starting_after"].as_str() {
            Some(cursor) => path = format!("/contacts?per_page=150&starting_after={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 345);
    assert_eq!(pages, 3);
    assert_eq!(api.sim.summary().contacts, 345);
}

#[tokio::test]
async fn oversized_per_page_and_bad_cursor_get_intercom_errors() {
    let api = start(SimConfig::default()).await;
    assert_error(
        &api.get("/contacts?per_page=151").await,
        400,
        "parameter_invalid",
    );
    assert_error(
        &api.get("/contacts?per_page=abc").await,
        400,
        "parameter_invalid",
    );
    assert_error(
        &api.get("/contacts?starting_after=not-a-cursor").await,
        400,
        "parameter_invalid",
    );
    assert_error(
        &api.get("/conversations?per_page=500").await,
        400,
        "parameter_invalid",
    );
}

#[tokio::test]
async fn requests_without_the_token_get_401_and_no_rate_headers() {
    let api = start(SimConfig::default()).await;
    let r = api.send(Method::GET, "/contacts", None, None).await;
    assert_error(&r, 401, "unauthorized");
    assert_eq!(r.body["errors"][0]["message"], "Access Token Invalid");
    assert!(r.headers.get("x-ratelimit-limit").is_none());
    let wrong = api.send(Method::GET, "/me", None, Some("wrong")).await;
    assert_error(&wrong, 401, "unauthorized");
}

#[tokio::test]
async fn unknown_ids_routes_and_methods_are_404() {
    let api = start(SimConfig::default()).await;
    assert_error(
        &api.get("/contacts/000000000000000000000000").await,
        404,
        "not_found",
    );
    assert_error(&api.get("/contacts/nope").await, 404, "not_found");
    assert_error(
        &api.get("/companies/000000000000000000000000").await,
        404,
        "company_not_found",
    );
    assert_error(&api.get("/conversations/999999999").await, 404, "not_found");
    assert_error(&api.get("/no/such/route").await, 404, "not_found");
    assert_error(
        &api.send(Method::PATCH, "/contacts", None, Some("sim-token"))
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn malformed_json_unknown_fields_and_wrong_types_are_400() {
    let api = start(SimConfig::default()).await;
    let t = Some("sim-token");
    assert_error(
        &api.send(Method::POST, "/contacts", Some("{\"email\": "), t)
            .await,
        400,
        "parameter_invalid",
    );
    assert_error(
        &api.send(Method::POST, "/contacts/search", Some("[]"), t)
            .await,
        400,
        "parameter_invalid",
    );
    assert_error(
        &api.post("/contacts", &json!({"email": "a@b.c", "colour": "red"}))
            .await,
        400,
        "bad_request",
    );
    assert_error(
        &api.post("/contacts", &json!({"email": 5})).await,
        400,
        "parameter_invalid",
    );
    assert_error(
        &api.post("/contacts", &json!({"name": "no identity"})).await,
        400,
        "parameter_invalid",
    );
    assert_error(
        &api.post("/companies", &json!({"company_id": "x", "test": 1}))
            .await,
        400,
        "bad_request",
    );
}

#[tokio::test]
async fn create_update_conflict_and_delete_follow_intercom() {
    let api = start(SimConfig::default()).await;
    let created = api
        .post(
            "/contacts",
            &json!({"email": "New.Person@Example.com", "role": "user"}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let id = created.body["id"].as_str().expect("id").to_owned();
    assert_eq!(id.len(), 24);
    let dup = api
        .post("/contacts", &json!({"email": "new.person@example.com"}))
        .await;
    assert_error(&dup, 409, "conflict");
    assert!(
        dup.body["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .ends_with(&format!("id={id}"))
    );

    let before = created.body["updated_at"].as_i64().expect("updated_at");
    let up = api
        .put(
            &format!("/contacts/{id}"),
            &json!({"custom_attributes": {"seats": 12, "plan_tier": "gold"}}),
        )
        .await;
    assert_eq!(up.status, 200, "{}", up.text);
    let up = api
        .put(
            &format!("/contacts/{id}"),
            &json!({"custom_attributes": {"seats": null}, "name": "Zoë"}),
        )
        .await;
    assert_eq!(
        up.body["custom_attributes"],
        json!({"plan_tier": "gold"}),
        "merged, null clears"
    );
    assert_eq!(up.body["name"], "Zoë");
    assert!(up.body["updated_at"].as_i64().expect("updated_at") >= before);
    let unknown = api
        .put(
            &format!("/contacts/{id}"),
            &json!({"custom_attributes": {"no_such_attr": 1}}),
        )
        .await;
    assert_error(&unknown, 400, "parameter_invalid");
    let wrong_type = api
        .put(
            &format!("/contacts/{id}"),
            &json!({"custom_attributes": {"seats": "many"}}),
        )
        .await;
    assert_error(&wrong_type, 400, "parameter_invalid");

    let del = api.delete(&format!("/contacts/{id}")).await;
    assert_eq!(
        del.body,
        json!({"type": "contact", "id": id, "external_id": null, "deleted": true})
    );
    assert_error(&api.get(&format!("/contacts/{id}")).await, 404, "not_found");
}

#[tokio::test]
async fn archived_contacts_leave_the_list() {
    let api = start(SimConfig {
        contacts: 30,
        ..SimConfig::default()
    })
    .await;
    let id = api.sim.contact_ids(1).remove(0);
    let r = api
        .post(&format!("/contacts/{id}/archive"), &json!({}))
        .await;
    assert_eq!(r.body["archived"], true);
    let list = api.get("/contacts?per_page=150").await;
    assert_eq!(list.body["total_count"], 29);
    assert!(
        list.body["data"]
            .as_array()
            .expect("data")
            .iter()
            .all(|c| c["id"] != id.as_str())
    );
}

#[tokio::test]
async fn inline_company_list_is_capped_at_ten_with_has_more() {
    let api = start(SimConfig {
        contacts: 3000,
        companies: 200,
        ..SimConfig::default()
    })
    .await;
    let mut found = false;
    let mut path = "/contacts?per_page=150".to_owned();
    while !found {
        let r = api.get(&path).await;
        for c in r.body["data"].as_array().expect("data") {
            let total = c["companies"]["total_count"].as_u64().expect("total_count");
            if total > 10 {
                assert_eq!(c["companies"]["data"].as_array().map(Vec::len), Some(10));
                assert_eq!(c["companies"]["has_more"], true);
                let id = c["id"].as_str().expect("id");
                let all = api.get(&format!("/contacts/{id}/companies")).await;
                assert_eq!(
                    all.body["data"].as_array().map(|d| d.len() as u64),
                    Some(total)
                );
                found = true;
            }
        }
        match r.body["pages"]["next"]["starting_after"].as_str() {
            Some(c) => path = format!("/contacts?per_page=150&starting_after={c}"),
            None => break,
        }
    }
    assert!(
        found,
        "the generated data holds a contact with more than 10 companies"
    );
}
