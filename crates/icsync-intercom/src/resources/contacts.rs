//! Contacts: list and search as page streams, get, create (never duplicated), update, archive, and a
//! contact's companies and tags.

use serde_json::{Map, Value};

use crate::client::IntercomClient;
use crate::error::Error;
use crate::models::{Company, Contact, ContactArchived, ContactDeleted, ContactWrite, Tag};
use crate::page::{Cursor, PageStream, paginate, wrong_cursor};
use crate::resources::{Created, ListWire, cursor_page, numbered_page, page_number, segment};
use crate::search::SearchRequest;
use crate::transport::{Call, Kind, Repeat};

/// Contacts sub-client.
#[derive(Debug, Clone)]
pub struct Contacts {
    client: IntercomClient,
}

impl Contacts {
    pub(crate) fn new(client: IntercomClient) -> Self {
        Contacts { client }
    }

    /// `GET /contacts`: every contact (users and leads interleaved), 150 per page.
    pub fn list(&self) -> PageStream<Contact> {
        self.list_from(Cursor::Start)
    }

    /// `GET /contacts` resumed from a stored cursor ([`Cursor::Start`] or [`Cursor::StartingAfter`]).
    pub fn list_from(&self, cursor: Cursor) -> PageStream<Contact> {
        let client = self.client.clone();
        paginate(cursor, move |cursor| {
            let client = client.clone();
            async move {
                let mut call = Call::get("/contacts", Kind::List, "contact list")
                    .query("per_page", client.page_size);
                match &cursor {
                    Cursor::Start => {}
                    Cursor::StartingAfter { starting_after } => {
                        call = call.query("starting_after", starting_after)
                    }
                    other => return Err(wrong_cursor("contact list", other)),
                }
                let list: ListWire<Contact> = client.transport.json(&call, client.priority).await?;
                Ok(cursor_page(
                    list.data,
                    cursor,
                    list.pages.as_ref(),
                    list.total_count,
                ))
            }
        })
    }

    /// `POST /contacts/search`: contacts matching `search` (the query is validated first; the cursor travels
    /// in the body's `pagination`).
    pub fn search(&self, search: impl Into<SearchRequest>) -> PageStream<Contact> {
        self.search_from(search, Cursor::Start)
    }

    /// A contact search resumed from a stored cursor; pass the same query as the run that stored it.
    pub fn search_from(
        &self,
        search: impl Into<SearchRequest>,
        cursor: Cursor,
    ) -> PageStream<Contact> {
        search_stream(
            self.client.clone(),
            "/contacts/search",
            "contact search results",
            search.into(),
            cursor,
        )
    }

    /// `GET /contacts/{id}`. Merged-away and archived contacts answer [`Error::NotFound`].
    pub async fn get(&self, id: &str) -> Result<Contact, Error> {
        let call = Call::get(format!("/contacts/{}", segment(id)), Kind::Read, "contact");
        self.client
            .transport
            .json(&call, self.client.priority)
            .await
    }

    /// `POST /contacts`, never creating a duplicate: when Intercom answers 409 "already exists with id=...",
    /// the existing contact is fetched and returned as [`Created::Existing`]. A create is repeated after an
    /// ambiguous failure (timeout, dropped connection, 5xx) only when the body has an email or external id,
    /// because then a repeat can only answer 409; otherwise the error is returned.
    pub async fn create(&self, contact: &ContactWrite) -> Result<Created<Contact>, Error> {
        let repeat = if contact.has_identity() {
            Repeat::Idempotent
        } else {
            Repeat::OnlyIfNotProcessed
        };
        let call = Call::post("/contacts", Kind::Write, "created contact")
            .body(to_value(contact)?)
            .repeat(repeat);
        match self
            .client
            .transport
            .json(&call, self.client.priority)
            .await
        {
            Ok(created) => Ok(Created::New(created)),
            Err(Error::Conflict {
                existing_id: Some(id),
                ..
            }) => {
                tracing::info!(workspace = %self.client.transport.label, contact = %id, "contact already exists, using it");
                Ok(Created::Existing(self.get(&id).await?))
            }
            Err(err) => Err(err),
        }
    }

    /// `POST /contacts` without resolving a conflict: a 409 comes back as [`Error::Conflict`]
    /// with the existing contact's id and whether it is archived (an archived contact cannot
    /// be read until it is unarchived). Repeated after an ambiguous failure only when the body
    /// has an email or external id (a repeat can then only answer 409).
    pub async fn create_or_conflict(&self, contact: &ContactWrite) -> Result<Contact, Error> {
        let repeat = if contact.has_identity() {
            Repeat::Idempotent
        } else {
            Repeat::OnlyIfNotProcessed
        };
        let call = Call::post("/contacts", Kind::Write, "created contact")
            .body(to_value(contact)?)
            .repeat(repeat);
        self.client
            .transport
            .json(&call, self.client.priority)
            .await
    }

    /// `POST /contacts/{id}/unarchive` (repeating it cannot do harm).
    pub async fn unarchive(&self, id: &str) -> Result<ContactArchived, Error> {
        let call = Call::post(
            format!("/contacts/{}/unarchive", segment(id)),
            Kind::Write,
            "unarchived contact",
        )
        .safe_to_repeat();
        self.client
            .transport
            .json(&call, self.client.priority)
            .await
    }

    /// `DELETE /contacts/{id}`: permanent.
    pub async fn delete(&self, id: &str) -> Result<ContactDeleted, Error> {
        let call = Call::new(
            reqwest::Method::DELETE,
            format!("/contacts/{}", segment(id)),
            Kind::Write,
            "deleted contact",
        );
        self.client
            .transport
            .json(&call, self.client.priority)
            .await
    }

    /// `POST /contacts/{id}/tags` `{id: tag_id}`: tags the contact (tagging twice changes
    /// nothing, so a repeat is safe).
    pub async fn attach_tag(&self, contact_id: &str, tag_id: &str) -> Result<Tag, Error> {
        let call = Call::post(
            format!("/contacts/{}/tags", segment(contact_id)),
            Kind::Write,
            "tag attached to a contact",
        )
        .body(serde_json::json!({ "id": tag_id }))
        .safe_to_repeat();
        self.client
            .transport
            .json(&call, self.client.priority)
            .await
    }

    /// `DELETE /contacts/{id}/tags/{tag_id}`.
    pub async fn detach_tag(&self, contact_id: &str, tag_id: &str) -> Result<Tag, Error> {
        let call = Call::new(
            reqwest::Method::DELETE,
            format!("/contacts/{}/tags/{}", segment(contact_id), segment(tag_id)),
            Kind::Write,
            "tag detached from a contact",
        );
        self.client
            .transport
            .json(&call, self.client.priority)
            .await
    }

    /// `PUT /contacts/{id}`: a partial update (only the fields set are sent).
    pub async fn update(&self, id: &str, update: &ContactWrite) -> Result<Contact, Error> {
        let call = Call::put(
            format!("/contacts/{}", segment(id)),
            Kind::Write,
            "updated contact",
        )
        .body(to_value(update)?);
        self.client
            .transport
            .json(&call, self.client.priority)
            .await
    }

    /// Sets custom attributes on a contact (a `null` value clears one; keys not sent are kept).
    pub async fn update_custom_attributes(
        &self,
        id: &str,
        attributes: Map<String, Value>,
    ) -> Result<Contact, Error> {
        self.update(id, &ContactWrite::custom_attributes(attributes))
            .await
    }

    /// `POST /contacts/{id}/archive`.
    pub async fn archive(&self, id: &str) -> Result<ContactArchived, Error> {
        let call = Call::post(
            format!("/contacts/{}/archive", segment(id)),
            Kind::Write,
            "archived contact",
        );
        self.client
            .transport
            .json(&call, self.client.priority)
            .await
    }

    /// `GET /contacts/{id}/companies`: every company of a contact (page numbers).
    pub fn companies(&self, contact_id: &str) -> PageStream<Company> {
        self.companies_from(contact_id, Cursor::Start)
    }

    /// The companies of a contact, resumed from a stored cursor.
    pub fn companies_from(&self, contact_id: &str, cursor: Cursor) -> PageStream<Company> {
        let client = self.client.clone();
        let path = format!("/contacts/{}/companies", segment(contact_id));
        paginate(cursor, move |cursor| {
            let (client, path) = (client.clone(), path.clone());
            async move {
                let page = page_number(&cursor)
                    .ok_or_else(|| wrong_cursor("companies of a contact", &cursor))?;
                let call = Call::get(path, Kind::List, "companies of a contact")
                    .query("page", page)
                    .query("per_page", client.page_size);
                let list: ListWire<Company> = client.transport.json(&call, client.priority).await?;
                Ok(numbered_page(
                    list.data,
                    cursor,
                    page,
                    list.pages.as_ref(),
                    list.total_count,
                ))
            }
        })
    }

    /// `GET /contacts/{id}/tags`.
    pub async fn tags(&self, contact_id: &str) -> Result<Vec<Tag>, Error> {
        let call = Call::get(
            format!("/contacts/{}/tags", segment(contact_id)),
            Kind::Read,
            "tags of a contact",
        );
        let list: ListWire<Tag> = self
            .client
            .transport
            .json(&call, self.client.priority)
            .await?;
        Ok(list.data.into_vec())
    }
}

pub(crate) fn to_value(body: &impl serde::Serialize) -> Result<Value, Error> {
    serde_json::to_value(body).map_err(|e| Error::Config(format!("request body: {e}")))
}

/// A search stream over `path` (contacts or conversations): the query is validated once, then each page
/// sends `{query, pagination: {per_page, starting_after}, sort}`.
pub(crate) fn search_stream<T>(
    client: IntercomClient,
    path: &'static str,
    what: &'static str,
    search: SearchRequest,
    cursor: Cursor,
) -> PageStream<T>
where
    T: serde::de::DeserializeOwned + Send + 'static,
{
    // Validated once, before any request; the stream then yields the error as its only item.
    let invalid: Option<String> = match search.query.validate() {
        Err(Error::InvalidQuery(message)) => Some(message),
        Err(other) => Some(other.to_string()),
        Ok(()) => None,
    };
    paginate(cursor, move |cursor| {
        let (client, search, invalid) = (client.clone(), search.clone(), invalid.clone());
        async move {
            if let Some(message) = invalid {
                return Err(Error::InvalidQuery(message));
            }
            let starting_after = match &cursor {
                Cursor::Start => None,
                Cursor::StartingAfter { starting_after } => Some(starting_after.as_str()),
                other => return Err(wrong_cursor(what, other)),
            };
            // A search sent as POST: a read, safe to repeat.
            let call = Call::post(path, Kind::List, what)
                .safe_to_repeat()
                .body(search.body(client.page_size, starting_after));
            let list: SearchWire<T> = client.transport.json(&call, client.priority).await?;
            Ok(cursor_page(
                list.items,
                cursor,
                list.pages.as_ref(),
                list.total_count,
            ))
        }
    })
}

/// A search answer: `data` for contacts, `conversations` for conversations.
#[derive(Debug, serde::Deserialize)]
#[serde(bound(deserialize = "T: serde::de::DeserializeOwned"))]
struct SearchWire<T> {
    #[serde(default, alias = "data", alias = "conversations")]
    items: crate::models::Items<T>,
    #[serde(default)]
    total_count: Option<u64>,
    #[serde(default)]
    pages: Option<crate::models::Pages>,
}
