//! [`Simulator::start`] and the [`SimHandle`] tests use to reach and steer a running simulator
//! (data methods in `data`, webhook and OAuth methods in `webhooks`).

mod data;
mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{FaultConfig, SimConfig};
use crate::control::{self, Knobs, Summary};
use crate::error::SimError;
use crate::model::world::World;
use crate::server::journal::{Journal, JournalEntry};
use crate::server::search_cache::SearchCache;
use crate::server::state::{AppState, Runtime, now_secs};

/// Entry point: builds the data set and serves it.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Generates the workspace from `config` and serves it on `addr` (port 0 picks a free port).
    pub async fn start(config: SimConfig, addr: SocketAddr) -> Result<SimHandle, SimError> {
        let tz: chrono_tz::Tz = config
            .time_zone
            .parse()
            .map_err(|_| SimError::TimeZone(config.time_zone.clone()))?;
        if config.token.is_empty() {
            return Err(SimError::Config("token must not be empty".into()));
        }
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| SimError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| SimError::Bind { addr, source })?;
        let anchor = config.anchor.unwrap_or_else(now_secs);
        let cfg = config.clone();
        let started = std::time::Instant::now();
        let world = tokio::task::spawn_blocking(move || World::build(&cfg, anchor))
            .await
            .map_err(|e| SimError::Config(format!("data generation failed: {e}")))?;
        tracing::info!(
            contacts = world.contacts.len(),
            companies = world.companies.len(),
            conversations = world.conversations.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "sim data generated"
        );
        let host = if local.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            local.ip().to_string()
        };
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        let base_url = format!("http://{host}:{}", local.port());
        let webhooks = crate::webhooks::Webhooks::start(
            config.webhooks.clone(),
            config.workspace_id.clone(),
            config.journal_capacity,
        )?;
        let state = Arc::new(AppState {
            webhooks,
            tz,
            world: std::sync::RwLock::new(world),
            runtime: std::sync::Mutex::new(Runtime::new(&config)),
            journal: std::sync::Mutex::new(Journal::new(config.journal_capacity)),
            search_cache: std::sync::Mutex::new(SearchCache::default()),
            base_url: base_url.clone(),
            config,
        });
        // Path clean-up runs before routing, so it wraps the router.
        let app = tower::Layer::layer(
            &tower::util::MapRequestLayer::new(crate::server::collapse_slashes),
            crate::server::router(Arc::clone(&state)),
        );
        let app = axum::ServiceExt::<axum::extract::Request>::into_make_service(app);
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(error) = serve.await {
                tracing::error!(error = %error, "sim server stopped with an error");
            }
        });
        tracing::info!(base_url = %base_url, "sim listening");
        Ok(SimHandle {
            state,
            base_url,
            addr: local,
            shutdown: Some(tx),
            task: Some(task),
            anchor,
        })
    }
}

/// A running simulator. Dropping it stops the server too (without waiting).
#[derive(Debug)]
pub struct SimHandle {
    state: Arc<AppState>,
    base_url: String,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    anchor: i64,
}

impl SimHandle {
    /// `http://127.0.0.1:PORT`, to use as the Intercom base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bearer token the API requires.
    pub fn token(&self) -> &str {
        &self.state.config.token
    }

    /// "Now" of the generated data (Unix seconds).
    pub fn anchor(&self) -> i64 {
        self.anchor
    }

    pub fn config(&self) -> &SimConfig {
        &self.state.config
    }

    pub fn summary(&self) -> Summary {
        control::summary(&self.state)
    }

    /// Journal entries with `seq > since`, oldest first.
    pub fn journal(&self, since: u64) -> Vec<JournalEntry> {
        control::journal(&self.state, since, usize::MAX)
    }

    pub fn clear_journal(&self) {
        self.state.journal().clear();
    }

    /// Regenerates the data set, clears the journal and restores the configured knobs.
    pub fn reset(&self) {
        control::reset(&self.state, self.anchor);
    }

    pub fn set_faults(&self, faults: FaultConfig) {
        control::set_faults(&self.state, faults);
    }

    pub fn faults(&self) -> FaultConfig {
        self.state.rt().faults.clone()
    }

    pub fn set_search_lag(&self, lag: Duration) {
        self.set_knobs(&Knobs {
            search_lag_ms: Some(lag.as_millis() as u64),
            ..Knobs::default()
        });
    }

    pub fn set_rate_limit(&self, per_window: u32) {
        self.set_knobs(&Knobs {
            rate_limit_per_window: Some(per_window),
            ..Knobs::default()
        });
    }

    pub fn set_scroll_expiry(&self, expiry: Duration) {
        self.set_knobs(&Knobs {
            scroll_expiry_ms: Some(expiry.as_millis() as u64),
            ..Knobs::default()
        });
    }

    pub fn set_knobs(&self, knobs: &Knobs) {
        control::set_knobs(&self.state, knobs);
    }

    /// Ids of listed contacts, in list order (at most `limit`).
    pub fn contact_ids(&self, limit: usize) -> Vec<String> {
        let w = self.state.read();
        w.contacts
            .iter()
            .filter(|c| c.is_live())
            .take(limit)
            .map(|c| c.id.to_string())
            .collect()
    }

    /// Ids of companies, in scroll order (at most `limit`).
    pub fn company_ids(&self, limit: usize) -> Vec<String> {
        let w = self.state.read();
        w.companies
            .iter()
            .filter(|c| !c.deleted)
            .take(limit)
            .map(|c| c.id.to_string())
            .collect()
    }

    /// Ids of conversations, in list order (at most `limit`).
    pub fn conversation_ids(&self, limit: usize) -> Vec<String> {
        let n = self.state.read().conversations.len();
        (0..n.min(limit) as u32)
            .map(crate::render::conversation::conversation_id)
            .collect()
    }

    /// Stops serving and waits for in-flight requests to finish.
    pub async fn shutdown(mut self) {
        self.state.webhooks.close();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.state.webhooks.close();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
