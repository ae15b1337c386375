//! JSON of conversations (list items and full objects with at most 500 parts).

use serde_json::{Value, json};

use crate::generate::conversation::{details, part};
use crate::model::contact::{ContactData, normalize_email};
use crate::model::conversation::{Author, ConvRec, PartData, State};
use crate::model::world::World;

/// The API returns at most this many parts: the most recent ones.
pub(crate) const PART_CAP: usize = 500;

pub(crate) fn conversation_id(slot: u32) -> String {
    (crate::model::conversation::FIRST_CONVERSATION_ID + u64::from(slot)).to_string()
}

fn author(world: &World, a: &Author) -> Value {
    author_with(world, a, None)
}

/// Renders an author; `known` is the conversation contact's data when already generated.
fn author_with(world: &World, a: &Author, known: Option<&ContactData>) -> Value {
    match a {
        Author::Admin(id) => {
            let admin = world.admins.iter().find(|x| x.id == *id);
            json!({"type": "admin", "id": id.to_string(), "name": admin.map(|x| x.name.clone()),
                "email": admin.map(|x| x.email.clone())})
        }
        Author::Contact(slot) => {
            let rec = &world.contacts[*slot as usize];
            let generated;
            let d: &ContactData = match known {
                Some(d) => d,
                None => {
                    generated = world.contact_data(*slot);
                    &generated
                }
            };
            // No email: `null`, not `""` (which the author's `format: email` refuses); see
            // docs/SIMULATOR.md for the evidence.
            let email = d
                .email
                .as_deref()
                .map(normalize_email)
                .filter(|e| !e.is_empty());
            json!({"type": rec.role(), "id": rec.id.to_string(), "name": d.name, "email": email})
        }
    }
}

fn tags(world: &World, ids: &[u32], at: i64) -> Value {
    let tags: Vec<Value> = ids
        .iter()
        .filter_map(|&t| world.tags.get(t as usize))
        .map(|t| {
            json!({"type": "tag", "id": t.id.to_string(), "name": t.name, "applied_at": at,
            "applied_by": {"type": "admin", "id": world.admins[0].id.to_string()}})
        })
        .collect();
    json!({"type": "tag.list", "tags": tags})
}

/// The conversation without parts (`conversation_list_item`).
pub(crate) fn list_item(world: &World, slot: u32) -> Value {
    let c: &ConvRec = &world.conversations[slot as usize];
    let s = &world.settings;
    let d = details(s.seed, c.seq, &world.admin_ids, world.tags.len());
    let rec = &world.contacts[c.contact as usize];
    let cd = world.contact_data(c.contact);
    let (subject, body) = match &c.started {
        Some(st) => (st.subject.clone(), st.body.clone()),
        None => (d.subject.clone(), d.body.clone()),
    };
    let contact_first = c.started.is_some() || d.contact_initiated;
    let source_author = if contact_first {
        Author::Contact(c.contact)
    } else {
        Author::Admin(d.source_admin)
    };
    let total = c.total_parts();
    let mut v = json!({
        "type": "conversation",
        "id": conversation_id(slot),
        "title": if c.started.is_some() { None } else { d.title.clone() },
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "waiting_since": (c.state == State::Open).then_some(c.updated_at),
        "snoozed_until": (c.state == State::Snoozed).then_some(c.updated_at + 86_400),
        "open": c.state != State::Closed,
        "state": c.state.as_str(),
        "read": c.read,
        "priority": if d.priority { "priority" } else { "not_priority" },
        "admin_assignee_id": c.admin_assignee_id,
        "team_assignee_id": d.team_assignee_id,
        "tags": tags(world, &d.tags, c.created_at),
        "source": {
            "type": d.source_type,
            "id": (400_000_000 + u64::from(slot)).to_string(),
            "delivered_as": if contact_first { "customer_initiated" } else { d.delivered_as },
            "subject": subject,
            "body": body,
            "author": author_with(world, &source_author, Some(&cd)),
            "attachments": [],
            "url": null,
            "redacted": false,
        },
        "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": rec.id.to_string(),
            "external_id": cd.external_id}]},
        "teammates": {"type": "admin.list", "teammates": c.admin_assignee_id.map_or_else(Vec::new,
            |a| vec![json!({"type": "admin", "id": a.to_string()})])},
        "custom_attributes": {},
        "topics": {},
        "ticket": null,
        "sla_applied": null,
        "statistics": {
            "type": "conversation_statistics",
            "count_conversation_parts": total,
            "count_reopens": 0,
            "count_assignments": u32::from(c.admin_assignee_id.is_some()),
        },
        "linked_objects": {"type": "list", "data": [], "total_count": 0, "has_more": false},
        "ai_agent": null,
        "ai_agent_participated": false,
    });
    // The 2.11 schema does not allow null for these two: present only when they exist.
    if let Some((rating, remark)) = &d.rating
        && c.started.is_none()
    {
        v["conversation_rating"] = json!({"rating": rating, "remark": remark, "created_at": c.updated_at,
            "contact": {"type": "contact", "id": rec.id.to_string(), "external_id": cd.external_id},
            "teammate": {"type": "admin", "id": d.source_admin.to_string()}});
    }
    if contact_first {
        v["first_contact_reply"] =
            json!({"created_at": c.created_at, "type": "conversation", "url": null});
    }
    v
}

fn render_part(world: &World, p: &PartData, plaintext: bool) -> Value {
    let body = p
        .body
        .as_ref()
        .map(|b| if plaintext { strip_tags(b) } else { b.clone() });
    json!({
        "type": "conversation_part",
        "id": p.id.to_string(),
        "part_type": p.part_type,
        "body": body,
        "created_at": p.created_at,
        "updated_at": p.created_at,
        "notified_at": p.created_at,
        "assigned_to": p.assigned_to.map(|a| json!({"type": "admin", "id": a.to_string()})),
        "author": author(world, &p.author),
        "attachments": [],
        "external_id": null,
        "redacted": false,
    })
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The full conversation: the 500 most recent parts, `total_count` saying how many exist.
pub(crate) fn full(world: &World, slot: u32, plaintext: bool) -> Value {
    let c = &world.conversations[slot as usize];
    let s = &world.settings;
    let total = c.total_parts() as usize;
    let skip = total.saturating_sub(PART_CAP);
    let mut parts = Vec::with_capacity(total - skip);
    for k in skip..total {
        let p = if k < c.generated_parts as usize {
            part(s.seed, c, slot, k as u32, s.anchor, &world.admin_ids)
        } else {
            c.added[k - c.generated_parts as usize].clone()
        };
        parts.push(render_part(world, &p, plaintext));
    }
    let mut v = list_item(world, slot);
    if plaintext {
        let body = v["source"]["body"].as_str().map(strip_tags);
        v["source"]["body"] = json!(body);
    }
    v["conversation_parts"] = json!({"type": "conversation_part.list", "conversation_parts": parts, "total_count": total});
    v
}
