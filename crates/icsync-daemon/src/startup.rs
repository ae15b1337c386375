//! Building and running the daemon: the store, the HTTP server, graceful shutdown.

use crate::config::Settings;
use crate::http;
use anyhow::Context as _;
use icsync_store::{KeySource, SecretKey, Store};
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

/// A built daemon, listening but not yet serving.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    port: u16,
    store: Store,
    shutdown_grace: Duration,
}

impl Application {
    /// Opens (and by default migrates) the store, loads the secret key and binds the listener.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let store = open_store(settings, settings.database.migrate_on_start).await?;
        let key = load_secret_key(settings)?;
        let store = store.with_secret_key(&key);
        let addr = settings.bind_addr()?;
        let listener = TcpListener::bind(addr).await.with_context(|| {
            format!("failed to listen on {addr} (server.bind); is another process using it?")
        })?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            listener,
            port,
            store,
            shutdown_grace: Duration::from_secs(settings.server.shutdown_grace_secs),
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish (bounded by
    /// `server.shutdown_grace_secs`).
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let store = self.store.clone();
        let app = http::router(store);
        tracing::info!(addr = %self.listener.local_addr()?, backend = self.store.backend().as_str(), "icsync is serving");
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let server = axum::serve(self.listener, app).with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutdown requested; finishing in-flight work");
            let _ = stopping_tx.send(());
        });
        let grace = self.shutdown_grace;
        let server = tokio::spawn(async move { server.await });
        let deadline = async move {
            if stopping_rx.await.is_ok() {
                tokio::time::sleep(grace).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            result = server => result.context("the HTTP server task failed")?.context("the HTTP server failed")?,
            () = deadline => tracing::warn!(grace_secs = grace.as_secs(), "in-flight work did not finish in time; stopping anyway"),
        }
        self.store.close().await;
        tracing::info!("icsync stopped");
        Ok(())
    }
}

/// The key that encrypts secrets at rest: `ICSYNC_SECRET_KEY`, else the key file (created with
/// mode 0600 when missing, and logged so it gets backed up).
pub fn load_secret_key(settings: &Settings) -> anyhow::Result<SecretKey> {
    let key_path = settings.secret_key_path();
    let (key, source) = SecretKey::load_or_create(settings.secret_key.as_ref(), &key_path)
        .context("failed to load the secret key")?;
    match source {
        KeySource::Created(path) => tracing::warn!(
            path = %path.display(),
            "created a new secret key file; back it up: stored Intercom tokens cannot be read without it"
        ),
        KeySource::File(path) => {
            tracing::debug!(path = %path.display(), "secret key loaded from file")
        }
        KeySource::Configured => tracing::debug!("secret key taken from ICSYNC_SECRET_KEY"),
    }
    Ok(key)
}

/// Opens the store and either migrates it or checks it is up to date.
pub async fn open_store(settings: &Settings, migrate: bool) -> anyhow::Result<Store> {
    let store = Store::connect_with(settings.store_options()).await?;
    if migrate {
        let report = store.migrate().await?;
        if !report.applied.is_empty() {
            tracing::info!(applied = report.applied.len(), "database migrated");
        }
    } else {
        store.check_schema().await?;
    }
    Ok(store)
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
