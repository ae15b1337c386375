//! The bulk ingest path: a page of records and its stream's checkpoint, in one transaction.
//!
//! Rows are built once from domain records ([`tables`]), then written by the backend's writer:
//! multi-row `VALUES` on SQLite, `UNNEST` array binds on PostgreSQL. Unchanged records cost a
//! lookup and no write: the upsert compares content hashes in the statement itself.

mod marks;
mod postgres;
mod queue;
mod sessions;
mod sqlite;
mod table;
mod tables;

use crate::Store;
use crate::connect::Writer;
use crate::error::{Result, StoreError};
use chrono::{DateTime, Utc};
use icsync_domain::{
    Company, CompanyId, Contact, ContactId, Conversation, ConversationId, ConversationPart, Event,
    RunStatus, StreamName, WorkspaceId,
};
use table::Rows;

pub use marks::ContactMark;
pub use queue::{IngestPage, IngestQueue, QueueBounds, QueueTotals};
pub use sessions::SessionRebuild;

/// Records to write together, with the checkpoint that follows them.
#[derive(Debug, Default, Clone, Copy)]
pub struct IngestBatch<'a> {
    pub contacts: &'a [Contact],
    pub companies: &'a [Company],
    /// Contact-company associations (added; existing ones are kept).
    pub associations: &'a [(ContactId, CompanyId)],
    /// Contacts whose company list is known in full: these associations are added and any
    /// other association of the contact is removed (a user who left a company).
    pub company_sets: &'a [(ContactId, Vec<CompanyId>)],
    /// Sync markers and deletions, applied after the rows.
    pub marks: &'a [ContactMark],
    /// `last_seen_at` values seen for contacts (sessionizer signals beside the events).
    pub seen: &'a [(ContactId, DateTime<Utc>)],
    /// Contacts' sessions rebuilt from these and the stored signals.
    pub sessions: &'a [SessionRebuild],
    pub events: &'a [Event],
    pub conversations: &'a [Conversation],
    pub parts: &'a [ConversationPart],
    /// Conversations Intercom answered 404 for: marked deleted (kept for history, left out of
    /// timelines) after the rows; a later import of the same conversation clears the mark.
    pub deleted_conversations: &'a [ConversationId],
    /// Records that may be older than what is stored (webhook notifications: late, repeated,
    /// out of order): a contact or company is changed only by a strictly newer `updated_at`,
    /// and such a write never clears a contact's deletion. Conversations and parts never go
    /// back in time whatever this says.
    pub newer_only: bool,
    /// Written in the same transaction, after the rows: never ahead of its data.
    pub checkpoint: Option<&'a CheckpointUpdate>,
}

/// The new position of a stream. `records_total` grows by the rows the batch actually wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointUpdate {
    pub stream: StreamName,
    pub watermark: Option<DateTime<Utc>>,
    pub cursor: Option<String>,
    pub status: RunStatus,
}

/// Rows received and rows written (inserted or changed) for one kind of record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub received: u64,
    pub written: u64,
}

impl Counts {
    pub fn unchanged(&self) -> u64 {
        self.received.saturating_sub(self.written)
    }
}

/// What one [`Store::write_batch`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestReport {
    pub contacts: Counts,
    pub companies: Counts,
    pub associations: Counts,
    pub events: Counts,
    pub conversations: Counts,
    pub parts: Counts,
    /// Sessions written by rebuilds, and sessions the rebuilds replaced.
    pub sessions: Counts,
    pub sessions_replaced: u64,
    /// Seen-signals received and new.
    pub seen: Counts,
    /// Associations removed because a complete company list no longer named them.
    pub detached: u64,
    /// Marks that changed a contact row.
    pub marked: u64,
    /// Conversations newly marked deleted.
    pub conversations_deleted: u64,
    /// SQL statements executed, the checkpoint and locks included.
    pub statements: u64,
}

impl IngestReport {
    pub fn written(&self) -> u64 {
        [
            self.contacts,
            self.companies,
            self.associations,
            self.events,
            self.conversations,
            self.parts,
            self.sessions,
            self.seen,
        ]
        .iter()
        .map(|c| c.written)
        .sum::<u64>()
            + self.detached
    }
}

/// A failure to inject into the next batch, for tests and drills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestFault {
    /// The batch fails instead of running its statement number `after_statements + 1`.
    pub after_statements: usize,
}

/// Counts statements and trips an injected fault.
#[derive(Debug)]
pub(crate) struct Statements {
    count: u64,
    fault: Option<IngestFault>,
}

impl Statements {
    pub(crate) fn tick(&mut self) -> Result<()> {
        if let Some(fault) = self.fault
            && self.count as usize >= fault.after_statements
        {
            return Err(StoreError::InjectedFault {
                statements: fault.after_statements,
            });
        }
        self.count += 1;
        Ok(())
    }
}

/// Which counter of the report a table's rows feed.
#[derive(Debug, Clone, Copy)]
enum Counter {
    Contacts,
    Companies,
    Associations,
    Conversations,
    Parts,
    Events,
    Seen,
    /// Rows that are not records of their own (conversation participants).
    None,
}

impl IngestReport {
    fn counter(&mut self, counter: Counter) -> Option<&mut Counts> {
        match counter {
            Counter::Contacts => Some(&mut self.contacts),
            Counter::Companies => Some(&mut self.companies),
            Counter::Associations => Some(&mut self.associations),
            Counter::Conversations => Some(&mut self.conversations),
            Counter::Parts => Some(&mut self.parts),
            Counter::Events => Some(&mut self.events),
            Counter::Seen => Some(&mut self.seen),
            Counter::None => None,
        }
    }
}

/// A batch turned into rows (hashed, serialized), ready to write: the CPU half of an ingest,
/// done before the transaction starts so the write lock is held only for IO, and (in the
/// queue) while the previous batch is being written.
#[derive(Debug)]
pub(crate) struct PreparedBatch {
    tables: Vec<(Rows, Counter, usize)>,
    touched_conversations: Vec<String>,
    deleted_conversations: Vec<String>,
    marks: marks::Marks,
    /// Sessions to replace (contact, from), then the rows replacing them.
    replaced: Vec<(String, DateTime<Utc>)>,
    session_rows: Rows,
    checkpoint: Option<CheckpointUpdate>,
    now: DateTime<Utc>,
}

impl PreparedBatch {
    pub(crate) fn new(batch: &IngestBatch<'_>) -> Self {
        let now = Utc::now();
        let (conversations, participants) = tables::conversation_rows(batch.conversations, now);
        // A contact's newest complete list wins when a group holds several.
        let mut newest: std::collections::HashMap<&str, usize> = Default::default();
        for (index, (contact, _)) in batch.company_sets.iter().enumerate() {
            newest.insert(contact.as_str(), index);
        }
        let company_sets: Vec<(ContactId, Vec<CompanyId>)> = batch
            .company_sets
            .iter()
            .enumerate()
            .filter(|(index, (contact, _))| newest.get(contact.as_str()) == Some(index))
            .map(|(_, set)| set.clone())
            .collect();
        let mut associations = batch.associations.to_vec();
        for (contact, companies) in &company_sets {
            associations.extend(companies.iter().map(|c| (contact.clone(), c.clone())));
        }
        let guarded = |mut rows: Rows| {
            rows.newer_only = batch.newer_only;
            rows
        };
        let tables = vec![
            (
                guarded(tables::contact_rows(batch.contacts, now)),
                Counter::Contacts,
                batch.contacts.len(),
            ),
            (
                guarded(tables::company_rows(batch.companies, now)),
                Counter::Companies,
                batch.companies.len(),
            ),
            (
                tables::association_rows(&associations, now),
                Counter::Associations,
                associations.len(),
            ),
            (
                conversations,
                Counter::Conversations,
                batch.conversations.len(),
            ),
            (participants, Counter::None, 0),
            (
                tables::part_rows(batch.parts, now),
                Counter::Parts,
                batch.parts.len(),
            ),
            (
                tables::event_rows(batch.events, now),
                Counter::Events,
                batch.events.len(),
            ),
            (
                tables::seen_rows(batch.seen),
                Counter::Seen,
                batch.seen.len(),
            ),
        ];
        // A contact rebuilt twice in a group keeps its newest rebuild: the later one was made
        // from every signal the earlier one saw.
        let mut newest_rebuild: std::collections::HashMap<&str, usize> = Default::default();
        for (index, rebuild) in batch.sessions.iter().enumerate() {
            newest_rebuild.insert(rebuild.contact.as_str(), index);
        }
        let rebuilds: Vec<SessionRebuild> = batch
            .sessions
            .iter()
            .enumerate()
            .filter(|(index, r)| newest_rebuild.get(r.contact.as_str()) == Some(index))
            .map(|(_, r)| r.clone())
            .collect();
        let replaced = rebuilds
            .iter()
            .map(|r| (r.contact.as_str().to_owned(), r.from))
            .collect();
        let session_rows = sessions::session_rows(&rebuilds, now);
        let mut touched_conversations: Vec<String> = batch
            .parts
            .iter()
            .map(|p| p.conversation_id.as_str().to_owned())
            .collect();
        touched_conversations.sort();
        touched_conversations.dedup();
        let mut deleted_conversations: Vec<String> = batch
            .deleted_conversations
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect();
        deleted_conversations.sort();
        deleted_conversations.dedup();
        Self {
            tables,
            touched_conversations,
            deleted_conversations,
            marks: marks::Marks::new(&company_sets, batch.marks),
            replaced,
            session_rows,
            checkpoint: batch.checkpoint.cloned(),
            now,
        }
    }
}

impl Store {
    /// Writes a batch and its checkpoint in one transaction: everything, or nothing.
    ///
    /// Idempotent: writing the same batch again changes no row, no `updated_at`/imported-at
    /// timestamp and no event sequence number.
    pub async fn write_batch(
        &self,
        workspace: WorkspaceId,
        batch: IngestBatch<'_>,
    ) -> Result<IngestReport> {
        self.write_prepared(workspace, PreparedBatch::new(&batch))
            .await
    }

    pub(crate) async fn write_prepared(
        &self,
        workspace: WorkspaceId,
        prepared: PreparedBatch,
    ) -> Result<IngestReport> {
        let PreparedBatch {
            tables,
            touched_conversations,
            deleted_conversations,
            marks,
            replaced,
            session_rows,
            checkpoint,
            now,
        } = prepared;
        let ws = workspace.0;
        let mut report = IngestReport::default();
        let mut statements = Statements {
            count: 0,
            fault: self.take_fault(),
        };
        let mut written_total = 0u64;
        let mut record = |report: &mut IngestReport, counter, received: usize, written: u64| {
            if let Some(counts) = report.counter(counter) {
                counts.received = received as u64;
                counts.written = written;
                written_total += written;
            }
        };
        match &self.inner.writer {
            Writer::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                for (rows, counter, received) in tables {
                    let written = sqlite::write(&mut tx, ws, rows, &mut statements).await?;
                    record(&mut report, counter, received, written);
                }
                if !touched_conversations.is_empty() {
                    statements.tick()?;
                    update_parts_stored(&mut tx, ws, &touched_conversations).await?;
                }
                if !replaced.is_empty() {
                    report.sessions_replaced =
                        sessions::delete_sqlite(&mut tx, ws, &replaced, &mut statements).await?;
                    let received = session_rows.len();
                    let written = sqlite::write(&mut tx, ws, session_rows, &mut statements).await?;
                    report.sessions = Counts {
                        received: received as u64,
                        written,
                    };
                }
                if !deleted_conversations.is_empty() {
                    statements.tick()?;
                    report.conversations_deleted =
                        mark_conversations_deleted(&mut tx, ws, &deleted_conversations, now)
                            .await?;
                }
                if !marks.is_empty() {
                    let (detached, marked) =
                        marks::apply_sqlite(&mut tx, ws, marks, now, &mut statements).await?;
                    report.detached = detached;
                    report.marked = marked;
                    written_total += detached;
                }
                if let Some(checkpoint) = &checkpoint {
                    statements.tick()?;
                    upsert_checkpoint_sqlite(&mut tx, ws, checkpoint, written_total, now).await?;
                }
                let _gate = self.pass_gate().await;
                tx.commit().await?;
            }
            Writer::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                // The durability promise is per batch, not per commit: if a crash drops the
                // last commits, their checkpoints go with them and those pages are fetched
                // again (docs/STORAGE.md). So the commit need not wait for the WAL flush.
                statements.tick()?;
                sqlx::query("SET LOCAL synchronous_commit = off")
                    .execute(&mut *tx)
                    .await?;
                for (rows, counter, received) in tables {
                    if rows.table.sequenced && !rows.is_empty() {
                        postgres::lock_event_sequence(&mut tx, ws, &mut statements).await?;
                    }
                    let written = postgres::write(&mut tx, ws, rows, &mut statements).await?;
                    record(&mut report, counter, received, written);
                }
                if !touched_conversations.is_empty() {
                    statements.tick()?;
                    update_parts_stored_pg(&mut tx, ws, touched_conversations).await?;
                }
                if !replaced.is_empty() {
                    report.sessions_replaced =
                        sessions::delete_postgres(&mut tx, ws, replaced, &mut statements).await?;
                    let received = session_rows.len();
                    let written =
                        postgres::write(&mut tx, ws, session_rows, &mut statements).await?;
                    report.sessions = Counts {
                        received: received as u64,
                        written,
                    };
                }
                if !deleted_conversations.is_empty() {
                    statements.tick()?;
                    report.conversations_deleted =
                        mark_conversations_deleted_pg(&mut tx, ws, deleted_conversations, now)
                            .await?;
                }
                if !marks.is_empty() {
                    let (detached, marked) =
                        marks::apply_postgres(&mut tx, ws, marks, now, &mut statements).await?;
                    report.detached = detached;
                    report.marked = marked;
                    written_total += detached;
                }
                if let Some(checkpoint) = &checkpoint {
                    statements.tick()?;
                    upsert_checkpoint_pg(&mut tx, ws, checkpoint, written_total, now).await?;
                }
                let _gate = self.pass_gate().await;
                tx.commit().await?;
            }
        }
        report.statements = statements.count;
        Ok(report)
    }
}

/// On SQLite, a list of ids is bound as one JSON array and read back with `json_each`: one
/// statement shape whatever the list's length. (One `?` per id made a new statement for every
/// length, and each stayed in the connection's statement cache: at 1M contacts tens of MB.)
pub(crate) const SQLITE_ID_LIST: &str = "SELECT value FROM json_each(?)";

/// The JSON array [`SQLITE_ID_LIST`] binds.
pub(crate) fn id_list<S: AsRef<str>>(ids: &[S]) -> String {
    serde_json::Value::from(ids.iter().map(AsRef::as_ref).collect::<Vec<&str>>()).to_string()
}

/// A timestamp as sqlx binds one on SQLite (RFC 3339, as many fraction digits as needed, `+00:00`),
/// so a value read from JSON compares equal, and in order, with a stored one.
fn sqlite_ts(at: Option<DateTime<Utc>>) -> serde_json::Value {
    at.map_or(serde_json::Value::Null, |at| {
        serde_json::Value::String(at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false))
    })
}

/// Rows of `[key, timestamp...]` as the JSON array the SQLite statements read with `json_each`.
pub(crate) fn sqlite_rows<'a>(
    rows: impl Iterator<Item = (&'a str, Vec<Option<DateTime<Utc>>>)>,
) -> String {
    serde_json::Value::Array(
        rows.map(|(key, stamps)| {
            let mut row = vec![serde_json::Value::from(key)];
            row.extend(stamps.into_iter().map(sqlite_ts));
            serde_json::Value::Array(row)
        })
        .collect(),
    )
    .to_string()
}

const PARTS_STORED: &str = "UPDATE conversations SET parts_stored = (SELECT count(*) FROM \
    conversation_parts p WHERE p.workspace_id = conversations.workspace_id AND \
    p.conversation_intercom_id = conversations.intercom_id) WHERE workspace_id = {ws} AND \
    intercom_id IN ({ids}) AND parts_stored <> (SELECT count(*) FROM conversation_parts p WHERE \
    p.workspace_id = conversations.workspace_id AND p.conversation_intercom_id = \
    conversations.intercom_id)";

async fn update_parts_stored(
    conn: &mut sqlx::SqliteConnection,
    ws: i64,
    ids: &[String],
) -> Result<()> {
    let sql = PARTS_STORED
        .replace("{ws}", "?")
        .replace("{ids}", SQLITE_ID_LIST);
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ws)
        .bind(id_list(ids))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn update_parts_stored_pg(
    conn: &mut sqlx::PgConnection,
    ws: i64,
    ids: Vec<String>,
) -> Result<()> {
    let sql = PARTS_STORED
        .replace("{ws}", "$1")
        .replace("intercom_id IN ({ids})", "intercom_id = ANY($2)");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ws)
        .bind(ids)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

const CONVERSATIONS_DELETED: &str = "UPDATE conversations SET deleted_at = {now} WHERE \
    workspace_id = {ws} AND deleted_at IS NULL AND intercom_id IN ({ids})";

async fn mark_conversations_deleted(
    conn: &mut sqlx::SqliteConnection,
    ws: i64,
    ids: &[String],
    now: DateTime<Utc>,
) -> Result<u64> {
    let sql = CONVERSATIONS_DELETED
        .replace("{now}", "?")
        .replace("{ws}", "?")
        .replace("{ids}", SQLITE_ID_LIST);
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(ws)
        .bind(id_list(ids))
        .execute(&mut *conn)
        .await?
        .rows_affected())
}

async fn mark_conversations_deleted_pg(
    conn: &mut sqlx::PgConnection,
    ws: i64,
    ids: Vec<String>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let sql = CONVERSATIONS_DELETED
        .replace("{now}", "$1")
        .replace("{ws}", "$2")
        .replace("intercom_id IN ({ids})", "intercom_id = ANY($3)");
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(ws)
        .bind(ids)
        .execute(&mut *conn)
        .await?
        .rows_affected())
}

const CHECKPOINT_UPSERT: &str = "INSERT INTO sync_checkpoints (workspace_id, stream, watermark, \
    cursor, status, records_total, updated_at) VALUES ({p}) ON CONFLICT (workspace_id, stream) DO \
    UPDATE SET watermark = excluded.watermark, cursor = excluded.cursor, status = excluded.status, \
    records_total = sync_checkpoints.records_total + excluded.records_total, updated_at = \
    excluded.updated_at WHERE sync_checkpoints.watermark IS DISTINCT FROM excluded.watermark OR \
    sync_checkpoints.cursor IS DISTINCT FROM excluded.cursor OR sync_checkpoints.status IS \
    DISTINCT FROM excluded.status OR excluded.records_total <> 0";

async fn upsert_checkpoint_sqlite(
    conn: &mut sqlx::SqliteConnection,
    ws: i64,
    checkpoint: &CheckpointUpdate,
    written: u64,
    now: DateTime<Utc>,
) -> Result<()> {
    let sql = CHECKPOINT_UPSERT.replace("{p}", "?, ?, ?, ?, ?, ?, ?");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ws)
        .bind(checkpoint.stream.as_str().to_owned())
        .bind(checkpoint.watermark)
        .bind(checkpoint.cursor.clone())
        .bind(checkpoint.status.as_str())
        .bind(written as i64)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn upsert_checkpoint_pg(
    conn: &mut sqlx::PgConnection,
    ws: i64,
    checkpoint: &CheckpointUpdate,
    written: u64,
    now: DateTime<Utc>,
) -> Result<()> {
    let sql = CHECKPOINT_UPSERT.replace("{p}", "$1, $2, $3, $4, $5, $6, $7");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ws)
        .bind(checkpoint.stream.as_str().to_owned())
        .bind(checkpoint.watermark)
        .bind(checkpoint.cursor.clone())
        .bind(checkpoint.status.as_str())
        .bind(written as i64)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
