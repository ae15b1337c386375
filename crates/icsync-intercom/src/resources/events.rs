//! Data events of one contact (`GET /events`, following `pages.next` URLs) and their summaries.
//! Intercom lists only the last 90 days, per contact; events have no ids.

use serde::Deserialize;

use crate::client::IntercomClient;
use crate::error::Error;
use crate::models::{DataEvent, EventSummaries, Pages};
use crate::page::{Cursor, Page, PageStream, paginate, wrong_cursor};
use crate::transport::{Call, Kind};

/// Whose events to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventsFor {
    /// The contact's Intercom id (works for leads too; preferred).
    IntercomId(String),
    /// The contact's external id (`user_id`).
    UserId(String),
    /// The contact's email (409 when several contacts share it).
    Email(String),
}

impl EventsFor {
    fn param(&self) -> (&'static str, &str) {
        match self {
            EventsFor::IntercomId(id) => ("intercom_user_id", id),
            EventsFor::UserId(id) => ("user_id", id),
            EventsFor::Email(email) => ("email", email),
        }
    }
}

/// Events sub-client.
#[derive(Debug, Clone)]
pub struct Events {
    client: IntercomClient,
}

#[derive(Debug, Deserialize)]
struct EventListWire {
    #[serde(default)]
    events: crate::models::Items<DataEvent>,
    #[serde(default)]
    pages: Option<Pages>,
}

impl Events {
    pub(crate) fn new(client: IntercomClient) -> Self {
        Events { client }
    }

    /// Every listable event of one contact (newest first, the last 90 days), following `pages.next`.
    pub fn list(&self, contact: &EventsFor) -> PageStream<DataEvent> {
        self.list_from(contact, Cursor::Start)
    }

    /// A contact's events resumed from a stored cursor ([`Cursor::Start`] or [`Cursor::NextUrl`]). A next URL is
    /// always sent to the configured base URL (only its path and query are used), never to another host.
    pub fn list_from(&self, contact: &EventsFor, cursor: Cursor) -> PageStream<DataEvent> {
        let client = self.client.clone();
        let contact = contact.clone();
        paginate(cursor, move |cursor| {
            let (client, contact) = (client.clone(), contact.clone());
            async move {
                let call = match &cursor {
                    Cursor::Start => {
                        let (key, value) = contact.param();
                        Call::get("/events", Kind::List, "event list")
                            .query("type", "user")
                            .query(key, value)
                            .query("per_page", client.page_size)
                    }
                    Cursor::NextUrl { path } => Call::get(path.clone(), Kind::List, "event list"),
                    other => return Err(wrong_cursor("event list", other)),
                };
                let list: EventListWire = client.transport.json(&call, client.priority).await?;
                let next = match list.pages.as_ref().and_then(Pages::next_url) {
                    Some(url) if list.events.sent() > 0 => Cursor::NextUrl {
                        path: path_and_query(&url)?,
                    },
                    _ => Cursor::Done,
                };
                Ok(Page::from_items(list.events, cursor, next, None))
            }
        })
    }

    /// `GET /events?summary=true`: counts and first/last times per event name (all time, not only 90 days).
    pub async fn summaries(&self, contact: &EventsFor) -> Result<EventSummaries, Error> {
        let (key, value) = contact.param();
        let call = Call::get("/events", Kind::Read, "event summaries")
            .query("type", "user")
            .query(key, value)
            .query("summary", "true");
        self.client
            .transport
            .json(&call, self.client.priority)
            .await
    }
}

/// The path and query of an absolute (or relative) next-page URL.
fn path_and_query(next: &str) -> Result<String, Error> {
    let base = url::Url::parse("http://relative.invalid/")
        .map_err(|e| Error::InvalidCursor(e.to_string()))?;
    let url = base
        .join(next)
        .map_err(|e| Error::InvalidCursor(format!("next page URL {next:?}: {e}")))?;
    Ok(match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_urls_keep_only_path_and_query() {
        let next = "https://api.intercom.io/events?type=user&intercom_user_id=667d&per_page=150&before=1719492777000";
        assert_eq!(
            path_and_query(next).ok().as_deref(),
            Some("/events?type=user&intercom_user_id=667d&per_page=150&before=1719492777000")
        );
        assert_eq!(
            path_and_query("/events?before=1").ok().as_deref(),
            Some("/events?before=1")
        );
        assert_eq!(
            path_and_query("http://evil.example/steal").ok().as_deref(),
            Some("/steal")
        );
    }
}
