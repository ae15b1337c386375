//! Contact and company tags come in with the users stream, named: Intercom lists a contact's
//! tags by id only, so a run names them from one `GET /tags` (none when the store already
//! knows every id, one more when a tag new to the run shows up), never one per contact; the
//! profiles the API serves show the names.

use icsync_domain::{ContactId, ImportedTag, StreamName, imported_tags};
use icsync_intercom_sim::SimConfig;
use icsync_tests::TestDatabase;
use icsync_tests::sync::Synced;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// `GET /tags` requests since `mark`.
fn tag_lists(synced: &Synced, mark: u64) -> usize {
    synced
        .sim
        .journal(mark)
        .iter()
        .filter(|e| e.method == "GET" && e.path == "/tags")
        .count()
}

/// The tags stored on a contact.
async fn stored_tags(synced: &Synced, id: &str) -> Vec<ImportedTag> {
    let profile = synced
        .store
        .contact_profile(synced.workspace.id, &ContactId::new(id))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("contact {id} is stored"));
    imported_tags(&profile.contact.contact.other_attributes)
}

/// The names of a stored contact's tags, sorted; a tag stored without a name fails.
async fn stored_names(synced: &Synced, id: &str) -> Vec<String> {
    let mut names: Vec<String> = stored_tags(synced, id)
        .await
        .into_iter()
        .map(|t| {
            t.name
                .unwrap_or_else(|| panic!("tag {} of {id} has a name", t.id))
        })
        .collect();
    names.sort();
    names
}

/// The `users` stream's report figure `key` in a pass.
fn users_figure(report: &icsync_inbound::SyncReport, key: &str) -> u64 {
    report
        .streams
        .iter()
        .find(|s| s.stream.as_str() == StreamName::USERS)
        .and_then(|s| s.also.get(key).copied())
        .unwrap_or(0)
}

/// The API over the synced store, served on a free port, with a host key.
async fn api(synced: &Synced) -> (String, String) {
    let store = synced.store.clone();
    let on_view = icsync_inbound::OnViewFetcher::new(
        store.clone(),
        synced.pacers.clone(),
        synced.settings.clone(),
        synced.config.clone(),
    );
    let writeback =
        icsync_writeback::Writeback::new(store.clone(), Default::default()).expect("writeback");
    let services = icsync_daemon::services::api_services(&store, on_view, writeback);
    let state = icsync_api::ApiState::new(store.clone(), Default::default(), services)
        .expect("an API state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, icsync_api::router(state)).await });
    let (_, key) = icsync_api::create_api_key(&store, icsync_api::Scope::Host, None)
        .await
        .unwrap();
    (
        address,
        secrecy::ExposeSecret::expose_secret(&key).to_owned(),
    )
}

async fn profile(address: &str, key: &str, id: &str) -> Value {
    let response = icsync_tests::http_client()
        .get(format!("{address}/v1/contacts/{id}"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

pub async fn contact_tags_arrive_named_for_one_tag_list_a_run(db: TestDatabase) {
    let synced = Synced::start(
        SimConfig {
            contacts: 400,
            companies: 100,
            ..SimConfig::default()
        },
        db,
    )
    .await;
    let sim = &synced.sim;

    // The backfill: every stored contact's tags named as Intercom names them, for one list.
    let mark = synced.journal_mark();
    let backfill = synced.pass().await;
    assert!(backfill.all_finished(), "{backfill:#?}");
    assert_eq!(
        tag_lists(&synced, mark),
        1,
        "one GET /tags for the backfill"
    );
    assert_eq!(users_figure(&backfill, "tag_lists"), 1, "{backfill:#?}");
    assert_eq!(users_figure(&backfill, "tags_unnamed"), 0);
    let stored = synced.stored_contact_ids().await;
    let mut tagged = Vec::new();
    for id in &stored {
        let want = sim.contact_tag_names(id).unwrap();
        assert_eq!(stored_names(&synced, id).await, want, "tags of {id}");
        if !want.is_empty() {
            tagged.push(id.clone());
        }
    }
    assert!(
        tagged.len() >= 10,
        "{} of {} tagged",
        tagged.len(),
        stored.len()
    );
    let pages = sim
        .journal(mark)
        .iter()
        .filter(|e| e.path == "/contacts/search")
        .count();
    assert!(pages > 1, "the tagged contacts came on {pages} pages");

    // Company tags come with their names.
    let company_tags: BTreeMap<String, Vec<String>> = sim
        .companies_json()
        .into_iter()
        .filter_map(|c| {
            let names: Vec<String> = c["tags"]["tags"]
                .as_array()?
                .iter()
                .filter_map(|t| t["name"].as_str().map(str::to_owned))
                .collect();
            (!names.is_empty()).then(|| (c["id"].as_str().unwrap_or("").to_owned(), names))
        })
        .collect();
    let mut tagged_company_member = None;
    for id in &stored {
        let profile = synced
            .store
            .contact_profile(synced.workspace.id, &ContactId::new(id.clone()))
            .await
            .unwrap()
            .unwrap();
        for company in &profile.companies {
            if let Some(want) = company_tags.get(company.company.id.as_str()) {
                let got: Vec<String> = imported_tags(&company.company.other_attributes)
                    .into_iter()
                    .filter_map(|t| t.name)
                    .collect();
                assert_eq!(&got, want, "tags of company {}", company.company.id);
                tagged_company_member.get_or_insert((id.clone(), want.clone()));
            }
        }
    }
    let (member, company_names) =
        tagged_company_member.expect("a stored contact in a tagged company");

    // Profiles show the names (the API reads what the import stored).
    let (address, key) = api(&synced).await;
    let shown = profile(&address, &key, &tagged[0]).await;
    let tags = shown["contacts"][0]["tags"].as_array().unwrap().clone();
    let mut names: Vec<String> = tags
        .iter()
        .map(|t| {
            assert!(t["id"].as_str().is_some_and(|id| !id.is_empty()), "{t}");
            t["name"]
                .as_str()
                .unwrap_or_else(|| panic!("a name: {t}"))
                .to_owned()
        })
        .collect();
    names.sort();
    assert_eq!(names, sim.contact_tag_names(&tagged[0]).unwrap());
    let shown = profile(&address, &key, &member).await;
    let companies = shown["contacts"][0]["companies"].as_array().unwrap();
    assert!(
        companies.iter().any(|c| c["tags"] == json!(company_names)),
        "company tags in the profile: {companies:?}"
    );

    // Tagged contacts changed: their tags are known from the store, so no list at all.
    for id in &tagged[..3] {
        sim.update_contact(id, json!({"name": format!("Changed {id}")}))
            .unwrap();
    }
    let mark = synced.journal_mark();
    let again = synced.pass().await;
    assert!(again.all_finished(), "{again:#?}");
    assert!(users_figure(&again, "contacts_written") >= 3, "{again:#?}");
    assert_eq!(tag_lists(&synced, mark), 0, "every id was named already");
    for id in &tagged[..3] {
        assert_eq!(
            stored_names(&synced, id).await,
            sim.contact_tag_names(id).unwrap()
        );
    }

    // A person tags contacts with a new tag: the next pass lists the tags once and names it.
    let fresh: Vec<String> = stored
        .iter()
        .filter(|id| !tagged.contains(id))
        .take(2)
        .chain(tagged.iter().take(2))
        .cloned()
        .collect();
    for id in &fresh {
        sim.tag_contact(id, "Renewal 2027").unwrap();
        sim.update_contact(id, json!({"name": format!("Tagged {id}")}))
            .unwrap();
    }
    let mark = synced.journal_mark();
    let tagged_pass = synced.pass().await;
    assert!(tagged_pass.all_finished(), "{tagged_pass:#?}");
    assert_eq!(tag_lists(&synced, mark), 1, "one list for the new tag");
    for id in &fresh {
        let names = stored_names(&synced, id).await;
        assert!(
            names.contains(&"Renewal 2027".to_owned()),
            "{id}: {names:?}"
        );
        assert_eq!(names, sim.contact_tag_names(id).unwrap());
    }
    let shown = profile(&address, &key, &fresh[0]).await;
    assert!(
        shown["contacts"][0]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "Renewal 2027"),
        "{shown}"
    );
}
