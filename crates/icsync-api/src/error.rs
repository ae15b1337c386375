//! The API's one error type: every failure a handler can meet, each mapped to an HTTP status
//! and a stable `code`, rendered as `{"error": {"code", "message", "field"}}`.
//!
//! **Invariant**: a message never holds a token, secret or API key, and a 500 says only that
//! something failed and where to look (the daemon's log, under the request id); the cause is
//! logged, not returned.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use icsync_inbound::InboundError;
use icsync_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// The stable error codes, as documented in `docs/API.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 401: no API key, or one icsync does not know (or that was revoked).
    Unauthorized,
    /// 403: the key's scope does not cover the endpoint (a host key on an admin endpoint).
    Forbidden,
    /// 404: no such route.
    NotFound,
    /// 405: the route exists, the method does not.
    MethodNotAllowed,
    /// 404: no workspace by that name (or none connected yet).
    WorkspaceNotFound,
    /// 404: no stored contact matches the key.
    ContactNotFound,
    /// 404: no stored company matches the key.
    AccountNotFound,
    /// 404: no stored conversation has that id.
    ConversationNotFound,
    /// 400: the body is not JSON of the expected shape; `field` names the offending member.
    InvalidBody,
    /// 400: a path or query parameter is malformed; `field` names it.
    InvalidParameter,
    /// 422: well-formed input with a value icsync refuses; `field` names it.
    ValidationFailed,
    /// 400: several workspaces exist and the request did not say which (`?workspace=NAME`).
    WorkspaceRequired,
    /// 400: deleting a workspace's data needs `?confirm=` set to the workspace's name.
    ConfirmationRequired,
    /// 409: the workspace is still connected (disconnect it before deleting its data).
    WorkspaceConnected,
    /// 409: the Intercom workspace is already connected under another name.
    WorkspaceConflict,
    /// 409: the workspace cannot sync now (disconnected, or stopped by a connection error).
    WorkspaceNotSyncable,
    /// 422: Intercom refused the access token (wrong, revoked, or of another region).
    IntercomTokenRefused,
    /// 422: Intercom could not be reached at the region's host or the given base URL.
    IntercomUnreachable,
    /// 409: OAuth is not configured (no client id and secret).
    OauthNotConfigured,
    /// 422: Intercom refused the OAuth code (invalid, expired or used).
    OauthCodeRefused,
    /// 413: the body is larger than the endpoint accepts.
    PayloadTooLarge,
    /// 502: Intercom failed in a way retries did not cure.
    IntercomUnavailable,
    /// 503: icsync cannot serve right now (its database does not answer).
    Unavailable,
    /// 500: icsync failed; the daemon's log has the cause under the request id.
    InternalError,
    /// 409: the workspace's export is not configured yet (`PUT /v1/workspaces/{name}/export`).
    ExportNotConfigured,
    /// 404: the export holds no record with that host id.
    ExportRecordNotFound,
}

impl ErrorCode {
    /// Every code, for documentation checks.
    pub const ALL: &'static [ErrorCode] = &[
        Self::Unauthorized,
        Self::Forbidden,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::WorkspaceNotFound,
        Self::ContactNotFound,
        Self::AccountNotFound,
        Self::ConversationNotFound,
        Self::InvalidBody,
        Self::InvalidParameter,
        Self::ValidationFailed,
        Self::WorkspaceRequired,
        Self::ConfirmationRequired,
        Self::WorkspaceConnected,
        Self::WorkspaceConflict,
        Self::WorkspaceNotSyncable,
        Self::IntercomTokenRefused,
        Self::IntercomUnreachable,
        Self::OauthNotConfigured,
        Self::OauthCodeRefused,
        Self::PayloadTooLarge,
        Self::IntercomUnavailable,
        Self::Unavailable,
        Self::InternalError,
        Self::ExportNotConfigured,
        Self::ExportRecordNotFound,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::WorkspaceNotFound => "workspace_not_found",
            Self::ContactNotFound => "contact_not_found",
            Self::AccountNotFound => "account_not_found",
            Self::ConversationNotFound => "conversation_not_found",
            Self::InvalidBody => "invalid_body",
            Self::InvalidParameter => "invalid_parameter",
            Self::ValidationFailed => "validation_failed",
            Self::WorkspaceRequired => "workspace_required",
            Self::ConfirmationRequired => "confirmation_required",
            Self::WorkspaceConnected => "workspace_connected",
            Self::WorkspaceConflict => "workspace_conflict",
            Self::WorkspaceNotSyncable => "workspace_not_syncable",
            Self::IntercomTokenRefused => "intercom_token_refused",
            Self::IntercomUnreachable => "intercom_unreachable",
            Self::OauthNotConfigured => "oauth_not_configured",
            Self::OauthCodeRefused => "oauth_code_refused",
            Self::PayloadTooLarge => "payload_too_large",
            Self::IntercomUnavailable => "intercom_unavailable",
            Self::Unavailable => "unavailable",
            Self::InternalError => "internal_error",
            Self::ExportNotConfigured => "export_not_configured",
            Self::ExportRecordNotFound => "export_record_not_found",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound
            | Self::ExportRecordNotFound
            | Self::WorkspaceNotFound
            | Self::ContactNotFound
            | Self::AccountNotFound
            | Self::ConversationNotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::InvalidBody
            | Self::InvalidParameter
            | Self::WorkspaceRequired
            | Self::ConfirmationRequired => StatusCode::BAD_REQUEST,
            Self::ValidationFailed
            | Self::IntercomTokenRefused
            | Self::IntercomUnreachable
            | Self::OauthCodeRefused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::WorkspaceConnected
            | Self::WorkspaceConflict
            | Self::WorkspaceNotSyncable
            | Self::ExportNotConfigured
            | Self::OauthNotConfigured => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::IntercomUnavailable => StatusCode::BAD_GATEWAY,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What failed, in words, with a code to branch on.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// What was wrong and what to do about it.
    pub message: String,
    /// The body member or parameter at fault (`settings.backfill_days`, `limit`, ...), when
    /// one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("no route {method} {path}: see /v1/openapi.json for the endpoints")]
    RouteNotFound { method: String, path: String },
    #[error("{method} is not allowed on {path}: see /v1/openapi.json for its methods")]
    MethodNotAllowed { method: String, path: String },
    #[error("no workspace named {0:?}: GET /v1/workspaces lists them")]
    WorkspaceNotFound(String),
    #[error("no workspace is connected yet: connect one with POST /v1/workspaces")]
    NoWorkspace,
    #[error("no contact matches {0:?} in this workspace")]
    ContactNotFound(String),
    #[error("no account (company) matches {0:?} in this workspace")]
    AccountNotFound(String),
    #[error("no conversation {0:?} is stored in this workspace")]
    ConversationNotFound(String),
    #[error("{message}")]
    InvalidBody {
        field: Option<String>,
        message: String,
    },
    #[error("{message}")]
    InvalidParameter { field: String, message: String },
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("{count} workspaces exist ({listed}); say which with ?workspace=NAME")]
    WorkspaceRequired { count: usize, listed: String },
    #[error(
        "deleting the data of workspace {0:?} cannot be undone: repeat the request with ?confirm={0}"
    )]
    ConfirmationRequired(String),
    #[error(
        "workspace {0:?} is still connected: disconnect it first (POST /v1/workspaces/{0}/disconnect), then delete its data"
    )]
    WorkspaceConnected(String),
    #[error("{0}")]
    WorkspaceConflict(String),
    #[error("{0}")]
    NotSyncable(String),
    #[error(
        "Intercom refused the access token (it is wrong, revoked, or belongs to a workspace of another region): check the token and the region or base URL, then try again"
    )]
    TokenRefused,
    #[error("{0}")]
    IntercomUnreachable(String),
    #[error(
        "OAuth is not configured: set the app's client id and secret (api.oauth.client_id, ICSYNC_API__OAUTH__CLIENT_SECRET) or connect with an access token"
    )]
    OAuthNotConfigured,
    #[error("{0}")]
    OAuthCodeRefused(String),
    #[error("the body is larger than this endpoint accepts ({0})")]
    PayloadTooLarge(String),
    #[error("{0}")]
    IntercomUnavailable(String),
    #[error("{0}")]
    Unavailable(String),
    #[error(
        "workspace {0:?} has no export settings yet: an admin sets them with PUT /v1/workspaces/{0}/export"
    )]
    ExportNotConfigured(String),
    #[error("the export holds no record {0:?}: put it first (PUT /v1/export/records/{{host_id}})")]
    ExportRecordNotFound(String),
    /// Anything else: logged with its cause, answered with a generic message.
    #[error("internal error: {0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthorized(_) => ErrorCode::Unauthorized,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::RouteNotFound { .. } => ErrorCode::NotFound,
            Self::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            Self::WorkspaceNotFound(_) | Self::NoWorkspace => ErrorCode::WorkspaceNotFound,
            Self::ContactNotFound(_) => ErrorCode::ContactNotFound,
            Self::AccountNotFound(_) => ErrorCode::AccountNotFound,
            Self::ConversationNotFound(_) => ErrorCode::ConversationNotFound,
            Self::InvalidBody { .. } => ErrorCode::InvalidBody,
            Self::InvalidParameter { .. } => ErrorCode::InvalidParameter,
            Self::Validation { .. } => ErrorCode::ValidationFailed,
            Self::WorkspaceRequired { .. } => ErrorCode::WorkspaceRequired,
            Self::ConfirmationRequired(_) => ErrorCode::ConfirmationRequired,
            Self::WorkspaceConnected(_) => ErrorCode::WorkspaceConnected,
            Self::WorkspaceConflict(_) => ErrorCode::WorkspaceConflict,
            Self::NotSyncable(_) => ErrorCode::WorkspaceNotSyncable,
            Self::TokenRefused => ErrorCode::IntercomTokenRefused,
            Self::IntercomUnreachable(_) => ErrorCode::IntercomUnreachable,
            Self::OAuthNotConfigured => ErrorCode::OauthNotConfigured,
            Self::OAuthCodeRefused(_) => ErrorCode::OauthCodeRefused,
            Self::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            Self::IntercomUnavailable(_) => ErrorCode::IntercomUnavailable,
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::Internal(_) => ErrorCode::InternalError,
            Self::ExportNotConfigured(_) => ErrorCode::ExportNotConfigured,
            Self::ExportRecordNotFound(_) => ErrorCode::ExportRecordNotFound,
        }
    }

    /// The parameter or body member at fault.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::InvalidBody { field, .. } => field.as_deref(),
            Self::InvalidParameter { field, .. } | Self::Validation { field, .. } => Some(field),
            Self::WorkspaceRequired { .. } => Some("workspace"),
            Self::ConfirmationRequired(_) => Some("confirm"),
            _ => None,
        }
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn parameter(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidParameter {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn internal(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(error.into())
    }

    /// The body this error renders as (also used for per-item errors of a batch).
    pub fn body(&self) -> ErrorBody {
        let message = match self {
            Self::Internal(_) => "icsync failed to answer this request; the daemon's log has the \
                                  cause under the request id in this response's x-request-id header"
                .to_owned(),
            other => other.to_string(),
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message,
                field: self.field().map(str::to_owned),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.code();
        match &self {
            Self::Internal(cause) => {
                tracing::error!(error = %cause, "request failed with an internal error")
            }
            Self::Unavailable(message) | Self::IntercomUnavailable(message) => {
                tracing::warn!(error = %message, code = code.as_str(), "request failed")
            }
            _ => tracing::debug!(code = code.as_str(), "request refused"),
        }
        let mut response = (code.status(), Json(self.body())).into_response();
        if code == ErrorCode::Unauthorized {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"icsync\""),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::Internal(Box::new(error))
    }
}

impl From<InboundError> for ApiError {
    fn from(error: InboundError) -> Self {
        match error {
            InboundError::TokenRefused { .. } | InboundError::TokenRejected => Self::TokenRefused,
            InboundError::NotSyncable { workspace, reason } => {
                Self::NotSyncable(format!("workspace {workspace:?} cannot sync: {reason}"))
            }
            InboundError::UnknownWorkspace(name) => Self::WorkspaceNotFound(name),
            InboundError::Invalid(message) => Self::validation("body", message),
            InboundError::Intercom { source, .. } | InboundError::Client(source) => {
                Self::IntercomUnavailable(format!(
                    "Intercom failed and retries did not help: {source}"
                ))
            }
            other @ (InboundError::Store(_)
            | InboundError::BadCheckpoint { .. }
            | InboundError::Task { .. }) => Self::Internal(Box::new(other)),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
