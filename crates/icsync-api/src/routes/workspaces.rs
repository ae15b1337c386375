//! Workspaces (admin): connect with a token or an OAuth code, test a token, list, show, change
//! settings, disconnect, and delete a workspace with all its data.

use crate::auth::AdminKey;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, check_text};
use crate::model::{
    ApiRegion, ConnectBody, ConnectedView, DeletedView, IdentityView, OAuthConnectBody,
    SettingsBody, TestConnectionBody, WorkspaceList, WorkspaceView,
};
use crate::openapi::{E400, E401, E403, E404, E409, E422, E500, E502};
use crate::routes::{NAME_MAX, workspace_named};
use crate::state::ApiState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use icsync_domain::{Region, Workspace};
use icsync_inbound::workspaces::{
    self as inbound, ConnectRequest, Endpoint, IntercomIdentity, SettingsChange,
};
use icsync_inbound::{ClientSettings, InboundError};
use secrecy::SecretString;
use serde::Deserialize;
use std::time::Duration;
use utoipa::IntoParams;

/// Client settings for calls an admin waits on: few retries, short timeouts.
fn interactive(settings: &ClientSettings) -> ClientSettings {
    let mut settings = settings.clone();
    settings.retry.max_attempts = settings.retry.max_attempts.min(3);
    settings.retry.max_delay = settings.retry.max_delay.min(Duration::from_secs(2));
    settings.timeouts.connect = settings.timeouts.connect.min(Duration::from_secs(5));
    settings.timeouts.read = settings.timeouts.read.min(Duration::from_secs(15));
    settings
}

fn check_name(name: &str) -> ApiResult<()> {
    if name.trim().is_empty() || name.trim() != name || name.chars().count() > NAME_MAX {
        return Err(ApiError::validation(
            "name",
            "a workspace name is 1 to 100 characters without leading or trailing spaces",
        ));
    }
    check_text("name", name, NAME_MAX).map_err(|e| ApiError::validation("name", e.to_string()))
}

fn check_secret(field: &str, value: &str) -> ApiResult<SecretString> {
    let value = value.trim();
    if value.is_empty() || value.chars().any(char::is_control) || value.chars().count() > 4096 {
        return Err(ApiError::validation(
            field,
            format!("{field} must be a non-empty string without control characters"),
        ));
    }
    Ok(SecretString::from(value.to_owned()))
}

fn check_base_url(base_url: Option<&str>) -> ApiResult<Option<String>> {
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

fn check_settings(settings: &SettingsBody, prefix: &str) -> ApiResult<()> {
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
async fn read_me(
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
struct Connect {
    name: String,
    token: SecretString,
    region: Option<ApiRegion>,
    base_url: Option<String>,
    webhook_secret: Option<SecretString>,
    settings: SettingsBody,
}

async fn connect_workspace(
    state: &ApiState,
    connect: Connect,
) -> ApiResult<(StatusCode, Json<ConnectedView>)> {
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
    let status = if connected.reconnected {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(ConnectedView {
            workspace: WorkspaceView::from(&workspace),
            identity: IdentityView::from(&connected.identity),
            reconnected: connected.reconnected,
        }),
    ))
}

/// Every workspace.
#[utoipa::path(get, path = "/v1/workspaces", operation_id = "list_workspaces", tag = "workspaces",
    security(("api_key" = [])),
    responses((status = 200, description = "Every workspace, oldest first.", body = WorkspaceList), E401, E403, E500))]
pub(crate) async fn list(
    _admin: AdminKey,
    State(state): State<ApiState>,
) -> ApiResult<Json<WorkspaceList>> {
    let workspaces = state.store().workspaces().await?;
    Ok(Json(WorkspaceList {
        workspaces: workspaces.iter().map(WorkspaceView::from).collect(),
    }))
}

/// Connect a workspace with an access token (reads `GET /me` first; a refused token stores
/// nothing). Connecting a name that exists replaces its token (a reconnect).
#[utoipa::path(post, path = "/v1/workspaces", operation_id = "connect_workspace", tag = "workspaces",
    security(("api_key" = [])),
    request_body = ConnectBody,
    responses(
        (status = 201, description = "Connected.", body = ConnectedView),
        (status = 200, description = "Reconnected: the workspace existed and got the new token.", body = ConnectedView),
        E400, E401, E403, E409, E422, E500, E502))]
pub(crate) async fn connect(
    _admin: AdminKey,
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<ConnectBody>,
) -> ApiResult<(StatusCode, Json<ConnectedView>)> {
    check_name(&body.name)?;
    let token = check_secret("token", &body.token)?;
    let base_url = check_base_url(body.base_url.as_deref())?;
    let webhook_secret = body
        .webhook_secret
        .as_deref()
        .map(|s| check_secret("webhook_secret", s))
        .transpose()?;
    let settings = body.settings.unwrap_or_default();
    check_settings(&settings, "settings.")?;
    connect_workspace(
        &state,
        Connect {
            name: body.name,
            token,
            region: body.region,
            base_url,
            webhook_secret,
            settings,
        },
    )
    .await
}

/// Test a token: who Intercom says it belongs to. Nothing is stored.
#[utoipa::path(post, path = "/v1/workspaces/test-connection", operation_id = "test_connection", tag = "workspaces",
    security(("api_key" = [])),
    request_body = TestConnectionBody,
    responses(
        (status = 200, description = "The token works: the Intercom workspace and the admin behind it.", body = IdentityView),
        E400, E401, E403, E422, E500, E502))]
pub(crate) async fn test_connection(
    _admin: AdminKey,
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<TestConnectionBody>,
) -> ApiResult<Json<IdentityView>> {
    let token = check_secret("token", &body.token)?;
    let endpoint = Endpoint {
        region: body.region.map_or(Region::Us, Region::from),
        base_url: check_base_url(body.base_url.as_deref())?,
    };
    let identity = read_me(&state, &endpoint, &token).await?;
    Ok(Json(IdentityView::from(&identity)))
}

/// Connect a workspace with an OAuth authorization code (exchanged at Intercom's
/// `/auth/eagle/token` with icsync's client id and secret). Needs OAuth configured.
#[utoipa::path(post, path = "/v1/workspaces/oauth", operation_id = "connect_workspace_oauth", tag = "workspaces",
    security(("api_key" = [])),
    request_body = OAuthConnectBody,
    responses(
        (status = 201, description = "Connected.", body = ConnectedView),
        (status = 200, description = "Reconnected.", body = ConnectedView),
        E400, E401, E403, E409, E422, E500, E502))]
pub(crate) async fn oauth(
    _admin: AdminKey,
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<OAuthConnectBody>,
) -> ApiResult<(StatusCode, Json<ConnectedView>)> {
    let Some(client) = state.settings().oauth.clone() else {
        return Err(ApiError::OAuthNotConfigured);
    };
    check_name(&body.name)?;
    let code = check_secret("code", &body.code)?;
    let base_url = check_base_url(body.base_url.as_deref())?;
    let webhook_secret = body
        .webhook_secret
        .as_deref()
        .map(|s| check_secret("webhook_secret", s))
        .transpose()?;
    let settings = body.settings.unwrap_or_default();
    check_settings(&settings, "settings.")?;
    let region = body.region.map_or(Region::Us, Region::from);
    let host = base_url
        .clone()
        .unwrap_or_else(|| icsync_inbound::client_region(region).base_url().to_owned());
    let token = exchange(&state, &host, &client, &code).await?;
    connect_workspace(
        &state,
        Connect {
            name: body.name,
            token,
            region: body.region,
            base_url,
            webhook_secret,
            settings,
        },
    )
    .await
}

async fn exchange(
    state: &ApiState,
    host: &str,
    client: &crate::state::OAuthClient,
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

/// One workspace.
#[utoipa::path(get, path = "/v1/workspaces/{name}", operation_id = "get_workspace", tag = "workspaces",
    security(("api_key" = [])),
    params(("name" = String, Path, description = "The workspace's name.")),
    responses((status = 200, description = "The workspace.", body = WorkspaceView), E400, E401, E403, E404, E500))]
pub(crate) async fn get(
    _admin: AdminKey,
    State(state): State<ApiState>,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Json<WorkspaceView>> {
    let workspace = workspace_named(&state, &name).await?;
    Ok(Json(WorkspaceView::from(&workspace)))
}

/// Change settings; members left out keep their values. Switching User Tracking on starts a
/// new backfill; switching it off stops the streams at their next page.
#[utoipa::path(patch, path = "/v1/workspaces/{name}", operation_id = "update_workspace", tag = "workspaces",
    security(("api_key" = [])),
    params(("name" = String, Path, description = "The workspace's name.")),
    request_body = SettingsBody,
    responses((status = 200, description = "The workspace with its new settings.", body = WorkspaceView),
        E400, E401, E403, E404, E422, E500))]
pub(crate) async fn update(
    _admin: AdminKey,
    State(state): State<ApiState>,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<SettingsBody>,
) -> ApiResult<Json<WorkspaceView>> {
    let workspace = workspace_named(&state, &name).await?;
    check_settings(&body, "")?;
    let change = SettingsChange {
        user_tracking: body.user_tracking,
        primary_source_is_intercom: body.primary_source_is_intercom,
        writeback_enabled: body.writeback_enabled,
        backfill_days: body.backfill_days,
        include_leads: body.include_leads,
    };
    let updated = inbound::change_settings(state.store(), &workspace, &change)
        .await
        .map_err(|error| match error {
            InboundError::Invalid(message) if body.user_tracking == Some(true) => {
                ApiError::validation("user_tracking", message)
            }
            other => other.into(),
        })?;
    tracing::info!(workspace = %updated.name, "workspace settings changed");
    Ok(Json(WorkspaceView::from(&updated)))
}

/// Disconnect: every job and push of the workspace stops; its data stays.
#[utoipa::path(post, path = "/v1/workspaces/{name}/disconnect", operation_id = "disconnect_workspace", tag = "workspaces",
    security(("api_key" = [])),
    params(("name" = String, Path, description = "The workspace's name.")),
    responses((status = 200, description = "Disconnected; the data is kept.", body = WorkspaceView),
        E400, E401, E403, E404, E500))]
pub(crate) async fn disconnect(
    _admin: AdminKey,
    State(state): State<ApiState>,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Json<WorkspaceView>> {
    let workspace = workspace_named(&state, &name).await?;
    let updated = inbound::disconnect(state.store(), &workspace).await?;
    tracing::info!(workspace = %updated.name, "workspace disconnected, data kept");
    Ok(Json(WorkspaceView::from(&updated)))
}

/// `?confirm=NAME`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ConfirmQuery {
    /// The workspace's name again: deleting cannot be undone.
    pub confirm: Option<String>,
}

/// Delete a disconnected workspace and everything stored for it, in one transaction.
#[utoipa::path(delete, path = "/v1/workspaces/{name}/data", operation_id = "delete_workspace_data", tag = "workspaces",
    security(("api_key" = [])),
    params(("name" = String, Path, description = "The workspace's name."),
        ("confirm" = String, Query, description = "The workspace's name again: deleting cannot be undone.")),
    responses((status = 200, description = "Deleted, with the rows removed per table.", body = DeletedView),
        E400, E401, E403, E404, E409, E500))]
pub(crate) async fn delete_data(
    _admin: AdminKey,
    State(state): State<ApiState>,
    ApiPath(name): ApiPath<String>,
    ApiQuery(query): ApiQuery<ConfirmQuery>,
) -> ApiResult<Json<DeletedView>> {
    let workspace = workspace_named(&state, &name).await?;
    if query.confirm.as_deref() != Some(workspace.name.as_str()) {
        return Err(ApiError::ConfirmationRequired(workspace.name));
    }
    if workspace.is_connected() {
        return Err(ApiError::WorkspaceConnected(workspace.name));
    }
    let rows = state
        .store()
        .delete_workspace_and_data(workspace.id)
        .await
        .map_err(|error| match error {
            icsync_store::StoreError::NotFound { .. } => {
                ApiError::WorkspaceNotFound(workspace.name.clone())
            }
            other => other.into(),
        })?;
    tracing::warn!(workspace = %workspace.name, rows = rows.values().sum::<u64>(), "workspace and its data deleted");
    Ok(Json(DeletedView {
        workspace: workspace.name,
        rows,
    }))
}
