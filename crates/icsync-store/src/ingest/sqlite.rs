//! SQLite bulk writes: multi-row `INSERT ... VALUES (...), (...) ON CONFLICT ...` statements,
//! of up to 256 rows (fewer when SQLite's bind-parameter limit says so), in a few fixed sizes.

use super::Statements;
use super::table::{Cell, Rows};
use crate::error::Result;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, SqliteConnection};

/// SQLite's default `SQLITE_MAX_VARIABLE_NUMBER` since 3.32.
const MAX_BIND_PARAMETERS: usize = 32_766;
/// Rows one statement holds at most: a prepared statement costs SQLite memory per bind
/// parameter (a 1,000-row contacts insert is megabytes), and beyond a few hundred rows a
/// statement gets no faster.
const MAX_ROWS_PER_STATEMENT: usize = 256;

/// Rows in the next statement when `remaining` rows are left and a statement holds at most
/// `full`: `full`, else the largest power of two not above `remaining`. Every statement is
/// kept prepared in the connection's cache, so the number of shapes bounds its memory: with
/// any row count allowed, a stream's varying group sizes filled the cache with up to 256
/// statements of up to 1,000 rows each (~70 MB of SQLite's heap at 100k contacts); this way a
/// table has at most 9 shapes of up to 256 rows.
fn statement_rows(remaining: usize, full: usize) -> usize {
    if remaining >= full {
        full
    } else {
        // `remaining >= 1` here (the caller loops while rows remain), so `ilog2` is defined.
        1 << remaining.max(1).ilog2()
    }
}

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
        let count = statement_rows(total - done, per_statement);
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

#[cfg(test)]
mod tests {
    use super::statement_rows;

    #[test]
    fn statements_take_full_size_then_powers_of_two() {
        let split = |mut rows: usize, full: usize| -> Vec<usize> {
            let mut sizes = Vec::new();
            while rows > 0 {
                let n = statement_rows(rows, full);
                sizes.push(n);
                rows -= n;
            }
            sizes
        };
        assert_eq!(split(2_300, 1_000), vec![1_000, 1_000, 256, 32, 8, 4]);
        assert_eq!(split(1, 1_000), vec![1]);
        assert_eq!(split(7, 3), vec![3, 3, 1]);
        assert_eq!(split(150, 150), vec![150]);
        let shapes = |full: usize| {
            (1..=5_000)
                .flat_map(|rows| split(rows, full))
                .collect::<std::collections::BTreeSet<_>>()
        };
        assert!(shapes(1_000).len() <= 11, "{:?}", shapes(1_000));
        let ours = shapes(super::MAX_ROWS_PER_STATEMENT);
        assert!(ours.len() <= 9, "{ours:?}");
    }
}
