//! The running daemon driven as a host app and an admin would: through the HTTP API, against
//! the simulator. Connect, backfill, view a profile (with its on-view fetch), read the feeds to
//! the end, set CS attributes and see Intercom receive them, switch User Tracking off and see
//! polling stop, disconnect and see every job stop with the data kept, and restart the daemon
//! mid-backfill to see it resume.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use icsync_api::Scope;
use icsync_intercom_sim::{SimConfig, SimHandle, Simulator};
use icsync_tests::{TestApp, TestDatabase, spawn_app_at, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};
use std::future::Future;
use std::time::Duration;

/// Generous: the machine may be slow and busy. Nothing here measures speed.
const PATIENCE: Duration = Duration::from_secs(180);

fn quick(settings: &mut icsync_daemon::Settings) {
    settings.inbound.poll_interval_secs = 1;
    settings.inbound.deletion_check_interval_secs = 0;
    settings.jobs.supervise_secs = 1;
    settings.jobs.lease_secs = 3;
    settings.writeback.loop_interval_secs = 1;
}

async fn sim(config: SimConfig) -> SimHandle {
    Simulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("the simulator starts")
}

/// Polls `check` until it answers `Some`, or fails naming `what`.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The status of a stream as `GET /v1/workspaces/{name}/status` reports it.
fn stream<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["streams"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["stream"] == name))
        .unwrap_or(&Value::Null)
}

/// Every stream's last run succeeded, and the users stream's last run was an incremental
/// pass after the backfill.
async fn backfilled(app: &TestApp, admin: &str, name: &str) -> Value {
    eventually("the backfill to finish", || async {
        let (code, status) = app
            .call(
                Method::GET,
                &format!("/v1/workspaces/{name}/status"),
                admin,
                None,
            )
            .await;
        let done = code == 200
            && ["users", "companies", "events", "conversations"]
                .iter()
                .all(|s| stream(&status, s)["last_run"]["status"] == "succeeded")
            && stream(&status, "users")["last_run"]["kind"] == "incremental";
        done.then_some(status)
    })
    .await
}

fn last_seq(sim: &SimHandle) -> u64 {
    sim.journal(0).last().map(|e| e.seq).unwrap_or(0)
}

/// Paths of the requests after `seq`.
fn paths_since(sim: &SimHandle, seq: u64) -> Vec<String> {
    sim.journal(seq)
        .into_iter()
        .map(|e| format!("{} {}", e.method, e.path))
        .collect()
}

/// The streams User Tracking gates read contacts, companies and events.
fn gated(path: &str) -> bool {
    let path = path.split_once(' ').map(|(_, p)| p).unwrap_or(path);
    path.starts_with("/contacts") || path.starts_with("/companies") || path.starts_with("/events")
}

/// Reads a feed from the start to its end; the items, in order.
async fn read_feed(app: &TestApp, key: &str, feed: &str, items: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after: Option<i64> = None;
    loop {
        let path = match after {
            Some(after) => format!("/v1/feeds/{feed}?workspace=acme&limit=500&after={after}"),
            None => format!("/v1/feeds/{feed}?workspace=acme&limit=500"),
        };
        let (code, page) = app.call(Method::GET, &path, key, None).await;
        assert_eq!(code, 200, "{feed}: {page}");
        let batch = page[items].as_array().cloned().unwrap_or_default();
        if batch.is_empty() {
            return all;
        }
        all.extend(batch);
        let next = page["next_cursor"].as_i64();
        assert!(next > after, "{feed}: the cursor moves forward");
        after = next;
    }
}

async fn host_app_flow(database: TestDatabase) {
    let sim = sim(SimConfig {
        contacts: 300,
        companies: 30,
        conversations: 60,
        ..SimConfig::default()
    })
    .await;
    let app = spawn_app_with(database, quick).await;
    let admin = app.api_key(Scope::Admin).await;
    let host = app.api_key(Scope::Host).await;

    // A host key cannot administer; the admin connects.
    let body = json!({
        "name": "acme", "token": sim.token(), "base_url": sim.base_url(),
        "settings": {"primary_source_is_intercom": true, "writeback_enabled": true}
    });
    let (code, _) = app
        .call(Method::POST, "/v1/workspaces", &host, Some(body.clone()))
        .await;
    assert_eq!(code, 403);
    let (code, connected) = app
        .call(Method::POST, "/v1/workspaces", &admin, Some(body))
        .await;
    assert_eq!(code, 201, "{connected}");

    // The daemon picks the new workspace up and backfills it.
    let status = backfilled(&app, &admin, "acme").await;
    let counts = status["counts"].clone();
    assert!(counts["contacts"].as_u64().unwrap() > 0, "{status}");
    assert!(counts["events"].as_u64().unwrap() > 0, "{status}");
    assert!(counts["conversations"].as_u64().unwrap() > 0, "{status}");

    // A conversation started after the backfill: the profile view fetches it on the spot.
    let now = chrono::Utc::now().timestamp();
    let user = sim
        .contacts_created_since(now - 30 * 86_400)
        .into_iter()
        .find(|c| c.role == "user")
        .expect("a recent user")
        .id
        .clone();
    sim.start_conversation(&user, "Billing question", "Why was I charged twice?")
        .unwrap();
    let (code, profile) = app
        .call(
            Method::GET,
            &format!("/v1/contacts/{user}?workspace=acme"),
            &host,
            None,
        )
        .await;
    assert_eq!(code, 200, "{profile}");
    assert_eq!(profile["timeline"]["status"], "fresh", "{profile}");
    let text = profile["conversations"].to_string();
    assert!(
        text.contains("Billing question") || text.contains("charged twice"),
        "the new conversation is on the profile: {text}"
    );

    // The feeds, read to their end, hold every stored event and session.
    let events = read_feed(&app, &host, "events", "events").await;
    let ws = app.store.workspace_by_name("acme").await.unwrap().unwrap();
    let stored = app.store.record_counts(ws.id).await.unwrap();
    assert_eq!(events.len() as u64, stored.events, "every event, once");
    let sessions = read_feed(&app, &host, "sessions", "sessions").await;
    assert!(!sessions.is_empty());

    // CS attributes set by the host reach Intercom.
    let company = sim
        .contacts_created_since(now - 30 * 86_400)
        .into_iter()
        .filter(|c| c.role == "user")
        .find_map(|c| sim.contact_company_ids(&c.id).ok()?.into_iter().next())
        .expect("a recent user with a company");
    let (code, set) = app
        .call(
            Method::PUT,
            &format!("/v1/accounts/{company}/cs-attributes?workspace=acme"),
            &host,
            Some(json!({"health": 81, "stage": "renewal"})),
        )
        .await;
    assert_eq!(code, 200, "{set}");
    eventually(
        "the simulator to receive the account's CS attributes",
        || {
            let sim = &sim;
            let company = company.clone();
            async move {
                sim.companies_json()
                    .into_iter()
                    .find(|c| c["id"] == company.as_str())
                    .filter(|c| {
                        c["custom_attributes"]["cs_account_health"].as_f64() == Some(81.0)
                            && c["custom_attributes"]["cs_account_stage"] == "renewal"
                    })
            }
        },
    )
    .await;

    // User Tracking off: the gated streams stop polling (conversations go on).
    let (code, off) = app
        .call(
            Method::PATCH,
            "/v1/workspaces/acme",
            &admin,
            Some(json!({"user_tracking": false})),
        )
        .await;
    assert_eq!(code, 200, "{off}");
    tokio::time::sleep(Duration::from_secs(2)).await; // a pass in flight stops at its page
    let mark = last_seq(&sim);
    sim.update_contact(&user, json!({"name": "Renamed while tracking is off"}))
        .unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await; // several poll intervals
    let after_off = paths_since(&sim, mark);
    assert!(
        !after_off.iter().any(|p| gated(p)),
        "no user, company or event request with User Tracking off: {after_off:?}"
    );

    // Disconnect: every job stops, the data stays.
    let (code, gone) = app
        .call(Method::POST, "/v1/workspaces/acme/disconnect", &admin, None)
        .await;
    assert_eq!(code, 200, "{gone}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mark = last_seq(&sim);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after_disconnect = paths_since(&sim, mark);
    assert!(
        after_disconnect.is_empty(),
        "no request once disconnected: {after_disconnect:?}"
    );
    let kept = app.store.record_counts(ws.id).await.unwrap();
    assert_eq!(kept.events, stored.events, "the data is kept");
    assert!(kept.contacts >= stored.contacts);
    assert!(app.jobs.owned().is_empty(), "no job holds the workspace");
    app.stop().await.unwrap();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_host_app_and_an_admin_drive_the_daemon_on_sqlite() {
    host_app_flow(TestDatabase::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_host_app_and_an_admin_drive_the_daemon_on_postgres() {
    host_app_flow(TestDatabase::Postgres).await;
}

/// Stopped mid-backfill, a new daemon on the same database resumes where it stopped: it ends
/// with what one uninterrupted run stores, without listing again the events it had.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restarted_daemon_resumes_its_backfill() {
    let sim = sim(SimConfig {
        contacts: 1_200,
        companies: 40,
        conversations: 20,
        ..SimConfig::default()
    })
    .await;
    // Slow enough to stop it in the middle: a few requests per second.
    sim.set_rate_limit(40);
    let app = spawn_app_with(TestDatabase::Sqlite, quick).await;
    let admin = app.api_key(Scope::Admin).await;
    let (code, connected) = app
        .call(
            Method::POST,
            "/v1/workspaces",
            &admin,
            Some(json!({"name": "acme", "token": sim.token(), "base_url": sim.base_url()})),
        )
        .await;
    assert_eq!(code, 201, "{connected}");
    let ws = app.store.workspace_by_name("acme").await.unwrap().unwrap();
    eventually("the events backfill to be under way", || async {
        let (_, status) = app
            .call(Method::GET, "/v1/workspaces/acme/status", &admin, None)
            .await;
        let events = stream(&status, "events");
        (events["progress"]["done"].as_u64().unwrap_or(0) >= 20).then_some(())
    })
    .await;
    let place = app.stop_keeping().await.unwrap();
    let events_listed_first = paths_since(&sim, 0)
        .iter()
        .filter(|p| p.contains(" /events"))
        .count();

    let app = spawn_app_at(place, quick).await;
    sim.set_rate_limit(100_000);
    backfilled(&app, &admin, "acme").await;
    let journal = paths_since(&sim, 0);
    let events_listed = journal.iter().filter(|p| p.contains(" /events")).count();
    let pending_users = app.store.record_counts(ws.id).await.unwrap().contacts;
    assert!(
        events_listed <= pending_users as usize + events_listed_first / 10 + 5,
        "the second daemon did not list everything again: {events_listed} events listings for {pending_users} contacts ({events_listed_first} before the restart)"
    );

    // The same as one uninterrupted run into a fresh store.
    let dir = tempfile::tempdir().unwrap();
    let (reference, reference_url) =
        icsync_tests::sync::fresh_store(TestDatabase::Sqlite, dir.path(), "reference").await;
    let settings = icsync_tests::sync::test_client_settings();
    let request = icsync_tests::sync::connect_request(&sim);
    let connected = icsync_inbound::workspaces::connect(&reference, &request, &settings)
        .await
        .unwrap();
    let client = icsync_inbound::client_for(
        &connected.workspace,
        &icsync_intercom::PacerRegistry::new(Default::default()),
        &settings,
    )
    .unwrap();
    // A backfill, then an incremental pass as the daemon ran (it reads contacts updated
    // lately whatever their creation date).
    for _ in 0..2 {
        icsync_inbound::sync_workspace(
            &reference,
            connected.workspace.id,
            &client,
            &icsync_inbound::InboundConfig::default(),
            &icsync_inbound::SyncOptions::default(),
            &icsync_inbound::RunControl::default(),
            &icsync_inbound::NoProgress,
        )
        .await
        .unwrap();
    }
    let expected = icsync_tests::sync::dump(&reference_url, connected.workspace.id.0).await;
    let ours = icsync_tests::sync::dump(&app.place.database_url, ws.id.0).await;
    assert!(
        ours == expected,
        "the resumed store differs from one uninterrupted run: {} vs {}",
        ours.summary(),
        expected.summary()
    );
    app.stop().await.unwrap();
    sim.shutdown().await;
}
