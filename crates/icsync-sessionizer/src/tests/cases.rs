//! Data-driven cases: the rule's edges, late signals, duplicates, DST, each through `check`.
//! Run with `UPDATE_EXPECT=1` to rewrite the snapshots after a deliberate change.

use super::check::check;
use expect_test::expect;

#[test]
fn gaps_of_29_59_and_30_00_stay_in_the_session_and_30_01_opens_a_new_one() {
    check(
        "
        2025-03-01T10:00:00Z login
        +29m59s export
        +30m seen
        +30m1s login
        ",
        expect![[r#"
            sessions:
              alice 2025-03-01 10:00:00 .. 2025-03-01 10:59:59    59m59s 2 events
              alice 2025-03-01 11:30:00 .. 2025-03-01 11:30:00        0s 1 events
            batches:
              1. alice: from 2025-03-01 10:00:00, changed, 4 fresh, 0 duplicate
        "#]],
    );
}

#[test]
fn a_session_of_exactly_24_hours_stays_whole_and_one_second_more_opens_a_new_one() {
    check(
        "
        contact exact
        2025-03-01T00:00:00Z seen x49 every 30m
        contact past
        2025-03-01T00:00:00Z seen x49 every 30m
        +1s login
        ",
        expect![[r#"
            sessions:
              exact 2025-03-01 00:00:00 .. 2025-03-02 00:00:00  1d0h0m0s 0 events
              past 2025-03-01 00:00:00 .. 2025-03-02 00:00:00  1d0h0m0s 0 events
              past 2025-03-02 00:00:01 .. 2025-03-02 00:00:01        0s 1 events
            batches:
              1. exact: from 2025-03-01 00:00:00, changed, 49 fresh, 0 duplicate
              1. past: from 2025-03-01 00:00:00, changed, 50 fresh, 0 duplicate
        "#]],
    );
}

#[test]
fn a_30_hour_burst_of_one_event_a_minute_is_cut_at_24_hours() {
    check(
        "
        2025-03-01T06:00:00Z click x1801 every 1m
        ",
        expect![[r#"
            sessions:
              alice 2025-03-01 06:00:00 .. 2025-03-02 06:00:00  1d0h0m0s 1441 events
              alice 2025-03-02 06:01:00 .. 2025-03-02 12:00:00   5h59m0s 360 events
            batches:
              1. alice: from 2025-03-01 06:00:00, changed, 1801 fresh, 0 duplicate
        "#]],
    );
}

#[test]
fn a_late_signal_in_a_gap_merges_the_sessions_on_both_sides() {
    check(
        "
        2025-03-01T10:00:00Z login
        2025-03-01T10:20:00Z export
        2025-03-01T11:10:00Z export
        2025-03-01T11:30:00Z seen
        2025-03-02T09:00:00Z login
        batch
        2025-03-01T10:45:00Z invite
        ",
        expect![[r#"
            sessions:
              alice 2025-03-01 10:00:00 .. 2025-03-01 11:30:00   1h30m0s 4 events
              alice 2025-03-02 09:00:00 .. 2025-03-02 09:00:00        0s 1 events
            batches:
              1. alice: from 2025-03-01 10:00:00, changed, 5 fresh, 0 duplicate
              2. alice: from 2025-03-01 10:00:00, changed, 1 fresh, 0 duplicate
        "#]],
    );
}

#[test]
fn a_late_signal_before_a_full_day_session_splits_off_its_tail() {
    // 01:00 to 01:00 the next day is exactly 24 h; a late signal at 00:40 starts the session
    // 20 minutes earlier, so everything after 00:40 the next day opens a new session.
    check(
        "
        2025-03-01T01:00:00Z seen x49 every 30m
        batch
        2025-03-01T00:40:00Z login
        ",
        expect![[r#"
            sessions:
              alice 2025-03-01 00:40:00 .. 2025-03-02 00:30:00  23h50m0s 1 events
              alice 2025-03-02 01:00:00 .. 2025-03-02 01:00:00        0s 0 events
            batches:
              1. alice: from 2025-03-01 01:00:00, changed, 49 fresh, 0 duplicate
              2. alice: from 2025-03-01 00:40:00, changed, 1 fresh, 0 duplicate
        "#]],
    );
}

#[test]
fn late_signals_across_several_sessions_rebuild_from_the_earliest() {
    check(
        "
        2025-03-01T08:00:00Z login
        2025-03-01T12:00:00Z login
        2025-03-01T16:00:00Z login
        batch
        2025-03-01T16:20:00Z export
        2025-03-01T12:25:00Z export
        batch
        2025-03-01T07:00:00Z seen
        ",
        expect![[r#"
            sessions:
              alice 2025-03-01 07:00:00 .. 2025-03-01 07:00:00        0s 0 events
              alice 2025-03-01 08:00:00 .. 2025-03-01 08:00:00        0s 1 events
              alice 2025-03-01 12:00:00 .. 2025-03-01 12:25:00     25m0s 2 events
              alice 2025-03-01 16:00:00 .. 2025-03-01 16:20:00     20m0s 2 events
            batches:
              1. alice: from 2025-03-01 08:00:00, changed, 3 fresh, 0 duplicate
              2. alice: from 2025-03-01 12:00:00, changed, 2 fresh, 0 duplicate
              3. alice: from 2025-03-01 07:00:00, changed, 1 fresh, 0 duplicate
        "#]],
    );
}

#[test]
fn duplicates_change_nothing_but_distinct_names_at_one_instant_are_two_events() {
    check(
        "
        2025-03-01T10:00:00Z login
        2025-03-01T10:00:00Z login
        2025-03-01T10:00:00Z export
        2025-03-01T10:00:00Z seen
        2025-03-01T10:05:00Z seen
        batch
        2025-03-01T10:00:00Z login
        2025-03-01T10:05:00Z seen
        2025-03-01T10:00:00Z export
        ",
        expect![[r#"
            sessions:
              alice 2025-03-01 10:00:00 .. 2025-03-01 10:05:00      5m0s 2 events
            batches:
              1. alice: from 2025-03-01 10:00:00, changed, 4 fresh, 1 duplicate
              2. alice: from 2025-03-01 10:00:00, unchanged, 0 fresh, 3 duplicate
        "#]],
    );
}

#[test]
fn a_signal_beyond_the_clock_tolerance_is_kept_and_flagged() {
    check(
        "
        now 2025-03-01T12:00:00Z
        rules tolerance=5m
        2025-03-01T11:50:00Z login
        batch
        2025-03-01T12:04:59Z seen
        2025-03-01T12:06:00Z export
        ",
        expect![[r#"
            sessions:
              alice 2025-03-01 11:50:00 .. 2025-03-01 12:06:00     16m0s 2 events
            batches:
              1. alice: from 2025-03-01 11:50:00, changed, 1 fresh, 0 duplicate
              2. alice: from 2025-03-01 11:50:00, changed, 2 fresh, 0 duplicate
                anomaly: event "export" at 2025-03-01 12:06:00 UTC is 360s in the future (now 2025-03-01 12:00:00 UTC); kept
        "#]],
    );
}

#[test]
fn custom_rules_move_both_edges() {
    check(
        "
        rules gap=10m max=1h
        2025-03-01T10:00:00Z login
        +10m export
        +10m1s login
        2025-03-01T11:00:00Z seen x13 every 5m
        ",
        expect![[r#"
            sessions:
              alice 2025-03-01 10:00:00 .. 2025-03-01 10:10:00     10m0s 2 events
              alice 2025-03-01 10:20:01 .. 2025-03-01 10:20:01        0s 1 events
              alice 2025-03-01 11:00:00 .. 2025-03-01 12:00:00    1h0m0s 0 events
            batches:
              1. alice: from 2025-03-01 10:00:00, changed, 16 fresh, 0 duplicate
        "#]],
    );
}

#[test]
fn spring_forward_in_los_angeles_makes_a_23_hour_day_and_leaves_sessions_in_utc() {
    // 2025-03-09: 02:00 PST jumps to 03:00 PDT (10:00 UTC). A session from 01:40 PST to
    // 03:10 PDT lasts 30 minutes of real time, not 90. Carol's session spans local midnight:
    // she is active on both days, and the session counts on the day it started.
    check(
        "
        zone America/Los_Angeles
        2025-03-08T23:50:00-08:00 login
        2025-03-09T00:10:00-08:00 export
        2025-03-09T01:40:00-08:00 login
        2025-03-09T01:55:00-08:00 seen
        2025-03-09T03:10:00-07:00 export
        2025-03-09T23:59:00-07:00 login
        contact bob
        2025-03-09T12:00:00-07:00 login
        contact carol
        2025-03-09T23:50:00-07:00 login
        2025-03-10T00:10:00-07:00 seen
        ",
        expect![[r#"
            sessions:
              alice 2025-03-09 07:50:00 .. 2025-03-09 08:10:00     20m0s 2 events
              alice 2025-03-09 09:40:00 .. 2025-03-09 10:10:00     30m0s 2 events
              alice 2025-03-10 06:59:00 .. 2025-03-10 06:59:00        0s 1 events
              bob 2025-03-09 19:00:00 .. 2025-03-09 19:00:00        0s 1 events
              carol 2025-03-10 06:50:00 .. 2025-03-10 07:10:00     20m0s 1 events
            batches:
              1. alice: from 2025-03-09 07:50:00, changed, 6 fresh, 0 duplicate
              1. bob: from 2025-03-09 19:00:00, changed, 1 fresh, 0 duplicate
              1. carol: from 2025-03-10 06:50:00, changed, 2 fresh, 0 duplicate
            rollups (America/Los_Angeles):
              acme 2025-03-08 from 2025-03-08 08:00:00 (1d0h0m0s): 1 active, 1 sessions, events [login 1]
              acme 2025-03-09 from 2025-03-09 08:00:00 (23h0m0s): 3 active, 4 sessions, events [export 2, login 4]
              acme 2025-03-10 from 2025-03-10 07:00:00 (1d0h0m0s): 1 active, 0 sessions, events []
        "#]],
    );
}

#[test]
fn fall_back_in_los_angeles_makes_a_25_hour_day_and_a_repeated_hour() {
    // 2025-11-02: 02:00 PDT falls back to 01:00 PST (09:00 UTC). 01:50 PDT then 01:05 PST is
    // 15 minutes later (same session) though the wall clock went back; 01:30 PDT then
    // 01:10 PST is 40 minutes later (a new session).
    check(
        "
        zone America/Los_Angeles
        2025-11-02T01:50:00-07:00 login
        2025-11-02T01:05:00-08:00 export
        contact bob
        2025-11-02T01:30:00-07:00 login
        2025-11-02T01:10:00-08:00 export
        2025-11-02T23:30:00-08:00 login
        2025-11-03T00:10:00-08:00 login
        ",
        expect![[r#"
            sessions:
              alice 2025-11-02 08:50:00 .. 2025-11-02 09:05:00     15m0s 2 events
              bob 2025-11-02 08:30:00 .. 2025-11-02 08:30:00        0s 1 events
              bob 2025-11-02 09:10:00 .. 2025-11-02 09:10:00        0s 1 events
              bob 2025-11-03 07:30:00 .. 2025-11-03 07:30:00        0s 1 events
              bob 2025-11-03 08:10:00 .. 2025-11-03 08:10:00        0s 1 events
            batches:
              1. alice: from 2025-11-02 08:50:00, changed, 2 fresh, 0 duplicate
              1. bob: from 2025-11-02 08:30:00, changed, 4 fresh, 0 duplicate
            rollups (America/Los_Angeles):
              acme 2025-11-02 from 2025-11-02 07:00:00 (1d1h0m0s): 2 active, 4 sessions, events [export 2, login 3]
              acme 2025-11-03 from 2025-11-03 08:00:00 (1d0h0m0s): 1 active, 1 sessions, events [login 1]
        "#]],
    );
}
