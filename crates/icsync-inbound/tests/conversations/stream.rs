//! The conversations stream against the simulator: backfill, polls, User Tracking off, resume.

use crate::support::{Db, Env, contact_of, count, id_of};
use chrono::Utc;
use icsync_domain::{ContactId, RunStatus, StreamName, conversation_inbox_url, normalize_email};
use icsync_inbound::{Progress, StreamReport};
use icsync_intercom_sim::{FaultConfig, SimConfig};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

const USERS: &str = StreamName::USERS;
const CONVERSATIONS: &str = StreamName::CONVERSATIONS;

fn stream<'a>(report: &'a icsync_inbound::SyncReport, name: &str) -> &'a StreamReport {
    report
        .streams
        .iter()
        .find(|s| s.stream.as_str() == name)
        .unwrap_or_else(|| panic!("no {name} in {report:#?}"))
}

fn also(report: &StreamReport, key: &str) -> u64 {
    report.also.get(key).copied().unwrap_or(0)
}

/// A user created in the backfill window, as the simulator lists it.
fn recent_user(env: &Env, skip: usize) -> String {
    let since = Utc::now().timestamp() - 30 * 86_400;
    env.sim
        .contacts_created_since(since)
        .into_iter()
        .filter(|c| c.role == "user")
        .nth(skip)
        .expect("a recent user")
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_stores_every_conversation_of_the_users_in_scope_with_all_their_parts() {
    backfill_then_polls(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_and_polls_on_postgres() {
    backfill_then_polls(Db::Postgres).await;
}

async fn backfill_then_polls(db: Db) {
    let env = Env::start_on(
        db,
        SimConfig {
            contacts: 300,
            conversations: 150,
            ..SimConfig::default()
        },
        |_| {},
    )
    .await;
    // A long conversation of a user in scope: 520 parts, of which Intercom returns 500.
    let user = recent_user(&env, 0);
    let long = env
        .sim
        .start_conversation(&user, "Export", "<p>How do I export everything?</p>")
        .unwrap();
    for k in 0..520 {
        env.sim
            .reply(
                &long,
                &format!("part {k}"),
                (k % 2 == 0).then_some(991_267_390),
            )
            .unwrap();
    }
    let report = env.pass(&[USERS, CONVERSATIONS]).await;
    assert!(report.all_finished(), "{report:#?}");
    let conversations = stream(&report, CONVERSATIONS);
    assert_eq!(conversations.stats.kind.as_deref(), Some("backfill"));
    let cutoff = conversations.since.unwrap();

    let truth = env.truth().await;
    let in_scope: Vec<_> = truth
        .iter()
        .filter(|c| c.created_at.unwrap() >= cutoff)
        .collect();
    assert!(in_scope.len() > 20, "{} in scope", in_scope.len());
    let ws = env.workspace.id;
    let counts = env.store.record_counts(ws).await.unwrap();
    assert_eq!(
        counts.conversations,
        in_scope.len() as u64,
        "exactly those created since the cutoff"
    );
    // Every stored user's conversations are all there.
    let users: HashSet<String> = env
        .store
        .live_contact_ids(ws, None, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    assert!(users.contains(&user));
    let mut parts_expected = 0;
    let mut of_users = 0;
    let mut truncated = 0;
    for c in &in_scope {
        let stored = env
            .store
            .conversation(ws, &id_of(c))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("conversation {} missing", c.id));
        let total = c.conversation_parts.as_ref().unwrap().total_count.unwrap() as i64;
        let returned = c.parts().len() as i64;
        assert_eq!(stored.conversation.parts_reported, Some(total), "{}", c.id);
        assert_eq!(stored.parts_stored, returned.min(500), "{}", c.id);
        assert_eq!(stored.conversation.updated_at, c.updated_at.unwrap());
        assert_eq!(
            stored.conversation.state,
            c.state.as_ref().unwrap().as_str()
        );
        assert_eq!(stored.conversation.contact_ids, vec![contact_of(c)]);
        assert_eq!(
            stored.conversation.source.body,
            c.source.as_ref().unwrap().body
        );
        let parts = env.store.conversation_parts(ws, &id_of(c)).await.unwrap();
        let ids: HashSet<&str> = parts.iter().map(|p| p.id.as_str()).collect();
        for p in c.parts() {
            assert!(ids.contains(p.id.as_str()), "part {} of {}", p.id, c.id);
        }
        parts_expected += returned as u64;
        if total > returned {
            truncated += 1;
            assert!(stored.is_truncated());
        }
        if users.contains(contact_of(c).as_str()) {
            of_users += 1;
        }
    }
    assert!(of_users > 0);
    assert_eq!(counts.parts, parts_expected);
    assert!(truncated >= 1);
    let long = env
        .store
        .conversation(ws, &icsync_domain::ConversationId::new(long.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(long.parts_summary(), "500 of 520");
    assert_eq!(long.conversation.parts_reported, Some(520));
    // Linked to its contact and, by email, to host contacts.
    let timeline = env
        .store
        .conversations_of_contact(ws, &ContactId::new(user.clone()), 100)
        .await
        .unwrap();
    assert!(
        timeline
            .iter()
            .any(|c| c.conversation.id == long.conversation.id)
    );
    let email = env.sim.contact_json(&user).unwrap()["email"]
        .as_str()
        .and_then(normalize_email);
    if let Some(email) = &email {
        let by_email = env
            .store
            .conversations_by_email(ws, email, 100)
            .await
            .unwrap();
        assert!(
            by_email
                .iter()
                .any(|c| c.conversation.id == long.conversation.id)
        );
    }
    // Matched by the stored contact's email, else by the email the contact wrote with; the
    // others are stored unmatched and counted.
    let mut unmatched = 0;
    for c in &in_scope {
        let contact = contact_of(c);
        let stored_email = if users.contains(contact.as_str()) {
            env.sim.contact_json(contact.as_str()).unwrap()["email"]
                .as_str()
                .and_then(normalize_email)
        } else {
            None
        };
        let wrote = c
            .source
            .iter()
            .filter_map(|s| s.author.as_ref())
            .chain(c.parts().iter().filter_map(|p| p.author.as_ref()))
            .filter(|a| a.id.as_deref() == Some(contact.as_str()))
            .find_map(|a| a.email.as_deref().and_then(normalize_email));
        let expected = stored_email.or(wrote);
        let stored = env
            .store
            .conversation(ws, &id_of(c))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.conversation.contact_email, expected, "{}", c.id);
        unmatched += u64::from(expected.is_none());
    }
    assert_eq!(also(conversations, "conversations_unmatched"), unmatched);
    assert_eq!(
        env.store.count_unmatched_conversations(ws).await.unwrap(),
        unmatched
    );
    // Requests: search pages plus one retrieve per conversation, nothing more.
    let floor = (in_scope.len() as u64).div_ceil(150) + in_scope.len() as u64;
    assert_eq!(
        conversations.stats.requests as u64, floor,
        "{conversations:#?}"
    );
    // Reply on Intercom.
    assert_eq!(
        conversation_inbox_url(
            env.workspace.region,
            env.workspace.intercom_app_id.as_deref(),
            &long.conversation.id
        ),
        format!(
            "https://app.intercom.com/a/inbox/ecahpwf5/inbox/conversation/{}",
            long.conversation.id
        )
    );

    // A conversation started and replied to appears after one poll; nothing else is fetched.
    let started = env
        .sim
        .start_conversation(
            &recent_user(&env, 1),
            "Billing",
            "<p>Where is my invoice?</p>",
        )
        .unwrap();
    env.sim
        .reply(&started, "It is attached", Some(991_267_390))
        .unwrap();
    env.sim.reply(&started, "Thanks!", None).unwrap();
    let mark = env.mark();
    let poll = env.pass(&[CONVERSATIONS]).await;
    assert!(poll.all_finished(), "{poll:#?}");
    let poll = stream(&poll, CONVERSATIONS);
    assert_eq!(poll.stats.kind.as_deref(), Some("incremental"));
    let stored = env
        .store
        .conversation(ws, &icsync_domain::ConversationId::new(started.clone()))
        .await
        .unwrap()
        .expect("the new conversation after one poll");
    assert_eq!(stored.parts_summary(), "2");
    assert_eq!(
        stored.conversation.source.body.as_deref(),
        Some("<p>Where is my invoice?</p>")
    );
    assert_eq!(stored.conversation.state, "open");
    let parts = env
        .store
        .conversation_parts(ws, &stored.conversation.id)
        .await
        .unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].author.kind.as_deref(), Some("admin"));
    assert_eq!(parts[1].author.kind.as_deref(), Some("user"));
    assert_eq!(parts[1].body.as_deref(), Some("<p>Thanks!</p>"));
    let requests = env.requests_since(mark);
    assert_eq!(
        count(&requests, "GET /conversations/"),
        1,
        "only the changed conversation is retrieved: {requests:?}"
    );
    // A pass with nothing new writes nothing and retrieves nothing.
    let mark = env.mark();
    let idle = env.pass(&[CONVERSATIONS]).await;
    let idle = stream(&idle, CONVERSATIONS);
    assert_eq!(idle.stats.records, 0, "{idle:#?}");
    let requests = env.requests_since(mark);
    assert!(
        requests.iter().all(|r| r == "POST /conversations/search"),
        "{requests:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_are_imported_with_user_tracking_off() {
    let env = Env::start(
        SimConfig {
            contacts: 120,
            conversations: 40,
            max_conversation_parts: 30,
            ..SimConfig::default()
        },
        |r| r.user_tracking = false,
    )
    .await;
    let mark = env.mark();
    let report = env.pass(&[]).await;
    assert!(report.all_finished(), "{report:#?}");
    for gated in [USERS, StreamName::COMPANIES, StreamName::EVENTS] {
        assert_eq!(stream(&report, gated).status, RunStatus::Idle);
    }
    let conversations = stream(&report, CONVERSATIONS);
    assert_eq!(conversations.status, RunStatus::Succeeded);
    assert!(conversations.stats.records > 0, "{conversations:#?}");
    let requests = env.requests_since(mark);
    assert!(
        requests
            .iter()
            .all(|r| r.starts_with("POST /conversations/search")
                || r.starts_with("GET /conversations/")),
        "nothing but conversations without User Tracking: {requests:?}"
    );
    // No contact is stored, so each conversation is matched by what its contact wrote.
    let counts = env.store.record_counts(env.workspace.id).await.unwrap();
    assert_eq!(counts.contacts, 0);
}

/// Breaks every request once the stream has read `after` search pages.
struct Breaker<'a> {
    env: &'a Env,
    after: usize,
    pages: AtomicUsize,
}

impl Progress for Breaker<'_> {
    fn advanced(&self, stream: &str, _records: u64) {
        if stream == CONVERSATIONS && self.pages.fetch_add(1, Ordering::SeqCst) + 1 == self.after {
            self.env.sim.set_faults(FaultConfig {
                error_rate: 1.0,
                ..FaultConfig::default()
            });
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_broken_mid_search_resumes_from_its_checkpoint() {
    let mut env = Env::start(
        SimConfig {
            contacts: 400,
            conversations: 520,
            max_conversation_parts: 8,
            ..SimConfig::default()
        },
        // Every conversation is in scope: four search pages.
        |r| r.backfill_days = 3650,
    )
    .await;
    env.config.prefetch_pages = 1;
    let breaker = Breaker {
        env: &env,
        after: 2,
        pages: AtomicUsize::new(0),
    };
    let broken = env.pass_observed(&[CONVERSATIONS], &breaker).await;
    env.sim.set_faults(FaultConfig::default());
    let broken = stream(&broken, CONVERSATIONS);
    assert_eq!(broken.status, RunStatus::Failed, "{broken:#?}");
    let ws = env.workspace.id;
    let checkpoint = env
        .store
        .checkpoint(ws, &StreamName::new(CONVERSATIONS))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(checkpoint.status, RunStatus::Failed);
    assert!(checkpoint.cursor.is_some(), "resumable: {checkpoint:?}");
    let stored_before = env.store.record_counts(ws).await.unwrap().conversations;
    assert_eq!(
        stored_before, 150,
        "the first page committed, the second did not"
    );

    let mark = env.mark();
    let resumed = env.pass(&[CONVERSATIONS]).await;
    assert!(resumed.all_finished(), "{resumed:#?}");
    let resumed = stream(&resumed, CONVERSATIONS);
    assert_eq!(
        resumed.stats.kind.as_deref(),
        Some("backfill"),
        "the same backfill, resumed"
    );
    let requests = env.requests_since(mark);
    assert_eq!(
        count(&requests, "POST /conversations/search"),
        3,
        "pages 2 to 4 only: {requests:?}"
    );
    assert_eq!(count(&requests, "GET /conversations/"), 520 - 150);
    let truth = env.truth().await;
    assert_eq!(
        env.store.record_counts(ws).await.unwrap().conversations,
        truth.len() as u64
    );
    let by_id: HashMap<String, i64> = truth
        .iter()
        .map(|c| (c.id.clone(), c.parts().len() as i64))
        .collect();
    for (id, parts) in by_id.iter().take(50) {
        let stored = env
            .store
            .conversation(ws, &icsync_domain::ConversationId::new(id.clone()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.parts_stored, *parts);
    }
}
