//! Standalone simulator binary for the fidelity checks; users run `icsync simulate` instead.

use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "icsync-intercom-sim",
    about = "Serve a simulated Intercom workspace (API 2.11)"
)]
struct Cli {
    #[command(flatten)]
    args: icsync_intercom_sim::SimulateArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    icsync_intercom_sim::run_cli(Cli::parse().args).await
}
