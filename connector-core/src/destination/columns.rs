//! Names and columns: how source names become destination names (under a
//! [`Naming`](crate::naming::Naming)), and the columns
//! of one destination table ([`Columns`]): declared ones in declaration order, undeclared ones
//! added as values first arrive for them (within one row, in name order), the source names that
//! land in each, and which cell wins when two source names of one row land in one column (the
//! name that sorts first by code point). (docs/warehouse.md, "Names" and "Layout".)

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};

use crate::naming::Naming;
use crate::record::{self, Cells};
use crate::schema::{DataType, TableSchema};
use crate::value::Value;

use super::system::{self, ID};
use super::types::{self, FitError};

/// The schema that holds the tables of the local run (`tester_<schema>` for a table declared in
/// a schema).
pub const SCHEMA: &str = "tester";

/// The warehouse schema of a table: `tester`, or `tester_<schema>` for a table declared in a
/// schema (`schema` is the schema's destination name).
pub fn warehouse_schema(schema: Option<&str>) -> String {
    match schema {
        None => SCHEMA.to_string(),
        Some(schema) => format!("{SCHEMA}_{schema}"),
    }
}

/// A name the destination refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("a table name cannot be empty")]
    EmptyTable,
    #[error("table `{table}` has a column with an empty name")]
    EmptyColumn { table: String },
    #[error("column `{column}` of table `{table}` takes the name of the system column `{name}`")]
    SystemColumn {
        table: String,
        column: String,
        name: String,
    },
    #[error(
        "table `{table}`: columns `{first}` and `{second}` differ only in case, and the \
         warehouse's names ignore case, so `--naming source` cannot keep both; rename one in \
         the connector, or run with Fivetran naming (the default), which lands both in `{lower}`"
    )]
    CaseCollision {
        table: String,
        first: String,
        second: String,
        lower: String,
    },
    #[error(
        "tables `{first}` and `{second}` differ only in case, and the warehouse's names ignore \
         case, so `--naming source` cannot keep both; rename one in the connector, or run with \
         Fivetran naming (the default)"
    )]
    TableCaseCollision { first: String, second: String },
}

/// Refuses a new table (`schema.table`, as the sink names it) whose name differs from an
/// existing table's only in case: DuckDB's names ignore case, so the two would be one table to it
/// and two to us. (Only source naming can give such names: Fivetran names are lower-case.)
pub fn check_new_table<'a>(
    existing: impl IntoIterator<Item = &'a str>,
    new: &str,
) -> Result<(), NameError> {
    match existing
        .into_iter()
        .find(|name| *name != new && name.eq_ignore_ascii_case(new))
    {
        Some(twin) => Err(NameError::TableCaseCollision {
            first: twin.to_string(),
            second: new.to_string(),
        }),
        None => Ok(()),
    }
}

/// A table's destination name, refusing an empty one.
pub fn table_name(naming: Naming, source: &str) -> Result<String, NameError> {
    let name = naming.table(source);
    if name.is_empty() {
        return Err(NameError::EmptyTable);
    }
    Ok(name)
}

/// One column of a destination table (system columns `_fivetran_deleted` and
/// `_fivetran_synced` are implied; a table without a key has `_fivetran_id` as its first column).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The destination name.
    pub name: String,
    /// `None` until the column is declared with a type or sees a non-null value.
    pub data_type: Option<DataType>,
    /// Declared with a type: values are fitted to it, and it never changes.
    pub declared: bool,
    /// Part of the primary key.
    pub primary_key: bool,
    /// The column's type in the target table, `None` while the target lacks the column.
    pub target_type: Option<DataType>,
    /// An inferred column: the most digits before the point of a number it has taken (an
    /// integer, a decimal, `true` as 1), so that it widens to a DECIMAL only with room for them
    /// (see [`types::fit`]). 0 for the values a target table held before this run, which are
    /// not read.
    pub integer_digits: u8,
}

/// The columns of one destination table, and the source names that land in each.
///
/// Reads as a slice of [`Column`]s in the table's order (by index, the way rows hold values).
#[derive(Debug, Clone)]
pub struct Columns {
    /// The table's name, for messages.
    table: String,
    keyed: bool,
    list: Vec<Column>,
    /// Source column name → column index.
    by_source: HashMap<String, usize>,
    /// Source names that share a destination column with another, in the order first met.
    shared_names: Vec<(String, String)>,
    /// Whether two declared columns of one source table land in one column: their cells are
    /// then placed by name, so that the name that sorts first wins.
    declared_collide: bool,
}

impl Deref for Columns {
    type Target = [Column];

    fn deref(&self) -> &[Column] {
        &self.list
    }
}

impl DerefMut for Columns {
    fn deref_mut(&mut self) -> &mut [Column] {
        &mut self.list
    }
}

impl Columns {
    /// The columns of a new table named `table` (for messages): none, or `_fivetran_id` when
    /// the table has no primary key.
    pub fn new(table: String, keyed: bool) -> Columns {
        let list = if keyed {
            Vec::new()
        } else {
            vec![Column {
                name: ID.to_string(),
                data_type: Some(DataType::String),
                declared: true,
                primary_key: true,
                target_type: None,
                integer_digits: 0,
            }]
        };
        Columns {
            table,
            keyed,
            list,
            by_source: HashMap::new(),
            shared_names: Vec::new(),
            declared_collide: false,
        }
    }

    /// The columns of a table the target already holds, as `(name, type)` in its order,
    /// system columns left out. `_fivetran_id` among them makes the table key-less. (Only the
    /// warehouse has a target that outlives a sync.)
    #[cfg(any(test, feature = "local"))]
    pub fn existing(table: String, columns: Vec<(String, Option<DataType>)>) -> Columns {
        let keyed = !columns.iter().any(|(name, _)| name == ID);
        let mut existing = Columns::new(table, true);
        existing.keyed = keyed;
        existing.list = columns
            .into_iter()
            .map(|(name, data_type)| Column {
                primary_key: name == ID,
                declared: name == ID,
                name,
                data_type,
                target_type: data_type,
                integer_digits: 0,
            })
            .collect();
        existing
    }

    /// Whether the table has a primary key of its own (otherwise `_fivetran_id` is its key).
    pub fn keyed(&self) -> bool {
        self.keyed
    }

    /// The table's name, as messages give it.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Source names that landed in one destination column: `(first, second)`. (The warehouse
    /// warns of them.)
    #[cfg(any(test, feature = "local"))]
    pub fn shared_names(&self) -> &[(String, String)] {
        &self.shared_names
    }

    /// The index of a column by destination name.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.list.iter().position(|c| c.name == name)
    }

    /// Adds the columns a source table declares (type, key), keeping those already there.
    /// Returns, for each column of `declared`, the index of the column it lands in.
    pub fn declare(
        &mut self,
        declared: &TableSchema,
        naming: Naming,
    ) -> Result<Vec<usize>, NameError> {
        let mut positions = Vec::with_capacity(declared.columns.len());
        for column in declared.columns.iter() {
            let index = match self.by_source.get(column.name.as_ref()) {
                Some(&index) => index,
                None => {
                    let name = self.destination_name(&column.name, naming)?;
                    self.add(&column.name, name)?
                }
            };
            let state = &mut self.list[index];
            state.primary_key = column.primary_key;
            if let Some(data_type) = column.data_type {
                state.data_type = Some(data_type);
                state.declared = true;
            }
            self.declared_collide |= positions.contains(&index);
            positions.push(index);
        }
        Ok(positions)
    }

    /// A record's cells as `(column index, value)`. `positions` are the indexes of the
    /// record's schema columns (see [`Columns::declare`]).
    pub fn place(
        &mut self,
        schema: &TableSchema,
        cells: Cells,
        positions: &[usize],
        naming: Naming,
    ) -> Result<Vec<(usize, Value)>, NameError> {
        Ok(match cells {
            Cells::None => Vec::new(),
            Cells::All(values) if self.declared_collide => {
                let named = schema
                    .columns
                    .iter()
                    .zip(values)
                    .map(|(c, v)| (c.name.clone(), v))
                    .collect();
                self.place_named(named, naming)?
            }
            Cells::All(values) => positions.iter().copied().zip(values).collect(),
            Cells::Indexed(values) if self.declared_collide => {
                let named = record::by_name(schema, values).collect();
                self.place_named(named, naming)?
            }
            Cells::Indexed(values) => values
                .into_iter()
                .map(|(i, v)| (positions[usize::from(i)], v))
                .collect(),
            Cells::Named(values) => self.place_named(values, naming)?,
        })
    }

    /// Places cells named by source name. When two source names of the row land in one
    /// column, the cell of the name that sorts first (by code point) wins, whatever the order
    /// on the wire; when one source name comes twice, its last cell wins (as in a protobuf
    /// map, and as cells placed by index). A column new to the table is added when a value
    /// arrives for it (a NULL alone adds none), in name order within the row.
    pub fn place_named(
        &mut self,
        named: Vec<(Cow<'static, str>, Value)>,
        naming: Naming,
    ) -> Result<Vec<(usize, Value)>, NameError> {
        if named
            .iter()
            .all(|(s, _)| self.by_source.contains_key(s.as_ref()))
        {
            return Ok(self.place_known(named));
        }
        let mut cells: Vec<(String, Cow<'static, str>, Value)> = Vec::with_capacity(named.len());
        for (source, value) in named {
            let name = match self.by_source.get(source.as_ref()) {
                Some(&index) => self.list[index].name.clone(),
                None => self.destination_name(&source, naming)?,
            };
            cells.push((name, source, value));
        }
        cells.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        // One source name twice: the sort kept their order, and the last cell is its value.
        cells.dedup_by(|later, kept| {
            let same = later.1 == kept.1;
            if same {
                std::mem::swap(&mut later.2, &mut kept.2);
            }
            same
        });
        let mut placed: Vec<(usize, Value)> = Vec::with_capacity(cells.len());
        let mut winner: Option<(String, Option<usize>)> = None;
        for (name, source, value) in cells {
            match &winner {
                // A later name of the same column: its cell loses.
                Some((won, index)) if *won == name => {
                    if let Some(index) = *index
                        && !self.by_source.contains_key(source.as_ref())
                    {
                        self.add(&source, name)?;
                        debug_assert!(self.by_source[source.as_ref()] == index);
                    }
                    continue;
                }
                _ => {}
            }
            let index = match self.by_source.get(source.as_ref()) {
                Some(&index) => Some(index),
                None if value.is_null() && self.position(&name).is_none() => None,
                None => Some(self.add(&source, name.clone())?),
            };
            if let Some(index) = index {
                placed.push((index, value));
            }
            winner = Some((name, index));
        }
        Ok(placed)
    }

    /// Fits a value to column `index` (see [`types::fit`]).
    #[inline]
    pub fn fit(&mut self, index: usize, value: Value) -> Result<Value, Box<FitError>> {
        types::fit(&mut self.list[index], value, &self.table)
    }

    /// Places cells whose source names are all known.
    fn place_known(&self, named: Vec<(Cow<'static, str>, Value)>) -> Vec<(usize, Value)> {
        let mut slots: Vec<Option<(Cow<'static, str>, Value)>> = Vec::new();
        for (source, value) in named {
            let index = self.by_source[source.as_ref()];
            if slots.len() <= index {
                slots.resize_with(index + 1, || None);
            }
            // Another name of the column that sorts first wins; the same name's last cell wins.
            match &slots[index] {
                Some((kept, _)) if *kept < source => {}
                _ => slots[index] = Some((source, value)),
            }
        }
        slots
            .into_iter()
            .enumerate()
            .filter_map(|(i, slot)| slot.map(|(_, v)| (i, v)))
            .collect()
    }

    /// The destination name of a source column, refused when empty or reserved.
    fn destination_name(&self, source: &str, naming: Naming) -> Result<String, NameError> {
        let name = naming.column(source);
        if system::is_reserved(&name) {
            return Err(NameError::SystemColumn {
                table: self.table.clone(),
                column: source.to_string(),
                name,
            });
        }
        if name.is_empty() {
            return Err(NameError::EmptyColumn {
                table: self.table.clone(),
            });
        }
        Ok(name)
    }

    /// Lands source name `source` in the column named `name`, added (untyped) if new. A new
    /// name that differs from a column's only in case is refused: DuckDB compares names without
    /// regard to ASCII case, so `id` and `ID` would be one column to it and two to us. (Only
    /// source naming can give such names: Fivetran names are lower-case.)
    fn add(&mut self, source: &str, name: String) -> Result<usize, NameError> {
        let index = match self.position(&name) {
            Some(index) => {
                if let Some((other, _)) = self.by_source.iter().find(|(_, i)| **i == index) {
                    self.shared_names.push((other.clone(), source.to_string()));
                }
                index
            }
            None => {
                if let Some(twin) = self
                    .list
                    .iter()
                    .find(|c| c.name.eq_ignore_ascii_case(&name))
                {
                    return Err(NameError::CaseCollision {
                        table: self.table.clone(),
                        first: twin.name.clone(),
                        second: name,
                        lower: Naming::Fivetran.column(source),
                    });
                }
                self.list.push(Column {
                    name,
                    data_type: None,
                    declared: false,
                    primary_key: false,
                    target_type: None,
                    integer_digits: 0,
                });
                self.list.len() - 1
            }
        };
        self.by_source.insert(source.to_string(), index);
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Column as SourceColumn;

    fn names(columns: &Columns) -> Vec<&str> {
        columns.iter().map(|c| c.name.as_str()).collect()
    }

    fn row(cells: &[(&str, Value)]) -> Vec<(Cow<'static, str>, Value)> {
        cells
            .iter()
            .map(|(n, v)| (Cow::Owned(n.to_string()), v.clone()))
            .collect()
    }

    #[test]
    fn a_table_without_a_key_starts_with_its_row_id() {
        assert_eq!(names(&Columns::new("t".into(), false)), [ID]);
        assert!(Columns::new("t".into(), true).is_empty());
        let loaded = Columns::existing(
            "t".into(),
            vec![(ID.into(), Some(DataType::String)), ("a".into(), None)],
        );
        assert!(!loaded.keyed());
        assert!(loaded[0].primary_key);
    }

    #[test]
    fn new_columns_come_in_name_order_within_a_row_and_nulls_add_none() {
        let mut columns = Columns::new("t".into(), false);
        let placed = columns
            .place_named(
                row(&[
                    ("zeta", Value::Long(1)),
                    ("alpha", Value::Long(2)),
                    ("nothing", Value::Null),
                ]),
                Naming::Fivetran,
            )
            .unwrap();
        assert_eq!(names(&columns), [ID, "alpha", "zeta"]);
        assert_eq!(placed, vec![(1, Value::Long(2)), (2, Value::Long(1))]);
        columns
            .place_named(row(&[("nothing", Value::Long(3))]), Naming::Fivetran)
            .unwrap();
        assert_eq!(names(&columns), [ID, "alpha", "zeta", "nothing"]);
    }

    #[test]
    fn the_source_name_that_sorts_first_wins_whatever_the_order() {
        for cells in [
            [("updated_at", "snake"), ("updatedAt", "camel")],
            [("updatedAt", "camel"), ("updated_at", "snake")],
        ] {
            let mut columns = Columns::new("t".into(), true);
            let cells: Vec<(Cow<'static, str>, Value)> = cells
                .iter()
                .map(|(n, v)| (Cow::Owned(n.to_string()), Value::from(*v)))
                .collect();
            // Unknown names, then the same names again once both are known.
            for _ in 0..2 {
                let placed = columns
                    .place_named(cells.clone(), Naming::Fivetran)
                    .unwrap();
                assert_eq!(placed, vec![(0, Value::from("camel"))]);
            }
            assert_eq!(names(&columns), ["updated_at"]);
            assert_eq!(columns.shared_names().len(), 1);
        }
        // The winner's NULL still wins.
        let mut columns = Columns::new("t".into(), true);
        let placed = columns
            .place_named(
                row(&[("updated_at", Value::Long(3)), ("updatedAt", Value::Null)]),
                Naming::Fivetran,
            )
            .unwrap();
        assert!(placed.is_empty());
        assert!(columns.is_empty());
    }

    /// Finding 8 of the fuzzing (docs/reliability.md): a source name sent twice in one record
    /// (a protobuf map key repeated, which `connector-tester` may read from another server)
    /// keeps its last cell, as protobuf reads a map; the first was kept.
    #[test]
    fn a_source_name_sent_twice_keeps_its_last_cell() {
        let mut columns = Columns::new("t".into(), true);
        let cells = row(&[
            ("a", Value::Long(1)),
            ("updatedAt", Value::from("camel")),
            ("a", Value::Long(2)),
            ("updated_at", Value::from("snake 1")),
            ("a", Value::Long(3)),
            ("updated_at", Value::from("snake 2")),
        ]);
        // New names, then the same names once known.
        for _ in 0..2 {
            let mut placed = columns
                .place_named(cells.clone(), Naming::Fivetran)
                .unwrap();
            placed.sort_by_key(|(i, _)| *i);
            assert_eq!(placed, [(0, Value::Long(3)), (1, Value::from("camel"))]);
        }
        assert_eq!(names(&columns), ["a", "updated_at"]);
        // The sorting-first name sent twice: its last cell.
        let placed = columns
            .place_named(
                row(&[
                    ("updatedAt", Value::from("camel 1")),
                    ("updated_at", Value::from("snake")),
                    ("updatedAt", Value::from("camel 2")),
                ]),
                Naming::Fivetran,
            )
            .unwrap();
        assert_eq!(placed, [(1, Value::from("camel 2"))]);
        // A last NULL wins too.
        let placed = columns
            .place_named(
                row(&[("a", Value::Long(1)), ("a", Value::Null)]),
                Naming::Fivetran,
            )
            .unwrap();
        assert_eq!(placed, [(0, Value::Null)]);
        let mut fresh = Columns::new("t".into(), true);
        let placed = fresh
            .place_named(
                row(&[("b", Value::Long(1)), ("b", Value::Null)]),
                Naming::Fivetran,
            )
            .unwrap();
        assert!(placed.is_empty() && fresh.is_empty());
    }

    #[test]
    fn declared_columns_that_collide_are_placed_by_name() {
        let schema = TableSchema::new("t")
            .column(SourceColumn::key("id", Some(DataType::Long)))
            .column(SourceColumn::new("updated_at", DataType::String))
            .column(SourceColumn::new("updatedAt", DataType::String));
        let mut columns = Columns::new("t".into(), true);
        let positions = columns.declare(&schema, Naming::Fivetran).unwrap();
        assert_eq!(positions, [0, 1, 1]);
        let placed = columns
            .place(
                &schema,
                Cells::All(vec![Value::Long(1), "snake".into(), "camel".into()]),
                &positions,
                Naming::Fivetran,
            )
            .unwrap();
        assert_eq!(placed, vec![(0, Value::Long(1)), (1, "camel".into())]);
        // Under source naming they are two columns.
        let mut columns = Columns::new("t".into(), true);
        assert_eq!(columns.declare(&schema, Naming::Source).unwrap(), [0, 1, 2]);
    }

    #[test]
    fn reserved_and_empty_names_are_refused() {
        let mut columns = Columns::new("t".into(), false);
        let error = columns
            .place_named(
                row(&[("_Fivetran_Synced", Value::Long(1))]),
                Naming::Fivetran,
            )
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "column `_Fivetran_Synced` of table `t` takes the name of the system column `_fivetran_synced`"
        );
        let error = columns
            .place_named(row(&[("", Value::Long(1))]), Naming::Source)
            .unwrap_err();
        assert_eq!(error, NameError::EmptyColumn { table: "t".into() });
        assert_eq!(table_name(Naming::Source, ""), Err(NameError::EmptyTable));
    }

    #[test]
    fn schemas_are_prefixed_with_tester() {
        assert_eq!(warehouse_schema(None), "tester");
        assert_eq!(
            warehouse_schema(Some(&Naming::Fivetran.schema("Sales Data"))),
            "tester_sales_data"
        );
    }
}
