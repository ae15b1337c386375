//! Finding `initdb`, `postgres` and `createdb`.

use crate::PgTempError;
use std::path::{Path, PathBuf};

/// The directory holding the PostgreSQL server binaries.
#[derive(Debug, Clone)]
pub struct PgBinaries {
    pub initdb: PathBuf,
    pub postgres: PathBuf,
    pub createdb: PathBuf,
}

const NEEDED: [&str; 3] = ["initdb", "postgres", "createdb"];

impl PgBinaries {
    /// Looks in `ICSYNC_PG_BIN`, then `PATH`, then the newest `/usr/lib/postgresql/*/bin`.
    pub fn find() -> Result<Self, PgTempError> {
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Some(dir) = std::env::var_os("ICSYNC_PG_BIN") {
            candidates.push(PathBuf::from(dir));
        }
        if let Some(path) = std::env::var_os("PATH") {
            candidates.extend(std::env::split_paths(&path));
        }
        let mut versioned: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.path().join("bin"))
                    .collect()
            })
            .unwrap_or_default();
        versioned.sort();
        candidates.extend(versioned.into_iter().rev());

        let find = |name: &str| {
            candidates
                .iter()
                .map(|dir| dir.join(name))
                .find(|p| is_executable(p))
        };
        // Prefer one directory holding all three, so versions never mix.
        if let Some(dir) = candidates
            .iter()
            .find(|dir| NEEDED.iter().all(|n| is_executable(&dir.join(n))))
        {
            return Ok(Self {
                initdb: dir.join("initdb"),
                postgres: dir.join("postgres"),
                createdb: dir.join("createdb"),
            });
        }
        let found: Vec<Option<PathBuf>> = NEEDED.iter().map(|n| find(n)).collect();
        match (&found[0], &found[1], &found[2]) {
            (Some(initdb), Some(postgres), Some(createdb)) => Ok(Self {
                initdb: initdb.clone(),
                postgres: postgres.clone(),
                createdb: createdb.clone(),
            }),
            _ => Err(PgTempError::BinariesNotFound {
                missing: NEEDED
                    .iter()
                    .zip(&found)
                    .filter(|(_, f)| f.is_none())
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
