//! `icsync bench sessionize`: the sessionizer alone, in memory, on one core, against a plain
//! sort of the same signals (the floor for any sessionizer).
//!
//! Modes:
//! - `full`: every signal, in a shuffled arrival order, grouped by contact and sessionized
//!   from scratch (`Sessionizer::sessionize`), as a backfill does;
//! - `incremental`: the contacts are sessionized without their late signals first (untimed);
//!   then the late ones arrive and each touched contact goes through `rebuild_window`, a read
//!   of its stored signals from the window on (a slice copy standing in for the store), and
//!   `Sessionizer::apply`, as inbound does. Its `events` are the signals it processes: the
//!   late ones plus the stored ones re-read.
//!
//! Each mode's floor sorts exactly the signals that mode processes, in the order it is handed
//! them, by contact then instant: the shuffled arrival order for `full`; for `incremental`
//! each touched contact's stored window (already in order, as a store reads it by instant)
//! followed by its late signals.

use super::{data, rss, signals};
use icsync_domain::{ContactId, Session};
use icsync_sessionizer::{SessionRules, Sessionizer, Signal, Timestamp, rebuild_window};
use serde::Serialize;
use std::hint::black_box;
use std::time::Instant;

/// Flink's published Nexmark q11 ("user sessions") throughput per core (nexmark/nexmark
/// README, Flink 1.13: 39.7 K/s per core).
const NEXMARK_Q11_PER_CORE: f64 = 39_700.0;

#[derive(Debug, clap::Args)]
pub struct SessionizeBenchArgs {
    /// Signals to generate (events and seen-signals).
    #[arg(long, default_value_t = 10_000_000)]
    pub events: usize,
    /// Contacts they belong to.
    #[arg(long, default_value_t = 100_000)]
    pub contacts: usize,
    /// Percentage of signals that arrive late (incremental mode).
    #[arg(long, default_value_t = 1.0)]
    pub late_percent: f64,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 17)]
    pub seed: u64,
    /// Print one JSON object per mode instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// One line of the benchmark's output.
#[derive(Debug, Serialize)]
pub struct Figure {
    pub mode: &'static str,
    /// Signals the mode processes.
    pub events: u64,
    pub contacts: u64,
    pub seconds: f64,
    pub events_per_s: u64,
    pub sort_seconds: f64,
    pub sort_events_per_s: u64,
    /// Sessionizing time ÷ sorting time of the same signals (target ≤ 2).
    pub ratio_to_sort: f64,
    /// `events_per_s` ÷ Flink's Nexmark q11 per core (target ≥ 100).
    pub nexmark_q11_multiple: f64,
    pub sessions: u64,
    pub peak_rss_mb: u64,
    /// Incremental: late signals applied, and those per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_events: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_events_per_s: Option<u64>,
    /// Incremental: sessionizing the touched contacts from scratch instead, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_rebuild_seconds: Option<f64>,
}

pub fn run(args: SessionizeBenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.events > 0 && args.contacts > 0 && args.contacts <= args.events,
        "--events and --contacts must be positive, with at least one event per contact"
    );
    anyhow::ensure!(
        u32::try_from(args.contacts).is_ok(),
        "--contacts must be at most {}",
        u32::MAX
    );
    anyhow::ensure!(
        (0.0..=100.0).contains(&args.late_percent),
        "--late-percent must be between 0 and 100"
    );
    let all = signals::generate(
        args.events,
        args.contacts,
        args.late_percent / 100.0,
        args.seed,
    );
    let ids: Vec<ContactId> = (0..args.contacts as u64).map(data::contact_id).collect();
    // `now` far ahead: no generated signal is a future one.
    let now = chrono::DateTime::<chrono::Utc>::MAX_UTC;
    let sessionizer = Sessionizer::new(SessionRules::default(), now);
    if !args.json {
        println!(
            "icsync bench sessionize: {} signals across {} contacts, {}% late, one core",
            args.events, args.contacts, args.late_percent
        );
        println!(
            "{:<12} {:>10} {:>8} {:>11} {:>13} {:>6} {:>7} {:>9} {:>8}",
            "mode",
            "events",
            "seconds",
            "events/s",
            "sort events/s",
            "ratio",
            "q11 ×",
            "sessions",
            "peak MiB"
        );
    }
    print_figure(&full(&sessionizer, &ids, &all), args.json)?;
    print_figure(&incremental(&sessionizer, &ids, &all), args.json)?;
    Ok(())
}

fn full(sessionizer: &Sessionizer, ids: &[ContactId], all: &[signals::ContactSignal]) -> Figure {
    rss::reset_peak();
    let mut floor = all.to_vec();
    let sort_seconds = timed(|| signals::sort(&mut floor));
    drop(floor);

    let mut sessions = 0;
    let seconds = timed(|| {
        let groups = signals::group(all, ids.len(), |_| true);
        for (signals, id) in groups.into_iter().zip(ids) {
            let out = sessionizer.sessionize(id, signals);
            sessions += out.sessions.len();
            black_box(out);
        }
    });
    figure(
        "full",
        all.len(),
        ids.len(),
        seconds,
        sort_seconds,
        sessions,
    )
}

fn incremental(
    sessionizer: &Sessionizer,
    ids: &[ContactId],
    all: &[signals::ContactSignal],
) -> Figure {
    // The state before the late signals arrive (untimed): stored signals and sessions.
    let mut stored = signals::group(all, ids.len(), |s| !s.late);
    let existing: Vec<Vec<Session>> = stored
        .iter_mut()
        .zip(ids)
        .map(|(signals, id)| {
            signals.sort_unstable();
            sessionizer.sessionize(id, signals.clone()).sessions
        })
        .collect();
    let late = signals::group(all, ids.len(), |s| s.late);
    let touched: Vec<usize> = (0..ids.len()).filter(|&c| !late[c].is_empty()).collect();
    let window = |c: usize| -> &[Signal<'static>] {
        let from = rebuild_window(&existing[c], &late[c])
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        let from = Timestamp::from(from);
        let start = stored[c].partition_point(|s| s.at < from);
        &stored[c][start..]
    };

    // The floor: the same signals the sessionizer is handed, arranged as it gets them (each
    // touched contact's stored window, in order as the store reads it, then its late signals
    // in arrival order), sorted by contact and instant.
    rss::reset_peak();
    let mut floor: Vec<signals::ContactSignal> = Vec::new();
    for &c in &touched {
        let contact = c as u32;
        let mut add = |signal: Signal<'static>| {
            floor.push(signals::ContactSignal {
                contact,
                late: false,
                signal,
            })
        };
        window(c).iter().copied().for_each(&mut add);
        late[c].iter().copied().for_each(&mut add);
    }
    let processed = floor.len();
    let sort_seconds = timed(|| signals::sort(&mut floor));
    drop(floor);

    let mut arriving = late.clone();
    let mut sessions = 0;
    let seconds = timed(|| {
        for &c in &touched {
            let new = std::mem::take(&mut arriving[c]);
            let Some(from) = rebuild_window(&existing[c], &new) else {
                continue;
            };
            let from = Timestamp::from(from);
            let start = stored[c].partition_point(|s| s.at < from);
            let read = stored[c][start..].to_vec();
            if let Some(rebuild) = sessionizer.apply(&ids[c], &existing[c], read, new) {
                sessions += rebuild.sessions.len();
                black_box(rebuild);
            }
        }
    });
    let peak_rss_mb = rss::peak_mb();

    // For comparison: the touched contacts sessionized from scratch.
    let inputs: Vec<(usize, Vec<Signal<'static>>)> = touched
        .iter()
        .map(|&c| (c, [stored[c].as_slice(), late[c].as_slice()].concat()))
        .collect();
    let full_rebuild_seconds = timed(|| {
        for (c, signals) in inputs {
            black_box(sessionizer.sessionize(&ids[c], signals));
        }
    });

    let late_events = touched.iter().map(|&c| late[c].len()).sum::<usize>();
    let mut figure = figure(
        "incremental",
        processed,
        touched.len(),
        seconds,
        sort_seconds,
        sessions,
    );
    figure.peak_rss_mb = peak_rss_mb;
    figure.late_events = Some(late_events as u64);
    figure.late_events_per_s = Some(per_second(late_events, seconds));
    figure.full_rebuild_seconds = Some(full_rebuild_seconds);
    figure
}

fn figure(
    mode: &'static str,
    events: usize,
    contacts: usize,
    seconds: f64,
    sort_seconds: f64,
    sessions: usize,
) -> Figure {
    let events_per_s = per_second(events, seconds);
    Figure {
        mode,
        events: events as u64,
        contacts: contacts as u64,
        seconds,
        events_per_s,
        sort_seconds,
        sort_events_per_s: per_second(events, sort_seconds),
        ratio_to_sort: if sort_seconds > 0.0 {
            seconds / sort_seconds
        } else {
            0.0
        },
        nexmark_q11_multiple: events_per_s as f64 / NEXMARK_Q11_PER_CORE,
        sessions: sessions as u64,
        peak_rss_mb: rss::peak_mb(),
        late_events: None,
        late_events_per_s: None,
        full_rebuild_seconds: None,
    }
}

fn timed(work: impl FnOnce()) -> f64 {
    let started = Instant::now();
    work();
    started.elapsed().as_secs_f64()
}

fn per_second(count: usize, seconds: f64) -> u64 {
    if seconds > 0.0 {
        (count as f64 / seconds) as u64
    } else {
        0
    }
}

fn print_figure(figure: &Figure, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(figure)?);
    } else {
        println!(
            "{:<12} {:>10} {:>8.3} {:>11} {:>13} {:>6.2} {:>7.0} {:>9} {:>8}",
            figure.mode,
            figure.events,
            figure.seconds,
            figure.events_per_s,
            figure.sort_events_per_s,
            figure.ratio_to_sort,
            figure.nexmark_q11_multiple,
            figure.sessions,
            figure.peak_rss_mb
        );
        if let (Some(late), Some(rate), Some(full)) = (
            figure.late_events,
            figure.late_events_per_s,
            figure.full_rebuild_seconds,
        ) {
            println!(
                "{:<12} {late} late signals at {rate}/s; sessionizing the {} touched contacts \
                 from scratch instead took {full:.3} s",
                "", figure.contacts
            );
        }
    }
    Ok(())
}
