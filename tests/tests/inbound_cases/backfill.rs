//! The first pass: a backfill of the users created in the last `backfill_days`.

use super::compare::assert_store_matches_sim;
use chrono::{Duration, Timelike, Utc};
use icsync_intercom_sim::{NewContact, SimConfig};
use icsync_tests::TestDatabase;
use icsync_tests::sync::Synced;
use std::collections::BTreeSet;

/// An `Etc/GMT±N` zone in which `at` is around noon, so instants minutes apart around it share
/// one local day (contact search matches dates by local day).
pub fn zone_with_local_noon_at(at: chrono::DateTime<Utc>) -> String {
    let offset = (12 - at.hour() as i32).rem_euclid(24);
    let offset = if offset > 12 { offset - 24 } else { offset };
    match offset {
        0 => "Etc/GMT".to_owned(),
        // Etc zones have the POSIX sign: Etc/GMT-3 is three hours ahead of UTC.
        n if n > 0 => format!("Etc/GMT-{n}"),
        n => format!("Etc/GMT+{}", -n),
    }
}

pub async fn a_backfill_imports_exactly_the_users_created_in_the_window(db: TestDatabase) {
    let cutoff = Utc::now() - Duration::days(60);
    let sim_config = SimConfig {
        contacts: 300,
        companies: 60,
        time_zone: zone_with_local_noon_at(cutoff),
        ..SimConfig::default()
    };
    let synced = Synced::start(sim_config, db).await;
    let sim = &synced.sim;
    // On the cutoff's local day: one created 20 minutes before the cutoff (out), one 20 minutes
    // after (in); and a user in 12 companies, more than the inline list holds.
    let before = sim
        .create_contact(NewContact {
            email: Some("before-cutoff@example.com".into()),
            name: Some("Before Cutoff".into()),
            created_at: Some((cutoff - Duration::minutes(20)).timestamp()),
            ..NewContact::default()
        })
        .unwrap();
    let after = sim
        .create_contact(NewContact {
            email: Some("after-cutoff@example.com".into()),
            name: Some("After Cutoff".into()),
            created_at: Some((cutoff + Duration::minutes(20)).timestamp()),
            ..NewContact::default()
        })
        .unwrap();
    let many = sim
        .create_contact(NewContact {
            email: Some("many-companies@example.com".into()),
            created_at: Some((Utc::now() - Duration::days(3)).timestamp()),
            companies: sim.company_ids(12),
            ..NewContact::default()
        })
        .unwrap();
    let report = synced.pass().await;
    assert!(report.all_finished(), "{report:#?}");
    let users = &report.streams[0];
    let used_cutoff = users.since.expect("the backfill reports its cutoff");
    assert!(
        used_cutoff >= cutoff && used_cutoff - cutoff < Duration::minutes(5),
        "cutoff {used_cutoff} is 60 days before the run"
    );
    let expected: BTreeSet<String> = sim
        .contacts_created_since(used_cutoff.timestamp())
        .into_iter()
        .filter(|c| c.role == "user")
        .map(|c| c.id)
        .collect();
    let id = |v: &serde_json::Value| v["id"].as_str().unwrap().to_owned();
    assert!(expected.contains(&id(&after)) && expected.contains(&id(&many)));
    assert!(!expected.contains(&id(&before)));
    assert!(
        expected.len() > 50,
        "a meaningful backfill: {}",
        expected.len()
    );
    let stored = synced.stored_contact_ids().await;
    assert_store_matches_sim(&synced.store, synced.workspace.id, sim, &stored, &expected).await;
    assert_eq!(sim.contact_company_ids(&id(&many)).unwrap().len(), 12);
    // The legacy custom attribute `name` shadows the standard one: dropped and counted.
    assert!(users.stats.shadowed_attributes > 0, "{users:#?}");
    assert!(
        users
            .stats
            .skipped
            .get("created_before_cutoff")
            .copied()
            .unwrap_or(0)
            >= 1
    );
    // Recorded in sync_runs, one per stream.
    let runs = synced
        .store
        .recent_runs(synced.workspace.id, 10)
        .await
        .unwrap();
    assert_eq!(runs.len(), 3);
    assert!(
        runs.iter()
            .all(|r| r.status == icsync_domain::RunStatus::Succeeded),
        "{runs:#?}"
    );
}

/// Contacts whose events arrive one at a time (one listing in flight, each answered late, as
/// when the pacer spaces requests) are still written many to a transaction, not one each.
pub async fn events_listed_one_at_a_time_are_written_in_few_transactions(db: TestDatabase) {
    let mut synced = Synced::start(
        SimConfig {
            contacts: 120,
            companies: 20,
            ..SimConfig::default()
        },
        db,
    )
    .await;
    synced.config.events_concurrency = 1;
    synced.sim.set_faults(icsync_intercom_sim::FaultConfig {
        latency_ms: 10,
        ..Default::default()
    });
    let report = synced.pass().await;
    synced.sim.set_faults(Default::default());
    assert!(report.all_finished(), "{report:#?}");
    let events = report
        .streams
        .iter()
        .find(|s| s.stream.as_str() == "events")
        .expect("an events stream");
    let listed = events.stats.requests as u64;
    let transactions = events.also.get("write_transactions").copied().unwrap_or(0);
    assert!(listed >= 20, "a meaningful number of contacts: {events:#?}");
    assert!(
        transactions > 0 && transactions * 3 <= listed * 2,
        "{listed} contacts listed one after another, written in {transactions} transactions"
    );
    // Nothing listed was lost by the grouping.
    let written = events.also.get("events_written").copied().unwrap_or(0);
    assert!(written > 0, "{events:#?}");
    assert_eq!(synced.dump().await.events.len() as u64, written);
}
