//! A bounded load generator for measuring the simulator: walks `GET /contacts` cursors (and
//! optionally other routes) from N concurrent clients for a fixed time, then prints requests/s
//! and latency percentiles. Loopback only.
//!
//! usage: cargo run --release -p icsync-intercom-sim --example loadgen -- BASE_URL TOKEN [SECS] [CLIENTS]

#![allow(clippy::expect_used, clippy::unwrap_used)] // a measurement tool: failing loudly is fine

use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let base = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:4010".into());
    let token = args.get(2).cloned().unwrap_or_else(|| "sim-token".into());
    let secs: u64 = args
        .get(3)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10)
        .min(120);
    let clients: usize = args
        .get(4)
        .and_then(|s| s.parse().ok())
        .unwrap_or(8)
        .min(64);
    let host = url_host(&base);
    anyhow::ensure!(
        host == "127.0.0.1" || host == "localhost" || host == "[::1]",
        "loopback targets only"
    );
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for i in 0..clients {
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut cursor: Option<String> = None;
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let url = match (i % 4, &cursor) {
                    (3, _) => format!("{base}/conversations?per_page=50"),
                    (_, Some(c)) => format!("{base}/contacts?per_page=150&starting_after={c}"),
                    (_, None) => format!("{base}/contacts?per_page=150"),
                };
                let started = Instant::now();
                let resp = http.get(&url).bearer_auth(&token).send().await;
                match resp {
                    Ok(r) if r.status().is_success() => {
                        // Find the cursor without parsing the whole page: the measurement is
                        // of the server, not of this client's JSON parser.
                        let text = r.text().await.unwrap_or_default();
                        cursor = next_cursor(&text);
                        latencies.push(started.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await?;
        all.extend(l);
        errors += e;
    }
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{} ok requests in {secs}s from {clients} clients: {:.0} req/s; p50 {:?} p99 {:?}; {errors} errors",
        all.len(),
        all.len() as f64 / secs as f64,
        pct(0.5),
        pct(0.99)
    );
    Ok(())
}

fn next_cursor(body: &str) -> Option<String> {
    let at = body.rfind("\"starting_after\":\"")? + "\"starting_after\":\"".len();
    let end = body[at..].find('"')?;
    Some(body[at..at + end].to_owned())
}

fn url_host(base: &str) -> String {
    let rest = base.split("://").nth(1).unwrap_or(base);
    let host_port = rest.split('/').next().unwrap_or(rest);
    match host_port.rsplit_once(':') {
        Some((h, _)) => h.to_owned(),
        None => host_port.to_owned(),
    }
}
