//! `icsync workspace connect|list|show|set|disconnect`: the same functions the HTTP API calls.

use super::{keyed_store, read_token, switch};
use crate::config::Settings;
use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use icsync_domain::{Region, StreamName, Workspace};
use icsync_inbound::workspaces::{self, ConnectRequest, Endpoint, SettingsChange};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Connect an Intercom workspace: tests the token with GET /me, then stores it encrypted.
    /// Connecting a name again replaces its token (after a revoked one) and settings.
    Connect(ConnectArgs),
    /// List the connected workspaces.
    List,
    /// Show a workspace: settings, connection health, streams.
    Show {
        name: String,
        /// Also print a digest of everything stored (equal for two stores holding the same data).
        #[arg(long)]
        fingerprint: bool,
    },
    /// Change a workspace's settings (User Tracking on starts a new backfill).
    Set(SetArgs),
    /// Stop every job and push of a workspace; its data stays.
    Disconnect { name: String },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RegionArg {
    Us,
    Eu,
    Au,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrimarySource {
    /// Intercom is the primary data source: CS attributes are written back to it.
    Intercom,
    /// The host app is: nothing is written back.
    Host,
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// A name for the workspace in icsync.
    #[arg(long)]
    pub name: String,
    /// A file holding the Intercom access token (never give the token itself: `ps` shows it).
    #[arg(long, value_name = "FILE", conflicts_with = "token_env")]
    pub token_file: Option<PathBuf>,
    /// An environment variable holding the access token.
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// The Intercom region hosting the workspace.
    #[arg(long, value_enum, default_value = "us", conflicts_with = "base_url")]
    pub region: RegionArg,
    /// Another API host (the simulator, a proxy) instead of the region's.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Import users created in this many days before the first sync.
    #[arg(long, default_value_t = Workspace::DEFAULT_BACKFILL_DAYS)]
    pub backfill_days: i32,
    /// Import leads as well as users.
    #[arg(long)]
    pub include_leads: bool,
    /// Sync users, companies and events (on: the backfill starts with the next sync).
    #[arg(long, default_value = "on", value_name = "on|off")]
    pub user_tracking: String,
    /// Which side is the primary data source.
    #[arg(long, value_enum, default_value = "host")]
    pub primary_source: PrimarySource,
    /// A file holding the app's client secret, which signs Intercom's webhooks.
    #[arg(long, value_name = "FILE")]
    pub webhook_secret_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    pub name: String,
    #[arg(long, value_name = "on|off")]
    pub user_tracking: Option<String>,
    #[arg(long, value_enum)]
    pub primary_source: Option<PrimarySource>,
    #[arg(long, value_name = "on|off")]
    pub writeback: Option<String>,
    #[arg(long)]
    pub backfill_days: Option<i32>,
    #[arg(long, value_name = "on|off")]
    pub include_leads: Option<String>,
}

pub async fn run(command: WorkspaceCommand, settings: &Settings) -> anyhow::Result<()> {
    let store = keyed_store(settings).await?;
    match command {
        WorkspaceCommand::Connect(args) => connect(&store, args, settings).await,
        WorkspaceCommand::List => {
            let all = store.workspaces().await?;
            if all.is_empty() {
                println!(
                    "no workspace yet: icsync workspace connect --name NAME --token-file FILE"
                );
            }
            for ws in all {
                println!(
                    "{:<20} {:<12} {:<4} tracking {:<3} {}",
                    ws.name,
                    ws.intercom_app_id.as_deref().unwrap_or("-"),
                    ws.region.as_str(),
                    if ws.user_tracking { "on" } else { "off" },
                    health(&ws)
                );
            }
            Ok(())
        }
        WorkspaceCommand::Show { name, fingerprint } => {
            let ws = workspaces::find(&store, &name).await?;
            show(&store, &ws).await?;
            if fingerprint {
                println!("fingerprint:          {}", store.fingerprint(ws.id).await?);
            }
            Ok(())
        }
        WorkspaceCommand::Set(args) => {
            let ws = workspaces::find(&store, &args.name).await?;
            let change = SettingsChange {
                user_tracking: args.user_tracking.as_deref().map(switch).transpose()?,
                primary_source_is_intercom: args
                    .primary_source
                    .map(|p| p == PrimarySource::Intercom),
                writeback_enabled: args.writeback.as_deref().map(switch).transpose()?,
                backfill_days: args.backfill_days,
                include_leads: args.include_leads.as_deref().map(switch).transpose()?,
            };
            let updated = workspaces::change_settings(&store, &ws, &change).await?;
            if change.user_tracking == Some(true) && !ws.user_tracking {
                println!(
                    "{}: User Tracking on; a new backfill starts with the next sync",
                    updated.name
                );
            } else if change.user_tracking == Some(false) && ws.user_tracking {
                println!(
                    "{}: User Tracking off; running syncs stop at their next page",
                    updated.name
                );
            }
            show(&store, &updated).await
        }
        WorkspaceCommand::Disconnect { name } => {
            let ws = workspaces::find(&store, &name).await?;
            workspaces::disconnect(&store, &ws).await?;
            println!(
                "{name}: disconnected; every job and push stops, the data stays (reconnect with icsync workspace connect --name {name} ...)"
            );
            Ok(())
        }
    }
}

async fn connect(
    store: &icsync_store::Store,
    args: ConnectArgs,
    settings: &Settings,
) -> anyhow::Result<()> {
    let token = read_token(args.token_file.as_deref(), args.token_env.as_deref())?;
    let webhook_secret = match &args.webhook_secret_file {
        Some(path) => Some(secrecy::SecretString::from(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the webhook secret file {}", path.display()))?
                .trim()
                .to_owned(),
        )),
        None => None,
    };
    let region = match args.region {
        RegionArg::Us => Region::Us,
        RegionArg::Eu => Region::Eu,
        RegionArg::Au => Region::Au,
    };
    let mut request = ConnectRequest::new(
        args.name.clone(),
        token,
        Endpoint {
            region,
            base_url: args.base_url.clone(),
        },
    );
    request.backfill_days = args.backfill_days;
    request.include_leads = args.include_leads;
    request.user_tracking = switch(&args.user_tracking)?;
    request.primary_source_is_intercom = args.primary_source == PrimarySource::Intercom;
    request.webhook_secret = webhook_secret;
    let connected = workspaces::connect(store, &request, &settings.client_settings()).await?;
    let id = &connected.identity;
    println!(
        "{} {}: Intercom workspace {:?} (app {}, region {}, time zone {}), as {}",
        if connected.reconnected {
            "reconnected"
        } else {
            "connected"
        },
        connected.workspace.name,
        id.name.as_deref().unwrap_or("?"),
        id.app_id.as_deref().unwrap_or("?"),
        id.region.as_deref().unwrap_or("?"),
        id.timezone.as_deref().unwrap_or("unknown"),
        id.admin_email
            .as_deref()
            .or(id.admin_name.as_deref())
            .unwrap_or("an unnamed admin"),
    );
    if connected.workspace.user_tracking {
        println!(
            "User Tracking is on: the {}-day backfill starts with `icsync sync --workspace {}` or under `icsync serve`",
            connected.workspace.backfill_days, connected.workspace.name
        );
    }
    Ok(())
}

fn health(ws: &Workspace) -> String {
    if !ws.is_connected() {
        "disconnected".to_owned()
    } else if let Some(error) = &ws.connection_error {
        format!("needs reconnection: {error}")
    } else {
        "connected".to_owned()
    }
}

async fn show(store: &icsync_store::Store, ws: &Workspace) -> anyhow::Result<()> {
    println!("name:                 {}", ws.name);
    println!("state:                {}", health(ws));
    if ws.connection_error.is_some() {
        println!(
            "what to do:           icsync workspace connect --name {} --token-file FILE (a valid token)",
            ws.name
        );
    }
    println!(
        "intercom app:         {}",
        ws.intercom_app_id.as_deref().unwrap_or("-")
    );
    println!("region:               {}", ws.region.as_str());
    if let Some(base) = &ws.base_url {
        println!("base url:             {base}");
    }
    println!(
        "time zone:            {}",
        ws.timezone.as_deref().unwrap_or("unknown")
    );
    println!(
        "user tracking:        {}",
        if ws.user_tracking { "on" } else { "off" }
    );
    println!(
        "include leads:        {}",
        if ws.include_leads { "yes" } else { "no" }
    );
    println!("backfill days:        {}", ws.backfill_days);
    println!(
        "primary source:       {}",
        if ws.primary_source_is_intercom {
            "intercom"
        } else {
            "host"
        }
    );
    println!(
        "writeback:            {}",
        if ws.writeback_enabled { "on" } else { "off" }
    );
    let counts = store.record_counts(ws.id).await?;
    println!(
        "stored:               {} contacts, {} companies, {} events, {} conversations",
        counts.contacts, counts.companies, counts.events, counts.conversations
    );
    for stream in icsync_inbound::STREAMS {
        let checkpoint = store.checkpoint(ws.id, &StreamName::new(stream)).await?;
        match checkpoint {
            Some(c) => println!(
                "stream {:<13} {:<9} watermark {}{}",
                stream,
                c.status.as_str(),
                c.watermark
                    .map(|w| w.to_rfc3339())
                    .unwrap_or_else(|| "-".into()),
                if c.cursor.is_some() {
                    " (resumes mid-run)"
                } else {
                    ""
                }
            ),
            None => println!("stream {stream:<13} never run"),
        }
    }
    for run in store.recent_runs(ws.id, 5).await? {
        println!(
            "run {:<6} {:<10} {:<9} {} read {}, written {}, {} requests{}",
            run.id.0,
            run.stream.as_str(),
            run.status.as_str(),
            run.started_at.format("%Y-%m-%d %H:%M:%S"),
            run.stats.read,
            run.stats.records,
            run.stats.requests,
            run.error_message
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        );
    }
    Ok(())
}
