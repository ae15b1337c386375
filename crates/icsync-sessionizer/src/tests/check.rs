//! `check(input, expect)`: the one helper behind the data-driven cases.
//!
//! The input is one directive or signal per line:
//!
//! - `rules gap=30m max=24h` (default: Intercom's), `now 2025-03-01T12:00:00Z` (default: far
//!   ahead), `zone America/Los_Angeles` (also prints daily rollups; every contact is in
//!   account `acme`), `contact bob` (whose signals follow; default `alice`);
//! - `batch`: the signals after it arrive in a later batch (default: one batch);
//! - a signal: `<when> <kind> [x<count> every <step>]`, where `<when>` is an RFC 3339 instant
//!   or `+<duration>` after the previous signal line (durations like `1d2h30m15s`), and
//!   `<kind>` is `seen` or an event name. With `x<count>`, that many signals, `<step>` apart.
//!
//! The helper sessionizes everything from scratch, checks the result against the rule
//! (`assert_obeys_rule`), applies the batches one by one as inbound will (each contact's
//! `rebuild_window`, `apply`, `replace_sessions`) and asserts the outcome equals the scratch
//! sessions. It prints the sessions, each batch's rebuild, and the rollups if a zone is set.

use super::{assert_obeys_rule, replace_sessions};
use crate::{SessionRules, Sessionizer, Signal, daily_rollups, rebuild_window};
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use expect_test::Expect;
use icsync_domain::{AttributeMap, CompanyId, ContactId, Event, Session};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One signal line, owned (the test borrows names from here).
struct Line {
    contact: String,
    at: DateTime<Utc>,
    name: Option<String>,
}

impl Line {
    fn signal(&self) -> Signal<'_> {
        match &self.name {
            Some(name) => Signal::event(name, self.at),
            None => Signal::seen(self.at),
        }
    }
}

pub(super) fn check(input: &str, expect: Expect) {
    let mut rules = SessionRules::default();
    let mut now: DateTime<Utc> = "2100-01-01T00:00:00Z".parse().unwrap();
    let mut zone: Option<Tz> = None;
    let mut contact = "alice".to_owned();
    let mut batches: Vec<Vec<Line>> = vec![Vec::new()];
    let mut previous: Option<DateTime<Utc>> = None;
    for line in input.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["rules", settings @ ..] => {
                for setting in settings {
                    let (key, value) = setting.split_once('=').unwrap();
                    let secs = duration(value).num_seconds();
                    match key {
                        "gap" => rules.session_gap_mins = (secs / 60) as u32,
                        "max" => rules.session_max_hours = (secs / 3_600) as u32,
                        "tolerance" => rules.future_tolerance_secs = secs as u32,
                        other => panic!("unknown rule {other}"),
                    }
                }
            }
            ["now", at] => now = at.parse().unwrap(),
            ["zone", name] => zone = Some(name.parse().unwrap()),
            ["contact", name] => contact = (*name).to_owned(),
            ["batch"] => batches.push(Vec::new()),
            [when, kind, repeat @ ..] => {
                let first = match when.strip_prefix('+') {
                    Some(step) => {
                        previous.expect("a relative time needs a previous line") + duration(step)
                    }
                    None => when.parse().unwrap(),
                };
                let (count, step) = match repeat {
                    [] => (1, TimeDelta::zero()),
                    [count, "every", step] => (
                        count.strip_prefix('x').unwrap().parse().unwrap(),
                        duration(step),
                    ),
                    _ => panic!("bad repeat in {line:?}"),
                };
                for i in 0..count {
                    let at = first + step * i;
                    let name = (*kind != "seen").then(|| (*kind).to_owned());
                    let line = Line {
                        contact: contact.clone(),
                        at,
                        name,
                    };
                    batches.last_mut().unwrap().push(line);
                    previous = Some(at);
                }
            }
            _ => panic!("cannot read {line:?}"),
        }
    }

    let sessionizer = Sessionizer::new(rules, now);
    let mut out = String::new();
    let contacts: std::collections::BTreeSet<&str> = batches
        .iter()
        .flatten()
        .map(|l| l.contact.as_str())
        .collect();
    let mut all_sessions = Vec::new();
    let mut batch_notes: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for name in &contacts {
        let id = ContactId::new(*name);
        let everything: Vec<Signal<'_>> = batches.iter().flat_map(|b| of(b, name)).collect();
        let scratch = sessionizer.sessionize(&id, everything.clone());
        assert_obeys_rule(&rules, &everything, &scratch.sessions);

        let (mut sessions, mut stored): (Vec<Session>, Vec<Signal<'_>>) = (vec![], vec![]);
        for (i, batch) in batches.iter().enumerate() {
            let new = of(batch, name);
            let Some(from) = rebuild_window(&sessions, &new) else {
                continue;
            };
            let window = stored
                .iter()
                .copied()
                .filter(|s| s.at.to_datetime() >= from);
            let rebuild = sessionizer
                .apply(&id, &sessions, window.collect(), new.clone())
                .unwrap();
            let mut note = format!(
                "{name}: from {}, {}, {} fresh, {} duplicate",
                instant(rebuild.from),
                if rebuild.changed {
                    "changed"
                } else {
                    "unchanged"
                },
                rebuild.fresh_signals,
                rebuild.duplicate_signals,
            );
            for anomaly in &rebuild.anomalies {
                write!(note, "\n    anomaly: {anomaly}").unwrap();
            }
            batch_notes.entry(i + 1).or_default().push(note);
            replace_sessions(&mut sessions, &rebuild);
            stored.extend(new);
        }
        assert_eq!(
            sessions, scratch.sessions,
            "incremental differs from scratch"
        );
        all_sessions.extend(scratch.sessions);
    }

    writeln!(out, "sessions:").unwrap();
    for s in &all_sessions {
        writeln!(
            out,
            "  {} {} .. {} {:>9} {} events",
            s.contact_id,
            instant(s.started_at),
            instant(s.ended_at),
            span(s.ended_at - s.started_at),
            s.event_count
        )
        .unwrap();
    }
    writeln!(out, "batches:").unwrap();
    for (i, notes) in &batch_notes {
        for note in notes {
            writeln!(out, "  {i}. {note}").unwrap();
        }
    }
    if let Some(zone) = zone {
        let events: Vec<Event> = batches
            .iter()
            .flatten()
            .filter_map(|l| {
                Some(Event {
                    contact_id: ContactId::new(&l.contact),
                    event_name: l.name.clone()?,
                    occurred_at: l.at,
                    metadata: AttributeMap::new(),
                })
            })
            .collect();
        let memberships: Vec<(ContactId, CompanyId)> = contacts
            .iter()
            .map(|c| (ContactId::new(*c), CompanyId::new("acme")))
            .collect();
        writeln!(out, "rollups ({zone}):").unwrap();
        for r in daily_rollups(zone, &memberships, &all_sessions, &events) {
            let events: Vec<String> = r.events.iter().map(|(n, c)| format!("{n} {c}")).collect();
            writeln!(
                out,
                "  {} {} from {} ({}): {} active, {} sessions, events [{}]",
                r.account,
                r.day,
                instant(r.starts_at),
                span(r.ends_at - r.starts_at),
                r.active_users,
                r.sessions,
                events.join(", ")
            )
            .unwrap();
        }
    }
    expect.assert_eq(&out);
}

/// The signals of one contact in one batch.
fn of<'a>(batch: &'a [Line], contact: &str) -> Vec<Signal<'a>> {
    batch
        .iter()
        .filter(|line| line.contact == contact)
        .map(Line::signal)
        .collect()
}

fn instant(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `1d6h0m5s` style, dropping leading zero units.
fn span(d: TimeDelta) -> String {
    let secs = d.num_seconds();
    let (days, hours, mins, secs) = (secs / 86_400, secs / 3_600 % 24, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    for (value, unit) in [(days, "d"), (hours, "h"), (mins, "m"), (secs, "s")] {
        if value != 0 || !out.is_empty() || unit == "s" {
            write!(out, "{value}{unit}").unwrap();
        }
    }
    out
}

/// `1d2h30m15s` -> a duration.
fn duration(text: &str) -> TimeDelta {
    let mut total = TimeDelta::zero();
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: i64 = number
            .parse()
            .unwrap_or_else(|_| panic!("bad duration {text:?}"));
        number.clear();
        total += match c {
            'd' => TimeDelta::days(n),
            'h' => TimeDelta::hours(n),
            'm' => TimeDelta::minutes(n),
            's' => TimeDelta::seconds(n),
            _ => panic!("bad duration unit in {text:?}"),
        };
    }
    assert!(number.is_empty(), "duration {text:?} lacks a unit");
    total
}
