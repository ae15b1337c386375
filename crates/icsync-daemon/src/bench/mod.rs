//! `icsync bench`: benchmarks that read the speed and memory targets (never asserted by tests).

mod data;
mod peers;
mod rss;
pub mod sessionize;
mod signals;
pub mod store;
pub mod sync;
pub mod writeback;

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Time bulk ingest into a fresh SQLite file and a throwaway PostgreSQL cluster.
    Store(store::StoreBenchArgs),
    /// Time the sessionizer (full and incremental) against a plain sort of the same signals.
    Sessionize(sessionize::SessionizeBenchArgs),
    /// Time a full backfill from the simulator into SQLite and PostgreSQL, beside fetch-only
    /// and store-only, with requests against the API's floor.
    Sync(sync::SyncBenchArgs),
    /// Drain a backlog of changed contacts to the simulator under its rate limit.
    Writeback(writeback::WritebackBenchArgs),
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: BenchCommand,
}

/// Runs a benchmark; `bench sync` measures with `settings`' inbound, store and client tuning.
pub async fn run(args: BenchArgs, settings: &crate::config::Settings) -> anyhow::Result<()> {
    match args.command {
        BenchCommand::Store(args) => store::run(args).await,
        BenchCommand::Sync(args) => sync::run(args, sync::Tuning::from_settings(settings)).await,
        // CPU-bound and single-threaded by design: off the async runtime's workers.
        BenchCommand::Sessionize(args) => {
            tokio::task::spawn_blocking(move || sessionize::run(args)).await?
        }
        BenchCommand::Writeback(args) => writeback::run(args).await,
    }
}
