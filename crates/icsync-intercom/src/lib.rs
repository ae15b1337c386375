//! icsync's typed Intercom REST client (API version 2.11): regions, pinned `Intercom-Version`, resource
//! sub-clients, pagination as resumable page streams, a per-workspace pacer driven by `X-RateLimit-*`,
//! retries with jittered backoff, and one error type.
//!
//! **Invariant**: this is the only crate that knows Intercom's JSON, and it knows nothing of icsync's
//! domain: the inbound pipeline converts [`models`] into domain records.
//!
//! ```no_run
//! # async fn demo() -> Result<(), icsync_intercom::Error> {
//! use futures::TryStreamExt;
//! use icsync_intercom::{AccessToken, ClientConfig, IntercomClient, Priority, Region};
//!
//! let client = IntercomClient::new(ClientConfig::new(Region::Eu, AccessToken::new("token")))?;
//! let me = client.with_priority(Priority::OnView).admins().me().await?;
//! let mut pages = client.contacts().list();
//! while let Some(page) = pages.try_next().await? {
//!     // store page.items and page.next in one transaction; resume later with list_from(next)
//! }
//! # let _ = me; Ok(()) }
//! ```

mod client;
mod config;
mod decode;
mod error;
pub mod models;
mod pacer;
mod page;
pub mod resources;
mod retry;
pub mod search;
mod serde_util;
mod stats;
mod tls;
mod transport;

pub use client::{DEFAULT_PAGE_SIZE, IntercomClient};
pub use config::{
    AccessToken, ClientConfig, DEFAULT_INTERCOM_VERSION, Region, Timeouts, default_user_agent,
};
pub use error::{Error, existing_id_from_message};
pub use pacer::{Observation, Pacer, PacerConfig, PacerRegistry, PacerStatus, Permit, Priority};
pub use page::{Cursor, Page, PageStream, collect_all, items};
pub use resources::{Created, EventsFor, ScrollOptions};
pub use retry::RetryPolicy;
pub use stats::StatsSnapshot;
