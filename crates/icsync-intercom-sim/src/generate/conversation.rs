//! Deterministic generation of conversations and of their parts (part by part, on demand).

use super::words::*;
use crate::model::conversation::{Author, ConvRec, PartData, State};
use crate::rng::{Rng, Stream};

const DAY: i64 = 86_400;

/// The generated, per-conversation details that are not kept in [`ConvRec`].
#[derive(Debug, Clone)]
pub(crate) struct ConvDetails {
    pub title: Option<String>,
    pub subject: String,
    pub body: String,
    pub delivered_as: &'static str,
    pub source_type: &'static str,
    /// `true` when the contact wrote the first message.
    pub contact_initiated: bool,
    pub priority: bool,
    pub team_assignee_id: Option<i64>,
    pub tags: Vec<u32>,
    pub rating: Option<(i64, String)>,
    pub source_admin: i64,
}

/// Part-count distribution: mostly short, a few long; conversation 0 always has `max_parts`.
fn part_count(r: &mut Rng, index: u32, max_parts: u32) -> u32 {
    let max = u64::from(max_parts.max(1));
    if index == 0 {
        return max as u32;
    }
    let n = match r.below(100) {
        0..=59 => r.range(1, 10),
        60..=89 => r.range(11, 60),
        90..=97 => r.range(61, 300),
        _ => r.range(450, max.max(450)),
    };
    n.clamp(1, max) as u32
}

/// Builds conversation `index` for the contact in `contact` created at `contact_created_at`.
pub(crate) fn conversation(
    seed: u64,
    index: u32,
    contact: u32,
    contact_created_at: i64,
    anchor: i64,
    admins: &[i64],
    max_parts: u32,
) -> ConvRec {
    let mut r = Rng::new(seed, Stream::Conversation, u64::from(index));
    let span = (anchor - contact_created_at).max(DAY) as u64;
    let created_at = (contact_created_at + r.below(span) as i64).min(anchor - 3600);
    let parts = part_count(&mut r, index, max_parts);
    let state = match r.below(10) {
        0..=5 => State::Closed,
        6..=8 => State::Open,
        _ => State::Snoozed,
    };
    let last = part_time(
        created_at,
        anchor,
        parts,
        parts.saturating_sub(1),
        seed,
        index,
    );
    ConvRec {
        seq: index,
        contact,
        created_at,
        updated_at: last.max(created_at),
        state,
        read: r.chance(0.7),
        admin_assignee_id: (r.chance(0.8) && !admins.is_empty()).then(|| *r.pick(admins)),
        generated_parts: parts,
        added: Vec::new(),
        started: None,
    }
}

pub(crate) fn details(seed: u64, index: u32, admins: &[i64], tags: usize) -> ConvDetails {
    let mut r = Rng::new(seed, Stream::Conversation, u64::from(index) | 1 << 40);
    let contact_initiated = r.chance(0.8);
    let subject = (*r.pick(SUBJECTS)).to_owned();
    ConvDetails {
        title: (!subject.is_empty() && r.chance(0.5)).then(|| subject.clone()),
        body: (*r.pick(BODIES)).to_owned(),
        subject,
        delivered_as: if contact_initiated {
            "customer_initiated"
        } else {
            "admin_initiated"
        },
        source_type: if r.chance(0.85) {
            "conversation"
        } else {
            "email"
        },
        contact_initiated,
        priority: r.chance(0.1),
        team_assignee_id: r.chance(0.4).then(|| 5_017_691 + r.below(3) as i64),
        tags: if tags > 0 && r.chance(0.2) {
            vec![r.below(tags as u64) as u32]
        } else {
            Vec::new()
        },
        rating: r
            .chance(0.25)
            .then(|| (r.range(1, 5) as i64, (*r.pick(BODIES)).to_owned())),
        source_admin: if admins.is_empty() {
            0
        } else {
            *r.pick(admins)
        },
    }
}

/// Time of part `k` of `n`: evenly spread over up to 30 days after creation, with jitter.
fn part_time(created_at: i64, anchor: i64, n: u32, k: u32, seed: u64, index: u32) -> i64 {
    let window = (anchor - created_at).clamp(60, 30 * DAY);
    let step = window / i64::from(n + 1);
    let mut r = Rng::new(seed, Stream::Parts, u64::from(index) << 16 | u64::from(k));
    let jitter = if step > 1 {
        r.below((step / 2) as u64) as i64
    } else {
        0
    };
    created_at + step * i64::from(k + 1) + jitter
}

/// Generated part `k` (chronological, 0-based) of conversation `conv`.
pub(crate) fn part(
    seed: u64,
    conv: &ConvRec,
    slot: u32,
    k: u32,
    anchor: i64,
    admins: &[i64],
) -> PartData {
    let mut r = Rng::new(
        seed,
        Stream::Parts,
        u64::from(conv.seq) << 16 | u64::from(k) | 1 << 60,
    );
    let part_type = (*r.pick(PART_TYPES)).to_owned();
    let admin = if admins.is_empty() {
        0
    } else {
        *r.pick(admins)
    };
    let by_contact = part_type == "comment" && r.chance(0.5);
    let body = match part_type.as_str() {
        "comment" | "note" => Some((*r.pick(BODIES)).to_owned()),
        _ => None,
    };
    PartData {
        id: 100_000_000 + u64::from(slot) * 1024 + u64::from(k),
        assigned_to: matches!(part_type.as_str(), "assignment" | "default_assignment")
            .then_some(admin),
        part_type,
        body,
        created_at: part_time(
            conv.created_at,
            anchor,
            conv.generated_parts,
            k,
            seed,
            conv.seq,
        ),
        author: if by_contact {
            Author::Contact(conv.contact)
        } else {
            Author::Admin(admin)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversation_zero_has_the_most_parts_and_parts_are_ordered() {
        let anchor = 1_700_000_000;
        let c = conversation(1, 0, 0, anchor - 100 * DAY, anchor, &[7], 700);
        assert_eq!(c.generated_parts, 700);
        let times: Vec<i64> = (0..c.generated_parts)
            .map(|k| part(1, &c, 0, k, anchor, &[7]).created_at)
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        assert!(times.iter().all(|&t| t > c.created_at));
        let counts: Vec<u32> = (1..300)
            .map(|i| conversation(1, i, 0, anchor - 100 * DAY, anchor, &[7], 700).generated_parts)
            .collect();
        assert!(counts.iter().all(|&n| (1..=700).contains(&n)));
        assert!(counts.iter().any(|&n| n <= 10));
    }
}
