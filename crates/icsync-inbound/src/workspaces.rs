//! Connecting and administering workspaces: test the token against `GET /me` first, store it
//! encrypted, and start a backfill whenever User Tracking goes on. The CLI and the HTTP API call
//! these same functions.

use crate::client::{ClientSettings, client_config};
use crate::error::{InboundError, Result};
use icsync_domain::{NewWorkspace, Region, StreamName, Workspace, WorkspaceId};
use icsync_intercom::{IntercomClient, Priority};
use icsync_store::{Store, WorkspaceSettings};
use secrecy::{ExposeSecret, SecretString};

/// What `GET /me` says about the Intercom workspace behind a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntercomIdentity {
    /// The Intercom workspace's name.
    pub name: Option<String>,
    /// Its app id (`id_code`, e.g. `ecahpwf5`).
    pub app_id: Option<String>,
    /// Its hosting region as Intercom says it (`US`, `Europe`, `Australia`).
    pub region: Option<String>,
    /// Its IANA time zone: contact search days are in it.
    pub timezone: Option<String>,
    /// The admin the token acts as.
    pub admin_name: Option<String>,
    pub admin_email: Option<String>,
}

impl IntercomIdentity {
    /// The region `GET /me` names, when it is one icsync knows.
    pub fn known_region(&self) -> Option<Region> {
        let region = self.region.as_deref()?.trim().to_ascii_lowercase();
        match region.as_str() {
            "us" | "united states" => Some(Region::Us),
            "eu" | "europe" => Some(Region::Eu),
            "au" | "australia" => Some(Region::Au),
            _ => None,
        }
    }
}

/// Where a token is to be used.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub region: Region,
    /// Overrides the region's host (the simulator, a proxy).
    pub base_url: Option<String>,
}

/// Reads `GET /me` with `token`: the connection test. A refused token is
/// [`InboundError::TokenRejected`]; an unreachable host says which host.
pub async fn test_connection(
    endpoint: &Endpoint,
    token: &SecretString,
    settings: &ClientSettings,
) -> Result<IntercomIdentity> {
    let config = client_config(
        endpoint.region,
        endpoint.base_url.as_deref(),
        token.expose_secret(),
        "connection-test",
        settings,
    )?;
    let client = IntercomClient::new(config)?.with_priority(Priority::OnView);
    let me = match client.admins().me().await {
        Ok(me) => me,
        Err(icsync_intercom::Error::Unauthorized { .. }) => {
            return Err(InboundError::TokenRejected);
        }
        Err(err) => {
            let host = endpoint
                .base_url
                .clone()
                .unwrap_or_else(|| client_region_url(endpoint.region));
            return Err(InboundError::Invalid(format!(
                "could not read GET /me from {host}: {err}; check the region or base URL and the network"
            )));
        }
    };
    let app = me.app;
    Ok(IntercomIdentity {
        name: app.as_ref().and_then(|a| a.name.clone()),
        app_id: app.as_ref().and_then(|a| a.id_code.clone()),
        region: app.as_ref().and_then(|a| a.region.clone()),
        timezone: app.as_ref().and_then(|a| a.timezone.clone()),
        admin_name: me.name,
        admin_email: me.email,
    })
}

fn client_region_url(region: Region) -> String {
    crate::client::client_region(region).base_url().to_owned()
}

/// A workspace to connect, as an admin asks for it.
#[derive(Debug, Clone)]
pub struct ConnectRequest {
    pub name: String,
    pub token: SecretString,
    pub endpoint: Endpoint,
    pub backfill_days: i32,
    pub include_leads: bool,
    pub user_tracking: bool,
    pub primary_source_is_intercom: bool,
    pub webhook_secret: Option<SecretString>,
}

impl ConnectRequest {
    /// A request with the defaults: 60-day backfill, users only, User Tracking on (the backfill
    /// starts at once), the host as primary source.
    pub fn new(name: impl Into<String>, token: SecretString, endpoint: Endpoint) -> Self {
        ConnectRequest {
            name: name.into(),
            token,
            endpoint,
            backfill_days: Workspace::DEFAULT_BACKFILL_DAYS,
            include_leads: false,
            user_tracking: true,
            primary_source_is_intercom: false,
            webhook_secret: None,
        }
    }
}

/// A workspace connected (or reconnected), and who Intercom says it is.
#[derive(Debug, Clone)]
pub struct Connected {
    pub workspace: Workspace,
    pub identity: IntercomIdentity,
    /// True when a workspace of that name existed and got the new token.
    pub reconnected: bool,
}

/// Tests the token, then stores the workspace with its token encrypted. Connecting a name that
/// exists replaces its token and settings (a reconnect after a revoked token); connecting an
/// Intercom workspace already connected under another name is refused.
pub async fn connect(
    store: &Store,
    request: &ConnectRequest,
    settings: &ClientSettings,
) -> Result<Connected> {
    validate_name(&request.name)?;
    validate_backfill_days(request.backfill_days)?;
    let identity = test_connection(&request.endpoint, &request.token, settings).await?;
    if let Some(app_id) = &identity.app_id
        && let Some(other) = store
            .workspaces()
            .await?
            .into_iter()
            .find(|w| w.intercom_app_id.as_deref() == Some(app_id) && w.name != request.name)
    {
        return Err(InboundError::Invalid(format!(
            "Intercom workspace {app_id} is already connected as {:?}; reconnect that one \
             (icsync workspace connect --name {:?} ...) or disconnect it first",
            other.name, other.name
        )));
    }
    let region = match (&request.endpoint.base_url, identity.known_region()) {
        // Without a base URL the host was the region's own: Intercom answered from there.
        (None, _) | (Some(_), None) => request.endpoint.region,
        (Some(_), Some(region)) => region,
    };
    let existing = store.workspace_by_name(&request.name).await?;
    let workspace = match existing {
        Some(existing) => {
            let was_tracking = existing.user_tracking && existing.is_connected();
            store.set_access_token(existing.id, &request.token).await?;
            if let Some(secret) = &request.webhook_secret {
                // A new webhook secret replaces the old; none given keeps it.
                store.set_webhook_secret(existing.id, Some(secret)).await?;
            }
            let updated = store
                .update_workspace(
                    existing.id,
                    &WorkspaceSettings {
                        user_tracking: Some(request.user_tracking),
                        primary_source_is_intercom: Some(request.primary_source_is_intercom),
                        backfill_days: Some(request.backfill_days),
                        include_leads: Some(request.include_leads),
                        timezone: identity.timezone.clone(),
                        intercom_app_id: identity.app_id.clone(),
                        region: Some(region),
                        base_url: Some(request.endpoint.base_url.clone()),
                        ..WorkspaceSettings::default()
                    },
                )
                .await?;
            if request.user_tracking && !was_tracking {
                start_backfill(store, updated.id).await?;
            }
            return Ok(Connected {
                workspace: updated,
                identity,
                reconnected: true,
            });
        }
        None => {
            let new = NewWorkspace {
                intercom_app_id: identity.app_id.clone(),
                region,
                base_url: request.endpoint.base_url.clone(),
                access_token: Some(request.token.clone()),
                webhook_secret: request.webhook_secret.clone(),
                backfill_days: request.backfill_days,
                include_leads: request.include_leads,
                user_tracking: request.user_tracking,
                primary_source_is_intercom: request.primary_source_is_intercom,
                timezone: identity.timezone.clone(),
                ..NewWorkspace::new(request.name.clone())
            };
            store.create_workspace(&new).await?
        }
    };
    Ok(Connected {
        workspace,
        identity,
        reconnected: false,
    })
}

/// The streams a backfill restarts.
pub const GATED_STREAMS: [&str; 3] = [StreamName::USERS, StreamName::COMPANIES, StreamName::EVENTS];

/// Forgets the gated streams' checkpoints: their next run is a new backfill with a new cutoff.
pub async fn start_backfill(store: &Store, workspace: WorkspaceId) -> Result<()> {
    for stream in GATED_STREAMS {
        store
            .reset_checkpoint(workspace, &StreamName::new(stream))
            .await?;
    }
    Ok(())
}

/// The workspace named `name`, or an error saying how to list them.
pub async fn find(store: &Store, name: &str) -> Result<Workspace> {
    store
        .workspace_by_name(name)
        .await?
        .ok_or_else(|| InboundError::UnknownWorkspace(name.to_owned()))
}

/// Settings an admin changes on a connected workspace.
#[derive(Debug, Clone, Default)]
pub struct SettingsChange {
    pub user_tracking: Option<bool>,
    pub primary_source_is_intercom: Option<bool>,
    pub writeback_enabled: Option<bool>,
    pub backfill_days: Option<i32>,
    pub include_leads: Option<bool>,
}

/// Applies `change`; switching User Tracking on starts a new backfill, switching it off stops
/// the gated streams at their next page (their checkpoints are kept).
pub async fn change_settings(
    store: &Store,
    workspace: &Workspace,
    change: &SettingsChange,
) -> Result<Workspace> {
    if let Some(days) = change.backfill_days {
        validate_backfill_days(days)?;
    }
    let turning_on = change.user_tracking == Some(true) && !workspace.user_tracking;
    if turning_on && !workspace.is_connected() {
        return Err(InboundError::Invalid(format!(
            "workspace {:?} is disconnected: reconnect it (icsync workspace connect --name {:?} ...) before switching User Tracking on",
            workspace.name, workspace.name
        )));
    }
    let updated = store
        .update_workspace(
            workspace.id,
            &WorkspaceSettings {
                user_tracking: change.user_tracking,
                primary_source_is_intercom: change.primary_source_is_intercom,
                writeback_enabled: change.writeback_enabled,
                backfill_days: change.backfill_days,
                include_leads: change.include_leads,
                ..WorkspaceSettings::default()
            },
        )
        .await?;
    if turning_on {
        start_backfill(store, workspace.id).await?;
    }
    Ok(updated)
}

/// Disconnects: every job and push stops (the daemon sees it at the next page); data stays.
pub async fn disconnect(store: &Store, workspace: &Workspace) -> Result<Workspace> {
    Ok(store.disconnect_workspace(workspace.id).await?)
}

fn validate_name(name: &str) -> Result<()> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.len() > 100 || trimmed != name {
        return Err(InboundError::Invalid(
            "a workspace name must be 1 to 100 characters without leading or trailing spaces"
                .to_owned(),
        ));
    }
    Ok(())
}

fn validate_backfill_days(days: i32) -> Result<()> {
    if !(1..=3650).contains(&days) {
        return Err(InboundError::Invalid(format!(
            "backfill days must be between 1 and 3650, not {days}"
        )));
    }
    Ok(())
}
