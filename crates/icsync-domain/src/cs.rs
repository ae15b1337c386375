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

impl CsAttributes {
    /// A digest of the fields whose change triggers a push (health, stage, pulse).
    ///
    /// Decimals are normalized first so `7.50` and `7.5` are the same health.
    pub fn trigger_hash(&self) -> ContentHash {
        ContentHash::of(&(self.health.map(|d| d.normalize()), &self.stage, &self.pulse))
    }

    /// A digest of the whole set, as pushed.
    pub fn content_hash(&self) -> ContentHash {
        let mut normalized = self.clone();
        normalized.health = self.health.map(|d| d.normalize());
        normalized.licence_utilization = self.licence_utilization.map(|d| d.normalize());
        ContentHash::of(&normalized)
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
    }
}
