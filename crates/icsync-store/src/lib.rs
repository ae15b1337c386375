//! icsync's store: every table of the mission, on SQLite (default) or PostgreSQL.
//!
//! - [`Store::connect`] opens the database; [`Store::migrate`] brings the schema up to date.
//! - [`Store::write_batch`] is the bulk ingest path: one transaction per page, holding the page's
//!   rows **and** its stream's checkpoint, in a few multi-row statements.
//! - Reads serve the API: profiles, the event and session feeds, conversations, checkpoints,
//!   runs and their live progress; API keys; deleting a workspace with all its data.
//!
//! **Invariant**: only this crate and `icsync-migrations` import `sea_orm`; callers see domain
//! types and this crate's read models.
//! **Invariant**: a checkpoint is never committed ahead of the rows it follows.

mod activity;
mod api_keys;
mod connect;
mod conversations;
mod cs;
mod cs_queue;
pub mod entities;
mod error;
mod export;
mod export_queue;
mod fingerprint;
mod ingest;
mod leases;
mod lookups;
mod reads;
mod run_status;
mod runs;
mod search;
pub mod secrets;
mod sessions;
mod sync_state;
mod workspace_data;
mod workspaces;
mod writeback_state;

pub use activity::{FeedSession, SessionFeedPage};
pub use api_keys::{NewApiKey, StoredApiKey};
pub use connect::{Backend, StoreOptions, redact_url};
pub use conversations::{ConversationVersion, StoredConversation};
pub use cs::{CsRecord, CsWrite};
pub use cs_queue::{ClaimRequest, PushFailure, PushOutcome, WritebackCounts};
pub use error::{Result, StoreError};
pub use export::{
    ExportProvisioning, ExportState, ExportStatus, ExportVersion, ExportWrite, ManagedTag,
    StoredExportRecord, desired_hash,
};
pub use export_queue::{ContactLink, ExportCounts, ExportOutcome, ExportProblem, ExportResult};
pub use fingerprint::{Fingerprint, TableFingerprint};
pub use ingest::Counts;
#[cfg(feature = "test-hooks")]
pub use ingest::IngestFault;
pub use ingest::{
    CheckpointUpdate, ContactMark, IngestBatch, IngestPage, IngestQueue, IngestReport, QueueBounds,
    QueueTotals, SessionRebuild,
};
pub use leases::{Instance, Lease, NewInstance};
pub use lookups::{CompanyLookup, ContactLookup, LocatedCompany, LocatedContact};
pub use reads::{ContactProfile, FeedEvent, FeedPage, RecordCounts, StoredCompany, StoredContact};
pub use run_status::{RunProgress, RunTotals};
pub use runs::{RunId, SyncRun};
pub use secrets::{KeySource, SecretError, SecretKey};
pub use sync_state::{ContactSignals, InboundShape, PendingCompanies, PendingEvents};
pub use workspace_data::INSTALLATION_TABLES;
pub use workspaces::WorkspaceSettings;
pub use writeback_state::WritebackState;

use connect::Writer;
use icsync_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use std::sync::{Arc, Mutex};

/// A handle to icsync's database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    read: DatabaseConnection,
    write: DatabaseConnection,
    writer: Writer,
    backend: Backend,
    display_url: String,
    cipher: Option<secrets::Cipher>,
    fault: Mutex<Option<ingest::IngestFault>>,
    /// Held for writing by [`Store::hold_writes`]; every batch takes it for reading first.
    #[cfg(feature = "test-hooks")]
    gate: Arc<tokio::sync::RwLock<()>>,
    /// Batches waiting at the gate with their transaction open.
    #[cfg(feature = "test-hooks")]
    held: Arc<std::sync::atomic::AtomicUsize>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.inner.backend)
            .field("url", &self.inner.display_url)
            .field(
                "secret_key",
                &self.inner.cipher.as_ref().map(|_| "[REDACTED]"),
            )
            .finish()
    }
}

/// What `migrate` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Names of the migrations applied by this call (empty when the schema was up to date).
    pub applied: Vec<String>,
}

impl Store {
    /// Opens the database at `database_url` with default options.
    pub async fn connect(database_url: &str) -> Result<Self> {
        Self::connect_with(StoreOptions::new(database_url)).await
    }

    pub async fn connect_with(options: StoreOptions) -> Result<Self> {
        let opened = connect::open(&options).await?;
        tracing::debug!(backend = opened.backend.as_str(), url = %opened.display_url, "store opened");
        Ok(Self {
            inner: Arc::new(Inner {
                read: opened.read,
                write: opened.write,
                writer: opened.writer,
                backend: opened.backend,
                display_url: opened.display_url,
                cipher: None,
                fault: Mutex::new(None),
                #[cfg(feature = "test-hooks")]
                gate: Arc::default(),
                #[cfg(feature = "test-hooks")]
                held: Arc::default(),
            }),
        })
    }

    /// The same store, encrypting and decrypting secrets with `key`.
    pub fn with_secret_key(self, key: &SecretKey) -> Self {
        let inner = &self.inner;
        Self {
            inner: Arc::new(Inner {
                read: inner.read.clone(),
                write: inner.write.clone(),
                writer: inner.writer.clone(),
                backend: inner.backend,
                display_url: inner.display_url.clone(),
                cipher: Some(key.cipher()),
                fault: Mutex::new(None),
                #[cfg(feature = "test-hooks")]
                gate: inner.gate.clone(),
                #[cfg(feature = "test-hooks")]
                held: inner.held.clone(),
            }),
        }
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The database URL with any password redacted.
    pub fn display_url(&self) -> &str {
        &self.inner.display_url
    }

    /// Applies every pending migration in one transaction: all of them, or none.
    pub async fn migrate(&self) -> Result<MigrationReport> {
        let db = &self.inner.write;
        let before = applied_names(db).await?;
        let txn = db
            .begin()
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))?;
        Migrator::up(&txn, None)
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))?;
        txn.commit()
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))?;
        let after = applied_names(db).await?;
        let applied = after
            .into_iter()
            .filter(|name| !before.contains(name))
            .collect();
        Ok(MigrationReport { applied })
    }

    /// Reverts the last `steps` migrations (all when `None`), in one transaction.
    pub async fn migrate_down(&self, steps: Option<u32>) -> Result<()> {
        let txn = self
            .inner
            .write
            .begin()
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))?;
        Migrator::down(&txn, steps)
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))?;
        txn.commit()
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))
    }

    /// Fails with [`StoreError::SchemaOutdated`] unless every migration is applied.
    pub async fn check_schema(&self) -> Result<()> {
        let pending = Migrator::get_pending_migrations(&self.inner.read)
            .await?
            .len();
        if pending > 0 {
            return Err(StoreError::SchemaOutdated { pending });
        }
        Ok(())
    }

    /// Which of icsync's tables exist (all of [`icsync_migrations::TABLES`] once migrated).
    pub async fn existing_tables(&self) -> Result<Vec<String>> {
        let sql = match self.inner.backend {
            Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
            Backend::Postgres => {
                "SELECT table_name AS name FROM information_schema.tables \
                 WHERE table_schema = current_schema()"
            }
        };
        let rows = self
            .inner
            .read
            .query_all_raw(sea_orm::Statement::from_string(
                self.inner.read.get_database_backend(),
                sql,
            ))
            .await?;
        let mut names = Vec::new();
        for row in rows {
            let name: String = row.try_get("", "name")?;
            if icsync_migrations::TABLES.contains(&name.as_str()) {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// Closes every connection; later calls fail. Used at shutdown (and by tests).
    pub async fn close(&self) {
        match &self.inner.writer {
            Writer::Sqlite(writer) => {
                self.inner.read.get_sqlite_connection_pool().close().await;
                writer.close().await;
            }
            Writer::Postgres(pool) => pool.close().await,
        }
    }

    /// A round trip to the database (for readiness checks).
    pub async fn ping(&self) -> Result<()> {
        self.inner.read.execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    /// Makes the next [`Store::write_batch`] fail after the given number of statements, then
    /// clears itself. For tests and failure drills: proves a batch is all-or-nothing.
    #[cfg(feature = "test-hooks")]
    pub fn inject_ingest_fault(&self, fault: IngestFault) {
        if let Ok(mut slot) = self.inner.fault.lock() {
            *slot = Some(fault);
        }
    }

    /// Holds every batch just before its commit, transaction open, until the guard is dropped
    /// (tests: lets pages pile up in an [`IngestQueue`]; proves reads go on during a write).
    #[cfg(feature = "test-hooks")]
    pub async fn hold_commits(&self) -> tokio::sync::OwnedRwLockWriteGuard<()> {
        self.inner.gate.clone().write_owned().await
    }

    /// Batches waiting, transaction open, behind [`Store::hold_commits`].
    #[cfg(feature = "test-hooks")]
    pub fn held_commits(&self) -> usize {
        self.inner.held.load(std::sync::atomic::Ordering::SeqCst)
    }

    #[cfg(feature = "test-hooks")]
    async fn pass_gate(&self) -> Option<tokio::sync::OwnedRwLockReadGuard<()>> {
        use std::sync::atomic::Ordering;
        self.inner.held.fetch_add(1, Ordering::SeqCst);
        let guard = self.inner.gate.clone().read_owned().await;
        self.inner.held.fetch_sub(1, Ordering::SeqCst);
        Some(guard)
    }

    #[cfg(not(feature = "test-hooks"))]
    async fn pass_gate(&self) -> Option<()> {
        None
    }

    fn take_fault(&self) -> Option<ingest::IngestFault> {
        self.inner
            .fault
            .lock()
            .ok()
            .and_then(|mut slot| slot.take())
    }

    fn cipher(&self) -> Result<&secrets::Cipher> {
        self.inner
            .cipher
            .as_ref()
            .ok_or(StoreError::Secret(SecretError::NoKey))
    }
}

async fn applied_names(db: &DatabaseConnection) -> Result<Vec<String>> {
    // Before the first migration the bookkeeping table does not exist: nothing is applied.
    match Migrator::get_applied_migrations(db).await {
        Ok(applied) => Ok(applied.iter().map(|m| m.name().to_owned()).collect()),
        Err(_) => Ok(Vec::new()),
    }
}
