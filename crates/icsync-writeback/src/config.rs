//! Writeback configuration: the Intercom attribute names per model, the trigger set, the health
//! range and the pusher's pace; `validate()` names the offending key.

use icsync_domain::{Company, Contact, ContentHash, CsField, TriggerSet};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The `[writeback]` table of the configuration (defaults in `config/default.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WritebackConfig {
    /// Custom attribute names on Intercom contacts.
    pub contact_attributes: AttributeNames,
    /// Custom attribute names on Intercom companies (one namespace with contacts: no clash).
    pub company_attributes: AttributeNames,
    /// Fields whose change triggers a push of the whole set.
    pub trigger: TriggerSet,
    /// Lowest and highest health the host may set.
    pub health_min: Decimal,
    pub health_max: Decimal,
    /// Pushes in flight at once per workspace (the pacer spaces them within the rate limit).
    pub concurrency: usize,
    /// Rows claimed per step of a drain.
    pub batch_size: u64,
    /// How often the loop looks for due rows when nothing wakes it.
    pub loop_interval_secs: u64,
    /// How long a pusher holds a claimed row; a push still running then is abandoned.
    pub lease_secs: u64,
    /// Retry delays of a failing row.
    pub backoff: Backoff,
}

/// Retry delays: `base * 2^(attempt-1)`, capped, with jitter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Backoff {
    pub base_secs: u64,
    pub max_secs: u64,
}

/// One Intercom custom attribute name per CS field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeNames {
    pub health: String,
    pub stage: String,
    pub profile_url: String,
    pub pulse: String,
    pub licence_utilization: String,
    pub cs_owner: String,
    pub cs_owner_email: String,
}

/// A configuration value that cannot work, with its full key (`writeback.trigger`,
/// `export.lease_secs`) and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{key}` = {value:?}: {problem}")]
pub struct ConfigProblem {
    pub key: String,
    pub value: String,
    pub problem: String,
}

/// Which Intercom model an attribute belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    Contact,
    Company,
}

impl Model {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contact => "contact",
            Self::Company => "company",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Self::Contact => "contact_attributes",
            Self::Company => "company_attributes",
        }
    }

    fn standard_names(self) -> &'static [&'static str] {
        match self {
            Self::Contact => Contact::STANDARD_ATTRIBUTES,
            Self::Company => Company::STANDARD_ATTRIBUTES,
        }
    }
}

/// The Intercom data type each field is created with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttributeType {
    Float,
    String,
}

impl AttributeType {
    pub fn of(field: CsField) -> Self {
        if field.is_decimal() {
            Self::Float
        } else {
            Self::String
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Float => "float",
            Self::String => "string",
        }
    }
}

impl AttributeNames {
    pub fn get(&self, field: CsField) -> &str {
        match field {
            CsField::Health => &self.health,
            CsField::Stage => &self.stage,
            CsField::ProfileUrl => &self.profile_url,
            CsField::Pulse => &self.pulse,
            CsField::LicenceUtilization => &self.licence_utilization,
            CsField::CsOwner => &self.cs_owner,
            CsField::CsOwnerEmail => &self.cs_owner_email,
        }
    }

    fn with_prefix(prefix: &str) -> Self {
        Self {
            health: format!("{prefix}health"),
            stage: format!("{prefix}stage"),
            profile_url: format!("{prefix}profile_url"),
            pulse: format!("{prefix}pulse"),
            licence_utilization: format!("{prefix}licence_utilization"),
            cs_owner: format!("{prefix}owner"),
            cs_owner_email: format!("{prefix}owner_email"),
        }
    }
}

impl Default for WritebackConfig {
    fn default() -> Self {
        Self {
            contact_attributes: AttributeNames::with_prefix("cs_"),
            company_attributes: AttributeNames::with_prefix("cs_account_"),
            trigger: TriggerSet::default(),
            health_min: Decimal::ZERO,
            health_max: Decimal::ONE_HUNDRED,
            concurrency: 4,
            batch_size: 200,
            loop_interval_secs: 5,
            lease_secs: 300,
            backoff: Backoff::default(),
        }
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base_secs: 10,
            max_secs: 3600,
        }
    }
}

impl Backoff {
    /// The wait before attempt `attempts + 1` after `attempts` failures: between half and all
    /// of `base * 2^(attempts-1)`, capped at `max`.
    pub fn delay(&self, attempts: u32) -> Duration {
        let exp = Duration::from_secs(self.base_secs)
            .saturating_mul(1u32 << attempts.saturating_sub(1).min(20));
        exp.min(Duration::from_secs(self.max_secs))
            .mul_f64(0.5 + fastrand::f64() * 0.5)
    }
}

impl WritebackConfig {
    /// Every (model, field, name, type) the pusher writes.
    pub fn attributes(&self) -> impl Iterator<Item = (Model, CsField, &str, AttributeType)> {
        [Model::Contact, Model::Company]
            .into_iter()
            .flat_map(move |model| {
                CsField::ALL
                    .into_iter()
                    .map(move |field| (model, field, self.names(model).get(field)))
            })
            .map(|(model, field, name)| (model, field, name, AttributeType::of(field)))
    }

    pub fn names(&self, model: Model) -> &AttributeNames {
        match model {
            Model::Contact => &self.contact_attributes,
            Model::Company => &self.company_attributes,
        }
    }

    /// A digest of the names and types: when it changes, attributes are provisioned again and
    /// pushed rows are pushed again under the new names.
    pub fn mapping_hash(&self) -> String {
        let mapping: Vec<_> = self.attributes().collect();
        ContentHash::of(&mapping).into_string()
    }

    pub fn loop_interval(&self) -> Duration {
        Duration::from_secs(self.loop_interval_secs)
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs)
    }

    /// Checks every value; the first problem names its key.
    pub fn validate(&self) -> Result<(), ConfigProblem> {
        let problem = |key: String, value: &dyn std::fmt::Display, problem: &str| ConfigProblem {
            key: format!("writeback.{key}"),
            value: value.to_string(),
            problem: problem.to_owned(),
        };
        let mut seen: Vec<(String, String)> = Vec::new();
        for (model, field, name, _) in self.attributes() {
            let key = format!("{}.{}", model.key(), field.name());
            if !valid_name(name) {
                return Err(problem(
                    key,
                    &name,
                    "use 1 to 190 letters, digits, spaces, `_` or `-` (Intercom refuses other characters in attribute names)",
                ));
            }
            if model
                .standard_names()
                .iter()
                .any(|s| s.eq_ignore_ascii_case(name.trim()))
            {
                return Err(problem(
                    key,
                    &name,
                    &format!(
                        "`{name}` is a standard Intercom {} attribute; choose another name (e.g. with a `cs_` prefix)",
                        model.as_str()
                    ),
                ));
            }
            if let Some((other, _)) = seen
                .iter()
                .find(|(_, n)| n.eq_ignore_ascii_case(name.trim()))
            {
                return Err(problem(
                    key,
                    &name,
                    &format!(
                        "the same name as `writeback.{other}`; contact and company attributes share one namespace in Intercom, so every name must be different"
                    ),
                ));
            }
            seen.push((key, name.trim().to_owned()));
        }
        if self.trigger.is_empty() {
            return Err(problem(
                "trigger".into(),
                &"[]",
                "name at least one field whose change triggers a push, e.g. [\"health\", \"stage\", \"pulse\"]",
            ));
        }
        if self.health_min >= self.health_max {
            return Err(problem(
                "health_max".into(),
                &self.health_max,
                &format!("must be above health_min ({})", self.health_min),
            ));
        }
        let positive: [(&str, u64); 5] = [
            ("concurrency", self.concurrency as u64),
            ("batch_size", self.batch_size),
            ("loop_interval_secs", self.loop_interval_secs),
            ("backoff.base_secs", self.backoff.base_secs),
            ("lease_secs", self.lease_secs),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(problem(key.into(), &value, "must be at least 1"));
            }
        }
        if self.concurrency > 64 {
            return Err(problem(
                "concurrency".into(),
                &self.concurrency,
                "at most 64 (the pacer spaces requests anyway)",
            ));
        }
        if self.lease_secs < 30 {
            return Err(problem(
                "lease_secs".into(),
                &self.lease_secs,
                "at least 30: a push (with its retries) must fit in the lease",
            ));
        }
        if self.backoff.max_secs < self.backoff.base_secs {
            return Err(problem(
                "backoff.max_secs".into(),
                &self.backoff.max_secs,
                &format!(
                    "must be at least backoff.base_secs ({})",
                    self.backoff.base_secs
                ),
            ));
        }
        Ok(())
    }
}

/// Intercom's rule for attribute names: letters, digits, spaces, `_` and `-` are safe.
fn valid_name(name: &str) -> bool {
    let name = name.trim();
    !name.is_empty()
        && name.chars().count() <= 190
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-'))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_differ_between_contacts_and_companies() {
        let config = WritebackConfig::default();
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.contact_attributes.health, "cs_health");
        assert_eq!(config.company_attributes.health, "cs_account_health");
        assert_eq!(config.attributes().count(), 14);
    }

    #[test]
    fn problems_name_their_key() {
        type Change = Box<dyn Fn(&mut WritebackConfig)>;
        let cases: Vec<(Change, &str)> = vec![
            (
                Box::new(|c| c.company_attributes.stage = "CS_Stage".into()),
                "company_attributes.stage",
            ),
            (
                Box::new(|c| c.contact_attributes.pulse = "email".into()),
                "contact_attributes.pulse",
            ),
            (
                Box::new(|c| c.company_attributes.health = "monthly_spend".into()),
                "company_attributes.health",
            ),
            (
                Box::new(|c| c.contact_attributes.cs_owner = "owner.name".into()),
                "contact_attributes.cs_owner",
            ),
            (Box::new(|c| c.trigger = TriggerSet::new([])), "trigger"),
            (
                Box::new(|c| c.health_max = Decimal::ZERO),
                "writeback.health_max",
            ),
            (Box::new(|c| c.concurrency = 0), "concurrency"),
            (Box::new(|c| c.backoff.max_secs = 1), "backoff.max_secs"),
        ];
        for (change, key) in cases {
            let mut config = WritebackConfig::default();
            change(&mut config);
            let err = config.validate().expect_err(key).to_string();
            assert!(err.contains(key), "{key}: {err}");
        }
        let mut clash = WritebackConfig::default();
        clash.company_attributes.stage = "cs_stage".into();
        let err = clash.validate().unwrap_err().to_string();
        assert!(
            err.contains("contact_attributes.stage") && err.contains("namespace"),
            "{err}"
        );
    }

    #[test]
    fn the_mapping_hash_follows_names() {
        let config = WritebackConfig::default();
        let mut renamed = config.clone();
        renamed.contact_attributes.health = "cs_score".into();
        assert_ne!(config.mapping_hash(), renamed.mapping_hash());
        let mut paced = config.clone();
        paced.concurrency = 8;
        assert_eq!(config.mapping_hash(), paced.mapping_hash());
    }

    #[test]
    fn backoff_grows_and_caps() {
        let backoff = Backoff {
            base_secs: 10,
            max_secs: 60,
        };
        for _ in 0..20 {
            let first = backoff.delay(1);
            assert!(first >= Duration::from_secs(5) && first <= Duration::from_secs(10));
            assert!(backoff.delay(12) <= Duration::from_secs(60));
            assert!(backoff.delay(12) >= Duration::from_secs(30));
        }
    }
}
