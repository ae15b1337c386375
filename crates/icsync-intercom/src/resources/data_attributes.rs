//! Data attributes: list (standard and custom) and create, where a repeated create finds the existing one.

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

    /// `POST /data_attributes`, never creating a duplicate.
    ///
    /// Intercom answers every refused create with 400 `parameter_invalid` (an existing name, an
    /// invalid name, a standard name, a bad type: see the 2.11 examples), so the code alone cannot
    /// tell "already exists" apart, and the message is prose that may change. On that code the
    /// model's attributes are listed (archived ones included): a custom attribute of this model
    /// with this name (Intercom compares names case-insensitively) is returned as
    /// [`Created::Existing`], whatever its type (the caller checks it); otherwise the 400 is
    /// returned. A name taken by the other model (contacts and companies share one namespace)
    /// therefore comes back as the 400. Because a repeat can only answer "already exists", the
    /// call is safe to repeat after a lost answer.
    pub async fn create(
        &self,
        attribute: &DataAttributeCreate,
    ) -> Result<Created<DataAttribute>, Error> {
        let call = Call::post("/data_attributes", Kind::Write, "created data attribute")
            .safe_to_repeat()
            .body(to_value(attribute)?);
        match self
            .client
            .transport
            .json(&call, self.client.priority)
            .await
        {
            Ok(created) => Ok(Created::New(created)),
            Err(err @ Error::Api { status: 400, .. }) if err.code() == Some(PARAMETER_INVALID) => {
                let existing = self.list(&attribute.model, true).await?;
                existing
                    .into_iter()
                    .find(|a| {
                        a.custom == Some(true) && a.name.eq_ignore_ascii_case(&attribute.name)
                    })
                    .map(Created::Existing)
                    .ok_or(err)
            }
            Err(err) => Err(err),
        }
    }
}

/// The code of every refused data-attribute create (2.11 examples).
const PARAMETER_INVALID: &str = "parameter_invalid";
