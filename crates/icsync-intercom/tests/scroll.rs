//! The company scroll against wiremock: restarts on expiry (404) and mid-scroll 500s, waiting out another
//! open scroll, dedupe after a restart, and one scroll at a time per workspace.

mod common;

use std::time::Duration;

use common::{client, company, error_body};
use futures::{StreamExt, TryStreamExt};
use icsync_intercom::{Cursor, Page, ScrollOptions, models::Company};
use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn page(ids: &[&str], param: &str) -> ResponseTemplate {
    let data: Vec<_> = ids.iter().map(|id| company(id)).collect();
    ResponseTemplate::new(200).set_body_json(json!({"type": "list", "data": data, "pages": null, "total_count": null, "scroll_param": param}))
}

fn quick() -> ScrollOptions {
    ScrollOptions {
        scroll_exists_poll: Duration::from_millis(10),
        scroll_exists_wait: Duration::from_secs(1),
        ..ScrollOptions::default()
    }
}

async fn mount_first(server: &MockServer, response: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .and(path("/companies/scroll"))
        .and(query_param_is_missing("scroll_param"))
        .respond_with(response)
        .up_to_n_times(times)
        .mount(server)
        .await;
}

async fn mount_param(server: &MockServer, param: &str, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path("/companies/scroll"))
        .and(query_param("scroll_param", param))
        .respond_with(response)
        .mount(server)
        .await;
}

fn ids(pages: &[Page<Company>]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p.items.iter().map(|c| c.id.clone()))
        .collect()
}

/// First scroll: a,b then the scroll breaks with `failure`; second scroll: a,b then c, then the end.
async fn broken_scroll(
    failure: ResponseTemplate,
) -> (
    MockServer,
    Vec<Page<Company>>,
    icsync_intercom::StatsSnapshot,
) {
    let server = MockServer::start().await;
    mount_first(&server, page(&["a", "b"], "p1"), 1).await;
    mount_param(&server, "p1", failure).await;
    mount_first(&server, page(&["a", "b"], "q1"), 1).await;
    mount_param(&server, "q1", page(&["c"], "q2")).await;
    mount_param(&server, "q2", page(&[], "q3")).await;
    let client = client(&server);
    let pages: Vec<_> = client
        .companies()
        .scroll(quick())
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let stats = client.stats();
    (server, pages, stats)
}

#[tokio::test]
async fn an_expired_scroll_restarts_and_every_company_is_yielded_once() {
    let (_server, pages, stats) = broken_scroll(
        ResponseTemplate::new(404)
            .set_body_json(error_body("not_found", "scroll parameter not found")),
    )
    .await;
    assert_eq!(ids(&pages), ["a", "b", "c"]);
    assert_eq!(stats.scroll_restarts, 1);
    assert!(pages[1].restarted, "the first page after a restart says so");
    assert_eq!(pages[1].cursor, Cursor::ScrollRestart);
    assert!(!pages[0].restarted);
    assert_eq!(
        pages[0].next,
        Cursor::ScrollRestart,
        "a scroll checkpoint resumes by starting over"
    );
    assert_eq!(pages.last().map(|p| p.next.clone()), Some(Cursor::Done));
}

#[tokio::test]
async fn a_500_mid_scroll_restarts_from_the_beginning() {
    let failure = ResponseTemplate::new(500).set_body_json(error_body(
        "server_error",
        "Request failed due to an internal network error. Please restart the scroll operation.",
    ));
    let (server, pages, stats) = broken_scroll(failure).await;
    assert_eq!(ids(&pages), ["a", "b", "c"]);
    assert_eq!(stats.scroll_restarts, 1);
    let p1_calls = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.query().is_some_and(|q| q.contains("scroll_param=p1")))
        .count();
    assert_eq!(p1_calls, 1, "a broken scroll param is not retried");
}

#[tokio::test]
async fn without_dedupe_a_restart_yields_earlier_companies_again() {
    let server = MockServer::start().await;
    mount_first(&server, page(&["a"], "p1"), 1).await;
    mount_param(&server, "p1", ResponseTemplate::new(404)).await;
    mount_first(&server, page(&["a"], "q1"), 1).await;
    mount_param(&server, "q1", page(&[], "q2")).await;
    let options = ScrollOptions {
        dedupe: false,
        ..quick()
    };
    let pages: Vec<_> = client(&server)
        .companies()
        .scroll(options)
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ids(&pages), ["a", "a"]);
}

#[tokio::test]
async fn another_open_scroll_is_waited_out() {
    let server = MockServer::start().await;
    mount_first(
        &server,
        ResponseTemplate::new(400).set_body_json(error_body(
            "scroll_exists",
            "scroll already exists for this app",
        )),
        2,
    )
    .await;
    mount_first(&server, page(&["a"], "p1"), 1).await;
    mount_param(&server, "p1", page(&[], "p2")).await;
    let pages: Vec<_> = client(&server)
        .companies()
        .scroll(quick())
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ids(&pages), ["a"]);
}

#[tokio::test]
async fn a_scroll_that_never_frees_up_gives_up_with_the_error() {
    let server = MockServer::start().await;
    mount_first(
        &server,
        ResponseTemplate::new(400).set_body_json(error_body(
            "scroll_exists",
            "scroll already exists for this app",
        )),
        1000,
    )
    .await;
    let options = ScrollOptions {
        scroll_exists_wait: Duration::from_millis(50),
        ..quick()
    };
    let result: Result<Vec<_>, _> = client(&server)
        .companies()
        .scroll(options)
        .try_collect()
        .await;
    assert!(
        matches!(result, Err(icsync_intercom::Error::Api { status: 400, .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn too_many_restarts_end_the_stream_with_the_error() {
    let server = MockServer::start().await;
    mount_first(&server, page(&["a"], "p1"), 100).await;
    mount_param(&server, "p1", ResponseTemplate::new(404)).await;
    let options = ScrollOptions {
        max_restarts: 2,
        ..quick()
    };
    let results: Vec<_> = client(&server).companies().scroll(options).collect().await;
    assert!(matches!(
        results.last(),
        Some(Err(icsync_intercom::Error::NotFound { .. }))
    ));
    let firsts = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.query().is_none_or(|q| !q.contains("scroll_param")))
        .count();
    assert_eq!(firsts, 3, "the first scroll and two restarts");
}

#[tokio::test]
async fn one_scroll_at_a_time_per_workspace() {
    let server = MockServer::start().await;
    mount_first(&server, page(&["a"], "p1"), 10).await;
    mount_param(&server, "p1", page(&[], "p2")).await;
    let client = client(&server);
    let other_client_same_workspace = icsync_intercom::IntercomClient::with_pacer(
        icsync_intercom::ClientConfig::new(
            icsync_intercom::Region::Us,
            icsync_intercom::AccessToken::new(common::TOKEN),
        )
        .with_base_url(&server.uri())
        .unwrap_or_else(|e| panic!("{e}")),
        client.pacer().clone(),
    )
    .unwrap_or_else(|e| panic!("{e}"));

    let mut first = client.companies().scroll(quick());
    let first_page = first.next().await;
    assert!(matches!(first_page, Some(Ok(_))));
    // While the first scroll is open, a second one (even from another client of the workspace) waits.
    let mut second = other_client_same_workspace.companies().scroll(quick());
    assert!(
        tokio::time::timeout(Duration::from_millis(200), second.next())
            .await
            .is_err()
    );
    drop(first);
    let second_page = tokio::time::timeout(Duration::from_secs(2), second.next()).await;
    assert!(matches!(second_page, Ok(Some(Ok(_)))), "{second_page:?}");
}

#[tokio::test]
async fn resuming_a_scroll_starts_over_and_done_yields_nothing() {
    let server = MockServer::start().await;
    mount_first(&server, page(&["a"], "p1"), 1).await;
    mount_param(&server, "p1", page(&[], "p2")).await;
    let client = client(&server);
    let again: Vec<_> = client
        .companies()
        .scroll_from(Cursor::ScrollRestart, quick())
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ids(&again), ["a"]);
    let done: Vec<_> = client
        .companies()
        .scroll_from(Cursor::Done, quick())
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(done.is_empty());
    let wrong: Vec<_> = client
        .companies()
        .scroll_from(Cursor::Page { page: 2 }, quick())
        .collect()
        .await;
    assert!(matches!(
        wrong.first(),
        Some(Err(icsync_intercom::Error::InvalidCursor(_)))
    ));
}

#[tokio::test]
async fn a_gateway_error_mid_scroll_asks_again_with_the_same_param_instead_of_restarting() {
    let server = MockServer::start().await;
    mount_first(&server, page(&["a", "b"], "p1"), 1).await;
    // p1 fails twice with 503 (never reached the scroll), then answers.
    Mock::given(method("GET"))
        .and(path("/companies/scroll"))
        .and(query_param("scroll_param", "p1"))
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_json(error_body("service_unavailable", "Service Unavailable")),
        )
        .up_to_n_times(2)
        .mount(&server)
        .await;
    mount_param(&server, "p1", page(&["c"], "p2")).await;
    mount_param(&server, "p2", page(&[], "p3")).await;
    let client = client(&server);
    let pages: Vec<_> = client
        .companies()
        .scroll(quick())
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ids(&pages), vec!["a", "b", "c"]);
    assert!(pages.iter().all(|p| !p.restarted), "no restart");
    let firsts = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.query().is_none_or(|q| !q.contains("scroll_param")))
        .count();
    assert_eq!(firsts, 1, "one scroll, never reopened");
}

#[tokio::test]
async fn restarts_that_make_progress_do_not_use_up_the_budget() {
    // Every scroll breaks after one new company; with a budget of two restarts in a row, the
    // stream still reaches the end because each restart brings something new.
    let server = MockServer::start().await;
    let letters = ["a", "b", "c", "d", "e"];
    for (n, _) in letters.iter().enumerate() {
        let seen: Vec<&str> = letters[..=n].to_vec();
        let param = format!("s{n}");
        mount_first(&server, page(&seen, &param), 1).await;
        if n + 1 < letters.len() {
            mount_param(&server, &param, ResponseTemplate::new(404)).await;
        } else {
            mount_param(&server, &param, page(&[], "end")).await;
        }
    }
    let options = ScrollOptions {
        max_restarts: 2,
        ..quick()
    };
    let pages: Vec<_> = client(&server)
        .companies()
        .scroll(options)
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ids(&pages), letters.to_vec());
}
