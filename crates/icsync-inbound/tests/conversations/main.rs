//! End-to-end suites of conversations against the simulator: the stream (backfill, polls,
//! User Tracking off, resume), webhooks (signed, idempotent, order-proof) and on-view fetches.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

mod on_view;
mod stream;
mod support;
mod webhooks;
