//! What writeback and export share about delivering one change to Intercom: how a failure is
//! classified (not applied, maybe applied, rate limited, unauthorized, gone), when a failing
//! row is tried again, and how long one attempt may run inside its lease.

use crate::config::Backoff;
use chrono::{DateTime, Utc};
use icsync_intercom::Error;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum FailureKind {
    /// Intercom did not act on it (4xx, a 429, a refused connection, a local precondition).
    Definite,
    /// Intercom may have applied it (5xx, timeout, dropped connection).
    Uncertain,
    /// A 429 whose budget ran out: not applied, retry no sooner than this.
    RetryAfter(Duration),
    /// 401: the whole workspace is affected.
    Unauthorized,
    /// 404: the contact or company is gone.
    Gone,
}

#[derive(Debug)]
pub(crate) struct Failure {
    pub reason: String,
    pub kind: FailureKind,
}

impl Failure {
    pub fn uncertain(reason: String) -> Self {
        Self {
            reason,
            kind: FailureKind::Uncertain,
        }
    }

    /// Classifies a client error; `what` names the object for a 404 ("contact", "company").
    pub fn from_error(error: Error, what: &str) -> Self {
        let kind = Self::kind_of(&error);
        let reason = match kind {
            FailureKind::Gone => format!("the {what} does not exist in Intercom ({error})"),
            _ => error.to_string(),
        };
        Self { reason, kind }
    }

    pub fn kind_of(error: &Error) -> FailureKind {
        match error {
            Error::NotFound { .. } => FailureKind::Gone,
            Error::Unauthorized { .. } => FailureKind::Unauthorized,
            Error::RateLimited { retry_after } => FailureKind::RetryAfter(*retry_after),
            e if e.may_have_been_processed() => FailureKind::Uncertain,
            _ => FailureKind::Definite,
        }
    }

    /// When a row that failed this way after `attempts` earlier failures is tried again.
    pub fn retry_at(&self, backoff: &Backoff, attempts: i32, now: DateTime<Utc>) -> DateTime<Utc> {
        let attempts = u32::try_from(attempts).unwrap_or(0) + 1;
        let mut wait = backoff.delay(attempts);
        if let FailureKind::RetryAfter(after) = self.kind {
            wait = wait.max(after);
        }
        now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
    }
}

/// How long one attempt may run: inside the lease, with room to record its outcome.
pub(crate) fn attempt_deadline(lease_secs: u64) -> Duration {
    Duration::from_secs(lease_secs.saturating_sub(15).max(15))
}
