//! The console over a real API state on a temp SQLite store: sessions and scopes, forms and
//! their guards, and what each page shows. Every answer is checked for leaked secrets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pages;
mod sessions;
mod support;
