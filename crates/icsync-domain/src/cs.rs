//! CS attributes: what the host app sets on a contact or account and icsync writes back.

use crate::ContentHash;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Which Intercom record a set of CS attributes belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
pub enum CsSubject {
    /// An Intercom contact, by Intercom id.
    Contact(String),
    /// An Intercom company, by Intercom id.
    Company(String),
}

impl CsSubject {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Contact(_) => "contact",
            Self::Company(_) => "company",
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Self::Contact(id) | Self::Company(id) => id,
        }
    }
}

/// The CS attribute set pushed to Intercom as custom attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsAttributes {
    pub health: Option<Decimal>,
    pub stage: Option<String>,
    pub profile_url: Option<String>,
    pub pulse: Option<String>,
    pub licence_utilization: Option<Decimal>,
    pub cs_owner: Option<String>,
    pub cs_owner_email: Option<String>,
}

/// One attribute of the CS set (also its key in configuration and import files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CsField {
    Health,
    Stage,
    ProfileUrl,
    Pulse,
    LicenceUtilization,
    CsOwner,
    CsOwnerEmail,
}

impl CsField {
    /// Every field, in the order they are shown and pushed.
    pub const ALL: [CsField; 7] = [
        Self::Health,
        Self::Stage,
        Self::ProfileUrl,
        Self::Pulse,
        Self::LicenceUtilization,
        Self::CsOwner,
        Self::CsOwnerEmail,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Health => "health",
            Self::Stage => "stage",
            Self::ProfileUrl => "profile_url",
            Self::Pulse => "pulse",
            Self::LicenceUtilization => "licence_utilization",
            Self::CsOwner => "cs_owner",
            Self::CsOwnerEmail => "cs_owner_email",
        }
    }

    /// Parses a field name (`-` and `_` alike, any case; `url` for `profile_url`).
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim().to_ascii_lowercase().replace('-', "_");
        match name.as_str() {
            "url" => Some(Self::ProfileUrl),
            _ => Self::ALL.into_iter().find(|f| f.name() == name),
        }
    }

    /// True for the decimal fields (pushed as numbers), false for the text fields.
    pub fn is_decimal(self) -> bool {
        matches!(self, Self::Health | Self::LicenceUtilization)
    }
}

impl std::fmt::Display for CsField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One field's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum CsValue {
    Decimal(Decimal),
    Text(String),
}

/// The fields whose change triggers a push (default: health, stage, pulse).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<CsField>", into = "Vec<CsField>")]
pub struct TriggerSet(Vec<CsField>);

impl TriggerSet {
    pub fn new(fields: impl IntoIterator<Item = CsField>) -> Self {
        let mut fields: Vec<CsField> = fields.into_iter().collect();
        fields.sort();
        fields.dedup();
        Self(fields)
    }

    pub fn fields(&self) -> &[CsField] {
        &self.0
    }

    pub fn contains(&self, field: CsField) -> bool {
        self.0.contains(&field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Default for TriggerSet {
    fn default() -> Self {
        Self::new([CsField::Health, CsField::Stage, CsField::Pulse])
    }
}

impl From<Vec<CsField>> for TriggerSet {
    fn from(fields: Vec<CsField>) -> Self {
        Self::new(fields)
    }
}

impl From<TriggerSet> for Vec<CsField> {
    fn from(set: TriggerSet) -> Self {
        set.0
    }
}

impl CsAttributes {
    /// One field's value (decimals normalized, so `7.50` and `7.5` are the same health).
    pub fn get(&self, field: CsField) -> Option<CsValue> {
        let text = |v: &Option<String>| v.clone().map(CsValue::Text);
        let decimal = |v: &Option<Decimal>| v.map(|d| CsValue::Decimal(d.normalize()));
        match field {
            CsField::Health => decimal(&self.health),
            CsField::Stage => text(&self.stage),
            CsField::ProfileUrl => text(&self.profile_url),
            CsField::Pulse => text(&self.pulse),
            CsField::LicenceUtilization => decimal(&self.licence_utilization),
            CsField::CsOwner => text(&self.cs_owner),
            CsField::CsOwnerEmail => text(&self.cs_owner_email),
        }
    }

    /// A digest of the fields whose change triggers a push (health, stage, pulse).
    pub fn trigger_hash(&self) -> ContentHash {
        self.trigger_hash_for(&TriggerSet::default())
    }

    /// A digest of the fields in `triggers`, named, so a different trigger set never hashes alike.
    pub fn trigger_hash_for(&self, triggers: &TriggerSet) -> ContentHash {
        let named: Vec<(&str, Option<CsValue>)> = triggers
            .fields()
            .iter()
            .map(|f| (f.name(), self.get(*f)))
            .collect();
        ContentHash::of(&named)
    }

    /// A digest of the whole set, as pushed.
    pub fn content_hash(&self) -> ContentHash {
        let mut normalized = self.clone();
        normalized.health = self.health.map(|d| d.normalize());
        normalized.licence_utilization = self.licence_utilization.map(|d| d.normalize());
        ContentHash::of(&normalized)
    }
}

/// A change to a subject's CS attributes: `None` keeps a field, `Some(None)` clears it,
/// `Some(Some(v))` sets it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsPatch {
    pub health: Option<Option<Decimal>>,
    pub stage: Option<Option<String>>,
    pub profile_url: Option<Option<String>>,
    pub pulse: Option<Option<String>>,
    pub licence_utilization: Option<Option<Decimal>>,
    pub cs_owner: Option<Option<String>>,
    pub cs_owner_email: Option<Option<String>>,
}

impl CsPatch {
    /// True when the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// `current` with the patch applied.
    pub fn apply(&self, current: &CsAttributes) -> CsAttributes {
        fn pick<T: Clone>(change: &Option<Option<T>>, current: &Option<T>) -> Option<T> {
            match change {
                Some(value) => value.clone(),
                None => current.clone(),
            }
        }
        CsAttributes {
            health: pick(&self.health, &current.health),
            stage: pick(&self.stage, &current.stage),
            profile_url: pick(&self.profile_url, &current.profile_url),
            pulse: pick(&self.pulse, &current.pulse),
            licence_utilization: pick(&self.licence_utilization, &current.licence_utilization),
            cs_owner: pick(&self.cs_owner, &current.cs_owner),
            cs_owner_email: pick(&self.cs_owner_email, &current.cs_owner_email),
        }
    }
}

impl From<CsAttributes> for CsPatch {
    /// A patch that replaces every field.
    fn from(all: CsAttributes) -> Self {
        Self {
            health: Some(all.health),
            stage: Some(all.stage),
            profile_url: Some(all.profile_url),
            pulse: Some(all.pulse),
            licence_utilization: Some(all.licence_utilization),
            cs_owner: Some(all.cs_owner),
            cs_owner_email: Some(all.cs_owner_email),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn only_health_stage_and_pulse_change_the_trigger_hash() {
        let base = CsAttributes {
            health: Some(Decimal::from_str("7.5").unwrap()),
            stage: Some("onboarding".into()),
            pulse: Some("up".into()),
            ..Default::default()
        };
        let mut owner_changed = base.clone();
        owner_changed.cs_owner = Some("Grace".into());
        assert_eq!(base.trigger_hash(), owner_changed.trigger_hash());
        assert_ne!(base.content_hash(), owner_changed.content_hash());

        let mut same_health = base.clone();
        same_health.health = Some(Decimal::from_str("7.50").unwrap());
        assert_eq!(base.trigger_hash(), same_health.trigger_hash());

        let mut stage_changed = base.clone();
        stage_changed.stage = Some("adoption".into());
        assert_ne!(base.trigger_hash(), stage_changed.trigger_hash());

        let owner_triggers = TriggerSet::new([CsField::CsOwner]);
        assert_ne!(
            base.trigger_hash_for(&owner_triggers),
            owner_changed.trigger_hash_for(&owner_triggers)
        );
    }

    #[test]
    fn a_patch_keeps_clears_and_sets_fields() {
        let current = CsAttributes {
            health: Some(Decimal::from(70)),
            stage: Some("onboarding".into()),
            cs_owner: Some("Grace".into()),
            ..Default::default()
        };
        let patch = CsPatch {
            health: Some(Some(Decimal::from(40))),
            cs_owner: Some(None),
            ..Default::default()
        };
        let next = patch.apply(&current);
        assert_eq!(next.health, Some(Decimal::from(40)));
        assert_eq!(next.stage.as_deref(), Some("onboarding"));
        assert_eq!(next.cs_owner, None);
        assert!(CsPatch::default().is_empty());
        assert_eq!(CsPatch::from(next.clone()).apply(&current), next);
    }

    #[test]
    fn field_names_parse_with_dashes_and_aliases() {
        assert_eq!(
            CsField::parse("licence-utilization"),
            Some(CsField::LicenceUtilization)
        );
        assert_eq!(CsField::parse("URL"), Some(CsField::ProfileUrl));
        assert_eq!(
            CsField::parse("cs_owner_email"),
            Some(CsField::CsOwnerEmail)
        );
        assert_eq!(CsField::parse("mood"), None);
        for field in CsField::ALL {
            assert_eq!(CsField::parse(field.name()), Some(field));
        }
    }
}
