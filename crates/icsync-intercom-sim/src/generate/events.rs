//! Deterministic, lazily generated data events: bursts of activity over the last 120 days.

use serde_json::{Map, json};

use super::words::EVENT_NAMES;
use crate::model::event::EventData;
use crate::rng::{Rng, Stream};

const DAY: i64 = 86_400;
/// Generated events span this many days before the anchor.
pub(crate) const HISTORY_DAYS: i64 = 120;

/// How many events generated contact `index` has (cheap: no event is built).
pub(crate) fn count(seed: u64, index: u32, mean: u32) -> u32 {
    let mut r = Rng::new(seed, Stream::Events, u64::from(index));
    if mean == 0 || r.chance(0.15) {
        return 0;
    }
    r.range(1, u64::from(mean) * 2) as u32
}

/// The generated events of contact `index`, newest first.
pub(crate) fn generate(
    seed: u64,
    index: u32,
    mean: u32,
    created_at: i64,
    anchor: i64,
) -> Vec<EventData> {
    let n = count(seed, index, mean);
    let mut r = Rng::new(seed, Stream::Events, u64::from(index) | 1 << 40);
    let start = created_at.max(anchor - HISTORY_DAYS * DAY);
    let span = (anchor - start).max(1) as u64;
    // Each contact uses a handful of event names.
    let first = r.below(EVENT_NAMES.len() as u64) as usize;
    let mut out = Vec::with_capacity(n as usize);
    while (out.len() as u32) < n {
        let burst = r.range(1, 8).min(u64::from(n - out.len() as u32));
        let mut t = start + r.below(span) as i64;
        for _ in 0..burst {
            let name = EVENT_NAMES[(first + r.below(4) as usize) % EVENT_NAMES.len()];
            out.push(EventData {
                name: name.to_owned(),
                created_at: t.min(anchor),
                metadata: metadata(&mut r),
            });
            t += r.range(10, 600) as i64;
        }
    }
    out.sort_by_key(|e| std::cmp::Reverse(e.created_at));
    out
}

fn metadata(r: &mut Rng) -> Map<String, serde_json::Value> {
    let mut m = Map::new();
    match r.below(6) {
        0 => {}
        1 => {
            m.insert("path".into(), json!("/dashboard"));
        }
        2 => {
            m.insert("duration_ms".into(), json!(r.range(5, 5000)));
            m.insert("success".into(), json!(r.chance(0.9)));
        }
        3 => {
            m.insert(
                "article".into(),
                json!({"url": "https://example.com/help/42", "value": "Getting started"}),
            );
        }
        4 => {
            m.insert(
                "price".into(),
                json!({"amount": r.range(100, 100_000), "currency": "usd"}),
            );
            m.insert(
                "invoice_date".into(),
                json!(1_700_000_000 + r.below(10_000_000) as i64),
            );
        }
        _ => {
            m.insert("source".into(), json!("web"));
            m.insert("items".into(), json!(r.range(1, 20)));
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_stay_in_their_window_and_match_the_count() {
        let anchor = 1_700_000_000;
        for i in 0..200 {
            let created = anchor - 400 * DAY;
            let ev = generate(3, i, 12, created, anchor);
            assert_eq!(ev.len() as u32, count(3, i, 12));
            for e in &ev {
                assert!(e.created_at >= anchor - HISTORY_DAYS * DAY && e.created_at <= anchor);
            }
            assert!(ev.windows(2).all(|w| w[0].created_at >= w[1].created_at));
        }
        let some_old = (0..200).any(|i| {
            generate(3, i, 12, anchor - 400 * DAY, anchor)
                .iter()
                .any(|e| e.created_at < anchor - 90 * DAY)
        });
        assert!(
            some_old,
            "some events must be older than the 90-day listing window"
        );
    }
}
