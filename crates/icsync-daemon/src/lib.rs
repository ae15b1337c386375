//! The icsync daemon: configuration, telemetry, the CLI, the HTTP server and (later) the
//! scheduler. `main.rs` only parses arguments and maps errors to exit codes.

pub mod bench;
pub mod cli;
pub mod commands;
pub mod config;
pub mod http;
pub mod startup;
pub mod telemetry;

pub use config::{ConfigError, Settings};
pub use startup::Application;
