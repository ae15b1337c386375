//! Extractors whose rejections are [`ApiError`]s naming the field at fault: a JSON body
//! ([`ApiJson`]), query parameters ([`ApiQuery`]) and path parameters ([`ApiPath`]).
//!
//! **Invariant**: a rejected value of a secret member (`token`, `client_secret`, `code`,
//! `webhook_secret`) is never echoed in the message.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// Members whose values are secrets.
const SECRET_FIELDS: &[&str] = &["token", "client_secret", "code", "webhook_secret"];

/// A JSON body of type `T`.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes =
            Bytes::from_request(request, state)
                .await
                .map_err(|rejection| match rejection {
                    BytesRejection::FailedToBufferBody(e)
                        if e.body_text().contains("length limit") =>
                    {
                        ApiError::PayloadTooLarge("at most 2 MiB".to_owned())
                    }
                    other => ApiError::InvalidBody {
                        field: None,
                        message: format!("could not read the body: {}", other.body_text()),
                    },
                })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses `bytes` as JSON of type `T`, naming the member at fault.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::InvalidBody {
            field: None,
            message: "the body is empty; send a JSON object (Content-Type: application/json)"
                .to_owned(),
        });
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::InvalidBody {
                field: None,
                message: format!("the body is not valid JSON: {inner}"),
            };
        }
        let field = field_name(&path, &inner.to_string());
        let secret = field
            .as_deref()
            .is_some_and(|f| SECRET_FIELDS.contains(&f.rsplit('.').next().unwrap_or(f)));
        let message = if secret {
            format!(
                "{} has an invalid value (it must be a non-empty string)",
                field.as_deref().unwrap_or("a member")
            )
        } else {
            match &field {
                Some(field) => format!("{field}: {}", strip_position(&inner.to_string())),
                None => strip_position(&inner.to_string()),
            }
        };
        ApiError::InvalidBody { field, message }
    })?;
    deserializer.end().map_err(|_| ApiError::InvalidBody {
        field: None,
        message: "the body has content after its JSON value".to_owned(),
    })?;
    Ok(value)
}

/// The member a serde error is about: the error's path, or the member a "missing field" or
/// "unknown field" message names (appended to the path of the object it is in).
fn field_name(path: &str, message: &str) -> Option<String> {
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    let base = (path != ".").then_some(path);
    match (base, named) {
        (Some(base), Some(name)) if !base.ends_with(name) => Some(format!("{base}.{name}")),
        (Some(base), _) => Some(base.to_owned()),
        (None, Some(name)) => Some(name.to_owned()),
        (None, None) => None,
    }
}

/// serde_json's " at line 1 column 5" means nothing to a caller of a named field.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Query parameters of type `T` (unknown parameters are ignored).
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        parse_query(query).map(ApiQuery)
    }
}

pub(crate) fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let deserializer =
        serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let message = err.inner().to_string();
        let field = field_name(&path, &message).unwrap_or_else(|| "query".to_owned());
        ApiError::InvalidParameter {
            message: format!("query parameter {field}: {message}"),
            field,
        }
    })
}

/// Path parameters of type `T`.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|rejection| ApiError::InvalidParameter {
                field: "path".to_owned(),
                message: format!("invalid path parameter: {}", rejection.body_text()),
            })
    }
}

/// Refuses text no stored name or key can hold: empty, over `max` characters, or with a
/// control character (PostgreSQL cannot even compare a NUL).
pub(crate) fn check_text(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.is_empty() {
        return Err(ApiError::parameter(
            field,
            format!("{field} cannot be empty"),
        ));
    }
    if value.chars().count() > max {
        return Err(ApiError::parameter(
            field,
            format!("{field} is longer than {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(ApiError::parameter(
            field,
            format!("{field} contains a control character"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        backfill_days: i32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        token: String,
        settings: Option<Inner>,
    }

    fn field(body: &str) -> (Option<String>, String) {
        match parse_json::<Body>(body.as_bytes()) {
            Err(ApiError::InvalidBody { field, message }) => (field, message),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn body_errors_name_the_member() {
        assert_eq!(field(r#"{"token": "t"}"#).0.as_deref(), Some("name"));
        assert_eq!(
            field(r#"{"name": "a", "token": "t", "settings": {"backfill_days": "x"}}"#)
                .0
                .as_deref(),
            Some("settings.backfill_days")
        );
        assert_eq!(
            field(r#"{"name": "a", "token": "t", "nmae": 1}"#)
                .0
                .as_deref(),
            Some("nmae")
        );
        assert_eq!(field("{not json").0, None);
        assert_eq!(field("").0, None);
        assert_eq!(field(r#"{"name": "a", "token": "t"} x"#).0, None);
    }

    #[test]
    fn a_secret_member_is_never_echoed() {
        let (field, message) = field(r#"{"name": "a", "token": 123456789}"#);
        assert_eq!(field.as_deref(), Some("token"));
        assert!(!message.contains("123456789"), "{message}");
    }

    #[test]
    fn query_errors_name_the_parameter() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Q {
            limit: Option<u32>,
        }
        match parse_query::<Q>("limit=ten") {
            Err(ApiError::InvalidParameter { field, .. }) => assert_eq!(field, "limit"),
            other => panic!("{other:?}"),
        }
        assert!(parse_query::<Q>("other=1").is_ok());
    }
}
