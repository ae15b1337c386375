//! `/metrics`: HTTP requests and latency, Intercom traffic and records per workspace and
//! stream from the runs, writeback figures; without a key.

use crate::support::*;
use axum::http::{Method, StatusCode};
use icsync_domain::{RunStatus, StreamName, SyncRunStats};

#[tokio::test]
async fn metrics_count_requests_runs_and_writeback_per_workspace() {
    let api = api().await;
    let ws = api.seeded().await;
    let run = api
        .store
        .start_run(ws.id, &StreamName::new("events"))
        .await
        .unwrap();
    let stats = SyncRunStats {
        records: 30,
        requests: 7,
        rate_limited: 1,
        pacer_wait_ms: 2500,
        duration_ms: 1200,
        ..SyncRunStats::default()
    };
    api.store
        .finish_run(run, RunStatus::Succeeded, &stats, None)
        .await
        .unwrap();
    api.get("/v1/feeds/events", &api.host).await;
    let answer = api.send(Method::GET, "/metrics", None, None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = answer.text;
    for line in [
        r#"icsync_http_requests_total{method="GET",route="/v1/feeds/events",status="200"} 1"#,
        r#"icsync_intercom_requests_total{workspace="acme"} 7"#,
        r#"icsync_intercom_rate_limited_total{workspace="acme"} 1"#,
        r#"icsync_intercom_pacer_wait_seconds_total{workspace="acme"} 2.5"#,
        r#"icsync_sync_records_total{workspace="acme",stream="events"} 30"#,
        r#"icsync_sync_run_duration_seconds_total{workspace="acme",stream="events"} 1.2"#,
        r#"icsync_writeback_pending_rows{workspace="acme"} 3"#,
        r#"icsync_workspaces{state="connected"} 1"#,
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
    assert!(text.contains("# TYPE icsync_http_request_duration_seconds histogram"));
}
