//! Shapes shared by several objects: `pages` blocks, addressable lists, tag lists, `{type, id}` references.

use serde::{Deserialize, Serialize};

/// Intercom's `pages` block in its cursor and page-number flavours (every field optional: the spec and reality disagree).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Pages {
    /// The page number of this page (1-based).
    #[serde(default)]
    pub page: Option<u32>,
    /// Items per page.
    #[serde(default)]
    pub per_page: Option<u32>,
    /// Number of pages.
    #[serde(default)]
    pub total_pages: Option<u32>,
    /// Next page: `{page, starting_after}` for cursors, a URL string for events, null at the end.
    #[serde(default)]
    pub next: Option<serde_json::Value>,
}

impl Pages {
    /// `pages.next.starting_after`, when present and non-empty.
    pub fn next_starting_after(&self) -> Option<String> {
        let next = self.next.as_ref()?;
        let cursor = next.get("starting_after")?.as_str()?;
        (!cursor.is_empty()).then(|| cursor.to_owned())
    }

    /// `pages.next` as a URL string, when present.
    pub fn next_url(&self) -> Option<String> {
        let url = self.next.as_ref()?.as_str()?;
        (!url.is_empty()).then(|| url.to_owned())
    }
}

/// An inline list on a contact (`tags`, `notes`, `companies`): at most 10 items; follow `url` when `has_more`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AddressableList {
    /// Items, each `{type, id, url}`.
    #[serde(default, deserialize_with = "crate::serde_util::null_default")]
    pub data: Vec<ObjectRef>,
    /// Path of the full list.
    #[serde(default)]
    pub url: Option<String>,
    /// Total number of items.
    #[serde(default)]
    pub total_count: Option<u64>,
    /// More items exist than are inline.
    #[serde(default)]
    pub has_more: Option<bool>,
}

/// A `{type, id}` reference to another object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ObjectRef {
    /// `company`, `tag`, `note`, `contact`, `admin`, ...
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The object's id.
    #[serde(default, with = "crate::serde_util::id_opt")]
    pub id: Option<String>,
    /// Its API path, when given.
    #[serde(default)]
    pub url: Option<String>,
}

/// `{type: "tag.list", tags: [...]}` on companies and conversations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TagList {
    /// The tags.
    #[serde(default, deserialize_with = "crate::serde_util::null_default")]
    pub tags: Vec<crate::models::Tag>,
}
