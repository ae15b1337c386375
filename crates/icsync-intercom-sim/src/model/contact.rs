//! Contact storage: a compact record per contact plus materialised data for mutated ones.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::ids::ObjectId;

pub(crate) const FLAG_LEAD: u8 = 1;
pub(crate) const FLAG_ARCHIVED: u8 = 2;
pub(crate) const FLAG_DELETED: u8 = 4;

/// Marks a contact created through the API or control surface (no generated base).
pub(crate) const NO_SEQ: u32 = u32::MAX;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Location {
    pub country: String,
    pub region: String,
    pub city: String,
    pub country_code: String,
}

/// The attributes of a contact that are not kept in the compact record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ContactData {
    pub external_id: Option<String>,
    /// As stored: may be upper-case or padded; `None` renders as `""` (the schema's string type).
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub owner_id: Option<i64>,
    pub avatar: Option<String>,
    pub unsubscribed_from_emails: bool,
    pub has_hard_bounced: bool,
    pub marked_email_as_spam: bool,
    pub last_replied_at: Option<i64>,
    pub last_contacted_at: Option<i64>,
    pub last_email_opened_at: Option<i64>,
    pub last_email_clicked_at: Option<i64>,
    pub language_override: Option<String>,
    pub browser: Option<String>,
    pub browser_version: Option<String>,
    pub browser_language: Option<String>,
    pub os: Option<String>,
    pub location: Option<Location>,
    pub custom_attributes: Map<String, Value>,
    /// Indexes into the workspace's tag table.
    pub tags: Vec<u32>,
}

impl ContactData {
    pub(crate) fn empty() -> Self {
        ContactData {
            external_id: None,
            email: None,
            phone: None,
            name: None,
            owner_id: None,
            avatar: None,
            unsubscribed_from_emails: false,
            has_hard_bounced: false,
            marked_email_as_spam: false,
            last_replied_at: None,
            last_contacted_at: None,
            last_email_opened_at: None,
            last_email_clicked_at: None,
            language_override: None,
            browser: None,
            browser_version: None,
            browser_language: None,
            os: None,
            location: None,
            custom_attributes: Map::new(),
            tags: Vec::new(),
        }
    }
}

/// Data of a contact that was written after generation.
#[derive(Debug, Clone)]
pub(crate) struct ContactExt {
    pub data: ContactData,
    /// Wall-clock milliseconds of the last write: search sees the contact after the lag.
    pub written_ms: i64,
}

/// One stored contact (about 64 bytes unless mutated).
#[derive(Debug, Clone)]
pub(crate) struct ContactRec {
    pub id: ObjectId,
    pub seq: u32,
    pub created_at: u32,
    pub updated_at: u32,
    /// 0 = null.
    pub signed_up_at: u32,
    /// 0 = null.
    pub last_seen_at: u32,
    pub flags: u8,
    /// Slots of the companies this contact is attached to.
    pub companies: Box<[u32]>,
    pub ext: Option<Box<ContactExt>>,
}

pub(crate) fn opt_ts(v: u32) -> Option<i64> {
    (v != 0).then_some(i64::from(v))
}

pub(crate) fn to_ts(v: Option<i64>) -> u32 {
    v.map_or(0, |t| t.clamp(1, i64::from(u32::MAX)) as u32)
}

impl ContactRec {
    pub(crate) fn is_lead(&self) -> bool {
        self.flags & FLAG_LEAD != 0
    }

    /// Listed and searchable (not archived, not deleted).
    pub(crate) fn is_live(&self) -> bool {
        self.flags & (FLAG_ARCHIVED | FLAG_DELETED) == 0
    }

    pub(crate) fn is_deleted(&self) -> bool {
        self.flags & FLAG_DELETED != 0
    }

    pub(crate) fn role(&self) -> &'static str {
        if self.is_lead() { "lead" } else { "user" }
    }

    /// The stored data, or the generated data for an unmutated contact.
    pub(crate) fn data<'a>(
        &'a self,
        generate: impl FnOnce(u32) -> ContactData,
    ) -> Cow<'a, ContactData> {
        match &self.ext {
            Some(ext) => Cow::Borrowed(&ext.data),
            None => Cow::Owned(generate(self.seq)),
        }
    }
}

/// Lower-cased, trimmed email: the form used for lookups and search comparisons.
pub(crate) fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}
