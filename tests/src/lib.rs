//! Helpers for the end-to-end suites: start the real daemon in-process on port 0, against a
//! fresh SQLite file or a fresh PostgreSQL database, and stop it gracefully.
//!
//! Test support only: a failure to set up panics, which fails the test that asked.
#![allow(clippy::expect_used, clippy::unwrap_used)]

pub mod browser;
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
    /// The daemon's jobs (tick them, wait for them to go idle).
    pub jobs: icsync_daemon::jobs::Jobs,
    /// Where its database lives, to start another daemon on it ([`spawn_app_at`]).
    pub place: AppPlace,
    shutdown: Option<oneshot::Sender<()>>,
    server: JoinHandle<anyhow::Result<()>>,
}

/// A daemon's database and files: kept across a restart.
#[derive(Debug, Clone)]
pub struct AppPlace {
    pub database_url: String,
    pub dir: std::sync::Arc<tempfile::TempDir>,
}

/// Starts the daemon on SQLite.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(TestDatabase::Sqlite).await
}

/// Starts the daemon on the given database, freshly created and migrated.
pub async fn spawn_app_on(database: TestDatabase) -> TestApp {
    spawn_app_with(database, |_| {}).await
}

/// A fresh database (and directory) for a daemon.
pub async fn fresh_place(database: TestDatabase) -> AppPlace {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = match database {
        TestDatabase::Sqlite => format!("sqlite://{}", dir.path().join("icsync.db").display()),
        TestDatabase::Postgres => tokio::task::spawn_blocking(|| {
            let cluster =
                icsync_pgtemp::PgCluster::shared().expect("a throwaway PostgreSQL cluster");
            cluster
                .create_database(&format!("e2e{}", fastrand::u32(..)))
                .expect("a fresh database")
        })
        .await
        .expect("cluster thread"),
    };
    AppPlace {
        database_url,
        dir: std::sync::Arc::new(dir),
    }
}

/// Starts the daemon on a fresh database after `tune` adjusts its settings.
pub async fn spawn_app_with(database: TestDatabase, tune: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_at(fresh_place(database).await, tune).await
}

/// Starts the daemon on `place` (a restart when another daemon used it before).
pub async fn spawn_app_at(place: AppPlace, tune: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = Settings::load(None).expect("default settings load");
    settings.database_url = place.database_url.clone();
    settings.data_dir = place.dir.path().to_owned();
    settings.secret_key_file = place.dir.path().join("secret.key").display().to_string();
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.shutdown_grace_secs = 5;
    tune(&mut settings);
    if std::env::var_os("TEST_LOG").is_some() {
        icsync_daemon::telemetry::init(&settings.log);
    }
    let app = Application::build(&settings)
        .await
        .expect("the daemon builds");
    let port = app.port();
    let store = app.store().clone();
    let jobs = app.jobs().clone();
    let (shutdown, stop) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stop.await;
    }));
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        store,
        client: http_client(),
        jobs,
        place,
        shutdown: Some(shutdown),
        server,
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
    pub async fn stop(self) -> anyhow::Result<()> {
        self.stop_keeping().await.map(|_| ())
    }

    /// Stops the daemon and hands back its place, to start another on it.
    pub async fn stop_keeping(mut self) -> anyhow::Result<AppPlace> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        (&mut self.server).await??;
        Ok(self.place.clone())
    }

    /// A request with a bearer key; the answer's status and JSON body (null when not JSON).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    /// A new API key of `scope`.
    pub async fn api_key(&self, scope: icsync_api::Scope) -> String {
        let (_, key) = icsync_api::create_api_key(&self.store, scope, None)
            .await
            .expect("a key");
        secrecy::ExposeSecret::expose_secret(&key).to_owned()
    }
}
