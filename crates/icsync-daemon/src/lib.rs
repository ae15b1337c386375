//! The icsync daemon: configuration, telemetry, the CLI, and `icsync serve` (the HTTP API,
//! the scheduled sync jobs with their leases, the writeback loop). `main.rs` only parses
//! arguments and maps errors to exit codes.

pub mod bench;
pub mod cli;
pub mod commands;
pub mod config;
pub mod jobs;
pub mod services;
pub mod startup;
pub mod telemetry;

pub use config::{ConfigError, Settings};
pub use startup::Application;
