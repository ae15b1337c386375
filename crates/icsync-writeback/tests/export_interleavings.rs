//! Export exactness on the real simulator: seeded random interleavings of host puts and
//! removals, drains under injected faults (5xx and dropped connections from the simulator;
//! 429s and "applied, then the answer was lost" from a wrapper around the client), drains cut
//! short (a restart: a new service, the claims left behind), then quiescence. Intercom must
//! match the host's latest desired state per record: the contact (one, never a duplicate) with
//! the latest values and exactly the record's groups as tags, or removed as the modes say.
//!
//! `EXPORT_PROPTEST_CASES` sets the number of cases (default 30; each case is its own
//! workspace with random modes and three records).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

mod export_support;
mod support;

use async_trait::async_trait;
use chrono::Duration;
use export_support::{contact, settings};
use icsync_domain::{CreationMode, HostRecord, RemovalMode, SyncMode};
use icsync_intercom::models::{
    Contact, ContactWrite, DataAttribute, DataAttributeCreate, DataAttributeModel, Tag,
};
use icsync_intercom::{Created, Error, IntercomClient};
use icsync_intercom_sim::FaultConfig;
use icsync_writeback::export::{ExportConfig, ExportDrainOptions, ExportWriter, Exporter};
use serde_json::json;
use std::sync::Mutex;
use support::{ManualClock, client, sim, store, workspace};

/// The client, with faults a simulator cannot inject: a 429 whose retry budget ran out
/// (nothing applied) and a lost answer after Intercom applied the request.
struct Faulty {
    inner: IntercomClient,
    rng: Mutex<fastrand::Rng>,
    rate: Mutex<f64>,
}

enum Roll {
    Pass,
    RateLimited,
    LostAnswer,
}

impl Faulty {
    fn roll(&self) -> Roll {
        let rate = *self.rate.lock().unwrap();
        let p = self.rng.lock().unwrap().f64();
        if p < rate / 2.0 {
            Roll::RateLimited
        } else if p < rate {
            Roll::LostAnswer
        } else {
            Roll::Pass
        }
    }

    async fn call<T>(&self, call: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        match self.roll() {
            Roll::Pass => call.await,
            Roll::RateLimited => Err(Error::RateLimited {
                retry_after: std::time::Duration::from_secs(1),
            }),
            Roll::LostAnswer => {
                let _ = call.await;
                Err(Error::Api {
                    status: 502,
                    code: "http_502".into(),
                    message: "injected: the answer was lost after Intercom applied it".into(),
                    request_id: None,
                })
            }
        }
    }
}

#[async_trait]
impl ExportWriter for Faulty {
    async fn list_data_attributes(
        &self,
        model: DataAttributeModel,
    ) -> Result<Vec<DataAttribute>, Error> {
        self.call(self.inner.list_data_attributes(model)).await
    }
    async fn create_data_attribute(
        &self,
        create: &DataAttributeCreate,
    ) -> Result<Created<DataAttribute>, Error> {
        self.call(self.inner.create_data_attribute(create)).await
    }
    async fn create_contact(&self, write: &ContactWrite) -> Result<Contact, Error> {
        self.call(self.inner.create_contact(write)).await
    }
    async fn update_contact(&self, id: &str, write: &ContactWrite) -> Result<Contact, Error> {
        self.call(self.inner.update_contact(id, write)).await
    }
    async fn archive_contact(&self, id: &str) -> Result<(), Error> {
        self.call(self.inner.archive_contact(id)).await
    }
    async fn unarchive_contact(&self, id: &str) -> Result<(), Error> {
        self.call(self.inner.unarchive_contact(id)).await
    }
    async fn delete_contact(&self, id: &str) -> Result<(), Error> {
        self.call(self.inner.delete_contact(id)).await
    }
    async fn search_contact(
        &self,
        external_id: Option<&str>,
        email: Option<&str>,
    ) -> Result<Vec<Contact>, Error> {
        self.call(self.inner.search_contact(external_id, email))
            .await
    }
    async fn create_tag(&self, name: &str) -> Result<Tag, Error> {
        self.call(self.inner.create_tag(name)).await
    }
    async fn attach_tag(&self, contact_id: &str, tag_id: &str) -> Result<(), Error> {
        self.call(self.inner.attach_tag(contact_id, tag_id)).await
    }
    async fn detach_tag(&self, contact_id: &str, tag_id: &str) -> Result<(), Error> {
        self.call(self.inner.detach_tag(contact_id, tag_id)).await
    }
}

const GROUPS: [&str; 3] = ["Alpha", "Beta", "Gamma"];
const PLANS: [&str; 3] = ["free", "pro", "enterprise"];

fn random_record(
    rng: &mut fastrand::Rng,
    case: u64,
    index: usize,
    creation: CreationMode,
) -> HostRecord {
    let external = creation == CreationMode::User || rng.bool();
    HostRecord {
        host_id: format!("r{index}"),
        email: Some(format!("c{case}-r{index}@x.test")),
        external_id: external.then(|| format!("ext-{case}-{index}")),
        properties: [
            ("full_name".to_owned(), json!(format!("N{}", rng.u8(0..3)))),
            ("plan".to_owned(), json!(PLANS[rng.usize(0..3)])),
        ]
        .into_iter()
        .filter(|_| rng.u8(0..5) > 0)
        .collect(),
        groups: GROUPS
            .iter()
            .filter(|_| rng.bool())
            .map(|g| (*g).to_owned())
            .collect(),
    }
}

fn exporter(store: &icsync_store::Store, clock: &ManualClock) -> Exporter {
    Exporter::new(
        store.clone(),
        ExportConfig {
            backoff: icsync_writeback::Backoff {
                base_secs: 1,
                max_secs: 8,
            },
            lease_secs: 60,
            ..ExportConfig::default()
        },
    )
    .unwrap()
    .with_clock(clock.clock())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_puts_removals_faults_and_restarts_end_with_intercom_at_the_latest_desired_state() {
    let cases: u64 = std::env::var("EXPORT_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let seed: u64 = std::env::var("EXPORT_PROPTEST_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0xe4_9047);
    let sim = sim(0, 0).await;
    let store = store().await;
    let writer = Faulty {
        inner: client(&sim),
        rng: Mutex::new(fastrand::Rng::with_seed(seed)),
        rate: Mutex::new(0.0),
    };
    let options = ExportDrainOptions::default();
    for case in 0..cases {
        let mut rng = fastrand::Rng::with_seed(seed + case);
        let sync = [SyncMode::Sync, SyncMode::Additive][rng.usize(0..2)];
        let creation = CreationMode::ALL[rng.usize(0..3)];
        let removal = RemovalMode::ALL[rng.usize(0..2)];
        let ws = workspace(&store, sim.base_url(), sim.token()).await;
        let clock = ManualClock::new();
        let mut service = exporter(&store, &clock);
        service
            .configure(ws.id, &settings(sync, creation, removal))
            .await
            .unwrap();
        // The host's latest desired state per record: `None` when removed last.
        let mut latest: Vec<Option<HostRecord>> = vec![None; 3];
        let mut ever = [false; 3];
        for _ in 0..rng.usize(4..14) {
            match rng.u8(0..12) {
                0..=3 => {
                    let index = rng.usize(0..3);
                    let record = random_record(&mut rng, case, index, creation);
                    service.put(ws.id, record.clone()).await.unwrap();
                    latest[index] = Some(record.normalized());
                    ever[index] = true;
                }
                4 => {
                    let index = rng.usize(0..3);
                    if ever[index] {
                        service.remove(ws.id, &format!("r{index}")).await.unwrap();
                        latest[index] = None;
                    }
                }
                5..=7 => {
                    sim.set_faults(FaultConfig {
                        error_rate: 0.2,
                        drop_rate: 0.05,
                        ..Default::default()
                    });
                    *writer.rate.lock().unwrap() = 0.2;
                    service.drain_once(&ws, &writer, &options).await.unwrap();
                    sim.set_faults(FaultConfig::default());
                    *writer.rate.lock().unwrap() = 0.0;
                }
                8 => {
                    // A restart: the drain is cut short, a new service takes over.
                    let cut = std::time::Duration::from_millis(rng.u64(0..40));
                    let _ =
                        tokio::time::timeout(cut, service.drain_once(&ws, &writer, &options)).await;
                    service = exporter(&store, &clock);
                }
                9 => service
                    .drain_once(&ws, &writer, &options)
                    .await
                    .map(|_| ())
                    .unwrap(),
                _ => clock.advance(Duration::seconds(rng.i64(1..120))),
            }
        }
        for _ in 0..8 {
            clock.advance(Duration::hours(2));
            service.drain_once(&ws, &writer, &options).await.unwrap();
            if store
                .export_records(ws.id, 0, 1, true)
                .await
                .unwrap()
                .is_empty()
            {
                break;
            }
        }
        let status = service.status(&ws).await.unwrap();
        assert_eq!(
            (status.pending, status.rejected),
            (0, 0),
            "case {case}: {status:?}"
        );
        let what = format!("case {case} ({sync} {creation} {removal})");
        for (index, desired) in latest.iter().enumerate() {
            if !ever[index] {
                continue;
            }
            let email = format!("c{case}-r{index}@x.test");
            let ids = sim.contact_ids_by_email(&email);
            assert!(ids.len() <= 1, "{what}: duplicates for {email}: {ids:?}");
            match desired {
                Some(record) => {
                    assert_eq!(ids.len(), 1, "{what}: r{index} missing");
                    let id = &ids[0];
                    assert_eq!(sim.contact_state(id), Some("live"), "{what}: r{index}");
                    let held = contact(&sim, id);
                    let name = record.properties.get("full_name").cloned();
                    assert_eq!(
                        held["name"],
                        name.unwrap_or(serde_json::Value::Null),
                        "{what}: r{index} name"
                    );
                    let plan = record.properties.get("plan").cloned();
                    assert_eq!(
                        held["custom_attributes"].get("host_plan").cloned(),
                        plan,
                        "{what}: r{index} plan"
                    );
                    let mut groups = record.groups.clone();
                    groups.sort();
                    assert_eq!(
                        sim.contact_tag_names(id).unwrap(),
                        groups,
                        "{what}: r{index} tags"
                    );
                    if creation.role_for(record) == icsync_domain::ContactRole::User {
                        assert_eq!(held["role"], "user", "{what}: r{index} role");
                    }
                }
                None => match (sync, removal) {
                    (SyncMode::Sync, RemovalMode::Archive) => {
                        if let Some(id) = ids.first() {
                            assert_eq!(sim.contact_state(id), Some("archived"), "{what}: r{index}");
                            assert!(
                                sim.contact_tag_names(id).unwrap().is_empty(),
                                "{what}: r{index}: the export's tags come off before archiving"
                            );
                        }
                    }
                    (SyncMode::Sync, RemovalMode::Delete) => {
                        assert!(ids.is_empty(), "{what}: r{index} should be deleted");
                    }
                    _ => {}
                },
            }
        }
    }
    sim.shutdown().await;
}
