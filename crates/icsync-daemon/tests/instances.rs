//! Several `icsync serve` processes on one PostgreSQL database share the workspaces through
//! leases: every workspace is synced by exactly one instance at a time (the simulators'
//! journals, which record each request's User-Agent and so its instance, never show two
//! instances working on one workspace at once), `kill -9` of one instance moves its
//! workspaces to the others once its leases expire, and the stores end equal to what a single
//! instance stores.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use chrono::Utc;
use icsync_domain::{Region, WorkspaceId};
use icsync_inbound::workspaces::{ConnectRequest, Endpoint};
use icsync_inbound::{InboundConfig, NoProgress, RunControl, SyncOptions};
use icsync_intercom_sim::{SimConfig, SimHandle, Simulator};
use icsync_store::{SecretKey, Store};
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WORKSPACES: usize = 30;
const INSTANCES: usize = 3;
const LEASE_SECS: u64 = 4;
/// Generous: the machine may be slow and busy. Nothing here measures speed.
const PATIENCE: Duration = Duration::from_secs(240);

fn secret() -> String {
    "5e".repeat(32)
}

async fn keyed_store(url: &str, dir: &std::path::Path) -> Store {
    let (key, _) =
        SecretKey::load_or_create(Some(&SecretString::from(secret())), &dir.join("unused.key"))
            .unwrap();
    let store = Store::connect(url).await.unwrap().with_secret_key(&key);
    store.migrate().await.unwrap();
    store
}

fn serve(url: &str, dir: &std::path::Path) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_icsync"));
    for (key, _) in std::env::vars() {
        if key.starts_with("ICSYNC_") && key != "ICSYNC_PG_BIN" {
            command.env_remove(key);
        }
    }
    command
        .arg("serve")
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .env("ICSYNC_DATABASE_URL", url)
        .env("ICSYNC_SECRET_KEY", secret())
        .env("ICSYNC_DATA_DIR", dir)
        .env("ICSYNC_SERVER__BIND", "127.0.0.1:0")
        .env("ICSYNC_JOBS__SUPERVISE_SECS", "1")
        .env("ICSYNC_JOBS__LEASE_SECS", LEASE_SECS.to_string())
        .env("ICSYNC_INBOUND__POLL_INTERVAL_SECS", "2")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("icsync serve starts")
}

async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Every workspace has had a successful users run that started after `since`, and an
/// incremental one (its backfill is done).
async fn all_synced_since(
    store: &Store,
    ids: &[WorkspaceId],
    since: chrono::DateTime<Utc>,
) -> bool {
    for id in ids {
        let Ok(runs) = store.recent_runs(*id, 40).await else {
            return false;
        };
        let done = runs.iter().any(|r| {
            r.stream.as_str() == "users"
                && r.status.as_str() == "succeeded"
                && r.started_at > since
                && r.stats.kind.as_deref() == Some("incremental")
        });
        if !done {
            return false;
        }
    }
    true
}

/// Each instance's spans of activity on one workspace: maximal runs of its requests with no
/// gap longer than `gap`.
fn tenures(sim: &SimHandle, gap_ms: i64) -> BTreeMap<String, Vec<(i64, i64)>> {
    let mut spans: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
    for entry in sim.journal(0) {
        let Some(instance) = entry
            .user_agent
            .as_deref()
            .and_then(|ua| ua.split("(instance ").nth(1))
            .map(|rest| rest.trim_end_matches(')').to_owned())
        else {
            continue; // the test's own connect and reference requests
        };
        let at = entry.at_ms;
        let list = spans.entry(instance).or_default();
        match list.last_mut() {
            Some((_, end)) if at - *end <= gap_ms => *end = at.max(*end),
            _ => list.push((at, at)),
        }
    }
    spans
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_share_workspaces_one_at_a_time_and_take_over_from_a_dead_one() {
    let dir = tempfile::tempdir().unwrap();
    let (url, reference_url) = tokio::task::spawn_blocking(|| {
        let cluster = icsync_pgtemp::PgCluster::shared().expect("a throwaway PostgreSQL cluster");
        (
            cluster.create_database("instances").unwrap(),
            cluster.create_database("instances_reference").unwrap(),
        )
    })
    .await
    .unwrap();
    let store = keyed_store(&url, dir.path()).await;

    let mut sims = Vec::new();
    for n in 0..WORKSPACES {
        let sim = Simulator::start(
            SimConfig {
                seed: 1_000 + n as u64,
                workspace_id: format!("simws{n:03}"),
                contacts: 60,
                companies: 6,
                conversations: 6,
                ..SimConfig::default()
            },
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        sims.push(sim);
    }
    let settings = icsync_inbound::ClientSettings::default();
    let mut ids = Vec::new();
    for (n, sim) in sims.iter().enumerate() {
        let request = ConnectRequest::new(
            format!("ws{n:02}"),
            SecretString::from(sim.token().to_owned()),
            Endpoint {
                region: Region::Us,
                base_url: Some(sim.base_url().to_owned()),
            },
        );
        let connected = icsync_inbound::workspaces::connect(&store, &request, &settings)
            .await
            .unwrap();
        ids.push(connected.workspace.id);
    }

    let homes: Vec<tempfile::TempDir> = (0..INSTANCES)
        .map(|_| tempfile::tempdir().unwrap())
        .collect();
    let mut children: Vec<Option<Child>> = homes
        .iter()
        .map(|home| Some(serve(&url, home.path())))
        .collect();
    let started = Utc::now() - chrono::Duration::seconds(60);
    eventually("every workspace's backfill", || async {
        all_synced_since(&store, &ids, started).await.then_some(())
    })
    .await;

    // The leases: every workspace held by a live instance, each instance holding some.
    let live = store
        .live_instances(Utc::now() - chrono::Duration::seconds(LEASE_SECS as i64))
        .await
        .unwrap();
    assert_eq!(live.len(), INSTANCES, "{live:?}");
    let leases = store.leases(Some(Utc::now())).await.unwrap();
    let mut held: BTreeMap<String, usize> = BTreeMap::new();
    for lease in &leases {
        *held.entry(lease.owner.clone()).or_default() += 1;
    }
    eprintln!("leases per instance: {held:?}");

    // kill -9 the instance holding the most workspaces.
    let (victim, victim_count) = held
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(id, n)| (id.clone(), *n))
        .expect("someone holds leases");
    let victim_pid = live
        .iter()
        .find(|i| i.instance_id == victim)
        .map(|i| i.pid as u32)
        .unwrap();
    let slot = children
        .iter()
        .position(|c| c.as_ref().is_some_and(|c| c.id() == victim_pid))
        .expect("the victim is one of ours");
    let mut child = children[slot].take().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let killed_at = Utc::now();
    let killed = Instant::now();
    let moved = eventually("the dead instance's workspaces to move", || async {
        let leases = store.leases(Some(Utc::now())).await.ok()?;
        let all_moved = leases.len() == WORKSPACES && leases.iter().all(|l| l.owner != victim);
        all_moved.then(|| killed.elapsed())
    })
    .await;
    eprintln!(
        "{victim_count} workspaces moved from the killed instance in {:.1}s (lease {LEASE_SECS}s)",
        moved.as_secs_f64()
    );
    eventually("every workspace to sync again after the kill", || async {
        all_synced_since(&store, &ids, killed_at)
            .await
            .then_some(())
    })
    .await;

    // Stop the survivors gracefully: they give their leases back.
    for child in children.iter_mut().flatten() {
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
    }
    for child in children.iter_mut().flatten() {
        let status = child.wait().unwrap();
        assert!(status.success(), "a survivor stopped with {status}");
    }
    assert!(
        store.leases(None).await.unwrap().is_empty(),
        "stopped instances give their leases back"
    );

    // One instance at a time per workspace.
    for (n, sim) in sims.iter().enumerate() {
        let spans = tenures(sim, 1_000);
        let mut all: Vec<(i64, i64, &String)> = spans
            .iter()
            .flat_map(|(instance, list)| list.iter().map(move |(a, b)| (*a, *b, instance)))
            .collect();
        all.sort();
        for pair in all.windows(2) {
            let ((_, end, first), (start, _, second)) = (
                (pair[0].0, pair[0].1, pair[0].2),
                (pair[1].0, pair[1].1, pair[1].2),
            );
            assert!(
                first == second || start > end,
                "ws{n:02}: instance {second} worked from {start} while {first} worked until {end}"
            );
        }
    }

    // The same content as one instance stores.
    let reference = keyed_store(&reference_url, dir.path()).await;
    let pacers = icsync_intercom::PacerRegistry::new(Default::default());
    for (n, sim) in sims.iter().enumerate() {
        let request = ConnectRequest::new(
            format!("ws{n:02}"),
            SecretString::from(sim.token().to_owned()),
            Endpoint {
                region: Region::Us,
                base_url: Some(sim.base_url().to_owned()),
            },
        );
        let connected = icsync_inbound::workspaces::connect(&reference, &request, &settings)
            .await
            .unwrap();
        let client = icsync_inbound::client_for(&connected.workspace, &pacers, &settings).unwrap();
        for _ in 0..2 {
            icsync_inbound::sync_workspace(
                &reference,
                connected.workspace.id,
                &client,
                &InboundConfig::default(),
                &SyncOptions::default(),
                &RunControl::default(),
                &NoProgress,
            )
            .await
            .unwrap();
        }
        let ours = store.fingerprint(ids[n]).await.unwrap();
        let theirs = reference.fingerprint(connected.workspace.id).await.unwrap();
        assert_eq!(ours, theirs, "ws{n:02}: {ours} vs {theirs}");
    }
    for sim in sims {
        sim.shutdown().await;
    }
}

/// SQLite holds one instance: a second `icsync serve` on the same file refuses to start and
/// says why; one whose process died is taken over at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_on_sqlite_is_refused_and_a_dead_one_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("one.db").display());
    let store = keyed_store(&url, dir.path()).await;
    let settings = icsync_daemon::Settings::load(None).unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned());
    // pid 1 is alive on every Linux machine: it stands for a running instance.
    store
        .register_instance(
            &icsync_store::NewInstance {
                instance_id: "running".into(),
                hostname: host.clone(),
                pid: 1,
                backend: "sqlite".into(),
            },
            Utc::now(),
        )
        .await
        .unwrap();
    let refused = icsync_daemon::jobs::Jobs::new(
        store.clone(),
        settings.clone(),
        icsync_intercom::PacerRegistry::new(Default::default()),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        refused.contains("SQLite holds one instance") && refused.contains("PostgreSQL"),
        "{refused}"
    );

    // The running one dies (its pid is gone): the next start takes over.
    store.stop_instance("running", Utc::now()).await.unwrap();
    store
        .register_instance(
            &icsync_store::NewInstance {
                instance_id: "dead".into(),
                hostname: host,
                pid: u32::MAX - 7,
                backend: "sqlite".into(),
            },
            Utc::now(),
        )
        .await
        .unwrap();
    let jobs = icsync_daemon::jobs::Jobs::new(
        store.clone(),
        settings,
        icsync_intercom::PacerRegistry::new(Default::default()),
    )
    .await
    .expect("a dead instance does not block a start");
    let live = store
        .live_instances(Utc::now() - chrono::Duration::seconds(60))
        .await
        .unwrap();
    assert_eq!(
        live.iter()
            .map(|i| i.instance_id.as_str())
            .collect::<Vec<_>>(),
        [jobs.instance()]
    );
}
