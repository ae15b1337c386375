//! Intercom companies into domain [`Company`]s.

use super::{Converted, Rejected, put, put_str, to_json};
use icsync_domain::{
    AttributeMap, Company, CompanyId, IMPORTED_TAGS_KEY, ImportedTag, imported_tags_value,
    split_custom_attributes,
};
use icsync_intercom::models;

/// Converts a wire company; only a company without an id is rejected.
pub fn convert(wire: models::Company) -> Result<Converted<Company>, Rejected> {
    let id = wire.id.trim().to_owned();
    if id.is_empty() {
        return Err(Rejected::new(None, "missing_id", "the company has no id"));
    }
    let split = split_custom_attributes(wire.custom_attributes, Company::STANDARD_ATTRIBUTES);
    let mut other = AttributeMap::new();
    put_str(&mut other, "app_id", &wire.app_id);
    let plan = wire.plan.unwrap_or_default();
    put_str(&mut other, "plan_id", &plan.id);
    put(&mut other, "tags", wire.tags.as_ref().and_then(to_json));
    if let Some(list) = &wire.tags {
        let tags: Vec<ImportedTag> = list
            .tags
            .iter()
            .map(|t| ImportedTag {
                id: t.id.clone(),
                name: t.name.clone(),
            })
            .collect();
        put(
            &mut other,
            IMPORTED_TAGS_KEY,
            Some(imported_tags_value(&tags)),
        );
    }
    put(&mut other, "segments", wire.segments.clone());
    for (key, value) in wire.extra {
        if key != "type" && !value.is_null() {
            other.insert(key, value);
        }
    }
    Ok(Converted {
        record: Company {
            id: CompanyId::new(id),
            company_id: wire.company_id.filter(|c| !c.is_empty()),
            name: wire.name,
            plan_name: plan.name,
            size: wire.size,
            website: wire.website,
            industry: wire.industry,
            monthly_spend: wire.monthly_spend,
            session_count: wire.session_count,
            user_count: wire.user_count,
            remote_created_at: wire.remote_created_at,
            created_at: wire.created_at,
            updated_at: wire.updated_at,
            last_request_at: wire.last_request_at,
            custom_attributes: split.kept,
            other_attributes: other,
        },
        shadowed: split.shadowing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture(name: &str) -> models::Company {
        let path = format!(
            "{}/../icsync-intercom/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn company_tags_are_kept_with_their_names() {
        let converted =
            convert(fixture("company_realistic.json")).unwrap_or_else(|e| panic!("{e:?}"));
        let tags = icsync_domain::imported_tags(&converted.record.other_attributes);
        assert_eq!(
            tags,
            vec![ImportedTag {
                id: "115".into(),
                name: Some("vip".into())
            }]
        );
    }

    #[test]
    fn the_realistic_company_keeps_money_plan_and_custom_attributes() {
        let converted =
            convert(fixture("company_realistic.json")).unwrap_or_else(|e| panic!("{e:?}"));
        let company = &converted.record;
        assert!(!company.id.as_str().is_empty());
        assert!(company.monthly_spend.is_some());
        assert!(!company.other_attributes.contains_key("type"));
        for key in &converted.shadowed {
            assert!(!company.custom_attributes.contains_key(key));
            assert!(
                Company::STANDARD_ATTRIBUTES
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(key))
            );
        }
    }

    #[test]
    fn the_spec_example_converts_and_a_shadowing_plan_is_dropped() {
        let mut wire = fixture("company.json");
        wire.custom_attributes
            .insert("plan".into(), json!("legacy plan"));
        wire.custom_attributes.insert("tier".into(), json!("gold"));
        let converted = convert(wire).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(converted.shadowed, vec!["plan".to_owned()]);
        assert_eq!(
            converted.record.custom_attributes.get("tier"),
            Some(&json!("gold"))
        );
    }
}
