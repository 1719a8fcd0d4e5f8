//! Helpers of the conformance suite: run a connector into a fresh local warehouse (as `debug`
//! does, in-process) and into the in-memory destination of `connector_core::testing` (what a
//! user's `cargo test` runs on), dump both canonically, and compare each with the one dump
//! written by hand under `expected/` from the contract in docs/warehouse.md.

pub mod crash_target;

use std::path::{Path, PathBuf};
use std::time::Duration;

use connector_core::__internal::grpc::{ServeOptions, serve_on};
use connector_core::__internal::local::sync_into_warehouse;
use connector_core::__internal::local::{Files, Warehouse};
use connector_core::__internal::tester;
use connector_core::Connector;
use connector_core::naming::Naming;
use connector_core::testing::{Destination, configuration_map};
use connector_core::{SyncError, SyncReport};
use connector_core::{anyhow, tokio};

/// A local run's folder (like `files/`), removed when dropped.
#[derive(Debug)]
pub struct LocalRun {
    dir: tempfile::TempDir,
}

impl LocalRun {
    pub fn new() -> LocalRun {
        LocalRun {
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }

    pub fn files(&self) -> Files {
        Files::new(self.dir.path(), None)
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// One sync of `C` with Fivetran naming, as `debug` runs it.
    pub async fn sync<C: Connector>(
        &self,
        configuration: serde_json::Value,
    ) -> Result<SyncReport, SyncError> {
        self.sync_named::<C>(configuration, Naming::Fivetran).await
    }

    pub async fn sync_named<C: Connector>(
        &self,
        configuration: serde_json::Value,
        naming: Naming,
    ) -> Result<SyncReport, SyncError> {
        let (_, outcome) = sync_into_warehouse::<C>(
            &configuration_map(configuration),
            &self.files(),
            naming,
            false,
        )
        .await
        .expect("the warehouse opens");
        outcome
    }

    /// The canonical dump of the warehouse.
    pub fn dump(&self) -> String {
        Warehouse::open(&self.files().warehouse, Naming::Fivetran)
            .and_then(|w| w.dump())
            .expect("the warehouse dumps")
    }

    /// The state file's JSON, or `None` when there is none.
    /// The one integer that `sql` selects from the warehouse.
    pub fn count(&self, sql: &str) -> i64 {
        let warehouse = Warehouse::open(&self.files().warehouse, Naming::Fivetran)
            .expect("the warehouse opens");
        warehouse
            .connection()
            .query_row(sql, [], |row| row.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub fn state(&self) -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(self.files().state).ok()?;
        Some(serde_json::from_str(&text).expect("the state file is JSON"))
    }
}

impl Default for LocalRun {
    fn default() -> LocalRun {
        LocalRun::new()
    }
}

/// A golden case's connector run both ways with the same naming: into a fresh local warehouse
/// as `debug` runs it, and into a fresh in-memory destination as a user's test runs it.
#[derive(Debug)]
pub struct Golden {
    pub local: LocalRun,
    pub memory: Destination,
    naming: Naming,
}

impl Golden {
    /// Both destinations, empty, with Fivetran naming.
    pub fn new() -> Golden {
        Golden::named(Naming::Fivetran)
    }

    /// Both destinations, empty, naming tables and columns by `naming`.
    pub fn named(naming: Naming) -> Golden {
        Golden {
            local: LocalRun::new(),
            memory: Destination::with_naming(naming),
            naming,
        }
    }

    /// One sync of `C` into each destination; both must succeed with the same report.
    ///
    /// # Panics
    /// When either sync fails or their reports differ.
    pub async fn sync<C: Connector>(&mut self, configuration: serde_json::Value) -> SyncReport {
        let local = self
            .local
            .sync_named::<C>(configuration.clone(), self.naming)
            .await
            .unwrap_or_else(|error| panic!("the sync as `debug` failed: {error}"));
        let memory = self
            .memory
            .sync::<C>(configuration)
            .await
            .unwrap_or_else(|error| panic!("the sync into the memory destination failed: {error}"))
            .report;
        assert_eq!(local, memory, "the two syncs report different operations");
        local
    }

    /// Compares both destinations with `expected/<case>.txt`.
    pub fn assert_dump(&self, case: &str) {
        assert_dump_of("the warehouse", case, &self.local.dump());
        assert_dump_of("the memory destination", case, &self.memory.dump());
    }

    /// The state the next sync starts from, the same in both (`None` before any checkpoint).
    pub fn state(&self) -> Option<serde_json::Value> {
        let local = self.local.state();
        let memory = self.memory.state();
        assert_eq!(
            local.clone().unwrap_or_else(|| serde_json::json!({})),
            memory,
            "the state file and the memory destination's state differ"
        );
        local
    }
}

impl Default for Golden {
    fn default() -> Golden {
        Golden::new()
    }
}

/// What one connector's sync gives in each mode: `Ok` with the canonical dump of the
/// destination, or `Err` with the failure's message.
#[derive(Debug)]
pub struct Verdicts {
    /// The in-memory destination of a user's `cargo test`.
    pub memory: Result<String, String>,
    /// The local warehouse, as `debug` runs it.
    pub debug: Result<String, String>,
    /// `serve` in-process, read into a local warehouse by `connector-tester`'s client.
    pub served: Result<String, String>,
    /// What each mode left, in the order of [`Verdicts::modes`], whether its sync succeeded or
    /// failed: the canonical dump of its destination with its state appended.
    pub left: [String; 3],
}

impl Verdicts {
    /// One sync of `C` in each mode, each from an empty destination.
    pub async fn of<C: Connector>(configuration: serde_json::Value) -> Verdicts {
        let mut destination = Destination::new();
        let memory = match destination.sync::<C>(configuration.clone()).await {
            Ok(_) => Ok(destination.dump()),
            Err(failed) => Err(failed.error.to_string()),
        };
        let local = LocalRun::new();
        let debug = match local.sync::<C>(configuration.clone()).await {
            Ok(_) => Ok(local.dump()),
            Err(error) => Err(error.to_string()),
        };
        let served_run = LocalRun::new();
        let outcome =
            served_sync::<C>(&configuration_map(configuration), &served_run.files()).await;
        let served = match outcome {
            Ok(()) => Ok(served_run.dump()),
            Err(error) => Err(format!("{error:#}")),
        };
        let with_state = |dump: String, state: Option<serde_json::Value>| {
            format!(
                "{dump}\nstate: {}\n",
                state.unwrap_or_else(|| serde_json::json!({}))
            )
        };
        let left = [
            with_state(destination.dump(), Some(destination.state())),
            with_state(local.dump(), local.state()),
            with_state(served_run.dump(), served_run.state()),
        ];
        Verdicts {
            memory,
            debug,
            served,
            left,
        }
    }

    /// Asserts that every mode left `expected` (a dump with its state, as in
    /// [`Verdicts::left`]): after a failure, the destination and the state of the last
    /// checkpoint.
    ///
    /// # Panics
    /// When a mode left something else.
    pub fn assert_all_left(&self, expected: &str) {
        for ((mode, _), left) in self.modes().into_iter().zip(&self.left) {
            assert_eq!(left, expected, "what {mode} left");
        }
    }

    /// Asserts that every mode failed with a message that contains `message`.
    ///
    /// # Panics
    /// When a mode succeeded or said something else.
    pub fn assert_all_fail_with(&self, message: &str) {
        for (mode, verdict) in self.modes() {
            match verdict {
                Ok(dump) => {
                    panic!("{mode} succeeded where it should fail with `{message}`:\n{dump}")
                }
                Err(said) => assert!(
                    said.contains(message),
                    "{mode} failed with\n  {said}\ninstead of\n  {message}"
                ),
            }
        }
    }

    /// Asserts that every mode succeeded with the same destination, and returns its dump.
    ///
    /// # Panics
    /// When a mode failed or two destinations differ.
    pub fn assert_all_succeed(&self) -> String {
        let dumps: Vec<(&str, &String)> = self
            .modes()
            .into_iter()
            .map(|(mode, verdict)| match verdict {
                Ok(dump) => (mode, dump),
                Err(said) => panic!("{mode} failed: {said}"),
            })
            .collect();
        for (mode, dump) in &dumps[1..] {
            assert_eq!(*dump, dumps[0].1, "{mode} differs from {}", dumps[0].0);
        }
        dumps[0].1.clone()
    }

    fn modes(&self) -> [(&'static str, &Result<String, String>); 3] {
        [
            ("the memory destination", &self.memory),
            ("`debug`", &self.debug),
            ("`serve` read by the tester", &self.served),
        ]
    }
}

/// One sync of `C` through an in-process `serve`, read by the tester's client into the local
/// warehouse of `files`.
async fn served_sync<C: Connector>(
    configuration: &connector_core::ConfigurationMap,
    files: &Files,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let address = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_on::<C>(
        vec![listener],
        ServeOptions::default(),
        async move {
            let _ = stopped.await;
        },
    ));
    let mut client = tester::connect(&address.to_string(), Duration::from_secs(5)).await?;
    let outcome = tester::sync(
        &mut client,
        configuration,
        None,
        files,
        Naming::Fivetran,
        false,
    )
    .await;
    let _ = stop.send(());
    server.await??;
    let (_, outcome) = outcome?;
    outcome?;
    Ok(())
}

/// The hand-written dump of a case.
pub fn expected(case: &str) -> String {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "expected",
        &format!("{case}.txt"),
    ]
    .iter()
    .collect();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Compares a warehouse's dump with the expected one, line by line, so a failure shows the
/// lines that differ.
pub fn assert_dump(case: &str, actual: &str) {
    assert_dump_of("the warehouse", case, actual);
}

/// Compares the dump of `destination` with the expected one, line by line.
pub fn assert_dump_of(destination: &str, case: &str, actual: &str) {
    let expected = expected(case);
    if expected != actual {
        let mut report = String::new();
        for (line, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
            if e != a {
                report.push_str(&format!(
                    "line {}:\n  expected: {e}\n  actual:   {a}\n",
                    line + 1
                ));
            }
        }
        panic!(
            "{destination} of `{case}` differs from expected/{case}.txt\n{report}\n--- actual ---\n{actual}\n--- expected ---\n{expected}"
        );
    }
}

pub use connector_core::serde_json;
