//! The local warehouse: a DuckDB file laid out as Fivetran's local testing lays it out (schema
//! `tester`, Fivetran naming, system columns, Fivetran types as DuckDB types), and the sink that
//! `debug` writes into it (`sink`). The contract is docs/warehouse.md; what lands where (names,
//! columns, types, keys, the row id) is decided by `crate::destination`, as for the memory
//! destination of tests, and this module stores the result in DuckDB.
//!
//! Rows are staged as they arrive (buffered briefly, then appended to a temporary staging table
//! per target table), so memory does not grow with the rows between checkpoints. At each
//! checkpoint one transaction applies every staged window (see `merge`), records the state in
//! the warehouse itself, and commits; then `state.json` is rewritten. A failure rolls back to the
//! last checkpoint.
//!
//! The usual incremental sync, upserts of a declared table in ascending key order, skips
//! staging: its rows are appended straight to the target inside the window's transaction, which
//! the checkpoint commits (see `Warehouse::appends_to_target`).

mod batch;
mod files;
mod merge;
mod sink;
mod sql;
mod table;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, anyhow, bail};
use duckdb::Connection;

use crate::crash;
use crate::destination::Columns;
use crate::destination::columns::{self, warehouse_schema};
use crate::destination::dump::{self, DumpedTable};
use crate::destination::system::{DELETED, SYNCED};
use crate::naming::Naming;
use crate::schema::{DataType, TableSchema};
use crate::value::Value;

use batch::Slot;
pub use files::Files;
pub use sink::WarehouseSink;
use sql::{duckdb_type, qualified, quote};
use table::WarehouseTable;

pub use crate::destination::columns::SCHEMA;
/// Where the warehouse keeps its own bookkeeping (the last committed state).
const BOOKKEEPING: &str = "__connector";
/// DuckDB's memory budget: past it, staged windows and merges spill to `<warehouse>.tmp/`, so
/// the local run's memory stays flat however many rows a checkpoint covers. The environment
/// variable `CONNECTOR_DUCKDB_MEMORY_LIMIT` (DuckDB's syntax, e.g. `1GB`) overrides it.
const MEMORY_LIMIT: &str = "64MB";

/// DuckDB's threads: one core fewer than the machine has (at least one), since the connector's
/// own sync keeps a core busy producing the rows. On two cores a second DuckDB thread only
/// competed with it: one thread was faster in every `connector-bench local` scenario (about 10%
/// with a checkpoint every 10,000 rows) and peaked lower.
fn duckdb_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .saturating_sub(1)
        .max(1)
}

fn memory_limit() -> String {
    std::env::var("CONNECTOR_DUCKDB_MEMORY_LIMIT")
        .ok()
        .filter(|v| {
            !v.is_empty()
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == ' ')
        })
        .unwrap_or_else(|| MEMORY_LIMIT.to_string())
}

/// A table an earlier run created: schema, name, and its columns (system columns left out).
type ExistingTable = (String, String, Vec<(String, Option<DataType>)>);

/// Rows written per destination table so far, for the progress line.
pub type Progress = Arc<Mutex<BTreeMap<String, u64>>>;

/// An open warehouse file and what it knows of its tables.
pub struct Warehouse {
    connection: Connection,
    path: PathBuf,
    naming: Naming,
    tables: Vec<WarehouseTable>,
    /// Whether the window's transaction is open (rows were appended straight to a target).
    in_transaction: bool,
    /// Schema changes made in the open window before its checkpoint.
    window_changes: u64,
}

impl std::fmt::Debug for Warehouse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Warehouse")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Warehouse {
    /// Opens (or creates) the warehouse file. A file held by another process is refused at
    /// once with the name of the file to close.
    pub fn open(path: &Path, naming: Naming) -> anyhow::Result<Warehouse> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        // Checked here because DuckDB, run as root, would write to the file anyway, and
        // otherwise fails with a less plain message.
        if std::fs::metadata(path).is_ok_and(|m| m.permissions().readonly()) {
            bail!(
                "the warehouse {} is read-only; make it writable (chmod u+w) or run with \
                 another --files folder",
                path.display()
            );
        }
        let connection = Connection::open(path).map_err(|e| {
            let text = e.to_string();
            if text.contains("lock") {
                anyhow!(
                    "the warehouse {} is in use by another process; close it (a duckdb shell, another run) \
                     and try again ({text})",
                    path.display()
                )
            } else {
                anyhow!("cannot open the warehouse {}: {text}", path.display())
            }
        })?;
        // Rows are read back sorted (the dump, the user's queries), so insertion order need not
        // be kept, which lets DuckDB stream inserts within the memory limit.
        let limit = memory_limit();
        let threads = duckdb_threads();
        connection.execute_batch(&format!(
            "SET memory_limit = '{limit}'; SET preserve_insertion_order = false; \
             SET threads = {threads}; \
             CREATE SCHEMA IF NOT EXISTS {SCHEMA}; \
             CREATE SCHEMA IF NOT EXISTS {BOOKKEEPING}; \
             CREATE TABLE IF NOT EXISTS {BOOKKEEPING}.checkpoint \
             (previous VARCHAR, current VARCHAR, state_file_written BOOLEAN);"
        ))?;
        let mut warehouse = Warehouse {
            connection,
            path: path.to_path_buf(),
            naming,
            tables: Vec::new(),
            in_transaction: false,
            window_changes: 0,
        };
        warehouse.load_tables()?;
        Ok(warehouse)
    }

    /// The connection, for reading the warehouse (tests, the benchmark).
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// The last committed state and the one before it, when the run that committed it was
    /// stopped before it rewrote the state file (the record says whether it did).
    pub fn unwritten_state(&self) -> anyhow::Result<Option<(String, String)>> {
        let mut statement = self.connection.prepare(&format!(
            "SELECT previous, current FROM {BOOKKEEPING}.checkpoint WHERE NOT state_file_written"
        ))?;
        let mut rows = statement.query([])?;
        Ok(match rows.next()? {
            Some(row) => Some((row.get(0)?, row.get(1)?)),
            None => None,
        })
    }

    /// Records that the state file holds the last committed state: with the sync's final commit
    /// (see `apply`), or alone for a sync that failed after its last checkpoint.
    fn record_state_file_written(&self) -> anyhow::Result<()> {
        self.connection.execute(
            &format!("UPDATE {BOOKKEEPING}.checkpoint SET state_file_written = true"),
            [],
        )?;
        Ok(())
    }

    /// The canonical text of the local run's tables, for comparing warehouses (see
    /// `destination::dump`): each table with its columns and types in order, then its rows as
    /// text, sorted, with `_fivetran_synced` replaced by its rank in the table (`#1` is the
    /// earliest). The memory destination of tests prints the same text for the same syncs.
    pub fn dump(&self) -> anyhow::Result<String> {
        let mut statement = self.connection.prepare(&format!(
            "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns \
             WHERE table_schema = '{SCHEMA}' OR starts_with(table_schema, '{SCHEMA}_') \
             ORDER BY table_schema, table_name, ordinal_position"
        ))?;
        let mut tables: Vec<DumpedTable> = Vec::new();
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let (schema, name, column, data_type): (String, String, String, String) =
                (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
            match tables.last_mut() {
                Some(table) if table.schema == schema && table.name == name => {
                    table.columns.push((column, data_type));
                }
                _ => tables.push(DumpedTable {
                    schema,
                    name,
                    columns: vec![(column, data_type)],
                    rows: Vec::new(),
                }),
            }
        }
        drop(rows);
        for table in &mut tables {
            let select: Vec<String> = table
                .columns
                .iter()
                .map(|(column, _)| {
                    if column == SYNCED {
                        format!("'#' || dense_rank() OVER (ORDER BY {})", quote(column))
                    } else {
                        format!("coalesce(CAST({} AS VARCHAR), 'NULL')", quote(column))
                    }
                })
                .collect();
            let mut statement = self.connection.prepare(&format!(
                "SELECT {} FROM {}",
                select.join(", "),
                qualified(&table.schema, &table.name)
            ))?;
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                let cells: Vec<String> = (0..table.columns.len())
                    .map(|i| row.get(i))
                    .collect::<Result<_, _>>()?;
                table.rows.push(cells);
            }
        }
        Ok(dump::render(tables))
    }

    /// Reads the tables an earlier run created, so this run can add columns and widen types.
    fn load_tables(&mut self) -> anyhow::Result<()> {
        let mut statement = self.connection.prepare(&format!(
            "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns \
             WHERE table_schema = '{SCHEMA}' OR starts_with(table_schema, '{SCHEMA}_') \
             ORDER BY table_schema, table_name, ordinal_position"
        ))?;
        let mut rows = statement.query([])?;
        let mut tables: Vec<ExistingTable> = Vec::new();
        while let Some(row) = rows.next()? {
            let (schema, name, column, type_text): (String, String, String, String) =
                (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
            if column == DELETED || column == SYNCED {
                continue;
            }
            let column = (column, sql::fivetran_type(&type_text));
            match tables.last_mut() {
                Some((s, n, columns)) if *s == schema && *n == name => columns.push(column),
                _ => tables.push((schema, name, vec![column])),
            }
        }
        drop(rows);
        for (schema, name, columns) in tables {
            let qualified = format!("{schema}.{name}");
            let mut table =
                WarehouseTable::new(schema, name, Columns::existing(qualified, columns));
            table.created = true;
            table.known = true;
            self.tables.push(table);
        }
        Ok(())
    }

    /// The table a record goes to, registered (with its declared columns) on first sight, and
    /// the positions of the schema's columns in it.
    fn table_index(&mut self, schema: &TableSchema) -> anyhow::Result<(usize, Vec<usize>)> {
        let schema_name = schema.schema.as_deref().map(|s| self.naming.schema(s));
        let destination_schema = warehouse_schema(schema_name.as_deref());
        let name = columns::table_name(self.naming, &schema.name)?;
        let index = match self
            .tables
            .iter()
            .position(|t| t.schema == destination_schema && t.name == name)
        {
            Some(index) => index,
            None => {
                let qualified = format!("{destination_schema}.{name}");
                let existing: Vec<String> = self
                    .tables
                    .iter()
                    .map(|t| format!("{}.{}", t.schema, t.name))
                    .collect();
                columns::check_new_table(existing.iter().map(String::as_str), &qualified)?;
                let columns = Columns::new(qualified, schema.has_primary_key());
                self.tables
                    .push(WarehouseTable::new(destination_schema, name, columns));
                self.tables.len() - 1
            }
        };
        let source = schema.qualified_name();
        let table = &mut self.tables[index];
        if !table.source_tables.contains(&source) {
            table.source_tables.push(source);
        }
        let positions = table.declare(schema, self.naming)?;
        Ok((index, positions))
    }

    /// Appends a table's buffered rows to its target (when they may skip staging) or to its
    /// staging table, creating or altering that table to match the columns first.
    fn flush(&mut self, index: usize) -> anyhow::Result<()> {
        if self.tables[index].buffer.is_empty() {
            return Ok(());
        }
        if self.appends_to_target(index)? {
            return self.append_to_target(index);
        }
        let stage = merge::stage_name(index);
        let table = &mut self.tables[index];
        let typed: Vec<(usize, DataType)> = table
            .columns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.data_type.map(|t| (i, t)))
            .collect();
        if table.stage_columns.is_empty() {
            let columns: Vec<String> = typed
                .iter()
                .map(|(i, t)| format!("{} {}", quote(&table.columns[*i].name), stage_type(*t)))
                .collect();
            self.connection.execute_batch(&format!(
                "CREATE OR REPLACE TEMP TABLE {} (_seq BIGINT, _op UTINYINT, _synced TIMESTAMPTZ, _present VARCHAR{})",
                quote(&stage),
                columns.iter().map(|c| format!(", {c}")).collect::<String>()
            ))?;
            table.stage_columns = typed.clone();
        } else {
            for &(i, data_type) in &typed {
                let column = quote(&table.columns[i].name);
                match table.stage_columns.iter_mut().find(|(j, _)| *j == i) {
                    None => {
                        self.connection.execute_batch(&format!(
                            "ALTER TABLE temp.main.{} ADD COLUMN {column} {}",
                            quote(&stage),
                            stage_type(data_type)
                        ))?;
                        table.stage_columns.push((i, data_type));
                    }
                    Some((_, staged_type)) if *staged_type != data_type => {
                        self.connection.execute_batch(&format!(
                            "ALTER TABLE temp.main.{} ALTER COLUMN {column} TYPE {}{}",
                            quote(&stage),
                            stage_type(data_type),
                            using(&column, *staged_type, data_type)
                        ))?;
                        *staged_type = data_type;
                    }
                    Some(_) => {}
                }
            }
        }
        for row in &mut table.buffer.rows {
            for &(i, data_type) in &table.stage_columns {
                if let Some(value) = row.values.get_mut(i)
                    && !table.columns[i].declared
                    && value.data_type().is_some_and(|t| t != data_type)
                {
                    *value = std::mem::replace(value, Value::Null).widen_to(data_type);
                }
            }
        }
        let layout = batch::staging_layout(&table.stage_columns);
        let batch = batch::record_batch(&mut table.buffer.rows, &layout)?;
        table.staged += table.buffer.rows.len();
        table.buffer.clear();
        let mut appender = self
            .connection
            .appender_to_catalog_and_db(&stage, "temp", "main")?;
        appender.append_record_batch(batch)?;
        appender.flush()?;
        crash::point("stage");
        Ok(())
    }

    /// Whether table `index`'s buffered rows may skip staging and go straight to the target,
    /// inside the window's transaction, because appending them is what the merge would do: so
    /// far in this window only upserts, none staged and no truncate; every column declared (so
    /// its type cannot change) with its type in the target already (or a new column), none
    /// JSON; one integer key, ascending through the window from above the target's largest.
    /// When they may, the transaction is opened and the target created or given its new
    /// columns.
    fn appends_to_target(&mut self, index: usize) -> anyhow::Result<bool> {
        let table = &self.tables[index];
        let eligible = table.columns.keyed()
            && table.staged == 0
            && table.truncates.is_empty()
            && table.kinds == [true, false, false]
            && table.columns.iter().all(|c| {
                c.declared
                    && c.data_type.is_some_and(|t| t != DataType::Json)
                    && (c.target_type.is_none() || c.target_type == c.data_type)
            });
        let Some(first) = table.ascending.first().filter(|_| eligible) else {
            return Ok(false);
        };
        // A target without the key column yet (a new table, or a key new to it) holds no keys.
        let key_in_target = table.created
            && table
                .columns
                .iter()
                .filter(|c| c.primary_key)
                .all(|c| c.target_type.is_some());
        let largest = match table.largest_key {
            Some(largest) => largest,
            None if !key_in_target => None,
            None => self.read_largest_key(index)?,
        };
        self.tables[index].largest_key = Some(largest);
        if largest.is_some_and(|largest| first <= largest) {
            return Ok(false);
        }
        self.begin()?;
        self.window_changes += self.evolve(index)?;
        Ok(true)
    }

    /// Appends a table's buffered rows (upserts) to its target, as rows of the target.
    fn append_to_target(&mut self, index: usize) -> anyhow::Result<()> {
        let table = &mut self.tables[index];
        let mut layout: Vec<Slot> = Vec::with_capacity(table.columns.len() + 2);
        let mut names: Vec<&str> = Vec::with_capacity(table.columns.len() + 2);
        for (i, column) in table.columns.iter().enumerate() {
            let data_type = column.data_type.expect("a declared column has a type");
            layout.push(Slot::Value(i, data_type));
            names.push(&column.name);
        }
        layout.extend([Slot::NotDeleted, Slot::Synced]);
        names.extend([DELETED, SYNCED]);
        let batch = batch::record_batch(&mut table.buffer.rows, &layout)?;
        table.appended += table.buffer.rows.len();
        table.buffer.clear();
        let mut appender =
            self.connection
                .appender_with_columns_to_db(&table.name, &table.schema, &names)?;
        appender.append_record_batch(batch)?;
        appender.flush()?;
        crash::point("append");
        Ok(())
    }

    /// The largest key in table `index`'s target (its key is one integer column).
    fn read_largest_key(&self, index: usize) -> anyhow::Result<Option<i64>> {
        let table = &self.tables[index];
        let key = table
            .columns
            .iter()
            .find(|c| c.primary_key)
            .ok_or_else(|| anyhow!("table `{}` has no key column", table.qualified_name()))?;
        Ok(self.connection.query_row(
            &format!(
                "SELECT max({}) FROM {}",
                quote(&key.name),
                qualified(&table.schema, &table.name)
            ),
            [],
            |row| row.get::<_, Option<i64>>(0),
        )?)
    }

    /// Opens the window's transaction, unless it is open.
    fn begin(&mut self) -> anyhow::Result<()> {
        if !self.in_transaction {
            self.connection.execute_batch("BEGIN TRANSACTION")?;
            self.in_transaction = true;
        }
        Ok(())
    }

    /// Applies every staged window in the window's transaction with the checkpoint recorded
    /// (see `apply`), and commits. Returns the schema changes the window made.
    fn commit(&mut self, state: Option<(&str, &str)>) -> anyhow::Result<u64> {
        let applied = (0..self.tables.len())
            .try_for_each(|index| self.flush(index))
            .and_then(|()| self.begin())
            .and_then(|()| self.apply(state));
        match applied {
            Ok(changes) => {
                self.in_transaction = false;
                crash::point("commit");
                if let Err(error) = self.connection.execute_batch("COMMIT") {
                    // Whatever DuckDB left of the transaction is not kept.
                    let _ = self.connection.execute_batch("ROLLBACK");
                    return Err(error.into());
                }
                let changes = changes + std::mem::take(&mut self.window_changes);
                self.end_window(true)?;
                Ok(changes)
            }
            Err(error) => {
                // The transaction is what keeps the warehouse at the last checkpoint.
                if self.in_transaction {
                    self.in_transaction = false;
                    let _ = self.connection.execute_batch("ROLLBACK");
                }
                Err(error)
            }
        }
    }

    /// The statements of a commit. `state` is the checkpoint's (previous, current) state,
    /// recorded as not yet in the state file; `None` is the sync's end, when the state file
    /// holds the last checkpoint's state (the sink rewrote it after that checkpoint), which is
    /// recorded with the tail. Recording each rewrite with the next commit instead of in its own
    /// spares a durable commit per checkpoint.
    fn apply(&mut self, state: Option<(&str, &str)>) -> anyhow::Result<u64> {
        let mut changes = 0;
        for index in 0..self.tables.len() {
            changes += self.evolve(index)?;
            let table = &self.tables[index];
            if !table.created {
                continue; // nothing typed to create it with yet
            }
            let stage = merge::stage_name(index);
            let statements = if self.keys_are_new(index)? {
                vec![merge::append(table, &stage)]
            } else {
                merge::statements(table, &stage)
            };
            for statement in statements {
                self.connection.execute_batch(&statement).with_context(|| {
                    format!(
                        "applying the operations of table `{}`",
                        table.qualified_name()
                    )
                })?;
                crash::point("merge");
            }
        }
        match state {
            Some((previous, current)) => {
                self.connection
                    .execute(&format!("DELETE FROM {BOOKKEEPING}.checkpoint"), [])?;
                self.connection.execute(
                    &format!("INSERT INTO {BOOKKEEPING}.checkpoint VALUES (?, ?, false)"),
                    [previous, current],
                )?;
            }
            None => self.record_state_file_written()?,
        }
        Ok(changes)
    }

    /// Creates the target table, adds its new columns and widens changed ones.
    fn evolve(&mut self, index: usize) -> anyhow::Result<u64> {
        let table = &mut self.tables[index];
        let target = qualified(&table.schema, &table.name);
        let mut changes = 0;
        if !table.created {
            if !table.known {
                return Ok(0); // only updates, deletes or truncates of a table that is not there
            }
            let columns: Vec<String> = table
                .columns
                .iter()
                .filter_map(|c| {
                    c.data_type
                        .map(|t| format!("{} {}", quote(&c.name), duckdb_type(t)))
                })
                .collect();
            if columns.is_empty() {
                return Ok(0);
            }
            self.connection.execute_batch(&format!(
                "CREATE SCHEMA IF NOT EXISTS {schema}; CREATE TABLE {target} ({columns}{comma}\
                 \"_fivetran_deleted\" BOOLEAN, \"_fivetran_synced\" TIMESTAMP WITH TIME ZONE)",
                schema = quote(&table.schema),
                comma = if columns.is_empty() { "" } else { ", " },
                columns = columns.join(", ")
            ))?;
            table.created = true;
            table
                .columns
                .iter_mut()
                .for_each(|c| c.target_type = c.data_type);
            return Ok(1);
        }
        for column in table.columns.iter_mut() {
            match (column.target_type, column.data_type) {
                (None, Some(new)) => {
                    self.connection.execute_batch(&format!(
                        "ALTER TABLE {target} ADD COLUMN {} {}",
                        quote(&column.name),
                        duckdb_type(new)
                    ))?;
                }
                (Some(old), Some(new)) if old != new => {
                    let name = quote(&column.name);
                    self.connection.execute_batch(&format!(
                        "ALTER TABLE {target} ALTER COLUMN {name} TYPE {}{}",
                        duckdb_type(new),
                        using(&name, old, new)
                    ))?;
                }
                _ => continue,
            }
            crash::point("schema-change");
            column.target_type = column.data_type;
            changes += 1;
        }
        Ok(changes)
    }

    /// Whether table `index`'s staged window is only upserts with ascending integer keys, all
    /// above the largest key already in the target (so appending it is the same as merging it).
    fn keys_are_new(&self, index: usize) -> anyhow::Result<bool> {
        let table = &self.tables[index];
        let Some(first) = table.ascending.first() else {
            return Ok(false);
        };
        if table.kinds != [true, false, false] || !table.truncates.is_empty() || table.staged == 0 {
            return Ok(false);
        }
        // Rows appended straight to the target in this window are not in the known largest.
        let largest = match table.largest_key {
            Some(largest) if table.appended == 0 => largest,
            _ => self.read_largest_key(index)?,
        };
        Ok(largest.is_none_or(|largest| first > largest))
    }

    /// Forgets the window: staging tables dropped, buffers and truncates cleared, and the
    /// window's transaction rolled back if it is still open (the window failed).
    fn end_window(&mut self, committed: bool) -> anyhow::Result<()> {
        if self.in_transaction {
            self.in_transaction = false;
            self.connection.execute_batch("ROLLBACK")?;
        }
        self.window_changes = 0;
        for (index, table) in self.tables.iter_mut().enumerate() {
            // A window appended straight to the target ends at its last key; any other change
            // to the target leaves its largest key to be read again.
            let untouched = table.staged == 0 && table.truncates.is_empty();
            table.largest_key = match (committed && untouched, table.appended) {
                (true, 0) => table.largest_key,
                (true, _) => table.ascending.last().map(Some),
                (false, _) => None,
            };
            if !table.stage_columns.is_empty() {
                self.connection.execute_batch(&format!(
                    "DROP TABLE IF EXISTS temp.main.{}",
                    quote(&merge::stage_name(index))
                ))?;
            }
            table.stage_columns.clear();
            table.buffer.clear();
            table.staged = 0;
            table.appended = 0;
            table.truncates.clear();
            table.kinds = [false; 3];
            table.ascending = table::Ascending::default();
            if !committed && !table.created {
                table.columns.iter_mut().for_each(|c| c.target_type = None);
            }
        }
        Ok(())
    }
}

/// The `USING` clause of a type change: to text as Rust writes values (see `sql::text_of`),
/// otherwise DuckDB's own cast.
fn using(column: &str, from: DataType, to: DataType) -> String {
    match to {
        DataType::String => format!(" USING {}", sql::text_of(column, from)),
        _ => String::new(),
    }
}

/// A staging column's DuckDB type: the target's, but JSON staged as VARCHAR (the Arrow batch
/// carries text; the merge casts it).
fn stage_type(data_type: DataType) -> String {
    match data_type {
        DataType::Json => "VARCHAR".into(),
        other => duckdb_type(other),
    }
}
