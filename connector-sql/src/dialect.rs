//! SQL dialects: how names are quoted, values read as text and bound from text, the predicate
//! that resumes after a saved position, and the DDL that only one database takes.
//!
//! PostgreSQL, Redshift (PostgreSQL's wire protocol, an older SQL) and SQL Server differ in
//! these few places only; the replication's queries are built from them.

use std::fmt;

use connector_core::ConfigValue;

/// A database's SQL.
///
/// ```
/// use connector_sql::Dialect;
/// assert_eq!(Dialect::Postgres.quote("order"), "\"order\"");
/// assert_eq!(Dialect::SqlServer.quote("order"), "[order]");
/// assert_eq!(Dialect::Redshift.sort_key("updated_at"), " SORTKEY (\"updated_at\")");
/// assert_eq!(Dialect::Postgres.sort_key("updated_at"), "");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// PostgreSQL.
    #[default]
    Postgres,
    /// Amazon Redshift: PostgreSQL's protocol, its own DDL (`SORTKEY`, `DISTKEY`).
    Redshift,
    /// Microsoft SQL Server (T-SQL).
    SqlServer,
}

impl Dialect {
    /// A quoted identifier.
    pub fn quote(self, name: &str) -> String {
        match self {
            Dialect::Postgres | Dialect::Redshift => format!("\"{}\"", name.replace('"', "\"\"")),
            Dialect::SqlServer => format!("[{}]", name.replace(']', "]]")),
        }
    }

    /// `schema.table`, quoted.
    pub fn qualified(self, schema: &str, table: &str) -> String {
        format!("{}.{}", self.quote(schema), self.quote(table))
    }

    /// An expression's value as text, in the database's own form for its type (which the
    /// database reads back exactly).
    pub fn as_text(self, expression: &str) -> String {
        match self {
            Dialect::Postgres | Dialect::Redshift => format!("CAST({expression} AS text)"),
            Dialect::SqlServer => format!("CAST({expression} AS nvarchar(max))"),
        }
    }

    /// The `n`th (1-based) query parameter, bound as text and read as `sql_type`.
    pub fn parameter(self, n: usize, sql_type: &str) -> String {
        match self {
            Dialect::Postgres | Dialect::Redshift => format!("CAST(${n}::text AS {sql_type})"),
            Dialect::SqlServer => format!("CAST(@P{n} AS {sql_type})"),
        }
    }

    /// The predicate for rows after a saved position: `columns` (the cursor, then the key
    /// columns; already quoted) compared in order with parameters `1..=columns.len()`, each bound
    /// as text and read as its SQL type.
    ///
    /// ```
    /// use connector_sql::Dialect;
    /// let columns = [("\"updated_at\"", "timestamp with time zone"), ("\"id\"", "integer")];
    /// assert_eq!(
    ///     Dialect::Postgres.after(&columns),
    ///     "(\"updated_at\", \"id\") > (CAST($1::text AS timestamp with time zone), CAST($2::text AS integer))"
    /// );
    /// assert_eq!(
    ///     Dialect::SqlServer.after(&[("[updated_at]", "datetime2"), ("[id]", "int")]),
    ///     "([updated_at] > CAST(@P1 AS datetime2) OR ([updated_at] = CAST(@P1 AS datetime2) AND [id] > CAST(@P2 AS int)))"
    /// );
    /// ```
    pub fn after(self, columns: &[(&str, &str)]) -> String {
        let parameters: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, (_, sql_type))| self.parameter(i + 1, sql_type))
            .collect();
        if columns.len() == 1 {
            return format!("{} > {}", columns[0].0, parameters[0]);
        }
        match self {
            // A row comparison: one index range scan on (cursor, key).
            Dialect::Postgres => {
                let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
                format!("({}) > ({})", names.join(", "), parameters.join(", "))
            }
            // Redshift and SQL Server compare no rows: the same order, spelled out.
            Dialect::Redshift | Dialect::SqlServer => {
                let mut predicate = String::new();
                for (i, (name, _)) in columns.iter().enumerate().rev() {
                    let greater = format!("{name} > {}", parameters[i]);
                    predicate = if predicate.is_empty() {
                        greater
                    } else {
                        format!(
                            "({greater} OR ({name} = {} AND {predicate}))",
                            parameters[i]
                        )
                    };
                }
                predicate
            }
        }
    }

    /// The clause after a `CREATE TABLE (...)` that sorts the table by `column`: Redshift's
    /// `SORTKEY`, nothing elsewhere (an index does that job there).
    pub fn sort_key(self, column: &str) -> String {
        match self {
            Dialect::Redshift => format!(" SORTKEY ({})", self.quote(column)),
            Dialect::Postgres | Dialect::SqlServer => String::new(),
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Postgres => "postgres",
            Dialect::Redshift => "redshift",
            Dialect::SqlServer => "sql_server",
        })
    }
}

/// A configuration field: `postgres`, `redshift` or `sql_server`.
impl ConfigValue for Dialect {
    fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => Ok(Dialect::Postgres),
            "redshift" => Ok(Dialect::Redshift),
            "sql_server" | "sqlserver" | "mssql" => Ok(Dialect::SqlServer),
            _ => Err("must be one of postgres, redshift, sql_server".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spelled_out_predicate_orders_as_the_row_comparison_does() {
        let columns = [("c", "int"), ("k1", "int"), ("k2", "int")];
        assert_eq!(
            Dialect::Redshift.after(&columns),
            "(c > CAST($1::text AS int) OR (c = CAST($1::text AS int) AND \
             (k1 > CAST($2::text AS int) OR (k1 = CAST($2::text AS int) AND \
             k2 > CAST($3::text AS int)))))"
        );
        assert_eq!(
            Dialect::Postgres.after(&columns[..1]),
            "c > CAST($1::text AS int)"
        );
    }

    #[test]
    fn quotes_inside_names_are_doubled() {
        assert_eq!(Dialect::Postgres.quote("a\"b"), "\"a\"\"b\"");
        assert_eq!(Dialect::SqlServer.quote("a]b"), "[a]]b]");
        assert_eq!(Dialect::Redshift.qualified("s", "t"), "\"s\".\"t\"");
    }

    #[test]
    fn dialects_read_from_configuration_text() {
        assert_eq!(Dialect::parse("Redshift"), Ok(Dialect::Redshift));
        assert_eq!(Dialect::parse("postgresql"), Ok(Dialect::Postgres));
        assert!(Dialect::parse("oracle").is_err());
    }
}
