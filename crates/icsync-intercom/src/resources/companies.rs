//! Companies: list (page numbers, capped at 10,000 by Intercom), scroll (see `scroll.rs`), get, find by the
//! workspace's company id, create-or-update, custom attributes, and a company's contacts.

use serde_json::{Map, Value};

use crate::client::IntercomClient;
use crate::error::Error;
use crate::models::{Company, CompanyUpsert, Contact};
use crate::page::{Cursor, PageStream, paginate, wrong_cursor};
use crate::resources::contacts::to_value;
use crate::resources::{ListWire, ScrollOptions, numbered_page, page_number, segment};
use crate::transport::{Call, Kind};

/// Companies sub-client.
#[derive(Debug, Clone)]
pub struct Companies {
    pub(crate) client: IntercomClient,
}

impl Companies {
    pub(crate) fn new(client: IntercomClient) -> Self {
        Companies { client }
    }

    /// `POST /companies/list?page=&per_page=`: companies with at least one user, most recently seen first.
    /// Intercom stops at 10,000 companies (400 "page limit reached"): use [`Companies::scroll`] for all of them.
    pub fn list(&self) -> PageStream<Company> {
        self.list_from(Cursor::Start)
    }

    /// The company list resumed from a stored [`Cursor::Page`].
    pub fn list_from(&self, cursor: Cursor) -> PageStream<Company> {
        let client = self.client.clone();
        paginate(cursor, move |cursor| {
            let client = client.clone();
            async move {
                let page =
                    page_number(&cursor).ok_or_else(|| wrong_cursor("company list", &cursor))?;
                // A read sent as POST: repeating it cannot do harm.
                let call = Call::post("/companies/list", Kind::List, "company list")
                    .safe_to_repeat()
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

    /// `GET /companies/scroll`: every company, through Intercom's one-per-workspace scroll. See [`ScrollOptions`].
    pub fn scroll(&self, options: ScrollOptions) -> PageStream<Company> {
        crate::resources::scroll::scroll(self.client.clone(), options)
    }

    /// A scroll "resumed" from a checkpoint: a scroll cannot resume, so [`Cursor::Start`] and
    /// [`Cursor::ScrollRestart`] both start over (re-yielding companies; consumers upsert), and
    /// [`Cursor::Done`] yields nothing.
    pub fn scroll_from(&self, cursor: Cursor, options: ScrollOptions) -> PageStream<Company> {
        match cursor {
            Cursor::Start | Cursor::ScrollRestart => self.scroll(options),
            Cursor::Done => Box::pin(futures::stream::empty()),
            other => Box::pin(futures::stream::once(async move {
                Err(wrong_cursor("company scroll", &other))
            })),
        }
    }

    /// `GET /companies/{id}` by Intercom id.
    pub async fn get(&self, id: &str) -> Result<Company, Error> {
        let call = Call::get(format!("/companies/{}", segment(id)), Kind::Read, "company");
        self.client
            .transport
            .json(&call, self.client.priority)
            .await
    }

    /// `GET /companies?company_id=`: the company with the workspace's own id, if any.
    pub async fn find_by_company_id(&self, company_id: &str) -> Result<Option<Company>, Error> {
        let call =
            Call::get("/companies", Kind::Read, "company list").query("company_id", company_id);
        match self
            .client
            .transport
            .json::<Value>(&call, self.client.priority)
            .await
        {
            Ok(value) => {
                // A list (`{type: "list", data}`) in 2.11; a bare company in some versions.
                let company = if value.get("data").is_some() {
                    let list: ListWire<Company> =
                        crate::decode::decode("company list", value.to_string().as_bytes())?;
                    let mut rejected = list.data.rejected;
                    match list.data.ok.into_iter().next() {
                        Some(company) => Some(company),
                        None if !rejected.is_empty() => {
                            let bad = rejected.remove(0);
                            return Err(Error::Decode {
                                what: "company list",
                                field: "data[0]".to_owned(),
                                message: bad.reason,
                                snippet: String::new(),
                                malformed: false,
                            });
                        }
                        None => None,
                    }
                } else {
                    Some(crate::decode::decode(
                        "company",
                        value.to_string().as_bytes(),
                    )?)
                };
                Ok(company)
            }
            Err(Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// `POST /companies`: creates or updates the company keyed on `company_id` (safe to repeat).
    pub async fn upsert(&self, company: &CompanyUpsert) -> Result<Company, Error> {
        // An upsert keyed on `company_id`: a repeat updates the same company to the same values.
        let call = Call::post("/companies", Kind::Write, "company")
            .safe_to_repeat()
            .body(to_value(company)?);
        self.client
            .transport
            .json(&call, self.client.priority)
            .await
    }

    /// Sets custom attributes on the company with the workspace's `company_id` (through the upsert, which 2.11
    /// documents with a body, unlike `PUT /companies/{id}`).
    pub async fn update_custom_attributes(
        &self,
        company_id: &str,
        attributes: Map<String, Value>,
    ) -> Result<Company, Error> {
        let upsert = CompanyUpsert {
            company_id: company_id.to_owned(),
            custom_attributes: attributes,
            ..CompanyUpsert::default()
        };
        self.upsert(&upsert).await
    }

    /// `GET /companies/{id}/contacts`: the contacts of a company (page numbers).
    pub fn contacts(&self, company_id: &str) -> PageStream<Contact> {
        self.contacts_from(company_id, Cursor::Start)
    }

    /// The contacts of a company, resumed from a stored cursor.
    pub fn contacts_from(&self, company_id: &str, cursor: Cursor) -> PageStream<Contact> {
        let client = self.client.clone();
        let path = format!("/companies/{}/contacts", segment(company_id));
        paginate(cursor, move |cursor| {
            let (client, path) = (client.clone(), path.clone());
            async move {
                let page = page_number(&cursor)
                    .ok_or_else(|| wrong_cursor("contacts of a company", &cursor))?;
                let call = Call::get(path, Kind::List, "contacts of a company")
                    .query("page", page)
                    .query("per_page", client.page_size);
                let list: ListWire<Contact> = client.transport.json(&call, client.priority).await?;
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
}
