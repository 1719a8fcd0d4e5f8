//! The tables a connector declares (its `#[table]`s and what its schema function returns),
//! checked once, before a sync or a `schema` answer uses them: every mode refuses the same
//! declaration with the same message, at the start, naming the table and the column.
//! (docs/warehouse.md, "Declared tables".)
//!
//! `#[table]` checks its own table at compile time; this also covers run-time schemas (built
//! from any `DataType`, any name) and what no single table can see: collisions between tables,
//! and tables that name a schema beside tables that do not.

use std::collections::HashMap;

use crate::naming::Naming;
use crate::schema::{DataType, TableSchema};

use super::system;

/// Why a connector's declared tables are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeclarationError {
    /// A table with an empty name.
    #[error("a declared table has an empty name")]
    EmptyTable,
    /// A table in a schema with an empty name.
    #[error("table `{table}` is declared in a schema with an empty name")]
    EmptySchema {
        /// The table.
        table: String,
    },
    /// Some tables name a schema and some do not: Fivetran's `Schema` answer holds either a
    /// list of tables or a list of schemas.
    #[error(
        "some tables name a schema and some do not ({unnamed}); give every table a schema or none"
    )]
    MixedSchemas {
        /// The tables without a schema, comma-separated.
        unnamed: String,
    },
    /// Two tables that land in one destination table.
    #[error(
        "tables `{first}` and `{second}` both become table `{destination}` at the destination; \
         rename one"
    )]
    TableCollision {
        /// The table declared first.
        first: String,
        /// The table declared after it.
        second: String,
        /// The destination name they share.
        destination: String,
    },
    /// A column with an empty name.
    #[error("table `{table}` declares a column with an empty name")]
    EmptyColumn {
        /// The table.
        table: String,
    },
    /// A column whose destination name starts with `_fivetran_`.
    #[error(
        "table `{table}`, column `{column}`: names starting with `_fivetran_` are reserved for \
         Fivetran's system columns"
    )]
    ReservedColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// Two columns of one table that land in one destination column.
    #[error(
        "table `{table}`: columns `{first}` and `{second}` both become column `{destination}` \
         at the destination; rename one"
    )]
    ColumnCollision {
        /// The table.
        table: String,
        /// The column declared first.
        first: String,
        /// The column declared after it.
        second: String,
        /// The destination name they share.
        destination: String,
    },
    /// A DECIMAL outside 1 to 38 digits, or with more digits after the point than in all.
    #[error("table `{table}`, column `{column}`: {why}")]
    BadDecimal {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// What is wrong with its precision or scale.
        why: String,
    },
}

/// Checks a connector's declared tables, in declaration order (so the first of two colliding
/// names is the one declared first). Names are compared as Fivetran names them, the names the
/// production destination uses.
pub fn check(tables: &[TableSchema]) -> Result<(), DeclarationError> {
    let naming = Naming::Fivetran;
    let unnamed: Vec<&str> = tables
        .iter()
        .filter(|t| t.schema.is_none())
        .map(|t| t.name.as_ref())
        .collect();
    if !unnamed.is_empty() && unnamed.len() < tables.len() {
        return Err(DeclarationError::MixedSchemas {
            unnamed: unnamed.join(", "),
        });
    }
    let mut destinations: HashMap<(String, String), &TableSchema> = HashMap::new();
    for table in tables {
        if table.name.trim().is_empty() {
            return Err(DeclarationError::EmptyTable);
        }
        if table.schema.as_ref().is_some_and(|s| s.trim().is_empty()) {
            return Err(DeclarationError::EmptySchema {
                table: table.qualified_name(),
            });
        }
        let destination = (
            table
                .schema
                .as_deref()
                .map(|s| naming.schema(s))
                .unwrap_or_default(),
            naming.table(&table.name),
        );
        if let Some(first) = destinations.get(&destination) {
            return Err(DeclarationError::TableCollision {
                first: first.qualified_name(),
                second: table.qualified_name(),
                destination: destination.1,
            });
        }
        destinations.insert(destination, table);
        check_columns(table, naming)?;
    }
    Ok(())
}

fn check_columns(table: &TableSchema, naming: Naming) -> Result<(), DeclarationError> {
    let mut destinations: HashMap<String, &str> = HashMap::new();
    for column in table.columns.iter() {
        if column.name.trim().is_empty() {
            return Err(DeclarationError::EmptyColumn {
                table: table.qualified_name(),
            });
        }
        let destination = naming.column(&column.name);
        if system::is_reserved(&destination) {
            return Err(DeclarationError::ReservedColumn {
                table: table.qualified_name(),
                column: column.name.to_string(),
            });
        }
        if let Some(first) = destinations.get(&destination) {
            return Err(DeclarationError::ColumnCollision {
                table: table.qualified_name(),
                first: first.to_string(),
                second: column.name.to_string(),
                destination,
            });
        }
        destinations.insert(destination, &column.name);
        if let Some(DataType::Decimal { precision, scale }) = column.data_type {
            DataType::decimal(precision, scale).map_err(|why| DeclarationError::BadDecimal {
                table: table.qualified_name(),
                column: column.name.to_string(),
                why,
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Column;

    fn message(tables: &[TableSchema]) -> String {
        check(tables).unwrap_err().to_string()
    }

    #[test]
    fn decimals_outside_fivetrans_range_are_refused_naming_table_and_column() {
        for (precision, scale, why) in [
            (40, 2, "DECIMAL precision must be within 1..=38, not 40"),
            (0, 0, "DECIMAL precision must be within 1..=38, not 0"),
            (5, 7, "DECIMAL scale 7 is greater than its precision 5"),
        ] {
            let table = TableSchema::new("orders").column(Column::new(
                "amount",
                DataType::Decimal { precision, scale },
            ));
            assert_eq!(
                message(&[table]),
                format!("table `orders`, column `amount`: {why}")
            );
        }
        let fine = TableSchema::new("orders").column(Column::new(
            "amount",
            DataType::Decimal {
                precision: 38,
                scale: 38,
            },
        ));
        assert_eq!(check(&[fine]), Ok(()));
    }

    #[test]
    fn names_must_be_present_distinct_and_not_reserved() {
        assert_eq!(
            message(&[TableSchema::new(" ")]),
            "a declared table has an empty name"
        );
        let empty_column = TableSchema::new("t").column(Column::new("", DataType::Long));
        assert_eq!(
            message(&[empty_column]),
            "table `t` declares a column with an empty name"
        );
        let twins = TableSchema::new("t")
            .column(Column::new("userId", DataType::Long))
            .column(Column::new("user_id", DataType::Long));
        assert_eq!(
            message(&[twins]),
            "table `t`: columns `userId` and `user_id` both become column `user_id` at the \
             destination; rename one"
        );
        let reserved =
            TableSchema::new("t").column(Column::new("_fivetran_synced", DataType::Long));
        assert!(message(&[reserved]).contains("reserved for Fivetran's system columns"));
        assert_eq!(
            message(&[TableSchema::new("UserData"), TableSchema::new("user_data")]),
            "tables `UserData` and `user_data` both become table `user_data` at the destination; \
             rename one"
        );
        // The same name in two schemas is two tables.
        assert_eq!(
            check(&[
                TableSchema::new("users").in_schema("a"),
                TableSchema::new("users").in_schema("b"),
            ]),
            Ok(())
        );
    }

    #[test]
    fn every_table_names_a_schema_or_none_does() {
        let tables = [
            TableSchema::new("a").in_schema("s"),
            TableSchema::new("b"),
            TableSchema::new("c"),
        ];
        assert_eq!(
            message(&tables),
            "some tables name a schema and some do not (b, c); give every table a schema or none"
        );
        assert_eq!(
            message(&[TableSchema::new("a").in_schema("")]),
            "table `.a` is declared in a schema with an empty name"
        );
    }
}
