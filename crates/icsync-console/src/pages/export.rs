//! The export section of a workspace's status page: the export's settings (modes in words,
//! the property mapping), its figures (waiting, being exported, exported, failed, removed,
//! rejected, skipped, the oldest waiting) and the records that are not in Intercom as the host
//! wants, with the reason, from the API's own status ([`ops::export_status`]).

use crate::format::{duration, number, when, when_or};
use icsync_api::model::{ExportSettingsBody, ExportStatusView};
use icsync_api::{ApiState, ops};
use icsync_domain::Workspace;
use maud::{Markup, html};

/// The export's status, or why it could not be read (the rest of the page still shows).
pub(crate) async fn load(
    api: &ApiState,
    workspace: &Workspace,
) -> Result<ExportStatusView, String> {
    ops::export_status(api.store(), workspace)
        .await
        .map_err(|error| {
            tracing::warn!(workspace = %workspace.name, error = %error, "console: export status unavailable");
            "the store did not answer; reload the page in a moment".to_owned()
        })
}

pub(crate) fn section(workspace: &str, export: &Result<ExportStatusView, String>) -> Markup {
    html! {
        section aria-labelledby="export-heading" {
            h2 id="export-heading" { "Export to Intercom" }
            @match export {
                Err(error) => p.error { "Export status could not be read: " (error) },
                Ok(view) => @match &view.settings {
                    None => p.muted {
                        "No export is configured: the host's records are not sent to Intercom. "
                        "An admin sets one with " code { "PUT /v1/workspaces/" (workspace) "/export" }
                        " (modes and property mapping; see docs/EXPORT.md)."
                    },
                    Some(settings) => {
                        (state(view))
                        (settings_list(settings, view))
                        (figures(view))
                        (failures(view))
                    }
                },
            }
        }
    }
}

fn state(view: &ExportStatusView) -> Markup {
    html! {
        @if let Some(reason) = &view.blocked_reason {
            p.warning { strong { "Not exporting: " } (reason) }
        } @else if view.config_error.is_none() {
            p.ok { strong { "Exporting. " } "Host records are sent to Intercom as they change." }
        }
        @if let Some(error) = &view.config_error {
            p.error { strong { "Configuration problem (exports wait): " } (error) }
        }
    }
}

fn sync_words(mode: &str) -> &'static str {
    match mode {
        "sync" => "create, update and remove contacts",
        "additive" => "create and update contacts; a removed record is left in Intercom",
        "enrich" => "update only contacts that already exist in Intercom; never create or remove",
        _ => "",
    }
}

fn creation_words(mode: &str) -> &'static str {
    match mode {
        "user" => "every record is a user (email and external id required)",
        "lead" => "every record is a lead (email required)",
        "lifecycle" => "a lead until the record has an external id, then a user",
        _ => "",
    }
}

fn removal_words(mode: &str) -> &'static str {
    match mode {
        "archive" => "take off the tags this export applied, then archive (recoverable)",
        "delete" => "delete the contact (permanent)",
        _ => "",
    }
}

fn mode(name: &str, words: &str) -> Markup {
    html! {
        strong { (name) }
        @if !words.is_empty() { ": " (words) }
    }
}

fn settings_list(s: &ExportSettingsBody, view: &ExportStatusView) -> Markup {
    html! {
        dl.figures {
            dt { "Export" }
            dd {
                @if s.enabled { "On" } @else { "Off: records are accepted and queued, nothing is sent" }
            }
            dt { "Sync mode" } dd { (mode(&s.sync_mode, sync_words(&s.sync_mode))) }
            dt { "Creation mode" } dd { (mode(&s.creation_mode, creation_words(&s.creation_mode))) }
            dt { "Removal mode" } dd { (mode(&s.removal_mode, removal_words(&s.removal_mode))) }
            dt { "Data attributes" }
            dd { (when_or(view.provisioned_at, "not checked in Intercom yet")) }
        }
        @if s.mapping.is_empty() {
            p.muted { "No property mapping: email, external id and groups (as tags) only." }
        } @else {
            div.scroll {
                table {
                    caption { "Property mapping" }
                    thead { tr {
                        th scope="col" { "Host property" } th scope="col" { "Intercom attribute" } th scope="col" { "Kind" }
                    } }
                    tbody {
                        @for m in &s.mapping {
                            tr {
                                th scope="row" { code { (m.property) } }
                                td { code { (m.attribute) } }
                                td {
                                    @match &m.data_type {
                                        Some(kind) => { "data attribute (" (kind) ")" },
                                        None => "standard attribute",
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn figures(v: &ExportStatusView) -> Markup {
    html! {
        dl.figures {
            dt { "Records" } dd { (number(v.records)) }
            dt { "Waiting to be exported" } dd { (number(v.pending)) }
            dt { "Being exported" } dd { (number(v.in_flight)) }
            dt { "Failed (retried)" } dd { (number(v.failing)) }
            dt { "Exported, unchanged since" } dd { (number(v.exported)) }
            dt { "Removed" } dd { (number(v.removed)) }
            dt { "Rejected (until the host changes them)" } dd { (number(v.rejected)) }
            dt { "Skipped (enrich mode, no such contact)" } dd { (number(v.skipped)) }
            dt { "Oldest waiting" }
            dd {
                @match v.oldest_pending_since {
                    Some(since) => {
                        "since " (when(since)) ", "
                        (duration((chrono::Utc::now() - since).num_seconds())) " old"
                    }
                    None => "nothing waits",
                }
            }
        }
    }
}

fn failures(v: &ExportStatusView) -> Markup {
    html! {
        @if !v.failures.is_empty() {
            div.scroll {
                table {
                    caption { "Records not in Intercom as the host wants, with the reason" }
                    thead { tr {
                        th scope="col" { "Record" } th scope="col" { "State" } th scope="col" { "Attempts" }
                        th scope="col" { "Reason" } th scope="col" { "Last tried" } th scope="col" { "Next" }
                    } }
                    tbody {
                        @for f in &v.failures {
                            tr data-export-record=(f.host_id) {
                                th scope="row" { code { (f.host_id) } }
                                td {
                                    @match f.status.as_str() {
                                        "failed" => "failed, retried",
                                        "rejected" => "rejected",
                                        "skipped" => "skipped",
                                        other => (other),
                                    }
                                }
                                td { (f.attempts) }
                                td { (f.reason) }
                                td { (when_or(f.last_attempt_at, "—")) }
                                td {
                                    @match f.status.as_str() {
                                        "failed" => (when_or(f.next_attempt_at, "when the export next runs")),
                                        _ => "when the host changes the record",
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
