//! The data side of the control surface: contacts created with explicit fields, company
//! attach/detach, updates placed at an exact instant, and read-back of the simulator's truth.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests fail loudly on purpose

mod common;

use std::time::Duration;

use common::{assert_error, start};
use icsync_intercom_sim::{ContactRole, NewContact, SimConfig};
use reqwest::Method;
use serde_json::{Map, Value, json};

/// The data's "now": the last UTC midnight, so the 90-day event window holds whenever the
/// tests run.
fn anchor() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    now - now.rem_euclid(86_400)
}

fn cfg(anchor_ts: i64) -> SimConfig {
    SimConfig {
        contacts: 60,
        companies: 12,
        anchor: Some(anchor_ts),
        time_zone: "UTC".into(),
        ..SimConfig::default()
    }
}

async fn search_ids(api: &common::Api, query: Value) -> Vec<String> {
    let r = api
        .post(
            "/contacts/search",
            &json!({"query": query, "pagination": {"per_page": 150}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn a_created_contact_has_its_explicit_fields_lists_at_once_and_searches_after_the_lag() {
    let anchor_ts = anchor();
    let api = start(cfg(anchor_ts)).await;
    api.sim.set_search_lag(Duration::from_secs(3600));
    let companies = api.sim.company_ids(11);
    let mut custom = Map::new();
    custom.insert("seats".into(), json!(12));
    let created = api
        .sim
        .create_contact(NewContact {
            role: ContactRole::Lead,
            email: Some("Lead.Person@Example.com".into()),
            name: Some("Léa Person".into()),
            external_id: Some("ext-lead-1".into()),
            custom_attributes: custom,
            created_at: Some(anchor_ts - 86_400),
            updated_at: Some(anchor_ts - 3_600),
            last_seen_at: Some(anchor_ts - 7_200),
            companies: companies.clone(),
            ..NewContact::default()
        })
        .expect("created");
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["role"], "lead");
    assert_eq!(created["email"], "Lead.Person@Example.com");
    assert_eq!(created["created_at"], anchor_ts - 86_400);
    assert_eq!(created["updated_at"], anchor_ts - 3_600);
    assert_eq!(created["last_seen_at"], anchor_ts - 7_200);
    assert_eq!(
        created["signed_up_at"],
        Value::Null,
        "leads never signed up"
    );
    assert_eq!(created["custom_attributes"]["seats"], 12);
    assert_eq!(created["companies"]["total_count"], 11);
    assert_eq!(created["companies"]["data"].as_array().unwrap().len(), 10);
    assert_eq!(api.sim.contact_company_ids(&id).unwrap(), companies);
    assert_eq!(api.sim.summary().contacts, 61);
    let list = api.get("/contacts?per_page=150").await;
    assert_eq!(list.body["total_count"], 61);
    assert!(
        list.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id.as_str())
    );
    let q = json!({"field": "external_id", "operator": "=", "value": "ext-lead-1"});
    assert!(search_ids(&api, q.clone()).await.is_empty(), "search lags");
    api.sim.set_search_lag(Duration::ZERO);
    assert_eq!(search_ids(&api, q).await, vec![id.clone()]);
    let company = api.get(&format!("/companies/{}", companies[0])).await;
    let in_company = api
        .get(&format!(
            "/companies/{}/contacts?per_page=150",
            companies[0]
        ))
        .await;
    assert!(
        in_company.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id.as_str())
    );
    assert!(company.body["user_count"].as_u64().unwrap() >= 1);
    let refs = api.sim.contacts_created_since(anchor_ts - 86_400);
    assert!(refs.iter().any(|r| r.id == id && r.role == "lead"));
    assert!(refs.iter().all(|r| r.created_at >= anchor_ts - 86_400));
}

#[tokio::test]
async fn bad_created_contacts_are_refused_and_change_nothing() {
    let anchor_ts = anchor();
    let api = start(cfg(anchor_ts)).await;
    let before = api.sim.summary();
    let cases = [
        json!({"companies": ["000000000000000000000000"]}),
        json!({"custom_attributes": {"no_such_attribute": 1}}),
        json!({"custom_attributes": {"seats": "many"}}),
        json!({"created_at": 1_790_899_200.5}),
        json!({"created_at": anchor_ts, "updated_at": anchor_ts - 1}),
        json!({"role": "admin"}),
        json!({"unknown": true}),
    ];
    for body in cases {
        let r = api
            .send(
                Method::POST,
                "/_sim/contacts",
                Some(&body.to_string()),
                None,
            )
            .await;
        assert!(r.status == 400 || r.status == 404, "{body}: {}", r.text);
        assert_eq!(r.body["type"], "error.list", "{body}");
    }
    assert_eq!(api.sim.summary(), before);
    let ok = api
        .send(
            Method::POST,
            "/_sim/contacts",
            Some(r#"{"email": "user@example.com"}"#),
            None,
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["role"], "user");
    assert_eq!(ok.body["signed_up_at"], ok.body["created_at"]);
}

#[tokio::test]
async fn attaching_and_detaching_bump_updated_at_through_the_api_and_the_control_surface() {
    let anchor_ts = anchor();
    let api = start(cfg(anchor_ts)).await;
    let old = api
        .sim
        .create_contact(NewContact {
            created_at: Some(anchor_ts - 10 * 86_400),
            ..NewContact::default()
        })
        .unwrap();
    let id = old["id"].as_str().unwrap().to_owned();
    assert_eq!(old["updated_at"], anchor_ts - 10 * 86_400);
    let company = api.sim.company_ids(1).remove(0);
    let r = api
        .send(
            Method::POST,
            &format!("/_sim/contacts/{id}/companies/{company}"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let bumped = r.body["updated_at"].as_i64().unwrap();
    assert!(bumped > anchor_ts - 10 * 86_400, "attach bumps updated_at");
    assert_eq!(r.body["companies"]["total_count"], 1);
    // The public detach answers the company, one user fewer.
    let users = api.get(&format!("/companies/{company}")).await.body["user_count"].clone();
    let d = api
        .delete(&format!("/contacts/{id}/companies/{company}"))
        .await;
    assert_eq!(d.status, 200, "{}", d.text);
    assert_eq!(d.body["type"], "company");
    assert_eq!(d.body["user_count"], users.as_u64().unwrap() - 1);
    assert!(api.sim.contact_company_ids(&id).unwrap().is_empty());
    assert_error(
        &api.delete(&format!("/contacts/{id}/companies/{company}"))
            .await,
        404,
        "company_not_found",
    );
    // Public attach, then control detach.
    api.sim
        .update_contact(&id, json!({"updated_at": anchor_ts - 86_400}))
        .unwrap();
    let a = api
        .post(
            &format!("/contacts/{id}/companies"),
            &json!({"id": company}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let after_attach = api.sim.contact_json(&id).unwrap()["updated_at"]
        .as_i64()
        .unwrap();
    assert!(
        after_attach > anchor_ts - 86_400,
        "public attach bumps updated_at"
    );
    api.sim
        .update_contact(&id, json!({"updated_at": anchor_ts - 86_400}))
        .unwrap();
    let v = api.sim.detach_company(&id, &company).unwrap();
    assert!(v["updated_at"].as_i64().unwrap() > anchor_ts - 86_400);
    assert_eq!(v["companies"]["total_count"], 0);
}

#[tokio::test]
async fn an_update_lands_at_the_instant_given_and_search_sees_its_day() {
    let anchor_ts = anchor();
    let api = start(cfg(anchor_ts)).await;
    let id = api.sim.contact_ids(1).remove(0);
    let just_after_midnight = anchor_ts + 5; // 00:00:05Z today
    let r = api
        .send(
            Method::PATCH,
            &format!("/_sim/contacts/{id}"),
            Some(
                &json!({"updated_at": just_after_midnight, "last_seen_at": anchor_ts - 60, "name": "At midnight"})
                    .to_string(),
            ),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["updated_at"], just_after_midnight);
    assert_eq!(r.body["last_seen_at"], anchor_ts - 60);
    let day_before = json!({"field": "updated_at", "operator": ">", "value": anchor_ts - 1});
    assert!(
        search_ids(&api, day_before).await.contains(&id),
        "> the previous day matches"
    );
    let same_day = json!({"field": "updated_at", "operator": ">", "value": anchor_ts + 3600});
    assert!(
        !search_ids(&api, same_day).await.contains(&id),
        "> the same day does not"
    );
    // Without the override, the update is now.
    let now = api.sim.update_contact(&id, json!({"name": "Now"})).unwrap();
    assert!(now["updated_at"].as_i64().unwrap() >= just_after_midnight);
    let bad = api
        .sim
        .update_contact(&id, json!({"updated_at": "yesterday"}));
    assert_eq!(bad.unwrap_err().code, "parameter_invalid");
}

#[tokio::test]
async fn an_event_changes_nothing_else_on_the_contact() {
    let anchor_ts = anchor();
    let api = start(cfg(anchor_ts)).await;
    let id = api.sim.contact_ids(1).remove(0);
    let before = api.sim.contact_json(&id).unwrap();
    let counts = api.sim.event_counts(&id).unwrap();
    api.sim
        .add_event(&id, "logged-in", Some(anchor_ts - 10), Map::new())
        .unwrap();
    let after = api.sim.contact_json(&id).unwrap();
    assert_eq!(before, after, "no updated_at or last_seen_at bump");
    assert_eq!(
        api.sim.event_counts(&id).unwrap().listable,
        counts.listable + 1
    );
    let events = api.sim.contact_events_json(&id).unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["event_name"] == "logged-in" && e["created_at"] == anchor_ts - 10)
    );
}

#[tokio::test]
async fn read_back_equals_what_the_api_pages_out() {
    let anchor_ts = anchor();
    let api = start(SimConfig {
        contacts: 420,
        companies: 30,
        ..cfg(anchor_ts)
    })
    .await;
    let mut listed = Vec::new();
    let mut path = "/contacts?per_page=150".to_owned();
    loop {
        let page = api.get(&path).await.body;
        listed.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["pages"]["next"]["starting_after"].as_str() {
            Some(c) => path = format!("/contacts?per_page=150&starting_after={c}"),
            None => break,
        }
    }
    assert_eq!(api.sim.contacts_json().collect::<Vec<_>>(), listed);
    // Lazy: the simulator can be used (and changed) mid-iteration.
    let mut iter = api.sim.contacts_json();
    let first = iter.next().unwrap();
    api.sim
        .update_contact(
            first["id"].as_str().unwrap(),
            json!({"name": "mid-iteration"}),
        )
        .unwrap();
    assert_eq!(iter.count(), 419);
    let over_http = api
        .send(
            Method::GET,
            "/_sim/contacts?offset=100&limit=50",
            None,
            None,
        )
        .await;
    assert_eq!(over_http.body["total_count"], 420);
    assert_eq!(
        over_http.body["data"].as_array().unwrap()[..],
        listed[100..150]
    );
    let one = api
        .send(
            Method::GET,
            &format!("/_sim/contacts/{}", listed[7]["id"].as_str().unwrap()),
            None,
            None,
        )
        .await;
    assert_eq!(one.body, listed[7]);

    let mut scrolled = Vec::new();
    let mut param = String::new();
    loop {
        let p = api
            .get(&format!("/companies/scroll?scroll_param={param}"))
            .await
            .body;
        let data = p["data"].as_array().unwrap().clone();
        if data.is_empty() {
            break;
        }
        scrolled.extend(data);
        param = p["scroll_param"].as_str().unwrap().to_owned();
    }
    assert_eq!(api.sim.companies_json(), scrolled);
    let http_companies = api.send(Method::GET, "/_sim/companies", None, None).await;
    assert_eq!(http_companies.body["data"].as_array().unwrap(), &scrolled);

    // A contact in many companies: all ids, not the inline 10.
    let many = listed
        .iter()
        .find(|c| c["companies"]["total_count"].as_u64().unwrap() > 10)
        .or_else(|| {
            listed
                .iter()
                .max_by_key(|c| c["companies"]["total_count"].as_u64())
        })
        .unwrap();
    let mid = many["id"].as_str().unwrap();
    let ids = api.sim.contact_company_ids(mid).unwrap();
    assert_eq!(
        ids.len() as u64,
        many["companies"]["total_count"].as_u64().unwrap()
    );
    let http_ids = api
        .send(
            Method::GET,
            &format!("/_sim/contacts/{mid}/companies"),
            None,
            None,
        )
        .await;
    assert_eq!(http_ids.body["company_ids"], json!(ids));

    // Listable events equal `GET /events` followed to the end.
    let with_events = listed
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .find(|id| api.sim.event_counts(id).unwrap().listable > 20)
        .expect("a contact with events");
    let mut events = Vec::new();
    let mut url = format!("/events?type=user&intercom_user_id={with_events}&per_page=7");
    loop {
        let p = api.get(&url).await.body;
        events.extend(p["events"].as_array().unwrap().iter().cloned());
        match p["pages"]["next"].as_str() {
            Some(n) => url = n.trim_start_matches(api.sim.base_url()).to_owned(),
            None => break,
        }
    }
    assert_eq!(api.sim.contact_events_json(with_events).unwrap(), events);
    let http_events = api
        .send(
            Method::GET,
            &format!("/_sim/contacts/{with_events}/events"),
            None,
            None,
        )
        .await;
    assert_eq!(http_events.body["events"], json!(events));
    assert_eq!(http_events.body["listable"], events.len());

    let refs = api
        .send(
            Method::GET,
            &format!(
                "/_sim/contacts/refs?created_since={}",
                anchor_ts - 30 * 86_400
            ),
            None,
            None,
        )
        .await;
    let want = api.sim.contacts_created_since(anchor_ts - 30 * 86_400);
    assert!(!want.is_empty());
    assert_eq!(refs.body["total_count"], want.len());
    assert_eq!(refs.body["data"][0]["id"], want[0].id.as_str());
    let from_list = listed
        .iter()
        .filter(|c| c["created_at"].as_i64().unwrap() >= anchor_ts - 30 * 86_400)
        .count();
    assert_eq!(want.len(), from_list);
}
