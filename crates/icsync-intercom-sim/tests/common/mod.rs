//! Shared helpers of the simulator's integration tests: start a simulator, send plain HTTP.

#![allow(dead_code)]

use icsync_intercom_sim::{SimConfig, SimHandle, Simulator};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub struct Api {
    pub sim: SimHandle,
    pub http: reqwest::Client,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

pub async fn start(config: SimConfig) -> Api {
    // reqwest is built with `rustls-no-provider`: install one (plain http needs none, but the
    // client builder insists).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = Simulator::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("sim starts");
    Api {
        sim,
        http: reqwest::Client::new(),
    }
}

impl Api {
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&str>,
        token: Option<&str>,
    ) -> Reply {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.sim.base_url(), path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_owned());
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body read");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None, Some(self.sim.token()))
            .await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(
            Method::POST,
            path,
            Some(&body.to_string()),
            Some(self.sim.token()),
        )
        .await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send(
            Method::PUT,
            path,
            Some(&body.to_string()),
            Some(self.sim.token()),
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None, Some(self.sim.token()))
            .await
    }
}

/// Asserts an Intercom `error.list` body with `code` and a UUID `request_id`.
pub fn assert_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status.as_u16(), status, "status of {}", reply.text);
    assert_eq!(reply.body["type"], "error.list", "{}", reply.text);
    assert_eq!(reply.body["errors"][0]["code"], code, "{}", reply.text);
    let request_id = reply.body["request_id"].as_str().expect("request_id");
    assert!(
        uuid::Uuid::parse_str(request_id).is_ok(),
        "request_id is a UUID: {request_id}"
    );
}
