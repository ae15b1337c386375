//! Workspaces: what an admin sends to connect, test or change one, and how one is shown
//! (never with its token or webhook secret).

use chrono::{DateTime, Utc};
use icsync_domain::{Region, Workspace};
use icsync_inbound::workspaces::IntercomIdentity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Intercom's hosting regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ApiRegion {
    Us,
    Eu,
    Au,
}

impl From<ApiRegion> for Region {
    fn from(region: ApiRegion) -> Self {
        match region {
            ApiRegion::Us => Region::Us,
            ApiRegion::Eu => Region::Eu,
            ApiRegion::Au => Region::Au,
        }
    }
}

impl From<Region> for ApiRegion {
    fn from(region: Region) -> Self {
        match region {
            Region::Us => ApiRegion::Us,
            Region::Eu => ApiRegion::Eu,
            Region::Au => ApiRegion::Au,
        }
    }
}

/// A connected (or disconnected) workspace.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkspaceView {
    pub name: String,
    /// The Intercom workspace's app id (`GET /me` `app.id_code`).
    pub intercom_app_id: Option<String>,
    pub region: ApiRegion,
    /// Overrides the region's API host (a proxy, the simulator).
    pub base_url: Option<String>,
    /// Connected and not disconnected since.
    pub connected: bool,
    /// Connected and not stopped by a connection error: its jobs may run.
    pub can_sync: bool,
    /// Users and their companies are imported on an ongoing basis.
    pub user_tracking: bool,
    /// Intercom is the primary data source: writeback runs only then.
    pub primary_source_is_intercom: bool,
    pub writeback_enabled: bool,
    /// Days of users a backfill imports.
    pub backfill_days: i32,
    /// Leads are imported as well as users.
    pub include_leads: bool,
    /// The Intercom workspace's IANA time zone.
    pub timezone: Option<String>,
    /// A webhook client secret is stored (webhook notifications are verified with it).
    pub has_webhook_secret: bool,
    pub connected_at: Option<DateTime<Utc>>,
    pub disconnected_at: Option<DateTime<Utc>>,
    /// Why the workspace's jobs stopped (a revoked token, ...); null while healthy.
    pub connection_error: Option<String>,
    pub connection_error_at: Option<DateTime<Utc>>,
}

impl From<&Workspace> for WorkspaceView {
    fn from(w: &Workspace) -> Self {
        WorkspaceView {
            name: w.name.clone(),
            intercom_app_id: w.intercom_app_id.clone(),
            region: w.region.into(),
            base_url: w.base_url.clone(),
            connected: w.is_connected(),
            can_sync: w.can_sync(),
            user_tracking: w.user_tracking,
            primary_source_is_intercom: w.primary_source_is_intercom,
            writeback_enabled: w.writeback_enabled,
            backfill_days: w.backfill_days,
            include_leads: w.include_leads,
            timezone: w.timezone.clone(),
            has_webhook_secret: w.webhook_secret.is_some(),
            connected_at: w.connected_at,
            disconnected_at: w.disconnected_at,
            connection_error: w.connection_error.clone(),
            connection_error_at: w.connection_error_at,
        }
    }
}

/// Every workspace, in the order they were connected.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkspaceList {
    pub workspaces: Vec<WorkspaceView>,
}

/// Settings of a workspace; a member left out keeps its value.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsBody {
    /// Import users (and their companies and events) on an ongoing basis; switching it on
    /// starts a backfill.
    pub user_tracking: Option<bool>,
    /// Intercom is the primary data source (writeback runs only then).
    pub primary_source_is_intercom: Option<bool>,
    /// Push CS attributes to Intercom.
    pub writeback_enabled: Option<bool>,
    /// Days of users a backfill imports, 1 to 3650.
    #[schema(minimum = 1, maximum = 3650)]
    pub backfill_days: Option<i32>,
    /// Import leads as well as users.
    pub include_leads: Option<bool>,
}

/// Connect a workspace with an access token.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectBody {
    /// icsync's name for the workspace: 1 to 100 characters, no leading or trailing space.
    /// Connecting a name that exists replaces its token and settings (a reconnect).
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// The Intercom access token (never shown again).
    #[schema(format = Password, write_only, min_length = 1, max_length = 4096)]
    pub token: String,
    /// The workspace's hosting region; `us` when left out.
    pub region: Option<ApiRegion>,
    /// Overrides the region's API host (`https://...`).
    #[schema(format = "uri")]
    pub base_url: Option<String>,
    /// The Intercom app's client secret, to verify webhook notifications.
    #[schema(format = Password, write_only)]
    pub webhook_secret: Option<String>,
    pub settings: Option<SettingsBody>,
}

/// Connect a workspace with an OAuth authorization code.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuthConnectBody {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// The code Intercom's authorize step redirected with (valid about five minutes, once).
    #[schema(format = Password, write_only, min_length = 1, max_length = 4096)]
    pub code: String,
    pub region: Option<ApiRegion>,
    pub base_url: Option<String>,
    #[schema(format = Password, write_only)]
    pub webhook_secret: Option<String>,
    pub settings: Option<SettingsBody>,
}

/// Test a token without storing anything.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestConnectionBody {
    #[schema(format = Password, write_only, min_length = 1, max_length = 4096)]
    pub token: String,
    pub region: Option<ApiRegion>,
    pub base_url: Option<String>,
}

/// The admin a token acts as.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminView {
    pub name: Option<String>,
    pub email: Option<String>,
}

/// Who Intercom says the token belongs to (`GET /me`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IdentityView {
    /// The Intercom workspace's name.
    pub name: Option<String>,
    /// Its app id (`id_code`).
    pub app_id: Option<String>,
    /// Its hosting region, as Intercom names it (`US`, `Europe`, `Australia`).
    pub region: Option<String>,
    /// Its IANA time zone.
    pub timezone: Option<String>,
    pub admin: AdminView,
}

impl From<&IntercomIdentity> for IdentityView {
    fn from(i: &IntercomIdentity) -> Self {
        IdentityView {
            name: i.name.clone(),
            app_id: i.app_id.clone(),
            region: i.region.clone(),
            timezone: i.timezone.clone(),
            admin: AdminView {
                name: i.admin_name.clone(),
                email: i.admin_email.clone(),
            },
        }
    }
}

/// A workspace just connected.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConnectedView {
    pub workspace: WorkspaceView,
    pub identity: IdentityView,
    /// True when a workspace of that name existed and got the new token.
    pub reconnected: bool,
}

/// What deleting a workspace's data removed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeletedView {
    pub workspace: String,
    /// Rows deleted, by table.
    pub rows: BTreeMap<String, u64>,
}
