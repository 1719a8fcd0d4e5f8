//! The crash sweep: `debug`, and `serve` read by `connector-tester`, killed with SIGKILL at many
//! moments of a sync of several windows (the `crash_target` connector). After each kill the
//! warehouse must equal the warehouse at one of the sync's checkpoints, the state file must
//! name that checkpoint (or the one before it, with the warehouse's record of the newer one,
//! which the next run brings the file forward from), and a second run must end with the
//! warehouse of a run that was never killed.
//!
//! The moments are drawn from a seed that is printed (`CONNECTOR_CRASH_SEED` sets it, to repeat
//! a sweep): half at random times (a window drawn at random, then a moment within it), half at
//! the crash points compiled into the fixture binaries (connector-core's `crash-points`
//! feature): inside the merge, during a schema change, just before and inside the COMMIT,
//! between the COMMIT and the state file's rename, around the rename. A kill at a point must
//! leave exactly what that point implies (a kill just after the COMMIT of checkpoint `h`: the
//! warehouse at `h`, the state file at `h - 1`).
//!
//! `CONNECTOR_CRASH_KILLS` (default 24, every crash point at least once) and
//! `CONNECTOR_CRASH_SERVED_KILLS` (default 6 per side) set how many kills; each costs two runs
//! of an unoptimized DuckDB, about 2.5 s of CPU. docs/reliability.md ("Crash sweep") records
//! the figures of larger sweeps.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use connector_conformance::crash_target;
use connector_core::__internal::local::Warehouse;
use connector_core::naming::Naming;
use connector_core::serde_json::{self, Value, json};
use connector_core::testing::Destination;
use connector_core::tokio;

const TARGET: &str = env!("CARGO_BIN_EXE_crash_target");
const TESTER: &str = env!("CARGO_BIN_EXE_crash_tester");
/// Checkpointed windows of the sweep's sync (the connector's default).
const WINDOWS: usize = 4;

/// The sweeps' seed: `CONNECTOR_CRASH_SEED`, or one drawn from the clock (once for both).
fn seed() -> u64 {
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SEED.get_or_init(|| match std::env::var("CONNECTOR_CRASH_SEED") {
        Ok(text) => text
            .parse()
            .unwrap_or_else(|_| panic!("CONNECTOR_CRASH_SEED={text:?} is not a number")),
        Err(_) => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            (nanos % 1_000_000_007) as u64
        }
    })
}

/// How many kills `variable` asks for, `default` without it.
fn kills(variable: &str, default: usize) -> usize {
    std::env::var(variable).map_or(default, |text| {
        text.parse()
            .unwrap_or_else(|_| panic!("{variable}={text:?} is not a number"))
    })
}

/// The pause between two windows of `debug`'s sync (the connector's default).
const DEBUG_PAUSE_MS: u32 = 5;
/// The pause between two windows of the served sync: `serve` sends faster than the tester
/// writes (above all the first window, which creates the tables, slow in the unoptimized DuckDB
/// of test builds), and without a pause it has sent the whole sync before the tester has
/// written its first window, so that a kill of the server could only land in that window.
const SERVED_PAUSE_MS: u32 = 250;

/// A run's folder: its configuration and `files/`, removed when dropped.
struct Run {
    dir: tempfile::TempDir,
}

impl Run {
    /// A sync of `WINDOWS` windows, `pause_ms` apart.
    fn new(pause_ms: u32) -> Run {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("configuration.json"),
            json!({ "windows": WINDOWS.to_string(), "pause_ms": pause_ms.to_string() }).to_string(),
        )
        .unwrap();
        Run { dir }
    }

    fn files(&self) -> PathBuf {
        self.dir.path().join("files")
    }

    /// Waits until `process` has created the warehouse file (its start-up is over and the sync
    /// begins) and, from `after` = 1 on, written checkpoint `after` to the state file; or until
    /// it has ended.
    fn wait_for_checkpoint(&self, process: &mut Process, after: usize) {
        let warehouse = self.files().join("warehouse.db");
        while !warehouse.exists() && process.is_running() {
            std::thread::sleep(Duration::from_millis(2));
        }
        while after > 0 && self.state_file_checkpoint() < after && process.is_running() {
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The checkpoint the state file names (0 without one).
    fn state_file_checkpoint(&self) -> usize {
        std::fs::read_to_string(self.files().join("state.json"))
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .and_then(|state| state["window"].as_u64())
            .map_or(0, |window| window as usize)
    }

    fn configuration(&self) -> PathBuf {
        self.dir.path().join("configuration.json")
    }

    /// `crash_target debug` into this run's files.
    fn debug(&self) -> Command {
        let mut command = Command::new(TARGET);
        command
            .arg("debug")
            .arg("--configuration")
            .arg(self.configuration())
            .arg("--files")
            .arg(self.files())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    /// `connector-tester` against the connector at `port`, into this run's files.
    fn tester(&self, port: u16) -> Command {
        let mut command = Command::new(TESTER);
        command
            .args(["--port", &port.to_string(), "--wait", "5"])
            .arg("--configuration")
            .arg(self.configuration())
            .arg("--files")
            .arg(self.files())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }
}

/// A process of the sweep, killed when dropped (a failed test leaves no server behind).
struct Process(Child);

impl Process {
    fn spawn(command: &mut Command) -> Process {
        Process(command.spawn().expect("the fixture binary starts"))
    }

    /// SIGKILL, then the exit status.
    fn kill(mut self) -> ExitStatus {
        let _ = self.0.kill();
        self.0.wait().unwrap()
    }

    fn wait(mut self) -> ExitStatus {
        self.0.wait().unwrap()
    }

    fn is_running(&mut self) -> bool {
        self.0.try_wait().unwrap().is_none()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn killed(status: ExitStatus) -> bool {
    status.signal() == Some(9)
}

/// `crash_target serve` on a free port, accepting connections.
fn serve() -> (Process, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Process::spawn(
        Command::new(TARGET)
            .args(["serve", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(server.is_running(), "`serve` on port {port} exited");
        assert!(
            Instant::now() < deadline,
            "`serve` is not listening on {port}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    (server, port)
}

/// The state of checkpoint `k` as the state file holds it.
fn state_of(k: usize) -> Value {
    if k == 0 {
        json!({})
    } else {
        json!({ "window": k })
    }
}

/// The canonical dump of the warehouse under `files`, read from a copy so that the run after
/// the kill finds the files exactly as the kill left them (opening a DuckDB file replays and
/// checkpoints its write-ahead log). Also returns the warehouse's record of a checkpoint whose
/// state the state file may lack.
fn inspect_copy(files: &Path) -> (String, Option<(String, String)>) {
    let copy = tempfile::tempdir().unwrap();
    for name in ["warehouse.db", "warehouse.db.wal"] {
        let from = files.join(name);
        if from.exists() {
            std::fs::copy(&from, copy.path().join(name)).unwrap();
        }
    }
    let warehouse = Warehouse::open(&copy.path().join("warehouse.db"), Naming::Fivetran)
        .expect("the warehouse left by a kill opens");
    // The copy is thrown away: closing it need not write its log into the file.
    warehouse
        .connection()
        .execute_batch("PRAGMA disable_checkpoint_on_shutdown")
        .unwrap();
    (
        warehouse.dump().unwrap(),
        warehouse.unwritten_state().unwrap(),
    )
}

/// The warehouse after each checkpoint: `dumps[k]` after checkpoint `k` (`dumps[0]`: nothing
/// committed), each the destination of an uninterrupted sync of `k` windows. They are taken from
/// the in-memory destination, which keeps the warehouse's contract (the golden suite holds both
/// to the same dumps): one `debug` run of every window is checked against the last.
struct Checkpoints {
    dumps: Vec<String>,
}

impl Checkpoints {
    /// Computed once for both sweeps.
    fn get() -> &'static Checkpoints {
        static CHECKPOINTS: std::sync::OnceLock<Checkpoints> = std::sync::OnceLock::new();
        CHECKPOINTS.get_or_init(|| {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            let mut dumps = vec![inspect_copy(tempfile::tempdir().unwrap().path()).0];
            for k in 1..=WINDOWS {
                let mut memory = Destination::new();
                runtime
                    .block_on(memory.sync::<crash_target::update>(
                        json!({ "windows": k.to_string(), "pause_ms": "0" }),
                    ))
                    .unwrap_or_else(|failed| panic!("{k} windows: {}", failed.error));
                dumps.push(memory.dump());
                assert_ne!(
                    dumps[k],
                    dumps[k - 1],
                    "checkpoint {k} changes the warehouse"
                );
            }
            let run = Run::new(DEBUG_PAUSE_MS);
            assert!(run.debug().status().unwrap().success());
            assert_eq!(
                inspect_copy(&run.files()).0,
                dumps[WINDOWS],
                "`debug` and the memory destination differ"
            );
            Checkpoints { dumps }
        })
    }

    fn last(&self) -> &str {
        &self.dumps[WINDOWS]
    }

    /// Which checkpoint a killed run left behind, or why it left none.
    fn left_by(&self, files: &Path, state_may_lag: bool) -> Result<Left, String> {
        let (dump, unwritten) = inspect_copy(files);
        let Some(warehouse) = self.dumps.iter().position(|d| *d == dump) else {
            return Err(format!("the warehouse is at no checkpoint:\n{dump}"));
        };
        let state = match std::fs::read_to_string(files.join("state.json")) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(format!("the state file cannot be read: {e}")),
            Ok(text) => match serde_json::from_str::<Value>(&text) {
                Ok(value) if value["window"].is_u64() => value["window"].as_u64().unwrap() as usize,
                _ => return Err(format!("the state file holds {text:?}")),
            },
        };
        if state == warehouse {
            return Ok(Left {
                checkpoint: warehouse,
                state_behind: false,
            });
        }
        let parse = |text: &str| serde_json::from_str::<Value>(text).ok();
        let recorded = unwritten.as_ref().is_some_and(|(previous, current)| {
            parse(previous) == Some(state_of(state)) && parse(current) == Some(state_of(warehouse))
        });
        if state_may_lag && state + 1 == warehouse && recorded {
            Ok(Left {
                checkpoint: warehouse,
                state_behind: true,
            })
        } else {
            Err(format!(
                "the warehouse is at checkpoint {warehouse} but the state file at {state} \
                 (warehouse record: {unwritten:?})"
            ))
        }
    }
}

/// What a kill left: the warehouse's checkpoint, and whether the state file was one behind it.
struct Left {
    checkpoint: usize,
    state_behind: bool,
}

/// A run after a kill must complete and end with the uninterrupted run's warehouse and state.
fn check_rerun(status: ExitStatus, files: &Path, checkpoints: &Checkpoints) -> Result<(), String> {
    if !status.success() {
        return Err(format!("the run after the kill failed: {status}"));
    }
    let (dump, _) = inspect_copy(files);
    if dump != checkpoints.last() {
        return Err(format!(
            "after a second run the warehouse differs from an uninterrupted run's:\n{dump}"
        ));
    }
    let state = std::fs::read_to_string(files.join("state.json")).unwrap_or_default();
    if serde_json::from_str::<Value>(&state).ok() != Some(state_of(WINDOWS)) {
        return Err(format!("after a second run the state file holds {state:?}"));
    }
    Ok(())
}

/// Tally of a sweep: kills tried and held per kind of moment, and where they left the run.
#[derive(Default)]
struct Tally {
    /// kind → (tried, held)
    kinds: BTreeMap<String, (usize, usize)>,
    /// kind → where its kills left the run → kills.
    left: BTreeMap<String, BTreeMap<String, usize>>,
    /// Kills that left the state file one checkpoint behind the warehouse.
    state_behind: usize,
    /// Timed kills drawn again because the run had ended on its own before them.
    redrawn: usize,
    failures: Vec<String>,
}

impl Tally {
    /// One kill of `kind`: `Ok` with where it left the run (`where_` says it in words), or why
    /// it did not hold.
    fn record(&mut self, kind: &str, moment: &str, outcome: Result<(Left, String), String>) {
        let entry = self.kinds.entry(kind.to_string()).or_default();
        entry.0 += 1;
        match outcome {
            Ok((left, where_)) => {
                entry.1 += 1;
                *self
                    .left
                    .entry(kind.to_string())
                    .or_default()
                    .entry(where_)
                    .or_default() += 1;
                self.state_behind += usize::from(left.state_behind);
            }
            Err(why) => self.failures.push(format!("{moment}: {why}")),
        }
    }

    /// Prints the tally and fails with every kill that did not hold.
    fn assert_held(&self, sweep: &str, seed: u64) {
        let tried: usize = self.kinds.values().map(|(t, _)| t).sum();
        let held: usize = self.kinds.values().map(|(_, h)| h).sum();
        let mut report = format!(
            "{sweep}: {held}/{tried} held (seed {seed}; CONNECTOR_CRASH_SEED={seed} repeats it)\n"
        );
        for (kind, (t, h)) in &self.kinds {
            let left: Vec<String> = self
                .left
                .get(kind)
                .into_iter()
                .flatten()
                .map(|(where_, n)| format!("{n}x {where_}"))
                .collect();
            report.push_str(&format!(
                "  {kind:<36} {h}/{t}  left: {}\n",
                left.join(", ")
            ));
        }
        report.push_str(&format!(
            "  state file one checkpoint behind (brought forward by the next run): {}\n  \
             timed kills drawn again because the run had ended before them: {}\n",
            self.state_behind, self.redrawn
        ));
        eprintln!("{report}");
        assert!(
            self.failures.is_empty(),
            "{report}{} kills did not hold:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

/// A crash point of connector-core's `crash` module (`name`), as the sweep arms it.
struct Point {
    name: &'static str,
    /// How many times a full run reaches it at least (the hit to kill at is drawn from these).
    hits: usize,
    /// A kill that lets the run go on past the point, by this many microseconds (a range).
    delay_micros: Option<(u64, u64)>,
    what: &'static str,
    /// Where a kill at hit `h` leaves the run: the warehouse's checkpoint, and whether the
    /// state file is one behind it. `None` where it is not one place (a delayed kill, a point
    /// reached several times per window).
    leaves: Option<fn(usize) -> (usize, bool)>,
}

/// Each window reaches `append` and `stage` once, and `schema-change` in its third and fourth
/// windows (a column added, then a type widened); `commit` once per checkpoint and once at the
/// end of the sync; the state file's points once per checkpoint.
const POINTS: &[Point] = &[
    Point {
        name: "merge",
        hits: WINDOWS,
        delay_micros: None,
        what: "inside the merge",
        leaves: None,
    },
    Point {
        name: "schema-change",
        hits: 2,
        delay_micros: None,
        what: "during a schema change",
        leaves: Some(|h| (h + 1, false)),
    },
    Point {
        name: "append",
        hits: WINDOWS,
        delay_micros: None,
        what: "after rows appended to a target",
        leaves: Some(|h| (h - 1, false)),
    },
    Point {
        name: "stage",
        hits: WINDOWS,
        delay_micros: None,
        what: "after rows staged",
        leaves: Some(|h| (h - 1, false)),
    },
    Point {
        name: "commit",
        hits: WINDOWS + 1,
        delay_micros: None,
        what: "just before the COMMIT",
        leaves: Some(|h| (h - 1, false)),
    },
    Point {
        name: "commit",
        hits: WINDOWS + 1,
        delay_micros: Some((0, 4000)),
        what: "inside the COMMIT (0-4 ms in)",
        leaves: None,
    },
    Point {
        name: "commit",
        hits: WINDOWS + 1,
        delay_micros: Some((4000, 30_000)),
        what: "inside the COMMIT (4-30 ms in)",
        leaves: None,
    },
    Point {
        name: "committed",
        hits: WINDOWS,
        delay_micros: None,
        what: "between the COMMIT and the state file",
        leaves: Some(|h| (h, true)),
    },
    Point {
        name: "state-temp-created",
        hits: WINDOWS,
        delay_micros: None,
        what: "state file: temporary file created",
        leaves: Some(|h| (h, true)),
    },
    Point {
        name: "state-temp-synced",
        hits: WINDOWS,
        delay_micros: None,
        what: "state file: just before the rename",
        leaves: Some(|h| (h, true)),
    },
    Point {
        name: "state-temp-synced",
        hits: WINDOWS,
        delay_micros: Some((0, 300)),
        what: "state file: around the rename",
        leaves: None,
    },
    Point {
        name: "state-renamed",
        hits: WINDOWS,
        delay_micros: None,
        what: "state file: just after the rename",
        leaves: Some(|h| (h, false)),
    },
];

/// Where a kill left the run, in words: the checkpoint relative to the hit it fired on.
fn relative(left: &Left, hit: usize) -> String {
    let offset = left.checkpoint as i64 - hit as i64;
    let at = match offset {
        0 => "checkpoint h".to_string(),
        _ => format!("checkpoint h{offset:+}"),
    };
    if left.state_behind {
        format!("{at}, state behind")
    } else {
        at
    }
}

fn absolute(left: &Left) -> String {
    let at = format!("checkpoint {}", left.checkpoint);
    if left.state_behind {
        format!("{at}, state behind")
    } else {
        at
    }
}

/// How long the windows of an uninterrupted run last: the first from the creation of the
/// warehouse file to its checkpoint (it creates the tables, slow in the unoptimized DuckDB of
/// test builds), each of the others from one checkpoint to the next.
#[derive(Clone, Copy)]
struct Windows {
    first: Duration,
    other: Duration,
}

impl Windows {
    /// Measured on an uninterrupted run of `command` into `run`.
    fn measure(run: &Run, mut command: Command) -> Windows {
        let mut process = Process::spawn(&mut command);
        run.wait_for_checkpoint(&mut process, 0);
        let started = Instant::now();
        run.wait_for_checkpoint(&mut process, 1);
        let first = started.elapsed();
        run.wait_for_checkpoint(&mut process, WINDOWS);
        let other = (started.elapsed() - first) / (WINDOWS as u32 - 1);
        assert!(process.wait().success());
        Windows { first, other }
    }

    /// A random moment of the run: a window drawn at random, then a time within it, from the
    /// checkpoint before it.
    fn draw(&self, rng: &mut fastrand::Rng) -> Moment {
        let window = rng.usize(1..=WINDOWS);
        let length = if window == 1 { self.first } else { self.other };
        Moment {
            after: window - 1,
            delay: length.mul_f64(rng.f64()),
        }
    }
}

/// A moment of a run: `delay` after checkpoint `after` was written (after the warehouse file
/// was created, for checkpoint 0).
#[derive(Debug, Clone, Copy)]
struct Moment {
    after: usize,
    delay: Duration,
}

impl Moment {
    /// Lets `process`, running into `run`, go on until this moment. Returns whether it ended
    /// on its own first.
    fn reach(&self, run: &Run, process: &mut Process) -> bool {
        run.wait_for_checkpoint(process, self.after);
        let started = Instant::now();
        while started.elapsed() < self.delay {
            if !process.is_running() {
                return true;
            }
            std::thread::sleep(
                self.delay
                    .saturating_sub(started.elapsed())
                    .min(Duration::from_millis(2)),
            );
        }
        !process.is_running()
    }
}

/// A kill at a random moment of a run. `attempt(run, moment)` starts a run in `run`'s folder
/// and kills it (or its server) at `moment`, and says whether the run ended on its own first
/// (it was faster than the one measured); such a draw missed the run, and a kill is drawn again
/// in a fresh folder. Returns the run that was killed and when.
fn kill_at_random(
    rng: &mut fastrand::Rng,
    pause_ms: u32,
    windows: Windows,
    tally: &mut Tally,
    mut attempt: impl FnMut(&Run, Moment) -> bool,
) -> (Run, Moment) {
    loop {
        let run = Run::new(pause_ms);
        let moment = windows.draw(rng);
        if !attempt(&run, moment) {
            return (run, moment);
        }
        tally.redrawn += 1;
    }
}

/// `debug` killed at `CONNECTOR_CRASH_KILLS` moments (24 by default): every other one at a crash
/// point (taking the points in turn), the others at random times through the run.
#[test]
fn debug_killed_at_any_moment_keeps_the_last_checkpoint_and_resumes_to_the_same_warehouse() {
    let seed = seed();
    eprintln!("crash sweep of `debug`: seed {seed}");
    let mut rng = fastrand::Rng::with_seed(seed);
    let checkpoints = Checkpoints::get();
    let reference = Run::new(DEBUG_PAUSE_MS);
    let windows = Windows::measure(&reference, reference.debug());
    let mut tally = Tally::default();
    for i in 0..kills("CONNECTOR_CRASH_KILLS", 24) {
        let (run, kind, moment, outcome) = if i % 2 == 1 {
            let run = Run::new(DEBUG_PAUSE_MS);
            let point = &POINTS[(i / 2) % POINTS.len()];
            let hit = rng.usize(1..=point.hits);
            let armed = match point.delay_micros {
                None => format!("{}:{hit}", point.name),
                Some((least, most)) => {
                    format!("{}:{hit}:+{}", point.name, rng.u64(least..most))
                }
            };
            let status = Process::spawn(run.debug().env("CONNECTOR_CRASH_AT", &armed)).wait();
            let outcome = if killed(status) {
                checkpoints.left_by(&run.files(), true).and_then(|left| {
                    let expected = point.leaves.map(|leaves| leaves(hit));
                    match expected {
                        Some(expected) if expected != (left.checkpoint, left.state_behind) => {
                            Err(format!(
                                "left checkpoint {} (state behind: {}) where {expected:?} was due",
                                left.checkpoint, left.state_behind
                            ))
                        }
                        _ => {
                            let where_ = relative(&left, hit);
                            Ok((left, where_))
                        }
                    }
                })
            } else {
                Err(format!(
                    "the point was not reached: the run ended with {status}"
                ))
            };
            (run, point.what, format!("kill {i} at {armed}"), outcome)
        } else {
            let (run, moment) = kill_at_random(
                &mut rng,
                DEBUG_PAUSE_MS,
                windows,
                &mut tally,
                |run, moment| {
                    let mut process = Process::spawn(&mut run.debug());
                    let ended = moment.reach(run, &mut process);
                    process.kill();
                    ended
                },
            );
            let outcome = checkpoints.left_by(&run.files(), true).map(|left| {
                let where_ = absolute(&left);
                (left, where_)
            });
            (
                run,
                "random time",
                format!("kill {i} at {moment:?}"),
                outcome,
            )
        };
        let outcome = outcome.and_then(|left| {
            check_rerun(run.debug().status().unwrap(), &run.files(), checkpoints).map(|()| left)
        });
        tally.record(kind, &moment, outcome);
    }
    tally.assert_held("`debug` killed", seed);
}

/// `serve` read by `connector-tester`: the server killed at random moments (the tester keeps
/// the last checkpoint it received, with the state file at it), and separately the tester killed
/// at random moments while one server goes on serving (as `debug` killed). Each time a rerun
/// completes with the warehouse of an uninterrupted run.
#[test]
fn serve_or_the_tester_killed_at_any_moment_keeps_the_tester_at_its_last_checkpoint() {
    let seed = seed();
    eprintln!("crash sweep of `serve` and `connector-tester`: seed {seed}");
    // Not the moments of the `debug` sweep.
    let mut rng = fastrand::Rng::with_seed(seed.wrapping_add(1));
    let checkpoints = Checkpoints::get();
    let kills = kills("CONNECTOR_CRASH_SERVED_KILLS", 6);

    // The uninterrupted served run: the same warehouse as `debug`'s.
    let (server, port) = serve();
    let run = Run::new(SERVED_PAUSE_MS);
    let windows = Windows::measure(&run, run.tester(port));
    let (dump, _) = inspect_copy(&run.files());
    assert_eq!(
        dump,
        checkpoints.last(),
        "`serve` read by the tester differs from `debug`"
    );

    let mut tally = Tally::default();
    // The tester killed; the server serves every run.
    let mut server = server;
    for i in 0..kills {
        let (run, moment) = kill_at_random(
            &mut rng,
            SERVED_PAUSE_MS,
            windows,
            &mut tally,
            |run, moment| {
                let mut tester = Process::spawn(&mut run.tester(port));
                let ended = moment.reach(run, &mut tester);
                tester.kill();
                ended
            },
        );
        let outcome = checkpoints.left_by(&run.files(), true).and_then(|left| {
            let where_ = absolute(&left);
            check_rerun(
                run.tester(port).status().unwrap(),
                &run.files(),
                checkpoints,
            )
            .map(|()| (left, where_))
        });
        tally.record(
            "tester killed at a random time",
            &format!("tester kill {i} at {moment:?}"),
            outcome,
        );
    }
    assert!(
        server.is_running(),
        "`serve` ended while its clients were killed"
    );
    drop(server);

    // The server killed: the tester was not, so its state file is never behind.
    for i in 0..kills {
        let (run, moment) = kill_at_random(
            &mut rng,
            SERVED_PAUSE_MS,
            windows,
            &mut tally,
            |run, moment| {
                let (server, port) = serve();
                let mut tester = Process::spawn(&mut run.tester(port));
                let ended = moment.reach(run, &mut tester);
                server.kill();
                // The tester may still end well: everything had reached it before the kill.
                tester.wait().success() || ended
            },
        );
        let outcome = checkpoints.left_by(&run.files(), false).and_then(|left| {
            let where_ = absolute(&left);
            let (_server, port) = serve();
            check_rerun(
                run.tester(port).status().unwrap(),
                &run.files(),
                checkpoints,
            )
            .map(|()| (left, where_))
        });
        tally.record(
            "server killed at a random time",
            &format!("server kill {i} at {moment:?}"),
            outcome,
        );
    }
    tally.assert_held("`serve` and `connector-tester` killed", seed);
}

/// Two kills in a row: a run killed between a COMMIT and the state file's rewrite leaves the
/// file one checkpoint behind; the next run's first write is bringing it forward, and a kill
/// just before that rename leaves it behind still, one just after leaves it at the warehouse's
/// checkpoint. The run after either completes with the uninterrupted run's warehouse.
#[test]
fn a_run_killed_while_it_brings_the_state_file_forward_leaves_it_for_the_next() {
    let checkpoints = Checkpoints::get();
    for (second_kill, second_left) in [
        ("state-temp-synced:1", (2, true)),
        ("state-renamed:1", (2, false)),
    ] {
        let run = Run::new(DEBUG_PAUSE_MS);
        let mut left = Vec::new();
        for armed in ["committed:2", second_kill] {
            let status = Process::spawn(run.debug().env("CONNECTOR_CRASH_AT", armed)).wait();
            assert!(killed(status), "{armed}: {status}");
            let after = checkpoints.left_by(&run.files(), true).unwrap();
            left.push((after.checkpoint, after.state_behind));
        }
        assert_eq!(
            left,
            [(2, true), second_left],
            "killed at committed:2, then {second_kill}"
        );
        check_rerun(run.debug().status().unwrap(), &run.files(), checkpoints).unwrap();
    }
}
