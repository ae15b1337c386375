//! Custom attributes: free JSON objects, minus keys that would shadow a standard attribute.

use serde_json::{Map, Value};

/// A record's custom attributes (or other free-form attributes), as a JSON object.
pub type AttributeMap = Map<String, Value>;

/// Custom attributes after removing keys that collide with standard attribute names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SplitAttributes {
    /// What is kept as the record's custom attributes.
    pub kept: AttributeMap,
    /// Keys dropped because a standard attribute has that name (counted in sync stats).
    pub shadowing: Vec<String>,
}

/// Drops every custom attribute whose key equals a standard attribute's name.
///
/// A custom `email` would otherwise shadow the contact's real email wherever the two are merged;
/// the standard column stays authoritative and the collision is reported (INTERCOM.md trap 12).
/// Keys are compared case-insensitively, as Intercom's attribute names are.
pub fn split_custom_attributes(custom: AttributeMap, standard_names: &[&str]) -> SplitAttributes {
    let mut split = SplitAttributes::default();
    for (key, value) in custom {
        if standard_names
            .iter()
            .any(|name| name.eq_ignore_ascii_case(&key))
        {
            split.shadowing.push(key);
        } else {
            split.kept.insert(key, value);
        }
    }
    split
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn custom_attributes_named_like_standard_ones_are_dropped_and_reported() {
        let custom = json!({"plan_tier": "gold", "Email": "x@y.z", "seats": 4});
        let Value::Object(custom) = custom else {
            unreachable!()
        };
        let split = split_custom_attributes(custom, &["email", "name"]);
        assert_eq!(split.shadowing, vec!["Email".to_owned()]);
        assert_eq!(
            Value::Object(split.kept),
            json!({"plan_tier": "gold", "seats": 4})
        );
    }
}
