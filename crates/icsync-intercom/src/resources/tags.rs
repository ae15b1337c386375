//! `GET /tags` (the workspace's tags) and `POST /tags` `{name}` (create or find by name).

use crate::client::IntercomClient;
use crate::error::Error;
use crate::models::Tag;
use crate::resources::ListWire;
use crate::transport::{Call, Kind};
use serde_json::json;

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

    /// `POST /tags` `{name}`: creates the tag, or answers the existing one of that name
    /// (Intercom matches names without case), so a repeat is safe.
    pub async fn create(&self, name: &str) -> Result<Tag, Error> {
        let call = Call::post("/tags", Kind::Write, "created tag")
            .body(json!({ "name": name }))
            .safe_to_repeat();
        self.client
            .transport
            .json(&call, self.client.priority)
            .await
    }
}
