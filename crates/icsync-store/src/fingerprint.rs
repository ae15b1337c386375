//! A workspace's stored content in a few digests: two stores synced from the same Intercom data
//! have equal fingerprints whatever the order, timing or interruptions of their runs. Import
//! times and feed sequence numbers are bookkeeping, not content, and are left out.

use crate::Store;
use crate::error::Result;
use icsync_domain::WorkspaceId;
use sea_orm::{ConnectionTrait, Statement};
use sha2::{Digest, Sha256};

/// Row counts and content digests of one workspace's tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub tables: Vec<TableFingerprint>,
}

/// One table: how many rows, and a digest of their identities and contents, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableFingerprint {
    pub table: &'static str,
    pub rows: u64,
    pub digest: String,
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, t) in self.tables.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(
                f,
                "{} {} ({})",
                t.rows,
                t.table,
                &t.digest[..12.min(t.digest.len())]
            )?;
        }
        Ok(())
    }
}

/// Each table's identity and content columns (SQL text, the same on both backends).
const TABLES: &[(&str, &str)] = &[
    (
        "contacts",
        "SELECT intercom_id, content_hash FROM contacts WHERE workspace_id = {ws} ORDER BY 1",
    ),
    (
        "deleted_contacts",
        "SELECT intercom_id, '' FROM contacts WHERE workspace_id = {ws} AND deleted_at IS NOT NULL ORDER BY 1",
    ),
    (
        "companies",
        "SELECT intercom_id, content_hash FROM companies WHERE workspace_id = {ws} ORDER BY 1",
    ),
    (
        "contact_companies",
        "SELECT contact_intercom_id, company_intercom_id FROM contact_companies WHERE workspace_id = {ws} ORDER BY 1, 2",
    ),
    (
        "events",
        "SELECT dedupe_key, contact_intercom_id FROM events WHERE workspace_id = {ws} ORDER BY 1",
    ),
    (
        "conversations",
        "SELECT intercom_id, content_hash FROM conversations WHERE workspace_id = {ws} ORDER BY 1",
    ),
    (
        "conversation_parts",
        "SELECT intercom_id, content_hash FROM conversation_parts WHERE workspace_id = {ws} ORDER BY 1",
    ),
];

impl Store {
    /// The workspace's fingerprint, read in one pass per table.
    pub async fn fingerprint(&self, workspace: WorkspaceId) -> Result<Fingerprint> {
        let db = &self.inner.read;
        let backend = db.get_database_backend();
        let mut tables = Vec::with_capacity(TABLES.len());
        for (table, sql) in TABLES {
            // The workspace id is an integer of ours, not user input.
            let sql = sql.replace("{ws}", &workspace.0.to_string());
            let rows = db
                .query_all_raw(Statement::from_string(backend, sql))
                .await?;
            let mut hasher = Sha256::new();
            for row in &rows {
                let a: String = row.try_get_by_index(0)?;
                let b: String = row.try_get_by_index(1)?;
                hasher.update((a.len() as u64).to_le_bytes());
                hasher.update(a.as_bytes());
                hasher.update((b.len() as u64).to_le_bytes());
                hasher.update(b.as_bytes());
            }
            tables.push(TableFingerprint {
                table,
                rows: rows.len() as u64,
                digest: hex::encode(hasher.finalize()),
            });
        }
        Ok(Fingerprint { tables })
    }
}
