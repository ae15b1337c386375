//! A simulator, a fresh SQLite store and a workspace connected to it, and the simulator's
//! truth about conversations, for the conversation suites.

use futures::TryStreamExt;
use icsync_domain::{ContactId, ConversationId, Workspace};
use icsync_inbound::workspaces::{self, ConnectRequest, Endpoint};
use icsync_inbound::{
    ClientSettings, InboundConfig, NoProgress, Progress, RunControl, SyncOptions, SyncReport,
};
use icsync_intercom::{IntercomClient, PacerRegistry, RetryPolicy, models};
use icsync_intercom_sim::{JournalEntry, SimConfig, SimHandle, Simulator};
use icsync_store::{SecretKey, Store};
use secrecy::SecretString;
use std::time::Duration;

pub const SECRET: &str = "sim-client-secret";

/// Which database a suite runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    /// A database of the process's throwaway cluster (`icsync-pgtemp`).
    Postgres,
}

pub struct Env {
    pub sim: SimHandle,
    pub store: Store,
    pub workspace: Workspace,
    pub pacers: PacerRegistry,
    pub config: InboundConfig,
    pub settings: ClientSettings,
    _dir: tempfile::TempDir,
}

/// Quick retries so fault tests stay short.
pub fn settings() -> ClientSettings {
    ClientSettings {
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
        },
        ..ClientSettings::default()
    }
}

impl Env {
    pub async fn start(sim_config: SimConfig, tune: impl FnOnce(&mut ConnectRequest)) -> Env {
        Env::start_on(Db::Sqlite, sim_config, tune).await
    }

    pub async fn start_on(
        db: Db,
        sim_config: SimConfig,
        tune: impl FnOnce(&mut ConnectRequest),
    ) -> Env {
        let sim = Simulator::start(sim_config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let url = match db {
            Db::Sqlite => format!("sqlite://{}", dir.path().join("icsync.db").display()),
            Db::Postgres => tokio::task::spawn_blocking(|| {
                icsync_pgtemp::PgCluster::shared()
                    .expect("a throwaway PostgreSQL cluster")
                    .create_database("conversations")
                    .expect("a fresh database")
            })
            .await
            .unwrap(),
        };
        let store = Store::connect(&url)
            .await
            .unwrap()
            .with_secret_key(&SecretKey::generate());
        store.migrate().await.unwrap();
        let settings = settings();
        let mut request = ConnectRequest::new(
            "acme",
            SecretString::from(sim.token().to_owned()),
            Endpoint {
                region: icsync_domain::Region::Us,
                base_url: Some(sim.base_url().to_owned()),
            },
        );
        request.webhook_secret = Some(SecretString::from(SECRET.to_owned()));
        tune(&mut request);
        let connected = workspaces::connect(&store, &request, &settings)
            .await
            .unwrap();
        Env {
            sim,
            store,
            workspace: connected.workspace,
            pacers: PacerRegistry::new(Default::default()),
            config: InboundConfig::default(),
            settings,
            _dir: dir,
        }
    }

    pub async fn client(&self) -> IntercomClient {
        let ws = self
            .store
            .workspace(self.workspace.id)
            .await
            .unwrap()
            .unwrap();
        icsync_inbound::client_for(&ws, &self.pacers, &self.settings).unwrap()
    }

    pub async fn pass(&self, streams: &[&str]) -> SyncReport {
        self.pass_observed(streams, &NoProgress).await
    }

    pub async fn pass_observed(&self, streams: &[&str], progress: &dyn Progress) -> SyncReport {
        let options = SyncOptions {
            streams: streams.iter().map(|s| (*s).to_owned()).collect(),
            full: false,
        };
        icsync_inbound::sync_workspace(
            &self.store,
            self.workspace.id,
            &self.client().await,
            &self.config,
            &options,
            &RunControl::default(),
            progress,
        )
        .await
        .unwrap()
    }

    pub fn mark(&self) -> u64 {
        self.sim.journal(0).last().map(|e| e.seq).unwrap_or(0)
    }

    /// API requests since `mark`, as `METHOD path`.
    pub fn requests_since(&self, mark: u64) -> Vec<String> {
        self.sim
            .journal(mark)
            .iter()
            .map(|e: &JournalEntry| format!("{} {}", e.method, e.path))
            .collect()
    }

    /// Every conversation Intercom (the simulator) has, retrieved with its parts, through a
    /// client of its own (its requests are not the stream's).
    pub async fn truth(&self) -> Vec<models::Conversation> {
        let config = icsync_intercom::ClientConfig::new(
            icsync_intercom::Region::Us,
            icsync_intercom::AccessToken::new(self.sim.token()),
        )
        .with_base_url(self.sim.base_url())
        .unwrap();
        let client = IntercomClient::new(config).unwrap();
        let listed: Vec<models::Conversation> =
            icsync_intercom::items(client.conversations().list())
                .try_collect()
                .await
                .unwrap();
        let mut full = Vec::with_capacity(listed.len());
        for c in listed {
            full.push(client.conversations().get(&c.id).await.unwrap());
        }
        full
    }
}

pub fn contact_of(c: &models::Conversation) -> ContactId {
    ContactId::new(c.contact_ids()[0])
}

pub fn id_of(c: &models::Conversation) -> ConversationId {
    ConversationId::new(c.id.clone())
}

pub fn count(requests: &[String], prefix: &str) -> usize {
    requests.iter().filter(|r| r.starts_with(prefix)).count()
}
