//! `Operations`: what a `#[sync]` function calls to emit rows, checkpoints and warnings.
//!
//! Every clone shares one outbox. A record is appended to the outbox's pending batch under a
//! short lock, so records keep the order in which they were emitted, whatever task emitted them.
//! A full batch, a warning or a checkpoint goes down a bounded channel to the sink: the sender
//! first waits for room (so a fast source waits for a slow destination instead of filling
//! memory), then takes the pending batch and sends it, with its message, under the lock, so
//! nothing overtakes. A checkpoint returns once the checkpoint before it is durable: the sink
//! makes one window durable (DuckDB's COMMIT and the state file, each with its fsync) while the
//! sync produces the next, and the state is never ahead of the data.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::task::{Context, Poll};

use anyhow::{Context as _, anyhow, bail};
use serde::Serialize;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot};

use crate::BoxFuture;
use crate::destination::{FitError, KeyError};
use crate::record::{Cells, CellsBuilder, Record, RecordKind};
use crate::row::Row;
use crate::row_reader::RowReader;
use crate::schema::{Column, TableRef, TableSchema};
use crate::table::{Declared, Key, Patch};
use crate::value::Value;

/// The error of a sync stopped by [`Operations::task`]: the task is the message for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the sync stopped with a task for the user: {0}")]
pub(crate) struct TaskRaised(String);

/// Records per batch sent to the sink.
const BATCH_RECORDS: usize = 1024;
/// Batches in flight between the sync and the sink: with `BATCH_RECORDS`, the memory bound.
pub(crate) const CHANNEL_BATCHES: usize = 16;

/// What travels from the sync to the sink, in order.
#[derive(Debug)]
pub(crate) enum Message {
    Records(Vec<Record>),
    Warning(String),
    /// An error for the user to act on; the sync stops after it.
    Task(String),
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
/// `C` is the connector: the type `#[sync]` generates under the sync function's name. The
/// typed methods ([`upsert`](Operations::upsert), [`update`](Operations::update),
/// [`delete`](Operations::delete), [`truncate`](Operations::truncate)) only accept rows of the
/// tables that this connector's `#[sync(tables(...))]` lists, so two connectors of one crate
/// can share a table type and each still refuses the other's tables.
///
/// In the sync function itself, write `ops: &Operations`: `#[sync]` fills in the connector.
/// A helper the sync calls names it, or stays generic over the connectors that declare the
/// tables it writes:
///
/// ```
/// use connector_core::prelude::*;
///
/// #[table]
/// pub struct User {
///     #[primary_key]
///     pub id: i64,
///     pub name: String,
/// }
///
/// #[sync(tables(User))]
/// async fn update(ops: &Operations) -> Result<()> {
///     ops.upsert(User { id: 1, name: "Ada".into() }).await?;      // a whole row
///     ops.update(User::patch(1).name("Ada Lovelace")).await?;   // the key and what changed
///     ops.delete(UserKey { id: 2 }).await?;                     // a soft delete by key
///     more_users(ops).await?;
///     any_user(ops, 4).await?;
///     ops.checkpoint(&json!({"since": 1})).await?;              // durable up to here
///     Ok(())
/// }
///
/// /// A helper of `update`.
/// async fn more_users(ops: &Operations<update>) -> Result<()> {
///     ops.upsert(User { id: 3, name: "Grace".into() }).await
/// }
///
/// /// A helper of any connector that declares `User`.
/// async fn any_user<C>(ops: &Operations<C>, id: i64) -> Result<()>
/// where
///     User: Declared<C>,
/// {
///     ops.upsert(User { id, name: format!("user {id}") }).await
/// }
/// ```
pub struct Operations<C> {
    shared: Arc<Shared>,
    /// `fn() -> C`: the handle neither owns a `C` nor needs it to be `Send` or `Sync`.
    connector: PhantomData<fn() -> C>,
}

impl<C> Clone for Operations<C> {
    fn clone(&self) -> Self {
        Operations {
            shared: Arc::clone(&self.shared),
            connector: PhantomData,
        }
    }
}

struct Shared {
    pending: Mutex<Vec<Record>>,
    sender: mpsc::Sender<Message>,
    /// The tables the run-time methods (`upsert_row`, ...) reach by source name: every declared
    /// one (the `#[table]`s and the schema function's), then those first seen in `upsert_row`
    /// (no declared columns, no key).
    runtime_tables: RwLock<HashMap<String, TableRef>>,
    /// Whether the last checkpoint sent is durable: the next checkpoint waits for it.
    in_flight: Mutex<Option<oneshot::Receiver<()>>>,
}

impl<C> fmt::Debug for Operations<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Operations").finish_non_exhaustive()
    }
}

/// The future of one emitted record: ready at once unless the batch it completed must wait
/// for room in the channel. Its type does not depend on the table, so a table the sync does not
/// declare is reported once, at the call.
#[must_use = "an emitted record is only queued once its future is awaited"]
pub struct Emit<'a>(EmitState<'a>);

enum EmitState<'a> {
    Ready(Option<crate::Result<()>>),
    Waiting(BoxFuture<'a, crate::Result<()>>),
}

impl Emit<'_> {
    fn failed(error: impl Into<anyhow::Error>) -> Emit<'static> {
        Emit(EmitState::Ready(Some(Err(error.into()))))
    }
}

impl Future for Emit<'_> {
    type Output = crate::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<crate::Result<()>> {
        match &mut self.0 {
            EmitState::Ready(result) => {
                Poll::Ready(result.take().expect("`Emit` polled after it completed"))
            }
            EmitState::Waiting(future) => future.as_mut().poll(cx),
        }
    }
}

impl fmt::Debug for Emit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emit").finish_non_exhaustive()
    }
}

impl<C> Operations<C> {
    pub(crate) fn new(sender: mpsc::Sender<Message>, declared: &[TableRef]) -> Operations<C> {
        let mut by_name = HashMap::with_capacity(declared.len());
        for table in declared {
            // Of two tables with one name in two schemas, the first declared is reached.
            by_name
                .entry(table.name.to_string())
                .or_insert_with(|| table.clone());
        }
        Operations {
            shared: Arc::new(Shared {
                pending: Mutex::new(Vec::with_capacity(BATCH_RECORDS)),
                sender,
                runtime_tables: RwLock::new(by_name),
                in_flight: Mutex::new(None),
            }),
            connector: PhantomData,
        }
    }

    /// Inserts the row, or replaces the row with the same primary key.
    pub fn upsert<T: Declared<C>>(&self, row: T) -> Emit<'_> {
        let schema = T::schema();
        let mut row = row;
        let extra = row.take_extra_columns();
        let mut cells = row.into_cells();
        let checked = cells
            .iter_mut()
            .enumerate()
            .try_for_each(|(index, value)| check_typed_cell(schema, index, value));
        if let Err(error) = checked {
            return Emit::failed(error);
        }
        let cells = if extra.is_empty() {
            Cells::All(cells)
        } else {
            match with_extra_columns(schema, cells, extra) {
                Ok(cells) => cells,
                Err(error) => return Emit::failed(error),
            }
        };
        self.emit(Record {
            table: TableRef::Static(schema),
            kind: RecordKind::Upsert,
            cells,
        })
    }

    /// Changes the columns set on the patch in the row with the patch's key; an unknown key is
    /// ignored by the destination.
    pub fn update<P>(&self, patch: P) -> Emit<'_>
    where
        P: Patch,
        P::Table: Declared<C>,
    {
        let schema = <P::Table as crate::Table>::schema();
        let mut cells = patch.into_cells();
        if let Err(error) = check_indexed_cells(schema, &mut cells) {
            return Emit::failed(error);
        }
        self.emit(Record {
            table: TableRef::Static(schema),
            kind: RecordKind::Update,
            cells: Cells::Indexed(cells),
        })
    }

    /// Marks the row with this key deleted (`_fivetran_deleted = true`); an unknown key is ignored.
    pub fn delete<K>(&self, key: K) -> Emit<'_>
    where
        K: Key,
        K::Table: Declared<C>,
    {
        let schema = <K::Table as crate::Table>::schema();
        let mut cells = key.into_cells();
        if let Err(error) = check_indexed_cells(schema, &mut cells) {
            return Emit::failed(error);
        }
        self.emit(Record {
            table: TableRef::Static(schema),
            kind: RecordKind::Delete,
            cells: Cells::Indexed(cells),
        })
    }

    /// Marks every row synced before now deleted. Send it first in a (re-)sync of the table.
    pub fn truncate<T: Declared<C>>(&self) -> Emit<'_> {
        let table = TableRef::Static(T::schema());
        self.emit(Record {
            table,
            kind: RecordKind::Truncate,
            cells: Cells::None,
        })
    }

    /// Upserts a row of a run-time table. Columns the table declares are converted to their
    /// declared type (a value that does not fit fails, naming table and column); others are
    /// typed by the destination from their values. A table never declared is created.
    pub async fn upsert_row(&self, table: &str, row: Row) -> crate::Result<()> {
        let table = self.runtime_table(table, true)?;
        let cells = checked_cells(&table, row, RecordKind::Upsert)?;
        self.emit(Record {
            table,
            kind: RecordKind::Upsert,
            cells,
        })
        .await
    }

    /// A reader of JSON objects into rows of run-time table `table`, each member typed as the
    /// table declares it while it is read (see [`RowReader`]): the fastest way from a JSON
    /// API's response body to [`upsert_row`](Operations::upsert_row).
    pub fn row_reader(&self, table: &str) -> crate::Result<RowReader> {
        Ok(RowReader::new(self.runtime_table(table, true)?))
    }

    /// Updates the given columns of the row whose key the `row` carries (every key column).
    pub async fn update_row(&self, table: &str, row: Row) -> crate::Result<()> {
        let table = self.runtime_table(table, false)?;
        let cells = checked_cells(&table, row, RecordKind::Update)?;
        self.emit(Record {
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
        self.emit(Record {
            table,
            kind: RecordKind::Delete,
            cells,
        })
        .await
    }

    /// Truncates a run-time table (see [`Operations::truncate`]).
    pub async fn truncate_table(&self, table: &str) -> crate::Result<()> {
        let table = self.runtime_table(table, true)?;
        self.emit(Record {
            table,
            kind: RecordKind::Truncate,
            cells: Cells::None,
        })
        .await
    }

    /// Logs a warning (shown on the Fivetran dashboard); the sync goes on.
    pub async fn warning(&self, message: impl Into<String>) -> crate::Result<()> {
        self.send_in_order(Some(Message::Warning(message.into())))
            .await
    }

    /// Stops the sync with a task for the user: an error they must act on (an expired key, a
    /// missing permission), shown on the Fivetran dashboard. Everything emitted before it is
    /// sent first; nothing after the last checkpoint is kept. Returns the error the sync
    /// function returns:
    ///
    /// ```
    /// use connector_core::prelude::*;
    ///
    /// #[sync]
    /// async fn update(ops: &Operations) -> Result<()> {
    ///     let key_expired = true; // what the source answered
    ///     if key_expired {
    ///         return Err(ops.task("the API key expired: create a new one in the source's settings").await);
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub async fn task(&self, message: impl Into<String>) -> crate::Error {
        let message = message.into();
        match self
            .send_in_order(Some(Message::Task(message.clone())))
            .await
        {
            Ok(()) => anyhow::Error::new(TaskRaised(message)),
            Err(error) => error,
        }
    }

    /// Saves `state` as the point the next sync starts from, once everything emitted before this
    /// call (by every clone of `Operations`) is durable at the destination: the rows and the
    /// state become durable together, or not at all. The state must serialize to a JSON object.
    ///
    /// Returns once the *previous* checkpoint is durable, so that the destination makes one
    /// window durable while the sync reads the next (on `debug`, DuckDB's COMMIT and the state
    /// file's rewrite each wait for the disk). A checkpoint that fails to become durable fails
    /// the sync at the next checkpoint or at its end, and the next sync starts from the last
    /// checkpoint that did. On `serve`, a checkpoint is durable once it is handed to the stream.
    pub async fn checkpoint<S: Serialize + ?Sized>(&self, state: &S) -> crate::Result<()> {
        let state_json = state_json(state)?;
        let (done, durable) = oneshot::channel();
        let previous = self
            .send_in_order_then(Some(Message::Checkpoint { state_json, done }), || {
                self.in_flight().replace(durable)
            })
            .await?;
        match previous {
            Some(previous) => previous.await.map_err(|_| destination_stopped()),
            None => Ok(()),
        }
    }

    /// Ends the sync successfully: what is still pending is sent, then the sink finishes.
    pub(crate) async fn finish(&self) -> crate::Result<()> {
        self.send_in_order(Some(Message::Finish)).await
    }

    /// Ends the sync as failed: what is still pending is dropped and the sink rolls back.
    pub(crate) async fn abort(&self) {
        self.pending().clear();
        // A sink that already stopped has nothing left to roll back.
        let _ = self.shared.sender.send(Message::Abort).await;
    }

    fn pending(&self) -> MutexGuard<'_, Vec<Record>> {
        // A panic while holding this lock cannot leave the Vec half-updated: recover it.
        self.shared
            .pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends a record; a full batch is sent at once if the channel has room, or else by a
    /// future that waits for room.
    fn emit(&self, record: Record) -> Emit<'_> {
        let mut pending = self.pending();
        pending.push(record);
        if pending.len() < BATCH_RECORDS {
            return Emit(EmitState::Ready(Some(Ok(()))));
        }
        match self.shared.sender.try_reserve() {
            Ok(permit) => {
                permit.send(Message::Records(take_batch(&mut pending)));
                Emit(EmitState::Ready(Some(Ok(()))))
            }
            Err(TrySendError::Closed(())) => {
                Emit(EmitState::Ready(Some(Err(destination_stopped()))))
            }
            Err(TrySendError::Full(())) => {
                drop(pending);
                Emit(EmitState::Waiting(Box::pin(self.send_in_order(None))))
            }
        }
    }

    /// Waits for room, then sends the pending batch (if any) followed by `message`, under the
    /// lock, so that nothing emitted later overtakes them.
    async fn send_in_order(&self, message: Option<Message>) -> crate::Result<()> {
        self.send_in_order_then(message, || ()).await
    }

    /// [`send_in_order`](Self::send_in_order), then `then` while nothing else can be sent, so
    /// that what it records follows the order of the messages.
    async fn send_in_order_then<T>(
        &self,
        message: Option<Message>,
        then: impl FnOnce() -> T,
    ) -> crate::Result<T> {
        let mut permits = self
            .shared
            .sender
            .reserve_many(2)
            .await
            .map_err(|_| destination_stopped())?;
        let mut pending = self.pending();
        if !pending.is_empty() {
            permits
                .next()
                .expect("two permits")
                .send(Message::Records(take_batch(&mut pending)));
        }
        if let Some(message) = message {
            permits.next().expect("two permits").send(message);
        }
        Ok(then())
    }

    fn in_flight(&self) -> MutexGuard<'_, Option<oneshot::Receiver<()>>> {
        self.shared
            .in_flight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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
                "table `{name}` is not declared: `update_row` and `delete_row` need a table \
                 declared with its primary key (a `#[table]` listed in `#[sync(tables(...))]`, \
                 or a table of the schema function)"
            );
        }
        let mut tables = self.shared.runtime_tables.write().expect("tables lock");
        let table = tables
            .entry(name.to_string())
            .or_insert_with(|| TableRef::from(TableSchema::new(name.to_string())));
        Ok(table.clone())
    }
}

fn take_batch(pending: &mut Vec<Record>) -> Vec<Record> {
    std::mem::replace(pending, Vec::with_capacity(BATCH_RECORDS))
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

/// Checks a cell of a `#[table]` row against its declared type where the field's Rust type does
/// not already guarantee the fit: a DECIMAL's precision and scale (the value is rounded to the
/// scale, and refused past the precision) and a JSON column's document. This runs where the row
/// is made, so every mode (`debug`, `serve`, tests) refuses the same row with the same message.
#[inline]
fn check_typed_cell(table: &TableSchema, index: usize, value: &mut Value) -> Result<(), FitError> {
    if !matches!(value, Value::Decimal(_) | Value::Json(_)) {
        return Ok(());
    }
    let taken = std::mem::replace(value, Value::Null);
    *value = fitted(table, &table.columns[index], taken)?;
    Ok(())
}

/// `value` converted to the declared type of `table`'s `column` (as it is, for a column of no
/// declared type), or why it does not fit, naming the table and the column.
fn fitted(table: &TableSchema, column: &Column, value: Value) -> Result<Value, FitError> {
    match column.data_type {
        Some(data_type) => value.coerce_to(data_type).map_err(|why| FitError {
            table: table.qualified_name(),
            column: column.name.to_string(),
            why,
        }),
        None => Ok(value),
    }
}

/// A typed row's cells with the columns of its `#[column(flatten)]` field, by name; those
/// columns are typed from their values, and none may take a declared column's name.
fn with_extra_columns(table: &TableSchema, cells: Vec<Value>, extra: Row) -> crate::Result<Cells> {
    let mut named: Vec<(Cow<'static, str>, Value)> = table
        .columns
        .iter()
        .map(|c| c.name.clone())
        .zip(cells)
        .collect();
    for (column, value) in extra {
        if table.column_index(&column).is_some() {
            bail!(
                "table `{}`: column `{column}` is a field of the table, and its flatten field \
                 holds it too; set the field instead",
                table.qualified_name()
            );
        }
        named.push((column, value));
    }
    Ok(Cells::Named(named))
}

/// [`check_typed_cell`] for the `(column index, value)` cells of a patch or a key.
fn check_indexed_cells(table: &TableSchema, cells: &mut [(u16, Value)]) -> Result<(), FitError> {
    cells
        .iter_mut()
        .try_for_each(|(index, value)| check_typed_cell(table, usize::from(*index), value))
}

/// Checks a run-time row against its table before it leaves the sync, with the destination's
/// rules (`destination::keys`, `destination::types`) under source names: declared columns get
/// their declared type, every key column must be present and not NULL, and update/delete need a
/// table with a key.
pub(crate) fn checked_cells(table: &TableRef, row: Row, kind: RecordKind) -> crate::Result<Cells> {
    if kind != RecordKind::Upsert && !table.has_primary_key() {
        return Err(KeyError::NoKey {
            table: table.qualified_name(),
        }
        .into());
    }
    let row = match row.into_values_of(table.id()) {
        Ok(values) => return checked_values(table, values),
        Err(row) => row,
    };
    for key in table.primary_key() {
        if row.get(&key.name).is_none_or(Value::is_null) {
            return Err(KeyError::Missing {
                table: table.qualified_name(),
                column: key.name.to_string(),
            }
            .into());
        }
    }
    let mut cells = CellsBuilder::new(table, row.len());
    let mut guesses = LAST_ROW_COLUMNS.take();
    guesses.resize(guesses.len().max(row.len()), u16::MAX);
    for (position, (column, value)) in row.into_cells().into_iter().enumerate() {
        let declared = table.column_index_guessed(&column, &mut guesses[position]);
        let value = match declared {
            Some(index) => fitted(table, &table.columns[usize::from(index)], value)?,
            None => value,
        };
        cells.push(declared, || column, value);
    }
    LAST_ROW_COLUMNS.set(guesses);
    Ok(cells.finish())
}

/// [`checked_cells`] of a row of one value per column of `table`, in column order (a row a
/// [`RowReader`] read): the same checks, with no name to look up, and the values travel on as
/// they are.
fn checked_values(table: &TableSchema, mut values: Vec<Value>) -> crate::Result<Cells> {
    for (column, value) in table.columns.iter().zip(&values) {
        if column.primary_key && value.is_null() {
            return Err(KeyError::Missing {
                table: table.qualified_name(),
                column: column.name.to_string(),
            }
            .into());
        }
    }
    for (column, value) in table.columns.iter().zip(&mut values) {
        // The reader fitted the values already (fitting again changes nothing); this fits what
        // `Row::set` put in since.
        let taken = std::mem::replace(value, Value::Null);
        *value = fitted(table, column, taken)?;
    }
    Ok(Cells::All(values))
}

thread_local! {
    /// The declared column of each position of the last run-time row this thread checked: rows
    /// of a table mostly list their columns in one order, so the guess saves a search. Only a
    /// guess, always verified.
    static LAST_ROW_COLUMNS: Cell<Vec<u16>> = const { Cell::new(Vec::new()) };
}
