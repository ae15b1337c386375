//! Table descriptors and typed cells: what a bulk upsert writes, independent of the backend.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// The SQL type of a column, which decides how a backend binds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Int,
    Bool,
    Ts,
    /// JSON text, stored as `json` on PostgreSQL and as text on SQLite.
    Json,
    Dec,
}

/// One value of one row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
    Ts(Option<DateTime<Utc>>),
    Json(String),
    Dec(Option<Decimal>),
}

/// What to do when a row's unique key already exists.
#[derive(Debug, Clone, Copy)]
pub(crate) enum OnConflict {
    /// Keep the stored row (events, associations: immutable once written).
    Ignore,
    /// Overwrite every column but the key and `keep`, only when one of `compare` differs;
    /// an unchanged record is not written at all.
    UpdateIfDistinct {
        compare: &'static [&'static str],
        keep: &'static [&'static str],
    },
}

/// A condition an update must meet besides a changed content hash, in SQL over the stored row
/// (`{t}`, replaced by the table name) and the incoming one (`excluded`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Guard {
    None,
    /// Every write meets it (a conversation never goes back to an older state).
    Always(&'static str),
    /// Only writes that ask for it ([`super::IngestBatch::newer_only`]: webhook notifications,
    /// which arrive late, twice and out of order) meet it; they also leave `keep` alone.
    NewerOnly {
        condition: &'static str,
        keep: &'static [&'static str],
    },
}

/// A table as the bulk writer sees it. `workspace_id` is implicit: the first column of every
/// row and of every unique key.
#[derive(Debug)]
pub(crate) struct Table {
    pub name: &'static str,
    pub columns: &'static [(&'static str, Kind)],
    /// The unique key after `workspace_id`.
    pub key: &'static [&'static str],
    pub on_conflict: OnConflict,
    /// Rows get a feed sequence number (`events.seq`): on PostgreSQL a workspace's inserts
    /// into this table are serialised so sequence order is commit order.
    pub sequenced: bool,
    pub guard: Guard,
}

impl Table {
    pub fn updated_columns(&self, newer_only: bool) -> impl Iterator<Item = &'static str> + '_ {
        let keep: &[&str] = match self.on_conflict {
            OnConflict::Ignore => &[],
            OnConflict::UpdateIfDistinct { keep, .. } => keep,
        };
        let also_keep: &[&str] = match self.guard {
            Guard::NewerOnly { keep, .. } if newer_only => keep,
            _ => &[],
        };
        self.columns
            .iter()
            .map(|(name, _)| *name)
            .filter(move |name| {
                !self.key.contains(name) && !keep.contains(name) && !also_keep.contains(name)
            })
    }

    fn guard_condition(&self, newer_only: bool) -> Option<String> {
        let condition = match self.guard {
            Guard::None => return None,
            Guard::Always(condition) => condition,
            Guard::NewerOnly { condition, .. } if newer_only => condition,
            Guard::NewerOnly { .. } => return None,
        };
        Some(condition.replace("{t}", self.name))
    }

    /// `ON CONFLICT ...` for both backends (SQLite >= 3.39 and PostgreSQL share the syntax);
    /// `newer_only` adds the table's newer-only guard.
    pub fn conflict_clause(&self, newer_only: bool) -> String {
        let key = std::iter::once("workspace_id")
            .chain(self.key.iter().copied())
            .collect::<Vec<_>>();
        let target = key.join(", ");
        match self.on_conflict {
            OnConflict::Ignore => format!(" ON CONFLICT ({target}) DO NOTHING"),
            OnConflict::UpdateIfDistinct { compare, .. } => {
                let set = self
                    .updated_columns(newer_only)
                    .map(|c| format!("{c} = excluded.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let changed = compare
                    .iter()
                    .map(|c| format!("{t}.{c} IS DISTINCT FROM excluded.{c}", t = self.name))
                    .collect::<Vec<_>>()
                    .join(" OR ");
                match self.guard_condition(newer_only) {
                    Some(guard) => format!(
                        " ON CONFLICT ({target}) DO UPDATE SET {set} WHERE ({changed}) AND ({guard})"
                    ),
                    None => format!(" ON CONFLICT ({target}) DO UPDATE SET {set} WHERE {changed}"),
                }
            }
        }
    }
}

/// Rows for one table, flattened row-major (`columns.len()` cells per row).
#[derive(Debug)]
pub(crate) struct Rows {
    pub table: &'static Table,
    pub cells: Vec<Cell>,
    /// Written with the table's newer-only guard.
    pub newer_only: bool,
}

/// A digest of a row's cells: what icsync stores, so equal digests mean nothing to write.
///
/// Hashes the cells already built for the statement (JSON included) instead of serializing the
/// record a second time. Each cell is tagged and length-prefixed, so boundaries matter.
pub(crate) fn digest(cells: &[Cell]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for cell in cells {
        let (tag, bytes): (u8, std::borrow::Cow<'_, [u8]>) = match cell {
            Cell::Text(None) | Cell::Int(None) | Cell::Ts(None) | Cell::Dec(None) => {
                (0, (&[][..]).into())
            }
            Cell::Text(Some(text)) => (1, text.as_bytes().into()),
            Cell::Int(Some(n)) => (2, n.to_le_bytes().to_vec().into()),
            Cell::Bool(b) => (3, vec![u8::from(*b)].into()),
            Cell::Ts(Some(ts)) => {
                let mut bytes = ts.timestamp().to_le_bytes().to_vec();
                bytes.extend(ts.timestamp_subsec_nanos().to_le_bytes());
                (4, bytes.into())
            }
            Cell::Json(json) => (5, json.as_bytes().into()),
            Cell::Dec(Some(d)) => (6, d.normalize().to_string().into_bytes().into()),
        };
        hasher.update([tag]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    hex::encode(&hasher.finalize()[..16])
}

impl Rows {
    pub fn new(table: &'static Table, capacity: usize) -> Self {
        Self {
            table,
            cells: Vec::with_capacity(capacity * table.columns.len()),
            newer_only: false,
        }
    }

    pub fn conflict_clause(&self) -> String {
        self.table.conflict_clause(self.newer_only)
    }

    pub fn len(&self) -> usize {
        self.cells.len() / self.table.columns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Pushes a row whose content cells are followed by its digest and then `trailing` cells
    /// (bookkeeping such as import times, which are not content).
    pub fn push_hashed<const N: usize, const M: usize>(
        &mut self,
        content: [Cell; N],
        trailing: [Cell; M],
    ) {
        let digest = digest(&content);
        self.push(
            content
                .into_iter()
                .chain(std::iter::once(Cell::Text(Some(digest))))
                .chain(trailing),
        );
    }

    pub fn push(&mut self, row: impl IntoIterator<Item = Cell>) {
        let before = self.cells.len();
        self.cells.extend(row);
        debug_assert_eq!(
            self.cells.len() - before,
            self.table.columns.len(),
            "{}",
            self.table.name
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static T: Table = Table {
        name: "things",
        columns: &[
            ("intercom_id", Kind::Text),
            ("v", Kind::Int),
            ("h", Kind::Text),
            ("first", Kind::Ts),
        ],
        key: &["intercom_id"],
        on_conflict: OnConflict::UpdateIfDistinct {
            compare: &["h"],
            keep: &["first"],
        },
        sequenced: false,
        guard: Guard::NewerOnly {
            condition: "excluded.v > {t}.v",
            keep: &["h"],
        },
    };

    #[test]
    fn an_upsert_updates_only_changed_rows_and_keeps_first_seen_columns() {
        assert_eq!(
            T.conflict_clause(false),
            " ON CONFLICT (workspace_id, intercom_id) DO UPDATE SET v = excluded.v, h = excluded.h \
             WHERE things.h IS DISTINCT FROM excluded.h"
        );
    }

    #[test]
    fn a_newer_only_upsert_adds_its_guard_and_keeps_its_columns() {
        assert_eq!(
            T.conflict_clause(true),
            " ON CONFLICT (workspace_id, intercom_id) DO UPDATE SET v = excluded.v \
             WHERE (things.h IS DISTINCT FROM excluded.h) AND (excluded.v > things.v)"
        );
    }
}
