//! Throwaway PostgreSQL clusters for tests and benchmarks, from the machine's own binaries.
//!
//! A cluster lives in a temporary directory and listens on 127.0.0.1 (password auth) and on a
//! unix socket in that directory (trust). `postgres` runs under a small `sh` watchdog that
//! holds our end of a pipe: when the owning process exits, however it exits, the pipe closes
//! and the watchdog stops PostgreSQL and deletes the directory. Nothing outlives the tests.
//!
//! As root (CI here), `initdb` refuses to run, so the cluster runs as the `postgres` user.

mod binaries;
mod cluster;

pub use binaries::PgBinaries;
pub use cluster::{Durability, PgCluster};

/// Why a cluster could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum PgTempError {
    #[error(
        "PostgreSQL server binaries not found ({missing} missing; looked in ICSYNC_PG_BIN, PATH and /usr/lib/postgresql/*/bin); install PostgreSQL 15 server binaries (apt-get install postgresql-15) or set ICSYNC_PG_BIN to their directory"
    )]
    BinariesNotFound { missing: String },

    #[error(
        "running as root, PostgreSQL must run as an unprivileged user but no `postgres` user exists; create one (useradd --system postgres) or run the tests as a normal user"
    )]
    NoPostgresUser,

    #[error("{step} failed: {detail}")]
    Command { step: &'static str, detail: String },

    #[error("PostgreSQL did not become ready within {seconds}s; its log says: {log}")]
    NotReady { seconds: u64, log: String },

    #[error("{0}")]
    Io(#[from] std::io::Error),
}
