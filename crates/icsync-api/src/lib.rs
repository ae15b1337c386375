//! icsync's HTTP API: JSON under `/v1` for the host app (profiles, feeds, CS attributes; a
//! `host` key) and admins (workspaces, status; an `admin` key), `/healthz`, `/readyz`,
//! `/metrics`, the OpenAPI 3.1 document at `/v1/openapi.json`, and the mount point of Intercom's
//! webhook receiver (`/v1/webhooks`, inbound's router, no key).
//!
//! - [`router`] builds the routes over an [`ApiState`]: the store, [`ApiSettings`] and the
//!   [`ApiServices`] the daemon injects (the on-view fetch, writeback status, the CS attributes
//!   setter, rollups).
//! - [`create_api_key`] makes a key for `icsync apikey create`.
//! - [`StoreProgress`] records a running sync's progress so status can show it.
//!
//! **Invariant**: the API never talks to Intercom for host requests; it asks inbound through
//! [`OnViewFetch`]. Admin connect and test-connection read `GET /me` through inbound.
//! **Invariant**: no response, log line or error holds a token, secret or API key.
//! **Invariant**: every error is an [`ApiError`] with a stable code; bad input is a 4xx naming
//! the field, never a 500.

mod auth;
mod cs_store;
mod error;
mod extract;
mod metrics;
pub mod model;
mod openapi;
mod progress;
mod rollup_inputs;
mod routes;
mod services;
mod state;
mod telemetry;

pub use auth::{
    AdminKey, Caller, ConfiguredKey, HostKey, MIN_CONFIGURED_KEY_LEN, Scope, create_api_key,
    identify_key,
};
pub use cs_store::{StoreCsAttributes, apply_change, cs_state, validate_change};
pub use error::{ApiError, ApiResult, ErrorBody, ErrorCode, ErrorDetail};
pub use progress::StoreProgress;
pub use rollup_inputs::{RollupInputs, rollup_inputs, zone_of};
pub use services::{
    CsAttributesService, CsChange, CsState, DailyRollup, Freshness, OnViewFetch, Rollups,
    ServiceError, TimelineStatus, WritebackFailure, WritebackFigures, WritebackStatus,
};
pub use state::{ApiServices, ApiSettings, ApiState, OAuthClient};

/// What the endpoints do, without HTTP, for other front ends over the same [`ApiState`] (the
/// console's pages): the same checks, the same [`ApiError`]s, the same views.
pub mod ops {
    pub use crate::routes::accounts::account_profile;
    pub use crate::routes::contacts::{contact_profile, conversation_detail};
    pub use crate::routes::export::export_status;
    pub use crate::routes::status::workspace_status;
    pub use crate::routes::workspaces::{
        connect_with_token, disconnect_workspace, test_token, update_settings,
    };
    pub use crate::routes::{resolve_workspace, workspace_named};
}

use axum::Router;
use axum::extract::Request;
use axum::response::IntoResponse;
use routes::{accounts, contacts, cs, export, feeds, service, status, workspaces};
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every documented route, with its OpenAPI operations.
fn documented() -> OpenApiRouter<ApiState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(service::healthz))
        .routes(routes!(service::readyz))
        .routes(routes!(service::metrics))
        .routes(routes!(service::openapi_json))
        .routes(routes!(workspaces::list, workspaces::connect))
        .routes(routes!(workspaces::test_connection))
        .routes(routes!(workspaces::oauth))
        .routes(routes!(workspaces::get, workspaces::update))
        .routes(routes!(workspaces::disconnect))
        .routes(routes!(workspaces::delete_data))
        .routes(routes!(status::status))
        .routes(routes!(contacts::profile))
        .routes(routes!(contacts::conversation))
        .routes(routes!(accounts::profile))
        .routes(routes!(feeds::events))
        .routes(routes!(feeds::sessions))
        .routes(routes!(feeds::rollups))
        .routes(routes!(cs::set_contact))
        .routes(routes!(cs::set_account_attributes))
        .routes(routes!(cs::batch))
        .routes(routes!(export::get_settings, export::set_settings))
        .routes(routes!(
            export::put_record,
            export::get_record,
            export::remove_record
        ))
        .routes(routes!(export::batch))
        .routes(routes!(export::versions))
        .routes(routes!(export::status))
}

/// The OpenAPI 3.1 document of [`router`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented().split_for_parts().1
}

/// The API's routes over `state`, with request ids, one span per request, HTTP metrics and
/// the API's 404/405 answers. The daemon mounts it as its whole HTTP surface.
pub fn router(state: ApiState) -> Router {
    let (routes, document) = documented().split_for_parts();
    let json = document
        .to_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"the document could not be rendered: {e}\"}}"));
    let mut routes = routes
        .layer(axum::Extension(service::Document(Arc::new(json))))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    if let Some(webhooks) = state.webhooks() {
        routes = routes.nest("/v1/webhooks", webhooks.with_state(()));
    }
    let routes = routes.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        metrics::track,
    ));
    telemetry::instrument(routes).with_state(state)
}

async fn not_found(request: Request) -> axum::response::Response {
    ApiError::RouteNotFound {
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
    }
    .into_response()
}

async fn method_not_allowed(request: Request) -> axum::response::Response {
    ApiError::MethodNotAllowed {
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
    }
    .into_response()
}
