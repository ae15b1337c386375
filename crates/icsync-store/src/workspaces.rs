//! Workspaces: connect, read, change settings, disconnect; secrets encrypted on the way in.

use crate::Store;
use crate::entities::workspace;
use crate::error::{Result, StoreError};
use chrono::Utc;
use icsync_domain::{NewWorkspace, Region, Workspace, WorkspaceId};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel, QueryOrder};
use secrecy::SecretString;

const ACCESS_TOKEN: &str = "workspaces.access_token";
const WEBHOOK_SECRET: &str = "workspaces.webhook_secret";

/// Settings an admin can change; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceSettings {
    pub name: Option<String>,
    pub user_tracking: Option<bool>,
    pub primary_source_is_intercom: Option<bool>,
    pub writeback_enabled: Option<bool>,
    pub backfill_days: Option<i32>,
    pub timezone: Option<String>,
    pub intercom_app_id: Option<String>,
    pub include_leads: Option<bool>,
    pub region: Option<Region>,
    /// `Some(None)` clears the base URL (back to the region's host).
    pub base_url: Option<Option<String>>,
}

impl Store {
    /// Stores a newly connected workspace, its secrets encrypted.
    pub async fn create_workspace(&self, new: &NewWorkspace) -> Result<Workspace> {
        let now = Utc::now();
        let access_token_enc = self.encrypt(ACCESS_TOKEN, new.access_token.as_ref())?;
        let webhook_secret_enc = self.encrypt(WEBHOOK_SECRET, new.webhook_secret.as_ref())?;
        let row = workspace::ActiveModel {
            name: Set(new.name.clone()),
            intercom_app_id: Set(new.intercom_app_id.clone()),
            region: Set(new.region.as_str().to_owned()),
            base_url: Set(new.base_url.clone()),
            access_token_enc: Set(access_token_enc),
            webhook_secret_enc: Set(webhook_secret_enc),
            user_tracking: Set(new.user_tracking),
            primary_source_is_intercom: Set(new.primary_source_is_intercom),
            writeback_enabled: Set(new.writeback_enabled),
            backfill_days: Set(new.backfill_days),
            include_leads: Set(new.include_leads),
            timezone: Set(new.timezone.clone()),
            connection_error: Set(None),
            connection_error_at: Set(None),
            connected_at: Set(Some(now)),
            disconnected_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&self.inner.write)
        .await?;
        self.to_workspace(row)
    }

    /// A workspace with its secrets decrypted (still wrapped).
    pub async fn workspace(&self, id: WorkspaceId) -> Result<Option<Workspace>> {
        workspace::Entity::find_by_id(id.0)
            .one(&self.inner.read)
            .await?
            .map(|row| self.to_workspace(row))
            .transpose()
    }

    pub async fn workspaces(&self) -> Result<Vec<Workspace>> {
        workspace::Entity::find()
            .order_by_asc(workspace::Column::Id)
            .all(&self.inner.read)
            .await?
            .into_iter()
            .map(|row| self.to_workspace(row))
            .collect()
    }

    /// Changes the settings given in `settings`.
    pub async fn update_workspace(
        &self,
        id: WorkspaceId,
        settings: &WorkspaceSettings,
    ) -> Result<Workspace> {
        let mut active = self.workspace_row(id).await?.into_active_model();
        if let Some(name) = &settings.name {
            active.name = Set(name.clone());
        }
        if let Some(on) = settings.user_tracking {
            active.user_tracking = Set(on);
        }
        if let Some(on) = settings.primary_source_is_intercom {
            active.primary_source_is_intercom = Set(on);
        }
        if let Some(on) = settings.writeback_enabled {
            active.writeback_enabled = Set(on);
        }
        if let Some(days) = settings.backfill_days {
            active.backfill_days = Set(days);
        }
        if let Some(timezone) = &settings.timezone {
            active.timezone = Set(Some(timezone.clone()));
        }
        if let Some(app_id) = &settings.intercom_app_id {
            active.intercom_app_id = Set(Some(app_id.clone()));
        }
        if let Some(on) = settings.include_leads {
            active.include_leads = Set(on);
        }
        if let Some(region) = settings.region {
            active.region = Set(region.as_str().to_owned());
        }
        if let Some(base_url) = &settings.base_url {
            active.base_url = Set(base_url.clone());
        }
        active.updated_at = Set(Utc::now());
        let row = active.update(&self.inner.write).await?;
        self.to_workspace(row)
    }

    /// Replaces the access token (reconnect) and marks the workspace connected.
    pub async fn set_access_token(
        &self,
        id: WorkspaceId,
        token: &SecretString,
    ) -> Result<Workspace> {
        let mut active = self.workspace_row(id).await?.into_active_model();
        active.access_token_enc = Set(self.encrypt(ACCESS_TOKEN, Some(token))?);
        active.connected_at = Set(Some(Utc::now()));
        active.disconnected_at = Set(None);
        active.connection_error = Set(None);
        active.connection_error_at = Set(None);
        active.updated_at = Set(Utc::now());
        let row = active.update(&self.inner.write).await?;
        self.to_workspace(row)
    }

    /// Stops every sync and push of a workspace; its data stays.
    pub async fn disconnect_workspace(&self, id: WorkspaceId) -> Result<Workspace> {
        let mut active = self.workspace_row(id).await?.into_active_model();
        active.disconnected_at = Set(Some(Utc::now()));
        active.user_tracking = Set(false);
        active.updated_at = Set(Utc::now());
        let row = active.update(&self.inner.write).await?;
        self.to_workspace(row)
    }

    /// Records why a workspace's jobs stopped (e.g. Intercom refused its token), or clears it.
    /// A workspace with a connection error runs no job until it is reconnected.
    pub async fn set_connection_error(
        &self,
        id: WorkspaceId,
        error: Option<&str>,
    ) -> Result<Workspace> {
        let mut active = self.workspace_row(id).await?.into_active_model();
        active.connection_error = Set(error.map(str::to_owned));
        active.connection_error_at = Set(error.map(|_| Utc::now()));
        active.updated_at = Set(Utc::now());
        let row = active.update(&self.inner.write).await?;
        self.to_workspace(row)
    }

    /// Replaces (or with `None` removes) the webhook client secret notifications are signed with.
    pub async fn set_webhook_secret(
        &self,
        id: WorkspaceId,
        secret: Option<&SecretString>,
    ) -> Result<Workspace> {
        let mut active = self.workspace_row(id).await?.into_active_model();
        active.webhook_secret_enc = Set(self.encrypt(WEBHOOK_SECRET, secret)?);
        active.updated_at = Set(Utc::now());
        let row = active.update(&self.inner.write).await?;
        self.to_workspace(row)
    }

    /// The workspace named `name`, if any.
    pub async fn workspace_by_name(&self, name: &str) -> Result<Option<Workspace>> {
        use sea_orm::{ColumnTrait, QueryFilter};
        workspace::Entity::find()
            .filter(workspace::Column::Name.eq(name))
            .one(&self.inner.read)
            .await?
            .map(|row| self.to_workspace(row))
            .transpose()
    }

    async fn workspace_row(&self, id: WorkspaceId) -> Result<workspace::Model> {
        workspace::Entity::find_by_id(id.0)
            .one(&self.inner.write)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("workspace {id}"),
            })
    }

    fn encrypt(&self, column: &str, secret: Option<&SecretString>) -> Result<Option<Vec<u8>>> {
        match secret {
            None => Ok(None),
            Some(secret) => Ok(Some(self.cipher()?.encrypt(column, secret)?)),
        }
    }

    fn decrypt(&self, column: &str, stored: Option<&[u8]>) -> Result<Option<SecretString>> {
        match stored {
            None => Ok(None),
            Some(stored) => Ok(Some(self.cipher()?.decrypt(column, stored)?)),
        }
    }

    fn to_workspace(&self, row: workspace::Model) -> Result<Workspace> {
        let region = Region::parse(&row.region).ok_or_else(|| {
            StoreError::corrupt(format!("workspace {} has region {:?}", row.id, row.region))
        })?;
        Ok(Workspace {
            id: WorkspaceId(row.id),
            access_token: self.decrypt(ACCESS_TOKEN, row.access_token_enc.as_deref())?,
            webhook_secret: self.decrypt(WEBHOOK_SECRET, row.webhook_secret_enc.as_deref())?,
            name: row.name,
            intercom_app_id: row.intercom_app_id,
            region,
            base_url: row.base_url,
            user_tracking: row.user_tracking,
            primary_source_is_intercom: row.primary_source_is_intercom,
            writeback_enabled: row.writeback_enabled,
            backfill_days: row.backfill_days,
            include_leads: row.include_leads,
            timezone: row.timezone,
            connected_at: row.connected_at,
            disconnected_at: row.disconnected_at,
            connection_error: row.connection_error,
            connection_error_at: row.connection_error_at,
        })
    }
}
