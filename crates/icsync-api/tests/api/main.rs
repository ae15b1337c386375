//! The API driven as the host app and an admin would, through `tower::ServiceExt::oneshot` on
//! a real SQLite store (and the simulator where Intercom answers). Every answer is checked by
//! the support helper: no secret in it, a request id on it, and errors in the documented shape.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

mod auth;
mod cs;
mod errors;
mod export;
mod feeds;
mod metrics;
mod openapi;
mod profiles;
mod status;
mod support;
mod workspaces;
