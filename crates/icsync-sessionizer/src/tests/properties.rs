//! Properties over random signal sets, arrival orders and batchings: the rule holds, and
//! incremental rebuilds equal rebuilding from scratch.

use super::{assert_obeys_rule, replace_sessions};
use crate::{Anomaly, SessionRules, Sessionizer, Signal, rebuild_window};
use chrono::{DateTime, TimeDelta, Utc};
use icsync_domain::{ContactId, Session};
use proptest::prelude::*;

const NAMES: &[&str] = &["login", "export", "invite"];

/// One contact's signals, the order they arrive in, and how that order is cut into batches.
#[derive(Debug, Clone)]
struct Arrival {
    rules: SessionRules,
    /// All signals, duplicates included.
    signals: Vec<Signal<'static>>,
    /// The signals in arrival order, cut into batches.
    batches: Vec<Vec<Signal<'static>>>,
    /// Hand `apply` only the stored signals from the window on (else all stored signals).
    window_only: bool,
}

fn base() -> DateTime<Utc> {
    "2025-03-01T09:00:00Z".parse().unwrap()
}

fn rules() -> impl Strategy<Value = SessionRules> {
    prop_oneof![
        2 => Just(SessionRules::default()),
        1 => (1u32..=90, 1u32..=6).prop_map(|(gap, max)| SessionRules {
            session_gap_mins: gap,
            session_max_hours: max.max(gap.div_ceil(60)),
            ..SessionRules::default()
        }),
    ]
}

/// Gaps between consecutive signals, crowding the rule's edges (gap - 1 s, gap, gap + 1 s) and
/// long runs of almost-gap steps that reach the maximum duration.
fn step(rules: SessionRules) -> impl Strategy<Value = i64> {
    let gap = i64::from(rules.session_gap_mins) * 60;
    let max = i64::from(rules.session_max_hours) * 3_600;
    prop_oneof![
        3 => 0..=gap,
        3 => (gap * 3 / 4)..=gap,
        1 => Just(0i64),
        1 => prop::sample::select(vec![gap - 1, gap, gap + 1]),
        1 => (gap + 1)..=(gap * 4),
        1 => prop::sample::select(vec![max - 1, max, max + 1]),
        1 => max..=(max * 5),
    ]
}

fn arrival() -> impl Strategy<Value = Arrival> {
    rules().prop_flat_map(|rules| {
        let signal = (step(rules), prop::option::weighted(0.8, 0..NAMES.len()));
        (Just(rules), prop::collection::vec(signal, 0..80))
            .prop_flat_map(|(rules, steps)| {
                let n = steps.len();
                (
                    Just(rules),
                    Just(steps),
                    prop::collection::vec(any::<prop::sample::Index>(), 0..=n / 4 + 1),
                    prop::collection::vec(any::<u32>(), n + n / 4 + 2),
                    prop::collection::vec(1usize..=12, 1..=40),
                    any::<bool>(),
                )
            })
            .prop_map(|(rules, steps, duplicated, keys, cuts, window_only)| {
                let mut at = base();
                let mut signals: Vec<Signal<'static>> = steps
                    .iter()
                    .map(|&(step, name)| {
                        at += TimeDelta::seconds(step);
                        match name {
                            Some(i) => Signal::event(NAMES[i], at),
                            None => Signal::seen(at),
                        }
                    })
                    .collect();
                if !signals.is_empty() {
                    let copies: Vec<_> = duplicated.iter().map(|i| *i.get(&signals)).collect();
                    signals.extend(copies);
                }
                let mut order: Vec<usize> = (0..signals.len()).collect();
                order.sort_by_key(|&i| keys[i]);
                let mut batches = Vec::new();
                let mut rest = order.as_slice();
                for cut in cuts.iter().cycle() {
                    if rest.is_empty() {
                        break;
                    }
                    let (batch, tail) = rest.split_at((*cut).min(rest.len()));
                    batches.push(batch.iter().map(|&i| signals[i]).collect());
                    rest = tail;
                }
                Arrival {
                    rules,
                    signals,
                    batches,
                    window_only,
                }
            })
    })
}

fn contact() -> ContactId {
    ContactId::new("c1")
}

fn sessionizer(rules: SessionRules) -> Sessionizer {
    // Far enough ahead that no generated signal is in the future.
    Sessionizer::new(rules, base() + TimeDelta::days(3_650))
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 4_000,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn sessions_from_scratch_obey_the_rule(case in arrival()) {
        let out = sessionizer(case.rules).sessionize(&contact(), case.signals.clone());
        assert_obeys_rule(&case.rules, &case.signals, &out.sessions);
        prop_assert!(out.anomalies.is_empty(), "{:?}", out.anomalies);
    }

    #[test]
    fn incremental_equals_from_scratch_whatever_the_order_and_batching(case in arrival()) {
        let sessionizer = sessionizer(case.rules);
        let mut sessions: Vec<Session> = Vec::new();
        let mut stored: Vec<Signal<'static>> = Vec::new();
        for batch in &case.batches {
            let from = rebuild_window(&sessions, batch).expect("batches are not empty");
            let given: Vec<_> = if case.window_only {
                stored.iter().copied().filter(|s| s.at.to_datetime() >= from).collect()
            } else {
                stored.clone()
            };
            let rebuild = sessionizer
                .apply(&contact(), &sessions, given, batch.clone())
                .expect("batches are not empty");
            prop_assert_eq!(rebuild.from, from);
            prop_assert!(rebuild.anomalies.is_empty(), "{:?}", rebuild.anomalies);
            prop_assert_eq!(rebuild.fresh_signals + rebuild.duplicate_signals, batch.len());
            replace_sessions(&mut sessions, &rebuild);
            stored.extend(batch.iter().copied());
            assert_obeys_rule(&case.rules, &stored, &sessions);
        }
        let scratch = sessionizer.sessionize(&contact(), case.signals.clone());
        prop_assert_eq!(sessions, scratch.sessions);
    }

    #[test]
    fn applying_the_same_batch_twice_changes_nothing(case in arrival()) {
        let sessionizer = sessionizer(case.rules);
        let mut sessions: Vec<Session> = Vec::new();
        let mut stored: Vec<Signal<'static>> = Vec::new();
        for batch in &case.batches {
            let first = sessionizer
                .apply(&contact(), &sessions, stored.clone(), batch.clone())
                .expect("batches are not empty");
            replace_sessions(&mut sessions, &first);
            stored.extend(batch.iter().copied());
            let again = sessionizer
                .apply(&contact(), &sessions, stored.clone(), batch.clone())
                .expect("batches are not empty");
            prop_assert!(!again.changed, "{:?}", again);
            prop_assert_eq!(again.fresh_signals, 0);
            prop_assert_eq!(again.duplicate_signals, batch.len());
            let before = sessions.clone();
            replace_sessions(&mut sessions, &again);
            prop_assert_eq!(&sessions, &before);
        }
    }

    #[test]
    fn a_full_rebuild_of_consistent_sessions_changes_nothing(case in arrival()) {
        let sessionizer = sessionizer(case.rules);
        let scratch = sessionizer.sessionize(&contact(), case.signals.clone());
        let full = sessionizer.rebuild_all(&contact(), &scratch.sessions, case.signals.clone());
        match full {
            None => prop_assert!(case.signals.is_empty()),
            Some(full) => {
                prop_assert!(!full.changed);
                prop_assert_eq!(full.sessions, scratch.sessions);
            }
        }
    }

    #[test]
    fn sessions_from_other_rules_are_reported(case in arrival()) {
        // Sessions cut by a rule twice as strict, then fed to the default rule: either they
        // happen to agree (the check stays quiet) or the disagreement is reported.
        let strict = SessionRules { session_gap_mins: 15, session_max_hours: 12, ..case.rules };
        let stored = case.signals.clone();
        let old = sessionizer(strict).sessionize(&contact(), stored.clone()).sessions;
        let Some(last) = stored.iter().max() else { return Ok(()) };
        let new = vec![Signal { at: last.at, kind: last.kind }];
        let default = sessionizer(SessionRules::default());
        let rebuild = default.apply(&contact(), &old, stored.clone(), new).unwrap();
        let from = rebuild.from;
        let old_from: Vec<_> = old.iter().filter(|s| s.started_at >= from).cloned().collect();
        let mut window: Vec<_> = stored.into_iter().filter(|s| s.at.to_datetime() >= from).collect();
        window.sort();
        let expected = default.sessionize(&contact(), window).sessions;
        let reported = rebuild
            .anomalies
            .iter()
            .any(|a| matches!(a, Anomaly::StoredSessionsDisagree { .. }));
        prop_assert_eq!(reported, old_from != expected);
    }
}
