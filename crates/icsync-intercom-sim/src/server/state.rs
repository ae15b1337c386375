//! Shared server state: the model behind a lock, run-time knobs, the journal and caches.

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::config::{FaultConfig, SimConfig};
use crate::model::world::World;
use crate::server::journal::Journal;
use crate::server::search_cache::SearchCache;

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

pub(crate) fn now_secs() -> i64 {
    now_ms() / 1000
}

/// The one open company scroll of the workspace.
#[derive(Debug, Clone)]
pub(crate) struct Scroll {
    pub param: String,
    /// Next company slot to return.
    pub position: usize,
    pub last_used: Instant,
}

/// Knobs and counters changed while serving.
#[derive(Debug)]
pub(crate) struct Runtime {
    pub faults: FaultConfig,
    pub storm_until: Option<Instant>,
    pub search_lag: Duration,
    pub scroll_expiry: Duration,
    pub rate_limit: u32,
    /// Start (Unix seconds, multiple of 10) of the current rate-limit window.
    pub window_start: i64,
    pub window_used: u32,
    pub scroll: Option<Scroll>,
    /// OAuth codes not yet exchanged, with their expiry.
    pub oauth_codes: std::collections::HashMap<String, Instant>,
}

impl Runtime {
    pub(crate) fn new(cfg: &SimConfig) -> Self {
        let mut rt = Runtime {
            faults: FaultConfig::default(),
            storm_until: None,
            search_lag: cfg.search_lag,
            scroll_expiry: cfg.scroll_expiry,
            rate_limit: cfg.rate_limit_per_window,
            window_start: 0,
            window_used: 0,
            scroll: None,
            oauth_codes: std::collections::HashMap::new(),
        };
        rt.set_faults(cfg.faults.clone());
        rt
    }

    pub(crate) fn set_faults(&mut self, faults: FaultConfig) {
        self.storm_until = (faults.storm_429_secs > 0)
            .then(|| Instant::now() + Duration::from_secs(faults.storm_429_secs));
        self.faults = faults;
    }

    /// Counts one request against the 10-second window: `(limit, remaining, reset, allowed)`.
    pub(crate) fn take_budget(&mut self, now: i64) -> (u32, u32, i64, bool) {
        let window = now - now.rem_euclid(10);
        if window != self.window_start {
            self.window_start = window;
            self.window_used = 0;
        }
        let reset = window + 10;
        let storm = self.storm_until.is_some_and(|t| Instant::now() < t);
        if storm || self.window_used >= self.rate_limit {
            return (self.rate_limit, 0, reset, false);
        }
        self.window_used += 1;
        (
            self.rate_limit,
            self.rate_limit - self.window_used,
            reset,
            true,
        )
    }
}

#[derive(Debug)]
pub(crate) struct AppState {
    pub config: SimConfig,
    pub tz: chrono_tz::Tz,
    pub world: RwLock<World>,
    pub runtime: Mutex<Runtime>,
    pub journal: Mutex<Journal>,
    pub search_cache: Mutex<SearchCache>,
    /// `http://host:port` the simulator is reachable at (used in `pages.next` URLs).
    pub base_url: String,
    pub webhooks: crate::webhooks::Webhooks,
}

// A poisoned lock only means another request panicked mid-way; the data is still usable for a
// test double, so the guards recover it instead of propagating the panic.
impl AppState {
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, World> {
        self.world
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, World> {
        self.world
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn rt(&self) -> MutexGuard<'_, Runtime> {
        self.runtime
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn journal(&self) -> MutexGuard<'_, Journal> {
        self.journal
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn cache(&self) -> MutexGuard<'_, SearchCache> {
        self.search_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_resets_each_ten_second_window() {
        let cfg = SimConfig {
            rate_limit_per_window: 2,
            ..SimConfig::default()
        };
        let mut rt = Runtime::new(&cfg);
        assert_eq!(rt.take_budget(1005), (2, 1, 1010, true));
        assert_eq!(rt.take_budget(1006), (2, 0, 1010, true));
        assert_eq!(rt.take_budget(1009), (2, 0, 1010, false));
        assert_eq!(rt.take_budget(1010), (2, 1, 1020, true));
    }
}
