//! `Record`: one upsert, update, delete or truncate of one table, as it travels to a sink.
//!
//! A record names its table by [`TableRef`] and carries its cells in the cheapest form the emitter
//! has: every column in order (a `#[table]` upsert), some columns by index (a key or a patch), or
//! cells by name (a run-time [`Row`](crate::Row)). Sinks read all three through [`Record::cells`].

use crate::schema::TableRef;
use crate::value::Value;

/// What a record does, in the order of Fivetran's `RecordType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    Upsert,
    Update,
    Delete,
    Truncate,
}

/// The cells of a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Cells {
    /// One value per column of the table's schema, in column order.
    All(Vec<Value>),
    /// Some columns of the table's schema, as `(column index, value)`.
    Indexed(Vec<(u16, Value)>),
    /// Cells by source column name (run-time rows); names may be absent from the schema.
    Named(Vec<(String, Value)>),
    /// No cells (a truncate).
    None,
}

/// One operation on one table.
#[derive(Debug, Clone)]
pub struct Record {
    pub table: TableRef,
    pub kind: RecordKind,
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
            Cells::Named(cells) => Box::new(cells.iter().map(|(n, v)| (n.as_str(), v))),
            Cells::None => Box::new(std::iter::empty()),
        }
    }
}
