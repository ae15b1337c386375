//! Deliberate bad deliveries for receivers' tests: forgeries (a wrong key, no signature) and
//! byte-exact replays of journaled deliveries. Sent at once, never retried, journaled.

use super::deliver::{envelope, post, record, signature};
use super::journal::WebhookDelivery;
use super::{Forgery, Hub, Notification};
use crate::server::state::{now_ms, now_secs};

/// Sends one deliberately forged delivery of `n` (no retry); returns its journal entry.
pub(crate) async fn forge(
    hub: &Hub,
    n: Notification,
    kind: Forgery,
) -> Result<WebhookDelivery, String> {
    let (url, secret, timeout) = {
        let c = hub.config();
        (c.url.clone(), c.client_secret.clone(), c.timeout)
    };
    let url = url.ok_or("no webhook url is configured")?;
    let body = envelope(&hub.app_id, &n, 1, now_secs());
    let (sig, fault) = match kind {
        Forgery::BadSignature => (
            Some(signature(&format!("{secret}-forged"), &body)),
            "forged_signature",
        ),
        Forgery::MissingSignature => (None, "missing_signature"),
    };
    let (status, error, ms) = post(hub, &url, &body, sig.as_deref(), timeout).await;
    let accepted = status.is_some_and(|s| (200..300).contains(&s));
    let mut d = record(
        &n,
        1,
        &url,
        status,
        if accepted { "delivered" } else { "failed" },
        Some(fault),
        sig,
        &body,
    );
    d.error = error;
    d.duration_ms = ms;
    let seq = hub.journal().push(d.clone());
    d.seq = seq;
    Ok(d)
}

/// Re-sends the exact body and signature of journal entry `seq` (a replay); returns the new entry.
pub(crate) async fn replay(hub: &Hub, seq: u64) -> Result<WebhookDelivery, String> {
    let old = hub
        .journal()
        .get(seq)
        .ok_or_else(|| format!("no webhook delivery {seq} in the journal"))?;
    let url = hub.config().url.clone().unwrap_or_else(|| old.url.clone());
    let timeout = hub.config().timeout;
    let (status, error, ms) = post(
        hub,
        &url,
        old.body.as_bytes(),
        old.signature.as_deref(),
        timeout,
    )
    .await;
    let accepted = status.is_some_and(|s| (200..300).contains(&s));
    let mut d = WebhookDelivery {
        seq: 0,
        at_ms: now_ms(),
        url,
        status,
        error,
        duration_ms: ms,
        outcome: if accepted { "delivered" } else { "failed" }.to_owned(),
        fault: Some("replay".to_owned()),
        ..old
    };
    d.seq = hub.journal().push(d.clone());
    Ok(d)
}
