//! `GET /contacts/{key}` (host or admin): a contact's profile from the API's own assembly
//! ([`ops::contact_profile`], which runs the on-view fetch first): Intercom and custom
//! attributes, companies, CS attributes, an activity chart of the last 30 days, recent events
//! and sessions, and the conversation timeline with every stored message, "500 of 1,204
//! messages" where Intercom truncated, and "Reply on Intercom". Marked stale when the on-view
//! fetch could not reach Intercom.

use crate::ConsoleState;
use crate::chart::{DayActivity, activity_chart};
use crate::error::ConsoleResult;
use crate::format::{self, duration, number, when, when_or};
use crate::layout::{self, Section};
use crate::pages::{attribute_list, cs_section, json_text, row};
use crate::session::Signed;
use crate::text::html_to_text;
use axum::extract::{Path, Query, State};
use chrono::{Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use icsync_api::model::{
    AuthorView, ContactProfileView, ContactView, ConversationDetail, ConversationView, PartView,
};
use icsync_api::{TimelineStatus, ops, zone_of};
use icsync_domain::ContactId;
use maud::{Markup, html};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Days the activity chart covers.
pub(crate) const CHART_DAYS: u64 = 30;
/// Conversations a profile shows (the API's most).
const CONVERSATIONS: u32 = 100;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ProfileQuery {
    workspace: Option<String>,
}

/// The days `[today - 29, today]` of `zone`, with their first instants in UTC.
pub(crate) fn chart_days(
    zone: Tz,
) -> (Vec<NaiveDate>, chrono::DateTime<Utc>, chrono::DateTime<Utc>) {
    let today = Utc::now().with_timezone(&zone).date_naive();
    let first = today
        .checked_sub_days(Days::new(CHART_DAYS - 1))
        .unwrap_or(today);
    let days: Vec<NaiveDate> = first.iter_days().take(CHART_DAYS as usize).collect();
    let start = |day: NaiveDate| {
        zone.from_local_datetime(&day.and_time(NaiveTime::MIN))
            .earliest()
            .map_or_else(
                || Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN)),
                |t| t.with_timezone(&Utc),
            )
    };
    let end_day = today.succ_opt().unwrap_or(today);
    (days, start(first), start(end_day))
}

pub(crate) async fn page(
    Signed(session): Signed,
    State(state): State<ConsoleState>,
    Path(key): Path<String>,
    Query(query): Query<ProfileQuery>,
) -> ConsoleResult<Markup> {
    let api = state.api();
    let profile = ops::contact_profile(
        api,
        query.workspace.as_deref(),
        key,
        Some(20),
        Some(CONVERSATIONS),
    )
    .await?;
    let workspace = ops::resolve_workspace(api, Some(&profile.workspace)).await?;
    let details = futures::future::try_join_all(
        profile
            .conversations
            .iter()
            .map(|c| ops::conversation_detail(api, Some(&profile.workspace), c.id.clone())),
    )
    .await?;

    // The chart: events and sessions per day of the workspace's zone.
    let zone = zone_of(&workspace);
    let (days, from, to) = chart_days(zone);
    let ids: Vec<ContactId> = profile
        .contacts
        .iter()
        .map(|c| ContactId::new(c.intercom_id.clone()))
        .collect();
    let store = api.store();
    let events = store
        .events_of_contacts_between(workspace.id, &ids, from, to)
        .await?;
    let sessions = store
        .sessions_of_contacts_between(workspace.id, &ids, from, to)
        .await?;
    let mut per_day: BTreeMap<NaiveDate, (u64, u64)> = days.iter().map(|d| (*d, (0, 0))).collect();
    for e in &events {
        if let Some(day) = per_day.get_mut(&e.occurred_at.with_timezone(&zone).date_naive()) {
            day.0 += 1;
        }
    }
    for s in &sessions {
        if let Some(day) = per_day.get_mut(&s.started_at.with_timezone(&zone).date_naive()) {
            day.1 += 1;
        }
    }
    let activity: Vec<DayActivity> = per_day
        .into_iter()
        .map(|(day, (events, sessions))| DayActivity {
            day,
            events,
            sessions,
        })
        .collect();

    let title = profile_title(&profile);
    let body = render(&profile, &details, &activity, zone.name());
    Ok(layout::page(&title, &session, Section::Search, body))
}

fn profile_title(profile: &ContactProfileView) -> String {
    profile
        .contacts
        .first()
        .and_then(|c| c.name.clone().or_else(|| c.email.clone()))
        .unwrap_or_else(|| format!("Contact {}", profile.key))
}

fn render(
    profile: &ContactProfileView,
    details: &[ConversationDetail],
    activity: &[DayActivity],
    zone: &str,
) -> Markup {
    let several = profile.contacts.len() > 1;
    html! {
        h1 { (profile_title(profile)) }
        p.subtitle {
            @if let Some(email) = profile.contacts.first().and_then(|c| c.email.as_deref()) { (email) " · " }
            "workspace " (profile.workspace)
        }
        (freshness(profile))
        @if several {
            p.notice { (profile.contacts.len()) " Intercom contacts share this email; each is shown below, and the timeline holds all their conversations." }
        }
        @for contact in &profile.contacts { (contact_section(contact, &profile.workspace, several)) }
        section aria-labelledby="activity-heading" {
            h2 id="activity-heading" { "Activity" }
            p.help { "The last 30 days in the workspace's time zone (" (zone) "). Sessions are rebuilt by icsync from the events." }
            (activity_chart("activity-chart", "Events and sessions per day", activity))
            @let s = &profile.sessions;
            dl.figures {
                dt { "Sessions in all" } dd { (number(s.total)) }
                dt { "In the last 30 days" } dd { (number(s.last_30_days)) }
                dt { "Last session" } dd { (when_or(s.last_session_at, "none")) }
                dt { "Average length (30 days)" } dd { (s.average_duration_secs_30_days.map_or("—".to_owned(), duration)) }
            }
        }
        section aria-labelledby="events-heading" {
            h2 id="events-heading" { "Recent events" }
            @if profile.recent_events.is_empty() {
                p.muted { "No events imported." }
            } @else {
                div.scroll {
                    table {
                        thead { tr { th scope="col" { "Event" } th scope="col" { "When" } th scope="col" { "Details" } } }
                        tbody {
                            @for e in &profile.recent_events {
                                tr {
                                    th scope="row" { (e.event_name) }
                                    td { (when(e.occurred_at)) }
                                    td {
                                        @for (i, (k, v)) in e.metadata.iter().enumerate() {
                                            @if i > 0 { ", " } (k) ": " (json_text(v))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        (timeline(&profile.conversations, details))
    }
}

fn freshness(profile: &ContactProfileView) -> Markup {
    let t = &profile.timeline;
    html! {
        @if t.status == TimelineStatus::Stale {
            div.stale role="status" {
                p {
                    strong { "Stale: " }
                    (t.error.as_deref().unwrap_or("icsync could not reach Intercom just now"))
                    ". The conversations below are what icsync last stored"
                    @if let Some(at) = t.fetched_at { ", fetched " (when(at)) }
                    "; reload the page later for a fresh copy."
                }
            }
        } @else {
            p.fresh {
                "Conversations fetched from Intercom "
                (when_or(t.fetched_at, "just now"))
                "."
            }
        }
    }
}

fn contact_section(c: &ContactView, workspace: &str, several: bool) -> Markup {
    let heading_id = format!("contact-{}", c.icsync_id);
    let location: Vec<&str> = [&c.location.city, &c.location.region, &c.location.country]
        .into_iter()
        .filter_map(|p| p.as_deref())
        .collect();
    html! {
        section.contact aria-labelledby=(heading_id) {
            h2 id=(heading_id) {
                @if several { "Intercom contact " code { (c.intercom_id) } } @else { "Intercom attributes" }
            }
            @if let Some(at) = c.deleted_at {
                p.warning { "Intercom no longer has this contact (answered 404 " (when(at)) "); icsync keeps what it imported." }
            }
            dl.attributes {
                (row("Name", c.name.as_deref()))
                (row("Email", c.email.as_deref()))
                dt { "Role" } dd { (c.role) }
                (row("Phone", c.phone.as_deref()))
                (row("External id", c.external_id.as_deref()))
                dt { "Intercom id" } dd { code { (c.intercom_id) } }
                (row("Owner (Intercom admin id)", c.owner_id.as_deref()))
                @if !location.is_empty() { dt { "Location" } dd { (location.join(", ")) } }
                dt { "Created" } dd { (when_or(c.created_at, "—")) }
                (row("Signed up", c.signed_up_at.map(when)))
                dt { "Last seen" } dd { (when_or(c.last_seen_at, "never")) }
                (row("Last replied", c.last_replied_at.map(when)))
                (row("Last contacted", c.last_contacted_at.map(when)))
                dt { "Email subscription" } dd { @if c.unsubscribed_from_emails { "Unsubscribed" } @else { "Subscribed" } }
                dt { "Imported" } dd { "first " (when(c.first_imported_at)) ", last " (when(c.last_imported_at)) }
            }
            h3 { "Custom attributes" }
            (attribute_list(&c.custom_attributes, "No custom attributes."))
            @if !c.other_attributes.is_empty() {
                details {
                    summary { "Other Intercom attributes (" (c.other_attributes.len()) ")" }
                    (attribute_list(&c.other_attributes, ""))
                }
            }
            h3 { "Companies" }
            @if c.companies.is_empty() {
                p.muted { "Not in any company." }
            } @else {
                ul.results {
                    @for company in &c.companies {
                        li {
                            a href=(format!("/accounts/intercom:{}?workspace={}", format::path_segment(&company.intercom_id), format::query_value(workspace))) {
                                (company.name.as_deref().unwrap_or("(no name)"))
                            }
                            @if let Some(plan) = &company.plan_name { " · " (plan) }
                            @if let Some(users) = company.user_count { " · " (number(users)) " users" }
                        }
                    }
                }
            }
            (cs_section(c.cs_attributes.as_ref()))
        }
    }
}

fn author_name(a: &AuthorView) -> String {
    let who = a
        .name
        .clone()
        .or_else(|| a.email.clone())
        .unwrap_or_else(|| "someone".to_owned());
    match a.kind.as_deref() {
        Some(kind) => format!("{who} ({kind})"),
        None => who,
    }
}

/// "500 of 1,204 messages", or "12 messages".
pub(crate) fn message_count(c: &ConversationView) -> String {
    match c.parts_reported {
        Some(reported) if c.truncated => format!(
            "{} of {} messages",
            number(c.parts_stored),
            number(reported)
        ),
        _ => {
            let n = c.parts_stored;
            format!("{} message{}", number(n), if n == 1 { "" } else { "s" })
        }
    }
}

fn timeline(conversations: &[ConversationView], details: &[ConversationDetail]) -> Markup {
    html! {
        section aria-labelledby="timeline-heading" {
            h2 id="timeline-heading" { "Conversations (" (conversations.len()) ")" }
            @if conversations.is_empty() {
                p.muted { "No conversations stored for this contact." }
            }
            @for (i, c) in conversations.iter().enumerate() {
                @let parts = details.iter().find(|d| d.conversation.id == c.id).map(|d| d.parts.as_slice()).unwrap_or(&[]);
                (conversation(i, c, parts))
            }
        }
    }
}

fn conversation(index: usize, c: &ConversationView, parts: &[PartView]) -> Markup {
    let heading_id = format!("conversation-{}", c.id);
    let title = c
        .title
        .clone()
        .or_else(|| c.source.subject.as_deref().map(html_to_text))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| format!("Conversation {}", c.id));
    html! {
        article.conversation aria-labelledby=(heading_id) data-conversation=(c.id) {
            h3 id=(heading_id) { (title) }
            p.meta {
                span class=(if c.open { "state busy" } else { "state off" }) { (c.state) }
                " · started " (when(c.created_at)) " · updated " (when(c.updated_at))
                @if !c.tags.is_empty() { " · tags: " (c.tags.join(", ")) }
            }
            p.count {
                (message_count(c))
                @if let (true, Some(reported)) = (c.truncated, c.parts_reported) {
                    span.truncated {
                        " — Intercom returns only the " (number(c.parts_stored)) " most recent; the "
                        (number((reported - c.parts_stored).max(0))) " older ones are on Intercom."
                    }
                }
            }
            p {
                @match &c.reply_url {
                    Some(url) => {
                        a.reply href=(url) target="_blank" rel="noopener noreferrer" {
                            "Reply on Intercom" span.visually-hidden { " (opens Intercom in a new tab)" }
                        }
                    }
                    None => span.muted { "No Reply link: the workspace's Intercom app id is not known." },
                }
            }
            details open[index == 0] {
                summary { "The messages, oldest first" }
                ol.messages {
                    li.message {
                        p.who { (author_name(&c.source.author)) " · " (when(c.created_at)) }
                        @if let Some(subject) = c.source.subject.as_deref().map(html_to_text).filter(|s| !s.is_empty()) {
                            p.subject { (subject) }
                        }
                        div.body { (c.source.body.as_deref().map(html_to_text).unwrap_or_default()) }
                    }
                    @for part in parts {
                        @let body = part.body.as_deref().map(html_to_text).filter(|b| !b.is_empty());
                        li class=(if body.is_some() { "message" } else { "message event" }) {
                            p.who {
                                (author_name(&part.author)) " · " (when(part.created_at))
                                @if part.part_type != "comment" { " · " (part.part_type.replace('_', " ")) }
                            }
                            @if let Some(body) = body { div.body { (body) } }
                        }
                    }
                }
            }
        }
    }
}
