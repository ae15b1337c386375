//! Per-workspace counters (requests, retries, 429s, pacer wait) for sync-run stats and benchmarks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Atomic counters shared by every client of a workspace (they live in its [`crate::Pacer`]).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
    server_errors: AtomicU64,
    transport_errors: AtomicU64,
    scroll_restarts: AtomicU64,
    pacer_wait_micros: AtomicU64,
}

impl Counters {
    pub(crate) fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn server_error(&self) {
        self.server_errors.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn transport_error(&self) {
        self.transport_errors.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn scroll_restart(&self) {
        self.scroll_restarts.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn add_pacer_wait(&self, waited: Duration) {
        let micros = u64::try_from(waited.as_micros()).unwrap_or(u64::MAX);
        self.pacer_wait_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            server_errors: self.server_errors.load(Ordering::Relaxed),
            transport_errors: self.transport_errors.load(Ordering::Relaxed),
            scroll_restarts: self.scroll_restarts.load(Ordering::Relaxed),
            pacer_wait: Duration::from_micros(self.pacer_wait_micros.load(Ordering::Relaxed)),
        }
    }
}

/// A point-in-time copy of a workspace's counters; subtract two with [`StatsSnapshot::since`] for one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct StatsSnapshot {
    /// HTTP requests sent (every attempt).
    pub requests: u64,
    /// Attempts that were repeats of a failed one.
    pub retries: u64,
    /// 429 answers.
    pub rate_limited: u64,
    /// 5xx answers.
    pub server_errors: u64,
    /// Connection failures and timeouts.
    pub transport_errors: u64,
    /// Company scrolls restarted from the beginning.
    pub scroll_restarts: u64,
    /// Total time requests waited in the pacer.
    pub pacer_wait: Duration,
}

impl StatsSnapshot {
    /// The counts accumulated since `earlier` (for one sync run).
    pub fn since(&self, earlier: &StatsSnapshot) -> StatsSnapshot {
        StatsSnapshot {
            requests: self.requests.saturating_sub(earlier.requests),
            retries: self.retries.saturating_sub(earlier.retries),
            rate_limited: self.rate_limited.saturating_sub(earlier.rate_limited),
            server_errors: self.server_errors.saturating_sub(earlier.server_errors),
            transport_errors: self
                .transport_errors
                .saturating_sub(earlier.transport_errors),
            scroll_restarts: self.scroll_restarts.saturating_sub(earlier.scroll_restarts),
            pacer_wait: self.pacer_wait.saturating_sub(earlier.pacer_wait),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_subtract_per_run() {
        let counters = Counters::default();
        counters.request();
        let before = counters.snapshot();
        counters.request();
        counters.retry();
        counters.rate_limited();
        counters.add_pacer_wait(Duration::from_millis(250));
        let run = counters.snapshot().since(&before);
        assert_eq!((run.requests, run.retries, run.rate_limited), (1, 1, 1));
        assert_eq!(run.pacer_wait, Duration::from_millis(250));
    }
}
