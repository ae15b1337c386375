//! icsync's typed Intercom REST client (API version 2.11): regions, pinned `Intercom-Version`, resource
//! sub-clients, pagination as resumable page streams, a per-workspace pacer driven by `X-RateLimit-*`,
//! retries with jittered backoff, and one error type.
//!
//! **Invariant**: this is the only crate that knows Intercom's JSON, and it knows nothing of icsync's
//! domain: the inbound pipeline converts [`models`] into domain records.
//!
//! # Checkpoints
//! Every paginated call returns a [`PageStream`]; each [`Page`] carries `next`, the [`Cursor`] to resume
//! from once the page is stored. Write the page's items and `page.next.to_json()` in one transaction, and
//! after a crash resume with the matching `*_from(cursor)` method (same query for searches). The company
//! scroll cannot resume: its cursor is [`Cursor::ScrollRestart`], and a restart re-yields companies.
//!
//! # Pacing
//! One [`Pacer`] per Intercom workspace: share it between every client of the workspace
//! ([`IntercomClient::with_pacer`], or a [`PacerRegistry`]). Requests are admitted by [`Priority`]
//! (`OnView` > `Writeback` > `Backfill`, set with [`IntercomClient::with_priority`]), spaced over the
//! 10-second window advertised by `X-RateLimit-Limit`, braked by `X-RateLimit-Remaining`, held after a 429
//! until `Retry-After`/`X-RateLimit-Reset`, and bounded in flight. Counters: [`IntercomClient::stats`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), icsync_intercom::Error> {
//! use futures::TryStreamExt;
//! use icsync_intercom::{AccessToken, ClientConfig, Cursor, IntercomClient, Priority, Region};
//!
//! let client = IntercomClient::new(ClientConfig::new(Region::Eu, AccessToken::new("token")))?;
//! let me = client.with_priority(Priority::OnView).admins().me().await?;
//! let stored = Cursor::Start; // or Cursor::from_json(&checkpoint)?
//! let mut pages = client.contacts().list_from(stored);
//! while let Some(page) = pages.try_next().await? {
//!     // store page.items and page.next.to_json() in one transaction
//! }
//! # let _ = me; Ok(()) }
//! ```

mod client;
mod config;
mod decode;
mod error;
pub mod models;
pub mod oauth;
mod pacer;
mod page;
pub mod resources;
mod retry;
pub mod search;
mod serde_util;
mod stats;
mod tls;
mod transport;
pub mod webhook;

pub use client::{DEFAULT_PAGE_SIZE, IntercomClient};
pub use config::{
    AccessToken, ClientConfig, DEFAULT_INTERCOM_VERSION, Region, Timeouts, default_user_agent,
};
pub use error::{Error, existing_id_from_message};
pub use pacer::{Observation, Pacer, PacerConfig, PacerRegistry, PacerStatus, Permit, Priority};
pub use page::{Cursor, Page, PageStream, collect_all, items};
pub use resources::{Created, EventsFor, ScrollOptions};
pub use retry::RetryPolicy;
pub use search::{
    Query, SearchRequest, UpdatedSince, contacts_since_in_zone, contacts_updated_since,
    contacts_updated_since_in_zone,
};
pub use stats::StatsSnapshot;
