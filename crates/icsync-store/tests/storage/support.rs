//! Fresh, migrated stores for each case.

use icsync_migrations::MigratorTrait;
use icsync_pgtemp::PgCluster;
use icsync_store::{SecretKey, Store};
use std::sync::OnceLock;

pub struct TestDb {
    pub store: Store,
    pub url: String,
    pub key: SecretKey,
    /// Keeps a SQLite file alive for the case.
    _dir: Option<tempfile::TempDir>,
}

fn key() -> SecretKey {
    static KEY: OnceLock<SecretKey> = OnceLock::new();
    KEY.get_or_init(SecretKey::generate).clone()
}

async fn open(url: String, dir: Option<tempfile::TempDir>) -> TestDb {
    let key = key();
    let store = Store::connect(&url)
        .await
        .expect("connect")
        .with_secret_key(&key);
    let report = store.migrate().await.expect("migrate");
    assert_eq!(
        report.applied.len(),
        icsync_migrations::Migrator::migrations().len(),
        "a fresh database gets every migration"
    );
    TestDb {
        store,
        url,
        key,
        _dir: dir,
    }
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("icsync.db").display());
    open(url, Some(dir)).await
}

pub async fn postgres(case: &str) -> TestDb {
    let url = tokio::task::spawn_blocking({
        let case = case.to_owned();
        move || {
            let cluster = PgCluster::shared().unwrap_or_else(|e| {
                panic!("the PostgreSQL half of the storage suite needs a throwaway cluster: {e}")
            });
            cluster
                .create_database(&case)
                .expect("create a database for the case")
        }
    })
    .await
    .expect("cluster thread");
    open(url, None).await
}

impl TestDb {
    /// Another handle on the same database, with another key or none.
    pub async fn reopen(&self, key: Option<&SecretKey>) -> Store {
        let store = Store::connect(&self.url).await.expect("reconnect");
        match key {
            Some(key) => store.with_secret_key(key),
            None => store,
        }
    }
}
