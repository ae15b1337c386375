//! Building and running the daemon: the store, the HTTP API (with Intercom's webhook
//! receiver), the scheduled sync jobs, the writeback loop, graceful shutdown.

use crate::config::Settings;
use crate::jobs::Jobs;
use anyhow::Context as _;
use icsync_api::{ApiSettings, ApiState};
use icsync_domain::Workspace;
use icsync_store::{KeySource, SecretKey, Store};
use icsync_writeback::export::{ExportWriter, ExportWriterSource, Exporter};
use icsync_writeback::{IntercomWriter, Writeback, WriterSource};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// A built daemon, listening but not yet serving.
pub struct Application {
    listener: TcpListener,
    port: u16,
    store: Store,
    shutdown_grace: Duration,
    jobs: Jobs,
    writeback: Writeback,
    exporter: Exporter,
    router: axum::Router,
    settings: Settings,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .field("jobs", &self.jobs)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Opens (and by default migrates) the store, loads the secret key, registers this
    /// instance, builds the API and binds the listener.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let store = open_store(settings, settings.database.migrate_on_start).await?;
        let key = load_secret_key(settings)?;
        let store = store.with_secret_key(&key);
        let pacers = icsync_intercom::PacerRegistry::new(Default::default());
        let jobs = Jobs::new(store.clone(), settings.clone(), pacers.clone()).await?;
        let writeback = Writeback::new(store.clone(), settings.writeback.clone())
            .context("invalid [writeback] configuration")?;
        let client_settings = crate::jobs::client_settings(settings, jobs.instance());
        let on_view = icsync_inbound::OnViewFetcher::new(
            store.clone(),
            pacers,
            client_settings.clone(),
            settings.inbound.clone(),
        );
        let services = crate::services::api_services(&store, on_view, writeback.clone());
        let api_settings = ApiSettings {
            poll_interval: Duration::from_secs(settings.inbound.poll_interval_secs),
            oauth: settings.oauth_client()?,
            intercom: client_settings,
            api_keys: settings.api_keys()?,
            on_view_timeout: settings.inbound.on_view_timeout(),
        };
        let state = ApiState::new(store.clone(), api_settings, services)
            .map_err(|problem| anyhow::anyhow!("invalid [api] configuration: {problem}"))?;
        let webhooks = icsync_inbound::webhook_router(icsync_inbound::WebhookState::new(
            store.clone(),
            &settings.inbound,
        ));
        let exporter = Exporter::new(store.clone(), settings.export.clone())
            .context("invalid [export] configuration")?;
        let wake = {
            let exporter = exporter.clone();
            Arc::new(move || exporter.wake()) as Arc<dyn Fn() + Send + Sync>
        };
        let state = state.with_export_wake(wake);
        // The console at `/` beside the API under `/v1` (no route overlaps; the API keeps its
        // 404 answer for everything else).
        let console = icsync_console::router_with(state.clone(), settings.console_settings());
        let router = icsync_api::router(state.with_webhooks(webhooks)).merge(console);
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
            jobs,
            writeback,
            exporter,
            router,
            settings: settings.clone(),
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

    pub fn jobs(&self) -> &Jobs {
        &self.jobs
    }

    pub fn writeback(&self) -> &Writeback {
        &self.writeback
    }

    pub fn exporter(&self) -> &Exporter {
        &self.exporter
    }

    /// Serves the API and runs the jobs and the writeback loop until `shutdown` completes;
    /// then stops taking requests and passes, lets the passes finish their page in flight and
    /// the pushes their batch (bounded by `server.shutdown_grace_secs`), and gives the
    /// workspaces' leases back.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Application {
            listener,
            store,
            shutdown_grace: grace,
            jobs,
            writeback,
            exporter,
            router,
            settings,
            ..
        } = self;
        tracing::info!(addr = %listener.local_addr()?, backend = store.backend().as_str(), instance = jobs.instance(), "icsync is serving");
        let stopping = tokio_util::sync::CancellationToken::new();
        let signal = {
            let stopping = stopping.clone();
            tokio::spawn(async move {
                shutdown.await;
                tracing::info!("shutdown requested; finishing in-flight work");
                stopping.cancel();
            })
        };
        jobs.start().await?;
        let writers = Writers {
            jobs: jobs.clone(),
            settings: crate::jobs::client_settings(&settings, jobs.instance()),
        };
        let pusher = {
            let stopping = stopping.clone();
            let writeback = writeback.clone();
            tokio::spawn(async move {
                writeback
                    .run(&writers, async move { stopping.cancelled().await })
                    .await;
            })
        };
        let export_loop = {
            let stopping = stopping.clone();
            let writers = Writers {
                jobs: jobs.clone(),
                settings: crate::jobs::client_settings(&settings, jobs.instance()),
            };
            tokio::spawn(async move {
                exporter
                    .run(&writers, async move { stopping.cancelled().await })
                    .await;
            })
        };
        let server = {
            let stopping = stopping.clone();
            axum::serve(listener, router)
                .with_graceful_shutdown(async move { stopping.cancelled().await })
        };
        let server = tokio::spawn(async move { server.await });
        stopping.cancelled().await;
        let finish = async {
            jobs.shutdown().await;
            if let Err(error) = pusher.await {
                tracing::warn!(error = %error, "the writeback loop ended abnormally");
            }
            if let Err(error) = export_loop.await {
                tracing::warn!(error = %error, "the export loop ended abnormally");
            }
            match server.await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::warn!(error = %error, "the HTTP server failed"),
                Err(error) => tracing::warn!(error = %error, "the HTTP server task failed"),
            }
        };
        if tokio::time::timeout(grace, finish).await.is_err() {
            tracing::warn!(
                grace_secs = grace.as_secs(),
                "in-flight work did not finish in time; stopping anyway (the next start resumes from the last committed page)"
            );
        }
        signal.abort();
        store.close().await;
        tracing::info!("icsync stopped");
        Ok(())
    }
}

/// Writeback's Intercom clients: the daemon's pacers, for the workspaces this instance holds.
struct Writers {
    jobs: Jobs,
    settings: icsync_inbound::ClientSettings,
}

impl ExportWriterSource for Writers {
    fn export_writer(&self, workspace: &Workspace) -> Result<Arc<dyn ExportWriter>, String> {
        let client = icsync_inbound::client_for(workspace, self.jobs.pacers(), &self.settings)
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(client))
    }

    fn owns(&self, workspace: &Workspace) -> bool {
        self.jobs.owns(workspace.id)
    }
}

impl WriterSource for Writers {
    fn writer(&self, workspace: &Workspace) -> Result<Arc<dyn IntercomWriter>, String> {
        let client = icsync_inbound::client_for(workspace, self.jobs.pacers(), &self.settings)
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(client))
    }

    fn owns(&self, workspace: &Workspace) -> bool {
        self.jobs.owns(workspace.id)
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
