//! `icsync export status`: a workspace's export (settings, figures, the records that are not in
//! Intercom as the host wants, with their reasons), read through the same function as the API's
//! `GET /v1/export/status` ([`icsync_api::ops::export_status`]), so both count alike.

use super::{find_workspace, open};
use crate::config::Settings;
use anyhow::bail;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use icsync_api::model::{ExportSettingsBody, ExportStatusView};
use std::fmt::Write as _;

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub command: ExportCommand,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Show a workspace's export: its settings, records pending, exported, failed (with
    /// reasons), removed, rejected and skipped, and the oldest waiting record.
    Status(StatusArgs),
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The workspace, by name.
    #[arg(long)]
    pub workspace: String,
    /// Print the status as JSON, as `GET /v1/export/status` answers it.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: ExportArgs, settings: &Settings) -> anyhow::Result<()> {
    match args.command {
        ExportCommand::Status(args) => status(args, settings).await,
    }
}

async fn status(args: StatusArgs, settings: &Settings) -> anyhow::Result<()> {
    let store = open(settings).await?;
    let workspace = find_workspace(&store, &args.workspace).await?;
    let view = icsync_api::ops::export_status(&store, &workspace).await?;
    store.close().await;
    if !view.configured {
        bail!(
            "workspace {:?} has no export configured: an admin sets one with PUT /v1/workspaces/{}/export (modes and mapping, see docs/EXPORT.md)",
            workspace.name,
            workspace.name
        );
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        print!("{}", render(&view, Utc::now()));
    }
    Ok(())
}

/// The status as a person reads it, one fact a line.
fn render(view: &ExportStatusView, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let o = &mut out;
    line(o, "workspace", &view.workspace);
    if let Some(settings) = &view.settings {
        settings_lines(o, settings);
    }
    match (&view.blocked, &view.blocked_reason) {
        (Some(_), Some(reason)) => line(o, "state", &format!("waiting: {reason}")),
        (Some(code), None) => line(o, "state", &format!("waiting: {code}")),
        _ => line(o, "state", "exporting"),
    }
    if let Some(error) = &view.config_error {
        line(o, "config error", error);
    }
    line(
        o,
        "provisioned",
        &view
            .provisioned_at
            .map_or_else(|| "not yet".to_owned(), when),
    );
    line(o, "records", &view.records.to_string());
    line(
        o,
        "pending",
        &format!(
            "{} ({} failing, {} in flight)",
            view.pending, view.failing, view.in_flight
        ),
    );
    line(
        o,
        "oldest pending",
        &match view.oldest_pending_since {
            Some(since) => format!(
                "since {} ({} ago)",
                when(since),
                age((now - since).num_seconds())
            ),
            None => "nothing waits".to_owned(),
        },
    );
    line(o, "exported", &view.exported.to_string());
    line(o, "removed", &view.removed.to_string());
    line(o, "rejected", &view.rejected.to_string());
    line(o, "skipped", &view.skipped.to_string());
    if view.failures.is_empty() {
        line(o, "failures", "none");
    } else {
        let _ = writeln!(
            o,
            "failures ({}, most attempts first):",
            view.failures.len()
        );
        for f in &view.failures {
            let retry = match (f.status.as_str(), f.next_attempt_at) {
                ("failed", Some(next)) => format!("; next attempt {}", when(next)),
                ("failed", None) => "; retried by the next drain".to_owned(),
                ("rejected", _) => "; not retried until the host changes the record".to_owned(),
                ("skipped", _) => "; looked for again when the host changes the record".to_owned(),
                _ => String::new(),
            };
            let mut about = Vec::new();
            if f.attempts > 0 {
                about.push(format!(
                    "{} failed attempt{}",
                    f.attempts,
                    if f.attempts == 1 { "" } else { "s" }
                ));
            }
            if let Some(at) = f.last_attempt_at {
                about.push(format!("last tried {}", when(at)));
            }
            let about = if about.is_empty() {
                String::new()
            } else {
                format!(" ({})", about.join(", "))
            };
            let _ = writeln!(
                o,
                "  {} {}{about}: {}{retry}",
                f.host_id, f.status, f.reason
            );
        }
    }
    out
}

/// One `label: value` line, values aligned (an empty label continues the line above).
fn line(out: &mut String, label: &str, value: &str) {
    let label = if label.is_empty() {
        String::new()
    } else {
        format!("{label}:")
    };
    let _ = writeln!(out, "{label:<16}{value}");
}

fn settings_lines(o: &mut String, settings: &ExportSettingsBody) {
    line(
        o,
        "enabled",
        if settings.enabled {
            "yes"
        } else {
            "no (records are accepted and queued, nothing is sent)"
        },
    );
    line(o, "sync mode", &settings.sync_mode);
    line(o, "creation mode", &settings.creation_mode);
    line(o, "removal mode", &settings.removal_mode);
    if settings.mapping.is_empty() {
        line(o, "mapping", "none (email, external id and groups only)");
    }
    for (i, m) in settings.mapping.iter().enumerate() {
        let target = match &m.data_type {
            Some(kind) => format!("data attribute {} ({kind})", m.attribute),
            None => format!("standard attribute {}", m.attribute),
        };
        line(
            o,
            if i == 0 { "mapping" } else { "" },
            &format!("{} -> {target}", m.property),
        );
    }
}

/// A time to the second, in UTC.
fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Seconds as "3d 4h", "2h 5m", "4m 10s" or "12s".
fn age(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_in_their_two_largest_units() {
        assert_eq!(age(-5), "0s");
        assert_eq!(age(12), "12s");
        assert_eq!(age(250), "4m 10s");
        assert_eq!(age(7500), "2h 5m");
        assert_eq!(age(3 * 86_400 + 4 * 3600 + 59), "3d 4h");
    }
}
