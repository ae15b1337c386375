//! Rendering of model objects as Intercom 2.11 JSON (the simulator's own wire model).

pub(crate) mod company;
pub(crate) mod contact;
pub(crate) mod conversation;
pub(crate) mod misc;
