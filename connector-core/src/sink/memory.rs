//! The in-memory destination: tables held as the warehouse would hold them, for tests.
//!
//! It applies the rules of the local run (LOCAL_RUN.md): Fivetran naming, the system columns
//! `_fivetran_synced`, `_fivetran_deleted` and `_fivetran_id`, declared types and inferred ones
//! that widen, and upsert/update/delete/truncate semantics. Records are staged and applied at each
//! checkpoint, in emission order, so a failed sync leaves the tables as of its last checkpoint.

use std::collections::HashMap;

use anyhow::{anyhow, bail};
use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};

use crate::naming;
use crate::record::{Record, RecordKind};
use crate::row::Row;
use crate::schema::{DataType, TableRef, TableSchema};
use crate::sink::Sink;
use crate::value::Value;

pub const SYNCED: &str = "_fivetran_synced";
pub const DELETED: &str = "_fivetran_deleted";
pub const ID: &str = "_fivetran_id";

/// Tables as the destination holds them, across syncs.
#[derive(Debug, Default, Clone)]
pub struct MemoryWarehouse {
    tables: Vec<MemoryTable>,
    last_stamp: Option<DateTime<Utc>>,
}

/// One destination table: columns (system columns included) and rows in first-written order.
#[derive(Debug, Clone)]
pub struct MemoryTable {
    schema: Option<String>,
    name: String,
    columns: Vec<StoredColumn>,
    has_key: bool,
    rows: Vec<Vec<Value>>,
    index: HashMap<String, usize>,
    /// Created by an earlier commit: new columns now go after the system columns.
    sealed: bool,
}

#[derive(Debug, Clone)]
struct StoredColumn {
    name: String,
    data_type: Option<DataType>,
    declared: bool,
    primary_key: bool,
}

impl MemoryWarehouse {
    pub fn new() -> MemoryWarehouse {
        MemoryWarehouse::default()
    }

    /// A table by destination name (`schema.table` for a table in a schema), if it exists.
    pub fn table(&self, name: &str) -> Option<&MemoryTable> {
        self.tables.iter().find(|t| t.qualified_name() == name)
    }

    /// Every table, in creation order.
    pub fn tables(&self) -> &[MemoryTable] {
        &self.tables
    }

    /// A timestamp strictly later than the previous one.
    fn stamp(&mut self) -> DateTime<Utc> {
        let now = Utc::now();
        let stamp = match self.last_stamp {
            Some(last) if now <= last => last + TimeDelta::microseconds(1),
            _ => now,
        };
        self.last_stamp = Some(stamp);
        stamp
    }

    fn create_declared(&mut self, declared: &TableSchema) -> anyhow::Result<()> {
        self.table_index(declared, true)?;
        Ok(())
    }

    fn table_index(&mut self, schema: &TableSchema, create: bool) -> anyhow::Result<Option<usize>> {
        let name = naming::table_name(&schema.name);
        let schema_name = schema.schema.as_deref().map(naming::schema_name);
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
        self.tables
            .push(MemoryTable::create(schema_name, name, schema)?);
        Ok(Some(self.tables.len() - 1))
    }

    fn apply(
        &mut self,
        record: &Record,
        stamp: DateTime<Utc>,
        undo: &mut Undo,
    ) -> anyhow::Result<()> {
        let create = record.kind == RecordKind::Upsert;
        let Some(index) = self.table_index(&record.table, create)? else {
            return Ok(()); // update, delete or truncate of a table never written: ignored
        };
        undo.save(index, &self.tables[index]);
        let table = &mut self.tables[index];
        match record.kind {
            RecordKind::Truncate => table.truncate(stamp),
            kind => {
                let cells = destination_cells(record)?;
                table.apply(kind, cells, stamp)?;
            }
        }
        Ok(())
    }

    fn seal(&mut self) {
        self.tables.iter_mut().for_each(|t| t.sealed = true);
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

/// The record's cells under destination names. When two source names give one destination
/// name, the one that sorts first wins; a name that becomes a system column's is refused.
fn destination_cells(record: &Record) -> anyhow::Result<Vec<(String, Value)>> {
    let mut cells: Vec<(String, &str, &Value)> = Vec::new();
    for (source, value) in record.cells() {
        let name = naming::column_name(source);
        if name.starts_with("_fivetran_") {
            bail!(
                "column `{source}` of table `{}` takes the name of the system column `{name}`",
                record.table.qualified_name()
            );
        }
        match cells.iter_mut().find(|(n, _, _)| *n == name) {
            Some(slot) if source < slot.1 => *slot = (name, source, value),
            Some(_) => {}
            None => cells.push((name, source, value)),
        }
    }
    Ok(cells
        .into_iter()
        .map(|(name, _, value)| (name, value.clone()))
        .collect())
}

impl MemoryTable {
    fn create(
        schema: Option<String>,
        name: String,
        declared: &TableSchema,
    ) -> anyhow::Result<MemoryTable> {
        let has_key = declared.has_primary_key();
        let mut columns = Vec::new();
        if !has_key {
            columns.push(StoredColumn::system(ID, DataType::String));
        }
        for column in declared.columns.iter() {
            columns.push(StoredColumn {
                name: naming::column_name(&column.name),
                data_type: column.data_type,
                declared: column.data_type.is_some(),
                primary_key: column.primary_key,
            });
        }
        columns.push(StoredColumn::system(DELETED, DataType::Boolean));
        columns.push(StoredColumn::system(SYNCED, DataType::UtcDatetime));
        Ok(MemoryTable {
            schema,
            name,
            columns,
            has_key,
            rows: Vec::new(),
            index: HashMap::new(),
            sealed: false,
        })
    }

    /// `schema.table`, or `table`.
    pub fn qualified_name(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{schema}.{}", self.name),
            None => self.name.clone(),
        }
    }

    /// The destination table name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The destination schema name, for a table declared in a schema.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// Column names and types in order, system columns included; a type is `None` for a column
    /// declared without one that has seen no value yet.
    pub fn columns(&self) -> Vec<(&str, Option<DataType>)> {
        self.columns
            .iter()
            .map(|c| (c.name.as_str(), c.data_type))
            .collect()
    }

    /// Every row, soft-deleted ones included, with every column (system columns included).
    pub fn rows(&self) -> Vec<Row> {
        self.rows.iter().map(|values| self.to_row(values)).collect()
    }

    /// The rows not marked deleted, without system columns: what a reader of the source sees.
    pub fn live_rows(&self) -> Vec<Row> {
        let deleted = self.position(DELETED).expect("system column");
        self.rows
            .iter()
            .filter(|values| values[deleted] != Value::Bool(true))
            .map(|values| {
                self.columns
                    .iter()
                    .zip(values)
                    .filter(|(c, _)| !c.name.starts_with("_fivetran_"))
                    .map(|(c, v)| (c.name.clone(), v.clone()))
                    .collect()
            })
            .collect()
    }

    /// One column's values, row by row (soft-deleted rows included).
    pub fn column(&self, name: &str) -> Vec<Value> {
        match self.position(name) {
            Some(i) => self.rows.iter().map(|values| values[i].clone()).collect(),
            None => Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn to_row(&self, values: &[Value]) -> Row {
        self.columns
            .iter()
            .zip(values)
            .map(|(c, v)| (c.name.clone(), v.clone()))
            .collect()
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    fn apply(
        &mut self,
        kind: RecordKind,
        cells: Vec<(String, Value)>,
        stamp: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let cells = self.fit(cells)?;
        let key = self.key(kind, &cells)?;
        let existing = self.index.get(&key).copied();
        let deleted = self.position(DELETED).expect("system column");
        let synced = self.position(SYNCED).expect("system column");
        match (kind, existing) {
            (RecordKind::Upsert, _) => {
                let mut values = vec![Value::Null; self.columns.len()];
                for (name, value) in cells {
                    let i = self.position(&name).expect("fitted column");
                    values[i] = value;
                }
                if let Some(id) = self.position(ID) {
                    values[id] = Value::String(key.clone());
                }
                values[deleted] = Value::Bool(false);
                values[synced] = Value::UtcDatetime(stamp);
                match existing {
                    Some(i) => self.rows[i] = values,
                    None => {
                        self.index.insert(key, self.rows.len());
                        self.rows.push(values);
                    }
                }
            }
            (RecordKind::Update, Some(i)) => {
                for (name, value) in cells {
                    let column = self.position(&name).expect("fitted column");
                    self.rows[i][column] = value;
                }
                self.rows[i][synced] = Value::UtcDatetime(stamp);
            }
            (RecordKind::Delete, Some(i)) => {
                self.rows[i][deleted] = Value::Bool(true);
                self.rows[i][synced] = Value::UtcDatetime(stamp);
            }
            // An update or delete of an unknown key is ignored.
            _ => {}
        }
        Ok(())
    }

    fn truncate(&mut self, stamp: DateTime<Utc>) {
        let deleted = self.position(DELETED).expect("system column");
        let synced = self.position(SYNCED).expect("system column");
        for values in &mut self.rows {
            if matches!(values[synced], Value::UtcDatetime(at) if at < stamp) {
                values[deleted] = Value::Bool(true);
            }
        }
    }

    /// Converts each cell to its column's type, adding columns for new non-null cells (in name
    /// order within the row) and widening inferred columns that meet a wider value.
    fn fit(&mut self, cells: Vec<(String, Value)>) -> anyhow::Result<Vec<(String, Value)>> {
        let mut new: Vec<&str> = cells
            .iter()
            .filter(|(name, value)| !value.is_null() && self.position(name).is_none())
            .map(|(name, _)| name.as_str())
            .collect();
        new.sort_unstable();
        let added: Vec<StoredColumn> = new
            .into_iter()
            .map(|name| StoredColumn {
                name: name.to_string(),
                data_type: None,
                declared: false,
                primary_key: false,
            })
            .collect();
        for column in added {
            let at = if self.sealed {
                self.columns.len()
            } else {
                self.position(DELETED).expect("system column")
            };
            self.rows
                .iter_mut()
                .for_each(|values| values.insert(at, Value::Null));
            self.columns.insert(at, column);
        }
        let table = self.qualified_name();
        let mut fitted = Vec::with_capacity(cells.len());
        for (name, value) in cells {
            let Some(i) = self.position(&name) else {
                continue;
            }; // a NULL in a column never seen
            let column = &mut self.columns[i];
            let value = match (column.declared, column.data_type, value.data_type()) {
                (_, _, None) => Value::Null,
                (true, Some(declared), _) => value
                    .coerce_to(declared)
                    .map_err(|why| anyhow!("table `{table}`, column `{name}`: {why}"))?,
                (_, None, Some(inferred)) => {
                    column.data_type = Some(inferred);
                    value
                }
                (false, Some(current), Some(inferred)) => {
                    let widened = current.widen(inferred);
                    if widened != current {
                        column.data_type = Some(widened);
                        for values in &mut self.rows {
                            values[i] =
                                std::mem::replace(&mut values[i], Value::Null).widen_to(widened);
                        }
                    }
                    value.widen_to(widened)
                }
            };
            fitted.push((name, value));
        }
        Ok(fitted)
    }

    /// The row's identity: its primary key, or the `_fivetran_id` hash for a table without one.
    fn key(&self, kind: RecordKind, cells: &[(String, Value)]) -> anyhow::Result<String> {
        if !self.has_key {
            if kind != RecordKind::Upsert {
                bail!(
                    "table `{}` has no primary key, so its rows cannot be updated or deleted",
                    self.qualified_name()
                );
            }
            return Ok(row_id(cells));
        }
        let mut parts = Vec::new();
        for column in self.columns.iter().filter(|c| c.primary_key) {
            match cells.iter().find(|(name, _)| *name == column.name) {
                Some((_, value)) if !value.is_null() => parts.push(value.to_string()),
                _ => bail!(
                    "the primary key column `{}` of table `{}` is NULL or missing",
                    column.name,
                    self.qualified_name()
                ),
            }
        }
        Ok(serde_json::Value::from(parts).to_string())
    }
}

impl StoredColumn {
    fn system(name: &str, data_type: DataType) -> StoredColumn {
        StoredColumn {
            name: name.to_string(),
            data_type: Some(data_type),
            declared: true,
            primary_key: false,
        }
    }
}

/// `_fivetran_id`: SHA-256, hex, of the compact JSON array of `[column, value as text]` pairs for
/// the non-null cells in column-name order. Equal rows get equal ids.
pub fn row_id(cells: &[(String, Value)]) -> String {
    let mut pairs: Vec<(&str, String)> = cells
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(name, value)| (name.as_str(), value.to_string()))
        .collect();
    pairs.sort();
    let document = serde_json::to_string(&pairs).expect("pairs of strings serialize");
    Sha256::digest(document.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A [`Sink`] into a [`MemoryWarehouse`]: stages records, applies them at each checkpoint.
#[derive(Debug, Default)]
pub struct MemorySink {
    warehouse: MemoryWarehouse,
    declared: Vec<TableRef>,
    pending: Vec<(DateTime<Utc>, Record)>,
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
                self.warehouse.seal();
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
            self.warehouse.create_declared(&table)?;
        }
        for (stamp, record) in std::mem::take(&mut self.pending) {
            self.warehouse.apply(&record, stamp, undo)?;
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
        let stamp = self.warehouse.stamp();
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
                    .map(|(name, value)| (name.to_string(), Value::Long(*value)))
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
}
