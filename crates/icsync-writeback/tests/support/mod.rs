//! Shared helpers: a migrated store, a workspace pointed at the simulator, a client, a manual
//! clock, and the journal counts the done-when checks read.

#![allow(dead_code)]

pub mod fake;

use chrono::{DateTime, Duration, Utc};
use icsync_domain::{Company, CompanyId, NewWorkspace, Region, Workspace, WorkspaceId};
use icsync_intercom::{AccessToken, ClientConfig, IntercomClient, RetryPolicy};
use icsync_intercom_sim::{JournalEntry, SimConfig, SimHandle, Simulator};
use icsync_store::{IngestBatch, SecretKey, Store, WorkspaceSettings};
use icsync_writeback::{Clock, Writeback, WritebackConfig};
use secrecy::SecretString;
use std::sync::{Arc, Mutex};

/// A migrated in-memory store with a secret key.
pub async fn store() -> Store {
    let store = Store::connect("sqlite::memory:")
        .await
        .expect("connect")
        .with_secret_key(&SecretKey::generate());
    store.migrate().await.expect("migrate");
    store
}

/// A connected workspace with writeback on and Intercom as the primary source.
pub async fn workspace(store: &Store, base_url: &str, token: &str) -> Workspace {
    let created = store
        .create_workspace(&NewWorkspace {
            region: Region::Us,
            base_url: Some(base_url.to_owned()),
            access_token: Some(SecretString::from(token.to_owned())),
            ..NewWorkspace::new(format!("ws-{}", fastrand::u64(..)))
        })
        .await
        .expect("create workspace");
    gate(store, created.id, true, true).await
}

pub async fn gate(store: &Store, id: WorkspaceId, primary: bool, writeback: bool) -> Workspace {
    store
        .update_workspace(
            id,
            &WorkspaceSettings {
                primary_source_is_intercom: Some(primary),
                writeback_enabled: Some(writeback),
                ..Default::default()
            },
        )
        .await
        .expect("update workspace")
}

pub async fn sim(contacts: usize, companies: usize) -> SimHandle {
    Simulator::start(
        SimConfig {
            contacts,
            companies,
            conversations: 0,
            events_per_contact: 0,
            journal_capacity: 100_000,
            ..SimConfig::default()
        },
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("simulator")
}

/// A client for the simulator with quick retries.
pub fn client(sim: &SimHandle) -> IntercomClient {
    let config = ClientConfig::new(icsync_intercom::Region::Us, AccessToken::new(sim.token()))
        .with_base_url(sim.base_url())
        .expect("base url");
    let config = ClientConfig {
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: std::time::Duration::from_millis(5),
            max_delay: std::time::Duration::from_millis(50),
        },
        // A dropped connection is noticed in a second, not the default 30.
        timeouts: icsync_intercom::Timeouts {
            read: std::time::Duration::from_secs(1),
            list: std::time::Duration::from_secs(1),
            write: std::time::Duration::from_secs(1),
            ..icsync_intercom::Timeouts::default()
        },
        ..config
    };
    IntercomClient::new(config).expect("client")
}

/// Stores the simulator's companies (with their `company_id`, read from the simulator) as the
/// inbound pipeline would.
pub async fn import_companies(
    store: &Store,
    ws: WorkspaceId,
    client: &IntercomClient,
    ids: &[String],
) {
    let mut pairs = Vec::new();
    for id in ids {
        let company = client.companies().get(id).await.expect("get company");
        let company_id = company
            .company_id
            .clone()
            .expect("simulated companies have a company_id");
        pairs.push((company.id.clone(), company_id));
    }
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    store_companies(store, ws, &pairs).await;
}

/// Stores companies `(Intercom id, company_id)` directly.
pub async fn store_companies(store: &Store, ws: WorkspaceId, pairs: &[(&str, &str)]) {
    let companies: Vec<Company> = pairs
        .iter()
        .map(|(id, company_id)| Company {
            id: CompanyId::new(*id),
            company_id: Some((*company_id).to_owned()),
            name: None,
            plan_name: None,
            size: None,
            website: None,
            industry: None,
            monthly_spend: None,
            session_count: None,
            user_count: None,
            remote_created_at: None,
            created_at: None,
            updated_at: None,
            last_request_at: None,
            custom_attributes: Default::default(),
            other_attributes: Default::default(),
        })
        .collect();
    store
        .write_batch(
            ws,
            IngestBatch {
                companies: &companies,
                ..Default::default()
            },
        )
        .await
        .expect("write companies");
}

pub fn service(store: &Store) -> Writeback {
    Writeback::new(store.clone(), WritebackConfig::default()).expect("valid config")
}

/// Requests other than GET (what "mutating" means for the done-when checks).
pub fn mutating(journal: &[JournalEntry]) -> Vec<&JournalEntry> {
    journal.iter().filter(|e| e.method != "GET").collect()
}

pub fn count(journal: &[JournalEntry], method: &str, prefix: &str) -> usize {
    journal
        .iter()
        .filter(|e| e.method == method && e.path.starts_with(prefix))
        .count()
}

/// A clock the test moves; each read advances it by a millisecond, as time does.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new() -> Self {
        Self(Arc::new(Mutex::new(Utc::now())))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().expect("clock");
        *now += by;
    }

    pub fn clock(&self) -> Clock {
        let inner = self.0.clone();
        Arc::new(move || {
            let mut now = inner.lock().expect("clock");
            *now += Duration::milliseconds(1);
            *now
        })
    }
}
