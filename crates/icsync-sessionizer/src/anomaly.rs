//! Anomalies: what the sessionizer noticed about its input, reported instead of failing.

use crate::signal::{Signal, SignalKind};
use chrono::{DateTime, Utc};
use std::fmt;

/// Something odd in the input. The sessions are still the rule applied to what was given; an
/// anomaly says what the caller may want to log, count or repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anomaly {
    /// A new signal later than `now` plus the tolerance (the sender's clock is ahead). It is
    /// kept and sessionized like any other: when `now` catches up, it is an ordinary signal.
    FutureSignal {
        at: DateTime<Utc>,
        /// The event's name, or `None` for a seen-signal.
        event_name: Option<String>,
        now: DateTime<Utc>,
    },
    /// The stored sessions from `from` on are not what the rule gives for the stored signals
    /// handed in (the rules changed, the signals given start later than `from`, or sessions
    /// were written by other code). The rebuilt sessions are right for the signals given from
    /// `from` on; sessions before `from` may be wrong too: rebuild the contact fully
    /// ([`Sessionizer::rebuild_all`](crate::Sessionizer::rebuild_all)).
    StoredSessionsDisagree {
        from: DateTime<Utc>,
        /// Stored sessions starting at or after `from`.
        stored_sessions: usize,
        /// Sessions the rule gives for the stored signals from `from` on.
        expected_sessions: usize,
    },
    /// A stored session starts before `from` but ends at or after it, so stored sessions
    /// overlap what is rebuilt (they were not written by this rule): rebuild the contact fully.
    StoredSessionOverlaps {
        from: DateTime<Utc>,
        started_at: DateTime<Utc>,
        ended_at: DateTime<Utc>,
    },
}

impl Anomaly {
    pub(crate) fn future(signal: &Signal<'_>, now: DateTime<Utc>) -> Self {
        Self::FutureSignal {
            at: signal.at.to_datetime(),
            event_name: match signal.kind {
                SignalKind::Seen => None,
                SignalKind::Event(name) => Some(name.to_owned()),
            },
            now,
        }
    }
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FutureSignal {
                at,
                event_name,
                now,
            } => {
                let what = event_name.as_deref().map_or_else(
                    || "seen-signal".to_owned(),
                    |name| format!("event {name:?}"),
                );
                write!(
                    f,
                    "{what} at {at} is {}s in the future (now {now}); kept",
                    (*at - *now).num_seconds()
                )
            }
            Self::StoredSessionsDisagree {
                from,
                stored_sessions,
                expected_sessions,
            } => write!(
                f,
                "stored sessions from {from} on ({stored_sessions}) are not what the rule gives \
                 for the stored signals ({expected_sessions}); rebuild the contact fully"
            ),
            Self::StoredSessionOverlaps {
                from,
                started_at,
                ended_at,
            } => write!(
                f,
                "stored session {started_at} to {ended_at} runs into the rebuilt range from \
                 {from}; rebuild the contact fully"
            ),
        }
    }
}
