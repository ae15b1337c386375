//! Companies: page-number listing with its 10,000 cap, the per-workspace scroll, upserts.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests fail loudly on purpose

mod common;

use std::time::Duration;

use common::{assert_error, start};
use icsync_intercom_sim::SimConfig;
use serde_json::json;

#[tokio::test]
async fn listing_stops_at_ten_thousand_companies() {
    let api = start(SimConfig {
        contacts: 50,
        companies: 10_050,
        conversations: 0,
        ..SimConfig::default()
    })
    .await;
    let first = api.get("/companies?per_page=100").await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body["total_count"], 10_050);
    assert_eq!(
        first.body["pages"]["total_pages"], 100,
        "pages stop at the cap"
    );
    let last = api.get("/companies?per_page=100&page=100").await;
    assert_eq!(last.body["data"].as_array().map(Vec::len), Some(100));
    assert!(last.body["pages"]["next"].is_null());
    let beyond = api.get("/companies?per_page=100&page=101").await;
    assert_error(&beyond, 400, "bad_request");
    assert_eq!(
        beyond.body["errors"][0]["message"],
        "page limit reached, please use scroll API"
    );
    assert_eq!(
        api.get("/companies").await.body["pages"]["per_page"],
        15,
        "default 15"
    );
}

#[tokio::test]
async fn scroll_is_a_singleton_that_expires_when_idle() {
    let api = start(SimConfig {
        companies: 40,
        scroll_expiry: Duration::from_millis(300),
        ..SimConfig::default()
    })
    .await;
    let first = api.get("/companies/scroll").await;
    assert_eq!(first.status, 200);
    assert!(first.body["pages"].is_null() && first.body["total_count"].is_null());
    let param = first.body["scroll_param"]
        .as_str()
        .expect("scroll_param")
        .to_owned();
    assert_error(&api.get("/companies/scroll").await, 400, "scroll_exists");
    let second = api
        .get(&format!("/companies/scroll?scroll_param={param}"))
        .await;
    assert_eq!(second.status, 200);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_error(
        &api.get(&format!("/companies/scroll?scroll_param={param}"))
            .await,
        404,
        "not_found",
    );
    // Expired: a new scroll may start.
    assert_eq!(api.get("/companies/scroll").await.status, 200);
}

#[tokio::test]
async fn scroll_returns_every_company_then_an_empty_page() {
    let api = start(SimConfig {
        companies: 47,
        ..SimConfig::default()
    })
    .await;
    let mut seen = std::collections::HashSet::new();
    let mut path = "/companies/scroll".to_owned();
    loop {
        let r = api.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let data = r.body["data"].as_array().expect("data");
        if data.is_empty() {
            break;
        }
        for c in data {
            assert!(seen.insert(c["id"].as_str().expect("id").to_owned()));
        }
        path = format!(
            "/companies/scroll?scroll_param={}",
            r.body["scroll_param"].as_str().expect("param")
        );
    }
    assert_eq!(seen.len(), 47);
    assert_eq!(
        api.get("/companies/scroll").await.status,
        200,
        "the finished scroll expired"
    );
}

#[tokio::test]
async fn post_companies_upserts_on_company_id() {
    let api = start(SimConfig::default()).await;
    let a = api
        .post(
            "/companies",
            &json!({"company_id": "acme-1", "name": "Acme", "monthly_spend": 120.9}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["monthly_spend"], 120, "floats are truncated");
    let b = api.post("/companies", &json!({"company_id": "acme-1", "custom_attributes": {"churn_risk": true, "seats_purchased": 40}})).await;
    assert_eq!(b.body["id"], a.body["id"]);
    assert_eq!(b.body["name"], "Acme");
    assert_eq!(
        b.body["custom_attributes"],
        json!({"churn_risk": true, "seats_purchased": 40})
    );
    assert_error(
        &api.post(
            "/companies",
            &json!({"company_id": "acme-1", "custom_attributes": {"nope": 1}}),
        )
        .await,
        400,
        "parameter_invalid",
    );
    let found = api.get("/companies?company_id=acme-1").await;
    assert_eq!(found.body["data"][0]["id"], a.body["id"]);
    assert_error(
        &api.get("/companies?company_id=missing").await,
        404,
        "company_not_found",
    );
    let id = a.body["id"].as_str().expect("id");
    let put = api
        .put(
            &format!("/companies/{id}"),
            &json!({"plan": "Pro", "custom_attributes": {"tier": "gold"}}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["plan"]["name"], "Pro");
    assert_eq!(put.body["custom_attributes"]["tier"], "gold");
    assert_eq!(
        put.body["custom_attributes"]["churn_risk"], true,
        "custom attributes merge"
    );
    assert_error(
        &api.put(&format!("/companies/{id}"), &json!({"company_id": "other"}))
            .await,
        400,
        "bad_request",
    );
    assert_error(
        &api.put("/companies/000000000000000000000000", &json!({}))
            .await,
        404,
        "company_not_found",
    );
}

#[tokio::test]
async fn attaching_a_contact_shows_on_both_sides() {
    let api = start(SimConfig::default()).await;
    let contact = api.sim.contact_ids(1).remove(0);
    let company = api
        .post("/companies", &json!({"company_id": "solo", "name": "Solo"}))
        .await
        .body["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r = api
        .post(
            &format!("/contacts/{contact}/companies"),
            &json!({"id": company}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["user_count"], 1);
    let members = api.get(&format!("/companies/{company}/contacts")).await;
    assert_eq!(members.body["data"][0]["id"], contact.as_str());
    assert_error(
        &api.post(&format!("/contacts/{contact}/companies"), &json!({}))
            .await,
        400,
        "parameter_not_found",
    );
    assert_error(
        &api.post(
            &format!("/contacts/{contact}/companies"),
            &json!({"id": "000000000000000000000000"}),
        )
        .await,
        404,
        "company_not_found",
    );
}
