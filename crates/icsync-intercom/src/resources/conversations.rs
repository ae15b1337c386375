//! Conversations: list and search as page streams (no parts), the conversations of one contact, and get with
//! parts (flagging when Intercom returned fewer parts than it has).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::client::IntercomClient;
use crate::error::Error;
use crate::models::{Conversation, Pages};
use crate::page::{Cursor, PageStream, paginate, wrong_cursor};
use crate::resources::contacts::search_stream;
use crate::resources::{cursor_page, segment};
use crate::search::{Query, SearchRequest, SortOrder, conversation};
use crate::transport::{Call, Kind};

/// Conversations sub-client.
#[derive(Debug, Clone)]
pub struct Conversations {
    client: IntercomClient,
}

#[derive(Debug, Deserialize)]
struct ConversationListWire {
    #[serde(default, alias = "data")]
    conversations: crate::models::Items<Conversation>,
    #[serde(default)]
    total_count: Option<u64>,
    #[serde(default)]
    pages: Option<Pages>,
}

impl Conversations {
    pub(crate) fn new(client: IntercomClient) -> Self {
        Conversations { client }
    }

    /// `GET /conversations`: every conversation, without parts.
    pub fn list(&self) -> PageStream<Conversation> {
        self.list_from(Cursor::Start)
    }

    /// `GET /conversations` resumed from a stored cursor.
    pub fn list_from(&self, cursor: Cursor) -> PageStream<Conversation> {
        let client = self.client.clone();
        paginate(cursor, move |cursor| {
            let client = client.clone();
            async move {
                let mut call = Call::get("/conversations", Kind::List, "conversation list")
                    .query("per_page", client.page_size);
                match &cursor {
                    Cursor::Start => {}
                    Cursor::StartingAfter { starting_after } => {
                        call = call.query("starting_after", starting_after)
                    }
                    other => return Err(wrong_cursor("conversation list", other)),
                }
                let list: ConversationListWire =
                    client.transport.json(&call, client.priority).await?;
                Ok(cursor_page(
                    list.conversations,
                    cursor,
                    list.pages.as_ref(),
                    list.total_count,
                ))
            }
        })
    }

    /// `POST /conversations/search`.
    pub fn search(&self, search: impl Into<SearchRequest>) -> PageStream<Conversation> {
        self.search_from(search, Cursor::Start)
    }

    /// A conversation search resumed from a stored cursor (same query as the run that stored it).
    pub fn search_from(
        &self,
        search: impl Into<SearchRequest>,
        cursor: Cursor,
    ) -> PageStream<Conversation> {
        search_stream(
            self.client.clone(),
            "/conversations/search",
            "conversation search results",
            search.into(),
            cursor,
        )
    }

    /// The conversations of one contact (there is no per-contact list in 2.x: a search on `contact_ids`),
    /// optionally only those updated after `updated_after`, oldest update first.
    pub fn for_contact(
        &self,
        contact_id: &str,
        updated_after: Option<DateTime<Utc>>,
    ) -> PageStream<Conversation> {
        let by_contact = conversation::contact_ids().eq(contact_id);
        let query = match updated_after {
            Some(at) => Query::and([by_contact, conversation::updated_at().gt(at)]),
            None => by_contact,
        };
        self.search(SearchRequest::new(query).sorted_by("updated_at", SortOrder::Ascending))
    }

    /// `GET /conversations/{id}` with its parts (at most the 500 most recent: see
    /// [`Conversation::parts_completeness`]).
    pub async fn get(&self, id: &str) -> Result<Conversation, Error> {
        let call = Call::get(
            format!("/conversations/{}", segment(id)),
            Kind::Read,
            "conversation",
        );
        self.client
            .transport
            .json(&call, self.client.priority)
            .await
    }

    /// Like [`Conversations::get`], with bodies as plain text (`display_as=plaintext`).
    pub async fn get_plaintext(&self, id: &str) -> Result<Conversation, Error> {
        let call = Call::get(
            format!("/conversations/{}", segment(id)),
            Kind::Read,
            "conversation",
        )
        .query("display_as", "plaintext");
        self.client
            .transport
            .json(&call, self.client.priority)
            .await
    }
}
