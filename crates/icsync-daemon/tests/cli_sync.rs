//! `icsync workspace ...` and `icsync sync` as an admin runs them, against the simulator.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use icsync_intercom_sim::{SimConfig, SimHandle, Simulator};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Instant;

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

async fn simulator(contacts: usize) -> SimHandle {
    Simulator::start(
        SimConfig {
            contacts,
            companies: contacts / 5,
            ..SimConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap()
}

/// Connects workspace `name` in `dir` to `sim`; panics with the output if it fails.
fn connect(dir: &Path, name: &str, sim: &SimHandle) {
    std::fs::write(dir.join("token"), format!("{}\n", sim.token())).unwrap();
    let (code, out, err) = run(icsync(dir).args([
        "workspace",
        "connect",
        "--name",
        name,
        "--token-file",
        "token",
        "--base-url",
        sim.base_url(),
    ]));
    assert_eq!(code, 0, "{out}{err}");
}

fn fingerprint(dir: &Path, name: &str) -> String {
    let (code, out, err) = run(icsync(dir).args(["workspace", "show", name, "--fingerprint"]));
    assert_eq!(code, 0, "{err}");
    out.lines()
        .find_map(|l| l.strip_prefix("fingerprint:"))
        .expect("a fingerprint line")
        .trim()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspaces_are_connected_listed_changed_and_disconnected_from_the_cli() {
    let sim = simulator(200).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("bad"), "not-the-token").unwrap();
    let (code, out, err) = run(icsync(d).args([
        "workspace",
        "connect",
        "--name",
        "acme",
        "--token-file",
        "bad",
        "--base-url",
        sim.base_url(),
    ]));
    assert_eq!(code, 1, "{out}{err}");
    // (The first command also logs that it created the secret key file.)
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "one line: {err}");
    assert!(err.contains("Intercom refused this access token"), "{err}");
    assert!(!err.contains("not-the-token") && !out.contains("not-the-token"));
    let (code, out, _) = run(icsync(d).args(["workspace", "list"]));
    assert_eq!(code, 0);
    assert!(
        out.contains("no workspace yet"),
        "nothing stored after a refused token: {out}"
    );

    let (code, out, err) = run(icsync(d)
        .args([
            "workspace",
            "connect",
            "--name",
            "acme",
            "--token-env",
            "ACME_TOKEN",
            "--base-url",
            sim.base_url(),
        ])
        .env("ACME_TOKEN", sim.token()));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("connected acme")
            && out.contains("ecahpwf5")
            && out.contains("America/Los_Angeles"),
        "{out}"
    );
    let (code, _, err) = run(icsync(d).args([
        "workspace",
        "connect",
        "--name",
        "other",
        "--token-env",
        "MISSING_VAR",
    ]));
    assert_eq!(code, 1);
    assert!(
        err.contains("MISSING_VAR") && err.contains("not set"),
        "{err}"
    );
    let secret_seen = std::fs::read(d.join("data/icsync.db")).unwrap();
    assert!(
        !secret_seen
            .windows(sim.token().len())
            .any(|w| w == sim.token().as_bytes()),
        "the token is stored encrypted"
    );

    let (code, out, _) = run(icsync(d).args(["workspace", "list"]));
    assert_eq!(code, 0);
    assert!(out.contains("acme") && out.contains("tracking on"), "{out}");
    let (code, out, err) = run(icsync(d).args([
        "workspace",
        "set",
        "acme",
        "--user-tracking",
        "off",
        "--include-leads",
        "on",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("User Tracking off") && out.contains("include leads:        yes"),
        "{out}"
    );
    let (code, out, _) = run(icsync(d).args(["sync", "--workspace", "acme"]));
    assert_eq!(code, 0, "nothing to do is not a failure: {out}");
    assert!(out.contains("User Tracking is off"), "{out}");
    let (code, _, err) =
        run(icsync(d).args(["workspace", "set", "acme", "--user-tracking", "maybe"]));
    assert_eq!(code, 1);
    assert!(err.contains("expected on or off"), "{err}");

    let (code, out, _) = run(icsync(d).args(["workspace", "disconnect", "acme"]));
    assert_eq!(code, 0);
    assert!(out.contains("disconnected"), "{out}");
    let (code, _, err) = run(icsync(d).args(["sync", "--workspace", "acme"]));
    assert_eq!(code, 1);
    assert!(err.contains("disconnected"), "{err}");
    let (code, _, err) = run(icsync(d).args(["sync", "--workspace", "nobody"]));
    assert_eq!(code, 1);
    assert!(err.contains("no workspace named \"nobody\""), "{err}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_with_sigkill_resumes_to_the_same_store() {
    let sim = simulator(2_000).await;
    // The reference: an uninterrupted backfill, then an incremental pass.
    let reference = tempfile::tempdir().unwrap();
    connect(reference.path(), "acme", &sim);
    let clock = Instant::now();
    let (code, out, err) = run(icsync(reference.path()).args(["sync", "--workspace", "acme"]));
    assert_eq!(code, 0, "{out}{err}");
    let full = clock.elapsed();
    assert!(out.contains("backfill"), "{out}");
    let (code, _, _) = run(icsync(reference.path()).args(["sync", "--workspace", "acme"]));
    assert_eq!(code, 0);
    let expected = fingerprint(reference.path(), "acme");

    let killed = tempfile::tempdir().unwrap();
    connect(killed.path(), "acme", &sim);
    for fraction in [0.3, 0.6] {
        let mut child = icsync(killed.path())
            .args(["sync", "--workspace", "acme"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(fraction));
        let still_running = child.try_wait().unwrap().is_none();
        child.kill().unwrap(); // SIGKILL: no chance to clean up
        child.wait().unwrap();
        assert!(
            still_running,
            "killed mid-run at {fraction} of a full run ({full:?})"
        );
    }
    for _ in 0..2 {
        let (code, out, err) = run(icsync(killed.path()).args(["sync", "--workspace", "acme"]));
        assert_eq!(code, 0, "{out}{err}");
    }
    assert_eq!(fingerprint(killed.path(), "acme"), expected);
    sim.shutdown().await;
}

/// `icsync sync --contact ID` imports that contact's conversations now, as a profile view does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_contacts_conversations_are_imported_from_the_cli() {
    let sim = simulator(200).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    connect(d, "acme", &sim);
    let now = chrono::Utc::now().timestamp();
    let user = sim
        .contacts_created_since(now - 30 * 86_400)
        .into_iter()
        .find(|c| c.role == "user")
        .unwrap()
        .id
        .clone();
    sim.start_conversation(&user, "Renewal", "Can we talk about next year?")
        .unwrap();
    let (code, out, err) = run(icsync(d).args([
        "sync",
        "--workspace",
        "acme",
        "--stream",
        "conversations",
        "--contact",
        &user,
    ]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("conversations"), "{out}");
    let (code, out, err) = run(icsync(d).args(["workspace", "show", "acme"]));
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(" 0 conversations"), "{out}");
    let (code, _, err) = run(icsync(d).args([
        "sync",
        "--workspace",
        "acme",
        "--stream",
        "users",
        "--contact",
        &user,
    ]));
    assert_eq!(code, 1);
    assert!(err.contains("--contact"), "{err}");
}
