//! One record's export: find its Intercom contact without a search where the store knows it,
//! create or update it as the modes say (a 409 resolves to the existing or archived contact,
//! never a duplicate), bring its tags to the record's groups (only tags this export applied
//! are ever removed), or remove it.

use crate::delivery::Failure;
use crate::export::writer::ExportWriter;
use chrono::{DateTime, TimeZone, Utc};
use icsync_domain::{
    AttributeTarget, ContactRole, ExportSettings, HostRecord, RemovalMode, StandardAttribute,
    SyncMode, WorkspaceId, tag_key, wire_value,
};
use icsync_intercom::Error;
use icsync_intercom::models::{ContactRole as WireRole, ContactWrite};
use icsync_store::{
    ContactLink, ContactLookup, ExportStatus, ManagedTag, Store, StoreError, StoredExportRecord,
};
use serde_json::{Map, Value};
use std::collections::HashMap;
use tokio::sync::Mutex;

/// How one attempt ended, before it is recorded.
#[derive(Debug)]
pub(crate) enum Reconciled {
    Exported { note: Option<String> },
    Removed { note: Option<String> },
    Skipped(String),
    Rejected(String),
    Failed(Failure),
}

/// The workspace's tag cache, shared by the records of a drain (a name is created once).
pub(crate) struct TagCache {
    pub tags: Mutex<HashMap<String, ManagedTag>>,
}

/// Everything one record's export reads.
pub(crate) struct Context<'a> {
    pub workspace: WorkspaceId,
    pub settings: &'a ExportSettings,
    pub writer: &'a dyn ExportWriter,
    pub store: &'a Store,
    pub tags: &'a TagCache,
    /// The spelling a tag not yet in Intercom is created with, by tag key: the first claimed
    /// record's. Intercom matches tag names without case, so the first tag created for a key
    /// names it for every record; records are reconciled concurrently, so without this the
    /// name ("Beta" or "beta") depended on which request went first.
    pub spellings: &'a HashMap<String, String>,
    pub now: DateTime<Utc>,
}

/// The spellings of [`Context::spellings`] for records in their claimed order.
pub(crate) fn first_spellings<'r>(
    records: impl IntoIterator<Item = &'r StoredExportRecord>,
) -> HashMap<String, String> {
    let mut spellings = HashMap::new();
    for record in records {
        for group in &record.record.groups {
            spellings
                .entry(tag_key(group))
                .or_insert_with(|| group.clone());
        }
    }
    spellings
}

/// Where the record's contact is, as far as icsync knows without asking Intercom.
#[derive(Debug, Clone)]
struct Known {
    id: String,
    role: Option<String>,
    archived: bool,
}

impl Context<'_> {
    /// Exports one claimed record; `link` is updated with whatever the attempt learnt or did
    /// (recorded whatever the result).
    pub async fn reconcile(
        &self,
        record: &StoredExportRecord,
        link: &mut ContactLink,
    ) -> Result<Reconciled, StoreError> {
        if record.removed {
            return self.remove(record, link).await;
        }
        let desired = &record.record;
        let problems = desired.problems(self.settings);
        if !problems.is_empty() {
            let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Ok(Reconciled::Rejected(format!(
                "record {:?} does not fit the export settings: {}",
                desired.host_id,
                problems.join("; ")
            )));
        }
        let known = match self.locate(desired, link).await? {
            Ok(known) => known,
            Err(problem) => return Ok(Reconciled::Rejected(problem)),
        };
        let known = match known {
            Some(known) => Some(known),
            None if self.settings.sync_mode == SyncMode::Enrich => {
                match self.search(desired).await {
                    Ok(found) => found,
                    Err(outcome) => return Ok(outcome),
                }
            }
            None => None,
        };
        let wanted = self.settings.creation_mode.role_for(desired);
        let written = match known {
            None if self.settings.sync_mode == SyncMode::Enrich => {
                return Ok(Reconciled::Skipped(format!(
                    "no Intercom contact has external id {:?} or email {:?}; enrich mode only updates existing contacts",
                    desired.external_id.as_deref().unwrap_or(""),
                    desired.email.as_deref().unwrap_or("")
                )));
            }
            None => self.create(desired, wanted, link).await,
            Some(known) => self.update(desired, wanted, known, link).await,
        };
        let note = match written {
            Ok(note) => note,
            Err(outcome) => return Ok(outcome),
        };
        match self.sync_tags(record, link).await {
            Ok(()) => Ok(Reconciled::Exported { note }),
            Err(outcome) => Ok(outcome),
        }
    }

    /// The contact by the ids icsync holds (an earlier export's), then the store's imported
    /// contacts by external id, then by normalized email. `Err` when the store's contacts are
    /// ambiguous.
    async fn locate(
        &self,
        desired: &HostRecord,
        link: &ContactLink,
    ) -> Result<Result<Option<Known>, String>, StoreError> {
        if let Some(id) = &link.intercom_id {
            return Ok(Ok(Some(Known {
                id: id.clone(),
                role: link.intercom_role.clone(),
                archived: link.archived,
            })));
        }
        let lookups = [
            desired
                .external_id
                .as_deref()
                .map(|e| ("external id", ContactLookup::ExternalId(e))),
            desired
                .email
                .as_deref()
                .map(|e| ("email", ContactLookup::Email(e))),
        ];
        for (what, lookup) in lookups.into_iter().flatten() {
            let found: Vec<_> = self
                .store
                .find_contacts(self.workspace, lookup)
                .await?
                .into_iter()
                .filter(|c| c.contact.deleted_at.is_none())
                .collect();
            match found.as_slice() {
                [] => continue,
                [one] => {
                    return Ok(Ok(Some(Known {
                        id: one.contact.contact.id.to_string(),
                        role: Some(one.contact.contact.role.as_str().to_owned()),
                        archived: false,
                    })));
                }
                several => {
                    let ids: Vec<String> = several
                        .iter()
                        .map(|c| c.contact.contact.id.to_string())
                        .collect();
                    return Ok(Err(format!(
                        "{} Intercom contacts share this {what} ({}); give the record an external id that only one of them has, or merge them in Intercom",
                        several.len(),
                        ids.join(", ")
                    )));
                }
            }
        }
        Ok(Ok(None))
    }

    /// Enrich mode: a search, since the store does not know the contact.
    async fn search(&self, desired: &HostRecord) -> Result<Option<Known>, Reconciled> {
        let found = self
            .writer
            .search_contact(desired.external_id.as_deref(), desired.email.as_deref())
            .await
            .map_err(|e| Reconciled::Failed(Failure::from_error(e, "contact")))?;
        let pick = found
            .iter()
            .find(|c| {
                desired.external_id.is_some()
                    && c.external_id.as_deref() == desired.external_id.as_deref()
            })
            .or_else(|| found.first());
        Ok(pick.map(|c| Known {
            id: c.id.clone(),
            role: c.role.as_ref().map(|r| r.as_str().to_owned()),
            archived: false,
        }))
    }

    /// `POST /contacts`; a 409 resolves to the contact it names (unarchived first).
    async fn create(
        &self,
        desired: &HostRecord,
        wanted: ContactRole,
        link: &mut ContactLink,
    ) -> Result<Option<String>, Reconciled> {
        let mut write = self.payload(desired, false);
        write.role = Some(wire_role(wanted));
        match self.writer.create_contact(&write).await {
            Ok(contact) => {
                link.intercom_id = Some(contact.id.clone());
                link.intercom_role = Some(role_text(contact.role.as_ref(), wanted));
                link.archived = false;
                link.managed_tags.clear();
                Ok(None)
            }
            Err(Error::Conflict {
                existing_id: Some(id),
                archived,
                ..
            }) => {
                tracing::info!(contact = %id, archived, "contact already exists in intercom; exporting to it");
                let known = Known {
                    id,
                    role: None,
                    archived,
                };
                self.update(desired, wanted, known, link).await
            }
            Err(e) => Err(self.failed(e)),
        }
    }

    /// `PUT /contacts/{id}` with the whole desired state (unarchived first when archived; a
    /// lead is promoted when the record should be a user; a user is never made a lead).
    async fn update(
        &self,
        desired: &HostRecord,
        wanted: ContactRole,
        known: Known,
        link: &mut ContactLink,
    ) -> Result<Option<String>, Reconciled> {
        if link
            .intercom_id
            .as_deref()
            .is_some_and(|id| id != known.id.as_str())
        {
            // Another contact than the one tags were applied to: nothing of it is ours yet.
            link.managed_tags.clear();
        }
        link.intercom_id = Some(known.id.clone());
        link.intercom_role.clone_from(&known.role);
        link.archived = known.archived;
        if known.archived && self.settings.sync_mode == SyncMode::Enrich {
            return Err(Reconciled::Skipped(format!(
                "contact {} is archived in Intercom; enrich mode only updates existing contacts and does not unarchive",
                known.id
            )));
        }
        if known.archived {
            match self.writer.unarchive_contact(&known.id).await {
                Ok(()) => link.archived = false,
                Err(Error::NotFound { .. }) => return self.recreate(desired, wanted, link).await,
                Err(e) => return Err(self.failed(e)),
            }
        }
        let mut write = self.payload(desired, true);
        let user_kept = wanted == ContactRole::Lead && known.role.as_deref() == Some("user");
        if wanted == ContactRole::User && known.role.as_deref() != Some("user") {
            write.role = Some(WireRole::User);
        }
        let answer = match self.writer.update_contact(&known.id, &write).await {
            Ok(contact) => contact,
            Err(Error::NotFound { .. }) => return self.recreate(desired, wanted, link).await,
            Err(e) => return Err(self.failed(e)),
        };
        let role = role_text(answer.role.as_ref(), wanted);
        let note = (wanted == ContactRole::Lead && (user_kept || role == "user")).then(|| {
            format!(
                "contact {} is a user in Intercom and Intercom cannot turn a user into a lead; it was updated and kept a user",
                known.id
            )
        });
        link.intercom_role = Some(role);
        Ok(note)
    }

    /// The contact icsync knew is gone (404): create it again unless the mode forbids.
    async fn recreate(
        &self,
        desired: &HostRecord,
        wanted: ContactRole,
        link: &mut ContactLink,
    ) -> Result<Option<String>, Reconciled> {
        let gone = link.intercom_id.take().unwrap_or_default();
        link.intercom_role = None;
        link.archived = false;
        link.managed_tags.clear();
        if self.settings.sync_mode == SyncMode::Enrich {
            return Err(Reconciled::Skipped(format!(
                "contact {gone} no longer exists in Intercom; enrich mode does not create contacts"
            )));
        }
        tracing::info!(contact = %gone, "intercom contact gone; creating it again");
        let mut write = self.payload(desired, false);
        write.role = Some(wire_role(wanted));
        match self.writer.create_contact(&write).await {
            Ok(contact) => {
                link.intercom_id = Some(contact.id.clone());
                link.intercom_role = Some(role_text(contact.role.as_ref(), wanted));
                Ok(None)
            }
            Err(e) => Err(self.failed(e)),
        }
    }

    /// Brings the contact's tags to the record's groups: attaches missing ones (all of them
    /// when the last export is not known to have succeeded), detaches the managed tags the
    /// record no longer has. Tags people applied are never touched.
    async fn sync_tags(
        &self,
        record: &StoredExportRecord,
        link: &mut ContactLink,
    ) -> Result<(), Reconciled> {
        let Some(contact) = link.intercom_id.clone() else {
            return Ok(());
        };
        let desired = &record.record;
        let force = record.exported_hash.is_none();
        let wanted: Vec<(String, &str)> = desired
            .groups
            .iter()
            .map(|g| (tag_key(g), g.as_str()))
            .collect();
        let stale: Vec<ManagedTag> = link
            .managed_tags
            .iter()
            .filter(|t| !wanted.iter().any(|(key, _)| *key == tag_key(&t.name)))
            .cloned()
            .collect();
        for tag in stale {
            match self.writer.detach_tag(&contact, &tag.id).await {
                Ok(()) | Err(Error::NotFound { .. }) => {
                    link.managed_tags.retain(|t| t.id != tag.id);
                }
                Err(e) => return Err(self.failed(e)),
            }
        }
        let mut attach = Vec::new();
        for (key, name) in wanted {
            let managed = link.managed_tags.iter().any(|t| tag_key(&t.name) == key);
            if managed && !force {
                continue;
            }
            let tag = self.tag(&key, name).await?;
            if !managed {
                link.managed_tags.push(tag.clone());
            }
            attach.push((key, name, tag));
        }
        let new_to_store = attach
            .iter()
            .any(|(key, _, _)| !record.managed_tags.iter().any(|t| tag_key(&t.name) == *key));
        if new_to_store {
            // Stored before the attaches: a tag whose attach may happen is always known as
            // ours, even when this attempt is cut short.
            self.store
                .note_export_link(record, link)
                .await
                .map_err(|e| {
                    Reconciled::Failed(Failure::uncertain(format!(
                        "cannot record the tags about to be applied: {e}"
                    )))
                })?;
        }
        for (key, name, mut tag) in attach {
            let mut result = self.writer.attach_tag(&contact, &tag.id).await;
            if let Err(Error::NotFound { .. }) = &result {
                // The cached tag may have been deleted in Intercom (a 404 does not say whether
                // the tag or the contact is missing): ask for the tag again, once.
                self.forget_tag(&key).await;
                let fresh = self.tag(&key, name).await?;
                for managed in &mut link.managed_tags {
                    if managed.id == tag.id {
                        managed.clone_from(&fresh);
                    }
                }
                tag = fresh;
                result = self.writer.attach_tag(&contact, &tag.id).await;
            }
            if let Err(e) = result {
                return Err(self.failed(e));
            }
        }
        Ok(())
    }

    /// The tag of this name: from the cache, else created (once) and cached.
    async fn tag(&self, key: &str, name: &str) -> Result<ManagedTag, Reconciled> {
        let mut tags = self.tags.tags.lock().await;
        if let Some(tag) = tags.get(key) {
            return Ok(tag.clone());
        }
        let name = self.spellings.get(key).map_or(name, String::as_str);
        let created = self
            .writer
            .create_tag(name)
            .await
            .map_err(|e| self.failed(e))?;
        let tag = ManagedTag {
            id: created.id,
            name: created.name.unwrap_or_else(|| name.to_owned()),
        };
        if let Err(error) = self
            .store
            .save_export_tag(self.workspace, key, &tag, self.now)
            .await
        {
            // The tag exists in Intercom either way; the next drain asks for it again.
            tracing::warn!(error = %error, tag = %name, "cannot cache the tag id");
        }
        tags.insert(key.to_owned(), tag.clone());
        Ok(tag)
    }

    async fn forget_tag(&self, key: &str) {
        self.tags.tags.lock().await.remove(key);
        if let Err(error) = self.store.forget_export_tag(self.workspace, key).await {
            tracing::warn!(error = %error, "cannot forget a cached tag");
        }
    }

    /// Removal, as the sync and removal modes say: archive (after taking off the tags this
    /// export applied) or delete; additive and enrich exports leave the contact.
    async fn remove(
        &self,
        record: &StoredExportRecord,
        link: &mut ContactLink,
    ) -> Result<Reconciled, StoreError> {
        if self.settings.sync_mode != SyncMode::Sync {
            return Ok(Reconciled::Removed {
                note: Some(format!(
                    "left in Intercom: a {} export never removes contacts",
                    self.settings.sync_mode
                )),
            });
        }
        let located = match self.locate(&record.record, link).await? {
            Ok(None) if self.may_have_created(record, link) => {
                match self.probe(&record.record).await {
                    Ok(found) => Ok(found),
                    Err(outcome) => return Ok(outcome),
                }
            }
            other => other,
        };
        let known = match located {
            Ok(Some(known)) => known,
            Ok(None) => {
                return Ok(Reconciled::Removed {
                    note: Some(
                        "no Intercom contact is known for the record; nothing to remove".into(),
                    ),
                });
            }
            Err(problem) => return Ok(Reconciled::Rejected(problem)),
        };
        if link
            .intercom_id
            .as_deref()
            .is_some_and(|id| id != known.id.as_str())
        {
            link.managed_tags.clear();
        }
        link.intercom_id = Some(known.id.clone());
        link.intercom_role.clone_from(&known.role);
        match self.settings.removal_mode {
            RemovalMode::Archive => {
                // Archiving again is harmless, so a contact that may be archived already is
                // archived again rather than trusted.
                for tag in link.managed_tags.clone() {
                    match self.writer.detach_tag(&known.id, &tag.id).await {
                        Ok(()) | Err(Error::NotFound { .. }) => {
                            link.managed_tags.retain(|t| t.id != tag.id);
                        }
                        Err(e) => return Ok(self.failed(e)),
                    }
                }
                // Recorded before the call: an archive whose answer is lost may have happened,
                // and a later put must unarchive first (unarchiving a live contact is harmless).
                link.archived = true;
                match self.writer.archive_contact(&known.id).await {
                    Ok(()) => Ok(Reconciled::Removed { note: None }),
                    Err(Error::NotFound { .. }) => {
                        gone(link);
                        Ok(Reconciled::Removed {
                            note: Some("the contact was already gone from Intercom".into()),
                        })
                    }
                    Err(e) => Ok(self.failed(e)),
                }
            }
            RemovalMode::Delete => {
                // Deleting a contact removes its taggings with it; the tags stay in Intercom.
                match self.writer.delete_contact(&known.id).await {
                    Ok(()) | Err(Error::NotFound { .. }) => {
                        gone(link);
                        Ok(Reconciled::Removed { note: None })
                    }
                    Err(e) => Ok(self.failed(e)),
                }
            }
        }
    }

    /// True when an earlier attempt may have created the contact without icsync learning its
    /// id (its answer was lost, or the exporter stopped mid-attempt).
    fn may_have_created(&self, record: &StoredExportRecord, link: &ContactLink) -> bool {
        link.intercom_id.is_none()
            && record.last_attempt_at.is_some()
            && matches!(record.status, ExportStatus::New | ExportStatus::Failed)
    }

    /// Finds a contact an attempt may have created: a create with the record's email and
    /// external id answers 409 naming it (search lags behind writes by minutes). When nothing
    /// existed, the probe's own contact is the one removed.
    async fn probe(&self, desired: &HostRecord) -> Result<Option<Known>, Reconciled> {
        let write = ContactWrite {
            email: desired.email.clone(),
            external_id: desired.external_id.clone(),
            role: Some(wire_role(self.settings.creation_mode.role_for(desired))),
            ..ContactWrite::default()
        };
        match self.writer.create_contact(&write).await {
            Ok(contact) => Ok(Some(Known {
                id: contact.id,
                role: contact.role.map(|r| r.as_str().to_owned()),
                archived: false,
            })),
            Err(Error::Conflict {
                existing_id: Some(id),
                archived,
                ..
            }) => Ok(Some(Known {
                id,
                role: None,
                archived,
            })),
            Err(e) => Err(self.failed(e)),
        }
    }

    /// The contact body for the desired state: email, external id, every mapped property
    /// (on an update, a mapped property without a value clears its attribute).
    fn payload(&self, desired: &HostRecord, update: bool) -> ContactWrite {
        let mut write = ContactWrite {
            email: desired.email.clone(),
            external_id: desired.external_id.clone(),
            ..ContactWrite::default()
        };
        let mut custom = Map::new();
        for mapping in &self.settings.mapping {
            let value = desired
                .properties
                .get(&mapping.property)
                .map(|v| wire_value(v, mapping.target.data_type()))
                .and_then(Result::ok)
                .unwrap_or(Value::Null);
            match &mapping.target {
                AttributeTarget::Data { name, .. } => {
                    if update || !value.is_null() {
                        custom.insert(name.clone(), value);
                    }
                }
                AttributeTarget::Standard { attribute } => {
                    if value.is_null() {
                        if update {
                            write.cleared.push(attribute.as_str());
                        }
                        continue;
                    }
                    set_standard(&mut write, *attribute, &value);
                }
            }
        }
        write.custom_attributes = custom;
        write
    }

    /// A failed write: a refusal Intercom would repeat (400, 409, 422) rejects this version
    /// of the record until the host changes it; the rest are retried.
    fn failed(&self, error: Error) -> Reconciled {
        match &error {
            Error::Conflict { message, .. } => {
                Reconciled::Rejected(format!("Intercom refused the record: {message}"))
            }
            Error::Api {
                status: 400 | 422, ..
            } => Reconciled::Rejected(format!("Intercom refused the record: {error}")),
            _ => Reconciled::Failed(Failure::from_error(error, "contact")),
        }
    }
}

fn gone(link: &mut ContactLink) {
    link.intercom_id = None;
    link.intercom_role = None;
    link.archived = false;
    link.managed_tags.clear();
}

fn wire_role(role: ContactRole) -> WireRole {
    match role {
        ContactRole::User => WireRole::User,
        ContactRole::Lead => WireRole::Lead,
    }
}

fn role_text(answered: Option<&WireRole>, wanted: ContactRole) -> String {
    answered.map_or_else(|| wanted.as_str().to_owned(), |r| r.as_str().to_owned())
}

fn set_standard(write: &mut ContactWrite, attribute: StandardAttribute, value: &Value) {
    let text = || value.as_str().map(str::to_owned);
    let time = || {
        value
            .as_i64()
            .and_then(|secs| Utc.timestamp_opt(secs, 0).single())
    };
    match attribute {
        StandardAttribute::Name => write.name = text(),
        StandardAttribute::Phone => write.phone = text(),
        StandardAttribute::Avatar => write.avatar = text(),
        StandardAttribute::SignedUpAt => write.signed_up_at = time(),
        StandardAttribute::LastSeenAt => write.last_seen_at = time(),
        StandardAttribute::OwnerId => write.owner_id = value.as_i64(),
        StandardAttribute::UnsubscribedFromEmails => {
            write.unsubscribed_from_emails = value.as_bool()
        }
    }
}
