//! API keys: creating them (`icsync apikey create`), checking `Authorization: Bearer <key>`
//! against the keys in the store and in configuration, and the scope extractors handlers take.
//!
//! A key is `icsync_<key id>_<secret>`: 8 random bytes of public id (finds the row) and 32 of
//! secret, hex. Only its SHA-256 is stored; a presented key is hashed and compared with the
//! stored hash in constant time. Keys from configuration may be any string of 32 characters or
//! more; they are hashed at startup and compared the same way.
//!
//! **Invariant**: a key is shown once, when created; no response, log line or error holds one.

use crate::error::ApiError;
use crate::state::ApiState;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use icsync_store::{NewApiKey, Store};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Everything: workspaces, status, and all the host endpoints.
    Admin,
    /// What the host app needs: profiles, feeds and CS attributes.
    Host,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Host => "host",
        }
    }

    pub fn parse(scope: &str) -> Option<Self> {
        match scope.trim().to_ascii_lowercase().as_str() {
            "admin" => Some(Self::Admin),
            "host" => Some(Self::Host),
            _ => None,
        }
    }

    /// Whether a key of this scope may call an endpoint that needs `needed`.
    pub fn covers(self, needed: Scope) -> bool {
        self == Scope::Admin || self == needed
    }
}

/// A key given in configuration (`[[api.keys]]`, its secret from the environment).
#[derive(Debug, Clone)]
pub struct ConfiguredKey {
    pub name: String,
    pub scope: Scope,
    pub key: SecretString,
}

/// Configured keys shorter than this are refused at startup.
pub const MIN_CONFIGURED_KEY_LEN: usize = 32;

impl ConfiguredKey {
    /// Checks the key is long enough to resist guessing; the error names the key.
    pub fn validate(&self) -> Result<(), String> {
        let length = self.key.expose_secret().chars().count();
        if length < MIN_CONFIGURED_KEY_LEN {
            return Err(format!(
                "API key {:?} is {length} characters long; use at least {MIN_CONFIGURED_KEY_LEN} \
                 random characters (or create one with `icsync apikey create`)",
                self.name
            ));
        }
        Ok(())
    }
}

/// A configured key as kept in memory: its hash only.
#[derive(Debug, Clone)]
pub(crate) struct KeyHash {
    pub name: String,
    pub scope: Scope,
    pub hash: [u8; 32],
}

impl From<&ConfiguredKey> for KeyHash {
    fn from(key: &ConfiguredKey) -> Self {
        KeyHash {
            name: key.name.clone(),
            scope: key.scope,
            hash: sha256(key.key.expose_secret()),
        }
    }
}

fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

const PREFIX: &str = "icsync_";
const KEY_ID_BYTES: usize = 8;
const SECRET_BYTES: usize = 32;

/// Creates a key of `scope`, stores its hash, and returns its id and the key itself (shown to
/// the admin once; icsync cannot show it again).
pub async fn create_api_key(
    store: &Store,
    scope: Scope,
    name: Option<&str>,
) -> Result<(i64, SecretString), ApiError> {
    let name = match name.map(str::trim) {
        Some("") => return Err(ApiError::validation("name", "a key name cannot be blank")),
        Some(name) if name.chars().count() > 100 => {
            return Err(ApiError::validation(
                "name",
                "a key name is at most 100 characters",
            ));
        }
        Some(name) => name.to_owned(),
        None => format!("{} key", scope.as_str()),
    };
    let mut rng = rand::rng();
    let mut id_bytes = [0u8; KEY_ID_BYTES];
    let mut secret_bytes = [0u8; SECRET_BYTES];
    rng.fill_bytes(&mut id_bytes);
    rng.fill_bytes(&mut secret_bytes);
    let key_id = hex::encode(id_bytes);
    let key = SecretString::from(format!("{PREFIX}{key_id}_{}", hex::encode(secret_bytes)));
    let stored = store
        .insert_api_key(&NewApiKey {
            key_id,
            name,
            scope: scope.as_str().to_owned(),
            key_hash: hex::encode(sha256(key.expose_secret())),
        })
        .await?;
    Ok((stored.id, key))
}

/// The public id of a key made by [`create_api_key`], if `key` has that shape.
fn key_id_of(key: &str) -> Option<&str> {
    let rest = key.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let hex_of =
        |s: &str, bytes: usize| s.len() == bytes * 2 && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex_of(id, KEY_ID_BYTES) && hex_of(secret, SECRET_BYTES)).then_some(id)
}

/// Who is calling.
#[derive(Debug, Clone)]
pub struct Caller {
    pub scope: Scope,
    /// The key's name (never the key).
    pub key_name: String,
}

/// Checks the request's bearer key and that its scope covers `needed`.
pub(crate) async fn authenticate(
    state: &ApiState,
    parts: &Parts,
    needed: Scope,
) -> Result<Caller, ApiError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::Unauthorized(
                "this endpoint needs an API key: send `Authorization: Bearer <key>` \
                 (create one with `icsync apikey create --scope admin|host`)"
                    .to_owned(),
            )
        })?
        .to_str()
        .unwrap_or("");
    let presented = match header.split_once(' ') {
        Some((scheme, key)) if scheme.eq_ignore_ascii_case("bearer") && !key.trim().is_empty() => {
            key.trim()
        }
        _ => {
            return Err(ApiError::Unauthorized(
                "the Authorization header must be `Bearer <key>`".to_owned(),
            ));
        }
    };
    let caller = identify_key(state, presented).await?.ok_or_else(|| {
        ApiError::Unauthorized(
            "the API key is not one icsync knows (or it was revoked): check it, or create \
             another with `icsync apikey create`"
                .to_owned(),
        )
    })?;
    tracing::Span::current().record("api_key", caller.key_name.as_str());
    if !caller.scope.covers(needed) {
        return Err(ApiError::Forbidden(format!(
            "this endpoint needs an {} key; the key {:?} has scope {}",
            needed.as_str(),
            caller.key_name,
            caller.scope.as_str()
        )));
    }
    Ok(caller)
}

/// Who `presented` belongs to: a configured key or one in the store (not revoked), compared in
/// constant time; `None` for a key icsync does not know. Public so other front ends over the
/// same state (the console's sign-in and session cookie) check keys exactly as the API does.
pub async fn identify_key(state: &ApiState, presented: &str) -> Result<Option<Caller>, ApiError> {
    let hash = sha256(presented);
    // Every configured key is compared, whatever matched, so timing tells nothing.
    let mut found: Option<Caller> = None;
    for key in state.configured_keys() {
        let same: bool = key.hash.ct_eq(&hash).into();
        if same && found.is_none() {
            found = Some(Caller {
                scope: key.scope,
                key_name: key.name.clone(),
            });
        }
    }
    if found.is_some() {
        return Ok(found);
    }
    let Some(key_id) = key_id_of(presented) else {
        return Ok(None);
    };
    let Some(stored) = state.store().api_key_by_key_id(key_id).await? else {
        return Ok(None);
    };
    let Ok(stored_hash) = hex::decode(&stored.key_hash) else {
        return Ok(None);
    };
    let same: bool = stored_hash.ct_eq(&hash[..]).into();
    if !same || stored.revoked_at.is_some() {
        return Ok(None);
    }
    let Some(scope) = Scope::parse(&stored.scope) else {
        tracing::error!(key = %stored.name, scope = %stored.scope, "api key has an unknown scope, refused");
        return Ok(None);
    };
    Ok(Some(Caller {
        scope,
        key_name: stored.name,
    }))
}

/// A caller with an admin key.
#[derive(Debug, Clone)]
pub struct AdminKey(pub Caller);

/// A caller with a host key (or an admin key: admin covers everything).
#[derive(Debug, Clone)]
pub struct HostKey(pub Caller);

impl FromRequestParts<ApiState> for AdminKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        authenticate(state, parts, Scope::Admin).await.map(AdminKey)
    }
}

impl FromRequestParts<ApiState> for HostKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        authenticate(state, parts, Scope::Host).await.map(HostKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_keys_have_an_id() {
        let id = "0123456789abcdef";
        let secret = "ab".repeat(32);
        assert_eq!(key_id_of(&format!("icsync_{id}_{secret}")), Some(id));
        assert_eq!(key_id_of(&format!("icsync_{id}_{secret}x")), None);
        assert_eq!(key_id_of(&format!("icsync_{id}")), None);
        assert_eq!(key_id_of(&format!("other_{id}_{secret}")), None);
        assert_eq!(key_id_of("icsync_zzzzzzzzzzzzzzzz_"), None);
    }

    #[test]
    fn admin_covers_host_and_host_covers_only_host() {
        assert!(Scope::Admin.covers(Scope::Host));
        assert!(Scope::Admin.covers(Scope::Admin));
        assert!(Scope::Host.covers(Scope::Host));
        assert!(!Scope::Host.covers(Scope::Admin));
        assert_eq!(Scope::parse(" Admin "), Some(Scope::Admin));
        assert_eq!(Scope::parse("root"), None);
    }

    #[test]
    fn short_configured_keys_are_refused_by_name() {
        let key = ConfiguredKey {
            name: "ops".into(),
            scope: Scope::Admin,
            key: SecretString::from("short".to_owned()),
        };
        let err = key.validate().unwrap_err();
        assert!(err.contains("\"ops\"") && err.contains("32"), "{err}");
        assert!(
            !err.contains("short"),
            "the key itself is never in the message"
        );
    }
}
