//! What the CLI's commands share: the store with its secret key, workspaces by name, tokens
//! read from a file or an environment variable (never from the command line, where `ps` shows
//! them).

pub mod apikey;
pub mod cs;
pub mod demo;
pub mod sync;
pub mod workspace;

use crate::config::Settings;
use anyhow::{Context as _, bail};
use icsync_store::Store;
use secrecy::SecretString;
use std::path::Path;

/// The store, migrated, able to read and write secrets.
pub async fn keyed_store(settings: &Settings) -> anyhow::Result<Store> {
    let store = crate::startup::open_store(settings, true).await?;
    let key = crate::startup::load_secret_key(settings)?;
    Ok(store.with_secret_key(&key))
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
