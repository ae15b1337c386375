//! `icsync export status` as an admin runs it: the settings, the figures and the failing
//! records with their reasons, as text and as the API's JSON; clear errors for an unknown
//! workspace and one without an export.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use chrono::{Duration, Utc};
use icsync_domain::{
    AttributeTarget, CreationMode, DataType, ExportSettings, FieldMapping, HostRecord,
    NewWorkspace, Region, RemovalMode, StandardAttribute, SyncMode, Workspace,
};
use icsync_store::{ClaimRequest, ContactLink, ExportOutcome, ExportResult, SecretKey, Store};
use std::path::Path;
use std::process::Command;

fn icsync(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_icsync"));
    command.current_dir(dir).env("RUST_LOG", "warn").args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("ICSYNC_") && key != "ICSYNC_PG_BIN" {
            command.env_remove(key);
        }
    }
    let output = command.output().expect("run icsync");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn put(store: &Store, ws: &Workspace, host_id: &str, minutes_ago: i64) {
    let record = HostRecord {
        host_id: host_id.into(),
        email: Some(format!("{host_id}@example.com")),
        ..Default::default()
    }
    .normalized();
    store
        .put_export_record(ws.id, &record, Utc::now() - Duration::minutes(minutes_ago))
        .await
        .unwrap();
}

/// `acme` with an export whose records stand everywhere: exported, failing, rejected,
/// removed and waiting; `plain` without an export.
async fn seed(dir: &Path) {
    let (key, _) = SecretKey::load_or_create(None, &dir.join("data/secret.key")).unwrap();
    let url = format!("sqlite://{}", dir.join("data/icsync.db").display());
    let store = Store::connect(&url).await.unwrap().with_secret_key(&key);
    let ws = store
        .create_workspace(&NewWorkspace {
            region: Region::Us,
            ..NewWorkspace::new("acme")
        })
        .await
        .unwrap();
    store
        .create_workspace(&NewWorkspace::new("plain"))
        .await
        .unwrap();
    let settings = ExportSettings {
        enabled: true,
        sync_mode: SyncMode::Additive,
        creation_mode: CreationMode::Lifecycle,
        removal_mode: RemovalMode::Delete,
        mapping: vec![
            FieldMapping {
                property: "full_name".into(),
                target: AttributeTarget::Standard {
                    attribute: StandardAttribute::Name,
                },
            },
            FieldMapping {
                property: "seats".into(),
                target: AttributeTarget::Data {
                    name: "host_seats".into(),
                    data_type: DataType::Integer,
                },
            },
        ],
    };
    store
        .save_export_settings(ws.id, &settings, Utc::now())
        .await
        .unwrap();
    for id in ["h-ok", "h-fail", "h-bad", "h-gone"] {
        put(&store, &ws, id, 5).await;
    }
    store
        .remove_export_record(ws.id, "h-gone", Utc::now())
        .await
        .unwrap()
        .unwrap();
    let now = Utc::now();
    let claimed = store
        .claim_exports(&ClaimRequest {
            workspace: ws.id,
            now,
            due_before: None,
            not_attempted_since: now,
            limit: 10,
            lease: Duration::seconds(60),
        })
        .await
        .unwrap();
    assert_eq!(claimed.len(), 4);
    let outcomes: Vec<ExportOutcome> = claimed
        .into_iter()
        .map(|record| {
            let result = match record.record.host_id.as_str() {
                "h-ok" => ExportResult::Exported { note: None },
                "h-fail" => ExportResult::Failed {
                    error: "Intercom answered 503 Service Unavailable".into(),
                    retry_at: now + Duration::minutes(10),
                    uncertain: false,
                },
                "h-bad" => ExportResult::Rejected {
                    reason: "Intercom refused the record: email is invalid".into(),
                },
                _ => ExportResult::Removed { note: None },
            };
            ExportOutcome {
                record,
                at: now,
                result,
                contact: ContactLink::default(),
            }
        })
        .collect();
    store.record_export_outcomes(&outcomes).await.unwrap();
    put(&store, &ws, "h-wait", 90).await;
    store.close().await;
}

#[test]
fn export_status_prints_settings_figures_and_failures_and_refuses_what_it_cannot_show() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = icsync(dir.path(), &["migrate"]);
    assert_eq!(code, 0, "{err}");
    rt.block_on(seed(dir.path()));

    let (code, out, err) = icsync(dir.path(), &["export", "status", "--workspace", "acme"]);
    assert_eq!(code, 0, "{err}");
    for text in [
        "workspace:      acme",
        "enabled:        yes",
        "sync mode:      additive",
        "creation mode:  lifecycle",
        "removal mode:   delete",
        "mapping:        full_name -> standard attribute name",
        "                seats -> data attribute host_seats (integer)",
        "records:        5",
        "pending:        2 (1 failing, 0 in flight)",
        "exported:       1",
        "removed:        1",
        "rejected:       1",
        "skipped:        0",
        "(1h 30m ago)",
        "failures (2, most attempts first):",
        "h-fail failed (1 failed attempt, last tried 20",
        "Intercom answered 503 Service Unavailable; next attempt 20",
        "h-bad rejected (last tried 20",
        "email is invalid; not retried until the host changes the record",
    ] {
        assert!(out.contains(text), "{text:?} in\n{out}");
    }
    assert!(
        out.contains("state:          waiting: ") && out.contains("access token"),
        "a workspace without a token says why nothing is sent:\n{out}"
    );

    let (code, out, err) = icsync(
        dir.path(),
        &["export", "status", "--workspace", "acme", "--json"],
    );
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(json["workspace"], "acme");
    assert_eq!(json["configured"], true);
    assert_eq!(json["settings"]["sync_mode"], "additive");
    assert_eq!(json["settings"]["mapping"][1]["type"], "integer");
    assert_eq!(
        (
            json["records"].as_u64(),
            json["pending"].as_u64(),
            json["failing"].as_u64(),
            json["exported"].as_u64(),
            json["removed"].as_u64(),
            json["rejected"].as_u64()
        ),
        (Some(5), Some(2), Some(1), Some(1), Some(1), Some(1))
    );
    assert_eq!(json["blocked"], "no_access_token");
    let failures = json["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 2, "{json:#}");
    assert!(
        failures
            .iter()
            .any(|f| f["host_id"] == "h-fail" && f["status"] == "failed")
    );

    let (code, out, err) = icsync(dir.path(), &["export", "status", "--workspace", "nope"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("no workspace named \"nope\"") && err.contains("acme, plain"),
        "{err}"
    );
    let (code, out, err) = icsync(dir.path(), &["export", "status", "--workspace", "plain"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("\"plain\" has no export configured")
            && err.contains("PUT /v1/workspaces/plain/export"),
        "{err}"
    );
    assert!(out.is_empty(), "{out}");
}
