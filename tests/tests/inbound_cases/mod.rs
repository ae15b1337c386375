//! The cases of the inbound suite, each on a fresh simulator and store.

mod backfill;
mod compare;
mod incremental;
mod resilience;

pub use backfill::*;
pub use incremental::*;
pub use resilience::*;
