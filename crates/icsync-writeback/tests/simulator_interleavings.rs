//! The smaller exactness run on the real simulator: seeded random host writes, drains under
//! injected 5xx and dropped connections (429s are covered by the fake's property test: a storm
//! here costs whole rate-limit windows), drains cut short (a restart: a new
//! service, the claims left behind), then quiescence; Intercom must hold, per contact, a version
//! the host set whose trigger fields are the host's latest.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

mod support;

use chrono::Duration;
use icsync_domain::{CsAttributes, CsPatch, CsSubject};
use icsync_intercom_sim::FaultConfig;
use icsync_writeback::DrainOptions;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value};
use support::{ManualClock, client, service, sim, store, workspace};

fn random_patch(rng: &mut fastrand::Rng) -> CsPatch {
    let pick = |rng: &mut fastrand::Rng, values: &[&str]| -> Option<Option<String>> {
        match rng.u8(0..4) {
            0 => None,
            1 => Some(None),
            _ => Some(Some(values[rng.usize(0..values.len())].to_owned())),
        }
    };
    CsPatch {
        health: match rng.u8(0..3) {
            0 => None,
            _ => Some(Some(Decimal::from(rng.u32(0..4) * 25))),
        },
        stage: pick(rng, &["onboarding", "adoption"]),
        pulse: pick(rng, &["up", "down"]),
        cs_owner: pick(rng, &["Grace", "Ada"]),
        ..Default::default()
    }
}

fn ours(held: &Map<String, Value>) -> Map<String, Value> {
    held.iter()
        .filter(|(k, v)| k.starts_with("cs_") && !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn expected(attributes: &CsAttributes) -> Map<String, Value> {
    let mut map = Map::new();
    if let Some(h) = attributes.health {
        map.insert("cs_health".into(), serde_json::json!(h.to_f64().unwrap()));
    }
    for (name, value) in [
        ("cs_stage", &attributes.stage),
        ("cs_pulse", &attributes.pulse),
        ("cs_owner", &attributes.cs_owner),
    ] {
        if let Some(v) = value {
            map.insert(name.into(), Value::String(v.clone()));
        }
    }
    map
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_interleavings_with_faults_and_restarts_end_exact_on_the_simulator() {
    let cases: u64 = std::env::var("WRITEBACK_SIM_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let sim = sim(3 * cases as usize, 0).await;
    let client = client(&sim);
    let store = store().await;
    let ids = sim.contact_ids(3 * cases as usize);
    for case in 0..cases {
        let mut rng = fastrand::Rng::with_seed(0x5eed + case);
        let ws = workspace(&store, sim.base_url(), sim.token()).await;
        let clock = ManualClock::new();
        let mut writeback = service(&store).with_clock(clock.clock());
        let subjects: Vec<CsSubject> = ids[(3 * case) as usize..(3 * case + 3) as usize]
            .iter()
            .map(|id| CsSubject::Contact(id.clone()))
            .collect();
        let mut versions: Vec<Vec<CsAttributes>> = vec![Vec::new(); 3];
        for _ in 0..rng.usize(4..12) {
            match rng.u8(0..10) {
                0..=4 => {
                    let index = rng.usize(0..3);
                    if let Ok(record) = writeback
                        .set(ws.id, &subjects[index], &random_patch(&mut rng))
                        .await
                        && versions[index].last() != Some(&record.attributes)
                    {
                        versions[index].push(record.attributes);
                    }
                }
                5..=7 => {
                    sim.set_faults(FaultConfig {
                        error_rate: 0.3,
                        drop_rate: 0.1,
                        ..Default::default()
                    });
                    writeback
                        .drain_once(&ws, &client, &DrainOptions::default())
                        .await
                        .unwrap();
                    sim.set_faults(FaultConfig::default());
                }
                8 => {
                    // A restart: the drain is cut short, a new service takes over.
                    let cut = std::time::Duration::from_millis(rng.u64(0..30));
                    let _ = tokio::time::timeout(
                        cut,
                        writeback.drain_once(&ws, &client, &DrainOptions::default()),
                    )
                    .await;
                    writeback = service(&store).with_clock(clock.clock());
                }
                _ => clock.advance(Duration::seconds(rng.i64(1..2000))),
            }
        }
        sim.set_faults(FaultConfig::default());
        for _ in 0..6 {
            clock.advance(Duration::hours(2));
            writeback
                .drain_once(&ws, &client, &DrainOptions::default())
                .await
                .unwrap();
            if store.cs_pending(ws.id, 0, 1).await.unwrap().is_empty() {
                break;
            }
        }
        assert!(
            store.cs_pending(ws.id, 0, 1).await.unwrap().is_empty(),
            "case {case}: still pending"
        );
        for (index, subject) in subjects.iter().enumerate() {
            let Some(latest) = versions[index].last() else {
                continue;
            };
            let held = ours(
                &client
                    .contacts()
                    .get(subject.id())
                    .await
                    .unwrap()
                    .custom_attributes,
            );
            let trigger = latest.trigger_hash();
            let found = versions[index]
                .iter()
                .any(|v| v.trigger_hash() == trigger && expected(v) == held);
            assert!(
                found,
                "case {case} {subject:?}: Intercom holds {held:?}, host set {:?}",
                versions[index]
            );
        }
    }
    sim.shutdown().await;
}
