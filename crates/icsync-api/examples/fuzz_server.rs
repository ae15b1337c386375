//! Seeds a throwaway SQLite database with a workspace and its contacts, companies, events,
//! sessions and a conversation, for `fuzz/run.sh`, which then serves it with the real daemon
//! (`icsync serve`) and runs schemathesis against our own OpenAPI document.
//!
//! usage: fuzz_server DIR   (env: FUZZ_SECRET_KEY, the daemon's 64-hex secret key)
//! Prints the seeded ids as `seed contact=<id> account=<id> conversation=<id>`.

use anyhow::Context;
use chrono::{Duration, TimeZone, Utc};
use icsync_domain::*;
use icsync_store::{IngestBatch, SecretKey, Store};
use secrecy::SecretString;
use serde_json::json;

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
    let key =
        std::env::var("FUZZ_SECRET_KEY").context("set FUZZ_SECRET_KEY (64 hex characters)")?;
    let (key, _) = SecretKey::load_or_create(
        Some(&SecretString::from(key)),
        &std::path::Path::new(&dir).join("unused.key"),
    )?;
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{dir}/fuzz.db");
    let store = Store::connect(&url).await?.with_secret_key(&key);
    store.migrate().await?;
    let (contact, account, conversation) = seed(&store).await?;
    store.close().await;
    println!("seed contact={contact} account={account} conversation={conversation}");
    Ok(())
}
