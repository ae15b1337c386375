//! The OpenAPI document: generated from the code, 3.1, served with a key, every operation
//! secured but the service endpoints, every error response in the error shape, and
//! docs/API.md covering every path and code.

use crate::support::*;
use axum::http::{Method, StatusCode};
use icsync_api::ErrorCode;

#[tokio::test]
async fn the_document_is_served_with_a_key_and_equals_the_generated_one() {
    let api = api().await;
    let served = api.get("/v1/openapi.json", &api.host).await;
    assert_eq!(served.status, StatusCode::OK);
    let generated = serde_json::to_value(icsync_api::openapi()).unwrap();
    assert_eq!(served.body, generated);
    assert!(served.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let without = api.send(Method::GET, "/v1/openapi.json", None, None).await;
    assert_eq!(without.status, StatusCode::UNAUTHORIZED);
}

#[test]
fn every_error_response_uses_the_error_schema_and_every_operation_documents_401() {
    let document = serde_json::to_value(icsync_api::openapi()).unwrap();
    let mut ids = std::collections::HashSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or("");
            assert!(
                ids.insert(id.to_owned()),
                "operationId {id:?} of {method} {path} is not unique"
            );
            let responses = op["responses"].as_object().unwrap();
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(
                        schema, "#/components/schemas/ErrorBody",
                        "{method} {path} {status}"
                    );
                }
            }
            if op.get("security").is_some() {
                assert!(responses.contains_key("401"), "{method} {path}");
                assert!(responses.contains_key("403"), "{method} {path}");
            }
            assert!(op.get("operationId").is_some(), "{method} {path}");
        }
    }
    assert!(document["components"]["securitySchemes"]["api_key"].is_object());
}

#[test]
fn the_api_reference_covers_every_path_and_error_code() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/API.md")).unwrap();
    for code in ErrorCode::ALL {
        assert!(
            doc.contains(&format!("`{}`", code.as_str())),
            "docs/API.md lacks code {}",
            code.as_str()
        );
    }
    let document = serde_json::to_value(icsync_api::openapi()).unwrap();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let line = format!("{} {path}", method.to_uppercase());
            assert!(doc.contains(&line), "docs/API.md lacks `{line}`");
        }
    }
}
