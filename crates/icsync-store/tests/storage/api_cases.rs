//! Cases for what the HTTP API reads and writes: API keys, lookups by every key, the sessions
//! feed, run progress and totals, activity windows, and deleting a workspace with its data.

use crate::fixtures::*;
use crate::support::TestDb;
use icsync_domain::*;
use icsync_store::{CompanyLookup, ContactLookup, ContactMark, IngestBatch, NewApiKey, StoreError};
use secrecy::SecretString;

async fn workspace(db: &TestDb, name: &str) -> WorkspaceId {
    db.store
        .create_workspace(&NewWorkspace {
            access_token: Some(SecretString::from("dG9rOnNlY3JldA==")),
            ..NewWorkspace::new(name)
        })
        .await
        .unwrap()
        .id
}

/// Contacts 0..6 (1 and 2 share an email), two companies, events, a conversation, sessions.
async fn populate(db: &TestDb, ws: WorkspaceId) {
    let mut people = contacts(0..6);
    people[2].email = Some("USER1@example.com".into());
    let companies = vec![company(0), company(1)];
    let associations: Vec<(ContactId, CompanyId)> =
        (0..6).map(|n| (contact_id(n), company(n % 2).id)).collect();
    let events: Vec<Event> = (0..6)
        .flat_map(|c| (0..3).map(move |n| event(c, n)))
        .collect();
    let conversations = vec![conversation(1, &[1, 2], 2)];
    let parts = vec![part(&conversations[0], 0)];
    let seen: Vec<(ContactId, chrono::DateTime<chrono::Utc>)> = (0..6)
        .map(|n| (contact_id(n), t(20_000 + n as i64)))
        .collect();
    db.store
        .write_batch(
            ws,
            IngestBatch {
                contacts: &people,
                companies: &companies,
                associations: &associations,
                events: &events,
                conversations: &conversations,
                parts: &parts,
                seen: &seen,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for n in 0..6 {
        let session = Session {
            contact_id: contact_id(n),
            started_at: t(10_000 + n as i64 * 100),
            ended_at: t(10_050 + n as i64 * 100),
            event_count: 3,
        };
        db.store
            .replace_sessions(ws, &contact_id(n), t(0), &[session])
            .await
            .unwrap();
    }
    db.store
        .set_cs_attributes(
            ws,
            &CsSubject::Company(company(0).id.to_string()),
            &CsPatch {
                stage: Some(Some("adoption".into())),
                ..Default::default()
            },
            &TriggerSet::default(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    db.store
        .save_writeback_state(ws, &icsync_store::WritebackState::default())
        .await
        .unwrap();
    let now = chrono::Utc::now();
    assert!(
        db.store
            .acquire_lease(ws, "instance-a", now, now + chrono::Duration::seconds(30))
            .await
            .unwrap()
    );
    crate::export_cases::populate_export(db, ws).await;
    let run = db
        .store
        .start_run(ws, &StreamName::new("users"))
        .await
        .unwrap();
    db.store
        .finish_run(run, RunStatus::Succeeded, &SyncRunStats::default(), None)
        .await
        .unwrap();
}

pub async fn api_keys_are_found_by_their_id_and_revoked_once(db: &TestDb) {
    let new = NewApiKey {
        key_id: "0123456789abcdef".into(),
        name: "ops".into(),
        scope: "admin".into(),
        key_hash: "ab".repeat(32),
    };
    let stored = db.store.insert_api_key(&new).await.unwrap();
    let found = db
        .store
        .api_key_by_key_id("0123456789abcdef")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.id, found.scope.as_str(), found.revoked_at),
        (stored.id, "admin", None)
    );
    assert!(
        db.store
            .api_key_by_key_id("ffffffffffffffff")
            .await
            .unwrap()
            .is_none()
    );
    let duplicate = db.store.insert_api_key(&new).await;
    assert!(
        matches!(duplicate, Err(StoreError::Database(_))),
        "{duplicate:?}"
    );
    assert!(db.store.revoke_api_key(stored.id).await.unwrap());
    assert!(
        !db.store.revoke_api_key(stored.id).await.unwrap(),
        "revoked once"
    );
    let keys = db.store.api_keys().await.unwrap();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].revoked_at.is_some());
}

pub async fn contacts_and_companies_are_found_by_every_key(db: &TestDb) {
    let ws = workspace(db, "acme").await;
    let other = workspace(db, "other").await;
    populate(db, ws).await;
    populate(db, other).await;
    let by_intercom = db
        .store
        .find_contacts(ws, ContactLookup::IntercomId(contact_id(4).as_str()))
        .await
        .unwrap();
    assert_eq!(by_intercom.len(), 1);
    let row = by_intercom[0].icsync_id;
    let by_row = db
        .store
        .find_contacts(ws, ContactLookup::IcsyncId(row))
        .await
        .unwrap();
    assert_eq!(by_row[0].contact.contact.id, contact_id(4));
    assert!(
        db.store
            .find_contacts(other, ContactLookup::IcsyncId(row))
            .await
            .unwrap()
            .is_empty(),
        "an id of another workspace finds nothing"
    );
    let by_external = db
        .store
        .find_contacts(ws, ContactLookup::ExternalId("ext-4"))
        .await
        .unwrap();
    assert_eq!(by_external[0].icsync_id, row);
    let shared = db
        .store
        .find_contacts(ws, ContactLookup::Email("  user1@EXAMPLE.com"))
        .await
        .unwrap();
    let ids: Vec<_> = shared
        .iter()
        .map(|c| c.contact.contact.id.clone())
        .collect();
    assert_eq!(ids, vec![contact_id(1), contact_id(2)]);
    assert!(
        db.store
            .find_contacts(ws, ContactLookup::Email("  "))
            .await
            .unwrap()
            .is_empty()
    );

    let by_id = db
        .store
        .find_company(ws, CompanyLookup::IntercomId(company(1).id.as_str()))
        .await
        .unwrap()
        .unwrap();
    let by_own = db
        .store
        .find_company(ws, CompanyLookup::CompanyId("acct-1"))
        .await
        .unwrap()
        .unwrap();
    let by_row = db
        .store
        .find_company(ws, CompanyLookup::IcsyncId(by_id.icsync_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (by_own.icsync_id, by_row.icsync_id),
        (by_id.icsync_id, by_id.icsync_id)
    );
    let (members, total) = db
        .store
        .company_contacts(ws, &company(1).id, 2)
        .await
        .unwrap();
    assert_eq!((members.len(), total), (2, 3));
    let ids = db
        .store
        .company_member_ids(ws, &company(1).id)
        .await
        .unwrap();
    assert_eq!(ids, vec![contact_id(1), contact_id(3), contact_id(5)]);
    let conversation = db
        .store
        .conversation(ws, &conversation(1, &[1], 0).id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        conversation.conversation.contact_ids,
        vec![contact_id(1), contact_id(2)]
    );
    assert_eq!(
        db.store.workspace_names(10).await.unwrap(),
        vec!["acme", "other"]
    );
}

pub async fn the_session_feed_follows_rebuilds_and_leaves_out_deleted_contacts(db: &TestDb) {
    let ws = workspace(db, "acme").await;
    populate(db, ws).await;
    let first = db.store.session_feed(ws, None, 4).await.unwrap();
    assert_eq!(first.sessions.len(), 4);
    let rest = db
        .store
        .session_feed(ws, first.next_cursor, 100)
        .await
        .unwrap();
    assert_eq!(rest.sessions.len(), 2);
    let cursor = rest.next_cursor;
    assert!(
        first
            .sessions
            .iter()
            .chain(&rest.sessions)
            .all(|s| s.replaced_from == Some(t(0)))
    );
    let rebuilt = Session {
        contact_id: contact_id(0),
        started_at: t(9_000),
        ended_at: t(10_100),
        event_count: 7,
    };
    db.store
        .replace_sessions(ws, &contact_id(0), t(9_000), std::slice::from_ref(&rebuilt))
        .await
        .unwrap();
    let after = db.store.session_feed(ws, cursor, 100).await.unwrap();
    assert_eq!(after.sessions.len(), 1);
    assert_eq!(after.sessions[0].session, rebuilt);
    assert_eq!(after.sessions[0].replaced_from, Some(t(9_000)));
    let empty = db
        .store
        .session_feed(ws, after.next_cursor, 100)
        .await
        .unwrap();
    assert!(empty.sessions.is_empty());
    assert_eq!(
        empty.next_cursor, after.next_cursor,
        "an empty page keeps the cursor"
    );
    let marks = [ContactMark::Deleted {
        contact: contact_id(3),
    }];
    db.store
        .write_batch(
            ws,
            IngestBatch {
                marks: &marks,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let all = db.store.session_feed(ws, None, 100).await.unwrap();
    assert_eq!(all.sessions.len(), 5);
    assert!(
        all.sessions
            .iter()
            .all(|s| s.session.contact_id != contact_id(3))
    );
}

pub async fn activity_windows_hold_what_touches_them(db: &TestDb) {
    let ws = workspace(db, "acme").await;
    populate(db, ws).await;
    let members = db
        .store
        .company_member_ids(ws, &company(0).id)
        .await
        .unwrap();
    let sessions = db
        .store
        .sessions_of_contacts_between(ws, &members, t(10_040), t(10_210))
        .await
        .unwrap();
    let starts: Vec<_> = sessions.iter().map(|s| s.started_at).collect();
    assert_eq!(
        starts,
        vec![t(10_000), t(10_200)],
        "a session ending inside counts"
    );
    let events = db
        .store
        .events_of_contacts_between(ws, &members, t(0), t(1_000_000))
        .await
        .unwrap();
    assert_eq!(events.len(), 9, "three contacts, three events each");
    assert!(
        events
            .windows(2)
            .all(|w| w[0].occurred_at <= w[1].occurred_at)
    );
}

pub async fn run_progress_latest_runs_and_totals(db: &TestDb) {
    let ws = workspace(db, "acme").await;
    let other = workspace(db, "other").await;
    let users = StreamName::new("users");
    let events = StreamName::new("events");
    assert!(
        !db.store
            .record_run_progress(ws, &users, None, 5, None)
            .await
            .unwrap()
    );
    let failed = db.store.start_run(ws, &users).await.unwrap();
    let stats = SyncRunStats {
        requests: 4,
        rate_limited: 1,
        records: 10,
        duration_ms: 900,
        ..Default::default()
    };
    db.store
        .finish_run(failed, RunStatus::Failed, &stats, Some("boom"))
        .await
        .unwrap();
    let running = db.store.start_run(ws, &users).await.unwrap();
    let done = db.store.start_run(ws, &events).await.unwrap();
    db.store
        .finish_run(done, RunStatus::Succeeded, &stats, None)
        .await
        .unwrap();
    let elsewhere = db.store.start_run(other, &users).await.unwrap();
    db.store
        .finish_run(elsewhere, RunStatus::Succeeded, &stats, None)
        .await
        .unwrap();

    assert!(
        db.store
            .record_run_progress(ws, &users, Some("backfill"), 120, Some(900))
            .await
            .unwrap()
    );
    let progress = db.store.running_progress(ws).await.unwrap();
    assert_eq!(progress.len(), 1);
    assert_eq!(
        (progress[0].run, progress[0].done, progress[0].estimate),
        (running, 120, Some(900))
    );
    assert_eq!(progress[0].kind.as_deref(), Some("backfill"));

    let latest = db.store.latest_runs(ws).await.unwrap();
    let ids: Vec<_> = latest
        .iter()
        .map(|r| (r.stream.as_str().to_owned(), r.id))
        .collect();
    assert_eq!(
        ids,
        vec![("events".to_owned(), done), ("users".to_owned(), running)]
    );
    let errors = db.store.latest_failed_runs(ws).await.unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].id, errors[0].error_message.as_deref()),
        (failed, Some("boom"))
    );

    let totals = db.store.run_totals().await.unwrap();
    let users_total = totals
        .iter()
        .find(|t| t.workspace == ws && t.stream == users)
        .unwrap();
    assert_eq!((users_total.runs, users_total.failed_runs), (2, 1));
    assert_eq!(
        (
            users_total.requests,
            users_total.rate_limited,
            users_total.records
        ),
        (4, 1, 10)
    );
    assert_eq!(users_total.duration_ms, 900);
    assert_eq!(totals.len(), 3);
    db.store
        .finish_run(running, RunStatus::Succeeded, &stats, None)
        .await
        .unwrap();
    assert!(
        !db.store
            .record_run_progress(ws, &users, None, 130, None)
            .await
            .unwrap(),
        "a finished run takes no more progress"
    );
    assert!(db.store.running_progress(ws).await.unwrap().is_empty());
}

pub async fn deleting_a_workspace_removes_its_rows_in_every_table_and_nothing_else(db: &TestDb) {
    let ws = workspace(db, "acme").await;
    let kept = workspace(db, "kept").await;
    populate(db, ws).await;
    populate(db, kept).await;
    db.store
        .insert_api_key(&NewApiKey {
            key_id: "00000000000000aa".into(),
            name: "ops".into(),
            scope: "admin".into(),
            key_hash: "cd".repeat(32),
        })
        .await
        .unwrap();
    let checkpoint = icsync_store::CheckpointUpdate {
        stream: StreamName::new("users"),
        watermark: None,
        cursor: None,
        status: RunStatus::Succeeded,
    };
    for id in [ws, kept] {
        db.store
            .write_batch(
                id,
                IngestBatch {
                    checkpoint: Some(&checkpoint),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    let before = counts(db, kept).await;
    let deleted = db.store.delete_workspace_and_data(ws).await.unwrap();
    assert_eq!(deleted["workspaces"], 1);
    assert_eq!(deleted["contacts"], 6);
    assert_eq!(deleted["sessions"], 6);
    for table in icsync_migrations::TABLES {
        if !icsync_store::INSTALLATION_TABLES.contains(table) {
            assert!(deleted[*table] > 0, "{table} had rows of the workspace");
        }
    }
    assert!(
        counts(db, ws).await.values().all(|n| *n == 0),
        "nothing of it is left"
    );
    assert_eq!(
        counts(db, kept).await,
        before,
        "the other workspace is untouched"
    );
    assert!(db.store.workspace(ws).await.unwrap().is_none());
    assert!(db.store.workspace(kept).await.unwrap().is_some());
    assert_eq!(db.store.api_keys().await.unwrap().len(), 1);
    let again = db.store.delete_workspace_and_data(ws).await;
    assert!(
        matches!(again, Err(StoreError::NotFound { .. })),
        "{again:?}"
    );
}

/// Rows of `ws` in every workspace table.
async fn counts(db: &TestDb, ws: WorkspaceId) -> std::collections::BTreeMap<String, i64> {
    let mut counts = std::collections::BTreeMap::new();
    for table in icsync_migrations::TABLES {
        if icsync_store::INSTALLATION_TABLES.contains(table) {
            continue;
        }
        let n: i64 = if db.url.starts_with("sqlite:") {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            let n = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {table} WHERE workspace_id = ?"
            )))
            .bind(ws.0)
            .fetch_one(&pool)
            .await
            .unwrap();
            pool.close().await;
            n
        } else {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            let n = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {table} WHERE workspace_id = $1"
            )))
            .bind(ws.0)
            .fetch_one(&pool)
            .await
            .unwrap();
            pool.close().await;
            n
        };
        counts.insert((*table).to_owned(), n);
    }
    counts
}

/// The console's search box: part of an email or a name, any case, wildcards typed literally,
/// one workspace only.
pub async fn search_matches_part_of_an_email_or_name_case_insensitively(db: &TestDb) {
    let ws = workspace(db, "acme").await;
    populate(db, ws).await;
    let other = workspace(db, "other").await;
    db.store
        .write_batch(
            other,
            IngestBatch {
                contacts: &contacts(0..2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let names = |found: Vec<icsync_store::LocatedContact>| -> Vec<String> {
        found
            .into_iter()
            .map(|c| c.contact.contact.name.unwrap_or_default())
            .collect()
    };
    // Emails are stored lower-cased; "USER3@EXAMPLE" finds user3@example.com.
    let by_email = names(
        db.store
            .search_contacts(ws, "USER3@EXAMPLE", 10)
            .await
            .unwrap(),
    );
    assert_eq!(by_email, ["User 3"]);
    // Names match any case, accents included as stored.
    let by_name = names(db.store.search_contacts(ws, "user 5", 10).await.unwrap());
    assert_eq!(by_name, ["User 5"]);
    let accented = names(db.store.search_contacts(ws, "Zoë", 10).await.unwrap());
    assert_eq!(accented.len(), 2, "{accented:?}");
    // Most recently seen first, at most the limit.
    let many = names(
        db.store
            .search_contacts(ws, "example.com", 3)
            .await
            .unwrap(),
    );
    assert_eq!(many.len(), 3);
    assert_eq!(many[0], "Zoë Ñúñez 山田 4", "contact 5 has no email");
    for literal in ["%", "_", "\\"] {
        assert!(
            db.store
                .search_contacts(ws, literal, 10)
                .await
                .unwrap()
                .is_empty(),
            "{literal:?} is taken literally"
        );
    }
    assert!(
        db.store
            .search_contacts(ws, "  ", 10)
            .await
            .unwrap()
            .is_empty()
    );
    let companies: Vec<String> = db
        .store
        .search_companies(ws, "COMPANY 1", 10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.company.company.name.unwrap_or_default())
        .collect();
    assert_eq!(companies, ["Company 1"]);
    let by_own_id = db.store.search_companies(ws, "acct-0", 10).await.unwrap();
    assert_eq!(by_own_id.len(), 1);
    assert!(
        db.store
            .search_companies(other, "company", 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn leases_go_to_one_instance_at_a_time_and_move_when_they_expire(db: &TestDb) {
    let ws = workspace(db, "acme").await;
    let other = workspace(db, "other").await;
    let t0 = chrono::Utc::now();
    let secs = chrono::Duration::seconds;
    for (id, pid) in [("a", 1), ("b", 2)] {
        db.store
            .register_instance(
                &icsync_store::NewInstance {
                    instance_id: id.into(),
                    hostname: "host".into(),
                    pid,
                    backend: "test".into(),
                },
                t0,
            )
            .await
            .unwrap();
    }
    assert_eq!(db.store.live_instances(t0).await.unwrap().len(), 2);

    // A free lease goes to the first to ask; the other cannot take it while it lives.
    assert!(
        db.store
            .acquire_lease(ws, "a", t0, t0 + secs(30))
            .await
            .unwrap()
    );
    assert!(
        !db.store
            .acquire_lease(ws, "b", t0 + secs(1), t0 + secs(31))
            .await
            .unwrap()
    );
    assert!(
        db.store
            .acquire_lease(other, "b", t0, t0 + secs(30))
            .await
            .unwrap()
    );
    // The holder renews it (acquired_at stays); the other still cannot take it.
    assert!(
        db.store
            .acquire_lease(ws, "a", t0 + secs(10), t0 + secs(40))
            .await
            .unwrap()
    );
    assert!(
        !db.store
            .acquire_lease(ws, "b", t0 + secs(35), t0 + secs(65))
            .await
            .unwrap()
    );
    let leases = db.store.leases(None).await.unwrap();
    let lease = leases.iter().find(|l| l.workspace == ws).unwrap();
    assert_eq!(lease.owner, "a");
    assert!((lease.acquired_at - t0).num_milliseconds().abs() < 5);

    // Once it has expired, the other takes it, and the old holder can no longer renew it.
    assert!(
        db.store
            .acquire_lease(ws, "b", t0 + secs(41), t0 + secs(71))
            .await
            .unwrap()
    );
    assert!(!db.store.renew_lease(ws, "a", t0 + secs(72)).await.unwrap());
    assert!(
        !db.store.release_lease(ws, "a").await.unwrap(),
        "only the holder releases"
    );
    let live = db.store.leases(Some(t0 + secs(50))).await.unwrap();
    assert_eq!(
        live.iter()
            .map(|l| (l.workspace, l.owner.as_str()))
            .collect::<Vec<_>>(),
        [(ws, "b")],
        "only the renewed lease is live at t0+50s (the other expired at t0+30s)"
    );

    // Racing instances: exactly one wins a free lease.
    db.store.release_lease(ws, "b").await.unwrap();
    let mut racers = Vec::new();
    for n in 0..8 {
        let store = db.store.clone();
        racers.push(tokio::spawn(async move {
            let at = t0 + secs(100);
            store
                .acquire_lease(ws, &format!("r{n}"), at, at + secs(30))
                .await
                .unwrap()
        }));
    }
    let mut winners = 0;
    for racer in racers {
        winners += usize::from(racer.await.unwrap());
    }
    assert_eq!(winners, 1, "one racer holds the lease");

    // Stopping an instance gives its leases back at once and takes it out of the live list.
    assert_eq!(
        db.store.stop_instance("b", t0 + secs(101)).await.unwrap(),
        1
    );
    assert!(
        !db.store
            .heartbeat_instance("b", t0 + secs(102))
            .await
            .unwrap()
    );
    assert!(
        db.store
            .heartbeat_instance("a", t0 + secs(102))
            .await
            .unwrap()
    );
    let live = db.store.live_instances(t0 + secs(102)).await.unwrap();
    assert_eq!(
        live.iter()
            .map(|i| i.instance_id.as_str())
            .collect::<Vec<_>>(),
        ["a"]
    );
    assert!(
        db.store
            .acquire_lease(other, "a", t0 + secs(103), t0 + secs(133))
            .await
            .unwrap()
    );
}
