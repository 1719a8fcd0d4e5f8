//! One destination table as the warehouse sees it during a run: its columns (declared or
//! inferred, and whether the target table has them yet), how source names map to them, and the
//! rows staged for it since the last commit.

use std::collections::HashMap;

use anyhow::{anyhow, bail};

use crate::naming::Naming;
use crate::record::{self, Cells, Record, RecordKind};
use crate::schema::{DataType, TableSchema};
use crate::sink::memory::{DELETED, ID, SYNCED, row_id};
use crate::value::Value;

/// A data column (system columns `_fivetran_deleted` and `_fivetran_synced` are implied; a
/// table without a key has `_fivetran_id` as its first data column).
#[derive(Debug, Clone)]
pub(crate) struct ColumnState {
    pub name: String,
    /// `None` until the column is declared with a type or sees a non-null value.
    pub data_type: Option<DataType>,
    pub declared: bool,
    pub primary_key: bool,
    /// The column's type in the target table, `None` while the target lacks the column.
    pub target_type: Option<DataType>,
}

/// One staged operation: its order, kind, stamp, which columns an update sets, and one value per
/// column (as many as the table had when it was staged).
#[derive(Debug)]
pub(crate) struct StagedRow {
    pub seq: i64,
    pub kind: RecordKind,
    pub synced_micros: i64,
    pub present: Option<String>,
    pub values: Vec<Value>,
}

/// Rows buffered per table before they are appended to DuckDB, at most: each append is one
/// statement with a fixed cost (about a millisecond), so fewer, larger appends are faster, up to
/// this many rows (measured with `connector-bench local`; more gained nothing and cost memory).
const BUFFER_ROWS: usize = 16_384;
/// Bytes of buffered rows (roughly: cells and the text and bytes they hold) past which they are
/// appended even with fewer rows, so wide or large rows keep memory flat too.
const BUFFER_BYTES: usize = 8 << 20;

impl StagedRow {
    /// Roughly the memory this row holds.
    fn size(&self) -> usize {
        let heap: usize = self
            .values
            .iter()
            .map(|value| match value {
                Value::String(s) | Value::Json(s) | Value::Xml(s) => s.len(),
                Value::Binary(b) => b.len(),
                _ => 0,
            })
            .sum();
        std::mem::size_of::<StagedRow>()
            + self.values.len() * std::mem::size_of::<Value>()
            + heap
            + self.present.as_ref().map_or(0, String::len)
    }
}

/// A table's rows staged in Rust since they were last appended to DuckDB.
#[derive(Debug, Default)]
pub(crate) struct Buffer {
    pub rows: Vec<StagedRow>,
    bytes: usize,
}

impl Buffer {
    pub fn push(&mut self, row: StagedRow) {
        self.bytes += row.size();
        self.rows.push(row);
    }

    /// Whether the rows should be appended now.
    pub fn is_full(&self) -> bool {
        self.rows.len() >= BUFFER_ROWS || self.bytes >= BUFFER_BYTES
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn clear(&mut self) {
        self.rows.clear();
        self.bytes = 0;
    }
}

#[derive(Debug)]
pub(crate) struct WarehouseTable {
    pub schema: String,
    pub name: String,
    pub columns: Vec<ColumnState>,
    pub keyed: bool,
    /// Whether the target table exists in the warehouse.
    pub created: bool,
    /// Source column name → column index.
    source_columns: HashMap<String, usize>,
    /// Source names that share a destination name with another, already warned about.
    pub shared_names: Vec<(String, String)>,
    /// Whether two declared columns of one source table land in one column here: their cells
    /// are then placed by name, so that the rule of `named_cells` picks the value.
    declared_collide: bool,
    /// The source tables written to this table in this run (`schema.table` or `table`).
    pub source_tables: Vec<String>,
    /// Rows staged in Rust, not yet appended to the staging table.
    pub buffer: Buffer,
    /// Number of rows in the staging table for this window.
    pub staged: usize,
    /// Number of rows appended straight to the target in this window (see `Warehouse::flush`).
    pub appended: usize,
    /// The target's largest key when known (`Some(None)`: the target is empty), for a table
    /// whose key is one integer column; `None` when it must be read again.
    pub largest_key: Option<Option<i64>>,
    /// The staging table's value columns, in its order: (column index, type).
    pub stage_columns: Vec<(usize, DataType)>,
    /// Truncates in this window: (sequence number, stamp in microseconds).
    pub truncates: Vec<(i64, i64)>,
    /// Kinds of operations in this window.
    pub kinds: [bool; 3],
    /// Whether this window's upserts came with strictly ascending integer keys.
    pub ascending: Ascending,
}

/// Tracks, in constant memory, whether a window's upserts carry one integer key that only grows
/// (rows read in key order, the usual incremental sync). Such keys are unique in the window, and
/// when the first is above the target's largest key, none is in the target yet: the window can be
/// appended as it is, with no merge.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Ascending {
    first: Option<i64>,
    last: Option<i64>,
    broken: bool,
}

impl Ascending {
    fn see(&mut self, key: Option<i64>) {
        match (key, self.last) {
            (Some(key), Some(last)) if key > last => self.last = Some(key),
            (Some(key), None) if !self.broken => {
                self.first = Some(key);
                self.last = Some(key);
            }
            _ => self.broken = true,
        }
    }

    /// The window's first key, when every key so far was an integer above the one before.
    pub fn first(&self) -> Option<i64> {
        self.first.filter(|_| !self.broken)
    }

    /// The window's last (and largest) key, when every key so far ascended.
    pub fn last(&self) -> Option<i64> {
        self.last.filter(|_| !self.broken)
    }
}

impl WarehouseTable {
    pub fn new(schema: String, name: String, keyed: bool) -> WarehouseTable {
        let columns = if keyed {
            Vec::new()
        } else {
            vec![ColumnState {
                name: ID.to_string(),
                data_type: Some(DataType::String),
                declared: true,
                primary_key: true,
                target_type: None,
            }]
        };
        WarehouseTable {
            schema,
            name,
            columns,
            keyed,
            created: false,
            source_columns: HashMap::new(),
            shared_names: Vec::new(),
            declared_collide: false,
            source_tables: Vec::new(),
            buffer: Buffer::default(),
            staged: 0,
            appended: 0,
            largest_key: None,
            stage_columns: Vec::new(),
            truncates: Vec::new(),
            kinds: [false; 3],
            ascending: Ascending::default(),
        }
    }

    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// Adds the columns a connector declares (type, key), keeping those an earlier run created.
    /// Returns, for each column of `declared`, the index of the column it lands in.
    pub fn declare(
        &mut self,
        declared: &TableSchema,
        naming: Naming,
    ) -> anyhow::Result<Vec<usize>> {
        let mut positions = Vec::with_capacity(declared.columns.len());
        for column in declared.columns.iter() {
            let index = self.column_for_source(&column.name, naming)?;
            let state = &mut self.columns[index];
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

    /// The column a source name lands in, added (untyped) if new.
    fn column_for_source(&mut self, source: &str, naming: Naming) -> anyhow::Result<usize> {
        if let Some(&index) = self.source_columns.get(source) {
            return Ok(index);
        }
        let name = naming.column(source);
        if name.starts_with("_fivetran_") || name == DELETED || name == SYNCED {
            bail!(
                "column `{source}` of table `{}` takes the name of the system column `{name}`",
                self.qualified_name()
            );
        }
        if name.is_empty() {
            bail!(
                "table `{}` has a column with an empty name",
                self.qualified_name()
            );
        }
        let index = match self.columns.iter().position(|c| c.name == name) {
            Some(index) => {
                if let Some((other, _)) = self.source_columns.iter().find(|(_, i)| **i == index) {
                    self.shared_names.push((other.clone(), source.to_string()));
                }
                index
            }
            None => {
                self.columns.push(ColumnState {
                    name,
                    data_type: None,
                    declared: false,
                    primary_key: false,
                    target_type: None,
                });
                self.columns.len() - 1
            }
        };
        self.source_columns.insert(source.to_string(), index);
        Ok(index)
    }

    /// Turns a record into a staged row: values in column order, converted to their column's
    /// type; new columns added and inferred ones widened as the values require. `positions` maps
    /// the record's schema columns to this table's columns.
    pub fn stage(
        &mut self,
        record: Record,
        positions: &[usize],
        seq: i64,
        synced_micros: i64,
        naming: Naming,
    ) -> anyhow::Result<Option<StagedRow>> {
        let kind = record.kind;
        // A whole row whose columns are the table's, in order (the usual `#[table]` upsert):
        // its values are the row's, fitted in place.
        let identity = positions.len() == self.columns.len()
            && positions.iter().enumerate().all(|(i, p)| i == *p);
        if let (Cells::All(_), true, false) = (&record.cells, identity, kind == RecordKind::Update)
        {
            let Cells::All(mut values) = record.cells else {
                unreachable!("matched above")
            };
            for (index, value) in values.iter_mut().enumerate() {
                *value = self.fit(index, std::mem::replace(value, Value::Null))?;
            }
            return self.finish_row(kind, seq, synced_micros, None, values);
        }
        let cells: Vec<(usize, Value)> = match record.cells {
            Cells::None => {
                self.truncates.push((seq, synced_micros));
                return Ok(None);
            }
            Cells::All(values) => positions.iter().copied().zip(values).collect(),
            Cells::Indexed(values) if self.declared_collide => {
                let named = record::by_name(&record.table, values).collect();
                self.named_cells(named, naming)?
            }
            Cells::Indexed(values) => values
                .into_iter()
                .map(|(i, v)| (positions[usize::from(i)], v))
                .collect(),
            Cells::Named(values) => self.named_cells(values, naming)?,
        };
        let mut values = vec![Value::Null; self.columns.len()];
        let mut present = (kind == RecordKind::Update).then(|| vec![b'0'; self.columns.len()]);
        for (index, value) in cells {
            values[index] = self.fit(index, value)?;
            if let Some(present) = &mut present {
                present[index] = b'1';
            }
        }
        let present = present.map(|p| String::from_utf8(p).expect("ASCII"));
        self.finish_row(kind, seq, synced_micros, present, values)
    }

    /// Checks the key of a row placed in the table's column order and records its kind.
    fn finish_row(
        &mut self,
        kind: RecordKind,
        seq: i64,
        synced_micros: i64,
        present: Option<String>,
        mut values: Vec<Value>,
    ) -> anyhow::Result<Option<StagedRow>> {
        self.check_key(kind, &mut values)?;
        if kind == RecordKind::Upsert {
            self.ascending.see(self.single_integer_key(&values));
        }
        self.kinds[match kind {
            RecordKind::Upsert => 0,
            RecordKind::Update => 1,
            _ => 2,
        }] = true;
        Ok(Some(StagedRow {
            seq,
            kind,
            synced_micros,
            present,
            values,
        }))
    }

    /// Places cells named by source name. New columns are added in name order within the row
    /// that first carries them; when two source names of one row land in one column, the name
    /// that sorts first (by code point) wins.
    fn named_cells(
        &mut self,
        mut named: Vec<(String, Value)>,
        naming: Naming,
    ) -> anyhow::Result<Vec<(usize, Value)>> {
        if named
            .iter()
            .any(|(source, _)| !self.source_columns.contains_key(source))
        {
            named.sort_by_cached_key(|(source, _)| naming.column(source));
        }
        let mut slots: Vec<Option<(String, Value)>> = Vec::new();
        for (source, value) in named {
            let index = self.column_for_source(&source, naming)?;
            if slots.len() <= index {
                slots.resize_with(index + 1, || None);
            }
            match &slots[index] {
                Some((kept, _)) if *kept <= source => {}
                _ => slots[index] = Some((source, value)),
            }
        }
        Ok(slots
            .into_iter()
            .enumerate()
            .filter_map(|(i, slot)| slot.map(|(_, v)| (i, v)))
            .collect())
    }

    /// Converts a value to its column's type; types an untyped column; widens an inferred one.
    fn fit(&mut self, index: usize, value: Value) -> anyhow::Result<Value> {
        let column = &mut self.columns[index];
        let Some(value_type) = value.data_type() else {
            return Ok(Value::Null);
        };
        match (column.declared, column.data_type) {
            (true, Some(declared)) => value.coerce_to(declared).map_err(|why| {
                anyhow!(
                    "table `{}.{}`, column `{}`: {why}",
                    self.schema,
                    self.name,
                    self.columns[index].name
                )
            }),
            (_, None) => {
                column.data_type = Some(value_type);
                Ok(value)
            }
            (false, Some(current)) => {
                let widened = current.widen(value_type);
                column.data_type = Some(widened);
                Ok(value.widen_to(widened))
            }
        }
    }

    /// The key of a row when the table's key is one integer column.
    fn single_integer_key(&self, values: &[Value]) -> Option<i64> {
        let mut keys = self
            .columns
            .iter()
            .zip(values)
            .filter(|(c, _)| c.primary_key);
        let (_, value) = keys.next()?;
        if !self.keyed || keys.next().is_some() {
            return None;
        }
        match value {
            Value::Short(n) => Some(i64::from(*n)),
            Value::Int(n) => Some(i64::from(*n)),
            Value::Long(n) => Some(*n),
            _ => None,
        }
    }

    /// A keyed table needs every key column; a table without a key gets `_fivetran_id`.
    fn check_key(&self, kind: RecordKind, values: &mut [Value]) -> anyhow::Result<()> {
        if !self.keyed {
            if kind != RecordKind::Upsert {
                bail!(
                    "table `{}` has no primary key, so its rows cannot be updated or deleted",
                    self.qualified_name()
                );
            }
            let cells: Vec<(String, Value)> = self
                .columns
                .iter()
                .zip(values.iter())
                .skip(1)
                .map(|(c, v)| (c.name.clone(), v.clone()))
                .collect();
            values[0] = Value::String(row_id(&cells));
            return Ok(());
        }
        for (column, value) in self.columns.iter().zip(values.iter()) {
            if column.primary_key && value.is_null() {
                bail!(
                    "the primary key column `{}` of table `{}` is NULL or missing",
                    column.name,
                    self.qualified_name()
                );
            }
        }
        Ok(())
    }
}
