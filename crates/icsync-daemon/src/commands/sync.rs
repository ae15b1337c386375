//! `icsync sync --workspace NAME [--stream S] [--full] [--contact ID]`: one pass in the foreground, with a
//! progress bar per stream (plain lines when stdout is not a terminal) and a summary.

use super::keyed_store;
use crate::config::Settings;
use clap::Args;
use icsync_domain::RunStatus;
use icsync_inbound::{Progress, RunControl, StreamReport, SyncOptions, SyncReport, workspaces};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The workspace to sync (its name in icsync).
    #[arg(long)]
    pub workspace: String,
    /// Only this stream (users, companies, events, conversations); repeat for several.
    #[arg(long = "stream", value_name = "S")]
    pub streams: Vec<String>,
    /// Import this contact's conversations and their new parts now (what opening the
    /// profile does), by Intercom id; with `--stream conversations` or no `--stream`.
    #[arg(long, value_name = "INTERCOM_ID")]
    pub contact: Option<String>,
    /// Start over: a new backfill, and the companies and events of every stored user again.
    #[arg(long)]
    pub full: bool,
}

/// Runs the pass; `Ok(false)` when a stream did not finish (the caller exits 1).
pub async fn run(args: SyncArgs, settings: &Settings) -> anyhow::Result<bool> {
    let store = keyed_store(settings).await?;
    let workspace = workspaces::find(&store, &args.workspace).await?;
    let pacers = icsync_intercom::PacerRegistry::new(Default::default());
    let client = icsync_inbound::client_for(&workspace, &pacers, &settings.client_settings())?;
    let control = RunControl::default();
    let on_signal = {
        let control = control.clone();
        tokio::spawn(async move {
            crate::startup::shutdown_signal().await;
            eprintln!("stopping at the next page; the next sync resumes there");
            control.cancel();
        })
    };
    if let Some(contact) = &args.contact {
        on_signal.abort();
        if args.full || args.streams.iter().any(|s| s != "conversations") {
            anyhow::bail!(
                "--contact imports one contact's conversations: give it alone or with --stream conversations"
            );
        }
        let started = Instant::now();
        let report = icsync_inbound::sync_contact_conversations(
            &store,
            workspace.id,
            &client,
            &settings.inbound,
            &icsync_domain::ContactId::new(contact.trim()),
        )
        .await?;
        let finished = report.finished();
        print_summary(
            &SyncReport {
                workspace: workspace.name.clone(),
                streams: vec![report],
            },
            started.elapsed(),
        );
        return Ok(finished);
    }
    let progress = Bars::new(std::io::stdout().is_terminal());
    let options = SyncOptions {
        streams: args.streams,
        full: args.full,
    };
    let started = Instant::now();
    let result = icsync_inbound::sync_workspace(
        &store,
        workspace.id,
        &client,
        &settings.inbound,
        &options,
        &control,
        &progress,
    )
    .await;
    on_signal.abort();
    progress.clear();
    let report = result?;
    print_summary(&report, started.elapsed());
    Ok(report.all_finished())
}

pub(crate) fn print_summary(report: &SyncReport, elapsed: Duration) {
    println!(
        "sync of {} in {:.1}s",
        report.workspace,
        elapsed.as_secs_f64()
    );
    println!(
        "{:<10} {:<10} {:<12} {:>8} {:>8} {:>9} {:>8} {:>9} {:>6} {:>9} {:>8}",
        "stream",
        "status",
        "kind",
        "read",
        "written",
        "unchanged",
        "skipped",
        "requests",
        "429s",
        "waited",
        "time"
    );
    for stream in &report.streams {
        let s = &stream.stats;
        println!(
            "{:<10} {:<10} {:<12} {:>8} {:>8} {:>9} {:>8} {:>9} {:>6} {:>8.1}s {:>7.1}s",
            stream.stream.as_str(),
            stream.status.as_str(),
            s.kind.as_deref().unwrap_or("-"),
            s.read,
            s.records,
            s.unchanged,
            s.skipped_total(),
            s.requests,
            s.rate_limited,
            s.pacer_wait_ms as f64 / 1000.0,
            s.duration_ms as f64 / 1000.0,
        );
    }
    for stream in &report.streams {
        if !stream.stats.skipped.is_empty() {
            let reasons: Vec<String> = stream
                .stats
                .skipped
                .iter()
                .map(|(reason, n)| format!("{reason} {n}"))
                .collect();
            println!(
                "  {} skipped: {}",
                stream.stream.as_str(),
                reasons.join(", ")
            );
        }
        if stream.stats.shadowed_attributes > 0 {
            println!(
                "  {}: {} custom attributes dropped for shadowing a standard attribute",
                stream.stream.as_str(),
                stream.stats.shadowed_attributes
            );
        }
        if !stream.also.is_empty() {
            let also: Vec<String> = stream
                .also
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            println!("  {}: {}", stream.stream.as_str(), also.join(", "));
        }
        if let Some(since) = stream.since {
            let what = match stream.stats.kind.as_deref() {
                Some("backfill") => "users created since",
                _ => "users updated since",
            };
            println!(
                "  {}: {what} {}",
                stream.stream.as_str(),
                since.to_rfc3339()
            );
        }
    }
    for stream in report
        .streams
        .iter()
        .filter(|s| s.status == RunStatus::Idle)
    {
        if let Some(why) = &stream.error {
            println!("{} not run: {why}", stream.stream.as_str());
        }
    }
    for stream in report.streams.iter().filter(|s| !s.finished()) {
        let why = stream.error.as_deref().unwrap_or("unknown");
        let todo = match stream.status {
            RunStatus::Stopped => "run `icsync sync` again to resume from the last page",
            _ => {
                "fix the cause and run `icsync sync` again: it resumes from the last committed page"
            }
        };
        println!("{} did not finish: {why}; {todo}", stream.stream.as_str());
    }
}

/// Progress bars per stream (or plain lines every few seconds when not on a terminal).
pub(crate) struct Bars {
    multi: Option<MultiProgress>,
    bars: Mutex<HashMap<String, (ProgressBar, Instant, u64)>>,
}

impl Bars {
    pub(crate) fn new(terminal: bool) -> Self {
        Bars {
            multi: terminal.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stdout())),
            bars: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn clear(&self) {
        if let Some(multi) = &self.multi {
            let _ = multi.clear();
        }
    }

    fn style(known: bool) -> ProgressStyle {
        let template = if known {
            "{prefix:<10} [{bar:30}] {pos}/{len} {per_sec} eta {eta} {msg}"
        } else {
            "{prefix:<10} {spinner} {pos} read {per_sec} {msg}"
        };
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ")
    }
}

impl Progress for Bars {
    fn started(&self, stream: &str, kind: &str, estimate: Option<u64>) {
        let Ok(mut bars) = self.bars.lock() else {
            return;
        };
        match &self.multi {
            Some(multi) => {
                let bar = multi.add(ProgressBar::new(estimate.unwrap_or(0)));
                bar.set_style(Bars::style(estimate.is_some()));
                bar.set_prefix(stream.to_owned());
                bar.set_message(kind.to_owned());
                bar.enable_steady_tick(Duration::from_millis(200));
                bars.insert(stream.to_owned(), (bar, Instant::now(), 0));
            }
            None => {
                println!(
                    "{stream}: {kind} started{}",
                    estimate
                        .map(|e| format!(", about {e} records"))
                        .unwrap_or_default()
                );
                bars.insert(
                    stream.to_owned(),
                    (ProgressBar::hidden(), Instant::now(), 0),
                );
            }
        }
    }

    fn estimate(&self, stream: &str, estimate: u64) {
        if let Ok(bars) = self.bars.lock()
            && let Some((bar, _, _)) = bars.get(stream)
        {
            bar.set_length(estimate);
            bar.set_style(Bars::style(true));
        }
    }

    fn advanced(&self, stream: &str, records: u64) {
        let Ok(mut bars) = self.bars.lock() else {
            return;
        };
        if let Some((bar, last, count)) = bars.get_mut(stream) {
            bar.inc(records);
            *count += records;
            if self.multi.is_none() && last.elapsed() >= Duration::from_secs(5) {
                *last = Instant::now();
                println!("{stream}: {count} read");
            }
        }
    }

    fn finished(&self, report: &StreamReport) {
        let Ok(mut bars) = self.bars.lock() else {
            return;
        };
        if let Some((bar, _, _)) = bars.remove(report.stream.as_str()) {
            bar.finish_and_clear();
        }
        if self.multi.is_none() {
            println!(
                "{}: {} ({} read, {} written)",
                report.stream.as_str(),
                report.status.as_str(),
                report.stats.read,
                report.stats.records
            );
        }
    }
}
