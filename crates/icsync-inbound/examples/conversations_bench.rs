//! A conversations backfill from an in-process simulator into SQLite and PostgreSQL, then an
//! idle poll: conversations and parts per second, requests against the floor. The figures
//! `icsync bench sync` reports for the `conversations` stream come from the same
//! [`icsync_inbound::bench::ConversationFigures`].
//!
//! ```sh
//! cargo run --release -p icsync-inbound --example conversations_bench -- 100000
//! ```
//!
//! Arguments: contacts (default 100,000; a quarter as many conversations, 1 to 700 parts),
//! then `sqlite`, `postgres` or `all` (default). The simulator shares the process (and the
//! machine's cores) with icsync.

use icsync_inbound::bench::ConversationFigures;
use icsync_inbound::workspaces::{ConnectRequest, Endpoint, connect};
use icsync_inbound::{ClientSettings, InboundConfig, NoProgress, RunControl, SyncOptions};
use icsync_intercom_sim::{SimConfig, Simulator};
use icsync_store::{SecretKey, Store};
use std::time::Instant;

fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb / 1024)
        .unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut args = std::env::args().skip(1);
    let contacts: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let which = args.next().unwrap_or_else(|| "all".to_owned());
    let started = Instant::now();
    let sim = Simulator::start(
        SimConfig {
            contacts,
            companies: (contacts / 10).max(1),
            conversations: contacts / 4,
            rate_limit_per_window: 10_000_000,
            ..SimConfig::default()
        },
        "127.0.0.1:0".parse()?,
    )
    .await?;
    let summary = sim.summary();
    eprintln!(
        "simulator: {contacts} contacts, {} conversations, {} parts ({} over the 500 cap), up in {:.1}s",
        summary.conversations,
        summary.conversation_parts,
        summary.conversations_over_part_cap,
        started.elapsed().as_secs_f64()
    );
    let dir = tempfile::tempdir()?;
    let mut backends = Vec::new();
    if which == "sqlite" || which == "all" {
        backends.push((
            "sqlite",
            format!("sqlite://{}", dir.path().join("bench.db").display()),
            None,
        ));
    }
    if which == "postgres" || which == "all" {
        let cluster = tokio::task::spawn_blocking(|| {
            icsync_pgtemp::PgCluster::start(icsync_pgtemp::Durability::Full)
        })
        .await??;
        let url = cluster.create_database("bench")?;
        backends.push(("postgres", url, Some(cluster)));
    }
    for (backend, url, _cluster) in &backends {
        let store = Store::connect(url)
            .await?
            .with_secret_key(&SecretKey::generate());
        store.migrate().await?;
        let settings = ClientSettings::default();
        let request = ConnectRequest::new(
            "bench",
            secrecy::SecretString::from(sim.token().to_owned()),
            Endpoint {
                region: icsync_domain::Region::Us,
                base_url: Some(sim.base_url().to_owned()),
            },
        );
        let connected = connect(&store, &request, &settings).await?;
        let client =
            icsync_inbound::client_for(&connected.workspace, &Default::default(), &settings)?;
        let options = SyncOptions {
            streams: vec!["conversations".to_owned()],
            full: false,
        };
        for pass in ["backfill", "idle_poll"] {
            let report = icsync_inbound::sync_workspace(
                &store,
                connected.workspace.id,
                &client,
                &InboundConfig::default(),
                &options,
                &RunControl::default(),
                &NoProgress,
            )
            .await?;
            let stream = report
                .streams
                .iter()
                .find(|s| s.stream.as_str() == "conversations")
                .ok_or("no conversations stream in the report")?;
            if !stream.finished() {
                return Err(format!("the {pass} did not finish: {stream:?}").into());
            }
            let figures = ConversationFigures::from_report(stream);
            let mut line = serde_json::to_value(figures)?;
            line["backend"] = (*backend).into();
            line["pass"] = pass.into();
            line["peak_rss_mb"] = peak_rss_mb().into();
            println!("{line}");
        }
        store.close().await;
    }
    sim.shutdown().await;
    Ok(())
}
