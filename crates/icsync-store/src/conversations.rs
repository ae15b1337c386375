//! Conversation reads: a contact's timeline, one conversation with its parts, the stored
//! versions the conversations stream compares Intercom's with, and host matching by email.

use crate::Store;
use crate::entities::{contact, conversation, conversation_contact, conversation_part};
use crate::error::Result;
use chrono::{DateTime, Utc};
use icsync_domain::{
    Author, ContactId, Conversation, ConversationId, ConversationPart, ConversationSource, PartId,
    WorkspaceId, normalize_email,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;

/// Ids per `IN (...)` list: well inside SQLite's bind limit.
const IDS_PER_QUERY: usize = 10_000;

/// A conversation as stored, with how many of its parts icsync holds.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredConversation {
    pub conversation: Conversation,
    pub parts_stored: i64,
    pub last_imported_at: DateTime<Utc>,
    /// When Intercom first answered 404 for it; it stays for history.
    pub deleted_at: Option<DateTime<Utc>>,
}

impl StoredConversation {
    /// True when Intercom reported more parts than it returned (its 500-part cap).
    pub fn is_truncated(&self) -> bool {
        self.conversation
            .parts_reported
            .is_some_and(|reported| reported > self.parts_stored)
    }

    /// "500 of 1,204": the parts held against the parts Intercom reports.
    pub fn parts_summary(&self) -> String {
        match self.conversation.parts_reported {
            Some(reported) if reported != self.parts_stored => format!(
                "{} of {}",
                thousands(self.parts_stored),
                thousands(reported)
            ),
            _ => thousands(self.parts_stored),
        }
    }
}

fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// `(intercom_id, updated_at, parts_reported, parts_stored, deleted_at)`.
type VersionRow = (
    String,
    DateTime<Utc>,
    Option<i64>,
    i64,
    Option<DateTime<Utc>>,
);

/// What the store holds of a conversation, to decide whether Intercom's copy is newer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConversationVersion {
    pub updated_at: DateTime<Utc>,
    pub parts_reported: Option<i64>,
    pub parts_stored: i64,
    pub deleted: bool,
}

impl Store {
    /// A contact's conversations (any they take part in), most recently updated first, without
    /// those Intercom deleted.
    pub async fn conversations_of_contact(
        &self,
        workspace: WorkspaceId,
        contact_id: &ContactId,
        limit: u64,
    ) -> Result<Vec<StoredConversation>> {
        let ids: Vec<String> = conversation_contact::Entity::find()
            .filter(conversation_contact::Column::WorkspaceId.eq(workspace.0))
            .filter(conversation_contact::Column::ContactIntercomId.eq(contact_id.as_str()))
            .all(&self.inner.read)
            .await?
            .into_iter()
            .map(|link| link.conversation_intercom_id)
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = conversation::Entity::find()
            .filter(conversation::Column::WorkspaceId.eq(workspace.0))
            .filter(conversation::Column::IntercomId.is_in(ids))
            .filter(conversation::Column::DeletedAt.is_null())
            .order_by_desc(conversation::Column::UpdatedAt)
            .order_by_desc(conversation::Column::Id)
            .limit(limit)
            .all(&self.inner.read)
            .await?;
        self.with_participants(workspace, rows).await
    }

    /// The conversations linked to a host contact by its email (trimmed, case-insensitive):
    /// those matched by email when imported, and those of any stored contact that has the
    /// email now (a contact stored after its conversations). Most recently updated first,
    /// without those Intercom deleted.
    pub async fn conversations_by_email(
        &self,
        workspace: WorkspaceId,
        email: &str,
        limit: u64,
    ) -> Result<Vec<StoredConversation>> {
        let Some(email) = normalize_email(email) else {
            return Ok(Vec::new());
        };
        let contacts = sea_orm::sea_query::Query::select()
            .column(contact::Column::IntercomId)
            .from(contact::Entity)
            .and_where(contact::Column::WorkspaceId.eq(workspace.0))
            .and_where(contact::Column::EmailNormalized.eq(email.clone()))
            .to_owned();
        let of_contacts = sea_orm::sea_query::Query::select()
            .column(conversation_contact::Column::ConversationIntercomId)
            .from(conversation_contact::Entity)
            .and_where(conversation_contact::Column::WorkspaceId.eq(workspace.0))
            .and_where(conversation_contact::Column::ContactIntercomId.in_subquery(contacts))
            .to_owned();
        let rows = conversation::Entity::find()
            .filter(conversation::Column::WorkspaceId.eq(workspace.0))
            .filter(
                sea_orm::Condition::any()
                    .add(conversation::Column::ContactEmail.eq(email))
                    .add(conversation::Column::IntercomId.in_subquery(of_contacts)),
            )
            .filter(conversation::Column::DeletedAt.is_null())
            .order_by_desc(conversation::Column::UpdatedAt)
            .order_by_desc(conversation::Column::Id)
            .limit(limit)
            .all(&self.inner.read)
            .await?;
        self.with_participants(workspace, rows).await
    }

    /// The stored version of each of `ids` that is stored.
    pub async fn conversation_versions(
        &self,
        workspace: WorkspaceId,
        ids: &[ConversationId],
    ) -> Result<HashMap<ConversationId, ConversationVersion>> {
        let mut versions = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let rows: Vec<VersionRow> = conversation::Entity::find()
                .select_only()
                .column(conversation::Column::IntercomId)
                .column(conversation::Column::UpdatedAt)
                .column(conversation::Column::PartsReported)
                .column(conversation::Column::PartsStored)
                .column(conversation::Column::DeletedAt)
                .filter(conversation::Column::WorkspaceId.eq(workspace.0))
                .filter(
                    conversation::Column::IntercomId
                        .is_in(chunk.iter().map(|id| id.as_str().to_owned())),
                )
                .into_tuple()
                .all(&self.inner.read)
                .await?;
            for (id, updated_at, parts_reported, parts_stored, deleted_at) in rows {
                versions.insert(
                    ConversationId::new(id),
                    ConversationVersion {
                        updated_at,
                        parts_reported,
                        parts_stored,
                        deleted: deleted_at.is_some(),
                    },
                );
            }
        }
        Ok(versions)
    }

    /// The normalized email of each of `ids` that is stored with one (deleted contacts too:
    /// their conversations stay theirs).
    pub async fn contact_emails(
        &self,
        workspace: WorkspaceId,
        ids: &[ContactId],
    ) -> Result<HashMap<ContactId, String>> {
        let mut emails = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let rows: Vec<(String, Option<String>)> = contact::Entity::find()
                .select_only()
                .column(contact::Column::IntercomId)
                .column(contact::Column::EmailNormalized)
                .filter(contact::Column::WorkspaceId.eq(workspace.0))
                .filter(
                    contact::Column::IntercomId
                        .is_in(chunk.iter().map(|id| id.as_str().to_owned())),
                )
                .into_tuple()
                .all(&self.inner.read)
                .await?;
            for (id, email) in rows {
                if let Some(email) = email.filter(|e| !e.is_empty()) {
                    emails.insert(ContactId::new(id), email);
                }
            }
        }
        Ok(emails)
    }

    /// Stored conversations linked to no host contact: matched by no email when imported, and
    /// none of their contacts is stored with an email now.
    pub async fn count_unmatched_conversations(&self, workspace: WorkspaceId) -> Result<u64> {
        let with_email = sea_orm::sea_query::Query::select()
            .column(contact::Column::IntercomId)
            .from(contact::Entity)
            .and_where(contact::Column::WorkspaceId.eq(workspace.0))
            .and_where(contact::Column::EmailNormalized.is_not_null())
            .to_owned();
        let linked = sea_orm::sea_query::Query::select()
            .column(conversation_contact::Column::ConversationIntercomId)
            .from(conversation_contact::Entity)
            .and_where(conversation_contact::Column::WorkspaceId.eq(workspace.0))
            .and_where(conversation_contact::Column::ContactIntercomId.in_subquery(with_email))
            .to_owned();
        Ok(conversation::Entity::find()
            .filter(conversation::Column::WorkspaceId.eq(workspace.0))
            .filter(conversation::Column::ContactEmail.is_null())
            .filter(conversation::Column::DeletedAt.is_null())
            .filter(conversation::Column::IntercomId.not_in_subquery(linked))
            .count(&self.inner.read)
            .await?)
    }

    /// The stored parts of a conversation, oldest first.
    pub async fn conversation_parts(
        &self,
        workspace: WorkspaceId,
        conversation_id: &ConversationId,
    ) -> Result<Vec<ConversationPart>> {
        Ok(conversation_part::Entity::find()
            .filter(conversation_part::Column::WorkspaceId.eq(workspace.0))
            .filter(conversation_part::Column::ConversationIntercomId.eq(conversation_id.as_str()))
            .order_by_asc(conversation_part::Column::CreatedAt)
            .order_by_asc(conversation_part::Column::Id)
            .all(&self.inner.read)
            .await?
            .into_iter()
            .map(|row| ConversationPart {
                id: PartId::new(row.intercom_id),
                conversation_id: ConversationId::new(row.conversation_intercom_id),
                part_type: row.part_type,
                author: Author {
                    kind: row.author_type,
                    id: row.author_id,
                    name: row.author_name,
                    email: row.author_email,
                },
                body: row.body,
                created_at: row.created_at,
                updated_at: row.updated_at,
            })
            .collect())
    }

    async fn with_participants(
        &self,
        workspace: WorkspaceId,
        rows: Vec<conversation::Model>,
    ) -> Result<Vec<StoredConversation>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = rows.iter().map(|r| r.intercom_id.clone()).collect();
        let mut participants: HashMap<String, Vec<ContactId>> = HashMap::new();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            for link in conversation_contact::Entity::find()
                .filter(conversation_contact::Column::WorkspaceId.eq(workspace.0))
                .filter(conversation_contact::Column::ConversationIntercomId.is_in(chunk.to_vec()))
                .order_by_asc(conversation_contact::Column::Position)
                .all(&self.inner.read)
                .await?
            {
                participants
                    .entry(link.conversation_intercom_id)
                    .or_default()
                    .push(ContactId::new(link.contact_intercom_id));
            }
        }
        Ok(rows
            .into_iter()
            .map(|row| {
                let contact_ids = participants.remove(&row.intercom_id).unwrap_or_default();
                stored_conversation(row, contact_ids)
            })
            .collect())
    }
}

pub(crate) fn stored_conversation(
    row: conversation::Model,
    contact_ids: Vec<ContactId>,
) -> StoredConversation {
    let tags = match row.tags {
        serde_json::Value::Array(items) => items
            .into_iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    StoredConversation {
        conversation: Conversation {
            id: ConversationId::new(row.intercom_id),
            title: row.title,
            state: row.state,
            open: row.open,
            created_at: row.created_at,
            updated_at: row.updated_at,
            waiting_since: row.waiting_since,
            snoozed_until: row.snoozed_until,
            contact_ids,
            contact_email: row.contact_email,
            admin_assignee_id: row.admin_assignee_id,
            source: ConversationSource {
                kind: row.source_type,
                subject: row.source_subject,
                body: row.source_body,
                author: Author {
                    kind: row.source_author_type,
                    id: row.source_author_id,
                    name: row.source_author_name,
                    email: row.source_author_email,
                },
                url: row.source_url,
            },
            tags,
            parts_reported: row.parts_reported,
        },
        parts_stored: row.parts_stored,
        last_imported_at: row.last_imported_at,
        deleted_at: row.deleted_at,
    }
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn counts_read_with_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(500), "500");
        assert_eq!(thousands(1204), "1,204");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-1000), "-1,000");
    }
}
