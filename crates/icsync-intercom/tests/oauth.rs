//! The OAuth code exchange against wiremock: the exact request, both token fields, refusals.

use icsync_intercom::Error;
use icsync_intercom::oauth::exchange_code;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::{body_string, header, header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "s3cret-client";
const CODE: &str = "one-time-code";

fn secret() -> SecretString {
    SecretString::from(SECRET.to_owned())
}

async fn exchange(server: &MockServer) -> Result<SecretString, Error> {
    exchange_code(
        &server.uri(),
        "client-1",
        &secret(),
        CODE,
        Duration::from_secs(5),
    )
    .await
}

#[tokio::test]
async fn the_code_is_posted_form_encoded_without_a_bearer_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/eagle/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(header("accept", "application/json"))
        .and(body_string(format!(
            "code={CODE}&client_id=client-1&client_secret={SECRET}"
        )))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"token": "tok-123", "token_type": "Bearer"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let token = exchange(&server).await.unwrap();
    assert_eq!(token.expose_secret(), "tok-123");
    let requests = server.received_requests().await.unwrap();
    assert!(requests[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn access_token_is_read_when_token_is_absent_and_a_base_path_is_kept() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/proxy/auth/eagle/token"))
        .and(header_exists("user-agent"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "tok-9"})))
        .mount(&server)
        .await;
    let base = format!("{}/proxy/", server.uri());
    let token = exchange_code(&base, "client-1", &secret(), CODE, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(token.expose_secret(), "tok-9");
}

#[tokio::test]
async fn refusals_map_to_the_client_errors_and_hold_no_secret() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "type": "error.list",
            "errors": [{"code": "parameter_invalid", "message": "The code is invalid, expired or already used"}]
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "type": "error.list",
            "errors": [{"code": "unauthorized", "message": "Invalid client_id or client_secret"}]
        })))
        .mount(&server)
        .await;
    let used = exchange(&server).await.unwrap_err();
    assert!(
        matches!(&used, Error::Api { status: 400, code, .. } if code == "parameter_invalid"),
        "{used:?}"
    );
    let refused = exchange(&server).await.unwrap_err();
    assert!(matches!(refused, Error::Unauthorized { .. }), "{refused:?}");
    for error in [used, refused] {
        let text = format!("{error} {error:?}");
        assert!(!text.contains(SECRET) && !text.contains(CODE), "{text}");
    }
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "no retries"
    );
}

#[tokio::test]
async fn an_answer_without_a_token_is_a_decode_error_that_withholds_the_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"tokn\": \"leaky\"}"))
        .mount(&server)
        .await;
    let error = exchange(&server).await.unwrap_err();
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
    assert!(!format!("{error:?}").contains("leaky"));
}

#[tokio::test]
async fn an_unusable_base_url_is_a_config_error() {
    let error = exchange_code("ftp://x", "c", &secret(), CODE, Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
}
