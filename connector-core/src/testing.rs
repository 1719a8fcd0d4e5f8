//! In-process testing of a connector: run its sync against an in-memory destination and look at
//! the tables as the destination holds them, the checkpointed states and the operation counts.
//!
//! ```
//! use connector_core::prelude::*;
//! use connector_core::testing::Destination;
//!
//! #[table]
//! pub struct HelloWorld {
//!     #[primary_key]
//!     pub id: i64,
//! }
//!
//! #[sync(tables(HelloWorld))]
//! async fn update(ops: &Operations) -> Result<()> {
//!     for id in 1..=3 {
//!         ops.upsert(HelloWorld { id }).await?;
//!     }
//!     ops.checkpoint(&json!({"cursor": 3})).await?;
//!     Ok(())
//! }
//!
//! # #[connector_core::tokio::main(crate = "connector_core::tokio")]
//! # async fn main() -> Result<()> {
//! let mut destination = Destination::new();
//! let run = destination.sync::<update>(json!({})).await?;
//! assert_eq!(run.report.total().upserts, 3);
//! assert_eq!(destination.table("hello_world").live_rows().len(), 3);
//! assert_eq!(destination.state(), json!({"cursor": 3}));
//! # Ok(())
//! # }
//! ```
//! A [`Destination`] keeps its tables and its state across syncs, like `files/` between runs of
//! `debug`, so a test can run a connector several times and watch its cursor advance.

use std::fmt;

use crate::config::{ConfigurationMap, configuration_from_json};
use crate::connector::Connector;
use crate::driver::{self, SyncError, SyncReport};
use crate::naming::Naming;
use crate::record::Record;
use crate::schema::TableRef;
use crate::sink::{MemorySink, MemoryTable, MemoryWarehouse, Sink};

/// An in-memory destination and the state the next sync starts from.
///
/// A second sync starts from the state the first one checkpointed:
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
/// #[state]
/// #[derive(Default)]
/// pub struct Cursor {
///     pub next: i64,
/// }
///
/// #[sync(tables(Event))]
/// async fn update(ops: &Operations, state: &mut Cursor) -> Result<()> {
///     ops.upsert(Event { id: state.next }).await?;
///     state.next += 1;
///     ops.checkpoint(state).await?;
///     Ok(())
/// }
///
/// # #[connector_core::tokio::main(crate = "connector_core::tokio")]
/// # async fn main() -> Result<()> {
/// let mut destination = Destination::new();
/// destination.sync::<update>(json!({})).await?;
/// destination.sync::<update>(json!({})).await?;
/// assert_eq!(destination.table("event").live_rows().len(), 2);
/// assert_eq!(destination.state(), json!({"next": 2}));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default, Clone)]
pub struct Destination {
    warehouse: MemoryWarehouse,
    state: Option<String>,
}

/// What one sync did.
#[derive(Debug, Clone, Default)]
pub struct SyncRun {
    /// Operations per table, checkpoints and warnings.
    pub report: SyncReport,
    /// Every state checkpointed, in order.
    pub states: Vec<serde_json::Value>,
    /// Every warning, in order.
    pub warnings: Vec<String>,
    /// The task for the user the sync stopped with (`Operations::task`), if any.
    pub task: Option<String>,
}

/// A failed sync: why, and what it had done (the destination holds what was checkpointed).
#[derive(Debug)]
pub struct SyncFailed {
    /// Why the sync failed.
    pub error: SyncError,
    /// What it sent before it failed.
    pub run: SyncRun,
}

impl fmt::Display for SyncFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for SyncFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl Destination {
    /// An empty destination; the first sync starts from `{}`.
    pub fn new() -> Destination {
        Destination::default()
    }

    /// An empty destination that names tables and columns by `naming` (as `debug --naming`).
    pub fn with_naming(naming: Naming) -> Destination {
        Destination {
            warehouse: MemoryWarehouse::with_naming(naming),
            state: None,
        }
    }

    /// An empty destination whose first sync starts from `state`.
    pub fn with_state(state: serde_json::Value) -> Destination {
        Destination {
            state: Some(state.to_string()),
            ..Destination::default()
        }
    }

    /// Runs one sync of connector `C` with a configuration given as a JSON object (values that
    /// are not strings are passed as their JSON text, as Fivetran passes every value as text).
    pub async fn sync<C: Connector>(
        &mut self,
        configuration: serde_json::Value,
    ) -> Result<SyncRun, SyncFailed> {
        self.run::<C>(configuration, None).await.0
    }

    /// Runs one sync of `C` as [`sync`](Destination::sync) does, and checks that it can be
    /// stopped after any of its checkpoints and resumed without losing or duplicating anything.
    ///
    /// It runs the sync to its end once; then, for each checkpoint `n` that run took (the last
    /// one only if rows followed it), it runs the sync again from where this destination
    /// started, stops it right after checkpoint `n` (as a crash would: nothing after that
    /// checkpoint is kept), runs it again from the state saved there, and asserts that the
    /// tables end as the uninterrupted run left them (every column but `_fivetran_synced`). The destination is left as the uninterrupted run left it, so a
    /// second call checks the next sync. A connector passes when its checkpoints are honest:
    /// each state covers exactly what was emitted before it, and re-reading from a state
    /// re-emits rows as upserts of the same rows.
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
    /// #[state]
    /// #[derive(Default)]
    /// pub struct Cursor {
    ///     next: i64,
    /// }
    ///
    /// /// Pages of 10 of the source's events, a checkpoint after each page.
    /// #[sync(tables(Event))]
    /// async fn update(ops: &Operations, state: &mut Cursor) -> Result<()> {
    ///     let source = 25; // events in the source
    ///     while state.next < source {
    ///         let end = (state.next + 10).min(source);
    ///         for id in state.next..end {
    ///             ops.upsert(Event { id }).await?;
    ///         }
    ///         state.next = end;
    ///         ops.checkpoint(state).await?;
    ///     }
    ///     Ok(())
    /// }
    ///
    /// # #[connector_core::tokio::main(crate = "connector_core::tokio")]
    /// # async fn main() {
    /// let mut destination = Destination::new();
    /// let run = destination.assert_resumable::<update>(json!({})).await;
    /// assert_eq!(run.states.len(), 3); // stopped after the first and the second, and resumed
    /// assert_eq!(destination.table("event").live_rows().len(), 25);
    /// # }
    /// ```
    ///
    /// # Panics
    /// When the uninterrupted sync fails, when a resumed sync fails, or when a resumed sync
    /// leaves other tables; the message shows both.
    pub async fn assert_resumable<C: Connector>(
        &mut self,
        configuration: serde_json::Value,
    ) -> SyncRun {
        let start = self.clone();
        let (outcome, tail) = self.run::<C>(configuration.clone(), None).await;
        let run =
            outcome.unwrap_or_else(|failed| panic!("the uninterrupted sync failed: {failed}"));
        let expected = self.warehouse.dump_without_synced();
        let checkpoints = run.states.len();
        // Stopped after its last checkpoint, a sync that emitted nothing after it has ended:
        // running it again is the next sync, not a resumed one.
        let last = if tail {
            checkpoints
        } else {
            checkpoints.saturating_sub(1)
        };
        for stop_after in 1..=last {
            let mut trial = start.clone();
            // It fails by the interruption, unless this run took fewer checkpoints.
            let _ = trial
                .run::<C>(configuration.clone(), Some(stop_after))
                .await;
            let (resumed, _) = trial.run::<C>(configuration.clone(), None).await;
            resumed.unwrap_or_else(|failed| {
                panic!("stopped after checkpoint {stop_after} of {checkpoints}, the resumed sync failed: {failed}")
            });
            let resumed = trial.warehouse.dump_without_synced();
            assert!(
                resumed == expected,
                "stopped after checkpoint {stop_after} of {checkpoints} and resumed, the tables \
                 differ from the uninterrupted sync's\n--- uninterrupted\n{expected}\n--- resumed\n{resumed}"
            );
        }
        run
    }

    /// One sync, stopped right after checkpoint `stop_after` when given; with whether it wrote
    /// anything after its last checkpoint.
    async fn run<C: Connector>(
        &mut self,
        configuration: serde_json::Value,
        stop_after: Option<usize>,
    ) -> (Result<SyncRun, SyncFailed>, bool) {
        let configuration = configuration_map(configuration);
        let sink = StopAfter {
            sink: MemorySink::new(std::mem::take(&mut self.warehouse)),
            checkpoints: 0,
            stop_after,
            tail: false,
        };
        let (sink, outcome) =
            driver::run::<C, _>(&configuration, self.state.as_deref(), sink).await;
        let tail = sink.tail;
        let sink = sink.sink;
        if let Some(last) = sink.states.last() {
            self.state = Some(last.clone());
        }
        let states = sink
            .states
            .iter()
            .map(|s| serde_json::from_str(s).expect("states are JSON"))
            .collect();
        let warnings = sink.warnings.clone();
        let task = sink.tasks.first().cloned();
        self.warehouse = sink.into_warehouse();
        let outcome = match outcome {
            Ok(report) => Ok(SyncRun {
                report,
                states,
                warnings,
                task,
            }),
            Err(error) => Err(SyncFailed {
                error,
                run: SyncRun {
                    states,
                    warnings,
                    task,
                    ..SyncRun::default()
                },
            }),
        };
        (outcome, tail)
    }

    /// A table by destination name (`schema.table` for a table in a schema).
    ///
    /// # Panics
    /// When there is no such table; the message lists the tables there are.
    pub fn table(&self, name: &str) -> &MemoryTable {
        self.warehouse.table(name).unwrap_or_else(|| {
            let names: Vec<String> = self
                .warehouse
                .tables()
                .iter()
                .map(MemoryTable::qualified_name)
                .collect();
            panic!("no table `{name}` at the destination; it has: {names:?}")
        })
    }

    /// The tables' names (`schema.table` for a table in a schema), in the order they were made.
    ///
    /// ```
    /// use connector_core::prelude::*;
    /// use connector_core::testing::Destination;
    ///
    /// #[table(schema = "crm")]
    /// pub struct Account {
    ///     #[primary_key]
    ///     pub id: i64,
    /// }
    ///
    /// #[sync(tables(Account))]
    /// async fn update(ops: &Operations) -> Result<()> {
    ///     ops.upsert(Account { id: 1 }).await
    /// }
    ///
    /// # #[connector_core::tokio::main(crate = "connector_core::tokio")]
    /// # async fn main() -> Result<()> {
    /// let mut destination = Destination::new();
    /// destination.sync::<update>(json!({})).await?;
    /// assert_eq!(destination.table_names(), ["crm.account"]);
    /// assert_eq!(destination.table("crm.account").primary_key(), ["id"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn table_names(&self) -> Vec<String> {
        self.warehouse
            .tables()
            .iter()
            .map(MemoryTable::qualified_name)
            .collect()
    }

    /// Every table.
    pub fn warehouse(&self) -> &MemoryWarehouse {
        &self.warehouse
    }

    /// The canonical text of the tables: exactly what `Warehouse::dump` prints for the local
    /// warehouse that `debug` leaves after the same syncs (docs/warehouse.md, "The canonical
    /// dump"), `_fivetran_synced` replaced by its rank.
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
    ///     ops.upsert(Event { id: 1 }).await
    /// }
    ///
    /// # #[connector_core::tokio::main(crate = "connector_core::tokio")]
    /// # async fn main() -> Result<()> {
    /// let mut destination = Destination::new();
    /// destination.sync::<update>(json!({})).await?;
    /// let dump = destination.dump();
    /// assert!(dump.starts_with("table tester.event\n"), "{dump}");
    /// assert!(dump.contains("_fivetran_deleted"), "{dump}");
    /// # Ok(())
    /// # }
    /// ```
    pub fn dump(&self) -> String {
        self.warehouse.dump()
    }

    /// The state the next sync starts from (`{}` before any checkpoint).
    pub fn state(&self) -> serde_json::Value {
        self.state.as_deref().map_or_else(
            || serde_json::json!({}),
            |s| serde_json::from_str(s).expect("states are JSON"),
        )
    }
}

/// The memory sink, stopped right after its `stop_after`-th checkpoint as a crash would stop it:
/// whatever comes after fails, so the driver drops everything after that checkpoint.
struct StopAfter {
    sink: MemorySink,
    checkpoints: usize,
    stop_after: Option<usize>,
    /// Whether a record was written after the last checkpoint.
    tail: bool,
}

impl StopAfter {
    fn running(&self) -> anyhow::Result<()> {
        match self.stop_after {
            Some(stop_after) if self.checkpoints >= stop_after => {
                anyhow::bail!("the test stopped the sync after checkpoint {stop_after}")
            }
            _ => Ok(()),
        }
    }
}

impl Sink for StopAfter {
    fn begin(&mut self, tables: &[TableRef]) -> anyhow::Result<()> {
        self.sink.begin(tables)
    }

    fn write(&mut self, record: Record) -> anyhow::Result<()> {
        self.running()?;
        self.tail = true;
        self.sink.write(record)
    }

    fn warning(&mut self, message: &str) -> anyhow::Result<()> {
        self.running()?;
        self.sink.warning(message)
    }

    fn task(&mut self, message: &str) -> anyhow::Result<()> {
        self.running()?;
        self.sink.task(message)
    }

    fn checkpoint(&mut self, state_json: &str) -> anyhow::Result<()> {
        self.running()?;
        self.sink.checkpoint(state_json)?;
        self.checkpoints += 1;
        self.tail = false;
        Ok(())
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        self.running()?;
        self.sink.finish()
    }

    fn abort(&mut self) {
        self.sink.abort();
    }
}

/// A configuration map from a JSON object, as Fivetran hands it over: strings as they are,
/// other values as their JSON text; `null` is the empty configuration.
///
/// ```
/// use connector_core::serde_json::json;
/// let map = connector_core::testing::configuration_map(json!({"api_key": "k", "page_size": 100}));
/// assert_eq!(map["page_size"], "100");
/// ```
///
/// # Panics
/// When `configuration` is neither an object nor null.
pub fn configuration_map(configuration: serde_json::Value) -> ConfigurationMap {
    configuration_from_json(configuration).unwrap_or_else(|why| panic!("{why}"))
}

/// Runs connector `C` `runs` times in two ways, each into a fresh local warehouse: as `debug`
/// runs it, and through `serve` (in-process, on a loopback port) read by `connector-tester`'s
/// code. Returns, per run, the two canonical warehouse dumps with the two state files appended:
/// a connector behaves the same in production as locally when each pair is equal.
///
/// ```
/// use connector_core::prelude::*;
/// use connector_core::testing::debug_and_served;
///
/// #[table]
/// pub struct Event {
///     #[primary_key]
///     pub id: i64,
/// }
///
/// #[sync(tables(Event))]
/// async fn update(ops: &Operations) -> Result<()> {
///     ops.upsert(Event { id: 1 }).await
/// }
///
/// # #[connector_core::tokio::main(crate = "connector_core::tokio")]
/// # async fn main() -> Result<()> {
/// for (debug, served) in debug_and_served::<update>(json!({}), 2).await? {
///     assert_eq!(debug, served);
/// }
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "local")]
pub async fn debug_and_served<C: Connector>(
    configuration: serde_json::Value,
    runs: usize,
) -> anyhow::Result<Vec<(String, String)>> {
    use crate::warehouse::Files;
    use anyhow::Context as _;

    let map = configuration_map(configuration);
    let local = tempfile::tempdir()?;
    let served = tempfile::tempdir()?;
    let (local_files, served_files) = (
        Files::new(local.path(), None),
        Files::new(served.path(), None),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let address = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::grpc::server::serve_on::<C>(
        vec![listener],
        crate::grpc::ServeOptions::default(),
        async move {
            let _ = stopped.await;
        },
    ));
    let mut client =
        crate::local::tester::connect(&address.to_string(), std::time::Duration::from_secs(5))
            .await?;
    let mut dumps = Vec::with_capacity(runs);
    for run in 1..=runs {
        let (sink, outcome) =
            crate::local::sync_into_warehouse::<C>(&map, &local_files, Naming::Fivetran, false)
                .await?;
        drop(sink);
        outcome.with_context(|| format!("run {run} as `debug`"))?;
        let (sink, outcome) = crate::local::tester::sync(
            &mut client,
            &map,
            None,
            &served_files,
            Naming::Fivetran,
            false,
        )
        .await?;
        drop(sink);
        outcome.with_context(|| format!("run {run} through `serve` and the tester"))?;
        dumps.push((
            dump_with_state(&local_files)?,
            dump_with_state(&served_files)?,
        ));
    }
    let _ = stop.send(());
    server.await??;
    Ok(dumps)
}

/// Asserts that `serve` read by `connector-tester` leaves the warehouse and state that `debug`
/// leaves, run after run (see [`debug_and_served`]).
///
/// # Panics
/// When a run fails or the two warehouses differ; the message shows both dumps.
#[cfg(feature = "local")]
pub async fn assert_served_like_debug<C: Connector>(configuration: serde_json::Value, runs: usize) {
    let dumps = debug_and_served::<C>(configuration, runs)
        .await
        .unwrap_or_else(|error| panic!("{error:#}"));
    for (run, (debug, served)) in (1..).zip(dumps) {
        assert!(
            debug == served,
            "run {run}: the served warehouse differs from debug's\n--- debug\n{debug}\n--- served\n{served}"
        );
    }
}

/// The canonical dump of the local warehouse of `files`, with its state file (empty when there
/// is none) appended: what two runs must agree on.
#[cfg(feature = "local")]
pub fn dump_with_state(files: &crate::warehouse::Files) -> anyhow::Result<String> {
    use crate::warehouse::Warehouse;
    let warehouse = Warehouse::open(&files.warehouse, Naming::Fivetran)?;
    let state = std::fs::read_to_string(&files.state).unwrap_or_default();
    Ok(format!("{}\nstate: {}\n", warehouse.dump()?, state.trim()))
}
