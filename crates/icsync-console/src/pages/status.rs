//! `GET /workspaces/{name}/status` (admin): where a workspace's sync stands, from the API's
//! own status ([`ops::workspace_status`]): a sentence for the workspace, per stream its state,
//! a progress bar while a backfill runs (done of estimated, rate, ETA), last and next run,
//! figures (records, requests, 429s), the last error with what to do; record counts; writeback
//! (pending, failed with the reason per row, oldest pending); the export of host records
//! (settings, figures, failing records with their reasons; [`super::export`]). The live part
//! is also served alone (`/status/live`), which the console's script fetches every few
//! seconds.

use crate::ConsoleState;
use crate::error::ConsoleResult;
use crate::format::{self, duration, number, when, when_or};
use crate::layout::{self, Section};
use crate::pages::{status_url, workspace_url};
use crate::session::Admin;
use axum::extract::{Path, Query, State};
use chrono::Utc;
use icsync_api::model::{ExportStatusView, ProgressView, StatusView, StreamState, StreamStatus};
use icsync_api::{WritebackFigures, ops};
use maud::{Markup, html};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct StatusQuery {
    notice: Option<String>,
}

/// A notice after a change made on another page (fixed texts: nothing from the URL is shown).
fn notice(key: Option<&str>) -> Option<&'static str> {
    match key? {
        "connected" => {
            Some("Connected. The backfill starts with the next pass; its progress shows below.")
        }
        "saved" => Some("Settings saved."),
        "tracking-off" => Some(
            "Settings saved. User Tracking is off: polling of users, companies and events stopped.",
        ),
        "tracking-on" => {
            Some("Settings saved. User Tracking is on: a new backfill starts with the next pass.")
        }
        "disconnected" => Some("Disconnected. Every job and push stopped; the data is kept."),
        _ => None,
    }
}

pub(crate) async fn page(
    Admin(session): Admin,
    State(state): State<ConsoleState>,
    Path(name): Path<String>,
    Query(query): Query<StatusQuery>,
) -> ConsoleResult<Markup> {
    let status = ops::workspace_status(state.api(), &name).await?;
    let export = export_of(&state, &name).await?;
    let refresh = state.settings().status_refresh.as_secs().max(1);
    let live_url = format!("{}/live", status_url(&status.workspace.name));
    let body = html! {
        h1 { "Status of " (status.workspace.name) }
        p {
            a href=(workspace_url(&status.workspace.name)) { "Settings of " (status.workspace.name) }
        }
        @if let Some(text) = notice(query.notice.as_deref()) {
            p.notice role="status" { (text) }
        }
        div id="live" data-refresh=(live_url) data-refresh-secs=(refresh) {
            (live_part(&status, &export, refresh))
        }
    };
    Ok(layout::refreshing_page(
        &format!("Status of {}", status.workspace.name),
        &session,
        Section::Workspaces,
        refresh,
        body,
    ))
}

/// `GET /workspaces/{name}/status/live`: the part of the page that changes.
pub(crate) async fn live(
    Admin(_session): Admin,
    State(state): State<ConsoleState>,
    Path(name): Path<String>,
) -> ConsoleResult<Markup> {
    let status = ops::workspace_status(state.api(), &name).await?;
    let export = export_of(&state, &name).await?;
    let refresh = state.settings().status_refresh.as_secs().max(1);
    Ok(live_part(&status, &export, refresh))
}

/// The workspace's export status (an unknown workspace is the page's 404).
async fn export_of(
    state: &ConsoleState,
    name: &str,
) -> ConsoleResult<Result<ExportStatusView, String>> {
    let workspace = ops::workspace_named(state.api(), name).await?;
    Ok(super::export::load(state.api(), &workspace).await)
}

fn live_part(
    status: &StatusView,
    export: &Result<ExportStatusView, String>,
    refresh_secs: u64,
) -> Markup {
    html! {
        (summary(status))
        section aria-labelledby="streams-heading" {
            h2 id="streams-heading" { "Streams" }
            div.streams {
                @for stream in &status.streams { (stream_card(stream)) }
            }
        }
        section aria-labelledby="counts-heading" {
            h2 id="counts-heading" { "Stored records" }
            @let c = &status.counts;
            dl.figures {
                dt { "Contacts" } dd { (number(c.contacts)) }
                dt { "Companies" } dd { (number(c.companies)) }
                dt { "Contact–company links" } dd { (number(c.associations)) }
                dt { "Events" } dd { (number(c.events)) }
                dt { "Conversations" } dd { (number(c.conversations)) }
                dt { "Messages" } dd { (number(c.conversation_parts)) }
            }
        }
        (writeback_section(status))
        (super::export::section(&status.workspace.name, export))
        p.updated {
            "Updated " (when(Utc::now())) "; this part refreshes every " (duration(refresh_secs as i64)) "."
        }
    }
}

fn summary(status: &StatusView) -> Markup {
    let w = &status.workspace;
    html! {
        section.summary aria-labelledby="summary-heading" {
            h2 id="summary-heading" { "In short" }
            @if !w.connected {
                p.warning {
                    "Disconnected " (format::when_or(w.disconnected_at, "")) ": every job and push stopped; the data is kept. "
                    "To sync again, " a href=(format!("/connect?name={}", format::query_value(&w.name))) { "reconnect it" } " with the same name."
                }
            } @else if let Some(error) = &w.connection_error {
                p.error {
                    strong { "Stopped: " } (error)
                }
                p {
                    strong { "What to do: " }
                    "get a valid access token from Intercom and "
                    a href=(format!("/connect?name={}", format::query_value(&w.name))) { "reconnect the workspace" }
                    " under the same name; syncing resumes where it stopped."
                }
            } @else if !w.user_tracking {
                p.warning {
                    strong { "User Tracking is off: polling stopped. " }
                    "Users, companies and events are not imported; conversations still are, on every pass. "
                    "Switch User Tracking on in the " a href=(workspace_url(&w.name)) { "settings" } " to start a new backfill."
                }
            } @else {
                p.ok {
                    strong { "Syncing. " }
                    "An incremental pass runs every " (duration(status.poll_interval_secs as i64)) "."
                }
            }
        }
    }
}

/// A stream's state in words.
fn state_words(stream: &StreamStatus) -> String {
    let kind = stream
        .last_run
        .as_ref()
        .and_then(|r| r.kind.as_deref())
        .unwrap_or("");
    match stream.state {
        StreamState::Pending => "Waiting for its first run (a backfill)".to_owned(),
        StreamState::Running => {
            let kind = stream
                .progress
                .as_ref()
                .and_then(|p| p.kind.as_deref())
                .unwrap_or(kind);
            match kind {
                "backfill" => "Backfill running".to_owned(),
                "" => "Running".to_owned(),
                other => format!("Running ({other})"),
            }
        }
        StreamState::Succeeded if kind == "backfill" => "Backfill done".to_owned(),
        StreamState::Succeeded => "Up to date".to_owned(),
        StreamState::Failed => "Last run failed".to_owned(),
        StreamState::Stopped => {
            "Stopped at a page boundary; the next pass resumes there".to_owned()
        }
        StreamState::Idle => "Idle".to_owned(),
        StreamState::Off => "Off: polling stopped (User Tracking is off)".to_owned(),
        StreamState::Disconnected => "Disconnected".to_owned(),
        StreamState::Blocked => "Stopped: Intercom refused the token".to_owned(),
    }
}

/// What a stream holds, in a line.
fn stream_about(stream: &str) -> &'static str {
    match stream {
        "users" => "Intercom users created or changed.",
        "companies" => "The companies of those users.",
        "events" => "The users' custom data events (Intercom keeps 90 days).",
        "conversations" => "Conversations with every message, on every pass.",
        _ => "",
    }
}

fn state_class(state: StreamState) -> &'static str {
    match state {
        StreamState::Succeeded | StreamState::Idle => "state ok",
        StreamState::Running | StreamState::Pending => "state busy",
        StreamState::Failed | StreamState::Blocked => "state bad",
        StreamState::Off | StreamState::Stopped | StreamState::Disconnected => "state off",
    }
}

fn stream_card(stream: &StreamStatus) -> Markup {
    let heading_id = format!("stream-{}", stream.stream);
    html! {
        article.stream aria-labelledby=(heading_id) data-stream=(stream.stream) data-state=(format!("{:?}", stream.state).to_lowercase()) {
            h3 id=(heading_id) { (stream.stream) }
            p class=(state_class(stream.state)) { (state_words(stream)) }
            @if !stream_about(&stream.stream).is_empty() { p.help { (stream_about(&stream.stream)) } }
            @if let Some(progress) = &stream.progress { (progress_bar(&stream.stream, progress)) }
            dl.figures {
                dt { "Last run" }
                dd {
                    @match &stream.last_run {
                        None => "none yet",
                        Some(run) => {
                            (run.kind.as_deref().unwrap_or("run")) ", " (run.status) ", started " (when(run.started_at))
                            @if run.finished_at.is_some() { ", took " (duration(run.duration_ms / 1000)) }
                        }
                    }
                }
                dt { "Next run" }
                dd {
                    @if stream.state == StreamState::Off {
                        "none: polling stopped"
                    } @else {
                        (when_or(stream.next_run_at, "not scheduled"))
                    }
                }
                @if let Some(run) = &stream.last_run {
                    dt { "Records" }
                    dd { (number(run.read)) " read, " (number(run.written)) " written, " (number(run.unchanged)) " unchanged" }
                    @if !run.skipped.is_empty() {
                        dt { "Skipped" }
                        dd {
                            @for (i, (reason, count)) in run.skipped.iter().enumerate() {
                                @if i > 0 { ", " } (number(*count)) " " (reason)
                            }
                        }
                    }
                    dt { "Requests" }
                    dd {
                        (number(run.requests)) " requests, " (number(run.rate_limited)) " answered 429 (rate limited), "
                        (number(run.retries)) " retried"
                        @if run.pacer_wait_ms > 0 { ", " (duration(run.pacer_wait_ms / 1000)) " waiting for the rate limit" }
                    }
                }
                dt { "Stored in all" } dd { (number(stream.records_total)) }
                @if let Some(mark) = stream.watermark { dt { "Imported up to" } dd { (when(mark)) } }
            }
            @if let Some(error) = &stream.last_error {
                div.error-box role="group" aria-label=(format!("Last error of {}", stream.stream)) {
                    p { strong { "Last error " } "(" (when(error.at)) ", run " (error.run_id) "): " (error.message) }
                    p { strong { "What to do: " } (advice(stream)) }
                }
            }
        }
    }
}

/// What an admin can do about a stream's last error.
fn advice(stream: &StreamStatus) -> &'static str {
    match stream.state {
        StreamState::Blocked => {
            "reconnect the workspace with a valid token (the token was refused or revoked)."
        }
        StreamState::Failed => {
            "nothing, if Intercom was briefly unavailable: the next pass resumes from the last \
             committed page. If it keeps failing, the daemon's log has the run's details."
        }
        StreamState::Succeeded | StreamState::Idle | StreamState::Running => {
            "nothing: a later run succeeded or is running; this is for the record."
        }
        _ => "nothing now; it is shown for the record.",
    }
}

fn progress_bar(stream: &str, p: &ProgressView) -> Markup {
    let label_id = format!("progress-{stream}");
    let stale = (Utc::now() - p.updated_at).num_seconds() > 60;
    html! {
        div.progress {
            p id=(label_id) {
                strong { (p.kind.as_deref().map_or("Run", |k| if k == "backfill" { "Backfill" } else { k })) " progress: " }
                @match p.estimated {
                    Some(estimated) => {
                        (number(p.done)) " of " (number(estimated))
                        @if let Some(percent) = p.percent { " (" (format!("{percent:.0}")) " %)" }
                    }
                    None => { (number(p.done)) " read so far (Intercom gave no total)" }
                }
            }
            @match p.estimated {
                Some(estimated) if estimated > 0 => {
                    progress aria-labelledby=(label_id) max=(estimated) value=(p.done.min(estimated)) {
                        (number(p.done)) " of " (number(estimated))
                    }
                }
                _ => { progress aria-labelledby=(label_id) {} }
            }
            p.help {
                @if let Some(rate) = p.rate_per_sec { (format!("{rate:.1}")) " records a second" } @else { "Rate not known yet" }
                @if let Some(eta) = p.eta_secs { " · about " (duration(eta)) " left" }
                @if let Some(at) = p.eta_at { " (done around " time datetime=(at.to_rfc3339()) { (at.format("%H:%M:%S UTC")) } ")" }
                " · started " (when(p.started_at))
                @if stale { " · " span.warning { "no report for over a minute: the instance running it may have stopped; the next pass resumes it" } }
            }
        }
    }
}

fn writeback_section(status: &StatusView) -> Markup {
    html! {
        section aria-labelledby="writeback-heading" {
            h2 id="writeback-heading" { "Writeback" }
            @match (&status.writeback, &status.writeback_error) {
                (_, Some(error)) => p.error { "Writeback status could not be read: " (error) },
                (None, None) => p.muted { "No writeback figures." },
                (Some(figures), None) => (writeback_figures(figures)),
            }
        }
    }
}

fn writeback_figures(f: &WritebackFigures) -> Markup {
    html! {
        @if let Some(blocked) = &f.blocked { p.warning { strong { "Not pushing: " } (blocked) } }
        @if let Some(error) = &f.config_error { p.error { strong { "Configuration problem: " } (error) } }
        dl.figures {
            dt { "Waiting to be pushed" } dd { (number(f.pending)) }
            dt { "Being pushed" } dd { (number(f.in_flight)) }
            dt { "Pushed, unchanged since" } dd { (number(f.pushed)) }
            dt { "Failed (retried)" } dd { (number(f.failed)) }
            dt { "Gone from Intercom" } dd { (number(f.gone)) }
            dt { "Oldest waiting" }
            dd {
                @match (f.oldest_pending_since, f.oldest_pending_age_secs) {
                    (Some(since), Some(age)) => { "since " (when(since)) ", " (duration(age)) " old" }
                    (Some(since), None) => { "since " (when(since)) }
                    _ => "nothing waits",
                }
            }
        }
        @if !f.failures.is_empty() {
            div.scroll {
                table {
                    caption { "Rows whose push failed, with the reason" }
                    thead { tr {
                        th scope="col" { "Record" } th scope="col" { "Attempts" } th scope="col" { "Reason" } th scope="col" { "Next" }
                    } }
                    tbody {
                        @for row in &f.failures {
                            tr {
                                th scope="row" { (row.subject_kind) " " code { (row.subject_id) } }
                                td { (row.attempts) }
                                td { (row.error) }
                                td {
                                    @if let Some(gone) = row.gone_at { "no retry: gone since " (when(gone)) }
                                    @else { (when_or(row.next_attempt_at, "when the pusher next runs")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
