//! Data events (90-day window, URL pagination, summaries, writes) and conversations (500 parts).

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests fail loudly on purpose

mod common;

use common::{assert_error, start};
use icsync_intercom_sim::SimConfig;
use serde_json::{Map, json};

#[tokio::test]
async fn events_list_only_the_last_ninety_days_and_page_by_url_on_our_host() {
    let api = start(SimConfig {
        contacts: 200,
        events_per_contact: 30,
        ..SimConfig::default()
    })
    .await;
    let id = api
        .sim
        .contact_ids(200)
        .into_iter()
        .find(|id| {
            api.sim
                .event_counts(id)
                .map(|c| c.total > c.listable && c.listable > 15)
                .unwrap_or(false)
        })
        .expect("a contact with old and recent events");
    let counts = api.sim.event_counts(&id).expect("counts");
    let cutoff = api.sim.anchor() - 90 * 86_400 - 5;
    let mut listed = Vec::new();
    let mut url = format!(
        "{}/events?type=user&intercom_user_id={id}&per_page=10",
        api.sim.base_url()
    );
    loop {
        let path = url
            .strip_prefix(api.sim.base_url())
            .expect("pages.next is on the simulator's host")
            .to_owned();
        let r = api.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["type"], "event.list");
        for e in r.body["events"].as_array().expect("events") {
            assert!(e["created_at"].as_i64().expect("created_at") >= cutoff);
            assert_eq!(e["intercom_user_id"], id.as_str());
            listed.push(e["created_at"].as_i64().expect("ts"));
        }
        match r.body["pages"]["next"].as_str() {
            Some(next) => {
                assert!(
                    next.contains("before="),
                    "next pages backwards by a millisecond `before`"
                );
                url = next.to_owned();
            }
            None => break,
        }
    }
    assert_eq!(listed.len() as u64, counts.listable);
    assert!(listed.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let summary = api
        .get(&format!(
            "/events?type=user&intercom_user_id={id}&summary=true"
        ))
        .await;
    assert_eq!(summary.body["type"], "event.summary");
    let total: u64 = summary.body["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["count"].as_u64().expect("count"))
        .sum();
    assert_eq!(
        total, counts.total,
        "summaries count events older than 90 days too"
    );
    assert!(
        summary.body["events"][0]["first"]
            .as_str()
            .expect("first")
            .ends_with("+00:00")
    );
}

#[tokio::test]
async fn events_need_type_user_and_exactly_one_identifier() {
    let api = start(SimConfig::default()).await;
    let id = api.sim.contact_ids(1).remove(0);
    assert_error(
        &api.get(&format!("/events?intercom_user_id={id}")).await,
        400,
        "parameter_not_found",
    );
    assert_error(
        &api.get("/events?type=user").await,
        400,
        "parameter_invalid",
    );
    assert_error(
        &api.get("/events?type=user&user_id=nobody").await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn posting_an_event_is_202_and_duplicates_are_dropped() {
    let api = start(SimConfig {
        events_per_contact: 0,
        ..SimConfig::default()
    })
    .await;
    let id = api.sim.contact_ids(1).remove(0);
    let now = api.sim.anchor();
    let body = json!({"event_name": "ordered", "created_at": now, "id": id, "metadata": {"price": {"amount": 500, "currency": "eur"}}});
    for _ in 0..2 {
        let r = api.post("/events", &body).await;
        assert_eq!(r.status, 202);
        assert!(r.text.is_empty(), "202 has an empty body");
    }
    assert_eq!(api.sim.event_counts(&id).expect("counts").total, 1);
    let r = api
        .get(&format!("/events?type=user&intercom_user_id={id}"))
        .await;
    assert_eq!(r.body["events"][0]["metadata"]["price"]["currency"], "eur");
    assert_error(
        &api.post(
            "/events",
            &json!({"event_name": "x", "created_at": now, "id": "000000000000000000000000"}),
        )
        .await,
        404,
        "not_found",
    );
    api.sim
        .add_event(&id, "control-added", None, Map::new())
        .expect("added");
    assert_eq!(api.sim.event_counts(&id).expect("counts").total, 2);
}

#[tokio::test]
async fn conversations_return_the_500_most_recent_parts_and_the_true_count() {
    let api = start(SimConfig {
        contacts: 20,
        conversations: 5,
        max_conversation_parts: 700,
        ..SimConfig::default()
    })
    .await;
    let id = api.sim.conversation_ids(1).remove(0);
    let r = api.get(&format!("/conversations/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let parts = r.body["conversation_parts"]["conversation_parts"]
        .as_array()
        .expect("parts");
    assert_eq!(parts.len(), 500);
    assert_eq!(r.body["conversation_parts"]["total_count"], 700);
    assert_eq!(r.body["statistics"]["count_conversation_parts"], 700);
    let times: Vec<i64> = parts
        .iter()
        .map(|p| p["created_at"].as_i64().expect("ts"))
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    // A reply is the newest part and stays inside the 500.
    let reply = api.sim.reply(&id, "thanks!", None).expect("reply");
    let last = reply["conversation_parts"]["conversation_parts"]
        .as_array()
        .expect("parts")
        .last()
        .cloned()
        .expect("last");
    assert_eq!(last["body"], "<p>thanks!</p>");
    assert_eq!(reply["conversation_parts"]["total_count"], 701);
    let list = api.get("/conversations").await;
    assert_eq!(list.body["type"], "conversation.list");
    assert!(
        list.body["conversations"][0]
            .get("conversation_parts")
            .is_none()
    );
    let plain = api
        .get(&format!("/conversations/{id}?display_as=plaintext"))
        .await;
    assert!(
        !plain.body["source"]["body"]
            .as_str()
            .expect("body")
            .contains('<')
    );
}

#[tokio::test]
async fn started_conversations_appear_in_list_and_search() {
    let api = start(SimConfig {
        conversations: 3,
        ..SimConfig::default()
    })
    .await;
    let contact = api.sim.contact_ids(1).remove(0);
    let id = api
        .sim
        .start_conversation(&contact, "Help", "<p>Hi</p>")
        .expect("started");
    let q = json!({"query": {"field": "id", "operator": "=", "value": id}});
    let r = api.post("/conversations/search", &q).await;
    assert_eq!(r.body["total_count"], 1);
    assert_eq!(
        r.body["conversations"][0]["source"]["author"]["id"],
        contact.as_str()
    );
    assert_eq!(api.sim.summary().conversations, 4);
}
