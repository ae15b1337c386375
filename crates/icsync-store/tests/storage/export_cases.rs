//! Storage cases for export: desired records (versioned, coalesced, pending only while they
//! differ from the last successful export), claims and outcomes, settings, the tag cache and
//! the status figures.

use crate::cases::workspace;
use crate::support::TestDb;
use chrono::{DateTime, Duration, Utc};
use icsync_domain::*;
use icsync_store::{
    ClaimRequest, ContactLink, ExportOutcome, ExportResult, ExportStatus, ManagedTag,
    StoredExportRecord,
};
use serde_json::json;

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_000_000 + secs, 0).unwrap()
}

fn claim(ws: WorkspaceId, now: DateTime<Utc>) -> ClaimRequest {
    ClaimRequest {
        workspace: ws,
        now,
        due_before: Some(now),
        not_attempted_since: now,
        limit: 100,
        lease: Duration::seconds(60),
    }
}

fn settings() -> ExportSettings {
    ExportSettings {
        enabled: true,
        mapping: vec![FieldMapping {
            property: "plan".into(),
            target: AttributeTarget::Data {
                name: "host_plan".into(),
                data_type: DataType::String,
            },
        }],
        ..ExportSettings::default()
    }
}

fn record(host_id: &str, plan: &str) -> HostRecord {
    HostRecord {
        host_id: host_id.into(),
        email: Some(format!("{host_id}@example.com")),
        external_id: None,
        properties: [("plan".to_owned(), json!(plan))].into_iter().collect(),
        groups: vec!["Beta".into()],
    }
    .normalized()
}

fn linked() -> ContactLink {
    ContactLink {
        intercom_id: Some("667d60a88a68186f43bafdb8".into()),
        intercom_role: Some("lead".into()),
        archived: false,
        managed_tags: vec![ManagedTag {
            id: "7100001".into(),
            name: "Beta".into(),
        }],
    }
}

fn outcome(record: StoredExportRecord, at: DateTime<Utc>, result: ExportResult) -> ExportOutcome {
    ExportOutcome {
        record,
        at,
        result,
        contact: linked(),
    }
}

/// Rows in every export table (for the workspace-deletion case).
pub(crate) async fn populate_export(db: &TestDb, ws: WorkspaceId) {
    db.store
        .save_export_settings(ws, &settings(), t(0))
        .await
        .unwrap();
    db.store
        .put_export_record(ws, &record("h1", "pro"), t(0))
        .await
        .unwrap();
    db.store
        .save_export_tag(
            ws,
            "beta",
            &ManagedTag {
                id: "1".into(),
                name: "Beta".into(),
            },
            t(0),
        )
        .await
        .unwrap();
}

pub async fn export_records_wait_only_while_they_differ_from_the_last_successful_export(
    db: &TestDb,
) {
    let ws = workspace(db).await;
    let store = &db.store;
    let first = store
        .put_export_record(ws, &record("h1", "pro"), t(0))
        .await
        .unwrap();
    assert!(first.changed && first.record.needs_push);
    assert_eq!(first.record.version, 1);
    assert_eq!(first.record.status, ExportStatus::New);
    assert_eq!(first.record.pending_since, Some(t(0)));
    let again = store
        .put_export_record(ws, &record("h1", "pro"), t(5))
        .await
        .unwrap();
    assert!(!again.changed, "the same desired state changes nothing");
    assert_eq!(again.record.version, 1);
    // Exported: no longer pending.
    let claimed = store.claim_exports(&claim(ws, t(10))).await.unwrap();
    assert_eq!(claimed.len(), 1);
    store
        .record_export_outcomes(&[outcome(
            claimed[0].clone(),
            t(11),
            ExportResult::Exported { note: None },
        )])
        .await
        .unwrap();
    let exported = store.export_record(ws, "h1").await.unwrap().unwrap();
    assert!(!exported.needs_push);
    assert_eq!(exported.status, ExportStatus::Exported);
    assert_eq!(
        exported.exported_hash.as_deref(),
        Some(exported.desired_hash.as_str())
    );
    assert_eq!(
        exported.intercom_id.as_deref(),
        Some("667d60a88a68186f43bafdb8")
    );
    assert_eq!(exported.managed_tags, linked().managed_tags);
    // A change waits; changing it back to what was exported does not.
    let changed = store
        .put_export_record(ws, &record("h1", "enterprise"), t(20))
        .await
        .unwrap();
    assert!(changed.record.needs_push);
    assert_eq!(changed.record.version, 2);
    let back = store
        .put_export_record(ws, &record("h1", "pro"), t(21))
        .await
        .unwrap();
    assert!(back.changed && !back.record.needs_push);
    assert_eq!(back.record.version, 3);
    // Removal keeps the record (its ids find the contact) and waits.
    let removed = store
        .remove_export_record(ws, "h1", t(30))
        .await
        .unwrap()
        .unwrap();
    assert!(removed.record.removed && removed.record.needs_push);
    assert_eq!(
        removed.record.record.email.as_deref(),
        Some("h1@example.com")
    );
    assert!(
        store
            .remove_export_record(ws, "unknown", t(30))
            .await
            .unwrap()
            .is_none()
    );
    // A put while an export is in flight stays pending whatever it holds.
    let claimed = store.claim_exports(&claim(ws, t(40))).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let during = store
        .put_export_record(ws, &record("h1", "pro"), t(41))
        .await
        .unwrap();
    assert!(
        during.record.needs_push,
        "the claim's export may change Intercom"
    );
    store
        .record_export_outcomes(&[outcome(
            claimed[0].clone(),
            t(42),
            ExportResult::Removed { note: None },
        )])
        .await
        .unwrap();
    let after = store.export_record(ws, "h1").await.unwrap().unwrap();
    assert!(
        after.needs_push,
        "the host changed it while the removal was in flight"
    );
    assert!(!after.removed);
}

pub async fn export_outcomes_move_the_baseline_only_on_success_and_keep_what_was_learnt(
    db: &TestDb,
) {
    let ws = workspace(db).await;
    let store = &db.store;
    store
        .put_export_record(ws, &record("h1", "pro"), t(0))
        .await
        .unwrap();
    let claimed = store.claim_exports(&claim(ws, t(1))).await.unwrap();
    store
        .record_export_outcomes(&[outcome(
            claimed[0].clone(),
            t(2),
            ExportResult::Failed {
                error: "intercom answered HTTP 502".into(),
                retry_at: t(100),
                uncertain: true,
            },
        )])
        .await
        .unwrap();
    let failed = store.export_record(ws, "h1").await.unwrap().unwrap();
    assert!(failed.needs_push && failed.exported_hash.is_none());
    assert_eq!((failed.status, failed.attempts), (ExportStatus::Failed, 1));
    assert_eq!(failed.next_attempt_at, Some(t(100)));
    assert_eq!(
        failed.last_error.as_deref(),
        Some("intercom answered HTTP 502")
    );
    assert_eq!(
        failed.intercom_id.as_deref(),
        Some("667d60a88a68186f43bafdb8"),
        "a contact the failed attempt created is remembered"
    );
    assert!(
        store
            .claim_exports(&claim(ws, t(50)))
            .await
            .unwrap()
            .is_empty(),
        "not before its retry time"
    );
    // Rejected: settled until the host changes the record.
    let claimed = store.claim_exports(&claim(ws, t(100))).await.unwrap();
    assert_eq!(claimed.len(), 1);
    store
        .record_export_outcomes(&[outcome(
            claimed[0].clone(),
            t(101),
            ExportResult::Rejected {
                reason: "Intercom refused the record".into(),
            },
        )])
        .await
        .unwrap();
    let rejected = store.export_record(ws, "h1").await.unwrap().unwrap();
    assert!(!rejected.needs_push);
    assert_eq!(
        (rejected.status, rejected.attempts),
        (ExportStatus::Rejected, 0)
    );
    // A lost claim (taken by another exporter) never moves the baseline.
    store
        .put_export_record(ws, &record("h1", "team"), t(200))
        .await
        .unwrap();
    let first = store.claim_exports(&claim(ws, t(201))).await.unwrap();
    let second = store.claim_exports(&claim(ws, t(300))).await.unwrap();
    assert_eq!(second.len(), 1, "the first claim expired");
    store
        .record_export_outcomes(&[outcome(
            first[0].clone(),
            t(301),
            ExportResult::Exported { note: None },
        )])
        .await
        .unwrap();
    let lost = store.export_record(ws, "h1").await.unwrap().unwrap();
    assert!(lost.needs_push && lost.exported_hash.is_none());
    // Tags noted under the claim are kept only while it holds.
    let tags = vec![ManagedTag {
        id: "9".into(),
        name: "Gamma".into(),
    }];
    let noted = ContactLink {
        managed_tags: tags.clone(),
        ..linked()
    };
    assert!(!store.note_export_link(&first[0], &noted).await.unwrap());
    assert!(store.note_export_link(&second[0], &noted).await.unwrap());
    let stored = store.export_record(ws, "h1").await.unwrap().unwrap();
    assert_eq!(stored.managed_tags, tags);
    assert_eq!(stored.intercom_id, linked().intercom_id);
}

pub async fn an_expired_export_claim_erases_the_baseline_and_settings_changes_requeue(db: &TestDb) {
    let ws = workspace(db).await;
    let store = &db.store;
    assert!(store.export_state(ws).await.unwrap().is_none());
    let (state, requeued) = store
        .save_export_settings(ws, &settings(), t(0))
        .await
        .unwrap();
    assert_eq!((state.settings.clone(), requeued), (settings(), 0));
    for host_id in ["h1", "h2"] {
        store
            .put_export_record(ws, &record(host_id, "pro"), t(0))
            .await
            .unwrap();
    }
    let claimed = store.claim_exports(&claim(ws, t(1))).await.unwrap();
    let done: Vec<_> = claimed
        .iter()
        .map(|r| outcome(r.clone(), t(2), ExportResult::Exported { note: None }))
        .collect();
    store.record_export_outcomes(&done).await.unwrap();
    // h1 changes and its exporter dies mid-attempt; the host then puts back the exported state.
    store
        .put_export_record(ws, &record("h1", "team"), t(10))
        .await
        .unwrap();
    assert_eq!(
        store.claim_exports(&claim(ws, t(11))).await.unwrap().len(),
        1
    );
    let back = store
        .put_export_record(ws, &record("h1", "pro"), t(12))
        .await
        .unwrap();
    assert!(back.record.needs_push, "claimed: still pending");
    let reclaimed = store.claim_exports(&claim(ws, t(200))).await.unwrap();
    assert_eq!(reclaimed.len(), 1);
    assert!(
        reclaimed[0].exported_hash.is_none(),
        "the dead attempt may have changed Intercom: no baseline"
    );
    // Enabling changes nothing; a mapping change queues every record again.
    let enabled_only = ExportSettings {
        enabled: false,
        ..settings()
    };
    let (_, requeued) = store
        .save_export_settings(ws, &enabled_only, t(300))
        .await
        .unwrap();
    assert_eq!(requeued, 0);
    let mut remapped = settings();
    remapped.mapping[0].target = AttributeTarget::Data {
        name: "host_tier".into(),
        data_type: DataType::String,
    };
    let (state, requeued) = store
        .save_export_settings(ws, &remapped, t(301))
        .await
        .unwrap();
    assert_eq!(requeued, 2);
    assert_eq!(state.settings.mapping, remapped.mapping);
    let h2 = store.export_record(ws, "h2").await.unwrap().unwrap();
    assert!(h2.needs_push && h2.exported_hash.is_none());
    // Provisioning state is kept beside the settings.
    store
        .save_export_provisioning(
            ws,
            &icsync_store::ExportProvisioning {
                provisioned_hash: Some("abc".into()),
                provisioned_at: Some(t(302)),
                attributes_created: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let state = store.export_state(ws).await.unwrap().unwrap();
    assert_eq!(state.provisioned_hash.as_deref(), Some("abc"));
    assert_eq!(state.attributes_created, 1);
    // The tag cache: first save wins unless Intercom answers another id.
    let beta = ManagedTag {
        id: "1".into(),
        name: "Beta".into(),
    };
    store
        .save_export_tag(ws, "beta", &beta, t(0))
        .await
        .unwrap();
    store
        .save_export_tag(ws, "beta", &beta, t(1))
        .await
        .unwrap();
    let renewed = ManagedTag {
        id: "2".into(),
        name: "Beta".into(),
    };
    store
        .save_export_tag(ws, "beta", &renewed, t(2))
        .await
        .unwrap();
    assert_eq!(store.export_tags(ws).await.unwrap()["beta"], renewed);
    store.forget_export_tag(ws, "beta").await.unwrap();
    assert!(store.export_tags(ws).await.unwrap().is_empty());
}

pub async fn export_status_counts_and_versions(db: &TestDb) {
    let ws = workspace(db).await;
    let store = &db.store;
    for host_id in ["a", "b", "c", "d"] {
        store
            .put_export_record(ws, &record(host_id, "pro"), t(0))
            .await
            .unwrap();
    }
    let claimed = store.claim_exports(&claim(ws, t(1))).await.unwrap();
    let results = [
        ExportResult::Exported { note: None },
        ExportResult::Skipped {
            reason: "no such contact".into(),
        },
        ExportResult::Failed {
            error: "timeout".into(),
            retry_at: t(500),
            uncertain: true,
        },
        ExportResult::Exported { note: None },
    ];
    let outcomes: Vec<_> = claimed
        .iter()
        .zip(results)
        .map(|(r, result)| outcome(r.clone(), t(2), result))
        .collect();
    store.record_export_outcomes(&outcomes).await.unwrap();
    store.remove_export_record(ws, "d", t(3)).await.unwrap();
    let counts = store.export_counts(ws, t(4), 10).await.unwrap();
    assert_eq!(counts.records, 4);
    assert_eq!((counts.pending, counts.failing), (2, 1));
    assert_eq!((counts.exported, counts.skipped, counts.removed), (1, 1, 0));
    assert_eq!(counts.oldest_pending_since, Some(t(0)));
    let problems: Vec<(&str, ExportStatus)> = counts
        .problems
        .iter()
        .map(|p| (p.host_id.as_str(), p.status))
        .collect();
    assert_eq!(
        problems,
        vec![("c", ExportStatus::Failed), ("b", ExportStatus::Skipped)]
    );
    let versions = store
        .export_versions(ws, &["d".into(), "a".into(), "zz".into()])
        .await
        .unwrap();
    let seen: Vec<(&str, i64, bool)> = versions
        .iter()
        .map(|v| (v.host_id.as_str(), v.version, v.removed))
        .collect();
    assert_eq!(seen, vec![("a", 1, false), ("d", 2, true)]);
    assert_eq!(
        store
            .export_records(ws, 0, 10, true)
            .await
            .unwrap()
            .iter()
            .map(|r| r.record.host_id.as_str())
            .collect::<Vec<_>>(),
        vec!["c", "d"]
    );
}
