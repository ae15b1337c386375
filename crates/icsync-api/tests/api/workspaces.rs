//! Workspaces against the simulator: test-connection reports what `/me` says, a refused token
//! stores nothing and is never echoed, connect/reconnect, settings, disconnect, delete data,
//! OAuth.

use crate::support::*;
use axum::http::{Method, StatusCode};
use icsync_api::{ApiSettings, OAuthClient};
use icsync_intercom_sim::{SimConfig, SimHandle, Simulator};
use secrecy::SecretString;
use serde_json::json;

async fn simulator(region: icsync_intercom_sim::Region) -> SimHandle {
    let config = SimConfig {
        contacts: 5,
        companies: 2,
        conversations: 1,
        token: "sim-secret-token-123".into(),
        region,
        ..SimConfig::default()
    };
    Simulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn test_connection_reports_the_workspace_region_zone_and_admin() {
    let api = api().await;
    let sim = simulator(icsync_intercom_sim::Region::Au).await;
    api.forbid(sim.token());
    let answer = api
        .post(
            "/v1/workspaces/test-connection",
            &api.admin,
            json!({"token": sim.token(), "base_url": sim.base_url()}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["app_id"], "ecahpwf5");
    assert_eq!(answer.body["region"], "AU");
    assert_eq!(answer.body["timezone"], "America/Los_Angeles");
    assert!(answer.body["admin"]["email"].is_string(), "{}", answer.text);
    assert!(
        api.store.workspaces().await.unwrap().is_empty(),
        "a test stores nothing"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_refused_token_is_a_422_that_names_the_problem_and_never_echoes_the_token() {
    let api = api().await;
    let sim = simulator(icsync_intercom_sim::Region::Us).await;
    let wrong = "wrong-token-that-must-not-leak";
    api.forbid(wrong);
    for path in ["/v1/workspaces/test-connection", "/v1/workspaces"] {
        let answer = api
            .post(
                path,
                &api.admin,
                json!({"name": "acme", "token": wrong, "base_url": sim.base_url()}),
            )
            .await;
        if path.ends_with("test-connection") {
            // test-connection takes no name: the body is refused by field first.
            assert_eq!(answer.field(), "name", "{}", answer.text);
            let answer = api
                .post(
                    path,
                    &api.admin,
                    json!({"token": wrong, "base_url": sim.base_url()}),
                )
                .await;
            assert_eq!(
                answer.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{}",
                answer.text
            );
            assert_eq!(answer.code(), "intercom_token_refused");
            assert!(answer.text.contains("token"), "{}", answer.text);
            continue;
        }
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            answer.text
        );
        assert_eq!(answer.code(), "intercom_token_refused");
    }
    assert!(api.store.workspaces().await.unwrap().is_empty());
    let unreachable = api
        .post(
            "/v1/workspaces/test-connection",
            &api.admin,
            json!({"token": wrong, "base_url": "http://127.0.0.1:9"}),
        )
        .await;
    assert_eq!(
        unreachable.code(),
        "intercom_unreachable",
        "{}",
        unreachable.text
    );
    let bad_url = api
        .post(
            "/v1/workspaces/test-connection",
            &api.admin,
            json!({"token": "t", "base_url": "ftp://x"}),
        )
        .await;
    assert_eq!(
        (bad_url.code(), bad_url.field()),
        ("validation_failed", "base_url")
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn connect_list_reconnect_change_settings_disconnect_and_delete() {
    let api = api().await;
    let sim = simulator(icsync_intercom_sim::Region::Eu).await;
    api.forbid(sim.token());
    let body = json!({
        "name": "acme", "token": sim.token(), "region": "eu", "base_url": sim.base_url(),
        "webhook_secret": "whsec-never-shown",
        "settings": {"backfill_days": 30, "primary_source_is_intercom": true, "writeback_enabled": true}
    });
    api.forbid("whsec-never-shown");
    let connected = api.post("/v1/workspaces", &api.admin, body.clone()).await;
    assert_eq!(connected.status, StatusCode::CREATED, "{}", connected.text);
    let ws = &connected.body["workspace"];
    assert_eq!(ws["region"], "eu");
    assert_eq!(ws["intercom_app_id"], "ecahpwf5");
    assert_eq!(ws["backfill_days"], 30);
    assert_eq!(ws["writeback_enabled"], true);
    assert_eq!(ws["user_tracking"], true);
    assert_eq!(ws["has_webhook_secret"], true);
    assert_eq!(connected.body["reconnected"], false);

    let again = api
        .post(
            "/v1/workspaces",
            &api.admin,
            json!({"name": "acme", "token": sim.token(), "base_url": sim.base_url()}),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.body["reconnected"], true);
    assert_eq!(
        again.body["workspace"]["backfill_days"], 30,
        "a reconnect keeps settings left out"
    );
    let other_name = api
        .post(
            "/v1/workspaces",
            &api.admin,
            json!({"name": "acme-2", "token": sim.token(), "base_url": sim.base_url()}),
        )
        .await;
    assert_eq!(
        (other_name.status, other_name.code()),
        (StatusCode::CONFLICT, "workspace_conflict")
    );

    let list = api.get("/v1/workspaces", &api.admin).await;
    assert_eq!(list.body["workspaces"].as_array().unwrap().len(), 1);
    let one = api.get("/v1/workspaces/acme", &api.admin).await;
    assert_eq!(one.body["name"], "acme");
    assert_eq!(
        api.get("/v1/workspaces/nope", &api.admin).await.code(),
        "workspace_not_found"
    );

    let off = api
        .patch(
            "/v1/workspaces/acme",
            &api.admin,
            json!({"user_tracking": false, "include_leads": true}),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    assert_eq!(
        (
            off.body["user_tracking"].as_bool(),
            off.body["include_leads"].as_bool()
        ),
        (Some(false), Some(true))
    );

    let connected_delete = api
        .send(
            Method::DELETE,
            "/v1/workspaces/acme/data?confirm=acme",
            Some(&api.admin),
            None,
        )
        .await;
    assert_eq!(connected_delete.code(), "workspace_connected");
    let gone = api
        .send(
            Method::POST,
            "/v1/workspaces/acme/disconnect",
            Some(&api.admin),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::OK);
    assert_eq!(gone.body["connected"], false);
    assert_eq!(gone.body["user_tracking"], false);

    let ws = api.store.workspace_by_name("acme").await.unwrap().unwrap();
    let contacts: Vec<_> = (0..3).map(contact).collect();
    api.store
        .write_batch(
            ws.id,
            icsync_store::IngestBatch {
                contacts: &contacts,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let unconfirmed = api
        .send(
            Method::DELETE,
            "/v1/workspaces/acme/data",
            Some(&api.admin),
            None,
        )
        .await;
    assert_eq!(
        (unconfirmed.code(), unconfirmed.field()),
        ("confirmation_required", "confirm")
    );
    let wrong = api
        .send(
            Method::DELETE,
            "/v1/workspaces/acme/data?confirm=ACME",
            Some(&api.admin),
            None,
        )
        .await;
    assert_eq!(wrong.code(), "confirmation_required");
    let deleted = api
        .send(
            Method::DELETE,
            "/v1/workspaces/acme/data?confirm=acme",
            Some(&api.admin),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    assert_eq!(deleted.body["rows"]["contacts"], 3);
    assert_eq!(deleted.body["rows"]["workspaces"], 1);
    assert!(api.store.workspace_by_name("acme").await.unwrap().is_none());
    sim.shutdown().await;
}

#[tokio::test]
async fn oauth_exchanges_a_code_once_and_needs_configuring() {
    let unconfigured = api().await;
    let refused = unconfigured
        .post(
            "/v1/workspaces/oauth",
            &unconfigured.admin,
            json!({"name": "acme", "code": "c"}),
        )
        .await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::CONFLICT, "oauth_not_configured")
    );

    let sim = simulator(icsync_intercom_sim::Region::Us).await;
    let settings = ApiSettings {
        oauth: Some(OAuthClient {
            client_id: "sim-client-id".into(),
            client_secret: SecretString::from("sim-client-secret".to_owned()),
        }),
        ..ApiSettings::default()
    };
    let api = api_with(settings).await;
    api.forbid(sim.token());
    api.forbid("sim-client-secret");
    let code = sim.mint_oauth_code(None);
    api.forbid(&code);
    let body = json!({"name": "acme", "code": code, "base_url": sim.base_url()});
    let connected = api
        .post("/v1/workspaces/oauth", &api.admin, body.clone())
        .await;
    assert_eq!(connected.status, StatusCode::CREATED, "{}", connected.text);
    assert_eq!(connected.body["identity"]["app_id"], "ecahpwf5");
    let reused = api.post("/v1/workspaces/oauth", &api.admin, body).await;
    assert_eq!(reused.code(), "oauth_code_refused", "{}", reused.text);
    sim.shutdown().await;
}
