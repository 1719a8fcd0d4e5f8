//! The [`Sink`] of `debug`: records go into the [`Warehouse`] as they arrive, each checkpoint
//! commits the window and then rewrites the state file, and the progress line's counts are kept
//! up to date.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Files, Progress, Warehouse};
use crate::destination::system::Clock;
use crate::record::{Record, RecordKind};
use crate::schema::{TableId, TableRef};
use crate::sink::Sink;

/// Rows between two updates of the progress line's counts.
const PROGRESS_EVERY: i64 = 1024;

/// The [`Sink`] of `debug`: stages records into the warehouse and commits at each checkpoint.
pub struct WarehouseSink {
    warehouse: Warehouse,
    files: Files,
    /// Source table → (table index, positions of its columns).
    table_cache: HashMap<TableId, (usize, Arc<[usize]>)>,
    seq: i64,
    /// Stamps `_fivetran_synced` as records arrive.
    clock: Clock,
    committed_state: String,
    /// Whether the last committed checkpoint's state may be missing from the state file (its
    /// rewrite failed or did not happen).
    state_file_behind: bool,
    /// Schema changes made by committed windows.
    pub schema_changes: u64,
    progress: Progress,
    /// Rows written per table index since the progress counts were last published.
    uncounted: Vec<u64>,
}

impl std::fmt::Debug for WarehouseSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WarehouseSink")
            .field("warehouse", &self.warehouse)
            .finish_non_exhaustive()
    }
}

impl WarehouseSink {
    /// A sink into `warehouse` that writes checkpointed states to `files`, starting from
    /// `start_state` (the state this sync begins with).
    pub fn new(warehouse: Warehouse, files: Files, start_state: &str) -> WarehouseSink {
        WarehouseSink {
            warehouse,
            files,
            table_cache: HashMap::new(),
            seq: 0,
            clock: Clock::default(),
            committed_state: start_state.to_string(),
            state_file_behind: false,
            schema_changes: 0,
            progress: Progress::default(),
            uncounted: Vec::new(),
        }
    }

    /// Rows written per table, updated as rows are staged.
    pub fn progress(&self) -> Progress {
        self.progress.clone()
    }

    pub fn into_warehouse(self) -> Warehouse {
        self.warehouse
    }

    /// Source names that landed in one destination name: `(table, first, second)`.
    pub fn shared_names(&self) -> Vec<(String, String, String)> {
        self.warehouse
            .tables
            .iter()
            .flat_map(|t| {
                t.columns
                    .shared_names()
                    .iter()
                    .map(|(a, b)| (t.qualified_name(), a.clone(), b.clone()))
            })
            .collect()
    }

    /// Destination tables that several source tables were written to: `(table, sources)`.
    /// Their rows land in one table (the names collide under Fivetran naming).
    pub fn shared_tables(&self) -> Vec<(String, Vec<String>)> {
        self.warehouse
            .tables
            .iter()
            .filter(|t| t.source_tables.len() > 1)
            .map(|t| (t.qualified_name(), t.source_tables.clone()))
            .collect()
    }

    /// Adds the rows written since the last call to the shared counts of the progress line.
    fn publish_progress(&mut self) {
        let mut progress = self.progress.lock().expect("progress lock");
        for (index, rows) in self.uncounted.iter_mut().enumerate() {
            if *rows > 0 {
                let name = self.warehouse.tables[index].qualified_name();
                *progress.entry(name).or_default() += std::mem::take(rows);
            }
        }
    }

    /// A sync that fails after its last checkpoint records that the state file holds that
    /// checkpoint's state (unless the rewrite failed), so that a user who deletes the file to
    /// start over is not brought back to it. A commit of its own; it may fail as the sync did.
    fn record_state_file(&mut self) {
        if !self.state_file_behind {
            let _ = self.warehouse.record_state_file_written();
        }
    }

    fn table_for(&mut self, table: &TableRef) -> anyhow::Result<(usize, Arc<[usize]>)> {
        let id = table.id();
        if let Some((index, positions)) = self.table_cache.get(&id) {
            return Ok((*index, positions.clone()));
        }
        let (index, positions) = self.warehouse.table_index(table)?;
        let positions: Arc<[usize]> = positions.into();
        self.table_cache.insert(id, (index, positions.clone()));
        Ok((index, positions))
    }
}

impl Sink for WarehouseSink {
    fn begin(&mut self, tables: &[TableRef]) -> anyhow::Result<()> {
        for table in tables {
            let (index, _) = self.table_for(table)?;
            self.warehouse.tables[index].known = true;
        }
        Ok(())
    }

    fn write(&mut self, record: Record) -> anyhow::Result<()> {
        let (index, positions) = self.table_for(&record.table)?;
        self.seq += 1;
        let stamp = self.clock.stamp();
        let naming = self.warehouse.naming;
        let table = &mut self.warehouse.tables[index];
        if record.kind == RecordKind::Upsert {
            table.known = true;
        } else if !table.known {
            // An update, delete or truncate of a table that does not exist: ignored.
            return Ok(());
        }
        if let Some(row) = table.stage(record, &positions, self.seq, stamp, naming)? {
            table.buffer.push(row);
            if table.buffer.is_full() {
                self.warehouse.flush(index)?;
            }
        }
        if self.uncounted.len() <= index {
            self.uncounted.resize(index + 1, 0);
        }
        self.uncounted[index] += 1;
        if self.seq % PROGRESS_EVERY == 0 {
            self.publish_progress();
        }
        Ok(())
    }

    fn warning(&mut self, message: &str) -> anyhow::Result<()> {
        tracing::warn!(target: "connector", "{message}");
        Ok(())
    }

    fn task(&mut self, message: &str) -> anyhow::Result<()> {
        tracing::error!(target: "connector", "task for the user: {message}");
        Ok(())
    }

    fn checkpoint(&mut self, state_json: &str) -> anyhow::Result<()> {
        let previous = std::mem::take(&mut self.committed_state);
        let committed = self.warehouse.commit(Some((&previous, state_json)));
        self.committed_state = if committed.is_ok() {
            state_json.to_string()
        } else {
            previous
        };
        self.schema_changes += committed?;
        crate::crash::point("committed");
        self.state_file_behind = true;
        self.files.write_state(state_json)?;
        // That the file holds this state is recorded with the next commit (see `apply`), or
        // when the sync ends without one (`record_state_file`).
        self.state_file_behind = false;
        Ok(())
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        match self.warehouse.commit(None) {
            Ok(changes) => {
                self.schema_changes += changes;
                Ok(())
            }
            Err(error) => {
                self.record_state_file();
                Err(error)
            }
        }
    }

    fn abort(&mut self) {
        // Staging is temporary; what was committed stays as it is.
        let _ = self.warehouse.end_window(false);
        self.record_state_file();
    }
}
