//! Sessions written by the sessionizer: a contact's sessions from some time on are replaced.
//! Every row a rebuild writes records `replaced_from`, so a reader of the sessions feed knows
//! which of its copies the rebuild superseded.

use crate::Store;
use crate::entities::session;
use crate::error::Result;
use chrono::{DateTime, Utc};
use icsync_domain::{ContactId, Session, WorkspaceId};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement, TransactionTrait,
};

impl Store {
    /// Replaces a contact's sessions that start at or after `from` with `sessions`, in one
    /// transaction (the sessionizer rebuilds from the earliest changed event on).
    pub async fn replace_sessions(
        &self,
        workspace: WorkspaceId,
        contact_id: &ContactId,
        from: DateTime<Utc>,
        sessions: &[Session],
    ) -> Result<()> {
        let now = Utc::now();
        let txn = self.inner.write.begin().await?;
        if self.inner.backend == crate::Backend::Postgres {
            // Serialise a workspace's rebuilds until commit, so session ids become visible in
            // increasing order and a feed reader never skips a row committed late.
            const SESSIONS_LOCK_SPACE: i64 = 0x1C5_0002 << 32;
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [(SESSIONS_LOCK_SPACE ^ workspace.0).into()],
            ))
            .await?;
        }
        session::Entity::delete_many()
            .filter(session::Column::WorkspaceId.eq(workspace.0))
            .filter(session::Column::ContactIntercomId.eq(contact_id.as_str()))
            .filter(session::Column::StartedAt.gte(from))
            .exec(&txn)
            .await?;
        if !sessions.is_empty() {
            let rows = sessions.iter().map(|s| session::ActiveModel {
                workspace_id: Set(workspace.0),
                contact_intercom_id: Set(s.contact_id.as_str().to_owned()),
                started_at: Set(s.started_at),
                ended_at: Set(s.ended_at),
                event_count: Set(s.event_count),
                rebuilt_at: Set(now),
                replaced_from: Set(Some(from)),
                ..Default::default()
            });
            session::Entity::insert_many(rows).exec(&txn).await?;
        }
        txn.commit().await?;
        Ok(())
    }
}
