//! `GET /workspaces` (admin): every connected (and disconnected) workspace, where it stands in
//! one phrase, and the way to its status, settings and disconnect pages.

use crate::ConsoleState;
use crate::error::ConsoleResult;
use crate::format;
use crate::layout::{self, Section};
use crate::pages::{status_url, workspace_url};
use crate::session::Admin;
use axum::extract::State;
use icsync_api::model::WorkspaceView;
use maud::{Markup, html};

/// Where a workspace stands, in a few words.
pub(crate) fn standing(w: &WorkspaceView) -> &'static str {
    if !w.connected {
        "Disconnected: nothing syncs, the data is kept"
    } else if w.connection_error.is_some() {
        "Stopped: Intercom refused the token"
    } else if !w.user_tracking {
        "User Tracking off: polling stopped"
    } else {
        "Syncing"
    }
}

pub(crate) async fn list(
    Admin(session): Admin,
    State(state): State<ConsoleState>,
) -> ConsoleResult<Markup> {
    let workspaces: Vec<WorkspaceView> = state
        .api()
        .store()
        .workspaces()
        .await?
        .iter()
        .map(WorkspaceView::from)
        .collect();
    let body = html! {
        h1 { "Workspaces" }
        p { "Each workspace is one Intercom workspace icsync imports from (and, when you allow it, writes CS attributes back to)." }
        p { a.button href="/connect" { "Connect a workspace" } }
        @if workspaces.is_empty() {
            p.notice { "No workspace is connected yet. Connect one with an Intercom access token to start the first backfill." }
        } @else {
            div.scroll {
                table {
                    caption.visually-hidden { "Workspaces" }
                    thead {
                        tr {
                            th scope="col" { "Name" }
                            th scope="col" { "Intercom workspace" }
                            th scope="col" { "Region" }
                            th scope="col" { "Where it stands" }
                            th scope="col" { "Connected" }
                            th scope="col" { span.visually-hidden { "Actions" } }
                        }
                    }
                    tbody {
                        @for w in &workspaces {
                            tr {
                                th scope="row" { a href=(status_url(&w.name)) { (w.name) } }
                                td { (w.intercom_app_id.as_deref().unwrap_or("—")) }
                                td { (region_name(w)) }
                                td { (standing(w)) }
                                td { (format::when_or(w.connected_at, "—")) }
                                td.actions {
                                    a href=(status_url(&w.name)) { "Status" span.visually-hidden { " of " (w.name) } }
                                    " · "
                                    a href=(workspace_url(&w.name)) { "Settings" span.visually-hidden { " of " (w.name) } }
                                    @if w.connected {
                                        " · "
                                        a href=(format!("{}/disconnect", workspace_url(&w.name))) { "Disconnect" span.visually-hidden { " " (w.name) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(
        "Workspaces",
        &session,
        Section::Workspaces,
        body,
    ))
}

/// The region, or the base URL that overrides it.
pub(crate) fn region_name(w: &WorkspaceView) -> String {
    let region = match w.region {
        icsync_api::model::ApiRegion::Us => "US",
        icsync_api::model::ApiRegion::Eu => "Europe",
        icsync_api::model::ApiRegion::Au => "Australia",
    };
    match &w.base_url {
        Some(url) => format!("{region} (API at {})", format::display_url(url)),
        None => region.to_owned(),
    }
}
