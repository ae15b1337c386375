//! Tests of the public API: an independent check of the rule, properties and data-driven cases.

mod cases;
mod check;
mod properties;

use crate::{Rebuild, SessionRules, Signal, SignalKind};
use icsync_domain::Session;

/// What `Store::replace_sessions` does: drop sessions starting at or after `from`, add the new.
fn replace_sessions(stored: &mut Vec<Session>, rebuild: &Rebuild) {
    stored.retain(|session| session.started_at < rebuild.from);
    stored.extend(rebuild.sessions.iter().cloned());
    stored.sort_by_key(|session| session.started_at);
}

/// Checks `sessions` against the rule for `signals` without the sessionizer's code: written
/// from the rule's words, so a bug in the pass cannot hide in its own check.
fn assert_obeys_rule(rules: &SessionRules, signals: &[Signal<'_>], sessions: &[Session]) {
    let gap = i64::from(rules.session_gap_mins) * 60_000_000;
    let max = i64::from(rules.session_max_hours) * 3_600_000_000;
    let mut distinct: Vec<Signal<'_>> = signals.to_vec();
    distinct.sort();
    distinct.dedup();
    let micros = |session: &Session| {
        (
            session.started_at.timestamp_micros(),
            session.ended_at.timestamp_micros(),
        )
    };

    for pair in sessions.windows(2) {
        assert!(
            micros(&pair[0]).1 < micros(&pair[1]).0,
            "sessions overlap or are out of order: {pair:?}"
        );
    }
    // Every signal in exactly one session (sessions are disjoint, so: in at least one).
    let mut members: Vec<Vec<Signal<'_>>> = vec![Vec::new(); sessions.len()];
    for signal in &distinct {
        let at = signal.at.micros();
        let holders: Vec<usize> = (0..sessions.len())
            .filter(|&i| (micros(&sessions[i]).0..=micros(&sessions[i]).1).contains(&at))
            .collect();
        assert_eq!(
            holders.len(),
            1,
            "signal {signal:?} is in sessions {holders:?}"
        );
        members[holders[0]].push(*signal);
    }
    let mut previous_last: Option<(i64, i64)> = None; // (previous session's start, its last signal)
    for (session, members) in sessions.iter().zip(&members) {
        let (start, end) = micros(session);
        let first = members
            .first()
            .expect("a session holds at least one signal");
        let last = members.last().expect("a session holds at least one signal");
        assert_eq!((first.at.micros(), last.at.micros()), (start, end));
        assert!(
            end - start <= max,
            "session longer than the maximum: {session:?}"
        );
        for pair in members.windows(2) {
            assert!(
                pair[1].at.micros() - pair[0].at.micros() <= gap,
                "gap above the rule inside {session:?}"
            );
        }
        let events = members
            .iter()
            .filter(|signal| matches!(signal.kind, SignalKind::Event(_)))
            .count();
        assert_eq!(session.event_count, events as i64, "{session:?}");
        if let Some((previous_start, previous_end)) = previous_last {
            assert!(
                start - previous_end > gap || start - previous_start > max,
                "{session:?} should have continued the previous session"
            );
        }
        previous_last = Some((start, end));
    }
}
