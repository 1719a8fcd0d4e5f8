//! `Operations`: what a `#[sync]` function calls to emit rows, checkpoints and warnings.
//!
//! Every clone shares one outbox: records are batched there in the order they are emitted (an
//! async mutex is fair, so a record emitted after another, by any task, lands after it) and the
//! batches go down a bounded channel to the sink, so a fast source waits for a slow destination
//! instead of filling memory. A checkpoint is queued behind everything emitted before it and
//! returns once the sink has made all of it durable.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use anyhow::{Context as _, anyhow, bail};
use serde::Serialize;
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::record::{Cells, Record, RecordKind};
use crate::row::Row;
use crate::schema::{TableRef, TableSchema};
use crate::table::{Declared, Key, Patch};
use crate::value::Value;

/// Records per batch sent to the sink.
const BATCH_RECORDS: usize = 1024;
/// Batches in flight between the sync and the sink: with `BATCH_RECORDS`, the memory bound.
pub(crate) const CHANNEL_BATCHES: usize = 16;

/// What travels from the sync to the sink, in order.
#[derive(Debug)]
pub(crate) enum Message {
    Records(Vec<Record>),
    Warning(String),
    Checkpoint {
        state_json: String,
        done: oneshot::Sender<()>,
    },
    /// The sync returned `Ok`: make the tail durable and stop.
    Finish,
    /// The sync failed: drop everything after the last checkpoint and stop.
    Abort,
}

/// The handle a `#[sync]` function emits through. Cheap to clone; clones may be moved into
/// spawned tasks, and operations from all of them reach the destination in emission order.
///
/// ```ignore
/// ops.upsert(User { id: 1, name: "Ada".into() }).await?;
/// ops.update(User::patch(1).name("Ada Lovelace")).await?;
/// ops.delete(UserKey { id: 1 }).await?;
/// ops.checkpoint(&state).await?;
/// ```
#[derive(Clone)]
pub struct Operations {
    shared: Arc<Shared>,
}

struct Shared {
    outbox: Mutex<Outbox>,
    /// Run-time tables by source name: those the schema function declared, then those first
    /// seen in `upsert_row` (no declared columns, no key).
    runtime_tables: RwLock<HashMap<String, TableRef>>,
}

struct Outbox {
    pending: Vec<Record>,
    sender: mpsc::Sender<Message>,
}

impl fmt::Debug for Operations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Operations").finish_non_exhaustive()
    }
}

impl Operations {
    pub(crate) fn new(sender: mpsc::Sender<Message>, runtime_tables: &[TableRef]) -> Operations {
        let by_name = runtime_tables
            .iter()
            .map(|t| (t.name.to_string(), t.clone()))
            .collect();
        Operations {
            shared: Arc::new(Shared {
                outbox: Mutex::new(Outbox {
                    pending: Vec::with_capacity(BATCH_RECORDS),
                    sender,
                }),
                runtime_tables: RwLock::new(by_name),
            }),
        }
    }

    /// Inserts the row, or replaces the row with the same primary key.
    pub async fn upsert<T: Declared>(&self, row: T) -> crate::Result<()> {
        let cells = Cells::All(row.into_cells());
        self.push(Record {
            table: TableRef::Static(T::schema()),
            kind: RecordKind::Upsert,
            cells,
        })
        .await
    }

    /// Changes the columns set on the patch in the row with the patch's key; an unknown key is
    /// ignored by the destination.
    pub async fn update<P>(&self, patch: P) -> crate::Result<()>
    where
        P: Patch,
        P::Table: Declared,
    {
        let cells = Cells::Indexed(patch.into_cells());
        let table = TableRef::Static(<P::Table as crate::Table>::schema());
        self.push(Record {
            table,
            kind: RecordKind::Update,
            cells,
        })
        .await
    }

    /// Marks the row with this key deleted (`_fivetran_deleted = true`); an unknown key is ignored.
    pub async fn delete<K>(&self, key: K) -> crate::Result<()>
    where
        K: Key,
        K::Table: Declared,
    {
        let cells = Cells::Indexed(key.into_cells());
        let table = TableRef::Static(<K::Table as crate::Table>::schema());
        self.push(Record {
            table,
            kind: RecordKind::Delete,
            cells,
        })
        .await
    }

    /// Marks every row synced before now deleted. Send it first in a (re-)sync of the table.
    pub async fn truncate<T: Declared>(&self) -> crate::Result<()> {
        let table = TableRef::Static(T::schema());
        self.push(Record {
            table,
            kind: RecordKind::Truncate,
            cells: Cells::None,
        })
        .await
    }

    /// Upserts a row of a run-time table. Columns the table declares are converted to their
    /// declared type (a value that does not fit fails, naming table and column); others are
    /// typed by the destination from their values. A table never declared is created.
    pub async fn upsert_row(&self, table: &str, row: Row) -> crate::Result<()> {
        let table = self.runtime_table(table, true)?;
        let cells = checked_cells(&table, row, RecordKind::Upsert)?;
        self.push(Record {
            table,
            kind: RecordKind::Upsert,
            cells,
        })
        .await
    }

    /// Updates the given columns of the row whose key the `row` carries (every key column).
    pub async fn update_row(&self, table: &str, row: Row) -> crate::Result<()> {
        let table = self.runtime_table(table, false)?;
        let cells = checked_cells(&table, row, RecordKind::Update)?;
        self.push(Record {
            table,
            kind: RecordKind::Update,
            cells,
        })
        .await
    }

    /// Deletes the row whose key `key` holds (every key column, nothing else needed).
    pub async fn delete_row(&self, table: &str, key: Row) -> crate::Result<()> {
        let table = self.runtime_table(table, false)?;
        let cells = checked_cells(&table, key, RecordKind::Delete)?;
        self.push(Record {
            table,
            kind: RecordKind::Delete,
            cells,
        })
        .await
    }

    /// Truncates a run-time table (see [`Operations::truncate`]).
    pub async fn truncate_table(&self, table: &str) -> crate::Result<()> {
        let table = self.runtime_table(table, true)?;
        self.push(Record {
            table,
            kind: RecordKind::Truncate,
            cells: Cells::None,
        })
        .await
    }

    /// Logs a warning (shown on the Fivetran dashboard); the sync goes on.
    pub async fn warning(&self, message: impl Into<String>) -> crate::Result<()> {
        let mut outbox = self.shared.outbox.lock().await;
        outbox.flush().await?;
        outbox.send(Message::Warning(message.into())).await
    }

    /// Saves `state` as the point the next sync starts from, once everything emitted before this
    /// call (by every clone of `Operations`) is durable at the destination. Returns after that.
    /// The state must serialize to a JSON object.
    pub async fn checkpoint<S: Serialize + ?Sized>(&self, state: &S) -> crate::Result<()> {
        let state_json = state_json(state)?;
        let (done, durable) = oneshot::channel();
        {
            let mut outbox = self.shared.outbox.lock().await;
            outbox.flush().await?;
            outbox
                .send(Message::Checkpoint { state_json, done })
                .await?;
        }
        durable.await.map_err(|_| destination_stopped())
    }

    /// Ends the sync successfully: what is still queued is sent, then the sink finishes.
    pub(crate) async fn finish(&self) -> crate::Result<()> {
        let mut outbox = self.shared.outbox.lock().await;
        outbox.flush().await?;
        outbox.send(Message::Finish).await
    }

    /// Ends the sync as failed: what is still queued is dropped and the sink rolls back.
    pub(crate) async fn abort(&self) {
        let mut outbox = self.shared.outbox.lock().await;
        outbox.pending.clear();
        // A sink that already stopped has nothing left to roll back.
        let _ = outbox.send(Message::Abort).await;
    }

    async fn push(&self, record: Record) -> crate::Result<()> {
        let mut outbox = self.shared.outbox.lock().await;
        outbox.pending.push(record);
        if outbox.pending.len() >= BATCH_RECORDS {
            outbox.flush().await?;
        }
        Ok(())
    }

    fn runtime_table(&self, name: &str, create: bool) -> crate::Result<TableRef> {
        if let Some(table) = self
            .shared
            .runtime_tables
            .read()
            .expect("tables lock")
            .get(name)
        {
            return Ok(table.clone());
        }
        if !create {
            bail!(
                "table `{name}` has no primary key: declare it with its key in the schema \
                 function to update or delete its rows"
            );
        }
        let mut tables = self.shared.runtime_tables.write().expect("tables lock");
        let table = tables
            .entry(name.to_string())
            .or_insert_with(|| TableRef::from(TableSchema::new(name.to_string())));
        Ok(table.clone())
    }
}

impl Outbox {
    async fn flush(&mut self) -> crate::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.pending, Vec::with_capacity(BATCH_RECORDS));
        self.send(Message::Records(batch)).await
    }

    async fn send(&mut self, message: Message) -> crate::Result<()> {
        self.sender
            .send(message)
            .await
            .map_err(|_| destination_stopped())
    }
}

fn destination_stopped() -> anyhow::Error {
    anyhow!("the destination stopped accepting operations")
}

/// Serializes a state for a checkpoint; it must be a JSON object.
pub(crate) fn state_json<S: Serialize + ?Sized>(state: &S) -> crate::Result<String> {
    let value = serde_json::to_value(state).context("the state could not be serialized")?;
    if !value.is_object() {
        bail!("the state must serialize to a JSON object, not `{value}`");
    }
    Ok(value.to_string())
}

/// Checks a run-time row against its table: declared columns get their declared type, every key
/// column must be present and not NULL, and update/delete need a table with a key.
fn checked_cells(table: &TableSchema, row: Row, kind: RecordKind) -> crate::Result<Cells> {
    let name = table.qualified_name();
    if kind != RecordKind::Upsert && !table.has_primary_key() {
        bail!("table `{name}` has no primary key, so its rows cannot be updated or deleted");
    }
    for key in table.primary_key() {
        match row.get(&key.name) {
            None | Some(Value::Null) => {
                bail!(
                    "the primary key column `{}` of table `{name}` is NULL or missing",
                    key.name
                )
            }
            Some(_) => {}
        }
    }
    let mut cells = Vec::with_capacity(row.len());
    for (column, value) in row.into_cells() {
        let declared = table
            .columns
            .iter()
            .find(|c| c.name == column)
            .and_then(|c| c.data_type);
        let value = match declared {
            Some(data_type) => value
                .coerce_to(data_type)
                .map_err(|why| anyhow!("table `{name}`, column `{column}`: {why}"))?,
            None => value,
        };
        cells.push((column, value));
    }
    Ok(Cells::Named(cells))
}
