//! [`SimHandle`] methods on the data: contact and conversation mutations, and read-back of
//! the simulator's truth rendered as the API would.

use serde_json::{Map, Value};

use super::SimHandle;
use crate::control::mutate::{self, NewContact};
use crate::control::readback::{self, ContactRef, ContactsJson, EventCounts};
use crate::error::ApiError;

impl SimHandle {
    /// Updates a contact with a `PUT /contacts/{id}` body plus the sim-only key `updated_at`
    /// (Unix seconds; default now) and `last_seen_at`; returns the contact JSON.
    pub fn update_contact(&self, id: &str, body: Value) -> Result<Value, ApiError> {
        mutate::update_contact(&self.state, id, &object(body)?)
    }

    /// Creates a contact with explicit fields and timestamps; returns its JSON. It lists at
    /// once and reaches search after the search lag.
    pub fn create_contact(&self, contact: NewContact) -> Result<Value, ApiError> {
        mutate::create_contact(&self.state, contact)
    }

    /// Attaches a company (Intercom ids); bumps the contact's `updated_at`; returns the contact.
    pub fn attach_company(&self, contact_id: &str, company_id: &str) -> Result<Value, ApiError> {
        mutate::attach_company(&self.state, contact_id, company_id)
    }

    /// Detaches a company; bumps the contact's `updated_at`; returns the contact.
    pub fn detach_company(&self, contact_id: &str, company_id: &str) -> Result<Value, ApiError> {
        mutate::detach_company(&self.state, contact_id, company_id)
    }

    /// Events of one contact: all, and those within `GET /events`' 90-day window.
    pub fn event_counts(&self, contact_id: &str) -> Result<EventCounts, ApiError> {
        readback::event_counts(&self.state, contact_id)
    }

    pub fn delete_contact(&self, id: &str) -> Result<(), ApiError> {
        mutate::delete_contact(&self.state, id)
    }

    /// Archives a contact (it leaves list and search; `POST /contacts` then answers 409 "An
    /// archived contact ...").
    pub fn archive_contact(&self, id: &str) -> Result<(), ApiError> {
        mutate::archive_contact(&self.state, id)
    }

    /// Tags a contact as a person in Intercom would (creating the tag when missing); returns
    /// the tag id.
    pub fn tag_contact(&self, id: &str, tag_name: &str) -> Result<String, ApiError> {
        mutate::tag_contact(&self.state, id, tag_name)
    }

    /// `live`, `archived` or `deleted`; `None` when the simulator never had the id.
    pub fn contact_state(&self, id: &str) -> Option<&'static str> {
        mutate::contact_state(&self.state, id)
    }

    /// The names of a contact's tags, sorted (archived contacts too).
    pub fn contact_tag_names(&self, id: &str) -> Result<Vec<String>, ApiError> {
        mutate::contact_tag_names(&self.state, id)
    }

    /// Ids of live and archived contacts with this email (trimmed, case-insensitive).
    pub fn contact_ids_by_email(&self, email: &str) -> Vec<String> {
        mutate::contact_ids_by_email(&self.state, email)
    }

    /// Adds a data event (created now unless `created_at` is given). It changes nothing else
    /// on the contact (no `updated_at`, no `last_seen_at`).
    pub fn add_event(
        &self,
        contact_id: &str,
        name: &str,
        created_at: Option<i64>,
        metadata: Map<String, Value>,
    ) -> Result<(), ApiError> {
        mutate::add_contact_event(&self.state, contact_id, name, created_at, metadata)
    }

    /// Starts a conversation from a contact; returns the conversation id.
    pub fn start_conversation(
        &self,
        contact_id: &str,
        subject: &str,
        body: &str,
    ) -> Result<String, ApiError> {
        crate::control::conversations::start_conversation(&self.state, contact_id, subject, body)
    }

    /// Adds a reply from the contact (`admin_id: None`) or an admin; returns the conversation.
    pub fn reply(
        &self,
        conversation_id: &str,
        body: &str,
        admin_id: Option<i64>,
    ) -> Result<Value, ApiError> {
        crate::control::conversations::reply(&self.state, conversation_id, body, admin_id)
    }

    /// Closes a conversation as an admin (the first admin when `None`); returns the conversation.
    pub fn close_conversation(
        &self,
        conversation_id: &str,
        admin_id: Option<i64>,
    ) -> Result<Value, ApiError> {
        crate::control::conversations::close(&self.state, conversation_id, admin_id)
    }

    /// Every listable contact (users and leads, not archived or deleted) as the API renders it,
    /// in list order, rendered lazily a thousand at a time: iterating 100,000 contacts keeps
    /// memory flat (a collected `Vec<Value>` takes about 14 KB per contact), and the simulator
    /// stays usable while the caller iterates.
    pub fn contacts_json(&self) -> ContactsJson<'_> {
        ContactsJson::new(&self.state, None)
    }

    /// One contact (archived too; deleted ones are `not_found`) as `GET /contacts/{id}` renders it.
    pub fn contact_json(&self, id: &str) -> Result<Value, ApiError> {
        readback::contact_json(&self.state, id)
    }

    /// Every company (what the scroll returns) as the API renders it, in scroll order.
    pub fn companies_json(&self) -> Vec<Value> {
        readback::companies_json(&self.state)
    }

    /// Intercom ids of all the companies a contact is attached to (not just the inline 10).
    pub fn contact_company_ids(&self, contact_id: &str) -> Result<Vec<String>, ApiError> {
        readback::contact_company_ids(&self.state, contact_id)
    }

    /// The events `GET /events` lists for a contact (last 90 days), newest first, as `event` objects.
    pub fn contact_events_json(&self, contact_id: &str) -> Result<Vec<Value>, ApiError> {
        readback::contact_events_json(&self.state, contact_id)
    }

    /// Listable contacts created at or after `since` (Unix seconds): id, role and timestamps.
    pub fn contacts_created_since(&self, since: i64) -> Vec<ContactRef> {
        readback::contacts_created_since(&self.state, since)
    }
}

fn object(body: Value) -> Result<Map<String, Value>, ApiError> {
    match body {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "parameter_invalid",
            "body must be an object",
        )),
    }
}
