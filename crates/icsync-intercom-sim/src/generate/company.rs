//! Deterministic generation of companies and of which contacts belong to which companies.

use serde_json::{Map, json};

use super::words::*;
use crate::model::company::{CompanyRec, Plan};
use crate::model::ids::ObjectId;
use crate::rng::{Rng, Stream};

const DAY: i64 = 86_400;
pub(crate) const COMPANY_KIND: u64 = 2;

pub(crate) fn company(seed: u64, index: u32, anchor: i64, tags: usize) -> CompanyRec {
    let mut r = Rng::new(seed, Stream::Company, u64::from(index));
    let created_at = anchor - r.range(1, 1200) as i64 * DAY - r.below(DAY as u64) as i64;
    let span = (anchor - created_at).max(1) as u64;
    let updated_at = created_at + r.below(span) as i64;
    let name = format!("{} {}", r.pick(COMPANY_WORDS), r.pick(COMPANY_SUFFIXES));
    let plan = r.chance(0.8).then(|| {
        let i = r.below(PLANS.len() as u64);
        Plan {
            id: (269_315 + i).to_string(),
            name: PLANS[i as usize].to_owned(),
        }
    });
    let mut custom = Map::new();
    if r.chance(0.8) {
        custom.insert("tier".into(), json!(r.pick(TIERS)));
    }
    if r.chance(0.7) {
        custom.insert("seats_purchased".into(), json!(r.range(5, 5000)));
    }
    if r.chance(0.6) {
        custom.insert("arr".into(), json!(r.range(0, 50_000_000) as f64 / 100.0));
    }
    if r.chance(0.7) {
        custom.insert("churn_risk".into(), json!(r.chance(0.2)));
    }
    if r.chance(0.5) {
        custom.insert(
            "renewal_date".into(),
            json!(anchor + r.range(1, 365) as i64 * DAY),
        );
    }
    if r.chance(0.15) {
        custom.insert(
            "plan".into(),
            json!(format!("legacy-{}", r.pick(PLANS).to_lowercase())),
        );
    }
    let mut company_tags = Vec::new();
    if tags > 0 && r.chance(0.1) {
        company_tags.push(r.below(tags as u64) as u32);
    }
    let slug: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase();
    CompanyRec {
        id: ObjectId::new(seed, COMPANY_KIND, created_at, index),
        company_id: format!("{}-{}", slug, 1000 + index),
        name,
        plan,
        remote_created_at: created_at - r.below(30 * DAY as u64) as i64,
        created_at,
        updated_at,
        last_request_at: updated_at,
        size: r.range(0, 5000) as i64,
        website: if r.chance(0.8) {
            format!("https://{slug}.example.com")
        } else {
            String::new()
        },
        industry: (*r.pick(INDUSTRIES)).to_owned(),
        monthly_spend: r.range(0, 20_000) as i64,
        session_count: r.range(0, 10_000) as i64,
        custom_attributes: custom,
        tags: company_tags,
        contacts: Vec::new(),
        deleted: false,
    }
}

/// Companies of generated contact `index`. The last tenth of companies gets no contacts; about
/// 0.2 % of contacts belong to more than 10 companies (beyond the inline list's cap).
pub(crate) fn companies_of_contact(seed: u64, index: u32, companies: usize) -> Vec<u32> {
    let eligible = (companies - companies / 10) as u64;
    if eligible == 0 {
        return Vec::new();
    }
    let mut r = Rng::new(seed, Stream::ContactCompanies, u64::from(index));
    let n = match r.below(1000) {
        0..=299 => 0,
        300..=849 => 1,
        850..=997 => r.range(2, 3),
        _ => r.range(11, 14),
    }
    .min(eligible);
    let mut out: Vec<u32> = Vec::with_capacity(n as usize);
    while (out.len() as u64) < n {
        // Skewed towards low slots: some companies get many contacts, others a few.
        let a = r.below(eligible);
        let pick = if r.chance(0.5) {
            a.min(r.below(eligible))
        } else {
            a
        } as u32;
        if !out.contains(&pick) {
            out.push(pick);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn associations_cover_zero_one_and_many() {
        let per: Vec<_> = (0..5000).map(|i| companies_of_contact(5, i, 100)).collect();
        assert!(per.iter().any(Vec::is_empty));
        assert!(per.iter().any(|c| c.len() == 1));
        assert!(per.iter().any(|c| c.len() > 10));
        assert!(per.iter().flatten().all(|&c| c < 90));
        let a = company(5, 3, 1_700_000_000, 2);
        let b = company(5, 3, 1_700_000_000, 2);
        assert_eq!(a.id, b.id);
        assert_eq!(a.company_id, b.company_id);
    }
}
