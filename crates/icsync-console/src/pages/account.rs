//! `GET /accounts/{key}` (host or admin): an account (Intercom company) from the API's own
//! assembly ([`ops::account_profile`]): its attributes, custom attributes, CS attributes, its
//! contacts, and an activity chart of its contacts' events and sessions per day (the daily
//! rollups of the last 30 days).

use crate::ConsoleState;
use crate::chart::{DayActivity, activity_chart};
use crate::error::ConsoleResult;
use crate::format::{self, number, when, when_or};
use crate::layout::{self, Section};
use crate::pages::contact::CHART_DAYS;
use crate::pages::search::profile_url;
use crate::pages::{attribute_list, cs_section, row};
use crate::session::Signed;
use axum::extract::{Path, Query, State};
use icsync_api::model::{AccountProfileView, RollupsView};
use icsync_api::ops;
use maud::{Markup, html};
use serde::Deserialize;

/// Contacts an account page lists.
const CONTACTS: u32 = 100;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct AccountQuery {
    workspace: Option<String>,
}

pub(crate) async fn page(
    Signed(session): Signed,
    State(state): State<ConsoleState>,
    Path(key): Path<String>,
    Query(query): Query<AccountQuery>,
) -> ConsoleResult<Markup> {
    let profile =
        ops::account_profile(state.api(), query.workspace.as_deref(), key, Some(CONTACTS)).await?;
    let title = profile
        .account
        .name
        .clone()
        .unwrap_or_else(|| format!("Account {}", profile.key));
    let body = render(&profile, &title);
    Ok(layout::page(&title, &session, Section::Search, body))
}

/// Every day of the rollups' range, days without activity as zeros.
fn activity(rollups: &RollupsView) -> Vec<DayActivity> {
    rollups
        .from
        .iter_days()
        .take_while(|d| *d <= rollups.to)
        .take(CHART_DAYS as usize)
        .map(|day| {
            let found = rollups.days.iter().find(|r| r.day == day);
            DayActivity {
                day,
                events: found.map_or(0, |r| r.events.values().sum()),
                sessions: found.map_or(0, |r| r.sessions),
            }
        })
        .collect()
}

fn render(profile: &AccountProfileView, title: &str) -> Markup {
    let a = &profile.account;
    html! {
        h1 { (title) }
        p.subtitle { "Account (Intercom company) · workspace " (profile.workspace) }
        section aria-labelledby="attributes-heading" {
            h2 id="attributes-heading" { "Intercom attributes" }
            dl.attributes {
                (row("Name", a.name.as_deref()))
                (row("Company id", a.company_id.as_deref()))
                dt { "Intercom id" } dd { code { (a.intercom_id) } }
                (row("Plan", a.plan_name.as_deref()))
                (row("Size", a.size.map(number)))
                (row("Website", a.website.as_deref()))
                (row("Industry", a.industry.as_deref()))
                (row("Monthly spend", a.monthly_spend.as_ref().map(format::decimal)))
                (row("Users (Intercom's count)", a.user_count.map(number)))
                (row("Sessions (Intercom's count)", a.session_count.map(number)))
                dt { "Created" } dd { (when_or(a.remote_created_at.or(a.created_at), "—")) }
                (row("Last request", a.last_request_at.map(when)))
                dt { "Imported" } dd { "first " (when(a.first_imported_at)) ", last " (when(a.last_imported_at)) }
            }
            h3 { "Custom attributes" }
            (attribute_list(&a.custom_attributes, "No custom attributes."))
            @if !a.other_attributes.is_empty() {
                details {
                    summary { "Other Intercom attributes (" (a.other_attributes.len()) ")" }
                    (attribute_list(&a.other_attributes, ""))
                }
            }
        }
        (cs_section(profile.cs_attributes.as_ref()))
        section aria-labelledby="activity-heading" {
            h2 id="activity-heading" { "Activity" }
            @match (&profile.rollups, &profile.rollups_error) {
                (Some(rollups), _) => {
                    p.help { "The account's contacts over the last 30 days, in the workspace's time zone (" (rollups.timezone) ")." }
                    (activity_chart("activity-chart", "Events and sessions per day", &activity(rollups)))
                }
                (None, Some(error)) => p.error { "The activity could not be computed: " (error) },
                (None, None) => p.muted { "No activity figures." },
            }
        }
        section aria-labelledby="contacts-heading" {
            h2 id="contacts-heading" { "Contacts (" (number(profile.contacts_total)) ")" }
            @if profile.contacts.is_empty() {
                p.muted { "No contact of this account is stored." }
            } @else {
                @if (profile.contacts.len() as u64) < profile.contacts_total {
                    p.help { "The " (profile.contacts.len()) " most recently seen." }
                }
                div.scroll {
                    table {
                        thead { tr { th scope="col" { "Name" } th scope="col" { "Email" } th scope="col" { "Role" } th scope="col" { "Last seen" } } }
                        tbody {
                            @for c in &profile.contacts {
                                tr {
                                    th scope="row" {
                                        a href=(profile_url("contacts", c.icsync_id, &profile.workspace)) {
                                            (c.name.as_deref().or(c.email.as_deref()).unwrap_or("(no name)"))
                                        }
                                    }
                                    td { (c.email.as_deref().unwrap_or("—")) }
                                    td { (c.role) }
                                    td { (when_or(c.last_seen_at, "never")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
