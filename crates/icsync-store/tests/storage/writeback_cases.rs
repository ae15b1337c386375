//! Storage cases for the writeback queue: triggers, claims, outcomes, requeue, status figures.

use crate::cases::workspace;
use crate::fixtures::*;
use crate::support::TestDb;
use chrono::{DateTime, Duration, Utc};
use icsync_domain::*;
use icsync_store::{ClaimRequest, CsRecord, WritebackState};
use rust_decimal::Decimal;
use serde_json::json;
use std::str::FromStr;

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn claim(ws: WorkspaceId, now: DateTime<Utc>) -> ClaimRequest {
    ClaimRequest {
        workspace: ws,
        now,
        due_before: Some(now),
        not_attempted_since: now,
        limit: 100,
        lease: Duration::seconds(60),
    }
}

async fn set(
    db: &TestDb,
    ws: WorkspaceId,
    subject: &CsSubject,
    cs: &CsAttributes,
    now: DateTime<Utc>,
) -> CsRecord {
    db.store
        .set_cs_attributes(
            ws,
            subject,
            &CsPatch::from(cs.clone()),
            &TriggerSet::default(),
            now,
        )
        .await
        .unwrap()
        .record
}

fn full() -> CsAttributes {
    CsAttributes {
        health: Some(dec("61.25")),
        stage: Some("onboarding".into()),
        pulse: Some("steady".into()),
        licence_utilization: Some(dec("0.8")),
        cs_owner: Some("Grace Hopper".into()),
        cs_owner_email: Some("grace@example.com".into()),
        profile_url: Some("https://cs.example.com/accounts/1".into()),
    }
}

pub async fn cs_attributes_queue_a_push_only_when_trigger_fields_change(db: &TestDb) {
    let ws = workspace(db).await;
    let subject = CsSubject::Company(company(1).id.to_string());
    let now = t(0);
    let mut cs = full();
    let created = set(db, ws, &subject, &cs, now).await;
    assert!(created.needs_push);
    assert_eq!((created.version, created.pending_since), (1, Some(now)));
    let claimed = db.store.claim_pushes(&claim(ws, now)).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].attributes, cs);
    let sent = json!({"cs_account_health": 61.25});
    assert!(db.store.mark_pushed(&claimed[0], &sent, now).await.unwrap());
    let pushed = db.store.cs_attributes(ws, &subject).await.unwrap().unwrap();
    assert!(!pushed.needs_push);
    assert_eq!(pushed.pushed_attributes, Some(sent));
    assert_eq!(pushed.claim_token, None);

    let same = set(db, ws, &subject, &cs, t(1)).await;
    assert_eq!(same.version, 1, "same values: no new version");
    let same_health = CsPatch {
        health: Some(Some(dec("61.2500"))),
        ..Default::default()
    };
    let same = db
        .store
        .set_cs_attributes(ws, &subject, &same_health, &TriggerSet::default(), t(1))
        .await
        .unwrap();
    assert!(!same.changed);
    let same = same.record;
    assert_eq!(same.version, 1, "61.2500 is 61.25");
    cs.cs_owner = Some("Ada Lovelace".into());
    let owner = set(db, ws, &subject, &cs, t(2)).await;
    assert_eq!(owner.version, 2);
    assert!(!owner.needs_push, "owner alone does not trigger a push");

    cs.health = Some(dec("40"));
    let health = set(db, ws, &subject, &cs, t(3)).await;
    assert!(health.needs_push);
    cs.health = Some(dec("61.25"));
    let back = set(db, ws, &subject, &cs, t(4)).await;
    assert!(
        !back.needs_push,
        "back to the pushed trigger values before any push: nothing to send"
    );
    let triggers = TriggerSet::new([CsField::CsOwner]);
    let by_owner = db
        .store
        .set_cs_attributes(
            ws,
            &subject,
            &CsPatch {
                cs_owner: Some(Some("Linus".into())),
                ..Default::default()
            },
            &triggers,
            t(5),
        )
        .await
        .unwrap()
        .record;
    assert!(by_owner.needs_push, "a configured trigger set is honoured");
}

pub async fn a_push_outcome_moves_the_baseline_only_on_success(db: &TestDb) {
    let ws = workspace(db).await;
    let subject = CsSubject::Contact(contact(1).id.to_string());
    let mut cs = full();
    set(db, ws, &subject, &cs, t(0)).await;
    let first = db.store.claim_pushes(&claim(ws, t(0))).await.unwrap();
    db.store
        .mark_pushed(&first[0], &json!({"h": 61.25}), t(0))
        .await
        .unwrap();

    // A definite failure keeps the old baseline; the row waits for its retry time.
    cs.health = Some(dec("40"));
    set(db, ws, &subject, &cs, t(10)).await;
    let due = db.store.claim_pushes(&claim(ws, t(10))).await.unwrap();
    db.store
        .mark_push_failed(&due[0], "400 parameter_invalid", t(100), false)
        .await
        .unwrap();
    let failed = db.store.cs_attributes(ws, &subject).await.unwrap().unwrap();
    assert_eq!(failed.pushed_attributes, Some(json!({"h": 61.25})));
    assert_eq!(
        (failed.attempts, failed.last_error.as_deref()),
        (1, Some("400 parameter_invalid"))
    );
    assert!(
        db.store
            .claim_pushes(&claim(ws, t(50)))
            .await
            .unwrap()
            .is_empty(),
        "not before its retry time"
    );

    // An uncertain failure (Intercom may have applied 40) erases the baseline: going back to
    // the old values must still push.
    let due = db.store.claim_pushes(&claim(ws, t(100))).await.unwrap();
    assert_eq!(due.len(), 1);
    db.store
        .mark_push_failed(&due[0], "503 from Intercom", t(200), true)
        .await
        .unwrap();
    cs.health = Some(dec("61.25"));
    let back = set(db, ws, &subject, &cs, t(150)).await;
    assert!(back.needs_push, "the baseline is unknown: push again");
    assert_eq!(back.pushed_attributes, None);
    assert_eq!(back.attempts, 2, "the retry schedule is kept");

    // A host write while a push is in flight: the pushed values become the baseline, and the
    // newer trigger change keeps the row pending.
    let in_flight = db.store.claim_pushes(&claim(ws, t(200))).await.unwrap();
    cs.stage = Some("renewal".into());
    set(db, ws, &subject, &cs, t(201)).await;
    assert!(
        db.store
            .mark_pushed(&in_flight[0], &json!({"h": 61.25}), t(202))
            .await
            .unwrap()
    );
    let after = db.store.cs_attributes(ws, &subject).await.unwrap().unwrap();
    assert!(after.needs_push && after.attempts == 0 && after.last_error.is_none());
    assert_eq!(after.pushed_attributes, Some(json!({"h": 61.25})));

    // A push whose pusher died: its claim was never resolved, so a write that brings the
    // trigger fields back to the baseline still pushes (Intercom may hold the lost push).
    let crashed = db.store.claim_pushes(&claim(ws, t(250))).await.unwrap();
    assert_eq!(crashed.len(), 1);
    let row = db.store.cs_attributes(ws, &subject).await.unwrap().unwrap();
    cs.stage = Some("onboarding".into());
    let reverted = set(db, ws, &subject, &cs, t(251)).await;
    assert!(
        reverted.needs_push,
        "the lost push may have reached Intercom"
    );
    assert!(row.claim_token.is_some());
    let retaken = db.store.claim_pushes(&claim(ws, t(1000))).await.unwrap();
    assert_eq!(retaken.len(), 1, "the lease expired: claimed again");
    db.store
        .mark_pushed(&retaken[0], &json!({"h": 61.25}), t(1000))
        .await
        .unwrap();
    cs.stage = Some("renewal".into());
    set(db, ws, &subject, &cs, t(1001)).await;

    // A 404: gone, no more retries until the host sets new values.
    let due = db.store.claim_pushes(&claim(ws, t(1002))).await.unwrap();
    db.store
        .mark_push_gone(&due[0], "404 not_found", t(1002))
        .await
        .unwrap();
    let gone = db.store.cs_attributes(ws, &subject).await.unwrap().unwrap();
    assert!(!gone.needs_push && gone.gone_at == Some(t(1002)));
    assert!(
        db.store
            .claim_pushes(&claim(ws, t(20_000)))
            .await
            .unwrap()
            .is_empty()
    );
    cs.pulse = Some("down".into());
    let revived = set(db, ws, &subject, &cs, t(20_001)).await;
    assert!(revived.needs_push && revived.gone_at.is_none());
}

pub async fn claims_are_exclusive_and_expire(db: &TestDb) {
    let ws = workspace(db).await;
    for n in 0..5 {
        let subject = CsSubject::Contact(contact(n).id.to_string());
        set(db, ws, &subject, &full(), t(0)).await;
    }
    let mut first = claim(ws, t(1));
    first.limit = 3;
    let a = db.store.claim_pushes(&first).await.unwrap();
    let b = db.store.claim_pushes(&claim(ws, t(1))).await.unwrap();
    assert_eq!((a.len(), b.len()), (3, 2));
    assert!(a.iter().all(|r| b.iter().all(|o| o.id != r.id)));
    assert!(
        db.store
            .claim_pushes(&claim(ws, t(2)))
            .await
            .unwrap()
            .is_empty()
    );

    // One attempt per drain: a row attempted since the drain began is left alone.
    let mut later = claim(ws, t(100));
    later.not_attempted_since = t(0);
    assert!(db.store.claim_pushes(&later).await.unwrap().is_empty());

    // The lease expires: another pusher takes the row; the first one's success no longer
    // counts as the baseline (the row is pushed again).
    let taken = db.store.claim_pushes(&claim(ws, t(100))).await.unwrap();
    assert_eq!(taken.len(), 5);
    let stale = a[0].clone();
    assert!(
        !db.store
            .mark_pushed(&stale, &json!({}), t(101))
            .await
            .unwrap()
    );
    let row = db
        .store
        .cs_attributes(ws, &stale.subject)
        .await
        .unwrap()
        .unwrap();
    assert!(row.needs_push && row.pushed_attributes.is_none());
    assert!(row.claim_token.is_some(), "the new claim is untouched");
    let fresh = taken.iter().find(|r| r.id == stale.id).unwrap();
    assert!(
        db.store
            .mark_pushed(fresh, &json!({}), t(102))
            .await
            .unwrap()
    );
}

pub async fn a_claim_that_expired_without_an_outcome_erases_the_baseline(db: &TestDb) {
    let ws = workspace(db).await;
    let subject = CsSubject::Contact(contact(0).id.to_string());
    let kept = CsSubject::Contact(contact(1).id.to_string());
    for s in [&subject, &kept] {
        set(db, ws, s, &full(), t(0)).await;
    }
    let sent = json!({"cs_health": 61.25});
    for record in db.store.claim_pushes(&claim(ws, t(1))).await.unwrap() {
        assert!(db.store.mark_pushed(&record, &sent, t(2)).await.unwrap());
    }
    // The host changes the first subject; a pusher claims it and dies mid-push (no outcome).
    let mut changed = full();
    changed.health = Some(dec("10"));
    set(db, ws, &subject, &changed, t(3)).await;
    let dying = db.store.claim_pushes(&claim(ws, t(4))).await.unwrap();
    assert_eq!(dying.len(), 1);
    assert_eq!(dying[0].pushed_attributes, Some(sent.clone()));
    // The host goes back to the values last pushed: Intercom may hold the dead push's values,
    // so the row still waits, and once the lease is over it is claimed with no baseline (a
    // pusher comparing with the old one would send nothing and leave health at 10).
    let back = set(db, ws, &subject, &full(), t(5)).await;
    assert!(back.needs_push);
    let retaken = db.store.claim_pushes(&claim(ws, t(100))).await.unwrap();
    assert_eq!(retaken.len(), 1);
    assert_eq!(retaken[0].subject, subject);
    assert_eq!(retaken[0].pushed_attributes, None);
    // A row claimed with no claim before it keeps its baseline.
    let mut moved = full();
    moved.stage = Some("adoption".into());
    set(db, ws, &kept, &moved, t(101)).await;
    let first_claim = db.store.claim_pushes(&claim(ws, t(102))).await.unwrap();
    assert_eq!(first_claim.len(), 1);
    assert_eq!(first_claim[0].subject, kept);
    assert_eq!(first_claim[0].pushed_attributes, Some(sent));
}

pub async fn mapping_changes_requeue_pushed_rows_and_status_counts_them(db: &TestDb) {
    let ws = workspace(db).await;
    let other = workspace(db).await;
    let subjects: Vec<CsSubject> = (0..4)
        .map(|n| CsSubject::Contact(contact(n).id.to_string()))
        .collect();
    for subject in &subjects {
        set(db, ws, subject, &full(), t(0)).await;
    }
    set(db, other, &subjects[0], &full(), t(0)).await;
    let claimed = db.store.claim_pushes(&claim(ws, t(5))).await.unwrap();
    db.store
        .mark_pushed(&claimed[0], &json!({}), t(6))
        .await
        .unwrap();
    db.store
        .mark_pushed(&claimed[1], &json!({}), t(6))
        .await
        .unwrap();
    db.store
        .mark_push_failed(&claimed[2], "400 bad", t(60), false)
        .await
        .unwrap();
    db.store
        .mark_push_gone(&claimed[3], "404 gone", t(6))
        .await
        .unwrap();

    let counts = db.store.writeback_counts(ws, t(7), 10).await.unwrap();
    assert_eq!(
        (
            counts.pending,
            counts.failing,
            counts.pushed,
            counts.gone,
            counts.in_flight
        ),
        (1, 1, 2, 1, 0)
    );
    assert_eq!(counts.oldest_pending_since, Some(t(0)));
    assert_eq!(counts.failures.len(), 2);
    assert!(counts.failures.iter().any(|f| f.last_error == "404 gone"));

    assert_eq!(db.store.requeue_pushed(ws, t(8)).await.unwrap(), 2);
    let counts = db.store.writeback_counts(ws, t(8), 10).await.unwrap();
    assert_eq!((counts.pending, counts.gone), (3, 1));
    let pending = db.store.cs_pending(ws, 0, 10).await.unwrap();
    assert_eq!(pending.len(), 3);
    assert!(pending.iter().all(|r| r.pushed_attributes.is_none()));
    assert_eq!(
        db.store
            .writeback_counts(other, t(8), 10)
            .await
            .unwrap()
            .pending,
        1
    );

    assert_eq!(
        db.store.writeback_state(ws).await.unwrap(),
        WritebackState::default()
    );
    let state = WritebackState {
        mapping_hash: Some("abc".into()),
        provisioned_at: Some(t(8)),
        config_error: None,
        checked_at: Some(t(8)),
        checked_mapping_hash: Some("abc".into()),
        attributes_created: 14,
    };
    db.store.save_writeback_state(ws, &state).await.unwrap();
    let changed = WritebackState {
        config_error: Some("cs_health exists as a string".into()),
        ..state
    };
    db.store.save_writeback_state(ws, &changed).await.unwrap();
    assert_eq!(db.store.writeback_state(ws).await.unwrap(), changed);
}
