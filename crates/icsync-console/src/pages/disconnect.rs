//! `GET|POST /workspaces/{name}/disconnect` (admin): a page that says what disconnecting does
//! and asks to confirm, then the API's own disconnect (every job and push stops, the data stays).

use crate::ConsoleState;
use crate::error::ConsoleResult;
use crate::layout::{self, Section};
use crate::pages::{FormData, status_url, workspace_url};
use crate::session::Admin;
use axum::extract::{Path, State};
use axum::response::Redirect;
use icsync_api::ops;
use maud::{Markup, html};
use serde::Deserialize;

pub(crate) async fn confirm(
    Admin(session): Admin,
    State(state): State<ConsoleState>,
    Path(name): Path<String>,
) -> ConsoleResult<Markup> {
    let workspace = ops::workspace_named(state.api(), &name).await?;
    let action = format!("{}/disconnect", workspace_url(&workspace.name));
    let body = html! {
        h1 { "Disconnect " (workspace.name) "?" }
        @if !workspace.is_connected() {
            p.notice { (workspace.name) " is already disconnected." }
            p { a href=(status_url(&workspace.name)) { "Back to its status" } }
        } @else {
            p { "Disconnecting stops every import and every writeback push of this workspace at once." }
            ul {
                li { "The data imported so far stays; profiles keep showing it." }
                li { "The stored access token is no longer used; to sync again, reconnect with a token under the same name." }
            }
            form.stack method="post" action=(action) {
                (session.form_field())
                div.buttons {
                    button.danger type="submit" { "Disconnect " (workspace.name) }
                    a href=(status_url(&workspace.name)) { "Cancel" }
                }
            }
        }
    };
    Ok(layout::page(
        &format!("Disconnect {}", workspace.name),
        &session,
        Section::Workspaces,
        body,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DisconnectForm {
    csrf: Option<String>,
}

pub(crate) async fn submit(
    Admin(session): Admin,
    State(state): State<ConsoleState>,
    Path(name): Path<String>,
    FormData(form): FormData<DisconnectForm>,
) -> ConsoleResult<Redirect> {
    session.check_form(form.csrf.as_deref())?;
    let workspace = ops::disconnect_workspace(state.api(), &name).await?;
    Ok(Redirect::to(&format!(
        "{}?notice=disconnected",
        status_url(&workspace.name)
    )))
}
