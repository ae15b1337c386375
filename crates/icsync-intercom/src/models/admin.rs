//! Admins (teammates): `GET /me` for test-connection, `GET /admins` for CS-owner lookup.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An admin; from `GET /me` it carries the workspace (`app`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Admin {
    /// Admin id (numeric string).
    #[serde(with = "crate::serde_util::id")]
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Job title.
    #[serde(default)]
    pub job_title: Option<String>,
    /// Whether the email is verified (`/me` only).
    #[serde(default)]
    pub email_verified: Option<bool>,
    /// Away mode.
    #[serde(default)]
    pub away_mode_enabled: Option<bool>,
    /// Inbox seat.
    #[serde(default)]
    pub has_inbox_seat: Option<bool>,
    /// Teams (ids).
    #[serde(default, deserialize_with = "crate::serde_util::null_default")]
    pub team_ids: Vec<serde_json::Value>,
    /// The workspace, present on `GET /me`.
    #[serde(default)]
    pub app: Option<App>,
}

/// The workspace an admin's token belongs to (`GET /me` `app`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct App {
    /// Workspace id (`ecahpwf5`).
    #[serde(default)]
    pub id_code: Option<String>,
    /// Workspace name.
    #[serde(default)]
    pub name: Option<String>,
    /// IANA time zone (`Europe/Dublin`): contact search by date is day-granular in it.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Hosting region (`US`, `Europe`, `Australia`).
    #[serde(default)]
    pub region: Option<String>,
    /// Creation time.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub created_at: Option<DateTime<Utc>>,
    /// Identity verification enabled.
    #[serde(default)]
    pub identity_verification: Option<bool>,
}

/// `{type: "admin.list", admins: [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdminList {
    /// The admins.
    #[serde(default, deserialize_with = "crate::serde_util::null_default")]
    pub admins: Vec<Admin>,
}
