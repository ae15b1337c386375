//! Bad input is a 4xx in the documented shape naming the field; unknown routes and methods
//! answer in the same shape.

use crate::support::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_shape() {
    let api = api().await;
    let missing = api.get("/v1/nothing-here", &api.admin).await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let wrong = api
        .send(Method::DELETE, "/v1/workspaces", Some(&api.admin), None)
        .await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
}

#[tokio::test]
async fn malformed_bodies_name_the_member_at_fault() {
    let api = api().await;
    api.seeded().await;
    let path = format!("/v1/workspaces/{WORKSPACE}");
    let cases = [
        (json!({"backfill_days": "sixty"}), "backfill_days"),
        (json!({"user_trackin": true}), "user_trackin"),
        (json!({"include_leads": 1}), "include_leads"),
    ];
    for (body, field) in cases {
        let answer = api.patch(&path, &api.admin, body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
        assert_eq!((answer.code(), answer.field()), ("invalid_body", field));
    }
    let request = Request::patch(&path)
        .header("authorization", format!("Bearer {}", api.admin))
        .header("content-type", "application/json")
        .body(Body::from("{\"backfill_days\": "))
        .unwrap();
    let truncated = api.raw(request).await;
    assert_eq!(
        (truncated.status, truncated.code()),
        (StatusCode::BAD_REQUEST, "invalid_body")
    );
    let request = Request::patch(&path)
        .header("authorization", format!("Bearer {}", api.admin))
        .body(Body::empty())
        .unwrap();
    let empty = api.raw(request).await;
    assert_eq!(empty.code(), "invalid_body");
    let range = api
        .patch(&path, &api.admin, json!({"backfill_days": 0}))
        .await;
    assert_eq!(range.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (range.code(), range.field()),
        ("validation_failed", "backfill_days")
    );
}

#[tokio::test]
async fn malformed_parameters_name_the_parameter() {
    let api = api().await;
    api.seeded().await;
    let cases = [
        ("/v1/feeds/events?limit=ten", "limit"),
        ("/v1/feeds/events?limit=0", "limit"),
        ("/v1/feeds/events?limit=1001", "limit"),
        ("/v1/feeds/events?after=-1", "after"),
        ("/v1/feeds/sessions?after=1.5", "after"),
        ("/v1/contacts/icsync:abc", "key"),
        ("/v1/contacts/email:no-at-sign", "key"),
        ("/v1/contacts/1?events_limit=500", "events_limit"),
        ("/v1/feeds/rollups", "account"),
        ("/v1/feeds/rollups?account=1&from=yesterday", "from"),
        ("/v1/contacts/a%00b", "key"),
    ];
    for (path, field) in cases {
        let answer = api.get(path, &api.host).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            answer.text
        );
        assert_eq!(
            (answer.code(), answer.field()),
            ("invalid_parameter", field),
            "{path}"
        );
    }
}

#[tokio::test]
async fn host_requests_must_name_the_workspace_once_there_are_several() {
    let api = api().await;
    let none = api.get("/v1/feeds/events", &api.host).await;
    assert_eq!(
        (none.status, none.code()),
        (StatusCode::NOT_FOUND, "workspace_not_found")
    );
    api.seeded().await;
    assert_eq!(
        api.get("/v1/feeds/events", &api.host).await.status,
        StatusCode::OK
    );
    api.workspace("beta").await;
    let several = api.get("/v1/feeds/events", &api.host).await;
    assert_eq!(several.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        (several.code(), several.field()),
        ("workspace_required", "workspace")
    );
    assert!(
        several.text.contains("?workspace=NAME") && several.text.contains("beta"),
        "{}",
        several.text
    );
    let named = api.get("/v1/feeds/events?workspace=beta", &api.host).await;
    assert_eq!(named.status, StatusCode::OK);
    let unknown = api.get("/v1/feeds/events?workspace=gamma", &api.host).await;
    assert_eq!(unknown.code(), "workspace_not_found");
}
