//! The feeds page to the end in order, without gaps or repeats, and can be polled from there.

use crate::support::*;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use icsync_domain::Session;
use serde_json::Value;

async fn drain(api: &TestApi, feed: &str, items: &str, limit: u32) -> (Vec<Value>, Value) {
    let mut after: Option<i64> = None;
    let mut all = Vec::new();
    for _ in 0..100 {
        let path = match after {
            Some(a) => format!("/v1/feeds/{feed}?limit={limit}&after={a}"),
            None => format!("/v1/feeds/{feed}?limit={limit}"),
        };
        let page = api.get(&path, &api.host).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let got = page.body[items].as_array().unwrap().clone();
        assert!(got.len() <= limit as usize);
        all.extend(got);
        after = page.body["next_cursor"].as_i64();
        if !page.body["has_more"].as_bool().unwrap() {
            return (all, page.body["next_cursor"].clone());
        }
    }
    panic!("the feed never ended");
}

#[tokio::test]
async fn the_event_feed_pages_to_the_end_in_import_order_then_polls_empty() {
    let api = api().await;
    api.seeded().await;
    let (events, cursor) = drain(&api, "events", "events", 7).await;
    assert_eq!(events.len(), 30);
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(cursor.as_i64(), seqs.last().copied());
    let poll = api
        .get(
            &format!("/v1/feeds/events?after={}", cursor.as_i64().unwrap()),
            &api.host,
        )
        .await;
    assert_eq!(poll.body["events"].as_array().unwrap().len(), 0);
    assert_eq!(
        poll.body["next_cursor"], cursor,
        "an empty page keeps the cursor"
    );
    assert_eq!(poll.body["has_more"], false);
}

#[tokio::test]
async fn the_session_feed_pages_to_the_end_and_brings_a_rebuild_after_the_cursor() {
    let api = api().await;
    let ws = api.seeded().await;
    let (sessions, cursor) = drain(&api, "sessions", "sessions", 4).await;
    assert_eq!(sessions.len(), 6);
    assert!(sessions.iter().all(|s| s["replaced_from"].is_string()));
    let from = Utc::now() - Duration::days(3);
    let rebuilt = vec![Session {
        contact_id: contact_id(1),
        started_at: Utc::now() - Duration::days(2),
        ended_at: Utc::now() - Duration::days(2) + Duration::hours(1),
        event_count: 9,
    }];
    api.store
        .replace_sessions(ws.id, &contact_id(1), from, &rebuilt)
        .await
        .unwrap();
    let next = api
        .get(
            &format!("/v1/feeds/sessions?after={}", cursor.as_i64().unwrap()),
            &api.host,
        )
        .await;
    let new = next.body["sessions"].as_array().unwrap();
    assert_eq!(new.len(), 1, "{}", next.text);
    assert_eq!(new[0]["contact_id"], contact_id(1).to_string());
    assert_eq!(new[0]["event_count"], 9);
    assert_eq!(new[0]["duration_secs"], 3600);
    let replaced =
        chrono::DateTime::parse_from_rfc3339(new[0]["replaced_from"].as_str().unwrap()).unwrap();
    assert_eq!(replaced.timestamp(), from.timestamp());
}

#[tokio::test]
async fn rollups_cover_a_range_of_days_and_refuse_a_reversed_or_huge_one() {
    let api = api().await;
    api.seeded().await;
    let account = company(1).id;
    let ok = api
        .get(&format!("/v1/feeds/rollups?account={account}"), &api.host)
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.body["timezone"], "Europe/Paris");
    let days = ok.body["days"].as_array().unwrap();
    assert_eq!(days.len(), 1, "{}", ok.text);
    assert_eq!(
        days[0]["sessions"], 3,
        "contacts 1, 3 and 5 belong to company 1"
    );
    let reversed = api
        .get(
            &format!("/v1/feeds/rollups?account={account}&from=2026-02-01&to=2026-01-01"),
            &api.host,
        )
        .await;
    assert_eq!(
        (reversed.code(), reversed.field()),
        ("validation_failed", "from")
    );
    let huge = api
        .get(
            &format!("/v1/feeds/rollups?account={account}&from=2024-01-01&to=2026-01-01"),
            &api.host,
        )
        .await;
    assert_eq!((huge.code(), huge.field()), ("validation_failed", "to"));
    let unknown = api
        .get("/v1/feeds/rollups?account=company_id:none", &api.host)
        .await;
    assert_eq!(unknown.code(), "account_not_found");
}
