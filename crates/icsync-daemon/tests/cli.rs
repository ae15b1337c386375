//! The `icsync` binary as a user runs it: migrate, serve, bad input and faults.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn icsync(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_icsync"));
    command.current_dir(dir).env("RUST_LOG", "warn");
    for (key, _) in std::env::vars() {
        if key.starts_with("ICSYNC_") && key != "ICSYNC_PG_BIN" {
            command.env_remove(key);
        }
    }
    command
}

fn migrations() -> usize {
    use icsync_migrations::MigratorTrait;
    icsync_migrations::Migrator::migrations().len()
}

fn tables() -> usize {
    icsync_migrations::TABLES.len()
}

fn run(command: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("run icsync");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

#[test]
fn migrate_creates_every_table_on_sqlite_and_a_second_run_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(icsync(dir.path()).arg("migrate"));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("applied {} migration(s)", migrations()))
            && out.contains(&format!("({} tables)", tables())),
        "{out}"
    );
    assert!(
        dir.path().join("data/icsync.db").exists(),
        "default database under ./data"
    );
    let (code, out, _) = run(icsync(dir.path()).arg("migrate"));
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!("already up to date ({} tables)", tables())),
        "{out}"
    );
}

#[test]
fn migrate_creates_every_table_on_postgres_and_rejects_a_wrong_password() {
    let cluster = icsync_pgtemp::PgCluster::shared().expect("a throwaway PostgreSQL cluster");
    let url = cluster.create_database("cli_migrate").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(icsync(dir.path()).args(["migrate", "--database-url", &url]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("applied {} migration(s)", migrations()))
            && out.contains(&format!("({} tables)", tables())),
        "{out}"
    );
    assert!(
        !out.contains("icsync-pgtemp"),
        "the password is redacted: {out}"
    );
    let (code, out, _) = run(icsync(dir.path()).args(["migrate", "--database-url", &url]));
    assert_eq!(
        (code, out.contains("already up to date")),
        (0, true),
        "{out}"
    );

    let wrong = cluster.url_with_wrong_password("postgres");
    let (code, _, err) = run(icsync(dir.path()).args(["migrate", "--database-url", &wrong]));
    assert_eq!(code, 1);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("password authentication failed")
            && err.contains("check the user and password"),
        "{err}"
    );
    assert!(
        !err.contains("not-icsync-pgtemp"),
        "no password in the message: {err}"
    );
}

#[test]
fn an_unreachable_database_is_one_line_saying_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://icsync:secret@127.0.0.1:{port}/icsync");
    let (code, _, err) = run(icsync(dir.path()).args(["migrate", "--database-url", &url]));
    assert_eq!(code, 1);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("refused") && err.contains("check that PostgreSQL is running"),
        "{err}"
    );
    assert!(!err.contains("secret"), "{err}");
}

#[test]
fn a_data_directory_that_cannot_be_created_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("blocker"),
        "a file where a directory should be",
    )
    .unwrap();
    let (code, _, err) =
        run(icsync(dir.path()).args(["migrate", "--database-url", "sqlite://blocker/icsync.db"]));
    assert_eq!(code, 1);
    assert!(
        err.contains("cannot create the data directory blocker"),
        "{err}"
    );
}

#[test]
fn invalid_configuration_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(icsync(dir.path())
        .arg("serve")
        .env("ICSYNC_SERVER__BIND", "nowhere"));
    assert_eq!(code, 2);
    assert!(
        err.contains("server.bind") && err.contains("HOST:PORT"),
        "{err}"
    );
    std::fs::write(dir.path().join("typo.toml"), "[log]\nformt = \"json\"\n").unwrap();
    let (code, _, err) = run(icsync(dir.path()).args(["--config", "typo.toml", "migrate"]));
    assert_eq!(code, 2);
    assert!(err.contains("formt"), "{err}");
}

#[test]
fn a_corrupted_key_file_stops_serve_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/secret.key"), "garbage").unwrap();
    let (code, _, err) = run(icsync(dir.path())
        .arg("serve")
        .env("ICSYNC_SERVER__BIND", "127.0.0.1:0"));
    assert_eq!(code, 1);
    assert!(
        err.contains("secret.key") && err.contains("not valid"),
        "{err}"
    );
}

#[test]
fn serve_creates_its_key_answers_health_checks_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = icsync(dir.path())
        .arg("serve")
        .env("ICSYNC_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let body = loop {
        match http_get(port, "/readyz") {
            Some(body) => break body,
            None if started.elapsed() < Duration::from_secs(60) => {
                std::thread::sleep(Duration::from_millis(100))
            }
            None => panic!("icsync serve did not answer /readyz"),
        }
    };
    assert!(
        body.starts_with("HTTP/1.1 200") && body.contains("\"ready\""),
        "{body}"
    );
    assert!(
        http_get(port, "/healthz")
            .unwrap()
            .starts_with("HTTP/1.1 200")
    );
    let key = dir.path().join("data/secret.key");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "exit {:?}: {log}", output.status);
    assert!(
        log.contains("created a new secret key file") && log.contains("icsync stopped"),
        "{log}"
    );
}

/// A minimal HTTP/1.1 GET, so the test needs no client library.
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}
