//! Deterministic generation of one contact's attributes from (seed, index).

use serde_json::{Map, Value, json};

use super::words::*;
use crate::model::contact::{ContactData, Location};
use crate::rng::{Rng, Stream};

const DAY: i64 = 86_400;

/// The compact, always-stored part of a generated contact.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ContactCore {
    pub lead: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub signed_up_at: Option<i64>,
    pub last_seen_at: Option<i64>,
}

/// Timestamps and role: 30 % created in the last 60 days, the rest up to ~2.5 years back.
pub(crate) fn core(seed: u64, index: u32, anchor: i64) -> ContactCore {
    let mut r = Rng::new(seed, Stream::Contact, u64::from(index));
    let lead = r.chance(0.2);
    let age_days = if r.chance(0.3) {
        r.range(0, 59)
    } else {
        r.range(61, 900)
    } as i64;
    let created_at = anchor - age_days * DAY - r.below(DAY as u64) as i64;
    let span = (anchor - created_at).max(1) as u64;
    // Updates cluster towards the recent end.
    let updated_at = created_at + (span - r.below(span).min(r.below(span))) as i64;
    let signed_up_at = (!lead && r.chance(0.9)).then_some(created_at);
    let last_seen_at = r.chance(0.85).then(|| created_at + r.below(span) as i64);
    ContactCore {
        lead,
        created_at,
        updated_at: updated_at.min(anchor),
        signed_up_at,
        last_seen_at,
    }
}

/// The email a contact is generated with, before sharing: may be upper-case or padded.
fn own_email(seed: u64, index: u32) -> Option<String> {
    let mut r = Rng::new(seed, Stream::Contact, u64::from(index) | 1 << 40);
    let lead = core(seed, index, 0).lead;
    if r.chance(if lead { 0.5 } else { 0.07 }) {
        return None;
    }
    let first = ascii_slug(r.pick::<&str>(FIRST_NAMES));
    let last = ascii_slug(r.pick::<&str>(LAST_NAMES));
    let domain = r.pick(EMAIL_DOMAINS);
    let plain = format!("{first}.{last}{index}@{domain}");
    Some(match r.below(100) {
        0..=7 => plain.to_uppercase(),
        8..=12 => format!("  {plain} "),
        13..=15 => format!("{}{}", &plain[..1].to_uppercase(), &plain[1..]),
        _ => plain,
    })
}

fn ascii_slug(s: &str) -> String {
    let slug: String = s
        .chars()
        .filter_map(|c| {
            let c = match c {
                'é' | 'è' | 'ë' | 'ê' => 'e',
                'á' | 'à' | 'å' | 'ä' | 'ã' => 'a',
                'ó' | 'ø' | 'ö' | 'ô' => 'o',
                'ü' | 'ú' => 'u',
                'í' | 'ï' => 'i',
                'ç' => 'c',
                'ñ' => 'n',
                'ł' | 'Ł' => 'l',
                'Å' | 'Á' => 'a',
                'Ø' => 'o',
                'Z' => 'z',
                c => c,
            };
            c.is_ascii_alphanumeric().then(|| c.to_ascii_lowercase())
        })
        .collect();
    if slug.is_empty() {
        "user".to_owned()
    } else {
        slug
    }
}

/// All the non-compact attributes of generated contact `index`.
pub(crate) fn data(seed: u64, index: u32, anchor: i64, admins: &[i64], tags: usize) -> ContactData {
    let c = core(seed, index, anchor);
    let mut r = Rng::new(seed, Stream::Contact, u64::from(index) | 2 << 40);
    let email = email(seed, index);
    let name = r
        .chance(if c.lead { 0.6 } else { 0.95 })
        .then(|| format!("{} {}", r.pick(FIRST_NAMES), r.pick(LAST_NAMES)));
    let external_id = external_id(seed, index, c.lead);
    let phone = r
        .chance(0.4)
        .then(|| format!("+1 415 555 {:04}", r.below(10_000)));
    let owner_id = (r.chance(0.5) && !admins.is_empty()).then(|| *r.pick(admins));
    let span = (anchor - c.created_at).max(1) as u64;
    let ts = |p: f64, r: &mut Rng| r.chance(p).then(|| c.created_at + r.below(span) as i64);
    let last_replied_at = ts(0.3, &mut r);
    let last_contacted_at = ts(0.4, &mut r);
    let last_email_opened_at = ts(0.3, &mut r);
    let last_email_clicked_at = ts(0.15, &mut r);
    let web = r.chance(0.7);
    let (browser, browser_version) = if web {
        let (b, v) = r.pick(BROWSERS);
        (Some((*b).to_owned()), Some((*v).to_owned()))
    } else {
        (None, None)
    };
    let os = web.then(|| (*r.pick(OSES)).to_owned());
    let browser_language = web.then(|| (*r.pick(LANGUAGES)).to_owned());
    let language_override = r.chance(0.05).then(|| (*r.pick(LANGUAGES)).to_owned());
    let location = r.chance(0.8).then(|| {
        let (country, region, city, code) = r.pick(COUNTRIES);
        Location {
            country: (*country).to_owned(),
            region: (*region).to_owned(),
            city: (*city).to_owned(),
            country_code: (*code).to_owned(),
        }
    });
    let custom_attributes = custom_attributes(&mut r, c.created_at);
    let mut contact_tags = Vec::new();
    if tags > 0 && r.chance(0.15) {
        contact_tags.push(r.below(tags as u64) as u32);
        if r.chance(0.3) {
            let t = r.below(tags as u64) as u32;
            if !contact_tags.contains(&t) {
                contact_tags.push(t);
            }
        }
    }
    ContactData {
        external_id,
        email,
        phone,
        name,
        owner_id,
        avatar: r
            .chance(0.2)
            .then(|| format!("https://static.example.com/avatars/{index}.png")),
        unsubscribed_from_emails: r.chance(0.05),
        has_hard_bounced: r.chance(0.01),
        marked_email_as_spam: r.chance(0.005),
        last_replied_at,
        last_contacted_at,
        last_email_opened_at,
        last_email_clicked_at,
        language_override,
        browser,
        browser_version,
        browser_language,
        os,
        location,
        custom_attributes,
        tags: contact_tags,
    }
}

/// The generated email of contact `index`; about 0.5 % share the previous contact's email.
pub(crate) fn email(seed: u64, index: u32) -> Option<String> {
    let mut r = Rng::new(seed, Stream::Contact, u64::from(index) | 3 << 40);
    if index > 0 && r.chance(0.005) {
        own_email(seed, index - 1).or_else(|| own_email(seed, index))
    } else {
        own_email(seed, index)
    }
}

/// The generated external id (`user_id`) of contact `index`: most users have one, leads none.
pub(crate) fn external_id(seed: u64, index: u32, lead: bool) -> Option<String> {
    let mut r = Rng::new(seed, Stream::Contact, u64::from(index) | 4 << 40);
    (!lead && r.chance(0.9)).then(|| uuid_like(&mut r))
}

fn uuid_like(r: &mut Rng) -> String {
    let a = r.next_u64();
    let b = r.next_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0x3fff | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

/// Custom attributes of every Intercom type, and `name`, a legacy key that shadows a standard
/// attribute.
fn custom_attributes(r: &mut Rng, created_at: i64) -> Map<String, Value> {
    let mut m = Map::new();
    if r.chance(0.8) {
        m.insert("plan_tier".into(), json!(r.pick(TIERS)));
    }
    if r.chance(0.7) {
        m.insert("seats".into(), json!(r.range(1, 500)));
    }
    if r.chance(0.6) {
        m.insert("mrr".into(), json!((r.range(0, 2_000_000) as f64) / 100.0));
    }
    if r.chance(0.7) {
        m.insert("is_trial".into(), json!(r.chance(0.3)));
    }
    if r.chance(0.4) {
        m.insert(
            "trial_ends_at".into(),
            json!(created_at + r.range(7, 30) as i64 * DAY),
        );
    }
    if r.chance(0.2) {
        m.insert(
            "nps_comment".into(),
            json!(
                r.pick(BODIES)
                    .trim_start_matches("<p>")
                    .trim_end_matches("</p>")
            ),
        );
    }
    if r.chance(0.1) {
        m.insert(
            "name".into(),
            json!(format!("legacy {}", r.pick(FIRST_NAMES))),
        );
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_by_seed() {
        let a = data(9, 17, 1_700_000_000, &[1, 2], 3);
        let b = data(9, 17, 1_700_000_000, &[1, 2], 3);
        assert_eq!(a, b);
        let differs = (0..20)
            .any(|i| data(9, i, 1_700_000_000, &[1], 3) != data(10, i, 1_700_000_000, &[1], 3));
        assert!(differs);
    }

    #[test]
    fn the_data_set_mixes_the_awkward_cases() {
        let anchor = 1_700_000_000;
        let all: Vec<_> = (0..2000)
            .map(|i| (core(1, i, anchor), data(1, i, anchor, &[1], 4)))
            .collect();
        assert!(all.iter().any(|(c, _)| c.lead));
        assert!(all.iter().any(|(_, d)| d.email.is_none()));
        assert!(
            all.iter()
                .any(|(_, d)| d.email.as_deref().is_some_and(|e| e != e.trim()))
        );
        assert!(all.iter().any(|(_, d)| {
            d.email
                .as_deref()
                .is_some_and(|e| e.chars().any(|c| c.is_ascii_uppercase()))
        }));
        assert!(
            all.iter()
                .any(|(_, d)| d.name.as_deref().is_some_and(|n| !n.is_ascii()))
        );
        assert!(all.iter().any(|(c, _)| anchor - c.created_at < 60 * DAY));
        assert!(all.iter().any(|(c, _)| anchor - c.created_at > 60 * DAY));
        assert!(
            all.iter()
                .any(|(_, d)| d.custom_attributes.contains_key("name"))
        );
        for (c, _) in &all {
            assert!(c.created_at <= c.updated_at && c.updated_at <= anchor);
        }
    }
}
