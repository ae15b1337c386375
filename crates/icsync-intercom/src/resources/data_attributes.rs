//! Data attributes: list (standard and custom) and create, where a repeated create finds the existing one.

use reqwest::Method;

use crate::client::IntercomClient;
use crate::error::Error;
use crate::models::{DataAttribute, DataAttributeCreate, DataAttributeModel};
use crate::resources::contacts::to_value;
use crate::resources::{Created, ListWire};
use crate::transport::{Call, Kind};

/// Data attributes sub-client.
#[derive(Debug, Clone)]
pub struct DataAttributes {
    client: IntercomClient,
}

impl DataAttributes {
    pub(crate) fn new(client: IntercomClient) -> Self {
        DataAttributes { client }
    }

    /// `GET /data_attributes?model=...`: standard and custom attributes of a model.
    pub async fn list(
        &self,
        model: &DataAttributeModel,
        include_archived: bool,
    ) -> Result<Vec<DataAttribute>, Error> {
        let call = Call::get("/data_attributes", Kind::Read, "data attribute list")
            .query("model", model.as_str())
            .query("include_archived", include_archived);
        let list: ListWire<DataAttribute> = self
            .client
            .transport
            .json(&call, self.client.priority)
            .await?;
        Ok(list.data.into_vec())
    }

    /// `POST /data_attributes`. A repeat (after a lost answer) or a concurrent create answers 400 "You already
    /// have '<name>' ..."; then the existing attribute of the same model is looked up and returned as
    /// [`Created::Existing`]. If the name is taken by the other model (contacts and companies share one
    /// namespace) the 400 is returned.
    pub async fn create(
        &self,
        attribute: &DataAttributeCreate,
    ) -> Result<Created<DataAttribute>, Error> {
        let call = Call::get("/data_attributes", Kind::Write, "created data attribute")
            .with_method(Method::POST)
            .body(to_value(attribute)?);
        match self
            .client
            .transport
            .json(&call, self.client.priority)
            .await
        {
            Ok(created) => Ok(Created::New(created)),
            Err(err @ Error::Api { status: 400, .. })
                if err.to_string().contains("already have") =>
            {
                let existing = self.list(&attribute.model, true).await?;
                existing
                    .into_iter()
                    .find(|a| a.custom == Some(true) && a.name == attribute.name)
                    .map(Created::Existing)
                    .ok_or(err)
            }
            Err(err) => Err(err),
        }
    }
}
