//! Rate limit headers and 429, fault knobs, the journal, and the `/_sim/` HTTP control surface.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests fail loudly on purpose

mod common;

use common::{assert_error, start};
use icsync_intercom_sim::{FaultConfig, SimConfig};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn every_response_carries_rate_headers_and_the_budget_runs_out_into_429() {
    let api = start(SimConfig {
        rate_limit_per_window: 5,
        ..SimConfig::default()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let r = api.get("/me").await;
        assert_eq!(r.headers["x-ratelimit-limit"], "5");
        let reset: i64 = r.headers["x-ratelimit-reset"]
            .to_str()
            .expect("reset")
            .parse()
            .expect("int");
        assert_eq!(reset % 10, 0, "reset is the end of a 10-second window");
        statuses.push((
            r.status.as_u16(),
            r.headers["x-ratelimit-remaining"]
                .to_str()
                .expect("r")
                .to_owned(),
        ));
        if r.status == 429 {
            assert_error(&r, 429, "rate_limit_exceeded");
        }
    }
    // Requests may straddle a window boundary; within one window the budget is 5.
    let ok = statuses.iter().filter(|(s, _)| *s == 200).count();
    assert!((5..7).contains(&ok), "{statuses:?}");
    assert!(
        statuses.iter().any(|(s, rem)| *s == 429 && rem == "0"),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn fault_knobs_inject_errors_storms_and_broken_bodies() {
    let api = start(SimConfig::default()).await;
    api.sim.set_faults(FaultConfig {
        error_rate: 1.0,
        ..FaultConfig::default()
    });
    let r = api.get("/me").await;
    assert!(r.status == 500 || r.status == 503, "{}", r.status);
    assert_eq!(r.body["type"], "error.list");
    api.sim.set_faults(FaultConfig {
        storm_429_secs: 60,
        ..FaultConfig::default()
    });
    assert_error(&api.get("/me").await, 429, "rate_limit_exceeded");
    api.sim.set_faults(FaultConfig {
        truncated_rate: 1.0,
        ..FaultConfig::default()
    });
    let r = api.get("/contacts").await;
    assert_eq!(r.status, 200);
    assert!(
        serde_json::from_str::<serde_json::Value>(&r.text).is_err(),
        "truncated JSON"
    );
    api.sim.set_faults(FaultConfig {
        empty_body_rate: 1.0,
        ..FaultConfig::default()
    });
    assert!(api.get("/contacts").await.text.is_empty());
    api.sim.set_faults(FaultConfig {
        drop_rate: 1.0,
        ..FaultConfig::default()
    });
    let dropped = api
        .http
        .get(format!("{}/contacts", api.sim.base_url()))
        .bearer_auth("sim-token")
        .send()
        .await;
    let failed = match dropped {
        Err(_) => true,
        Ok(resp) => resp.text().await.is_err(),
    };
    assert!(failed, "the connection is dropped mid-response");
    api.sim.set_faults(FaultConfig::default());
    assert_eq!(api.get("/me").await.status, 200);
    let faults: Vec<_> = api
        .sim
        .journal(0)
        .into_iter()
        .filter_map(|e| e.fault)
        .collect();
    assert!(
        faults.iter().any(|f| f == "truncated_body")
            && faults.iter().any(|f| f == "dropped_connection")
    );
}

#[tokio::test]
async fn the_journal_records_method_path_query_status_and_timing() {
    let api = start(SimConfig::default()).await;
    api.get("/contacts?per_page=2").await;
    api.get("/contacts/nope").await;
    let entries = api.sim.journal(0);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].method, "GET");
    assert_eq!(entries[0].path, "/contacts");
    assert_eq!(entries[0].query.as_deref(), Some("per_page=2"));
    assert_eq!(entries[0].status, 200);
    assert_eq!(entries[1].status, 404);
    assert!(entries[0].duration_ms >= 0.0);
    assert_eq!(api.sim.journal(entries[0].seq).len(), 1);
    let http = api
        .send(Method::GET, "/_sim/journal?since=1", None, None)
        .await;
    assert_eq!(http.body["entries"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn the_http_control_surface_mutates_and_resets() {
    let api = start(SimConfig {
        contacts: 20,
        ..SimConfig::default()
    })
    .await;
    let summary = api.send(Method::GET, "/_sim/summary", None, None).await;
    assert_eq!(summary.body["contacts"], 20);
    let id = api.sim.contact_ids(1).remove(0);
    let body = json!({"name": "Changed by control"}).to_string();
    let r = api
        .send(
            Method::PATCH,
            &format!("/_sim/contacts/{id}"),
            Some(&body),
            None,
        )
        .await;
    assert_eq!(r.body["name"], "Changed by control");
    let r = api
        .send(
            Method::PUT,
            "/_sim/faults",
            Some(r#"{"latency_ms": 1}"#),
            None,
        )
        .await;
    assert_eq!(r.body["latency_ms"], 1);
    let r = api
        .send(
            Method::PUT,
            "/_sim/settings",
            Some(r#"{"search_lag_ms": 5}"#),
            None,
        )
        .await;
    assert_eq!(r.body["search_lag_ms"], 5);
    let bad = api
        .send(Method::PUT, "/_sim/faults", Some(r#"{"nope": 1}"#), None)
        .await;
    assert_eq!(bad.status, 400);
    let conv = api
        .send(
            Method::POST,
            "/_sim/conversations",
            Some(&json!({"contact_id": id, "body": "hi"}).to_string()),
            None,
        )
        .await;
    let conv_id = conv.body["id"].as_str().expect("id").to_owned();
    let reply = api
        .send(
            Method::POST,
            &format!("/_sim/conversations/{conv_id}/reply"),
            Some(r#"{"body": "hello", "admin_id": 991267390}"#),
            None,
        )
        .await;
    assert_eq!(reply.body["conversation_parts"]["total_count"], 1);
    let del = api
        .send(Method::DELETE, &format!("/_sim/contacts/{id}"), None, None)
        .await;
    assert_eq!(del.status, 204);
    assert_eq!(api.sim.summary().contacts, 19);
    assert_eq!(
        api.send(Method::POST, "/_sim/reset", None, None)
            .await
            .status,
        204
    );
    assert_eq!(api.sim.summary().contacts, 20);
    let restored = api.get(&format!("/contacts/{id}")).await;
    assert_eq!(restored.status, 200, "the deleted contact is back");
    assert_ne!(restored.body["name"], "Changed by control");
    assert!(api.sim.faults() == FaultConfig::default());
}

#[tokio::test]
async fn the_same_seed_gives_the_same_data() {
    let cfg = SimConfig {
        anchor: Some(1_750_000_000),
        ..SimConfig::default()
    };
    let a = start(cfg.clone()).await;
    let b = start(cfg).await;
    let pa = a.get("/contacts?per_page=50").await.body;
    let pb = b.get("/contacts?per_page=50").await.body;
    assert_eq!(pa, pb);
    let c = start(SimConfig {
        seed: 43,
        anchor: Some(1_750_000_000),
        ..SimConfig::default()
    })
    .await;
    assert_ne!(pa, c.get("/contacts?per_page=50").await.body);
}

#[tokio::test]
async fn me_reports_the_workspace_time_zone_and_region() {
    let api = start(SimConfig {
        time_zone: "Europe/Dublin".into(),
        ..SimConfig::default()
    })
    .await;
    let me = api.get("/me").await;
    assert_eq!(me.body["app"]["timezone"], "Europe/Dublin");
    assert_eq!(me.body["app"]["region"], "US");
    assert_eq!(me.body["app"]["id_code"], "ecahpwf5");
    let v = api.send(Method::GET, "/me", None, Some("sim-token")).await;
    assert_eq!(v.status, 200);
    let r = api
        .http
        .get(format!("{}/me", api.sim.base_url()))
        .bearer_auth("sim-token")
        .header("Intercom-Version", "9.9")
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 400);
}
