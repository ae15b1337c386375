//! The console's one error type: what a page can fail with, each answered with a status and a
//! page that says in words what went wrong and what to do. A failure inside icsync is logged
//! with its cause; the page only says where to look.

use crate::layout;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use icsync_api::{ApiError, ErrorCode};
use icsync_store::StoreError;
use maud::html;

/// Everything a console request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// What the API's logic refused or failed with.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// No session (or its key is no longer valid). `back_to`: the page to return to after
    /// signing in, for a page a browser navigated to (answered with a redirect); `None` for a
    /// form or a fragment (answered 401).
    #[error("sign in first")]
    NotSignedIn { back_to: Option<String> },
    /// A host key on an admin page.
    #[error("this page needs an admin key; the key {key_name:?} has scope host")]
    AdminOnly { key_name: String },
    /// A form without this session's token (stale, or made by another site).
    #[error("the form is out of date")]
    BadFormToken,
    /// An unsafe request from another site.
    #[error("a form from another site")]
    CrossSite,
    /// No such page.
    #[error("no such page")]
    NotFound,
}

impl From<StoreError> for ConsoleError {
    fn from(error: StoreError) -> Self {
        ConsoleError::Api(ApiError::from(error))
    }
}

impl ConsoleError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Api(error) => error.code().status(),
            Self::NotSignedIn { .. } => StatusCode::UNAUTHORIZED,
            Self::AdminOnly { .. } | Self::BadFormToken | Self::CrossSite => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
        }
    }

    /// A heading and what to do, in words.
    fn words(&self) -> (&'static str, String) {
        match self {
            Self::Api(error) => {
                let status = error.code().status();
                let heading = if status == StatusCode::NOT_FOUND {
                    "Not found"
                } else if status.is_client_error() {
                    "That did not work"
                } else {
                    "Something went wrong"
                };
                (heading, api_words(error))
            }
            Self::NotSignedIn { .. } => (
                "Sign in first",
                "Your session ended or the key was revoked: sign in again with an API key."
                    .to_owned(),
            ),
            Self::AdminOnly { key_name } => (
                "Admins only",
                format!(
                    "This page needs an admin key; you signed in with the host key \
                     {key_name:?}, which opens profiles only. Sign out and sign in with an \
                     admin key to manage workspaces."
                ),
            ),
            Self::BadFormToken => (
                "The form is out of date",
                "The form was made for another session (you signed in again since, or it came \
                 from somewhere else). Nothing was changed: go back, reload the page and try \
                 again."
                    .to_owned(),
            ),
            Self::CrossSite => (
                "Refused",
                "This form was sent from another site, so icsync did not act on it. Use the \
                 console's own pages."
                    .to_owned(),
            ),
            Self::NotFound => (
                "Not found",
                "There is no such page. The links in the header lead to the console's pages."
                    .to_owned(),
            ),
        }
    }
}

/// An API error said for a person using the console (the API's own messages name endpoints).
pub(crate) fn api_words(error: &ApiError) -> String {
    match error {
        ApiError::WorkspaceNotFound(name) => format!(
            "There is no workspace named {name:?}. The Workspaces page lists them; an admin \
             connects new ones there."
        ),
        ApiError::NoWorkspace => "No Intercom workspace is connected yet: an admin connects \
                                  one on the Workspaces page."
            .to_owned(),
        ApiError::WorkspaceRequired { .. } => {
            "Several workspaces exist: choose one in the search form.".to_owned()
        }
        ApiError::Internal(_) => "icsync failed to answer; the daemon's log has the cause. Try \
                                  again in a moment."
            .to_owned(),
        ApiError::Unavailable(_) => "icsync cannot reach its database right now; try again in \
                                     a moment, and check the daemon's log if it lasts."
            .to_owned(),
        other => other.to_string(),
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        if let Self::NotSignedIn {
            back_to: Some(page),
        } = &self
        {
            let target = format!("/sign-in?next={}", crate::format::query_value(page));
            return Redirect::to(&target).into_response();
        }
        if let Self::Api(error) = &self {
            match error {
                ApiError::Internal(cause) => {
                    tracing::error!(error = %cause, "console page failed with an internal error")
                }
                other if other.code() == ErrorCode::Unavailable => {
                    tracing::warn!(error = %other, "console page failed")
                }
                _ => tracing::debug!(code = error.code().as_str(), "console request refused"),
            }
        }
        let status = self.status();
        let (heading, message) = self.words();
        let body = html! {
            h1 { (heading) }
            p.error role="alert" { (message) }
            @if matches!(self, Self::NotSignedIn { .. }) {
                p { a href="/sign-in" { "Sign in" } }
            } @else {
                p { a href="/" { "Back to the console" } }
            }
        };
        (status, layout::bare_page(heading, body)).into_response()
    }
}

pub(crate) type ConsoleResult<T> = Result<T, ConsoleError>;
