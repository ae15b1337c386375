//! Sessions rebuilt while importing, and the feeds health-scoring jobs read.

use super::resilience::started;
use chrono::{Duration, Utc};
use icsync_domain::ContactId;
use icsync_inbound::SyncOptions;
use icsync_sessionizer::{SessionRules, Sessionizer, Signal};
use icsync_tests::TestDatabase;
use std::collections::HashSet;

/// The sessions the rule gives for everything stored of a contact, from scratch.
async fn from_scratch(
    synced: &icsync_tests::sync::Synced,
    contact: &ContactId,
) -> Vec<icsync_domain::Session> {
    let all = synced
        .store
        .contact_signals_since(
            synced.workspace.id,
            contact,
            Utc::now() - Duration::days(3_650),
        )
        .await
        .unwrap();
    let signals: Vec<Signal<'_>> = all
        .events
        .iter()
        .map(|(name, at)| Signal::event(name, *at))
        .chain(all.seen.iter().map(|at| Signal::seen(*at)))
        .collect();
    Sessionizer::new(SessionRules::default(), Utc::now())
        .sessionize(contact, signals)
        .sessions
}

pub async fn stored_sessions_equal_the_rule_applied_to_the_stored_signals(db: TestDatabase) {
    let synced = started(db, 300).await;
    assert!(synced.pass().await.all_finished());
    // Late events (inside, before and between existing sessions) and users seen again.
    let stored = synced.stored_contact_ids().await;
    assert!(stored.len() > 40);
    let now = Utc::now();
    for (n, id) in stored.iter().take(40).enumerate() {
        let offset = Duration::minutes(17 * n as i64 + 5) + Duration::days((n % 7) as i64);
        synced
            .sim
            .add_event(
                id,
                "late-event",
                Some((now - offset).timestamp()),
                Default::default(),
            )
            .unwrap();
        synced
            .sim
            .update_contact(
                id,
                serde_json::json!({"last_seen_at": now.timestamp() - n as i64 * 60}),
            )
            .unwrap();
    }
    let again = synced.pass().await;
    assert!(again.all_finished(), "{again:#?}");
    let events = again
        .streams
        .iter()
        .find(|s| s.stream.as_str() == "events")
        .unwrap();
    assert!(
        events.also.get("sessions_written").copied().unwrap_or(0) > 0,
        "{events:#?}"
    );
    let mut with_sessions = 0;
    for id in &stored {
        let contact = ContactId::new(id.clone());
        let expected = from_scratch(&synced, &contact).await;
        let got = synced
            .store
            .sessions_of_contact(synced.workspace.id, &contact)
            .await
            .unwrap();
        assert_eq!(got, expected, "sessions of {id}");
        with_sessions += usize::from(!got.is_empty());
    }
    assert!(with_sessions > 40, "{with_sessions} contacts have sessions");
    // A pass with nothing new writes no session.
    let quiet = synced.pass().await;
    for stream in &quiet.streams {
        assert_eq!(stream.also.get("sessions_written"), None, "{stream:#?}");
    }
}

pub async fn the_event_feed_delivers_every_event_once_while_a_sync_writes(db: TestDatabase) {
    let synced = started(db, 1_000).await;
    let sync = {
        let store = synced.store.clone();
        let ws = synced.workspace.id;
        let client = synced.client().await;
        let config = synced.config.clone();
        tokio::spawn(async move {
            icsync_inbound::sync_workspace(
                &store,
                ws,
                &client,
                &config,
                &SyncOptions::default(),
                &Default::default(),
                &icsync_inbound::NoProgress,
            )
            .await
        })
    };
    // A consumer pages the feed to its end, again and again, while the sync writes.
    let mut seen = HashSet::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let finished = sync.is_finished();
        let page = synced
            .store
            .event_feed(synced.workspace.id, cursor, 97)
            .await
            .unwrap();
        pages += 1;
        for event in &page.events {
            assert!(
                seen.insert(event.seq),
                "event {} delivered twice",
                event.seq
            );
        }
        cursor = page.next_cursor;
        if page.events.is_empty() {
            if finished {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
    let report = sync.await.unwrap().unwrap();
    assert!(report.all_finished(), "{report:#?}");
    let stored = synced
        .store
        .record_counts(synced.workspace.id)
        .await
        .unwrap();
    assert_eq!(
        seen.len() as u64,
        stored.events,
        "every stored event, once ({pages} pages)"
    );
    assert!(stored.events > 1_000);
}
