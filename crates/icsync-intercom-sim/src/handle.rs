//! [`Simulator::start`] and the [`SimHandle`] tests use to reach and steer a running simulator.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{FaultConfig, SimConfig};
use crate::control::mutate::{self, NewContact};
use crate::control::readback::{self, ContactRef, EventCounts};
use crate::control::{self, Knobs, Summary};
use crate::error::{ApiError, SimError};
use crate::model::world::World;
use crate::server::journal::{Journal, JournalEntry};
use crate::server::search_cache::SearchCache;
use crate::server::state::{AppState, Runtime, now_secs};
use crate::webhooks::journal::WebhookDelivery;
use crate::webhooks::{Forgery, WebhookConfig};

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

    /// Updates a contact with a `PUT /contacts/{id}` body plus the sim-only key `updated_at`
    /// (Unix seconds; default now) and `last_seen_at`; returns the contact JSON.
    pub fn update_contact(&self, id: &str, body: Value) -> Result<Value, ApiError> {
        mutate::update_contact(&self.state, id, &object(body)?)
    }

    /// Creates a contact with explicit fields and timestamps; returns its JSON. It lists at
    /// once and reaches search after the search lag.
    pub fn create_contact(&self, contact: NewContact) -> Result<Value, ApiError> {
        mutate::create_contact(&self.state, contact)
    }

    /// Attaches a company (Intercom ids); bumps the contact's `updated_at`; returns the contact.
    pub fn attach_company(&self, contact_id: &str, company_id: &str) -> Result<Value, ApiError> {
        mutate::attach_company(&self.state, contact_id, company_id)
    }

    /// Detaches a company; bumps the contact's `updated_at`; returns the contact.
    pub fn detach_company(&self, contact_id: &str, company_id: &str) -> Result<Value, ApiError> {
        mutate::detach_company(&self.state, contact_id, company_id)
    }

    /// Events of one contact: all, and those within `GET /events`' 90-day window.
    pub fn event_counts(&self, contact_id: &str) -> Result<EventCounts, ApiError> {
        readback::event_counts(&self.state, contact_id)
    }

    pub fn delete_contact(&self, id: &str) -> Result<(), ApiError> {
        mutate::delete_contact(&self.state, id)
    }

    /// Adds a data event (created now unless `created_at` is given). It changes nothing else
    /// on the contact (no `updated_at`, no `last_seen_at`).
    pub fn add_event(
        &self,
        contact_id: &str,
        name: &str,
        created_at: Option<i64>,
        metadata: Map<String, Value>,
    ) -> Result<(), ApiError> {
        mutate::add_contact_event(&self.state, contact_id, name, created_at, metadata)
    }

    /// Starts a conversation from a contact; returns the conversation id.
    pub fn start_conversation(
        &self,
        contact_id: &str,
        subject: &str,
        body: &str,
    ) -> Result<String, ApiError> {
        crate::control::conversations::start_conversation(&self.state, contact_id, subject, body)
    }

    /// Adds a reply from the contact (`admin_id: None`) or an admin; returns the conversation.
    pub fn reply(
        &self,
        conversation_id: &str,
        body: &str,
        admin_id: Option<i64>,
    ) -> Result<Value, ApiError> {
        crate::control::conversations::reply(&self.state, conversation_id, body, admin_id)
    }

    /// Every listable contact (users and leads, not archived or deleted) as the API renders it,
    /// in list order. Memory grows with the data set (a few KB per contact): for large sets
    /// prefer [`SimHandle::for_each_contact_json`].
    pub fn contacts_json(&self) -> Vec<Value> {
        let mut out = Vec::with_capacity(self.summary_contacts());
        readback::for_each_contact(&self.state, None, |v| out.push(v));
        out
    }

    /// Calls `f` with each listable contact's JSON in list order, rendering a chunk at a time
    /// (the simulator stays usable meanwhile, and from `f`).
    pub fn for_each_contact_json(&self, f: impl FnMut(Value)) {
        readback::for_each_contact(&self.state, None, f);
    }

    /// One contact (archived too; deleted ones are `not_found`) as `GET /contacts/{id}` renders it.
    pub fn contact_json(&self, id: &str) -> Result<Value, ApiError> {
        readback::contact_json(&self.state, id)
    }

    /// Every company (what the scroll returns) as the API renders it, in scroll order.
    pub fn companies_json(&self) -> Vec<Value> {
        readback::companies_json(&self.state)
    }

    /// Intercom ids of all the companies a contact is attached to (not just the inline 10).
    pub fn contact_company_ids(&self, contact_id: &str) -> Result<Vec<String>, ApiError> {
        readback::contact_company_ids(&self.state, contact_id)
    }

    /// The events `GET /events` lists for a contact (last 90 days), newest first, as `event` objects.
    pub fn contact_events_json(&self, contact_id: &str) -> Result<Vec<Value>, ApiError> {
        readback::contact_events_json(&self.state, contact_id)
    }

    /// Listable contacts created at or after `since` (Unix seconds): id, role and timestamps.
    pub fn contacts_created_since(&self, since: i64) -> Vec<ContactRef> {
        readback::contacts_created_since(&self.state, since)
    }

    fn summary_contacts(&self) -> usize {
        self.state.read().live
    }

    /// Mints a one-time OAuth code for `POST /auth/eagle/token` (valid for the configured
    /// code lifetime, five minutes by default, or `ttl`).
    pub fn mint_oauth_code(&self, ttl: Option<Duration>) -> String {
        crate::api::oauth::mint_code(&self.state, ttl).0
    }

    /// Closes a conversation as an admin (the first admin when `None`); returns the conversation.
    pub fn close_conversation(
        &self,
        conversation_id: &str,
        admin_id: Option<i64>,
    ) -> Result<Value, ApiError> {
        crate::control::conversations::close(&self.state, conversation_id, admin_id)
    }

    /// Replaces the webhook configuration (URL, client secret, retry delay, timeout, faults);
    /// setting a URL turns on a subscription a 410 turned off.
    pub fn set_webhooks(&self, config: WebhookConfig) -> Result<(), SimError> {
        crate::control::webhooks::set(&self.state, config)
    }

    pub fn webhooks(&self) -> WebhookConfig {
        self.state.webhooks.hub.config().clone()
    }

    /// Webhook delivery attempts with `seq > since`, oldest first.
    pub fn webhook_journal(&self, since: u64) -> Vec<WebhookDelivery> {
        crate::control::webhooks::journal(&self.state, since, usize::MAX)
    }

    /// Waits until every notification emitted so far is delivered, dropped or failed for good
    /// (retries included; with the default 60 s retry delay that can take a minute).
    pub async fn webhooks_idle(&self) {
        self.state.webhooks.idle().await;
    }

    /// Queues a `ping`; its notification id (`None` without a URL).
    pub fn send_ping(&self) -> Option<String> {
        crate::control::webhooks::ping(&self.state)
    }

    /// Sends one forged delivery now: a `BadSignature` or `MissingSignature` notification of
    /// `topic` about `item` (default: `contact.user.updated` of the first contact).
    pub async fn forge_webhook(
        &self,
        kind: Forgery,
        topic: Option<&str>,
        item: Option<Value>,
    ) -> Result<WebhookDelivery, SimError> {
        crate::control::webhooks::forge(&self.state, kind, topic.map(str::to_owned), item).await
    }

    /// Re-sends webhook journal entry `seq` byte for byte (same id, body and signature).
    pub async fn replay_webhook(&self, seq: u64) -> Result<WebhookDelivery, SimError> {
        crate::control::webhooks::replay(&self.state, seq).await
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

fn object(body: Value) -> Result<Map<String, Value>, ApiError> {
    match body {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "parameter_invalid",
            "body must be an object",
        )),
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
