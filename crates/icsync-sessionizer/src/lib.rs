//! icsync's sessionizer: a contact's signals become sessions by Intercom's web rule,
//! incrementally and exactly. Pure: no IO, no async, never fails.
//!
//! **Invariant**: every function returns a value; what is odd about the input comes back as
//! [`Anomaly`] values beside the sessions, never as an error or a panic.
//!
//! # The rule
//!
//! A contact's *signals* are its custom events and its *seen-signals* (a sync saw its
//! `last_seen_at` move to an instant). Sorted by instant, the first signal opens a session;
//! each next signal opens a new one when **more than** [`SessionRules::session_gap_mins`]
//! passed since the previous signal, or when adding it would make the session last **longer
//! than** [`SessionRules::session_max_hours`] (first signal to this one); otherwise it joins
//! the open session. Exactly 30 minutes, or exactly 24 hours, stays in the session.
//! A session runs from its first signal to its last; `event_count` counts its events
//! (seen-signals shape sessions but are not events). Instants are kept to the microsecond.
//!
//! **Duplicates**: signals with the same instant and the same kind (both seen-signals, or
//! events of the same name) are one signal, as Intercom dedupes events on contact, name and
//! `created_at`. Giving a signal twice changes nothing.
//!
//! **Future signals**: a new signal later than `now` plus
//! [`SessionRules::future_tolerance_secs`] is kept and sessionized, and reported as
//! [`Anomaly::FutureSignal`].
//!
//! # Incremental rebuilds: the contract
//!
//! The rule decides each signal from the signals before it only. So when `new` signals arrive
//! for a contact (new activity, late events, re-read pages), every session that starts before
//! the earliest new signal's session stays as it is, and everything from there on may regroup:
//! a late signal in a gap can merge the sessions on both sides, and a signal prepended to a
//! session can push that session's later signals past the maximum duration, splitting it.
//!
//! For one contact, the caller (inbound):
//!
//! 1. reads the contact's stored sessions, `existing`;
//! 2. calls [`rebuild_window`]`(&existing, &new)` to learn `from`: the start of the last stored
//!    session starting at or before the earliest new signal (or that signal's instant when
//!    none does); `None` means `new` is empty and there is nothing to do;
//! 3. reads the contact's stored signals at or after `from`, `stored` (events and
//!    seen-signals; `new` ones may already be among them);
//! 4. calls [`Sessionizer::apply`]`(contact, &existing, stored, new)` and gets a [`Rebuild`];
//! 5. if `rebuild.changed`, writes `Store::replace_sessions(workspace, contact, rebuild.from,
//!    &rebuild.sessions)` (delete the contact's sessions starting at or after `from`, insert
//!    these) in the same transaction as the new signals;
//! 6. logs or counts `rebuild.anomalies`; on [`Anomaly::StoredSessionsDisagree`] or
//!    [`Anomaly::StoredSessionOverlaps`] it rebuilds the contact with
//!    [`Sessionizer::rebuild_all`].
//!
//! The result is exactly [`Sessionizer::sessionize`] over all signals, from `from` on, in
//! whatever order and batches the signals arrived, as long as the stored sessions were written
//! by this rule with the same parameters; [`Sessionizer::apply`] checks that the stored
//! sessions from `from` on are what the rule gives for `stored`, and reports when not. After a
//! change of `session_gap_mins` or `session_max_hours`, rebuild every contact with
//! [`Sessionizer::rebuild_all`]. The property tests (`src/tests/properties.rs`) hold this
//! contract to random signal sets, arrival orders and batchings.
//!
//! # Daily rollups
//!
//! [`daily_rollups`] turns sessions and events into per-account, per-local-day figures
//! (active users, sessions, events by name) in the workspace's IANA time zone.

mod anomaly;
mod pass;
mod rollup;
mod rules;
mod sessionizer;
mod signal;

pub use anomaly::Anomaly;
pub use rollup::{DailyRollup, daily_rollups};
pub use rules::{RulesError, SessionRules};
pub use sessionizer::{Rebuild, Sessionized, Sessionizer, rebuild_window};
pub use signal::{Signal, SignalKind, Timestamp};

#[cfg(test)]
mod tests;
