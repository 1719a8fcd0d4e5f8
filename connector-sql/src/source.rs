//! What a database driver gives the replication: a table's rows after a position, decoded into
//! run-time rows with their positions, as a stream. PostgreSQL (and Redshift) through
//! `tokio-postgres`, SQL Server through `tiberius` (feature `sql-server`).

use std::future::Future;

use connector_core::anyhow::{self, Context as _};
use connector_core::{Row, Value};
use futures_util::stream::BoxStream;

use crate::discover::{SourceColumn, TablePlan};

/// A row of a table and its position: the cursor then the key, as the database's text.
pub type PositionedRow = (Row, Vec<String>);

/// A row of [`TablePlan::query`] as a run-time row and its position, whatever the driver:
/// `read` gives the value of column `i` of the table, `position` the text of the query's
/// column `i` (the position columns follow the table's).
pub(crate) fn positioned_row(
    plan: &TablePlan,
    mut read: impl FnMut(usize, &SourceColumn) -> anyhow::Result<Value>,
    position: impl FnMut(usize) -> anyhow::Result<String>,
) -> anyhow::Result<PositionedRow> {
    let columns = &plan.table.columns;
    let mut out = Row::new();
    for (i, column) in columns.iter().enumerate() {
        let value = read(i, column).with_context(|| {
            format!(
                "could not read column `{}` of table `{}`",
                column.name,
                plan.table.qualified_name()
            )
        })?;
        out.set(column.name.clone(), value);
    }
    let position = (columns.len()..columns.len() + plan.position_columns())
        .map(position)
        .collect::<anyhow::Result<Vec<String>>>()
        .context("could not read a row's position")?;
    Ok((out, position))
}

/// A database that [`replicate`](crate::replicate) reads.
pub trait Source: Sync {
    /// The rows of `plan`'s table after `position` (cursor then key, as text; `None`: from
    /// `plan`'s start), streamed in `(cursor, key)` order.
    fn rows_after<'a>(
        &'a self,
        plan: &'a TablePlan,
        position: Option<&'a [String]>,
    ) -> impl Future<Output = anyhow::Result<BoxStream<'a, anyhow::Result<PositionedRow>>>> + Send + 'a;
}

/// What a query reads after, and its parameters: a saved position (cursor and key), a cursor
/// alone (a table without key, or a first sync's start), or nothing.
pub(crate) fn after<'a>(
    plan: &'a TablePlan,
    position: Option<&'a [String]>,
) -> (crate::After, &'a [String]) {
    let start = plan.start_after.as_ref().map(std::slice::from_ref);
    match (position, start) {
        (Some(position), _) if position.len() > 1 => (crate::After::Position, position),
        (Some(cursor), _) | (None, Some(cursor)) => (crate::After::Cursor, cursor),
        (None, None) => (crate::After::Nothing, &[][..]),
    }
}
