//! PostgreSQL bulk writes: one `INSERT ... SELECT FROM UNNEST($n::type[], ...)` per table and
//! chunk, binding one array per column instead of thousands of placeholders.

use super::Statements;
use super::table::{Cell, Kind, Rows, Table};
use crate::error::Result;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, PgConnection};

/// Rows per statement: bounds the memory of one bind set, not a protocol limit.
const MAX_ROWS_PER_STATEMENT: usize = 10_000;

enum Column {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Bool(Vec<bool>),
    Ts(Vec<Option<DateTime<Utc>>>),
    Json(Vec<String>),
    Dec(Vec<Option<Decimal>>),
}

impl Column {
    fn new(kind: Kind, capacity: usize) -> Self {
        match kind {
            Kind::Text => Self::Text(Vec::with_capacity(capacity)),
            Kind::Int => Self::Int(Vec::with_capacity(capacity)),
            Kind::Bool => Self::Bool(Vec::with_capacity(capacity)),
            Kind::Ts => Self::Ts(Vec::with_capacity(capacity)),
            Kind::Json => Self::Json(Vec::with_capacity(capacity)),
            Kind::Dec => Self::Dec(Vec::with_capacity(capacity)),
        }
    }

    fn push(&mut self, cell: Cell, table: &Table) -> Result<()> {
        match (self, cell) {
            (Self::Text(v), Cell::Text(x)) => v.push(x),
            (Self::Int(v), Cell::Int(x)) => v.push(x),
            (Self::Bool(v), Cell::Bool(x)) => v.push(x),
            (Self::Ts(v), Cell::Ts(x)) => v.push(x),
            (Self::Json(v), Cell::Json(x)) => v.push(x),
            (Self::Dec(v), Cell::Dec(x)) => v.push(x),
            (_, cell) => {
                return Err(crate::StoreError::corrupt(format!(
                    "a {cell:?} value does not fit a column of {}",
                    table.name
                )));
            }
        }
        Ok(())
    }

    fn bind(self, args: &mut PgArguments) -> Result<()> {
        let result = match self {
            Self::Text(v) => args.add(v),
            Self::Int(v) => args.add(v),
            Self::Bool(v) => args.add(v),
            Self::Ts(v) => args.add(v),
            Self::Json(v) => args.add(v),
            Self::Dec(v) => args.add(v),
        };
        result.map_err(|e| crate::StoreError::Sqlx(sqlx::Error::Encode(e)))
    }
}

fn array_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Text | Kind::Json => "text[]",
        Kind::Int => "int8[]",
        Kind::Bool => "bool[]",
        Kind::Ts => "timestamptz[]",
        Kind::Dec => "numeric[]",
    }
}

pub(crate) async fn write(
    conn: &mut PgConnection,
    workspace_id: i64,
    rows: Rows,
    statements: &mut Statements,
) -> Result<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    let table = rows.table;
    let conflict = rows.conflict_clause();
    let total = rows.len();
    let mut cells = rows.cells.into_iter();
    let mut written = 0;
    let mut done = 0;
    while done < total {
        let count = MAX_ROWS_PER_STATEMENT.min(total - done);
        let mut columns: Vec<Column> = table
            .columns
            .iter()
            .map(|(_, kind)| Column::new(*kind, count))
            .collect();
        for _ in 0..count {
            for column in columns.iter_mut() {
                let Some(cell) = cells.next() else {
                    return Err(crate::StoreError::corrupt(
                        "a row is shorter than its table",
                    ));
                };
                column.push(cell, table)?;
            }
        }
        let mut args = PgArguments::default();
        args.add(workspace_id)
            .map_err(|e| crate::StoreError::Sqlx(sqlx::Error::Encode(e)))?;
        for column in columns {
            column.bind(&mut args)?;
        }
        statements.tick()?;
        // Built from the static table descriptor only; every value is a bound array.
        written += sqlx::query_with(sqlx::AssertSqlSafe(insert_sql(table, &conflict)), args)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        done += count;
    }
    Ok(written)
}

fn insert_sql(table: &Table, conflict: &str) -> String {
    let names = table
        .columns
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>();
    let selected = table
        .columns
        .iter()
        .map(|(name, kind)| match kind {
            Kind::Json => format!("u.{name}::json"),
            _ => format!("u.{name}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let arrays = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| format!("${}::{}", i + 2, array_type(*kind)))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO {table} (workspace_id, {columns}) SELECT $1, {selected} FROM UNNEST({arrays}) \
         AS u({columns}){conflict}",
        table = table.name,
        columns = names.join(", "),
    )
}

/// Serialises the event inserts of one workspace until commit, so `events.seq` values become
/// visible in increasing order and a feed reader never skips a row committed late.
pub(crate) async fn lock_event_sequence(
    conn: &mut PgConnection,
    workspace_id: i64,
    statements: &mut Statements,
) -> Result<()> {
    const EVENTS_LOCK_SPACE: i64 = 0x1C5_0001 << 32;
    statements.tick()?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(EVENTS_LOCK_SPACE ^ workspace_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
