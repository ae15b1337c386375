//! The OAuth code exchange: `POST {host}/auth/eagle/token` with the authorization code and the
//! app's client id and secret (form-encoded), answered with the workspace's access token
//! (`token` and/or `access_token`). Not in Intercom's OpenAPI description (INTERCOM.md §1).
//!
//! **Invariant**: neither the code, the client secret nor the token appear in errors or logs.

use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::{self, Error};

/// The exchange's path under the API host.
pub const TOKEN_PATH: &str = "/auth/eagle/token";

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// Exchanges `code` for the workspace's access token at `base_url` (the region's API host, or
/// a base URL override such as the simulator). One attempt: a code is single-use, so a failed
/// exchange is not repeated blindly. Intercom's refusals map as everywhere in this crate:
/// wrong client credentials are [`Error::Unauthorized`], a bad or used code an [`Error::Api`]
/// with status 400.
pub async fn exchange_code(
    base_url: &str,
    client_id: &str,
    client_secret: &SecretString,
    code: &str,
    timeout: Duration,
) -> Result<SecretString, Error> {
    let mut url = url::Url::parse(base_url)
        .map_err(|e| Error::Config(format!("invalid base URL {base_url:?}: {e}")))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(Error::Config(format!(
            "base URL {base_url:?} must be http or https"
        )));
    }
    let path = format!("{}{TOKEN_PATH}", url.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_query(None);
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(crate::tls::client_config()?)
        .user_agent(crate::config::default_user_agent())
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .build()
        .map_err(|e| Error::Config(format!("http client: {e}")))?;
    let form: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("code", code)
        .append_pair("client_id", client_id)
        .append_pair("client_secret", client_secret.expose_secret())
        .finish();
    let response = http
        .post(url)
        .timeout(timeout)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "application/json")
        .body(form)
        .send()
        .await
        .map_err(|err| {
            if err.is_timeout() {
                Error::Timeout { after: timeout }
            } else {
                Error::transport(err.without_url())
            }
        })?;
    let status = response.status();
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.bytes().await.map_err(|err| {
        if err.is_timeout() {
            Error::Timeout { after: timeout }
        } else {
            Error::transport(err.without_url())
        }
    })?;
    if !status.is_success() {
        return Err(error::from_status(status.as_u16(), &body, request_id));
    }
    let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|e| Error::Decode {
        what: "OAuth token answer",
        field: ".".to_owned(),
        message: e.to_string(),
        // The body holds the token: never quote it.
        snippet: "(withheld: it may hold the token)".to_owned(),
        malformed: e.is_syntax() || e.is_eof(),
    })?;
    answer
        .access_token
        .or(answer.token)
        .filter(|t| !t.trim().is_empty())
        .map(SecretString::from)
        .ok_or_else(|| Error::Decode {
            what: "OAuth token answer",
            field: "token".to_owned(),
            message: "neither `token` nor `access_token` is set".to_owned(),
            snippet: "(withheld: it may hold the token)".to_owned(),
            malformed: false,
        })
}
