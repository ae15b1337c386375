//! Profiles by every key form, the on-view fetch and what it says about freshness, the
//! "Reply on Intercom" links, conversations with their parts, and accounts.

use crate::support::*;
use axum::http::StatusCode;
use icsync_api::ApiSettings;
use std::sync::atomic::Ordering;
use std::time::Duration;

#[tokio::test]
async fn a_contact_is_found_by_every_key_form() {
    let api = api().await;
    api.seeded().await;
    let icsync_id = api
        .get(&format!("/v1/contacts/{}", contact_id(3)), &api.host)
        .await;
    assert_eq!(icsync_id.status, StatusCode::OK, "{}", icsync_id.text);
    let row = icsync_id.body["contacts"][0]["icsync_id"].as_i64().unwrap();
    let keys = [
        contact_id(3).to_string(),
        format!("intercom:{}", contact_id(3)),
        format!("icsync:{row}"),
        row.to_string(),
        "external:ext-3".to_owned(),
        "email:USER3@example.com ".to_owned(),
    ];
    for key in keys {
        let answer = api
            .get(&format!("/v1/contacts/{}", urlencode(&key)), &api.host)
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{key}: {}", answer.text);
        let contacts = answer.body["contacts"].as_array().unwrap();
        assert_eq!(contacts.len(), 1, "{key}");
        assert_eq!(
            contacts[0]["intercom_id"],
            contact_id(3).to_string(),
            "{key}"
        );
        assert_eq!(answer.body["key"], key.as_str());
    }
    let unknown = api.get("/v1/contacts/external:nobody", &api.host).await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::NOT_FOUND, "contact_not_found")
    );
}

fn urlencode(key: &str) -> String {
    url::form_urlencoded::byte_serialize(key.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[tokio::test]
async fn contacts_sharing_an_email_are_one_profile_with_everything_merged() {
    let api = api().await;
    api.seeded().await;
    let answer = api
        .get("/v1/contacts/email:Shared@Example.com", &api.host)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let body = &answer.body;
    assert_eq!(body["email"], SHARED_EMAIL);
    let ids: Vec<&str> = body["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["intercom_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![contact_id(1).as_str(), contact_id(2).as_str()]);
    let first = &body["contacts"][0];
    assert_eq!(first["custom_attributes"]["plan_tier"], "tier-1");
    assert_eq!(first["other_attributes"]["browser"], "chrome");
    assert_eq!(
        first["companies"][0]["intercom_id"],
        company(1).id.to_string()
    );
    assert_eq!(first["companies"][0]["monthly_spend"], 1234.5);
    assert!(first["cs_attributes"].is_null());
    let events = body["recent_events"].as_array().unwrap();
    assert_eq!(events.len(), 10, "five events each");
    let times: Vec<&str> = events
        .iter()
        .map(|e| e["occurred_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert_eq!(body["sessions"]["total"], 2);
    assert_eq!(body["sessions"]["last_30_days"], 2);
    let conversations = body["conversations"].as_array().unwrap();
    assert_eq!(
        conversations.len(),
        2,
        "a conversation of both is listed once"
    );
    assert_eq!(body["timeline"]["status"], "fresh");
    assert!(body["timeline"]["fetched_at"].is_string());
    assert_eq!(
        api.on_view.calls.load(Ordering::SeqCst),
        2,
        "one fetch per contact"
    );
}

#[tokio::test]
async fn conversations_link_to_the_regions_inbox_and_show_their_parts() {
    let api = api().await;
    api.seeded().await;
    let answer = api
        .get(&format!("/v1/contacts/{}", contact_id(1)), &api.host)
        .await;
    let listed = &answer.body["conversations"][0];
    let id = listed["id"].as_str().unwrap();
    assert_eq!(
        listed["reply_url"],
        format!("https://app.eu.intercom.com/a/inbox/{APP_ID}/inbox/conversation/{id}")
    );
    let first = conversation(1, &[1]).id.to_string();
    let detail = api
        .get(&format!("/v1/conversations/{first}"), &api.host)
        .await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.text);
    let parts = detail.body["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0]["body"], "<p>Reply 0</p>");
    assert_eq!(detail.body["conversation"]["parts_stored"], 3);
    assert_eq!(detail.body["conversation"]["truncated"], false);
    let missing = api.get("/v1/conversations/999", &api.host).await;
    assert_eq!(missing.code(), "conversation_not_found");
}

#[tokio::test]
async fn a_failed_or_slow_on_view_fetch_serves_the_stored_timeline_as_stale() {
    let settings = ApiSettings {
        on_view_timeout: Duration::from_millis(200),
        ..ApiSettings::default()
    };
    let api = api_with(settings).await;
    api.seeded().await;
    *api.on_view.failure.lock().unwrap() = Some("Intercom answered 503".into());
    let failed = api
        .get(&format!("/v1/contacts/{}", contact_id(1)), &api.host)
        .await;
    assert_eq!(failed.status, StatusCode::OK);
    assert_eq!(failed.body["timeline"]["status"], "stale");
    assert_eq!(failed.body["timeline"]["error"], "Intercom answered 503");
    assert_eq!(
        failed.body["conversations"].as_array().unwrap().len(),
        2,
        "stored ones"
    );

    *api.on_view.failure.lock().unwrap() = None;
    *api.on_view.delay.lock().unwrap() = Some(Duration::from_secs(30));
    let started = std::time::Instant::now();
    let slow = api
        .get(&format!("/v1/contacts/{}", contact_id(1)), &api.host)
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the view does not wait for Intercom"
    );
    assert_eq!(slow.body["timeline"]["status"], "stale");
    assert!(
        slow.body["timeline"]["error"]
            .as_str()
            .unwrap()
            .contains("did not answer")
    );
}

#[tokio::test]
async fn an_account_shows_its_company_contacts_cs_attributes_and_rollups() {
    let api = api().await;
    api.seeded().await;
    let by_intercom = api
        .get(&format!("/v1/accounts/{}", company(0).id), &api.host)
        .await;
    assert_eq!(by_intercom.status, StatusCode::OK, "{}", by_intercom.text);
    let row = by_intercom.body["account"]["icsync_id"].as_i64().unwrap();
    for key in [
        "company_id:acct-0".to_owned(),
        format!("icsync:{row}"),
        format!("intercom:{}", company(0).id),
    ] {
        let answer = api.get(&format!("/v1/accounts/{key}"), &api.host).await;
        assert_eq!(answer.status, StatusCode::OK, "{key}");
        assert_eq!(
            answer.body["account"]["intercom_id"],
            company(0).id.to_string()
        );
    }
    let body = &by_intercom.body;
    assert_eq!(body["account"]["custom_attributes"]["arr"], 12000);
    assert_eq!(body["contacts_total"], 3, "contacts 0, 2 and 4");
    assert_eq!(body["contacts"].as_array().unwrap().len(), 3);
    assert_eq!(body["rollups"]["days"][0]["sessions"], 3);
    let limited = api
        .get(
            &format!("/v1/accounts/{}?contacts_limit=1", company(0).id),
            &api.host,
        )
        .await;
    assert_eq!(limited.body["contacts"].as_array().unwrap().len(), 1);
    assert_eq!(limited.body["contacts_total"], 3);
    let missing = api.get("/v1/accounts/company_id:nope", &api.host).await;
    assert_eq!(missing.code(), "account_not_found");
}
