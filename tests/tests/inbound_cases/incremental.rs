//! Incremental passes after a backfill: what changed in Intercom comes in, nothing else does.

use super::compare::assert_store_matches_sim;
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use icsync_domain::{RunStatus, StreamName};
use icsync_inbound::Progress;
use icsync_intercom_sim::SimConfig;
use icsync_store::{CheckpointUpdate, IngestBatch};
use icsync_tests::TestDatabase;
use icsync_tests::sync::Synced;
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Mutex;

const ZONE: &str = "Asia/Tokyo";

/// The UTC instant the local day of `instant` starts in the workspace zone.
fn local_day_start(instant: DateTime<Utc>) -> DateTime<Utc> {
    let tz: chrono_tz::Tz = ZONE.parse().unwrap();
    let day = instant.with_timezone(&tz).date_naive();
    tz.from_local_datetime(&day.and_time(NaiveTime::MIN))
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// Updates one user the first time the users stream reports progress: a change made while
/// the backfill runs.
struct ChangeDuringRun<'a> {
    sim: &'a icsync_intercom_sim::SimHandle,
    user: String,
    done: Mutex<bool>,
}

impl Progress for ChangeDuringRun<'_> {
    fn advanced(&self, stream: &str, _records: u64) {
        let mut done = self.done.lock().unwrap();
        if stream == StreamName::USERS && !*done {
            *done = true;
            self.sim
                .update_contact(&self.user, json!({"name": "Changed During The Backfill"}))
                .unwrap();
        }
    }
}

fn user_ids(
    synced: &Synced,
    since: DateTime<Utc>,
    field: fn(&icsync_intercom_sim::ContactRef) -> i64,
) -> BTreeSet<String> {
    synced
        .sim
        .contacts_created_since(0)
        .into_iter()
        .filter(|c| c.role == "user" && field(c) >= since.timestamp())
        .map(|c| c.id)
        .collect()
}

pub async fn an_incremental_pass_brings_the_store_to_the_simulators_state(db: TestDatabase) {
    let sim_config = SimConfig {
        contacts: 300,
        companies: 60,
        time_zone: ZONE.to_owned(),
        ..SimConfig::default()
    };
    let mut synced = Synced::start(sim_config, db).await;
    let ws = synced.workspace.id;
    let cutoff_estimate = Utc::now() - Duration::days(60);
    let in_scope: Vec<String> = user_ids(&synced, cutoff_estimate + Duration::hours(1), |c| {
        c.created_at
    })
    .into_iter()
    .collect();
    assert!(in_scope.len() > 20, "{}", in_scope.len());
    // The backfill, with a user changed while it runs.
    let during = ChangeDuringRun {
        sim: &synced.sim,
        user: in_scope[0].clone(),
        done: Mutex::new(false),
    };
    let backfill = synced
        .pass_observed(&icsync_tests::sync::user_streams(), &during)
        .await;
    assert!(backfill.all_finished(), "{backfill:#?}");
    let cutoff = backfill.streams[0].since.unwrap();

    // The previous pass ended just before the last UTC midnight; a user changed just after it.
    let midnight = Utc.from_utc_datetime(&Utc::now().date_naive().and_time(NaiveTime::MIN));
    let watermark = midnight - Duration::minutes(5);
    synced
        .store
        .write_batch(
            ws,
            IngestBatch {
                checkpoint: Some(&CheckpointUpdate {
                    stream: StreamName::new(StreamName::USERS),
                    watermark: Some(watermark),
                    cursor: None,
                    status: RunStatus::Succeeded,
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let sim = &synced.sim;
    let after_midnight = in_scope[7..]
        .iter()
        .find(|id| {
            sim.contact_json(id).unwrap()["created_at"]
                .as_i64()
                .unwrap()
                < midnight.timestamp()
        })
        .expect("a user created before midnight")
        .clone();
    sim.update_contact(
        &after_midnight,
        json!({"name": "Changed After Midnight", "updated_at": (midnight + Duration::seconds(5)).timestamp()}),
    )
    .unwrap();
    // Plain updates, new events (their users seen again), a move between companies, a deletion,
    // and an old user (created before the cutoff) updated now.
    for id in &in_scope[1..4] {
        sim.update_contact(id, json!({"custom_attributes": {"seats": 99}}))
            .unwrap();
    }
    for id in &in_scope[4..6] {
        sim.add_event(
            id,
            "logged-in",
            Some(Utc::now().timestamp() - 30),
            Default::default(),
        )
        .unwrap();
        sim.update_contact(id, json!({"last_seen_at": Utc::now().timestamp()}))
            .unwrap();
    }
    let mover = in_scope
        .iter()
        .find(|id| !sim.contact_company_ids(id).unwrap().is_empty())
        .expect("a user with a company")
        .clone();
    let old_company = sim.contact_company_ids(&mover).unwrap()[0].clone();
    let new_company = sim
        .company_ids(60)
        .into_iter()
        .find(|c| !sim.contact_company_ids(&mover).unwrap().contains(c))
        .unwrap();
    sim.detach_company(&mover, &old_company).unwrap();
    sim.attach_company(&mover, &new_company).unwrap();
    let deleted = in_scope[6].clone();
    sim.delete_contact(&deleted).unwrap();
    let old_user = sim
        .contacts_created_since(0)
        .into_iter()
        .find(|c| c.role == "user" && c.created_at < cutoff.timestamp() - 86_400)
        .expect("an old user")
        .id;
    sim.update_contact(&old_user, json!({"name": "Old But Active"}))
        .unwrap();

    let incremental = synced.pass().await;
    assert!(incremental.all_finished(), "{incremental:#?}");
    let users = &incremental.streams[0];
    assert_eq!(users.stats.kind.as_deref(), Some("incremental"));
    assert_eq!(users.since, Some(watermark));
    // The store now holds: the backfill's users, and every user updated since the start of the
    // watermark's local day; the deleted one is kept but marked.
    let reread_from = local_day_start(watermark);
    let mut expected = user_ids(&synced, cutoff, |c| c.created_at);
    expected.extend(user_ids(&synced, reread_from, |c| c.updated_at));
    assert!(expected.contains(&old_user) && expected.contains(&after_midnight));
    let stored = synced.stored_contact_ids().await;
    assert_store_matches_sim(&synced.store, ws, sim, &stored, &expected).await;
    let dump = synced.dump().await;
    assert_eq!(dump.deleted, vec![deleted.clone()]);
    assert!(!expected.contains(&deleted));
    let name = |id: &str| sim.contact_json(id).unwrap()["name"].clone();
    assert_eq!(name(&in_scope[0]), json!("Changed During The Backfill"));
    assert_eq!(name(&after_midnight), json!("Changed After Midnight"));

    // A second pass writes nothing and asks only for the watermark day's search pages.
    synced.config.deletion_check_interval_secs = 86_400;
    let mark = synced.journal_mark();
    let before = synced.dump().await;
    let second = synced.pass().await;
    assert!(second.all_finished(), "{second:#?}");
    for stream in &second.streams {
        assert_eq!(stream.stats.records, 0, "{stream:#?}");
        assert!(
            stream.also.keys().all(|k| *k == "list_pages"),
            "nothing written: {stream:#?}"
        );
    }
    assert_eq!(synced.dump().await, before);
    let requests = synced.sim.journal(mark);
    assert!(
        requests
            .iter()
            .all(|r| r.method == "POST" && r.path == "/contacts/search"),
        "only contact searches: {:?}",
        requests
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect::<Vec<_>>()
    );
    let second_since = second.streams[0].since.unwrap();
    let day_matches = user_ids(&synced, local_day_start(second_since), |c| c.updated_at).len();
    assert_eq!(
        requests.len(),
        day_matches.div_ceil(150).max(1),
        "one search page per 150 users updated on the watermark's day ({day_matches})"
    );
}
