//! A failed sync leaves the warehouse exactly as it was at its last checkpoint and the state file
//! at that checkpoint's state: when the connector returns an error, when a spawned task panics,
//! and when the process is killed with SIGKILL at any moment.

mod crash_sweep;

use std::process::Command;

use connector_conformance::LocalRun;
use connector_core::__internal::local::{Files, Warehouse};
use connector_core::naming::Naming;
use connector_core::serde_json::{self, json};

mod connectors {
    use connector_core::prelude::*;

    /// The one table of the three connectors below, each declaring it for itself.
    #[table(name = "batches")]
    pub struct Batch {
        #[primary_key]
        pub id: i64,
        pub batch: i64,
    }

    /// Two checkpointed batches; `after` decides what happens to a third, unfinished one.
    macro_rules! two_batches_then {
        ($name:ident, $after:expr) => {
            #[sync(tables(Batch))]
            pub async fn $name(ops: &Operations) -> Result<()> {
                for batch in 0..2 {
                    for i in 0..500 {
                        ops.upsert(Batch { id: batch * 500 + i, batch }).await?;
                    }
                    ops.checkpoint(&json!({ "batches": batch + 1 })).await?;
                }
                for i in 0..300 {
                    ops.upsert(Batch { id: 1000 + i, batch: 2 }).await?;
                }
                ops.update(Batch::patch(0).batch(99)).await?;
                $after
            }
        };
    }

    two_batches_then!(stops_cleanly, Ok(()));
    two_batches_then!(returns_an_error, bail!("the source went away"));
    two_batches_then!(panics_in_a_task, {
        tokio::spawn(async { panic!("a bad page") }).await?;
        Ok(())
    });
}

/// The canonical dump of a run's warehouse.
fn dump(run: &LocalRun) -> String {
    let warehouse = Warehouse::open(&run.files().warehouse, Naming::Fivetran).unwrap();
    warehouse.dump().unwrap()
}

#[tokio::test]
async fn an_error_or_a_panic_rolls_back_to_the_last_checkpoint() {
    let clean = LocalRun::new();
    clean
        .sync::<connectors::stops_cleanly>(json!({}))
        .await
        .unwrap();
    // What the clean run committed after its second checkpoint: 300 more rows and one update.
    let clean_rows = clean.count("SELECT count(*) FROM tester.batches");
    assert_eq!(clean_rows, 1300);

    for (name, run) in [("error", LocalRun::new()), ("panic", LocalRun::new())] {
        let outcome = if name == "error" {
            run.sync::<connectors::returns_an_error>(json!({})).await
        } else {
            run.sync::<connectors::panics_in_a_task>(json!({})).await
        };
        let error = outcome.unwrap_err().to_string();
        assert!(
            error.contains(if name == "error" {
                "the source went away"
            } else {
                "a bad page"
            }),
            "{error}"
        );
        assert_eq!(run.state(), Some(json!({"batches": 2})), "{name}");
        assert_eq!(
            run.count("SELECT count(*) FROM tester.batches"),
            1000,
            "{name}"
        );
        assert_eq!(
            run.count("SELECT count(*) FROM tester.batches WHERE batch = 99"),
            0,
            "{name}"
        );
        let dump = dump(&run);
        assert_eq!(
            dump.lines().filter(|l| l.starts_with("  | ")).count(),
            1000,
            "{name}"
        );
    }
}

/// Rows in the warehouse and batches in the state file after a kill.
fn observe(files: &Files) -> (i64, Option<u32>, Option<(String, String)>) {
    let state = std::fs::read_to_string(&files.state).ok().map(|text| {
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["batches"]
            .as_u64()
            .unwrap() as u32
    });
    let warehouse = Warehouse::open(&files.warehouse, Naming::Fivetran).unwrap();
    let rows: i64 = warehouse
        .connection()
        .query_row(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'tester'",
            [],
            |r| r.get(0),
        )
        .and_then(|tables: i64| {
            if tables == 0 {
                Ok(0)
            } else {
                warehouse
                    .connection()
                    .query_row("SELECT count(*) FROM tester.rows", [], |r| r.get(0))
            }
        })
        .unwrap();
    (rows, state, warehouse.unwritten_state().unwrap())
}

#[test]
fn a_process_killed_at_any_moment_leaves_the_last_checkpoint_and_resumes_from_it() {
    let binary = env!("CARGO_BIN_EXE_kill_target");
    // The kills fall at fractions of an uninterrupted run's length, measured first, so that
    // they land inside the run however fast the build and the machine are.
    let timed = LocalRun::new();
    let started = std::time::Instant::now();
    let status = Command::new(binary)
        .args(["debug", "--files", timed.path().to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "an uninterrupted run succeeds");
    let whole = started.elapsed();
    let mut killed_mid_run = 0;
    for fraction in [0.02, 0.2, 0.4, 0.6, 0.8] {
        let delay_ms = whole.mul_f64(fraction).as_millis();
        let run = LocalRun::new();
        let files = run.files();
        let mut child = Command::new(binary)
            .args(["debug", "--files", run.path().to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(whole.mul_f64(fraction));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let (rows, state, committed) = observe(&files);
        let batches = i64::from(state.unwrap_or(0));
        // Either the state file names the last committed checkpoint, or the kill fell between the
        // commit and the rewrite of the state file, and the warehouse records the checkpoint that
        // the next run brings the file forward to.
        let consistent = match &committed {
            None => rows == batches * 1000,
            Some((_, current)) => {
                let current: serde_json::Value = serde_json::from_str(current).unwrap();
                rows == current["batches"].as_i64().unwrap() * 1000
            }
        };
        assert!(
            consistent,
            "killed after {delay_ms} ms: {rows} rows, state {state:?}, warehouse record {committed:?}"
        );
        if rows > 0 && rows < 200_000 {
            killed_mid_run += 1;
        }

        let status = Command::new(binary)
            .args(["debug", "--files", run.path().to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(
            status.success(),
            "the run after a kill at {delay_ms} ms succeeds"
        );
        let (rows, state, _) = observe(&files);
        assert_eq!(
            (rows, state),
            (200_000, Some(200)),
            "after a kill at {delay_ms} ms and a second run"
        );
    }
    assert!(
        killed_mid_run >= 2,
        "only {killed_mid_run} kills landed between two checkpoints"
    );
}

mod resumable {
    use connector_core::prelude::*;

    #[table(name = "counter")]
    pub struct Tick {
        #[primary_key]
        pub n: i64,
    }

    #[state]
    #[derive(Default)]
    pub struct Count {
        pub n: i64,
    }

    /// Two ticks a run, each checkpointed.
    #[sync(tables(Tick))]
    pub async fn update(ops: &Operations, state: &mut Count) -> Result<()> {
        for _ in 0..2 {
            state.n += 1;
            ops.upsert(Tick { n: state.n }).await?;
            ops.checkpoint(state).await?;
        }
        Ok(())
    }
}

/// One tick, checkpointed, then a failure.
mod fails_after_a_checkpoint {
    use connector_core::prelude::*;

    use super::resumable::Count;

    /// `resumable`'s table (a table belongs to one `#[sync]` of a crate, so it is declared again).
    #[table(name = "counter")]
    pub struct Tock {
        #[primary_key]
        pub n: i64,
    }

    #[sync(tables(Tock))]
    pub async fn update(ops: &Operations, state: &mut Count) -> Result<()> {
        state.n += 1;
        ops.upsert(Tock { n: state.n }).await?;
        ops.checkpoint(state).await?;
        bail!("the source went away")
    }
}

#[tokio::test]
async fn a_state_file_deleted_after_a_failed_run_is_respected() {
    let run = LocalRun::new();
    assert!(
        run.sync::<fails_after_a_checkpoint::update>(json!({}))
            .await
            .is_err()
    );
    assert_eq!(run.state(), Some(json!({"n": 1})));
    // The user starts over: the next run begins from `{}`, not from the warehouse's record.
    std::fs::remove_file(run.files().state).unwrap();
    run.sync::<resumable::update>(json!({})).await.unwrap();
    assert_eq!(run.state(), Some(json!({"n": 2})));
}

#[tokio::test]
async fn a_state_file_left_behind_by_a_kill_is_brought_forward_but_a_deleted_one_is_respected() {
    let run = LocalRun::new();
    run.sync::<resumable::update>(json!({})).await.unwrap();
    assert_eq!(run.state(), Some(json!({"n": 2})));

    // What a kill between the commit of checkpoint 2 and the rewrite of the file leaves.
    std::fs::write(run.files().state, r#"{"n":1}"#).unwrap();
    let warehouse = Warehouse::open(&run.files().warehouse, Naming::Fivetran).unwrap();
    warehouse
        .connection()
        .execute_batch("UPDATE __connector.checkpoint SET state_file_written = false")
        .unwrap();
    drop(warehouse);
    run.sync::<resumable::update>(json!({})).await.unwrap();
    assert_eq!(
        run.state(),
        Some(json!({"n": 4})),
        "resumed from checkpoint 2, not 1"
    );
    assert_eq!(run.count("SELECT count(*) FROM tester.counter"), 4);

    // A user who deletes the state file after a complete run starts over.
    std::fs::remove_file(run.files().state).unwrap();
    run.sync::<resumable::update>(json!({})).await.unwrap();
    assert_eq!(run.state(), Some(json!({"n": 2})));
}
