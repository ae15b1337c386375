//! Status: per stream state, last and next run, live progress with rate and ETA, last error,
//! counts, the connection error, and writeback figures from the injected service.

use crate::support::*;
use axum::http::StatusCode;
use icsync_api::StoreProgress;
use icsync_domain::{RunStatus, StreamName, SyncRunStats};
use icsync_inbound::Progress;
use std::time::Duration;

#[tokio::test]
async fn streams_show_runs_next_run_errors_and_writeback() {
    let api = api().await;
    let ws = api.seeded().await;
    let store = &api.store;
    let users = StreamName::new("users");
    let failed = store.start_run(ws.id, &users).await.unwrap();
    store
        .finish_run(
            failed,
            RunStatus::Failed,
            &SyncRunStats::default(),
            Some("Intercom answered 500"),
        )
        .await
        .unwrap();
    let ok = store.start_run(ws.id, &users).await.unwrap();
    let stats = SyncRunStats {
        kind: Some("incremental".into()),
        read: 40,
        records: 12,
        requests: 5,
        rate_limited: 2,
        pacer_wait_ms: 1500,
        ..SyncRunStats::default()
    };
    store
        .finish_run(ok, RunStatus::Succeeded, &stats, None)
        .await
        .unwrap();

    let answer = api
        .get(&format!("/v1/workspaces/{WORKSPACE}/status"), &api.admin)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let streams = answer.body["streams"].as_array().unwrap();
    let names: Vec<&str> = streams
        .iter()
        .map(|s| s["stream"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["users", "companies", "events"]);
    let users = &streams[0];
    assert_eq!(users["last_run"]["status"], "succeeded");
    assert_eq!(users["last_run"]["written"], 12);
    assert_eq!(users["last_run"]["rate_limited"], 2);
    assert_eq!(users["last_run"]["pacer_wait_ms"], 1500);
    assert_eq!(users["last_error"]["message"], "Intercom answered 500");
    let started =
        chrono::DateTime::parse_from_rfc3339(users["last_run"]["started_at"].as_str().unwrap())
            .unwrap();
    let next =
        chrono::DateTime::parse_from_rfc3339(users["next_run_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        (next - started).num_seconds(),
        300,
        "last start plus the poll interval"
    );
    assert_eq!(streams[1]["state"], "pending");
    assert_eq!(answer.body["counts"]["contacts"], 6);
    assert_eq!(answer.body["counts"]["events"], 30);
    assert_eq!(answer.body["writeback"]["pending"], 3);
    assert_eq!(answer.body["writeback"]["oldest_pending_age_secs"], 90);
    assert_eq!(
        answer.body["workspace"]["connection_error"],
        serde_json::Value::Null
    );
    api.writeback.0.lock().unwrap().blocked = Some("writeback is off for this workspace".into());
    let gated = api
        .get(&format!("/v1/workspaces/{WORKSPACE}/status"), &api.admin)
        .await;
    assert_eq!(
        gated.body["writeback"]["blocked"],
        "writeback is off for this workspace"
    );

    store
        .set_connection_error(ws.id, Some("Intercom refused the access token"))
        .await
        .unwrap();
    let blocked = api
        .get(&format!("/v1/workspaces/{WORKSPACE}/status"), &api.admin)
        .await;
    assert_eq!(blocked.body["streams"][0]["state"], "blocked");
    assert_eq!(
        blocked.body["streams"][0]["next_run_at"],
        serde_json::Value::Null
    );
    assert_eq!(
        blocked.body["workspace"]["connection_error"],
        "Intercom refused the access token"
    );
}

#[tokio::test]
async fn a_running_backfill_shows_done_of_estimated_with_rate_and_eta() {
    let api = api().await;
    let ws = api.seeded().await;
    let _run = api
        .store
        .start_run(ws.id, &StreamName::new("users"))
        .await
        .unwrap();
    let progress = StoreProgress::new(api.store.clone(), ws.id).every(Duration::ZERO);
    progress.started("users", "backfill", Some(1000));
    tokio::time::sleep(Duration::from_millis(50)).await;
    progress.advanced("users", 250);
    let mut body = serde_json::Value::Null;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let answer = api
            .get(&format!("/v1/workspaces/{WORKSPACE}/status"), &api.admin)
            .await;
        body = answer.body["streams"][0].clone();
        if body["progress"]["done"] == 250 {
            break;
        }
    }
    assert_eq!(body["state"], "running", "{body}");
    let p = &body["progress"];
    assert_eq!(p["done"], 250, "{body}");
    assert_eq!(p["estimated"], 1000);
    assert_eq!(p["percent"], 25.0);
    assert_eq!(p["kind"], "backfill");
    assert!(p["rate_per_sec"].as_f64().unwrap() > 0.0);
    assert!(p["eta_secs"].as_i64().unwrap() >= 0);
    assert_eq!(
        body["next_run_at"],
        serde_json::Value::Null,
        "no next run while running"
    );
}

#[tokio::test]
async fn a_disconnected_workspace_shows_every_stream_disconnected() {
    let api = api().await;
    let ws = api.seeded().await;
    api.store.disconnect_workspace(ws.id).await.unwrap();
    let answer = api
        .get(&format!("/v1/workspaces/{WORKSPACE}/status"), &api.admin)
        .await;
    for stream in answer.body["streams"].as_array().unwrap() {
        assert_eq!(stream["state"], "disconnected");
    }
    let missing = api.get("/v1/workspaces/none/status", &api.admin).await;
    assert_eq!(missing.code(), "workspace_not_found");
}
