//! The driver and `Operations` as a sync sees them: order across tasks, checkpoints that cover
//! every clone, failures that roll back to the last checkpoint, panics, bad input, backpressure.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use connector_core::__internal::Sink;
use connector_core::__internal::{Record, run_sync};
use connector_core::ConfigurationMap;
use connector_core::SyncError;
use connector_core::prelude::*;
use connector_core::testing::Destination;

/// The one table of these syncs: every sync below declares it, each for itself.
#[table(name = "event")]
pub struct Event {
    #[primary_key]
    pub id: i64,
    pub source: String,
}

#[state]
#[derive(Debug, Default, Clone)]
pub struct Progress {
    pub round: u32,
}

const TASKS: i64 = 4;
const PER_TASK: i64 = 3_000;

/// Four tasks emit at once; the sync checkpoints after each of two rounds.
#[sync(tables(Event))]
async fn parallel(ops: &Operations, state: &mut Progress) -> Result<()> {
    for round in 0..2 {
        let tasks: Vec<_> = (0..TASKS)
            .map(|task| {
                let ops = ops.clone();
                tokio::spawn(async move {
                    for i in 0..PER_TASK {
                        let id = round * TASKS * PER_TASK + task * PER_TASK + i;
                        ops.upsert(Event {
                            id,
                            source: format!("task {task}"),
                        })
                        .await?;
                    }
                    Ok::<_, connector_core::Error>(())
                })
            })
            .collect();
        for task in tasks {
            task.await??;
        }
        state.round += 1;
        ops.checkpoint(state).await?;
    }
    Ok(())
}

#[tokio::test]
async fn tasks_emitting_at_once_all_land_and_checkpoints_follow_in_order() {
    let mut destination = Destination::new();
    let run = destination.sync::<parallel>(json!({})).await.unwrap();
    let total = (2 * TASKS * PER_TASK) as u64;
    assert_eq!(run.report.total().upserts, total);
    assert_eq!(run.report.checkpoints, 2);
    assert_eq!(run.states, vec![json!({"round": 1}), json!({"round": 2})]);
    let table = destination.table("event");
    assert_eq!(table.len() as u64, total);
    let mut ids: Vec<i64> = table
        .column("id")
        .into_iter()
        .map(|v| match v {
            Value::Long(id) => id,
            other => panic!("id is {other:?}"),
        })
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..total as i64).collect::<Vec<_>>());
}

/// Task A writes key 1, then hands over to task B, which writes key 1 again; the sync then fails
/// after a checkpoint taken by the parent, and writes more that must not survive.
#[sync(tables(Event))]
async fn handover_then_fail(ops: &Operations, state: &mut Progress) -> Result<()> {
    let (handover, received) = tokio::sync::oneshot::channel();
    let a = ops.clone();
    let first = tokio::spawn(async move {
        a.upsert(Event {
            id: 1,
            source: "a".into(),
        })
        .await?;
        handover.send(()).ok();
        Ok::<_, connector_core::Error>(())
    });
    let b = ops.clone();
    let second = tokio::spawn(async move {
        received.await?;
        b.upsert(Event {
            id: 1,
            source: "b".into(),
        })
        .await?;
        Ok::<_, connector_core::Error>(())
    });
    first.await??;
    second.await??;
    state.round = 1;
    ops.checkpoint(state).await?;
    ops.upsert(Event {
        id: 2,
        source: "after the checkpoint".into(),
    })
    .await?;
    ops.update(Event::patch(1).source("after the checkpoint"))
        .await?;
    bail!("the source went away")
}

#[tokio::test]
async fn a_failed_sync_keeps_exactly_what_was_checkpointed_in_emission_order() {
    let mut destination = Destination::new();
    let failed = destination
        .sync::<handover_then_fail>(json!({}))
        .await
        .unwrap_err();
    assert!(matches!(failed.error, SyncError::Connector(_)));
    assert!(
        failed.to_string().contains("the source went away"),
        "{failed}"
    );
    assert_eq!(failed.run.states, vec![json!({"round": 1})]);
    assert_eq!(destination.state(), json!({"round": 1}));
    let rows = destination.table("event").live_rows();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].get("source"), Some(&Value::from("b")));
}

/// A helper shared by the syncs that declare `Event`: it names no connector.
async fn emit_event<C>(ops: &Operations<C>, id: i64, source: &str) -> Result<()>
where
    Event: Declared<C>,
{
    ops.upsert(Event {
        id,
        source: source.into(),
    })
    .await
}

#[sync(tables(Event))]
async fn panics_in_a_task(ops: &Operations) -> Result<()> {
    emit_event(ops, 1, "x").await?;
    ops.checkpoint(&json!({"step": 1})).await?;
    let task = tokio::spawn(async { panic!("bad row in the source") });
    task.await?;
    Ok(())
}

#[sync(tables(Event))]
async fn panics_itself(ops: &Operations) -> Result<()> {
    emit_event(ops, 1, "x").await?;
    panic!("unexpected page shape")
}

#[tokio::test]
async fn panics_fail_the_sync_and_keep_the_last_checkpoint() {
    let mut destination = Destination::new();
    let failed = destination
        .sync::<panics_in_a_task>(json!({}))
        .await
        .unwrap_err();
    assert!(failed.to_string().contains("panic"), "{failed}");
    assert_eq!(destination.table("event").live_rows().len(), 1);
    assert_eq!(destination.state(), json!({"step": 1}));

    let mut destination = Destination::new();
    let failed = destination
        .sync::<panics_itself>(json!({}))
        .await
        .unwrap_err();
    assert!(
        failed
            .to_string()
            .contains("the sync panicked: unexpected page shape"),
        "{failed}"
    );
    assert!(
        destination
            .warehouse()
            .table("event")
            .is_none_or(|t| t.is_empty())
    );
    assert_eq!(destination.state(), json!({}));
}

#[sync(tables(Event))]
async fn counts_rounds(ops: &Operations, state: &mut Progress) -> Result<()> {
    state.round += 1;
    ops.warning(format!("round {}", state.round)).await?;
    ops.checkpoint(state).await?;
    Ok(())
}

#[tokio::test]
async fn the_state_must_be_a_json_object_of_the_state_type() {
    let mut destination = Destination::with_state(json!([1, 2]));
    let failed = destination
        .sync::<counts_rounds>(json!({}))
        .await
        .unwrap_err();
    assert_eq!(
        failed.to_string(),
        "invalid state: the state must be a JSON object"
    );

    let mut destination = Destination::with_state(json!({"round": "three"}));
    let failed = destination
        .sync::<counts_rounds>(json!({}))
        .await
        .unwrap_err();
    assert!(matches!(failed.error, SyncError::State(_)), "{failed}");

    let mut destination = Destination::with_state(json!({"round": 3}));
    let run = destination.sync::<counts_rounds>(json!({})).await.unwrap();
    assert_eq!(run.warnings, vec!["round 4".to_string()]);
    assert_eq!(destination.state(), json!({"round": 4}));
}

#[sync(tables(Event))]
async fn checkpoints_a_list(ops: &Operations) -> Result<()> {
    ops.checkpoint(&vec![1, 2]).await?;
    Ok(())
}

#[tokio::test]
async fn a_checkpointed_state_must_be_an_object() {
    let failed = Destination::new()
        .sync::<checkpoints_a_list>(json!({}))
        .await
        .unwrap_err();
    assert!(
        failed
            .to_string()
            .contains("must serialize to a JSON object"),
        "{failed}"
    );
}

static EMITTED: AtomicUsize = AtomicUsize::new(0);

#[sync(tables(Event))]
async fn floods(ops: &Operations) -> Result<()> {
    for id in 0..100_000 {
        ops.upsert(Event {
            id,
            source: "flood".into(),
        })
        .await?;
        EMITTED.fetch_add(1, Ordering::SeqCst);
    }
    Ok(())
}

/// A sink that holds its first write until the test lets it go, then counts.
struct GatedSink {
    gate: Arc<Barrier>,
    opened: bool,
    written: usize,
}

impl Sink for GatedSink {
    fn write(&mut self, _: Record) -> Result<()> {
        if !self.opened {
            self.gate.wait();
            self.opened = true;
        }
        self.written += 1;
        Ok(())
    }
    fn task(&mut self, _: &str) -> Result<()> {
        Ok(())
    }
    fn checkpoint(&mut self, _: &str) -> Result<()> {
        Ok(())
    }
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
    fn abort(&mut self) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_destination_stops_the_source_within_a_bounded_number_of_rows() {
    let gate = Arc::new(Barrier::new(2));
    let sink = GatedSink {
        gate: gate.clone(),
        opened: false,
        written: 0,
    };
    let run =
        tokio::spawn(
            async move { run_sync::<floods, _>(&ConfigurationMap::new(), None, sink).await },
        );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let emitted_while_stalled = EMITTED.load(Ordering::SeqCst);
    // 16 batches of 1024 in the channel, one batch being written, one filling up.
    assert!(
        emitted_while_stalled <= 18 * 1024,
        "{emitted_while_stalled} rows queued behind a stalled sink"
    );
    assert!(emitted_while_stalled > 0);
    tokio::task::spawn_blocking(move || gate.wait())
        .await
        .unwrap();
    let (sink, outcome) = run.await.unwrap();
    assert_eq!(outcome.unwrap().total().upserts, 100_000);
    assert_eq!(sink.written, 100_000);
}

#[table(name = "accounts")]
pub struct Account {
    #[primary_key]
    pub id: i64,
}

/// Syncs one account, checkpoints, sends a second, then stops with a task for the user.
#[sync(tables(Account))]
async fn stops_with_a_task(ops: &Operations) -> Result<()> {
    ops.upsert(Account { id: 1 }).await?;
    ops.checkpoint(&json!({"step": 1})).await?;
    ops.upsert(Account { id: 2 }).await?;
    Err(ops.task("the API key expired: create a new one").await)
}

#[tokio::test]
async fn a_task_stops_the_sync_at_the_last_checkpoint_and_reaches_the_user() {
    let mut destination = Destination::new();
    let failed = destination
        .sync::<stops_with_a_task>(json!({}))
        .await
        .unwrap_err();
    assert_eq!(
        failed.run.task.as_deref(),
        Some("the API key expired: create a new one")
    );
    assert!(
        failed
            .error
            .to_string()
            .contains("the sync stopped with a task for the user: the API key expired"),
        "{}",
        failed.error
    );
    // The row after the last checkpoint is not kept.
    assert_eq!(destination.table("accounts").rows().len(), 1);
    assert_eq!(destination.state(), json!({"step": 1}));
}

#[sync(tables(Event))]
async fn checkpoints_every_row(ops: &Operations) -> Result<()> {
    for id in 0.. {
        ops.upsert(Event {
            id,
            source: "row".into(),
        })
        .await?;
        ops.checkpoint(&json!({ "id": id })).await?;
    }
    Ok(())
}

/// A sink that refuses its `n`th write, as a warehouse refuses a value.
struct RefusingSink {
    writes_left: usize,
}

impl Sink for RefusingSink {
    fn write(&mut self, _: Record) -> Result<()> {
        ensure!(self.writes_left > 0, "the destination refused a value");
        self.writes_left -= 1;
        Ok(())
    }
    fn task(&mut self, _: &str) -> Result<()> {
        Ok(())
    }
    fn checkpoint(&mut self, _: &str) -> Result<()> {
        Ok(())
    }
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
    fn abort(&mut self) {}
}

/// A sink that stops while the sync is sending ends the sync with the sink's error, every time:
/// a checkpoint sent as the sink stopped is answered (with an error), never left waiting.
#[test]
fn a_sink_that_stops_while_the_sync_sends_never_leaves_a_checkpoint_waiting() {
    // The sink stops after a varying number of rows, so that its stop meets the sync's sends
    // at many different moments.
    for attempt in 0..500 {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sink = RefusingSink {
            writes_left: attempt % 50,
        };
        let outcome = runtime.block_on(async {
            tokio::time::timeout(
                Duration::from_secs(10),
                run_sync::<checkpoints_every_row, _>(&ConfigurationMap::new(), None, sink),
            )
            .await
        });
        let Ok((_, outcome)) = outcome else {
            panic!("attempt {attempt}: the sync never ended");
        };
        assert!(
            matches!(outcome, Err(SyncError::Sink(_))),
            "attempt {attempt}: {outcome:?}"
        );
    }
}

/// Saves each page's cursor *before* it emits the page: a crash right after a checkpoint loses
/// the page, and the next sync starts past it.
#[sync(tables(Event))]
async fn cursor_ahead_of_its_rows(ops: &Operations, state: &mut Progress) -> Result<()> {
    while state.round < 3 {
        let page = i64::from(state.round);
        state.round += 1;
        ops.checkpoint(state).await?;
        for id in page * 10..page * 10 + 10 {
            ops.upsert(Event {
                id,
                source: "page".into(),
            })
            .await?;
        }
    }
    Ok(())
}

#[tokio::test]
#[should_panic(expected = "stopped after checkpoint 1 of 3 and resumed, the tables differ")]
async fn a_checkpoint_ahead_of_its_rows_fails_the_resumability_check() {
    Destination::new()
        .assert_resumable::<cursor_ahead_of_its_rows>(json!({}))
        .await;
}

/// The same pages, each cursor saved after its rows.
#[sync(tables(Event))]
async fn cursor_after_its_rows(ops: &Operations, state: &mut Progress) -> Result<()> {
    while state.round < 3 {
        let page = i64::from(state.round);
        for id in page * 10..page * 10 + 10 {
            ops.upsert(Event {
                id,
                source: "page".into(),
            })
            .await?;
        }
        state.round += 1;
        ops.checkpoint(state).await?;
    }
    Ok(())
}

#[tokio::test]
async fn a_checkpoint_after_its_rows_passes_the_resumability_check() {
    let mut destination = Destination::new();
    let run = destination
        .assert_resumable::<cursor_after_its_rows>(json!({}))
        .await;
    assert_eq!(run.states.len(), 3);
    assert_eq!(destination.table("event").live_rows().len(), 30);
}

/// Checkpoints returned by `two_windows`, in order.
static WINDOWS_RETURNED: AtomicUsize = AtomicUsize::new(0);

#[sync(tables(Event))]
async fn two_windows(ops: &Operations) -> Result<()> {
    for window in 1..=2 {
        ops.upsert(Event {
            id: window,
            source: "window".into(),
        })
        .await?;
        ops.checkpoint(&json!({ "window": window })).await?;
        WINDOWS_RETURNED.fetch_add(1, Ordering::SeqCst);
    }
    Ok(())
}

/// A sink whose commits wait until the test releases them one by one (or fail, when the test
/// says so), recording what it made durable.
struct SlowCommits {
    release: std::sync::mpsc::Receiver<bool>,
    durable: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Sink for SlowCommits {
    fn write(&mut self, _: Record) -> Result<()> {
        Ok(())
    }
    fn task(&mut self, _: &str) -> Result<()> {
        Ok(())
    }
    fn checkpoint(&mut self, state_json: &str) -> Result<()> {
        ensure!(self.release.recv()?, "the disk is full");
        self.durable.lock().unwrap().push(state_json.to_string());
        Ok(())
    }
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
    fn abort(&mut self) {}
}

/// Waits (up to 30 s) until `condition` holds.
async fn eventually(condition: impl Fn() -> bool) {
    for _ in 0..3000 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the condition never held");
}

/// One window in flight: a checkpoint returns while the destination still commits it, and the
/// next checkpoint waits until that commit is durable; a commit that fails fails the sync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_returns_once_the_one_before_it_is_durable() {
    let (release, released) = std::sync::mpsc::channel();
    let durable = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = SlowCommits {
        release: released,
        durable: durable.clone(),
    };
    let run = tokio::spawn(async move {
        run_sync::<two_windows, _>(&ConfigurationMap::new(), None, sink).await
    });
    // The first checkpoint returns though its commit has not happened yet...
    eventually(|| WINDOWS_RETURNED.load(Ordering::SeqCst) == 1).await;
    assert!(durable.lock().unwrap().is_empty());
    // ...and the second waits for the first to be durable.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(WINDOWS_RETURNED.load(Ordering::SeqCst), 1);
    release.send(true).unwrap();
    eventually(|| WINDOWS_RETURNED.load(Ordering::SeqCst) == 2).await;
    assert_eq!(*durable.lock().unwrap(), [r#"{"window":1}"#]);
    // The sync does not end before its last checkpoint is durable; this one fails.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!run.is_finished());
    release.send(false).unwrap();
    let (_, outcome) = run.await.unwrap();
    let error = outcome.unwrap_err();
    assert!(matches!(error, SyncError::Sink(_)), "{error}");
    assert!(error.to_string().contains("the disk is full"), "{error}");
    assert_eq!(*durable.lock().unwrap(), [r#"{"window":1}"#]);
}
