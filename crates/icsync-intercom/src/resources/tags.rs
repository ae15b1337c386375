//! `GET /tags`: the workspace's tags.

use crate::client::IntercomClient;
use crate::error::Error;
use crate::models::Tag;
use crate::resources::ListWire;
use crate::transport::{Call, Kind};

/// Tags sub-client.
#[derive(Debug, Clone)]
pub struct Tags {
    client: IntercomClient,
}

impl Tags {
    pub(crate) fn new(client: IntercomClient) -> Self {
        Tags { client }
    }

    /// Every tag of the workspace.
    pub async fn list(&self) -> Result<Vec<Tag>, Error> {
        let call = Call::get("/tags", Kind::List, "tag list");
        let list: ListWire<Tag> = self
            .client
            .transport
            .json(&call, self.client.priority)
            .await?;
        Ok(list.data.into_vec())
    }
}
