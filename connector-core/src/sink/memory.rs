//! The in-memory destination: tables held as the warehouse of `debug` holds them, for tests.
//!
//! Every rule of what lands where (names, system columns, types, keys) comes from
//! [`crate::destination`], the module the warehouse calls too; this module only keeps the rows
//! and applies the operations to them (docs/warehouse.md). Records are staged and applied at
//! each checkpoint, in emission order, so a failed sync leaves the tables as of its last
//! checkpoint. [`MemoryWarehouse::dump`] prints the canonical text the warehouse's dump prints.

use std::collections::HashMap;

use chrono::DateTime;

use crate::destination::columns;
use crate::destination::dump::{self, DumpedTable};
use crate::destination::system::{self, Clock, DELETED, SYNCED};
use crate::destination::{Columns, keys};
use crate::naming::Naming;
use crate::record::{Record, RecordKind};
use crate::row::Row;
use crate::schema::{DataType, TableRef, TableSchema};
use crate::sink::Sink;
use crate::value::Value;

/// Tables as the destination holds them, across syncs.
#[derive(Debug, Default, Clone)]
pub struct MemoryWarehouse {
    naming: Naming,
    tables: Vec<MemoryTable>,
    clock: Clock,
}

/// One destination table: its columns, system columns included, and rows in first-written order.
#[derive(Debug, Clone)]
pub struct MemoryTable {
    /// The destination schema's name (without the warehouse's `tester_` prefix).
    schema: Option<String>,
    name: String,
    columns: Columns,
    /// The order of the columns in the warehouse once the table exists there (see `evolve`).
    layout: Option<Vec<Slot>>,
    rows: Vec<StoredRow>,
    /// A row's key (see `key_text`) → its index in `rows`.
    index: HashMap<String, usize>,
}

/// A column of the table as the warehouse orders them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// A column of `Columns`, by index.
    Data(usize),
    Deleted,
    Synced,
}

#[derive(Debug, Clone)]
struct StoredRow {
    /// One value per column of `Columns` (fewer when columns were added after it: NULL).
    values: Vec<Value>,
    deleted: bool,
    /// `_fivetran_synced`, in microseconds since the epoch.
    synced: i64,
}

impl StoredRow {
    fn value(&self, index: usize) -> &Value {
        self.values.get(index).unwrap_or(&Value::Null)
    }
}

impl MemoryWarehouse {
    /// An empty destination with Fivetran naming.
    pub fn new() -> MemoryWarehouse {
        MemoryWarehouse::default()
    }

    /// An empty destination that names tables and columns by `naming`.
    pub fn with_naming(naming: Naming) -> MemoryWarehouse {
        MemoryWarehouse {
            naming,
            ..MemoryWarehouse::default()
        }
    }

    /// A table by destination name (`schema.table` for a table in a schema), if it exists.
    pub fn table(&self, name: &str) -> Option<&MemoryTable> {
        self.tables.iter().find(|t| t.qualified_name() == name)
    }

    /// Every table, in creation order.
    pub fn tables(&self) -> &[MemoryTable] {
        &self.tables
    }

    /// The canonical text of the tables, exactly as the local warehouse's `Warehouse::dump`
    /// prints the same tables (see [`crate::destination::dump`]).
    pub fn dump(&self) -> String {
        dump::render(self.tables.iter().filter_map(MemoryTable::dumped).collect())
    }

    /// [`dump`](MemoryWarehouse::dump) without the `_fivetran_synced` column: the same for two
    /// histories that leave the same rows, whenever each row was written.
    pub fn dump_without_synced(&self) -> String {
        let tables = self.tables.iter().filter_map(MemoryTable::dumped).collect();
        dump::render(dump::without_synced(tables))
    }

    /// The index of the table a record goes to; `None` for a table that does not exist, unless
    /// `create`.
    fn table_index(&mut self, schema: &TableSchema, create: bool) -> anyhow::Result<Option<usize>> {
        let name = columns::table_name(self.naming, &schema.name)?;
        let schema_name = schema.schema.as_deref().map(|s| self.naming.schema(s));
        if let Some(i) = self
            .tables
            .iter()
            .position(|t| t.name == name && t.schema == schema_name)
        {
            return Ok(Some(i));
        }
        if !create {
            return Ok(None);
        }
        let table = MemoryTable::new(schema_name, name, schema.has_primary_key());
        let existing: Vec<String> = self
            .tables
            .iter()
            .map(MemoryTable::qualified_name)
            .collect();
        columns::check_new_table(existing.iter().map(String::as_str), &table.qualified_name())?;
        self.tables.push(table);
        Ok(Some(self.tables.len() - 1))
    }

    fn create_declared(&mut self, declared: &TableSchema, undo: &mut Undo) -> anyhow::Result<()> {
        if let Some(index) = self.table_index(declared, true)? {
            undo.save(index, &self.tables[index]);
            self.tables[index].columns.declare(declared, self.naming)?;
        }
        Ok(())
    }

    fn apply(&mut self, record: Record, stamp: i64, undo: &mut Undo) -> anyhow::Result<()> {
        let create = record.kind == RecordKind::Upsert;
        let Some(index) = self.table_index(&record.table, create)? else {
            return Ok(()); // update, delete or truncate of a table that does not exist: ignored
        };
        undo.save(index, &self.tables[index]);
        let table = &mut self.tables[index];
        match record.kind {
            RecordKind::Truncate => table.truncate(stamp),
            kind => {
                let positions = table.columns.declare(&record.table, self.naming)?;
                let cells =
                    table
                        .columns
                        .place(&record.table, record.cells, &positions, self.naming)?;
                table.apply(kind, cells, stamp)?;
            }
        }
        Ok(())
    }

    /// Brings every table's layout up to date with its columns (see [`MemoryTable::evolve`]).
    fn evolve(&mut self) {
        self.tables.iter_mut().for_each(MemoryTable::evolve);
    }

    /// Where a commit starts: what it must put back if it fails.
    fn undo_point(&self) -> Undo {
        Undo {
            tables: self.tables.len(),
            saved: Vec::new(),
        }
    }

    /// Puts the tables back as they were at `undo`'s point.
    fn undo(&mut self, undo: Undo) {
        self.tables.truncate(undo.tables);
        for (index, table) in undo.saved {
            self.tables[index] = table;
        }
    }
}

/// What a failed commit puts back: the number of tables before it, and each table it changed as
/// it was before its first change (tables it did not touch are not copied).
#[derive(Debug)]
struct Undo {
    tables: usize,
    saved: Vec<(usize, MemoryTable)>,
}

impl Undo {
    /// Keeps table `index` as it is now, unless it is new or already kept.
    fn save(&mut self, index: usize, table: &MemoryTable) {
        if index < self.tables && !self.saved.iter().any(|(i, _)| *i == index) {
            self.saved.push((index, table.clone()));
        }
    }
}

impl MemoryTable {
    fn new(schema: Option<String>, name: String, keyed: bool) -> MemoryTable {
        let qualified = match &schema {
            Some(schema) => format!("{schema}.{name}"),
            None => name.clone(),
        };
        MemoryTable {
            schema,
            name,
            columns: Columns::new(qualified, keyed),
            layout: None,
            rows: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// `schema.table`, or `table`.
    pub fn qualified_name(&self) -> String {
        self.columns.table().to_string()
    }

    /// The destination table name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The destination schema name, for a table declared in a schema.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// Column names and types in the warehouse's order, system columns included; a type is
    /// `None` for a column declared without one that has seen no value yet (such a column is
    /// not in the warehouse yet, and comes last).
    pub fn columns(&self) -> Vec<(&str, Option<DataType>)> {
        self.order()
            .into_iter()
            .map(|slot| match slot {
                Slot::Data(i) => (self.columns[i].name.as_str(), self.columns[i].data_type),
                Slot::Deleted => (DELETED, Some(DataType::Boolean)),
                Slot::Synced => (SYNCED, Some(DataType::UtcDatetime)),
            })
            .collect()
    }

    /// The primary key's columns in the table's order: the declared key, or `_fivetran_id` for
    /// a table that declares none.
    pub fn primary_key(&self) -> Vec<&str> {
        self.order()
            .into_iter()
            .filter_map(|slot| match slot {
                Slot::Data(i) if self.columns[i].primary_key => Some(self.columns[i].name.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Every row, soft-deleted ones included, with every column (system columns included).
    pub fn rows(&self) -> Vec<Row> {
        let order = self.order();
        self.rows
            .iter()
            .map(|row| {
                order
                    .iter()
                    .map(|&slot| match slot {
                        Slot::Data(i) => (self.columns[i].name.clone(), row.value(i).clone()),
                        Slot::Deleted => (DELETED.to_string(), Value::Bool(row.deleted)),
                        Slot::Synced => (SYNCED.to_string(), synced_value(row.synced)),
                    })
                    .collect()
            })
            .collect()
    }

    /// The rows not marked deleted, without system columns: what a reader of the source sees.
    pub fn live_rows(&self) -> Vec<Row> {
        let order = self.order();
        self.rows
            .iter()
            .filter(|row| !row.deleted)
            .map(|row| {
                order
                    .iter()
                    .filter_map(|&slot| match slot {
                        Slot::Data(i) if !system::is_reserved(&self.columns[i].name) => {
                            Some((self.columns[i].name.clone(), row.value(i).clone()))
                        }
                        _ => None,
                    })
                    .collect()
            })
            .collect()
    }

    /// One column's values, row by row (soft-deleted rows included).
    pub fn column(&self, name: &str) -> Vec<Value> {
        match name {
            DELETED => self.rows.iter().map(|r| Value::Bool(r.deleted)).collect(),
            SYNCED => self.rows.iter().map(|r| synced_value(r.synced)).collect(),
            _ => match self.columns.position(name) {
                Some(i) => self.rows.iter().map(|row| row.value(i).clone()).collect(),
                None => Vec::new(),
            },
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The columns in the warehouse's order: the layout of the table once it exists there,
    /// then the columns it does not have yet; before that, every column, then the system ones.
    fn order(&self) -> Vec<Slot> {
        let mut order = match &self.layout {
            Some(layout) => layout.clone(),
            None => (0..self.columns.len())
                .map(Slot::Data)
                .chain([Slot::Deleted, Slot::Synced])
                .collect(),
        };
        for i in 0..self.columns.len() {
            if !order.contains(&Slot::Data(i)) {
                order.push(Slot::Data(i));
            }
        }
        order
    }

    /// The table as the warehouse dump shows it, if the warehouse has it.
    fn dumped(&self) -> Option<DumpedTable> {
        let layout = self.layout.as_ref()?;
        let columns = layout
            .iter()
            .map(|&slot| match slot {
                Slot::Data(i) => (
                    self.columns[i].name.clone(),
                    dump::type_name(self.columns[i].data_type.expect("in the layout: typed")),
                ),
                Slot::Deleted => (DELETED.to_string(), dump::type_name(DataType::Boolean)),
                Slot::Synced => (SYNCED.to_string(), dump::type_name(DataType::UtcDatetime)),
            })
            .collect();
        let stamps: Vec<i64> = self.rows.iter().map(|r| r.synced).collect();
        let ranks = dump::ranks(&stamps);
        let rows = self
            .rows
            .iter()
            .zip(ranks)
            .map(|(row, rank)| {
                layout
                    .iter()
                    .map(|&slot| match slot {
                        Slot::Data(i) => dump::text(
                            row.value(i),
                            self.columns[i].data_type.expect("in the layout: typed"),
                        ),
                        Slot::Deleted => row.deleted.to_string(),
                        Slot::Synced => rank.clone(),
                    })
                    .collect()
            })
            .collect();
        Some(DumpedTable {
            schema: columns::warehouse_schema(self.schema.as_deref()),
            name: self.name.clone(),
            columns,
            rows,
        })
    }

    /// At the end of a commit, as the warehouse creates and alters its tables: a table with a
    /// typed column (or without a key, so with `_fivetran_id`) is created with its typed
    /// columns, then `_fivetran_deleted` and `_fivetran_synced`; a column typed later is added
    /// after them.
    fn evolve(&mut self) {
        let layout = match &mut self.layout {
            Some(layout) => layout,
            None if self.columns.iter().any(|c| c.data_type.is_some()) => {
                let layout: Vec<Slot> = (0..self.columns.len())
                    .filter(|&i| self.columns[i].data_type.is_some())
                    .map(Slot::Data)
                    .chain([Slot::Deleted, Slot::Synced])
                    .collect();
                self.layout.insert(layout)
            }
            None => return,
        };
        for (i, column) in self.columns.iter_mut().enumerate() {
            if column.data_type.is_some() && !layout.contains(&Slot::Data(i)) {
                layout.push(Slot::Data(i));
            }
            column.target_type = column.data_type;
        }
    }

    fn apply(
        &mut self,
        kind: RecordKind,
        cells: Vec<(usize, Value)>,
        stamp: i64,
    ) -> anyhow::Result<()> {
        let mut values = vec![Value::Null; self.columns.len()];
        let mut present = vec![false; self.columns.len()];
        for (i, value) in cells {
            values[i] = self.fit(i, value)?;
            present[i] = true;
        }
        keys::check_key(&self.columns, kind, &mut values)?;
        let key = self.key_text(&values);
        let existing = self.index.get(&key).copied();
        match (kind, existing) {
            (RecordKind::Upsert, _) => {
                let row = StoredRow {
                    values,
                    deleted: false,
                    synced: stamp,
                };
                match existing {
                    Some(i) => self.rows[i] = row,
                    None => {
                        self.index.insert(key, self.rows.len());
                        self.rows.push(row);
                    }
                }
            }
            (RecordKind::Update, Some(i)) => {
                let row = &mut self.rows[i];
                row.values.resize(self.columns.len(), Value::Null);
                for (i, value) in values.into_iter().enumerate() {
                    if present[i] {
                        row.values[i] = value;
                    }
                }
                row.synced = stamp;
            }
            (RecordKind::Delete, Some(i)) => {
                self.rows[i].deleted = true;
                self.rows[i].synced = stamp;
            }
            // An update or delete of an unknown key is ignored.
            _ => {}
        }
        Ok(())
    }

    /// Fits a value to column `index`; when an inferred column widens, the values it holds
    /// are widened with it.
    fn fit(&mut self, index: usize, value: Value) -> anyhow::Result<Value> {
        let before = self.columns[index].data_type;
        let value = self.columns.fit(index, value)?;
        let after = self.columns[index].data_type;
        if let (Some(before), Some(after)) = (before, after)
            && before != after
        {
            for row in &mut self.rows {
                if let Some(old) = row.values.get_mut(index) {
                    *old = std::mem::replace(old, Value::Null).widen_to(after);
                }
            }
        }
        Ok(value)
    }

    /// A row's identity: its key columns' values (`_fivetran_id` for a table without a key).
    fn key_text(&self, values: &[Value]) -> String {
        let parts: Vec<String> = self
            .columns
            .iter()
            .zip(values)
            .filter(|(c, _)| c.primary_key)
            .map(|(_, v)| v.to_string())
            .collect();
        serde_json::Value::from(parts).to_string()
    }

    fn truncate(&mut self, stamp: i64) {
        for row in &mut self.rows {
            if system::truncates(row.synced, stamp) {
                row.deleted = true;
            }
        }
    }
}

fn synced_value(micros: i64) -> Value {
    Value::UtcDatetime(DateTime::from_timestamp_micros(micros).expect("a stamp of the clock"))
}

/// A [`Sink`] into a [`MemoryWarehouse`]: stages records, applies them at each checkpoint.
#[derive(Debug, Default)]
pub struct MemorySink {
    warehouse: MemoryWarehouse,
    declared: Vec<TableRef>,
    pending: Vec<(i64, Record)>,
    /// Every checkpointed state, in order.
    pub states: Vec<String>,
    /// Every warning, in order.
    pub warnings: Vec<String>,
    /// The task the sync stopped with, if any (there is at most one).
    pub tasks: Vec<String>,
}

impl MemorySink {
    pub fn new(warehouse: MemoryWarehouse) -> MemorySink {
        MemorySink {
            warehouse,
            ..MemorySink::default()
        }
    }

    /// The warehouse, with everything committed so far.
    pub fn into_warehouse(self) -> MemoryWarehouse {
        self.warehouse
    }

    /// Applies the pending records, all or nothing: a failing record leaves the warehouse as
    /// of the previous commit.
    fn commit(&mut self) -> anyhow::Result<()> {
        let mut undo = self.warehouse.undo_point();
        match self.apply_pending(&mut undo) {
            Ok(()) => {
                self.warehouse.evolve();
                Ok(())
            }
            Err(error) => {
                self.warehouse.undo(undo);
                Err(error)
            }
        }
    }

    fn apply_pending(&mut self, undo: &mut Undo) -> anyhow::Result<()> {
        for table in std::mem::take(&mut self.declared) {
            self.warehouse.create_declared(&table, undo)?;
        }
        for (stamp, record) in std::mem::take(&mut self.pending) {
            self.warehouse.apply(record, stamp, undo)?;
        }
        Ok(())
    }
}

impl Sink for MemorySink {
    fn begin(&mut self, tables: &[TableRef]) -> anyhow::Result<()> {
        self.declared = tables.to_vec();
        Ok(())
    }

    fn write(&mut self, record: Record) -> anyhow::Result<()> {
        let stamp = self.warehouse.clock.stamp();
        self.pending.push((stamp, record));
        Ok(())
    }

    fn warning(&mut self, message: &str) -> anyhow::Result<()> {
        self.warnings.push(message.to_string());
        Ok(())
    }

    fn task(&mut self, message: &str) -> anyhow::Result<()> {
        self.tasks.push(message.to_string());
        Ok(())
    }

    fn checkpoint(&mut self, state_json: &str) -> anyhow::Result<()> {
        self.commit()?;
        self.states.push(state_json.to_string());
        Ok(())
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        self.commit()
    }

    fn abort(&mut self) {
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, TableSchema};

    fn upsert(table: &TableRef, cells: &[(&str, i64)]) -> Record {
        Record {
            table: table.clone(),
            kind: RecordKind::Upsert,
            cells: crate::record::Cells::Named(
                cells
                    .iter()
                    .map(|(name, value)| (name.to_string().into(), Value::Long(*value)))
                    .collect(),
            ),
        }
    }

    #[test]
    fn a_commit_that_fails_leaves_every_table_as_the_last_commit_left_it() {
        let kept = TableRef::from(TableSchema::new("kept").column(Column::key("id", None)));
        let other = TableRef::from(TableSchema::new("other").column(Column::key("id", None)));
        let mut sink = MemorySink::default();
        sink.write(upsert(&kept, &[("id", 1)])).unwrap();
        sink.checkpoint("{}").unwrap();

        // A window that changes `kept`, creates `other`, then fails on a system column's name.
        sink.write(upsert(&kept, &[("id", 1), ("n", 5)])).unwrap();
        sink.write(upsert(&kept, &[("id", 2)])).unwrap();
        sink.write(upsert(&other, &[("id", 1)])).unwrap();
        sink.write(upsert(&kept, &[("id", 3), ("_fivetran_synced", 0)]))
            .unwrap();
        let error = sink.checkpoint("{\"n\":1}").unwrap_err();
        assert!(error.to_string().contains("_fivetran_synced"), "{error}");

        let warehouse = sink.into_warehouse();
        let kept = warehouse.table("kept").expect("kept stays");
        assert_eq!(kept.len(), 1);
        assert_eq!(
            kept.columns()
                .iter()
                .map(|(name, _)| *name)
                .collect::<Vec<_>>(),
            ["id", DELETED, SYNCED],
            "the column the failed window added is gone"
        );
        assert!(
            warehouse.table("other").is_none(),
            "the table it created is gone"
        );
    }

    #[test]
    fn a_column_added_by_a_later_commit_goes_after_the_system_columns() {
        let table = TableRef::from(TableSchema::new("t").column(Column::key("id", None)));
        let mut sink = MemorySink::default();
        sink.write(upsert(&table, &[("id", 1)])).unwrap();
        sink.checkpoint("{}").unwrap();
        sink.write(upsert(&table, &[("id", 2), ("late", 7)]))
            .unwrap();
        sink.checkpoint("{}").unwrap();
        let warehouse = sink.into_warehouse();
        assert_eq!(
            warehouse.dump().lines().take(5).collect::<Vec<_>>(),
            [
                "table tester.t",
                "  id BIGINT",
                "  _fivetran_deleted BOOLEAN",
                "  _fivetran_synced TIMESTAMP WITH TIME ZONE",
                "  late BIGINT",
            ]
        );
    }
}
