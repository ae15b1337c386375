//! On-view fetches against the simulator: one upstream fetch for many views, none within the
//! TTL, the stored copy marked stale when Intercom is slow or down, 404s marked deleted.

use crate::support::{Env, count};
use icsync_domain::{ContactId, ConversationId};
use icsync_inbound::{FreshnessState, InboundConfig, OnViewFetcher};
use icsync_intercom_sim::{FaultConfig, SimConfig};
use std::time::{Duration, Instant};

fn fetcher(env: &Env, config: InboundConfig) -> OnViewFetcher {
    OnViewFetcher::new(
        env.store.clone(),
        env.pacers.clone(),
        env.settings.clone(),
        config,
    )
}

/// A contact with at least two conversations in the simulator, and their ids.
async fn busy_contact(env: &Env) -> (ContactId, Vec<String>) {
    let truth = env.truth().await;
    let mut by_contact: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for c in &truth {
        by_contact
            .entry(c.contact_ids()[0].to_owned())
            .or_default()
            .push(c.id.clone());
    }
    let (contact, ids) = by_contact
        .into_iter()
        .max_by_key(|(_, ids)| ids.len())
        .unwrap();
    assert!(ids.len() >= 2, "{contact} has {} conversations", ids.len());
    (ContactId::new(contact), ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_views_share_one_fetch_and_a_fresh_copy_costs_nothing() {
    let env = Env::start(
        SimConfig {
            contacts: 40,
            conversations: 60,
            max_conversation_parts: 12,
            ..SimConfig::default()
        },
        |r| r.user_tracking = false,
    )
    .await;
    let (contact, ids) = busy_contact(&env).await;
    let views = fetcher(
        &env,
        InboundConfig {
            // Generous: the machine may be slow; the point is one fetch, not its speed.
            on_view_timeout_ms: 60_000,
            ..InboundConfig::default()
        },
    );
    let ws = env.workspace.id;
    let mark = env.mark();
    let answers =
        futures::future::join_all((0..100).map(|_| views.fetch_on_view(ws, &contact))).await;
    for answer in &answers {
        assert_eq!(answer.state, FreshnessState::Fresh, "{answer:?}");
    }
    let fetched_at = answers[0].fetched_at;
    assert!(
        answers.iter().all(|a| a.fetched_at == fetched_at),
        "one fetch, one time"
    );
    let requests = env.requests_since(mark);
    assert_eq!(
        count(&requests, "POST /conversations/search"),
        1,
        "{requests:?}"
    );
    assert_eq!(
        count(&requests, "GET /conversations/"),
        ids.len(),
        "{requests:?}"
    );
    assert_eq!(requests.len(), 1 + ids.len(), "{requests:?}");
    assert_eq!(views.upstream_fetches(), 1);
    let stored = env
        .store
        .conversations_of_contact(ws, &contact, 100)
        .await
        .unwrap();
    assert_eq!(stored.len(), ids.len());
    // Within the TTL: no request at all.
    let mark = env.mark();
    let again = views.fetch_on_view(ws, &contact).await;
    assert_eq!(again.state, FreshnessState::Fresh);
    assert_eq!(again.fetched_at, fetched_at);
    assert!(env.requests_since(mark).is_empty());
    // Past it (forgotten here), one search and only the conversations that changed.
    env.sim.reply(&ids[0], "A new message", None).unwrap();
    views.forget(ws, &contact).await;
    let mark = env.mark();
    assert_eq!(
        views.fetch_on_view(ws, &contact).await.state,
        FreshnessState::Fresh
    );
    let requests = env.requests_since(mark);
    assert_eq!(
        requests,
        vec![
            "POST /conversations/search".to_owned(),
            format!("GET /conversations/{}", ids[0])
        ]
    );
    // Intercom forgets a conversation (its contact deleted): the view marks it deleted.
    env.sim.delete_contact(contact.as_str()).unwrap();
    views.forget(ws, &contact).await;
    assert_eq!(
        views.fetch_on_view(ws, &contact).await.state,
        FreshnessState::Fresh
    );
    assert!(
        env.store
            .conversations_of_contact(ws, &contact, 100)
            .await
            .unwrap()
            .is_empty()
    );
    let gone = env
        .store
        .conversation(ws, &ConversationId::new(ids[0].clone()))
        .await
        .unwrap()
        .unwrap();
    assert!(gone.deleted_at.is_some(), "{gone:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_or_absent_intercom_gets_the_stored_copy_marked_stale_within_the_timeout() {
    let env = Env::start(
        SimConfig {
            contacts: 40,
            conversations: 60,
            max_conversation_parts: 12,
            ..SimConfig::default()
        },
        |r| r.user_tracking = false,
    )
    .await;
    let (contact, ids) = busy_contact(&env).await;
    let ws = env.workspace.id;
    let generous = InboundConfig {
        on_view_timeout_ms: 60_000,
        ..InboundConfig::default()
    };
    assert_eq!(
        fetcher(&env, generous)
            .fetch_on_view(ws, &contact)
            .await
            .state,
        FreshnessState::Fresh
    );
    let timeout = Duration::from_millis(300);
    let impatient = InboundConfig {
        on_view_timeout_ms: timeout.as_millis() as u64,
        ..InboundConfig::default()
    };
    // Slow: every answer takes seconds. The view answers stale; the fetch lands later.
    env.sim.set_faults(FaultConfig {
        latency_ms: 5_000,
        ..FaultConfig::default()
    });
    let views = fetcher(&env, impatient.clone());
    let started = Instant::now();
    let slow = views.fetch_on_view(ws, &contact).await;
    let waited = started.elapsed();
    assert_eq!(slow.state, FreshnessState::Stale, "{slow:?}");
    assert!(
        slow.reason
            .as_deref()
            .is_some_and(|r| r.contains("did not answer")),
        "{slow:?}"
    );
    // Answered at the timeout, not after Intercom (the bound is loose: a busy machine).
    assert!(waited < Duration::from_millis(4_500), "waited {waited:?}");
    assert_eq!(
        env.store
            .conversations_of_contact(ws, &contact, 100)
            .await
            .unwrap()
            .len(),
        ids.len()
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let view = views.fetch_on_view(ws, &contact).await;
        if view.state == FreshnessState::Fresh {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the fetch never landed: {view:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        views.upstream_fetches(),
        1,
        "the slow fetch was shared, not repeated"
    );
    // Down: the simulator is gone. The view still answers, from the store, stale.
    env.sim.set_faults(FaultConfig::default());
    let Env { sim, store, .. } = env;
    sim.shutdown().await;
    let views = OnViewFetcher::new(
        store.clone(),
        Default::default(),
        crate::support::settings(),
        impatient,
    );
    let started = Instant::now();
    let down = views.fetch_on_view(ws, &contact).await;
    let waited = started.elapsed();
    assert_eq!(down.state, FreshnessState::Stale, "{down:?}");
    assert!(down.reason.is_some());
    assert!(waited < Duration::from_secs(10), "waited {waited:?}");
    assert_eq!(
        store
            .conversations_of_contact(ws, &contact, 100)
            .await
            .unwrap()
            .len(),
        ids.len()
    );
}
