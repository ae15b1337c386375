//! The deterministic data generator: every generated value derives from (seed, kind, index).

pub(crate) mod company;
pub(crate) mod contact;
pub(crate) mod conversation;
pub(crate) mod events;
pub(crate) mod words;
