//! Webhooks out, checked by an in-process receiver: Intercom's envelope and signature, every
//! topic, the one retry, 410, timeouts, delivery faults, forgeries and replays.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests fail loudly on purpose

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use common::start;
use hmac::{Hmac, Mac};
use icsync_intercom_sim::{
    ContactRole, Forgery, NewContact, SimConfig, WebhookConfig, WebhookFaults, webhook_signature,
};
use serde_json::{Value, json};
use sha1::Sha1;

const SECRET: &str = "test-client-secret";

#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("json body")
    }

    fn signature_ok(&self) -> bool {
        let Some(sig) = self.headers.get("x-hub-signature") else {
            return false;
        };
        let mut mac = Hmac::<Sha1>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(&self.body);
        let want = format!("sha1={}", hex::encode(mac.finalize().into_bytes()));
        sig.to_str().unwrap() == want
    }
}

/// A receiver whose answers the test scripts: statuses to give next (then 200), a delay.
#[derive(Debug, Default)]
struct Receiver {
    got: Mutex<Vec<Received>>,
    statuses: Mutex<VecDeque<u16>>,
    delay: Mutex<Option<Duration>>,
}

async fn hook(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let delay = *r.delay.lock().unwrap();
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    r.got.lock().unwrap().push(Received { headers, body });
    let status = r.statuses.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

async fn receiver() -> (Arc<Receiver>, String) {
    let r = Arc::new(Receiver::default());
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(hook))
        .with_state(Arc::clone(&r));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (r, url)
}

fn config(url: &str) -> WebhookConfig {
    WebhookConfig {
        url: Some(url.to_owned()),
        client_secret: SECRET.to_owned(),
        retry_delay: Duration::from_millis(50),
        ..WebhookConfig::default()
    }
}

async fn idle(api: &common::Api) {
    tokio::time::timeout(Duration::from_secs(60), api.sim.webhooks_idle())
        .await
        .expect("webhooks finish");
}

fn topics(r: &Receiver) -> Vec<String> {
    r.got
        .lock()
        .unwrap()
        .iter()
        .map(|g| g.json()["topic"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn changes_send_signed_notifications_in_intercoms_envelope() {
    let api = start(SimConfig::default()).await;
    let (r, url) = receiver().await;
    api.sim.set_webhooks(config(&url)).unwrap();
    let created = api
        .post("/contacts", &json!({"email": "new@example.com"}))
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    api.put(&format!("/contacts/{id}"), &json!({"name": "Renamed"}))
        .await;
    let lead = api
        .sim
        .create_contact(NewContact {
            role: ContactRole::Lead,
            ..NewContact::default()
        })
        .unwrap();
    let lead_id = lead["id"].as_str().unwrap();
    api.post(&format!("/contacts/{lead_id}/archive"), &json!({}))
        .await;
    api.delete(&format!("/contacts/{id}")).await;
    let company = api
        .post(
            "/companies",
            &json!({"company_id": "hook-co", "name": "Hook"}),
        )
        .await;
    let cid = company.body["id"].as_str().unwrap();
    api.put(&format!("/companies/{cid}"), &json!({"name": "Hook 2"}))
        .await;
    let contact = api.sim.contact_ids(1).remove(0);
    let conv = api
        .sim
        .start_conversation(&contact, "Help", "<p>Hi</p>")
        .unwrap();
    api.sim.reply(&conv, "more", None).unwrap();
    api.sim.reply(&conv, "answer", Some(991_267_390)).unwrap();
    api.sim.close_conversation(&conv, None).unwrap();
    api.sim.send_ping().expect("a ping is queued");
    idle(&api).await;
    assert_eq!(
        topics(&r),
        [
            "contact.user.created",
            "contact.user.updated",
            "contact.lead.created",
            "contact.archived",
            "contact.deleted",
            "company.created",
            "company.updated",
            "conversation.user.created",
            "conversation.user.replied",
            "conversation.admin.replied",
            "conversation.admin.closed",
            "ping",
        ]
    );
    let got = r.got.lock().unwrap().clone();
    for g in &got {
        assert!(
            g.signature_ok(),
            "signature of {}",
            String::from_utf8_lossy(&g.body)
        );
        assert_eq!(
            g.headers["user-agent"],
            "intercom-parrot-service-client/1.0"
        );
        assert_eq!(g.headers["content-type"], "application/json");
        let v = g.json();
        assert_eq!(v["type"], "notification_event");
        assert_eq!(v["app_id"], "ecahpwf5");
        assert!(v["id"].as_str().unwrap().starts_with("notif_"));
        assert!(uuid::Uuid::parse_str(&v["id"].as_str().unwrap()[6..]).is_ok());
        assert_eq!(v["delivery_attempts"], 1);
        assert!(v["created_at"].as_i64().unwrap() <= v["first_sent_at"].as_i64().unwrap());
        assert_eq!(v["data"]["type"], "notification_event_data");
    }
    let item = |i: usize| got[i].json()["data"]["item"].clone();
    assert_eq!(item(0)["type"], "contact");
    assert_eq!(item(0)["email"], "new@example.com");
    assert_eq!(item(1)["name"], "Renamed");
    assert_eq!(
        item(3),
        json!({"type": "contact", "id": lead_id, "external_id": null, "archived": true})
    );
    assert_eq!(item(4)["deleted"], true);
    assert_eq!(item(4)["id"], id.as_str());
    assert_eq!(item(6)["name"], "Hook 2");
    assert_eq!(item(10)["state"], "closed");
    assert_eq!(item(10)["id"], conv.as_str());
    assert_eq!(item(11)["type"], "ping");
    // The journal holds the exact bytes and signatures the receiver got.
    let journal = api.sim.webhook_journal(0);
    assert_eq!(journal.len(), got.len());
    for (d, g) in journal.iter().zip(&got) {
        assert_eq!(d.body.as_bytes(), &g.body[..]);
        assert_eq!(d.outcome, "delivered");
        assert_eq!(d.status, Some(200));
        assert_eq!(
            d.signature.as_deref(),
            g.headers["x-hub-signature"].to_str().ok()
        );
        assert_eq!(
            d.signature.clone().unwrap(),
            webhook_signature(SECRET, d.body.as_bytes())
        );
    }
}

#[tokio::test]
async fn nothing_is_sent_without_a_url_and_events_send_nothing() {
    let api = start(SimConfig::default()).await;
    let id = api.sim.contact_ids(1).remove(0);
    api.sim.update_contact(&id, json!({"name": "x"})).unwrap();
    assert!(api.sim.send_ping().is_none());
    idle(&api).await;
    assert!(api.sim.webhook_journal(0).is_empty());
    let (r, url) = receiver().await;
    api.sim.set_webhooks(config(&url)).unwrap();
    api.sim
        .add_event(&id, "clicked", None, Default::default())
        .unwrap();
    idle(&api).await;
    assert!(r.got.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_delivery_is_retried_once_and_a_410_disables_the_subscription() {
    let api = start(SimConfig::default()).await;
    let (r, url) = receiver().await;
    api.sim.set_webhooks(config(&url)).unwrap();
    let id = api.sim.contact_ids(1).remove(0);
    r.statuses.lock().unwrap().extend([500]);
    api.sim
        .update_contact(&id, json!({"name": "first"}))
        .unwrap();
    idle(&api).await;
    let got = r.got.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "first attempt and its retry");
    let (a, b) = (got[0].json(), got[1].json());
    assert_eq!(a["id"], b["id"]);
    assert_eq!(
        (
            a["delivery_attempts"].clone(),
            b["delivery_attempts"].clone()
        ),
        (json!(1), json!(2))
    );
    assert_eq!(a["first_sent_at"], b["first_sent_at"]);
    assert!(got[1].signature_ok(), "the retry is signed anew");
    let outcomes: Vec<String> = api
        .sim
        .webhook_journal(0)
        .iter()
        .map(|d| d.outcome.clone())
        .collect();
    assert_eq!(outcomes, ["will_retry", "delivered"]);

    // Both attempts fail: marked failed, no third.
    r.statuses.lock().unwrap().extend([503, 404]);
    api.sim
        .update_contact(&id, json!({"name": "second"}))
        .unwrap();
    idle(&api).await;
    assert_eq!(r.got.lock().unwrap().len(), 4);
    assert_eq!(api.sim.webhook_journal(0).last().unwrap().outcome, "failed");

    // 410: disabled, no retry, nothing more until the URL is set again.
    r.statuses.lock().unwrap().extend([410]);
    api.sim
        .update_contact(&id, json!({"name": "third"}))
        .unwrap();
    idle(&api).await;
    assert_eq!(
        api.sim.webhook_journal(0).last().unwrap().outcome,
        "disabled"
    );
    api.sim
        .update_contact(&id, json!({"name": "fourth"}))
        .unwrap();
    idle(&api).await;
    assert_eq!(r.got.lock().unwrap().len(), 5, "nothing after the 410");
    let view = api
        .send(reqwest::Method::GET, "/_sim/webhooks", None, None)
        .await;
    assert_eq!(view.body["disabled"], true);
    assert_eq!(view.body["client_secret_set"], true);
    let put = api
        .send(
            reqwest::Method::PUT,
            "/_sim/webhooks",
            Some(&json!({"url": url}).to_string()),
            None,
        )
        .await;
    assert_eq!(put.body["disabled"], false, "{}", put.text);
    api.sim
        .update_contact(&id, json!({"name": "fifth"}))
        .unwrap();
    idle(&api).await;
    assert_eq!(r.got.lock().unwrap().len(), 6);
}

#[tokio::test]
async fn a_receiver_slower_than_the_timeout_gets_the_retry() {
    let api = start(SimConfig::default()).await;
    let (r, url) = receiver().await;
    api.sim
        .set_webhooks(WebhookConfig {
            timeout: Duration::from_millis(200),
            ..config(&url)
        })
        .unwrap();
    *r.delay.lock().unwrap() = Some(Duration::from_millis(1500));
    api.sim.send_ping().unwrap();
    idle(&api).await;
    let journal = api.sim.webhook_journal(0);
    assert_eq!(journal.len(), 2);
    assert_eq!(journal[0].status, None);
    assert!(
        journal[0].error.as_deref().unwrap().contains("no answer"),
        "{journal:?}"
    );
    assert_eq!(journal[1].outcome, "failed");
}

#[tokio::test]
async fn faults_duplicate_drop_reorder_and_delay_deliveries() {
    let api = start(SimConfig::default()).await;
    let (r, url) = receiver().await;
    let with = |faults: WebhookFaults| WebhookConfig {
        faults,
        ..config(&url)
    };
    let ids = api.sim.contact_ids(3);
    let touch = |i: usize, name: &str| {
        api.sim
            .update_contact(&ids[i], json!({"name": name}))
            .unwrap();
    };

    api.sim
        .set_webhooks(with(WebhookFaults {
            duplicate_rate: 1.0,
            ..Default::default()
        }))
        .unwrap();
    touch(0, "dup");
    idle(&api).await;
    let got = r.got.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].body, got[1].body, "the same bytes twice");
    assert_eq!(
        api.sim.webhook_journal(0)[1].fault.as_deref(),
        Some("duplicate")
    );
    r.got.lock().unwrap().clear();

    api.sim
        .set_webhooks(with(WebhookFaults {
            drop_rate: 1.0,
            ..Default::default()
        }))
        .unwrap();
    touch(0, "dropped");
    idle(&api).await;
    assert!(r.got.lock().unwrap().is_empty());
    assert_eq!(
        api.sim.webhook_journal(0).last().unwrap().outcome,
        "dropped"
    );

    api.sim
        .set_webhooks(with(WebhookFaults {
            reorder_rate: 1.0,
            ..Default::default()
        }))
        .unwrap();
    touch(0, "one");
    touch(1, "two");
    idle(&api).await;
    let names: Vec<Value> = r
        .got
        .lock()
        .unwrap()
        .iter()
        .map(|g| g.json()["data"]["item"]["name"].clone())
        .collect();
    assert_eq!(names, [json!("two"), json!("one")], "swapped");
    r.got.lock().unwrap().clear();

    api.sim
        .set_webhooks(with(WebhookFaults {
            delay_rate: 1.0,
            delay_ms: 1000,
            ..Default::default()
        }))
        .unwrap();
    touch(0, "late");
    api.sim.set_webhooks(config(&url)).unwrap();
    touch(1, "early");
    idle(&api).await;
    let names: Vec<Value> = r
        .got
        .lock()
        .unwrap()
        .iter()
        .map(|g| g.json()["data"]["item"]["name"].clone())
        .collect();
    assert_eq!(
        names,
        [json!("early"), json!("late")],
        "the delayed one is overtaken"
    );
}

#[tokio::test]
async fn forgeries_and_replays_reach_the_receiver_as_such() {
    let api = start(SimConfig::default()).await;
    let (r, url) = receiver().await;
    api.sim.set_webhooks(config(&url)).unwrap();
    let bad = api
        .sim
        .forge_webhook(Forgery::BadSignature, None, None)
        .await
        .unwrap();
    assert_eq!(bad.fault.as_deref(), Some("forged_signature"));
    let missing = api
        .sim
        .forge_webhook(
            Forgery::MissingSignature,
            Some("ping"),
            Some(json!({"type": "ping"})),
        )
        .await
        .unwrap();
    assert!(missing.signature.is_none());
    {
        let got = r.got.lock().unwrap();
        assert!(!got[0].signature_ok(), "a forgery does not verify");
        assert!(got[0].headers.contains_key("x-hub-signature"));
        assert_eq!(got[0].json()["topic"], "contact.user.updated");
        assert!(!got[1].headers.contains_key("x-hub-signature"));
    }
    api.sim.send_ping().unwrap();
    idle(&api).await;
    let original = api.sim.webhook_journal(0).last().unwrap().clone();
    let replayed = api.sim.replay_webhook(original.seq).await.unwrap();
    assert_eq!(replayed.fault.as_deref(), Some("replay"));
    assert_eq!(replayed.notification_id, original.notification_id);
    let got = r.got.lock().unwrap().clone();
    assert_eq!(got.len(), 4);
    assert_eq!(got[2].body, got[3].body, "a replay repeats the bytes");
    assert!(got[3].signature_ok(), "and the valid signature");
    // Over HTTP too.
    let http = api
        .send(
            reqwest::Method::POST,
            "/_sim/webhooks/replay",
            Some(&json!({"seq": original.seq}).to_string()),
            None,
        )
        .await;
    assert_eq!(http.status, 200, "{}", http.text);
    let forged = api
        .send(
            reqwest::Method::POST,
            "/_sim/webhooks/forge",
            Some(r#"{"kind": "missing_signature"}"#),
            None,
        )
        .await;
    assert_eq!(forged.body["fault"], "missing_signature");
    let journal = api
        .send(
            reqwest::Method::GET,
            "/_sim/webhooks/journal?since=0",
            None,
            None,
        )
        .await;
    assert_eq!(journal.body["entries"].as_array().unwrap().len(), 6);
    let bad_replay = api
        .send(
            reqwest::Method::POST,
            "/_sim/webhooks/replay",
            Some(r#"{"seq": 999}"#),
            None,
        )
        .await;
    assert_eq!(bad_replay.status, 400);
}
