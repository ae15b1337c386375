//! Cases for conversations and notification-driven writes: nothing goes back in time, 404s are
//! marked deleted, host contacts find their conversations by email.

use crate::fixtures::*;
use crate::support::TestDb;
use chrono::Duration;
use icsync_domain::*;
use icsync_store::{ContactMark, IngestBatch};
use secrecy::{ExposeSecret, SecretString};

async fn workspace(db: &TestDb) -> WorkspaceId {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    db.store
        .create_workspace(&NewWorkspace {
            access_token: Some(SecretString::from("token".to_owned())),
            ..NewWorkspace::new(format!("Conversations {n}"))
        })
        .await
        .expect("create workspace")
        .id
}

pub async fn newer_only_writes_never_take_a_record_back_in_time(db: &TestDb) {
    let ws = workspace(db).await;
    let store = &db.store;
    let at = |c: &Contact| c.updated_at.unwrap();
    let mut current = contact(1);
    current.name = Some("Current".into());
    store
        .write_batch(
            ws,
            IngestBatch {
                contacts: std::slice::from_ref(&current),
                companies: &[company(1)],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // A late notification with an older copy, and one with the same time: nothing changes.
    let mut older = current.clone();
    older.name = Some("Older".into());
    older.updated_at = Some(at(&current) - Duration::seconds(30));
    let mut same_second = current.clone();
    same_second.name = Some("Same second".into());
    let mut old_company = company(1);
    old_company.name = Some("Old name".into());
    old_company.updated_at = old_company.updated_at.map(|t| t - Duration::seconds(1));
    for contact in [&older, &same_second] {
        let report = store
            .write_batch(
                ws,
                IngestBatch {
                    contacts: std::slice::from_ref(contact),
                    companies: std::slice::from_ref(&old_company),
                    newer_only: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(report.contacts.written + report.companies.written, 0);
    }
    let stored = |store: &icsync_store::Store| {
        let store = store.clone();
        async move {
            store
                .contact_profile(ws, &contact(1).id)
                .await
                .unwrap()
                .unwrap()
        }
    };
    assert_eq!(
        stored(store).await.contact.contact.name.as_deref(),
        Some("Current")
    );
    assert_eq!(
        store
            .company(ws, &company(1).id)
            .await
            .unwrap()
            .unwrap()
            .company
            .name,
        company(1).name
    );
    // A newer one applies.
    let mut newer = current.clone();
    newer.name = Some("Newer".into());
    newer.updated_at = Some(at(&current) + Duration::seconds(5));
    let report = store
        .write_batch(
            ws,
            IngestBatch {
                contacts: std::slice::from_ref(&newer),
                newer_only: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(report.contacts.written, 1);
    assert_eq!(
        store.contact_version(ws, &newer.id).await.unwrap(),
        Some((newer.updated_at, false))
    );
    // A deleted contact stays deleted under a newer notification; a poll (the truth) revives it.
    store
        .write_batch(
            ws,
            IngestBatch {
                marks: &[ContactMark::Deleted {
                    contact: newer.id.clone(),
                }],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut newest = newer.clone();
    newest.updated_at = Some(at(&newer) + Duration::seconds(5));
    newest.name = Some("Newest".into());
    store
        .write_batch(
            ws,
            IngestBatch {
                contacts: std::slice::from_ref(&newest),
                newer_only: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let after = stored(store).await;
    assert!(after.contact.deleted_at.is_some(), "still deleted");
    store
        .write_batch(
            ws,
            IngestBatch {
                contacts: std::slice::from_ref(&older),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let polled = stored(store).await;
    assert_eq!(polled.contact.deleted_at, None, "a poll's read wins");
    assert_eq!(polled.contact.contact.name.as_deref(), Some("Older"));
    // The webhook secret can be replaced and removed.
    let secret = SecretString::from("whsec-new".to_owned());
    let ws_row = store.set_webhook_secret(ws, Some(&secret)).await.unwrap();
    assert_eq!(
        ws_row
            .webhook_secret
            .as_ref()
            .map(|s| s.expose_secret().to_owned()),
        Some("whsec-new".to_owned())
    );
    assert!(
        store
            .set_webhook_secret(ws, None)
            .await
            .unwrap()
            .webhook_secret
            .is_none()
    );
    assert!(store.company_known(ws, &company(1).id).await.unwrap());
    assert!(!store.company_known(ws, &company(2).id).await.unwrap());
}

pub async fn conversations_never_go_back_and_404s_are_marked_deleted(db: &TestDb) {
    let ws = workspace(db).await;
    let store = &db.store;
    let mut replied = conversation(1, &[3], 3);
    let parts: Vec<ConversationPart> = (0..3).map(|n| part(&replied, n)).collect();
    store
        .write_batch(
            ws,
            IngestBatch {
                conversations: std::slice::from_ref(&replied),
                parts: &parts,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // The older state (before the reply) arrives late, from a poll or a notification.
    let mut before = replied.clone();
    before.updated_at -= Duration::seconds(60);
    before.state = "closed".into();
    before.parts_reported = Some(2);
    // Same second, fewer parts: older too.
    let mut same_second = replied.clone();
    same_second.state = "snoozed".into();
    same_second.parts_reported = Some(2);
    for old in [&before, &same_second] {
        for newer_only in [false, true] {
            let report = store
                .write_batch(
                    ws,
                    IngestBatch {
                        conversations: std::slice::from_ref(old),
                        newer_only,
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            assert_eq!(report.conversations.written, 0);
        }
    }
    let stored = store.conversation(ws, &replied.id).await.unwrap().unwrap();
    assert_eq!(stored.conversation, replied);
    // Same second, one more part (closed right after the reply): newer.
    replied.state = "closed".into();
    replied.parts_reported = Some(4);
    let close = part(&replied, 3);
    let report = store
        .write_batch(
            ws,
            IngestBatch {
                conversations: std::slice::from_ref(&replied),
                parts: std::slice::from_ref(&close),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((report.conversations.written, report.parts.written), (1, 1));
    let versions = store
        .conversation_versions(ws, &[replied.id.clone(), ConversationId::new("404")])
        .await
        .unwrap();
    assert_eq!(versions.len(), 1);
    let version = versions[&replied.id];
    assert_eq!(
        (
            version.updated_at,
            version.parts_reported,
            version.parts_stored,
            version.deleted
        ),
        (replied.updated_at, Some(4), 4, false)
    );
    // A part edited (redacted) later is not undone by an older copy of it.
    let mut redacted = parts[0].clone();
    redacted.body = None;
    redacted.updated_at = Some(redacted.created_at + Duration::hours(1));
    let mut stale = parts[0].clone();
    stale.updated_at = Some(redacted.created_at);
    for p in [&redacted, &stale] {
        store
            .write_batch(
                ws,
                IngestBatch {
                    parts: std::slice::from_ref(p),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    let stored_parts = store.conversation_parts(ws, &replied.id).await.unwrap();
    assert_eq!(stored_parts[0].body, None, "the redaction holds");
    // Intercom answers 404: marked deleted, out of the timeline, still readable by id.
    let report = store
        .write_batch(
            ws,
            IngestBatch {
                deleted_conversations: &[replied.id.clone(), replied.id.clone()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(report.conversations_deleted, 1);
    assert!(
        store
            .conversations_of_contact(ws, &contact_id(3), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let gone = store.conversation(ws, &replied.id).await.unwrap().unwrap();
    assert!(gone.deleted_at.is_some());
    assert!(
        store
            .conversation_versions(ws, &[replied.id.clone()])
            .await
            .unwrap()[&replied.id]
            .deleted
    );
    // Marking it again changes nothing; seeing it again in Intercom (newer) brings it back.
    let again = store
        .write_batch(
            ws,
            IngestBatch {
                deleted_conversations: std::slice::from_ref(&replied.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(again.conversations_deleted, 0);
    replied.updated_at += Duration::seconds(10);
    store
        .write_batch(
            ws,
            IngestBatch {
                conversations: std::slice::from_ref(&replied),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let back = store.conversation(ws, &replied.id).await.unwrap().unwrap();
    assert_eq!(back.deleted_at, None);
    assert_eq!(back.parts_summary(), "4");
}

pub async fn host_contacts_find_their_conversations_by_email(db: &TestDb) {
    let ws = workspace(db).await;
    let store = &db.store;
    let contacts = [contact(1), contact(2), contact(5)];
    store
        .write_batch(
            ws,
            IngestBatch {
                contacts: &contacts,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let emails = store
        .contact_emails(
            ws,
            &[contact_id(1), contact_id(2), contact_id(5), contact_id(9)],
        )
        .await
        .unwrap();
    assert_eq!(emails.len(), 2, "contact 5 has no email, 9 is not stored");
    assert_eq!(emails[&contact_id(1)], "user1@example.com");
    let matched = conversation(1, &[1], 1204);
    let mut unmatched = conversation(2, &[5], 1);
    unmatched.contact_email = None;
    // Imported before its contact was stored: linked through the contact stored since.
    let mut linked_later = conversation(3, &[2], 1);
    linked_later.contact_email = None;
    store
        .write_batch(
            ws,
            IngestBatch {
                conversations: &[matched.clone(), unmatched, linked_later.clone()],
                parts: &(0..3).map(|n| part(&matched, n)).collect::<Vec<_>>(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let found = store
        .conversations_by_email(ws, "  USER1@example.com ", 10)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].conversation, matched);
    assert_eq!(found[0].parts_summary(), "3 of 1,204");
    assert!(
        store
            .conversations_by_email(ws, " ", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.count_unmatched_conversations(ws).await.unwrap(), 1);
}
