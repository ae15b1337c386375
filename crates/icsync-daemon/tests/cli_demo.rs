//! `icsync demo` as a new user runs it: it reaches "ready", every URL it prints answers with
//! the API key it prints, and Ctrl-C stops it cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_reaches_ready_and_every_url_it_prints_answers() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_icsync"));
    for (key, _) in std::env::vars() {
        if key.starts_with("ICSYNC_") && key != "ICSYNC_PG_BIN" {
            command.env_remove(key);
        }
    }
    let mut child = command
        .args([
            "demo",
            "--contacts",
            "300",
            "--interval-secs",
            "2",
            "--bind",
            "127.0.0.1:0",
        ])
        .current_dir(dir.path())
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("icsync demo starts");
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut printed = Vec::new();
    loop {
        let line = lines_rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| {
                panic!(
                    "no \"ready\" line; the demo printed:\n{}",
                    printed.join("\n")
                )
            });
        let ready = line.starts_with("ready");
        printed.push(line);
        if ready {
            break;
        }
    }
    let text = printed.join("\n");
    let key = printed
        .iter()
        .find_map(|l| l.strip_prefix("API key (admin): "))
        .unwrap_or_else(|| panic!("no API key printed:\n{text}"))
        .trim()
        .to_owned();
    let urls: Vec<String> = printed
        .iter()
        .filter(|l| l.starts_with("  ") && !l.contains("curl"))
        .filter_map(|l| l.split_whitespace().find(|w| w.starts_with("http://")))
        .map(str::to_owned)
        .collect();
    assert!(urls.len() >= 7, "the URLs to open:\n{text}");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    for url in &urls {
        let response = client.get(url).bearer_auth(&key).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let body = response.text().await.unwrap();
        assert!(!body.contains(&key), "{url} shows the key");
    }
    // The profile it points at has the conversation the demo started.
    let profile = urls.iter().find(|u| u.contains("/v1/contacts/")).unwrap();
    let body = client
        .get(profile)
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("CSV export"), "{body}");
    // Without the key, the API refuses.
    let status = urls.iter().find(|u| u.contains("/status")).unwrap();
    assert_eq!(client.get(status).send().await.unwrap().status(), 401);

    // Ctrl-C stops everything cleanly.
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let exit = child.wait().unwrap();
    assert!(exit.success(), "the demo exited with {exit}");
}
