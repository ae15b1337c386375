//! `GET|POST /workspaces/{name}` (admin): a workspace's connection and its switches (User
//! Tracking, Intercom as the primary data source, writeback, leads), each with what it does,
//! its backfill days, and the Intercom attribute names writeback uses. Saving goes through the
//! API's own settings change (User Tracking on starts a new backfill; off stops polling).

use crate::ConsoleState;
use crate::error::ConsoleResult;
use crate::format;
use crate::layout::{self, Section};
use crate::pages::connect::switch;
use crate::pages::workspaces::{region_name, standing};
use crate::pages::{FormData, status_url, workspace_url};
use crate::session::Admin;
use axum::extract::{Path, State};
use axum::response::Redirect;
use icsync_api::model::{SettingsBody, WorkspaceView};
use icsync_api::{ApiError, ops};
use maud::{Markup, html};
use serde::Deserialize;

pub(crate) async fn page(
    Admin(session): Admin,
    State(state): State<ConsoleState>,
    Path(name): Path<String>,
) -> ConsoleResult<Markup> {
    let workspace = WorkspaceView::from(&ops::workspace_named(state.api(), &name).await?);
    let w = &workspace;
    let names = &state.settings().attribute_names;
    let body = html! {
        h1 { "Workspace " (w.name) }
        p { a href=(status_url(&w.name)) { "Status of " (w.name) } }
        section aria-labelledby="connection-heading" {
            h2 id="connection-heading" { "Connection" }
            dl.attributes {
                dt { "Where it stands" } dd { (standing(w)) }
                dt { "Intercom workspace" } dd { (w.intercom_app_id.as_deref().unwrap_or("—")) }
                dt { "Region" } dd { (region_name(w)) }
                dt { "Time zone" } dd { (w.timezone.as_deref().unwrap_or("(not known yet)")) }
                dt { "Webhook notifications" }
                dd { @if w.has_webhook_secret { "Verified with the stored client secret" } @else { "No client secret stored: notifications are refused; polling still imports everything" } }
                dt { "Connected" } dd { (format::when_or(w.connected_at, "never")) }
                @if let Some(at) = w.disconnected_at { dt { "Disconnected" } dd { (format::when(at)) } }
                @if let Some(error) = &w.connection_error {
                    dt { "Stopped because" }
                    dd.error { (error) " — reconnect it with a valid token to resume." }
                }
            }
            p {
                a href=(format!("/connect?name={}", format::query_value(&w.name))) { "Reconnect with a new token" }
                @if w.connected {
                    " · " a href=(format!("{}/disconnect", workspace_url(&w.name))) { "Disconnect" }
                }
            }
        }
        section aria-labelledby="settings-heading" {
            h2 id="settings-heading" { "Settings" }
            form.stack method="post" action=(workspace_url(&w.name)) {
                (session.form_field())
                fieldset {
                    legend { "Switches" }
                    (switch("user_tracking", "User Tracking", w.user_tracking,
                        "Import users and their companies and events every few minutes; switching it on starts a new backfill, off stops polling them."))
                    (switch("primary_source", "Intercom is the primary data source", w.primary_source_is_intercom,
                        "Only then may icsync write CS attributes back to Intercom."))
                    (switch("writeback", "Writeback", w.writeback_enabled,
                        "Push health, stage, pulse and the other CS attributes to Intercom when they change."))
                    (switch("include_leads", "Include leads", w.include_leads,
                        "Import leads (visitors who gave an email) as well as users."))
                }
                label for="backfill_days" { "Backfill days" }
                p.help id="backfill-help" { "A backfill imports the users created in this many days (1 to 3650); it applies to the next backfill." }
                input id="backfill_days" name="backfill_days" type="number" min="1" max="3650"
                    value=(w.backfill_days) aria-describedby="backfill-help";
                div.buttons { button.primary type="submit" { "Save settings" } }
            }
        }
        section aria-labelledby="attributes-heading" {
            h2 id="attributes-heading" { "Attribute names" }
            p { "Writeback sets these custom attributes on Intercom contacts and companies (creating them when missing). They are set in the daemon's configuration (" code { "[writeback.contact_attributes]" } ", " code { "[writeback.company_attributes]" } ")." }
            @if names.is_empty() {
                p.muted { "This daemon did not pass its attribute names to the console." }
            } @else {
                div.scroll {
                    table {
                        thead { tr { th scope="col" { "CS field" } th scope="col" { "On contacts" } th scope="col" { "On companies" } } }
                        tbody {
                            @for n in names {
                                tr { th scope="row" { (n.field) } td { code { (n.contact) } } td { code { (n.company) } } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(
        &format!("Workspace {}", w.name),
        &session,
        Section::Workspaces,
        body,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SettingsForm {
    csrf: Option<String>,
    user_tracking: Option<String>,
    primary_source: Option<String>,
    writeback: Option<String>,
    include_leads: Option<String>,
    #[serde(default)]
    backfill_days: String,
}

pub(crate) async fn save(
    Admin(session): Admin,
    State(state): State<ConsoleState>,
    Path(name): Path<String>,
    FormData(form): FormData<SettingsForm>,
) -> ConsoleResult<Redirect> {
    session.check_form(form.csrf.as_deref())?;
    let before = ops::workspace_named(state.api(), &name).await?;
    let days = form.backfill_days.trim();
    let backfill_days = if days.is_empty() {
        None
    } else {
        Some(days.parse::<i32>().map_err(|_| {
            ApiError::validation(
                "backfill_days",
                format!("backfill days must be a whole number of days, not {days:?}"),
            )
        })?)
    };
    let tracking = form.user_tracking.is_some();
    let after = ops::update_settings(
        state.api(),
        &name,
        SettingsBody {
            user_tracking: Some(tracking),
            primary_source_is_intercom: Some(form.primary_source.is_some()),
            writeback_enabled: Some(form.writeback.is_some()),
            backfill_days,
            include_leads: Some(form.include_leads.is_some()),
        },
    )
    .await?;
    let notice = match (before.user_tracking, tracking) {
        (true, false) => "tracking-off",
        (false, true) => "tracking-on",
        _ => "saved",
    };
    Ok(Redirect::to(&format!(
        "{}?notice={notice}",
        status_url(&after.name)
    )))
}
