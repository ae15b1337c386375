//! Webhooks out: signed Intercom notifications POSTed to a configured URL when the simulator's
//! data changes (API writes and `/_sim/` mutations), with retries, faults, forgeries, replays
//! and a journal of every delivery attempt.
//!
//! Mutations call [`Webhooks::emit`] with a topic and the item rendered at that moment; one
//! dispatcher task delivers in emission order (`deliver`), journaling each attempt (`journal`).

pub(crate) mod deliver;
pub(crate) mod forge;
pub(crate) mod journal;
pub(crate) mod topics;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{Notify, mpsc};

use journal::WebhookJournal;

/// Where and how notifications are delivered ([`crate::SimConfig::webhooks`], `/_sim/webhooks`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// Target URL (`http://` or `https://`); `None` sends nothing.
    pub url: Option<String>,
    /// The app's client secret: the HMAC-SHA1 key of `X-Hub-Signature`.
    pub client_secret: String,
    /// Wait before the one retry of a failed delivery (Intercom: one minute).
    #[serde(with = "crate::config::millis", rename = "retry_delay_ms")]
    pub retry_delay: Duration,
    /// A delivery not answered within this is a failure (Intercom: five seconds).
    #[serde(with = "crate::config::millis", rename = "timeout_ms")]
    pub timeout: Duration,
    pub faults: WebhookFaults,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            url: None,
            client_secret: "sim-client-secret".to_owned(),
            retry_delay: Duration::from_secs(60),
            timeout: Duration::from_secs(5),
            faults: WebhookFaults::default(),
        }
    }
}

/// Delivery faults; rates are probabilities per notification (0.0..=1.0).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookFaults {
    /// Share of notifications delivered twice (same id, same bytes).
    pub duplicate_rate: f64,
    /// Share of notifications held `delay_ms` before delivery (later ones overtake them).
    pub delay_rate: f64,
    pub delay_ms: u64,
    /// Share of notifications swapped with the one after them.
    pub reorder_rate: f64,
    /// Share of notifications never delivered (journaled as dropped).
    pub drop_rate: f64,
}

/// One notification to deliver: its envelope fields besides the delivery counters.
#[derive(Debug, Clone)]
pub(crate) struct Notification {
    pub id: String,
    pub topic: String,
    pub created_at: i64,
    pub item: Value,
    /// The faults in force when the change happened (they decide this notification's fate).
    pub faults: WebhookFaults,
}

/// What a forged delivery gets wrong (`POST /_sim/webhooks/forge`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Forgery {
    /// Signed with a key that is not the client secret.
    #[default]
    BadSignature,
    /// No `X-Hub-Signature` header at all.
    MissingSignature,
}

/// Shared by the server state, the dispatcher and retry tasks (no sender inside, so the
/// dispatcher ends when the state goes).
#[derive(Debug)]
pub(crate) struct Hub {
    pub config: Mutex<WebhookConfig>,
    /// Set by a 410 answer: the subscription is off until the URL is set again.
    pub disabled: AtomicBool,
    pub journal: Mutex<WebhookJournal>,
    /// Notifications emitted and not yet finished (delivered, failed for good, or dropped).
    pub pending: AtomicUsize,
    pub idle: Notify,
    pub closed: AtomicBool,
    pub shutdown: Notify,
    pub http: reqwest::Client,
    pub app_id: String,
}

impl Hub {
    pub(crate) fn config(&self) -> MutexGuard<'_, WebhookConfig> {
        self.config
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn journal(&self) -> MutexGuard<'_, WebhookJournal> {
        self.journal
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One unit of work finished; wakes waiters when nothing is left.
    pub(crate) fn done(&self) {
        if self.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.idle.notify_waiters();
        }
    }
}

/// The server state's handle on webhooks.
#[derive(Debug)]
pub(crate) struct Webhooks {
    pub hub: Arc<Hub>,
    tx: mpsc::UnboundedSender<Notification>,
}

impl Webhooks {
    /// Builds the hub and spawns its dispatcher (needs a tokio runtime).
    pub(crate) fn start(
        config: WebhookConfig,
        app_id: String,
        journal_capacity: usize,
    ) -> Result<Self, crate::error::SimError> {
        let http = deliver::http_client()?;
        let hub = Arc::new(Hub {
            config: Mutex::new(config),
            disabled: AtomicBool::new(false),
            journal: Mutex::new(WebhookJournal::new(journal_capacity)),
            pending: AtomicUsize::new(0),
            idle: Notify::new(),
            closed: AtomicBool::new(false),
            shutdown: Notify::new(),
            http,
            app_id,
        });
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(deliver::dispatch(Arc::clone(&hub), rx));
        Ok(Webhooks { hub, tx })
    }

    /// Whether notifications go anywhere (callers skip rendering items otherwise).
    pub(crate) fn active(&self) -> bool {
        !self.hub.disabled.load(Ordering::Acquire) && self.hub.config().url.is_some()
    }

    /// Queues a notification of `topic` about `item` (sent only while a URL is configured);
    /// returns its id.
    pub(crate) fn emit(&self, topic: &str, item: Value) -> Option<String> {
        if !self.active() {
            return None;
        }
        let n = Notification {
            id: format!("notif_{}", uuid::Uuid::new_v4()),
            topic: topic.to_owned(),
            created_at: crate::server::state::now_secs(),
            item,
            faults: self.hub.config().faults.clone(),
        };
        let id = n.id.clone();
        self.hub.pending.fetch_add(1, Ordering::AcqRel);
        if self.tx.send(n).is_err() {
            self.hub.done();
            return None;
        }
        Some(id)
    }

    /// A notification of `topic` about `item` for forgeries (never queued).
    pub(crate) fn notification(topic: &str, item: Value) -> Notification {
        Notification {
            id: format!("notif_{}", uuid::Uuid::new_v4()),
            topic: topic.to_owned(),
            created_at: crate::server::state::now_secs(),
            item,
            faults: WebhookFaults::default(),
        }
    }

    /// Replaces the configuration; setting a URL re-enables a subscription a 410 turned off.
    pub(crate) fn set_config(&self, config: WebhookConfig) {
        *self.hub.config() = config;
        self.hub.disabled.store(false, Ordering::Release);
    }

    /// Waits until every emitted notification is finished, retries included.
    pub(crate) async fn idle(&self) {
        loop {
            let notified = self.hub.idle.notified();
            if self.hub.pending.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }

    /// Stops retries and pending delays (deliveries in flight finish).
    pub(crate) fn close(&self) {
        self.hub.closed.store(true, Ordering::Release);
        self.hub.shutdown.notify_waiters();
    }
}
