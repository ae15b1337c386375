//! Resource sub-clients (`client.contacts()`, `.companies()`, ...) and the list shapes they decode.

mod admins;
mod companies;
mod contacts;
mod conversations;
mod data_attributes;
mod events;
mod scroll;
mod tags;

pub use admins::Admins;
pub use companies::Companies;
pub use contacts::Contacts;
pub use conversations::Conversations;
pub use data_attributes::DataAttributes;
pub use events::{Events, EventsFor};
pub use scroll::ScrollOptions;
pub use tags::Tags;

use serde::Deserialize;

use crate::models::{Items, Pages};
use crate::page::{Cursor, Page};

/// The outcome of a create that must never produce a duplicate.
#[derive(Debug, Clone, PartialEq)]
pub enum Created<T> {
    /// Intercom created it.
    New(T),
    /// It already existed (found through the conflict answer or a lookup); nothing was created.
    Existing(T),
}

impl<T> Created<T> {
    /// The object, new or existing.
    pub fn into_inner(self) -> T {
        match self {
            Created::New(t) | Created::Existing(t) => t,
        }
    }

    /// True when Intercom created it now.
    pub fn is_new(&self) -> bool {
        matches!(self, Created::New(_))
    }
}

/// `{type: "list", data, total_count, pages}` (contacts, companies, data attributes, tags). The companies of
/// a contact come as `data` in practice and as `companies` in the 2.11 schema: both are accepted.
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "T: serde::de::DeserializeOwned"))]
pub(crate) struct ListWire<T> {
    #[serde(default, alias = "companies")]
    pub data: Items<T>,
    #[serde(default)]
    pub total_count: Option<u64>,
    #[serde(default)]
    pub pages: Option<Pages>,
}

/// A page of a `starting_after` list: the next cursor is `pages.next.starting_after`.
pub(crate) fn cursor_page<T>(
    items: Items<T>,
    cursor: Cursor,
    pages: Option<&Pages>,
    total_count: Option<u64>,
) -> Page<T> {
    let next = match pages.and_then(Pages::next_starting_after) {
        Some(starting_after) if items.sent() > 0 => Cursor::StartingAfter { starting_after },
        _ => Cursor::Done,
    };
    Page::from_items(items, cursor, next, total_count)
}

/// The page number a page-number cursor asks for.
pub(crate) fn page_number(cursor: &Cursor) -> Option<u32> {
    match cursor {
        Cursor::Start => Some(1),
        Cursor::Page { page } => Some(*page),
        _ => None,
    }
}

/// A page of a page-number list: done at `total_pages` (or on an empty page).
pub(crate) fn numbered_page<T>(
    items: Items<T>,
    cursor: Cursor,
    page: u32,
    pages: Option<&Pages>,
    total_count: Option<u64>,
) -> Page<T> {
    let more = items.sent() > 0
        && match pages {
            Some(Pages {
                total_pages: Some(total),
                ..
            }) => page < *total,
            Some(p) => p.next.as_ref().is_some_and(|n| !n.is_null()),
            None => false,
        };
    let next = if more {
        Cursor::Page { page: page + 1 }
    } else {
        Cursor::Done
    };
    Page::from_items(items, cursor, next, total_count)
}

/// Percent-encodes one path segment (ids are normally safe; this keeps odd ones from changing the path).
pub(crate) fn segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
