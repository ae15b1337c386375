//! `icsync bench store`: ingest alone (no HTTP), page by page, as the inbound pipeline will.
//!
//! For each backend and stream it writes `rows` generated records in batches of `batch_rows`,
//! each batch in one transaction with its checkpoint (the pipeline's contract), then writes the
//! same records again (re-ingest of unchanged data). Only the `write_batch` calls are timed;
//! generation happens between them. Peak RSS is measured per phase.

use super::{data, rss};
use anyhow::Context as _;
use icsync_domain::{
    CompanyId, ContactId, NewWorkspace, Region, RunStatus, StreamName, WorkspaceId,
};
use icsync_pgtemp::{Durability, PgCluster};
use icsync_store::{CheckpointUpdate, IngestBatch, IngestReport, SecretKey, Store};
use serde::Serialize;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct StoreBenchArgs {
    /// Records per stream (1,000,000 with --large).
    #[arg(long, default_value_t = 100_000)]
    pub rows: u64,
    /// Shorthand for --rows 1000000.
    #[arg(long)]
    pub large: bool,
    /// Records per transaction (Intercom's contact page holds 150).
    #[arg(long, default_value_t = 150)]
    pub batch_rows: u64,
    /// Which backends to measure.
    #[arg(long, value_enum, default_value_t = BackendChoice::All)]
    pub backend: BackendChoice,
    /// Which streams to measure (comma-separated: contacts, companies, events).
    #[arg(long, value_delimiter = ',', default_values_t = vec![Stream::Contacts, Stream::Companies, Stream::Events])]
    pub streams: Vec<Stream>,
    /// Print one JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Where to put the SQLite file (default: a temporary directory, deleted after).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendChoice {
    Sqlite,
    Postgres,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Stream {
    Contacts,
    Companies,
    Events,
}

impl std::fmt::Display for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Stream {
    fn name(self) -> &'static str {
        match self {
            Self::Contacts => "contacts",
            Self::Companies => "companies",
            Self::Events => "events",
        }
    }
}

/// One line of the benchmark's output.
#[derive(Debug, Serialize)]
pub struct Figure {
    pub backend: &'static str,
    pub stream: &'static str,
    pub pass: &'static str,
    pub rows: u64,
    pub rows_per_s: u64,
    pub statements: u64,
    pub peak_rss_mb: u64,
    pub batch_rows: u64,
    pub seconds: f64,
    /// Rows written (inserted or changed): `rows` on a first pass, 0 on an unchanged re-ingest.
    pub written: u64,
    /// Contact-company associations written alongside companies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub associations: Option<u64>,
}

pub async fn run(args: StoreBenchArgs) -> anyhow::Result<()> {
    let rows = if args.large { 1_000_000 } else { args.rows };
    anyhow::ensure!(
        rows > 0 && args.batch_rows > 0,
        "--rows and --batch-rows must be positive"
    );
    if !args.json {
        println!(
            "icsync bench store: {rows} rows per stream, {} per transaction",
            args.batch_rows
        );
        println!(
            "{:<9} {:<10} {:<6} {:>10} {:>11} {:>10} {:>9}",
            "backend", "stream", "pass", "rows", "rows/s", "statements", "peak MiB"
        );
    }
    let backends: &[BackendChoice] = match args.backend {
        BackendChoice::All => &[BackendChoice::Sqlite, BackendChoice::Postgres],
        BackendChoice::Sqlite => &[BackendChoice::Sqlite],
        BackendChoice::Postgres => &[BackendChoice::Postgres],
    };
    for backend in backends {
        // Each backend gets a fresh database: a temporary SQLite file, a new PostgreSQL cluster
        // with PostgreSQL's default durability (fsync on), stopped and deleted afterwards.
        let temp = match &args.dir {
            Some(dir) => tempfile::Builder::new()
                .prefix("icsync-bench-")
                .tempdir_in(dir)?,
            None => tempfile::Builder::new().prefix("icsync-bench-").tempdir()?,
        };
        let cluster;
        let (name, url) = match backend {
            BackendChoice::Postgres => {
                cluster = tokio::task::spawn_blocking(|| PgCluster::start(Durability::Full))
                    .await?
                    .context("failed to start a throwaway PostgreSQL cluster for the benchmark")?;
                ("postgres", cluster.create_database("bench")?)
            }
            _ => (
                "sqlite",
                format!("sqlite://{}", temp.path().join("bench.db").display()),
            ),
        };
        let store = Store::connect(&url)
            .await?
            .with_secret_key(&SecretKey::generate());
        store.migrate().await?;
        let workspace = store
            .create_workspace(&NewWorkspace {
                name: "bench".into(),
                intercom_app_id: None,
                region: Region::Us,
                base_url: None,
                access_token: None,
                webhook_secret: None,
                backfill_days: 60,
            })
            .await?
            .id;
        for stream in &args.streams {
            for pass in ["first", "reingest"] {
                let figure = measure(
                    &store,
                    workspace,
                    name,
                    *stream,
                    pass,
                    rows,
                    args.batch_rows,
                )
                .await?;
                print_figure(&figure, args.json)?;
            }
        }
        store.close().await;
    }
    Ok(())
}

async fn measure(
    store: &Store,
    workspace: WorkspaceId,
    backend: &'static str,
    stream: Stream,
    pass: &'static str,
    rows: u64,
    batch_rows: u64,
) -> anyhow::Result<Figure> {
    rss::reset_peak();
    let mut timed = Duration::ZERO;
    let mut total = IngestReport::default();
    let mut written = 0;
    let mut associations = 0;
    let mut start = 0;
    while start < rows {
        let end = (start + batch_rows).min(rows);
        let checkpoint = CheckpointUpdate {
            stream: StreamName::new(stream.name()),
            watermark: None,
            cursor: Some(format!("page-{}", end / batch_rows)),
            status: RunStatus::Running,
        };
        let report = match stream {
            Stream::Contacts => {
                let contacts: Vec<_> = (start..end).map(data::contact).collect();
                let batch = IngestBatch {
                    contacts: &contacts,
                    checkpoint: Some(&checkpoint),
                    ..Default::default()
                };
                timed_write(store, workspace, batch, &mut timed).await?
            }
            Stream::Companies => {
                let companies: Vec<_> = (start..end).map(data::company).collect();
                // Each company has a handful of contacts.
                let links: Vec<(ContactId, CompanyId)> = (start..end)
                    .flat_map(|c| {
                        (0..(c % 7))
                            .map(move |k| (data::contact_id(c * 7 + k), data::company_id(c)))
                    })
                    .collect();
                let batch = IngestBatch {
                    companies: &companies,
                    associations: &links,
                    checkpoint: Some(&checkpoint),
                    ..Default::default()
                };
                let report = timed_write(store, workspace, batch, &mut timed).await?;
                associations += report.associations.written;
                report
            }
            Stream::Events => {
                let events: Vec<_> = (start..end).map(data::event).collect();
                let batch = IngestBatch {
                    events: &events,
                    checkpoint: Some(&checkpoint),
                    ..Default::default()
                };
                timed_write(store, workspace, batch, &mut timed).await?
            }
        };
        written += report.contacts.written + report.companies.written + report.events.written;
        total.statements += report.statements;
        start = end;
    }
    let seconds = timed.as_secs_f64();
    Ok(Figure {
        backend,
        stream: stream.name(),
        pass,
        rows,
        rows_per_s: if seconds > 0.0 {
            (rows as f64 / seconds) as u64
        } else {
            0
        },
        statements: total.statements,
        peak_rss_mb: rss::peak_mb(),
        batch_rows,
        seconds: (seconds * 1000.0).round() / 1000.0,
        written,
        associations: (stream == Stream::Companies).then_some(associations),
    })
}

async fn timed_write(
    store: &Store,
    workspace: WorkspaceId,
    batch: IngestBatch<'_>,
    timed: &mut Duration,
) -> anyhow::Result<IngestReport> {
    let started = Instant::now();
    let report = store.write_batch(workspace, batch).await?;
    *timed += started.elapsed();
    Ok(report)
}

fn print_figure(figure: &Figure, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(figure)?);
    } else {
        println!(
            "{:<9} {:<10} {:<6} {:>10} {:>11} {:>10} {:>9}",
            figure.backend,
            figure.stream,
            figure.pass,
            figure.rows,
            figure.rows_per_s,
            figure.statements,
            figure.peak_rss_mb
        );
    }
    Ok(())
}
