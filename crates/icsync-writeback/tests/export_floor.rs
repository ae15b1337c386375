//! Export's request count against the floor (one write per record, plus one tag call per
//! group added or removed, plus what a workspace needs once: the data-attribute lists and
//! creates and one create per tag name), read from the simulator's journal.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

mod export_support;
mod support;

use export_support::{exporter, only_contact, record, settings};
use icsync_domain::{CreationMode, RemovalMode, SyncMode};
use icsync_writeback::export::ExportDrainOptions;
use support::{client, count, sim, store, workspace};

const RECORDS: usize = 300;
const GROUPS: [&str; 3] = ["Alpha", "Beta", "Gamma"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_per_record_stay_within_five_percent_of_the_floor() {
    let sim = sim(0, 0).await;
    let client = client(&sim);
    let store = store().await;
    let ws = workspace(&store, sim.base_url(), sim.token()).await;
    let exporter = exporter(&store);
    exporter
        .configure(
            ws.id,
            &settings(
                SyncMode::Sync,
                CreationMode::Lifecycle,
                RemovalMode::Archive,
            ),
        )
        .await
        .unwrap();
    let records: Vec<_> = (0..RECORDS)
        .map(|i| {
            let groups = [GROUPS[i % 3], GROUPS[(i + 1) % 3]];
            let external = format!("u{i}");
            record(
                &format!("h{i}"),
                &format!("p{i}@x.test"),
                (i % 2 == 0).then_some(external.as_str()),
                "pro",
                &groups,
            )
        })
        .collect();
    exporter.put_batch(ws.id, records.clone()).await.unwrap();
    sim.clear_journal();
    let options = ExportDrainOptions::default();
    let summary = exporter.drain_once(&ws, &client, &options).await.unwrap();
    assert!(summary.is_success(), "{summary:?}");
    assert_eq!(summary.exported, RECORDS as u64);
    let journal = sim.journal(0);
    // Once per workspace: two data-attribute lists, two creates, one create per tag name.
    let once = 2 + 2 + GROUPS.len();
    let floor = RECORDS * 3 + once;
    assert_eq!(
        count(&journal, "POST", "/tags"),
        GROUPS.len(),
        "each tag created once"
    );
    assert_eq!(count(&journal, "GET", "/contacts"), 0, "no lookups");
    assert_eq!(
        count(&journal, "POST", "/contacts/search"),
        0,
        "no searches"
    );
    let ratio = journal.len() as f64 / floor as f64;
    println!(
        "new records: {} requests for a floor of {floor} ({ratio:.3}x)",
        journal.len()
    );
    assert!(ratio <= 1.05, "{} requests, floor {floor}", journal.len());
    assert!(journal.iter().all(|e| e.status == 200), "no request failed");

    // Every record changes one property: one update each, no tag call.
    sim.clear_journal();
    let changed: Vec<_> = records
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.properties
                .insert("plan".into(), serde_json::json!("team"));
            r
        })
        .collect();
    exporter.put_batch(ws.id, changed.clone()).await.unwrap();
    exporter.drain_once(&ws, &client, &options).await.unwrap();
    let journal = sim.journal(0);
    assert_eq!(journal.len(), RECORDS, "one update per changed record");
    assert_eq!(count(&journal, "PUT", "/contacts/"), RECORDS);

    // A third of them swap a group: the update, one detach, one attach.
    sim.clear_journal();
    let regrouped: Vec<_> = changed
        .iter()
        .take(RECORDS / 3)
        .map(|r| {
            let mut r = r.clone();
            r.groups = vec![r.groups[0].clone(), "Delta".into()];
            r
        })
        .collect();
    exporter.put_batch(ws.id, regrouped).await.unwrap();
    exporter.drain_once(&ws, &client, &options).await.unwrap();
    let journal = sim.journal(0);
    let floor = RECORDS / 3 * 3 + 1;
    assert_eq!(
        journal.len(),
        floor,
        "{:?}",
        &journal[..journal.len().min(8)]
    );
    let id = only_contact(&sim, "p0@x.test");
    let tags = sim.contact_tag_names(&id).unwrap();
    assert_eq!(tags, vec!["Alpha", "Delta"]);

    // Nothing changed since: nothing is sent.
    sim.clear_journal();
    exporter
        .put_batch(ws.id, changed[RECORDS / 3..].to_vec())
        .await
        .unwrap();
    exporter.drain_once(&ws, &client, &options).await.unwrap();
    assert!(sim.journal(0).is_empty());
    sim.shutdown().await;
}
