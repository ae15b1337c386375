//! The in-memory model of one Intercom workspace.

pub(crate) mod attribute;
pub(crate) mod company;
pub(crate) mod contact;
pub(crate) mod conversation;
pub(crate) mod event;
pub(crate) mod ids;
pub(crate) mod keyindex;
pub(crate) mod world;
