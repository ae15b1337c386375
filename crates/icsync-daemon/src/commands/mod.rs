//! Command implementations that do not fit in `cli.rs`.

pub mod cs;
