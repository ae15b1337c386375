//! What a page says about contacts besides their rows: complete company lists (associations
//! not listed are removed), per-contact sync markers and deletions. Applied in the page's
//! transaction, after its rows, so a marker never claims more than was stored.

use super::Statements;
use crate::error::Result;
use chrono::{DateTime, Utc};
use icsync_domain::{CompanyId, ContactId};

/// A fact about one contact, written with the page that established it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactMark {
    /// The contact's companies were fetched while its `updated_at` was this value; the mark
    /// applies only if the stored `updated_at` still is (a later change keeps it pending).
    CompaniesSynced {
        contact: ContactId,
        updated_at: Option<DateTime<Utc>>,
    },
    /// Every contact whose row last changed no later than `imported_by` has its companies
    /// synced (after a full enumeration of the workspace's companies).
    CompaniesSyncedUpTo { imported_by: DateTime<Utc> },
    /// The contact's events were listed while its `updated_at` and `last_seen_at` were these.
    EventsSynced {
        contact: ContactId,
        updated_at: Option<DateTime<Utc>>,
        last_seen_at: Option<DateTime<Utc>>,
    },
    /// Intercom answered 404 for the contact: kept for history, left out of feeds. The next
    /// import of the same contact (if Intercom shows it again) clears the mark.
    Deleted { contact: ContactId },
}

/// A per-contact marker's key and the timestamps it is conditioned on.
type Stamp = (String, Option<DateTime<Utc>>);
type Stamps = (String, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The owned form a prepared batch carries: the marks grouped by kind, so each kind is one
/// statement for the whole batch (one per mark cost a round trip to the database each, two per
/// contact in an events page). Kinds touch different columns and a mark applies only if the row
/// still has the values it names, so applying them kind by kind gives what applying them in
/// order gave.
#[derive(Debug, Default)]
pub(crate) struct Marks {
    /// Contacts whose company list is complete, each with the pair keys to keep.
    pub sets: Vec<(String, Vec<String>)>,
    companies: Vec<Stamp>,
    events: Vec<Stamps>,
    deleted: Vec<String>,
    synced_up_to: Vec<DateTime<Utc>>,
}

/// Separates contact and company ids in a pair key (ids never contain it).
pub(crate) const PAIR_SEPARATOR: char = '\u{1f}';

impl Marks {
    pub(crate) fn new(company_sets: &[(ContactId, Vec<CompanyId>)], marks: &[ContactMark]) -> Self {
        let sets = company_sets
            .iter()
            .map(|(contact, companies)| {
                let keep = companies
                    .iter()
                    .map(|company| pair_key(contact.as_str(), company.as_str()))
                    .collect();
                (contact.as_str().to_owned(), keep)
            })
            .collect();
        let mut out = Self {
            sets,
            ..Self::default()
        };
        for mark in marks {
            match mark {
                ContactMark::CompaniesSynced {
                    contact,
                    updated_at,
                } => out
                    .companies
                    .push((contact.as_str().to_owned(), *updated_at)),
                ContactMark::CompaniesSyncedUpTo { imported_by } => {
                    out.synced_up_to.push(*imported_by);
                }
                ContactMark::EventsSynced {
                    contact,
                    updated_at,
                    last_seen_at,
                } => out
                    .events
                    .push((contact.as_str().to_owned(), *updated_at, *last_seen_at)),
                ContactMark::Deleted { contact } => out.deleted.push(contact.as_str().to_owned()),
            }
        }
        out
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.sets.is_empty()
            && self.companies.is_empty()
            && self.events.is_empty()
            && self.deleted.is_empty()
            && self.synced_up_to.is_empty()
    }
}

fn pair_key(contact: &str, company: &str) -> String {
    format!("{contact}{PAIR_SEPARATOR}{company}")
}

// The marks drive the join (`CROSS JOIN` keeps them the outer loop: otherwise SQLite scans the
// workspace's contacts for each statement, trying every mark on each). A mark applies only where
// the row still has the values it names, so the columns are set from the row itself.
const SQLITE_COMPANIES_SYNCED: &str = "UPDATE contacts SET companies_synced_updated_at = \
    updated_at WHERE rowid IN (SELECT c.rowid FROM json_each(?2) AS m CROSS JOIN contacts c \
    WHERE c.workspace_id = ?1 AND c.intercom_id = m.value ->> 0 AND \
    c.updated_at IS NOT DISTINCT FROM m.value ->> 1 AND \
    c.companies_synced_updated_at IS DISTINCT FROM c.updated_at)";

const SQLITE_EVENTS_SYNCED: &str = "UPDATE contacts SET events_synced_updated_at = updated_at, \
    events_synced_last_seen_at = last_seen_at WHERE rowid IN (SELECT c.rowid FROM \
    json_each(?2) AS m CROSS JOIN contacts c WHERE c.workspace_id = ?1 AND \
    c.intercom_id = m.value ->> 0 AND c.updated_at IS NOT DISTINCT FROM m.value ->> 1 AND \
    c.last_seen_at IS NOT DISTINCT FROM m.value ->> 2 AND \
    (c.events_synced_updated_at IS DISTINCT FROM c.updated_at OR \
    c.events_synced_last_seen_at IS DISTINCT FROM c.last_seen_at))";

const PG_COMPANIES_SYNCED: &str = "UPDATE contacts c SET companies_synced_updated_at = m.u \
    FROM UNNEST($2::text[], $3::timestamptz[]) AS m(id, u) \
    WHERE c.workspace_id = $1 AND c.intercom_id = m.id AND \
    c.updated_at IS NOT DISTINCT FROM m.u AND c.companies_synced_updated_at IS DISTINCT FROM m.u";

const PG_EVENTS_SYNCED: &str = "UPDATE contacts c SET events_synced_updated_at = m.u, \
    events_synced_last_seen_at = m.s \
    FROM UNNEST($2::text[], $3::timestamptz[], $4::timestamptz[]) AS m(id, u, s) \
    WHERE c.workspace_id = $1 AND c.intercom_id = m.id AND \
    c.updated_at IS NOT DISTINCT FROM m.u AND c.last_seen_at IS NOT DISTINCT FROM m.s AND \
    (c.events_synced_updated_at IS DISTINCT FROM m.u OR \
    c.events_synced_last_seen_at IS DISTINCT FROM m.s)";

/// After a full company enumeration (one per pass at most, so one statement each).
const SYNCED_UP_TO: &str = "UPDATE contacts SET companies_synced_updated_at = updated_at \
    WHERE workspace_id = ? AND companies_synced_updated_at IS DISTINCT FROM updated_at AND \
    last_imported_at <= ?";

/// Rewrites `?` placeholders as `$1, $2, ...` for PostgreSQL.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(ch);
        }
    }
    out
}

/// Applies the marks on SQLite; returns (associations removed, marks that changed a row).
pub(crate) async fn apply_sqlite(
    conn: &mut sqlx::SqliteConnection,
    ws: i64,
    marks: Marks,
    now: DateTime<Utc>,
    statements: &mut Statements,
) -> Result<(u64, u64)> {
    let mut removed = 0;
    if !marks.sets.is_empty() {
        let (contacts, pairs): (Vec<String>, Vec<Vec<String>>) = marks.sets.into_iter().unzip();
        let pairs: Vec<String> = pairs.into_iter().flatten().collect();
        // Both lists are JSON arrays: one statement shape whatever their lengths (see
        // `SQLITE_ID_LIST`). `NOT IN` an empty list keeps nothing.
        let sql = format!(
            "DELETE FROM contact_companies WHERE workspace_id = ? AND contact_intercom_id IN \
             ({list}) AND (contact_intercom_id || char(31) || company_intercom_id) NOT IN \
             ({list})",
            list = super::SQLITE_ID_LIST
        );
        statements.tick()?;
        removed = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ws)
            .bind(super::id_list(&contacts))
            .bind(super::id_list(&pairs))
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    let mut marked = 0;
    let batches = [
        (
            SQLITE_COMPANIES_SYNCED,
            super::sqlite_rows(marks.companies.iter().map(|(c, u)| (c.as_str(), vec![*u]))),
            marks.companies.len(),
        ),
        (
            SQLITE_EVENTS_SYNCED,
            super::sqlite_rows(
                marks
                    .events
                    .iter()
                    .map(|(c, u, s)| (c.as_str(), vec![*u, *s])),
            ),
            marks.events.len(),
        ),
    ];
    for (sql, rows, count) in batches {
        if count == 0 {
            continue;
        }
        statements.tick()?;
        marked += sqlx::query(sql)
            .bind(ws)
            .bind(rows)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    if !marks.deleted.is_empty() {
        let sql = format!(
            "UPDATE contacts SET deleted_at = ?, content_hash = 'deleted' WHERE workspace_id = ? \
             AND intercom_id IN ({list}) AND deleted_at IS NULL",
            list = super::SQLITE_ID_LIST
        );
        statements.tick()?;
        marked += sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .bind(ws)
            .bind(super::id_list(&marks.deleted))
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    for imported_by in marks.synced_up_to {
        statements.tick()?;
        marked += sqlx::query(SYNCED_UP_TO)
            .bind(ws)
            .bind(imported_by)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok((removed, marked))
}

/// Applies the marks on PostgreSQL; returns (associations removed, marks that changed a row).
pub(crate) async fn apply_postgres(
    conn: &mut sqlx::PgConnection,
    ws: i64,
    marks: Marks,
    now: DateTime<Utc>,
    statements: &mut Statements,
) -> Result<(u64, u64)> {
    let mut removed = 0;
    if !marks.sets.is_empty() {
        let (contacts, pairs): (Vec<String>, Vec<Vec<String>>) = marks.sets.into_iter().unzip();
        let pairs: Vec<String> = pairs.into_iter().flatten().collect();
        statements.tick()?;
        removed = sqlx::query(
            "DELETE FROM contact_companies WHERE workspace_id = $1 AND contact_intercom_id = \
             ANY($2) AND (contact_intercom_id || chr(31) || company_intercom_id) <> ALL($3)",
        )
        .bind(ws)
        .bind(contacts)
        .bind(pairs)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    let mut marked = 0;
    if !marks.companies.is_empty() {
        let (ids, updated): (Vec<String>, Vec<Option<DateTime<Utc>>>) =
            marks.companies.into_iter().unzip();
        statements.tick()?;
        marked += sqlx::query(PG_COMPANIES_SYNCED)
            .bind(ws)
            .bind(ids)
            .bind(updated)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    if !marks.events.is_empty() {
        let mut ids = Vec::with_capacity(marks.events.len());
        let mut updated = Vec::with_capacity(marks.events.len());
        let mut seen = Vec::with_capacity(marks.events.len());
        for (id, u, s) in marks.events {
            ids.push(id);
            updated.push(u);
            seen.push(s);
        }
        statements.tick()?;
        marked += sqlx::query(PG_EVENTS_SYNCED)
            .bind(ws)
            .bind(ids)
            .bind(updated)
            .bind(seen)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    if !marks.deleted.is_empty() {
        statements.tick()?;
        marked += sqlx::query(
            "UPDATE contacts SET deleted_at = $1, content_hash = 'deleted' WHERE workspace_id = \
             $2 AND intercom_id = ANY($3) AND deleted_at IS NULL",
        )
        .bind(now)
        .bind(ws)
        .bind(marks.deleted)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    for imported_by in marks.synced_up_to {
        statements.tick()?;
        marked += sqlx::query(sqlx::AssertSqlSafe(numbered(SYNCED_UP_TO)))
            .bind(ws)
            .bind(imported_by)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok((removed, marked))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(numbered("a = ? AND b = ?"), "a = $1 AND b = $2");
    }

    #[test]
    fn company_sets_become_contacts_with_pair_keys() {
        let sets = [
            (ContactId::new("c2"), vec![CompanyId::new("k1")]),
            (ContactId::new("c1"), vec![]),
        ];
        let marks = Marks::new(&sets, &[]);
        assert_eq!(
            marks.sets,
            vec![
                ("c2".to_owned(), vec![format!("c2{PAIR_SEPARATOR}k1")]),
                ("c1".to_owned(), vec![]),
            ]
        );
    }
}
