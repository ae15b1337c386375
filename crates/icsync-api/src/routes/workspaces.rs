//! Workspaces (admin): connect with a token or an OAuth code, test a token, list, show, change
//! settings, disconnect, and delete a workspace with all its data.

use crate::auth::AdminKey;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::model::{
    ConnectBody, ConnectedView, DeletedView, IdentityView, OAuthConnectBody, SettingsBody,
    TestConnectionBody, WorkspaceList, WorkspaceView,
};
use crate::openapi::{E400, E401, E403, E404, E409, E422, E500, E502};
use crate::routes::connect::{
    Connect, check_base_url, check_name, check_secret, check_settings, connect_workspace, exchange,
    read_me,
};
use crate::routes::workspace_named;
use crate::state::ApiState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use icsync_domain::Region;
use icsync_inbound::InboundError;
use icsync_inbound::workspaces::{self as inbound, Endpoint, SettingsChange};
use serde::Deserialize;
use utoipa::IntoParams;

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
    let connected = connect_with_token(&state, body).await?;
    let status = if connected.reconnected {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(connected)))
}

/// What `POST /v1/workspaces` does, without HTTP (the console's connect form): every check,
/// `GET /me`, then inbound's connect. `reconnected` tells a reconnect from a new workspace.
pub async fn connect_with_token(state: &ApiState, body: ConnectBody) -> ApiResult<ConnectedView> {
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
        state,
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
    test_token(&state, body).await.map(Json)
}

/// What `POST /v1/workspaces/test-connection` does, without HTTP (the console's "Test
/// connection"): who Intercom says the token belongs to; nothing is stored.
pub async fn test_token(state: &ApiState, body: TestConnectionBody) -> ApiResult<IdentityView> {
    let token = check_secret("token", &body.token)?;
    let endpoint = Endpoint {
        region: body.region.map_or(Region::Us, Region::from),
        base_url: check_base_url(body.base_url.as_deref())?,
    };
    let identity = read_me(state, &endpoint, &token).await?;
    Ok(IdentityView::from(&identity))
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
    let connected = connect_workspace(
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
    .await?;
    let status = if connected.reconnected {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(connected)))
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
    update_settings(&state, &name, body).await.map(Json)
}

/// What `PATCH /v1/workspaces/{name}` does, without HTTP (the console's switches).
pub async fn update_settings(
    state: &ApiState,
    name: &str,
    body: SettingsBody,
) -> ApiResult<WorkspaceView> {
    let workspace = workspace_named(state, name).await?;
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
    Ok(WorkspaceView::from(&updated))
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
    disconnect_workspace(&state, &name).await.map(Json)
}

/// What `POST /v1/workspaces/{name}/disconnect` does, without HTTP (the console's disconnect):
/// every job and push stops, the data stays.
pub async fn disconnect_workspace(state: &ApiState, name: &str) -> ApiResult<WorkspaceView> {
    let workspace = workspace_named(state, name).await?;
    let updated = inbound::disconnect(state.store(), &workspace).await?;
    tracing::info!(workspace = %updated.name, "workspace disconnected, data kept");
    Ok(WorkspaceView::from(&updated))
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
