//! Helpers of the conformance suite: run a connector into a fresh local warehouse (as `debug`
//! does, in-process) and into the in-memory destination of `connector_core::testing` (what a
//! user's `cargo test` runs on), dump both canonically, and compare each with the one dump
//! written by hand under `expected/` from the contract in docs/warehouse.md.

use std::path::{Path, PathBuf};

use connector_core::__internal::local::sync_into_warehouse;
use connector_core::__internal::local::{Files, Warehouse};
use connector_core::Connector;
use connector_core::naming::Naming;
use connector_core::testing::{Destination, configuration_map};
use connector_core::{SyncError, SyncReport};

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
