//! SeaORM entities, one per table; the migrations are the source of truth for the schema.

pub mod api_key;
pub mod company;
pub mod contact;
pub mod contact_company;
pub mod conversation;
pub mod conversation_contact;
pub mod conversation_part;
pub mod cs_attribute;
pub mod event;
pub mod export;
pub mod export_record;
pub mod export_tag;
pub mod instance;
pub mod seen_signal;
pub mod session;
pub mod sync_checkpoint;
pub mod sync_run;
pub mod workspace;
pub mod workspace_lease;
pub mod writeback_state;
