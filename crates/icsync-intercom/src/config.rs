//! Connection settings: region or base URL, the access token, the pinned `Intercom-Version`, timeouts per request kind, retry policy.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::error::Error;
use crate::pacer::PacerConfig;
use crate::retry::RetryPolicy;

/// The API version icsync is written against (see INTERCOM.md): every request pins it.
pub const DEFAULT_INTERCOM_VERSION: &str = "2.11";

/// Intercom's data-hosting regions; each has its own API host.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    /// `https://api.intercom.io`
    #[default]
    Us,
    /// `https://api.eu.intercom.io`
    Eu,
    /// `https://api.au.intercom.io`
    Au,
}

impl Region {
    /// The API base URL of this region.
    pub fn base_url(self) -> &'static str {
        match self {
            Region::Us => "https://api.intercom.io",
            Region::Eu => "https://api.eu.intercom.io",
            Region::Au => "https://api.au.intercom.io",
        }
    }

    /// Parses `us`/`eu`/`au` (any case) and the `app.region` values of `GET /me` (`"US"`, `"Europe"`, `"Australia"`).
    pub fn parse(value: &str) -> Option<Region> {
        match value.trim().to_ascii_lowercase().as_str() {
            "us" | "usa" | "united states" => Some(Region::Us),
            "eu" | "europe" => Some(Region::Eu),
            "au" | "australia" => Some(Region::Au),
            _ => None,
        }
    }
}

/// An Intercom access token (private app token or OAuth token).
///
/// Its `Debug` never shows the secret; only [`AccessToken::expose`] does, for the `Authorization` header.
#[derive(Clone)]
pub struct AccessToken(SecretString);

impl AccessToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        AccessToken(SecretString::from(token.into()))
    }

    pub(crate) fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

impl From<SecretString> for AccessToken {
    fn from(value: SecretString) -> Self {
        AccessToken(value)
    }
}

/// How long one HTTP exchange may take, by kind of request (pacer waits are not counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP + TLS connect.
    pub connect: Duration,
    /// A single-object read (`GET /contacts/{id}`, `GET /me`, a conversation with its parts).
    pub read: Duration,
    /// One page of a list, search or scroll.
    pub list: Duration,
    /// A create, update or archive.
    pub write: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(30),
            list: Duration::from_secs(60),
            write: Duration::from_secs(30),
        }
    }
}

/// Everything needed to build an [`crate::IntercomClient`] for one workspace.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The workspace's region; ignored when `base_url` is set.
    pub region: Region,
    /// Overrides the region's host (the simulator, tests, a proxy). Must be `http` or `https`.
    pub base_url: Option<Url>,
    /// Bearer token.
    pub token: AccessToken,
    /// Sent as `Intercom-Version` on every request.
    pub intercom_version: String,
    /// Sent as `User-Agent`.
    pub user_agent: String,
    /// Per-request-kind timeouts.
    pub timeouts: Timeouts,
    /// Retry policy for failed attempts.
    pub retry: RetryPolicy,
    /// Pacer settings, used when the client creates its own pacer (see [`crate::IntercomClient::with_pacer`]).
    pub pacer: PacerConfig,
    /// A label for logs and stats (the icsync workspace id); never the token.
    pub workspace_label: String,
}

impl ClientConfig {
    /// A config for `region` with defaults everywhere else.
    pub fn new(region: Region, token: AccessToken) -> Self {
        ClientConfig {
            region,
            base_url: None,
            token,
            intercom_version: DEFAULT_INTERCOM_VERSION.to_owned(),
            user_agent: default_user_agent(),
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            pacer: PacerConfig::default(),
            workspace_label: String::new(),
        }
    }

    /// Points the client at another host (e.g. the simulator); the region is then ignored.
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self, Error> {
        let url = Url::parse(base_url)
            .map_err(|e| Error::Config(format!("invalid base URL {base_url:?}: {e}")))?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(Error::Config(format!(
                "base URL {base_url:?} must be http or https"
            )));
        }
        self.base_url = Some(url);
        Ok(self)
    }

    /// The base URL requests go to, with no trailing slash in its path.
    pub fn effective_base_url(&self) -> Result<Url, Error> {
        match &self.base_url {
            Some(url) => Ok(url.clone()),
            None => Url::parse(self.region.base_url())
                .map_err(|e| Error::Config(format!("region URL: {e}"))),
        }
    }
}

/// `icsync/<crate version>`.
pub fn default_user_agent() -> String {
    format!("icsync/{}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_debug_never_shows_the_secret() {
        let token = AccessToken::new("dG9rOnNlY3JldC10b2tlbi12YWx1ZQ==");
        let config = ClientConfig::new(Region::Eu, token.clone());
        let printed = format!("{token:?} {config:?} {config:#?}");
        assert!(
            !printed.contains("dG9rOnNlY3JldC10b2tlbi12YWx1ZQ=="),
            "{printed}"
        );
        assert!(printed.contains("redacted"));
        assert_eq!(token.expose(), "dG9rOnNlY3JldC10b2tlbi12YWx1ZQ==");
    }

    #[test]
    fn regions_map_to_their_hosts() {
        assert_eq!(Region::Us.base_url(), "https://api.intercom.io");
        assert_eq!(Region::Eu.base_url(), "https://api.eu.intercom.io");
        assert_eq!(Region::Au.base_url(), "https://api.au.intercom.io");
        assert_eq!(Region::parse("US"), Some(Region::Us));
        assert_eq!(Region::parse("Europe"), Some(Region::Eu));
        assert_eq!(Region::parse("au"), Some(Region::Au));
        assert_eq!(Region::parse("mars"), None);
    }

    #[test]
    fn base_url_override_wins_and_is_validated() {
        let config = ClientConfig::new(Region::Au, AccessToken::new("t"));
        assert_eq!(
            config.effective_base_url().ok().map(|u| u.to_string()),
            Some("https://api.au.intercom.io/".to_owned())
        );
        let config = match config.with_base_url("http://127.0.0.1:8080") {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(
            config.effective_base_url().ok().map(|u| u.to_string()),
            Some("http://127.0.0.1:8080/".to_owned())
        );
        let bad = ClientConfig::new(Region::Us, AccessToken::new("t")).with_base_url("ftp://x");
        assert!(matches!(bad, Err(Error::Config(_))));
    }

    #[test]
    fn user_agent_names_icsync() {
        assert!(default_user_agent().starts_with("icsync/"));
    }
}
