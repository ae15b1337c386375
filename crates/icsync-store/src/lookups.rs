//! Finding what the API is asked for: contacts by any of their keys (icsync's id, Intercom's
//! id, external id, email), companies by icsync's id, Intercom's id or their own `company_id`,
//! a company's contacts, one conversation, workspace names, and the tag names icsync already
//! knows for some contacts.

use crate::Store;
use crate::conversations::{StoredConversation, stored_conversation};
use crate::entities::{
    company, contact, contact_company, conversation, conversation_contact, export_tag, workspace,
};
use crate::error::Result;
use crate::reads::{StoredCompany, StoredContact, stored_company, stored_contact};
use icsync_domain::{
    CompanyId, ContactId, ConversationId, IMPORTED_TAGS_KEY, ImportedTag, WorkspaceId,
    normalize_email,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;

/// How a contact is named in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactLookup<'a> {
    /// icsync's own id (the `contacts` row).
    IcsyncId(i64),
    IntercomId(&'a str),
    /// The workspace's own id for the contact (Intercom's `external_id`).
    ExternalId(&'a str),
    /// Matched trimmed and case-insensitively; several contacts may share one.
    Email(&'a str),
}

/// A contact with icsync's id.
#[derive(Debug, Clone, PartialEq)]
pub struct LocatedContact {
    pub icsync_id: i64,
    pub contact: StoredContact,
}

/// How a company is named in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompanyLookup<'a> {
    IcsyncId(i64),
    IntercomId(&'a str),
    /// The workspace's own id for the company (Intercom's `company_id`).
    CompanyId(&'a str),
}

/// A company with icsync's id.
#[derive(Debug, Clone, PartialEq)]
pub struct LocatedCompany {
    pub icsync_id: i64,
    pub company: StoredCompany,
}

/// Contacts one lookup finds at most (an email shared by more is a data problem).
const MAX_MATCHES: u64 = 100;

impl Store {
    /// Tag id -> name as icsync already knows them, without asking Intercom: the named tags
    /// stored on these contacts (an earlier import named them) and the tags the export
    /// created or found. The import asks Intercom (`GET /tags`) only for ids not named here.
    pub async fn known_tag_names(
        &self,
        workspace: WorkspaceId,
        contacts: &[ContactId],
    ) -> Result<HashMap<String, String>> {
        let db = &self.inner.read;
        let mut names: HashMap<String, String> = export_tag::Entity::find()
            .select_only()
            .column(export_tag::Column::TagId)
            .column(export_tag::Column::Name)
            .filter(export_tag::Column::WorkspaceId.eq(workspace.0))
            .into_tuple::<(String, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        for chunk in contacts.chunks(500) {
            let stored: Vec<serde_json::Value> = contact::Entity::find()
                .select_only()
                .column(contact::Column::OtherAttributes)
                .filter(contact::Column::WorkspaceId.eq(workspace.0))
                .filter(contact::Column::IntercomId.is_in(chunk.iter().map(ContactId::as_str)))
                .into_tuple()
                .all(db)
                .await?;
            for other in stored {
                let Some(tags) = other.get(IMPORTED_TAGS_KEY) else {
                    continue;
                };
                // A value that does not read as tags names nothing; the import lists them.
                let tags: Vec<ImportedTag> =
                    serde_json::from_value(tags.clone()).unwrap_or_default();
                for tag in tags {
                    if let Some(name) = tag.name {
                        names.entry(tag.id).or_insert(name);
                    }
                }
            }
        }
        Ok(names)
    }

    /// The contacts `lookup` names, by icsync id: none, one, or (for an email or an external
    /// id shared by several Intercom contacts) several.
    pub async fn find_contacts(
        &self,
        workspace: WorkspaceId,
        lookup: ContactLookup<'_>,
    ) -> Result<Vec<LocatedContact>> {
        let query = contact::Entity::find().filter(contact::Column::WorkspaceId.eq(workspace.0));
        let query = match lookup {
            ContactLookup::IcsyncId(id) => query.filter(contact::Column::Id.eq(id)),
            ContactLookup::IntercomId(id) => query.filter(contact::Column::IntercomId.eq(id)),
            ContactLookup::ExternalId(id) => query.filter(contact::Column::ExternalId.eq(id)),
            ContactLookup::Email(email) => match normalize_email(email) {
                Some(normalized) => query.filter(contact::Column::EmailNormalized.eq(normalized)),
                None => return Ok(Vec::new()),
            },
        };
        query
            .order_by_asc(contact::Column::Id)
            .limit(MAX_MATCHES)
            .all(&self.inner.read)
            .await?
            .into_iter()
            .map(|row| {
                let icsync_id = row.id;
                Ok(LocatedContact {
                    icsync_id,
                    contact: stored_contact(row)?,
                })
            })
            .collect()
    }

    /// The company `lookup` names.
    pub async fn find_company(
        &self,
        workspace: WorkspaceId,
        lookup: CompanyLookup<'_>,
    ) -> Result<Option<LocatedCompany>> {
        let query = company::Entity::find().filter(company::Column::WorkspaceId.eq(workspace.0));
        let query = match lookup {
            CompanyLookup::IcsyncId(id) => query.filter(company::Column::Id.eq(id)),
            CompanyLookup::IntercomId(id) => query.filter(company::Column::IntercomId.eq(id)),
            CompanyLookup::CompanyId(id) => query.filter(company::Column::CompanyId.eq(id)),
        };
        let Some(row) = query
            .order_by_asc(company::Column::Id)
            .one(&self.inner.read)
            .await?
        else {
            return Ok(None);
        };
        let icsync_id = row.id;
        Ok(Some(LocatedCompany {
            icsync_id,
            company: stored_company(row)?,
        }))
    }

    /// Intercom ids of a company's contacts (every stored association).
    pub async fn company_member_ids(
        &self,
        workspace: WorkspaceId,
        company: &CompanyId,
    ) -> Result<Vec<ContactId>> {
        let ids: Vec<String> = contact_company::Entity::find()
            .select_only()
            .column(contact_company::Column::ContactIntercomId)
            .filter(contact_company::Column::WorkspaceId.eq(workspace.0))
            .filter(contact_company::Column::CompanyIntercomId.eq(company.as_str()))
            .order_by_asc(contact_company::Column::ContactIntercomId)
            .into_tuple()
            .all(&self.inner.read)
            .await?;
        Ok(ids.into_iter().map(ContactId::new).collect())
    }

    /// A company's contacts, most recently seen first, at most `limit`, and how many it has.
    pub async fn company_contacts(
        &self,
        workspace: WorkspaceId,
        company: &CompanyId,
        limit: u64,
    ) -> Result<(Vec<LocatedContact>, u64)> {
        let members = sea_orm::sea_query::Query::select()
            .column(contact_company::Column::ContactIntercomId)
            .from(contact_company::Entity)
            .and_where(contact_company::Column::WorkspaceId.eq(workspace.0))
            .and_where(contact_company::Column::CompanyIntercomId.eq(company.as_str()))
            .to_owned();
        let query = contact::Entity::find()
            .filter(contact::Column::WorkspaceId.eq(workspace.0))
            .filter(contact::Column::IntercomId.in_subquery(members));
        let total = query.clone().count(&self.inner.read).await?;
        let contacts = query
            .order_by_desc(contact::Column::LastSeenAt)
            .order_by_asc(contact::Column::Id)
            .limit(limit)
            .all(&self.inner.read)
            .await?
            .into_iter()
            .map(|row| {
                let icsync_id = row.id;
                Ok(LocatedContact {
                    icsync_id,
                    contact: stored_contact(row)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((contacts, total))
    }

    /// One conversation, with its participants in Intercom's order.
    pub async fn conversation(
        &self,
        workspace: WorkspaceId,
        id: &ConversationId,
    ) -> Result<Option<StoredConversation>> {
        let db = &self.inner.read;
        let Some(row) = conversation::Entity::find()
            .filter(conversation::Column::WorkspaceId.eq(workspace.0))
            .filter(conversation::Column::IntercomId.eq(id.as_str()))
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        let participants = conversation_contact::Entity::find()
            .filter(conversation_contact::Column::WorkspaceId.eq(workspace.0))
            .filter(conversation_contact::Column::ConversationIntercomId.eq(id.as_str()))
            .order_by_asc(conversation_contact::Column::Position)
            .all(db)
            .await?
            .into_iter()
            .map(|p| ContactId::new(p.contact_intercom_id))
            .collect();
        Ok(Some(stored_conversation(row, participants)))
    }

    /// Workspace names in id order, at most `limit` (cheap: no secret is decrypted).
    pub async fn workspace_names(&self, limit: u64) -> Result<Vec<String>> {
        Ok(workspace::Entity::find()
            .select_only()
            .column(workspace::Column::Name)
            .order_by_asc(workspace::Column::Id)
            .limit(limit)
            .into_tuple()
            .all(&self.inner.read)
            .await?)
    }
}
