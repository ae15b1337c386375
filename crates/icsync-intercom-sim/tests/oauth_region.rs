//! `POST /auth/eagle/token` (one-time codes, client credentials, form or JSON) and the region
//! `GET /me` reports.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests fail loudly on purpose

mod common;

use std::time::Duration;

use common::{assert_error, start};
use icsync_intercom_sim::{Region, SimConfig};
use reqwest::Method;
use serde_json::json;

async fn exchange_form(api: &common::Api, code: &str, secret: &str) -> common::Reply {
    let resp = api
        .http
        .post(format!("{}/auth/eagle/token", api.sim.base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "code={code}&client_id=sim-client-id&client_secret={secret}"
        ))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    common::Reply {
        status,
        headers: Default::default(),
        body: serde_json::from_str(&text).unwrap_or_default(),
        text,
    }
}

#[tokio::test]
async fn a_code_is_exchanged_once_for_the_workspace_token() {
    let api = start(SimConfig::default()).await;
    let minted = api
        .send(Method::POST, "/_sim/oauth/codes", None, None)
        .await;
    assert_eq!(minted.status, 200, "{}", minted.text);
    assert_eq!(minted.body["expires_in"], 300, "about five minutes");
    let code = minted.body["code"].as_str().unwrap().to_owned();
    let ok = exchange_form(&api, &code, "sim-client-secret").await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["token"], api.sim.token());
    assert_eq!(ok.body["access_token"], api.sim.token());
    assert_eq!(ok.body["token_type"], "Bearer");
    let me = api
        .send(
            Method::GET,
            "/me",
            None,
            Some(ok.body["access_token"].as_str().unwrap()),
        )
        .await;
    assert_eq!(me.status, 200);
    assert_error(
        &exchange_form(&api, &code, "sim-client-secret").await,
        400,
        "parameter_invalid",
    );
    assert!(
        api.sim
            .journal(0)
            .iter()
            .any(|e| e.path == "/auth/eagle/token" && e.status == 200),
        "the exchange is journaled"
    );
}

#[tokio::test]
async fn wrong_credentials_refuse_without_spending_the_code_and_json_bodies_work() {
    let api = start(SimConfig::default()).await;
    let code = api.sim.mint_oauth_code(None);
    assert_error(
        &exchange_form(&api, &code, "wrong").await,
        401,
        "unauthorized",
    );
    let r = api
        .send(
            Method::POST,
            "/auth/eagle/token",
            Some(&json!({"code": code, "client_id": "sim-client-id", "client_secret": "sim-client-secret"}).to_string()),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let missing = api
        .send(
            Method::POST,
            "/auth/eagle/token",
            Some(r#"{"client_id": "sim-client-id", "client_secret": "sim-client-secret"}"#),
            None,
        )
        .await;
    assert_error(&missing, 400, "parameter_not_found");
    let expired = api.sim.mint_oauth_code(Some(Duration::ZERO));
    assert_error(
        &exchange_form(&api, &expired, "sim-client-secret").await,
        400,
        "parameter_invalid",
    );
    assert_error(
        &exchange_form(&api, "never-minted", "sim-client-secret").await,
        400,
        "parameter_invalid",
    );
}

#[tokio::test]
async fn me_reports_the_configured_region() {
    for (region, want) in [(Region::Us, "US"), (Region::Eu, "EU"), (Region::Au, "AU")] {
        let api = start(SimConfig {
            region,
            ..SimConfig::default()
        })
        .await;
        assert_eq!(api.get("/me").await.body["app"]["region"], want);
    }
}
