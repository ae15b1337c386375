//! `GET /me` (test-connection: who the token belongs to, workspace id, region, time zone) and `GET /admins`.

use crate::client::IntercomClient;
use crate::error::Error;
use crate::models::{Admin, AdminList};
use crate::transport::{Call, Kind};

/// Admins sub-client.
#[derive(Debug, Clone)]
pub struct Admins {
    client: IntercomClient,
}

impl Admins {
    pub(crate) fn new(client: IntercomClient) -> Self {
        Admins { client }
    }

    /// `GET /me`: the admin owning the token, with the workspace (`app`: id, name, region, time zone).
    /// A 401 here means the token is revoked or belongs to another region.
    pub async fn me(&self) -> Result<Admin, Error> {
        let call = Call::get("/me", Kind::Read, "admin (/me)");
        self.client
            .transport
            .json(&call, self.client.priority)
            .await
    }

    /// `GET /admins`: every teammate (for CS-owner lookup by `owner_id`).
    pub async fn list(&self) -> Result<Vec<Admin>, Error> {
        let call = Call::get("/admins", Kind::Read, "admin list");
        let list: AdminList = self
            .client
            .transport
            .json(&call, self.client.priority)
            .await?;
        Ok(list.admins)
    }
}
