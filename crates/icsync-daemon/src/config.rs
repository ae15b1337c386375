//! Configuration: `config/default.toml` (built in), then `--config FILE`, then `ICSYNC_` env vars.

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::SecretString;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The defaults, compiled in so the binary runs from any directory.
pub const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

/// Environment variables with the `ICSYNC_` prefix that are not configuration keys.
const NON_CONFIG_ENV: &[&str] = &["pg_bin"];

/// Why configuration could not be loaded; icsync exits with status 2.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid configuration: {0}")]
    Invalid(String),
    #[error("invalid configuration: `{key}` = {value:?}: {problem}")]
    BadValue {
        key: &'static str,
        value: String,
        problem: String,
    },
    #[error("cannot read the configuration file {}: {reason}", path.display())]
    File { path: PathBuf, reason: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub database_url: String,
    pub data_dir: PathBuf,
    pub secret_key_file: String,
    /// Only from the environment (`ICSYNC_SECRET_KEY`); `Debug` shows `[REDACTED]`.
    #[serde(default)]
    pub secret_key: Option<SecretString>,
    pub server: ServerSettings,
    pub log: LogSettings,
    pub database: DatabaseSettings,
    pub intercom: IntercomSettings,
    pub inbound: icsync_inbound::InboundConfig,
    pub writeback: icsync_writeback::WritebackConfig,
    pub sessions: SessionSettings,
    pub api: ApiConfig,
    pub jobs: JobSettings,
    pub console: ConsoleConfig,
    pub export: icsync_writeback::export::ExportConfig,
}

/// `[console]`: the pages served at `/`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleConfig {
    /// Mark the session cookie `Secure` (serve over HTTPS or behind a TLS-terminating proxy).
    pub secure_cookie: bool,
    /// How long a sign-in lasts.
    pub session_ttl_secs: u64,
    /// How often the status page refreshes itself.
    pub status_refresh_secs: u64,
}

/// `[api]`: keys from configuration (their secrets from the environment), the OAuth app.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// `[[api.keys]]`: `name`, `scope` (`admin` or `host`) and `key_env`, the environment
    /// variable holding the key (at least 32 characters).
    #[serde(default)]
    pub keys: Vec<ConfiguredKeyToml>,
    /// An Intercom OAuth app's client id; with `oauth_client_secret_env` it enables
    /// `POST /v1/workspaces/oauth`.
    #[serde(default)]
    pub oauth_client_id: String,
    /// The environment variable holding the OAuth app's client secret.
    #[serde(default)]
    pub oauth_client_secret_env: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfiguredKeyToml {
    pub name: String,
    pub scope: String,
    pub key_env: String,
}

/// `[jobs]`: how `icsync serve` runs each workspace's sync passes and shares workspaces with
/// other instances on the same PostgreSQL database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    /// Seconds between two looks at the workspaces (new ones start, disconnected ones stop,
    /// leases are renewed and taken).
    pub supervise_secs: u64,
    /// Seconds a workspace's lease lasts without renewal; another instance takes a dead
    /// instance's workspaces after this.
    pub lease_secs: u64,
}

impl JobSettings {
    pub fn supervise_interval(&self) -> Duration {
        Duration::from_secs(self.supervise_secs)
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs)
    }
}

/// `[sessions]`: how sessions are rebuilt from events (docs/SESSIONS.md).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    pub session_gap_mins: u32,
    pub session_max_hours: u32,
    pub future_tolerance_secs: u32,
}

impl SessionSettings {
    pub fn rules(&self) -> icsync_sessionizer::SessionRules {
        icsync_sessionizer::SessionRules {
            session_gap_mins: self.session_gap_mins,
            session_max_hours: self.session_max_hours,
            future_tolerance_secs: self.future_tolerance_secs,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntercomSettings {
    pub version: String,
    pub connect_timeout_ms: u64,
    pub read_timeout_ms: u64,
    pub list_timeout_ms: u64,
    pub write_timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: String,
    pub shutdown_grace_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub migrate_on_start: bool,
    pub max_connections: u32,
    pub busy_timeout_ms: u64,
    pub acquire_timeout_ms: u64,
    pub sqlite_cache_kib: u32,
    pub sqlite_page_size: u32,
}

impl Settings {
    /// Loads the layers and validates the result.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
            figment = figment.merge(Toml::string(&text));
        }
        let env = Env::prefixed("ICSYNC_").split("__").filter(|key| {
            let key = key.as_str().to_ascii_lowercase();
            !NON_CONFIG_ENV.contains(&key.as_str()) && !key.starts_with("test_")
        });
        let mut settings: Settings = figment
            .merge(env)
            .extract()
            .map_err(|e| ConfigError::Invalid(describe(e)))?;
        settings.validate()?;
        settings.inbound.sessions = settings.sessions.rules();
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let url = self.database_url.trim();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::BadValue {
                key: "database_url",
                value: icsync_store::redact_url(url),
                problem: "use sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB".into(),
            });
        }
        self.bind_addr()?;
        if self.server.shutdown_grace_secs == 0 {
            return Err(ConfigError::BadValue {
                key: "server.shutdown_grace_secs",
                value: "0".into(),
                problem: "must be at least 1".into(),
            });
        }
        let page_size = self.database.sqlite_page_size;
        if !(512..=65_536).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(ConfigError::BadValue {
                key: "database.sqlite_page_size",
                value: page_size.to_string(),
                problem: "must be a power of two from 512 to 65536 (bytes), e.g. 16384".into(),
            });
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.level) {
            return Err(ConfigError::BadValue {
                key: "log.level",
                value: self.log.level.clone(),
                problem: e.to_string(),
            });
        }
        if let Err(problem) = self.sessions.rules().validate() {
            return Err(ConfigError::Invalid(format!(
                "sessions.{}: {problem}",
                problem.key()
            )));
        }
        if let Err(problem) = self.inbound.validate() {
            return Err(ConfigError::Invalid(problem));
        }
        if self.intercom.version.trim().is_empty() {
            return Err(ConfigError::BadValue {
                key: "intercom.version",
                value: String::new(),
                problem: "must name an Intercom API version such as 2.11".into(),
            });
        }
        for (key, ms) in [
            (
                "intercom.connect_timeout_ms",
                self.intercom.connect_timeout_ms,
            ),
            ("intercom.read_timeout_ms", self.intercom.read_timeout_ms),
            ("intercom.list_timeout_ms", self.intercom.list_timeout_ms),
            ("intercom.write_timeout_ms", self.intercom.write_timeout_ms),
        ] {
            if ms == 0 {
                return Err(ConfigError::BadValue {
                    key,
                    value: "0".into(),
                    problem: "must be at least 1".into(),
                });
            }
        }
        // Names clashing between contacts and companies, standard names, bad ranges, ...
        self.writeback
            .validate()
            .map_err(|problem| ConfigError::Invalid(problem.to_string()))?;
        if self.jobs.supervise_secs == 0 {
            return Err(ConfigError::BadValue {
                key: "jobs.supervise_secs",
                value: "0".into(),
                problem: "must be at least 1".into(),
            });
        }
        if self.jobs.lease_secs < 3 * self.jobs.supervise_secs {
            return Err(ConfigError::BadValue {
                key: "jobs.lease_secs",
                value: self.jobs.lease_secs.to_string(),
                problem: format!(
                    "must be at least 3 times jobs.supervise_secs ({}) so a live instance renews its leases in time",
                    self.jobs.supervise_secs
                ),
            });
        }
        self.api_keys()?;
        self.oauth_client()?;
        for (key, secs) in [
            ("console.session_ttl_secs", self.console.session_ttl_secs),
            (
                "console.status_refresh_secs",
                self.console.status_refresh_secs,
            ),
        ] {
            if secs == 0 {
                return Err(ConfigError::BadValue {
                    key,
                    value: "0".into(),
                    problem: "must be at least 1".into(),
                });
            }
        }
        self.export
            .validate()
            .map_err(|problem| ConfigError::Invalid(problem.to_string()))?;
        if self.database.max_connections == 0 {
            return Err(ConfigError::BadValue {
                key: "database.max_connections",
                value: "0".into(),
                problem: "must be at least 1".into(),
            });
        }
        Ok(())
    }

    /// The API keys configured in `[[api.keys]]`, their secrets read from the environment.
    pub fn api_keys(&self) -> Result<Vec<icsync_api::ConfiguredKey>, ConfigError> {
        let mut keys = Vec::new();
        for (n, key) in self.api.keys.iter().enumerate() {
            let scope = icsync_api::Scope::parse(&key.scope).ok_or_else(|| {
                ConfigError::Invalid(format!(
                    "api.keys[{n}] ({:?}): scope {:?} is neither admin nor host",
                    key.name, key.scope
                ))
            })?;
            let secret = std::env::var(key.key_env.trim()).map_err(|_| {
                ConfigError::Invalid(format!(
                    "api.keys[{n}] ({:?}): the environment variable {:?} (key_env) is not set",
                    key.name, key.key_env
                ))
            })?;
            let configured = icsync_api::ConfiguredKey {
                name: key.name.clone(),
                scope,
                key: SecretString::from(secret.trim().to_owned()),
            };
            configured
                .validate()
                .map_err(|problem| ConfigError::Invalid(format!("api.keys[{n}]: {problem}")))?;
            keys.push(configured);
        }
        Ok(keys)
    }

    /// The OAuth app, when `api.oauth_client_id` is set.
    pub fn oauth_client(&self) -> Result<Option<icsync_api::OAuthClient>, ConfigError> {
        let id = self.api.oauth_client_id.trim();
        if id.is_empty() {
            return Ok(None);
        }
        let var = self.api.oauth_client_secret_env.trim();
        let secret = std::env::var(var).map_err(|_| ConfigError::BadValue {
            key: "api.oauth_client_secret_env",
            value: var.to_owned(),
            problem: "api.oauth_client_id is set, so this must name a set environment variable holding the client secret".into(),
        })?;
        Ok(Some(icsync_api::OAuthClient {
            client_id: id.to_owned(),
            client_secret: SecretString::from(secret.trim().to_owned()),
        }))
    }

    /// The console's settings (with writeback's attribute names for the workspace page).
    pub fn console_settings(&self) -> icsync_console::ConsoleSettings {
        let (c, k) = (
            &self.writeback.contact_attributes,
            &self.writeback.company_attributes,
        );
        let attribute_names = [
            ("health", &c.health, &k.health),
            ("stage", &c.stage, &k.stage),
            ("profile_url", &c.profile_url, &k.profile_url),
            ("pulse", &c.pulse, &k.pulse),
            (
                "licence_utilization",
                &c.licence_utilization,
                &k.licence_utilization,
            ),
            ("cs_owner", &c.cs_owner, &k.cs_owner),
            ("cs_owner_email", &c.cs_owner_email, &k.cs_owner_email),
        ]
        .into_iter()
        .map(|(field, contact, company)| icsync_console::AttributeName {
            field: field.to_owned(),
            contact: contact.clone(),
            company: company.clone(),
        })
        .collect();
        icsync_console::ConsoleSettings {
            secure_cookie: self.console.secure_cookie,
            session_ttl: Duration::from_secs(self.console.session_ttl_secs),
            status_refresh: Duration::from_secs(self.console.status_refresh_secs),
            attribute_names,
        }
    }

    pub fn bind_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.server.bind.parse().map_err(|e| ConfigError::BadValue {
            key: "server.bind",
            value: self.server.bind.clone(),
            problem: format!("{e}; expected HOST:PORT such as 127.0.0.1:8080"),
        })
    }

    pub fn secret_key_path(&self) -> PathBuf {
        if self.secret_key_file.trim().is_empty() {
            self.data_dir.join("secret.key")
        } else {
            PathBuf::from(&self.secret_key_file)
        }
    }

    /// How every workspace's Intercom client is built.
    pub fn client_settings(&self) -> icsync_inbound::ClientSettings {
        icsync_inbound::ClientSettings {
            intercom_version: self.intercom.version.trim().to_owned(),
            timeouts: icsync_intercom::Timeouts {
                connect: Duration::from_millis(self.intercom.connect_timeout_ms),
                read: Duration::from_millis(self.intercom.read_timeout_ms),
                list: Duration::from_millis(self.intercom.list_timeout_ms),
                write: Duration::from_millis(self.intercom.write_timeout_ms),
            },
            ..icsync_inbound::ClientSettings::default()
        }
    }

    pub fn store_options(&self) -> icsync_store::StoreOptions {
        let mut options = icsync_store::StoreOptions::new(self.database_url.trim());
        options.max_connections = self.database.max_connections;
        options.busy_timeout = Duration::from_millis(self.database.busy_timeout_ms);
        options.acquire_timeout = Duration::from_millis(self.database.acquire_timeout_ms);
        options.sqlite_cache_kib = self.database.sqlite_cache_kib;
        options.sqlite_page_size = self.database.sqlite_page_size;
        options
    }
}

/// Figment's message, without its profile prefix.
fn describe(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let source = e
                .metadata
                .as_ref()
                .map(|m| m.name.to_string())
                .unwrap_or_default();
            let kind = e.kind.to_string();
            match (key.is_empty(), source.is_empty()) {
                (true, _) => kind,
                (false, true) => format!("`{key}`: {kind}"),
                (false, false) => format!("`{key}` (from {source}): {kind}"),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment's error
mod tests {
    use super::*;
    use figment::Jail;
    use secrecy::ExposeSecret;

    #[test]
    fn the_built_in_defaults_are_valid() {
        Jail::expect_with(|_jail| {
            let settings = Settings::load(None).unwrap();
            assert_eq!(settings.database_url, "sqlite://./data/icsync.db");
            assert_eq!(settings.log.format, LogFormat::Text);
            assert_eq!(
                settings.secret_key_path(),
                PathBuf::from("./data/secret.key")
            );
            assert!(settings.secret_key.is_none());
            assert_eq!(
                settings.writeback,
                icsync_writeback::WritebackConfig::default(),
                "config/default.toml documents the built-in writeback defaults"
            );
            Ok(())
        });
    }

    #[test]
    fn a_file_then_the_environment_override_the_defaults() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "icsync.toml",
                "database_url = \"sqlite://other.db\"\n[server]\nbind = \"0.0.0.0:9000\"\n",
            )?;
            jail.set_env("ICSYNC_SERVER__BIND", "127.0.0.1:0");
            jail.set_env("ICSYNC_LOG__FORMAT", "json");
            jail.set_env("ICSYNC_PG_BIN", "/usr/lib/postgresql/15/bin");
            jail.set_env("ICSYNC_TEST_LOG", "1");
            let settings = Settings::load(Some(Path::new("icsync.toml"))).unwrap();
            assert_eq!(settings.database_url, "sqlite://other.db");
            assert_eq!(settings.server.bind, "127.0.0.1:0");
            assert_eq!(settings.log.format, LogFormat::Json);
            Ok(())
        });
    }

    #[test]
    fn the_secret_key_comes_from_the_environment_and_never_prints() {
        Jail::expect_with(|jail| {
            jail.set_env("ICSYNC_SECRET_KEY", "a1b2c3d4e5");
            let settings = Settings::load(None).unwrap();
            assert_eq!(
                settings.secret_key.as_ref().unwrap().expose_secret(),
                "a1b2c3d4e5"
            );
            assert!(!format!("{settings:?}").contains("a1b2c3d4e5"));
            Ok(())
        });
    }

    #[test]
    fn invalid_values_name_their_key() {
        let cases = [
            ("ICSYNC_SERVER__BIND", "not-an-address", "server.bind"),
            (
                "ICSYNC_SERVER__SHUTDOWN_GRACE_SECS",
                "soon",
                "server.shutdown_grace_secs",
            ),
            ("ICSYNC_LOG__FORMAT", "xml", "log.format"),
            ("ICSYNC_DATABASE_URL", "mysql://x", "database_url"),
            ("ICSYNC_LOG__LEVEL", "info,==", "log.level"),
            (
                "ICSYNC_DATABASE__SQLITE_PAGE_SIZE",
                "10000",
                "database.sqlite_page_size",
            ),
            ("ICSYNC_SERVER__COLOUR", "red", "colour"),
            (
                "ICSYNC_WRITEBACK__COMPANY_ATTRIBUTES__HEALTH",
                "cs_health",
                "writeback.company_attributes.health",
            ),
            (
                "ICSYNC_WRITEBACK__CONTACT_ATTRIBUTES__STAGE",
                "email",
                "writeback.contact_attributes.stage",
            ),
            (
                "ICSYNC_WRITEBACK__HEALTH_MIN",
                "500",
                "writeback.health_max",
            ),
        ];
        for (key, value, named) in cases {
            Jail::expect_with(|jail| {
                jail.set_env(key, value);
                let err = Settings::load(None).unwrap_err().to_string();
                assert!(err.contains(named), "{key}={value}: {err}");
                Ok(())
            });
        }
    }

    #[test]
    fn a_malformed_or_missing_file_is_reported_with_its_problem() {
        Jail::expect_with(|jail| {
            jail.create_file("bad.toml", "[server\nbind = 1")?;
            let err = Settings::load(Some(Path::new("bad.toml")))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("invalid configuration"), "{err}");
            let missing = Settings::load(Some(Path::new("nope.toml"))).unwrap_err();
            assert!(missing.to_string().contains("nope.toml"), "{missing}");
            Ok(())
        });
    }
}
