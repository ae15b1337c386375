//! Connecting a workspace (shared by the token and OAuth endpoints): input checks that name the
//! field, `GET /me` with each failure told apart, the Intercom-workspace conflict check, the
//! OAuth code exchange, then inbound's `connect`.

use crate::error::{ApiError, ApiResult};
use crate::extract::check_text;
use crate::model::{ApiRegion, ConnectedView, IdentityView, SettingsBody, WorkspaceView};
use crate::routes::NAME_MAX;
use crate::state::{ApiState, OAuthClient};
use icsync_domain::{Region, Workspace};
use icsync_inbound::workspaces::{
    self as inbound, ConnectRequest, Endpoint, IntercomIdentity, SettingsChange,
};
use icsync_inbound::{ClientSettings, InboundError};
use secrecy::SecretString;
use std::time::Duration;

/// Client settings for calls an admin waits on: few retries, short timeouts.
pub(crate) fn interactive(settings: &ClientSettings) -> ClientSettings {
    let mut settings = settings.clone();
    settings.retry.max_attempts = settings.retry.max_attempts.min(3);
    settings.retry.max_delay = settings.retry.max_delay.min(Duration::from_secs(2));
    settings.timeouts.connect = settings.timeouts.connect.min(Duration::from_secs(5));
    settings.timeouts.read = settings.timeouts.read.min(Duration::from_secs(15));
    settings
}

pub(crate) fn check_name(name: &str) -> ApiResult<()> {
    if name.trim().is_empty() || name.trim() != name || name.chars().count() > NAME_MAX {
        return Err(ApiError::validation(
            "name",
            "a workspace name is 1 to 100 characters without leading or trailing spaces",
        ));
    }
    check_text("name", name, NAME_MAX).map_err(|e| ApiError::validation("name", e.to_string()))
}

pub(crate) fn check_secret(field: &str, value: &str) -> ApiResult<SecretString> {
    let value = value.trim();
    if value.is_empty() || value.chars().any(char::is_control) || value.chars().count() > 4096 {
        return Err(ApiError::validation(
            field,
            format!("{field} must be a non-empty string without control characters"),
        ));
    }
    Ok(SecretString::from(value.to_owned()))
}

pub(crate) fn check_base_url(base_url: Option<&str>) -> ApiResult<Option<String>> {
    let Some(base_url) = base_url else {
        return Ok(None);
    };
    let parsed = url::Url::parse(base_url.trim()).map_err(|e| {
        ApiError::validation("base_url", format!("the base URL is not a URL ({e})"))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(ApiError::validation(
            "base_url",
            "the base URL must be an http or https URL with a host",
        ));
    }
    Ok(Some(base_url.trim().trim_end_matches('/').to_owned()))
}

pub(crate) fn check_settings(settings: &SettingsBody, prefix: &str) -> ApiResult<()> {
    if let Some(days) = settings.backfill_days
        && !(1..=3650).contains(&days)
    {
        return Err(ApiError::validation(
            format!("{prefix}backfill_days"),
            format!("backfill days must be between 1 and 3650, not {days}"),
        ));
    }
    Ok(())
}

/// `GET /me` with a token, each failure told apart.
pub(crate) async fn read_me(
    state: &ApiState,
    endpoint: &Endpoint,
    token: &SecretString,
) -> ApiResult<IntercomIdentity> {
    let settings = interactive(&state.settings().intercom);
    match inbound::test_connection(endpoint, token, &settings).await {
        Ok(identity) => Ok(identity),
        Err(InboundError::TokenRefused { .. }) => Err(ApiError::TokenRefused),
        // The host did not answer as Intercom (or the base URL is unusable).
        Err(InboundError::Invalid(message)) => Err(ApiError::IntercomUnreachable(message)),
        Err(other) => Err(other.into()),
    }
}

/// What a connect (token or OAuth) needs once the token is known.
pub(crate) struct Connect {
    pub name: String,
    pub token: SecretString,
    pub region: Option<ApiRegion>,
    pub base_url: Option<String>,
    pub webhook_secret: Option<SecretString>,
    pub settings: SettingsBody,
}

pub(crate) async fn connect_workspace(
    state: &ApiState,
    connect: Connect,
) -> ApiResult<ConnectedView> {
    let store = state.store();
    let endpoint = Endpoint {
        region: connect.region.map_or(Region::Us, Region::from),
        base_url: connect.base_url,
    };
    let identity = read_me(state, &endpoint, &connect.token).await?;
    let existing = store.workspace_by_name(&connect.name).await?;
    if let Some(app_id) = &identity.app_id
        && let Some(other) = store
            .workspaces()
            .await?
            .into_iter()
            .find(|w| w.intercom_app_id.as_deref() == Some(app_id) && w.name != connect.name)
    {
        return Err(ApiError::WorkspaceConflict(format!(
            "Intercom workspace {app_id} is already connected as {:?}: reconnect that one, or \
             disconnect and delete it first",
            other.name
        )));
    }
    // A reconnect keeps the settings the request leaves out.
    let s = &connect.settings;
    let keep = existing.as_ref();
    let request = ConnectRequest {
        backfill_days: s
            .backfill_days
            .or(keep.map(|w| w.backfill_days))
            .unwrap_or(Workspace::DEFAULT_BACKFILL_DAYS),
        include_leads: s
            .include_leads
            .or(keep.map(|w| w.include_leads))
            .unwrap_or(false),
        user_tracking: s.user_tracking.unwrap_or(true),
        primary_source_is_intercom: s
            .primary_source_is_intercom
            .or(keep.map(|w| w.primary_source_is_intercom))
            .unwrap_or(false),
        webhook_secret: connect.webhook_secret,
        ..ConnectRequest::new(connect.name.clone(), connect.token, endpoint)
    };
    let connected = inbound::connect(store, &request, &interactive(&state.settings().intercom))
        .await
        .map_err(|error| match error {
            InboundError::TokenRefused { .. } => ApiError::TokenRefused,
            InboundError::Invalid(message) => ApiError::validation("body", message),
            other => other.into(),
        })?;
    let mut workspace = connected.workspace;
    if let Some(on) = s.writeback_enabled
        && on != workspace.writeback_enabled
    {
        let change = SettingsChange {
            writeback_enabled: Some(on),
            ..SettingsChange::default()
        };
        workspace = inbound::change_settings(store, &workspace, &change).await?;
    }
    tracing::info!(workspace = %workspace.name, reconnected = connected.reconnected, "workspace connected");
    Ok(ConnectedView {
        workspace: WorkspaceView::from(&workspace),
        identity: IdentityView::from(&connected.identity),
        reconnected: connected.reconnected,
    })
}

pub(crate) async fn exchange(
    state: &ApiState,
    host: &str,
    client: &OAuthClient,
    code: &SecretString,
) -> ApiResult<SecretString> {
    use icsync_intercom::Error;
    use secrecy::ExposeSecret;
    let timeout = interactive(&state.settings().intercom).timeouts.read;
    match icsync_intercom::oauth::exchange_code(
        host,
        &client.client_id,
        &client.client_secret,
        code.expose_secret(),
        timeout,
    )
    .await
    {
        Ok(token) => Ok(token),
        Err(Error::Unauthorized { .. }) => Err(ApiError::IntercomUnavailable(
            "Intercom refused icsync's OAuth client id or secret: check api.oauth.client_id \
             and the client secret in the daemon's configuration"
                .to_owned(),
        )),
        Err(Error::Api { status, .. }) if (400..500).contains(&status) => Err(code_refused()),
        Err(Error::NotFound { .. } | Error::Conflict { .. }) => Err(code_refused()),
        Err(error @ (Error::Transport { .. } | Error::Timeout { .. } | Error::Config(_))) => {
            Err(ApiError::IntercomUnreachable(format!(
                "could not reach Intercom at {host} for the OAuth exchange: {error}; check the \
             region or base URL"
            )))
        }
        Err(error) => Err(ApiError::IntercomUnavailable(format!(
            "the OAuth exchange failed: {error}"
        ))),
    }
}

fn code_refused() -> ApiError {
    ApiError::OAuthCodeRefused(
        "Intercom refused the OAuth code (it is invalid, expired or was used): authorize again \
         for a new code"
            .to_owned(),
    )
}
