//! Exactness under any interleaving: random host writes (also while a push is in flight),
//! drains whose requests fail before or after Intercom applied them, 429s, crashes mid-push
//! with restarts, and deleted contacts, against an in-process fake (10,000 cases by default,
//! `WRITEBACK_PROPTEST_CASES` to change). After quiescence Intercom holds, per subject, a
//! version the host set whose trigger fields are the host's latest, the store's baseline is
//! what Intercom holds, and no row was pushed while unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

mod support;

use chrono::Duration;
use icsync_domain::{CsAttributes, CsField, CsPatch, CsSubject, CsValue};
use icsync_store::Store;
use icsync_writeback::{DrainOptions, Model, Writeback, WritebackConfig};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value};
use support::fake::{FakeIntercom, Step};
use support::{ManualClock, workspace};

const CONTACTS: [&str; 2] = ["c0", "c1"];
const COMPANY: (&str, &str) = ("co0", "acct-0");

#[derive(Debug, Clone)]
enum Op {
    Set(usize, CsPatch),
    SetDuringNextPush(usize, CsPatch),
    Drain(Vec<Step>),
    Advance(i64),
    DeleteContact(usize),
}

fn subject(index: usize) -> CsSubject {
    if index < CONTACTS.len() {
        CsSubject::Contact(CONTACTS[index].to_owned())
    } else {
        CsSubject::Company(COMPANY.0.to_owned())
    }
}

fn patch() -> impl Strategy<Value = CsPatch> {
    let health = prop_oneof![
        Just(None),
        Just(Some(None)),
        (0u32..4).prop_map(|h| Some(Some(Decimal::from(h * 25))))
    ];
    let text = |values: &'static [&'static str]| {
        prop_oneof![
            3 => Just(None),
            1 => Just(Some(None)),
            3 => proptest::sample::select(values).prop_map(|v| Some(Some(v.to_owned()))),
        ]
    };
    (
        health,
        text(&["onboarding", "adoption"]),
        text(&["up", "down"]),
        text(&["Grace", "Ada"]),
    )
        .prop_map(|(health, stage, pulse, cs_owner)| CsPatch {
            health,
            stage,
            pulse,
            cs_owner,
            ..Default::default()
        })
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        30 => Just(Step::Ok),
        2 => Just(Step::RateLimited),
        1 => Just(Step::BadRequest),
        1 => Just(Step::Refused),
        3 => Just(Step::AppliedThen503),
        2 => Just(Step::AppliedThenTimeout),
        2 => Just(Step::Unapplied503),
        1 => any::<bool>().prop_map(|applied| Step::Crash { applied }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..3usize, patch()).prop_map(|(s, p)| Op::Set(s, p)),
        2 => (0..3usize, patch()).prop_map(|(s, p)| Op::SetDuringNextPush(s, p)),
        4 => proptest::collection::vec(step(), 0..6).prop_map(Op::Drain),
        1 => (1i64..4000).prop_map(Op::Advance),
        1 => Just(Op::DeleteContact(1)),
    ]
}

fn expected(
    config: &WritebackConfig,
    subject: &CsSubject,
    attributes: &CsAttributes,
) -> Map<String, Value> {
    let model = match subject {
        CsSubject::Contact(_) => Model::Contact,
        CsSubject::Company(_) => Model::Company,
    };
    let mut map = Map::new();
    for field in CsField::ALL {
        let value = match attributes.get(field) {
            Some(CsValue::Decimal(d)) => serde_json::json!(d.to_f64().unwrap()),
            Some(CsValue::Text(s)) => Value::String(s),
            None => continue,
        };
        map.insert(config.names(model).get(field).to_owned(), value);
    }
    map
}

struct Case {
    store: Store,
    ws: icsync_domain::Workspace,
    clock: ManualClock,
    fake: FakeIntercom,
    service: Writeback,
    /// Every full set the host stored, per subject.
    versions: Vec<Vec<CsAttributes>>,
    deleted: Vec<bool>,
}

impl Case {
    async fn new(store: &Store) -> Self {
        let ws = workspace(store, "http://fake.invalid", "token").await;
        support::store_companies(store, ws.id, &[(COMPANY.0, COMPANY.1)]).await;
        let clock = ManualClock::new();
        let fake = FakeIntercom::new(&CONTACTS, &[COMPANY]);
        let service = support::service(store).with_clock(clock.clock());
        fake.set_host(service.clone(), ws.id);
        Self {
            store: store.clone(),
            ws,
            clock,
            fake,
            service,
            versions: vec![Vec::new(); 3],
            deleted: vec![false; 3],
        }
    }

    async fn record_version(&mut self, index: usize) {
        if let Some(record) = self
            .store
            .cs_attributes(self.ws.id, &subject(index))
            .await
            .unwrap()
        {
            let versions = &mut self.versions[index];
            if versions.last() != Some(&record.attributes) {
                versions.push(record.attributes);
            }
        }
    }

    async fn drain(&mut self, options: &DrainOptions) -> bool {
        let crashed = tokio::select! {
            result = self.service.drain_once(&self.ws, &self.fake, options) => {
                result.unwrap();
                false
            }
            () = self.fake.crashed() => true,
        };
        // Host writes made while a push was in flight.
        for index in 0..3 {
            self.record_version(index).await;
        }
        if crashed {
            // A restart: a new service; whatever was in flight is lost.
            self.fake.forget_acks();
            self.service = support::service(&self.store).with_clock(self.clock.clock());
            self.fake.set_host(self.service.clone(), self.ws.id);
        }
        crashed
    }

    async fn apply(&mut self, op: Op) {
        match op {
            Op::Set(index, patch) => {
                if self
                    .service
                    .set(self.ws.id, &subject(index), &patch)
                    .await
                    .is_ok()
                {
                    self.record_version(index).await;
                }
            }
            Op::SetDuringNextPush(index, patch) => {
                self.fake.write_during_next_push(subject(index), patch)
            }
            Op::Drain(steps) => {
                self.fake.script(steps);
                self.drain(&DrainOptions::default()).await;
                self.fake.script([]);
            }
            Op::Advance(secs) => self.clock.advance(Duration::seconds(secs)),
            Op::DeleteContact(index) => {
                self.fake.delete_contact(CONTACTS[index]);
                self.deleted[index] = true;
            }
        }
    }

    async fn quiesce(&mut self) -> Result<(), TestCaseError> {
        self.fake.script([]);
        self.fake.clear_pending_writes();
        for _ in 0..6 {
            // Past any lease and backoff (at most an hour).
            self.clock.advance(Duration::hours(2));
            self.drain(&DrainOptions::default()).await;
            if self
                .store
                .cs_pending(self.ws.id, 0, 1)
                .await
                .unwrap()
                .is_empty()
            {
                return Ok(());
            }
        }
        Err(TestCaseError::fail("rows still pending after quiescence"))
    }

    async fn check(&self) -> Result<(), TestCaseError> {
        let config = self.service.config();
        let violations = self.fake.violations();
        prop_assert!(violations.is_empty(), "{violations:?}");
        for index in 0..3 {
            let subject = subject(index);
            let Some(record) = self
                .store
                .cs_attributes(self.ws.id, &subject)
                .await
                .unwrap()
            else {
                continue;
            };
            if self.deleted[index] {
                prop_assert!(
                    !record.needs_push,
                    "a deleted contact stops waiting: {record:?}"
                );
                continue;
            }
            let held = match &subject {
                CsSubject::Contact(id) => self.fake.contact(id).unwrap(),
                CsSubject::Company(_) => self.fake.company(COMPANY.1).unwrap().1,
            };
            let latest = self.versions[index].last().unwrap();
            let triggers = &config.trigger;
            let matching: Vec<&CsAttributes> = self.versions[index]
                .iter()
                .filter(|v| v.trigger_hash_for(triggers) == latest.trigger_hash_for(triggers))
                .filter(|v| expected(config, &subject, v) == held)
                .collect();
            prop_assert!(
                !matching.is_empty(),
                "{subject:?}: Intercom holds {held:?}, host versions {:?}",
                self.versions[index]
            );
            prop_assert_eq!(
                record.pushed_attributes.as_ref().map(|p| p
                    .as_object()
                    .unwrap()
                    .iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<Map<_, _>>()),
                Some(held),
                "the baseline is what Intercom holds"
            );
        }
        Ok(())
    }
}

/// Found by the property test: a push that reached Intercom just before a crash, then the host
/// going back to the values pushed before it. The retaken row must be pushed, not skipped as
/// equal to the old baseline (Intercom kept health 0).
#[test]
fn a_push_lost_in_a_crash_is_not_mistaken_for_the_baseline() {
    let text = |v: &str| Some(Some(v.to_owned()));
    let ops = vec![
        Op::Set(
            1,
            CsPatch {
                stage: text("onboarding"),
                cs_owner: text("Grace"),
                ..Default::default()
            },
        ),
        Op::Drain(vec![]),
        Op::Set(
            1,
            CsPatch {
                health: Some(Some(Decimal::ZERO)),
                cs_owner: text("Grace"),
                ..Default::default()
            },
        ),
        Op::Drain(vec![Step::Crash { applied: true }]),
        Op::Set(
            1,
            CsPatch {
                health: Some(None),
                stage: text("onboarding"),
                ..Default::default()
            },
        ),
    ];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = support::store().await;
        let mut case = Case::new(&store).await;
        for op in ops {
            case.apply(op).await;
        }
        case.quiesce().await.unwrap();
        case.check().await.unwrap();
    });
}

#[test]
fn any_interleaving_ends_with_the_hosts_latest_values_in_intercom() {
    let cases: u32 = std::env::var("WRITEBACK_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = rt.block_on(support::store());
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&proptest::collection::vec(op(), 1..14), |ops| {
        rt.block_on(async {
            let mut case = Case::new(&store).await;
            for op in ops {
                case.apply(op).await;
            }
            case.quiesce().await?;
            case.check().await
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
