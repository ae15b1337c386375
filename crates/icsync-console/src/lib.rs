//! icsync's console: the admin pages (workspaces, connect, a workspace's switches, status,
//! disconnect) and the profile pages (search, contact, account), server-rendered HTML at `/`
//! on the same origin as the API, with the stylesheet, a small script and the icon embedded.
//!
//! - [`router`] / [`router_with`] build the pages over the API's [`ApiState`]: the same store,
//!   the same key check ([`icsync_api::identify_key`]) and the same logic
//!   ([`icsync_api::ops`]: connect, test connection, settings, disconnect, status, profiles).
//!   The daemon merges them with [`icsync_api::router`] (no route overlaps; the API keeps its
//!   fallback).
//! - Sign-in takes an API key and keeps it in an `HttpOnly`, `SameSite=Strict` cookie; every
//!   request checks it again (a revoked key ends the session). Forms carry a CSRF token derived
//!   from the key, and unsafe requests from another site are refused.
//!
//! **Invariant**: every page but sign-in needs a session (a page redirects to sign-in, a
//! fragment or form answers 401); admin pages need an admin key, profiles a host or admin key.
//! **Invariant**: no page holds a token, secret, webhook secret or API key: secret form fields
//! are never filled back in, and views never carry them.
//! **Invariant**: no external fonts, scripts or styles; the Content-Security-Policy allows only
//! this origin.

mod assets;
mod chart;
mod error;
mod format;
mod layout;
mod pages;
mod security;
mod session;
mod text;

pub use error::ConsoleError;

use axum::Router;
use axum::routing::{get, post};
use icsync_api::ApiState;
use std::sync::Arc;
use std::time::Duration;

/// One CS field's Intercom attribute names (writeback's `[writeback.*_attributes]`), shown on
/// a workspace's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeName {
    /// The CS field (`health`, `stage`, ...).
    pub field: String,
    /// Its custom attribute on Intercom contacts.
    pub contact: String,
    /// Its custom attribute on Intercom companies.
    pub company: String,
}

/// The console's settings, filled by the daemon from configuration.
#[derive(Debug, Clone)]
pub struct ConsoleSettings {
    /// Mark the session cookie `Secure` (serve over HTTPS, or behind a TLS-terminating proxy).
    pub secure_cookie: bool,
    /// How long a sign-in lasts (the cookie's `Max-Age`).
    pub session_ttl: Duration,
    /// How often the status page refreshes itself.
    pub status_refresh: Duration,
    /// Writeback's attribute names, per CS field (empty: the page says they are not known).
    pub attribute_names: Vec<AttributeName>,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings {
            secure_cookie: false,
            session_ttl: Duration::from_secs(12 * 3600),
            status_refresh: Duration::from_secs(3),
            attribute_names: Vec::new(),
        }
    }
}

/// What every page shares: the API's state and the console's settings. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ConsoleState {
    api: ApiState,
    settings: Arc<ConsoleSettings>,
}

impl ConsoleState {
    pub fn new(api: ApiState, settings: ConsoleSettings) -> Self {
        ConsoleState {
            api,
            settings: Arc::new(settings),
        }
    }

    pub fn api(&self) -> &ApiState {
        &self.api
    }

    pub fn settings(&self) -> &ConsoleSettings {
        &self.settings
    }
}

/// The console's pages over `api` with default settings.
pub fn router(api: ApiState) -> Router {
    router_with(api, ConsoleSettings::default())
}

/// The console's pages at `/`; merge with [`icsync_api::router`] to serve both on one origin.
pub fn router_with(api: ApiState, settings: ConsoleSettings) -> Router {
    let state = ConsoleState::new(api, settings);
    Router::new()
        .route("/", get(pages::home))
        .route(
            "/sign-in",
            get(session::sign_in_page).post(session::sign_in),
        )
        .route("/sign-out", post(session::sign_out))
        .route("/workspaces", get(pages::workspaces::list))
        .route(
            "/connect",
            get(pages::connect::form).post(pages::connect::submit),
        )
        .route(
            "/workspaces/{name}",
            get(pages::settings::page).post(pages::settings::save),
        )
        .route("/workspaces/{name}/status", get(pages::status::page))
        .route("/workspaces/{name}/status/live", get(pages::status::live))
        .route(
            "/workspaces/{name}/disconnect",
            get(pages::disconnect::confirm).post(pages::disconnect::submit),
        )
        .route("/search", get(pages::search::page))
        .route("/contacts/{key}", get(pages::contact::page))
        .route("/accounts/{key}", get(pages::account::page))
        .route("/assets/{file}", get(assets::serve))
        .layer(axum::middleware::from_fn(security::guard))
        .with_state(state)
}
