#![recursion_limit = "256"]
//! icsync-intercom-sim: an in-memory Intercom (REST API 2.11) simulator for tests, demos and
//! benchmarks, with deterministic generated data, fault knobs and a request journal.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use icsync_intercom_sim::{SimConfig, Simulator};
//! let sim = Simulator::start(SimConfig { contacts: 500, ..Default::default() }, "127.0.0.1:0".parse()?).await?;
//! println!("{} {}", sim.base_url(), sim.token());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

pub(crate) mod api;
mod cli;
mod config;
mod control;
mod error;
pub(crate) mod generate;
mod handle;
pub(crate) mod model;
pub(crate) mod render;
pub(crate) mod rng;
mod server;
mod webhooks;

pub use cli::{SimulateArgs, run_cli};
pub use config::{FaultConfig, OAuthConfig, Region, SimConfig};
pub use control::{ContactRef, ContactRole, ContactsJson, EventCounts, Knobs, NewContact, Summary};
pub use error::{ApiError, SimError};
pub use handle::{SimHandle, Simulator};
pub use server::journal::JournalEntry;
pub use webhooks::deliver::signature as webhook_signature;
pub use webhooks::journal::WebhookDelivery;
pub use webhooks::{Forgery, WebhookConfig, WebhookFaults};
