//! `icsync simulate`: the command-line face of the simulator (flags, printing, serving until
//! Ctrl-C or SIGTERM).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::Context;

use crate::config::{FaultConfig, OAuthConfig, Region, SimConfig};
use crate::handle::Simulator;
use crate::webhooks::WebhookConfig;

/// Flags of `icsync simulate` (also used by this crate's own binary).
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 4010)]
    pub port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Seed of the data generator: the same seed gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of contacts (users and leads) to generate.
    #[arg(long, default_value_t = 10_000)]
    pub contacts: usize,
    /// Number of companies to generate.
    #[arg(long, default_value_t = 1_000)]
    pub companies: usize,
    /// Number of conversations to generate (default: a quarter of the contacts).
    #[arg(long)]
    pub conversations: Option<usize>,
    /// Mean number of data events per contact (over 120 days).
    #[arg(long, default_value_t = 12)]
    pub events_per_contact: u32,
    /// Largest number of parts of a generated conversation.
    #[arg(long, default_value_t = 700)]
    pub max_conversation_parts: u32,
    /// Bearer token the API requires.
    #[arg(long, default_value = "sim-token", env = "ICSYNC_SIM_TOKEN")]
    pub token: String,
    /// Requests allowed per 10-second window (X-RateLimit-Limit).
    #[arg(long, default_value_t = 1667)]
    pub rate_limit: u32,
    /// Milliseconds before new or updated contacts appear in search.
    #[arg(long, default_value_t = 0)]
    pub search_lag_ms: u64,
    /// Milliseconds of idleness after which a company scroll expires.
    #[arg(long, default_value_t = 60_000)]
    pub scroll_expiry_ms: u64,
    /// Workspace time zone (IANA), used for day-granular contact search.
    #[arg(long, default_value = "America/Los_Angeles")]
    pub time_zone: String,
    /// "Now" of the generated data (Unix seconds); default: the current time.
    #[arg(long)]
    pub anchor: Option<i64>,
    /// Share of requests answered 500/503.
    #[arg(long, default_value_t = 0.0)]
    pub fault_error_rate: f64,
    /// Added latency per request (ms).
    #[arg(long, default_value_t = 0)]
    pub fault_latency_ms: u64,
    /// Share of 200 responses with a malformed body.
    #[arg(long, default_value_t = 0.0)]
    pub fault_malformed_rate: f64,
    /// Share of 200 responses with a truncated body.
    #[arg(long, default_value_t = 0.0)]
    pub fault_truncated_rate: f64,
    /// Share of requests whose connection is dropped mid-response.
    #[arg(long, default_value_t = 0.0)]
    pub fault_drop_rate: f64,
    /// Answer every request 429 for this many seconds from start.
    #[arg(long, default_value_t = 0)]
    pub fault_429_storm_secs: u64,
    /// POST signed webhook notifications to this URL when the data changes.
    #[arg(long)]
    pub webhook_url: Option<String>,
    /// The app's client secret that signs webhooks (X-Hub-Signature).
    #[arg(
        long,
        default_value = "sim-client-secret",
        env = "ICSYNC_SIM_WEBHOOK_SECRET"
    )]
    pub webhook_secret: String,
    /// Milliseconds before the one retry of a failed webhook delivery.
    #[arg(long, default_value_t = 60_000)]
    pub webhook_retry_delay_ms: u64,
    /// The hosting region `GET /me` reports.
    #[arg(long, value_enum, default_value_t = Region::Us)]
    pub region: Region,
    /// The OAuth client id `POST /auth/eagle/token` accepts.
    #[arg(long, default_value = "sim-client-id")]
    pub oauth_client_id: String,
    /// The OAuth client secret `POST /auth/eagle/token` accepts.
    #[arg(
        long,
        default_value = "sim-client-secret",
        env = "ICSYNC_SIM_OAUTH_CLIENT_SECRET"
    )]
    pub oauth_client_secret: String,
}

impl SimulateArgs {
    pub fn to_config(&self) -> SimConfig {
        SimConfig {
            seed: self.seed,
            contacts: self.contacts,
            companies: self.companies,
            events_per_contact: self.events_per_contact,
            conversations: self.conversations.unwrap_or(self.contacts / 4),
            max_conversation_parts: self.max_conversation_parts,
            token: self.token.clone(),
            rate_limit_per_window: self.rate_limit,
            search_lag: Duration::from_millis(self.search_lag_ms),
            scroll_expiry: Duration::from_millis(self.scroll_expiry_ms),
            time_zone: self.time_zone.clone(),
            anchor: self.anchor,
            faults: FaultConfig {
                error_rate: self.fault_error_rate,
                latency_ms: self.fault_latency_ms,
                malformed_rate: self.fault_malformed_rate,
                truncated_rate: self.fault_truncated_rate,
                drop_rate: self.fault_drop_rate,
                storm_429_secs: self.fault_429_storm_secs,
                ..FaultConfig::default()
            },
            webhooks: WebhookConfig {
                url: self.webhook_url.clone(),
                client_secret: self.webhook_secret.clone(),
                retry_delay: Duration::from_millis(self.webhook_retry_delay_ms),
                ..WebhookConfig::default()
            },
            region: self.region,
            oauth: OAuthConfig {
                client_id: self.oauth_client_id.clone(),
                client_secret: self.oauth_client_secret.clone(),
                ..OAuthConfig::default()
            },
            ..SimConfig::default()
        }
    }
}

/// Starts the simulator, prints its base URL and token, and serves until Ctrl-C or SIGTERM.
pub async fn run_cli(args: SimulateArgs) -> anyhow::Result<()> {
    let addr = SocketAddr::new(args.bind, args.port);
    let sim = Simulator::start(args.to_config(), addr)
        .await
        .context("failed to start the Intercom simulator")?;
    let s = sim.summary();
    println!("Intercom simulator listening on {}", sim.base_url());
    println!("token: {}", sim.token());
    println!(
        "data: {} contacts ({} users, {} leads), {} companies, {} conversations, {} events",
        s.contacts, s.users, s.leads, s.companies, s.conversations, s.events
    );
    println!("control surface: {}/_sim/summary", sim.base_url());
    if let Some(url) = &sim.webhooks().url {
        println!("webhooks: {url}");
    }
    wait_for_stop().await;
    println!("stopping");
    sim.shutdown().await;
    Ok(())
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(error) => {
                    tracing::warn!(error = %error, "cannot listen for sigterm, ctrl-c only");
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
