//! Errors: [`SimError`] for the crate's own failures, [`ApiError`] for Intercom `error.list` answers.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Failures of the simulator itself (start-up, configuration).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("failed to bind {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("unknown time zone {0:?}")]
    TimeZone(String),
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("webhook: {0}")]
    Webhook(String),
}

/// An Intercom error answer: HTTP status plus one `{code, message}` in an `error.list` body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }

    pub(crate) fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "parameter_invalid", message)
    }

    pub(crate) fn missing(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "parameter_not_found", message)
    }

    pub(crate) fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Access Token Invalid",
        )
    }

    pub(crate) fn user_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "User Not Found")
    }

    pub(crate) fn resource_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Resource Not Found")
    }

    pub(crate) fn company_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "company_not_found",
            "Company Not Found",
        )
    }

    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// The `error.list` body with a fresh `request_id`.
    pub fn body(&self) -> serde_json::Value {
        json!({
            "type": "error.list",
            "request_id": uuid::Uuid::new_v4().to_string(),
            "errors": [{"code": self.code, "message": self.message}],
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;
