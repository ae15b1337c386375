//! Building the Intercom client of a stored workspace, sharing its pacer with every other caller
//! of that Intercom workspace (inbound, on-view fetches, writeback).

use crate::error::{InboundError, Result};
use icsync_domain::{Region, Workspace};
use icsync_intercom::{AccessToken, ClientConfig, IntercomClient, PacerRegistry, Timeouts};
use secrecy::ExposeSecret;

/// Client settings the daemon configures once for every workspace.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Sent as `Intercom-Version`.
    pub intercom_version: String,
    pub timeouts: Timeouts,
    pub retry: icsync_intercom::RetryPolicy,
    /// Sent as `User-Agent` instead of the client's default (the daemon adds its instance).
    pub user_agent: Option<String>,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            intercom_version: icsync_intercom::DEFAULT_INTERCOM_VERSION.to_owned(),
            timeouts: Timeouts::default(),
            retry: icsync_intercom::RetryPolicy::default(),
            user_agent: None,
        }
    }
}

/// The client's region for a domain region.
pub fn client_region(region: Region) -> icsync_intercom::Region {
    match region {
        Region::Us => icsync_intercom::Region::Us,
        Region::Eu => icsync_intercom::Region::Eu,
        Region::Au => icsync_intercom::Region::Au,
    }
}

/// A client config for a token, region and optional base URL (the simulator, a proxy).
pub fn client_config(
    region: Region,
    base_url: Option<&str>,
    token: &str,
    label: &str,
    settings: &ClientSettings,
) -> Result<ClientConfig> {
    let mut config = ClientConfig::new(client_region(region), AccessToken::new(token));
    if let Some(base_url) = base_url {
        config = config.with_base_url(base_url).map_err(|e| {
            InboundError::Invalid(format!("the Intercom base URL is not usable: {e}"))
        })?;
    }
    config.intercom_version = settings.intercom_version.clone();
    config.timeouts = settings.timeouts;
    config.retry = settings.retry.clone();
    config.workspace_label = label.to_owned();
    if let Some(agent) = &settings.user_agent {
        config.user_agent = agent.clone();
    }
    Ok(config)
}

/// The pacer key of a workspace: its Intercom app (two icsync workspaces on one Intercom app
/// share one budget), else icsync's id.
pub fn pacer_key(workspace: &Workspace) -> String {
    workspace
        .intercom_app_id
        .clone()
        .unwrap_or_else(|| format!("icsync-{}", workspace.id))
}

/// The client of a stored workspace, with the workspace's shared pacer from `pacers`.
pub fn client_for(
    workspace: &Workspace,
    pacers: &PacerRegistry,
    settings: &ClientSettings,
) -> Result<IntercomClient> {
    let token = workspace
        .access_token
        .as_ref()
        .ok_or_else(|| InboundError::NotSyncable {
            workspace: workspace.name.clone(),
            reason: "it has no access token; reconnect it".to_owned(),
        })?;
    let config = client_config(
        workspace.region,
        workspace.base_url.as_deref(),
        token.expose_secret(),
        &workspace.name,
        settings,
    )?;
    let pacer = pacers.pacer(&pacer_key(workspace));
    Ok(IntercomClient::with_pacer(config, pacer)?)
}
