//! [`StoreCsAttributes`]: the store-only CS attributes setter, with the checks that refuse
//! obviously bad input (health out of range, a negative utilisation, an email without `@`,
//! a profile URL that is not http(s), text over 255 characters). The daemon swaps in
//! writeback's validated setter, which also wakes the pusher.

use crate::services::{CsAttributesService, CsChange, CsState, ServiceError};
use async_trait::async_trait;
use icsync_domain::{CsAttributes, CsSubject, Workspace};
use icsync_store::{CsRecord, Store};
use rust_decimal::Decimal;

/// CS attributes stored straight into the store.
#[derive(Debug, Clone)]
pub struct StoreCsAttributes {
    store: Store,
}

impl StoreCsAttributes {
    pub fn new(store: Store) -> Self {
        StoreCsAttributes { store }
    }
}

/// Health is a score from 0 to 100.
const HEALTH_MAX: Decimal = Decimal::ONE_HUNDRED;
/// Utilization is a percentage; over 100 means over-licensed, a million means a mistake (and
/// would not fit the store's NUMERIC(20,4) much further up).
const UTILIZATION_MAX: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);
const TEXT_MAX: usize = 255;

fn invalid(field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// The change, validated and normalised (text trimmed, blank text clears, decimals to four
/// places).
pub fn validate_change(change: &CsChange) -> Result<CsChange, ServiceError> {
    if change.is_empty() {
        return Err(invalid(
            "body",
            "nothing to set: give at least one of health, stage, profile_url, pulse, \
             licence_utilization, cs_owner, cs_owner_email",
        ));
    }
    let text = |value: &Option<Option<String>>| {
        value.as_ref().map(|v| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        })
    };
    let decimal =
        |value: &Option<Option<Decimal>>| value.map(|v| v.map(|d| d.round_dp(4).normalize()));
    let out = CsChange {
        health: decimal(&change.health),
        licence_utilization: decimal(&change.licence_utilization),
        stage: text(&change.stage),
        profile_url: text(&change.profile_url),
        pulse: text(&change.pulse),
        cs_owner: text(&change.cs_owner),
        cs_owner_email: text(&change.cs_owner_email),
    };
    if let Some(Some(health)) = out.health
        && (health < Decimal::ZERO || health > HEALTH_MAX)
    {
        return Err(invalid(
            "health",
            format!("must be between 0 and 100, not {health}"),
        ));
    }
    if let Some(Some(percent)) = out.licence_utilization
        && (percent < Decimal::ZERO || percent > UTILIZATION_MAX)
    {
        return Err(invalid(
            "licence_utilization",
            format!("a percentage between 0 and {UTILIZATION_MAX}, not {percent}"),
        ));
    }
    for (field, value) in [
        ("stage", &out.stage),
        ("pulse", &out.pulse),
        ("cs_owner", &out.cs_owner),
        ("profile_url", &out.profile_url),
        ("cs_owner_email", &out.cs_owner_email),
    ] {
        if let Some(Some(value)) = value {
            if value.chars().count() > TEXT_MAX {
                return Err(invalid(field, format!("longer than {TEXT_MAX} characters")));
            }
            if value.chars().any(char::is_control) {
                return Err(invalid(field, "contains a control character"));
            }
        }
    }
    if let Some(Some(email)) = &out.cs_owner_email {
        let well_formed = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        }) && !email.contains(char::is_whitespace);
        if !well_formed {
            return Err(invalid(
                "cs_owner_email",
                format!("{email:?} is not an email address"),
            ));
        }
    }
    if let Some(Some(profile_url)) = &out.profile_url {
        let ok = url::Url::parse(profile_url)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !ok {
            return Err(invalid(
                "profile_url",
                format!("{profile_url:?} is not an http or https URL"),
            ));
        }
    }
    Ok(out)
}

/// `current` with `change` applied.
pub fn apply_change(change: &CsChange, current: &CsAttributes) -> CsAttributes {
    fn pick<T: Clone>(change: &Option<Option<T>>, current: &Option<T>) -> Option<T> {
        match change {
            Some(value) => value.clone(),
            None => current.clone(),
        }
    }
    CsAttributes {
        health: pick(&change.health, &current.health),
        stage: pick(&change.stage, &current.stage),
        profile_url: pick(&change.profile_url, &current.profile_url),
        pulse: pick(&change.pulse, &current.pulse),
        licence_utilization: pick(&change.licence_utilization, &current.licence_utilization),
        cs_owner: pick(&change.cs_owner, &current.cs_owner),
        cs_owner_email: pick(&change.cs_owner_email, &current.cs_owner_email),
    }
}

/// A stored row as the API's [`CsState`] (also used by the daemon's writeback-backed setter).
pub fn cs_state(record: CsRecord) -> CsState {
    CsState {
        subject: record.subject,
        attributes: record.attributes,
        version: record.version,
        needs_push: record.needs_push,
        pushed_at: record.pushed_at,
        attempts: i64::from(record.attempts),
        next_attempt_at: record.next_attempt_at,
        last_error: record.last_error,
    }
}

#[async_trait]
impl CsAttributesService for StoreCsAttributes {
    async fn set(
        &self,
        workspace: &Workspace,
        subject: &CsSubject,
        change: &CsChange,
    ) -> Result<CsState, ServiceError> {
        let change = validate_change(change)?;
        let patch = icsync_domain::CsPatch {
            health: change.health,
            stage: change.stage,
            profile_url: change.profile_url,
            pulse: change.pulse,
            licence_utilization: change.licence_utilization,
            cs_owner: change.cs_owner,
            cs_owner_email: change.cs_owner_email,
        };
        let written = self
            .store
            .set_cs_attributes(
                workspace.id,
                subject,
                &patch,
                &icsync_domain::TriggerSet::default(),
                chrono::Utc::now(),
            )
            .await?;
        Ok(cs_state(written.record))
    }

    async fn get(
        &self,
        workspace: &Workspace,
        subject: &CsSubject,
    ) -> Result<Option<CsState>, ServiceError> {
        Ok(self
            .store
            .cs_attributes(workspace.id, subject)
            .await?
            .map(cs_state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn field_of(change: CsChange) -> String {
        match validate_change(&change) {
            Err(ServiceError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn bad_values_are_refused_naming_their_field() {
        let dec = |s: &str| Some(Some(Decimal::from_str(s).unwrap()));
        let text = |s: &str| Some(Some(s.to_owned()));
        let cases = [
            (
                CsChange {
                    health: dec("100.5"),
                    ..Default::default()
                },
                "health",
            ),
            (
                CsChange {
                    health: dec("-1"),
                    ..Default::default()
                },
                "health",
            ),
            (
                CsChange {
                    licence_utilization: dec("-0.1"),
                    ..Default::default()
                },
                "licence_utilization",
            ),
            (
                CsChange {
                    cs_owner_email: text("grace"),
                    ..Default::default()
                },
                "cs_owner_email",
            ),
            (
                CsChange {
                    cs_owner_email: text("grace@localhost"),
                    ..Default::default()
                },
                "cs_owner_email",
            ),
            (
                CsChange {
                    profile_url: text("ftp://x.example"),
                    ..Default::default()
                },
                "profile_url",
            ),
            (
                CsChange {
                    stage: Some(Some("x".repeat(256))),
                    ..Default::default()
                },
                "stage",
            ),
            (
                CsChange {
                    pulse: text("up\u{0}"),
                    ..Default::default()
                },
                "pulse",
            ),
            (CsChange::default(), "body"),
        ];
        for (change, field) in cases {
            assert_eq!(field_of(change), field);
        }
    }

    #[test]
    fn text_is_trimmed_blank_clears_and_decimals_are_normalised() {
        let change = CsChange {
            health: Some(Some(Decimal::from_str("72.50000").unwrap())),
            stage: Some(Some("  adoption ".to_owned())),
            pulse: Some(Some("   ".to_owned())),
            ..Default::default()
        };
        let valid = validate_change(&change).unwrap();
        assert_eq!(valid.health, Some(Some(Decimal::from_str("72.5").unwrap())));
        assert_eq!(valid.stage, Some(Some("adoption".to_owned())));
        assert_eq!(valid.pulse, Some(None));
        let current = CsAttributes {
            pulse: Some("up".into()),
            cs_owner: Some("Grace".into()),
            ..Default::default()
        };
        let next = apply_change(&valid, &current);
        assert_eq!(next.pulse, None, "null clears");
        assert_eq!(next.cs_owner.as_deref(), Some("Grace"), "left out keeps");
        assert_eq!(next.stage.as_deref(), Some("adoption"));
    }
}
