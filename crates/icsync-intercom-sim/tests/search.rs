//! Contact and conversation search: day-granular timestamps in the workspace time zone,
//! operator rules, body-only pagination, the index lag.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests fail loudly on purpose

mod common;

use std::time::Duration;

use chrono::{NaiveTime, TimeZone};
use common::{assert_error, start};
use icsync_intercom_sim::SimConfig;
use serde_json::{Value, json};

fn ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Start of the local day (in `tz`) containing `ts`.
fn day_start(tz: chrono_tz::Tz, ts: i64) -> i64 {
    let local = chrono::DateTime::from_timestamp(ts, 0)
        .expect("ts")
        .with_timezone(&tz);
    let midnight = local.date_naive().and_time(NaiveTime::MIN);
    tz.from_local_datetime(&midnight)
        .earliest()
        .expect("midnight")
        .timestamp()
}

#[tokio::test]
async fn timestamp_filters_match_whole_days_in_the_workspace_time_zone() {
    let api = start(SimConfig {
        contacts: 300,
        time_zone: "Asia/Tokyo".into(),
        ..SimConfig::default()
    })
    .await;
    let tz: chrono_tz::Tz = "Asia/Tokyo".parse().expect("tz");
    let contact = api.get("/contacts?per_page=1").await.body["data"][0].clone();
    let id = contact["id"].as_str().expect("id").to_owned();
    let created = contact["created_at"].as_i64().expect("created_at");
    let start_of_day = day_start(tz, created);
    let search = |op: &str, value: i64| {
        json!({"query": {"operator": "AND", "value": [
            {"field": "id", "operator": "=", "value": id},
            {"field": "created_at", "operator": op, "value": value}
        ]}})
    };
    // `>` starts at the next day: a value one second before the contact's creation, on the
    // same day, does not match it (an exact-second filter would).
    if created > start_of_day {
        let r = api
            .post("/contacts/search", &search(">", created - 1))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(ids(&r.body).is_empty(), "`>` skips the rest of the day");
    }
    // `=` matches the whole day, whatever second of it is given.
    let r = api
        .post("/contacts/search", &search("=", start_of_day + 1))
        .await;
    assert_eq!(ids(&r.body), vec![id.clone()]);
    // `>` the previous day matches; `<` the same day does not.
    let r = api
        .post("/contacts/search", &search(">", start_of_day - 1))
        .await;
    assert_eq!(ids(&r.body), vec![id.clone()]);
    let r = api.post("/contacts/search", &search("<", created)).await;
    assert!(ids(&r.body).is_empty(), "`<` ends before the day");
    let r = api
        .post("/contacts/search", &search("<", start_of_day + 86_400 * 2))
        .await;
    assert_eq!(ids(&r.body), vec![id]);
}

#[tokio::test]
async fn date_operators_and_value_types_are_checked() {
    let api = start(SimConfig::default()).await;
    for op in [">=", "<=", "!=", "IN"] {
        let r = api
            .post(
                "/contacts/search",
                &json!({"query": {"field": "updated_at", "operator": op, "value": 1}}),
            )
            .await;
        assert_error(&r, 400, "parameter_invalid");
    }
    let r = api
        .post(
            "/contacts/search",
            &json!({"query": {"field": "created_at", "operator": ">", "value": "1700000000"}}),
        )
        .await;
    assert_error(&r, 400, "parameter_invalid");
    let f = json!({"field": "role", "operator": "=", "value": "user"});
    let wide = json!({"query": {"operator": "OR", "value": vec![f.clone(); 16]}});
    assert_error(
        &api.post("/contacts/search", &wide).await,
        400,
        "parameter_invalid",
    );
    let deep = json!({"query": {"operator": "AND", "value": [{"operator": "OR", "value": [{"operator": "AND", "value": [f]}]}]}});
    assert_error(
        &api.post("/contacts/search", &deep).await,
        400,
        "parameter_invalid",
    );
    assert_error(
        &api.post("/contacts/search", &json!({"pagination": {"per_page": 10}}))
            .await,
        400,
        "parameter_invalid",
    );
}

#[tokio::test]
async fn search_pages_through_the_body_and_ignores_a_query_string_cursor() {
    let api = start(SimConfig {
        contacts: 400,
        ..SimConfig::default()
    })
    .await;
    let q = json!({"field": "role", "operator": "=", "value": "user"});
    let first = api.post("/contacts/search", &json!({"query": q})).await;
    assert_eq!(
        first.body["data"].as_array().map(Vec::len),
        Some(50),
        "default 50 per page"
    );
    let users = first.body["total_count"].as_u64().expect("total");
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut body = json!({"query": q, "pagination": {"per_page": 150}});
        if let Some(c) = &cursor {
            body["pagination"]["starting_after"] = json!(c);
        }
        let r = api.post("/contacts/search", &body).await;
        assert!(
            r.body["data"]
                .as_array()
                .expect("data")
                .iter()
                .all(|c| c["role"] == "user")
        );
        all.extend(ids(&r.body));
        match r.body["pages"]["next"]["starting_after"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(all.len() as u64, users);
    let unique: std::collections::HashSet<_> = all.iter().collect();
    assert_eq!(unique.len(), all.len());
    let cursor = first.body["pages"]["next"]["starting_after"]
        .as_str()
        .expect("cursor");
    let again = api
        .post(
            &format!("/contacts/search?starting_after={cursor}"),
            &json!({"query": q}),
        )
        .await;
    assert_eq!(
        ids(&again.body),
        ids(&first.body),
        "a query-string cursor returns page 1 again"
    );
    assert_error(
        &api.post(
            "/contacts/search",
            &json!({"query": q, "pagination": {"per_page": 151}}),
        )
        .await,
        400,
        "parameter_invalid",
    );
}

#[tokio::test]
async fn new_and_updated_contacts_reach_search_after_the_lag() {
    let api = start(SimConfig {
        search_lag: Duration::from_millis(400),
        ..SimConfig::default()
    })
    .await;
    let created = api
        .post("/contacts", &json!({"email": "lagging@example.com"}))
        .await;
    assert_eq!(created.status, 200);
    let q = json!({"query": {"field": "email", "operator": "=", "value": "lagging@example.com"}});
    assert_eq!(
        api.post("/contacts/search", &q).await.body["total_count"],
        0
    );
    assert_eq!(
        api.get(&format!(
            "/contacts/{}",
            created.body["id"].as_str().expect("id")
        ))
        .await
        .status,
        200
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        api.post("/contacts/search", &q).await.body["total_count"],
        1
    );
    api.sim.set_search_lag(Duration::from_secs(3600));
    let id = api.sim.contact_ids(1).remove(0);
    api.put(&format!("/contacts/{id}"), &json!({"name": "Renamed"}))
        .await;
    let by_id = json!({"query": {"field": "id", "operator": "=", "value": id}});
    assert_eq!(
        api.post("/contacts/search", &by_id).await.body["total_count"],
        0
    );
}

#[tokio::test]
async fn string_operators_and_custom_attributes_filter() {
    let api = start(SimConfig {
        contacts: 500,
        ..SimConfig::default()
    })
    .await;
    let r = api.post("/contacts/search", &json!({"query": {"field": "email", "operator": "$", "value": "@gmail.com"}, "pagination": {"per_page": 150}})).await;
    for c in r.body["data"].as_array().expect("data") {
        assert!(
            c["email"]
                .as_str()
                .expect("email")
                .trim()
                .to_lowercase()
                .ends_with("@gmail.com")
        );
    }
    let r = api.post("/contacts/search", &json!({"query": {"field": "custom_attributes.seats", "operator": ">", "value": 400}, "pagination": {"per_page": 150}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["total_count"].as_u64().expect("total") > 0);
    for c in r.body["data"].as_array().expect("data") {
        assert!(c["custom_attributes"]["seats"].as_i64().expect("seats") > 400);
    }
}

#[tokio::test]
async fn conversation_search_by_contact_and_state() {
    let api = start(SimConfig {
        contacts: 50,
        conversations: 120,
        ..SimConfig::default()
    })
    .await;
    let conv = api.get("/conversations?per_page=1").await.body["conversations"][0].clone();
    let contact = conv["contacts"]["contacts"][0]["id"]
        .as_str()
        .expect("contact id")
        .to_owned();
    let q = json!({"query": {"operator": "AND", "value": [
        {"field": "contact_ids", "operator": "=", "value": contact},
        {"field": "created_at", "operator": ">", "value": conv["created_at"]}
    ]}});
    let r = api.post("/conversations/search", &q).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let found = r.body["conversations"].as_array().expect("conversations");
    assert!(
        found.iter().any(|c| c["id"] == conv["id"]),
        "`>` is inclusive for conversations"
    );
    assert!(
        found
            .iter()
            .all(|c| c["contacts"]["contacts"][0]["id"] == contact.as_str())
    );
    assert!(
        found.iter().all(|c| c.get("conversation_parts").is_none()),
        "search carries no parts"
    );
    let closed = api
        .post(
            "/conversations/search",
            &json!({"query": {"field": "state", "operator": "=", "value": "closed"}}),
        )
        .await;
    assert_eq!(closed.body["pages"]["per_page"], 20);
    assert!(
        closed.body["conversations"]
            .as_array()
            .expect("c")
            .iter()
            .all(|c| c["state"] == "closed")
    );
}
