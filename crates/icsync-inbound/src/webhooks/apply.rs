//! Applying one verified notification to the store, idempotently and in any order.
//!
//! - Contacts (`contact.user.created|updated`; `contact.lead.*` when the workspace includes
//!   leads): only while User Tracking is on; written only when strictly newer than the stored
//!   copy (compared first, and the write itself is guarded), never bringing a deleted contact
//!   back (only a poll, reading Intercom itself, does that). A complete inline company list
//!   replaces the contact's associations, like the users stream. Its tags (ids only inline)
//!   are named from what the store knows, without a request; the next poll names new ones.
//! - `contact.deleted`, `contact.archived`: a stored contact is marked deleted (kept for
//!   history, out of feeds; an archived contact that Intercom shows again comes back with the
//!   next poll that reads it).
//! - Companies (`company.created|updated`): only while User Tracking is on and only companies
//!   icsync keeps (stored, or a stored contact's); strictly newer only.
//! - Conversations (`conversation.*`): always, with the parts the item carries; a conversation
//!   never goes back to an older state (the store's guard). `conversation.deleted` marks it.

use crate::convert::{self, conversation::ConvertedConversation};
use icsync_domain::{ContactId, ContactRole, ConversationId, Workspace};
use icsync_intercom::webhook::{Notification, NotificationItem};
use icsync_store::{ContactMark, IngestBatch, IngestReport, Store, StoreError};
use std::collections::HashMap;

/// What a notification did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The store changed.
    Applied,
    /// The store already held this state or a newer one.
    Unchanged(&'static str),
    /// Left alone on purpose.
    Ignored(&'static str),
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Unchanged(_) => "unchanged",
            Outcome::Ignored(_) => "ignored",
        }
    }

    pub fn detail(&self) -> &'static str {
        match self {
            Outcome::Applied => "stored",
            Outcome::Unchanged(why) | Outcome::Ignored(why) => why,
        }
    }
}

#[derive(Debug)]
pub(crate) enum ApplyError {
    /// The item does not decode for its topic: a 400, nothing stored.
    Item(String),
    Store(StoreError),
}

impl From<StoreError> for ApplyError {
    fn from(err: StoreError) -> Self {
        ApplyError::Store(err)
    }
}

fn changed(report: &IngestReport) -> bool {
    report.written() > 0 || report.marked > 0 || report.conversations_deleted > 0
}

fn outcome(report: &IngestReport, unchanged: &'static str) -> Outcome {
    if changed(report) {
        Outcome::Applied
    } else {
        Outcome::Unchanged(unchanged)
    }
}

pub(crate) async fn apply(
    store: &Store,
    ws: &Workspace,
    notification: &Notification,
) -> Result<Outcome, ApplyError> {
    let item = notification
        .item()
        .map_err(|e| ApplyError::Item(e.to_string()))?;
    match item {
        NotificationItem::Ping => Ok(Outcome::Ignored("ping")),
        NotificationItem::Contact(wire) => contact(store, ws, *wire).await,
        NotificationItem::ContactDeleted(gone) | NotificationItem::ContactArchived(gone) => {
            let id = ContactId::new(gone.id.trim());
            if store.contact_version(ws.id, &id).await?.is_none() {
                return Ok(Outcome::Ignored("the contact is not stored"));
            }
            let report = store
                .write_batch(
                    ws.id,
                    IngestBatch {
                        marks: &[ContactMark::Deleted { contact: id }],
                        newer_only: true,
                        ..IngestBatch::default()
                    },
                )
                .await?;
            Ok(outcome(&report, "the contact was already marked deleted"))
        }
        NotificationItem::Company(wire) => {
            if !ws.user_tracking {
                return Ok(Outcome::Ignored("User Tracking is off"));
            }
            let converted = convert::company::convert(*wire)
                .map_err(|r| ApplyError::Item(format!("{}: {}", r.reason, r.detail)))?;
            if !store.company_known(ws.id, &converted.record.id).await? {
                return Ok(Outcome::Ignored("no stored user belongs to this company"));
            }
            let report = store
                .write_batch(
                    ws.id,
                    IngestBatch {
                        companies: &[converted.record],
                        newer_only: true,
                        ..IngestBatch::default()
                    },
                )
                .await?;
            Ok(outcome(&report, "the stored company is as new or newer"))
        }
        NotificationItem::Conversation(wire) => {
            let converted = convert::conversation::convert(*wire)
                .map_err(|r| ApplyError::Item(format!("{}: {}", r.reason, r.detail)))?;
            conversation(store, ws, converted).await
        }
        NotificationItem::ConversationDeleted(gone) => {
            let report = store
                .write_batch(
                    ws.id,
                    IngestBatch {
                        deleted_conversations: &[ConversationId::new(gone.id.trim())],
                        ..IngestBatch::default()
                    },
                )
                .await?;
            Ok(outcome(
                &report,
                "the conversation is not stored or already deleted",
            ))
        }
        NotificationItem::Other => Ok(Outcome::Ignored("topic not handled")),
    }
}

async fn contact(
    store: &Store,
    ws: &Workspace,
    wire: icsync_intercom::models::Contact,
) -> Result<Outcome, ApplyError> {
    if !ws.user_tracking {
        return Ok(Outcome::Ignored("User Tracking is off"));
    }
    let converted = convert::contact::convert(wire, None)
        .map_err(|r| ApplyError::Item(format!("{}: {}", r.reason, r.detail)))?;
    let mut contact = converted.contact.record;
    if contact.role == ContactRole::Lead && !ws.include_leads {
        return Ok(Outcome::Ignored("leads are not imported in this workspace"));
    }
    match store.contact_version(ws.id, &contact.id).await? {
        Some((_, true)) => return Ok(Outcome::Unchanged("the contact is marked deleted")),
        Some((Some(stored), false)) if contact.updated_at.is_none_or(|at| at <= stored) => {
            return Ok(Outcome::Unchanged("the stored contact is as new or newer"));
        }
        _ => {}
    }
    if !convert::contact::unnamed_tag_ids(&contact).is_empty() {
        // Names as icsync knows them (this contact's stored tags, the export's); no request to
        // Intercom from a notification: a tag new to icsync is named by the next poll.
        let known = store
            .known_tag_names(ws.id, std::slice::from_ref(&contact.id))
            .await?;
        convert::contact::name_tags(&mut contact, &known);
    }
    let mut marks = Vec::new();
    let mut sets = Vec::new();
    let mut associations = Vec::new();
    if converted.companies_complete {
        if converted.companies.is_empty() {
            marks.push(ContactMark::CompaniesSynced {
                contact: contact.id.clone(),
                updated_at: contact.updated_at,
            });
        }
        sets.push((contact.id.clone(), converted.companies));
    } else {
        // Only some companies inline: add those; the next poll lists them all.
        associations.extend(
            converted
                .companies
                .into_iter()
                .map(|company| (contact.id.clone(), company)),
        );
    }
    let report = store
        .write_batch(
            ws.id,
            IngestBatch {
                contacts: std::slice::from_ref(&contact),
                associations: &associations,
                company_sets: &sets,
                marks: &marks,
                newer_only: true,
                ..IngestBatch::default()
            },
        )
        .await?;
    Ok(outcome(&report, "the stored contact is as new or newer"))
}

async fn conversation(
    store: &Store,
    ws: &Workspace,
    mut converted: ConvertedConversation,
) -> Result<Outcome, ApplyError> {
    let contacts = converted.conversation.contact_ids.clone();
    let emails: HashMap<ContactId, String> = if contacts.is_empty() {
        HashMap::new()
    } else {
        store.contact_emails(ws.id, &contacts).await?
    };
    converted.link_email(&emails);
    let report = store
        .write_batch(
            ws.id,
            IngestBatch {
                conversations: std::slice::from_ref(&converted.conversation),
                parts: &converted.parts,
                newer_only: true,
                ..IngestBatch::default()
            },
        )
        .await?;
    Ok(outcome(
        &report,
        "the stored conversation is as new or newer",
    ))
}
