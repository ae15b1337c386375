//! Generated signals for `icsync bench sessionize`: contacts' timelines of bursts and pauses,
//! from a seed, in a shuffled arrival order.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use icsync_sessionizer::Signal;

const NAMES: &[&str] = &[
    "logged-in",
    "viewed-dashboard",
    "invited-teammate",
    "exported-report",
    "created-project",
    "updated-billing",
    "opened-editor",
    "shared-link",
    "ran-query",
    "uploaded-file",
    "commented",
    "changed-settings",
];

/// One generated signal of one contact (32 bytes).
#[derive(Debug, Clone, Copy)]
pub struct ContactSignal {
    pub contact: u32,
    /// Held back from the first sessionize, to arrive late (incremental mode).
    pub late: bool,
    pub signal: Signal<'static>,
}

/// `events` signals over `contacts` contacts (each between half and 1.5 times the average),
/// `late_fraction` of them marked late, shuffled into an arrival order.
///
/// A contact's timeline starts somewhere in a 90-day window (Intercom lists 90 days of events)
/// and moves on in steps: 80% within a burst (1 s to 10 min), 15% a pause (10 min to 2 h),
/// 5% an absence (2 h to 3 days). One signal in ten is a seen-signal; the rest are events
/// with one of twelve names. Whole seconds, as Intercom sends them.
pub fn generate(
    events: usize,
    contacts: usize,
    late_fraction: f64,
    seed: u64,
) -> Vec<ContactSignal> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let epoch = Utc
        .timestamp_opt(1_760_000_000, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let mut out = Vec::with_capacity(events);
    for contact in 0..contacts {
        let remaining = events - out.len();
        let average = remaining / (contacts - contact);
        let count = if contact + 1 == contacts {
            remaining
        } else {
            rng.usize(average / 2..=average + average / 2)
                .min(remaining)
        };
        let mut at = epoch + TimeDelta::seconds(rng.i64(0..90 * 86_400));
        for _ in 0..count {
            let step = match rng.u8(..100) {
                0..80 => rng.i64(1..=600),
                80..95 => rng.i64(601..=7_200),
                _ => rng.i64(7_201..=3 * 86_400),
            };
            at += TimeDelta::seconds(step);
            let signal = if rng.u8(..10) == 0 {
                Signal::seen(at)
            } else {
                Signal::event(NAMES[rng.usize(..NAMES.len())], at)
            };
            out.push(ContactSignal {
                contact: contact as u32,
                late: rng.f64() < late_fraction,
                signal,
            });
        }
    }
    rng.shuffle(&mut out);
    out
}

/// Each contact's signals, in arrival order; `keep` picks which.
pub fn group(
    signals: &[ContactSignal],
    contacts: usize,
    keep: impl Fn(&ContactSignal) -> bool,
) -> Vec<Vec<Signal<'static>>> {
    let mut counts = vec![0usize; contacts];
    for signal in signals.iter().filter(|s| keep(s)) {
        counts[signal.contact as usize] += 1;
    }
    let mut groups: Vec<Vec<Signal<'static>>> =
        counts.into_iter().map(Vec::with_capacity).collect();
    for signal in signals.iter().filter(|s| keep(s)) {
        groups[signal.contact as usize].push(signal.signal);
    }
    groups
}

/// The floor: a plain sort of the signals by contact, then instant and kind.
pub fn sort(signals: &mut [ContactSignal]) {
    signals.sort_unstable_by(|a, b| (a.contact, a.signal).cmp(&(b.contact, b.signal)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_exact_in_count() {
        let a = generate(10_000, 97, 0.01, 7);
        let b = generate(10_000, 97, 0.01, 7);
        assert_eq!(a.len(), 10_000);
        assert!(
            a.iter()
                .zip(&b)
                .all(|(x, y)| x.signal == y.signal && x.late == y.late)
        );
        let late = a.iter().filter(|s| s.late).count();
        assert!((40..=200).contains(&late), "{late} late of 10,000");
        let groups = group(&a, 97, |_| true);
        assert_eq!(groups.iter().map(Vec::len).sum::<usize>(), 10_000);
        assert!(groups.iter().all(|g| !g.is_empty()));
    }

    #[test]
    fn a_contact_signal_is_32_bytes() {
        assert_eq!(std::mem::size_of::<ContactSignal>(), 32);
    }
}
