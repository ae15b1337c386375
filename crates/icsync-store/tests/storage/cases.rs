//! The cases of the storage suite; each takes a fresh, migrated database.

pub use crate::conversation_cases::*;
use crate::fixtures::*;
use crate::support::TestDb;
use chrono::{DateTime, Utc};
use icsync_domain::*;
use icsync_store::{
    Backend, CheckpointUpdate, ContactMark, IngestBatch, IngestFault, IngestPage, IngestQueue,
    QueueBounds, SecretKey, SessionRebuild, StoreError, WorkspaceSettings,
};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use std::str::FromStr;

fn migration_count() -> usize {
    use icsync_migrations::MigratorTrait;
    icsync_migrations::Migrator::migrations().len()
}

pub(crate) async fn workspace(db: &TestDb) -> WorkspaceId {
    db.store
        .create_workspace(&NewWorkspace {
            intercom_app_id: Some(format!("app{}", fastrand_suffix())),
            region: Region::Eu,
            base_url: None,
            access_token: Some(SecretString::from("dG9rOnNlY3JldC10b2tlbi0xMjM=")),
            webhook_secret: Some(SecretString::from("whsec-456")),
            ..NewWorkspace::new(format!("Acme {}", fastrand_suffix()))
        })
        .await
        .expect("create workspace")
        .id
}

fn fastrand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn checkpoint(stream: &str, cursor: Option<&str>) -> CheckpointUpdate {
    CheckpointUpdate {
        stream: StreamName::new(stream),
        watermark: Some(t(5_000)),
        cursor: cursor.map(str::to_owned),
        status: RunStatus::Running,
    }
}

/// Everything a page of a full sync can hold.
struct World {
    contacts: Vec<Contact>,
    companies: Vec<Company>,
    associations: Vec<(ContactId, CompanyId)>,
    events: Vec<Event>,
    conversations: Vec<Conversation>,
    parts: Vec<ConversationPart>,
}

fn world(size: usize) -> World {
    let contacts = contacts(0..size);
    let companies: Vec<Company> = (0..size / 4 + 1).map(company).collect();
    let associations = contacts
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.clone(), companies[i % companies.len()].id.clone()))
        .collect();
    let events = (0..size)
        .flat_map(|c| (0..3).map(move |n| event(c, n)))
        .collect();
    let conversations: Vec<Conversation> = (0..size / 10 + 1)
        .map(|n| conversation(n, &[n % size, (n + 1) % size], 4))
        .collect();
    let parts = conversations
        .iter()
        .flat_map(|c| (0..4).map(|n| part(c, n)))
        .collect();
    World {
        contacts,
        companies,
        associations,
        events,
        conversations,
        parts,
    }
}

impl World {
    fn batch<'a>(&'a self, checkpoint: Option<&'a CheckpointUpdate>) -> IngestBatch<'a> {
        IngestBatch {
            contacts: &self.contacts,
            companies: &self.companies,
            associations: &self.associations,
            company_sets: &[],
            marks: &[],
            seen: &[],
            sessions: &[],
            events: &self.events,
            conversations: &self.conversations,
            parts: &self.parts,
            deleted_conversations: &[],
            newer_only: false,
            checkpoint,
        }
    }
}

pub async fn migrations_create_every_table_and_a_second_run_is_a_no_op(db: &TestDb) {
    let mut expected: Vec<String> = icsync_migrations::TABLES
        .iter()
        .map(|t| t.to_string())
        .collect();
    expected.sort();
    assert_eq!(db.store.existing_tables().await.unwrap(), expected);
    let again = db.store.migrate().await.unwrap();
    assert!(
        again.applied.is_empty(),
        "second run applied {:?}",
        again.applied
    );
    db.store.check_schema().await.unwrap();
}

pub async fn down_migrations_remove_every_table_and_up_restores_them(db: &TestDb) {
    let ws = workspace(db).await;
    db.store
        .write_batch(ws, world(5).batch(None))
        .await
        .unwrap();
    db.store.migrate_down(None).await.unwrap();
    assert!(db.store.existing_tables().await.unwrap().is_empty());
    assert!(matches!(
        db.store.check_schema().await,
        Err(StoreError::SchemaOutdated { pending }) if pending == migration_count()
    ));
    assert_eq!(
        db.store.migrate().await.unwrap().applied.len(),
        migration_count()
    );
    assert_eq!(
        db.store.existing_tables().await.unwrap().len(),
        icsync_migrations::TABLES.len()
    );
}

pub async fn a_migration_failing_midway_leaves_no_partial_schema(db: &TestDb) {
    db.store.migrate_down(None).await.unwrap();
    // A stray table where migration 4 wants to create one makes that migration fail.
    raw_execute(&db.url, "CREATE TABLE conversations (stray INTEGER)").await;
    let err = db.store.migrate().await.unwrap_err();
    assert!(matches!(err, StoreError::Migrate(_)), "{err}");
    assert!(err.to_string().contains("nothing was applied"), "{err}");
    assert_eq!(
        db.store.existing_tables().await.unwrap(),
        vec!["conversations".to_owned()],
        "only the stray table"
    );
    assert!(matches!(
        db.store.check_schema().await,
        Err(StoreError::SchemaOutdated { pending }) if pending == migration_count()
    ));
    raw_execute(&db.url, "DROP TABLE conversations").await;
    assert_eq!(
        db.store.migrate().await.unwrap().applied.len(),
        migration_count()
    );
}

async fn raw_execute(url: &str, sql: &'static str) {
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    }
}

pub async fn rewriting_the_same_batch_changes_nothing(db: &TestDb) {
    let ws = workspace(db).await;
    let world = world(40);
    let cp = checkpoint("contacts", Some("page-2"));
    let first = db
        .store
        .write_batch(ws, world.batch(Some(&cp)))
        .await
        .unwrap();
    assert_eq!(first.contacts.written, 40);
    assert_eq!(first.events.written, 120);
    let counts = db.store.record_counts(ws).await.unwrap();
    let profile = db
        .store
        .contact_profile(ws, &contact_id(3))
        .await
        .unwrap()
        .unwrap();
    let feed = db.store.event_feed(ws, None, 1_000).await.unwrap();
    let conversations = db
        .store
        .conversations_of_contact(ws, &contact_id(1), 50)
        .await
        .unwrap();
    let stored_cp = db.store.checkpoint(ws, &cp.stream).await.unwrap().unwrap();

    let second = db
        .store
        .write_batch(ws, world.batch(Some(&cp)))
        .await
        .unwrap();
    assert_eq!(
        second.written(),
        0,
        "nothing was written the second time: {second:?}"
    );
    assert_eq!(second.contacts.unchanged(), 40);
    assert_eq!(db.store.record_counts(ws).await.unwrap(), counts);
    assert_eq!(
        db.store
            .contact_profile(ws, &contact_id(3))
            .await
            .unwrap()
            .unwrap(),
        profile
    );
    assert_eq!(
        db.store.event_feed(ws, None, 1_000).await.unwrap(),
        feed,
        "same rows, same seq"
    );
    assert_eq!(
        db.store
            .conversations_of_contact(ws, &contact_id(1), 50)
            .await
            .unwrap(),
        conversations
    );
    assert_eq!(
        db.store.checkpoint(ws, &cp.stream).await.unwrap().unwrap(),
        stored_cp
    );
}

pub async fn a_batch_is_written_with_a_few_multi_row_statements(db: &TestDb) {
    let ws = workspace(db).await;
    let contacts = contacts(0..2_000);
    let events: Vec<Event> = (0..2_000)
        .flat_map(|c| (0..2).map(move |n| event(c, n)))
        .collect();
    let cp = checkpoint("contacts", None);
    let report = db
        .store
        .write_batch(
            ws,
            IngestBatch {
                contacts: &contacts,
                events: &events,
                checkpoint: Some(&cp),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(report.contacts.written, 2_000);
    assert_eq!(report.events.written, 4_000);
    // 6,000 rows: SQLite packs up to 256 rows a statement (a remainder in power-of-two
    // statements: 10 for the contacts, 17 for the events, plus the checkpoint), PostgreSQL binds
    // one array a column. One statement a row would be 6,000.
    assert!(
        report.statements <= 28,
        "{} statements for 6,000 rows",
        report.statements
    );
    assert_eq!(db.store.record_counts(ws).await.unwrap().contacts, 2_000);
}

pub async fn only_changed_records_are_rewritten(db: &TestDb) {
    let ws = workspace(db).await;
    let mut contacts = contacts(0..10);
    db.store
        .write_batch(
            ws,
            IngestBatch {
                contacts: &contacts,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let before = db
        .store
        .contact_profile(ws, &contact_id(4))
        .await
        .unwrap()
        .unwrap()
        .contact;
    let untouched = db
        .store
        .contact_profile(ws, &contact_id(5))
        .await
        .unwrap()
        .unwrap()
        .contact;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;

    contacts[4].name = Some("Renamed".into());
    contacts[4]
        .custom_attributes
        .insert("seats".into(), 99.into());
    let report = db
        .store
        .write_batch(
            ws,
            IngestBatch {
                contacts: &contacts,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(report.contacts.written, 1);
    let after = db
        .store
        .contact_profile(ws, &contact_id(4))
        .await
        .unwrap()
        .unwrap()
        .contact;
    assert_eq!(after.contact.name.as_deref(), Some("Renamed"));
    assert_eq!(after.contact.custom_attributes["seats"], 99);
    assert_eq!(after.first_imported_at, before.first_imported_at);
    assert!(after.last_imported_at > before.last_imported_at);
    let still = db
        .store
        .contact_profile(ws, &contact_id(5))
        .await
        .unwrap()
        .unwrap()
        .contact;
    assert_eq!(
        still, untouched,
        "an unchanged contact keeps its timestamps"
    );

    // Duplicates within one page: the last copy wins.
    let mut dup = contacts[6].clone();
    dup.name = Some("Second copy".into());
    let page = vec![contacts[6].clone(), dup];
    db.store
        .write_batch(
            ws,
            IngestBatch {
                contacts: &page,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let stored = db
        .store
        .contact_profile(ws, &contact_id(6))
        .await
        .unwrap()
        .unwrap()
        .contact
        .contact;
    assert_eq!(stored.name.as_deref(), Some("Second copy"));
}

pub async fn a_failure_mid_batch_leaves_neither_rows_nor_checkpoint(db: &TestDb) {
    let ws = workspace(db).await;
    let world = world(30);
    let first_cp = checkpoint("contacts", Some("page-1"));
    db.store
        .write_batch(
            ws,
            IngestBatch {
                contacts: &world.contacts[..10],
                checkpoint: Some(&first_cp),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let counts = db.store.record_counts(ws).await.unwrap();

    for after_statements in [1, 3, 5] {
        db.store
            .inject_ingest_fault(IngestFault { after_statements });
        let second_cp = checkpoint("contacts", Some("page-2"));
        let mut batch = world.batch(Some(&second_cp));
        batch.contacts = &world.contacts[10..];
        let err = db.store.write_batch(ws, batch).await.unwrap_err();
        assert!(matches!(err, StoreError::InjectedFault { .. }), "{err}");
        assert_eq!(
            db.store.record_counts(ws).await.unwrap(),
            counts,
            "no row of the failed batch"
        );
        let stored = db
            .store
            .checkpoint(ws, &first_cp.stream)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            stored.cursor.as_deref(),
            Some("page-1"),
            "checkpoint not ahead of its data"
        );
    }
    // The fault clears itself: the retry goes through.
    let second_cp = checkpoint("contacts", Some("page-2"));
    let mut batch = world.batch(Some(&second_cp));
    batch.contacts = &world.contacts[10..];
    db.store.write_batch(ws, batch).await.unwrap();
    assert_eq!(db.store.record_counts(ws).await.unwrap().contacts, 30);
}

pub async fn the_checkpoint_counts_written_records_and_resumes_with_its_cursor(db: &TestDb) {
    let ws = workspace(db).await;
    let stream = StreamName::new(StreamName::CONTACTS);
    assert!(db.store.checkpoint(ws, &stream).await.unwrap().is_none());
    let pages = contacts(0..30);
    for (i, page) in pages.chunks(10).enumerate() {
        let cp = checkpoint("contacts", Some(&format!("after-{i}")));
        db.store
            .write_batch(
                ws,
                IngestBatch {
                    contacts: page,
                    checkpoint: Some(&cp),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    let stored = db.store.checkpoint(ws, &stream).await.unwrap().unwrap();
    assert_eq!(stored.cursor.as_deref(), Some("after-2"));
    assert_eq!(stored.records_total, 30);
    assert_eq!(stored.status, RunStatus::Running);

    let done = CheckpointUpdate {
        stream: stream.clone(),
        watermark: Some(t(9_999)),
        cursor: None,
        status: RunStatus::Succeeded,
    };
    db.store
        .write_batch(
            ws,
            IngestBatch {
                contacts: &pages[..10],
                checkpoint: Some(&done),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let stored = db.store.checkpoint(ws, &stream).await.unwrap().unwrap();
    assert_eq!(
        (stored.cursor, stored.status, stored.watermark),
        (None, RunStatus::Succeeded, Some(t(9_999)))
    );
    assert_eq!(
        stored.records_total, 30,
        "re-read records that did not change are not counted"
    );
    assert_eq!(db.store.checkpoints(ws).await.unwrap().len(), 1);
}

pub async fn the_event_feed_pages_in_import_order_and_keeps_sequence_numbers(db: &TestDb) {
    let ws = workspace(db).await;
    let other = workspace(db).await;
    let first: Vec<Event> = (0..5)
        .flat_map(|c| (0..4).map(move |n| event(c, n)))
        .collect();
    db.store
        .write_batch(
            ws,
            IngestBatch {
                events: &first,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    db.store
        .write_batch(
            other,
            IngestBatch {
                events: &first[..3],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let later: Vec<Event> = (5..7).map(|c| event(c, 0)).collect();
    db.store
        .write_batch(
            ws,
            IngestBatch {
                events: &later,
                ..Default::default()
            },
        )
        .await
        .unwrap();

    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = db.store.event_feed(ws, cursor, 7).await.unwrap();
        if page.events.is_empty() {
            assert_eq!(
                page.next_cursor, cursor,
                "an empty page hands the cursor back"
            );
            break;
        }
        cursor = page.next_cursor;
        seen.extend(page.events);
    }
    assert_eq!(
        seen.len(),
        22,
        "every event of this workspace, none of the other"
    );
    assert!(
        seen.windows(2).all(|w| w[0].seq < w[1].seq),
        "strictly increasing seq"
    );
    assert_eq!(
        seen[20].event, later[0],
        "later imports come later in the feed"
    );

    // Re-importing keeps every event's sequence number: the feed does not replay them.
    db.store
        .write_batch(
            ws,
            IngestBatch {
                events: &first,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        db.store
            .event_feed(ws, cursor, 100)
            .await
            .unwrap()
            .events
            .is_empty()
    );

    let of_contact = db
        .store
        .contact_events(ws, &contact_id(2), None, 100)
        .await
        .unwrap();
    assert_eq!(of_contact.len(), 4);
    assert!(
        of_contact
            .windows(2)
            .all(|w| w[0].event.occurred_at >= w[1].event.occurred_at)
    );
    let recent = db
        .store
        .contact_events(
            ws,
            &contact_id(2),
            Some(of_contact[1].event.occurred_at),
            100,
        )
        .await
        .unwrap();
    assert_eq!(recent.len(), 2);
}

pub async fn a_profile_holds_the_contact_its_companies_and_cs_attributes(db: &TestDb) {
    let ws = workspace(db).await;
    let contact = contact(1);
    let companies = vec![company(1), company(2)];
    let associations: Vec<_> = companies
        .iter()
        .map(|c| (contact.id.clone(), c.id.clone()))
        .collect();
    db.store
        .write_batch(
            ws,
            IngestBatch {
                contacts: std::slice::from_ref(&contact),
                companies: &companies,
                associations: &associations,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let profile = db
        .store
        .contact_profile(ws, &contact.id)
        .await
        .unwrap()
        .expect("profile");
    assert_eq!(profile.contact.contact, contact);
    let names: Vec<_> = profile
        .companies
        .iter()
        .map(|c| c.company.clone())
        .collect();
    assert_eq!(names, companies);
    assert!(profile.cs_attributes.is_none());

    let cs = CsAttributes {
        health: Some(Decimal::from_str("72.5").unwrap()),
        stage: Some("adoption".into()),
        ..Default::default()
    };
    db.store
        .set_cs_attributes(
            ws,
            &CsSubject::Contact(contact.id.to_string()),
            &CsPatch::from(cs.clone()),
            &TriggerSet::default(),
            Utc::now(),
        )
        .await
        .unwrap();
    let profile = db
        .store
        .contact_profile(ws, &contact.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(profile.cs_attributes.unwrap().attributes, cs);
    assert!(
        db.store
            .contact_profile(ws, &contact_id(99))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        db.store
            .company(ws, &companies[1].id)
            .await
            .unwrap()
            .unwrap()
            .company,
        companies[1]
    );
}

pub async fn emails_match_trimmed_and_case_insensitively(db: &TestDb) {
    let ws = workspace(db).await;
    let contacts = contacts(0..12);
    db.store
        .write_batch(
            ws,
            IngestBatch {
                contacts: &contacts,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // Contact 1 was stored as "  User1@Example.COM ".
    let found = db
        .store
        .contacts_by_email(ws, "user1@example.com")
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].contact.email.as_deref(),
        Some("  User1@Example.COM "),
        "kept as given"
    );
    assert_eq!(
        db.store
            .contacts_by_email(ws, " USER2@EXAMPLE.COM")
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        db.store
            .contacts_by_email(ws, "   ")
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn conversations_are_found_by_any_participant_with_their_parts(db: &TestDb) {
    let ws = workspace(db).await;
    let group = conversation(1, &[3, 4], 700);
    let single = conversation(2, &[4], 2);
    let parts: Vec<ConversationPart> = (0..3)
        .map(|n| part(&group, n))
        .chain((0..2).map(|n| part(&single, n)))
        .collect();
    let conversations = vec![group.clone(), single.clone()];
    db.store
        .write_batch(
            ws,
            IngestBatch {
                conversations: &conversations,
                parts: &parts,
                ..Default::default()
            },
        )
        .await
        .unwrap();

    let of_three = db
        .store
        .conversations_of_contact(ws, &contact_id(3), 10)
        .await
        .unwrap();
    assert_eq!(of_three.len(), 1);
    assert_eq!(of_three[0].conversation, group);
    assert_eq!(of_three[0].parts_stored, 3);
    assert!(of_three[0].is_truncated(), "700 reported, 3 stored");
    let of_four = db
        .store
        .conversations_of_contact(ws, &contact_id(4), 10)
        .await
        .unwrap();
    assert_eq!(of_four.len(), 2);
    assert_eq!(
        of_four[0].conversation.id, single.id,
        "most recently updated first"
    );
    assert!(!of_four[0].is_truncated());
    let stored_parts = db.store.conversation_parts(ws, &group.id).await.unwrap();
    assert_eq!(stored_parts, parts[..3].to_vec());
    assert!(
        db.store
            .conversations_of_contact(ws, &contact_id(5), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn sessions_are_replaced_from_a_point_in_time(db: &TestDb) {
    let ws = workspace(db).await;
    let who = contact_id(1);
    let session = |start: i64, end: i64, n: i64| Session {
        contact_id: who.clone(),
        started_at: t(start),
        ended_at: t(end),
        event_count: n,
    };
    db.store
        .replace_sessions(
            ws,
            &who,
            t(0),
            &[session(0, 100, 3), session(1_000, 1_200, 5)],
        )
        .await
        .unwrap();
    db.store
        .replace_sessions(
            ws,
            &who,
            t(1_000),
            &[session(1_000, 1_500, 7), session(5_000, 5_100, 2)],
        )
        .await
        .unwrap();
    let stored = db.store.sessions_of_contact(ws, &who).await.unwrap();
    assert_eq!(
        stored,
        vec![
            session(0, 100, 3),
            session(1_000, 1_500, 7),
            session(5_000, 5_100, 2)
        ]
    );
    assert!(
        db.store
            .sessions_of_contact(ws, &contact_id(2))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn session_rebuilds_in_a_batch_replace_each_contact_from_its_own_point(db: &TestDb) {
    let ws = workspace(db).await;
    let people = contacts(0..3);
    // Sub-second starts: the replaced range must be cut at the exact instant.
    let at = |s: i64, ms: u32| t(s) + chrono::Duration::milliseconds(i64::from(ms));
    let session = |n: usize, start: DateTime<Utc>, count: i64| Session {
        contact_id: contact_id(n),
        started_at: start,
        ended_at: start + chrono::Duration::seconds(60),
        event_count: count,
    };
    let first = [
        SessionRebuild {
            contact: contact_id(0),
            from: t(0),
            sessions: vec![session(0, t(0), 1), session(0, at(1_000, 250), 2)],
        },
        SessionRebuild {
            contact: contact_id(1),
            from: t(0),
            sessions: vec![session(1, t(0), 3), session(1, at(1_000, 0), 4)],
        },
        SessionRebuild {
            contact: contact_id(2),
            from: t(0),
            sessions: vec![session(2, t(0), 5)],
        },
    ];
    db.store
        .write_batch(
            ws,
            IngestBatch {
                contacts: &people,
                sessions: &first,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // Contact 0 from 1000.5 s (its 1000.25 s session stays), contact 1 from 1000 s exactly (its
    // 1000 s session goes); contact 2 is not in the batch.
    let second = [
        SessionRebuild {
            contact: contact_id(0),
            from: at(1_000, 500),
            sessions: vec![session(0, at(2_000, 0), 6)],
        },
        SessionRebuild {
            contact: contact_id(1),
            from: at(1_000, 0),
            sessions: vec![session(1, at(1_000, 0), 7)],
        },
    ];
    let report = db
        .store
        .write_batch(
            ws,
            IngestBatch {
                sessions: &second,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(report.sessions_replaced, 1);
    assert_eq!(report.sessions.written, 2);
    let counts = |n: usize| {
        let store = db.store.clone();
        async move {
            store
                .sessions_of_contact(ws, &contact_id(n))
                .await
                .unwrap()
                .iter()
                .map(|s| s.event_count)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(counts(0).await, [1, 2, 6]);
    assert_eq!(counts(1).await, [3, 7]);
    assert_eq!(counts(2).await, [5]);
}

pub async fn workspace_secrets_are_encrypted_at_rest(db: &TestDb) {
    let ws = workspace(db).await;
    let stored = db.store.workspace(ws).await.unwrap().unwrap();
    assert_eq!(
        stored.access_token.as_ref().unwrap().expose_secret(),
        "dG9rOnNlY3JldC10b2tlbi0xMjM="
    );
    assert_eq!(
        stored.webhook_secret.as_ref().unwrap().expose_secret(),
        "whsec-456"
    );
    assert_eq!(stored.region, Region::Eu);
    let debug = format!("{stored:?} {:?} {:?}", db.store, db.key);
    assert!(
        !debug.contains("dG9rOn") && !debug.contains("whsec-456"),
        "{debug}"
    );

    // Another key cannot read them: they are not stored in the clear.
    let other = db.reopen(Some(&SecretKey::generate())).await;
    assert!(matches!(
        other.workspace(ws).await,
        Err(StoreError::Secret(_))
    ));
    let keyless = db.reopen(None).await;
    assert!(matches!(
        keyless.workspace(ws).await,
        Err(StoreError::Secret(icsync_store::SecretError::NoKey))
    ));
    if db.store.backend() == Backend::Sqlite {
        let path = db.url.trim_start_matches("sqlite://");
        let mut bytes = std::fs::read(path).unwrap();
        bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
        assert!(
            !bytes.windows(12).any(|w| w == b"dG9rOnNlY3Jl"),
            "token in the clear on disk"
        );
    }

    let updated = db
        .store
        .update_workspace(
            ws,
            &WorkspaceSettings {
                user_tracking: Some(true),
                timezone: Some("Europe/Paris".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(updated.user_tracking && updated.is_connected());
    let token = SecretString::from("new-token");
    assert_eq!(
        db.store
            .set_access_token(ws, &token)
            .await
            .unwrap()
            .access_token
            .unwrap()
            .expose_secret(),
        "new-token"
    );
    let gone = db.store.disconnect_workspace(ws).await.unwrap();
    assert!(!gone.is_connected() && !gone.user_tracking);
    assert_eq!(db.store.workspaces().await.unwrap().len(), 1);
}

pub async fn sync_runs_record_their_figures(db: &TestDb) {
    let ws = workspace(db).await;
    let stream = StreamName::new("contacts");
    let run = db.store.start_run(ws, &stream).await.unwrap();
    let stats = SyncRunStats {
        records: 1_500,
        requests: 11,
        retries: 2,
        rate_limited: 1,
        errors: 0,
        shadowed_attributes: 3,
        pacer_wait_ms: 250,
        kind: Some("backfill".into()),
        read: 1_600,
        unchanged: 95,
        skipped: [("no_id".to_owned(), 5)].into_iter().collect(),
        duration_ms: 1_234,
    };
    db.store
        .finish_run(run, RunStatus::Succeeded, &stats, None)
        .await
        .unwrap();
    let failed = db.store.start_run(ws, &stream).await.unwrap();
    db.store
        .finish_run(
            failed,
            RunStatus::Failed,
            &SyncRunStats::default(),
            Some("token revoked"),
        )
        .await
        .unwrap();
    let runs = db.store.recent_runs(ws, 10).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].id, failed);
    assert_eq!(runs[0].error_message.as_deref(), Some("token revoked"));
    assert_eq!(runs[1].stats, stats);
    assert!(runs[1].finished_at.is_some());
}

pub async fn values_of_every_type_round_trip(db: &TestDb) {
    let ws = workspace(db).await;
    let mut company = company(3);
    company.monthly_spend = Some(Decimal::from_str("2147483647").unwrap());
    let mut cheap = company.clone();
    cheap.id = CompanyId::new("cheap");
    cheap.monthly_spend = Some(Decimal::from_str("0.1").unwrap());
    cheap
        .custom_attributes
        .insert("emoji".into(), "🚀 ünïcödé 山".into());
    let companies = vec![company.clone(), cheap.clone()];
    db.store
        .write_batch(
            ws,
            IngestBatch {
                companies: &companies,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        db.store
            .company(ws, &company.id)
            .await
            .unwrap()
            .unwrap()
            .company,
        company
    );
    assert_eq!(
        db.store
            .company(ws, &cheap.id)
            .await
            .unwrap()
            .unwrap()
            .company,
        cheap
    );

    let contact = contact(8); // unicode name, nested JSON, floats, booleans
    db.store
        .write_batch(
            ws,
            IngestBatch {
                contacts: std::slice::from_ref(&contact),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        db.store
            .contact_profile(ws, &contact.id)
            .await
            .unwrap()
            .unwrap()
            .contact
            .contact,
        contact
    );
}

/// Waits (bounded, so a broken hook fails instead of hanging) until `n` batches are held at
/// their commit with the transaction open.
async fn until_commits_held(db: &TestDb, n: usize) {
    for _ in 0..6_000 {
        if db.store.held_commits() >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no batch reached its commit within a minute");
}

pub async fn readers_keep_reading_during_a_large_ingest(db: &TestDb) {
    let ws = workspace(db).await;
    let seed = contacts(0..10);
    db.store
        .write_batch(
            ws,
            IngestBatch {
                contacts: &seed,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let events: Vec<Event> = (0..5_000)
        .flat_map(|c| (0..6).map(move |n| event(c, n)))
        .collect();
    // The write runs its statements and then waits, transaction open, at the commit.
    let hold = db.store.hold_commits().await;
    let writer = {
        let store = db.store.clone();
        tokio::spawn(async move {
            store
                .write_batch(
                    ws,
                    IngestBatch {
                        events: &events,
                        ..Default::default()
                    },
                )
                .await
        })
    };
    until_commits_held(db, 1).await;
    let read = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        let profile = db.store.contact_profile(ws, &contact_id(1)).await?;
        let counts = db.store.record_counts(ws).await?;
        Ok::<_, StoreError>((profile.is_some(), counts.events))
    })
    .await
    .expect("a read must complete while a write transaction is open")
    .expect("read during ingest");
    assert_eq!(
        read,
        (true, 0),
        "the open transaction's rows are not visible yet"
    );
    drop(hold);
    let report = writer.await.unwrap().unwrap();
    assert_eq!(report.events.written, 30_000);
    assert_eq!(db.store.record_counts(ws).await.unwrap().events, 30_000);
}

fn page(range: std::ops::Range<usize>, cursor: usize) -> IngestPage {
    IngestPage {
        contacts: contacts(range.clone()),
        events: range.clone().map(|c| event(c, 0)).collect(),
        checkpoint: Some(checkpoint("contacts", Some(&format!("page-{cursor}")))),
        ..Default::default()
    }
}

pub async fn a_queue_commits_every_page_with_the_newest_checkpoint(db: &TestDb) {
    let ws = workspace(db).await;
    // Room for every page, so pushing never waits for the held writer.
    let queue = IngestQueue::new(
        &db.store,
        ws,
        QueueBounds {
            pages: 32,
            rows: 10_000,
            transaction_rows: 200,
        },
    );
    let hold = db.store.hold_commits().await;
    for n in 0..20 {
        queue.push(page(n * 30..(n + 1) * 30, n)).await.unwrap();
    }
    // While the first group waits at its commit, the other pages queue up behind it.
    until_commits_held(db, 1).await;
    drop(hold);
    let totals = queue.finish().await.unwrap();
    assert_eq!(totals.pages, 20);
    // A page is 60 rows and a group closes at 200 rows (4 pages). At most three groups can
    // form before the pushes are done (the held one, one prepared, one waiting to be sent),
    // the other 17+ pages go four at a time: 20 pages in at most 8 commits, not 20.
    assert!(
        totals.transactions <= 8,
        "pages must be grouped into fewer commits: {totals:?}"
    );
    assert_eq!(
        (totals.report.contacts.written, totals.report.events.written),
        (600, 600)
    );
    let counts = db.store.record_counts(ws).await.unwrap();
    assert_eq!((counts.contacts, counts.events), (600, 600));
    let stored = db
        .store
        .checkpoint(ws, &StreamName::new("contacts"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.cursor.as_deref(), Some("page-19"));
    assert_eq!(stored.records_total, 1_200);
}

pub async fn a_queue_holds_no_more_rows_than_its_bound_until_they_commit(db: &TestDb) {
    use futures::FutureExt;
    let ws = workspace(db).await;
    // Pages of 60 rows (30 contacts, 30 events) under a bound of 100 rows, with room for many
    // pages: the row bound is what stops the second push.
    let queue = IngestQueue::new(
        &db.store,
        ws,
        QueueBounds {
            pages: 32,
            rows: 100,
            transaction_rows: 1_000,
        },
    );
    let hold = db.store.hold_commits().await;
    queue.push(page(0..30, 0)).await.unwrap();
    until_commits_held(db, 1).await;
    // The first page is at its commit, held: its rows still count, so the next page waits,
    // however long this machine takes (the push is pending, not slow).
    let mut second = Box::pin(queue.push(page(30..60, 1)));
    for _ in 0..20 {
        assert!(
            (&mut second).now_or_never().is_none(),
            "a push beyond the row bound must wait for the commit"
        );
        tokio::task::yield_now().await;
    }
    drop(hold);
    second.await.unwrap();
    // A page larger than the whole bound waits for room, then goes alone.
    queue.push(page(60..180, 2)).await.unwrap();
    let totals = queue.finish().await.unwrap();
    assert_eq!(totals.pages, 3);
    assert_eq!(totals.report.contacts.written, 180);
    let stored = db
        .store
        .checkpoint(ws, &StreamName::new("contacts"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.cursor.as_deref(), Some("page-2"));
}

pub async fn a_queue_stops_at_a_failed_group_and_keeps_the_last_good_checkpoint(db: &TestDb) {
    let ws = workspace(db).await;
    let queue = IngestQueue::new(
        &db.store,
        ws,
        QueueBounds {
            pages: 1,
            rows: 10_000,
            transaction_rows: 30,
        },
    );
    queue.push(page(0..30, 0)).await.unwrap();
    // Let the first page commit on its own before arming the fault for the next group.
    while db
        .store
        .checkpoint(ws, &StreamName::new("contacts"))
        .await
        .unwrap()
        .is_none()
    {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    db.store.inject_ingest_fault(IngestFault {
        after_statements: 1,
    });
    let mut pushed = 1;
    for n in 1..10 {
        if queue.push(page(n * 30..(n + 1) * 30, n)).await.is_err() {
            break;
        }
        pushed += 1;
    }
    let err = queue.finish().await.unwrap_err();
    assert!(matches!(err, StoreError::InjectedFault { .. }), "{err}");
    assert!(
        pushed < 10,
        "pushes after the failure are refused ({pushed} accepted)"
    );
    let stored = db
        .store
        .checkpoint(ws, &StreamName::new("contacts"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.cursor.as_deref(),
        Some("page-0"),
        "resume after the last committed page"
    );
    assert_eq!(db.store.record_counts(ws).await.unwrap().contacts, 30);
}

async fn company_ids_of(db: &TestDb, ws: WorkspaceId, contact: usize) -> Vec<String> {
    let profile = db
        .store
        .contact_profile(ws, &contact_id(contact))
        .await
        .unwrap()
        .expect("stored contact");
    let mut ids: Vec<String> = profile
        .companies
        .iter()
        .map(|c| c.company.id.as_str().to_owned())
        .collect();
    ids.sort();
    ids
}

pub async fn a_complete_company_list_detaches_the_companies_a_contact_left(db: &TestDb) {
    let ws = workspace(db).await;
    let people = contacts(0..3);
    let firms: Vec<Company> = (0..4).map(company).collect();
    let set = |contact: usize, firms: &[usize]| {
        (
            contact_id(contact),
            firms.iter().map(|n| company(*n).id).collect::<Vec<_>>(),
        )
    };
    let first = [set(0, &[0, 1]), set(1, &[1, 2]), set(2, &[3])];
    let report = db
        .store
        .write_batch(
            ws,
            IngestBatch {
                contacts: &people,
                companies: &firms,
                company_sets: &first,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((report.associations.written, report.detached), (5, 0));
    // Contact 0 moved from company 0 to company 2; contact 2 left every company; contact 1's
    // list is not known in full this time (only an addition), so it keeps what it had.
    let second = [set(0, &[1, 2]), set(2, &[])];
    let added = [(contact_id(1), company(3).id)];
    let report = db
        .store
        .write_batch(
            ws,
            IngestBatch {
                company_sets: &second,
                associations: &added,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((report.associations.written, report.detached), (2, 2));
    assert_eq!(
        company_ids_of(db, ws, 0).await,
        vec![
            company(1).id.as_str().to_owned(),
            company(2).id.as_str().to_owned()
        ]
    );
    assert_eq!(company_ids_of(db, ws, 1).await.len(), 3);
    assert!(company_ids_of(db, ws, 2).await.is_empty());
    // The same lists again change nothing.
    let again = db
        .store
        .write_batch(
            ws,
            IngestBatch {
                company_sets: &second,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(again.written(), 0, "{again:?}");
    // A group of pages naming one contact twice keeps the newest list.
    let newest = [set(0, &[0]), set(0, &[3])];
    db.store
        .write_batch(
            ws,
            IngestBatch {
                company_sets: &newest,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        company_ids_of(db, ws, 0).await,
        vec![company(3).id.as_str().to_owned()]
    );
}

pub async fn markers_say_which_contacts_need_companies_and_events(db: &TestDb) {
    let ws = workspace(db).await;
    let people = contacts(0..5);
    db.store
        .write_batch(
            ws,
            IngestBatch {
                contacts: &people,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        db.store.count_contacts_pending_companies(ws).await.unwrap(),
        5
    );
    assert_eq!(db.store.count_contacts_pending_events(ws).await.unwrap(), 5);
    let page = db.store.contacts_pending_events(ws, None, 2).await.unwrap();
    assert_eq!(page.len(), 2);
    assert!(
        page.iter()
            .all(|p| !p.ever_synced && p.newest_event_at.is_none())
    );
    let rest = db
        .store
        .contacts_pending_events(ws, Some(&page[1].contact), 10)
        .await
        .unwrap();
    assert_eq!(rest.len(), 3, "paging by id after the last one");
    // Contact 0's events and companies are synced; contact 1's mark is stale (its updated_at
    // is not the one the mark names) and must not apply.
    let events = [event(0, 0), event(0, 1)];
    let marks = [
        ContactMark::EventsSynced {
            contact: contact_id(0),
            updated_at: people[0].updated_at,
            last_seen_at: people[0].last_seen_at,
        },
        ContactMark::EventsSynced {
            contact: contact_id(1),
            updated_at: Some(t(-1)),
            last_seen_at: people[1].last_seen_at,
        },
        ContactMark::CompaniesSynced {
            contact: contact_id(0),
            updated_at: people[0].updated_at,
        },
    ];
    let report = db
        .store
        .write_batch(
            ws,
            IngestBatch {
                events: &events,
                marks: &marks,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(report.marked, 2);
    assert_eq!(db.store.count_contacts_pending_events(ws).await.unwrap(), 4);
    assert_eq!(
        db.store.count_contacts_pending_companies(ws).await.unwrap(),
        4
    );
    // Contact 0 is seen again: its events are pending, and listing can stop at the newest.
    let mut seen = people[0].clone();
    seen.last_seen_at = Some(t(9_999));
    db.store
        .write_batch(
            ws,
            IngestBatch {
                contacts: std::slice::from_ref(&seen),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let pending = db.store.contacts_pending_events(ws, None, 1).await.unwrap();
    assert_eq!(pending[0].contact, contact_id(0));
    assert!(pending[0].ever_synced);
    assert_eq!(pending[0].newest_event_at, Some(events[1].occurred_at));
    assert!(!pending[0].has_sessions);
    // A contact with sessions says so (its sessions are read before a rebuild); the others do
    // not, and the stale-marked contact 1 still lists everything (no newest event).
    let session = Session {
        contact_id: contact_id(0),
        started_at: t(0),
        ended_at: t(100),
        event_count: 2,
    };
    db.store
        .replace_sessions(ws, &contact_id(0), t(0), &[session])
        .await
        .unwrap();
    let pending = db
        .store
        .contacts_pending_events(ws, None, 10)
        .await
        .unwrap();
    let flags: Vec<(bool, bool)> = pending
        .iter()
        .map(|p| (p.has_sessions, p.newest_event_at.is_some()))
        .collect();
    assert_eq!(
        flags,
        [
            (true, true),
            (false, false),
            (false, false),
            (false, false),
            (false, false)
        ]
    );
    assert_eq!(
        db.store.count_contacts_pending_companies(ws).await.unwrap(),
        4,
        "last_seen_at alone does not change companies"
    );
    // After a full company enumeration, every contact imported before it is synced.
    let report = db
        .store
        .write_batch(
            ws,
            IngestBatch {
                marks: &[ContactMark::CompaniesSyncedUpTo {
                    imported_by: Utc::now(),
                }],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(report.marked, 4);
    assert_eq!(
        db.store.count_contacts_pending_companies(ws).await.unwrap(),
        0
    );
}

pub async fn deleted_contacts_leave_the_feed_and_come_back_when_seen_again(db: &TestDb) {
    let ws = workspace(db).await;
    let people = contacts(0..3);
    let events: Vec<Event> = (0..3).map(|c| event(c, 0)).collect();
    db.store
        .write_batch(
            ws,
            IngestBatch {
                contacts: &people,
                events: &events,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let marks = [ContactMark::Deleted {
        contact: contact_id(1),
    }];
    let report = db
        .store
        .write_batch(
            ws,
            IngestBatch {
                marks: &marks,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(report.marked, 1);
    let feed = db.store.event_feed(ws, None, 100).await.unwrap();
    assert_eq!(
        feed.events.len(),
        2,
        "the deleted contact's events leave the feed"
    );
    assert_eq!(
        db.store.deleted_contact_ids(ws).await.unwrap(),
        vec![contact_id(1)]
    );
    assert_eq!(db.store.count_contacts_pending_events(ws).await.unwrap(), 2);
    let profile = db
        .store
        .contact_profile(ws, &contact_id(1))
        .await
        .unwrap()
        .unwrap();
    assert!(profile.contact.deleted_at.is_some(), "kept for history");
    // Marking again changes nothing; importing the same contact again revives it.
    let again = db
        .store
        .write_batch(
            ws,
            IngestBatch {
                marks: &marks,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(again.marked, 0);
    db.store
        .write_batch(
            ws,
            IngestBatch {
                contacts: &people[1..2],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(db.store.deleted_contact_ids(ws).await.unwrap().is_empty());
    assert_eq!(
        db.store
            .event_feed(ws, None, 100)
            .await
            .unwrap()
            .events
            .len(),
        3
    );
}

pub async fn huge_numbers_and_control_characters_are_kept(db: &TestDb) {
    let ws = workspace(db).await;
    let mut odd = contact(1);
    odd.name = Some("nul\u{0}bell\u{7}esc\u{1b} 🦀".into());
    let serde_json::Value::Object(custom) = serde_json::from_str::<serde_json::Value>(
        r#"{"big": 123456789012345678901234567890, "neg": -98765432109876543210987, "precise": 0.1000000000000000055511151231257827, "text": "tab\tnul\u0000"}"#,
    )
    .unwrap() else {
        unreachable!()
    };
    odd.custom_attributes = custom.clone();
    let mut spiky = event(1, 0);
    spiky.metadata = custom.clone();
    db.store
        .write_batch(
            ws,
            IngestBatch {
                contacts: std::slice::from_ref(&odd),
                events: std::slice::from_ref(&spiky),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let stored = db
        .store
        .contact_profile(ws, &odd.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        serde_json::to_string(&stored.contact.contact.custom_attributes).unwrap(),
        serde_json::to_string(&custom).unwrap(),
        "custom attributes come back digit for digit"
    );
    assert_eq!(
        stored.contact.contact.name.as_deref(),
        Some("nul\u{fffd}bell\u{7}esc\u{1b} 🦀"),
        "U+0000 cannot live in a text column: it becomes U+FFFD on every backend"
    );
    let feed = db.store.event_feed(ws, None, 10).await.unwrap();
    assert_eq!(
        serde_json::to_string(&feed.events[0].event.metadata).unwrap(),
        serde_json::to_string(&custom).unwrap()
    );
    // Writing the same again is a no-op: the digest is stable.
    let again = db
        .store
        .write_batch(
            ws,
            IngestBatch {
                contacts: std::slice::from_ref(&odd),
                events: std::slice::from_ref(&spiky),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(again.written(), 0);
}
pub use crate::export_cases::*;
pub use crate::writeback_cases::*;
