//! `icsync bench`: benchmarks that read the speed and memory targets (never asserted by tests).

mod data;
mod rss;
pub mod store;
pub mod writeback;

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Time bulk ingest into a fresh SQLite file and a throwaway PostgreSQL cluster.
    Store(store::StoreBenchArgs),
    /// Drain a backlog of changed contacts to the simulator under its rate limit.
    Writeback(writeback::WritebackBenchArgs),
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: BenchCommand,
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.command {
        BenchCommand::Store(args) => store::run(args).await,
        BenchCommand::Writeback(args) => writeback::run(args).await,
    }
}
