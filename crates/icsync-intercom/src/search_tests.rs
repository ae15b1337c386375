//! Tests of the search query builder and the watermark helper.

use super::*;
use chrono::TimeZone;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    match Utc.with_ymd_and_hms(y, m, d, h, min, s).single() {
        Some(t) => t,
        None => panic!("bad date"),
    }
}

#[test]
fn nested_queries_serialise_as_intercom_expects() {
    let query = Query::and([
        contact::role().eq("user"),
        Query::or([
            contact::email().ends_with("@acme.com"),
            contact::custom_string("plan").is_in(["pro", "team"]),
        ]),
    ]);
    assert!(query.validate().is_ok());
    assert_eq!(
        query.to_json(),
        json!({"operator": "AND", "value": [
            {"field": "role", "operator": "=", "value": "user"},
            {"operator": "OR", "value": [
                {"field": "email", "operator": "$", "value": "@acme.com"},
                {"field": "custom_attributes.plan", "operator": "IN", "value": ["pro", "team"]}
            ]}
        ]})
    );
}

#[test]
fn search_body_carries_the_cursor_in_pagination_and_the_sort() {
    let request = SearchRequest::new(conversation::contact_ids().eq("667d60bb8a68186f43bafdc5"))
        .sorted_by("updated_at", SortOrder::Ascending);
    assert_eq!(
        request.body(150, Some("WzE3MTk0OTI3NzcwMDAsIjY2N2QiXQ==")),
        json!({
            "query": {"field": "contact_ids", "operator": "=", "value": "667d60bb8a68186f43bafdc5"},
            "pagination": {"per_page": 150, "starting_after": "WzE3MTk0OTI3NzcwMDAsIjY2N2QiXQ=="},
            "sort": {"field": "updated_at", "order": "ascending"}
        })
    );
    assert_eq!(
        request.body(50, None)["pagination"],
        json!({"per_page": 50})
    );
}

#[test]
fn too_deep_too_wide_and_empty_groups_are_rejected_before_sending() {
    let three_levels = Query::and([Query::or([Query::and([contact::role().eq("user")])])]);
    assert!(
        matches!(three_levels.validate(), Err(Error::InvalidQuery(m)) if m.contains("3 levels"))
    );

    let sixteen = Query::or((0..16).map(|i| contact::external_id().eq(i.to_string())));
    assert!(matches!(sixteen.validate(), Err(Error::InvalidQuery(m)) if m.contains("16 items")));
    let fifteen = Query::or((0..15).map(|i| contact::external_id().eq(i.to_string())));
    assert!(fifteen.validate().is_ok());

    let inner_too_wide = Query::and([Query::or(
        (0..16).map(|i| contact::external_id().eq(i.to_string())),
    )]);
    assert!(inner_too_wide.validate().is_err());
    assert!(
        matches!(Query::and([]).validate(), Err(Error::InvalidQuery(m)) if m.contains("empty"))
    );
    assert!(contact::role().eq("user").validate().is_ok());
}

#[test]
fn contact_date_operators_are_only_eq_lt_gt() {
    let t = at(2026, 3, 1, 12, 0, 0);
    let ops: Vec<Value> = [
        contact::updated_at().after_day_of(t),
        contact::updated_at().before_day_of(t),
        contact::updated_at().on_day_of(t),
    ]
    .iter()
    .map(|q| q.to_json()["operator"].clone())
    .collect();
    assert_eq!(ops, vec![json!(">"), json!("<"), json!("=")]);
    assert_eq!(
        contact::created_at().after_day_of(t).to_json()["value"],
        json!(t.timestamp())
    );
}

#[test]
fn updated_since_rereads_from_the_start_of_the_watermarks_day_in_the_workspace_zone() {
    // 2026-03-10 10:30 UTC is 2026-03-10 in Dublin (UTC+0 in March): start of day 00:00 UTC.
    let watermark = at(2026, 3, 10, 10, 30, 0);
    let dublin = FixedOffset::east_opt(0);
    let since = contacts_updated_since(watermark, dublin);
    assert_eq!(since.lower_bound, at(2026, 3, 9, 23, 59, 59));
    assert_eq!(since.rereads_from, at(2026, 3, 10, 0, 0, 0));
    assert_eq!(
        since.query.to_json(),
        json!({"field": "updated_at", "operator": ">", "value": at(2026, 3, 9, 23, 59, 59).timestamp()})
    );

    // 2026-03-10 02:00 UTC is still 2026-03-09 in New York (UTC-5): the day starts 2026-03-09 05:00 UTC.
    let new_york = FixedOffset::west_opt(5 * 3600);
    let since = contacts_updated_since(at(2026, 3, 10, 2, 0, 0), new_york);
    assert_eq!(since.rereads_from, at(2026, 3, 9, 5, 0, 0));

    // Unknown zone: 26 hours back is before the watermark's day in every zone (UTC-12 .. UTC+14).
    let since = contacts_updated_since(watermark, None);
    assert_eq!(since.lower_bound, watermark - Duration::hours(26));
    for offset_hours in -12..=14 {
        let Some(offset) = FixedOffset::east_opt(offset_hours * 3600) else {
            continue;
        };
        let bound_day = since.lower_bound.with_timezone(&offset).date_naive();
        let watermark_day = watermark.with_timezone(&offset).date_naive();
        assert!(bound_day < watermark_day, "offset {offset_hours}");
    }
}

#[test]
fn updated_since_in_an_iana_zone_follows_daylight_saving() {
    // Los Angeles in July is UTC-7: 2026-07-10 03:00 UTC is 2026-07-09 20:00 local; the day began 07:00 UTC.
    let since =
        contacts_updated_since_in_zone(at(2026, 7, 10, 3, 0, 0), Some("America/Los_Angeles"));
    assert_eq!(since.rereads_from, at(2026, 7, 9, 7, 0, 0));
    // In January it is UTC-8.
    let since =
        contacts_updated_since_in_zone(at(2026, 1, 10, 3, 0, 0), Some("America/Los_Angeles"));
    assert_eq!(since.rereads_from, at(2026, 1, 9, 8, 0, 0));
    // Unknown zones fall back to the 26-hour bound.
    let watermark = at(2026, 1, 10, 3, 0, 0);
    assert_eq!(
        contacts_updated_since_in_zone(watermark, Some("Mars/Olympus")).lower_bound,
        watermark - Duration::hours(26)
    );
    assert_eq!(
        contacts_updated_since_in_zone(watermark, None).lower_bound,
        watermark - Duration::hours(26)
    );
}

#[test]
fn a_backfill_window_starts_at_the_start_of_the_cutoffs_local_day() {
    // 2026-10-02 03:00 UTC is 2026-10-01 20:00 in Los Angeles (PDT, UTC-7): the window must reach
    // back to 2026-10-01 00:00 local = 07:00 UTC, and ask for `created_at > 06:59:59`.
    let cutoff = Utc.with_ymd_and_hms(2026, 10, 2, 3, 0, 0).unwrap();
    let since = contacts_since_in_zone(contact::created_at(), cutoff, Some("America/Los_Angeles"));
    let expected = Utc.with_ymd_and_hms(2026, 10, 1, 7, 0, 0).unwrap();
    assert_eq!(since.rereads_from, expected);
    assert_eq!(since.lower_bound, expected - Duration::seconds(1));
    assert_eq!(
        since.query.to_json(),
        json!({"field": "created_at", "operator": ">", "value": expected.timestamp() - 1})
    );
    let unknown = contacts_since_in_zone(contact::created_at(), cutoff, Some("Mars/Olympus"));
    assert_eq!(unknown.lower_bound, cutoff - Duration::hours(26));
}
