//! Delivery of notifications: the envelope, the `X-Hub-Signature`, one dispatcher task in
//! emission order, the one retry after `retry_delay`, 410 disabling and the delivery faults;
//! every attempt is journaled (forgeries and replays live in `forge`).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::Value;
use sha1::Sha1;
use tokio::sync::mpsc;

use super::journal::WebhookDelivery;
use super::{Hub, Notification};
use crate::error::SimError;
use crate::server::state::{now_ms, now_secs};

/// Intercom's delivery user agent (INTERCOM.md section 10).
pub(crate) const USER_AGENT: &str = "intercom-parrot-service-client/1.0";

/// The HTTP client of deliveries: rustls with the ring provider and Mozilla's roots, no
/// process-wide crypto provider, no redirects (a receiver must answer itself).
pub(crate) fn http_client() -> Result<reqwest::Client, SimError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SimError::Config(format!("webhook tls: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| SimError::Config(format!("webhook http client: {e}")))
}

/// `sha1=` + hex HMAC-SHA1 of `body` keyed with `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length (RFC 2104 hashes long ones), so this never fails; the
    // fallback only keeps the type checker honest.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret.as_bytes()) else {
        return "sha1=".to_owned();
    };
    mac.update(body);
    format!("sha1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The `notification_event` envelope, fields in Intercom's documented order.
#[derive(Serialize)]
struct Envelope<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    app_id: &'a str,
    id: &'a str,
    topic: &'a str,
    created_at: i64,
    delivery_attempts: u32,
    first_sent_at: i64,
    data: EnvelopeData<'a>,
}

#[derive(Serialize)]
struct EnvelopeData<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    item: &'a Value,
}

pub(crate) fn envelope(
    app_id: &str,
    n: &Notification,
    attempts: u32,
    first_sent_at: i64,
) -> Vec<u8> {
    let e = Envelope {
        kind: "notification_event",
        app_id,
        id: &n.id,
        topic: &n.topic,
        created_at: n.created_at,
        delivery_attempts: attempts,
        first_sent_at,
        data: EnvelopeData {
            kind: "notification_event_data",
            item: &n.item,
        },
    };
    // Serializing a struct of strings, integers and a JSON value cannot fail.
    serde_json::to_vec(&e).unwrap_or_default()
}

fn roll(p: f64) -> bool {
    p > 0.0 && (p >= 1.0 || fastrand::f64() < p)
}

/// Delivers queued notifications one at a time, in emission order, applying the faults.
pub(crate) async fn dispatch(hub: Arc<Hub>, mut rx: mpsc::UnboundedReceiver<Notification>) {
    // A notification held back by the reorder fault goes out right after the next one, or
    // after a short wait when none follows.
    let mut held: Option<Notification> = None;
    loop {
        let next = match held {
            Some(_) => {
                let wait = std::time::Duration::from_millis(hub.config().faults.delay_ms.max(1000));
                tokio::select! {
                    n = rx.recv() => n,
                    () = tokio::time::sleep(wait) => {
                        if let Some(h) = held.take() {
                            first_delivery(&hub, h, Some("reordered")).await;
                        }
                        continue;
                    }
                }
            }
            None => rx.recv().await,
        };
        let Some(n) = next else {
            if let Some(h) = held.take() {
                first_delivery(&hub, h, Some("reordered")).await;
            }
            return;
        };
        let faults = n.faults.clone();
        if roll(faults.drop_rate) {
            let url = hub.config().url.clone().unwrap_or_default();
            let body = envelope(&hub.app_id, &n, 1, now_secs());
            hub.journal().push(record(
                &n,
                1,
                &url,
                None,
                "dropped",
                Some("dropped"),
                None,
                &body,
            ));
            hub.done();
            continue;
        }
        if held.is_none() && roll(faults.reorder_rate) {
            held = Some(n);
            continue;
        }
        if roll(faults.delay_rate) {
            let hub = Arc::clone(&hub);
            let delay = std::time::Duration::from_millis(faults.delay_ms);
            tokio::spawn(async move {
                if !pause(&hub, delay).await {
                    first_delivery(&hub, n, Some("delayed")).await;
                } else {
                    hub.done();
                }
            });
        } else {
            first_delivery(&hub, n, None).await;
        }
        if let Some(h) = held.take() {
            first_delivery(&hub, h, Some("reordered")).await;
        }
    }
}

/// Sleeps `d` unless the simulator stops first; `true` when it stopped.
async fn pause(hub: &Hub, d: std::time::Duration) -> bool {
    let stopped = hub.shutdown.notified();
    if hub.closed.load(Ordering::Acquire) {
        return true;
    }
    tokio::select! {
        () = tokio::time::sleep(d) => false,
        () = stopped => true,
    }
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Delivered,
    Retry,
    Final,
}

/// The first attempt (plus a duplicate when the fault says so); schedules the retry.
async fn first_delivery(hub: &Arc<Hub>, n: Notification, fault: Option<&'static str>) {
    let first_sent_at = now_secs();
    let body = envelope(&hub.app_id, &n, 1, first_sent_at);
    let outcome = attempt(hub, &n, 1, &body, fault).await;
    if outcome == Outcome::Delivered && roll(n.faults.duplicate_rate) {
        attempt(hub, &n, 1, &body, Some("duplicate")).await;
    }
    if outcome != Outcome::Retry {
        hub.done();
        return;
    }
    let hub = Arc::clone(hub);
    tokio::spawn(async move {
        let delay = hub.config().retry_delay;
        if !pause(&hub, delay).await {
            let body = envelope(&hub.app_id, &n, 2, first_sent_at);
            attempt(&hub, &n, 2, &body, fault).await;
        }
        hub.done();
    });
}

/// One signed POST of `body`; journals it and says what comes next.
async fn attempt(
    hub: &Hub,
    n: &Notification,
    attempt: u32,
    body: &[u8],
    fault: Option<&str>,
) -> Outcome {
    let (url, secret, timeout) = {
        let c = hub.config();
        (c.url.clone(), c.client_secret.clone(), c.timeout)
    };
    let Some(url) = url.filter(|_| !hub.disabled.load(Ordering::Acquire)) else {
        let d = record(n, attempt, "", None, "unsubscribed", fault, None, body);
        hub.journal().push(d);
        return Outcome::Final;
    };
    let sig = signature(&secret, body);
    let (status, error, ms) = post(hub, &url, body, Some(&sig), timeout).await;
    let outcome = match status {
        Some(s) if (200..300).contains(&s) => Outcome::Delivered,
        Some(410) => {
            hub.disabled.store(true, Ordering::Release);
            tracing::warn!(url = %url, "sim webhook receiver answered 410, subscription disabled");
            Outcome::Final
        }
        _ if attempt == 1 => Outcome::Retry,
        _ => Outcome::Final,
    };
    let label = match (&outcome, status) {
        (Outcome::Delivered, _) => "delivered",
        (Outcome::Retry, _) => "will_retry",
        (Outcome::Final, Some(410)) => "disabled",
        (Outcome::Final, _) => "failed",
    };
    let mut d = record(n, attempt, &url, status, label, fault, Some(sig), body);
    d.error = error;
    d.duration_ms = ms;
    hub.journal().push(d);
    outcome
}

/// POSTs `body`; `(status, error, duration_ms)`.
pub(super) async fn post(
    hub: &Hub,
    url: &str,
    body: &[u8],
    signature: Option<&str>,
    timeout: std::time::Duration,
) -> (Option<u16>, Option<String>, f64) {
    let started = Instant::now();
    let mut req = hub
        .http
        .post(url)
        .timeout(timeout)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_vec());
    if let Some(s) = signature {
        req = req.header("X-Hub-Signature", s);
    }
    let result = req.send().await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(resp) => (Some(resp.status().as_u16()), None, ms),
        Err(e) if e.is_timeout() => (None, Some(format!("no answer within {timeout:?}")), ms),
        Err(e) => (None, Some(format!("{e}")), ms),
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn record(
    n: &Notification,
    attempt: u32,
    url: &str,
    status: Option<u16>,
    outcome: &str,
    fault: Option<&str>,
    signature: Option<String>,
    body: &[u8],
) -> WebhookDelivery {
    WebhookDelivery {
        seq: 0,
        at_ms: now_ms(),
        notification_id: n.id.clone(),
        topic: n.topic.clone(),
        attempt,
        url: url.to_owned(),
        status,
        error: None,
        duration_ms: 0.0,
        outcome: outcome.to_owned(),
        fault: fault.map(str::to_owned),
        signature,
        body: String::from_utf8_lossy(body).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hex_hmac_sha1_of_the_body() {
        // RFC 2202 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
    }

    #[test]
    fn the_envelope_carries_intercoms_fields() {
        let n = Notification {
            id: "notif_1".into(),
            topic: "ping".into(),
            created_at: 10,
            item: serde_json::json!({"type": "ping", "message": "hi"}),
            faults: Default::default(),
        };
        let v: Value = serde_json::from_slice(&envelope("app", &n, 2, 11)).expect("json");
        assert_eq!(v["type"], "notification_event");
        assert_eq!(v["app_id"], "app");
        assert_eq!(v["delivery_attempts"], 2);
        assert_eq!(v["first_sent_at"], 11);
        assert_eq!(v["data"]["type"], "notification_event_data");
        assert_eq!(v["data"]["item"]["message"], "hi");
    }
}
