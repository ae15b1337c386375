//! Pages and resume cursors: every paginated call is a stream of [`Page`]s, each carrying the [`Cursor`] to
//! resume from once the page is stored, so a caller can commit a page and its checkpoint together.

use std::future::Future;

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Where a paginated read stands; serialisable, to be stored as a checkpoint and passed back to a
/// `*_from(cursor)` method of the same stream (with the same query) to resume.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "style", rename_all = "snake_case")]
pub enum Cursor {
    /// From the first page.
    Start,
    /// Cursor pagination (`GET /contacts`, `GET /conversations`, searches): the next page starts after this opaque cursor.
    StartingAfter {
        /// Intercom's `pages.next.starting_after`.
        starting_after: String,
    },
    /// URL pagination (`GET /events`): the next page's path and query (always sent to the configured base URL).
    NextUrl {
        /// Path and query, e.g. `/events?type=user&intercom_user_id=..&before=1719492777000`.
        path: String,
    },
    /// Page-number pagination (companies, contacts of a company, companies of a contact): the next page number.
    Page {
        /// 1-based page number.
        page: u32,
    },
    /// A company scroll: it cannot be resumed, so resuming starts the scroll over (earlier companies come again).
    ScrollRestart,
    /// Nothing left to read.
    Done,
}

impl Cursor {
    /// True when the stream is finished.
    pub fn is_done(&self) -> bool {
        matches!(self, Cursor::Done)
    }

    /// The cursor as a JSON string, for a checkpoint column.
    pub fn to_json(&self) -> String {
        // Serialising a plain enum of strings and integers into a String cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| "{\"style\":\"start\"}".to_owned())
    }

    /// Parses a checkpoint written by [`Cursor::to_json`].
    pub fn from_json(text: &str) -> Result<Cursor, Error> {
        serde_json::from_str(text).map_err(|e| Error::InvalidCursor(format!("{text:?}: {e}")))
    }
}

/// One page of a paginated read.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items, in Intercom's order.
    pub items: Vec<T>,
    /// The cursor this page was requested with.
    pub cursor: Cursor,
    /// Where to resume once this page is stored ([`Cursor::Done`] after the last page).
    pub next: Cursor,
    /// Intercom's `total_count`, when it sent one.
    pub total_count: Option<u64>,
    /// Scroll only: the scroll was restarted before this page, so companies yielded earlier may come again
    /// (consumers upsert; see [`crate::resources::ScrollOptions::dedupe`]).
    pub restarted: bool,
    /// Items of this page that could not be decoded, with their id and the reason (the rest are in `items`).
    pub rejected: Vec<crate::models::RejectedItem>,
}

impl<T> Page<T> {
    /// The same page with each item passed through `f` (the cursors and rejected items kept).
    pub fn map_items<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            cursor: self.cursor,
            next: self.next,
            total_count: self.total_count,
            restarted: self.restarted,
            rejected: self.rejected,
        }
    }

    pub(crate) fn new(
        items: Vec<T>,
        cursor: Cursor,
        next: Cursor,
        total_count: Option<u64>,
    ) -> Page<T> {
        Page {
            items,
            cursor,
            next,
            total_count,
            restarted: false,
            rejected: Vec::new(),
        }
    }

    pub(crate) fn from_items(
        items: crate::models::Items<T>,
        cursor: Cursor,
        next: Cursor,
        total_count: Option<u64>,
    ) -> Page<T> {
        let mut page = Page::new(items.ok, cursor, next, total_count);
        page.rejected = items.rejected;
        page
    }
}

/// A stream of pages; ends after the last page or after the first error (resume from the last stored cursor).
pub type PageStream<T> = BoxStream<'static, Result<Page<T>, Error>>;

/// Drives `fetch(cursor)` from `start` until a page says [`Cursor::Done`] or an error occurs.
pub(crate) fn paginate<T, F, Fut>(start: Cursor, fetch: F) -> PageStream<T>
where
    T: Send + 'static,
    F: FnMut(Cursor) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>, Error>> + Send + 'static,
{
    stream::unfold(Some((start, fetch)), |state| async move {
        let (cursor, mut fetch) = state?;
        if cursor.is_done() {
            return None;
        }
        match fetch(cursor.clone()).await {
            Ok(page) if page.next == cursor => {
                let err = Error::InvalidCursor(format!(
                    "intercom returned the cursor {cursor:?} again; stopping to avoid a loop"
                ));
                Some((Err(err), None))
            }
            Ok(page) => {
                let next = page.next.clone();
                Some((Ok(page), Some((next, fetch))))
            }
            Err(err) => Some((Err(err), None)),
        }
    })
    .boxed()
}

/// Flattens a page stream into its items (for callers that do not checkpoint, e.g. on-view fetches).
pub fn items<T: Send + 'static>(pages: PageStream<T>) -> BoxStream<'static, Result<T, Error>> {
    pages
        .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

/// Reads every page and returns all items.
pub async fn collect_all<T: Send + 'static>(pages: PageStream<T>) -> Result<Vec<T>, Error> {
    items(pages).try_collect().await
}

pub(crate) fn wrong_cursor(stream: &str, cursor: &Cursor) -> Error {
    Error::InvalidCursor(format!("{stream} cannot resume from {cursor:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_through_json() {
        let cursors = [
            Cursor::Start,
            Cursor::StartingAfter {
                starting_after: "WzE3MTk0OTI3NzcwMDAsIjY2N2QiXQ==".into(),
            },
            Cursor::NextUrl {
                path: "/events?type=user&before=1719492777000".into(),
            },
            Cursor::Page { page: 7 },
            Cursor::ScrollRestart,
            Cursor::Done,
        ];
        for cursor in cursors {
            let json = cursor.to_json();
            assert_eq!(
                Cursor::from_json(&json).ok(),
                Some(cursor.clone()),
                "{json}"
            );
        }
        assert_eq!(
            Cursor::Page { page: 3 }.to_json(),
            r#"{"style":"page","page":3}"#
        );
        assert!(matches!(
            Cursor::from_json("{\"style\":\"nope\"}"),
            Err(Error::InvalidCursor(_))
        ));
    }

    #[tokio::test]
    async fn paginate_stops_at_done_and_on_a_repeated_cursor() {
        let pages = paginate(Cursor::Start, |cursor| async move {
            let n = match cursor {
                Cursor::Start => 1,
                Cursor::Page { page } => page,
                _ => 99,
            };
            let next = if n < 3 {
                Cursor::Page { page: n + 1 }
            } else {
                Cursor::Done
            };
            Ok(Page::new(vec![n], cursor, next, None))
        });
        assert_eq!(collect_all(pages).await.ok(), Some(vec![1, 2, 3]));

        let looping = paginate(Cursor::Page { page: 1 }, |cursor| async move {
            Ok(Page::new(vec![1], cursor.clone(), cursor, None))
        });
        let results: Vec<_> = looping.collect().await;
        assert_eq!(results.len(), 1);
        assert!(matches!(results[0], Err(Error::InvalidCursor(_))));
    }
}
