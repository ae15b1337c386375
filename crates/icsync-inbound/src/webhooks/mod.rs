//! The webhook receiver: Intercom notifications in, applied to the store at once, so the store
//! is current between polls (which still run and catch any notification that was lost).
//!
//! Mount [`webhook_router`] (the API nests it under `/v1/webhooks`, outside its API-key layer:
//! a notification proves itself by its signature alone). Routes, relative to the mount:
//! - `POST /intercom`: any connected workspace's notifications; the signature is tried against
//!   each workspace's webhook secret.
//! - `POST /intercom/{workspace}`: one workspace's (its name or id), e.g. one private app per
//!   workspace.
//! - `HEAD` on both: Intercom checks the URL answers before it saves a subscription.
//!
//! Order of checks, each failing with a clear status and nothing stored:
//! 1. size: a declared or actual body over `webhook_max_body_bytes` is 413, unread beyond it;
//! 2. signature, on the raw bytes before any parsing: `X-Hub-Signature: sha1=<hex>`, the
//!    HMAC-SHA1 of the body under a workspace's webhook secret (the app's client secret),
//!    compared in constant time; missing, malformed or matching no secret is 401, logged
//!    without the body;
//! 3. envelope: not a `notification_event` is 400; an item its topic cannot decode is 400.
//!
//! Applying is idempotent and order-proof (`apply`): a replay or a duplicate changes nothing,
//! and an older `updated_at` never overwrites a newer one. A store failure is 500, so
//! Intercom's one retry can deliver it again.

mod apply;

use crate::config::InboundConfig;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures::StreamExt;
use icsync_domain::Workspace;
use icsync_intercom::webhook::{Notification, SIGNATURE_HEADER, Signature, SignatureError};
use icsync_store::Store;
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub use apply::Outcome;

/// What the receiver shares between requests; cheap to clone.
#[derive(Clone)]
pub struct WebhookState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    max_body: usize,
    /// Notifications applied, by (workspace, notification id): a delivery seen again is
    /// answered at once (applying it again would change nothing anyway).
    seen: moka::sync::Cache<(i64, String), ()>,
    /// One notification applied at a time: a compare-then-write is never interleaved with
    /// another notification's.
    apply_lock: tokio::sync::Mutex<()>,
    counts: Counters,
}

#[derive(Default)]
struct Counters {
    received: AtomicU64,
    applied: AtomicU64,
    unchanged: AtomicU64,
    ignored: AtomicU64,
    duplicates: AtomicU64,
    unauthorized: AtomicU64,
    too_large: AtomicU64,
    malformed: AtomicU64,
    failed: AtomicU64,
}

/// The receiver's figures since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WebhookCounts {
    pub received: u64,
    /// Notifications that changed the store.
    pub applied: u64,
    /// Accepted, but the store already held that state or newer (replays, late deliveries).
    pub unchanged: u64,
    /// Accepted and left alone (out of scope, unknown topic, a disconnected workspace, ping).
    pub ignored: u64,
    /// Deliveries of a notification already applied.
    pub duplicates: u64,
    /// Refused 401: no, malformed or forged signature.
    pub unauthorized: u64,
    /// Refused 413.
    pub too_large: u64,
    /// Refused 400.
    pub malformed: u64,
    /// 500: the store failed; Intercom retries once.
    pub failed: u64,
}

impl std::fmt::Debug for WebhookState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookState")
            .field("max_body", &self.inner.max_body)
            .field("counts", &self.counts())
            .finish_non_exhaustive()
    }
}

impl WebhookState {
    pub fn new(store: Store, config: &InboundConfig) -> Self {
        WebhookState {
            inner: Arc::new(Inner {
                store,
                max_body: config.webhook_max_body_bytes,
                seen: moka::sync::Cache::builder()
                    .max_capacity(100_000)
                    .time_to_live(std::time::Duration::from_secs(24 * 3600))
                    .build(),
                apply_lock: tokio::sync::Mutex::new(()),
                counts: Counters::default(),
            }),
        }
    }

    pub fn counts(&self) -> WebhookCounts {
        let c = &self.inner.counts;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        WebhookCounts {
            received: get(&c.received),
            applied: get(&c.applied),
            unchanged: get(&c.unchanged),
            ignored: get(&c.ignored),
            duplicates: get(&c.duplicates),
            unauthorized: get(&c.unauthorized),
            too_large: get(&c.too_large),
            malformed: get(&c.malformed),
            failed: get(&c.failed),
        }
    }
}

/// The webhook routes (see the module docs), to nest in the HTTP router (the API serves them
/// as `/v1/webhooks/intercom[/{workspace}]`).
pub fn webhook_router(state: WebhookState) -> Router {
    Router::new()
        .route("/intercom", post(receive_any).head(validate))
        .route("/intercom/{workspace}", post(receive_for).head(validate))
        .with_state(state)
}

/// Intercom's URL check: an empty 200.
async fn validate() -> StatusCode {
    StatusCode::OK
}

async fn receive_any(
    State(state): State<WebhookState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    receive(state, None, headers, body).await
}

async fn receive_for(
    State(state): State<WebhookState>,
    Path(workspace): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    receive(state, Some(workspace), headers, body).await
}

fn refuse(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let message = message.into();
    (
        status,
        axum::Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

async fn receive(
    state: WebhookState,
    scope: Option<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let inner = &state.inner;
    let counts = &inner.counts;
    counts.received.fetch_add(1, Ordering::Relaxed);
    let max = inner.max_body;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = || {
        counts.too_large.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            limit = max,
            declared,
            "webhook refused: body over the size limit"
        );
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the notification is larger than {max} bytes (inbound.webhook_max_body_bytes); nothing was stored"
            ),
        )
    };
    if declared.is_some_and(|len| len > max as u64) {
        return too_large();
    }
    let body = match read_limited(body, max).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return too_large(),
        Err(err) => {
            counts.malformed.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = %err, "webhook refused: the body could not be read");
            return refuse(
                StatusCode::BAD_REQUEST,
                "bad_body",
                format!("the body could not be read: {err}"),
            );
        }
    };
    let signature = headers
        .get(SIGNATURE_HEADER)
        .map(|v| v.to_str().unwrap_or(""));
    let signature = match Signature::parse(signature) {
        Ok(signature) => signature,
        Err(err) => return unauthorized(&state, &err, scope.as_deref()),
    };
    let candidates = match candidates(&inner.store, scope.as_deref()).await {
        Ok(candidates) => candidates,
        Err(err) => {
            counts.failed.fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %err, "webhook not processed: the workspaces could not be read");
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "store_failed",
                "the store failed; the delivery can be retried",
            );
        }
    };
    let matched: Vec<&Workspace> = candidates
        .iter()
        .filter(|ws| {
            ws.webhook_secret
                .as_ref()
                .is_some_and(|secret| signature.verifies(secret.expose_secret().as_bytes(), &body))
        })
        .collect();
    if matched.is_empty() {
        return unauthorized(&state, &SignatureError::Mismatch, scope.as_deref());
    }
    // Signed by a secret of ours: now, and only now, the body is read.
    let notification = match Notification::parse(&body) {
        Ok(n) if n.kind.as_deref().is_none_or(|k| k == "notification_event") => n,
        Ok(n) => {
            return malformed(
                &state,
                format!("type {:?} is not notification_event", n.kind),
            );
        }
        Err(err) => return malformed(&state, err.to_string()),
    };
    let Some(ws) = pick(&matched, notification.app_id.as_deref()) else {
        counts.ignored.fetch_add(1, Ordering::Relaxed);
        tracing::info!(app_id = notification.app_id.as_deref().unwrap_or("(none)"), topic = %notification.topic, "webhook ignored: signed for a connected app, but about an Intercom workspace not connected here");
        return accepted(
            "ignored",
            &notification,
            "no connected workspace has this app_id",
        );
    };
    apply_one(&state, ws, &notification).await
}

/// Reads at most `max` bytes; `None` when the body is longer.
async fn read_limited(body: Body, max: usize) -> Result<Option<bytes::Bytes>, axum::Error> {
    let mut stream = body.into_data_stream();
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if buf.len() + chunk.len() > max {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Some(buf.freeze()))
}

fn unauthorized(state: &WebhookState, err: &SignatureError, scope: Option<&str>) -> Response {
    state
        .inner
        .counts
        .unauthorized
        .fetch_add(1, Ordering::Relaxed);
    // Never the body: an unsigned body is untrusted input.
    tracing::warn!(reason = %err, workspace = scope.unwrap_or("(any)"), "webhook refused: signature not valid");
    refuse(
        StatusCode::UNAUTHORIZED,
        "invalid_signature",
        format!("{err}; nothing was stored (sign with the workspace's webhook secret)"),
    )
}

fn malformed(state: &WebhookState, reason: String) -> Response {
    state.inner.counts.malformed.fetch_add(1, Ordering::Relaxed);
    tracing::warn!(reason = %reason, "webhook refused: not a notification icsync can read");
    refuse(
        StatusCode::BAD_REQUEST,
        "malformed_notification",
        format!("{reason}; nothing was stored"),
    )
}

fn accepted(status: &str, notification: &Notification, detail: &str) -> Response {
    (
        StatusCode::OK,
        axum::Json(json!({
            "status": status,
            "topic": notification.topic,
            "notification": notification.id,
            "detail": detail,
        })),
    )
        .into_response()
}

/// The workspaces a delivery may be for: those with a webhook secret, or the one named in the
/// path (by name or id).
async fn candidates(store: &Store, scope: Option<&str>) -> icsync_store::Result<Vec<Workspace>> {
    Ok(store
        .workspaces()
        .await?
        .into_iter()
        .filter(|ws| ws.webhook_secret.is_some())
        .filter(|ws| scope.is_none_or(|s| ws.name == s || ws.id.to_string() == s))
        .collect())
}

/// Among the workspaces whose secret signed it, the one the notification is about.
fn pick<'a>(matched: &[&'a Workspace], app_id: Option<&str>) -> Option<&'a Workspace> {
    if let Some(app_id) = app_id
        && let Some(ws) = matched
            .iter()
            .find(|ws| ws.intercom_app_id.as_deref() == Some(app_id))
    {
        return Some(ws);
    }
    match matched {
        // One candidate that does not know its app id (or no app id in the envelope).
        [only] if only.intercom_app_id.is_none() || app_id.is_none() => Some(only),
        _ => None,
    }
}

async fn apply_one(state: &WebhookState, ws: &Workspace, notification: &Notification) -> Response {
    let inner = &state.inner;
    let counts = &inner.counts;
    if !ws.is_connected() {
        counts.ignored.fetch_add(1, Ordering::Relaxed);
        tracing::info!(workspace = %ws.name, topic = %notification.topic, "webhook ignored: the workspace is disconnected");
        return accepted("ignored", notification, "the workspace is disconnected");
    }
    let seen_key = notification.id.clone().map(|id| (ws.id.0, id));
    if let Some(key) = &seen_key
        && inner.seen.contains_key(key)
    {
        counts.duplicates.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(workspace = %ws.name, topic = %notification.topic, notification = %key.1, "webhook already applied");
        return accepted(
            "duplicate",
            notification,
            "this notification was applied before",
        );
    }
    let outcome = {
        let _one_at_a_time = inner.apply_lock.lock().await;
        apply::apply(&inner.store, ws, notification).await
    };
    match outcome {
        Ok(outcome) => {
            let counter = match outcome {
                Outcome::Applied => &counts.applied,
                Outcome::Unchanged(_) => &counts.unchanged,
                Outcome::Ignored(_) => &counts.ignored,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            if let Some(key) = seen_key {
                inner.seen.insert(key, ());
            }
            tracing::info!(workspace = %ws.name, topic = %notification.topic, outcome = outcome.as_str(), detail = outcome.detail(), "webhook accepted");
            accepted(outcome.as_str(), notification, outcome.detail())
        }
        Err(apply::ApplyError::Item(reason)) => malformed(state, reason),
        Err(apply::ApplyError::Store(err)) => {
            counts.failed.fetch_add(1, Ordering::Relaxed);
            tracing::error!(workspace = %ws.name, topic = %notification.topic, error = %err, "webhook not applied: the store failed; intercom retries it once and the next poll catches it");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "store_failed",
                "the store failed; the delivery can be retried",
            )
        }
    }
}
