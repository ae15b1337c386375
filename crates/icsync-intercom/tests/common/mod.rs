//! Shared helpers for the wiremock suites: a client pointed at a mock server with fast retries, fixtures.

#![allow(dead_code)]

use std::time::Duration;

use icsync_intercom::{
    AccessToken, ClientConfig, IntercomClient, PacerConfig, Region, RetryPolicy, Timeouts,
};
use serde_json::Value;
use wiremock::MockServer;

pub const TOKEN: &str = "tok_test_6c1b0e";

/// A client for `server` with millisecond backoffs, a short read timeout and a quick 429 floor.
pub fn client(server: &MockServer) -> IntercomClient {
    let config = ClientConfig::new(Region::Us, AccessToken::new(TOKEN))
        .with_base_url(&server.uri())
        .unwrap_or_else(|e| panic!("{e}"));
    let config = ClientConfig {
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        },
        timeouts: Timeouts {
            read: Duration::from_millis(400),
            list: Duration::from_millis(400),
            ..Timeouts::default()
        },
        pacer: PacerConfig {
            min_rate_limit_wait: Duration::from_millis(20),
            ..PacerConfig::default()
        },
        workspace_label: "ws-test".into(),
        ..config
    };
    IntercomClient::new(config).unwrap_or_else(|e| panic!("{e}"))
}

pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A contact body with this id.
pub fn contact(id: &str) -> Value {
    let mut value = fixture("contact.json");
    value["id"] = Value::String(id.to_owned());
    value
}

/// A company body with this id.
pub fn company(id: &str) -> Value {
    let mut value = fixture("company.json");
    value["id"] = Value::String(id.to_owned());
    value
}

/// Intercom's error body.
pub fn error_body(code: &str, message: &str) -> Value {
    serde_json::json!({"type": "error.list", "request_id": "5b1f4c3e-0000-4000-8000-000000000001", "errors": [{"code": code, "message": message}]})
}
