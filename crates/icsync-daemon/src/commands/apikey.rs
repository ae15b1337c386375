//! `icsync apikey create|list|revoke`: the HTTP API's keys, stored hashed. A new key is shown
//! once, on standard output, and never again.

use crate::config::Settings;
use anyhow::{Context as _, bail};
use clap::Subcommand;
use icsync_api::Scope;
use secrecy::ExposeSecret;

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key and print it once (store it now: icsync keeps only its hash).
    Create {
        /// `admin` (everything) or `host` (profiles, feeds, CS attributes).
        #[arg(long)]
        scope: String,
        /// A name to tell keys apart (default: "<scope> key").
        #[arg(long)]
        name: Option<String>,
    },
    /// List the stored keys (ids, names, scopes; never the keys).
    List,
    /// Revoke a key by its id (from `icsync apikey list`); it is refused from then on.
    Revoke { id: i64 },
}

pub async fn run(command: ApiKeyCommand, settings: &Settings) -> anyhow::Result<()> {
    let store = crate::startup::open_store(settings, true).await?;
    match command {
        ApiKeyCommand::Create { scope, name } => {
            let scope = Scope::parse(&scope)
                .with_context(|| format!("--scope {scope:?} is neither admin nor host"))?;
            let (id, key) = icsync_api::create_api_key(&store, scope, name.as_deref())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!(
                "created {} key {id}; it is shown once, below (send it as `Authorization: Bearer <key>`):",
                scope.as_str()
            );
            println!("{}", key.expose_secret());
        }
        ApiKeyCommand::List => {
            let keys = store.api_keys().await?;
            if keys.is_empty() {
                println!("no API keys yet: create one with `icsync apikey create --scope admin`");
            }
            for key in keys {
                println!(
                    "{:>4}  {:<6} {:<30} created {}{}",
                    key.id,
                    key.scope,
                    key.name,
                    key.created_at.format("%Y-%m-%d %H:%M"),
                    key.revoked_at
                        .map(|at| format!(", revoked {}", at.format("%Y-%m-%d %H:%M")))
                        .unwrap_or_default()
                );
            }
        }
        ApiKeyCommand::Revoke { id } => {
            if !store.revoke_api_key(id).await? {
                bail!("no live API key has id {id} (see `icsync apikey list`)");
            }
            println!("revoked API key {id}");
        }
    }
    store.close().await;
    Ok(())
}
