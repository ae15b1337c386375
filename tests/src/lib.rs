//! Helpers for the end-to-end suites: start the real daemon in-process on port 0, against a
//! fresh SQLite file or a fresh PostgreSQL database, and stop it gracefully.
//!
//! Test support only: a failure to set up panics, which fails the test that asked.
#![allow(clippy::expect_used, clippy::unwrap_used)]

pub mod sync;

use icsync_daemon::{Application, Settings};
use icsync_store::Store;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Which database a test app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestDatabase {
    Sqlite,
    Postgres,
}

/// A running daemon with its own database, stopped by [`TestApp::stop`].
#[derive(Debug)]
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub store: Store,
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    server: JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

/// Starts the daemon on SQLite.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(TestDatabase::Sqlite).await
}

/// Starts the daemon on the given database, freshly created and migrated.
pub async fn spawn_app_on(database: TestDatabase) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::load(None).expect("default settings load");
    settings.database_url = match database {
        TestDatabase::Sqlite => format!("sqlite://{}", dir.path().join("icsync.db").display()),
        TestDatabase::Postgres => tokio::task::spawn_blocking(|| {
            let cluster =
                icsync_pgtemp::PgCluster::shared().expect("a throwaway PostgreSQL cluster");
            cluster.create_database("e2e").expect("a fresh database")
        })
        .await
        .expect("cluster thread"),
    };
    settings.data_dir = dir.path().to_owned();
    settings.secret_key_file = dir.path().join("secret.key").display().to_string();
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.shutdown_grace_secs = 5;
    if std::env::var_os("TEST_LOG").is_some() {
        icsync_daemon::telemetry::init(&settings.log);
    }
    let app = Application::build(&settings)
        .await
        .expect("the daemon builds");
    let port = app.port();
    let store = app.store().clone();
    let (shutdown, stop) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stop.await;
    }));
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        store,
        client: http_client(),
        shutdown: Some(shutdown),
        server,
        _dir: dir,
    }
}

/// A plain-HTTP client (no TLS provider needed for loopback).
pub fn http_client() -> reqwest::Client {
    // reqwest is built without a bundled TLS backend; it needs a process-wide provider even
    // for plain HTTP. Installing twice is harmless (the second call reports the first).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().expect("an HTTP client")
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request")
    }

    /// Asks the daemon to stop and waits until it has.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        (&mut self.server).await?
    }
}
