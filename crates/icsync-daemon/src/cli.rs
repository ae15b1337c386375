//! The `icsync` command line.

use crate::config::Settings;
use crate::startup::{self, Application};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// icsync keeps a customer-success platform and Intercom in step, both ways.
#[derive(Debug, Parser)]
#[command(
    name = "icsync",
    version,
    about = "icsync keeps a customer-success platform and Intercom in step, both ways."
)]
pub struct Cli {
    /// A TOML file overriding config/default.toml (environment variables ICSYNC_* override both).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or update the database schema (idempotent: a second run does nothing).
    Migrate {
        /// Database to migrate, instead of the configured `database_url`.
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Run the daemon until SIGTERM or Ctrl-C: the HTTP API, each connected workspace's sync
    /// every poll interval, and the writeback loop. Several may share one PostgreSQL database.
    Serve,
    /// Create, list and revoke the HTTP API's keys.
    #[command(subcommand)]
    Apikey(crate::commands::apikey::ApiKeyCommand),
    /// Connect, list, show, change and disconnect Intercom workspaces.
    #[command(subcommand)]
    Workspace(crate::commands::workspace::WorkspaceCommand),
    /// The whole flow with nothing set up: a simulated Intercom, a fresh SQLite store, a
    /// connected workspace, the backfill, then incremental passes while the data changes.
    Demo(crate::commands::demo::DemoArgs),
    /// Run one sync pass of a workspace in the foreground (users, companies, events).
    Sync(crate::commands::sync::SyncArgs),
    /// Serve the Intercom simulator (API 2.11) with generated data, for tests, demos and
    /// benchmarks; prints its base URL and token (see docs/SIMULATOR.md).
    Simulate(Box<icsync_intercom_sim::SimulateArgs>),
    /// Measure icsync's speed and memory (see docs/BENCHMARKS.md).
    Bench(crate::bench::BenchArgs),
    /// Set or import CS attributes for writeback to Intercom.
    Cs(crate::commands::cs::CsArgs),
    /// Push a workspace's pending CS attributes to Intercom once, in the foreground.
    Push(crate::commands::cs::PushArgs),
    /// The export of host records to Intercom (see docs/EXPORT.md).
    Export(crate::commands::export::ExportArgs),
}

/// Runs a parsed command.
pub async fn run(command: Command, mut settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Migrate { database_url } => {
            if let Some(url) = database_url {
                settings.database_url = url;
            }
            let store = icsync_store::Store::connect_with(settings.store_options()).await?;
            let report = store.migrate().await?;
            let tables = store.existing_tables().await?.len();
            if report.applied.is_empty() {
                println!(
                    "{}: schema already up to date ({tables} tables)",
                    store.display_url()
                );
            } else {
                println!(
                    "{}: applied {} migration(s): {} ({tables} tables)",
                    store.display_url(),
                    report.applied.len(),
                    report.applied.join(", ")
                );
            }
            Ok(())
        }
        Command::Bench(args) => crate::bench::run(args, &settings).await,
        Command::Simulate(args) => icsync_intercom_sim::run_cli(*args).await,
        Command::Demo(args) => crate::commands::demo::run(args, &settings).await,
        Command::Workspace(command) => crate::commands::workspace::run(command, &settings).await,
        Command::Sync(args) => {
            if crate::commands::sync::run(args, &settings).await? {
                Ok(())
            } else {
                anyhow::bail!("the sync did not finish (see above for what failed and what to do)")
            }
        }
        Command::Apikey(command) => crate::commands::apikey::run(command, &settings).await,
        Command::Cs(args) => crate::commands::cs::run_cs(args, &settings).await,
        Command::Push(args) => crate::commands::cs::run_push(args, &settings).await,
        Command::Export(args) => crate::commands::export::run(args, &settings).await,
        Command::Serve => {
            let app = Application::build(&settings).await?;
            app.run_until_stopped(startup::shutdown_signal()).await
        }
    }
}
