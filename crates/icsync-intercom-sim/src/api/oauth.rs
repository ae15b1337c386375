//! `POST /auth/eagle/token`: the OAuth code exchange (INTERCOM.md section 1, "OAuth"): a
//! one-time code minted through `/_sim/oauth/codes`, the app's client id and secret, form or
//! JSON body; answers the workspace's access token.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

use super::params::{Query, json_object};
use crate::error::{ApiError, ApiResult};
use crate::server::state::AppState;

pub(crate) const TOKEN_PATH: &str = "/auth/eagle/token";

/// The exchange's fields, from a JSON body, a form body, or the query string.
fn fields(headers: &HeaderMap, body: &[u8], query: Option<&str>) -> ApiResult<Map<String, Value>> {
    let json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    let mut out = if json {
        json_object(body)?
    } else {
        let form = Query::parse(Some(&String::from_utf8_lossy(body)));
        form.0
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect()
    };
    for (k, v) in Query::parse(query).0 {
        out.entry(k).or_insert(Value::String(v));
    }
    Ok(out)
}

fn required<'a>(f: &'a Map<String, Value>, key: &str) -> ApiResult<&'a str> {
    match f.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            Err(ApiError::missing(format!("{key} is required")))
        }
        Some(_) => Err(ApiError::invalid(format!("{key} must be a string"))),
    }
}

/// Compares in time independent of where the strings differ (lengths may leak).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub(crate) async fn token(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let f = fields(&headers, &body, uri.query())?;
    let code = required(&f, "code")?;
    let client_id = required(&f, "client_id")?;
    let client_secret = required(&f, "client_secret")?;
    let oauth = &st.config.oauth;
    if !same(client_id, &oauth.client_id) || !same(client_secret, &oauth.client_secret) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Invalid client_id or client_secret",
        ));
    }
    let fresh = st
        .rt()
        .oauth_codes
        .remove(code)
        .is_some_and(|expires| Instant::now() < expires);
    if !fresh {
        return Err(ApiError::invalid(
            "The code is invalid, expired or already used: authorize again for a new code",
        ));
    }
    let token = &st.config.token;
    Ok(Json(
        json!({"token": token, "access_token": token, "token_type": "Bearer"}),
    ))
}

/// Mints a one-time code valid for `ttl` (default: the configured code lifetime).
pub(crate) fn mint_code(st: &AppState, ttl: Option<Duration>) -> (String, Duration) {
    let ttl = ttl.unwrap_or(st.config.oauth.code_ttl);
    let code = uuid::Uuid::new_v4().simple().to_string();
    let mut rt = st.rt();
    let now = Instant::now();
    rt.oauth_codes.retain(|_, expires| *expires > now);
    rt.oauth_codes.insert(code.clone(), now + ttl);
    (code, ttl)
}
