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

/// The owned form a prepared batch carries.
#[derive(Debug, Default)]
pub(crate) struct Marks {
    /// Contacts whose company list is complete, each with the pair keys to keep.
    pub sets: Vec<(String, Vec<String>)>,
    pub marks: Vec<ContactMark>,
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
        Self {
            sets,
            marks: marks.to_vec(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.sets.is_empty() && self.marks.is_empty()
    }
}

fn pair_key(contact: &str, company: &str) -> String {
    format!("{contact}{PAIR_SEPARATOR}{company}")
}

/// The SQL of each mark, with `?` placeholders in bind order: workspace id first.
fn mark_sql(mark: &ContactMark) -> &'static str {
    match mark {
        ContactMark::CompaniesSynced { .. } => {
            "UPDATE contacts SET companies_synced_updated_at = ? WHERE workspace_id = ? AND \
             intercom_id = ? AND updated_at IS NOT DISTINCT FROM ? AND \
             companies_synced_updated_at IS DISTINCT FROM ?"
        }
        ContactMark::CompaniesSyncedUpTo { .. } => {
            "UPDATE contacts SET companies_synced_updated_at = updated_at WHERE workspace_id = ? \
             AND companies_synced_updated_at IS DISTINCT FROM updated_at AND last_imported_at <= ?"
        }
        ContactMark::EventsSynced { .. } => {
            "UPDATE contacts SET events_synced_updated_at = ?, events_synced_last_seen_at = ? \
             WHERE workspace_id = ? AND intercom_id = ? AND updated_at IS NOT DISTINCT FROM ? AND \
             last_seen_at IS NOT DISTINCT FROM ? AND (events_synced_updated_at IS DISTINCT FROM ? \
             OR events_synced_last_seen_at IS DISTINCT FROM ?)"
        }
        ContactMark::Deleted { .. } => {
            "UPDATE contacts SET deleted_at = ?, content_hash = 'deleted' WHERE workspace_id = ? \
             AND intercom_id = ? AND deleted_at IS NULL"
        }
    }
}

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

/// Binds a mark's values in the order of [`mark_sql`]; generic over both backends' queries.
macro_rules! bind_mark {
    ($query:expr, $mark:expr, $ws:expr, $now:expr) => {{
        let q = $query;
        match $mark {
            ContactMark::CompaniesSynced {
                contact,
                updated_at,
            } => q
                .bind(*updated_at)
                .bind($ws)
                .bind(contact.as_str().to_owned())
                .bind(*updated_at)
                .bind(*updated_at),
            ContactMark::CompaniesSyncedUpTo { imported_by } => q.bind($ws).bind(*imported_by),
            ContactMark::EventsSynced {
                contact,
                updated_at,
                last_seen_at,
            } => q
                .bind(*updated_at)
                .bind(*last_seen_at)
                .bind($ws)
                .bind(contact.as_str().to_owned())
                .bind(*updated_at)
                .bind(*last_seen_at)
                .bind(*updated_at)
                .bind(*last_seen_at),
            ContactMark::Deleted { contact } => {
                q.bind($now).bind($ws).bind(contact.as_str().to_owned())
            }
        }
    }};
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
    for mark in &marks.marks {
        let query = sqlx::query(mark_sql(mark));
        statements.tick()?;
        marked += bind_mark!(query, mark, ws, now)
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
    for mark in &marks.marks {
        let sql = numbered(mark_sql(mark));
        let query = sqlx::query(sqlx::AssertSqlSafe(sql));
        statements.tick()?;
        marked += bind_mark!(query, mark, ws, now)
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
