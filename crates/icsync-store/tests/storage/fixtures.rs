//! Realistic records for the cases, built deterministically.

use chrono::{DateTime, Duration, TimeZone, Utc};
use icsync_domain::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};

pub fn t(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_760_000_000 + seconds, 0)
        .single()
        .expect("valid timestamp")
}

fn object(value: Value) -> AttributeMap {
    match value {
        Value::Object(map) => map,
        _ => panic!("fixture attributes must be an object"),
    }
}

pub fn contact(n: usize) -> Contact {
    Contact {
        id: ContactId::new(format!("6{n:023x}")),
        external_id: (!n.is_multiple_of(3)).then(|| format!("ext-{n}")),
        email: match n % 5 {
            0 => None,
            1 => Some(format!("  User{n}@Example.COM ")),
            _ => Some(format!("user{n}@example.com")),
        },
        role: if n.is_multiple_of(7) {
            ContactRole::Lead
        } else {
            ContactRole::User
        },
        name: Some(if n.is_multiple_of(4) {
            format!("Zoë Ñúñez 山田 {n}")
        } else {
            format!("User {n}")
        }),
        phone: Some("+33 6 12 34 56 78".into()),
        avatar_url: None,
        owner_id: Some("991267".into()),
        unsubscribed_from_emails: n.is_multiple_of(2),
        created_at: Some(t(n as i64)),
        updated_at: Some(t(1_000 + n as i64)),
        signed_up_at: Some(t(n as i64)),
        last_seen_at: Some(t(2_000 + n as i64)),
        last_replied_at: None,
        last_contacted_at: None,
        location: Location {
            country: Some("France".into()),
            region: Some("Île-de-France".into()),
            city: Some("Paris".into()),
        },
        custom_attributes: object(json!({
            "plan_tier": format!("tier-{}", n % 4),
            "seats": n % 50,
            "nps": 7.5,
            "beta": n.is_multiple_of(2),
            "renewal_at": 1_770_000_000,
            "tags_csv": "a,b",
            "nested": {"deep": [1, 2, {"x": null}]},
        })),
        other_attributes: object(json!({"browser": "chrome", "os": "macOS 14"})),
    }
}

pub fn company(n: usize) -> Company {
    Company {
        id: CompanyId::new(format!("5{n:023x}")),
        company_id: Some(format!("acct-{n}")),
        name: Some(format!("Company {n}")),
        plan_name: Some("Pro".into()),
        size: Some(40 + n as i64),
        website: Some("https://example.com".into()),
        industry: Some("Software".into()),
        monthly_spend: Some(Decimal::new(123_450 + n as i64, 2)),
        session_count: Some(12),
        user_count: Some(3),
        remote_created_at: Some(t(-86_400)),
        created_at: Some(t(0)),
        updated_at: Some(t(500 + n as i64)),
        last_request_at: Some(t(600)),
        custom_attributes: object(
            json!({"arr": 12000, "segment": "mid-market", "churn_risk": false}),
        ),
        other_attributes: object(json!({"tags": {"type": "tag.list", "tags": []}})),
    }
}

pub fn event(contact: usize, n: usize) -> Event {
    Event {
        contact_id: contact_id(contact),
        event_name: ["logged-in", "invited-teammate", "exported-report"][n % 3].into(),
        occurred_at: t(10_000 + (contact * 1_000 + n) as i64 * 37),
        metadata: object(json!({"source": "web", "count": n, "ratio": 0.25})),
    }
}

pub fn contact_id(n: usize) -> ContactId {
    contact(n).id
}

pub fn conversation(n: usize, contacts: &[usize], parts_reported: i64) -> Conversation {
    Conversation {
        id: ConversationId::new(format!("{}", 200_963_802_864_000 + n)),
        title: Some(format!("Question {n}")),
        state: "open".into(),
        open: true,
        created_at: t(n as i64 * 60),
        updated_at: t(n as i64 * 60 + 3_600),
        waiting_since: None,
        snoozed_until: None,
        contact_ids: contacts.iter().map(|c| contact_id(*c)).collect(),
        contact_email: Some(format!("user{}@example.com", contacts[0])),
        admin_assignee_id: Some("814860".into()),
        source: ConversationSource {
            kind: Some("conversation".into()),
            subject: None,
            body: Some("<p>How do I export?</p>".into()),
            author: Author {
                kind: Some("user".into()),
                id: Some(contact_id(contacts[0]).to_string()),
                name: Some("User".into()),
                email: None,
            },
            url: None,
        },
        tags: vec!["billing".into(), "vip".into()],
        parts_reported: Some(parts_reported),
    }
}

pub fn part(conversation: &Conversation, n: usize) -> ConversationPart {
    ConversationPart {
        id: PartId::new(format!("{}{n:04}", conversation.id)),
        conversation_id: conversation.id.clone(),
        part_type: if n.is_multiple_of(2) {
            "comment"
        } else {
            "note"
        }
        .into(),
        author: Author {
            kind: Some("admin".into()),
            id: Some("814860".into()),
            name: Some("Ada".into()),
            email: None,
        },
        body: Some(format!("<p>Reply {n}</p>")),
        created_at: conversation.created_at + Duration::minutes(n as i64),
        updated_at: None,
    }
}

pub fn contacts(range: std::ops::Range<usize>) -> Vec<Contact> {
    range.map(contact).collect()
}
