//! HTTP API keys as stored: the public key id, a name, a scope and the SHA-256 of the key.
//! Generating, hashing and checking keys is the API crate's job; the store keeps rows.

use crate::Store;
use crate::entities::api_key;
use crate::error::Result;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};

/// A key to store; `key_hash` is the hex SHA-256 of the whole key, never the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub key_id: String,
    pub name: String,
    pub scope: String,
    pub key_hash: String,
}

/// A stored key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredApiKey {
    pub id: i64,
    pub key_id: String,
    pub name: String,
    pub scope: String,
    pub key_hash: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Stores a new key. A `key_id` already taken fails (ids are random: retry with another).
    pub async fn insert_api_key(&self, new: &NewApiKey) -> Result<StoredApiKey> {
        let row = api_key::ActiveModel {
            key_id: Set(new.key_id.clone()),
            name: Set(new.name.clone()),
            scope: Set(new.scope.clone()),
            key_hash: Set(new.key_hash.clone()),
            created_at: Set(Utc::now()),
            revoked_at: Set(None),
            ..Default::default()
        }
        .insert(&self.inner.write)
        .await?;
        Ok(stored(row))
    }

    /// The key whose public id is `key_id`, revoked or not.
    pub async fn api_key_by_key_id(&self, key_id: &str) -> Result<Option<StoredApiKey>> {
        Ok(api_key::Entity::find()
            .filter(api_key::Column::KeyId.eq(key_id))
            .one(&self.inner.read)
            .await?
            .map(stored))
    }

    /// Every key, oldest first.
    pub async fn api_keys(&self) -> Result<Vec<StoredApiKey>> {
        Ok(api_key::Entity::find()
            .order_by_asc(api_key::Column::Id)
            .all(&self.inner.read)
            .await?
            .into_iter()
            .map(stored)
            .collect())
    }

    /// Revokes a key: it is refused from then on. False when no such key is live.
    pub async fn revoke_api_key(&self, id: i64) -> Result<bool> {
        let result = api_key::Entity::update_many()
            .col_expr(api_key::Column::RevokedAt, Expr::value(Utc::now()))
            .filter(api_key::Column::Id.eq(id))
            .filter(api_key::Column::RevokedAt.is_null())
            .exec(&self.inner.write)
            .await?;
        Ok(result.rows_affected == 1)
    }
}

fn stored(row: api_key::Model) -> StoredApiKey {
    StoredApiKey {
        id: row.id,
        key_id: row.key_id,
        name: row.name,
        scope: row.scope,
        key_hash: row.key_hash,
        created_at: row.created_at,
        revoked_at: row.revoked_at,
    }
}
