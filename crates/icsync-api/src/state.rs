//! What every handler shares: the store, the API's settings, the injected services, the
//! optional webhook router, and the HTTP metrics. Cheap to clone.

use crate::auth::{ConfiguredKey, KeyHash};
use crate::metrics::HttpMetrics;
use crate::services::{CsAttributesService, OnViewFetch, Rollups, WritebackStatus};
use axum::Router;
use icsync_inbound::ClientSettings;
use icsync_store::Store;
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;

/// An Intercom OAuth app: what `POST /auth/eagle/token` needs besides the code.
#[derive(Debug, Clone)]
pub struct OAuthClient {
    pub client_id: String,
    pub client_secret: SecretString,
}

/// The API's settings, filled by the daemon from configuration.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Seconds between two incremental passes while User Tracking is on (`inbound.poll_interval_secs`):
    /// status shows the next run as the last one's start plus this.
    pub poll_interval: Duration,
    /// The OAuth app, when configured: enables `POST /v1/workspaces/oauth`.
    pub oauth: Option<OAuthClient>,
    /// How connection tests and connects talk to Intercom.
    pub intercom: ClientSettings,
    /// API keys from configuration, besides those in the store.
    pub api_keys: Vec<ConfiguredKey>,
    /// How long a profile view waits for the on-view fetch before answering with the stored
    /// (stale) timeline.
    pub on_view_timeout: Duration,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            poll_interval: Duration::from_secs(300),
            oauth: None,
            intercom: ClientSettings::default(),
            api_keys: Vec::new(),
            on_view_timeout: Duration::from_secs(10),
        }
    }
}

/// The services the daemon injects (see [`crate::services`]).
#[derive(Clone)]
pub struct ApiServices {
    pub on_view: Arc<dyn OnViewFetch>,
    pub writeback: Arc<dyn WritebackStatus>,
    pub rollups: Arc<dyn Rollups>,
    pub cs_attributes: Arc<dyn CsAttributesService>,
}

impl std::fmt::Debug for ApiServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiServices").finish_non_exhaustive()
    }
}

/// The router's state.
#[derive(Clone, Debug)]
pub struct ApiState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    settings: ApiSettings,
    keys: Vec<KeyHash>,
    services: ApiServices,
    webhooks: Option<Router>,
    metrics: HttpMetrics,
    export_wake: ExportWake,
}

/// Wakes the export loop after a host write (the daemon passes `Exporter::wake`); without it
/// the loop finds new records on its next interval.
#[derive(Clone, Default)]
struct ExportWake(Option<Arc<dyn Fn() + Send + Sync>>);

impl std::fmt::Debug for ExportWake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "ExportWake(set)"
        } else {
            "ExportWake(none)"
        })
    }
}

impl ApiState {
    /// The state of an API over `store`. Configured keys too short to be safe are refused,
    /// naming the key (check them at startup with [`ConfiguredKey::validate`]).
    pub fn new(store: Store, settings: ApiSettings, services: ApiServices) -> Result<Self, String> {
        for key in &settings.api_keys {
            key.validate()?;
        }
        let keys = settings.api_keys.iter().map(KeyHash::from).collect();
        Ok(ApiState {
            inner: Arc::new(Inner {
                store,
                settings,
                keys,
                services,
                webhooks: None,
                metrics: HttpMetrics::default(),
                export_wake: ExportWake::default(),
            }),
        })
    }

    /// The same state with Intercom's webhook receiver (inbound's router), mounted under
    /// `/v1/webhooks` and reachable without an API key (it checks signatures).
    pub fn with_webhooks(self, webhooks: Router) -> Self {
        let inner = &self.inner;
        ApiState {
            inner: Arc::new(Inner {
                store: inner.store.clone(),
                settings: inner.settings.clone(),
                keys: inner.keys.clone(),
                services: inner.services.clone(),
                webhooks: Some(webhooks),
                metrics: HttpMetrics::default(),
                export_wake: inner.export_wake.clone(),
            }),
        }
    }

    /// The same state calling `wake` after every host write to the export (the daemon
    /// passes the export loop's `Exporter::wake`).
    pub fn with_export_wake(self, wake: Arc<dyn Fn() + Send + Sync>) -> Self {
        let inner = &self.inner;
        ApiState {
            inner: Arc::new(Inner {
                store: inner.store.clone(),
                settings: inner.settings.clone(),
                keys: inner.keys.clone(),
                services: inner.services.clone(),
                webhooks: inner.webhooks.clone(),
                metrics: HttpMetrics::default(),
                export_wake: ExportWake(Some(wake)),
            }),
        }
    }

    /// Tells the export loop a host write is waiting.
    pub(crate) fn wake_export(&self) {
        if let Some(wake) = &self.inner.export_wake.0 {
            wake();
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn settings(&self) -> &ApiSettings {
        &self.inner.settings
    }

    pub fn services(&self) -> &ApiServices {
        &self.inner.services
    }

    pub(crate) fn configured_keys(&self) -> &[KeyHash] {
        &self.inner.keys
    }

    pub(crate) fn webhooks(&self) -> Option<Router> {
        self.inner.webhooks.clone()
    }

    pub(crate) fn metrics(&self) -> &HttpMetrics {
        &self.inner.metrics
    }
}
