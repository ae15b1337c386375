//! One request, end to end: pacer admission, headers, timeout, rate-limit observation, error mapping, decoding, retries.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use crate::config::{AccessToken, ClientConfig, Timeouts};
use crate::decode::decode;
use crate::error::{self, Error};
use crate::pacer::{Observation, Pacer, Priority};
use crate::retry::RetryPolicy;

/// Which timeout applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// One object.
    Read,
    /// One page of a list/search/scroll.
    List,
    /// A create/update/archive.
    Write,
}

/// Whether a failed attempt may be repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// Reads, updates and upserts: repeating cannot do harm.
    Idempotent,
    /// Creates and scroll pages: repeat only failures Intercom cannot have acted on (429, connect errors).
    OnlyIfNotProcessed,
}

impl Repeat {
    /// The policy a method implies: GET, PUT, DELETE (and HEAD, OPTIONS) are idempotent by HTTP's
    /// definition; anything else (POST, PATCH) may act twice, so it is repeated only when Intercom
    /// cannot have processed the failed attempt, unless the call declares itself safe.
    fn for_method(method: &Method) -> Repeat {
        if method.is_idempotent() {
            Repeat::Idempotent
        } else {
            Repeat::OnlyIfNotProcessed
        }
    }
}

/// A request to send.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub method: Method,
    /// Path (and optionally `?query`) relative to the API root, e.g. `/contacts/search`.
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<serde_json::Value>,
    pub kind: Kind,
    pub repeat: Repeat,
    /// Names the response in decode errors.
    pub what: &'static str,
}

impl Call {
    /// A call with an explicit method; its repeat policy follows the method (see [`Repeat::for_method`]).
    pub(crate) fn new(
        method: Method,
        path: impl Into<String>,
        kind: Kind,
        what: &'static str,
    ) -> Call {
        Call {
            repeat: Repeat::for_method(&method),
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            kind,
            what,
        }
    }

    pub(crate) fn get(path: impl Into<String>, kind: Kind, what: &'static str) -> Call {
        Call::new(Method::GET, path, kind, what)
    }

    /// A POST: never blindly repeated after a failure Intercom may have acted on, unless declared
    /// [`Call::safe_to_repeat`].
    pub(crate) fn post(path: impl Into<String>, kind: Kind, what: &'static str) -> Call {
        Call::new(Method::POST, path, kind, what)
    }

    pub(crate) fn put(path: impl Into<String>, kind: Kind, what: &'static str) -> Call {
        Call::new(Method::PUT, path, kind, what)
    }

    /// Declares that repeating this call cannot do harm although its method could (a search or a
    /// list sent as POST, an upsert keyed on the caller's id).
    pub(crate) fn safe_to_repeat(self) -> Call {
        self.repeat(Repeat::Idempotent)
    }

    pub(crate) fn query(mut self, key: &'static str, value: impl ToString) -> Call {
        self.query.push((key, value.to_string()));
        self
    }

    pub(crate) fn body(mut self, body: serde_json::Value) -> Call {
        self.body = Some(body);
        self
    }

    pub(crate) fn repeat(mut self, repeat: Repeat) -> Call {
        self.repeat = repeat;
        self
    }
}

/// The shared HTTP machinery of one client.
#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    base: Url,
    token: AccessToken,
    version: String,
    timeouts: Timeouts,
    pub(crate) retry: RetryPolicy,
    pub(crate) pacer: Pacer,
    pub(crate) label: String,
}

impl Transport {
    pub(crate) fn new(config: &ClientConfig, pacer: Pacer) -> Result<Transport, Error> {
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(crate::tls::client_config()?)
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.timeouts.connect)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| Error::Config(format!("http client: {e}")))?;
        Ok(Transport {
            http,
            base: config.effective_base_url()?,
            token: config.token.clone(),
            version: config.intercom_version.clone(),
            timeouts: config.timeouts,
            retry: config.retry.clone(),
            pacer,
            label: config.workspace_label.clone(),
        })
    }

    /// The absolute URL of `path` (which may carry its own `?query`) under the configured base.
    pub(crate) fn url(&self, path: &str, query: &[(&'static str, String)]) -> Url {
        let mut url = self.base.clone();
        let (path, own_query) = path.split_once('?').unwrap_or((path, ""));
        let prefix = url.path().trim_end_matches('/').to_owned();
        let path = if !prefix.is_empty() && path.starts_with(&prefix) {
            path.to_owned()
        } else {
            format!("{prefix}{path}")
        };
        url.set_path(&path);
        url.set_query(if own_query.is_empty() {
            None
        } else {
            Some(own_query)
        });
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }

    fn timeout(&self, kind: Kind) -> Duration {
        match kind {
            Kind::Read => self.timeouts.read,
            Kind::List => self.timeouts.list,
            Kind::Write => self.timeouts.write,
        }
    }

    /// Sends `call` (with retries) and decodes the 2xx body as `T`.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        call: &Call,
        priority: Priority,
    ) -> Result<T, Error> {
        self.execute(call, priority, |body| decode(call.what, body))
            .await
    }

    async fn execute<T>(
        &self,
        call: &Call,
        priority: Priority,
        parse: impl Fn(&[u8]) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut attempt: u32 = 0;
        let mut rate_limited: u32 = 0;
        let mut sent: u32 = 0;
        loop {
            attempt += 1;
            sent += 1;
            let result = self.attempt(call, priority, &parse, sent > 1).await;
            let err = match result {
                Ok(value) => return Ok(value),
                Err(err) => err,
            };
            let counted = !matches!(err, Error::RateLimited { .. });
            if matches!(err, Error::RateLimited { .. }) {
                rate_limited += 1;
                attempt -= 1;
            }
            let allowed = match call.repeat {
                Repeat::Idempotent => true,
                Repeat::OnlyIfNotProcessed => !err.may_have_been_processed(),
            };
            let exhausted = attempt >= self.retry.max_attempts
                || rate_limited > self.retry.max_attempts.saturating_mul(4);
            if !err.is_retryable() || !allowed || exhausted {
                if err.is_retryable() {
                    tracing::warn!(workspace = %self.label, method = %call.method, path = %call.path, attempt, error = %err, "intercom request failed, giving up");
                }
                return Err(err);
            }
            tracing::debug!(workspace = %self.label, method = %call.method, path = %call.path, attempt, error = %err, "retrying intercom request");
            if counted {
                // 429s wait in the pacer (every caller of the workspace waits); other failures back off here.
                tokio::time::sleep(self.retry.backoff(attempt)).await;
            }
        }
    }

    async fn attempt<T>(
        &self,
        call: &Call,
        priority: Priority,
        parse: &impl Fn(&[u8]) -> Result<T, Error>,
        is_retry: bool,
    ) -> Result<T, Error> {
        let permit = self.pacer.acquire(priority).await;
        let counters = self.pacer.counters();
        counters.request();
        if is_retry {
            counters.retry();
        }
        let timeout = self.timeout(call.kind);
        let mut request = self
            .http
            .request(call.method.clone(), self.url(&call.path, &call.query))
            .timeout(timeout)
            .header(AUTHORIZATION, format!("Bearer {}", self.token.expose()))
            .header("Intercom-Version", &self.version)
            .header(ACCEPT, "application/json");
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(err) => {
                counters.transport_error();
                return Err(if err.is_timeout() {
                    Error::Timeout { after: timeout }
                } else {
                    Error::transport(err)
                });
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        self.pacer.observe(observation(&headers));
        let body: Bytes = match response.bytes().await {
            Ok(body) => body,
            Err(err) => {
                counters.transport_error();
                return Err(if err.is_timeout() {
                    Error::Timeout { after: timeout }
                } else {
                    Error::transport(err)
                });
            }
        };
        drop(permit);
        tracing::trace!(workspace = %self.label, method = %call.method, path = %call.path, status = status.as_u16(), "intercom answered");
        if status == StatusCode::TOO_MANY_REQUESTS {
            counters.rate_limited();
            let wait = retry_after(&headers).unwrap_or(self.pacer.config().min_rate_limit_wait);
            self.pacer.rate_limited(wait);
            tracing::debug!(workspace = %self.label, wait_ms = wait.as_millis() as u64, "intercom rate limit hit");
            return Err(Error::RateLimited { retry_after: wait });
        }
        if status.is_server_error() {
            counters.server_error();
        }
        if !status.is_success() {
            let request_id = header_str(&headers, "x-request-id").map(str::to_owned);
            return Err(error::from_status(status.as_u16(), &body, request_id));
        }
        parse(&body)
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    header_str(headers, name)?.parse().ok()
}

fn now_unix() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Time until the Unix second `reset`, clamped to a minute (a far-off or past reset is not trusted).
fn until_reset(reset: u64) -> Duration {
    #[allow(clippy::cast_precision_loss)]
    let seconds = (reset as f64 - now_unix()).clamp(0.0, 60.0);
    Duration::from_secs_f64(seconds)
}

/// The `X-RateLimit-*` headers of a response.
pub(crate) fn observation(headers: &HeaderMap) -> Observation {
    let limit = header_u64(headers, "x-ratelimit-limit").and_then(|v| u32::try_from(v).ok());
    let remaining =
        header_u64(headers, "x-ratelimit-remaining").and_then(|v| u32::try_from(v).ok());
    let reset_after = header_u64(headers, "x-ratelimit-reset").map(until_reset);
    Observation {
        limit,
        remaining,
        reset_after,
    }
}

/// How long a 429 asks to wait: `Retry-After` seconds, else `X-RateLimit-Reset`.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(seconds) = header_u64(headers, RETRY_AFTER.as_str()) {
        return Some(Duration::from_secs(seconds.min(300)));
    }
    header_u64(headers, "x-ratelimit-reset").map(until_reset)
}
