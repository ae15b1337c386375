//! `icsync cs set|import` and `icsync push`: writeback by hand, through the same
//! `icsync_writeback::Writeback` functions the API and the loop use.

use super::{find_workspace, open};
use crate::config::Settings;
use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use icsync_domain::{CsPatch, CsSubject, Workspace};
use icsync_intercom::{AccessToken, ClientConfig, IntercomClient};
use icsync_writeback::{DrainOptions, ImportFormat, Outcome, Progress, Writeback};
use indicatif::{ProgressBar, ProgressStyle};
use rust_decimal::Decimal;
use secrecy::ExposeSecret;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct CsArgs {
    #[command(subcommand)]
    pub command: CsCommand,
}

#[derive(Debug, Subcommand)]
pub enum CsCommand {
    /// Set CS attributes on one contact or company; they are pushed when health, stage or
    /// pulse changed (see `writeback.trigger`). An empty value ("") clears a field.
    Set(SetArgs),
    /// Import CS attributes from a CSV file (header row: contact or company, then health,
    /// stage, pulse, url, licence_utilization, cs_owner, cs_owner_email) or JSON lines (the
    /// same keys; null clears). Bad rows are reported with their line number; the rest are
    /// imported.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("subject").required(true).args(["contact", "company"])))]
pub struct SetArgs {
    /// The workspace, by name.
    #[arg(long)]
    pub workspace: String,
    /// Intercom id of the contact.
    #[arg(long, value_name = "INTERCOM_ID")]
    pub contact: Option<String>,
    /// Intercom id of the company (account).
    #[arg(long, value_name = "INTERCOM_ID")]
    pub company: Option<String>,
    /// Health score (decimal, within writeback.health_min..health_max).
    #[arg(long, allow_hyphen_values = true)]
    pub health: Option<String>,
    #[arg(long)]
    pub stage: Option<String>,
    #[arg(long)]
    pub pulse: Option<String>,
    /// Profile URL in the CS platform (http or https).
    #[arg(long)]
    pub url: Option<String>,
    /// Licence utilization in percent (decimal, not negative).
    #[arg(long, value_name = "PCT", allow_hyphen_values = true)]
    pub licence_utilization: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub cs_owner: Option<String>,
    #[arg(long, value_name = "EMAIL")]
    pub cs_owner_email: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[arg(long)]
    pub workspace: String,
    /// A `.csv` file, or `.jsonl`/`.ndjson`/`.json` (JSON lines).
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    #[arg(long)]
    pub workspace: String,
    /// Print, per subject, the attributes that would change from what was last pushed, and
    /// send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn run_cs(args: CsArgs, settings: &Settings) -> anyhow::Result<()> {
    let store = open(settings).await?;
    let writeback = Writeback::new(store.clone(), settings.writeback.clone())?;
    match args.command {
        CsCommand::Set(args) => {
            let workspace = find_workspace(&store, &args.workspace).await?;
            let subject = match (args.contact, args.company) {
                (Some(id), _) => CsSubject::Contact(id),
                (None, Some(id)) => CsSubject::Company(id),
                (None, None) => bail!("give --contact or --company"),
            };
            let patch = CsPatch {
                health: decimal("--health", args.health)?,
                licence_utilization: decimal("--licence-utilization", args.licence_utilization)?,
                stage: text(args.stage),
                pulse: text(args.pulse),
                profile_url: text(args.url),
                cs_owner: text(args.cs_owner),
                cs_owner_email: text(args.cs_owner_email),
            };
            let record = writeback.set(workspace.id, &subject, &patch).await?;
            println!(
                "{} {}: version {}, {}",
                subject.kind(),
                subject.id(),
                record.version,
                if record.needs_push {
                    "waiting for a push"
                } else {
                    "nothing to push (trigger fields equal the last push)"
                }
            );
            Ok(())
        }
        CsCommand::Import(args) => {
            let workspace = find_workspace(&store, &args.workspace).await?;
            let format = ImportFormat::from_path(&args.file).with_context(|| {
                format!(
                    "cannot tell the format of {}: name it .csv, .jsonl, .ndjson or .json",
                    args.file.display()
                )
            })?;
            let text = std::fs::read_to_string(&args.file)
                .with_context(|| format!("failed to read {}", args.file.display()))?;
            let report = writeback.import(workspace.id, &text, format).await?;
            for (line, problem) in &report.errors {
                eprintln!("{}:{line}: {problem}", args.file.display());
            }
            println!(
                "imported {} row(s), {} unchanged, {} refused",
                report.imported,
                report.unchanged,
                report.errors.len()
            );
            if report.errors.is_empty() {
                Ok(())
            } else {
                bail!(
                    "{} row(s) were refused (listed above); fix them and import again",
                    report.errors.len()
                )
            }
        }
    }
}

pub async fn run_push(args: PushArgs, settings: &Settings) -> anyhow::Result<()> {
    let store = open(settings).await?;
    let writeback = Writeback::new(store.clone(), settings.writeback.clone())?;
    let workspace = find_workspace(&store, &args.workspace).await?;
    if args.dry_run {
        let plans = writeback.plan(&workspace).await?;
        if let Some(why) = Writeback::blocked(&workspace) {
            println!("note: a push would not run now: {why}");
        }
        for plan in &plans {
            println!("{} {}:", plan.subject.kind(), plan.subject.id());
            if plan.changes.is_empty() {
                println!("  (unchanged: nothing would be sent)");
            }
            for change in &plan.changes {
                let from = match &change.from {
                    Some(v) => v.to_string(),
                    None => "(unknown)".to_owned(),
                };
                println!("  {}: {from} -> {}", change.attribute, change.to);
            }
        }
        println!("{} subject(s) pending; nothing was sent", plans.len());
        return Ok(());
    }
    let client = client_for(&workspace)?;
    let bar = Arc::new(Bar::new());
    let options = DrainOptions {
        ignore_backoff: true,
        progress: Some(bar.clone()),
        stop: None,
    };
    let summary = writeback.drain_once(&workspace, &client, &options).await?;
    bar.0.finish_and_clear();
    if let Some(why) = &summary.blocked {
        bail!("nothing was pushed: {why}");
    }
    if let Some(problem) = &summary.config_error {
        bail!("nothing was pushed: {problem}");
    }
    println!(
        "pushed {}, unchanged {}, failed {}, attributes created {}{}",
        summary.pushed,
        summary.unchanged,
        summary.failures.len(),
        summary.attributes_created,
        if summary.requeued > 0 {
            format!(", {} row(s) queued again after a rename", summary.requeued)
        } else {
            String::new()
        }
    );
    for failure in &summary.failures {
        println!(
            "  {} {}: {}{}",
            failure.subject.kind(),
            failure.subject.id(),
            failure.reason,
            if failure.gone { " (not retried)" } else { "" }
        );
    }
    if let Some(problem) = &summary.unreachable {
        bail!("the push stopped: {problem}");
    }
    if !summary.failures.is_empty() {
        bail!(
            "{} push(es) failed (listed above); they are retried with backoff by `icsync serve`, or run `icsync push` again",
            summary.failures.len()
        );
    }
    Ok(())
}

struct Bar(ProgressBar);

impl Bar {
    fn new() -> Self {
        let bar = ProgressBar::hidden();
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} pushed {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Self(bar)
    }
}

impl Progress for Bar {
    fn start(&self, pending: u64) {
        self.0.set_length(pending);
        self.0
            .set_draw_target(indicatif::ProgressDrawTarget::stderr());
    }

    fn row(&self, _subject: &CsSubject, outcome: &Outcome) {
        self.0.inc(1);
        if let Outcome::Failed(_) | Outcome::Gone(_) = outcome {
            self.0.set_message("(with failures)");
        }
    }
}

/// The workspace's Intercom client (its region, or its base URL when set).
fn client_for(workspace: &Workspace) -> anyhow::Result<IntercomClient> {
    let token = workspace
        .access_token
        .as_ref()
        .context("the workspace has no access token; reconnect it")?;
    let region = match workspace.region {
        icsync_domain::Region::Us => icsync_intercom::Region::Us,
        icsync_domain::Region::Eu => icsync_intercom::Region::Eu,
        icsync_domain::Region::Au => icsync_intercom::Region::Au,
    };
    let mut config = ClientConfig::new(region, AccessToken::new(token.expose_secret()));
    if let Some(base_url) = &workspace.base_url {
        config = config.with_base_url(base_url)?;
    }
    config.workspace_label = workspace.id.0.to_string();
    Ok(IntercomClient::new(config)?)
}

fn decimal(flag: &str, value: Option<String>) -> anyhow::Result<Option<Option<Decimal>>> {
    match value.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(text) => text
            .parse::<Decimal>()
            .map(|d| Some(Some(d)))
            .with_context(|| format!("{flag} {text:?} is not a decimal number")),
    }
}

fn text(value: Option<String>) -> Option<Option<String>> {
    value.map(|v| Some(v).filter(|s| !s.trim().is_empty()))
}
