//! `icsync bench writeback`: a backlog of changed contacts drained through the real client
//! against the simulator, which enforces a rate limit. Reads: requests per change, share of the
//! rate limit used, 429s.

use anyhow::Context as _;
use icsync_domain::{CsPatch, CsSubject, NewWorkspace, Region};
use icsync_intercom::{AccessToken, ClientConfig, IntercomClient, PacerConfig};
use icsync_intercom_sim::{SimConfig, Simulator};
use icsync_store::{SecretKey, Store, WorkspaceSettings};
use icsync_writeback::{DrainOptions, Writeback, WritebackConfig};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde::Serialize;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct WritebackBenchArgs {
    /// Changed contacts in the backlog.
    #[arg(long, default_value_t = 10_000)]
    pub records: usize,
    /// Requests per 10-second window the simulator allows (X-RateLimit-Limit).
    #[arg(long, default_value_t = 1_667)]
    pub rate_limit: u32,
    /// Pushes in flight (writeback.concurrency, and the pacer's requests in flight).
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Print one JSON object instead of a sentence.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct Figures {
    records: u64,
    requests: u64,
    floor_requests: u64,
    attributes_created: u32,
    rate_limited: u64,
    rate_limit_per_10s: u32,
    window_utilization: f64,
    duration_s: f64,
    pushes_per_s: f64,
    backend: &'static str,
}

pub async fn run(args: WritebackBenchArgs) -> anyhow::Result<()> {
    let sim = Simulator::start(
        SimConfig {
            contacts: args.records,
            companies: 0,
            conversations: 0,
            events_per_contact: 0,
            rate_limit_per_window: args.rate_limit,
            journal_capacity: args.records * 2 + 1_000,
            ..SimConfig::default()
        },
        "127.0.0.1:0".parse()?,
    )
    .await
    .context("failed to start the simulator")?;
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::connect(&url)
        .await?
        .with_secret_key(&SecretKey::generate());
    store.migrate().await?;
    let ws = store
        .create_workspace(&NewWorkspace {
            region: Region::Us,
            base_url: Some(sim.base_url().to_owned()),
            access_token: Some(SecretString::from(sim.token().to_owned())),
            ..NewWorkspace::new("bench")
        })
        .await?;
    let ws = store
        .update_workspace(
            ws.id,
            &WorkspaceSettings {
                primary_source_is_intercom: Some(true),
                writeback_enabled: Some(true),
                ..Default::default()
            },
        )
        .await?;
    let config = WritebackConfig {
        concurrency: args.concurrency,
        ..WritebackConfig::default()
    };
    let writeback = Writeback::new(store.clone(), config)?;
    let ids = sim.contact_ids(args.records);
    for (n, id) in ids.iter().enumerate() {
        let patch = CsPatch {
            health: Some(Some(Decimal::new((n % 10_000) as i64, 2))),
            stage: Some(Some(["onboarding", "adoption", "renewal"][n % 3].into())),
            ..Default::default()
        };
        writeback
            .set(ws.id, &CsSubject::Contact(id.clone()), &patch)
            .await?;
    }
    // The pacer admits as many requests in flight as writeback runs pushes.
    let config = ClientConfig::new(icsync_intercom::Region::Us, AccessToken::new(sim.token()))
        .with_base_url(sim.base_url())?;
    let client = IntercomClient::new(ClientConfig {
        pacer: PacerConfig {
            max_in_flight: args.concurrency,
            ..PacerConfig::default()
        },
        ..config
    })?;
    sim.clear_journal();
    let started = Instant::now();
    let summary = writeback
        .drain_once(&ws, &client, &DrainOptions::default())
        .await?;
    let duration = started.elapsed().as_secs_f64();
    let journal = sim.journal(0);
    sim.shutdown().await;
    if !summary.is_success() {
        anyhow::bail!("the drain did not succeed: {summary:?}");
    }
    let requests = journal.len() as u64;
    let rate_limited = journal.iter().filter(|e| e.status == 429).count() as u64;
    // One update per change, the creations, and the two attribute lists.
    let floor = summary.pushed + u64::from(summary.attributes_created) + 2;
    let windows = duration / 10.0;
    let figures = Figures {
        records: summary.pushed,
        requests,
        floor_requests: floor,
        attributes_created: summary.attributes_created,
        rate_limited,
        rate_limit_per_10s: args.rate_limit,
        window_utilization: requests as f64 / (windows * f64::from(args.rate_limit)),
        duration_s: duration,
        pushes_per_s: summary.pushed as f64 / duration,
        backend: "sqlite",
    };
    if args.json {
        println!("{}", serde_json::to_string(&figures)?);
    } else {
        println!(
            "pushed {} contacts in {:.1}s with {} requests (floor {}), {} 429s, {:.1}% of the rate limit ({} per 10 s)",
            figures.records,
            figures.duration_s,
            figures.requests,
            figures.floor_requests,
            figures.rate_limited,
            figures.window_utilization * 100.0,
            figures.rate_limit_per_10s
        );
    }
    Ok(())
}
