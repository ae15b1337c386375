//! `icsync demo`: the whole inbound flow on a fresh machine with nothing set up: a simulated
//! Intercom with generated data, a fresh SQLite store, a connected workspace, the backfill with
//! progress bars, then an incremental pass every few seconds while the simulator keeps changing.

use super::sync::{Bars, print_summary};
use crate::config::Settings;
use anyhow::Context as _;
use clap::Args;
use icsync_domain::Region;
use icsync_inbound::workspaces::{ConnectRequest, Endpoint};
use icsync_inbound::{NoProgress, RunControl, SyncOptions};
use icsync_intercom_sim::{SimConfig, Simulator};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Contacts in the simulated Intercom workspace.
    #[arg(long, default_value_t = 3_000)]
    pub contacts: usize,
    /// Keep the demo's database in this directory (default: a temporary one, deleted on exit).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Seconds between two incremental passes.
    #[arg(long, default_value_t = 15)]
    pub interval_secs: u64,
}

pub async fn run(args: DemoArgs, settings: &Settings) -> anyhow::Result<()> {
    let temp;
    let dir = match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            dir.clone()
        }
        None => {
            temp = tempfile::Builder::new().prefix("icsync-demo-").tempdir()?;
            temp.path().to_owned()
        }
    };
    let mut settings = settings.clone();
    settings.database_url = format!("sqlite://{}", dir.join("icsync.db").display());
    settings.data_dir = dir.clone();
    settings.secret_key_file = dir.join("secret.key").display().to_string();
    let store = super::keyed_store(&settings).await?;
    let sim = Simulator::start(
        SimConfig {
            contacts: args.contacts,
            companies: (args.contacts / 10).max(10),
            conversations: (args.contacts / 10).max(10),
            ..SimConfig::default()
        },
        "127.0.0.1:0".parse()?,
    )
    .await
    .context("failed to start the simulated Intercom")?;
    println!(
        "simulated Intercom: {} (token {})",
        sim.base_url(),
        sim.token()
    );
    let request = ConnectRequest::new(
        "demo",
        secrecy::SecretString::from(sim.token().to_owned()),
        Endpoint {
            region: Region::Us,
            base_url: Some(sim.base_url().to_owned()),
        },
    );
    let connected =
        icsync_inbound::workspaces::connect(&store, &request, &settings.client_settings()).await?;
    println!(
        "connected workspace demo to {:?} (time zone {})",
        connected.identity.name.as_deref().unwrap_or("?"),
        connected.identity.timezone.as_deref().unwrap_or("?")
    );
    let pacers = icsync_intercom::PacerRegistry::new(Default::default());
    let client =
        icsync_inbound::client_for(&connected.workspace, &pacers, &settings.client_settings())?;
    let control = RunControl::default();
    let stop = {
        let control = control.clone();
        tokio::spawn(async move {
            crate::startup::shutdown_signal().await;
            control.cancel();
        })
    };
    let ws = connected.workspace.id;
    let started = Instant::now();
    let bars = Bars::new(std::io::stdout().is_terminal());
    let report = icsync_inbound::sync_workspace(
        &store,
        ws,
        &client,
        &settings.inbound,
        &SyncOptions::default(),
        &control,
        &bars,
    )
    .await?;
    bars.clear();
    print_summary(&report, started.elapsed());
    println!(
        "\ninspect it: ICSYNC_DATABASE_URL={} ICSYNC_SECRET_KEY_FILE={} icsync workspace show demo",
        settings.database_url, settings.secret_key_file
    );
    println!(
        "ready: an incremental pass every {}s while the simulator changes; Ctrl-C stops",
        args.interval_secs
    );
    let mut round = 0u64;
    while !control.token().is_cancelled() {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(args.interval_secs)) => {}
            () = control.token().cancelled() => break,
        }
        round += 1;
        change_a_little(&sim, round);
        let started = Instant::now();
        let report = icsync_inbound::sync_workspace(
            &store,
            ws,
            &client,
            &settings.inbound,
            &SyncOptions::default(),
            &control,
            &NoProgress,
        )
        .await?;
        let line: Vec<String> = report
            .streams
            .iter()
            .map(|s| {
                format!(
                    "{} {} written / {} requests",
                    s.stream.as_str(),
                    s.stats.records,
                    s.stats.requests
                )
            })
            .collect();
        println!(
            "pass {round} in {:.1}s: {}",
            started.elapsed().as_secs_f64(),
            line.join(", ")
        );
    }
    stop.abort();
    println!("stopping");
    sim.shutdown().await;
    store.close().await;
    Ok(())
}

/// A few users change and are seen again with a new event, as real users would.
fn change_a_little(sim: &icsync_intercom_sim::SimHandle, round: u64) {
    let now = chrono::Utc::now().timestamp();
    let users = sim.contacts_created_since(now - 30 * 86_400);
    for user in users
        .iter()
        .filter(|c| c.role == "user")
        .skip((round * 3) as usize % 50)
        .take(3)
    {
        let _ = sim.add_event(&user.id, "logged-in", Some(now - 5), Default::default());
        let _ = sim.update_contact(
            &user.id,
            serde_json::json!({"last_seen_at": now, "custom_attributes": {"seats": (round % 40) + 1}}),
        );
    }
}
