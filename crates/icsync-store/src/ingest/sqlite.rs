//! SQLite bulk writes: multi-row `INSERT ... VALUES (...), (...) ON CONFLICT ...` statements,
//! each as large as SQLite's bind-parameter limit allows.

use super::Statements;
use super::table::{Cell, Rows};
use crate::error::Result;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, SqliteConnection};

/// SQLite's default `SQLITE_MAX_VARIABLE_NUMBER` since 3.32.
const MAX_BIND_PARAMETERS: usize = 32_766;
/// Beyond this many rows a statement gets no faster, only its SQL text larger.
const MAX_ROWS_PER_STATEMENT: usize = 1_000;

pub(crate) async fn write(
    conn: &mut SqliteConnection,
    workspace_id: i64,
    rows: Rows,
    statements: &mut Statements,
) -> Result<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    let table = rows.table;
    let conflict = rows.conflict_clause();
    let width = table.columns.len();
    let per_statement = (MAX_BIND_PARAMETERS / (width + 1)).clamp(1, MAX_ROWS_PER_STATEMENT);
    let total = rows.len();
    let mut cells = rows.cells.into_iter();
    let mut written = 0;
    let mut done = 0;
    while done < total {
        let count = per_statement.min(total - done);
        let mut args = SqliteArguments::default();
        for _ in 0..count {
            args.add(workspace_id).map_err(encode_error)?;
            for cell in cells.by_ref().take(width) {
                bind(&mut args, cell)?;
            }
        }
        let sql = insert_sql(table, count, &conflict);
        statements.tick()?;
        // The SQL is built from the static table descriptor and a row count only; every value
        // is a bind parameter.
        written += sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        done += count;
    }
    Ok(written)
}

fn insert_sql(table: &super::table::Table, rows: usize, conflict: &str) -> String {
    let columns = table
        .columns
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ");
    let placeholders = format!("({})", vec!["?"; table.columns.len() + 1].join(", "));
    let mut sql = String::with_capacity(64 + columns.len() + rows * (placeholders.len() + 2));
    sql.push_str("INSERT INTO ");
    sql.push_str(table.name);
    sql.push_str(" (workspace_id, ");
    sql.push_str(&columns);
    sql.push_str(") VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&placeholders);
    }
    sql.push_str(conflict);
    sql
}

fn bind(args: &mut SqliteArguments, cell: Cell) -> Result<()> {
    let result = match cell {
        Cell::Text(value) => args.add(value),
        Cell::Int(value) => args.add(value),
        Cell::Bool(value) => args.add(value),
        Cell::Ts(value) => args.add(value),
        Cell::Json(value) => args.add(value),
        // Stored as REAL by SQLite's type affinity; see the migrations' `money_null`.
        Cell::Dec(value) => args.add(value.map(|d| d.to_string())),
    };
    result.map_err(encode_error)
}

fn encode_error(error: sqlx::error::BoxDynError) -> crate::StoreError {
    crate::StoreError::Sqlx(sqlx::Error::Encode(error))
}
