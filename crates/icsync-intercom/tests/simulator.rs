//! Against the Intercom simulator with faults on (10% 5xx, dropped connections, truncated bodies, a 429
//! storm, a scroll that expires mid-way): streaming all contacts, all companies, one contact's events and all
//! conversations (each retrieved with its parts) yields every record exactly once, and the pacer keeps 429s
//! outside the storm under 1% of requests.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::{StreamExt, TryStreamExt};
use icsync_intercom::models::DataEvent;
use icsync_intercom::{
    AccessToken, ClientConfig, EventsFor, IntercomClient, Region, ScrollOptions, collect_all,
};
use icsync_intercom_sim::{FaultConfig, SimConfig, SimHandle, Simulator};

const RATE_LIMIT: u32 = 100;
const STORM_SECS: u64 = 3;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn client_for(sim: &SimHandle) -> IntercomClient {
    let config = ClientConfig::new(Region::Us, AccessToken::new(sim.token()))
        .with_base_url(sim.base_url())
        .unwrap_or_else(|e| panic!("{e}"));
    let config = ClientConfig {
        workspace_label: "sim".into(),
        ..config
    };
    IntercomClient::new(config)
        .unwrap_or_else(|e| panic!("{e}"))
        .with_page_size(25)
}

fn event_key(event: &DataEvent) -> String {
    format!(
        "{}|{}|{}",
        event.event_name,
        event.created_at.timestamp(),
        serde_json::Value::Object(event.metadata.clone())
    )
}

fn assert_exactly_once(what: &str, yielded: &[String], expected: &HashSet<String>) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in yielded {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.is_empty(),
        "{what}: yielded more than once: {repeated:?}"
    );
    let got: HashSet<String> = yielded.iter().cloned().collect();
    let missing: Vec<_> = expected.difference(&got).collect();
    let unexpected: Vec<_> = got.difference(expected).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "{what}: missing {missing:?}, unexpected {unexpected:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_exactly_once_under_faults_and_few_429s() {
    let config = SimConfig {
        contacts: 1000,
        companies: 60,
        conversations: 60,
        events_per_contact: 40,
        rate_limit_per_window: RATE_LIMIT,
        ..SimConfig::default()
    };
    let sim = Simulator::start(
        config,
        "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));

    // What a fault-free read must return, straight from the simulator's state.
    let expected_contacts: HashSet<String> = sim.contact_ids(usize::MAX).into_iter().collect();
    let expected_companies: HashSet<String> = sim.company_ids(usize::MAX).into_iter().collect();
    let expected_conversations: HashSet<String> =
        sim.conversation_ids(usize::MAX).into_iter().collect();
    let busiest = expected_contacts
        .iter()
        .filter_map(|id| sim.event_counts(id).ok().map(|c| (c.listable, id.clone())))
        .max()
        .unwrap_or_else(|| panic!("no contact has events"));
    let (listable_events, event_contact) = busiest;
    assert!(
        listable_events > 25,
        "pick a contact whose events span pages: {listable_events}"
    );
    let summary = sim.summary();

    // The events baseline, read before faults are on (events have no ids: compare their contents).
    let baseline_client = client_for(&sim);
    let baseline: Vec<DataEvent> = collect_all(
        baseline_client
            .events()
            .list(&EventsFor::IntercomId(event_contact.clone())),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(baseline.len() as u64, listable_events);
    let expected_events: HashSet<String> = baseline.iter().map(event_key).collect();
    assert_eq!(
        expected_events.len(),
        baseline.len(),
        "generated events are distinct"
    );
    // Let the window used by the baseline pass, so the run below starts on a fresh client and budget.
    tokio::time::sleep(Duration::from_millis(10_500 - (now_ms() % 10_000) as u64)).await;
    sim.clear_journal();

    let faults = FaultConfig {
        error_rate: 0.10,
        drop_rate: 0.03,
        truncated_rate: 0.02,
        empty_body_rate: 0.01,
        ..FaultConfig::default()
    };
    sim.set_faults(faults.clone());
    sim.set_scroll_expiry(Duration::from_millis(700));
    let client = client_for(&sim);
    let sim = Arc::new(sim);

    // A 429 storm a few seconds in.
    let storm_at = Arc::new(std::sync::Mutex::new(None::<i64>));
    let storm = {
        let (sim, storm_at, faults) = (Arc::clone(&sim), Arc::clone(&storm_at), faults.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(6)).await;
            *storm_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(now_ms());
            sim.set_faults(FaultConfig {
                storm_429_secs: STORM_SECS,
                ..faults
            });
        })
    };

    let contacts = async {
        let pages: Vec<_> = client
            .contacts()
            .list()
            .try_collect()
            .await
            .unwrap_or_else(|e| panic!("contacts: {e}"));
        pages
            .into_iter()
            .flat_map(|p| p.items.into_iter().map(|c| c.id))
            .collect::<Vec<_>>()
    };
    let companies = async {
        let slowed = AtomicBool::new(false);
        let mut pages = client.companies().scroll(ScrollOptions {
            max_restarts: 40,
            ..ScrollOptions::default()
        });
        let mut ids = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.unwrap_or_else(|e| panic!("companies: {e}"));
            ids.extend(page.items.into_iter().map(|c| c.id));
            // A slow consumer once: the scroll expires (700 ms idle) and must restart.
            if !slowed.swap(true, Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(1_500)).await;
            }
        }
        ids
    };
    let events = async {
        let events: Vec<DataEvent> = collect_all(
            client
                .events()
                .list(&EventsFor::IntercomId(event_contact.clone())),
        )
        .await
        .unwrap_or_else(|e| panic!("events: {e}"));
        events.iter().map(event_key).collect::<Vec<_>>()
    };
    let conversations = async {
        let listed = collect_all(client.conversations().list())
            .await
            .unwrap_or_else(|e| panic!("conversations: {e}"));
        let mut truncated = 0;
        for conversation in &listed {
            let full = client
                .conversations()
                .get(&conversation.id)
                .await
                .unwrap_or_else(|e| panic!("conversation {}: {e}", conversation.id));
            if full.parts_completeness().truncated {
                truncated += 1;
            }
        }
        (
            listed.into_iter().map(|c| c.id).collect::<Vec<_>>(),
            truncated,
        )
    };
    let started = std::time::Instant::now();
    let (contacts, companies, events, (conversations, truncated)) =
        futures::join!(contacts, companies, events, conversations);
    let elapsed = started.elapsed();
    assert!(storm.await.is_ok());

    assert_exactly_once("contacts", &contacts, &expected_contacts);
    assert_exactly_once("companies", &companies, &expected_companies);
    assert_exactly_once("events", &events, &expected_events);
    assert_exactly_once("conversations", &conversations, &expected_conversations);
    assert_eq!(
        truncated, summary.conversations_over_part_cap,
        "conversations flagged as having more than 500 parts"
    );

    let stats = client.stats();
    assert!(
        stats.scroll_restarts >= 1,
        "the scroll expired mid-way and restarted: {stats:?}"
    );
    assert!(
        stats.retries > 0 && stats.server_errors > 0,
        "faults were injected: {stats:?}"
    );

    // 429s: the storm's are forced; outside it the pacer must keep them under 1% of requests.
    let storm_start = storm_at
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .unwrap_or_else(|| panic!("the storm never started"));
    let storm_end = storm_start + STORM_SECS as i64 * 1000;
    let journal = sim.journal(0);
    let requests = journal.len();
    let in_storm = journal
        .iter()
        .filter(|e| e.status == 429 && e.at_ms >= storm_start && e.at_ms <= storm_end + 50)
        .count();
    let paced_429s = journal.iter().filter(|e| e.status == 429).count() - in_storm;
    assert!(in_storm > 0, "the storm answered 429s");
    assert!(
        paced_429s * 100 < requests,
        "{paced_429s} 429s outside the storm in {requests} requests"
    );

    // Never more than the limit in one of the simulator's 10-second windows.
    let mut per_window: HashMap<i64, u32> = HashMap::new();
    for entry in journal.iter().filter(|e| e.status != 429) {
        *per_window
            .entry(entry.at_ms.div_euclid(10_000))
            .or_default() += 1;
    }
    let busiest_window = per_window.values().copied().max().unwrap_or_default();
    assert!(
        busiest_window <= RATE_LIMIT,
        "{busiest_window} requests counted in one window"
    );
    eprintln!(
        "sim run: {requests} requests in {elapsed:?} ({:.1} per 10 s window of {RATE_LIMIT}), {} retries, {in_storm} storm 429s, {paced_429s} other 429s, {} scroll restarts, pacer wait {:?}, busiest window {busiest_window}",
        requests as f64 / elapsed.as_secs_f64() * 10.0,
        stats.retries,
        stats.scroll_restarts,
        stats.pacer_wait
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_pressure_the_pacer_fills_each_window_without_429s() {
    const LIMIT: u32 = 40;
    let config = SimConfig {
        contacts: 40,
        companies: 5,
        conversations: 5,
        rate_limit_per_window: LIMIT,
        ..SimConfig::default()
    };
    let sim = Simulator::start(
        config,
        "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let client = client_for(&sim);
    let ids = sim.contact_ids(40);
    let started = now_ms();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(31);
    let mut workers = Vec::new();
    for worker in 0..8 {
        let (client, ids) = (client.clone(), ids.clone());
        workers.push(tokio::spawn(async move {
            let mut i = worker;
            while tokio::time::Instant::now() < deadline {
                client
                    .contacts()
                    .get(&ids[i % ids.len()])
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                i += 8;
            }
        }));
    }
    for worker in workers {
        assert!(worker.await.is_ok());
    }
    let journal = sim.journal(0);
    let limited = journal.iter().filter(|e| e.status == 429).count();
    assert!(
        limited * 100 < journal.len(),
        "{limited} 429s in {} requests",
        journal.len()
    );
    let mut per_window: HashMap<i64, u32> = HashMap::new();
    for entry in &journal {
        *per_window
            .entry(entry.at_ms.div_euclid(10_000))
            .or_default() += 1;
    }
    // Full windows only: after the one the run started in, before the one it ended in.
    let first = started.div_euclid(10_000);
    let last = journal
        .last()
        .map(|e| e.at_ms.div_euclid(10_000))
        .unwrap_or(first);
    let full: Vec<u32> = (first + 1..last)
        .map(|w| per_window.get(&w).copied().unwrap_or_default())
        .collect();
    assert!(!full.is_empty());
    for count in &full {
        assert!(*count <= LIMIT, "{count} requests in one window of {LIMIT}");
        assert!(
            f64::from(*count) > 0.9 * f64::from(LIMIT),
            "only {count} requests in a window of {LIMIT} while work was waiting"
        );
    }
    eprintln!(
        "pressure: {} requests, {limited} 429s, full windows {full:?} of {LIMIT}, stats {:?}",
        journal.len(),
        client.stats()
    );
}
