//! The per-workspace pacer: admits requests by priority, spreads them over Intercom's 10-second rate-limit
//! window from `X-RateLimit-*` headers, waits out 429s, bounds requests in flight, and owns the workspace's
//! counters and its one-scroll-at-a-time gate.
//!
//! One `Pacer` per Intercom workspace, shared by every client of that workspace (inbound, writeback,
//! on-view fetches): clone it, or build clients with [`crate::IntercomClient::with_pacer`], or use a
//! [`PacerRegistry`] keyed by workspace.

mod state;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::stats::{Counters, StatsSnapshot};
pub use state::Observation;
use state::{Decision, State};

/// Who is waiting for a request: higher priorities are admitted first when requests queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Priority {
    /// A CS person is waiting on a profile (on-view fetch, test-connection).
    OnView,
    /// Writeback of CS attributes.
    Writeback,
    /// Backfill and incremental sync.
    #[default]
    Backfill,
}

impl Priority {
    fn rank(self) -> usize {
        match self {
            Priority::OnView => 0,
            Priority::Writeback => 1,
            Priority::Backfill => 2,
        }
    }
}

/// Pacer settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PacerConfig {
    /// Most requests in flight at once (once the limit is known; a single probe before that).
    pub max_in_flight: usize,
    /// Intercom's rate-limit window.
    pub window: Duration,
    /// Fraction of the advertised limit to aim for (headroom for clock and network jitter).
    pub target_utilisation: f64,
    /// Extra wait after `X-RateLimit-Reset` before counting on a fresh window.
    pub reset_margin: Duration,
    /// Shortest wait after a 429 when Intercom gives no usable reset time.
    pub min_rate_limit_wait: Duration,
}

impl Default for PacerConfig {
    fn default() -> Self {
        PacerConfig {
            // Enough for the inbound streams' concurrency and writeback's together; the spacing,
            // not this bound, keeps a workspace within its rate limit.
            max_in_flight: 16,
            window: Duration::from_secs(10),
            target_utilisation: 0.97,
            reset_margin: Duration::from_millis(150),
            min_rate_limit_wait: Duration::from_secs(1),
        }
    }
}

/// What the pacer currently knows, for status pages and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacerStatus {
    /// `X-RateLimit-Limit` last seen.
    pub limit: Option<u32>,
    /// Estimated requests left in the current window.
    pub remaining_estimate: Option<i64>,
    /// Requests in flight.
    pub in_flight: usize,
    /// Requests waiting, by priority (on-view, writeback, backfill).
    pub waiting: [usize; 3],
}

struct Inner {
    config: PacerConfig,
    state: Mutex<State>,
    changed: Notify,
    counters: Counters,
    scroll_gate: Arc<tokio::sync::Mutex<()>>,
}

/// A per-workspace pacer handle; cheap to clone, all clones share one state.
#[derive(Clone)]
pub struct Pacer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacer")
            .field("status", &self.status())
            .finish()
    }
}

impl Pacer {
    /// A fresh pacer for one workspace.
    pub fn new(config: PacerConfig) -> Self {
        Pacer {
            inner: Arc::new(Inner {
                config,
                state: Mutex::new(State::new()),
                changed: Notify::new(),
                counters: Counters::default(),
                scroll_gate: Arc::new(tokio::sync::Mutex::new(())),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the state half-updated in a way that matters more
        // than stopping every request of the workspace would, so poisoning is ignored.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits for a slot at `priority`; the returned permit is the right to send one request.
    pub async fn acquire(&self, priority: Priority) -> Permit {
        let started = Instant::now();
        let ticket = self.state().enqueue(priority);
        let mut queued = Queued {
            pacer: self,
            priority,
            ticket,
            admitted: false,
        };
        loop {
            let mut changed = pin!(self.inner.changed.notified());
            changed.as_mut().enable();
            let decision =
                self.state()
                    .decide(ticket, priority, Instant::now(), &self.inner.config);
            match decision {
                Decision::Grant => {
                    queued.admitted = true;
                    self.inner.changed.notify_waiters();
                    self.inner.counters.add_pacer_wait(started.elapsed());
                    return Permit {
                        pacer: self.clone(),
                    };
                }
                Decision::WaitUntil(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = &mut changed => {}
                    }
                }
                Decision::WaitForChange => changed.await,
            }
        }
    }

    /// Feeds the `X-RateLimit-*` headers of one response.
    pub fn observe(&self, observation: Observation) {
        self.state()
            .observe(observation, Instant::now(), &self.inner.config);
        self.inner.changed.notify_waiters();
    }

    /// A 429: holds every request of the workspace for `wait` (at least the configured minimum).
    pub fn rate_limited(&self, wait: Duration) {
        let wait = wait.max(self.inner.config.min_rate_limit_wait);
        self.state().pause(Instant::now() + wait);
        self.inner.changed.notify_waiters();
    }

    /// Current knowledge of the rate limit and queues.
    pub fn status(&self) -> PacerStatus {
        let state = self.state();
        PacerStatus {
            limit: state.limit(),
            remaining_estimate: state.remaining_estimate(),
            in_flight: state.in_flight,
            waiting: state.waiting(),
        }
    }

    /// The workspace's counters so far.
    pub fn stats(&self) -> StatsSnapshot {
        self.inner.counters.snapshot()
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    pub(crate) fn config(&self) -> &PacerConfig {
        &self.inner.config
    }

    /// The workspace's scroll gate: Intercom allows one open scroll per app, so scrolls are serialised here.
    pub(crate) fn scroll_gate(&self) -> Arc<tokio::sync::Mutex<()>> {
        Arc::clone(&self.inner.scroll_gate)
    }

    /// Whether two handles share one pacer.
    pub fn same_as(&self, other: &Pacer) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

/// Removes a ticket whose `acquire` future was dropped before admission.
struct Queued<'a> {
    pacer: &'a Pacer,
    priority: Priority,
    ticket: u64,
    admitted: bool,
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        if !self.admitted {
            self.pacer.state().cancel(self.priority, self.ticket);
            self.pacer.inner.changed.notify_waiters();
        }
    }
}

/// The right to have one request in flight; dropping it frees the slot.
#[derive(Debug)]
pub struct Permit {
    pacer: Pacer,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.pacer.state().release();
        self.pacer.inner.changed.notify_waiters();
    }
}

/// Hands out one shared [`Pacer`] per workspace key, so every client of a workspace paces together.
#[derive(Debug, Clone, Default)]
pub struct PacerRegistry {
    pacers: Arc<Mutex<HashMap<String, Pacer>>>,
    config: PacerConfig,
}

impl PacerRegistry {
    /// A registry creating pacers with `config`.
    pub fn new(config: PacerConfig) -> Self {
        PacerRegistry {
            pacers: Arc::default(),
            config,
        }
    }

    /// The pacer of `workspace`, created on first use.
    pub fn pacer(&self, workspace: &str) -> Pacer {
        let mut pacers = self
            .pacers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        pacers
            .entry(workspace.to_owned())
            .or_insert_with(|| Pacer::new(self.config.clone()))
            .clone()
    }

    /// Forgets a workspace's pacer (after disconnect); clients still holding it keep working.
    pub fn remove(&self, workspace: &str) {
        let mut pacers = self
            .pacers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        pacers.remove(workspace);
    }
}
