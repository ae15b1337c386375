//! Simulator configuration: data-set size, seed, auth token, rate limit, lag and fault knobs.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Everything a simulator instance is started with. `Default` is a small data set for tests.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimConfig {
    /// Seed of the deterministic data generator: same seed, same data.
    pub seed: u64,
    /// Number of generated contacts (users and leads).
    pub contacts: usize,
    /// Number of generated companies.
    pub companies: usize,
    /// Mean number of generated data events per contact (spread over 120 days, in bursts).
    pub events_per_contact: u32,
    /// Number of generated conversations.
    pub conversations: usize,
    /// Largest number of parts a generated conversation can have (the API returns at most 500).
    pub max_conversation_parts: u32,
    /// Bearer token the API requires.
    pub token: String,
    /// Request budget per 10-second window (`X-RateLimit-Limit`).
    pub rate_limit_per_window: u32,
    /// New and updated contacts stay invisible to `POST /contacts/search` this long.
    #[serde(with = "millis")]
    pub search_lag: Duration,
    /// A company scroll unused this long expires (Intercom: one minute).
    #[serde(with = "millis")]
    pub scroll_expiry: Duration,
    /// The workspace time zone (IANA name), reported by `GET /me` and used for day-granular search.
    pub time_zone: String,
    /// "Now" of the generated data as Unix seconds; `None` = the wall clock at start.
    pub anchor: Option<i64>,
    /// The workspace id (`app.id_code`, contact `workspace_id`, company `app_id`).
    pub workspace_id: String,
    /// Reject writes of custom attributes that have no data attribute (400), as Intercom does.
    pub reject_unknown_custom_attributes: bool,
    /// How many requests the journal keeps (oldest dropped first).
    pub journal_capacity: usize,
    /// Fault knobs in force from the start (they can be changed at run time).
    pub faults: FaultConfig,
    /// Webhooks out: target URL, client secret, retry delay, timeout, delivery faults.
    pub webhooks: crate::webhooks::WebhookConfig,
    /// The hosting region `GET /me` reports (`app.region`).
    pub region: Region,
    /// The app's OAuth credentials for `POST /auth/eagle/token`.
    pub oauth: OAuthConfig,
}

/// Intercom's hosting regions (`api.intercom.io`, `api.eu.intercom.io`, `api.au.intercom.io`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    #[default]
    Us,
    Eu,
    Au,
}

impl Region {
    /// As `app.region` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Us => "US",
            Region::Eu => "EU",
            Region::Au => "AU",
        }
    }
}

/// The OAuth app the simulator plays: its client id and secret (Intercom uses one client
/// secret for OAuth and for webhook signatures; both default to `sim-client-secret`), how long
/// a code lives, and the token an exchange hands out (the simulator's API token).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OAuthConfig {
    pub client_id: String,
    pub client_secret: String,
    /// Codes expire this long after they are minted ("after about 5 minutes").
    #[serde(with = "millis", rename = "code_ttl_ms")]
    pub code_ttl: Duration,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        OAuthConfig {
            client_id: "sim-client-id".to_owned(),
            client_secret: "sim-client-secret".to_owned(),
            code_ttl: Duration::from_secs(300),
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 42,
            contacts: 200,
            companies: 40,
            events_per_contact: 12,
            conversations: 60,
            max_conversation_parts: 700,
            token: "sim-token".to_owned(),
            rate_limit_per_window: 1667,
            search_lag: Duration::ZERO,
            scroll_expiry: Duration::from_secs(60),
            time_zone: "America/Los_Angeles".to_owned(),
            anchor: None,
            workspace_id: "ecahpwf5".to_owned(),
            reject_unknown_custom_attributes: true,
            journal_capacity: 10_000,
            faults: FaultConfig::default(),
            webhooks: crate::webhooks::WebhookConfig::default(),
            region: Region::Us,
            oauth: OAuthConfig::default(),
        }
    }
}

/// Run-time fault injection. Rates are probabilities per request (0.0..=1.0); faults apply to the
/// Intercom API routes only, never to `/_sim/`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Share of requests answered 500 or 503 with an `error.list` body.
    pub error_rate: f64,
    /// Answer every request 429 for this many seconds from when it is set (a 429 storm).
    pub storm_429_secs: u64,
    /// Added latency per request, in milliseconds.
    pub latency_ms: u64,
    /// Extra random latency up to this many milliseconds.
    pub latency_jitter_ms: u64,
    /// Share of 200 responses whose body is replaced by malformed JSON.
    pub malformed_rate: f64,
    /// Share of 200 responses whose body is cut in half (JSON truncated).
    pub truncated_rate: f64,
    /// Share of 200 responses sent with an empty body.
    pub empty_body_rate: f64,
    /// Share of requests whose connection is dropped mid-response.
    pub drop_rate: f64,
    /// Share of company-scroll pages answered with Intercom's 500 "restart the scroll" error.
    pub scroll_failure_rate: f64,
}

pub(crate) mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}
