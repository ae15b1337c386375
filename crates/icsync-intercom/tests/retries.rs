//! Error mapping and retry behaviour against wiremock: what is retried, what is not, and how often.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{client, contact, error_body, fixture};
use icsync_intercom::{Error, collect_all};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap_or_default().len()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[tokio::test]
async fn unauthorized_is_not_retried_and_tells_the_admin_to_reconnect() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .respond_with(ResponseTemplate::new(401).set_body_json(fixture("error_unauthorized.json")))
        .mount(&server)
        .await;
    let err = client(&server).admins().me().await.err();
    assert!(
        matches!(
            &err,
            Some(Error::Unauthorized {
                request_id: Some(_),
                ..
            })
        ),
        "{err:?}"
    );
    let message = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("reconnect") && message.contains("region"),
        "{message}"
    );
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn not_found_and_bad_request_are_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/companies/nope"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(fixture("error_company_not_found.json")),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/companies"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(error_body("bad_request", "bad 'test' parameter")),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    let err = client.companies().get("nope").await.err();
    assert!(
        matches!(&err, Some(Error::NotFound { code, .. }) if code == "company_not_found"),
        "{err:?}"
    );
    let upsert = icsync_intercom::models::CompanyUpsert {
        company_id: "x".into(),
        ..Default::default()
    };
    let err = client.companies().upsert(&upsert).await.err();
    assert!(
        matches!(&err, Some(Error::Api { status: 400, code, .. }) if code == "bad_request"),
        "{err:?}"
    );
    assert_eq!(requests(&server).await, 2);
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_then_succeed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/c1"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/c1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(contact("c1")))
        .mount(&server)
        .await;
    let client = client(&server);
    let found = client.contacts().get("c1").await;
    assert!(found.is_ok(), "{found:?}");
    let stats = client.stats();
    assert_eq!(
        (stats.requests, stats.retries, stats.server_errors),
        (3, 2, 2)
    );
}

#[tokio::test]
async fn retries_stop_at_the_cap() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/c1"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let err = client(&server).contacts().get("c1").await.err();
    assert!(
        matches!(err, Some(Error::Api { status: 500, .. })),
        "{err:?}"
    );
    assert_eq!(
        requests(&server).await,
        4,
        "max_attempts is 4 in these tests"
    );
}

#[tokio::test]
async fn truncated_200_bodies_are_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/c1"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"type":"contact","id":"c1","email":"jo"#,
            "application/json",
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/c1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(contact("c1")))
        .mount(&server)
        .await;
    let found = client(&server).contacts().get("c1").await;
    assert!(found.is_ok(), "{found:?}");
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn a_wrongly_shaped_200_is_a_decode_error_naming_the_field() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/c1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"type": "contact", "id": "c1", "created_at": "last tuesday"}),
            ),
        )
        .mount(&server)
        .await;
    let err = client(&server).contacts().get("c1").await.err();
    match err {
        Some(Error::Decode {
            field,
            snippet,
            malformed: false,
            ..
        }) => {
            assert_eq!(field, "created_at");
            assert!(snippet.contains("last tuesday"), "{snippet}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert_eq!(
        requests(&server).await,
        1,
        "a shape error cannot succeed on retry"
    );
}

#[tokio::test]
async fn timeouts_are_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/c1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(contact("c1"))
                .set_delay(Duration::from_secs(2)),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/c1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(contact("c1")))
        .mount(&server)
        .await;
    let client = client(&server);
    assert!(client.contacts().get("c1").await.is_ok());
    assert_eq!(client.stats().transport_errors, 1);
}

#[tokio::test]
async fn a_429_waits_for_the_reset_and_counts() {
    let server = MockServer::start().await;
    let limited = ResponseTemplate::new(429)
        .insert_header("x-ratelimit-limit", "167")
        .insert_header("x-ratelimit-remaining", "0")
        .insert_header("x-ratelimit-reset", unix_now().to_string().as_str())
        .set_body_json(error_body(
            "rate_limit_exceeded",
            "Exceeded rate limit of 167 in 10_seconds",
        ));
    Mock::given(method("GET"))
        .and(path("/contacts/c1"))
        .respond_with(limited)
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/c1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-ratelimit-limit", "167")
                .insert_header("x-ratelimit-remaining", "166")
                .set_body_json(contact("c1")),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    assert!(client.contacts().get("c1").await.is_ok());
    let stats = client.stats();
    assert_eq!(
        (stats.requests, stats.rate_limited, stats.retries),
        (3, 2, 2)
    );
    assert_eq!(client.pacer_status().limit, Some(167));
    assert!(stats.pacer_wait >= Duration::from_millis(20), "{stats:?}");
}

#[tokio::test]
async fn a_429_with_retry_after_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/tags"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/tags"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("tags.json")))
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    assert!(client(&server).tags().list().await.is_ok());
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_failed_page_ends_the_stream_with_the_error_after_the_good_pages() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts"))
        .and(wiremock::matchers::query_param_is_missing("starting_after"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"type": "list", "data": [contact("c1")], "pages": {"next": {"starting_after": "p2"}}})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts"))
        .and(wiremock::matchers::query_param("starting_after", "p2"))
        .respond_with(ResponseTemplate::new(403).set_body_json(error_body(
            "api_plan_restricted",
            "Active subscription needed.",
        )))
        .mount(&server)
        .await;
    use futures::StreamExt;
    let results: Vec<_> = client(&server).contacts().list().collect().await;
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    assert!(
        matches!(&results[1], Err(Error::Api { status: 403, code, .. }) if code == "api_plan_restricted")
    );
    let _ = collect_all::<icsync_intercom::models::Contact>;
}

#[tokio::test]
async fn a_post_that_may_have_been_processed_is_not_repeated_unless_declared_safe() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contacts/c1/archive"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/companies"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/companies"))
        .respond_with(ResponseTemplate::new(200).set_body_json(common::company("co1")))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/contacts/c2"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/contacts/c2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(contact("c2")))
        .mount(&server)
        .await;
    let client = client(&server);

    let archived = client.contacts().archive("c1").await;
    assert!(
        matches!(archived, Err(Error::Api { status: 503, .. })),
        "{archived:?}"
    );
    let upsert = icsync_intercom::models::CompanyUpsert {
        company_id: "acct-1".into(),
        ..Default::default()
    };
    let upserted = client.companies().upsert(&upsert).await;
    assert!(
        upserted.is_ok(),
        "the upsert is declared safe: {upserted:?}"
    );
    let mut custom = serde_json::Map::new();
    custom.insert("cs_health".into(), json!(72.5));
    let updated = client
        .contacts()
        .update_custom_attributes("c2", custom)
        .await;
    assert!(updated.is_ok(), "a PUT is idempotent: {updated:?}");

    let sent = server.received_requests().await.unwrap_or_default();
    let count = |m: &str, p: &str| {
        sent.iter()
            .filter(|r| r.method.as_str() == m && r.url.path() == p)
            .count()
    };
    assert_eq!(count("POST", "/contacts/c1/archive"), 1, "never repeated");
    assert_eq!(count("POST", "/companies"), 2);
    assert_eq!(count("PUT", "/contacts/c2"), 2);
}
