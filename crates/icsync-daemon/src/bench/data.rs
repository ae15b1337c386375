//! Realistic records for the store benchmark, generated page by page from a seed, so a run of
//! a million rows never holds more than one page.

use chrono::{DateTime, Duration, TimeZone, Utc};
use icsync_domain::{
    AttributeMap, Company, CompanyId, Contact, ContactId, ContactRole, Event, Location,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const FIRST: &[&str] = &[
    "Ada", "Grace", "Zoë", "Ñúñez", "Olu", "Mei", "Søren", "Aarav", "Léa", "Yuki",
];
const LAST: &[&str] = &[
    "Lovelace", "Hopper", "Müller", "山田", "O'Brien", "Nakamura", "Kovač", "Silva",
];
const PLANS: &[&str] = &["free", "starter", "pro", "business", "enterprise"];
const EVENTS: &[&str] = &[
    "logged-in",
    "viewed-dashboard",
    "invited-teammate",
    "exported-report",
    "created-project",
    "updated-billing",
];

fn epoch() -> DateTime<Utc> {
    Utc.timestamp_opt(1_760_000_000, 0)
        .single()
        .unwrap_or_default()
}

/// The Intercom id of the `n`-th generated contact.
pub fn contact_id(n: u64) -> ContactId {
    ContactId::new(format!("6{n:023x}"))
}

pub fn company_id(n: u64) -> CompanyId {
    CompanyId::new(format!("5{n:023x}"))
}

/// A contact with about 30 custom attributes of every Intercom type.
pub fn contact(n: u64) -> Contact {
    let mut rng = fastrand::Rng::with_seed(n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let first = FIRST[rng.usize(..FIRST.len())];
    let last = LAST[rng.usize(..LAST.len())];
    let created = epoch() - Duration::seconds(rng.i64(0..120 * 86_400));
    let mut custom = AttributeMap::new();
    for i in 0..8 {
        custom.insert(
            format!("text_attr_{i}"),
            Value::from(format!("{first}-{i}-{}", rng.u32(..100_000))),
        );
    }
    for i in 0..8 {
        custom.insert(format!("int_attr_{i}"), Value::from(rng.i64(0..1_000_000)));
    }
    for i in 0..5 {
        custom.insert(format!("float_attr_{i}"), json!(rng.f64() * 1000.0));
    }
    for i in 0..5 {
        custom.insert(format!("bool_attr_{i}"), Value::from(rng.bool()));
    }
    for i in 0..4 {
        custom.insert(
            format!("date_attr_{i}"),
            Value::from(created.timestamp() + rng.i64(0..86_400_000)),
        );
    }
    custom.insert("plan".into(), Value::from(PLANS[rng.usize(..PLANS.len())]));
    Contact {
        id: contact_id(n),
        external_id: Some(format!("user-{n}")),
        email: Some(format!(
            "{}.{}{n}@example.com",
            first.to_lowercase(),
            last.to_lowercase()
        )),
        role: if rng.u8(..10) == 0 {
            ContactRole::Lead
        } else {
            ContactRole::User
        },
        name: Some(format!("{first} {last}")),
        phone: Some(format!("+1 555 {:04}", rng.u32(..10_000))),
        avatar_url: None,
        owner_id: Some(format!("{}", 800_000 + rng.u32(..20))),
        unsubscribed_from_emails: rng.u8(..20) == 0,
        created_at: Some(created),
        updated_at: Some(created + Duration::seconds(rng.i64(0..86_400 * 30))),
        signed_up_at: Some(created),
        last_seen_at: Some(epoch() - Duration::seconds(rng.i64(0..86_400 * 14))),
        last_replied_at: None,
        last_contacted_at: None,
        location: Location {
            country: Some("United States".into()),
            region: Some("California".into()),
            city: Some("San Francisco".into()),
        },
        custom_attributes: custom,
        other_attributes: match json!({"browser": "chrome", "browser_version": "131.0", "os": "macOS 15", "language_override": null})
        {
            Value::Object(map) => map,
            _ => AttributeMap::new(),
        },
    }
}

pub fn company(n: u64) -> Company {
    let mut rng = fastrand::Rng::with_seed(n.wrapping_mul(0xD6E8_FEB8_6659_FD93));
    let mut custom = AttributeMap::new();
    custom.insert("arr".into(), Value::from(rng.i64(1_000..2_000_000)));
    custom.insert(
        "segment".into(),
        Value::from(["smb", "mid-market", "enterprise"][rng.usize(..3)]),
    );
    custom.insert("churn_risk".into(), Value::from(rng.bool()));
    custom.insert(
        "renewal_at".into(),
        Value::from(epoch().timestamp() + rng.i64(0..31_536_000)),
    );
    Company {
        id: company_id(n),
        company_id: Some(format!("acct-{n}")),
        name: Some(format!("Company {n}")),
        plan_name: Some(PLANS[rng.usize(..PLANS.len())].into()),
        size: Some(rng.i64(1..5_000)),
        website: Some(format!("https://company{n}.example.com")),
        industry: Some("Software".into()),
        monthly_spend: Some(Decimal::from(rng.i64(0..100_000))),
        session_count: Some(rng.i64(0..10_000)),
        user_count: Some(rng.i64(1..200)),
        remote_created_at: Some(epoch() - Duration::days(rng.i64(30..900))),
        created_at: Some(epoch() - Duration::days(rng.i64(1..900))),
        updated_at: Some(epoch() - Duration::hours(rng.i64(0..2_000))),
        last_request_at: Some(epoch() - Duration::hours(rng.i64(0..200))),
        custom_attributes: custom,
        other_attributes: AttributeMap::new(),
    }
}

/// The `n`-th event: contacts get bursts of a few events minutes apart.
pub fn event(n: u64) -> Event {
    let mut rng = fastrand::Rng::with_seed(n.wrapping_mul(0xA076_1D64_78BD_642F));
    let contact = n / 20;
    let mut metadata = AttributeMap::new();
    metadata.insert(
        "path".into(),
        Value::from(format!("/app/projects/{}", rng.u32(..500))),
    );
    metadata.insert("duration_ms".into(), Value::from(rng.u32(..60_000)));
    if rng.bool() {
        metadata.insert("plan".into(), Value::from(PLANS[rng.usize(..PLANS.len())]));
    }
    Event {
        contact_id: contact_id(contact),
        event_name: EVENTS[rng.usize(..EVENTS.len())].into(),
        occurred_at: epoch()
            - Duration::seconds((n % 20) as i64 * 180 + (contact % 90) as i64 * 86_400),
        metadata,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_realistic() {
        assert_eq!(contact(42), contact(42));
        assert_ne!(contact(42), contact(43));
        assert!(contact(7).custom_attributes.len() >= 30);
        assert_eq!(event(5).dedupe_key(), event(5).dedupe_key());
        assert_ne!(event(5).dedupe_key(), event(6).dedupe_key());
    }
}
