//! `/metrics`: HTTP requests and latency, Intercom traffic and records per workspace and
//! stream from the runs, writeback and export figures; without a key.

use crate::support::*;
use axum::http::{Method, StatusCode};
use chrono::{DateTime, Utc};
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

/// Puts `host_id` at `at` (pending since then).
async fn put_record(
    api: &TestApi,
    ws: &icsync_domain::Workspace,
    host_id: &str,
    at: DateTime<Utc>,
) {
    let record = icsync_domain::HostRecord {
        host_id: host_id.into(),
        email: Some(format!("{host_id}@example.com")),
        ..Default::default()
    }
    .normalized();
    api.store
        .put_export_record(ws.id, &record, at)
        .await
        .unwrap();
}

/// Claims every due record and records `result_of(host_id)` for each.
async fn settle(
    api: &TestApi,
    ws: &icsync_domain::Workspace,
    result_of: impl Fn(&str) -> icsync_store::ExportResult,
) {
    let now = Utc::now();
    let claimed = api
        .store
        .claim_exports(&icsync_store::ClaimRequest {
            workspace: ws.id,
            now,
            due_before: None,
            not_attempted_since: now,
            limit: 100,
            lease: chrono::Duration::seconds(60),
        })
        .await
        .unwrap();
    let outcomes: Vec<icsync_store::ExportOutcome> = claimed
        .into_iter()
        .map(|record| icsync_store::ExportOutcome {
            result: result_of(&record.record.host_id),
            record,
            at: now,
            contact: icsync_store::ContactLink::default(),
        })
        .collect();
    api.store.record_export_outcomes(&outcomes).await.unwrap();
}

#[tokio::test]
async fn metrics_show_each_configured_export_by_where_its_records_stand() {
    use icsync_store::ExportResult;
    let api = api().await;
    let ws = api.workspace("acme").await;
    api.workspace("plain").await;
    let set = api
        .put(
            "/v1/workspaces/acme/export",
            &api.admin,
            serde_json::json!({"enabled": true, "sync_mode": "sync", "creation_mode": "lead", "removal_mode": "archive"}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let now = Utc::now();
    for id in ["h-ok", "h-fail", "h-bad", "h-gone"] {
        put_record(&api, &ws, id, now - chrono::Duration::seconds(60)).await;
    }
    api.store
        .remove_export_record(ws.id, "h-gone", now - chrono::Duration::seconds(30))
        .await
        .unwrap()
        .unwrap();
    settle(&api, &ws, |host_id| match host_id {
        "h-ok" => ExportResult::Exported { note: None },
        "h-fail" => ExportResult::Failed {
            error: "Intercom answered 503".into(),
            retry_at: Utc::now() + chrono::Duration::hours(1),
            uncertain: false,
        },
        "h-bad" => ExportResult::Rejected {
            reason: "Intercom refused the email".into(),
        },
        _ => ExportResult::Removed { note: None },
    })
    .await;
    // Waiting since an hour ago, never attempted: the oldest pending record.
    put_record(&api, &ws, "h-wait", now - chrono::Duration::hours(1)).await;

    let text = api.send(Method::GET, "/metrics", None, None).await.text;
    for line in [
        r#"icsync_export_records{workspace="acme"} 5"#,
        r#"icsync_export_pending_records{workspace="acme"} 2"#,
        r#"icsync_export_failed_records{workspace="acme"} 1"#,
        r#"icsync_export_exported_records{workspace="acme"} 1"#,
        r#"icsync_export_removed_records{workspace="acme"} 1"#,
        r#"icsync_export_rejected_records{workspace="acme"} 1"#,
        r#"icsync_export_skipped_records{workspace="acme"} 0"#,
        "# TYPE icsync_export_oldest_pending_age_seconds gauge",
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
    let age: f64 = text
        .lines()
        .find_map(|l| {
            l.strip_prefix(r#"icsync_export_oldest_pending_age_seconds{workspace="acme"} "#)
        })
        .unwrap_or_else(|| panic!("no oldest pending age in\n{text}"))
        .parse()
        .unwrap();
    assert!(
        (3600.0..3700.0).contains(&age),
        "the hour-old record: {age}"
    );
    assert!(
        !text.contains(r#"icsync_export_records{workspace="plain"}"#),
        "a workspace without an export has no export figures:\n{text}"
    );
    assert!(text.contains("icsync_metrics_store_up 1"), "{text}");

    // Nothing waits once the last two are exported: the age goes to 0.
    settle(&api, &ws, |_| ExportResult::Exported { note: None }).await;
    let text = api.send(Method::GET, "/metrics", None, None).await.text;
    for line in [
        r#"icsync_export_pending_records{workspace="acme"} 0"#,
        r#"icsync_export_exported_records{workspace="acme"} 3"#,
        r#"icsync_export_oldest_pending_age_seconds{workspace="acme"} 0"#,
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
}
