//! Keys: every endpoint but health, readiness and metrics needs one; scopes are enforced;
//! revoked and unknown keys are refused; request ids are made or echoed.

use crate::support::*;
use axum::http::{Method, StatusCode};
use icsync_api::{ApiServices, ApiSettings, ApiState, ConfiguredKey, Scope, StoreCsAttributes};
use secrecy::SecretString;
use std::sync::Arc;

/// Every documented operation as (method, path with placeholders filled, needs admin).
fn operations() -> Vec<(Method, String, Option<bool>)> {
    let document = serde_json::to_value(icsync_api::openapi()).unwrap();
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let filled = path
                .replace("{name}", WORKSPACE)
                .replace("{key}", "nobody")
                .replace("{id}", "1");
            let secured = operation.get("security").is_some();
            let tags = operation["tags"][0].as_str().unwrap_or("");
            let admin = matches!(tags, "workspaces" | "status");
            operations.push((method, filled, secured.then_some(admin)));
        }
    }
    operations
}

#[tokio::test]
async fn every_endpoint_but_health_readiness_and_metrics_needs_a_key() {
    let api = api().await;
    api.seeded().await;
    let ops = operations();
    assert!(ops.len() >= 20, "{ops:?}");
    for (method, path, secured) in ops {
        let open = ["/healthz", "/readyz", "/metrics"].contains(&path.as_str());
        assert_eq!(secured.is_none(), open, "{method} {path}");
        if open {
            let answer = api.send(method.clone(), &path, None, None).await;
            assert_eq!(
                answer.status,
                StatusCode::OK,
                "{method} {path}: {}",
                answer.text
            );
            continue;
        }
        let without = api.send(method.clone(), &path, None, None).await;
        assert_eq!(without.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(without.code(), "unauthorized");
        assert!(without.headers.contains_key("www-authenticate"));
        let bogus = api
            .send(
                method.clone(),
                &path,
                Some("icsync_0123456789abcdef_00"),
                None,
            )
            .await;
        assert_eq!(bogus.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        let host = api.send(method.clone(), &path, Some(&api.host), None).await;
        if secured == Some(true) {
            assert_eq!(
                host.status,
                StatusCode::FORBIDDEN,
                "{method} {path}: {}",
                host.text
            );
            assert_eq!(host.code(), "forbidden");
        } else {
            assert!(
                ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&host.status),
                "{method} {path}: {}",
                host.text
            );
        }
        let admin = api
            .send(method.clone(), &path, Some(&api.admin), None)
            .await;
        assert!(
            ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&admin.status),
            "admin covers {method} {path}: {}",
            admin.text
        );
    }
}

#[tokio::test]
async fn a_revoked_key_is_refused_and_a_malformed_header_says_how() {
    let api = api().await;
    api.seeded().await;
    let keys = api.store.api_keys().await.unwrap();
    let host = keys.iter().find(|k| k.scope == "host").unwrap();
    assert_ne!(host.key_hash, api.host, "only the hash is stored");
    assert!(!host.key_hash.contains(&api.host[7..]));
    assert_eq!(
        api.get("/v1/feeds/events", &api.host).await.status,
        StatusCode::OK
    );
    assert!(api.store.revoke_api_key(host.id).await.unwrap());
    let refused = api.get("/v1/feeds/events", &api.host).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let request = axum::http::Request::get("/v1/feeds/events")
        .header("authorization", format!("Basic {}", api.admin))
        .body(axum::body::Body::empty())
        .unwrap();
    let basic = api.raw(request).await;
    assert_eq!(basic.status, StatusCode::UNAUTHORIZED);
    assert!(basic.text.contains("Bearer"), "{}", basic.text);
}

#[tokio::test]
async fn keys_from_configuration_work_with_their_scope_and_short_ones_are_refused() {
    let key = "k".repeat(40);
    let settings = ApiSettings {
        api_keys: vec![ConfiguredKey {
            name: "from-config".into(),
            scope: Scope::Host,
            key: SecretString::from(key.clone()),
        }],
        ..ApiSettings::default()
    };
    let api = api_with(settings).await;
    api.seeded().await;
    assert_eq!(
        api.get("/v1/feeds/events", &key).await.status,
        StatusCode::OK
    );
    assert_eq!(
        api.get("/v1/workspaces", &key).await.status,
        StatusCode::FORBIDDEN
    );

    let short = ApiSettings {
        api_keys: vec![ConfiguredKey {
            name: "tiny".into(),
            scope: Scope::Admin,
            key: SecretString::from("short".to_owned()),
        }],
        ..ApiSettings::default()
    };
    let services = ApiServices {
        on_view: Arc::new(FakeOnView::default()),
        writeback: Arc::new(FakeWriteback::default()),
        rollups: Arc::new(StoreRollups(api.store.clone())),
        cs_attributes: Arc::new(StoreCsAttributes::new(api.store.clone())),
    };
    let err = ApiState::new(api.store.clone(), short, services).unwrap_err();
    assert!(
        err.contains("\"tiny\"") && !err.contains("short\""),
        "{err}"
    );
}

#[tokio::test]
async fn request_ids_are_made_when_absent_and_echoed_when_given() {
    let api = api().await;
    let made = api.send(Method::GET, "/healthz", None, None).await;
    let id = made.headers["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "{id}");
    let request = axum::http::Request::get("/healthz")
        .header("x-request-id", "caller-42")
        .body(axum::body::Body::empty())
        .unwrap();
    let echoed = api.raw(request).await;
    assert_eq!(echoed.headers["x-request-id"], "caller-42");
    let request = axum::http::Request::get("/healthz")
        .header("x-request-id", "has spaces in it")
        .body(axum::body::Body::empty())
        .unwrap();
    let replaced = api.raw(request).await;
    assert_ne!(replaced.headers["x-request-id"], "has spaces in it");
}

#[tokio::test]
async fn created_keys_are_distinct_named_and_shown_only_once() {
    let api = api().await;
    let (id, key) = icsync_api::create_api_key(&api.store, Scope::Admin, Some("  ci  "))
        .await
        .unwrap();
    let stored = api.store.api_keys().await.unwrap();
    let row = stored.iter().find(|k| k.id == id).unwrap();
    assert_eq!(row.name, "ci");
    use secrecy::ExposeSecret;
    assert!(key.expose_secret().starts_with("icsync_"));
    assert_ne!(key.expose_secret(), api.admin);
    assert!(
        !format!("{key:?}").contains(key.expose_secret()),
        "Debug redacts the key"
    );
    let blank = icsync_api::create_api_key(&api.store, Scope::Host, Some(" ")).await;
    assert!(blank.is_err());
}

#[tokio::test]
async fn the_webhook_receiver_is_mounted_without_a_key_and_keeps_its_own_answers() {
    use axum::routing::post;
    let api = api().await;
    let services = ApiServices {
        on_view: Arc::new(FakeOnView::default()),
        writeback: Arc::new(FakeWriteback::default()),
        rollups: Arc::new(StoreRollups(api.store.clone())),
        cs_attributes: Arc::new(StoreCsAttributes::new(api.store.clone())),
    };
    let receiver = axum::Router::new().route("/intercom", post(|| async { "received" }));
    let state = ApiState::new(api.store.clone(), ApiSettings::default(), services)
        .unwrap()
        .with_webhooks(receiver);
    let router = icsync_api::router(state);
    use tower::ServiceExt;
    let response = router
        .oneshot(
            axum::http::Request::post("/v1/webhooks/intercom")
                .body(axum::body::Body::from("{}"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key("x-request-id"));
    let body = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .unwrap();
    assert_eq!(&body[..], b"received");
}
