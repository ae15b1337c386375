//! Signals: the instants a contact was seen doing something, in a compact, cheaply sorted form.

use chrono::{DateTime, Utc};
use icsync_domain::Event;
use std::fmt;

/// An instant, as microseconds since the Unix epoch (UTC).
///
/// Microseconds are what the store keeps (PostgreSQL's `timestamptz` precision) and Intercom
/// sends whole seconds, so nothing real is lost; a sub-microsecond part is dropped (floored).
/// Every value comes from a [`DateTime<Utc>`], and any `DateTime<Utc>` fits: chrono's range
/// (about ±262,000 years) is inside an `i64` of microseconds (about ±292,000 years).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn from_datetime(at: DateTime<Utc>) -> Self {
        Self(at.timestamp_micros())
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        // Cannot fail: every Timestamp was made from a DateTime<Utc>, whose whole range fits
        // (see the type's docs). The fallback only keeps this total.
        DateTime::from_timestamp_micros(self.0).unwrap_or_default()
    }

    /// Microseconds since the Unix epoch.
    pub fn micros(self) -> i64 {
        self.0
    }

    /// `self` plus `micros`, no later than chrono's last instant (so it stays a valid instant).
    pub(crate) fn saturating_add_micros(self, micros: i64) -> Self {
        Self(
            self.0
                .saturating_add(micros)
                .min(DateTime::<Utc>::MAX_UTC.timestamp_micros()),
        )
    }

    /// `self - earlier` in microseconds, saturating (two instants at the ends of chrono's range
    /// are further apart than an `i64` of microseconds holds).
    pub(crate) fn micros_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(at: DateTime<Utc>) -> Self {
        Self::from_datetime(at)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_datetime().format("%Y-%m-%dT%H:%M:%S%.6fZ"))
    }
}

/// What a signal is: a seen-signal, or a custom event with its name.
///
/// Ordered `Seen` first, then events by name, so a sorted list puts duplicates side by side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SignalKind<'a> {
    /// A sync saw the contact's `last_seen_at` move to this instant.
    Seen,
    /// A custom data event with this name (`event_name`).
    Event(&'a str),
}

/// One thing a contact did at one instant: 24 bytes, `Copy`, borrowing the event name.
///
/// **Identity**: two signals are the same signal (a duplicate) when their instant and kind are
/// equal: same microsecond and both seen-signals, or same microsecond and same event name.
/// This is Intercom's own rule (it silently drops an event with the same contact, name and
/// `created_at`, INTERCOM.md), so metadata never makes two signals out of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Signal<'a> {
    pub at: Timestamp,
    pub kind: SignalKind<'a>,
}

impl<'a> Signal<'a> {
    /// A custom event named `name` at `at`.
    pub fn event(name: &'a str, at: DateTime<Utc>) -> Self {
        Self {
            at: at.into(),
            kind: SignalKind::Event(name),
        }
    }

    /// A seen-signal: a sync observed the contact's `last_seen_at` move to `at`.
    pub fn seen(at: DateTime<Utc>) -> Self {
        Self {
            at: at.into(),
            kind: SignalKind::Seen,
        }
    }

    /// The signal of a domain event (its name and `occurred_at`; metadata plays no part).
    pub fn of_event(event: &'a Event) -> Self {
        Self::event(&event.event_name, event.occurred_at)
    }

    pub fn is_event(&self) -> bool {
        matches!(self.kind, SignalKind::Event(_))
    }
}

/// Sorts signals by instant (then kind) and removes duplicates; returns how many it removed.
pub(crate) fn sort_dedup(signals: &mut Vec<Signal<'_>>) -> usize {
    // Stored signals usually come read in order: one comparison each instead of a sort.
    if signals.is_sorted_by(|a, b| a < b) {
        return 0;
    }
    let before = signals.len();
    signals.sort_unstable();
    signals.dedup();
    before - signals.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_signal_is_24_bytes() {
        assert_eq!(std::mem::size_of::<Signal<'_>>(), 24);
    }

    #[test]
    fn timestamps_round_trip_the_whole_chrono_range() {
        for at in [
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
            DateTime::<Utc>::UNIX_EPOCH,
        ] {
            let back = Timestamp::from_datetime(at).to_datetime();
            assert_eq!(back.timestamp_micros(), at.timestamp_micros());
        }
        let far = Timestamp::from(DateTime::<Utc>::MAX_UTC);
        let near = Timestamp::from(DateTime::<Utc>::MIN_UTC);
        assert_eq!(far.micros_since(near), i64::MAX);
    }

    #[test]
    fn sub_microsecond_parts_are_floored() {
        let at = Utc.timestamp_opt(-1, 999).unwrap();
        assert_eq!(Timestamp::from(at).micros(), -1_000_000);
    }

    #[test]
    fn duplicates_sort_side_by_side_and_are_removed() {
        let t = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let mut signals = vec![
            Signal::event("b", t),
            Signal::seen(t),
            Signal::event("a", t),
            Signal::event("b", t),
            Signal::seen(t),
        ];
        assert_eq!(sort_dedup(&mut signals), 2);
        assert_eq!(
            signals,
            vec![
                Signal::seen(t),
                Signal::event("a", t),
                Signal::event("b", t)
            ]
        );
    }
}
