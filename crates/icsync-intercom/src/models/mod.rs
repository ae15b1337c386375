//! Wire models: Intercom's 2.11 JSON as Rust types, tolerant of added fields and missing optional ones.
//!
//! **Invariant**: these types are Intercom's shapes, not icsync's; the inbound pipeline converts them to
//! domain records. Contacts and companies keep every field this crate does not name in `extra`.

mod admin;
mod common;
mod company;
mod contact;
mod conversation;
mod data_attribute;
mod event;
pub(crate) mod extra;
mod items;
mod tag;

pub use admin::{Admin, AdminList, App};
pub use common::{AddressableList, ObjectRef, Pages, TagList};
pub use company::{Company, CompanyUpsert, Plan};
pub use contact::{
    Avatar, Contact, ContactArchived, ContactDeleted, ContactRole, ContactWrite, Location,
};
pub use conversation::{
    Author, Conversation, ConversationContactRef, ConversationContacts, ConversationPart,
    ConversationPartList, ConversationSource, ConversationState, ConversationStatistics,
    MAX_PARTS_RETURNED, PartsCompleteness,
};
pub use data_attribute::{DataAttribute, DataAttributeCreate, DataAttributeModel, DataType};
pub use event::{DataEvent, EventSummaries, EventSummary};
pub use items::{Items, RejectedItem};
pub use tag::Tag;
