//! Writeback end to end against the simulator, whose journal records every request.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

mod support;

use icsync_domain::{CsPatch, CsSubject};
use icsync_intercom::models::{DataAttributeCreate, DataAttributeModel, DataType};
use icsync_writeback::{Blocked, DrainOptions, Writeback, WritebackConfig};
use rust_decimal::Decimal;
use serde_json::json;
use support::{client, count, gate, import_companies, mutating, service, sim, store, workspace};

fn health(value: i64) -> CsPatch {
    CsPatch {
        health: Some(Some(Decimal::from(value))),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_on_1000_contacts_and_100_accounts_is_exactly_1100_updates_then_nothing_for_same_values()
 {
    let sim = sim(1_000, 100).await;
    let client = client(&sim);
    let store = store().await;
    let ws = workspace(&store, sim.base_url(), sim.token()).await;
    let contacts = sim.contact_ids(1_000);
    let companies = sim.company_ids(100);
    assert_eq!((contacts.len(), companies.len()), (1_000, 100));
    import_companies(&store, ws.id, &client, &companies).await;
    let writeback = service(&store);
    for (n, id) in contacts.iter().enumerate() {
        let patch = CsPatch {
            cs_owner: Some(Some("Grace Hopper".into())),
            ..health(n as i64 % 101)
        };
        writeback
            .set(ws.id, &CsSubject::Contact(id.clone()), &patch)
            .await
            .unwrap();
    }
    for id in &companies {
        writeback
            .set(ws.id, &CsSubject::Company(id.clone()), &health(55))
            .await
            .unwrap();
    }
    sim.clear_journal();

    let summary = writeback
        .drain_once(&ws, &client, &DrainOptions::default())
        .await
        .unwrap();
    assert!(summary.is_success(), "{summary:?}");
    assert_eq!((summary.pushed, summary.attributes_created), (1_100, 14));
    let journal = sim.journal(0);
    assert_eq!(
        count(&journal, "POST", "/data_attributes"),
        14,
        "created once"
    );
    assert_eq!(count(&journal, "GET", "/data_attributes"), 2);
    assert_eq!(count(&journal, "PUT", "/contacts/"), 1_000);
    assert_eq!(count(&journal, "POST", "/companies"), 100);
    assert_eq!(mutating(&journal).len(), 1_114);
    assert!(journal.iter().all(|e| e.status == 200), "no request failed");

    // Intercom holds the values.
    let contact = client.contacts().get(&contacts[7]).await.unwrap();
    assert_eq!(
        contact.custom_attributes.get("cs_health"),
        Some(&json!(7.0))
    );
    assert_eq!(
        contact.custom_attributes.get("cs_owner"),
        Some(&json!("Grace Hopper"))
    );
    let company = client.companies().get(&companies[3]).await.unwrap();
    assert_eq!(
        company.custom_attributes.get("cs_account_health"),
        Some(&json!(55.0))
    );

    // Same values again: nothing stored, nothing sent.
    sim.clear_journal();
    for (n, id) in contacts.iter().enumerate() {
        writeback
            .set(
                ws.id,
                &CsSubject::Contact(id.clone()),
                &health(n as i64 % 101),
            )
            .await
            .unwrap();
    }
    let summary = writeback
        .drain_once(&ws, &client, &DrainOptions::default())
        .await
        .unwrap();
    assert_eq!(summary.pushed, 0);
    assert!(sim.journal(0).is_empty(), "{:?}", sim.journal(0).first());

    // Owner only: nothing until the next trigger change, then the owner rides along.
    for id in contacts.iter().take(10) {
        let owner = CsPatch {
            cs_owner: Some(Some("Ada Lovelace".into())),
            ..Default::default()
        };
        writeback
            .set(ws.id, &CsSubject::Contact(id.clone()), &owner)
            .await
            .unwrap();
    }
    writeback
        .drain_once(&ws, &client, &DrainOptions::default())
        .await
        .unwrap();
    assert!(
        mutating(&sim.journal(0)).is_empty(),
        "an owner change alone sends nothing"
    );
    let stage = CsPatch {
        stage: Some(Some("renewal".into())),
        ..Default::default()
    };
    writeback
        .set(ws.id, &CsSubject::Contact(contacts[0].clone()), &stage)
        .await
        .unwrap();
    let summary = writeback
        .drain_once(&ws, &client, &DrainOptions::default())
        .await
        .unwrap();
    assert_eq!(summary.pushed, 1);
    assert_eq!(mutating(&sim.journal(0)).len(), 1);
    let contact = client.contacts().get(&contacts[0]).await.unwrap();
    assert_eq!(
        contact.custom_attributes.get("cs_owner"),
        Some(&json!("Ada Lovelace"))
    );
    assert_eq!(
        contact.custom_attributes.get("cs_stage"),
        Some(&json!("renewal"))
    );
    let status = writeback.status(&ws).await.unwrap();
    assert_eq!(
        (status.pending, status.pushed, status.failing),
        (0, 1_100, 0)
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_gate_sends_no_mutating_request_and_status_says_why() {
    let sim = sim(20, 0).await;
    let client = client(&sim);
    let store = store().await;
    let ws = workspace(&store, sim.base_url(), sim.token()).await;
    let writeback = service(&store);
    for id in sim.contact_ids(20) {
        writeback
            .set(ws.id, &CsSubject::Contact(id), &health(80))
            .await
            .unwrap();
    }
    sim.clear_journal();
    for (primary, on, why) in [
        (false, true, Blocked::PrimarySourceNotIntercom),
        (true, false, Blocked::WritebackDisabled),
        (false, false, Blocked::PrimarySourceNotIntercom),
    ] {
        let closed = gate(&store, ws.id, primary, on).await;
        let summary = writeback
            .drain_once(&closed, &client, &DrainOptions::default())
            .await
            .unwrap();
        assert_eq!(summary.blocked, Some(why.clone()));
        let status = writeback.status(&closed).await.unwrap();
        assert_eq!((status.blocked, status.pending), (Some(why), 20));
    }
    // The loop skips the workspace too.
    let closed = gate(&store, ws.id, false, true).await;
    let source = {
        let client = client.clone();
        move |_: &icsync_domain::Workspace| -> Result<std::sync::Arc<dyn icsync_writeback::IntercomWriter>, String> {
            Ok(std::sync::Arc::new(client.clone()))
        }
    };
    writeback
        .run(
            &source,
            tokio::time::sleep(std::time::Duration::from_millis(300)),
        )
        .await;
    assert!(mutating(&sim.journal(0)).is_empty(), "{:?}", sim.journal(0));
    assert!(sim.journal(0).is_empty(), "not even a read");
    assert!(!closed.primary_source_is_intercom);

    // Open the gate: the loop pushes them.
    gate(&store, ws.id, true, true).await;
    writeback
        .run(&source, async {
            while writeback.status(&closed).await.unwrap().pending > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
        .await;
    assert_eq!(count(&sim.journal(0), "PUT", "/contacts/"), 20);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_taken_with_another_type_is_a_configuration_error_not_a_skip() {
    let sim = sim(5, 0).await;
    let client = client(&sim);
    client
        .data_attributes()
        .create(&DataAttributeCreate {
            name: "cs_health".into(),
            model: DataAttributeModel::Contact,
            data_type: DataType::String,
            description: None,
            messenger_writable: None,
        })
        .await
        .unwrap();
    let store = store().await;
    let ws = workspace(&store, sim.base_url(), sim.token()).await;
    let writeback = service(&store);
    let id = sim.contact_ids(1).remove(0);
    writeback
        .set(ws.id, &CsSubject::Contact(id), &health(10))
        .await
        .unwrap();
    sim.clear_journal();
    let summary = writeback
        .drain_once(&ws, &client, &DrainOptions::default())
        .await
        .unwrap();
    let error = summary.config_error.clone().expect("a configuration error");
    assert!(
        error.contains("cs_health") && error.contains("string") && error.contains("float"),
        "{error}"
    );
    assert!(
        error.contains("writeback.contact_attributes.health"),
        "{error}"
    );
    assert!(mutating(&sim.journal(0)).is_empty());
    let status = writeback.status(&ws).await.unwrap();
    assert_eq!(status.config_error.as_deref(), Some(error.as_str()));
    assert_eq!(status.pending, 1);

    // The same configuration is not checked again within a minute: no request at all.
    sim.clear_journal();
    let summary = writeback
        .drain_once(&ws, &client, &DrainOptions::default())
        .await
        .unwrap();
    assert_eq!(summary.config_error.as_deref(), Some(error.as_str()));
    assert!(sim.journal(0).is_empty());

    // Another name fixes it (a service with the changed configuration checks at once).
    let mut config = WritebackConfig::default();
    config.contact_attributes.health = "cs_health_score".into();
    let fixed = Writeback::new(store.clone(), config).unwrap();
    let summary = fixed
        .drain_once(&ws, &client, &DrainOptions::default())
        .await
        .unwrap();
    assert!(summary.is_success(), "{summary:?}");
    assert_eq!(summary.pushed, 1);
    assert!(fixed.status(&ws).await.unwrap().config_error.is_none());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_contact_is_marked_gone_and_never_blocks_the_others() {
    let sim = sim(10, 0).await;
    let client = client(&sim);
    let store = store().await;
    let ws = workspace(&store, sim.base_url(), sim.token()).await;
    let writeback = service(&store);
    let ids = sim.contact_ids(10);
    sim.delete_contact(&ids[3]).unwrap();
    for id in &ids {
        writeback
            .set(ws.id, &CsSubject::Contact(id.clone()), &health(30))
            .await
            .unwrap();
    }
    let summary = writeback
        .drain_once(&ws, &client, &DrainOptions::default())
        .await
        .unwrap();
    assert_eq!(summary.pushed, 9);
    assert_eq!(summary.failures.len(), 1);
    assert!(summary.failures[0].gone, "{:?}", summary.failures);
    sim.clear_journal();
    writeback
        .drain_once(
            &ws,
            &client,
            &DrainOptions {
                ignore_backoff: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(sim.journal(0).is_empty(), "a gone row is not retried");
    let status = writeback.status(&ws).await.unwrap();
    assert_eq!(
        (status.gone, status.pending, status.failures.len()),
        (1, 0, 1)
    );
    assert!(
        status.failures[0].error.contains("does not exist"),
        "{:?}",
        status.failures
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renamed_attributes_are_created_and_every_pushed_row_goes_again_under_the_new_name() {
    let sim = sim(6, 0).await;
    let client = client(&sim);
    let store = store().await;
    let ws = workspace(&store, sim.base_url(), sim.token()).await;
    let writeback = service(&store);
    let ids = sim.contact_ids(6);
    for id in &ids {
        writeback
            .set(ws.id, &CsSubject::Contact(id.clone()), &health(70))
            .await
            .unwrap();
    }
    writeback
        .drain_once(&ws, &client, &DrainOptions::default())
        .await
        .unwrap();
    let mut config = WritebackConfig::default();
    config.contact_attributes.health = "cs_health_v2".into();
    let renamed = Writeback::new(store.clone(), config).unwrap();
    let plan = renamed.plan(&ws).await.unwrap();
    assert!(
        plan.is_empty(),
        "nothing pending before the new names are provisioned"
    );
    sim.clear_journal();
    let summary = renamed
        .drain_once(&ws, &client, &DrainOptions::default())
        .await;
    // Nothing is pending, so nothing is provisioned until a row waits.
    assert_eq!(summary.unwrap().pushed, 0);
    renamed
        .set(ws.id, &CsSubject::Contact(ids[0].clone()), &health(71))
        .await
        .unwrap();
    let summary = renamed
        .drain_once(&ws, &client, &DrainOptions::default())
        .await
        .unwrap();
    assert_eq!((summary.attributes_created, summary.requeued), (1, 6));
    assert_eq!(summary.pushed, 6, "every row again, under the new name");
    let contact = client.contacts().get(&ids[5]).await.unwrap();
    assert_eq!(
        contact.custom_attributes.get("cs_health_v2"),
        Some(&json!(70.0))
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_lists_what_would_change_and_sends_nothing() {
    let sim = sim(3, 0).await;
    let client = client(&sim);
    let store = store().await;
    let ws = workspace(&store, sim.base_url(), sim.token()).await;
    let writeback = service(&store);
    let id = sim.contact_ids(1).remove(0);
    let subject = CsSubject::Contact(id);
    writeback.set(ws.id, &subject, &health(40)).await.unwrap();
    writeback
        .drain_once(&ws, &client, &DrainOptions::default())
        .await
        .unwrap();
    let patch = CsPatch {
        stage: Some(Some("adoption".into())),
        cs_owner: Some(Some("Grace".into())),
        ..Default::default()
    };
    writeback.set(ws.id, &subject, &patch).await.unwrap();
    sim.clear_journal();
    let plan = writeback.plan(&ws).await.unwrap();
    assert!(sim.journal(0).is_empty());
    assert_eq!(plan.len(), 1);
    assert!(plan[0].baseline_known);
    let changed: Vec<_> = plan[0]
        .changes
        .iter()
        .map(|c| c.attribute.as_str())
        .collect();
    assert_eq!(changed, ["cs_stage", "cs_owner"]);
    assert_eq!(plan[0].changes[0].from, Some(serde_json::Value::Null));
    sim.shutdown().await;
}
