//! The cases of the inbound suite, each on a fresh simulator and store.

mod backfill;
mod compare;
mod incremental;
mod resilience;
mod sessions;
mod tags;

pub use backfill::*;
pub use incremental::*;
pub use resilience::*;
pub use sessions::*;
pub use tags::*;
