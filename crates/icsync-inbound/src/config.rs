//! Inbound settings: how often to poll, how far the watermark trails now, how much to run at once.
//! The daemon fills them from `config/default.toml` (`[inbound]`) and validates them.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How the inbound streams run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InboundConfig {
    /// Seconds between two incremental passes while User Tracking is on.
    pub poll_interval_secs: u64,
    /// How far the `updated_at` watermark trails the start of a pass: Intercom's contact search
    /// shows new and changed contacts only after a few minutes, so the next pass re-reads them.
    pub search_lag_margin_secs: u64,
    /// Seconds between two checks for contacts deleted in Intercom (a search over every stored
    /// contact's id, so one request per 50 contacts). 0 checks on every pass.
    pub deletion_check_interval_secs: u64,
    /// When listing a known contact's events again (newest first), stop once events are this much
    /// older than the newest one stored (events sent late with an old time are caught within it).
    pub events_overlap_secs: u64,
    /// Date ranges a users pass searches at the same time (a backfill's days are split into
    /// this many ranges, each with its own cursor; one search pages one request at a time).
    pub search_partitions: usize,
    /// Contacts whose events are listed at the same time (the pacer still spaces requests).
    pub events_concurrency: usize,
    /// Requests of the company stream in flight at once (company pages, companies by id).
    pub companies_concurrency: usize,
    /// Contacts with more than 10 companies whose companies are listed at the same time.
    pub contact_companies_concurrency: usize,
    /// Pages fetched ahead of the one being written.
    pub prefetch_pages: usize,
    /// Pages waiting for the writer before fetching waits.
    pub queue_capacity_pages: usize,
    /// Rows a stream holds for the writer at once (queued, being prepared and being written)
    /// before fetching waits: what bounds memory when pages are large (long conversations).
    pub queue_capacity_rows: usize,
    /// Rows one write transaction holds at most (group commit).
    pub queue_max_rows: usize,
    /// Conversations retrieved at the same time (each retrieve is one request; the pacer still
    /// spaces them).
    pub conversations_concurrency: usize,
    /// A profile view imports the contact's conversations again when the stored copy was
    /// fetched longer ago than this.
    pub on_view_ttl_secs: u64,
    /// A profile view waits at most this long for Intercom, then answers from the store,
    /// marked stale (the fetch goes on and lands for the next view).
    pub on_view_timeout_ms: u64,
    /// Webhook notifications larger than this are refused (413) unread.
    pub webhook_max_body_bytes: usize,
    /// How sessions are rebuilt from events and seen-signals (the daemon's `[sessions]`).
    #[serde(skip)]
    pub sessions: icsync_sessionizer::SessionRules,
}

impl Default for InboundConfig {
    fn default() -> Self {
        InboundConfig {
            poll_interval_secs: 300,
            search_lag_margin_secs: 900,
            deletion_check_interval_secs: 86_400,
            events_overlap_secs: 86_400,
            search_partitions: 4,
            events_concurrency: 16,
            companies_concurrency: 4,
            contact_companies_concurrency: 4,
            prefetch_pages: 2,
            queue_capacity_pages: 8,
            queue_capacity_rows: 20_000,
            queue_max_rows: 20_000,
            conversations_concurrency: 4,
            on_view_ttl_secs: 300,
            on_view_timeout_ms: 2_000,
            webhook_max_body_bytes: 4 * 1024 * 1024,
            sessions: icsync_sessionizer::SessionRules::default(),
        }
    }
}

impl InboundConfig {
    /// Checks every setting; the error names the key and what it must be.
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            (
                "inbound.poll_interval_secs",
                self.poll_interval_secs as usize,
            ),
            ("inbound.events_concurrency", self.events_concurrency),
            ("inbound.search_partitions", self.search_partitions),
            ("inbound.companies_concurrency", self.companies_concurrency),
            (
                "inbound.contact_companies_concurrency",
                self.contact_companies_concurrency,
            ),
            ("inbound.prefetch_pages", self.prefetch_pages),
            ("inbound.queue_capacity_pages", self.queue_capacity_pages),
            ("inbound.queue_capacity_rows", self.queue_capacity_rows),
            ("inbound.queue_max_rows", self.queue_max_rows),
            (
                "inbound.conversations_concurrency",
                self.conversations_concurrency,
            ),
            (
                "inbound.on_view_timeout_ms",
                usize::try_from(self.on_view_timeout_ms).unwrap_or(usize::MAX),
            ),
            (
                "inbound.webhook_max_body_bytes",
                self.webhook_max_body_bytes,
            ),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(format!("{key} must be at least 1"));
            }
        }
        if self.conversations_concurrency > 64 {
            return Err("inbound.conversations_concurrency must be at most 64".to_owned());
        }
        if self.events_concurrency > 64 || self.companies_concurrency > 64 {
            return Err(
                "inbound.events_concurrency and inbound.companies_concurrency must be at most 64"
                    .to_owned(),
            );
        }
        Ok(())
    }

    pub fn poll_interval(&self) -> Duration {
        Duration::from_secs(self.poll_interval_secs)
    }

    pub fn on_view_ttl(&self) -> Duration {
        Duration::from_secs(self.on_view_ttl_secs)
    }

    pub fn on_view_timeout(&self) -> Duration {
        Duration::from_millis(self.on_view_timeout_ms)
    }

    pub(crate) fn lag_margin(&self) -> chrono::Duration {
        chrono::Duration::seconds(
            i64::try_from(self.search_lag_margin_secs).unwrap_or(i64::MAX / 2),
        )
    }

    pub(crate) fn events_overlap(&self) -> chrono::Duration {
        chrono::Duration::seconds(i64::try_from(self.events_overlap_secs).unwrap_or(i64::MAX / 2))
    }

    pub(crate) fn deletion_check_interval(&self) -> chrono::Duration {
        chrono::Duration::seconds(
            i64::try_from(self.deletion_check_interval_secs).unwrap_or(i64::MAX / 2),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_zero_concurrency_is_named() {
        assert_eq!(InboundConfig::default().validate(), Ok(()));
        let bad = InboundConfig {
            events_concurrency: 0,
            ..InboundConfig::default()
        };
        assert_eq!(
            bad.validate(),
            Err("inbound.events_concurrency must be at least 1".to_owned())
        );
    }
}
