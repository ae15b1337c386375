//! The daemon starts on a fresh database, answers its health checks and stops gracefully.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use icsync_tests::{TestDatabase, spawn_app_on};

async fn starts_serves_and_stops(database: TestDatabase) {
    let app = spawn_app_on(database).await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    let backend = match database {
        TestDatabase::Sqlite => "sqlite",
        TestDatabase::Postgres => "postgres",
    };
    assert_eq!(body["database"], backend);
    assert_eq!(app.get("/nope").await.status(), 404);
    assert_eq!(
        app.store.existing_tables().await.unwrap().len(),
        icsync_migrations::TABLES.len(),
        "migrated on start"
    );
    let port = app.port;
    app.stop().await.unwrap();
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "stopped listening"
    );
}

#[tokio::test]
async fn the_daemon_serves_health_checks_on_sqlite_and_stops_gracefully() {
    starts_serves_and_stops(TestDatabase::Sqlite).await;
}

#[tokio::test]
async fn the_daemon_serves_health_checks_on_postgres_and_stops_gracefully() {
    starts_serves_and_stops(TestDatabase::Postgres).await;
}

#[tokio::test]
async fn readyz_reports_an_unavailable_database() {
    let app = spawn_app_on(TestDatabase::Sqlite).await;
    app.store.close().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    app.stop().await.unwrap();
}
