//! Deleting a workspace for good: every row of every table that belongs to it, then the
//! workspace itself, in one transaction. Foreign keys cascade from `workspaces` on PostgreSQL,
//! but SQLite may run without foreign-key enforcement, so each table is emptied explicitly.

use crate::Store;
use crate::error::{Result, StoreError};
use icsync_domain::WorkspaceId;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use std::collections::BTreeMap;

/// Tables whose rows belong to no workspace (everything else has a `workspace_id`).
pub const INSTALLATION_TABLES: &[&str] = &["workspaces", "api_keys", "instances"];

impl Store {
    /// Deletes the workspace and everything stored for it, all or nothing. Returns the rows
    /// deleted per table (`workspaces` included); `NotFound` when there is no such workspace.
    pub async fn delete_workspace_and_data(
        &self,
        workspace: WorkspaceId,
    ) -> Result<BTreeMap<String, u64>> {
        let backend = match self.inner.backend {
            crate::Backend::Sqlite => DbBackend::Sqlite,
            crate::Backend::Postgres => DbBackend::Postgres,
        };
        let placeholder = match backend {
            DbBackend::Postgres => "$1",
            _ => "?",
        };
        let txn = self.inner.write.begin().await?;
        let mut deleted = BTreeMap::new();
        // Children before parents: the reverse of creation order.
        for table in icsync_migrations::TABLES.iter().rev() {
            if INSTALLATION_TABLES.contains(table) {
                continue;
            }
            let result = txn
                .execute_raw(Statement::from_sql_and_values(
                    backend,
                    format!("DELETE FROM {table} WHERE workspace_id = {placeholder}"),
                    [workspace.0.into()],
                ))
                .await?;
            deleted.insert((*table).to_owned(), result.rows_affected());
        }
        let result = txn
            .execute_raw(Statement::from_sql_and_values(
                backend,
                format!("DELETE FROM workspaces WHERE id = {placeholder}"),
                [workspace.0.into()],
            ))
            .await?;
        if result.rows_affected() == 0 {
            txn.rollback().await?;
            return Err(StoreError::NotFound {
                what: format!("workspace {workspace}"),
            });
        }
        deleted.insert("workspaces".to_owned(), result.rows_affected());
        txn.commit().await?;
        Ok(deleted)
    }
}
