//! Daily rollups per account: active users, sessions and events by name, per day of the
//! workspace's time zone (sessions stay in UTC; only the day boundaries are local).

use crate::signal::Timestamp;
use chrono::offset::LocalResult;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use icsync_domain::{CompanyId, ContactId, Event, Session};
use std::collections::{BTreeMap, HashMap, HashSet};

/// One account's activity on one local day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyRollup {
    pub account: CompanyId,
    /// The day in the workspace's time zone.
    pub day: NaiveDate,
    /// The day's first instant and the next day's, in UTC (23 or 25 hours apart on DST days).
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The account's contacts with a session or an event on this day.
    pub active_users: u64,
    /// The account's contacts' sessions that started on this day (each session counts once).
    pub sessions: u64,
    /// The account's contacts' events on this day, by name (duplicates counted once).
    pub events: BTreeMap<String, u64>,
}

#[derive(Default)]
struct Day<'a> {
    users: HashSet<&'a ContactId>,
    sessions: u64,
    events: BTreeMap<&'a str, u64>,
}

/// Rolls `sessions` and `events` up per account (a contact counts for each company it belongs
/// to in `memberships`; contacts in none are left out) and per day of `zone`, ordered by
/// account then day.
///
/// A session counts as started on the local day of its first signal, and makes its contact
/// active on every local day it touches (a session spanning midnight is activity on both days;
/// since no gap inside a session exceeds the rule's gap, it has signals on both). Events count
/// on the local day they occurred; two events of one contact with the same name and instant
/// are one event, as in the sessionizer.
pub fn daily_rollups(
    zone: Tz,
    memberships: &[(ContactId, CompanyId)],
    sessions: &[Session],
    events: &[Event],
) -> Vec<DailyRollup> {
    let mut accounts_of: HashMap<&ContactId, Vec<&CompanyId>> = HashMap::new();
    for (contact, company) in memberships {
        let accounts = accounts_of.entry(contact).or_default();
        if !accounts.contains(&company) {
            accounts.push(company);
        }
    }
    let mut calendar = Calendar::new(zone);
    let mut days: BTreeMap<(&CompanyId, NaiveDate), Day<'_>> = BTreeMap::new();

    for session in sessions {
        let Some(accounts) = accounts_of.get(&session.contact_id) else {
            continue;
        };
        let first = calendar.date_of(session.started_at);
        let last = calendar.date_of(session.ended_at).max(first);
        for day in first.iter_days().take_while(|day| *day <= last) {
            // A day the zone skipped (Samoa dropped 2011-12-30) has no instant to be active in.
            if day != first && calendar.first_instant(day).is_none() {
                continue;
            }
            for account in accounts {
                let entry = days.entry((account, day)).or_default();
                entry.users.insert(&session.contact_id);
                entry.sessions += u64::from(day == first);
            }
        }
    }

    let mut seen_events = HashSet::new();
    for event in events {
        let Some(accounts) = accounts_of.get(&event.contact_id) else {
            continue;
        };
        let key = (
            &event.contact_id,
            event.event_name.as_str(),
            Timestamp::from(event.occurred_at),
        );
        if !seen_events.insert(key) {
            continue;
        }
        let day = calendar.date_of(event.occurred_at);
        for account in accounts {
            let entry = days.entry((account, day)).or_default();
            entry.users.insert(&event.contact_id);
            *entry.events.entry(&event.event_name).or_default() += 1;
        }
    }

    days.into_iter()
        .map(|((account, day), totals)| {
            let (starts_at, ends_at) = calendar.bounds(day);
            DailyRollup {
                account: account.clone(),
                day,
                starts_at,
                ends_at,
                active_users: totals.users.len() as u64,
                sessions: totals.sessions,
                events: totals
                    .events
                    .into_iter()
                    .map(|(name, count)| (name.to_owned(), count))
                    .collect(),
            }
        })
        .collect()
}

/// Local days of one zone, with their first instants cached.
struct Calendar {
    zone: Tz,
    starts: HashMap<NaiveDate, Option<DateTime<Utc>>>,
}

impl Calendar {
    fn new(zone: Tz) -> Self {
        Self {
            zone,
            starts: HashMap::new(),
        }
    }

    fn date_of(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone).date_naive()
    }

    /// The first instant whose local date is `day`; `None` for a day the zone skipped.
    fn first_instant(&mut self, day: NaiveDate) -> Option<DateTime<Utc>> {
        let zone = self.zone;
        *self
            .starts
            .entry(day)
            .or_insert_with(|| first_instant(zone, day))
    }

    /// The day's first instant and the next existing day's (a day that has activity exists).
    fn bounds(&mut self, day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        let fallback = day.and_time(NaiveTime::MIN).and_utc();
        let start = self.first_instant(day).unwrap_or(fallback);
        let end = day
            .iter_days()
            .skip(1)
            .take(7)
            .find_map(|next| self.first_instant(next))
            .unwrap_or(start + TimeDelta::days(1));
        (start, end)
    }
}

fn first_instant(zone: Tz, day: NaiveDate) -> Option<DateTime<Utc>> {
    let midnight = day.and_time(NaiveTime::MIN);
    match zone.from_local_datetime(&midnight) {
        // One midnight: the instant before it read the previous day.
        LocalResult::Single(at) => return Some(at.with_timezone(&Utc)),
        // Clocks fell back onto midnight: the day starts at the first of the two.
        LocalResult::Ambiguous(a, b) => return Some(a.min(b).with_timezone(&Utc)),
        LocalResult::None => {}
    }
    // Clocks jumped over midnight (e.g. America/Havana, or Samoa skipping a whole day): the day
    // starts at the transition. Search the seconds around local midnight read as UTC: 36 hours
    // either side covers every offset tz data has (within ±16 h).
    let date_at = |secs: i64| {
        DateTime::from_timestamp(secs, 0).map(|at| at.with_timezone(&zone).date_naive())
    };
    let guess = midnight.and_utc().timestamp();
    let (mut before, mut after) = (guess - 36 * 3_600, guess + 36 * 3_600);
    while after - before > 1 {
        let mid = before + (after - before) / 2;
        if date_at(mid).is_some_and(|date| date >= day) {
            after = mid;
        } else {
            before = mid;
        }
    }
    let start = DateTime::from_timestamp(after, 0)?;
    (start.with_timezone(&zone).date_naive() == day).then_some(start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn days_start_at_local_midnight_or_at_the_jump_over_it() {
        let la = chrono_tz::America::Los_Angeles;
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            first_instant(la, d(2025, 3, 9)),
            Some(utc("2025-03-09T08:00:00Z"))
        );
        assert_eq!(
            first_instant(la, d(2025, 3, 10)),
            Some(utc("2025-03-10T07:00:00Z"))
        );
        // Havana springs forward at midnight: 2025-03-09 begins at 01:00 CDT = 05:00 UTC.
        let havana = chrono_tz::America::Havana;
        assert_eq!(
            first_instant(havana, d(2025, 3, 9)),
            Some(utc("2025-03-09T05:00:00Z"))
        );
        // Samoa skipped 2011-12-30 entirely.
        let apia = chrono_tz::Pacific::Apia;
        assert_eq!(first_instant(apia, d(2011, 12, 30)), None);
        assert_eq!(
            first_instant(apia, d(2011, 12, 31)),
            Some(Utc.with_ymd_and_hms(2011, 12, 30, 10, 0, 0).unwrap())
        );
    }
}

#[cfg(test)]
mod membership_tests {
    use super::*;
    use icsync_domain::AttributeMap;

    #[test]
    fn a_contact_counts_for_each_of_its_accounts_and_contacts_in_none_are_left_out() {
        let at: DateTime<Utc> = "2025-06-01T15:00:00Z".parse().unwrap();
        let (ada, bo, cy) = (
            ContactId::new("ada"),
            ContactId::new("bo"),
            ContactId::new("cy"),
        );
        let memberships = [
            (ada.clone(), CompanyId::new("acme")),
            (ada.clone(), CompanyId::new("globex")),
            (ada.clone(), CompanyId::new("acme")),
            (bo.clone(), CompanyId::new("acme")),
        ];
        let session = |contact: &ContactId| Session {
            contact_id: contact.clone(),
            started_at: at,
            ended_at: at,
            event_count: 1,
        };
        let event = |contact: &ContactId| Event {
            contact_id: contact.clone(),
            event_name: "login".into(),
            occurred_at: at,
            metadata: AttributeMap::new(),
        };
        let rollups = daily_rollups(
            chrono_tz::Europe::Paris,
            &memberships,
            &[session(&ada), session(&bo), session(&cy)],
            &[event(&ada), event(&ada), event(&bo), event(&cy)],
        );
        let figures: Vec<_> = rollups
            .iter()
            .map(|r| {
                (
                    r.account.as_str(),
                    r.active_users,
                    r.sessions,
                    r.events["login"],
                )
            })
            .collect();
        assert_eq!(figures, vec![("acme", 2, 2, 2), ("globex", 1, 1, 1)]);
        assert_eq!(
            rollups[0].starts_at,
            "2025-05-31T22:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }
}
