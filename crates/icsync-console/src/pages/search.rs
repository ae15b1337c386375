//! `GET /search` (host or admin): find contacts by part of their email or name, and accounts by
//! part of their name or own id, in one workspace; each result opens its profile.

use crate::ConsoleState;
use crate::error::ConsoleResult;
use crate::format::{self, when_or};
use crate::layout::{self, Section};
use crate::session::Signed;
use axum::extract::{Query, State};
use icsync_api::ops;
use maud::{Markup, html};
use serde::Deserialize;

/// Results shown per kind.
const CONTACTS_SHOWN: u64 = 50;
const ACCOUNTS_SHOWN: u64 = 20;
/// Workspaces offered in the form.
const WORKSPACES_LISTED: u64 = 200;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SearchQuery {
    q: Option<String>,
    workspace: Option<String>,
}

/// A profile's link: `/{kind}/icsync:{id}?workspace=NAME`.
pub(crate) fn profile_url(kind: &str, icsync_id: i64, workspace: &str) -> String {
    format!(
        "/{kind}/icsync:{icsync_id}?workspace={}",
        format::query_value(workspace)
    )
}

pub(crate) async fn page(
    Signed(session): Signed,
    State(state): State<ConsoleState>,
    Query(query): Query<SearchQuery>,
) -> ConsoleResult<Markup> {
    let store = state.api().store();
    let names = store.workspace_names(WORKSPACES_LISTED).await?;
    let text = query.q.as_deref().map(str::trim).unwrap_or("");
    let chosen = query.workspace.clone().or_else(|| names.first().cloned());
    let mut found = None;
    if let (Some(name), false) = (&chosen, text.is_empty()) {
        let workspace = ops::resolve_workspace(state.api(), Some(name)).await?;
        let contacts = store
            .search_contacts(workspace.id, text, CONTACTS_SHOWN)
            .await?;
        let accounts = store
            .search_companies(workspace.id, text, ACCOUNTS_SHOWN)
            .await?;
        found = Some((workspace.name, contacts, accounts));
    }
    let body = html! {
        h1 { "Search profiles" }
        @if names.is_empty() {
            p.notice { "No Intercom workspace is connected yet, so there is nothing to search. An admin connects one on the Workspaces page." }
        } @else {
            form.search method="get" action="/search" role="search" {
                @if names.len() > 1 {
                    label for="workspace" { "Workspace" }
                    select id="workspace" name="workspace" {
                        @for name in &names {
                            option value=(name) selected[chosen.as_deref() == Some(name.as_str())] { (name) }
                        }
                    }
                } @else if let Some(name) = &chosen {
                    input type="hidden" name="workspace" value=(name);
                }
                label for="q" { "Email or name" }
                input id="q" name="q" type="search" value=(text) autocomplete="off"
                    placeholder="ada@example.com, Ada, Acme" aria-describedby="q-help";
                button type="submit" { "Search" }
                p.help id="q-help" { "Part of an email address or a name is enough; accounts match on their name or their own id." }
            }
        }
        @if let Some((workspace, contacts, accounts)) = &found {
            section aria-labelledby="contacts-heading" {
                h2 id="contacts-heading" { "Contacts" }
                @if contacts.is_empty() {
                    p.muted { "No contact's email or name contains “" (text) "”." }
                } @else {
                    @if contacts.len() as u64 == CONTACTS_SHOWN { p.help { "The first " (CONTACTS_SHOWN) " matches, most recently seen first; type more to narrow them." } }
                    div.scroll {
                        table {
                            thead { tr { th scope="col" { "Name" } th scope="col" { "Email" } th scope="col" { "Role" } th scope="col" { "Last seen" } } }
                            tbody {
                                @for c in contacts {
                                    @let contact = &c.contact.contact;
                                    tr {
                                        th scope="row" {
                                            a href=(profile_url("contacts", c.icsync_id, workspace)) {
                                                (contact.name.as_deref().or(contact.email.as_deref()).unwrap_or("(no name)"))
                                            }
                                        }
                                        td { (contact.email.as_deref().unwrap_or("—")) }
                                        td { (contact.role.as_str()) }
                                        td { (when_or(contact.last_seen_at, "never")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="accounts-heading" {
                h2 id="accounts-heading" { "Accounts" }
                @if accounts.is_empty() {
                    p.muted { "No account's name or id contains “" (text) "”." }
                } @else {
                    ul.results {
                        @for a in accounts {
                            @let company = &a.company.company;
                            li {
                                a href=(profile_url("accounts", a.icsync_id, workspace)) {
                                    (company.name.as_deref().unwrap_or("(no name)"))
                                }
                                @if let Some(id) = &company.company_id { " — " code { (id) } }
                                @if let Some(plan) = &company.plan_name { " · " (plan) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(
        "Search profiles",
        &session,
        Section::Search,
        body,
    ))
}
