//! The handlers, one module per area, and what they share: finding the workspace a host
//! request is about, and reading contact and account keys.

pub(crate) mod accounts;
pub(crate) mod connect;
pub(crate) mod contacts;
pub(crate) mod cs;
pub(crate) mod export;
pub(crate) mod feeds;
pub(crate) mod service;
pub(crate) mod status;
pub(crate) mod workspaces;

use crate::error::{ApiError, ApiResult};
use crate::extract::check_text;
use crate::state::ApiState;
use icsync_domain::Workspace;
use icsync_store::{CompanyLookup, ContactLookup, LocatedCompany, LocatedContact};
use serde::Deserialize;
use utoipa::IntoParams;

/// The longest workspace name icsync accepts.
pub(crate) const NAME_MAX: usize = 100;
/// The longest contact or account key icsync accepts.
pub(crate) const KEY_MAX: usize = 512;

/// `?workspace=NAME`, needed when more than one workspace exists.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct WorkspaceQuery {
    /// The workspace, by name; may be left out while only one workspace exists.
    pub workspace: Option<String>,
}

/// The workspace named `name`, or 404.
pub async fn workspace_named(state: &ApiState, name: &str) -> ApiResult<Workspace> {
    check_text("name", name, NAME_MAX).map_err(|_| ApiError::WorkspaceNotFound(name.to_owned()))?;
    state
        .store()
        .workspace_by_name(name)
        .await?
        .ok_or_else(|| ApiError::WorkspaceNotFound(name.to_owned()))
}

/// The workspace a host request is about: the one named, or the only one.
pub async fn resolve_workspace(state: &ApiState, name: Option<&str>) -> ApiResult<Workspace> {
    if let Some(name) = name {
        check_text("workspace", name, NAME_MAX)?;
        return workspace_named(state, name).await;
    }
    const LISTED: u64 = 10;
    let names = state.store().workspace_names(LISTED + 1).await?;
    match names.as_slice() {
        [] => Err(ApiError::NoWorkspace),
        [only] => workspace_named(state, only).await,
        several => {
            let mut listed = several
                .iter()
                .take(LISTED as usize)
                .map(|n| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(", ");
            if several.len() as u64 > LISTED {
                listed.push_str(", ...");
            }
            Err(ApiError::WorkspaceRequired {
                count: several.len(),
                listed,
            })
        }
    }
}

/// A contact key: `icsync:<id>`, `intercom:<id>`, `external:<id>`, `email:<address>`, or a
/// bare id (Intercom's id, else, when it is a number, icsync's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ContactKey {
    Bare(String),
    Icsync(i64),
    Intercom(String),
    External(String),
    Email(String),
}

pub(crate) fn parse_contact_key(key: &str) -> ApiResult<ContactKey> {
    check_text("key", key, KEY_MAX)?;
    let value = |rest: &str, what: &str| -> ApiResult<String> {
        if rest.trim().is_empty() {
            return Err(ApiError::parameter(
                "key",
                format!("the key gives no {what} after its prefix"),
            ));
        }
        Ok(rest.to_owned())
    };
    if let Some(rest) = key.strip_prefix("icsync:") {
        return rest.parse::<i64>().map(ContactKey::Icsync).map_err(|_| {
            ApiError::parameter(
                "key",
                format!("icsync:{rest} is not an icsync id (a number)"),
            )
        });
    }
    if let Some(rest) = key.strip_prefix("intercom:") {
        return value(rest, "Intercom id").map(ContactKey::Intercom);
    }
    if let Some(rest) = key.strip_prefix("external:") {
        return value(rest, "external id").map(ContactKey::External);
    }
    if let Some(rest) = key.strip_prefix("email:") {
        let email = value(rest, "email")?;
        if !email.contains('@') {
            return Err(ApiError::parameter(
                "key",
                format!("email:{email} is not an email address"),
            ));
        }
        return Ok(ContactKey::Email(email));
    }
    Ok(ContactKey::Bare(key.to_owned()))
}

/// The contacts a key names (several for an email shared by several Intercom contacts), or 404.
pub(crate) async fn find_contacts(
    state: &ApiState,
    workspace: &Workspace,
    key: &str,
) -> ApiResult<Vec<LocatedContact>> {
    let parsed = parse_contact_key(key)?;
    let store = state.store();
    let ws = workspace.id;
    let found = match &parsed {
        ContactKey::Icsync(id) => {
            store
                .find_contacts(ws, ContactLookup::IcsyncId(*id))
                .await?
        }
        ContactKey::Intercom(id) => {
            store
                .find_contacts(ws, ContactLookup::IntercomId(id))
                .await?
        }
        ContactKey::External(id) => {
            store
                .find_contacts(ws, ContactLookup::ExternalId(id))
                .await?
        }
        ContactKey::Email(email) => store.find_contacts(ws, ContactLookup::Email(email)).await?,
        ContactKey::Bare(id) => {
            let by_intercom = store
                .find_contacts(ws, ContactLookup::IntercomId(id))
                .await?;
            match id.parse::<i64>() {
                Ok(number) if by_intercom.is_empty() => {
                    store
                        .find_contacts(ws, ContactLookup::IcsyncId(number))
                        .await?
                }
                _ => by_intercom,
            }
        }
    };
    if found.is_empty() {
        return Err(ApiError::ContactNotFound(key.to_owned()));
    }
    Ok(found)
}

/// An account key: `icsync:<id>`, `intercom:<id>`, `company_id:<the workspace's own id>`, or a
/// bare id (Intercom's id, else, when it is a number, icsync's).
pub(crate) async fn find_account(
    state: &ApiState,
    workspace: &Workspace,
    key: &str,
) -> ApiResult<LocatedCompany> {
    check_text("key", key, KEY_MAX)?;
    let store = state.store();
    let ws = workspace.id;
    let nonempty = |rest: &str, what: &str| -> ApiResult<()> {
        if rest.trim().is_empty() {
            return Err(ApiError::parameter(
                "key",
                format!("the key gives no {what} after its prefix"),
            ));
        }
        Ok(())
    };
    let found = if let Some(rest) = key.strip_prefix("icsync:") {
        let id = rest.parse::<i64>().map_err(|_| {
            ApiError::parameter(
                "key",
                format!("icsync:{rest} is not an icsync id (a number)"),
            )
        })?;
        store.find_company(ws, CompanyLookup::IcsyncId(id)).await?
    } else if let Some(rest) = key.strip_prefix("intercom:") {
        nonempty(rest, "Intercom id")?;
        store
            .find_company(ws, CompanyLookup::IntercomId(rest))
            .await?
    } else if let Some(rest) = key.strip_prefix("company_id:") {
        nonempty(rest, "company_id")?;
        store
            .find_company(ws, CompanyLookup::CompanyId(rest))
            .await?
    } else {
        match store
            .find_company(ws, CompanyLookup::IntercomId(key))
            .await?
        {
            Some(found) => Some(found),
            None => match key.parse::<i64>() {
                Ok(id) => store.find_company(ws, CompanyLookup::IcsyncId(id)).await?,
                Err(_) => None,
            },
        }
    };
    found.ok_or_else(|| ApiError::AccountNotFound(key.to_owned()))
}

/// Checks an optional page size against `1..=max`, defaulting to `default`.
pub(crate) fn limit(value: Option<u32>, field: &str, default: u32, max: u32) -> ApiResult<u64> {
    match value {
        None => Ok(u64::from(default)),
        Some(n) if (1..=max).contains(&n) => Ok(u64::from(n)),
        Some(n) => Err(ApiError::parameter(
            field,
            format!("{field} must be between 1 and {max}, not {n}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_keys_read_their_prefix() {
        assert_eq!(
            parse_contact_key("icsync:12").unwrap(),
            ContactKey::Icsync(12)
        );
        assert_eq!(
            parse_contact_key("email:Ada@Example.com").unwrap(),
            ContactKey::Email("Ada@Example.com".into())
        );
        assert_eq!(
            parse_contact_key("external:u-1").unwrap(),
            ContactKey::External("u-1".into())
        );
        assert_eq!(
            parse_contact_key("667d60a88a68186f43bafdb8").unwrap(),
            ContactKey::Bare("667d60a88a68186f43bafdb8".into())
        );
        for bad in ["icsync:x", "email:nobody", "external:", "", "a\u{0}b"] {
            assert!(
                matches!(parse_contact_key(bad), Err(ApiError::InvalidParameter { ref field, .. }) if field == "key"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn limits_name_their_parameter() {
        assert_eq!(limit(None, "limit", 100, 1000).unwrap(), 100);
        assert_eq!(limit(Some(1000), "limit", 100, 1000).unwrap(), 1000);
        assert!(matches!(
            limit(Some(0), "limit", 100, 1000),
            Err(ApiError::InvalidParameter { field, .. }) if field == "limit"
        ));
    }
}
