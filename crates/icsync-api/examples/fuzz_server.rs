//! Serves the API on a throwaway SQLite database with a known admin key and a seeded
//! workspace, for `fuzz/run.sh` (schemathesis against our own OpenAPI document).
//!
//! usage: fuzz_server DIR   (env: FUZZ_ADMIN_KEY, at least 32 characters)
//! Prints `icsync api listening on http://ADDR` once it serves, then the seeded ids as
//! `seed contact=<id> account=<id> conversation=<id>`.

use anyhow::Context;
use async_trait::async_trait;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use icsync_api::*;
use icsync_domain::*;
use icsync_store::{IngestBatch, SecretKey, Store};
use secrecy::SecretString;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Intercom is out of reach during the fuzz: the on-view fetch reports the stored timeline.
struct StoredTimeline;

#[async_trait]
impl OnViewFetch for StoredTimeline {
    async fn fetch(&self, _: &Workspace, _: &ContactId) -> Result<Freshness, ServiceError> {
        Ok(Freshness {
            status: TimelineStatus::Stale,
            fetched_at: None,
            error: Some("no Intercom in the fuzz harness".into()),
        })
    }
}

/// Writeback figures counted from the CS attribute rows of the store.
struct CountedWriteback(Store);

#[async_trait]
impl WritebackStatus for CountedWriteback {
    async fn status(&self, workspace: &Workspace) -> Result<WritebackFigures, ServiceError> {
        let pending = self.0.pending_pushes(Utc::now(), 10_000).await?;
        let mine: Vec<_> = pending
            .iter()
            .filter(|r| r.workspace == workspace.id)
            .collect();
        Ok(WritebackFigures {
            blocked: (!workspace.primary_source_is_intercom)
                .then(|| "Intercom is not the workspace's primary data source".to_owned()),
            config_error: None,
            pending: mine.len() as u64,
            in_flight: 0,
            pushed: 0,
            failed: mine.iter().filter(|r| r.last_error.is_some()).count() as u64,
            gone: 0,
            oldest_pending_since: None,
            oldest_pending_age_secs: None,
            failures: Vec::new(),
        })
    }
}

/// Sessions per local day of the workspace, from the store's rollup inputs.
struct SessionDays(Store);

#[async_trait]
impl Rollups for SessionDays {
    async fn daily(
        &self,
        workspace: &Workspace,
        account: &CompanyId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyRollup>, ServiceError> {
        let inputs = rollup_inputs(&self.0, workspace, account, from, to).await?;
        let mut days: BTreeMap<NaiveDate, DailyRollup> = BTreeMap::new();
        for session in &inputs.sessions {
            let day = session.started_at.with_timezone(&inputs.zone).date_naive();
            let entry = days.entry(day).or_insert_with(|| DailyRollup {
                account: account.clone(),
                day,
                starts_at: session.started_at,
                ends_at: session.ended_at,
                active_users: 0,
                sessions: 0,
                events: BTreeMap::new(),
            });
            entry.sessions += 1;
            entry.active_users += 1;
        }
        for event in &inputs.events {
            let day = event.occurred_at.with_timezone(&inputs.zone).date_naive();
            if let Some(entry) = days.get_mut(&day) {
                *entry.events.entry(event.event_name.clone()).or_default() += 1;
            }
        }
        Ok(days.into_values().collect())
    }
}

fn object(value: serde_json::Value) -> AttributeMap {
    value.as_object().cloned().unwrap_or_default()
}

async fn seed(store: &Store) -> anyhow::Result<(String, String, String)> {
    let workspace = store
        .create_workspace(&NewWorkspace {
            intercom_app_id: Some("fuzzapp1".into()),
            timezone: Some("Europe/Paris".into()),
            user_tracking: true,
            access_token: Some(SecretString::from("fuzz-intercom-token".to_owned())),
            ..NewWorkspace::new("acme")
        })
        .await?;
    let now = Utc::now();
    let contacts: Vec<Contact> = (0..5)
        .map(|n| Contact {
            id: ContactId::new(format!("6{n:023x}")),
            external_id: Some(format!("ext-{n}")),
            email: Some(if n < 2 {
                "shared@example.com".into()
            } else {
                format!("u{n}@example.com")
            }),
            role: ContactRole::User,
            name: Some(format!("User {n}")),
            phone: None,
            avatar_url: None,
            owner_id: None,
            unsubscribed_from_emails: false,
            created_at: Some(now - Duration::days(10)),
            updated_at: Some(now - Duration::days(1)),
            signed_up_at: None,
            last_seen_at: Some(now - Duration::hours(n)),
            last_replied_at: None,
            last_contacted_at: None,
            location: Location::default(),
            custom_attributes: object(json!({"plan": "pro", "seats": n})),
            other_attributes: object(json!({"browser": "firefox"})),
        })
        .collect();
    let company = Company {
        id: CompanyId::new("5000000000000000000000aa"),
        company_id: Some("acct-1".into()),
        name: Some("Acme".into()),
        plan_name: Some("Pro".into()),
        size: Some(40),
        website: Some("https://acme.example".into()),
        industry: None,
        monthly_spend: Some(rust_decimal::Decimal::new(99_950, 2)),
        session_count: Some(3),
        user_count: Some(5),
        remote_created_at: None,
        created_at: Some(now - Duration::days(100)),
        updated_at: Some(now - Duration::days(2)),
        last_request_at: None,
        custom_attributes: object(json!({"arr": 12000})),
        other_attributes: AttributeMap::new(),
    };
    let associations: Vec<_> = contacts
        .iter()
        .map(|c| (c.id.clone(), company.id.clone()))
        .collect();
    let events: Vec<Event> = contacts
        .iter()
        .flat_map(|c| {
            (0..4).map(move |n| Event {
                contact_id: c.id.clone(),
                event_name: ["logged-in", "exported-report"][n % 2].into(),
                occurred_at: now - Duration::hours(n as i64 * 5 + 1),
                metadata: object(json!({"n": n})),
            })
        })
        .collect();
    let conversation = Conversation {
        id: ConversationId::new("200963802864963"),
        title: Some("Export question".into()),
        state: "open".into(),
        open: true,
        created_at: now - Duration::days(1),
        updated_at: now - Duration::hours(2),
        waiting_since: None,
        snoozed_until: None,
        contact_ids: vec![contacts[0].id.clone()],
        contact_email: contacts[0].normalized_email(),
        admin_assignee_id: None,
        source: ConversationSource {
            kind: Some("conversation".into()),
            body: Some("<p>How do I export?</p>".into()),
            ..Default::default()
        },
        tags: vec!["billing".into()],
        parts_reported: Some(1),
    };
    let parts = vec![ConversationPart {
        id: PartId::new("9001"),
        conversation_id: conversation.id.clone(),
        part_type: "comment".into(),
        author: Author::default(),
        body: Some("<p>Like this.</p>".into()),
        created_at: now - Duration::hours(3),
        updated_at: None,
    }];
    store
        .write_batch(
            workspace.id,
            IngestBatch {
                contacts: &contacts,
                companies: std::slice::from_ref(&company),
                associations: &associations,
                events: &events,
                conversations: std::slice::from_ref(&conversation),
                parts: &parts,
                ..Default::default()
            },
        )
        .await?;
    for contact in &contacts {
        let session = Session {
            contact_id: contact.id.clone(),
            started_at: now - Duration::hours(6),
            ended_at: now - Duration::hours(5),
            event_count: 4,
        };
        store
            .replace_sessions(
                workspace.id,
                &contact.id,
                Utc.timestamp_opt(0, 0).unwrap(),
                &[session],
            )
            .await?;
    }
    let run = store
        .start_run(workspace.id, &StreamName::new("users"))
        .await?;
    store
        .finish_run(
            run,
            RunStatus::Succeeded,
            &SyncRunStats {
                requests: 3,
                ..Default::default()
            },
            None,
        )
        .await?;
    Ok((
        contacts[2].id.to_string(),
        company.id.to_string(),
        conversation.id.to_string(),
    ))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = std::env::args().nth(1).context("usage: fuzz_server DIR")?;
    let key = std::env::var("FUZZ_ADMIN_KEY").context("set FUZZ_ADMIN_KEY")?;
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{dir}/fuzz.db");
    let store = Store::connect(&url)
        .await?
        .with_secret_key(&SecretKey::generate());
    store.migrate().await?;
    let (contact, account, conversation) = seed(&store).await?;
    let mut intercom = icsync_inbound::ClientSettings::default();
    intercom.retry.max_attempts = 1;
    intercom.timeouts.connect = std::time::Duration::from_secs(2);
    intercom.timeouts.read = std::time::Duration::from_secs(2);
    let settings = ApiSettings {
        api_keys: vec![ConfiguredKey {
            name: "fuzz".into(),
            scope: Scope::Admin,
            key: SecretString::from(key),
        }],
        oauth: Some(OAuthClient {
            client_id: "fuzz-client".into(),
            client_secret: SecretString::from("fuzz-client-secret".to_owned()),
        }),
        intercom,
        on_view_timeout: std::time::Duration::from_secs(2),
        ..ApiSettings::default()
    };
    let services = ApiServices {
        on_view: Arc::new(StoredTimeline),
        writeback: Arc::new(CountedWriteback(store.clone())),
        rollups: Arc::new(SessionDays(store.clone())),
        cs_attributes: Arc::new(StoreCsAttributes::new(store.clone())),
    };
    let state = ApiState::new(store, settings, services).map_err(anyhow::Error::msg)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("icsync api listening on http://{}", listener.local_addr()?);
    println!("seed contact={contact} account={account} conversation={conversation}");
    axum::serve(listener, router(state)).await?;
    Ok(())
}
