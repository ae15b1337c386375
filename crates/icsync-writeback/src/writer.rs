//! The four Intercom calls writeback makes, behind a trait so tests can run thousands of
//! interleavings against an in-process fake; implemented for the real client at `Writeback`
//! priority.

use async_trait::async_trait;
use icsync_domain::Workspace;
use icsync_intercom::models::{DataAttribute, DataAttributeCreate, DataAttributeModel};
use icsync_intercom::{Created, Error, IntercomClient, Priority};
use serde_json::{Map, Value};
use std::sync::Arc;

/// What writeback needs from Intercom. Errors are the client's, so the fake answers exactly
/// what the client would (a 5xx, a timeout, a 404, ...).
#[async_trait]
pub trait IntercomWriter: Send + Sync {
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

    /// `PUT /contacts/{id}` with `custom_attributes` only.
    async fn update_contact(&self, id: &str, attributes: Map<String, Value>) -> Result<(), Error>;

    /// `POST /companies` keyed on the workspace's `company_id`, with `custom_attributes` only;
    /// returns the Intercom id of the company it updated.
    async fn upsert_company(
        &self,
        company_id: &str,
        attributes: Map<String, Value>,
    ) -> Result<String, Error>;
}

#[async_trait]
impl IntercomWriter for IntercomClient {
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

    async fn update_contact(&self, id: &str, attributes: Map<String, Value>) -> Result<(), Error> {
        self.with_priority(Priority::Writeback)
            .contacts()
            .update_custom_attributes(id, attributes)
            .await
            .map(|_| ())
    }

    async fn upsert_company(
        &self,
        company_id: &str,
        attributes: Map<String, Value>,
    ) -> Result<String, Error> {
        self.with_priority(Priority::Writeback)
            .companies()
            .update_custom_attributes(company_id, attributes)
            .await
            .map(|company| company.id)
    }
}

/// Gives the loop a writer per workspace (the daemon builds clients sharing the workspace's
/// pacer). An error says why the workspace cannot be reached; its rows wait.
pub trait WriterSource: Send + Sync {
    fn writer(&self, workspace: &Workspace) -> Result<Arc<dyn IntercomWriter>, String>;

    /// Whether this process pushes the workspace's rows: several `icsync serve` on one
    /// database each push only the workspaces whose lease they hold (so a workspace's pacer,
    /// and its request rate, is never doubled). Every workspace by default.
    fn owns(&self, _workspace: &Workspace) -> bool {
        true
    }
}

impl<F> WriterSource for F
where
    F: Fn(&Workspace) -> Result<Arc<dyn IntercomWriter>, String> + Send + Sync,
{
    fn writer(&self, workspace: &Workspace) -> Result<Arc<dyn IntercomWriter>, String> {
        self(workspace)
    }
}
