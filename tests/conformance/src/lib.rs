//! Helpers of the conformance suite: run a connector into a fresh local warehouse (as `debug`
//! does, in-process), dump the warehouse canonically, and compare it with the dump written by
//! hand under `expected/`.

use std::path::{Path, PathBuf};

use connector_core::__internal::local::sync_into_warehouse;
use connector_core::__internal::local::{Files, Warehouse};
use connector_core::Connector;
use connector_core::naming::Naming;
use connector_core::testing::configuration_map;
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

/// Compares a dump with the expected one, line by line, so a failure shows the lines that differ.
pub fn assert_dump(case: &str, actual: &str) {
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
            "the warehouse of `{case}` differs from expected/{case}.txt\n{report}\n--- actual ---\n{actual}\n--- expected ---\n{expected}"
        );
    }
}

pub use connector_core::serde_json;
