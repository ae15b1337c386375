//! The activity chart of a profile: events and sessions per day as an inline SVG drawn on the
//! server (two bars a day, a scale, the first, middle and last day), with the same figures in a
//! table for screen readers and for reading exact values.

use chrono::NaiveDate;
use maud::{Markup, html};

/// One day's activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DayActivity {
    pub day: NaiveDate,
    pub events: u64,
    pub sessions: u64,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 28.0;

/// The smallest of 1, 2, 5, 10, 20, 50, ... at or above `n`.
fn nice_ceiling(n: u64) -> u64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if step * m >= n {
                return step * m;
            }
        }
        step *= 10;
    }
}

/// The chart of `days` (every day of the range, oldest first), titled `title`.
pub(crate) fn activity_chart(id: &str, title: &str, days: &[DayActivity]) -> Markup {
    let total_events: u64 = days.iter().map(|d| d.events).sum();
    let total_sessions: u64 = days.iter().map(|d| d.sessions).sum();
    let top = nice_ceiling(
        days.iter()
            .map(|d| d.events.max(d.sessions))
            .max()
            .unwrap_or(0)
            .max(1),
    );
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / days.len().max(1) as f64;
    let bar = (slot * 0.4).max(1.0);
    let y = |v: u64| TOP + plot_h - plot_h * v as f64 / top as f64;
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let first = days.first().map(|d| d.day);
    let last = days.last().map(|d| d.day);
    let summary = match (first, last) {
        (Some(first), Some(last)) => format!(
            "{} events and {} sessions from {first} to {last}",
            crate::format::number(total_events),
            crate::format::number(total_sessions)
        ),
        _ => "No days to show".to_owned(),
    };
    let labelled: Vec<usize> = match days.len() {
        0 => vec![],
        1 => vec![0],
        n => vec![0, n / 2, n - 1],
    };
    html! {
        figure.chart {
            svg id=(id) viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img"
                aria-labelledby=(format!("{title_id} {desc_id}")) preserveAspectRatio="xMidYMid meet" {
                title id=(title_id) { (title) }
                desc id=(desc_id) { (summary) }
                @for v in [0, top / 2, top] {
                    line.grid x1=(LEFT) x2=(WIDTH - RIGHT) y1=(y(v)) y2=(y(v)) {}
                    text.axis x=(LEFT - 6.0) y=(y(v) + 4.0) text-anchor="end" { (v) }
                }
                @for (i, d) in days.iter().enumerate() {
                    @let x = LEFT + slot * i as f64 + (slot - 2.0 * bar) / 2.0;
                    rect.bar-events x=(x) y=(y(d.events)) width=(bar) height=(y(0) - y(d.events)) {
                        title { (d.day) ": " (d.events) " events" }
                    }
                    rect.bar-sessions x=(x + bar) y=(y(d.sessions)) width=(bar) height=(y(0) - y(d.sessions)) {
                        title { (d.day) ": " (d.sessions) " sessions" }
                    }
                }
                @for i in &labelled {
                    @let d = days[*i];
                    text.axis x=(LEFT + slot * (*i as f64 + 0.5)) y=(HEIGHT - 8.0) text-anchor="middle" {
                        (d.day.format("%b %-d"))
                    }
                }
            }
            figcaption {
                span.key-events { "Events" } " " span.key-sessions { "Sessions" } " per day: " (summary) "."
            }
            details {
                summary { "The figures as a table" }
                div.scroll {
                    table {
                        thead { tr { th scope="col" { "Day" } th scope="col" { "Events" } th scope="col" { "Sessions" } } }
                        tbody {
                            @for d in days {
                                tr { th scope="row" { (d.day) } td { (d.events) } td { (d.sessions) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_round_up_to_a_readable_top() {
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(7), 10);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(480), 500);
    }

    #[test]
    fn every_day_gets_two_bars_and_the_totals_are_said() {
        let day = |d: u32, events, sessions| DayActivity {
            day: NaiveDate::from_ymd_opt(2026, 11, d).unwrap(),
            events,
            sessions,
        };
        let html = activity_chart(
            "a",
            "Activity",
            &[day(1, 4, 1), day(2, 0, 0), day(3, 10, 2)],
        )
        .into_string();
        assert_eq!(html.matches("class=\"bar-events\"").count(), 3);
        assert_eq!(html.matches("class=\"bar-sessions\"").count(), 3);
        assert!(html.contains("14 events and 3 sessions from 2026-11-01 to 2026-11-03"));
        assert!(html.contains("2026-11-03: 10 events"));
    }
}
