//! `icsync bench`: benchmarks that read the speed and memory targets (never asserted by tests).

mod data;
mod rss;
pub mod sessionize;
mod signals;
pub mod store;

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Time bulk ingest into a fresh SQLite file and a throwaway PostgreSQL cluster.
    Store(store::StoreBenchArgs),
    /// Time the sessionizer (full and incremental) against a plain sort of the same signals.
    Sessionize(sessionize::SessionizeBenchArgs),
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: BenchCommand,
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.command {
        BenchCommand::Store(args) => store::run(args).await,
        // CPU-bound and single-threaded by design: off the async runtime's workers.
        BenchCommand::Sessionize(args) => {
            tokio::task::spawn_blocking(move || sessionize::run(args)).await?
        }
    }
}
