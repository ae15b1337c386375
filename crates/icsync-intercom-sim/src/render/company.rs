//! JSON of companies, shaped like Intercom 2.11 `company` objects.

use serde_json::{Value, json};

use crate::model::world::World;

pub(crate) fn company(world: &World, slot: u32) -> Value {
    let c = &world.companies[slot as usize];
    let user_count = c
        .contacts
        .iter()
        .filter(|&&s| world.contacts[s as usize].is_live())
        .count();
    let tags: Vec<Value> = c
        .tags
        .iter()
        .filter_map(|&t| world.tags.get(t as usize))
        .map(|t| json!({"type": "tag", "id": t.id.to_string(), "name": t.name}))
        .collect();
    json!({
        "type": "company",
        "company_id": c.company_id,
        "id": c.id.to_string(),
        "app_id": world.settings.workspace_id,
        "name": c.name,
        "remote_created_at": c.remote_created_at,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "last_request_at": c.last_request_at,
        "size": c.size,
        "website": c.website,
        "industry": c.industry,
        "monthly_spend": c.monthly_spend,
        "session_count": c.session_count,
        "user_count": user_count,
        "custom_attributes": c.custom_attributes,
        "tags": {"type": "tag.list", "tags": tags},
        "segments": {"type": "segment.list", "segments": []},
        "plan": c.plan.as_ref().map_or_else(|| json!({}), |p| json!({"type": "plan", "id": p.id, "name": p.name})),
    })
}
