//! The driver: runs one sync, the same way for every mode. It parses the configuration and the
//! state, calls the `#[sync]` function on a task of its own, moves the operations to the sink on a
//! thread of its own, and reports what happened. Modes differ only in the sink.

use std::collections::BTreeMap;
use std::fmt;

use tokio::sync::mpsc;

use crate::config::{ConfigError, Configuration, ConfigurationMap};
use crate::connector::Connector;
use crate::destination::{DeclarationError, declared};
use crate::operations::{CHANNEL_BATCHES, Message, Operations};
use crate::record::{Record, RecordKind};
use crate::schema::{TableRef, TableSchema};
use crate::sink::Sink;

/// Operations per kind, of one table or of a whole sync ([`SyncReport::total`]).
///
/// ```
/// use connector_core::Counts;
///
/// let counts = Counts { upserts: 3, deletes: 1, ..Counts::default() };
/// assert_eq!(counts.to_string(), "3 upserts, 0 updates, 1 deletes, 0 truncates");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Whole rows written.
    pub upserts: u64,
    /// Partial rows (a key and some columns).
    pub updates: u64,
    /// Soft deletes by key.
    pub deletes: u64,
    /// Truncates of a whole table.
    pub truncates: u64,
}

impl Counts {
    fn add(&mut self, kind: RecordKind) {
        match kind {
            RecordKind::Upsert => self.upserts += 1,
            RecordKind::Update => self.updates += 1,
            RecordKind::Delete => self.deletes += 1,
            RecordKind::Truncate => self.truncates += 1,
        }
    }
}

/// What a sync sent: operations per table (by source name), checkpoints and warnings.
///
/// ```
/// use connector_core::prelude::*;
/// use connector_core::testing::Destination;
///
/// #[table]
/// pub struct Event {
///     #[primary_key]
///     pub id: i64,
/// }
///
/// #[sync(tables(Event))]
/// async fn update(ops: &Operations) -> Result<()> {
///     ops.upsert(Event { id: 1 }).await?;
///     ops.delete(EventKey { id: 1 }).await?;
///     ops.checkpoint(&json!({})).await
/// }
///
/// # #[connector_core::tokio::main(crate = "connector_core::tokio")]
/// # async fn main() -> Result<()> {
/// let report = Destination::new().sync::<update>(json!({})).await?.report;
/// assert_eq!((report.tables["event"].upserts, report.tables["event"].deletes), (1, 1));
/// assert_eq!(report.checkpoints, 1);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Operations per table, by the table's source name (`schema.table` in a schema).
    pub tables: BTreeMap<String, Counts>,
    /// Checkpoints that were made durable.
    pub checkpoints: u64,
    /// Warnings the connector logged with `Operations::warning`.
    pub warnings: u64,
}

impl SyncReport {
    /// Operations per kind over all tables.
    pub fn total(&self) -> Counts {
        self.tables
            .values()
            .fold(Counts::default(), |mut total, c| {
                total.upserts += c.upserts;
                total.updates += c.updates;
                total.deletes += c.deletes;
                total.truncates += c.truncates;
                total
            })
    }

    pub(crate) fn count(&mut self, record: &Record) {
        let table = &record.table;
        let counts = match (&table.schema, self.tables.get_mut(table.name.as_ref())) {
            (None, Some(counts)) => counts,
            _ => self.tables.entry(table.qualified_name()).or_default(),
        };
        counts.add(record.kind);
    }
}

/// Why a sync failed: exactly one of these, so a caller decides on the variant, never on text.
///
/// ```
/// use connector_core::prelude::*;
/// use connector_core::SyncError;
/// use connector_core::testing::Destination;
///
/// #[sync]
/// async fn update(ops: &Operations) -> Result<()> {
///     Err(ops.task("the API key expired").await)
/// }
///
/// # #[connector_core::tokio::main(crate = "connector_core::tokio")]
/// # async fn main() {
/// let failed = Destination::new().sync::<update>(json!({})).await.unwrap_err();
/// assert!(matches!(failed.error, SyncError::Task(ref task) if task == "the API key expired"));
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The configuration did not parse.
    #[error(transparent)]
    Configuration(#[from] ConfigError),
    /// The state did not parse.
    #[error("invalid state: {0}")]
    State(String),
    /// The sync was stopped from outside (the client of `serve` went away).
    #[error("the sync was cancelled")]
    Cancelled,
    /// The sync function panicked (the panic's message).
    #[error("the sync panicked: {0}")]
    Panicked(String),
    /// The sync stopped with a task for the user ([`Operations::task`]): the task's message.
    #[error("the sync stopped with a task for the user: {0}")]
    Task(String),
    /// The connector's declared tables are refused (checked before the sync starts).
    #[error("the declared tables are refused: {0}")]
    Declaration(#[from] DeclarationError),
    /// The connector returned an error.
    #[error("the sync failed: {0:#}")]
    Connector(anyhow::Error),
    /// The destination could not apply the operations.
    #[error("the destination failed: {0:#}")]
    Sink(anyhow::Error),
}

/// Runs one sync of connector `C` into `sink`, from a configuration and a state (`None`: `{}`).
/// Returns the sink (with everything up to the last checkpoint durable, or the whole sync on
/// success) and what happened.
pub async fn run<C: Connector, S: Sink>(
    configuration: &ConfigurationMap,
    state_json: Option<&str>,
    sink: S,
) -> (S, Result<SyncReport, SyncError>) {
    run_until::<C, S>(configuration, state_json, sink, std::future::pending()).await
}

/// [`run`], but when `cancelled` completes first (the client of `serve` went away), the sync
/// task is stopped where it waits and the sync fails with everything after the last
/// checkpoint dropped.
pub async fn run_until<C: Connector, S: Sink>(
    configuration: &ConfigurationMap,
    state_json: Option<&str>,
    sink: S,
    cancelled: impl Future<Output = ()>,
) -> (S, Result<SyncReport, SyncError>) {
    let prepared = match prepare::<C>(configuration, state_json).await {
        Ok(prepared) => prepared,
        Err(error) => return (sink, Err(error)),
    };
    let (config, mut state, tables) = prepared;
    // The sink sees the tables before the sync starts, so that one it refuses (a selection of
    // the wrong kind, a table the warehouse cannot hold) stops the sync before it reads the
    // source.
    let (sink, tables, begun) = tokio::task::spawn_blocking(move || {
        let mut sink = sink;
        let begun = sink.begin(&tables);
        (sink, tables, begun)
    })
    .await
    .expect("the sink's begin does not panic");
    if let Err(error) = begun {
        return (sink, Err(SyncError::Sink(error)));
    }
    let (sender, receiver) = mpsc::channel(CHANNEL_BATCHES);
    let ops = Operations::new(sender, &tables);
    let drain = tokio::task::spawn_blocking(move || drain(sink, receiver));

    let task_ops = ops.clone();
    let mut sync = tokio::spawn(async move { C::sync(&task_ops, &config, &mut state).await });
    let joined = tokio::select! {
        joined = &mut sync => joined,
        () = cancelled => {
            sync.abort();
            sync.await
        }
    };
    let connector_result = match joined {
        Ok(Ok(())) => ops.finish().await.map_err(SyncError::Connector),
        Ok(Err(error)) => Err(SyncError::Connector(error)),
        Err(join_error) if join_error.is_cancelled() => Err(SyncError::Cancelled),
        Err(join_error) => Err(SyncError::Panicked(panic_message(join_error))),
    };
    if connector_result.is_err() {
        ops.abort().await;
    }
    drop(ops);

    let Drained {
        sink,
        report,
        task,
        result,
    } = drain.await.expect("the sink thread does not panic");
    let outcome = match (result, connector_result, task) {
        (Err(error), _, _) => Err(SyncError::Sink(error)),
        // The error `Operations::task` returned: the task that went to the sink is the outcome.
        (Ok(()), Err(SyncError::Connector(_)), Some(task)) => Err(SyncError::Task(task)),
        (Ok(()), Err(error), _) => Err(error),
        (Ok(()), Ok(()), _) => Ok(report),
    };
    (sink, outcome)
}

type Prepared<C> = (
    <C as Connector>::Config,
    <C as Connector>::State,
    Vec<TableRef>,
);

async fn prepare<C: Connector>(
    configuration: &ConfigurationMap,
    state_json: Option<&str>,
) -> Result<Prepared<C>, SyncError> {
    let config = C::Config::from_map(configuration)?;
    let state = parse_state::<C::State>(state_json)?;
    let runtime = C::discover(&config)
        .await
        .map_err(|e| SyncError::Connector(e.context("the schema function failed")))?;
    let mut tables: Vec<TableRef> = C::tables().into_iter().map(TableRef::Static).collect();
    tables.extend(runtime.into_iter().map(TableRef::from));
    let schemas: Vec<TableSchema> = tables.iter().map(|t| TableSchema::clone(t)).collect();
    declared::check(&schemas)?;
    Ok((config, state, tables))
}

/// Reads a state: absent or empty means `{}`; anything else must be a JSON object of the
/// connector's state type.
pub fn parse_state<T: serde::de::DeserializeOwned + Default>(
    state_json: Option<&str>,
) -> Result<T, SyncError> {
    let Some(text) = state_json.filter(|t| !t.trim().is_empty()) else {
        return Ok(T::default());
    };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| SyncError::State(format!("not JSON: {e}")))?;
    if !value.is_object() {
        return Err(SyncError::State("the state must be a JSON object".into()));
    }
    serde_json::from_value(value).map_err(|e| SyncError::State(e.to_string()))
}

/// What the sink's loop leaves: the sink, what went through it, the task it was handed (if
/// any), and whether it failed.
struct Drained<S> {
    sink: S,
    report: SyncReport,
    task: Option<String>,
    result: anyhow::Result<()>,
}

/// The sink's loop: applies messages in order until the sync finishes or aborts, then closes the
/// channel and drops what is left in it.
fn drain<S: Sink>(mut sink: S, mut receiver: mpsc::Receiver<Message>) -> Drained<S> {
    let mut report = SyncReport::default();
    let mut task = None;
    let result = apply(&mut sink, &mut receiver, &mut report, &mut task);
    // A sender may hold permits it has not used yet (`Operations` reserves, then sends): a
    // message sent through them after the receiver is gone would stay in the channel, and a
    // checkpoint in it would never answer. Closing first and receiving until the channel says
    // it is empty drops every such message, so each waiting checkpoint fails instead of hanging.
    receiver.close();
    while receiver.blocking_recv().is_some() {}
    Drained {
        sink,
        report,
        task,
        result,
    }
}

/// Applies messages until a `Finish` (then makes the tail durable), an `Abort`, a closed
/// channel or a failure of the sink (each of the last three rolls back to the last checkpoint).
fn apply<S: Sink>(
    sink: &mut S,
    receiver: &mut mpsc::Receiver<Message>,
    report: &mut SyncReport,
    task: &mut Option<String>,
) -> anyhow::Result<()> {
    let mut result = Ok(());
    while result.is_ok() {
        let Some(message) = receiver.blocking_recv() else {
            sink.abort();
            return Ok(());
        };
        result = match message {
            Message::Records(records) => records.into_iter().try_for_each(|record| {
                report.count(&record);
                sink.write(record)
            }),
            Message::Task(text) => {
                let sent = sink.task(&text);
                *task = Some(text);
                sent
            }
            Message::Warning(text) => {
                report.warnings += 1;
                sink.warning(&text)
            }
            Message::Checkpoint { state_json, done } => sink.checkpoint(&state_json).map(|()| {
                report.checkpoints += 1;
                // The caller may have gone (its task was cancelled); the checkpoint stands.
                let _ = done.send(());
            }),
            Message::Finish => return sink.finish(),
            Message::Abort => {
                sink.abort();
                return Ok(());
            }
        };
    }
    sink.abort();
    result
}

/// What a crashed task said, for an error message.
pub fn panic_message(error: tokio::task::JoinError) -> String {
    if !error.is_panic() {
        return "the sync task was cancelled".to_string();
    }
    let payload = error.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-text panic payload".to_string())
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} upserts, {} updates, {} deletes, {} truncates",
            self.upserts, self.updates, self.deletes, self.truncates
        )
    }
}

/// Why a connector's tables could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum TablesError {
    /// The schema function failed.
    #[error("the schema function failed: {0:#}")]
    SchemaFunction(anyhow::Error),
    /// The declared tables are refused (the same check and message as a sync's).
    #[error("the declared tables are refused: {0}")]
    Declaration(#[from] DeclarationError),
}

/// The declared tables of a connector with their run-time ones, checked, for `schema` and the
/// Schema RPC.
pub async fn declared_tables<C: Connector>(
    config: &C::Config,
) -> Result<Vec<TableSchema>, TablesError> {
    let mut tables: Vec<TableSchema> = C::tables().into_iter().cloned().collect();
    tables.extend(
        C::discover(config)
            .await
            .map_err(TablesError::SchemaFunction)?,
    );
    declared::check(&tables)?;
    Ok(tables)
}
