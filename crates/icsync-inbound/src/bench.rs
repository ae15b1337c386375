//! Figures of a conversations run, for `icsync bench sync`: conversations and parts per second,
//! and the requests made against the floor Intercom's API imposes.
//!
//! The floor: search pages at the maximum size (150 conversations a page, at least one), plus
//! one retrieve per conversation the run had to refresh (new, or changed since stored: search
//! items carry no parts, so nothing cheaper exists). A backfill into an empty store refreshes
//! every conversation it reads; a quiet poll refreshes none.

use crate::report::StreamReport;
use serde::Serialize;

/// Conversations per search page at most (`searchConversations`' `per_page` maximum).
pub const CONVERSATIONS_PER_SEARCH_PAGE: u64 = 150;

/// What a conversations run did, in the bench's terms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ConversationFigures {
    /// Conversations the searches returned.
    pub conversations: u64,
    /// Conversations retrieved with their parts (new or changed).
    pub conversations_fetched: u64,
    /// Conversations written (inserted or changed).
    pub conversations_written: u64,
    /// Parts received in the retrieves, and parts written.
    pub parts: u64,
    pub parts_written: u64,
    /// Conversations whose parts Intercom truncated to its 500 most recent.
    pub truncated: u64,
    pub seconds: f64,
    pub conversations_per_s: f64,
    pub parts_per_s: f64,
    pub requests: u64,
    pub floor_requests: u64,
    pub rate_limited: u64,
}

impl ConversationFigures {
    /// The figures of a `conversations` stream report (or an on-view fetch's).
    pub fn from_report(report: &StreamReport) -> Self {
        let also = |key: &str| report.also.get(key).copied().unwrap_or(0);
        let conversations = report.stats.read.max(0) as u64;
        let fetched = also("conversations_fetched");
        let parts = also("parts_received");
        let seconds = report.stats.duration_ms.max(0) as f64 / 1000.0;
        let rate = |n: u64| {
            if seconds > 0.0 {
                (n as f64 / seconds).round()
            } else {
                0.0
            }
        };
        ConversationFigures {
            conversations,
            conversations_fetched: fetched,
            conversations_written: also("conversations_written"),
            parts,
            parts_written: also("parts_written"),
            truncated: also("conversations_truncated"),
            seconds,
            conversations_per_s: rate(conversations),
            parts_per_s: rate(parts),
            requests: report.stats.requests.max(0) as u64,
            floor_requests: floor_requests(conversations, fetched + also("conversations_deleted")),
            rate_limited: report.stats.rate_limited.max(0) as u64,
        }
    }
}

/// The fewest requests that read `searched` conversations and refresh `refreshed` of them.
pub fn floor_requests(searched: u64, refreshed: u64) -> u64 {
    searched.div_ceil(CONVERSATIONS_PER_SEARCH_PAGE).max(1) + refreshed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_is_full_search_pages_plus_one_retrieve_per_refresh() {
        assert_eq!(
            floor_requests(0, 0),
            1,
            "an empty search is still a request"
        );
        assert_eq!(floor_requests(150, 150), 151);
        assert_eq!(floor_requests(151, 3), 5);
        let mut report = StreamReport::new("conversations");
        report.stats.read = 300;
        report.stats.requests = 302;
        report.stats.duration_ms = 2_000;
        report.add("conversations_fetched", 300);
        report.add("parts_received", 9_000);
        let figures = ConversationFigures::from_report(&report);
        assert_eq!(figures.floor_requests, 302);
        assert_eq!(figures.parts_per_s, 4_500.0);
        assert_eq!(figures.conversations_per_s, 150.0);
    }
}
