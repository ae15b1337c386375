//! The console's files, embedded in the binary: the stylesheet, the script and the icon. Their
//! URLs carry a digest of their content, so browsers may cache them for a long time and still
//! get a new version at once.

use crate::error::ConsoleError;
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "console.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../assets/console.css"),
    },
    Asset {
        name: "console.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/console.js"),
    },
    Asset {
        name: "icon.svg",
        content_type: "image/svg+xml",
        body: include_str!("../assets/icon.svg"),
    },
];

/// A digest of every asset, for the URLs' `?v=`.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut digest = Sha256::new();
    for asset in ASSETS {
        digest.update(asset.body.as_bytes());
    }
    hex::encode(&digest.finalize()[..6])
});

/// The URL of an embedded asset.
pub(crate) fn url(name: &str) -> String {
    format!("/assets/{name}?v={}", *VERSION)
}

/// `GET /assets/{file}` (no session needed: nothing in them is private).
pub(crate) async fn serve(Path(file): Path<String>) -> Result<Response, ConsoleError> {
    let asset = ASSETS
        .iter()
        .find(|a| a.name == file)
        .ok_or(ConsoleError::NotFound)?;
    let mut response = asset.body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    Ok(response)
}
