//! `icsync bench sync --peers`: icsync beside the tools people read Intercom with today, on the
//! same simulator data: tap-intercom 2.2.5 (the Singer tap, unmodified; its base URL redirected
//! at run time), and scripts written with the official python-intercom 5.0.1 and Node
//! `intercom-client` 7.0.3 SDKs.
//!
//! Every tool reads the same records: every contact (users and leads), every company, every
//! conversation and each conversation's parts (one retrieve per conversation: the API gives
//! parts no other way). icsync does that as a backfill over the whole history with leads
//! included (`users`, `companies`, `conversations` streams), stored in SQLite; the peers only
//! read (tap-intercom writes to stdout, which a Singer target would load; the SDK scripts
//! count). Before each tool the simulator is reset to the same generated world. Requests and
//! 429s are read from the simulator's journal while the tool runs, so they are the simulator's
//! count, not the tool's own.
//!
//! The peers are installed by `crates/icsync-daemon/bench-peers/install.sh` (pinned, from the
//! package registries, into `target/bench-peers`); their code never enters the repository.

use super::sync::{SimProcess, SyncBenchArgs, Tuning, per_second};
use anyhow::{Context as _, bail};
use icsync_domain::Region;
use icsync_inbound::workspaces::{ConnectRequest, Endpoint};
use icsync_inbound::{RunControl, SyncOptions};
use icsync_store::{SecretKey, Store};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The simulator's bearer token (its default).
const TOKEN: &str = "sim-token";
/// Record kinds every tool reads, in print order.
const KINDS: [&str; 4] = [
    "contacts",
    "companies",
    "conversations",
    "conversation_parts",
];

/// One tool's run.
#[derive(Debug, Clone, Serialize)]
pub struct PeerFigure {
    pub tool: &'static str,
    /// Completed without error.
    pub ok: bool,
    pub seconds: f64,
    pub records: u64,
    pub records_per_s: u64,
    /// Per kind: contacts, companies, conversations, conversation_parts.
    pub records_by_kind: BTreeMap<String, u64>,
    /// Requests the simulator answered while the tool ran (its journal).
    pub requests: u64,
    /// Of which answered 429.
    pub rate_limited: u64,
    /// 429s as a share of requests.
    pub rate_limited_share: f64,
    pub rate_limit_per_10s: Option<u32>,
    /// Mean requests per complete 10-second window (Unix-aligned, as the simulator counts)
    /// as a share of the limit; over the whole run when it spans no complete window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_utilization: Option<f64>,
    /// The most requests any one window saw, as a share of the limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub busiest_window: Option<f64>,
    /// This tool's time ÷ icsync's (how many times faster icsync was).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icsync_speedup: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Where the harness scripts are, and where the peers are installed.
struct Peers {
    scripts: PathBuf,
    dir: PathBuf,
}

impl Peers {
    fn locate(args: &SyncBenchArgs) -> Self {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = args.peers_dir.clone().unwrap_or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| manifest.join("../../target"))
                .join("bench-peers")
        });
        Peers {
            scripts: manifest.join("bench-peers"),
            dir,
        }
    }

    /// Runs `install.sh` (idempotent: quick when everything is there).
    async fn install(&self) -> anyhow::Result<()> {
        let script = self.scripts.join("install.sh");
        let status = tokio::process::Command::new("bash")
            .arg(&script)
            .arg(&self.dir)
            .stdout(std::process::Stdio::null())
            .status()
            .await
            .with_context(|| format!("failed to run {}", script.display()))?;
        if !status.success() {
            bail!(
                "installing the peers failed ({status}): run {} {} to see why",
                script.display(),
                self.dir.display()
            );
        }
        Ok(())
    }
}

/// What a peer script prints last.
#[derive(Debug, Deserialize)]
struct ScriptOutput {
    exit: i32,
    records: HashMap<String, u64>,
}

/// One request as the simulator's journal has it.
#[derive(Debug, Deserialize)]
struct JournalEntry {
    seq: u64,
    at_ms: i64,
    status: u16,
}

#[derive(Debug, Deserialize)]
struct JournalPage {
    entries: Vec<JournalEntry>,
    total: u64,
}

/// Reads the simulator's journal while a tool runs (the journal is a ring of 10,000 entries:
/// it is polled often enough that none is lost; a gap is reported).
struct JournalWatch {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<anyhow::Result<Vec<JournalEntry>>>,
    start_total: u64,
}

async fn journal_page(
    http: &reqwest::Client,
    base: &str,
    since: u64,
    limit: usize,
) -> anyhow::Result<JournalPage> {
    Ok(http
        .get(format!("{base}/_sim/journal?since={since}&limit={limit}"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

impl JournalWatch {
    async fn start(base: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::new();
        let start_total = journal_page(&http, base, 0, 1).await?.total;
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, base) = (Arc::clone(&stop), base.to_owned());
        let task = tokio::spawn(async move {
            let mut entries: Vec<JournalEntry> = Vec::new();
            let mut since = start_total;
            loop {
                let last = flag.load(Ordering::Relaxed);
                let page = journal_page(&http, &base, since, 100_000).await?;
                if let Some(first) = page.entries.first()
                    && first.seq > since + 1
                {
                    bail!(
                        "the simulator's journal dropped {} entries between two reads",
                        first.seq - since - 1
                    );
                }
                since = page.entries.last().map_or(since, |e| e.seq);
                entries.extend(page.entries);
                if last {
                    return Ok(entries);
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        });
        Ok(JournalWatch {
            stop,
            task,
            start_total,
        })
    }

    async fn finish(self) -> anyhow::Result<(u64, Vec<JournalEntry>)> {
        self.stop.store(true, Ordering::Relaxed);
        let entries = self.task.await??;
        let requests = entries.last().map_or(0, |e| e.seq - self.start_total);
        Ok((requests, entries))
    }
}

/// Mean requests per complete window and the busiest window, as shares of `limit`.
fn windows(entries: &[JournalEntry], seconds: f64, limit: u32) -> (f64, f64) {
    let limit = f64::from(limit);
    let mut per: BTreeMap<i64, u64> = BTreeMap::new();
    for e in entries {
        *per.entry(e.at_ms.div_euclid(10_000)).or_default() += 1;
    }
    let busiest = per.values().copied().max().unwrap_or(0) as f64 / limit;
    // The first and last windows are partial (the run starts and ends inside them).
    let full: Vec<u64> = if per.len() > 2 {
        per.values().skip(1).take(per.len() - 2).copied().collect()
    } else {
        Vec::new()
    };
    let mean = if full.is_empty() {
        entries.len() as f64 / (seconds / 10.0).max(f64::MIN_POSITIVE) / limit
    } else {
        full.iter().sum::<u64>() as f64 / full.len() as f64 / limit
    };
    (round3(mean), round3(busiest))
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Runs every tool in turn on the same data and prints their figures.
pub async fn run(
    args: &SyncBenchArgs,
    tuning: &Tuning,
    sim: &SimProcess,
    contacts: usize,
) -> anyhow::Result<()> {
    let peers = Peers::locate(args);
    peers.install().await?;
    let http = reqwest::Client::new();
    let summary: serde_json::Value = http
        .get(format!("{}/_sim/summary", sim.base_url))
        .send()
        .await?
        .json()
        .await?;
    if !args.json {
        println!(
            "icsync bench sync --peers: {contacts} contacts ({} users, {} leads), {} companies, {} conversations with {} parts{}",
            summary["users"],
            summary["leads"],
            summary["companies"],
            summary["conversations"],
            summary["conversation_parts"],
            args.rate_limit
                .map(|l| format!("; the simulator allows {l} requests per 10 s"))
                .unwrap_or_default()
        );
        println!(
            "every tool reads every contact, company and conversation with its parts; icsync also stores them (SQLite)"
        );
        println!(
            "{:<16} {:>8} {:>9} {:>10} {:>9} {:>9} {:>9} {:>10} {:>7} {:>7} {:>7} {:>8}",
            "tool",
            "seconds",
            "records",
            "records/s",
            "contacts",
            "companies",
            "convers.",
            "parts",
            "reqs",
            "429s",
            "window",
            "speedup"
        );
    }
    let mut figures: Vec<PeerFigure> = Vec::new();
    let tools: [&'static str; 4] = [
        "icsync",
        "tap-intercom",
        "python-intercom",
        "intercom-client",
    ];
    for tool in tools {
        if !args.peer_tools.is_empty() && !args.peer_tools.iter().any(|t| t == tool) {
            continue;
        }
        let reset = http
            .post(format!("{}/_sim/reset", sim.base_url))
            .send()
            .await?;
        if !reset.status().is_success() {
            bail!("the simulator refused a reset: {}", reset.status());
        }
        let watch = JournalWatch::start(&sim.base_url).await?;
        let started = Instant::now();
        let outcome = match tool {
            "icsync" => run_icsync(args, tuning, sim).await,
            other => run_script(&peers, other, &sim.base_url).await,
        };
        let seconds = started.elapsed().as_secs_f64();
        let (requests, entries) = watch.finish().await?;
        let rate_limited = entries.iter().filter(|e| e.status == 429).count() as u64;
        let (records_by_kind, error) = match outcome {
            Ok(records) => (records, None),
            Err(e) => (BTreeMap::new(), Some(format!("{e:#}"))),
        };
        let records = records_by_kind.values().sum();
        let (window_utilization, busiest_window) = match args.rate_limit {
            Some(limit) => {
                let (mean, busiest) = windows(&entries, seconds, limit);
                (Some(mean), Some(busiest))
            }
            None => (None, None),
        };
        let icsync_seconds = figures
            .iter()
            .find(|f| f.tool == "icsync" && f.ok)
            .map(|f| f.seconds);
        let figure = PeerFigure {
            tool,
            ok: error.is_none(),
            seconds: (seconds * 100.0).round() / 100.0,
            records,
            records_per_s: per_second(records, seconds),
            records_by_kind,
            requests,
            rate_limited,
            rate_limited_share: if requests > 0 {
                round3(rate_limited as f64 / requests as f64)
            } else {
                0.0
            },
            rate_limit_per_10s: args.rate_limit,
            window_utilization,
            busiest_window,
            icsync_speedup: icsync_seconds
                .filter(|_| tool != "icsync")
                .map(|s| (seconds / s * 100.0).round() / 100.0),
            error,
        };
        print_peer(&figure, args.json)?;
        figures.push(figure);
    }
    Ok(())
}

fn print_peer(f: &PeerFigure, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(f)?);
        return Ok(());
    }
    let kind = |k: &str| f.records_by_kind.get(k).copied().unwrap_or(0);
    println!(
        "{:<16} {:>8.1} {:>9} {:>10} {:>9} {:>9} {:>9} {:>10} {:>7} {:>7} {:>7} {:>8}",
        f.tool,
        f.seconds,
        f.records,
        f.records_per_s,
        kind(KINDS[0]),
        kind(KINDS[1]),
        kind(KINDS[2]),
        kind(KINDS[3]),
        f.requests,
        format!(
            "{}{}",
            f.rate_limited,
            if f.rate_limited > 0 {
                format!(" ({:.1}%)", f.rate_limited_share * 100.0)
            } else {
                String::new()
            }
        ),
        f.window_utilization
            .map(|u| format!("{:.0}%", u * 100.0))
            .unwrap_or_else(|| "-".into()),
        f.icsync_speedup
            .map(|s| format!("{s:.1}x"))
            .unwrap_or_else(|| "-".into()),
    );
    if let Some(error) = &f.error {
        println!("  {} failed: {error}", f.tool);
    }
    Ok(())
}

/// icsync reading the same records: a backfill over the whole history, leads included, of the
/// users, companies and conversations streams, into a fresh SQLite file.
async fn run_icsync(
    args: &SyncBenchArgs,
    tuning: &Tuning,
    sim: &SimProcess,
) -> anyhow::Result<BTreeMap<String, u64>> {
    let temp = match &args.dir {
        Some(dir) => tempfile::Builder::new()
            .prefix("icsync-bench-")
            .tempdir_in(dir)?,
        None => tempfile::Builder::new().prefix("icsync-bench-").tempdir()?,
    };
    let url = format!("sqlite://{}", temp.path().join("peers.db").display());
    let store = Store::connect_with(tuning.store_options(&url))
        .await?
        .with_secret_key(&SecretKey::generate());
    store.migrate().await?;
    let mut request = ConnectRequest::new(
        "bench-peers",
        secrecy::SecretString::from(TOKEN.to_owned()),
        Endpoint {
            region: Region::Us,
            base_url: Some(sim.base_url.clone()),
        },
    );
    // The longest backfill icsync allows (ten years): the simulator's data spans less.
    request.backfill_days = 3_650;
    request.include_leads = true;
    let settings = &tuning.client;
    let connected = icsync_inbound::workspaces::connect(&store, &request, settings).await?;
    let client = icsync_inbound::client_for(&connected.workspace, &Default::default(), settings)?;
    let options = SyncOptions {
        streams: vec!["users".into(), "companies".into(), "conversations".into()],
        full: false,
    };
    let report = icsync_inbound::sync_workspace(
        &store,
        connected.workspace.id,
        &client,
        &tuning.inbound,
        &options,
        &RunControl::default(),
        &icsync_inbound::NoProgress,
    )
    .await?;
    if !report.all_finished() {
        bail!("the backfill did not finish: {report:?}");
    }
    let mut records = BTreeMap::new();
    for stream in &report.streams {
        let read = stream.stats.read.max(0) as u64;
        match stream.stream.as_str() {
            "users" => {
                records.insert(KINDS[0].to_owned(), read);
            }
            "companies" => {
                records.insert(KINDS[1].to_owned(), read);
            }
            "conversations" => {
                records.insert(KINDS[2].to_owned(), read);
                records.insert(
                    KINDS[3].to_owned(),
                    stream.also.get("parts_received").copied().unwrap_or(0),
                );
            }
            _ => {}
        }
    }
    store.close().await;
    Ok(records)
}

/// A peer through its harness script; its records as the script counted them.
async fn run_script(
    peers: &Peers,
    tool: &str,
    base: &str,
) -> anyhow::Result<BTreeMap<String, u64>> {
    let work = peers.dir.join("runs").join(tool);
    std::fs::create_dir_all(&work)
        .with_context(|| format!("failed to create {}", work.display()))?;
    let mut command = match tool {
        "tap-intercom" => {
            let python = peers.dir.join("tap-venv/bin/python");
            let mut c = tokio::process::Command::new(&python);
            c.arg(peers.scripts.join("tap_bench.py"))
                .arg(&python)
                .args([base, TOKEN])
                .arg(&work);
            c
        }
        "python-intercom" => {
            let mut c = tokio::process::Command::new(peers.dir.join("sdk-venv/bin/python"));
            c.arg(peers.scripts.join("sdk_bench.py"))
                .args([base, TOKEN]);
            c
        }
        "intercom-client" => {
            let mut c = tokio::process::Command::new("node");
            c.env("NODE_PATH", peers.dir.join("node/node_modules"))
                .arg(peers.scripts.join("node_bench.cjs"))
                .args([base, TOKEN]);
            c
        }
        other => bail!("unknown peer {other:?}"),
    };
    let stderr_path = work.join("stderr.log");
    let stderr = std::fs::File::create(&stderr_path)
        .with_context(|| format!("failed to create {}", stderr_path.display()))?;
    let output = command
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .output()
        .await
        .with_context(|| format!("failed to start {tool}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .with_context(|| {
            format!(
                "{tool} printed no result ({}); see {}",
                output.status,
                stderr_path.display()
            )
        })?;
    let parsed: ScriptOutput = serde_json::from_str(last)
        .with_context(|| format!("{tool} printed an unreadable result: {last}"))?;
    if parsed.exit != 0 || !output.status.success() {
        bail!(
            "{tool} failed ({}); see {}",
            output.status,
            stderr_path.display()
        );
    }
    Ok(parsed.records.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> JournalEntry {
        JournalEntry {
            seq: 0,
            at_ms: ms,
            status: 200,
        }
    }

    #[test]
    fn utilization_counts_complete_windows_only() {
        // Windows 0 (2 requests, partial), 1 (10), 2 (8), 3 (1, partial); limit 10.
        let mut entries = vec![at(9_000), at(9_500)];
        entries.extend((0..10).map(|i| at(10_000 + i * 100)));
        entries.extend((0..8).map(|i| at(20_000 + i * 100)));
        entries.push(at(30_001));
        let (mean, busiest) = windows(&entries, 21.0, 10);
        assert_eq!(mean, 0.9);
        assert_eq!(busiest, 1.0);
    }

    #[test]
    fn a_run_inside_one_window_is_measured_over_its_duration() {
        let entries: Vec<_> = (0..5).map(|i| at(1_000 + i)).collect();
        // 5 requests in 5 s against 10 per 10 s: the whole limit.
        let (mean, _) = windows(&entries, 5.0, 10);
        assert_eq!(mean, 1.0);
    }
}
