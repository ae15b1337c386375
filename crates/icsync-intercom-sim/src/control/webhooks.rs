//! The control surface of webhooks: configuration, journal, ping, forgeries and replays.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::SimError;
use crate::server::state::AppState;
use crate::webhooks::journal::WebhookDelivery;
use crate::webhooks::{Forgery, WebhookConfig, WebhookFaults, Webhooks, forge, topics};

/// What `GET /_sim/webhooks` shows: the configuration without the secret, and the state.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct WebhookView {
    pub url: Option<String>,
    pub client_secret_set: bool,
    pub retry_delay_ms: u64,
    pub timeout_ms: u64,
    pub faults: WebhookFaults,
    /// A 410 answer turned the subscription off (setting the URL again turns it on).
    pub disabled: bool,
    /// Notifications not finished yet (in flight, delayed or waiting for their retry).
    pub pending: usize,
}

pub(crate) fn view(st: &AppState) -> WebhookView {
    let hub = &st.webhooks.hub;
    let c = hub.config().clone();
    WebhookView {
        url: c.url,
        client_secret_set: !c.client_secret.is_empty(),
        retry_delay_ms: c.retry_delay.as_millis() as u64,
        timeout_ms: c.timeout.as_millis() as u64,
        faults: c.faults,
        disabled: hub.disabled.load(std::sync::atomic::Ordering::Acquire),
        pending: hub.pending.load(std::sync::atomic::Ordering::Acquire),
    }
}

/// A partial update (`PUT /_sim/webhooks`): keys left out keep their value; `url: null` stops
/// deliveries; `faults` replaces all faults (its missing keys are off).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhookUpdate {
    #[serde(default, with = "double_option")]
    pub url: Option<Option<String>>,
    pub client_secret: Option<String>,
    pub retry_delay_ms: Option<u64>,
    pub timeout_ms: Option<u64>,
    pub faults: Option<WebhookFaults>,
}

mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Ok(Some(Option::deserialize(d)?))
    }
}

pub(crate) fn update(st: &AppState, u: WebhookUpdate) -> Result<WebhookView, SimError> {
    let mut c = st.webhooks.hub.config().clone();
    if let Some(url) = u.url {
        if let Some(url) = &url {
            check_url(url)?;
        }
        c.url = url;
    }
    if let Some(s) = u.client_secret {
        c.client_secret = s;
    }
    if let Some(ms) = u.retry_delay_ms {
        c.retry_delay = std::time::Duration::from_millis(ms);
    }
    if let Some(ms) = u.timeout_ms {
        c.timeout = std::time::Duration::from_millis(ms.max(1));
    }
    if let Some(f) = u.faults {
        c.faults = f;
    }
    set(st, c)?;
    Ok(view(st))
}

fn check_url(url: &str) -> Result<(), SimError> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(())
    } else {
        Err(SimError::Webhook(format!(
            "the webhook url must start with http:// or https:// (got {url:?})"
        )))
    }
}

pub(crate) fn set(st: &AppState, c: WebhookConfig) -> Result<(), SimError> {
    if let Some(url) = &c.url {
        check_url(url)?;
    }
    st.webhooks.set_config(c);
    Ok(())
}

pub(crate) fn journal(st: &AppState, since: u64, limit: usize) -> Vec<WebhookDelivery> {
    st.webhooks.hub.journal().since(since, limit)
}

/// Queues a `ping`; its notification id, or `None` when no URL is configured.
pub(crate) fn ping(st: &AppState) -> Option<String> {
    st.webhooks
        .emit("ping", topics::ping_item(&st.config.workspace_id))
}

/// The default forged notification: `contact.user.updated` about the first listed contact.
fn default_forgery(st: &AppState) -> (String, Value) {
    let w = st.read();
    let slot = (0..w.contacts.len() as u32).find(|&s| w.contacts[s as usize].is_live());
    match slot {
        Some(s) => (
            format!("contact.{}.updated", w.contacts[s as usize].role()),
            crate::render::contact::contact(&w, s),
        ),
        None => (
            "ping".to_owned(),
            topics::ping_item(&st.config.workspace_id),
        ),
    }
}

/// Sends one forged delivery now (bad or missing signature); returns its journal entry.
pub(crate) async fn forge(
    st: &AppState,
    kind: Forgery,
    topic: Option<String>,
    item: Option<Value>,
) -> Result<WebhookDelivery, SimError> {
    let (topic, item) = match (topic, item) {
        (Some(t), Some(i)) => (t, i),
        (t, i) => {
            let (dt, di) = default_forgery(st);
            (t.unwrap_or(dt), i.unwrap_or(di))
        }
    };
    let n = Webhooks::notification(&topic, item);
    forge::forge(&st.webhooks.hub, n, kind)
        .await
        .map_err(SimError::Webhook)
}

/// Re-sends journal entry `seq` byte for byte (same id, body and signature).
pub(crate) async fn replay(st: &AppState, seq: u64) -> Result<WebhookDelivery, SimError> {
    forge::replay(&st.webhooks.hub, seq)
        .await
        .map_err(SimError::Webhook)
}
