//! Connected Intercom workspaces and their settings.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::WorkspaceId;

/// Intercom's hosting regions, each with its own API host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    #[default]
    Us,
    Eu,
    Au,
}

impl Region {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Us => "us",
            Self::Eu => "eu",
            Self::Au => "au",
        }
    }

    /// Parses `us`/`eu`/`au` in any case (Intercom's `/me` says `"US"`).
    pub fn parse(region: &str) -> Option<Self> {
        match region.to_ascii_lowercase().as_str() {
            "us" => Some(Self::Us),
            "eu" => Some(Self::Eu),
            "au" => Some(Self::Au),
            _ => None,
        }
    }
}

/// A workspace to connect. Secrets stay wrapped until the store encrypts them.
#[derive(Debug, Clone)]
pub struct NewWorkspace {
    pub name: String,
    pub intercom_app_id: Option<String>,
    pub region: Region,
    pub base_url: Option<String>,
    pub access_token: Option<SecretString>,
    pub webhook_secret: Option<SecretString>,
    pub backfill_days: i32,
    pub include_leads: bool,
    pub user_tracking: bool,
    pub primary_source_is_intercom: bool,
    pub writeback_enabled: bool,
    /// The Intercom workspace's IANA time zone, from `/me`.
    pub timezone: Option<String>,
}

impl NewWorkspace {
    /// A workspace named `name` with the defaults: US region, 60-day backfill, users only,
    /// User Tracking off, the host as primary source, writeback off.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            intercom_app_id: None,
            region: Region::Us,
            base_url: None,
            access_token: None,
            webhook_secret: None,
            backfill_days: Workspace::DEFAULT_BACKFILL_DAYS,
            include_leads: false,
            user_tracking: false,
            primary_source_is_intercom: false,
            writeback_enabled: false,
            timezone: None,
        }
    }
}

/// A connected (or disconnected) workspace, with its secrets decrypted but still wrapped.
///
/// `Debug` comes from `SecretString`, which prints `[REDACTED]` instead of the secret.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub intercom_app_id: Option<String>,
    pub region: Region,
    pub base_url: Option<String>,
    pub access_token: Option<SecretString>,
    pub webhook_secret: Option<SecretString>,
    pub user_tracking: bool,
    pub primary_source_is_intercom: bool,
    pub writeback_enabled: bool,
    pub backfill_days: i32,
    /// Import leads as well as users.
    pub include_leads: bool,
    /// The Intercom workspace's time zone (from `/me`); contact search days are in it.
    pub timezone: Option<String>,
    pub connected_at: Option<DateTime<Utc>>,
    pub disconnected_at: Option<DateTime<Utc>>,
    /// Why the workspace's jobs stopped (a revoked token, ...); `None` while healthy.
    pub connection_error: Option<String>,
    pub connection_error_at: Option<DateTime<Utc>>,
}

impl Workspace {
    pub const DEFAULT_BACKFILL_DAYS: i32 = 60;

    /// Connected and not stopped by a connection error: its jobs may run.
    pub fn can_sync(&self) -> bool {
        self.is_connected() && self.connection_error.is_none()
    }

    pub fn is_connected(&self) -> bool {
        self.connected_at.is_some() && self.disconnected_at.is_none()
    }
}
