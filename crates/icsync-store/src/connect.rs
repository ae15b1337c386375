//! Opening the store: SQLite (the default, tuned for a write-heavy sync) or PostgreSQL.
//!
//! SQLite gets two pools on one file: a single **writer** connection through which every write
//! goes (so writers never contend for the lock), and a pool of **readers** that keep reading
//! while a bulk ingest runs (WAL). PostgreSQL gets one pool for both.

use crate::error::{Result, StoreError};
use sea_orm::{DatabaseConnection, SqlxPostgresConnector, SqlxSqliteConnector};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, PgConnection, PgPool, SqlitePool};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Whether a connection coming back to its pool is outside any transaction. One that is not was
/// given back by a task cancelled in the middle of a transaction's statement (a killed run, an
/// aborted writer), before the transaction could queue its rollback: handed out again, its
/// next user would run inside that transaction, whose locks nobody releases and whose rows
/// vanish when it finally rolls back. Such a connection is closed instead (the server rolls the
/// transaction back when it goes).
fn released_clean(conn: &impl Connection) -> bool {
    let in_transaction = conn.is_in_transaction();
    if in_transaction {
        tracing::warn!("a database connection came back inside a transaction, closing it");
    }
    !in_transaction
}

/// [`released_clean`] for PostgreSQL, asking the server too: a `BEGIN` cancelled before its
/// answer arrived leaves the server in a transaction sqlx does not count (sqlx-postgres 0.9
/// queues no rollback at depth 0), so a later statement on that connection would run, and its
/// rows stay invisible, inside it. In a transaction `now()` is its start; outside one it equals
/// the statement's own timestamp. An error (an aborted transaction, a broken connection) closes
/// the connection too.
async fn released_clean_postgres(conn: &mut PgConnection) -> sqlx::Result<bool> {
    if !released_clean(conn) {
        return Ok(false);
    }
    // The simple-query protocol: one message, so outside a transaction block the statement's
    // implicit transaction starts with it (with a prepared statement's Parse/Bind/Execute the
    // timestamps differ by the messages' gaps).
    let row = sqlx::raw_sql("SELECT now() <> statement_timestamp()")
        .fetch_one(&mut *conn)
        .await?;
    let open: bool = sqlx::Row::try_get(&row, 0)?;
    if open {
        tracing::warn!("a database connection came back inside a transaction, closing it");
    }
    Ok(!open)
}

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// How to open the store; [`StoreOptions::new`] gives the defaults for a URL.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub database_url: String,
    /// Readers on SQLite, all connections on PostgreSQL.
    pub max_connections: u32,
    /// How long a SQLite statement waits for a lock before failing.
    pub busy_timeout: Duration,
    /// How long to wait for a connection (and, on PostgreSQL, to connect).
    pub acquire_timeout: Duration,
    /// SQLite page cache of the writer connection, in KiB; the readers share as much again,
    /// split between them (each reader's cache is a copy of pages, so one budget per role
    /// keeps memory bounded whatever the pool size).
    pub sqlite_cache_kib: u32,
    /// Page size of a new SQLite database, in bytes (a power of two from 512 to 65,536). An
    /// existing database keeps the size it was created with.
    pub sqlite_page_size: u32,
}

/// What the SQLite WAL may grow to before it is checkpointed, in bytes: 128 MiB. A checkpoint
/// copies each page once however often the WAL rewrote it, so a larger WAL copies less; a users
/// backfill (100k contacts) took 1.13 s instead of 1.23 s with 40 MiB, the events stream 3.33 s
/// instead of 3.50 s (docs/BENCHMARKS.md). The file stays that large on disk between checkpoints.
const WAL_CHECKPOINT_BYTES: u32 = 128 * 1024 * 1024;

impl StoreOptions {
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            max_connections: 8,
            busy_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(30),
            sqlite_cache_kib: 16 * 1024,
            sqlite_page_size: 16 * 1024,
        }
    }
}

/// The raw pool every write goes through.
#[derive(Debug, Clone)]
pub(crate) enum Writer {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

pub(crate) struct Opened {
    pub read: DatabaseConnection,
    pub write: DatabaseConnection,
    pub writer: Writer,
    pub backend: Backend,
    pub display_url: String,
}

pub(crate) async fn open(options: &StoreOptions) -> Result<Opened> {
    let url = options.database_url.trim();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        open_postgres(url, options).await
    } else if url.starts_with("sqlite:") {
        open_sqlite(url, options).await
    } else {
        Err(StoreError::InvalidUrl {
            url: redact_url(url),
            reason: "unknown scheme".into(),
        })
    }
}

/// Has the writer checkpoint the WAL at [`WAL_CHECKPOINT_BYTES`], counted in the pages of this
/// file (a database created before the page size changed keeps its own).
async fn bound_wal(conn: &mut sqlx::SqliteConnection) -> std::result::Result<(), sqlx::Error> {
    let page_size: i64 = sqlx::query_scalar("PRAGMA page_size")
        .fetch_one(&mut *conn)
        .await?;
    let pages = i64::from(WAL_CHECKPOINT_BYTES) / page_size.max(512);
    // An integer computed here: nothing from outside reaches the statement.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "PRAGMA wal_autocheckpoint = {pages}"
    )))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn open_sqlite(url: &str, options: &StoreOptions) -> Result<Opened> {
    let invalid = |reason: String| StoreError::InvalidUrl {
        url: url.to_owned(),
        reason,
    };
    let connect = SqliteConnectOptions::from_str(url).map_err(|e| invalid(e.to_string()))?;
    let path = connect.get_filename().to_owned();
    let in_memory = path.as_os_str().is_empty() || path.as_os_str() == ":memory:";
    if !in_memory {
        ensure_parent_dir(&path)?;
    }
    let connect = connect
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // Safe with WAL: a crash can lose the last commits but never corrupts the file, and the
        // checkpoint of a lost batch is lost with it (docs/STORAGE.md).
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(options.busy_timeout)
        .pragma("cache_size", format!("-{}", options.sqlite_cache_kib))
        .pragma("temp_store", "memory")
        // Applies when the file is created (before WAL mode is set); SQLite ignores it after.
        .page_size(options.sqlite_page_size)
        .statement_cache_capacity(256);
    let hint = "check that the path is right and its directory is writable, or set database_url";
    let display_url = format!("sqlite://{}", path.display());
    let fail = |e: sqlx::Error| StoreError::Connect {
        url: display_url.clone(),
        reason: describe_sqlx(&e),
        hint,
    };
    // An in-memory database exists per connection, so readers and writer must share one.
    let writer = SqlitePoolOptions::new()
        .after_connect(|conn, _| Box::pin(async move { bound_wal(conn).await }))
        .after_release(|conn, _| Box::pin(async move { Ok(released_clean(conn)) }))
        .max_connections(1)
        .min_connections(1)
        .acquire_timeout(options.acquire_timeout)
        .connect_with(connect.clone())
        .await
        .map_err(fail)?;
    let readers = if in_memory {
        writer.clone()
    } else {
        let readers = options.max_connections.max(1);
        let reader_cache = (options.sqlite_cache_kib / readers).max(2_048);
        SqlitePoolOptions::new()
            .after_release(|conn, _| Box::pin(async move { Ok(released_clean(conn)) }))
            .max_connections(readers)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(
                connect
                    .read_only(true)
                    .pragma("cache_size", format!("-{reader_cache}")),
            )
            .await
            .map_err(fail)?
    };
    Ok(Opened {
        read: SqlxSqliteConnector::from_sqlx_sqlite_pool(readers),
        write: SqlxSqliteConnector::from_sqlx_sqlite_pool(writer.clone()),
        writer: Writer::Sqlite(writer),
        backend: Backend::Sqlite,
        display_url,
    })
}

async fn open_postgres(url: &str, options: &StoreOptions) -> Result<Opened> {
    let display_url = redact_url(url);
    let connect = PgConnectOptions::from_str(url).map_err(|e| StoreError::InvalidUrl {
        url: display_url.clone(),
        reason: e.to_string(),
    })?;
    let fail = |e: sqlx::Error| StoreError::Connect {
        url: display_url.clone(),
        reason: describe_sqlx(&e),
        hint: postgres_hint(&e),
    };
    // One direct connection first: a pool would report any failure as a timeout, hiding
    // "connection refused" or "password authentication failed".
    let probe = tokio::time::timeout(
        options.acquire_timeout,
        PgConnection::connect_with(&connect),
    )
    .await
    .map_err(|_| fail(sqlx::Error::PoolTimedOut))?
    .map_err(fail)?;
    probe.close().await.map_err(fail)?;
    let pool = PgPoolOptions::new()
        .after_release(|conn, _| Box::pin(released_clean_postgres(conn)))
        .max_connections(options.max_connections.max(2))
        .acquire_timeout(options.acquire_timeout)
        .connect_with(connect)
        .await
        .map_err(fail)?;
    let db = SqlxPostgresConnector::from_sqlx_postgres_pool(pool.clone());
    Ok(Opened {
        read: db.clone(),
        write: db,
        writer: Writer::Postgres(pool),
        backend: Backend::Postgres,
        display_url,
    })
}

fn ensure_parent_dir(path: &Path) -> Result<()> {
    let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    std::fs::create_dir_all(parent).map_err(|source| StoreError::DataDir {
        path: PathBuf::from(parent),
        source,
    })
}

fn describe_sqlx(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => db.message().to_owned(),
        sqlx::Error::PoolTimedOut => "timed out connecting".to_owned(),
        sqlx::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}

fn postgres_hint(error: &sqlx::Error) -> &'static str {
    let text = error.to_string();
    if text.contains("password authentication failed") || text.contains("authentication") {
        "check the user and password in database_url"
    } else if text.contains("does not exist") {
        "create the database (createdb) or fix its name in database_url"
    } else {
        "check that PostgreSQL is running and reachable at that host and port"
    }
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Setting a password fails only for URLs that cannot have one, and this one has one.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://icsync:hunter2@db:5432/icsync"),
            "postgres://icsync:***@db:5432/icsync"
        );
        assert_eq!(
            redact_url("sqlite://data/icsync.db"),
            "sqlite://data/icsync.db"
        );
    }

    #[tokio::test]
    async fn a_postgres_connection_left_in_a_transaction_sqlx_does_not_count_is_not_reused() {
        let url = tokio::task::spawn_blocking(|| {
            icsync_pgtemp::PgCluster::shared()
                .expect("a throwaway PostgreSQL cluster")
                .create_database("released_clean")
                .expect("a database")
        })
        .await
        .expect("cluster thread");
        let mut conn = PgConnection::connect(&url).await.expect("connect");
        // Idle, after ordinary statements of both protocols.
        sqlx::query("SELECT 1")
            .execute(&mut conn)
            .await
            .expect("query");
        assert!(released_clean_postgres(&mut conn).await.expect("check"));
        assert!(released_clean_postgres(&mut conn).await.expect("check"));
        // A transaction opened behind sqlx's back, as a BEGIN cancelled before its answer
        // leaves one: sqlx counts no transaction, the server is in one.
        sqlx::raw_sql("BEGIN")
            .execute(&mut conn)
            .await
            .expect("begin");
        assert!(!conn.is_in_transaction(), "sqlx does not count it");
        assert!(!released_clean_postgres(&mut conn).await.expect("check"));
        // One sqlx counts is caught without asking the server.
        sqlx::raw_sql("ROLLBACK")
            .execute(&mut conn)
            .await
            .expect("rollback");
        let txn = conn.begin().await.expect("begin");
        assert!(!released_clean(&*txn));
    }
}
