//! icsync's domain: id newtypes and the records every flow passes around, with no IO.
//!
//! **Invariant**: nothing here knows Intercom's JSON or the database. The Intercom client has its
//! own wire models and the store its own entities; the inbound pipeline converts between them.
//! Everything here is pure and cheap to test.

mod attributes;
mod company;
mod contact;
mod conversation;
mod cs;
mod event;
mod export;
mod hash;
mod ids;
mod inbox;
mod session;
mod sync;
mod workspace;

pub use attributes::{AttributeMap, SplitAttributes, split_custom_attributes};
pub use company::Company;
pub use contact::{Contact, ContactRole, Location, normalize_email};
pub use conversation::{Author, Conversation, ConversationPart, ConversationSource};
pub use cs::{CsAttributes, CsField, CsPatch, CsSubject, CsValue, TriggerSet};
pub use event::Event;
pub use export::{
    AttributeTarget, CreationMode, DataType, ExportBlocked, ExportSettings, FieldMapping,
    HostRecord, IMPORTED_TAGS_KEY, ImportedTag, RecordProblem, RemovalMode, StandardAttribute,
    SyncMode, imported_tags, imported_tags_value, normalize_tag_name, tag_key, wire_value,
};
pub use hash::ContentHash;
pub use ids::{CompanyId, ContactId, ConversationId, PartId, WorkspaceId};
pub use inbox::{conversation_inbox_url, intercom_app_origin};
pub use session::Session;
pub use sync::{Checkpoint, RunStatus, StreamName, SyncRunStats};
pub use workspace::{NewWorkspace, Region, Workspace};
