//! Export end to end against the simulator, one test per sync × creation × removal mode, on a
//! fixture of new, changed, unchanged and removed records: a lead promoted to a user, a user
//! that cannot become a lead (reported), an archived contact matched by email (unarchived,
//! not duplicated), and a tag a person applied that survives a removal.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

mod export_support;
mod support;

use export_support::{
    contact, exporter, import_contact, only_contact, record, role, settings, sim_contact,
};
use icsync_domain::{CreationMode, HostRecord, RemovalMode, SyncMode};
use icsync_store::ExportStatus;
use icsync_writeback::export::ExportDrainOptions;
use support::{client, count, sim, store, workspace};

struct Fixture {
    new_user: HostRecord,
    new_lead: HostRecord,
    promote: HostRecord,
    keep_user: HostRecord,
    archived: HostRecord,
    gone: HostRecord,
}

fn fixture(creation: CreationMode) -> Fixture {
    // User mode needs an external id on every record.
    let ext = |id: &'static str| -> Option<&'static str> {
        (creation == CreationMode::User).then_some(id)
    };
    Fixture {
        new_user: record("new-user", "new@x.test", Some("u-new"), "pro", &["Beta"]),
        new_lead: record(
            "new-lead",
            "newlead@x.test",
            ext("u-newlead"),
            "free",
            &["Beta"],
        ),
        promote: record(
            "promote",
            "lead@x.test",
            Some("u-promote"),
            "pro",
            &["Beta"],
        ),
        keep_user: record("keep-user", "USER@x.test ", ext("u-user"), "pro", &["Beta"]),
        archived: record("archived", "arch@x.test", Some("u-arch"), "pro", &["Beta"]),
        gone: record("gone", "gone@x.test", Some("u-gone"), "pro", &["beta "]),
    }
}

async fn check(sync: SyncMode, creation: CreationMode, removal: RemovalMode) {
    let sim = sim(0, 0).await;
    let client = client(&sim);
    let store = store().await;
    let ws = workspace(&store, sim.base_url(), sim.token()).await;
    // Intercom before the export: a lead and a user the store imported, an archived user
    // the store does not know, and a user a person tagged VIP.
    let lead_id = sim_contact(&sim, true, "lead@x.test", None);
    import_contact(&store, ws.id, &lead_id, "lead@x.test", None, true).await;
    let user_id = sim_contact(&sim, false, "user@x.test", Some("u-user"));
    import_contact(
        &store,
        ws.id,
        &user_id,
        "user@x.test",
        Some("u-user"),
        false,
    )
    .await;
    let arch_id = sim_contact(&sim, false, "arch@x.test", Some("u-arch"));
    sim.archive_contact(&arch_id).unwrap();
    let gone_id = sim_contact(&sim, false, "gone@x.test", Some("u-gone"));
    import_contact(
        &store,
        ws.id,
        &gone_id,
        "gone@x.test",
        Some("u-gone"),
        false,
    )
    .await;
    sim.tag_contact(&gone_id, "Picked by Ana").unwrap();

    let exporter = exporter(&store);
    exporter
        .configure(ws.id, &settings(sync, creation, removal))
        .await
        .unwrap();
    let f = fixture(creation);
    let all = vec![
        f.new_user.clone(),
        f.new_lead.clone(),
        f.promote.clone(),
        f.keep_user.clone(),
        f.archived.clone(),
        f.gone.clone(),
    ];
    exporter.put_batch(ws.id, all).await.unwrap();
    let options = ExportDrainOptions::default();

    // Round 1: everything is new to the export.
    let summary = exporter.drain_once(&ws, &client, &options).await.unwrap();
    assert!(
        summary.unreachable.is_none() && summary.config_error.is_none(),
        "{summary:?}"
    );
    let enrich = sync == SyncMode::Enrich;
    for email in ["lead@x.test", "user@x.test", "arch@x.test", "gone@x.test"] {
        only_contact(&sim, email); // never a duplicate
    }
    if enrich {
        for host_id in ["new-user", "new-lead", "archived"] {
            let stored = exporter.record(ws.id, host_id).await.unwrap().unwrap();
            assert_eq!(
                stored.status,
                ExportStatus::Skipped,
                "{host_id}: {stored:?}"
            );
            assert!(stored.last_error.unwrap().contains("enrich mode"));
        }
        assert!(
            sim.contact_ids_by_email("new@x.test").is_empty(),
            "enrich never creates"
        );
        assert_eq!(sim.contact_state(&arch_id), Some("archived"));
    } else {
        let new_user = only_contact(&sim, "new@x.test");
        let new_lead = only_contact(&sim, "newlead@x.test");
        let expected = match creation {
            CreationMode::User => ("user", "user"),
            CreationMode::Lead => ("lead", "lead"),
            CreationMode::Lifecycle => ("user", "lead"),
        };
        assert_eq!(
            (
                role(&sim, &new_user).as_str(),
                role(&sim, &new_lead).as_str()
            ),
            expected
        );
        assert_eq!(contact(&sim, &new_user)["name"], "Name of new-user");
        assert_eq!(
            contact(&sim, &new_user)["custom_attributes"]["host_plan"],
            "pro"
        );
        assert_eq!(
            contact(&sim, &new_user)["custom_attributes"]["host_seats"],
            3
        );
        assert_eq!(sim.contact_tag_names(&new_user).unwrap(), vec!["Beta"]);
        // The archived contact matched by email: unarchived and updated, not duplicated.
        assert_eq!(sim.contact_state(&arch_id), Some("live"));
        assert_eq!(contact(&sim, &arch_id)["name"], "Name of archived");
        assert_eq!(sim.contact_tag_names(&arch_id).unwrap(), vec!["Beta"]);
    }
    // The stored lead: promoted when the record should be a user, never duplicated.
    let promoted = match creation {
        CreationMode::Lead => "lead",
        CreationMode::User | CreationMode::Lifecycle => "user",
    };
    assert_eq!(role(&sim, &lead_id), promoted);
    assert_eq!(contact(&sim, &lead_id)["external_id"], "u-promote");
    // The stored user the record wants as a lead: updated, kept a user, reported.
    assert_eq!(role(&sim, &user_id), "user");
    assert_eq!(contact(&sim, &user_id)["name"], "Name of keep-user");
    let keep = exporter.record(ws.id, "keep-user").await.unwrap().unwrap();
    assert_eq!(keep.status, ExportStatus::Exported);
    if creation == CreationMode::User {
        assert_eq!(keep.note, None);
    } else {
        let note = keep
            .note
            .expect("a user that cannot become a lead is reported");
        assert!(note.contains("cannot turn a user into a lead"), "{note}");
        assert!(
            summary.notes.iter().any(|(id, _)| id == "keep-user"),
            "{summary:?}"
        );
    }
    assert_eq!(
        sim.contact_tag_names(&gone_id).unwrap(),
        vec!["Beta", "Picked by Ana"],
        "the group became a tag beside the person's"
    );

    // Round 2: one record changed, one unchanged, one removed.
    sim.clear_journal();
    let mut changed = f.new_user.clone();
    changed
        .properties
        .insert("plan".into(), serde_json::json!("enterprise"));
    exporter.put(ws.id, changed).await.unwrap();
    let unchanged = exporter.put(ws.id, f.new_lead.clone()).await.unwrap();
    assert!(!unchanged.needs_push, "an unchanged record does not wait");
    exporter.remove(ws.id, "gone").await.unwrap();
    let summary = exporter.drain_once(&ws, &client, &options).await.unwrap();
    assert!(summary.unreachable.is_none(), "{summary:?}");
    let journal = sim.journal(0);
    if enrich {
        // Still unknown to Intercom: looked for again (the record changed), not created.
        assert_eq!(
            count(&journal, "POST", "/contacts/search"),
            1,
            "{journal:?}"
        );
        assert_eq!(count(&journal, "POST", "/contacts"), 1, "only the search");
    } else {
        let new_user = only_contact(&sim, "new@x.test");
        assert_eq!(
            count(&journal, "PUT", &format!("/contacts/{new_user}")),
            1,
            "a changed property is one update"
        );
        assert_eq!(
            contact(&sim, &new_user)["custom_attributes"]["host_plan"],
            "enterprise"
        );
    }
    let removal_requests = match (sync, removal) {
        (SyncMode::Sync, RemovalMode::Archive) => {
            assert_eq!(sim.contact_state(&gone_id), Some("archived"));
            assert_eq!(
                sim.contact_tag_names(&gone_id).unwrap(),
                vec!["Picked by Ana"],
                "only the export's tag is taken off; the person's survives"
            );
            assert_eq!(
                count(&journal, "DELETE", &format!("/contacts/{gone_id}/tags/")),
                1
            );
            assert_eq!(
                count(&journal, "POST", &format!("/contacts/{gone_id}/archive")),
                1
            );
            2
        }
        (SyncMode::Sync, RemovalMode::Delete) => {
            assert_eq!(sim.contact_state(&gone_id), Some("deleted"));
            assert_eq!(
                count(&journal, "DELETE", &format!("/contacts/{gone_id}")),
                1
            );
            1
        }
        _ => {
            assert_eq!(sim.contact_state(&gone_id), Some("live"), "never removed");
            assert_eq!(
                sim.contact_tag_names(&gone_id).unwrap(),
                vec!["Beta", "Picked by Ana"]
            );
            0
        }
    };
    assert_eq!(
        journal.len(),
        1 + removal_requests,
        "one request for the change, the removal's, none for the unchanged record: {journal:?}"
    );
    let gone = exporter.record(ws.id, "gone").await.unwrap().unwrap();
    assert_eq!(
        (gone.status, gone.needs_push),
        (ExportStatus::Removed, false)
    );

    // Round 3: nothing changed since the last successful export: nothing is sent.
    sim.clear_journal();
    exporter.put(ws.id, f.promote.clone()).await.unwrap();
    let summary = exporter.drain_once(&ws, &client, &options).await.unwrap();
    assert_eq!((summary.exported, summary.removed), (0, 0));
    assert!(sim.journal(0).is_empty(), "{:?}", sim.journal(0));

    let status = exporter.status(&ws).await.unwrap();
    assert_eq!(status.records, 6);
    assert_eq!(status.pending, 0);
    assert_eq!(status.removed, 1);
    if enrich {
        assert_eq!((status.exported, status.skipped), (2, 3));
    } else {
        assert_eq!((status.exported, status.skipped), (5, 0));
    }

    // Round 4 (archive): the record comes back: unarchived, updated, tagged again.
    if (sync, removal) == (SyncMode::Sync, RemovalMode::Archive) {
        exporter.put(ws.id, f.gone.clone()).await.unwrap();
        exporter.drain_once(&ws, &client, &options).await.unwrap();
        assert_eq!(sim.contact_state(&gone_id), Some("live"));
        assert_eq!(only_contact(&sim, "gone@x.test"), gone_id);
        assert_eq!(
            sim.contact_tag_names(&gone_id).unwrap(),
            vec!["Beta", "Picked by Ana"]
        );
    }
    sim.shutdown().await;
}

macro_rules! modes {
    ($($name:ident: $sync:ident $creation:ident $removal:ident;)+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                check(SyncMode::$sync, CreationMode::$creation, RemovalMode::$removal).await;
            }
        )+
    };
}

modes! {
    sync_user_archive: Sync User Archive;
    sync_user_delete: Sync User Delete;
    sync_lead_archive: Sync Lead Archive;
    sync_lead_delete: Sync Lead Delete;
    sync_lifecycle_archive: Sync Lifecycle Archive;
    sync_lifecycle_delete: Sync Lifecycle Delete;
    additive_user_archive: Additive User Archive;
    additive_user_delete: Additive User Delete;
    additive_lead_archive: Additive Lead Archive;
    additive_lead_delete: Additive Lead Delete;
    additive_lifecycle_archive: Additive Lifecycle Archive;
    additive_lifecycle_delete: Additive Lifecycle Delete;
    enrich_user_archive: Enrich User Archive;
    enrich_user_delete: Enrich User Delete;
    enrich_lead_archive: Enrich Lead Archive;
    enrich_lead_delete: Enrich Lead Delete;
    enrich_lifecycle_archive: Enrich Lifecycle Archive;
    enrich_lifecycle_delete: Enrich Lifecycle Delete;
}
