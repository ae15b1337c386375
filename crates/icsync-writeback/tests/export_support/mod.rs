//! Helpers of the export suites: export settings, host records, contacts stored as an import
//! would store them, and reading the simulator's truth.

#![allow(dead_code)]

use icsync_domain::{
    AttributeTarget, Contact, ContactId, ContactRole, CreationMode, DataType, ExportSettings,
    FieldMapping, HostRecord, Location, RemovalMode, StandardAttribute, SyncMode, WorkspaceId,
};
use icsync_intercom_sim::{NewContact, SimHandle};
use icsync_store::{IngestBatch, Store};
use icsync_writeback::export::{ExportConfig, Exporter};
use serde_json::{Value, json};

pub fn settings(sync: SyncMode, creation: CreationMode, removal: RemovalMode) -> ExportSettings {
    ExportSettings {
        enabled: true,
        sync_mode: sync,
        creation_mode: creation,
        removal_mode: removal,
        mapping: vec![
            FieldMapping {
                property: "full_name".into(),
                target: AttributeTarget::Standard {
                    attribute: StandardAttribute::Name,
                },
            },
            FieldMapping {
                property: "plan".into(),
                target: AttributeTarget::Data {
                    name: "host_plan".into(),
                    data_type: DataType::String,
                },
            },
            FieldMapping {
                property: "seats".into(),
                target: AttributeTarget::Data {
                    name: "host_seats".into(),
                    data_type: DataType::Integer,
                },
            },
        ],
    }
}

pub fn exporter(store: &Store) -> Exporter {
    Exporter::new(
        store.clone(),
        ExportConfig {
            backoff: icsync_writeback::Backoff {
                base_secs: 1,
                max_secs: 4,
            },
            ..ExportConfig::default()
        },
    )
    .expect("valid config")
}

pub fn record(
    host_id: &str,
    email: &str,
    external_id: Option<&str>,
    plan: &str,
    groups: &[&str],
) -> HostRecord {
    HostRecord {
        host_id: host_id.into(),
        email: Some(email.into()),
        external_id: external_id.map(Into::into),
        properties: [
            ("full_name".to_owned(), json!(format!("Name of {host_id}"))),
            ("plan".to_owned(), json!(plan)),
            ("seats".to_owned(), json!(3)),
        ]
        .into_iter()
        .collect(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
    }
}

/// Creates a contact in the simulator; returns its id.
pub fn sim_contact(sim: &SimHandle, lead: bool, email: &str, external_id: Option<&str>) -> String {
    let created = sim
        .create_contact(NewContact {
            role: if lead {
                icsync_intercom_sim::ContactRole::Lead
            } else {
                icsync_intercom_sim::ContactRole::User
            },
            email: Some(email.into()),
            external_id: external_id.map(Into::into),
            ..NewContact::default()
        })
        .expect("create contact in the simulator");
    created["id"].as_str().expect("id").to_owned()
}

/// Stores a contact as the inbound users stream would have.
pub async fn import_contact(
    store: &Store,
    ws: WorkspaceId,
    id: &str,
    email: &str,
    external_id: Option<&str>,
    lead: bool,
) {
    let contact = Contact {
        id: ContactId::new(id),
        external_id: external_id.map(Into::into),
        email: Some(email.into()),
        role: if lead {
            ContactRole::Lead
        } else {
            ContactRole::User
        },
        name: None,
        phone: None,
        avatar_url: None,
        owner_id: None,
        unsubscribed_from_emails: false,
        created_at: None,
        updated_at: Some(chrono::Utc::now()),
        signed_up_at: None,
        last_seen_at: None,
        last_replied_at: None,
        last_contacted_at: None,
        location: Location::default(),
        custom_attributes: Default::default(),
        other_attributes: Default::default(),
    };
    let contacts = [contact];
    store
        .write_batch(
            ws,
            IngestBatch {
                contacts: &contacts,
                ..Default::default()
            },
        )
        .await
        .expect("store contact");
}

/// The simulator's contact, rendered as the API would (archived ones too).
pub fn contact(sim: &SimHandle, id: &str) -> Value {
    sim.contact_json(id).expect("contact in the simulator")
}

pub fn role(sim: &SimHandle, id: &str) -> String {
    contact(sim, id)["role"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The one contact with this email (archived ones count); fails when there are several.
pub fn only_contact(sim: &SimHandle, email: &str) -> String {
    let ids = sim.contact_ids_by_email(email);
    assert_eq!(ids.len(), 1, "exactly one contact has {email}: {ids:?}");
    ids[0].clone()
}
