//! Sinks: where a sync's operations go. The driver is the same for every mode; only the sink
//! differs (the in-memory destination of tests, the DuckDB warehouse of `debug`, the gRPC stream
//! of `serve`).
//!
//! A sink runs on a thread of its own and is called in emission order. It may stage records,
//! but when `checkpoint` returns, everything written before it must be durable together with the
//! state; `finish` makes the tail after the last checkpoint durable; `abort` drops it.

pub mod memory;

use crate::record::Record;
use crate::schema::TableRef;

pub use memory::{MemorySink, MemoryTable, MemoryWarehouse};

/// The destination side of a sync.
pub trait Sink: Send + 'static {
    /// Called once before anything else, with every declared table (typed and run-time). A
    /// sink that prepares nothing ignores it.
    fn begin(&mut self, tables: &[TableRef]) -> anyhow::Result<()> {
        let _ = tables;
        Ok(())
    }

    /// One upsert, update, delete or truncate.
    fn write(&mut self, record: Record) -> anyhow::Result<()>;

    /// A warning from the connector; the sync goes on. A sink that shows no messages ignores
    /// it.
    fn warning(&mut self, message: &str) -> anyhow::Result<()> {
        let _ = message;
        Ok(())
    }

    /// A task for the user (see `Operations::task`); the sync stops after it. Required: a sink
    /// that dropped it would stop the sync without telling the user why.
    fn task(&mut self, message: &str) -> anyhow::Result<()>;

    /// Makes everything written so far durable, with `state_json` as the state to resume from.
    fn checkpoint(&mut self, state_json: &str) -> anyhow::Result<()>;

    /// The sync succeeded: makes what was written after the last checkpoint durable.
    fn finish(&mut self) -> anyhow::Result<()>;

    /// The sync failed: drops what was written after the last checkpoint.
    fn abort(&mut self);
}
