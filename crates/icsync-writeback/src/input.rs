//! Host input: validating a change to a subject's CS attributes before anything is stored.

use crate::config::WritebackConfig;
use icsync_domain::{CsField, CsPatch, CsSubject};
use rust_decimal::Decimal;

/// A value the host gave that cannot be stored; nothing was stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("invalid {field} {value:?}: {problem}")]
    Invalid {
        field: &'static str,
        value: String,
        problem: String,
    },
    #[error(
        "nothing to set: give at least one of health, stage, pulse, url, licence utilization, cs owner, cs owner email"
    )]
    Empty,
}

impl InputError {
    fn invalid(field: CsField, value: impl ToString, problem: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.name(),
            value: value.to_string(),
            problem: problem.into(),
        }
    }
}

/// Checks a subject's id: an Intercom id is one token of letters, digits, `-` or `_`.
pub fn validate_subject(subject: &CsSubject) -> Result<(), InputError> {
    let id = subject.id();
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(InputError::Invalid {
            field: subject.kind(),
            value: id.to_owned(),
            problem: "not an Intercom id (letters and digits, e.g. 667d60a88a68186f43bafdb8)"
                .into(),
        })
    }
}

/// Validates a change and returns it normalized: text trimmed (blank clears a field), emails
/// checked, decimals rounded to the store's four places.
pub fn validate_patch(patch: &CsPatch, config: &WritebackConfig) -> Result<CsPatch, InputError> {
    if patch.is_empty() {
        return Err(InputError::Empty);
    }
    let mut out = CsPatch {
        health: patch.health.map(|v| v.map(|d| d.round_dp(4).normalize())),
        licence_utilization: patch
            .licence_utilization
            .map(|v| v.map(|d| d.round_dp(4).normalize())),
        stage: text(&patch.stage),
        pulse: text(&patch.pulse),
        profile_url: text(&patch.profile_url),
        cs_owner: text(&patch.cs_owner),
        cs_owner_email: text(&patch.cs_owner_email),
    };
    if let Some(Some(health)) = out.health
        && (health < config.health_min || health > config.health_max)
    {
        return Err(InputError::invalid(
            CsField::Health,
            health,
            format!(
                "must be between {} and {} (writeback.health_min/health_max)",
                config.health_min, config.health_max
            ),
        ));
    }
    if let Some(Some(percent)) = out.licence_utilization
        && percent < Decimal::ZERO
    {
        return Err(InputError::invalid(
            CsField::LicenceUtilization,
            percent,
            "a percentage cannot be negative",
        ));
    }
    if let Some(Some(email)) = &out.cs_owner_email {
        check_email(email)?;
    }
    if let Some(Some(url)) = &out.profile_url {
        check_url(url)?;
    }
    for (field, value) in [
        (CsField::Stage, &out.stage),
        (CsField::Pulse, &out.pulse),
        (CsField::CsOwner, &out.cs_owner),
    ] {
        if let Some(Some(value)) = value
            && value.chars().count() > 255
        {
            return Err(InputError::invalid(
                field,
                format!("{}...", value.chars().take(40).collect::<String>()),
                "longer than 255 characters",
            ));
        }
    }
    // Emails compare case-insensitively in their domain; keep the host's local part as given.
    if let Some(Some(email)) = &mut out.cs_owner_email
        && let Some((local, domain)) = email.rsplit_once('@')
    {
        *email = format!("{local}@{}", domain.to_ascii_lowercase());
    }
    Ok(out)
}

fn text(value: &Option<Option<String>>) -> Option<Option<String>> {
    value.as_ref().map(|v| {
        v.as_ref()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    })
}

fn check_email(email: &str) -> Result<(), InputError> {
    let bad = |problem: &str| InputError::invalid(CsField::CsOwnerEmail, email, problem);
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err(bad("not an email address (no @)"));
    };
    if local.is_empty() || local.contains('@') {
        return Err(bad("not an email address (one @ with a name before it)"));
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("not an email address (contains a space)"));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if !domain_ok {
        return Err(bad(
            "not an email address (the domain after @ is not valid)",
        ));
    }
    if email.len() > 254 {
        return Err(bad("longer than 254 characters"));
    }
    Ok(())
}

fn check_url(value: &str) -> Result<(), InputError> {
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        Ok(_) => Err(InputError::invalid(
            CsField::ProfileUrl,
            value,
            "must be an http or https URL",
        )),
        Err(e) => Err(InputError::invalid(
            CsField::ProfileUrl,
            value,
            format!("not a URL ({e})"),
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn bad_values_name_their_field() {
        let config = WritebackConfig::default();
        let cases = [
            (
                CsPatch {
                    health: Some(Some(dec("101"))),
                    ..Default::default()
                },
                "health",
            ),
            (
                CsPatch {
                    licence_utilization: Some(Some(dec("-0.5"))),
                    ..Default::default()
                },
                "licence_utilization",
            ),
            (
                CsPatch {
                    cs_owner_email: Some(Some("grace.example.com".into())),
                    ..Default::default()
                },
                "cs_owner_email",
            ),
            (
                CsPatch {
                    cs_owner_email: Some(Some("grace@localhost".into())),
                    ..Default::default()
                },
                "cs_owner_email",
            ),
            (
                CsPatch {
                    profile_url: Some(Some("ftp://x.example".into())),
                    ..Default::default()
                },
                "profile_url",
            ),
        ];
        for (patch, field) in cases {
            let err = validate_patch(&patch, &config).unwrap_err();
            assert!(
                matches!(&err, InputError::Invalid { field: f, .. } if *f == field),
                "{field}: {err}"
            );
        }
        assert_eq!(
            validate_patch(&CsPatch::default(), &config),
            Err(InputError::Empty)
        );
        let bad_id = validate_subject(&CsSubject::Contact("not an id".into()));
        assert!(matches!(
            bad_id,
            Err(InputError::Invalid {
                field: "contact",
                ..
            })
        ));
    }

    #[test]
    fn good_values_are_normalized() {
        let config = WritebackConfig::default();
        let patch = CsPatch {
            health: Some(Some(dec("61.333333"))),
            licence_utilization: Some(Some(dec("140"))),
            stage: Some(Some("  adoption ".into())),
            pulse: Some(Some("   ".into())),
            cs_owner_email: Some(Some("Grace@Example.COM".into())),
            profile_url: Some(Some("https://cs.example.com/a/1".into())),
            ..Default::default()
        };
        let out = validate_patch(&patch, &config).unwrap();
        assert_eq!(out.health, Some(Some(dec("61.3333"))));
        assert_eq!(out.licence_utilization, Some(Some(dec("140"))));
        assert_eq!(out.stage, Some(Some("adoption".into())));
        assert_eq!(out.pulse, Some(None), "blank clears");
        assert_eq!(out.cs_owner_email, Some(Some("Grace@example.com".into())));
    }
}
