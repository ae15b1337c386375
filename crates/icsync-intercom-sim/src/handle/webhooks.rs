//! [`SimHandle`] methods on webhooks (configuration, journal, ping, forgeries, replays) and
//! the OAuth code exchange.

use std::time::Duration;

use serde_json::Value;

use super::SimHandle;
use crate::error::SimError;
use crate::webhooks::journal::WebhookDelivery;
use crate::webhooks::{Forgery, WebhookConfig};

impl SimHandle {
    /// Mints a one-time OAuth code for `POST /auth/eagle/token` (valid for the configured
    /// code lifetime, five minutes by default, or `ttl`).
    pub fn mint_oauth_code(&self, ttl: Option<Duration>) -> String {
        crate::api::oauth::mint_code(&self.state, ttl).0
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
}
