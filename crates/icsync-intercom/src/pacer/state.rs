//! The pacer's pure scheduling state: who goes next, when, and what the rate-limit headers allow. No IO, no clock reads.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::{PacerConfig, Priority};

/// Grants that may go out back to back to catch up with a schedule they fell behind.
const CATCH_UP_GRANTS: u32 = 8;
/// Most lateness a schedule is kept through (beyond it the pacer was idle: it starts afresh).
const MAX_CATCH_UP: Duration = Duration::from_millis(250);

/// How much faster than even spacing a window's leftover budget may be spent.
const MAX_SPEEDUP: u32 = 2;

/// Share of a window's limit that may go out at its start without spacing (as fast as the
/// requests in flight allow), when Intercom's answers confirm the window and no other app is seen
/// spending the budget. The rest of the window's budget is then spread over what is left of it,
/// so a window never gets more than its budget; a run's last window, usually partly needed, ends
/// that much sooner.
const OPENING_BURST: f64 = 0.25;
/// Other apps' spending (share of the limit per window) below which the budget counts as ours alone.
const QUIET_FOREIGN_SHARE: f64 = 0.01;
/// When the budget Intercom reports is left only for other apps' expected spending, the next
/// request waits this long at least (a quarter of the window's rest at most), not for the reset.
const PROBE_AFTER: Duration = Duration::from_secs(1);

/// What a waiting ticket should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Send now (the slot is taken).
    Grant,
    /// Sleep until then (or until woken), then ask again.
    WaitUntil(Instant),
    /// Wait to be woken (a slot frees, the queue head changes).
    WaitForChange,
}

/// The budget of the current rate-limit window, as last reported by Intercom and counted down since.
#[derive(Debug, Clone, Copy)]
struct Budget {
    /// Requests still allowed before `reset_at` (estimate): the lower of `own` and what Intercom
    /// last reported less our requests it may not have counted yet, both counted down per grant.
    remaining: i64,
    /// The window's budget as first reported, counted down by our own grants only.
    own: i64,
    /// The lowest `X-RateLimit-Remaining` reported in the window (Intercom's count only falls
    /// within a window, so the lowest is the latest, whatever order answers arrive in).
    reported: i64,
    /// When the window resets.
    reset_at: Instant,
    /// Requests this pacer granted in the window.
    granted: u32,
    /// Requests per second other apps of the workspace spend (they share the budget), estimated from the
    /// budget Intercom reports used beyond ours; carried over from window to window.
    foreign_rate: f64,
    /// An answer from Intercom in this window reported it (not only our clock rolling it over:
    /// `X-RateLimit-Reset` is whole seconds, so a window rolled by the clock may not have begun yet).
    confirmed: bool,
}

impl Budget {
    fn fresh(
        remaining: i64,
        reported: i64,
        reset_at: Instant,
        foreign_rate: f64,
        confirmed: bool,
    ) -> Budget {
        Budget {
            remaining,
            own: remaining,
            reported,
            reset_at,
            granted: 0,
            foreign_rate,
            confirmed,
        }
    }
}

/// One observation of `X-RateLimit-*` headers, with the reset already turned into a delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Observation {
    /// `X-RateLimit-Limit`: requests allowed per window.
    pub limit: Option<u32>,
    /// `X-RateLimit-Remaining`.
    pub remaining: Option<u32>,
    /// Time until `X-RateLimit-Reset`.
    pub reset_after: Option<Duration>,
}

#[derive(Debug)]
pub(crate) struct State {
    queues: [VecDeque<u64>; 3],
    next_ticket: u64,
    pub(crate) in_flight: usize,
    next_send_at: Option<Instant>,
    last_grant_at: Option<Instant>,
    paused_until: Option<Instant>,
    limit: Option<u32>,
    budget: Option<Budget>,
    /// After a 429, one request at a time until an answer shows the window is fresh again.
    probing: bool,
}

impl State {
    pub(crate) fn new() -> Self {
        State {
            queues: Default::default(),
            next_ticket: 0,
            in_flight: 0,
            next_send_at: None,
            last_grant_at: None,
            paused_until: None,
            limit: None,
            budget: None,
            probing: false,
        }
    }

    pub(crate) fn enqueue(&mut self, priority: Priority) -> u64 {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.queues[priority.rank()].push_back(ticket);
        ticket
    }

    /// Removes a ticket that gave up waiting (its future was dropped).
    pub(crate) fn cancel(&mut self, priority: Priority, ticket: u64) {
        self.queues[priority.rank()].retain(|t| *t != ticket);
    }

    pub(crate) fn waiting(&self) -> [usize; 3] {
        [
            self.queues[0].len(),
            self.queues[1].len(),
            self.queues[2].len(),
        ]
    }

    pub(crate) fn limit(&self) -> Option<u32> {
        self.limit
    }

    pub(crate) fn remaining_estimate(&self) -> Option<i64> {
        self.budget.map(|b| b.remaining)
    }

    fn head(&self) -> Option<u64> {
        self.queues.iter().find_map(|q| q.front().copied())
    }

    /// The steady spacing between sends: the window divided by the limit, less a little headroom.
    fn base_interval(&self, config: &PacerConfig) -> Duration {
        match self.limit {
            Some(limit) if limit > 0 => config
                .window
                .div_f64(f64::from(limit) * config.target_utilisation),
            _ => Duration::ZERO,
        }
    }

    /// Rolls the budget into the next window once its reset time has passed; without a known limit (a 429
    /// before any headers) the budget is simply forgotten.
    fn roll_window(&mut self, now: Instant, config: &PacerConfig) {
        let Some(budget) = self.budget.as_mut() else {
            return;
        };
        if now < budget.reset_at {
            return;
        }
        match self.limit {
            Some(limit) if !config.window.is_zero() => {
                let windows_behind =
                    ((now - budget.reset_at).as_secs_f64() / config.window.as_secs_f64()).floor();
                // At most a few thousand windows after an idle day: fits in u32.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let windows = windows_behind.min(f64::from(u32::MAX - 1)) as u32 + 1;
                budget.reset_at += config.window * windows;
                budget.remaining = i64::from(limit);
                budget.own = i64::from(limit);
                budget.reported = i64::from(limit);
                budget.granted = 0;
                budget.confirmed = false;
            }
            _ => self.budget = None,
        }
    }

    /// Decides for `ticket` (queued at `priority`) at time `now`; on `Grant` the slot is taken.
    pub(crate) fn decide(
        &mut self,
        ticket: u64,
        priority: Priority,
        now: Instant,
        config: &PacerConfig,
    ) -> Decision {
        if self.head() != Some(ticket) {
            return Decision::WaitForChange;
        }
        let max_in_flight = if self.limit.is_some() && !self.probing {
            config.max_in_flight.max(1)
        } else {
            1
        };
        if self.in_flight >= max_in_flight {
            return Decision::WaitForChange;
        }
        if let Some(until) = self.paused_until {
            if now < until {
                return Decision::WaitUntil(until);
            }
            self.paused_until = None;
        }
        if let Some(at) = self.next_send_at
            && now < at
        {
            return Decision::WaitUntil(at);
        }
        // A spent budget is trusted to be fresh only a margin after the reset (clocks and rounding differ).
        if let Some(budget) = self.budget
            && budget.remaining <= 0
            && now < budget.reset_at + config.reset_margin
        {
            return Decision::WaitUntil(budget.reset_at + config.reset_margin);
        }
        self.roll_window(now, config);

        // Grant.
        self.queues[priority.rank()].pop_front();
        self.in_flight += 1;
        let base = self.base_interval(config);
        let mut interval = base;
        if let Some(budget) = self.budget.as_mut() {
            budget.remaining -= 1;
            budget.own -= 1;
            budget.granted += 1;
            // Spread what is left of this window's budget, less a headroom (clock and network
            // jitter) and less what other apps of the workspace are expected to spend, over the time
            // left in it: evenly over a fresh window; faster when a run starts late in one, since
            // Intercom counts per fixed window and `X-RateLimit-Reset` says when it ends; slower
            // when others drain the budget, so neither we nor they end the window in 429s.
            if budget.reset_at > now {
                let left = budget.reset_at - now;
                let headroom = self
                    .limit
                    .map_or(0.0, |l| f64::from(l) * (1.0 - config.target_utilisation));
                let usable =
                    budget.remaining as f64 - headroom - budget.foreign_rate * left.as_secs_f64();
                let limit = f64::from(self.limit.unwrap_or(0));
                let opening = budget.confirmed
                    && f64::from(budget.granted) <= limit * OPENING_BURST
                    && budget.foreign_rate * config.window.as_secs_f64()
                        < limit * QUIET_FOREIGN_SHARE;
                interval = if usable >= 1.0 && opening {
                    Duration::ZERO
                } else if usable >= 1.0 {
                    left.div_f64(usable).max(base / MAX_SPEEDUP)
                } else if budget.remaining as f64 - headroom >= 1.0 && left > PROBE_AFTER * 2 {
                    // Intercom's count leaves budget and only the expected spending of other
                    // apps takes it: look again later in the window. The expectation is measured
                    // from answers a second or more into a window, so waiting for the next
                    // window (whose first request measures nothing) would keep it for good: a
                    // burst by another app left one request per window long after it stopped.
                    (left / 4).max(PROBE_AFTER)
                } else {
                    left + config.reset_margin
                };
            }
        }
        // Keep the schedule when the grant is late, so the grants after it catch up: timers fire on
        // millisecond ticks and a busy machine wakes sleepers later still, which at 1,667 requests
        // per 10 s (6 ms apart) would otherwise cost a sixth of the budget. Only a grant later than
        // the catch-up allowance (idle time) restarts the schedule, so no burst follows idleness:
        // at most `CATCH_UP_GRANTS` go out back to back, and the window's budget still bounds them.
        let catch_up = (base * CATCH_UP_GRANTS).min(MAX_CATCH_UP);
        let from = match self.next_send_at {
            Some(at) if now <= at + catch_up => at,
            _ => now,
        };
        self.next_send_at = Some(from + interval);
        self.last_grant_at = Some(now);
        Decision::Grant
    }

    pub(crate) fn release(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Applies rate-limit headers seen at `now`. Requests still in flight may not be counted in `remaining`
    /// yet, so they are subtracted (a conservative estimate).
    pub(crate) fn observe(&mut self, obs: Observation, now: Instant, config: &PacerConfig) {
        if let Some(limit) = obs.limit
            && limit > 0
        {
            let learnt = self.limit != Some(limit);
            self.limit = Some(limit);
            // Requests granted before the limit was known (the probe) count towards the spacing
            // too. Only then: after every answer it would restart the schedule from the last
            // grant, so each grant's lateness (a timer tick at least) would add to the spacing.
            if learnt && let Some(last) = self.last_grant_at {
                let earliest = last + self.base_interval(config);
                self.next_send_at = Some(self.next_send_at.map_or(earliest, |at| at.max(earliest)));
            }
        }
        let Some(remaining) = obs.remaining else {
            return;
        };
        // An answer with budget left ends probing; a 429 (which calls `pause` right after) starts it again.
        if remaining > 0 {
            self.probing = false;
        }
        let reset_at = now
            + obs
                .reset_after
                .unwrap_or(config.window)
                .min(config.window * 2);
        let in_flight_others = i64::try_from(self.in_flight.saturating_sub(1)).unwrap_or(i64::MAX);
        let observed = i64::from(remaining) - in_flight_others;
        let window_start = reset_at.checked_sub(config.window);
        let used = self
            .limit
            .map(|limit| i64::from(limit) - i64::from(remaining));
        self.budget = Some(match self.budget {
            // Same window (reset within a second of ours): keep the lower estimate.
            Some(b)
                if reset_at <= b.reset_at + Duration::from_secs(1)
                    && b.reset_at <= reset_at + Duration::from_secs(1) =>
            {
                // Budget used beyond what we granted (less a slack for our requests that crossed the window
                // boundary in flight) was spent by other apps.
                let elapsed = window_start.map(|start| now.saturating_duration_since(start));
                let foreign_rate = match (used, elapsed) {
                    (Some(used), Some(elapsed)) if elapsed >= Duration::from_secs(1) => {
                        // Our requests in flight may or may not be counted yet.
                        let slack = i64::try_from(self.in_flight).unwrap_or(i64::MAX);
                        (used - i64::from(b.granted) - slack).max(0) as f64 / elapsed.as_secs_f64()
                    }
                    _ => b.foreign_rate,
                };
                // Recomputed from the lowest report, not kept as a running minimum: requests in
                // flight at one answer (a burst) are counted by the next ones, so a low estimate
                // taken mid-burst does not hold for the rest of the window.
                let reported = b.reported.min(i64::from(remaining));
                Budget {
                    remaining: b.own.min(reported - in_flight_others),
                    own: b.own,
                    reported,
                    reset_at: b.reset_at.max(reset_at),
                    granted: b.granted,
                    foreign_rate,
                    confirmed: true,
                }
            }
            // An answer from an older window arriving late: ignore it.
            Some(b) if reset_at + Duration::from_secs(1) < b.reset_at => b,
            Some(b) => Budget::fresh(
                observed,
                i64::from(remaining),
                reset_at,
                b.foreign_rate,
                true,
            ),
            None => Budget::fresh(observed, i64::from(remaining), reset_at, 0.0, true),
        });
    }

    /// A 429: nobody sends before `until`, and the window's budget is spent.
    pub(crate) fn pause(&mut self, until: Instant) {
        self.probing = true;
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
        match self.budget.as_mut() {
            // The 429's reset is the freshest word on when the window ends.
            Some(b) => {
                b.remaining = 0;
                b.own = 0;
                b.reported = 0;
                b.reset_at = until;
                b.confirmed = false;
            }
            None => self.budget = Some(Budget::fresh(0, 0, until, 0.0, false)),
        }
    }
}
