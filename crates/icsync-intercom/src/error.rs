//! The client's one error type, which callers branch on, and the mapping from Intercom's `error.list` bodies to it.

use std::time::Duration;

use serde::Deserialize;

/// Everything a call to Intercom can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 401: the token was revoked, is wrong, or belongs to another region's workspace.
    #[error(
        "intercom rejected the access token (HTTP {status}: {message}); reconnect the workspace with a valid token and check that its region (us/eu/au) matches the workspace"
    )]
    Unauthorized {
        /// HTTP status (401).
        status: u16,
        /// Intercom's message, e.g. "Access Token Invalid".
        message: String,
        /// Intercom's `request_id`, for support.
        request_id: Option<String>,
    },
    /// 404 (or 410 for merged contacts on newer versions): the object does not exist (or is archived or merged away).
    #[error("intercom has no such object ({code}: {message})")]
    NotFound {
        /// Intercom's error code (`not_found`, `company_not_found`, ...).
        code: String,
        /// Intercom's message.
        message: String,
        /// Intercom's `request_id`.
        request_id: Option<String>,
    },
    /// 409: a matching object already exists (create contact) or several match (email-keyed calls).
    #[error("intercom reports a conflict: {message}")]
    Conflict {
        /// The id Intercom named in the message (`... already exists with id=<id>`), if any.
        existing_id: Option<String>,
        /// True when Intercom says the existing contact is archived ("An archived contact
        /// matching those details already exists with id=...").
        archived: bool,
        /// Intercom's message.
        message: String,
        /// Intercom's `request_id`.
        request_id: Option<String>,
    },
    /// 429 after the retry budget was spent: the workspace's rate limit is exhausted.
    #[error("intercom rate limit exceeded; retry after {retry_after:?}")]
    RateLimited {
        /// How long Intercom asked to wait (from `Retry-After` or `X-RateLimit-Reset`).
        retry_after: Duration,
    },
    /// Any other non-2xx answer.
    #[error("intercom answered HTTP {status} ({code}: {message})")]
    Api {
        /// HTTP status.
        status: u16,
        /// Intercom's error code, or `http_<status>` when the body had none.
        code: String,
        /// Intercom's message, or a snippet of the body.
        message: String,
        /// Intercom's `request_id`.
        request_id: Option<String>,
    },
    /// The request did not complete: connection refused, reset or closed mid-response, DNS, TLS.
    #[error("could not reach intercom: {message}")]
    Transport {
        /// What failed.
        message: String,
        /// True when the failure happened before the request could reach Intercom (safe to repeat even a create).
        before_send: bool,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// No answer within the request kind's timeout.
    #[error("intercom did not answer within {after:?}")]
    Timeout {
        /// The timeout that expired.
        after: Duration,
    },
    /// A 2xx body that is not what the 2.11 contract says.
    #[error("could not decode intercom's {what}: {message} at `{field}`; body starts: {snippet}")]
    Decode {
        /// Which response (e.g. "contact list").
        what: &'static str,
        /// The JSON path of the offending field (`data[3].created_at`), or `.` for the whole body.
        field: String,
        /// The decoder's message.
        message: String,
        /// The first bytes of the body around the problem.
        snippet: String,
        /// True when the body is not JSON at all or is cut short (worth retrying), false when the JSON has an unexpected shape.
        malformed: bool,
    },
    /// A search query that Intercom would reject (too deep, too many filters, an empty group).
    #[error("invalid search query: {0}")]
    InvalidQuery(String),
    /// A resume cursor of the wrong style for this stream.
    #[error("invalid resume cursor: {0}")]
    InvalidCursor(String),
    /// Bad client configuration.
    #[error("invalid intercom client configuration: {0}")]
    Config(String),
}

impl Error {
    /// Whether repeating the same request later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Transport { .. } | Error::Timeout { .. } => true,
            Error::Api { status, .. } => *status >= 500 || *status == 408,
            Error::Decode { malformed, .. } => *malformed,
            Error::Unauthorized { .. }
            | Error::NotFound { .. }
            | Error::Conflict { .. }
            | Error::InvalidQuery(_)
            | Error::InvalidCursor(_)
            | Error::Config(_) => false,
        }
    }

    /// Whether Intercom may have acted on the request although it failed (so a create must not be blindly repeated).
    pub fn may_have_been_processed(&self) -> bool {
        match self {
            Error::Transport { before_send, .. } => !before_send,
            Error::Timeout { .. } => true,
            Error::Api { status, .. } => *status >= 500 || *status == 408,
            Error::Decode { .. } => true,
            _ => false,
        }
    }

    /// The HTTP status, when Intercom answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { status, .. } | Error::Api { status, .. } => Some(*status),
            Error::NotFound { .. } => Some(404),
            Error::Conflict { .. } => Some(409),
            Error::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// Intercom's error code, when it sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::NotFound { code, .. } | Error::Api { code, .. } => Some(code),
            Error::Unauthorized { .. } => Some("unauthorized"),
            Error::Conflict { .. } => Some("conflict"),
            Error::RateLimited { .. } => Some("rate_limit_exceeded"),
            _ => None,
        }
    }

    pub(crate) fn transport(err: reqwest::Error) -> Error {
        let before_send = err.is_connect() || err.is_builder();
        Error::Transport {
            message: describe_reqwest(&err),
            before_send,
            source: Some(Box::new(err)),
        }
    }
}

/// reqwest's Display hides the cause ("error sending request"); walk the chain for the useful part.
fn describe_reqwest(err: &reqwest::Error) -> String {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[derive(Debug, Deserialize)]
struct ErrorList {
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(Debug, Deserialize)]
struct ErrorItem {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// Maps a non-2xx answer (other than 429, which the transport handles) to an [`Error`].
pub(crate) fn from_status(status: u16, body: &[u8], request_id_header: Option<String>) -> Error {
    let parsed: Option<ErrorList> = serde_json::from_slice(body).ok();
    let (code, message, request_id) = match parsed {
        Some(list) => {
            let first = list.errors.into_iter().next();
            let code = first
                .as_ref()
                .and_then(|e| e.code.clone())
                .unwrap_or_else(|| format!("http_{status}"));
            let message = first.and_then(|e| e.message).unwrap_or_default();
            (code, message, list.request_id.or(request_id_header))
        }
        None => (
            format!("http_{status}"),
            snippet(body, 0),
            request_id_header,
        ),
    };
    match status {
        401 => Error::Unauthorized {
            status,
            message,
            request_id,
        },
        404 | 410 => Error::NotFound {
            code,
            message,
            request_id,
        },
        409 => Error::Conflict {
            existing_id: existing_id_from_message(&message),
            archived: message
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("an archived contact"),
            message,
            request_id,
        },
        _ => Error::Api {
            status,
            code,
            message,
            request_id,
        },
    }
}

/// Pulls `<id>` out of "A contact matching those details already exists with id=<id>".
pub fn existing_id_from_message(message: &str) -> Option<String> {
    let start = message.find("id=")? + 3;
    let id: String = message[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    (!id.is_empty()).then_some(id)
}

/// Up to 200 characters of `body` starting near byte `around`, lossily decoded, for error messages.
pub(crate) fn snippet(body: &[u8], around: usize) -> String {
    const WIDTH: usize = 200;
    let start = around.saturating_sub(WIDTH / 2).min(body.len());
    let end = (start + WIDTH).min(body.len());
    let mut text = String::from_utf8_lossy(&body[start..end]).into_owned();
    if start > 0 {
        text.insert_str(0, "...");
    }
    if end < body.len() {
        text.push_str("...");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_list_bodies_map_to_variants() {
        let body = br#"{"type":"error.list","request_id":"f70085f1-f655-43ee-9585-d2061b260fcd","errors":[{"code":"unauthorized","message":"Access Token Invalid"}]}"#;
        let err = from_status(401, body, None);
        assert!(
            matches!(&err, Error::Unauthorized { request_id: Some(id), .. } if id == "f70085f1-f655-43ee-9585-d2061b260fcd")
        );
        assert!(err.to_string().contains("reconnect"));
        assert!(err.to_string().contains("region"));
        assert!(!err.is_retryable());

        let body = br#"{"type":"error.list","request_id":null,"errors":[{"code":"company_not_found","message":"Company Not Found"}]}"#;
        assert!(
            matches!(from_status(404, body, None), Error::NotFound { code, .. } if code == "company_not_found")
        );

        let body = br#"{"type":"error.list","errors":[{"code":"conflict","message":"A contact matching those details already exists with id=667d60b08a68186f43bafdbf"}]}"#;
        assert!(
            matches!(from_status(409, body, None), Error::Conflict { existing_id: Some(id), .. } if id == "667d60b08a68186f43bafdbf")
        );

        let err = from_status(503, b"<html>bad gateway</html>", Some("rid".into()));
        assert!(
            matches!(&err, Error::Api { status: 503, code, message, request_id: Some(_) } if code == "http_503" && message.contains("bad gateway"))
        );
        assert!(err.is_retryable());
        assert!(!from_status(400, b"{}", None).is_retryable());
    }

    #[test]
    fn archived_conflicts_also_name_the_id() {
        let message = "An archived contact matching those details already exists with id=5f0c1f4e3f1d2c0011aa22bb";
        assert_eq!(
            existing_id_from_message(message).as_deref(),
            Some("5f0c1f4e3f1d2c0011aa22bb")
        );
        assert_eq!(
            existing_id_from_message("Multiple existing users match this email address"),
            None
        );
    }

    #[test]
    fn snippet_is_bounded() {
        let body = vec![b'x'; 1000];
        let s = snippet(&body, 500);
        assert!(s.len() <= 206 && s.starts_with("...") && s.ends_with("..."));
        assert_eq!(snippet(b"short", 0), "short");
    }
}
