//! What the catalog says of a table (its columns, their SQL and Fivetran types, its primary
//! key), the run-time schema made of it, and the plan of a table's replication: the cursor, the
//! tie-breaking key and the queries that read above a saved position.

use std::collections::BTreeMap;

use connector_core::anyhow::{self, anyhow, bail};
use connector_core::{Column, TableSchema};

use crate::choice::{TableChoice, TableChoices};
use crate::dialect::Dialect;
use crate::types::{Mapping, SqlType, map};

/// One row of a catalog's column list.
pub(crate) struct CatalogColumn {
    pub schema: String,
    pub table: String,
    pub name: String,
    pub sql_type: SqlType,
    pub cast_type: String,
}

/// Primary-key columns by (schema, table, column), with their place in the key.
pub(crate) type CatalogKeys = BTreeMap<(String, String, String), u32>;

/// The tables of a catalog's columns (in schema, table, column order), typed for `dialect`; a
/// column whose type has no Fivetran type is logged as a warning.
pub(crate) fn assemble(
    columns: Vec<CatalogColumn>,
    keys: &CatalogKeys,
    dialect: Dialect,
) -> Vec<SourceTable> {
    let mut tables: Vec<SourceTable> = Vec::new();
    for c in columns {
        let mapping = map(dialect, &c.sql_type);
        if !mapping.known {
            tracing::warn!(
                "column `{}` of `{}.{}` has type {}, which has no Fivetran type: it is sent as STRING",
                c.name,
                c.schema,
                c.table,
                c.cast_type
            );
        }
        let key_position = keys
            .get(&(c.schema.clone(), c.table.clone(), c.name.clone()))
            .copied();
        let column = SourceColumn {
            name: c.name,
            sql_type: c.sql_type,
            cast_type: c.cast_type,
            mapping,
            key_position,
        };
        match tables.last_mut() {
            Some(last) if last.schema == c.schema && last.name == c.table => {
                last.columns.push(column)
            }
            _ => tables.push(SourceTable {
                schema: c.schema,
                name: c.table,
                columns: vec![column],
            }),
        }
    }
    tables
}

/// The replication of each chosen table, checked against the catalog's `tables`: each table
/// must exist and have its cursor column, and no two may share a destination name.
pub(crate) fn plan_tables(
    mut tables: Vec<SourceTable>,
    choices: &TableChoices,
    default_schema: &str,
    dialect: Dialect,
) -> anyhow::Result<Vec<TablePlan>> {
    let mut plans: Vec<TablePlan> = Vec::new();
    for choice in choices.iter() {
        let schema = choice.schema.as_deref().unwrap_or(default_schema);
        let Some(found) = tables
            .iter()
            .position(|t| t.schema == schema && t.name == choice.table)
        else {
            bail!(
                "table `{schema}.{}` is not in the database (or this user cannot read it)",
                choice.table
            );
        };
        let table = tables.swap_remove(found);
        if let Some(other) = plans.iter().find(|p| p.table.name == table.name) {
            bail!(
                "tables `{}` and `{}` would both be written to the destination table `{}`: choose one",
                other.table.qualified_name(),
                table.qualified_name(),
                table.name
            );
        }
        plans.push(TablePlan::new(table, choice, dialect).map_err(|e| anyhow!(e))?);
    }
    Ok(plans)
}

/// A column of a source table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceColumn {
    /// Its name in the source.
    pub name: String,
    /// Its type as the catalog names it.
    pub sql_type: SqlType,
    /// The type to read a text parameter as, when it is compared (`timestamp with time zone`).
    pub cast_type: String,
    /// Its Fivetran type and how its values are read.
    pub mapping: Mapping,
    /// Its place in the primary key (1-based), if it is part of it.
    pub key_position: Option<u32>,
}

/// A table (or view) of the source, as its catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceTable {
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// Its columns, in the catalog's order.
    pub columns: Vec<SourceColumn>,
}

impl SourceTable {
    /// `schema.table`: the key of its position in the state, and its name in messages.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// The primary-key columns, in key order.
    pub fn key(&self) -> Vec<&SourceColumn> {
        let mut key: Vec<&SourceColumn> = self
            .columns
            .iter()
            .filter(|c| c.key_position.is_some())
            .collect();
        key.sort_by_key(|c| c.key_position);
        key
    }

    /// The destination table: named as the source table (without its schema), every column
    /// typed, the source's primary key as its key (none: the destination adds `_fivetran_id`).
    pub fn schema(&self) -> TableSchema {
        self.columns
            .iter()
            .fold(TableSchema::new(self.name.clone()), |table, column| {
                table.column(Column {
                    name: column.name.clone().into(),
                    data_type: Some(column.mapping.data_type),
                    primary_key: column.key_position.is_some(),
                })
            })
    }

    /// The columns whose SQL type has no Fivetran type (sent as STRING).
    pub fn unknown_columns(&self) -> impl Iterator<Item = &SourceColumn> {
        self.columns.iter().filter(|c| !c.mapping.known)
    }
}

/// The alias of the table in the replication's query.
const TABLE_ALIAS: &str = "source";

/// How rows written between two checkpoints are counted by default.
pub const DEFAULT_CHECKPOINT_EVERY: usize = 10_000;

/// One table's replication: the table, its cursor column, the key that breaks ties, and how
/// often to checkpoint.
#[derive(Debug, Clone)]
pub struct TablePlan {
    /// The source table.
    pub table: SourceTable,
    /// The index of the cursor column in `table.columns`.
    pub cursor: usize,
    /// The indexes of the primary key's columns, without the cursor (the tie-breaker).
    pub tie_breaker: Vec<usize>,
    /// Rows between two checkpoints.
    pub checkpoint_every: usize,
    /// The database's SQL.
    pub dialect: Dialect,
    /// Where the first sync starts (a cursor value as text; rows above it), when not at the
    /// table's beginning.
    pub start_after: Option<String>,
}

/// What a replication query reads after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Nothing: the table from its beginning.
    Nothing,
    /// A cursor value alone (parameter 1): a first sync's start, or a table without key.
    Cursor,
    /// A saved position: the cursor then the key (parameters 1, 2, ...).
    Position,
}

impl TablePlan {
    /// Plans `choice`'s replication from its table in the catalog.
    pub fn new(
        table: SourceTable,
        choice: &TableChoice,
        dialect: Dialect,
    ) -> Result<TablePlan, String> {
        let cursor = table
            .columns
            .iter()
            .position(|c| c.name == choice.cursor)
            .ok_or_else(|| {
                let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
                format!(
                    "table `{}` has no column `{}` for its cursor; its columns are {}",
                    table.qualified_name(),
                    choice.cursor,
                    names.join(", ")
                )
            })?;
        let cursor_type = &table.columns[cursor].sql_type.name;
        if cursor_type == "ARRAY" || cursor_type == "USER-DEFINED" {
            return Err(format!(
                "the cursor `{}` of table `{}` is of type {cursor_type}, which has no order to resume by",
                choice.cursor,
                table.qualified_name()
            ));
        }
        let tie_breaker = table
            .key()
            .iter()
            .filter(|c| c.name != choice.cursor)
            .map(|c| {
                table
                    .columns
                    .iter()
                    .position(|t| t.name == c.name)
                    .expect("a column of the table")
            })
            .collect();
        Ok(TablePlan {
            table,
            cursor,
            tie_breaker,
            checkpoint_every: DEFAULT_CHECKPOINT_EVERY,
            dialect,
            start_after: None,
        })
    }

    /// Checkpoints after every `rows` rows (at least 1).
    pub fn checkpoint_every(mut self, rows: usize) -> TablePlan {
        self.checkpoint_every = rows.max(1);
        self
    }

    /// Starts the first sync after this cursor value (the database's text for it:
    /// `2024-01-01 00:00:00+00`); later syncs start from their saved position.
    pub fn start_after(mut self, cursor: impl Into<String>) -> TablePlan {
        self.start_after = Some(cursor.into());
        self
    }

    /// Whether ties on the cursor are broken by a key (else checkpoints wait for the cursor to
    /// change; see the crate's replication rule).
    pub fn has_tie_breaker(&self) -> bool {
        !self.tie_breaker.is_empty()
    }

    /// The cursor then the tie-breaker: the order rows are read in, and a position's columns.
    fn order_columns(&self) -> Vec<&SourceColumn> {
        std::iter::once(self.cursor)
            .chain(self.tie_breaker.iter().copied())
            .map(|i| &self.table.columns[i])
            .collect()
    }

    /// The query that reads the table in `(cursor, key)` order, after a saved position when
    /// `after` (its parameters: the position's cursor then key, as text). It selects every
    /// column (those read as text cast to it), then the cursor and the key again as text: the
    /// position of each row, in the database's own exact form.
    pub fn query(&self, after: After) -> String {
        let d = self.dialect;
        // Every column is named through the table's alias: a column selected as its text
        // keeps its name as an output column, and ORDER BY would find both.
        let column = |c: &SourceColumn| format!("{TABLE_ALIAS}.{}", d.quote(&c.name));
        let mut select: Vec<String> = self
            .table
            .columns
            .iter()
            .map(|c| {
                if c.mapping.read.as_text() {
                    format!("{} AS {}", d.as_text(&column(c)), d.quote(&c.name))
                } else {
                    column(c)
                }
            })
            .collect();
        let order = self.order_columns();
        select.extend(order.iter().enumerate().map(|(i, c)| {
            format!(
                "{} AS {}",
                d.as_text(&column(c)),
                d.quote(&format!("__position_{i}"))
            )
        }));
        let quoted: Vec<(String, &str)> = order
            .iter()
            .map(|c| (column(c), c.cast_type.as_str()))
            .collect();
        let cursor = &quoted[0].0;
        let mut sql = format!(
            "SELECT {} FROM {} AS {TABLE_ALIAS} WHERE {cursor} IS NOT NULL",
            select.join(", "),
            d.qualified(&self.table.schema, &self.table.name)
        );
        if after != After::Nothing {
            let compared: Vec<(&str, &str)> = if after == After::Position {
                quoted.iter().map(|(n, t)| (n.as_str(), *t)).collect()
            } else {
                vec![(cursor.as_str(), quoted[0].1)]
            };
            sql.push_str(" AND ");
            sql.push_str(&d.after(&compared));
        }
        let order_by: Vec<&str> = quoted.iter().map(|(n, _)| n.as_str()).collect();
        sql.push_str(" ORDER BY ");
        sql.push_str(&order_by.join(", "));
        sql
    }

    /// How many position columns follow the table's columns in a row of [`query`](Self::query).
    pub(crate) fn position_columns(&self) -> usize {
        1 + self.tie_breaker.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::map;

    fn column(name: &str, sql: &str, key: Option<u32>) -> SourceColumn {
        let sql_type = SqlType::named(sql);
        SourceColumn {
            name: name.into(),
            cast_type: sql.into(),
            mapping: map(Dialect::Postgres, &sql_type),
            sql_type,
            key_position: key,
        }
    }

    fn orders(key: bool) -> SourceTable {
        SourceTable {
            schema: "shop".into(),
            name: "orders".into(),
            columns: vec![
                column("id", "integer", key.then_some(1)),
                column("note", "jsonb", None),
                column("updated_at", "timestamp with time zone", None),
            ],
        }
    }

    fn choice(cursor: &str) -> TableChoice {
        TableChoice {
            schema: Some("shop".into()),
            table: "orders".into(),
            cursor: cursor.into(),
        }
    }

    #[test]
    fn a_keyed_table_resumes_after_its_cursor_and_key() {
        let plan = TablePlan::new(orders(true), &choice("updated_at"), Dialect::Postgres).unwrap();
        assert_eq!(
            plan.query(After::Position),
            "SELECT source.\"id\", CAST(source.\"note\" AS text) AS \"note\", source.\"updated_at\", \
             CAST(source.\"updated_at\" AS text) AS \"__position_0\", \
             CAST(source.\"id\" AS text) AS \"__position_1\" \
             FROM \"shop\".\"orders\" AS source WHERE source.\"updated_at\" IS NOT NULL AND \
             (source.\"updated_at\", source.\"id\") > \
             (CAST($1::text AS timestamp with time zone), CAST($2::text AS integer)) \
             ORDER BY source.\"updated_at\", source.\"id\""
        );
        assert_eq!(plan.position_columns(), 2);
    }

    #[test]
    fn a_key_that_is_the_cursor_breaks_no_tie() {
        let plan = TablePlan::new(orders(true), &choice("id"), Dialect::Postgres).unwrap();
        assert!(!plan.has_tie_breaker());
        assert!(
            plan.query(After::Position)
                .ends_with("AND source.\"id\" > CAST($1::text AS integer) ORDER BY source.\"id\"")
        );
    }

    #[test]
    fn a_table_without_key_resumes_after_its_cursor_alone() {
        let plan = TablePlan::new(orders(false), &choice("updated_at"), Dialect::Postgres).unwrap();
        assert!(!plan.has_tie_breaker());
        assert!(
            plan.query(After::Nothing).ends_with(
                "WHERE source.\"updated_at\" IS NOT NULL ORDER BY source.\"updated_at\""
            )
        );
    }

    #[test]
    fn a_missing_cursor_column_is_named_with_the_columns_there_are() {
        let error =
            TablePlan::new(orders(true), &choice("changed"), Dialect::Postgres).unwrap_err();
        assert_eq!(
            error,
            "table `shop.orders` has no column `changed` for its cursor; its columns are id, note, updated_at"
        );
    }

    #[test]
    fn the_schema_keeps_types_and_key() {
        let schema = orders(true).schema();
        assert_eq!(schema.name, "orders");
        let key: Vec<&str> = schema.primary_key().map(|c| c.name.as_ref()).collect();
        assert_eq!(key, ["id"]);
        assert_eq!(
            schema.columns[1].data_type,
            Some(connector_core::DataType::Json)
        );
    }
}
