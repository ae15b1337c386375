//! Starting, using and stopping one throwaway cluster.

use crate::{PgBinaries, PgTempError};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const SUPERUSER: &str = "postgres";
const PASSWORD: &str = "icsync-pgtemp";
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// How much durability the cluster keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// PostgreSQL's defaults (fsync on): what a benchmark should measure.
    Full,
    /// fsync, synchronous commit and full-page writes off: for tests, where speed matters and
    /// a crash loses nothing of value.
    Fast,
}

/// A running throwaway cluster. Dropping it stops PostgreSQL and deletes its files.
#[derive(Debug)]
pub struct PgCluster {
    dir: PathBuf,
    port: u16,
    binaries: PgBinaries,
    watchdog: Mutex<Option<(Child, ChildStdin)>>,
    next_database: AtomicU32,
}

impl PgCluster {
    /// Creates and starts a cluster in a new temporary directory.
    pub fn start(durability: Durability) -> Result<Self, PgTempError> {
        let binaries = PgBinaries::find()?;
        let run_as = unprivileged_user()?;
        let dir = tempfile::Builder::new()
            .prefix("icsync-pg-")
            .tempdir()?
            .keep();
        let started = Self::start_in(&dir, binaries, run_as, durability);
        if started.is_err() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        started
    }

    /// One cluster per process, started on first use and stopped when the process exits.
    pub fn shared() -> Result<&'static PgCluster, PgTempError> {
        static SHARED: OnceLock<Result<PgCluster, String>> = OnceLock::new();
        match SHARED.get_or_init(|| Self::start(Durability::Fast).map_err(|e| e.to_string())) {
            Ok(cluster) => Ok(cluster),
            Err(message) => Err(PgTempError::Command {
                step: "starting the shared cluster",
                detail: message.clone(),
            }),
        }
    }

    fn start_in(
        dir: &Path,
        binaries: PgBinaries,
        run_as: Option<(u32, u32)>,
        durability: Durability,
    ) -> Result<Self, PgTempError> {
        let data = dir.join("data");
        let pwfile = dir.join("pwfile");
        std::fs::write(&pwfile, PASSWORD)?;
        if let Some((uid, gid)) = run_as {
            for path in [dir, pwfile.as_path()] {
                std::os::unix::fs::chown(path, Some(uid), Some(gid))?;
            }
        }
        let mut initdb = Command::new(&binaries.initdb);
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", SUPERUSER, "-E", "UTF8", "--no-locale", "--no-sync"])
            .args(["--auth-local=trust", "--auth-host=scram-sha-256"])
            .arg(format!("--pwfile={}", pwfile.display()));
        run(as_user(&mut initdb, run_as), "initdb")?;

        let port = free_port()?;
        let mut settings = vec![
            "listen_addresses=127.0.0.1".to_owned(),
            "max_connections=200".to_owned(),
            "shared_buffers=128MB".to_owned(),
        ];
        if durability == Durability::Fast {
            settings.extend(
                [
                    "fsync=off",
                    "synchronous_commit=off",
                    "full_page_writes=off",
                ]
                .map(String::from),
            );
        }
        let settings: String = settings.iter().map(|s| format!(" -c {s}")).collect();
        // The watchdog: start postgres, wait for our pipe to close, stop it, delete everything.
        let script = format!(
            "\"$0\" -D \"$1/data\" -p {port} -k \"$1\"{settings} >\"$1/postgres.log\" 2>&1 &\n\
             pid=$!\n\
             while read -r _line; do :; done\n\
             kill -INT \"$pid\" 2>/dev/null\n\
             wait \"$pid\"\n\
             rm -rf \"$1\"\n"
        );
        let mut watchdog = Command::new("sh");
        watchdog
            .arg("-c")
            .arg(script)
            .arg(&binaries.postgres)
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = as_user(&mut watchdog, run_as).spawn()?;
        let Some(stdin) = child.stdin.take() else {
            return Err(PgTempError::Command {
                step: "starting postgres",
                detail: "no pipe to the watchdog".into(),
            });
        };
        let cluster = Self {
            dir: dir.to_owned(),
            port,
            binaries,
            watchdog: Mutex::new(Some((child, stdin))),
            next_database: AtomicU32::new(0),
        };
        cluster.wait_until_ready(&data)?;
        Ok(cluster)
    }

    fn wait_until_ready(&self, data: &Path) -> Result<(), PgTempError> {
        let started = Instant::now();
        loop {
            // Line 8 of postmaster.pid says `ready` once connections are accepted (PG >= 10).
            if let Ok(pid_file) = std::fs::read_to_string(data.join("postmaster.pid"))
                && pid_file
                    .lines()
                    .nth(7)
                    .is_some_and(|status| status.trim() == "ready")
            {
                return Ok(());
            }
            let exited = self.watchdog.lock().ok().and_then(|mut guard| {
                guard
                    .as_mut()
                    .and_then(|(child, _)| child.try_wait().ok().flatten())
            });
            let log = || std::fs::read_to_string(self.dir.join("postgres.log")).unwrap_or_default();
            if exited.is_some() || started.elapsed() > READY_TIMEOUT {
                return Err(PgTempError::NotReady {
                    seconds: started.elapsed().as_secs(),
                    log: tail(&log()),
                });
            }
            // A postmaster that died leaves the watchdog waiting: detect it from its log.
            let log = log();
            if log.contains("FATAL") {
                return Err(PgTempError::NotReady {
                    seconds: started.elapsed().as_secs(),
                    log: tail(&log),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory holding the unix socket.
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    /// A URL for `database` over TCP with the superuser's password.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{PASSWORD}@127.0.0.1:{}/{database}",
            self.port
        )
    }

    /// The same URL with a wrong password (for tests of authentication errors).
    pub fn url_with_wrong_password(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:not-{PASSWORD}@127.0.0.1:{}/{database}",
            self.port
        )
    }

    /// Creates a new, empty database named after `prefix` and returns its URL.
    pub fn create_database(&self, prefix: &str) -> Result<String, PgTempError> {
        let n = self.next_database.fetch_add(1, Ordering::Relaxed);
        let clean: String = prefix
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        let name = format!("{clean}_{}_{n}", std::process::id());
        let mut createdb = Command::new(&self.binaries.createdb);
        createdb
            .arg("-h")
            .arg(&self.dir)
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-U", SUPERUSER, &name]);
        run(&mut createdb, "createdb")?;
        Ok(self.url(&name))
    }

    /// Stops PostgreSQL and deletes the cluster's files; waits for both.
    pub fn stop(&self) {
        let Ok(mut guard) = self.watchdog.lock() else {
            return;
        };
        if let Some((mut child, stdin)) = guard.take() {
            drop(stdin);
            let _ = child.wait();
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

fn as_user(command: &mut Command, run_as: Option<(u32, u32)>) -> &mut Command {
    if let Some((uid, gid)) = run_as {
        command
            .uid(uid)
            .gid(gid)
            .env("HOME", "/tmp")
            .env("USER", SUPERUSER);
    }
    command
}

fn run(command: &mut Command, step: &'static str) -> Result<(), PgTempError> {
    let output = command.output().map_err(|e| PgTempError::Command {
        step,
        detail: e.to_string(),
    })?;
    if output.status.success() {
        return Ok(());
    }
    let mut detail = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    if detail.is_empty() {
        detail = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    }
    Err(PgTempError::Command {
        step,
        detail: tail(&detail),
    })
}

/// As root: the `postgres` user's uid and gid. Otherwise `None` (run as ourselves).
fn unprivileged_user() -> Result<Option<(u32, u32)>, PgTempError> {
    use std::os::unix::fs::MetadataExt;
    // Our own uid is the owner of a file we just created.
    let probe = tempfile::NamedTempFile::new()?;
    if probe.as_file().metadata()?.uid() != 0 {
        return Ok(None);
    }
    let passwd = std::fs::read_to_string("/etc/passwd")?;
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&SUPERUSER) && fields.len() > 3)
        .and_then(|fields| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
        .map(Some)
        .ok_or(PgTempError::NoPostgresUser)
}

fn free_port() -> Result<u16, PgTempError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(12)..].join(" | ")
}
