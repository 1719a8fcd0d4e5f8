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

    /// The cells in their cheapest form: every column in order when the cells are exactly one
    /// per column of the schema (sinks take a whole row in order without placing its cells),
    /// else by index, else by name.
    pub fn finish(self) -> Cells {
        if !self.named.is_empty() {
            return Cells::Named(self.named);
        }
        match every_column(self.table.columns.len(), self.indexed) {
            Ok(values) => Cells::All(values),
            Err(indexed) => Cells::Indexed(indexed),
        }
    }
}

/// `cells` as one value per column in column order when they hold exactly one cell for each of
/// the table's `columns`; otherwise the cells back (sorted by index, the cells of one index in
/// their original order, so the last still wins).
fn every_column(
    columns: usize,
    mut cells: Vec<(u16, Value)>,
) -> Result<Vec<Value>, Vec<(u16, Value)>> {
    let in_order = |cells: &[(u16, Value)]| {
        cells
            .iter()
            .enumerate()
            .all(|(position, (index, _))| usize::from(*index) == position)
    };
    if cells.len() != columns {
        return Err(cells);
    }
    if !in_order(&cells) {
        cells.sort_by_key(|(index, _)| *index);
        if !in_order(&cells) {
            return Err(cells);
        }
    }
    Ok(cells.into_iter().map(|(_, value)| value).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, DataType};

    fn table() -> TableSchema {
        TableSchema::new("t")
            .column(Column::key("id", Some(DataType::Long)))
            .column(Column::new("name", DataType::String))
            .column(Column::new("score", DataType::Double))
    }

    fn finish(table: &TableSchema, cells: &[(u16, Value)]) -> Cells {
        let mut builder = CellsBuilder::new(table, cells.len());
        for (index, value) in cells {
            builder.push(Some(*index), || unreachable!("declared"), value.clone());
        }
        builder.finish()
    }

    #[test]
    fn one_cell_per_column_in_any_order_is_a_whole_row_in_column_order() {
        let table = table();
        let cells = [
            (2, Value::Double(1.5)),
            (0, Value::Long(7)),
            (1, Value::String("a".into())),
        ];
        assert_eq!(
            finish(&table, &cells),
            Cells::All(vec![
                Value::Long(7),
                Value::String("a".into()),
                Value::Double(1.5)
            ])
        );
    }

    #[test]
    fn a_missing_or_repeated_column_keeps_cells_by_index_and_the_last_repeat_wins() {
        let table = table();
        let missing = [(1, Value::String("a".into())), (0, Value::Long(7))];
        let Cells::Indexed(cells) = finish(&table, &missing) else {
            panic!("a column is missing: not a whole row");
        };
        assert_eq!(cells.len(), 2);
        let repeated = [
            (0, Value::Long(7)),
            (1, Value::String("first".into())),
            (1, Value::String("last".into())),
        ];
        let Cells::Indexed(cells) = finish(&table, &repeated) else {
            panic!("a repeated column: not a whole row");
        };
        let names: Vec<&Value> = cells
            .iter()
            .filter(|(i, _)| *i == 1)
            .map(|(_, v)| v)
            .collect();
        assert_eq!(names.last(), Some(&&Value::String("last".into())));
    }
}
