//! icsync's inbound pipeline: Intercom users, their companies and their data events into the
//! store, as resumable streams with checkpoints.
//!
//! - [`workspaces`]: connect (tests the token with `GET /me` first), change settings (User
//!   Tracking on starts a backfill), disconnect.
//! - [`sync_workspace`]: one pass of the `users`, `companies` and `events` streams (a 60-day
//!   backfill the first time, incremental afterwards), each recorded in `sync_runs`.
//! - [`convert`]: the only place that turns the client's wire models into domain records.
//! - The `conversations` stream (every pass, User Tracking or not): conversations with every
//!   part, "500 of N" when Intercom truncates, linked to contacts and host emails.
//! - [`OnViewFetcher`]: a profile view imports that contact's conversations unless fresh, one
//!   upstream fetch however many views, answering within a timeout (stale from the store).
//! - [`webhook_router`]: signed Intercom notifications applied idempotently and in any order.
//!
//! **Invariant**: a page's records and its checkpoint commit together; a run killed anywhere
//! resumes at the last committed page, and re-reading a page changes nothing.
//! **Invariant**: with User Tracking off, the users, companies and events streams send no
//! request.
//! **Invariant**: a record that cannot be converted never fails its page: it is skipped,
//! counted by reason and logged with its id.

pub mod bench;
mod client;
mod config;
mod control;
pub mod convert;
mod error;
mod onview;
mod report;
mod streams;
mod sync;
mod tags;
mod webhooks;
pub mod workspaces;

pub use client::{ClientSettings, client_config, client_for, client_region, pacer_key};
pub use config::InboundConfig;
pub use control::{RunControl, StopReason};
pub use error::{InboundError, Result};
pub use icsync_domain::{conversation_inbox_url, intercom_app_origin};
pub use onview::{
    ContactFetch, Freshness, FreshnessState, OnViewFetcher, sync_contact_conversations,
};
pub use report::{NoProgress, Progress, StreamReport, SyncReport};
pub use sync::{STREAMS, SyncOptions, sync_workspace};
pub use webhooks::{Outcome as WebhookOutcome, WebhookCounts, WebhookState, webhook_router};
