//! `Record`: one upsert, update, delete or truncate of one table, as it travels to a sink.
//!
//! A record names its table by [`TableRef`] and carries its cells in the cheapest form the emitter
//! has: every column in order (a `#[table]` upsert), some columns by index (a key or a patch), or
//! cells by name (a run-time [`Row`](crate::Row)). Sinks read all three through [`Record::cells`].

use std::borrow::Cow;

use crate::schema::{TableRef, TableSchema};
use crate::value::Value;

/// What a record does, in the order of Fivetran's `RecordType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    /// A whole row, inserted or replacing the row with its key.
    Upsert,
    /// Some columns of the row with a given key.
    Update,
    /// A soft delete of the row with a given key.
    Delete,
    /// A soft delete of every row of the table.
    Truncate,
}

/// The cells of a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Cells {
    /// One value per column of the table's schema, in column order.
    All(Vec<Value>),
    /// Some columns of the table's schema, as `(column index, value)`.
    Indexed(Vec<(u16, Value)>),
    /// Cells by source column name (run-time rows); names may be absent from the schema. A
    /// literal or shared name travels without a copy.
    Named(Vec<(Cow<'static, str>, Value)>),
    /// No cells (a truncate).
    None,
}

/// One operation on one table.
#[derive(Debug, Clone)]
pub struct Record {
    /// The table it applies to.
    pub table: TableRef,
    /// What it does.
    pub kind: RecordKind,
    /// Its values.
    pub cells: Cells,
}

impl Record {
    /// The cells as `(source column name, value)`, whatever their form.
    pub fn cells(&self) -> Box<dyn Iterator<Item = (&str, &Value)> + '_> {
        let columns = &self.table.columns;
        match &self.cells {
            Cells::All(values) => Box::new(
                columns
                    .iter()
                    .zip(values)
                    .map(|(c, v)| (c.name.as_ref(), v)),
            ),
            Cells::Indexed(cells) => Box::new(
                cells
                    .iter()
                    .map(|(i, v)| (columns[usize::from(*i)].name.as_ref(), v)),
            ),
            Cells::Named(cells) => Box::new(cells.iter().map(|(n, v)| (n.as_ref(), v))),
            Cells::None => Box::new(std::iter::empty()),
        }
    }
}

/// Indexed cells of `table` as named ones, under their source column names.
pub(crate) fn by_name(
    table: &TableSchema,
    cells: impl IntoIterator<Item = (u16, Value)>,
) -> impl Iterator<Item = (Cow<'static, str>, Value)> {
    cells
        .into_iter()
        .map(|(i, v)| (table.columns[usize::from(i)].name.clone(), v))
}

/// Collects a record's cells from `(column, value)` pairs: by index in the table's schema while
/// every column is declared there (no name travels to the sink), and every cell by name as soon
/// as one column is not.
pub(crate) struct CellsBuilder<'t> {
    table: &'t TableSchema,
    indexed: Vec<(u16, Value)>,
    named: Vec<(Cow<'static, str>, Value)>,
}

impl<'t> CellsBuilder<'t> {
    pub fn new(table: &'t TableSchema, capacity: usize) -> CellsBuilder<'t> {
        CellsBuilder {
            table,
            indexed: Vec::with_capacity(capacity),
            named: Vec::new(),
        }
    }

    /// Adds a cell; `declared` is its column's index in the schema, if the schema has it, and
    /// `name` gives its column's name, called only when the cell travels by name.
    pub fn push(
        &mut self,
        declared: Option<u16>,
        name: impl FnOnce() -> Cow<'static, str>,
        value: Value,
    ) {
        match declared {
            Some(index) if self.named.is_empty() => self.indexed.push((index, value)),
            _ => {
                let indexed = std::mem::take(&mut self.indexed);
                self.named.extend(by_name(self.table, indexed));
                self.named.push((name(), value));
            }
        }
    }

    pub fn finish(self) -> Cells {
        if self.named.is_empty() {
            Cells::Indexed(self.indexed)
        } else {
            Cells::Named(self.named)
        }
    }
}
