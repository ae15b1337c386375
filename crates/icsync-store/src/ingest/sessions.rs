//! Sessions rebuilt from a page's signals, written in the page's transaction: a contact's
//! sessions from `from` on are replaced, every new row recording `replaced_from` for the
//! sessions feed. On PostgreSQL a workspace's session writes are serialised until commit (the
//! same lock as `Store::replace_sessions`), so session ids become visible in increasing order.

use super::Statements;
use super::table::{Cell, Rows};
use super::tables;
use crate::error::Result;
use chrono::{DateTime, Utc};
use icsync_domain::{ContactId, Session};

/// A contact's sessions from `from` on, as the sessionizer rebuilt them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRebuild {
    pub contact: ContactId,
    pub from: DateTime<Utc>,
    /// Every session of the contact starting at or after `from`, in order.
    pub sessions: Vec<Session>,
}

/// The lock space shared with `Store::replace_sessions`.
pub(crate) const SESSIONS_LOCK_SPACE: i64 = 0x1C5_0002 << 32;

/// The rows of the rebuilt sessions.
pub(crate) fn session_rows(rebuilds: &[SessionRebuild], now: DateTime<Utc>) -> Rows {
    let count = rebuilds.iter().map(|r| r.sessions.len()).sum();
    let mut rows = Rows::new(&tables::SESSIONS, count);
    for rebuild in rebuilds {
        for session in &rebuild.sessions {
            rows.push([
                Cell::Text(Some(rebuild.contact.as_str().to_owned())),
                Cell::Ts(Some(session.started_at)),
                Cell::Ts(Some(session.ended_at)),
                Cell::Int(Some(session.event_count)),
                Cell::Ts(Some(now)),
                Cell::Ts(Some(rebuild.from)),
            ]);
        }
    }
    rows
}

/// Deletes what the rebuilds replace (SQLite), one statement for the batch: the rebuilds are a
/// JSON array of `[contact, from]` joined to the sessions key.
pub(crate) async fn delete_sqlite(
    conn: &mut sqlx::SqliteConnection,
    ws: i64,
    rebuilds: &[(String, DateTime<Utc>)],
    statements: &mut Statements,
) -> Result<u64> {
    let list = super::sqlite_rows(
        rebuilds
            .iter()
            .map(|(contact, from)| (contact.as_str(), vec![Some(*from)])),
    );
    statements.tick()?;
    Ok(sqlx::query(
        // `CROSS JOIN` keeps the rebuilds the outer loop (each a search of the sessions key).
        "DELETE FROM sessions WHERE rowid IN (SELECT s.rowid FROM json_each(?2) AS r CROSS JOIN \
         sessions s WHERE s.workspace_id = ?1 AND s.contact_intercom_id = r.value ->> 0 AND \
         s.started_at >= r.value ->> 1)",
    )
    .bind(ws)
    .bind(list)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// Locks the workspace's sessions and deletes what the rebuilds replace (PostgreSQL).
pub(crate) async fn delete_postgres(
    conn: &mut sqlx::PgConnection,
    ws: i64,
    rebuilds: Vec<(String, DateTime<Utc>)>,
    statements: &mut Statements,
) -> Result<u64> {
    statements.tick()?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(SESSIONS_LOCK_SPACE ^ ws)
        .execute(&mut *conn)
        .await?;
    let (contacts, froms): (Vec<String>, Vec<DateTime<Utc>>) = rebuilds.into_iter().unzip();
    statements.tick()?;
    Ok(sqlx::query(
        "DELETE FROM sessions s USING UNNEST($2::text[], $3::timestamptz[]) AS r(contact, since) \
         WHERE s.workspace_id = $1 AND s.contact_intercom_id = r.contact AND s.started_at >= r.since",
    )
    .bind(ws)
    .bind(contacts)
    .bind(froms)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}
