//! icsync's schema as SeaORM migrations, applied in order by [`Migrator`].
//!
//! **Invariant**: migrations name tables and columns by string and never import the store's
//! entities, so an old migration keeps its meaning when the entities move on.
//! **Invariant**: every unique key starts with `workspace_id`.

pub use sea_orm_migration::prelude::*;

mod common;
mod m20261123_000001_create_workspaces;
mod m20261123_000002_create_contacts_and_companies;
mod m20261123_000003_create_events_and_sessions;
mod m20261123_000004_create_conversations;
mod m20261123_000005_create_cs_attributes;
mod m20261123_000006_create_sync_state;
mod m20261201_000001_add_inbound_state;
mod m20261201_000002_create_seen_signals;
mod m20261201_000010_extend_writeback_queue;
mod m20261201_000020_create_api_keys;
mod m20261201_000021_add_run_progress_and_session_feed;
mod m20261201_000030_add_conversation_state;
mod m20261202_000040_create_exports;
mod m20261202_000050_create_leases;
mod m20261204_000060_cluster_event_keys;

/// Applies icsync's migrations; see [`MigratorTrait`] for `up`, `down`, `status`.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_workspaces::Migration),
            Box::new(m20261123_000002_create_contacts_and_companies::Migration),
            Box::new(m20261123_000003_create_events_and_sessions::Migration),
            Box::new(m20261123_000004_create_conversations::Migration),
            Box::new(m20261123_000005_create_cs_attributes::Migration),
            Box::new(m20261123_000006_create_sync_state::Migration),
            Box::new(m20261201_000001_add_inbound_state::Migration),
            Box::new(m20261201_000002_create_seen_signals::Migration),
            Box::new(m20261201_000010_extend_writeback_queue::Migration),
            Box::new(m20261201_000020_create_api_keys::Migration),
            Box::new(m20261201_000021_add_run_progress_and_session_feed::Migration),
            Box::new(m20261201_000030_add_conversation_state::Migration),
            Box::new(m20261202_000040_create_exports::Migration),
            Box::new(m20261202_000050_create_leases::Migration),
            Box::new(m20261204_000060_cluster_event_keys::Migration),
        ]
    }
}

/// Every table the migrations create, in creation order.
pub const TABLES: &[&str] = &[
    "workspaces",
    "contacts",
    "companies",
    "contact_companies",
    "events",
    "sessions",
    "conversations",
    "conversation_contacts",
    "conversation_parts",
    "cs_attributes",
    "sync_checkpoints",
    "sync_runs",
    "api_keys",
    "seen_signals",
    "writeback_state",
    "exports",
    "export_records",
    "export_tags",
    "instances",
    "workspace_leases",
];
