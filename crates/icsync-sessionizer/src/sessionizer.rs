//! The entry points: sessionize from scratch, or rebuild incrementally from the earliest
//! affected session (the contract is in the crate docs).

use crate::anomaly::Anomaly;
use crate::pass;
use crate::rules::SessionRules;
use crate::signal::{Signal, Timestamp, sort_dedup};
use chrono::{DateTime, Utc};
use icsync_domain::{ContactId, Session};
use std::cmp::Ordering;

/// Applies [`SessionRules`] at a given `now` (the instant after which a signal is "future").
/// Cheap to build; one per sync run is the intended use.
#[derive(Debug, Clone)]
pub struct Sessionizer {
    rules: SessionRules,
    now: DateTime<Utc>,
    future_after: Timestamp,
}

/// A contact's sessions from scratch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sessionized {
    /// In order, non-overlapping; together they hold every signal given.
    pub sessions: Vec<Session>,
    pub anomalies: Vec<Anomaly>,
    /// Signals given more than once (same instant and kind), counted once.
    pub duplicate_signals: usize,
}

/// What to write for one contact: replace its sessions starting at or after `from` with
/// `sessions` (`Store::replace_sessions(workspace, contact, from, &sessions)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuild {
    pub from: DateTime<Utc>,
    /// The contact's sessions from `from` on, in order.
    pub sessions: Vec<Session>,
    /// `false` when `sessions` equal the stored sessions from `from` on: nothing to write.
    pub changed: bool,
    pub anomalies: Vec<Anomaly>,
    /// New signals that were neither stored nor repeated in the batch.
    pub fresh_signals: usize,
    /// New signals already stored or repeated in the batch: they changed nothing.
    pub duplicate_signals: usize,
}

/// The instant from which a contact's stored signals must be read to take `new` signals in:
/// the start of the last stored session that starts at or before the earliest new signal, or
/// that signal's instant when no session starts that early. `None` when `new` is empty.
///
/// Why that session and not a later point: whether the earliest new signal joins a session
/// depends on the session's first and last signals before it, and everything after it may
/// regroup (a merge with the next session, or a split by the maximum duration). Sessions that
/// start earlier cannot change: the rule decides each signal from the signals before it only.
pub fn rebuild_window(existing: &[Session], new: &[Signal<'_>]) -> Option<DateTime<Utc>> {
    let earliest = new.iter().map(|signal| signal.at).min()?;
    Some(window_start(existing, earliest).to_datetime())
}

fn window_start(existing: &[Session], earliest: Timestamp) -> Timestamp {
    existing
        .iter()
        .map(|session| Timestamp::from(session.started_at))
        .filter(|start| *start <= earliest)
        .max()
        .unwrap_or(earliest)
}

impl Sessionizer {
    pub fn new(rules: SessionRules, now: DateTime<Utc>) -> Self {
        let future_after =
            Timestamp::from(now).saturating_add_micros(rules.future_tolerance_micros());
        Self {
            rules,
            now,
            future_after,
        }
    }

    pub fn rules(&self) -> &SessionRules {
        &self.rules
    }

    /// All of a contact's sessions from its signals, in any order, duplicates allowed.
    pub fn sessionize(&self, contact: &ContactId, mut signals: Vec<Signal<'_>>) -> Sessionized {
        let duplicate_signals = sort_dedup(&mut signals);
        let mut anomalies = Vec::new();
        self.flag_future(&signals, &mut anomalies);
        Sessionized {
            sessions: pass::sessions(&self.rules, contact, &signals),
            anomalies,
            duplicate_signals,
        }
    }

    /// Takes `new` signals (any order, duplicates allowed, late ones welcome) into a contact's
    /// sessions without rebuilding them all. `None` when `new` is empty.
    ///
    /// - `existing`: the contact's stored sessions: all of them, or at least the last one
    ///   starting at or before the earliest new signal and every later one (the same list
    ///   given to [`rebuild_window`]).
    /// - `stored`: the contact's stored signals from that window's start on; earlier ones may
    ///   be included and are ignored. `new` signals may already be among them.
    ///
    /// The result equals [`sessionize`](Self::sessionize) over all stored and new signals,
    /// restricted to sessions starting at or after `from`, whatever the order and batching in
    /// which signals arrive, provided `existing` came from the same rules (checked: see
    /// [`Anomaly::StoredSessionsDisagree`]).
    pub fn apply<'a>(
        &self,
        contact: &ContactId,
        existing: &[Session],
        mut stored: Vec<Signal<'a>>,
        mut new: Vec<Signal<'a>>,
    ) -> Option<Rebuild> {
        let earliest = new.iter().map(|signal| signal.at).min()?;
        let from = window_start(existing, earliest);
        let from_at = from.to_datetime();
        let mut anomalies = Vec::new();

        stored.retain(|signal| signal.at >= from);
        sort_dedup(&mut stored);
        let stored_from = sessions_from(existing, from_at, &mut anomalies);
        if let Some(expected) = pass::disagreement(&self.rules, &stored, &stored_from) {
            anomalies.push(Anomaly::StoredSessionsDisagree {
                from: from_at,
                stored_sessions: stored_from.len(),
                expected_sessions: expected,
            });
        }

        let repeated = sort_dedup(&mut new);
        let (merged, already_stored) = merge(stored, &new, |fresh| {
            if fresh.at > self.future_after {
                anomalies.push(Anomaly::future(fresh, self.now));
            }
        });
        let sessions = pass::sessions(&self.rules, contact, &merged);
        let changed = sessions.len() != stored_from.len()
            || sessions.iter().zip(&stored_from).any(|(a, b)| a != *b);
        Some(Rebuild {
            from: from_at,
            sessions,
            changed,
            anomalies,
            fresh_signals: new.len() - already_stored,
            duplicate_signals: repeated + already_stored,
        })
    }

    /// Rebuilds all of a contact's sessions from all of its signals (after a rules change, or
    /// when [`Anomaly::StoredSessionsDisagree`] was reported). `from` is the earliest stored
    /// session or signal, so writing the result replaces every stored session. `None` when
    /// there is neither a session nor a signal.
    pub fn rebuild_all(
        &self,
        contact: &ContactId,
        existing: &[Session],
        signals: Vec<Signal<'_>>,
    ) -> Option<Rebuild> {
        let first_signal = signals.iter().map(|signal| signal.at.to_datetime()).min();
        let first_session = existing.iter().map(|session| session.started_at).min();
        let from = first_signal.into_iter().chain(first_session).min()?;
        let fresh_signals = signals.len();
        let Sessionized {
            sessions,
            anomalies,
            duplicate_signals,
        } = self.sessionize(contact, signals);
        let mut stored: Vec<&Session> = existing.iter().collect();
        stored.sort_by_key(|session| session.started_at);
        let changed =
            sessions.len() != stored.len() || sessions.iter().zip(&stored).any(|(a, b)| a != *b);
        Some(Rebuild {
            from,
            sessions,
            changed,
            anomalies,
            fresh_signals: fresh_signals - duplicate_signals,
            duplicate_signals,
        })
    }

    fn flag_future(&self, signals: &[Signal<'_>], anomalies: &mut Vec<Anomaly>) {
        // Sorted: the future signals are the tail.
        let first_future = signals.partition_point(|signal| signal.at <= self.future_after);
        anomalies.extend(
            signals[first_future..]
                .iter()
                .map(|signal| Anomaly::future(signal, self.now)),
        );
    }
}

/// The stored sessions starting at or after `from`, by start; flags one that starts before
/// `from` but runs into it (stored sessions overlap, so the rebuild would overlap it too).
fn sessions_from<'s>(
    existing: &'s [Session],
    from: DateTime<Utc>,
    anomalies: &mut Vec<Anomaly>,
) -> Vec<&'s Session> {
    let mut kept = Vec::new();
    for session in existing {
        if session.started_at >= from {
            kept.push(session);
        } else if session.ended_at >= from {
            anomalies.push(Anomaly::StoredSessionOverlaps {
                from,
                started_at: session.started_at,
                ended_at: session.ended_at,
            });
        }
    }
    kept.sort_by_key(|session| session.started_at);
    kept
}

/// Merges sorted, duplicate-free `stored` and `new` into one such list; calls `on_fresh` for
/// each new signal not already stored and returns how many were already stored.
fn merge<'a>(
    stored: Vec<Signal<'a>>,
    new: &[Signal<'a>],
    mut on_fresh: impl FnMut(&Signal<'a>),
) -> (Vec<Signal<'a>>, usize) {
    if stored
        .last()
        .is_none_or(|last| new.first().is_some_and(|first| last < first))
    {
        // The usual case: everything new comes after everything stored.
        new.iter().for_each(&mut on_fresh);
        let mut merged = stored;
        merged.extend_from_slice(new);
        return (merged, 0);
    }
    let mut merged = Vec::with_capacity(stored.len() + new.len());
    let (mut s, mut n, mut already_stored) = (0, 0, 0);
    while s < stored.len() && n < new.len() {
        match stored[s].cmp(&new[n]) {
            Ordering::Less => {
                merged.push(stored[s]);
                s += 1;
            }
            Ordering::Greater => {
                on_fresh(&new[n]);
                merged.push(new[n]);
                n += 1;
            }
            Ordering::Equal => {
                merged.push(stored[s]);
                already_stored += 1;
                s += 1;
                n += 1;
            }
        }
    }
    merged.extend_from_slice(&stored[s..]);
    new[n..].iter().for_each(&mut on_fresh);
    merged.extend_from_slice(&new[n..]);
    (merged, already_stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn session(start: &str, end: &str, events: i64) -> Session {
        Session {
            contact_id: ContactId::new("c1"),
            started_at: at(start),
            ended_at: at(end),
            event_count: events,
        }
    }

    fn sessionizer() -> Sessionizer {
        Sessionizer::new(SessionRules::default(), at("2030-01-01T00:00:00Z"))
    }

    #[test]
    fn nothing_new_means_nothing_to_rebuild() {
        let existing = [session("2025-03-01T10:00:00Z", "2025-03-01T10:00:00Z", 1)];
        let stored = vec![Signal::event("login", at("2025-03-01T10:00:00Z"))];
        assert_eq!(rebuild_window(&existing, &[]), None);
        let contact = ContactId::new("c1");
        assert_eq!(
            sessionizer().apply(&contact, &existing, stored, vec![]),
            None
        );
        assert_eq!(sessionizer().rebuild_all(&contact, &[], vec![]), None);
    }

    #[test]
    fn a_full_rebuild_without_signals_deletes_every_stored_session() {
        let existing = [session("2025-03-01T10:00:00Z", "2025-03-01T10:10:00Z", 2)];
        let rebuild = sessionizer()
            .rebuild_all(&ContactId::new("c1"), &existing, vec![])
            .unwrap();
        assert_eq!(rebuild.from, at("2025-03-01T10:00:00Z"));
        assert!(rebuild.changed && rebuild.sessions.is_empty());
    }

    #[test]
    fn stored_signals_that_start_after_the_window_are_reported() {
        // The caller read stored signals from 10:10 instead of the window's start (10:00).
        let existing = [session("2025-03-01T10:00:00Z", "2025-03-01T10:10:00Z", 2)];
        let stored = vec![Signal::event("b", at("2025-03-01T10:10:00Z"))];
        let new = vec![Signal::event("c", at("2025-03-01T10:20:00Z"))];
        let rebuild = sessionizer()
            .apply(&ContactId::new("c1"), &existing, stored, new)
            .unwrap();
        assert_eq!(rebuild.from, at("2025-03-01T10:00:00Z"));
        assert_eq!(
            rebuild.anomalies,
            vec![Anomaly::StoredSessionsDisagree {
                from: at("2025-03-01T10:00:00Z"),
                stored_sessions: 1,
                expected_sessions: 1,
            }]
        );
    }

    #[test]
    fn a_stored_session_running_into_the_window_is_reported() {
        // Overlapping stored sessions (not written by this rule): the second starts inside
        // the first, and the window starts at the second.
        let existing = [
            session("2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z", 2),
            session("2025-03-01T10:30:00Z", "2025-03-01T10:30:00Z", 1),
        ];
        let stored = vec![Signal::event("a", at("2025-03-01T10:30:00Z"))];
        let new = vec![Signal::event("b", at("2025-03-01T10:40:00Z"))];
        let rebuild = sessionizer()
            .apply(&ContactId::new("c1"), &existing, stored, new)
            .unwrap();
        assert_eq!(rebuild.from, at("2025-03-01T10:30:00Z"));
        assert!(rebuild.anomalies.iter().any(|a| matches!(
            a,
            Anomaly::StoredSessionOverlaps { started_at, .. }
                if *started_at == at("2025-03-01T10:00:00Z")
        )));
    }

    #[test]
    fn a_full_sessionize_flags_every_future_signal() {
        let now = at("2025-03-01T12:00:00Z");
        let sessionizer = Sessionizer::new(SessionRules::default(), now);
        let out = sessionizer.sessionize(
            &ContactId::new("c1"),
            vec![
                Signal::seen(at("2025-03-01T12:20:00Z")),
                Signal::event("a", at("2025-03-01T12:03:00Z")),
                Signal::event("a", at("2025-03-01T12:10:00Z")),
            ],
        );
        let flagged: Vec<_> = out
            .anomalies
            .iter()
            .map(|a| match a {
                Anomaly::FutureSignal { at, event_name, .. } => (*at, event_name.clone()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            flagged,
            vec![
                (at("2025-03-01T12:10:00Z"), Some("a".to_owned())),
                (at("2025-03-01T12:20:00Z"), None),
            ]
        );
        assert_eq!(out.sessions.len(), 1);
    }
}
