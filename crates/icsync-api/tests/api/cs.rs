//! CS attributes: set on a contact (every contact of a shared email) or an account, left-out
//! members kept and `null` clearing, bad values refused by field, batches item by item.

use crate::support::*;
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_contact_key_sets_every_contact_of_the_profile_and_values_round_trip() {
    let api = api().await;
    api.seeded().await;
    let set = api
        .put(
            "/v1/contacts/email:shared@example.com/cs-attributes",
            &api.host,
            json!({"health": 72.5, "stage": " adoption ", "cs_owner": "Grace", "cs_owner_email": "grace@cs.example"}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let stored = set.body["cs_attributes"].as_array().unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0]["attributes"]["health"], 72.5);
    assert_eq!(stored[0]["attributes"]["stage"], "adoption");
    assert_eq!(stored[0]["push"]["needs_push"], true);
    assert_eq!(stored[0]["version"], 1);

    let change = api
        .put(
            &format!("/v1/contacts/{}/cs-attributes", contact_id(1)),
            &api.host,
            json!({"stage": null, "pulse": "up"}),
        )
        .await;
    let after = &change.body["cs_attributes"][0]["attributes"];
    assert_eq!(after["stage"], serde_json::Value::Null, "null clears");
    assert_eq!(after["cs_owner"], "Grace", "left out keeps");
    assert_eq!(after["health"], 72.5);
    assert_eq!(change.body["cs_attributes"][0]["version"], 2);

    let profile = api
        .get(&format!("/v1/contacts/{}", contact_id(1)), &api.host)
        .await;
    assert_eq!(
        profile.body["contacts"][0]["cs_attributes"]["attributes"]["pulse"],
        "up"
    );
}

#[tokio::test]
async fn bad_values_are_refused_by_field_and_store_nothing() {
    let api = api().await;
    api.seeded().await;
    let path = format!("/v1/contacts/{}/cs-attributes", contact_id(0));
    let cases = [
        (
            json!({"health": 150}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "health",
        ),
        (json!({"health": "high"}), StatusCode::BAD_REQUEST, "health"),
        (
            json!({"licence_utilization": -3}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "licence_utilization",
        ),
        (
            json!({"cs_owner_email": "grace"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "cs_owner_email",
        ),
        (
            json!({"profile_url": "javascript:alert(1)"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "profile_url",
        ),
        (json!({"helth": 50}), StatusCode::BAD_REQUEST, "helth"),
        (json!({}), StatusCode::UNPROCESSABLE_ENTITY, "body"),
    ];
    for (body, status, field) in cases {
        let answer = api.put(&path, &api.host, body.clone()).await;
        assert_eq!(answer.status, status, "{body}: {}", answer.text);
        assert_eq!(answer.field(), field, "{body}");
    }
    let profile = api
        .get(&format!("/v1/contacts/{}", contact_id(0)), &api.host)
        .await;
    assert!(
        profile.body["contacts"][0]["cs_attributes"].is_null(),
        "nothing was stored"
    );
}

#[tokio::test]
async fn an_account_takes_cs_attributes_by_any_key() {
    let api = api().await;
    api.seeded().await;
    let set = api
        .put(
            "/v1/accounts/company_id:acct-1/cs-attributes",
            &api.host,
            json!({"health": 40, "licence_utilization": 87.25}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.body["cs_attributes"][0]["subject_kind"], "company");
    assert_eq!(
        set.body["cs_attributes"][0]["subject_id"],
        company(1).id.to_string()
    );
    let account = api
        .get(&format!("/v1/accounts/{}", company(1).id), &api.host)
        .await;
    assert_eq!(
        account.body["cs_attributes"]["attributes"]["licence_utilization"],
        87.25
    );
    let missing = api
        .put(
            "/v1/accounts/nope/cs-attributes",
            &api.host,
            json!({"health": 1}),
        )
        .await;
    assert_eq!(missing.code(), "account_not_found");
}

#[tokio::test]
async fn a_batch_stores_each_good_item_and_says_why_each_bad_one_was_refused() {
    let api = api().await;
    api.seeded().await;
    let answer = api
        .post(
            "/v1/cs-attributes:batch",
            &api.host,
            json!({"items": [
                {"contact": contact_id(0).to_string(), "attributes": {"health": 10}},
                {"account": "company_id:acct-0", "attributes": {"stage": "renewal"}},
                {"contact": "external:nobody", "attributes": {"health": 10}},
                {"contact": contact_id(1).to_string(), "attributes": {"health": 101}},
                {"contact": contact_id(1).to_string(), "account": "x", "attributes": {"health": 1}},
            ]}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(
        (
            answer.body["stored"].as_u64(),
            answer.body["refused"].as_u64()
        ),
        (Some(2), Some(3))
    );
    let results = answer.body["results"].as_array().unwrap();
    assert_eq!(results[2]["error"]["code"], "contact_not_found");
    assert_eq!(results[3]["error"]["field"], "items[3].health");
    assert_eq!(results[4]["error"]["code"], "validation_failed");
    let too_many: Vec<_> = (0..501)
        .map(|_| json!({"contact": contact_id(0).to_string(), "attributes": {"health": 1}}))
        .collect();
    let refused = api
        .post(
            "/v1/cs-attributes:batch",
            &api.host,
            json!({"items": too_many}),
        )
        .await;
    assert_eq!(
        (refused.code(), refused.field()),
        ("validation_failed", "items")
    );
}
