//! What each page shows: status with progress, errors and writeback; profiles with every
//! message, the truncation note, the Reply link, the chart and the stale marker; search;
//! connecting against the simulator (wrong token in words, the identity, the switches).

use crate::support::*;
use axum::http::StatusCode;
use icsync_domain::{RunStatus, StreamName, SyncRunStats};
use icsync_intercom_sim::{SimConfig, Simulator};

#[tokio::test]
async fn status_shows_progress_errors_counts_and_writeback_failures() {
    let console = console().await;
    let ws = console.seeded().await;
    let store = &console.store;
    let users = StreamName::new("users");
    let failed = store.start_run(ws.id, &users).await.unwrap();
    store
        .finish_run(
            failed,
            RunStatus::Failed,
            &SyncRunStats::default(),
            Some("stream users failed talking to Intercom: 503 Service Unavailable"),
        )
        .await
        .unwrap();
    store.start_run(ws.id, &users).await.unwrap();
    assert!(
        store
            .record_run_progress(ws.id, &users, Some("backfill"), 1204, Some(5000))
            .await
            .unwrap()
    );
    let events = StreamName::new("events");
    let done = store.start_run(ws.id, &events).await.unwrap();
    let stats = SyncRunStats {
        kind: Some("backfill".into()),
        read: 40,
        records: 12,
        requests: 5,
        rate_limited: 2,
        ..SyncRunStats::default()
    };
    store
        .finish_run(done, RunStatus::Succeeded, &stats, None)
        .await
        .unwrap();

    let admin = console.sign_in(&console.admin.clone()).await;
    let page = console.get("/workspaces/acme/status", &admin).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for text in [
        "Syncing.",
        "Backfill running",
        "1,204 of 5,000",
        "<progress",
        "max=\"5000\" value=\"1204\"",
        "stream users failed talking to Intercom: 503 Service Unavailable",
        "What to do:",
        "Backfill done",
        "2 answered 429 (rate limited)",
        "12 written",
        "Waiting to be pushed",
        "Intercom answered 500 twice",
        "Rows whose push failed, with the reason",
        "data-refresh=\"/workspaces/acme/status/live\"",
        "<noscript><meta http-equiv=\"refresh\"",
    ] {
        assert!(page.contains(text), "{text:?} in {}", page.text);
    }
    // The live part alone, as the script fetches it.
    let live = console
        .send(
            axum::http::Method::GET,
            "/workspaces/acme/status/live",
            Some(&admin),
            None,
            &[("x-console-fragment", "1")],
        )
        .await;
    assert_eq!(live.status, StatusCode::OK);
    assert!(live.contains("1,204 of 5,000") && !live.contains("<html"));

    let missing = console.get("/workspaces/nope/status", &admin).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.contains("There is no workspace named &quot;nope&quot;"),
        "{}",
        missing.text
    );
    assert!(missing.contains("<h1>Not found</h1>"));
}

#[tokio::test]
async fn a_profile_shows_every_message_the_truncation_note_the_reply_link_and_the_chart() {
    let console = console().await;
    console.seeded().await;
    let host = console.sign_in(&console.host.clone()).await;
    let page = console.get("/contacts/email:ada@example.com", &host).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for text in [
        "<h1>Ada Lovelace</h1>",
        "plan_tier",
        "Analytical Engines Ltd",
        "Conversations fetched from Intercom",
        "Export everything",
        "500 of 1,204 messages",
        "the 704 older ones are on Intercom",
        "2 messages",
        "href=\"https://app.eu.intercom.com/a/inbox/abc123/inbox/conversation/200963802864001\"",
        "Reply on Intercom",
        "How do I export everything?",
        "<svg id=\"activity-chart\"",
        "class=\"bar-events\"",
        "logged-in",
    ] {
        assert!(page.contains(text), "{text:?} in the profile");
    }
    for n in 0..500 {
        assert!(
            page.contains(&format!("Message number {n}<")),
            "message {n} is on the page"
        );
    }
    assert!(
        !page.contains("alert(1)"),
        "scripts in messages are dropped"
    );
    assert!(
        !page.contains("<b>export</b>"),
        "message markup is shown as text"
    );
    assert!(!page.contains("Stale"));

    // Intercom unreachable: the stored timeline, marked stale with the reason.
    *console.on_view.0.lock().unwrap() = Some("Intercom did not answer within 2 s".into());
    let stale = console.get("/contacts/email:ada@example.com", &host).await;
    assert_eq!(stale.status, StatusCode::OK);
    assert!(stale.contains("class=\"stale\""), "{}", stale.text);
    assert!(stale.contains("Intercom did not answer within 2 s"));
    assert!(stale.contains("500 of 1,204 messages"));

    let unknown = console
        .get("/contacts/email:nobody@example.com", &host)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.contains("no contact matches"), "{}", unknown.text);
}

#[tokio::test]
async fn search_finds_contacts_by_part_of_an_email_or_name_and_accounts_by_name() {
    let console = console().await;
    console.seeded().await;
    let host = console.sign_in(&console.host.clone()).await;
    let empty = console.get("/search", &host).await;
    assert!(empty.contains("role=\"search\"") && !empty.contains("Contacts</h2>"));
    let by_email = console.get("/search?q=NAVY.example", &host).await;
    assert!(by_email.contains("Alan Turing"), "{}", by_email.text);
    assert!(!by_email.contains("Ada Lovelace"));
    let by_name = console.get("/search?q=hopp", &host).await;
    assert!(by_name.contains("Grace Hopper") && !by_name.contains("Alan Turing"));
    let link = by_name.text.find("/contacts/icsync:").unwrap();
    let href = &by_name.text[link..by_name.text[link..].find('"').unwrap() + link];
    let profile = console.get(&href.replace("&amp;", "&"), &host).await;
    assert_eq!(profile.status, StatusCode::OK, "{href}");
    assert!(profile.contains("<h1>Grace Hopper</h1>"));
    let wildcard = console.get("/search?q=%25", &host).await;
    assert!(
        wildcard.contains("No contact"),
        "a typed % matches only a %"
    );
    let account = console.get("/search?q=engines", &host).await;
    assert!(account.contains("Analytical Engines Ltd"));
    let page = console.get("/accounts/company_id:acct-0", &host).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for text in [
        "Analytical Engines Ltd",
        "1234.5",
        "Ada Lovelace",
        "Contacts (2)",
        "7 events and 4 sessions",
    ] {
        assert!(page.contains(text), "{text:?} in the account page");
    }
}

#[tokio::test]
async fn connecting_explains_a_wrong_token_shows_the_identity_and_saves_the_switches() {
    let sim = Simulator::start(SimConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let console = console().await;
    console.forbid(sim.token());
    console.forbid("wrong-token-1234");
    console.forbid("hook-secret-5678");
    let admin = console.sign_in(&console.admin.clone()).await;
    let form = console.get("/connect", &admin).await;
    let csrf = form.csrf();
    let fields = |token: &'static str, action: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("action", action.to_owned()),
            ("name", "sim".to_owned()),
            ("token", token.to_owned()),
            ("region", "us".to_owned()),
            ("base_url", sim.base_url().to_owned()),
            ("webhook_secret", "hook-secret-5678".to_owned()),
            ("backfill_days", "30".to_owned()),
            ("user_tracking", "on".to_owned()),
        ]
    };
    let send = |fields: Vec<(&'static str, String)>, fragment: bool| {
        let console = &console;
        let admin = admin.clone();
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let extra: &[(&str, &str)] = if fragment {
                &[("x-console-fragment", "1")]
            } else {
                &[]
            };
            console
                .send(
                    axum::http::Method::POST,
                    "/connect",
                    Some(&admin),
                    Some(&pairs),
                    extra,
                )
                .await
        }
    };
    let wrong = send(fields("wrong-token-1234", "test"), true).await;
    assert_eq!(
        wrong.status,
        StatusCode::OK,
        "a fragment always answers 200"
    );
    assert!(
        wrong.contains("Intercom refused the access token"),
        "{}",
        wrong.text
    );
    assert!(!wrong.contains("401"), "said in words, not a status code");
    let wrong = send(fields("wrong-token-1234", "connect"), false).await;
    assert_eq!(
        wrong.status,
        StatusCode::OK,
        "the form again, with what to fix"
    );
    assert!(
        wrong.contains("Not connected.") && wrong.contains("Intercom refused the access token")
    );
    assert!(
        wrong.contains("value=\"sim\""),
        "the name is kept, the token is not"
    );
    assert!(
        console
            .store
            .workspace_by_name("sim")
            .await
            .unwrap()
            .is_none()
    );

    let token: &'static str = Box::leak(sim.token().to_owned().into_boxed_str());
    let test = send(fields(token, "test"), true).await;
    assert!(test.contains("The token works."), "{}", test.text);
    assert!(test.contains("Intercom workspace") && test.contains("Admin"));
    let connected = send(fields(token, "connect"), false).await;
    assert_eq!(
        connected.status,
        StatusCode::SEE_OTHER,
        "{}",
        connected.text
    );
    assert_eq!(
        connected.location(),
        "/workspaces/sim/status?notice=connected"
    );
    let ws = console
        .store
        .workspace_by_name("sim")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ws.backfill_days, 30);
    assert!(ws.user_tracking && ws.webhook_secret.is_some());
    let status = console.get(connected.location(), &admin).await;
    assert!(status.contains("Connected. The backfill starts"));

    let settings = console.get("/workspaces/sim", &admin).await;
    assert_eq!(settings.status, StatusCode::OK, "{}", settings.text);
    for text in [
        "User Tracking",
        "Intercom is the primary data source",
        "Writeback",
        "cs_account_health",
        "Verified with the stored client secret",
    ] {
        assert!(settings.contains(text), "{text:?} on the settings page");
    }
    let saved = console
        .post(
            "/workspaces/sim",
            &admin,
            &[
                ("csrf", &csrf),
                ("backfill_days", "45"),
                ("primary_source", "on"),
            ],
        )
        .await;
    assert_eq!(
        saved.location(),
        "/workspaces/sim/status?notice=tracking-off"
    );
    let ws = console
        .store
        .workspace_by_name("sim")
        .await
        .unwrap()
        .unwrap();
    assert!(!ws.user_tracking && ws.primary_source_is_intercom && ws.backfill_days == 45);
    let status = console.get(saved.location(), &admin).await;
    assert!(
        status.contains("User Tracking is off: polling stopped."),
        "{}",
        status.text
    );
    assert!(status.contains("Off: polling stopped (User Tracking is off)"));
    let bad = console
        .post(
            "/workspaces/sim",
            &admin,
            &[("csrf", &csrf), ("backfill_days", "0")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.contains("backfill days must be between 1 and 3650"),
        "{}",
        bad.text
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn status_shows_the_export_settings_figures_and_the_failing_records_with_reasons() {
    use chrono::{Duration, Utc};
    use icsync_domain::{
        AttributeTarget, CreationMode, DataType, ExportSettings, FieldMapping, HostRecord,
        RemovalMode, SyncMode,
    };
    use icsync_store::{ClaimRequest, ContactLink, ExportOutcome, ExportResult};
    let console = console().await;
    let ws = console.seeded().await;
    let admin = console.sign_in(&console.admin.clone()).await;
    let before = console.get("/workspaces/acme/status", &admin).await;
    assert!(
        before.contains("No export is configured")
            && before.contains("PUT /v1/workspaces/acme/export"),
        "{}",
        before.text
    );

    let store = &console.store;
    let settings = ExportSettings {
        enabled: true,
        sync_mode: SyncMode::Enrich,
        creation_mode: CreationMode::User,
        removal_mode: RemovalMode::Archive,
        mapping: vec![FieldMapping {
            property: "seats".into(),
            target: AttributeTarget::Data {
                name: "host_seats".into(),
                data_type: DataType::Integer,
            },
        }],
    };
    store
        .save_export_settings(ws.id, &settings, Utc::now())
        .await
        .unwrap();
    let put = |host_id: &'static str, minutes_ago: i64| {
        let record = HostRecord {
            host_id: host_id.into(),
            email: Some(format!("{host_id}@example.com")),
            external_id: Some(format!("ext-{host_id}")),
            ..Default::default()
        }
        .normalized();
        async move {
            store
                .put_export_record(ws.id, &record, Utc::now() - Duration::minutes(minutes_ago))
                .await
                .unwrap();
        }
    };
    for id in ["rec-ok", "rec-503", "rec-refused", "rec-missing"] {
        put(id, 2).await;
    }
    let now = Utc::now();
    let claimed = store
        .claim_exports(&ClaimRequest {
            workspace: ws.id,
            now,
            due_before: None,
            not_attempted_since: now,
            limit: 10,
            lease: Duration::seconds(60),
        })
        .await
        .unwrap();
    let outcomes: Vec<ExportOutcome> = claimed
        .into_iter()
        .map(|record| {
            let result = match record.record.host_id.as_str() {
                "rec-ok" => ExportResult::Exported { note: None },
                "rec-503" => ExportResult::Failed {
                    error: "Intercom answered 503 Service Unavailable".into(),
                    retry_at: now + Duration::minutes(5),
                    uncertain: true,
                },
                "rec-refused" => ExportResult::Rejected {
                    reason: "Intercom refused the email address".into(),
                },
                _ => ExportResult::Skipped {
                    reason: "no contact in Intercom has this email or external id".into(),
                },
            };
            ExportOutcome {
                record,
                at: now,
                result,
                contact: ContactLink::default(),
            }
        })
        .collect();
    store.record_export_outcomes(&outcomes).await.unwrap();
    put("rec-new", 45).await;

    let page = console.get("/workspaces/acme/status", &admin).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for text in [
        "Export to Intercom",
        "Not exporting: </strong>the workspace has no Intercom access token",
        "<strong>enrich</strong>: update only contacts that already exist in Intercom",
        "<strong>user</strong>: every record is a user",
        "<strong>archive</strong>: take off the tags this export applied",
        "Property mapping",
        "<code>seats</code>",
        "<code>host_seats</code>",
        "data attribute (integer)",
        "<dt>Records</dt><dd>5</dd>",
        "<dt>Waiting to be exported</dt><dd>2</dd>",
        "<dt>Failed (retried)</dt><dd>1</dd>",
        "<dt>Exported, unchanged since</dt><dd>1</dd>",
        "<dt>Rejected (until the host changes them)</dt><dd>1</dd>",
        "<dt>Skipped (enrich mode, no such contact)</dt><dd>1</dd>",
        "45 min",
        "Records not in Intercom as the host wants, with the reason",
        "data-export-record=\"rec-503\"",
        "Intercom answered 503 Service Unavailable",
        "failed, retried",
        "Intercom refused the email address",
        "no contact in Intercom has this email or external id",
        "when the host changes the record",
    ] {
        assert!(page.contains(text), "{text:?} in {}", page.text);
    }
    assert!(!page.contains("data-export-record=\"rec-ok\""));
    // The live part, as the script refreshes it, holds the export too.
    let live = console
        .send(
            axum::http::Method::GET,
            "/workspaces/acme/status/live",
            Some(&admin),
            None,
            &[("x-console-fragment", "1")],
        )
        .await;
    assert!(
        live.contains("data-export-record=\"rec-refused\""),
        "{}",
        live.text
    );
}
