//! `icsync bench sync`: a full backfill (users, companies, events) from the simulator into
//! SQLite and PostgreSQL, end to end, beside the two halves it is made of: fetching alone (the
//! same requests, nothing stored) and storing alone (the same number of records, no HTTP).
//!
//! The simulator runs as a child process (`icsync simulate`), so the peak RSS is icsync's own.
//! Requests are counted against the floor the API imposes: search pages of 150 users, the
//! cheaper of company pages or one request per company, one events listing per user (more only
//! for users with more events than a page), one companies listing per user in more than ten.

use super::{rss, store as store_bench};
use anyhow::{Context as _, bail};
use futures::{StreamExt, TryStreamExt};
use icsync_domain::{Region, WorkspaceId};
use icsync_inbound::bench::ConversationFigures;
use icsync_inbound::workspaces::{ConnectRequest, Endpoint};
use icsync_inbound::{InboundConfig, Progress, RunControl, StreamReport, SyncOptions, SyncReport};
use icsync_intercom::{Cursor, EventsFor, IntercomClient, Query, SearchRequest, search};
use icsync_pgtemp::{Durability, PgCluster};
use icsync_store::{SecretKey, Store, StoreOptions};
use serde::Serialize;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct SyncBenchArgs {
    /// Contacts in the simulator (about 30% are users created in the last 60 days).
    #[arg(long, default_value_t = 100_000)]
    pub contacts: usize,
    /// Shorthand for --contacts 1000000.
    #[arg(long)]
    pub large: bool,
    /// Companies in the simulator (default: a tenth of the contacts).
    #[arg(long)]
    pub companies: Option<usize>,
    /// Requests per 10-second window the simulator allows (default: no practical limit).
    #[arg(long)]
    pub rate_limit: Option<u32>,
    /// Share of requests the simulator answers 500/503 (the client retries them).
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// Which backends to measure.
    #[arg(long, value_enum, default_value_t = store_bench::BackendChoice::All)]
    pub backend: store_bench::BackendChoice,
    /// Skip the fetch-only and store-only baselines.
    #[arg(long)]
    pub no_baselines: bool,
    /// Print one JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Where to put the SQLite file (default: a temporary directory, deleted after).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,
    /// Conversations in the simulator (default: a quarter of the contacts).
    #[arg(long)]
    pub conversations: Option<usize>,
    /// Skip the incremental passes after the backfill (one on unchanged data, one after
    /// touching some users).
    #[arg(long)]
    pub no_incremental: bool,
    /// Users the second incremental pass touches in the simulator first.
    #[arg(long, default_value_t = 100)]
    pub touch: usize,
    /// Instead of the backfill: icsync beside tap-intercom and the official python-intercom
    /// and Node SDKs, each reading every contact, company and conversation with its parts.
    #[arg(long)]
    pub peers: bool,
    /// With --peers, only these tools (icsync, tap-intercom, python-intercom,
    /// intercom-client); repeatable.
    #[arg(long = "peer", value_name = "TOOL")]
    pub peer_tools: Vec<String>,
    /// With --peers, where the peers are installed (default: target/bench-peers).
    #[arg(long, value_name = "DIR")]
    pub peers_dir: Option<std::path::PathBuf>,
}

/// What the benchmark takes from icsync's configuration (the built-in defaults, `--config
/// FILE`, `ICSYNC_*` variables): the inbound pipeline's, the store's and the client's settings,
/// so it measures what a deployment with that configuration runs. The database URL is the
/// benchmark's own.
#[derive(Debug, Clone)]
pub struct Tuning {
    pub inbound: InboundConfig,
    pub store: StoreOptions,
    pub client: icsync_inbound::ClientSettings,
}

impl Tuning {
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        Tuning {
            inbound: settings.inbound.clone(),
            store: settings.store_options(),
            client: settings.client_settings(),
        }
    }

    /// The store's options for the benchmark's database at `url`.
    pub(super) fn store_options(&self, url: &str) -> StoreOptions {
        StoreOptions {
            database_url: url.to_owned(),
            ..self.store.clone()
        }
    }
}

/// One line of the benchmark's output.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub backend: &'static str,
    /// `users`, `companies`, `events`, `conversations`, or `all` for the whole pass.
    pub stream: String,
    /// `sync` (the backfill end to end), `incremental` (a pass on unchanged data),
    /// `incremental_touched` (a pass after `--touch` users changed), `fetch_only` or
    /// `store_only`.
    pub mode: &'static str,
    pub records: u64,
    pub records_per_s: u64,
    pub seconds: f64,
    pub requests: u64,
    pub floor_requests: u64,
    pub rate_limited: u64,
    /// Requests made per 10-second window as a share of the limit (with `--rate-limit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_utilization: Option<f64>,
    pub peak_rss_mb: u64,
    /// CPU time icsync used (user and system, every thread), in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_s: Option<f64>,
    /// CPU time the simulator used meanwhile, in seconds: on a shared machine it competes with
    /// icsync for the same cores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sim_cpu_s: Option<f64>,
    /// Conversation parts received (the `conversations` stream).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parts: Option<u64>,
}

/// The simulator as a child process, killed when dropped.
pub(super) struct SimProcess {
    child: Child,
    pub(super) base_url: String,
}

impl SimProcess {
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// CPU times of icsync and of the simulator at one moment, to subtract.
#[derive(Debug, Clone, Copy)]
struct CpuMark {
    own: Option<f64>,
    sim: Option<f64>,
}

impl CpuMark {
    fn now(sim_pid: u32) -> CpuMark {
        CpuMark {
            own: rss::cpu_seconds(None),
            sim: rss::cpu_seconds(Some(sim_pid)),
        }
    }

    /// CPU seconds (icsync's, the simulator's) spent since `self`, rounded to milliseconds.
    fn since(self, sim_pid: u32) -> (Option<f64>, Option<f64>) {
        let now = CpuMark::now(sim_pid);
        (cpu_spent(self.own, now.own), cpu_spent(self.sim, now.sim))
    }
}

/// CPU seconds between two readings, rounded to milliseconds (unknown if either is).
fn cpu_spent(before: Option<f64>, after: Option<f64>) -> Option<f64> {
    Some(round_to(after? - before?, 1000.0).max(0.0))
}

fn add_cpu(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(round_to(a? + b?, 1000.0))
}

/// `x` rounded to `1 / per_unit` (1000.0: milliseconds of seconds).
fn round_to(x: f64, per_unit: f64) -> f64 {
    (x * per_unit).round() / per_unit
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

async fn start_simulator(args: &SyncBenchArgs, contacts: usize) -> anyhow::Result<SimProcess> {
    let port = free_port()?;
    let companies = args.companies.unwrap_or(contacts / 10).max(1);
    let mut command = Command::new(std::env::current_exe()?);
    command
        .args(["simulate", "--port", &port.to_string()])
        .args(["--contacts", &contacts.to_string()])
        .args(["--companies", &companies.to_string()])
        .args([
            "--conversations",
            &args.conversations.unwrap_or(contacts / 4).to_string(),
        ])
        .args([
            "--rate-limit",
            &args.rate_limit.unwrap_or(1_000_000).to_string(),
        ])
        .args(["--fault-error-rate", &args.error_rate.to_string()])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let child = command.spawn().context("failed to start the simulator")?;
    let sim = SimProcess {
        child,
        base_url: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if let Ok(answer) = http
            .get(format!("{}/_sim/summary", sim.base_url))
            .send()
            .await
            && answer.status().is_success()
        {
            return Ok(sim);
        }
        if Instant::now() > deadline {
            bail!("the simulator did not come up on port {port} within 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What one stream of a pass used: peak RSS, and CPU of icsync and of the simulator.
#[derive(Debug, Clone, Copy, Default)]
struct StreamUse {
    peak_mb: u64,
    cpu_s: Option<f64>,
    sim_cpu_s: Option<f64>,
}

/// Resets the peak RSS and marks the CPU times when a stream starts; reads them when it ends.
struct PerStream {
    sim_pid: u32,
    started: Mutex<Option<CpuMark>>,
    uses: Mutex<HashMap<String, StreamUse>>,
}

impl PerStream {
    fn new(sim_pid: u32) -> PerStream {
        PerStream {
            sim_pid,
            started: Mutex::new(None),
            uses: Mutex::new(HashMap::new()),
        }
    }
}

impl Progress for PerStream {
    fn started(&self, _stream: &str, _kind: &str, _estimate: Option<u64>) {
        rss::reset_peak();
        if let Ok(mut started) = self.started.lock() {
            *started = Some(CpuMark::now(self.sim_pid));
        }
    }
    fn finished(&self, report: &StreamReport) {
        let mark = self.started.lock().ok().and_then(|mut s| s.take());
        let (cpu_s, sim_cpu_s) = mark.map_or((None, None), |m| m.since(self.sim_pid));
        if let Ok(mut uses) = self.uses.lock() {
            uses.insert(
                report.stream.as_str().to_owned(),
                StreamUse {
                    peak_mb: rss::peak_mb(),
                    cpu_s,
                    sim_cpu_s,
                },
            );
        }
    }
}

pub async fn run(args: SyncBenchArgs, tuning: Tuning) -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let contacts = if args.large { 1_000_000 } else { args.contacts };
    if args.peers {
        let sim = start_simulator(&args, contacts).await?;
        return super::peers::run(&args, &tuning, &sim, contacts).await;
    }
    if !args.json {
        println!(
            "icsync bench sync: {contacts} contacts in the simulator{}{}",
            args.rate_limit
                .map(|l| format!(", {l} requests per 10 s"))
                .unwrap_or_default(),
            if args.error_rate > 0.0 {
                format!(", {:.0}% of requests failing", args.error_rate * 100.0)
            } else {
                String::new()
            }
        );
        println!(
            "{:<9} {:<13} {:<19} {:>9} {:>10} {:>8} {:>9} {:>7} {:>5} {:>6} {:>8} {:>6} {:>7}",
            "backend",
            "stream",
            "mode",
            "records",
            "records/s",
            "seconds",
            "requests",
            "floor",
            "429s",
            "window",
            "peak MiB",
            "CPU-s",
            "sim CPU"
        );
    }
    let sim = start_simulator(&args, contacts).await?;
    let backends: &[store_bench::BackendChoice] = match args.backend {
        store_bench::BackendChoice::All => &[
            store_bench::BackendChoice::Sqlite,
            store_bench::BackendChoice::Postgres,
        ],
        other => std::slice::from_ref(match other {
            store_bench::BackendChoice::Sqlite => &store_bench::BackendChoice::Sqlite,
            _ => &store_bench::BackendChoice::Postgres,
        }),
    };
    let mut fetch_baseline: Option<Figure> = None;
    for backend in backends {
        let temp = match &args.dir {
            Some(dir) => tempfile::Builder::new()
                .prefix("icsync-bench-")
                .tempdir_in(dir)?,
            None => tempfile::Builder::new().prefix("icsync-bench-").tempdir()?,
        };
        let cluster;
        let (name, url) = match backend {
            store_bench::BackendChoice::Postgres => {
                cluster = tokio::task::spawn_blocking(|| PgCluster::start(Durability::Full))
                    .await?
                    .context("failed to start a throwaway PostgreSQL cluster")?;
                ("postgres", cluster.create_database("bench")?)
            }
            _ => (
                "sqlite",
                format!("sqlite://{}", temp.path().join("bench.db").display()),
            ),
        };
        let store = Store::connect_with(tuning.store_options(&url))
            .await?
            .with_secret_key(&SecretKey::generate());
        store.migrate().await?;
        let bench = connect(&store, &sim, &tuning).await?;
        let figures = backfill(&bench, name, &sim, &args).await?;
        // The baselines cover users, companies and events (issue 15's backfill): the streams
        // run one after another, so their durations add up to that part of the pass.
        let baseline_streams = || {
            figures
                .iter()
                .filter(|f| BASELINE_STREAMS.contains(&f.stream.as_str()))
        };
        let uce: f64 = baseline_streams().map(|f| f.seconds).sum();
        let uce_cpu = baseline_streams()
            .map(|f| add_cpu(f.cpu_s, f.sim_cpu_s))
            .try_fold(0.0, |sum, cpu| add_cpu(Some(sum), cpu));
        for figure in &figures {
            print_figure(figure, args.json)?;
        }
        if !args.no_incremental {
            for figure in incremental(&bench, name, &sim, &args).await? {
                print_figure(&figure, args.json)?;
            }
        }
        if !args.no_baselines {
            if fetch_baseline.is_none() {
                let fetch = fetch_only(&sim, &args).await?;
                print_figure(&fetch, args.json)?;
                fetch_baseline = Some(fetch);
            }
            let stored = store_only(&store, name, &figures).await?;
            print_figure(&stored, args.json)?;
            if let Some(fetch) = &fetch_baseline {
                print_ratio(name, uce, uce_cpu, fetch, &stored, args.json);
            }
        }
        store.close().await;
    }
    Ok(())
}

/// The users, companies and events backfill (`uce` seconds, `uce_cpu` CPU seconds of icsync
/// and the simulator) against the slower of its two halves, and the least ratio the halves' CPU
/// allows on this machine's cores: where the simulator shares them, fetching and storing can
/// only overlap as far as idle cores let them.
fn print_ratio(
    backend: &str,
    uce: f64,
    uce_cpu: Option<f64>,
    fetch: &Figure,
    stored: &Figure,
    json: bool,
) {
    let slower = fetch.seconds.max(stored.seconds);
    let ratio = uce / slower;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let halves_cpu = add_cpu(add_cpu(fetch.cpu_s, fetch.sim_cpu_s), stored.cpu_s);
    let cpu_floor = halves_cpu.map(|cpu| (cpu / cores as f64).max(slower) / slower);
    if json {
        println!(
            "{}",
            serde_json::json!({
                "backend": backend,
                "stream": BASELINE,
                "mode": "ratio_to_slower_half",
                "sync_seconds": round_to(uce, 1000.0),
                "ratio": round_to(ratio, 100.0),
                "sync_cpu_s": uce_cpu,
                "halves_cpu_s": halves_cpu,
                "cores": cores,
                "cpu_floor_ratio": cpu_floor.map(|r| round_to(r, 100.0)),
            })
        );
    } else {
        println!(
            "{backend}: the users, companies and events backfill ({uce:.1}s) took {ratio:.2}x the slower of fetch-only ({:.1}s) and store-only ({:.1}s)",
            fetch.seconds, stored.seconds
        );
        if let (Some(halves), Some(floor)) = (halves_cpu, cpu_floor) {
            println!(
                "{backend}: the halves used {halves:.1} CPU-s (the backfill {}); on {cores} cores no overlap of them beats {floor:.2}x",
                seconds_or_dash(uce_cpu)
            );
        }
    }
}

/// What the fetch-only and store-only baselines cover.
const BASELINE_STREAMS: [&str; 3] = ["users", "companies", "events"];
const BASELINE: &str = "users+companies+events";

fn utilization(requests: u64, seconds: f64, limit: Option<u32>) -> Option<f64> {
    let limit = f64::from(limit?);
    let windows = seconds / 10.0;
    (windows > 0.0).then(|| round_to(requests as f64 / (windows * limit), 1000.0))
}

pub(super) fn per_second(records: u64, seconds: f64) -> u64 {
    if seconds > 0.0 {
        (records as f64 / seconds) as u64
    } else {
        0
    }
}

/// A workspace connected to the simulator, in a fresh store.
struct Bench<'a> {
    store: &'a Store,
    tuning: &'a Tuning,
    ws: WorkspaceId,
    client: IntercomClient,
    sim_pid: u32,
}

async fn connect<'a>(
    store: &'a Store,
    sim: &SimProcess,
    tuning: &'a Tuning,
) -> anyhow::Result<Bench<'a>> {
    let settings = &tuning.client;
    let request = ConnectRequest::new(
        "bench",
        secrecy::SecretString::from("sim-token".to_owned()),
        Endpoint {
            region: Region::Us,
            base_url: Some(sim.base_url.clone()),
        },
    );
    let connected = icsync_inbound::workspaces::connect(store, &request, settings).await?;
    let client = icsync_inbound::client_for(&connected.workspace, &Default::default(), settings)?;
    Ok(Bench {
        store,
        tuning,
        ws: connected.workspace.id,
        client,
        sim_pid: sim.pid(),
    })
}

/// One pass over every stream, measured.
struct Pass {
    report: SyncReport,
    seconds: f64,
    /// Per stream.
    uses: HashMap<String, StreamUse>,
    /// The whole pass (peak RSS the highest of the streams').
    whole: StreamUse,
}

/// One pass over every stream: its report, wall time, and per-stream peak RSS and CPU.
async fn pass(bench: &Bench<'_>) -> anyhow::Result<Pass> {
    let per_stream = PerStream::new(bench.sim_pid);
    rss::reset_peak();
    let cpu = CpuMark::now(bench.sim_pid);
    let started = Instant::now();
    let report = icsync_inbound::sync_workspace(
        bench.store,
        bench.ws,
        &bench.client,
        &bench.tuning.inbound,
        &SyncOptions::default(),
        &RunControl::default(),
        &per_stream,
    )
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    let (cpu_s, sim_cpu_s) = cpu.since(bench.sim_pid);
    if !report.all_finished() {
        bail!("the pass did not finish: {report:?}");
    }
    let uses = per_stream
        .uses
        .lock()
        .map(|u| u.clone())
        .unwrap_or_default();
    let whole = StreamUse {
        peak_mb: uses.values().map(|u| u.peak_mb).max().unwrap_or(0),
        cpu_s,
        sim_cpu_s,
    };
    Ok(Pass {
        report,
        seconds,
        uses,
        whole,
    })
}

/// One figure per stream of `report` and one for the whole, against `floors`.
fn figures_of(
    backend: &'static str,
    mode: &'static str,
    pass: &Pass,
    floors: &HashMap<String, u64>,
    args: &SyncBenchArgs,
) -> Vec<Figure> {
    let (report, seconds) = (&pass.report, pass.seconds);
    let mut figures = Vec::new();
    let mut total_requests = 0;
    let mut total_floor = 0;
    let mut total_limited = 0;
    let mut total_records = 0;
    for stream in &report.streams {
        let s = &stream.stats;
        let name = stream.stream.as_str();
        let records = s.read.max(0) as u64;
        let secs = s.duration_ms as f64 / 1000.0;
        let floor = floors.get(name).copied().unwrap_or(0);
        total_requests += s.requests as u64;
        total_floor += floor;
        total_limited += s.rate_limited as u64;
        total_records += records;
        let used = pass.uses.get(name).copied().unwrap_or_default();
        figures.push(Figure {
            backend,
            stream: name.to_owned(),
            mode,
            records,
            records_per_s: per_second(records, secs),
            seconds: round_to(secs, 1000.0),
            requests: s.requests as u64,
            floor_requests: floor,
            rate_limited: s.rate_limited as u64,
            window_utilization: utilization(s.requests as u64, secs, args.rate_limit),
            peak_rss_mb: used.peak_mb,
            cpu_s: used.cpu_s,
            sim_cpu_s: used.sim_cpu_s,
            parts: (name == "conversations")
                .then(|| stream.also.get("parts_received").copied().unwrap_or(0)),
        });
    }
    figures.push(Figure {
        backend,
        stream: "all".to_owned(),
        mode,
        records: total_records,
        records_per_s: per_second(total_records, seconds),
        seconds: round_to(seconds, 1000.0),
        requests: total_requests,
        floor_requests: total_floor,
        rate_limited: total_limited,
        window_utilization: utilization(total_requests, seconds, args.rate_limit),
        peak_rss_mb: pass.whole.peak_mb,
        cpu_s: pass.whole.cpu_s,
        sim_cpu_s: pass.whole.sim_cpu_s,
        parts: None,
    });
    figures
}

/// The backfill into `store`, one figure per stream and one for the whole.
async fn backfill(
    bench: &Bench<'_>,
    backend: &'static str,
    sim: &SimProcess,
    args: &SyncBenchArgs,
) -> anyhow::Result<Vec<Figure>> {
    let pass = pass(bench).await?;
    let floors = floors(bench.store, bench.ws, sim, &pass.report).await?;
    Ok(figures_of(backend, "sync", &pass, &floors, args))
}

/// Three incremental passes after the backfill: the first catches up (users updated since the
/// backfill began, among them users created before its window, new to the store, with their
/// companies and events; and the daily check for deleted contacts, which has not run yet); the
/// second runs on unchanged data (the watermark's day of users and the conversations' lag
/// margin re-read, no user's events, no company); the third after `--touch` users were
/// changed in the simulator (their events and companies again, nobody else's).
async fn incremental(
    bench: &Bench<'_>,
    backend: &'static str,
    sim: &SimProcess,
    args: &SyncBenchArgs,
) -> anyhow::Result<Vec<Figure>> {
    let mut figures = Vec::new();
    for mode in ["incremental_first", "incremental"] {
        let pass = pass(bench).await?;
        // The first pass's floor is not modelled (it depends on what changed since the
        // backfill began); its requests are shown as they are.
        let floors = if mode == "incremental" {
            incremental_floors(&pass.report, 0, 0)
        } else {
            HashMap::new()
        };
        figures.extend(figures_of(backend, mode, &pass, &floors, args));
    }
    if args.touch == 0 {
        return Ok(figures);
    }
    let (touched, companies) = touch_users(sim, args.touch).await?;
    let pages = company_list_pages(sim).await?;
    let pass = pass(bench).await?;
    let floors = incremental_floors(&pass.report, touched, companies.min(pages));
    figures.extend(figures_of(
        backend,
        "incremental_touched",
        &pass,
        &floors,
        args,
    ));
    Ok(figures)
}

/// The floor of an incremental pass: the users it had to read (the API's day-granular search
/// forces the watermark's whole day) in full pages, one events listing per changed user, the
/// changed users' companies (the cheaper of one request each and the company list), and the
/// conversations' search pages plus one retrieve per changed conversation.
fn incremental_floors(report: &SyncReport, touched: u64, companies: u64) -> HashMap<String, u64> {
    let mut floors = HashMap::new();
    for stream in &report.streams {
        let read = stream.stats.read.max(0) as u64;
        let floor = match stream.stream.as_str() {
            "users" => read.div_ceil(150).max(1),
            "events" => touched,
            "companies" => companies,
            "conversations" => ConversationFigures::from_report(stream).floor_requests,
            _ => continue,
        };
        floors.insert(stream.stream.as_str().to_owned(), floor);
    }
    floors
}

/// Requests that enumerate every company with users: pages of 150 of the company list while
/// it is under Intercom's 10,000 cap, else the scroll's pages of 15 plus its closing request.
async fn company_list_pages(sim: &SimProcess) -> anyhow::Result<u64> {
    let summary: serde_json::Value = reqwest::get(format!("{}/_sim/summary", sim.base_url))
        .await?
        .json()
        .await?;
    let with_users = summary["companies_with_contacts"].as_u64().unwrap_or(0);
    let all_companies = summary["companies"].as_u64().unwrap_or(0);
    Ok(if with_users <= 10_000 {
        with_users.div_ceil(150).max(1)
    } else {
        all_companies.div_ceil(15) + 1
    })
}

/// Changes the name of `n` users in the window in the simulator; returns how many were
/// changed and how many distinct companies they belong to.
async fn touch_users(sim: &SimProcess, n: usize) -> anyhow::Result<(u64, u64)> {
    let http = reqwest::Client::new();
    let since = (chrono::Utc::now() - chrono::Duration::days(59)).timestamp();
    let refs: serde_json::Value = http
        .get(format!(
            "{}/_sim/contacts/refs?created_since={since}",
            sim.base_url
        ))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let ids: Vec<String> = refs["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|c| c["role"] == "user")
                .filter_map(|c| c["id"].as_str().map(str::to_owned))
                .take(n)
                .collect()
        })
        .unwrap_or_default();
    let mut companies = std::collections::HashSet::new();
    for (i, id) in ids.iter().enumerate() {
        http.patch(format!("{}/_sim/contacts/{id}", sim.base_url))
            .json(&serde_json::json!({"name": format!("Touched by the bench {i}")}))
            .send()
            .await?
            .error_for_status()
            .with_context(|| format!("failed to touch contact {id}"))?;
        let of: serde_json::Value = http
            .get(format!("{}/_sim/contacts/{id}/companies", sim.base_url))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        for company in of["company_ids"].as_array().into_iter().flatten() {
            if let Some(c) = company.as_str() {
                companies.insert(c.to_owned());
            }
        }
    }
    Ok((ids.len() as u64, companies.len() as u64))
}

/// The fewest requests the API allows for what the backfill stored.
async fn floors(
    store: &Store,
    ws: WorkspaceId,
    sim: &SimProcess,
    report: &SyncReport,
) -> anyhow::Result<HashMap<String, u64>> {
    let counts = store.record_counts(ws).await?;
    let users = counts.contacts;
    let enumerate = company_list_pages(sim).await?;
    let referenced = store.referenced_companies(ws).await?.len() as u64;
    let shape = store.inbound_shape(ws).await?;
    let mut floors = HashMap::new();
    floors.insert(
        "users".to_owned(),
        users.div_ceil(150).max(1) + shape.contacts_over_ten_companies,
    );
    floors.insert("companies".to_owned(), referenced.min(enumerate));
    floors.insert("events".to_owned(), shape.event_pages);
    if let Some(conversations) = report
        .streams
        .iter()
        .find(|s| s.stream.as_str() == "conversations")
    {
        floors.insert(
            "conversations".to_owned(),
            ConversationFigures::from_report(conversations).floor_requests,
        );
    }
    Ok(floors)
}

/// The same requests as the backfill (users created in the window, company pages, each user's
/// events), decoded and dropped.
async fn fetch_only(sim: &SimProcess, _args: &SyncBenchArgs) -> anyhow::Result<Figure> {
    let config = icsync_intercom::ClientConfig::new(
        icsync_intercom::Region::Us,
        icsync_intercom::AccessToken::new("sim-token"),
    )
    .with_base_url(&sim.base_url)?;
    let client = IntercomClient::new(config)?;
    rss::reset_peak();
    let cpu = CpuMark::now(sim.pid());
    let started = Instant::now();
    let cutoff = chrono::Utc::now() - chrono::Duration::days(60);
    let me = client.admins().me().await?;
    let zone = me.app.and_then(|a| a.timezone);
    let window =
        search::contacts_since_in_zone(search::contact::created_at(), cutoff, zone.as_deref());
    let query = SearchRequest::new(Query::and([
        search::contact::role().eq("user"),
        window.query,
    ]));
    let mut users = Vec::new();
    let mut pages = client.contacts().search(query);
    while let Some(page) = pages.try_next().await? {
        users.extend(
            page.items
                .into_iter()
                .filter(|c| c.created_at.is_some_and(|t| t >= cutoff))
                .map(|c| c.id),
        );
    }
    let mut companies = 0u64;
    let mut list = client.companies().list_from(Cursor::Start);
    while let Some(page) = list.try_next().await? {
        companies += page.items.len() as u64;
    }
    let events: u64 = futures::stream::iter(users.iter().map(|id| {
        let client = client.clone();
        async move {
            let events = icsync_intercom::collect_all(
                client.events().list(&EventsFor::IntercomId(id.clone())),
            )
            .await?;
            Ok::<u64, icsync_intercom::Error>(events.len() as u64)
        }
    }))
    .buffer_unordered(8)
    .try_fold(0, |sum, n| async move { Ok(sum + n) })
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    let (cpu_s, sim_cpu_s) = cpu.since(sim.pid());
    let records = users.len() as u64 + companies + events;
    Ok(Figure {
        backend: "-",
        stream: BASELINE.to_owned(),
        mode: "fetch_only",
        records,
        records_per_s: per_second(records, seconds),
        seconds: round_to(seconds, 1000.0),
        requests: client.stats().requests,
        floor_requests: 0,
        rate_limited: client.stats().rate_limited,
        window_utilization: None,
        peak_rss_mb: rss::peak_mb(),
        cpu_s,
        sim_cpu_s,
        parts: None,
    })
}

/// The same numbers of contacts, companies and events written through the ingest queue,
/// generated in memory (no HTTP, no JSON).
async fn store_only(
    store: &Store,
    backend: &'static str,
    figures: &[Figure],
) -> anyhow::Result<Figure> {
    let records = |stream: &str| {
        figures
            .iter()
            .find(|f| f.stream == stream)
            .map(|f| f.records)
            .unwrap_or(0)
    };
    let ws = store
        .create_workspace(&icsync_domain::NewWorkspace::new("store-only"))
        .await?
        .id;
    rss::reset_peak();
    let cpu = rss::cpu_seconds(None);
    let started = Instant::now();
    let mut total = 0;
    for (stream, rows) in [
        (store_bench::Stream::Contacts, records("users")),
        (store_bench::Stream::Companies, records("companies")),
        (store_bench::Stream::Events, records("events")),
    ] {
        total += rows;
        store_bench::ingest_generated(store, ws, stream, rows).await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu_s = cpu_spent(cpu, rss::cpu_seconds(None));
    Ok(Figure {
        backend,
        stream: BASELINE.to_owned(),
        mode: "store_only",
        records: total,
        records_per_s: per_second(total, seconds),
        seconds: round_to(seconds, 1000.0),
        requests: 0,
        floor_requests: 0,
        rate_limited: 0,
        window_utilization: None,
        peak_rss_mb: rss::peak_mb(),
        cpu_s,
        // No simulator in this half.
        sim_cpu_s: None,
        parts: None,
    })
}

fn seconds_or_dash(seconds: Option<f64>) -> String {
    seconds.map_or_else(|| "-".to_owned(), |s| format!("{s:.1}"))
}

fn print_figure(figure: &Figure, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(figure)?);
    } else {
        println!(
            "{:<9} {:<13} {:<19} {:>9} {:>10} {:>8.1} {:>9} {:>7} {:>5} {:>6} {:>8} {:>6} {:>7}",
            figure.backend,
            figure.stream,
            figure.mode,
            figure.records,
            figure.records_per_s,
            figure.seconds,
            figure.requests,
            figure.floor_requests,
            figure.rate_limited,
            figure
                .window_utilization
                .map(|u| format!("{:.0}%", u * 100.0))
                .unwrap_or_else(|| "-".into()),
            figure.peak_rss_mb,
            seconds_or_dash(figure.cpu_s),
            seconds_or_dash(figure.sim_cpu_s)
        );
    }
    Ok(())
}
