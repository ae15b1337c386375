//! What every console answer gets: unsafe requests from another site refused (besides the
//! `SameSite=Strict` cookie and the forms' CSRF token), a strict Content-Security-Policy,
//! no caching of pages (they hold customer data), no referrer to other sites, and one
//! `console_request` span per request.

use crate::error::ConsoleError;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

/// Only this origin: no inline script or style, no frames, forms post here only.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; \
                   object-src 'none'";

pub(crate) async fn guard(request: Request, next: Next) -> Response {
    let span = tracing::info_span!(
        "console_request",
        method = %request.method(),
        path = %request.uri().path(),
        status = tracing::field::Empty,
    );
    async move {
        let unsafe_method = !matches!(*request.method(), Method::GET | Method::HEAD);
        let mut response = if unsafe_method && !same_site(request.headers()) {
            tracing::warn!("cross-site form post refused");
            ConsoleError::CrossSite.into_response()
        } else {
            next.run(request).await
        };
        let status = response.status();
        tracing::Span::current().record("status", status.as_u16());
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), "console request failed");
        }
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
        response
    }
    .instrument(span)
    .await
}

/// Whether an unsafe request comes from this origin: `Sec-Fetch-Site` when the browser sends
/// it, else `Origin` against `Host`. Requests with neither (not a browser) pass; they still
/// need the session cookie and the form's token.
pub(crate) fn same_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    origin
        .split_once("://")
        .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn another_site_is_refused_and_this_one_passes() {
        assert!(same_site(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!same_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!same_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(same_site(&headers(&[
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080")
        ])));
        assert!(!same_site(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:8080")
        ])));
        assert!(!same_site(&headers(&[
            ("origin", "null"),
            ("host", "127.0.0.1:8080")
        ])));
        assert!(same_site(&headers(&[])), "no browser headers: a script");
    }
}
