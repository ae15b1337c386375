//! `icsync demo`: the whole system on a fresh machine with nothing set up. It starts a
//! simulated Intercom with generated data, the daemon (API, jobs, writeback loop) on an
//! embedded SQLite in a fresh directory, connects a workspace, runs the backfill with progress
//! bars, sets CS attributes on some accounts so writeback runs, keeps the simulator changing a
//! little (so incremental sync and webhooks have work), prints the URLs to open with a
//! ready-to-paste API key, then "ready". Ctrl-C stops it all.

use super::sync::{Bars, print_summary};
use crate::config::Settings;
use crate::startup::Application;
use anyhow::Context as _;
use clap::Args;
use icsync_domain::{CsPatch, CsSubject, Region};
use icsync_inbound::workspaces::{ConnectRequest, Endpoint, SettingsChange};
use icsync_inbound::{RunControl, SyncOptions};
use icsync_intercom_sim::{SimConfig, SimHandle, Simulator, WebhookConfig};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
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
    /// Seconds between two incremental passes (and two rounds of simulated changes).
    #[arg(long, default_value_t = 15)]
    pub interval_secs: u64,
    /// Where the API listens (port 0: any free port). When the port is taken, a free one is
    /// used instead.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
}

/// The client secret the simulated app signs webhooks with (the simulator's default).
const SIM_CLIENT_SECRET: &str = "sim-client-secret";

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
    settings.inbound.poll_interval_secs = args.interval_secs.max(1);
    settings.jobs.supervise_secs = 2;
    settings.jobs.lease_secs = settings.jobs.lease_secs.max(6);
    settings.server.bind = args.bind.clone();
    settings.server.shutdown_grace_secs = settings.server.shutdown_grace_secs.min(10);

    let sim = Simulator::start(
        SimConfig {
            contacts: args.contacts,
            companies: (args.contacts / 10).max(10),
            conversations: (args.contacts / 5).max(10),
            ..SimConfig::default()
        },
        "127.0.0.1:0".parse()?,
    )
    .await
    .context("failed to start the simulated Intercom")?;
    println!("simulated Intercom at {}", sim.base_url());

    let app = match Application::build(&settings).await {
        Ok(app) => app,
        Err(error) if format!("{error:#}").contains("failed to listen") => {
            println!(
                "{} is taken; using a free port instead",
                settings.server.bind
            );
            settings.server.bind = "127.0.0.1:0".to_owned();
            Application::build(&settings).await?
        }
        Err(error) => return Err(error),
    };
    let base = format!("http://{}", app.local_addr()?);
    let store = app.store().clone();

    // A conversation the profile URL can show, started before the backfill imports it.
    let now = chrono::Utc::now().timestamp();
    let featured = sim
        .contacts_created_since(now - 30 * 86_400)
        .into_iter()
        .find(|c| c.role == "user")
        .map(|c| c.id.clone())
        .context("the simulator generated no recent user")?;
    let conversation = sim
        .start_conversation(
            &featured,
            "Trouble exporting",
            "Hi! The CSV export times out.",
        )
        .map_err(|e| anyhow::anyhow!("the simulator refused a conversation: {e:?}"))?;
    let _ = sim.reply(&conversation, "Thanks, looking into it now.", None);

    let mut request = ConnectRequest::new(
        "demo",
        SecretString::from(sim.token().to_owned()),
        Endpoint {
            region: Region::Us,
            base_url: Some(sim.base_url().to_owned()),
        },
    );
    request.webhook_secret = Some(SecretString::from(SIM_CLIENT_SECRET.to_owned()));
    request.primary_source_is_intercom = true;
    let connected =
        icsync_inbound::workspaces::connect(&store, &request, &settings.client_settings()).await?;
    let workspace = icsync_inbound::workspaces::change_settings(
        &store,
        &connected.workspace,
        &SettingsChange {
            writeback_enabled: Some(true),
            primary_source_is_intercom: Some(true),
            ..SettingsChange::default()
        },
    )
    .await?;
    println!(
        "connected workspace demo to {:?} (app {}, time zone {})",
        connected.identity.name.as_deref().unwrap_or("?"),
        workspace.intercom_app_id.as_deref().unwrap_or("?"),
        workspace.timezone.as_deref().unwrap_or("?")
    );
    let mut webhooks = WebhookConfig {
        url: Some(format!("{base}/v1/webhooks/intercom/demo")),
        ..sim.webhooks()
    };
    webhooks.client_secret = SIM_CLIENT_SECRET.to_owned();
    sim.set_webhooks(webhooks)
        .map_err(|e| anyhow::anyhow!("the simulator refused the webhook URL: {e:?}"))?;

    // The backfill in the foreground, with bars, through the daemon's own pacers.
    let control = RunControl::default();
    let stop = {
        let control = control.clone();
        tokio::spawn(async move {
            crate::startup::shutdown_signal().await;
            control.cancel();
        })
    };
    let client = icsync_inbound::client_for(
        &workspace,
        app.jobs().pacers(),
        &crate::jobs::client_settings(&settings, app.jobs().instance()),
    )?;
    let started = Instant::now();
    let bars = Bars::new(std::io::stdout().is_terminal());
    let progress = icsync_api::StoreProgress::new(store.clone(), workspace.id)
        .and_then(std::sync::Arc::new(bars));
    let report = icsync_inbound::sync_workspace(
        &store,
        workspace.id,
        &client,
        &settings.inbound,
        &SyncOptions::default(),
        &control,
        &progress,
    )
    .await?;
    print_summary(&report, started.elapsed());
    if control.token().is_cancelled() {
        stop.abort();
        println!("stopped during the backfill; nothing more to do");
        sim.shutdown().await;
        store.close().await;
        return Ok(());
    }

    // CS attributes on a few accounts (and the featured contact), so writeback has work.
    let writeback = app.writeback().clone();
    // Companies of users in the backfill: icsync imports companies through their users.
    let mut accounts: Vec<String> = Vec::new();
    for user in sim
        .contacts_created_since(now - 30 * 86_400)
        .iter()
        .filter(|c| c.role == "user")
    {
        for company in sim.contact_company_ids(&user.id).unwrap_or_default() {
            if !accounts.contains(&company) {
                accounts.push(company);
            }
        }
        if accounts.len() >= 5 {
            break;
        }
    }
    accounts.truncate(5);
    for (n, company) in accounts.iter().enumerate() {
        let patch = CsPatch {
            health: Some(Some(Decimal::from(55 + 9 * n as i64))),
            stage: Some(Some(
                ["onboarding", "adoption", "renewal"][n % 3].to_owned(),
            )),
            pulse: Some(Some("steady".to_owned())),
            profile_url: Some(Some(format!("https://cs.example.com/accounts/{company}"))),
            ..CsPatch::default()
        };
        writeback
            .set(workspace.id, &CsSubject::Company(company.clone()), &patch)
            .await?;
    }
    writeback
        .set(
            workspace.id,
            &CsSubject::Contact(featured.clone()),
            &CsPatch {
                health: Some(Some(Decimal::from(72))),
                stage: Some(Some("adoption".to_owned())),
                ..CsPatch::default()
            },
        )
        .await?;

    let (_, key) = icsync_api::create_api_key(&store, icsync_api::Scope::Admin, Some("demo"))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let key = key.expose_secret().to_owned();
    let account = accounts.first().cloned().unwrap_or_default();

    let serving = tokio::spawn(app.run_until_stopped({
        let token = control.token().clone();
        async move { token.cancelled().await }
    }));

    println!();
    println!("API key (admin): {key}");
    println!("open, with `-H \"Authorization: Bearer $KEY\"` (export KEY=<the key above>):");
    for (what, path) in [
        ("status", "/v1/workspaces/demo/status".to_owned()),
        ("a profile", format!("/v1/contacts/{featured}")),
        ("an account", format!("/v1/accounts/{account}")),
        ("events feed", "/v1/feeds/events".to_owned()),
        ("sessions feed", "/v1/feeds/sessions".to_owned()),
        ("metrics", "/metrics".to_owned()),
        ("OpenAPI", "/v1/openapi.json".to_owned()),
    ] {
        println!("  {what:<14} {base}{path}");
    }
    println!("  e.g. curl -H \"Authorization: Bearer $KEY\" {base}/v1/workspaces/demo/status");
    println!(
        "inspect the store: ICSYNC_DATABASE_URL={} ICSYNC_SECRET_KEY_FILE={} icsync workspace show demo",
        settings.database_url, settings.secret_key_file
    );
    println!(
        "ready: the daemon syncs every {}s while the simulator changes; Ctrl-C stops",
        args.interval_secs
    );

    let mut round = 0u64;
    while !control.token().is_cancelled() {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(args.interval_secs.max(1))) => {}
            () = control.token().cancelled() => break,
        }
        round += 1;
        change_a_little(&sim, round, &featured);
        if let Ok(runs) = store.latest_runs(workspace.id).await {
            let line: Vec<String> = runs
                .iter()
                .map(|r| format!("{} {}", r.stream.as_str(), r.status.as_str()))
                .collect();
            println!(
                "round {round}: simulator changed; last runs: {}",
                line.join(", ")
            );
        }
    }
    stop.abort();
    println!("stopping");
    match serving.await {
        Ok(result) => result?,
        Err(error) => tracing::warn!(error = %error, "the daemon task ended abnormally"),
    }
    sim.shutdown().await;
    Ok(())
}

/// A few users change, are seen again with a new event, and the featured contact's
/// conversation gets a reply, as real users and teammates would.
fn change_a_little(sim: &SimHandle, round: u64, featured: &str) {
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
    if round.is_multiple_of(2) {
        let _ = sim.start_conversation(featured, "Follow-up", &format!("Update number {round}"));
    }
}
