//! Export through the API: an admin sets the modes and mapping (bad ones refused by field), the
//! host puts, removes and batches records (bad ones refused naming the record's member, nothing
//! stored), asks for versions, reads a record and the status.

use crate::support::*;
use axum::http::StatusCode;
use serde_json::json;

fn settings() -> serde_json::Value {
    json!({
        "enabled": true,
        "sync_mode": "sync",
        "creation_mode": "user",
        "removal_mode": "archive",
        "mapping": [
            {"property": "full_name", "attribute": "name"},
            {"property": "seats", "attribute": "host_seats", "type": "integer"}
        ]
    })
}

#[tokio::test]
async fn records_need_settings_and_are_validated_by_member_before_anything_is_stored() {
    let api = api().await;
    api.workspace("acme").await;
    let early = api
        .put(
            "/v1/export/records/h1",
            &api.host,
            json!({"email": "a@x.test"}),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text);
    assert_eq!(early.code(), "export_not_configured");

    let forbidden = api
        .put("/v1/workspaces/acme/export", &api.host, settings())
        .await;
    assert_eq!(
        forbidden.status,
        StatusCode::FORBIDDEN,
        "settings are an admin's"
    );
    let mut bad = settings();
    bad["creation_mode"] = json!("visitor");
    let refused = api.put("/v1/workspaces/acme/export", &api.admin, bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.field(), "creation_mode");
    let mut bad = settings();
    bad["mapping"][0]["attribute"] = json!("nickname");
    let refused = api.put("/v1/workspaces/acme/export", &api.admin, bad).await;
    assert_eq!(refused.field(), "mapping[0].attribute", "{}", refused.text);
    let set = api
        .put("/v1/workspaces/acme/export", &api.admin, settings())
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.body["settings"]["mapping"][1]["type"], "integer");

    // User mode: an external id is required; an unmapped or mistyped property is refused.
    let missing = api
        .put(
            "/v1/export/records/h1",
            &api.host,
            json!({"email": "a@x.test", "properties": {"seats": 2}}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.field(), "external_id");
    let mistyped = api
        .put(
            "/v1/export/records/h1",
            &api.host,
            json!({"email": "a@x.test", "external_id": "u1", "properties": {"seats": "two", "plan": "x"}}),
        )
        .await;
    assert_eq!(mistyped.field(), "properties.plan");
    assert!(
        mistyped.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("properties.seats")
    );
    let unknown = api.get("/v1/export/records/h1", &api.host).await;
    assert_eq!(
        unknown.code(),
        "export_record_not_found",
        "nothing was stored"
    );

    let put = api
        .put(
            "/v1/export/records/h1",
            &api.host,
            json!({"email": " A@X.test", "external_id": "u1", "properties": {"seats": 2}, "groups": ["Beta", "beta"]}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(put.body["email"], "a@x.test");
    assert_eq!(put.body["groups"], json!(["Beta"]));
    assert_eq!(
        (put.body["status"].as_str(), put.body["version"].as_i64()),
        (Some("pending"), Some(1))
    );
    let again = api
        .put(
            "/v1/export/records/h1",
            &api.host,
            json!({"email": "a@x.test", "external_id": "u1", "properties": {"seats": 2}, "groups": ["Beta"]}),
        )
        .await;
    assert_eq!(
        again.body["version"], 1,
        "the same desired state is no change"
    );
    let removed = api
        .send(
            axum::http::Method::DELETE,
            "/v1/export/records/h1",
            Some(&api.host),
            None,
        )
        .await;
    assert_eq!(removed.body["removed"], true);
    assert_eq!(removed.body["version"], 2);
}

#[tokio::test]
async fn batches_report_item_by_item_and_status_and_versions_follow() {
    let api = api().await;
    api.workspace("acme").await;
    api.put("/v1/workspaces/acme/export", &api.admin, settings())
        .await;
    let batch = api
        .post(
            "/v1/export/records:batch",
            &api.host,
            json!({
                "put": [
                    {"host_id": "h1", "email": "a@x.test", "external_id": "u1"},
                    {"host_id": "h2", "email": "b@x.test"},
                    {"host_id": "h1", "email": "a@x.test", "external_id": "u1"}
                ],
                "remove": ["h9"]
            }),
        )
        .await;
    assert_eq!(batch.status, StatusCode::OK, "{}", batch.text);
    let results: Vec<&str> = batch.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["result"].as_str().unwrap())
        .collect();
    assert_eq!(results, vec!["stored", "invalid", "invalid", "unknown"]);
    assert_eq!(
        batch.body["items"][1]["problems"][0]["field"],
        "external_id"
    );
    assert_eq!(batch.body["items"][2]["problems"][0]["field"], "host_id");
    let versions = api
        .post(
            "/v1/export/records:versions",
            &api.host,
            json!({"host_ids": ["h2", "h1"]}),
        )
        .await;
    assert_eq!(versions.body["versions"].as_array().unwrap().len(), 1);
    assert_eq!(versions.body["versions"][0]["host_id"], "h1");
    let status = api.get("/v1/export/status", &api.host).await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.text);
    assert_eq!(
        (
            status.body["records"].as_u64(),
            status.body["pending"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(status.body["configured"], true);
    let admin = api.get("/v1/workspaces/acme/export", &api.admin).await;
    assert_eq!(admin.body["settings"]["sync_mode"], "sync");
    let empty = api
        .post("/v1/export/records:batch", &api.host, json!({}))
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn profiles_show_imported_tags_and_whether_the_host_exported_the_contact() {
    use icsync_domain::{IMPORTED_TAGS_KEY, ImportedTag, imported_tags_value};
    let api = api().await;
    let ws = api.workspace("acme").await;
    let mut person = contact(1);
    person.other_attributes.insert(
        IMPORTED_TAGS_KEY.into(),
        imported_tags_value(&[
            ImportedTag {
                id: "93".into(),
                name: None,
            },
            ImportedTag {
                id: "94".into(),
                name: None,
            },
        ]),
    );
    let mut firm = company(0);
    firm.other_attributes.insert(
        IMPORTED_TAGS_KEY.into(),
        imported_tags_value(&[ImportedTag {
            id: "93".into(),
            name: Some("vip".into()),
        }]),
    );
    let other = contact(3);
    api.store
        .write_batch(
            ws.id,
            icsync_store::IngestBatch {
                contacts: &[person.clone(), other.clone()],
                companies: &[firm.clone()],
                associations: &[(person.id.clone(), firm.id.clone())],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // An export record linked to the first contact.
    api.put("/v1/workspaces/acme/export", &api.admin, settings())
        .await;
    let record = icsync_domain::HostRecord {
        host_id: "h1".into(),
        email: person.email.clone(),
        external_id: Some("u1".into()),
        ..Default::default()
    }
    .normalized();
    api.store
        .put_export_record(ws.id, &record, t(0))
        .await
        .unwrap();
    let claimed = api
        .store
        .claim_exports(&icsync_store::ClaimRequest {
            workspace: ws.id,
            now: chrono::Utc::now(),
            due_before: None,
            not_attempted_since: chrono::Utc::now(),
            limit: 1,
            lease: chrono::Duration::seconds(60),
        })
        .await
        .unwrap();
    api.store
        .record_export_outcomes(&[icsync_store::ExportOutcome {
            record: claimed[0].clone(),
            at: chrono::Utc::now(),
            result: icsync_store::ExportResult::Exported { note: None },
            contact: icsync_store::ContactLink {
                intercom_id: Some(person.id.to_string()),
                ..Default::default()
            },
        }])
        .await
        .unwrap();

    let profile = api
        .get(&format!("/v1/contacts/{}", person.id), &api.host)
        .await;
    assert_eq!(profile.status, StatusCode::OK, "{}", profile.text);
    let shown = &profile.body["contacts"][0];
    assert_eq!(shown["source"], "host_export");
    assert_eq!(shown["host_ids"], json!(["h1"]));
    assert_eq!(
        shown["tags"],
        json!([{"id": "93", "name": "vip"}, {"id": "94", "name": null}]),
        "names come from what icsync has seen named"
    );
    assert_eq!(shown["companies"][0]["tags"], json!(["vip"]));
    let plain = api
        .get(&format!("/v1/contacts/{}", other.id), &api.host)
        .await;
    assert_eq!(plain.body["contacts"][0]["source"], "via_intercom");
    assert_eq!(plain.body["contacts"][0]["tags"], json!([]));
}
