//! Column and index helpers shared by the migrations.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// `id BIGINT PRIMARY KEY` auto-incremented (SQLite: `INTEGER PRIMARY KEY AUTOINCREMENT`).
pub fn id(name: &'static str) -> ColumnDef {
    big_pk_auto(name)
}

/// `workspace_id` referencing `workspaces(id)`; a workspace's rows go with it.
pub fn workspace_id() -> ColumnDef {
    big_integer("workspace_id")
}

pub fn workspace_fk(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_workspace"))
        .from(table, "workspace_id")
        .to("workspaces", "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

pub fn ts(name: &'static str) -> ColumnDef {
    timestamp_with_time_zone(name)
}

pub fn ts_null(name: &'static str) -> ColumnDef {
    timestamp_with_time_zone_null(name)
}

/// A JSON column: `json` on PostgreSQL (kept as sent; cheaper to ingest than `jsonb`, which
/// re-sorts every object's keys), text on SQLite. Changes are detected by content hash, never
/// by comparing JSON.
pub fn json_object(name: &'static str) -> ColumnDef {
    json(name)
}

/// An exact decimal: NUMERIC(20,4) on PostgreSQL (SQLite stores it as REAL; the store rounds
/// back to 4 places on read).
pub fn decimal_4_null(name: &'static str) -> ColumnDef {
    decimal_len_null(name, 20, 4)
}

pub fn index(table: &'static str, name: &str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(*column);
    }
    index.to_owned()
}

pub fn unique_index(
    table: &'static str,
    name: &str,
    columns: &[&'static str],
) -> IndexCreateStatement {
    let mut statement = index(table, name, columns);
    statement.unique();
    statement
}

pub async fn create_indexes(
    manager: &SchemaManager<'_>,
    indexes: Vec<IndexCreateStatement>,
) -> Result<(), DbErr> {
    for index in indexes {
        manager.create_index(index).await?;
    }
    Ok(())
}

pub async fn drop_tables(
    manager: &SchemaManager<'_>,
    tables: &[&'static str],
) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(*table).to_owned())
            .await?;
    }
    Ok(())
}
