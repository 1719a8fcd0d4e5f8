//! One destination table as the warehouse sees it during a run: its columns (kept by
//! `destination::Columns`, which owns how source names land in them and how values fit them),
//! whether the target table exists, and the rows staged for it since the last commit.

use crate::destination::{Columns, keys};
use crate::naming::Naming;
use crate::record::{Cells, Record, RecordKind};
use crate::schema::TableSchema;
use crate::value::Value;

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
    pub columns: Columns,
    /// Whether the target table exists in the warehouse.
    pub created: bool,
    /// Whether the table exists for this run: in the target, declared, or upserted. A table
    /// that is none of these ignores updates, deletes and truncates, and is not created.
    pub known: bool,
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
    pub stage_columns: Vec<(usize, crate::schema::DataType)>,
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
    /// A table of the target, or a new one, with `columns`.
    pub fn new(schema: String, name: String, columns: Columns) -> WarehouseTable {
        WarehouseTable {
            schema,
            name,
            columns,
            created: false,
            known: false,
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
        Ok(self.columns.declare(declared, naming)?)
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
        if matches!(record.cells, Cells::None) {
            self.truncates.push((seq, synced_micros));
            return Ok(None);
        }
        let cells = self
            .columns
            .place(&record.table, record.cells, positions, naming)?;
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
        keys::check_key(&self.columns, kind, &mut values)?;
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

    /// Converts a value to its column's type; types an untyped column; widens an inferred one.
    fn fit(&mut self, index: usize, value: Value) -> anyhow::Result<Value> {
        Ok(self.columns.fit(index, value)?)
    }

    /// The key of a row when the table's key is one integer column.
    fn single_integer_key(&self, values: &[Value]) -> Option<i64> {
        let mut keys = self
            .columns
            .iter()
            .zip(values)
            .filter(|(c, _)| c.primary_key);
        let (_, value) = keys.next()?;
        if !self.columns.keyed() || keys.next().is_some() {
            return None;
        }
        match value {
            Value::Short(n) => Some(i64::from(*n)),
            Value::Int(n) => Some(i64::from(*n)),
            Value::Long(n) => Some(*n),
            _ => None,
        }
    }
}
