//! Per-workspace writeback state: which attribute mapping was provisioned in Intercom, and the
//! configuration error that stops pushes, if any.

use crate::Store;
use crate::entities::writeback_state;
use crate::error::Result;
use chrono::{DateTime, Utc};
use icsync_domain::WorkspaceId;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
    TransactionTrait,
};

/// What the pusher knows about a workspace's data attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WritebackState {
    /// Digest of the attribute names and types last provisioned successfully.
    pub mapping_hash: Option<String>,
    pub provisioned_at: Option<DateTime<Utc>>,
    /// Why pushes cannot start (shown in status until fixed).
    pub config_error: Option<String>,
    /// When provisioning was last checked (successfully or not).
    pub checked_at: Option<DateTime<Utc>>,
    /// The mapping that check was for.
    pub checked_mapping_hash: Option<String>,
    /// Data attributes icsync created in this workspace, in total.
    pub attributes_created: i64,
}

impl Store {
    /// A workspace's writeback state (the default before the first push).
    pub async fn writeback_state(&self, workspace: WorkspaceId) -> Result<WritebackState> {
        Ok(writeback_state::Entity::find()
            .filter(writeback_state::Column::WorkspaceId.eq(workspace.0))
            .one(&self.inner.read)
            .await?
            .map(|row| WritebackState {
                mapping_hash: row.mapping_hash,
                provisioned_at: row.provisioned_at,
                config_error: row.config_error,
                checked_at: row.checked_at,
                checked_mapping_hash: row.checked_mapping_hash,
                attributes_created: row.attributes_created,
            })
            .unwrap_or_default())
    }

    /// Replaces a workspace's writeback state.
    pub async fn save_writeback_state(
        &self,
        workspace: WorkspaceId,
        state: &WritebackState,
    ) -> Result<()> {
        let now = Utc::now();
        let txn = self.inner.write.begin().await?;
        let existing = writeback_state::Entity::find()
            .filter(writeback_state::Column::WorkspaceId.eq(workspace.0))
            .one(&txn)
            .await?;
        let mut active = match existing {
            Some(row) => row.into_active_model(),
            None => writeback_state::ActiveModel {
                workspace_id: Set(workspace.0),
                ..Default::default()
            },
        };
        active.mapping_hash = Set(state.mapping_hash.clone());
        active.provisioned_at = Set(state.provisioned_at);
        active.config_error = Set(state.config_error.clone());
        active.checked_at = Set(state.checked_at);
        active.checked_mapping_hash = Set(state.checked_mapping_hash.clone());
        active.attributes_created = Set(state.attributes_created);
        active.updated_at = Set(now);
        active.save(&txn).await?;
        txn.commit().await?;
        Ok(())
    }
}
