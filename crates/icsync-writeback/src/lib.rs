//! icsync's outbound pusher: the CS attributes the host sets on contacts and accounts are
//! written back to the Intercom contact and company as custom attributes, exactly as the host
//! last set them.
//!
//! - [`Writeback::set`] / [`Writeback::import`]: host input, validated (nothing stored when a
//!   value is bad), versioned; a row waits for a push when its trigger fields (default health,
//!   stage, pulse) differ from the last *successful* push. The whole set is pushed, so owner or
//!   URL changes ride along with the next trigger.
//! - [`Writeback::drain_once`]: the step function the loop, `icsync push` and tests call; it
//!   checks the workspace's gates, provisions the data attributes, and pushes due rows at
//!   `Writeback` priority with bounded concurrency. [`Writeback::run`] is the loop.
//! - [`Writeback::status`] and [`Writeback::plan`]: what the API, the console and
//!   `icsync push --dry-run` show.
//!
//! **Invariant**: only this crate sends mutating requests to Intercom.
//! **Invariant**: a failed push never becomes the baseline; a push whose outcome is unknown
//! erases it, so the final Intercom state equals the host's values whatever the interleaving
//! of host writes, pushes, 5xx, 429s and restarts.

mod config;
mod delivery;
pub mod export;
mod import;
mod input;
mod provision;
mod push;
mod runner;
mod service;
mod status;
mod writer;

pub use config::{AttributeNames, AttributeType, Backoff, ConfigProblem, Model, WritebackConfig};
pub use import::{FileError, ImportFormat, ParsedRow};
pub use input::{InputError, validate_patch, validate_subject};
pub use push::{DrainOptions, Outcome, Progress, PushSummary, RowFailure};
pub use service::{AttributeChange, Clock, ImportReport, PlannedPush, Writeback, WritebackError};
pub use status::{Blocked, FailedPush, WritebackStatus, blocked};
pub use writer::{IntercomWriter, WriterSource};
