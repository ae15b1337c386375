//! The layer every Intercom route goes through: auth, version, rate limit, faults, journal.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::journal::JournalEntry;
use super::state::{AppState, now_ms, now_secs};
use crate::error::ApiError;

/// `Intercom-Version` values Intercom publishes: the `intercom_version` enums of the 2.11
/// description (`1.0`…`2.11`, `Preview`) and of 2.16 (up to `2.16`). Every one gets 2.11
/// behaviour. `Unstable` (the old name of `Preview`) is in none of them.
pub(crate) const VERSIONS: &[&str] = &[
    "1.0", "1.1", "1.2", "1.3", "1.4", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7",
    "2.8", "2.9", "2.10", "2.11", "2.12", "2.13", "2.14", "2.15", "2.16", "Preview",
];

fn authorized(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| t.trim() == token)
}

fn set_rate_headers(headers: &mut HeaderMap, limit: u32, remaining: u32, reset: i64) {
    headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from(reset));
}

/// What the fault dice decided for one request.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    ServerError(u16),
    Drop,
    Malformed,
    Truncated,
    Empty,
}

impl Fault {
    fn name(self) -> String {
        match self {
            Fault::ServerError(s) => format!("server_error_{s}"),
            Fault::Drop => "dropped_connection".into(),
            Fault::Malformed => "malformed_body".into(),
            Fault::Truncated => "truncated_body".into(),
            Fault::Empty => "empty_body".into(),
        }
    }
}

pub(crate) async fn intercom_layer(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let at_ms = now_ms();
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let intercom_version = req
        .headers()
        .get("intercom-version")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let user_agent = req
        .headers()
        .get(axum::http::header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let (mut response, fault) = handle(&state, req, next).await;
    let status = response.status().as_u16();
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::debug!(method = %method, path = %path, status, duration_ms, "sim request");
    state.journal().push(JournalEntry {
        seq: 0,
        at_ms,
        method,
        path,
        query,
        status,
        duration_ms,
        fault: fault.map(Fault::name),
        intercom_version,
        user_agent,
    });
    if let Some(f) = fault {
        response = apply_body_fault(response, f).await;
    }
    response
}

async fn handle(state: &AppState, req: Request, next: Next) -> (Response, Option<Fault>) {
    // The OAuth exchange authenticates with the app's client credentials, not a token, and
    // is no part of the REST API's versions and rate limits.
    if req.uri().path() == crate::api::oauth::TOKEN_PATH {
        return (next.run(req).await, None);
    }
    if !authorized(req.headers(), &state.config.token) {
        return (ApiError::unauthorized().into_response(), None);
    }
    let (limit, remaining, reset, allowed, faults) = {
        let mut rt = state.rt();
        let (l, r, reset, ok) = rt.take_budget(now_secs());
        (l, r, reset, ok, rt.faults.clone())
    };
    let mut response = if !allowed {
        let msg = format!("Exceeded rate limit of {limit} in 10_seconds");
        (
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limit_exceeded", msg)
                .into_response(),
            None,
        )
    } else if let Some(bad) = req
        .headers()
        .get("intercom-version")
        .filter(|v| !v.to_str().is_ok_and(|v| VERSIONS.contains(&v.trim())))
    {
        let msg = format!(
            "Requested version {:?} is not supported",
            bad.to_str().unwrap_or("?")
        );
        (
            ApiError::new(StatusCode::BAD_REQUEST, "intercom_version_invalid", msg).into_response(),
            None,
        )
    } else {
        let latency = faults.latency_ms
            + if faults.latency_jitter_ms > 0 {
                fastrand_u64(faults.latency_jitter_ms)
            } else {
                0
            };
        if latency > 0 {
            tokio::time::sleep(Duration::from_millis(latency)).await;
        }
        if roll(faults.error_rate) {
            let status = if roll(0.5) { 500 } else { 503 };
            let err = if status == 500 {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "Server Error",
                )
            } else {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "service_unavailable",
                    "Service Unavailable",
                )
            };
            (err.into_response(), Some(Fault::ServerError(status)))
        } else {
            let response = next.run(req).await;
            let fault = if response.status() != StatusCode::OK {
                None
            } else if roll(faults.drop_rate) {
                Some(Fault::Drop)
            } else if roll(faults.malformed_rate) {
                Some(Fault::Malformed)
            } else if roll(faults.truncated_rate) {
                Some(Fault::Truncated)
            } else if roll(faults.empty_body_rate) {
                Some(Fault::Empty)
            } else {
                None
            };
            (response, fault)
        }
    };
    set_rate_headers(response.0.headers_mut(), limit, remaining, reset);
    response
}

fn roll(p: f64) -> bool {
    p > 0.0 && (p >= 1.0 || (fastrand_u64(1 << 53) as f64 / (1u64 << 53) as f64) < p)
}

/// Non-deterministic dice for faults (data stays deterministic; faults need not be).
fn fastrand_u64(below: u64) -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static STATE: AtomicU64 = AtomicU64::new(0);
    let seed = STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        ^ (now_ms() as u64).rotate_left(17);
    crate::rng::mix(seed) % below.max(1)
}

async fn apply_body_fault(response: Response, fault: Fault) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    let body = match fault {
        Fault::Malformed => Body::from(format!(
            "<html><body>{}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(20)])
        )),
        Fault::Truncated => Body::from(bytes.slice(..bytes.len() / 2)),
        Fault::Empty => Body::empty(),
        Fault::Drop => {
            // Send part of the body, then fail the stream: hyper aborts the connection.
            let half = bytes.slice(..bytes.len() / 2);
            let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = vec![
                Ok(half),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "sim: dropped connection",
                )),
            ];
            Body::from_stream(futures::stream::iter(chunks))
        }
        Fault::ServerError(_) => Body::from(bytes),
    };
    Response::from_parts(parts, body)
}
