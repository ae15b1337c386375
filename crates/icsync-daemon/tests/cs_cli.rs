//! `icsync cs set|import` and `icsync push` as an admin runs them, against the simulator.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use icsync_domain::{NewWorkspace, Region};
use icsync_intercom_sim::{SimConfig, Simulator};
use icsync_store::{SecretKey, Store, WorkspaceSettings};
use secrecy::SecretString;
use std::path::Path;
use std::process::Command;

fn icsync(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_icsync"));
    command.current_dir(dir).env("RUST_LOG", "warn").args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("ICSYNC_") && key != "ICSYNC_PG_BIN" {
            command.env_remove(key);
        }
    }
    let output = command.output().expect("run icsync");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn cs_set_import_and_push_from_the_command_line() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sim = rt
        .block_on(Simulator::start(
            SimConfig {
                contacts: 5,
                companies: 0,
                conversations: 0,
                ..SimConfig::default()
            },
            "127.0.0.1:0".parse().unwrap(),
        ))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = icsync(dir.path(), &["migrate"]);
    assert_eq!(code, 0, "{err}");
    rt.block_on(async {
        let (key, _) =
            SecretKey::load_or_create(None, &dir.path().join("data/secret.key")).unwrap();
        let url = format!("sqlite://{}", dir.path().join("data/icsync.db").display());
        let store = Store::connect(&url).await.unwrap().with_secret_key(&key);
        let ws = store
            .create_workspace(&NewWorkspace {
                region: Region::Us,
                base_url: Some(sim.base_url().to_owned()),
                access_token: Some(SecretString::from(sim.token().to_owned())),
                ..NewWorkspace::new("acme")
            })
            .await
            .unwrap();
        let settings = WorkspaceSettings {
            primary_source_is_intercom: Some(true),
            writeback_enabled: Some(true),
            ..Default::default()
        };
        store.update_workspace(ws.id, &settings).await.unwrap();
        store.close().await;
    });
    let ids = sim.contact_ids(3);

    let (code, _, err) = icsync(
        dir.path(),
        &[
            "cs",
            "set",
            "--workspace",
            "acme",
            "--contact",
            &ids[0],
            "--health",
            "120",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("health") && err.contains("between 0 and 100"),
        "{err}"
    );
    let (code, out, err) = icsync(
        dir.path(),
        &[
            "cs",
            "set",
            "--workspace",
            "acme",
            "--contact",
            &ids[0],
            "--health",
            "80.5",
            "--cs-owner",
            "Grace",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("waiting for a push"), "{out}");
    let (code, _, err) = icsync(
        dir.path(),
        &[
            "cs",
            "set",
            "--workspace",
            "nope",
            "--contact",
            &ids[0],
            "--stage",
            "x",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("no workspace named \"nope\"") && err.contains("acme"),
        "{err}"
    );

    let csv = dir.path().join("cs.csv");
    std::fs::write(
        &csv,
        format!("contact,health,stage,cs_owner_email\n{},30,adoption,ada@example.com\n{},40,,not-an-email\n", ids[1], ids[2]),
    )
    .unwrap();
    let (code, out, err) = icsync(
        dir.path(),
        &["cs", "import", "--workspace", "acme", csv.to_str().unwrap()],
    );
    assert_eq!(code, 1, "a refused row fails the command");
    assert!(
        err.contains("cs.csv:3:") && err.contains("cs_owner_email"),
        "{err}"
    );
    assert!(out.contains("imported 1 row(s)"), "{out}");

    sim.clear_journal();
    let (code, out, err) = icsync(dir.path(), &["push", "--workspace", "acme", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("cs_health: (unknown) -> 80.5") && out.contains("2 subject(s) pending"),
        "{out}"
    );
    assert!(sim.journal(0).is_empty(), "a dry run sends nothing");

    let (code, out, err) = icsync(dir.path(), &["push", "--workspace", "acme"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("pushed 2, unchanged 0, failed 0, attributes created 14"),
        "{out}"
    );
    let journal = sim.journal(0);
    assert_eq!(journal.iter().filter(|e| e.method == "PUT").count(), 2);
    let (code, out, _) = icsync(dir.path(), &["push", "--workspace", "acme"]);
    assert_eq!(code, 0);
    assert!(out.contains("pushed 0"), "{out}");
    rt.block_on(sim.shutdown());
}
