//! The Intercom calls export makes, behind a trait (as writeback's `IntercomWriter`), implemented
//! for the real client at `Writeback` priority: exports yield to on-view fetches and go before
//! backfills, exactly like CS-attribute pushes.

use crate::provision::AttributeApi;
use async_trait::async_trait;
use icsync_domain::Workspace;
use icsync_intercom::models::{
    Contact, ContactWrite, DataAttribute, DataAttributeCreate, DataAttributeModel, Tag,
};
use icsync_intercom::search::{Query, SearchRequest, contact};
use icsync_intercom::{Created, Error, IntercomClient, Priority};
use std::sync::Arc;

/// What export needs from Intercom. Errors are the client's.
#[async_trait]
pub trait ExportWriter: Send + Sync {
    /// `GET /data_attributes?model=&include_archived=true`.
    async fn list_data_attributes(
        &self,
        model: DataAttributeModel,
    ) -> Result<Vec<DataAttribute>, Error>;

    /// `POST /data_attributes` (an existing one comes back as [`Created::Existing`]).
    async fn create_data_attribute(
        &self,
        create: &DataAttributeCreate,
    ) -> Result<Created<DataAttribute>, Error>;

    /// `POST /contacts`; a 409 comes back as [`Error::Conflict`] naming the existing contact.
    async fn create_contact(&self, write: &ContactWrite) -> Result<Contact, Error>;

    /// `PUT /contacts/{id}`.
    async fn update_contact(&self, id: &str, write: &ContactWrite) -> Result<Contact, Error>;

    /// `POST /contacts/{id}/archive`.
    async fn archive_contact(&self, id: &str) -> Result<(), Error>;

    /// `POST /contacts/{id}/unarchive`.
    async fn unarchive_contact(&self, id: &str) -> Result<(), Error>;

    /// `DELETE /contacts/{id}`.
    async fn delete_contact(&self, id: &str) -> Result<(), Error>;

    /// `POST /contacts/search` by external id, else by email (enrich mode only, when the store
    /// does not know the contact: search lags behind writes).
    async fn search_contact(
        &self,
        external_id: Option<&str>,
        email: Option<&str>,
    ) -> Result<Vec<Contact>, Error>;

    /// `POST /tags` `{name}`: the tag of that name, created when missing.
    async fn create_tag(&self, name: &str) -> Result<Tag, Error>;

    /// `POST /contacts/{id}/tags`.
    async fn attach_tag(&self, contact_id: &str, tag_id: &str) -> Result<(), Error>;

    /// `DELETE /contacts/{id}/tags/{tag_id}`.
    async fn detach_tag(&self, contact_id: &str, tag_id: &str) -> Result<(), Error>;
}

#[async_trait]
impl ExportWriter for IntercomClient {
    async fn list_data_attributes(
        &self,
        model: DataAttributeModel,
    ) -> Result<Vec<DataAttribute>, Error> {
        self.with_priority(Priority::Writeback)
            .data_attributes()
            .list(&model, true)
            .await
    }

    async fn create_data_attribute(
        &self,
        create: &DataAttributeCreate,
    ) -> Result<Created<DataAttribute>, Error> {
        self.with_priority(Priority::Writeback)
            .data_attributes()
            .create(create)
            .await
    }

    async fn create_contact(&self, write: &ContactWrite) -> Result<Contact, Error> {
        self.with_priority(Priority::Writeback)
            .contacts()
            .create_or_conflict(write)
            .await
    }

    async fn update_contact(&self, id: &str, write: &ContactWrite) -> Result<Contact, Error> {
        self.with_priority(Priority::Writeback)
            .contacts()
            .update(id, write)
            .await
    }

    async fn archive_contact(&self, id: &str) -> Result<(), Error> {
        self.with_priority(Priority::Writeback)
            .contacts()
            .archive(id)
            .await
            .map(|_| ())
    }

    async fn unarchive_contact(&self, id: &str) -> Result<(), Error> {
        self.with_priority(Priority::Writeback)
            .contacts()
            .unarchive(id)
            .await
            .map(|_| ())
    }

    async fn delete_contact(&self, id: &str) -> Result<(), Error> {
        self.with_priority(Priority::Writeback)
            .contacts()
            .delete(id)
            .await
            .map(|_| ())
    }

    async fn search_contact(
        &self,
        external_id: Option<&str>,
        email: Option<&str>,
    ) -> Result<Vec<Contact>, Error> {
        use futures::TryStreamExt;
        let mut queries = Vec::new();
        if let Some(external_id) = external_id {
            queries.push(contact::external_id().eq(external_id));
        }
        if let Some(email) = email {
            queries.push(contact::email().eq(email));
        }
        let query = match queries.len() {
            0 => return Ok(Vec::new()),
            1 => queries.remove(0),
            _ => Query::or(queries),
        };
        let client = self.with_priority(Priority::Writeback);
        let stream = client.contacts().search(SearchRequest::new(query));
        let first = std::pin::pin!(stream).try_next().await?;
        Ok(first.map(|page| page.items).unwrap_or_default())
    }

    async fn create_tag(&self, name: &str) -> Result<Tag, Error> {
        self.with_priority(Priority::Writeback)
            .tags()
            .create(name)
            .await
    }

    async fn attach_tag(&self, contact_id: &str, tag_id: &str) -> Result<(), Error> {
        self.with_priority(Priority::Writeback)
            .contacts()
            .attach_tag(contact_id, tag_id)
            .await
            .map(|_| ())
    }

    async fn detach_tag(&self, contact_id: &str, tag_id: &str) -> Result<(), Error> {
        self.with_priority(Priority::Writeback)
            .contacts()
            .detach_tag(contact_id, tag_id)
            .await
            .map(|_| ())
    }
}

/// Provisioning through an export writer.
pub(crate) struct ExportAttributes<'a>(pub &'a dyn ExportWriter);

#[async_trait]
impl AttributeApi for ExportAttributes<'_> {
    async fn list(&self, model: DataAttributeModel) -> Result<Vec<DataAttribute>, Error> {
        self.0.list_data_attributes(model).await
    }

    async fn create(&self, create: &DataAttributeCreate) -> Result<Created<DataAttribute>, Error> {
        self.0.create_data_attribute(create).await
    }
}

/// Gives the export loop a writer per workspace (the daemon builds clients sharing the
/// workspace's pacer). An error says why the workspace cannot be reached; its records wait.
pub trait ExportWriterSource: Send + Sync {
    fn export_writer(&self, workspace: &Workspace) -> Result<Arc<dyn ExportWriter>, String>;

    /// Whether this process exports the workspace's records (several `icsync serve` on one
    /// database export only the workspaces whose lease they hold). Every workspace by default.
    fn owns(&self, _workspace: &Workspace) -> bool {
        true
    }
}

impl<F> ExportWriterSource for F
where
    F: Fn(&Workspace) -> Result<Arc<dyn ExportWriter>, String> + Send + Sync,
{
    fn export_writer(&self, workspace: &Workspace) -> Result<Arc<dyn ExportWriter>, String> {
        self(workspace)
    }
}
