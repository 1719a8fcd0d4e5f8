//! Which tables a sync replicates, and by which cursor column: chosen by configuration rather
//! than code, as `schema.table:cursor_column` entries separated by commas.

use std::fmt;

use connector_core::ConfigValue;

/// One chosen table: `public.orders:updated_at`, or `orders:id` in the default schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableChoice {
    /// The table's schema; `None` for the dialect's default (`public`, `dbo`).
    pub schema: Option<String>,
    /// The table's name.
    pub table: String,
    /// The column whose growing values mark new and changed rows.
    pub cursor: String,
}

impl fmt::Display for TableChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}:{}", self.table, self.cursor),
            None => write!(f, "{}:{}", self.table, self.cursor),
        }
    }
}

/// A configuration field listing the tables to replicate.
///
/// ```
/// use connector_core::ConfigValue;
/// use connector_sql::TableChoices;
///
/// let chosen = TableChoices::parse("public.orders:updated_at, customers:id").unwrap();
/// assert_eq!(chosen.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
///            ["public.orders:updated_at", "customers:id"]);
/// assert!(TableChoices::parse("orders").is_err()); // no cursor column
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableChoices(Vec<TableChoice>);

impl TableChoices {
    /// The chosen tables, in the configuration's order.
    pub fn iter(&self) -> impl Iterator<Item = &TableChoice> {
        self.0.iter()
    }

    /// Whether no table is chosen.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<TableChoice> for TableChoices {
    fn from_iter<I: IntoIterator<Item = TableChoice>>(iter: I) -> Self {
        TableChoices(iter.into_iter().collect())
    }
}

impl ConfigValue for TableChoices {
    fn parse(text: &str) -> Result<Self, String> {
        let mut choices = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (table, cursor) = entry
                .split_once(':')
                .map(|(t, c)| (t.trim(), c.trim()))
                .filter(|(t, c)| !t.is_empty() && !c.is_empty())
                .ok_or_else(|| {
                    format!(
                        "must list tables as `schema.table:cursor_column`, and `{entry}` is not one"
                    )
                })?;
            let (schema, table) = match table.split_once('.') {
                Some((schema, table)) => (Some(schema.to_string()), table.to_string()),
                None => (None, table.to_string()),
            };
            choices.push(TableChoice {
                schema,
                table,
                cursor: cursor.to_string(),
            });
        }
        if choices.is_empty() {
            return Err("must name at least one table as `schema.table:cursor_column`".into());
        }
        Ok(TableChoices(choices))
    }
}
