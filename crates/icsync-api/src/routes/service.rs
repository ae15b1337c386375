//! Liveness, readiness and the OpenAPI document.

use crate::auth::HostKey;
use crate::error::{ApiError, ApiResult};
use crate::openapi::{E401, E403, E500, E503};
use crate::state::ApiState;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Json, Response};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// The process answers.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Health {
    /// `ok`.
    pub status: String,
}

/// The process can serve.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Ready {
    /// `ready`.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
}

/// Liveness: the process is up.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "service",
    responses((status = 200, description = "The process is up.", body = Health)))]
pub(crate) async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
    })
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", operation_id = "readyz", tag = "service",
    responses((status = 200, description = "Ready to serve.", body = Ready), E503))]
pub(crate) async fn readyz(State(state): State<ApiState>) -> ApiResult<Json<Ready>> {
    match state.store().ping().await {
        Ok(()) => Ok(Json(Ready {
            status: "ready".to_owned(),
            database: state.store().backend().as_str().to_owned(),
        })),
        Err(error) => {
            tracing::warn!(error = %error, "readiness check failed: database unavailable");
            Err(ApiError::Unavailable(
                "the database does not answer; see the daemon's log".to_owned(),
            ))
        }
    }
}

/// The serialized OpenAPI document.
#[derive(Debug, Clone)]
pub(crate) struct Document(pub Arc<String>);

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/v1/openapi.json", operation_id = "get_openapi_document", tag = "service",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The OpenAPI 3.1 document.", content_type = "application/json", body = Object),
        E401, E403, E500))]
pub(crate) async fn openapi_json(
    _caller: HostKey,
    Extension(document): Extension<Document>,
) -> Response {
    let mut response = document.0.as_str().to_owned().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Prometheus metrics (text format).
#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "service",
    responses((status = 200, description = "Prometheus text format.", content_type = "text/plain", body = String)))]
pub(crate) async fn metrics(state: State<ApiState>) -> Response {
    crate::metrics::metrics(state).await
}
