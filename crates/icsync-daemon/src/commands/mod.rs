//! What the CLI's commands share: the store with its secret key, workspaces by name, tokens
//! read from a file or an environment variable (never from the command line, where `ps` shows
//! them).

pub mod apikey;
pub mod cs;
pub mod demo;
pub mod export;
pub mod sync;
pub mod workspace;

use crate::config::Settings;
use anyhow::{Context as _, bail};
use icsync_domain::Workspace;
use icsync_store::{SecretKey, Store};
use secrecy::SecretString;
use std::path::Path;

/// The store, migrated, able to read and write secrets.
pub async fn keyed_store(settings: &Settings) -> anyhow::Result<Store> {
    let store = crate::startup::open_store(settings, true).await?;
    let key = crate::startup::load_secret_key(settings)?;
    Ok(store.with_secret_key(&key))
}

/// The configured store with its secret key (to read workspaces and their tokens), not
/// migrated: a store whose schema is behind is refused with what to run.
pub(crate) async fn open(settings: &Settings) -> anyhow::Result<Store> {
    let store = crate::startup::open_store(settings, false).await?;
    let (key, _) =
        SecretKey::load_or_create(settings.secret_key.as_ref(), &settings.secret_key_path())
            .context("failed to load the secret key")?;
    Ok(store.with_secret_key(&key))
}

/// A workspace by name; an unknown name is an error listing the known ones.
pub(crate) async fn find_workspace(store: &Store, name: &str) -> anyhow::Result<Workspace> {
    let workspaces = store.workspaces().await?;
    let names: Vec<&str> = workspaces.iter().map(|w| w.name.as_str()).collect();
    let found = workspaces.iter().find(|w| w.name == name).cloned();
    found.with_context(|| {
        if names.is_empty() {
            format!("no workspace named {name:?}: no workspace is connected yet (icsync workspace connect)")
        } else {
            format!(
                "no workspace named {name:?}; workspaces: {}",
                names.join(", ")
            )
        }
    })
}

/// A token from `--token-file` or `--token-env`, trimmed.
pub fn read_token(file: Option<&Path>, env: Option<&str>) -> anyhow::Result<SecretString> {
    let text = match (file, env) {
        (Some(path), None) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the token file {}", path.display()))?,
        (None, Some(var)) => std::env::var(var).map_err(|_| {
            anyhow::anyhow!("the environment variable {var} (--token-env) is not set")
        })?,
        _ => bail!("give the Intercom access token with --token-file FILE or --token-env VAR"),
    };
    let token = text.trim();
    if token.is_empty() {
        bail!("the access token is empty");
    }
    if token.chars().any(char::is_whitespace) {
        bail!(
            "the access token contains spaces or line breaks: the file or variable must hold the token alone"
        );
    }
    Ok(SecretString::from(token.to_owned()))
}

/// `on`/`off` as a switch.
pub fn switch(value: &str) -> anyhow::Result<bool> {
    match value.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        other => bail!("expected on or off, not {other:?}"),
    }
}
