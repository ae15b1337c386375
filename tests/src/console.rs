//! The console beside a test daemon: `icsync_console::router_with` over the daemon's own store
//! and the same services the daemon gives its API (the on-view fetch, writeback's status and
//! setter, rollups), built from the same settings, on a port of its own.
//!
//! `icsync serve` does not mount the console yet; until it does, this stands in for the mount.
//! Once `Application::build` merges `icsync_console::router_with(state, console_settings(..))`
//! into its router, the browser test uses the daemon's own address instead.

use crate::TestApp;
use icsync_api::{ApiSettings, ApiState};
use icsync_console::{AttributeName, ConsoleSettings};
use icsync_daemon::Settings;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Writeback's attribute names per CS field, as the console's workspace page lists them.
pub fn attribute_names(config: &icsync_writeback::WritebackConfig) -> Vec<AttributeName> {
    let (c, k) = (&config.contact_attributes, &config.company_attributes);
    [
        ("health", &c.health, &k.health),
        ("stage", &c.stage, &k.stage),
        ("profile_url", &c.profile_url, &k.profile_url),
        ("pulse", &c.pulse, &k.pulse),
        (
            "licence_utilization",
            &c.licence_utilization,
            &k.licence_utilization,
        ),
        ("cs_owner", &c.cs_owner, &k.cs_owner),
        ("cs_owner_email", &c.cs_owner_email, &k.cs_owner_email),
    ]
    .into_iter()
    .map(|(field, contact, company)| AttributeName {
        field: field.to_owned(),
        contact: contact.clone(),
        company: company.clone(),
    })
    .collect()
}

/// The console's settings from the daemon's.
pub fn console_settings(settings: &Settings, refresh: Duration) -> ConsoleSettings {
    ConsoleSettings {
        status_refresh: refresh,
        attribute_names: attribute_names(&settings.writeback),
        ..ConsoleSettings::default()
    }
}

/// A console served beside a daemon.
#[derive(Debug)]
pub struct ConsoleServer {
    pub address: String,
    server: JoinHandle<()>,
}

impl ConsoleServer {
    pub fn stop(self) {
        self.server.abort();
    }
}

/// Serves the console over `app`'s store with the services `settings` give (as the daemon
/// builds them for its API), refreshing status pages every `refresh`.
pub async fn serve_console(app: &TestApp, settings: &Settings, refresh: Duration) -> ConsoleServer {
    let store = app.store.clone();
    let client_settings = icsync_daemon::jobs::client_settings(settings, "console-test");
    let on_view = icsync_inbound::OnViewFetcher::new(
        store.clone(),
        icsync_intercom::PacerRegistry::new(Default::default()),
        client_settings.clone(),
        settings.inbound.clone(),
    );
    let writeback = icsync_writeback::Writeback::new(store.clone(), settings.writeback.clone())
        .expect("valid writeback settings");
    let services = icsync_daemon::services::api_services(&store, on_view, writeback);
    let api = ApiSettings {
        poll_interval: Duration::from_secs(settings.inbound.poll_interval_secs),
        oauth: None,
        intercom: client_settings,
        api_keys: settings.api_keys().expect("valid api keys"),
        on_view_timeout: settings.inbound.on_view_timeout(),
    };
    let state = ApiState::new(store, api, services).expect("a valid API state");
    let router = icsync_console::router_with(state, console_settings(settings, refresh));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port for the console");
    let port = listener.local_addr().expect("its address").port();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    ConsoleServer {
        address: format!("http://127.0.0.1:{port}"),
        server,
    }
}
