//! The rule itself: one left-to-right pass over sorted, duplicate-free signals.

use crate::rules::SessionRules;
use crate::signal::{Signal, Timestamp};
use icsync_domain::{ContactId, Session};

/// A session before it is given its contact: first and last instant, and its event count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: Timestamp,
    pub end: Timestamp,
    pub events: i64,
}

impl Span {
    pub fn into_session(self, contact: &ContactId) -> Session {
        Session {
            contact_id: contact.clone(),
            started_at: self.start.to_datetime(),
            ended_at: self.end.to_datetime(),
            event_count: self.events,
        }
    }

    pub fn matches(&self, session: &Session) -> bool {
        // In microseconds: cheaper than building DateTimes, and the precision signals have.
        session.started_at.timestamp_micros() == self.start.micros()
            && session.ended_at.timestamp_micros() == self.end.micros()
            && session.event_count == self.events
    }
}

/// Runs the rule over `signals` (sorted by instant, duplicates removed) and hands each session
/// to `emit` in order.
///
/// The first signal opens a session. Each next signal joins the open session unless it comes
/// more than the gap after the previous signal, or more than the maximum duration after the
/// session's first signal; then it opens the next one. The decision for a signal depends only
/// on the signals before it, which is what makes incremental rebuilds exact (see the crate
/// docs). Seen-signals shape sessions like events do but are not counted in `event_count`.
pub(crate) fn run(rules: &SessionRules, signals: &[Signal<'_>], mut emit: impl FnMut(Span)) {
    let (gap, max) = (rules.gap_micros(), rules.max_micros());
    let Some(first) = signals.first() else {
        return;
    };
    let mut open = Span {
        start: first.at,
        end: first.at,
        events: i64::from(first.is_event()),
    };
    for signal in &signals[1..] {
        if signal.at.micros_since(open.end) > gap || signal.at.micros_since(open.start) > max {
            emit(open);
            open = Span {
                start: signal.at,
                end: signal.at,
                events: 0,
            };
        }
        open.end = signal.at;
        open.events += i64::from(signal.is_event());
    }
    emit(open);
}

/// The sessions of `signals` (sorted, duplicates removed) for `contact`.
pub(crate) fn sessions(
    rules: &SessionRules,
    contact: &ContactId,
    signals: &[Signal<'_>],
) -> Vec<Session> {
    let mut out = Vec::new();
    run(rules, signals, |span| out.push(span.into_session(contact)));
    out
}

/// `None` when `existing` (sorted by start) is exactly what the rule gives for `signals`;
/// otherwise how many sessions the rule gives.
pub(crate) fn disagreement(
    rules: &SessionRules,
    signals: &[Signal<'_>],
    existing: &[&Session],
) -> Option<usize> {
    let mut rest = existing.iter();
    let (mut agree, mut expected) = (true, 0);
    run(rules, signals, |span| {
        expected += 1;
        agree &= rest.next().is_some_and(|session| span.matches(session));
    });
    (!agree || rest.next().is_some()).then_some(expected)
}
