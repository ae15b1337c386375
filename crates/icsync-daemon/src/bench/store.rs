//! `icsync bench store`: ingest alone (no HTTP), page by page, as the inbound pipeline will.
//!
//! For each backend and stream it generates `rows` records in pages of `page_rows` (Intercom's
//! contact page holds 150) and pushes them through the store's group-commit queue, exactly as
//! the inbound pipeline does: each transaction holds the pages queued since the last commit and
//! the newest page's checkpoint. Then it ingests the same records again (unchanged re-ingest).
//! The clock runs from the first page to the last commit; generating pages overlaps with
//! writing, as decoding Intercom's JSON will, so the figure is conservative. Peak RSS is
//! measured per phase: pages stream through, nothing holds the data set.

use super::{data, rss};
use anyhow::Context as _;
use icsync_domain::{CompanyId, ContactId, NewWorkspace, RunStatus, StreamName, WorkspaceId};
use icsync_pgtemp::{Durability, PgCluster};
use icsync_store::{CheckpointUpdate, IngestPage, IngestQueue, QueueBounds, SecretKey, Store};
use serde::Serialize;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct StoreBenchArgs {
    /// Records per stream (1,000,000 with --large).
    #[arg(long, default_value_t = 100_000)]
    pub rows: u64,
    /// Shorthand for --rows 1000000.
    #[arg(long)]
    pub large: bool,
    /// Records per page handed to the store (Intercom's contact page holds 150).
    #[arg(long, default_value_t = 150)]
    pub page_rows: u64,
    /// Most records one transaction may group (pages queued since the last commit).
    #[arg(long, default_value_t = 2_000)]
    pub max_batch_rows: u64,
    /// Pages the queue holds before the producer waits.
    #[arg(long, default_value_t = 16)]
    pub queue_pages: usize,
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
    pub page_rows: u64,
    pub transactions: u64,
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
        rows > 0 && args.page_rows > 0 && args.max_batch_rows > 0,
        "--rows, --page-rows and --max-batch-rows must be positive"
    );
    if !args.json {
        println!(
            "icsync bench store: {rows} rows per stream, pages of {}, up to {} rows per transaction",
            args.page_rows, args.max_batch_rows
        );
        println!(
            "{:<9} {:<10} {:<9} {:>9} {:>9} {:>7} {:>8}",
            "backend", "stream", "pass", "rows", "rows/s", "commits", "peak MiB"
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
            .create_workspace(&NewWorkspace::new("bench"))
            .await?
            .id;
        for stream in &args.streams {
            for pass in ["first", "reingest"] {
                let figure = measure(&store, workspace, name, *stream, pass, rows, &args).await?;
                print_figure(&figure, args.json)?;
            }
        }
        store.close().await;
    }
    Ok(())
}

/// Writes `rows` generated records of `stream` through the ingest queue, in pages of 150.
pub async fn ingest_generated(
    store: &Store,
    workspace: WorkspaceId,
    stream: Stream,
    rows: u64,
) -> anyhow::Result<icsync_store::QueueTotals> {
    let queue = IngestQueue::new(
        store,
        workspace,
        QueueBounds {
            pages: 16,
            rows: 20_000,
            transaction_rows: 2_000,
        },
    );
    let mut start = 0;
    while start < rows {
        let end = (start + 150).min(rows);
        queue.push(generated_page(stream, start, end, 150)).await?;
        start = end;
    }
    Ok(queue.finish().await?)
}

fn generated_page(stream: Stream, start: u64, end: u64, page_rows: u64) -> IngestPage {
    let mut page = IngestPage {
        checkpoint: Some(CheckpointUpdate {
            stream: StreamName::new(stream.name()),
            watermark: None,
            cursor: Some(format!("page-{}", end.div_ceil(page_rows))),
            status: RunStatus::Running,
        }),
        ..Default::default()
    };
    match stream {
        Stream::Contacts => page.contacts = (start..end).map(data::contact).collect(),
        Stream::Companies => {
            page.companies = (start..end).map(data::company).collect();
            // Each company has a handful of contacts.
            page.associations = (start..end)
                .flat_map(|c| {
                    (0..(c % 7)).map(move |k| (data::contact_id(c * 7 + k), data::company_id(c)))
                })
                .collect::<Vec<(ContactId, CompanyId)>>();
        }
        Stream::Events => page.events = (start..end).map(data::event).collect(),
    }
    page
}

async fn measure(
    store: &Store,
    workspace: WorkspaceId,
    backend: &'static str,
    stream: Stream,
    pass: &'static str,
    rows: u64,
    args: &StoreBenchArgs,
) -> anyhow::Result<Figure> {
    rss::reset_peak();
    let page_rows = args.page_rows;
    let queue = IngestQueue::new(
        store,
        workspace,
        QueueBounds {
            pages: args.queue_pages,
            // The store benchmark measures the writer: only the page count bounds its queue.
            rows: usize::MAX,
            transaction_rows: args.max_batch_rows as usize,
        },
    );
    let started = Instant::now();
    let mut start = 0;
    while start < rows {
        let end = (start + page_rows).min(rows);
        queue
            .push(generated_page(stream, start, end, page_rows))
            .await?;
        start = end;
    }
    let totals = queue.finish().await?;
    let seconds = started.elapsed().as_secs_f64();
    let report = totals.report;
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
        statements: report.statements,
        peak_rss_mb: rss::peak_mb(),
        page_rows,
        transactions: totals.transactions,
        seconds: (seconds * 1000.0).round() / 1000.0,
        written: report.contacts.written + report.companies.written + report.events.written,
        associations: (stream == Stream::Companies).then_some(report.associations.written),
    })
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
