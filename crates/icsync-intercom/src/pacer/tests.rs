//! Pacer tests on tokio's paused clock, against a model of Intercom's fixed 10-second rate-limit windows.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::*;

/// Intercom's limiter as modelled here: fixed windows of `window` starting at `origin`, `limit` requests each.
struct FakeIntercom {
    origin: Instant,
    window: Duration,
    limit: u32,
    counts: Mutex<HashMap<u64, u32>>,
    sends: Mutex<Vec<Instant>>,
    rejected: Mutex<u32>,
}

enum Answer {
    Ok(Observation),
    TooMany(Duration),
}

impl FakeIntercom {
    fn new(limit: u32, offset: Duration) -> Arc<Self> {
        Arc::new(FakeIntercom {
            origin: Instant::now() - offset,
            window: Duration::from_secs(10),
            limit,
            counts: Mutex::default(),
            sends: Mutex::default(),
            rejected: Mutex::default(),
        })
    }

    fn receive(&self) -> Answer {
        let now = Instant::now();
        let index = ((now - self.origin).as_secs_f64() / self.window.as_secs_f64()).floor() as u64;
        let window_end = self.origin + self.window * u32::try_from(index + 1).unwrap_or(u32::MAX);
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let used = counts.entry(index).or_default();
        if *used >= self.limit {
            *self.rejected.lock().unwrap_or_else(|p| p.into_inner()) += 1;
            return Answer::TooMany(window_end - now);
        }
        *used += 1;
        self.sends
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(now);
        Answer::Ok(Observation {
            limit: Some(self.limit),
            remaining: Some(self.limit - *used),
            reset_after: Some(window_end - now),
        })
    }

    fn sends(&self) -> Vec<Instant> {
        self.sends.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn rejected(&self) -> u32 {
        *self.rejected.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// `workers` tasks sending through `pacer` for `run` of simulated time, each request taking `latency`.
async fn drive(
    pacer: &Pacer,
    server: &Arc<FakeIntercom>,
    workers: usize,
    latency: Duration,
    run: Duration,
) {
    let deadline = Instant::now() + run;
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (pacer, server) = (pacer.clone(), Arc::clone(server));
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let permit = pacer.acquire(Priority::Backfill).await;
                let answer = server.receive();
                tokio::time::sleep(latency).await;
                match answer {
                    Answer::Ok(observation) => pacer.observe(observation),
                    Answer::TooMany(wait) => pacer.rate_limited(wait),
                }
                drop(permit);
            }
        }));
    }
    for task in tasks {
        assert!(task.await.is_ok());
    }
}

/// The most requests sent in one of the server's fixed windows (Intercom counts per fixed
/// 10-second window: a run may spend a window's leftover budget faster than evenly).
/// Another app of the workspace spending its budget: `max` requests at most, `gap` apart, for
/// `run` of simulated time; returns how many Intercom accepted.
fn other_app(
    server: &Arc<FakeIntercom>,
    gap: Duration,
    run: Duration,
    max: u32,
) -> tokio::task::JoinHandle<u32> {
    let server = Arc::clone(server);
    tokio::spawn(async move {
        let deadline = Instant::now() + run;
        let (mut sent, mut accepted) = (0u32, 0u32);
        while Instant::now() < deadline && sent < max {
            sent += 1;
            if let Answer::Ok(_) = server.receive() {
                accepted += 1;
            }
            tokio::time::sleep(gap).await;
        }
        accepted
    })
}

/// Requests the server accepted in the first `span` of its window `k` (0 is the first).
fn sent_in(server: &FakeIntercom, k: u32, span: Duration) -> usize {
    let start = server.origin + server.window * k;
    server
        .sends()
        .iter()
        .filter(|t| **t >= start && **t < start + span)
        .count()
}

fn max_in_any_window(server: &FakeIntercom) -> usize {
    let counts = server.counts.lock().unwrap_or_else(|p| p.into_inner());
    counts.values().copied().max().unwrap_or(0) as usize
}

async fn check_sustained_rate(limit: u32, workers: usize, latency: Duration) {
    let server = FakeIntercom::new(limit, Duration::from_millis(3300));
    let pacer = Pacer::new(PacerConfig::default());
    let run = Duration::from_secs(120);
    let started = Instant::now();
    drive(&pacer, &server, workers, latency, run).await;

    let sends = server.sends();
    let window = Duration::from_secs(10);
    let busiest = max_in_any_window(&server);
    if std::env::var("PACER_DEBUG").is_ok() {
        let gaps: Vec<u128> = sends
            .windows(2)
            .map(|w| (w[1] - w[0]).as_millis())
            .collect();
        eprintln!("L={limit} gaps {gaps:?}");
    }
    assert!(
        busiest <= limit as usize,
        "L={limit}: {busiest} requests in one 10 s window"
    );
    assert_eq!(server.rejected(), 0, "L={limit}: the pacer ran into 429s");

    // Sustained rate once the limit is known (skip the first window): above 90% of L per window.
    let steady: Vec<_> = sends
        .iter()
        .filter(|t| **t >= started + window && **t < started + run)
        .collect();
    let windows = (run - window).as_secs_f64() / window.as_secs_f64();
    let per_window = steady.len() as f64 / windows;
    assert!(
        per_window > 0.9 * f64::from(limit),
        "L={limit}: only {per_window:.1} requests per window"
    );
    assert!(
        per_window <= f64::from(limit),
        "L={limit}: {per_window:.1} requests per window"
    );
    eprintln!(
        "pacer L={limit} workers={workers} latency={latency:?}: {per_window:.1} per window, busiest window {busiest}"
    );
}

#[tokio::test(start_paused = true)]
async fn sustained_rate_stays_within_the_limit_and_above_90_percent_of_it() {
    // Intercom's usual 167 per 10 s, slow answers (several in flight).
    check_sustained_rate(167, 8, Duration::from_millis(250)).await;
    // A small budget, fast answers.
    check_sustained_rate(20, 4, Duration::from_millis(30)).await;
    // A large budget, where max_in_flight and latency bound the rate below the limit would be a failure too.
    check_sustained_rate(83, 2, Duration::from_millis(60)).await;
}

#[tokio::test(start_paused = true)]
async fn higher_priorities_are_admitted_first() {
    let pacer = Pacer::new(PacerConfig {
        max_in_flight: 1,
        ..PacerConfig::default()
    });
    pacer.observe(Observation {
        limit: Some(1000),
        remaining: Some(1000),
        reset_after: Some(Duration::from_secs(10)),
    });
    let blocker = pacer.acquire(Priority::Backfill).await;

    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for priority in [
        Priority::Backfill,
        Priority::Backfill,
        Priority::Writeback,
        Priority::OnView,
        Priority::Backfill,
        Priority::OnView,
        Priority::Writeback,
    ] {
        let (pacer, order) = (pacer.clone(), Arc::clone(&order));
        tasks.push(tokio::spawn(async move {
            let permit = pacer.acquire(priority).await;
            order
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(priority);
            tokio::time::sleep(Duration::from_millis(5)).await;
            drop(permit);
        }));
        tokio::task::yield_now().await;
    }
    assert_eq!(pacer.status().waiting, [2, 2, 3]);
    drop(blocker);
    for task in tasks {
        assert!(task.await.is_ok());
    }
    let order = order.lock().unwrap_or_else(|p| p.into_inner()).clone();
    use Priority::*;
    assert_eq!(
        order,
        vec![
            OnView, OnView, Writeback, Writeback, Backfill, Backfill, Backfill
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_holds_every_caller_until_the_reset() {
    let pacer = Pacer::new(PacerConfig::default());
    pacer.observe(Observation {
        limit: Some(100),
        remaining: Some(50),
        reset_after: Some(Duration::from_secs(10)),
    });
    pacer.rate_limited(Duration::from_secs(4));
    let before = Instant::now();
    let permit = pacer.acquire(Priority::OnView).await;
    let waited = before.elapsed();
    assert!(waited >= Duration::from_secs(4), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    drop(permit);
    assert!(pacer.stats().pacer_wait >= Duration::from_secs(4));
}

#[tokio::test(start_paused = true)]
async fn before_any_headers_only_one_request_is_in_flight() {
    let pacer = Pacer::new(PacerConfig {
        max_in_flight: 4,
        ..PacerConfig::default()
    });
    let first = pacer.acquire(Priority::Backfill).await;
    let second =
        tokio::time::timeout(Duration::from_secs(1), pacer.acquire(Priority::Backfill)).await;
    assert!(
        second.is_err(),
        "a second request went out before the limit was known"
    );
    pacer.observe(Observation {
        limit: Some(100),
        remaining: Some(99),
        reset_after: Some(Duration::from_secs(10)),
    });
    let second =
        tokio::time::timeout(Duration::from_secs(1), pacer.acquire(Priority::Backfill)).await;
    assert!(second.is_ok());
    drop(first);
}

#[tokio::test(start_paused = true)]
async fn an_abandoned_wait_does_not_block_the_queue() {
    let pacer = Pacer::new(PacerConfig {
        max_in_flight: 1,
        ..PacerConfig::default()
    });
    pacer.observe(Observation {
        limit: Some(1000),
        remaining: Some(1000),
        reset_after: Some(Duration::from_secs(10)),
    });
    let held = pacer.acquire(Priority::Backfill).await;
    // An on-view request gives up (its future is dropped) while queued ahead of a backfill one.
    let abandoned =
        tokio::time::timeout(Duration::from_millis(10), pacer.acquire(Priority::OnView)).await;
    assert!(abandoned.is_err());
    let pacer2 = pacer.clone();
    let backfill = tokio::spawn(async move { drop(pacer2.acquire(Priority::Backfill).await) });
    tokio::task::yield_now().await;
    drop(held);
    assert!(
        tokio::time::timeout(Duration::from_secs(1), backfill)
            .await
            .is_ok()
    );
    assert_eq!(pacer.status().waiting, [0, 0, 0]);
}

#[tokio::test(start_paused = true)]
async fn a_budget_drained_by_another_app_slows_requests_down() {
    // 100 per window, but another app of the workspace left only 10 for the 10 s until the reset.
    let pacer = Pacer::new(PacerConfig {
        max_in_flight: 1,
        ..PacerConfig::default()
    });
    pacer.observe(Observation {
        limit: Some(100),
        remaining: Some(10),
        reset_after: Some(Duration::from_secs(10)),
    });
    let start = Instant::now();
    for _ in 0..10 {
        drop(pacer.acquire(Priority::Backfill).await);
    }
    let spent = start.elapsed();
    // Spread over the window (about a second apart), not 10 requests 0.1 s apart.
    assert!(spent >= Duration::from_secs(7), "{spent:?}");
    // The 11th waits for the reset.
    drop(pacer.acquire(Priority::Backfill).await);
    assert!(
        start.elapsed() >= Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn registry_shares_one_pacer_per_workspace() {
    let registry = PacerRegistry::new(PacerConfig::default());
    let a = registry.pacer("ws-1");
    assert!(a.same_as(&registry.pacer("ws-1")));
    assert!(!a.same_as(&registry.pacer("ws-2")));
    registry.remove("ws-1");
    assert!(!a.same_as(&registry.pacer("ws-1")));
}

#[tokio::test(start_paused = true)]
async fn a_429_before_any_headers_does_not_wedge_the_queue() {
    let pacer = Pacer::new(PacerConfig::default());
    pacer.rate_limited(Duration::from_secs(2));
    let start = Instant::now();
    let permit =
        tokio::time::timeout(Duration::from_secs(3), pacer.acquire(Priority::Backfill)).await;
    assert!(
        permit.is_ok(),
        "still waiting after the 429's wait was over"
    );
    assert!(start.elapsed() >= Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn after_a_429_one_probe_goes_first() {
    let pacer = Pacer::new(PacerConfig {
        max_in_flight: 4,
        ..PacerConfig::default()
    });
    pacer.observe(Observation {
        limit: Some(1000),
        remaining: Some(900),
        reset_after: Some(Duration::from_secs(10)),
    });
    pacer.rate_limited(Duration::from_secs(1));
    let probe = pacer.acquire(Priority::Backfill).await;
    let second =
        tokio::time::timeout(Duration::from_secs(1), pacer.acquire(Priority::Backfill)).await;
    assert!(
        second.is_err(),
        "a second request went out before the probe answered"
    );
    pacer.observe(Observation {
        limit: Some(1000),
        remaining: Some(999),
        reset_after: Some(Duration::from_secs(10)),
    });
    assert!(
        tokio::time::timeout(Duration::from_secs(1), pacer.acquire(Priority::Backfill))
            .await
            .is_ok()
    );
    drop(probe);
}

#[tokio::test(start_paused = true)]
async fn another_app_sharing_the_budget_slows_us_down_instead_of_causing_429s() {
    // Another private app of the workspace spends a third of the budget, evenly, without any pacer.
    let limit = 90;
    let server = FakeIntercom::new(limit, Duration::from_millis(1700));
    let pacer = Pacer::new(PacerConfig::default());
    let run = Duration::from_secs(120);
    let other = other_app(
        &server,
        Duration::from_secs(10) / (limit / 3),
        run,
        u32::MAX,
    );
    drive(&pacer, &server, 6, Duration::from_millis(80), run).await;
    let others = other.await.unwrap_or_default();
    let ours = server.sends().len() as u32 - others;
    let rejected = server.rejected();
    eprintln!("shared budget L={limit}: ours {ours}, other app {others}, 429s {rejected}");
    assert!(
        rejected * 100 <= ours + others,
        "{rejected} 429s for {} requests",
        ours + others
    );
    // We get most of what is left: above 80% of two thirds of the budget.
    assert!(
        f64::from(ours) > 0.8 * f64::from(limit) * 2.0 / 3.0 * 12.0,
        "ours {ours}"
    );
}

/// A sleeper woken `late` after its deadline every time (timer ticks, a busy machine), against
/// fixed 10-second windows of `limit`: the share of the limit granted per window.
fn share_granted_with_late_wakeups(limit: u32, late: impl Fn(u64) -> Duration) -> f64 {
    let config = PacerConfig::default();
    let mut state = State::new();
    let origin = Instant::now();
    let window = config.window;
    let run = Duration::from_secs(120);
    let mut now = origin;
    let mut counts: HashMap<u64, u32> = HashMap::new();
    let mut wakeups = 0u64;
    let mut ticket = state.enqueue(Priority::Backfill);
    while now < origin + run {
        match state.decide(ticket, Priority::Backfill, now, &config) {
            Decision::Grant => {
                let index = ((now - origin).as_secs_f64() / window.as_secs_f64()).floor() as u64;
                let used = counts.entry(index).or_default();
                *used += 1;
                assert!(*used <= limit, "window {index}: more than {limit} requests");
                let end = origin + window * u32::try_from(index + 1).unwrap_or(u32::MAX);
                state.observe(
                    Observation {
                        limit: Some(limit),
                        remaining: Some(limit - *used),
                        reset_after: Some(end - now),
                    },
                    now,
                    &config,
                );
                state.release();
                ticket = state.enqueue(Priority::Backfill);
            }
            Decision::WaitUntil(at) => {
                wakeups += 1;
                now = at.max(now) + late(wakeups);
            }
            Decision::WaitForChange => panic!("one caller, nothing in flight: never blocked"),
        }
    }
    // Skip the first window (the limit is learnt in it) and the unfinished last one.
    let full: Vec<u32> = (1..run.as_secs() / window.as_secs())
        .map(|i| counts.get(&i).copied().unwrap_or(0))
        .collect();
    if std::env::var("PACER_DEBUG").is_ok() {
        eprintln!("L={limit}: per window {full:?}");
    }
    f64::from(full.iter().sum::<u32>()) / (full.len() as f64 * f64::from(limit))
}

#[test]
fn late_timer_wakeups_do_not_cost_budget() {
    // Tokio timers fire on millisecond ticks; under load wakeups come later still. At 1,667 per
    // 10 s the spacing is ~6 ms, so a restarted schedule would lose a sixth of the budget or more.
    for (limit, late_ms) in [(1_667, 1.3), (1_667, 4.0), (167, 1.3), (5_000, 1.0)] {
        let share =
            share_granted_with_late_wakeups(limit, |_| Duration::from_secs_f64(late_ms / 1000.0));
        assert!(
            share >= 0.94,
            "L={limit}, wakeups {late_ms} ms late: {:.1}% of the limit granted",
            share * 100.0
        );
    }
    // Irregular lateness, now and then a long stall (a busy machine).
    let share = share_granted_with_late_wakeups(1_667, |n| match n % 97 {
        0 => Duration::from_millis(40),
        k => Duration::from_micros(300 + (k * 71 % 3_000)),
    });
    assert!(share >= 0.92, "irregular wakeups: {:.1}%", share * 100.0);
}

#[tokio::test(start_paused = true)]
async fn a_confirmed_window_opens_with_a_burst_and_stays_within_its_budget() {
    let limit = 1_667;
    let server = FakeIntercom::new(limit, Duration::from_millis(4200));
    let pacer = Pacer::new(PacerConfig::default());
    drive(
        &pacer,
        &server,
        16,
        Duration::from_millis(5),
        Duration::from_secs(40),
    )
    .await;
    assert_eq!(server.rejected(), 0, "the burst ran into 429s");
    assert!(max_in_any_window(&server) <= limit as usize);
    // The server's windows start at origin + k × 10 s; look at the first 400 ms of each full one.
    for k in 1..4u32 {
        let opening = sent_in(&server, k, Duration::from_millis(400));
        // Evenly spaced, 400 ms holds ~65 requests; the burst is a quarter of the limit.
        assert!(
            opening >= 300,
            "window {k}: {opening} requests in its first 400 ms"
        );
        let whole = sent_in(&server, k, server.window);
        assert!(
            whole as f64 >= 0.9 * f64::from(limit),
            "window {k}: {whole} requests in all"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn no_opening_burst_while_another_app_spends_the_budget() {
    let limit = 300;
    let server = FakeIntercom::new(limit, Duration::from_millis(1700));
    let pacer = Pacer::new(PacerConfig::default());
    let run = Duration::from_secs(60);
    let other = other_app(
        &server,
        Duration::from_secs(10) / (limit / 5),
        run,
        u32::MAX,
    );
    drive(&pacer, &server, 16, Duration::from_millis(5), run).await;
    assert!(other.await.is_ok());
    // From the third window on, the other app's share is known: ours open evenly (plus its ~6).
    for k in 3..6u32 {
        let opening = sent_in(&server, k, Duration::from_millis(500));
        assert!(
            opening <= 30,
            "window {k}: {opening} requests in its first 500 ms"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_short_burst_by_another_app_slows_us_for_its_window_only() {
    // Another app spends most of a window's budget in its first second, then stops (a killed
    // run of ours, say, or a one-off export). Its spending rate, measured in that second, must
    // not be expected of every later window: that left one request per window for good, since
    // a request sent at a window's start measures nothing.
    let limit = 300;
    let server = FakeIntercom::new(limit, Duration::from_millis(1700));
    let pacer = Pacer::new(PacerConfig::default());
    let run = Duration::from_secs(60);
    let other = other_app(&server, Duration::from_millis(4), run, 200);
    drive(&pacer, &server, 16, Duration::from_millis(5), run).await;
    assert!(other.await.is_ok());
    let per_window: Vec<usize> = (0..6u32)
        .map(|k| sent_in(&server, k, server.window))
        .collect();
    eprintln!("after a burst by another app: {per_window:?}");
    assert_eq!(server.rejected(), 0, "{per_window:?}");
    // From the window after the burst on, the budget is ours again.
    for (k, &sent) in per_window.iter().enumerate().skip(1) {
        assert!(
            sent as f64 >= 0.85 * f64::from(limit),
            "window {k}: {sent} of {limit} ({per_window:?})"
        );
    }
}
