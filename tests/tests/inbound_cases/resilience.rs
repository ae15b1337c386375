//! Kills, faults and User Tracking: the store ends as an uninterrupted, fault-free run leaves
//! it, and a switched-off workspace costs no request.

use chrono::{Duration, Utc};
use icsync_domain::{RunStatus, StreamName};
use icsync_inbound::Progress;
use icsync_inbound::workspaces::{self, SettingsChange};
use icsync_intercom_sim::{FaultConfig, SimConfig};
use icsync_tests::TestDatabase;
use icsync_tests::sync::Synced;
use std::sync::atomic::{AtomicBool, Ordering};

/// A simulator whose generated contacts keep clear of the backfill cutoff, so runs minutes
/// apart (and so cutoffs minutes apart) cover the same users.
pub async fn started(db: TestDatabase, contacts: usize) -> Synced {
    // Local noon now, so every run's watermark falls on the same local day.
    let synced = Synced::start(
        SimConfig {
            contacts,
            companies: contacts / 5,
            time_zone: super::zone_with_local_noon_at(Utc::now()),
            ..SimConfig::default()
        },
        db,
    )
    .await;
    let cutoff = Utc::now() - Duration::days(60);
    for contact in synced.sim.contacts_created_since(0) {
        if (contact.created_at - cutoff.timestamp()).abs() < 3_600 {
            synced.sim.delete_contact(&contact.id).unwrap();
        }
    }
    synced
}

pub async fn a_backfill_killed_anywhere_resumes_to_the_same_store(db: TestDatabase) {
    let synced = started(db, 300).await;
    let reference = synced.replica(db).await;
    let clock = std::time::Instant::now();
    let clean = synced.pass_replica(&reference).await;
    assert!(clean.all_finished(), "{clean:#?}");
    let full = clock.elapsed();
    // The backfill, then one incremental pass: what any run ends with once both are done.
    assert!(synced.pass_replica(&reference).await.all_finished());
    let expected = reference.dump().await;
    assert!(
        expected.contacts.len() > 50 && !expected.events.is_empty(),
        "{}",
        expected.summary()
    );
    // Each round: a fresh store, a backfill killed at a random point (sometimes twice), then
    // run again to the end; the store must equal the uninterrupted run's.
    let mut rng = fastrand::Rng::with_seed(0x1c5);
    let mut kills = 0;
    for round in 0..20 {
        let replica = synced.replica(db).await;
        for _ in 0..(1 + round % 2) {
            let delay = full.mul_f64(rng.f64() * 0.9);
            let run = {
                let store = replica.store.clone();
                let ws = replica.workspace.id;
                let client = icsync_inbound::client_for(
                    &replica.workspace,
                    &icsync_intercom::PacerRegistry::new(Default::default()),
                    &synced.settings,
                )
                .unwrap();
                let config = synced.config.clone();
                tokio::spawn(async move {
                    icsync_inbound::sync_workspace(
                        &store,
                        ws,
                        &client,
                        &config,
                        &icsync_tests::sync::user_streams(),
                        &Default::default(),
                        &icsync_inbound::NoProgress,
                    )
                    .await
                })
            };
            tokio::time::sleep(delay).await;
            if !run.is_finished() {
                kills += 1;
            }
            run.abort();
            let _ = run.await;
            // Let the aborted run's tasks unwind (a transaction in flight rolls back).
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // The first pass finishes what was killed, the second is an incremental one.
        for _ in 0..2 {
            let last = synced.pass_replica(&replica).await;
            assert!(last.all_finished(), "{last:#?}");
        }
        let got = replica.dump().await;
        assert_eq!(got.summary(), expected.summary(), "round {round}");
        assert_eq!(
            got, expected,
            "round {round}: a killed and resumed backfill equals an uninterrupted one"
        );
    }
    assert!(kills >= 20, "the runs were killed mid-way {kills} times");
}

pub async fn faults_and_a_429_storm_change_nothing_but_the_time(db: TestDatabase) {
    let synced = started(db, 300).await;
    let reference = synced.replica(db).await;
    assert!(synced.pass_replica(&reference).await.all_finished());
    let expected = reference.dump().await;
    // The same single pass (a backfill) with faults.
    synced.sim.set_faults(FaultConfig {
        error_rate: 0.1,
        storm_429_secs: 2,
        ..FaultConfig::default()
    });
    let report = synced.pass().await;
    synced.sim.set_faults(FaultConfig::default());
    assert!(report.all_finished(), "{report:#?}");
    let retried: i64 = report.streams.iter().map(|s| s.stats.retries).sum();
    let limited: i64 = report.streams.iter().map(|s| s.stats.rate_limited).sum();
    assert!(
        retried > 0 && limited > 0,
        "faults were met: {retried} retries, {limited} 429s"
    );
    assert_eq!(synced.dump().await, expected);
}

/// Switches User Tracking off the first time the users stream reports progress.
struct SwitchOff<'a> {
    synced: &'a Synced,
    done: AtomicBool,
}

impl Progress for SwitchOff<'_> {
    fn advanced(&self, stream: &str, _records: u64) {
        if stream == StreamName::USERS && !self.done.swap(true, Ordering::SeqCst) {
            let store = self.synced.store.clone();
            let workspace = self.synced.workspace.clone();
            tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(async move {
                    let change = SettingsChange {
                        user_tracking: Some(false),
                        ..SettingsChange::default()
                    };
                    workspaces::change_settings(&store, &workspace, &change)
                        .await
                        .unwrap();
                })
            });
        }
    }
}

pub async fn user_tracking_off_costs_no_request_and_stops_a_run(db: TestDatabase) {
    let sim_config = SimConfig {
        contacts: 800,
        companies: 100,
        ..SimConfig::default()
    };
    let mut synced = Synced::start_with(sim_config, db, |r| r.user_tracking = false).await;
    // One search at a time, one page ahead: the run is still in the users stream after its
    // first page.
    synced.config.prefetch_pages = 1;
    synced.config.search_partitions = 1;
    let mark = synced.journal_mark();
    let report = synced.pass().await;
    assert!(
        report.streams.iter().all(|s| s.status == RunStatus::Idle),
        "{report:#?}"
    );
    assert!(
        synced.sim.journal(mark).is_empty(),
        "no request while User Tracking is off"
    );
    // Switched on: a backfill, switched off again after its first page: it stops there, its
    // checkpoint kept.
    let on = SettingsChange {
        user_tracking: Some(true),
        ..SettingsChange::default()
    };
    workspaces::change_settings(&synced.store, &synced.workspace, &on)
        .await
        .unwrap();
    let switch = SwitchOff {
        synced: &synced,
        done: AtomicBool::new(false),
    };
    let stopped = synced
        .pass_observed(&icsync_tests::sync::user_streams(), &switch)
        .await;
    let users = &stopped.streams[0];
    assert_eq!(users.status, RunStatus::Stopped, "{stopped:#?}");
    assert_eq!(stopped.streams.len(), 1, "later streams do not start");
    let checkpoint = synced
        .store
        .checkpoint(synced.workspace.id, &StreamName::new(StreamName::USERS))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(checkpoint.status, RunStatus::Stopped);
    assert!(
        checkpoint.cursor.is_some(),
        "resumable from the page it stopped after"
    );
    let mark = synced.journal_mark();
    let off = synced.pass().await;
    assert!(off.streams.iter().all(|s| s.status == RunStatus::Idle));
    assert!(synced.sim.journal(mark).is_empty());
    // On again: a new backfill from the start.
    let fresh = synced.current().await;
    workspaces::change_settings(&synced.store, &fresh, &on)
        .await
        .unwrap();
    let again = synced.pass().await;
    assert!(again.all_finished(), "{again:#?}");
    assert_eq!(again.streams[0].stats.kind.as_deref(), Some("backfill"));
}

pub async fn a_revoked_token_stops_the_workspace_until_it_is_reconnected(db: TestDatabase) {
    let synced = started(db, 200).await;
    assert!(synced.pass().await.all_finished());
    // Intercom now refuses the stored token (as after a revocation).
    synced
        .store
        .set_access_token(
            synced.workspace.id,
            &secrecy::SecretString::from("revoked".to_owned()),
        )
        .await
        .unwrap();
    let client = synced.client().await;
    let err = icsync_inbound::sync_workspace(
        &synced.store,
        synced.workspace.id,
        &client,
        &synced.config,
        &icsync_tests::sync::user_streams(),
        &Default::default(),
        &icsync_inbound::NoProgress,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, icsync_inbound::InboundError::TokenRefused { .. }),
        "{err}"
    );
    let ws = synced.current().await;
    assert!(
        ws.connection_error
            .as_deref()
            .is_some_and(|e| e.contains("refused")),
        "{ws:?}"
    );
    // Until reconnected, a pass makes no request and says why.
    let mark = synced.journal_mark();
    let err = icsync_inbound::sync_workspace(
        &synced.store,
        synced.workspace.id,
        &synced.client().await,
        &synced.config,
        &icsync_tests::sync::user_streams(),
        &Default::default(),
        &icsync_inbound::NoProgress,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("reconnect"), "{err}");
    assert!(synced.sim.journal(mark).is_empty());
    // Reconnecting with a valid token clears it.
    let request = icsync_tests::sync::connect_request(&synced.sim);
    let again = workspaces::connect(&synced.store, &request, &synced.settings)
        .await
        .unwrap();
    assert!(again.reconnected && again.workspace.connection_error.is_none());
    assert!(synced.pass().await.all_finished());
}

/// Makes every request fail after the users stream's first page.
struct BreakAfterFirstPage<'a> {
    synced: &'a Synced,
    done: AtomicBool,
}

impl Progress for BreakAfterFirstPage<'_> {
    fn advanced(&self, stream: &str, _records: u64) {
        if stream == StreamName::USERS && !self.done.swap(true, Ordering::SeqCst) {
            self.synced.sim.set_faults(FaultConfig {
                error_rate: 1.0,
                ..FaultConfig::default()
            });
        }
    }
}

pub async fn a_page_that_keeps_failing_ends_the_run_at_the_last_good_page(db: TestDatabase) {
    let mut synced = started(db, 2_000).await;
    // One search, one page ahead: when the first page is written the fetcher holds at most the
    // next two, so the fourth page is asked for after the faults are on, however busy the
    // machine (four searches side by side could all finish before the first page is written).
    synced.config.prefetch_pages = 1;
    synced.config.search_partitions = 1;
    let cutoff = (Utc::now() - Duration::days(60)).timestamp();
    let users = synced
        .sim
        .contacts_created_since(cutoff)
        .iter()
        .filter(|c| c.role == "user")
        .count();
    assert!(
        users > 3 * 150,
        "the users search spans at least 4 pages: {users} users"
    );
    let reference = synced.replica(db).await;
    assert!(synced.pass_replica(&reference).await.all_finished());
    let expected = reference.dump().await;
    let breaker = BreakAfterFirstPage {
        synced: &synced,
        done: AtomicBool::new(false),
    };
    let broken = synced
        .pass_observed(&icsync_tests::sync::user_streams(), &breaker)
        .await;
    synced.sim.set_faults(FaultConfig::default());
    let users = &broken.streams[0];
    assert_eq!(users.status, RunStatus::Failed, "{broken:#?}");
    assert!(
        users
            .error
            .as_deref()
            .is_some_and(|e| e.contains("500") || e.contains("503")),
        "{users:#?}"
    );
    let checkpoint = synced
        .store
        .checkpoint(synced.workspace.id, &StreamName::new(StreamName::USERS))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(checkpoint.status, RunStatus::Failed);
    assert!(checkpoint.cursor.is_some(), "the last good page is kept");
    let runs = synced
        .store
        .recent_runs(synced.workspace.id, 10)
        .await
        .unwrap();
    assert!(
        runs.iter()
            .any(|r| r.status == RunStatus::Failed && r.error_message.is_some())
    );
    // The next run resumes there and ends as an unbroken one.
    let resumed = synced.pass().await;
    assert!(resumed.all_finished(), "{resumed:#?}");
    assert_eq!(synced.dump().await, expected);
}

/// A store with the smallest pool (two readers; on PostgreSQL two connections shared by the
/// readers and the writer) and a short wait for one: the events stream's store reads must give
/// their connections back while the stream waits on the writer. Before they ran in tasks of
/// their own, this pass hung on SQLite (every time here) and a 1M-contact backfill on
/// PostgreSQL failed with "pool timed out" (this small one passed on PostgreSQL even then).
pub async fn a_two_connection_pool_does_not_starve_the_writer(db: TestDatabase) {
    let synced = started(db, 1_500).await;
    let reference = synced.replica(db).await;
    assert!(synced.pass_replica(&reference).await.all_finished());
    let expected = reference.dump().await;
    let dir = tempfile::tempdir().unwrap();
    let (_, url) =
        icsync_tests::sync::fresh_store(db, dir.path(), &format!("small{}", fastrand::u64(..)))
            .await;
    let small = icsync_store::Store::connect_with(icsync_store::StoreOptions {
        max_connections: 2,
        acquire_timeout: std::time::Duration::from_secs(3),
        ..icsync_store::StoreOptions::new(url.clone())
    })
    .await
    .expect("the small pool connects")
    .with_secret_key(&icsync_store::SecretKey::generate());
    let request = icsync_tests::sync::connect_request(&synced.sim);
    let workspace = workspaces::connect(&small, &request, &synced.settings)
        .await
        .expect("the workspace connects")
        .workspace;
    let client = icsync_inbound::client_for(
        &workspace,
        &icsync_intercom::PacerRegistry::new(Default::default()),
        &synced.settings,
    )
    .expect("a client");
    let mut config = synced.config.clone();
    config.events_concurrency = 16;
    // Seconds when nothing stalls; a stalled pass hung (SQLite) or timed out (PostgreSQL).
    let report = tokio::time::timeout(
        std::time::Duration::from_secs(240),
        icsync_inbound::sync_workspace(
            &small,
            workspace.id,
            &client,
            &config,
            &icsync_tests::sync::user_streams(),
            &icsync_inbound::RunControl::default(),
            &icsync_inbound::NoProgress,
        ),
    )
    .await
    .expect("the pass does not hang")
    .expect("the pass runs");
    assert!(report.all_finished(), "{report:#?}");
    let got = icsync_tests::sync::dump(&url, workspace.id.0).await;
    assert!(!got.events.is_empty(), "{}", got.summary());
    assert_eq!(got.summary(), expected.summary());
    assert_eq!(
        got, expected,
        "a two-connection pool stores what the default one does"
    );
}
