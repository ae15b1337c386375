//! The daemon's HTTP routes (for now: liveness and readiness).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use icsync_store::Store;
use serde_json::json;

pub fn router(store: Store) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(store)
}

/// The process is up.
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// The process can serve: its database answers.
async fn readyz(State(store): State<Store>) -> Response {
    match store.ping().await {
        Ok(()) => {
            Json(json!({"status": "ready", "database": store.backend().as_str()})).into_response()
        }
        Err(error) => {
            tracing::warn!(error = %error, "readiness check failed: database unavailable");
            let body = json!({"error": {"code": "database_unavailable", "message": "the database does not answer; see the daemon's log"}});
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .await
            .unwrap();
        (store, dir)
    }

    #[tokio::test]
    async fn healthz_and_readyz_answer_ok_when_the_database_does() {
        let (store, _dir) = store().await;
        for path in ["/healthz", "/readyz"] {
            let response = router(store.clone())
                .oneshot(Request::get(path).body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
        }
    }
}
