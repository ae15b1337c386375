//! A simulator, a fresh store and a workspace connected to it, for end-to-end tests of the
//! inbound streams, with helpers to compare the store with the simulator's data.

use crate::TestDatabase;
use chrono::{DateTime, Utc};
use icsync_domain::{ContactId, Workspace};
use icsync_inbound::workspaces::{self, ConnectRequest, Endpoint};
use icsync_inbound::{
    ClientSettings, InboundConfig, NoProgress, RunControl, SyncOptions, SyncReport,
};
use icsync_intercom::{IntercomClient, PacerRegistry, RetryPolicy};
use icsync_intercom_sim::{SimConfig, SimHandle, Simulator};
use icsync_store::{SecretKey, Store};
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::time::Duration;

/// A pass of the streams User Tracking gates (users, companies, events): what these suites
/// test. Conversations, which run on every pass whatever User Tracking says, have their own
/// suite (`crates/icsync-inbound/tests/conversations*.rs`).
pub fn user_streams() -> SyncOptions {
    SyncOptions {
        streams: icsync_inbound::workspaces::GATED_STREAMS
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        full: false,
    }
}

/// A simulator, a store and a workspace connected to the simulator with User Tracking on.
#[derive(Debug)]
pub struct Synced {
    pub sim: SimHandle,
    pub store: Store,
    pub database_url: String,
    pub workspace: Workspace,
    pub pacers: PacerRegistry,
    pub config: InboundConfig,
    pub settings: ClientSettings,
    _dir: tempfile::TempDir,
}

/// Quick retries so fault tests stay short.
pub fn test_client_settings() -> ClientSettings {
    ClientSettings {
        retry: RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(300),
        },
        ..ClientSettings::default()
    }
}

/// The request connecting a workspace named "acme" to `sim`, in the US region.
pub fn connect_request(sim: &SimHandle) -> ConnectRequest {
    ConnectRequest::new(
        "acme",
        SecretString::from(sim.token().to_owned()),
        Endpoint {
            region: icsync_domain::Region::Us,
            base_url: Some(sim.base_url().to_owned()),
        },
    )
}

/// A fresh, migrated store on `database`, encrypting with a throwaway key.
pub async fn fresh_store(
    database: TestDatabase,
    dir: &std::path::Path,
    name: &str,
) -> (Store, String) {
    let url = match database {
        TestDatabase::Sqlite => format!("sqlite://{}", dir.join(format!("{name}.db")).display()),
        TestDatabase::Postgres => {
            let name = name.to_owned();
            tokio::task::spawn_blocking(move || {
                let cluster =
                    icsync_pgtemp::PgCluster::shared().expect("a throwaway PostgreSQL cluster");
                cluster.create_database(&name).expect("a fresh database")
            })
            .await
            .expect("cluster thread")
        }
    };
    let store = Store::connect(&url)
        .await
        .expect("connect")
        .with_secret_key(&SecretKey::generate());
    store.migrate().await.expect("migrate");
    (store, url)
}

impl Synced {
    /// Starts the simulator with `sim_config` and connects a workspace named "acme" to it.
    pub async fn start(sim_config: SimConfig, database: TestDatabase) -> Self {
        Self::start_with(sim_config, database, |_| {}).await
    }

    /// Like [`Synced::start`], adjusting the connect request first (User Tracking off, ...).
    pub async fn start_with(
        sim_config: SimConfig,
        database: TestDatabase,
        adjust: impl FnOnce(&mut ConnectRequest),
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let sim = Simulator::start(sim_config, "127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("the simulator starts");
        let unique = format!(
            "sync{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        );
        let (store, database_url) = fresh_store(database, dir.path(), &unique).await;
        let settings = test_client_settings();
        let mut request = connect_request(&sim);
        adjust(&mut request);
        let connected = workspaces::connect(&store, &request, &settings)
            .await
            .expect("the workspace connects");
        let config = InboundConfig {
            // Tests check deletions on every pass.
            deletion_check_interval_secs: 0,
            ..InboundConfig::default()
        };
        Synced {
            sim,
            store,
            database_url,
            workspace: connected.workspace,
            pacers: PacerRegistry::new(Default::default()),
            config,
            settings,
            _dir: dir,
        }
    }

    /// The workspace's client (sharing one pacer across calls).
    pub async fn client(&self) -> IntercomClient {
        let workspace = self.current().await;
        icsync_inbound::client_for(&workspace, &self.pacers, &self.settings).expect("a client")
    }

    /// The workspace as stored now.
    pub async fn current(&self) -> Workspace {
        self.store
            .workspace(self.workspace.id)
            .await
            .expect("read workspace")
            .expect("workspace exists")
    }

    /// One sync pass of the users, companies and events streams.
    pub async fn pass(&self) -> SyncReport {
        self.pass_with(&user_streams()).await
    }

    pub async fn pass_with(&self, options: &SyncOptions) -> SyncReport {
        self.pass_observed(options, &NoProgress).await
    }

    /// A pass reporting its progress to `progress` (tests act on the simulator from it).
    pub async fn pass_observed(
        &self,
        options: &SyncOptions,
        progress: &dyn icsync_inbound::Progress,
    ) -> SyncReport {
        let client = self.client().await;
        icsync_inbound::sync_workspace(
            &self.store,
            self.workspace.id,
            &client,
            &self.config,
            options,
            &RunControl::default(),
            progress,
        )
        .await
        .expect("the pass runs")
    }

    /// Another store with a workspace connected to the same simulator (a reference run).
    pub async fn replica(&self, database: TestDatabase) -> Replica {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, database_url) = fresh_store(
            database,
            dir.path(),
            &format!("replica{}", fastrand::u64(..)),
        )
        .await;
        let request = connect_request(&self.sim);
        let connected = workspaces::connect(&store, &request, &self.settings)
            .await
            .expect("the replica connects");
        Replica {
            store,
            database_url,
            workspace: connected.workspace,
            _dir: dir,
        }
    }

    /// One pass of the users, companies and events streams into `replica`.
    pub async fn pass_replica(&self, replica: &Replica) -> SyncReport {
        let client = icsync_inbound::client_for(
            &replica.workspace,
            &PacerRegistry::new(Default::default()),
            &self.settings,
        )
        .expect("a client");
        icsync_inbound::sync_workspace(
            &replica.store,
            replica.workspace.id,
            &client,
            &self.config,
            &user_streams(),
            &RunControl::default(),
            &NoProgress,
        )
        .await
        .expect("the pass runs")
    }

    /// The last journal sequence number of the simulator (a cursor for "requests since").
    pub fn journal_mark(&self) -> u64 {
        self.sim.journal(0).last().map(|e| e.seq).unwrap_or(0)
    }

    /// What the store holds for the workspace, by content digest (import times left out).
    pub async fn dump(&self) -> Dump {
        dump(&self.database_url, self.workspace.id.0).await
    }

    /// Ids of the contacts stored for the workspace and not deleted.
    pub async fn stored_contact_ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        let mut after: Option<ContactId> = None;
        loop {
            let page = self
                .store
                .live_contact_ids(self.workspace.id, after.as_ref(), 1_000)
                .await
                .expect("read ids");
            let Some(last) = page.last().cloned() else {
                break;
            };
            ids.extend(page.into_iter().map(|id| id.as_str().to_owned()));
            after = Some(last);
        }
        ids
    }
}

/// A second store synced from the same simulator.
#[derive(Debug)]
pub struct Replica {
    pub store: Store,
    pub database_url: String,
    pub workspace: Workspace,
    _dir: tempfile::TempDir,
}

impl Replica {
    pub async fn dump(&self) -> Dump {
        dump(&self.database_url, self.workspace.id.0).await
    }
}

/// Every stored row of a workspace, reduced to what it means: id → content digest.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dump {
    pub contacts: BTreeMap<String, String>,
    pub companies: BTreeMap<String, String>,
    pub associations: Vec<(String, String)>,
    pub events: Vec<String>,
    pub deleted: Vec<String>,
    /// `contact/start` → `end/count`.
    pub sessions: BTreeMap<String, String>,
    pub seen: Vec<(String, String)>,
}

impl Dump {
    pub fn summary(&self) -> String {
        format!(
            "{} contacts, {} companies, {} associations, {} events, {} deleted, {} sessions, {} seen",
            self.contacts.len(),
            self.companies.len(),
            self.associations.len(),
            self.events.len(),
            self.deleted.len(),
            self.sessions.len(),
            self.seen.len()
        )
    }
}

/// Reads a workspace's rows with plain SQL (the store has no "everything" read, by design).
pub async fn dump(database_url: &str, workspace: i64) -> Dump {
    macro_rules! query_all {
        ($pool:expr, $sql:expr) => {
            sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe($sql))
                .bind(workspace)
                .fetch_all($pool)
                .await
                .expect("dump query")
        };
    }
    let sqls = [
        "SELECT intercom_id, content_hash FROM contacts WHERE workspace_id = $1 ORDER BY intercom_id",
        "SELECT intercom_id, content_hash FROM companies WHERE workspace_id = $1 ORDER BY intercom_id",
        "SELECT contact_intercom_id, company_intercom_id FROM contact_companies WHERE workspace_id = $1 ORDER BY 1, 2",
        "SELECT dedupe_key, contact_intercom_id FROM events WHERE workspace_id = $1 ORDER BY 1",
        "SELECT intercom_id, intercom_id FROM contacts WHERE workspace_id = $1 AND deleted_at IS NOT NULL ORDER BY 1",
        "SELECT contact_intercom_id || '/' || CAST(started_at AS TEXT), CAST(ended_at AS TEXT) || '/' || CAST(event_count AS TEXT) FROM sessions WHERE workspace_id = $1 ORDER BY 1",
        "SELECT contact_intercom_id, CAST(seen_at AS TEXT) FROM seen_signals WHERE workspace_id = $1 ORDER BY 1, 2",
    ];
    let rows: Vec<Vec<(String, String)>> = if database_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(database_url)
            .await
            .expect("sqlite");
        let mut out = Vec::new();
        for sql in sqls {
            out.push(query_all!(&pool, sql.replace("$1", "?")));
        }
        pool.close().await;
        out
    } else {
        let pool = sqlx::PgPool::connect(database_url).await.expect("postgres");
        let mut out = Vec::new();
        for sql in sqls {
            out.push(query_all!(&pool, sql.to_owned()));
        }
        pool.close().await;
        out
    };
    let mut rows = rows.into_iter();
    let mut next = || rows.next().unwrap_or_default();
    Dump {
        contacts: next().into_iter().collect(),
        companies: next().into_iter().collect(),
        associations: next(),
        events: next().into_iter().map(|(key, _)| key).collect(),
        deleted: next().into_iter().map(|(id, _)| id).collect(),
        sessions: next().into_iter().collect(),
        seen: next(),
    }
}

/// Unix seconds as a UTC time.
pub fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).expect("a valid timestamp")
}
