//! `serve-load`: `serve` under load. The production command line (`serve --port`, JSON logs on
//! stdout) of `local`'s benchmark connector runs in a child process; this process opens many
//! Updates at once, each on a connection of its own, as Fivetran's scheduler would:
//!
//! - **load**: 32 concurrent Updates of 1,000,000 rows each (a checkpoint every 10,000). Drawn
//!   from a printed seed, about half the clients cancel (drop the stream) at a random record,
//!   two cancel before reading anything, and one reads slowly (a pause after each message for
//!   its first seconds, then at full speed to the end). Every other client must receive every
//!   row and the final checkpoint.
//! - **soak**: rounds of the same mix with fewer rows, for a set time, the server's RSS read
//!   after each round.
//!
//! What is measured on the server: its resident set (sampled every 50 ms, and its peak from
//! `/proc`), and its own log: each Update's sync task logs `sync started` when it begins and one
//! of its end lines (`sync succeeded`, `the client closed the stream`, an error) when it ends,
//! so the two counts tell whether every cancelled sync's task ended. Beside the load, in the
//! same run, one Update alone on a fresh server gives the baseline peak RSS.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connector_core::__internal::proto;
use connector_core::__internal::proto::update_response::Operation;
use connector_core::__internal::tester;
use connector_core::prelude::*;
use connector_core::testing::configuration_map;

use crate::local::{peak_rss_kb_of, status_kb_of};

/// Checkpoint interval of the benchmark connector.
const EVERY: u64 = 10_000;

#[derive(clap::Args)]
pub struct Args {
    /// Concurrent Updates.
    #[arg(long, default_value_t = 32)]
    updates: usize,
    /// Rows of each Update of the load.
    #[arg(long, default_value_t = 1_000_000)]
    rows: u64,
    /// The seed of the clients' behaviour (random when not given; printed either way).
    #[arg(long)]
    seed: Option<u64>,
    /// Seconds of the soak (0: none).
    #[arg(long, default_value_t = 600)]
    soak_seconds: u64,
    /// Rows of each Update of the soak's rounds.
    #[arg(long, default_value_t = 100_000)]
    soak_rows: u64,
    /// Seconds the slow client reads slowly before it reads at full speed.
    #[arg(long, default_value_t = 10)]
    slow_seconds: u64,
}

#[derive(clap::Args)]
pub struct ServerArgs {
    #[arg(long)]
    port: u16,
}

/// `serve-load-server`: the connector's own command line, `serve --port PORT`.
/// Beside it, a thread answers each `heap` line on its stdin with `heap <kB>` on its stdout
/// (among the log lines): the bytes the program holds from the allocator, glibc's own count
/// (`mallinfo2`), whatever the allocator keeps besides.
pub fn server(args: &ServerArgs) -> std::process::ExitCode {
    std::thread::spawn(answer_heap_requests);
    connector_core::__internal::main_with_args::<crate::local::update>([
        "connector-bench".to_string(),
        "serve".into(),
        "--port".into(),
        args.port.to_string(),
    ])
}

fn answer_heap_requests() {
    for line in std::io::stdin().lines() {
        let Ok(line) = line else { return };
        if line == "heap" {
            println!("heap {}", heap_in_use_kb());
        }
    }
}

/// The bytes allocated and not freed (small chunks and mapped ones), in kB; 0 when glibc's
/// malloc is not the allocator.
#[cfg(all(target_os = "linux", target_env = "gnu", not(feature = "mimalloc")))]
#[allow(unsafe_code)]
fn heap_in_use_kb() -> u64 {
    // SAFETY: `mallinfo2` takes no argument and returns a struct by value; it reads glibc's
    // arenas under their locks.
    let info = unsafe { libc::mallinfo2() };
    u64::try_from((info.uordblks + info.hblkhd) / 1024).unwrap_or(u64::MAX)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu", not(feature = "mimalloc"))))]
fn heap_in_use_kb() -> u64 {
    0
}

/// What one client does with its Update.
#[derive(Debug, Clone, Copy)]
enum Behaviour {
    /// Reads every message.
    Complete,
    /// Drops the stream once this many records arrived (0: before the first message).
    Cancel { after: u64 },
    /// Pauses `pause` after each message until `for_` passed, then reads at full speed.
    Slow { pause: Duration, for_: Duration },
}

/// How one client's Update ended.
#[derive(Debug)]
struct Outcome {
    behaviour: Behaviour,
    records: u64,
    /// The state of the last checkpoint received.
    last_state: Option<String>,
    seconds: f64,
}

/// The server in a child process, its log lines counted as they come.
struct Server {
    child: Child,
    /// Where `heap` requests go (see [`server`]).
    requests: ChildStdin,
    port: u16,
    log: Arc<LogCounts>,
}

#[derive(Default)]
struct LogCounts {
    started: AtomicU64,
    succeeded: AtomicU64,
    closed: AtomicU64,
    failed: AtomicU64,
    /// The messages of the SEVERE lines, to print.
    severe: Mutex<Vec<String>>,
    /// The last `heap` answer, in kB, and how many came.
    heap_kb: AtomicU64,
    heap_answers: AtomicU64,
}

impl LogCounts {
    fn ended(&self) -> u64 {
        self.succeeded.load(Ordering::SeqCst)
            + self.closed.load(Ordering::SeqCst)
            + self.failed.load(Ordering::SeqCst)
    }

    fn read(&self, line: &str) {
        if let Some(kb) = line.strip_prefix("heap ").and_then(|kb| kb.parse().ok()) {
            self.heap_kb.store(kb, Ordering::SeqCst);
            self.heap_answers.fetch_add(1, Ordering::SeqCst);
            return;
        }
        let Ok(line) = serde_json::from_str::<serde_json::Value>(line) else {
            return;
        };
        let message = line["message"].as_str().unwrap_or_default();
        let counter = match message {
            "sync started" => &self.started,
            m if m.starts_with("sync succeeded") => &self.succeeded,
            m if m.starts_with("the client closed the stream") => &self.closed,
            _ if line["level"] == "SEVERE" => {
                self.severe
                    .lock()
                    .expect("not poisoned")
                    .push(message.to_string());
                &self.failed
            }
            _ => return,
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

impl Server {
    fn start() -> Server {
        let port = crate::serve::free_port();
        let mut child = Command::new(std::env::current_exe().expect("this binary"))
            .args(["serve-load-server", "--port", &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let requests = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let log = Arc::new(LogCounts::default());
        let (ready, listening) = std::sync::mpsc::channel();
        let counts = Arc::clone(&log);
        std::thread::spawn(move || count_lines(stdout, &counts, &ready));
        listening
            .recv_timeout(Duration::from_secs(30))
            .expect("the server logs that it listens");
        Server {
            child,
            requests,
            port,
            log,
        }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    fn rss_kb(&self) -> u64 {
        rss_kb_of(&self.pid())
    }

    /// The server's threads (the runtime's workers and its pool of blocking threads among
    /// them).
    fn threads(&self) -> u64 {
        status_kb_of(&self.pid(), "Threads:")
    }

    /// The server's heap in use, in kB (see [`server`]).
    fn heap_kb(&mut self) -> u64 {
        let answers = self.log.heap_answers.load(Ordering::SeqCst);
        writeln!(self.requests, "heap").expect("the server reads its stdin");
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.log.heap_answers.load(Ordering::SeqCst) == answers {
            assert!(Instant::now() < deadline, "the server answers `heap`");
            std::thread::sleep(Duration::from_millis(5));
        }
        self.log.heap_kb.load(Ordering::SeqCst)
    }

    fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits until every sync that started has logged its end (or `wait` passed), then a
    /// moment more: a sync's task logs its end before it drops the last of its memory, and the
    /// last one to end gives the freed memory back to the system after that.
    fn settle(&self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            if self.log.ended() == self.log.started.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(250));
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn count_lines(stdout: ChildStdout, counts: &LogCounts, ready: &std::sync::mpsc::Sender<()>) {
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { return };
        if line.contains("listening on") {
            let _ = ready.send(());
        }
        counts.read(&line);
    }
}

/// The current resident set of process `pid`, in kB.
fn rss_kb_of(pid: &str) -> u64 {
    status_kb_of(pid, "VmRSS:")
}

/// Samples `pid`'s resident set every 50 ms until stopped; gives the samples' largest.
struct Sampler {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl Sampler {
    fn start(pid: String) -> Sampler {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut largest = 0;
            while !stopped.load(Ordering::SeqCst) {
                largest = largest.max(rss_kb_of(&pid));
                std::thread::sleep(Duration::from_millis(50));
            }
            largest
        });
        Sampler { stop, thread }
    }

    fn largest_kb(self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().expect("the sampler ends")
    }
}

/// The clients' behaviours for one round: the first client reads slowly, the next two cancel
/// before reading, and each of the others completes or cancels at a random record (half each).
fn behaviours(
    rng: &mut fastrand::Rng,
    clients: usize,
    rows: u64,
    slow: Duration,
) -> Vec<Behaviour> {
    (0..clients)
        .map(|i| match i {
            0 => Behaviour::Slow {
                pause: Duration::from_millis(10),
                for_: slow,
            },
            1 | 2 => Behaviour::Cancel { after: 0 },
            _ if rng.bool() => Behaviour::Cancel {
                after: rng.u64(1..rows),
            },
            _ => Behaviour::Complete,
        })
        .collect()
}

/// One client: its own connection, one Update, read as `behaviour` says.
async fn client(port: u16, rows: u64, behaviour: Behaviour) -> Result<Outcome> {
    let mut client = tester::connect(&format!("127.0.0.1:{port}"), Duration::from_secs(30)).await?;
    let request = proto::UpdateRequest {
        configuration: configuration_map(json!({ "rows": rows, "every": EVERY }))
            .into_iter()
            .collect(),
        selection: None,
        state_json: Some("{}".into()),
    };
    let started = Instant::now();
    let mut stream = client.update(request).await?.into_inner();
    let mut outcome = Outcome {
        behaviour,
        records: 0,
        last_state: None,
        seconds: 0.0,
    };
    loop {
        if let Behaviour::Cancel { after } = behaviour
            && outcome.records >= after
        {
            break;
        }
        let Some(message) = stream.message().await? else {
            break;
        };
        match message.operation {
            Some(Operation::Records(batch)) => {
                for view in batch.views() {
                    for cell in view.map_err(|e| anyhow!(e))?.cells() {
                        std::hint::black_box(cell.map_err(|e| anyhow!(e))?);
                    }
                    outcome.records += 1;
                }
            }
            Some(Operation::Checkpoint(checkpoint)) => {
                outcome.last_state = Some(checkpoint.state_json);
            }
            _ => {}
        }
        if let Behaviour::Slow { pause, for_ } = behaviour
            && started.elapsed() < for_
        {
            tokio::time::sleep(pause).await;
        }
    }
    outcome.seconds = started.elapsed().as_secs_f64();
    // Dropping the stream and the connection here is the cancellation.
    Ok(outcome)
}

/// One round: every client at once; checks what each received.
fn round(
    runtime: &tokio::runtime::Runtime,
    port: u16,
    rows: u64,
    behaviours: &[Behaviour],
) -> Vec<Outcome> {
    let outcomes = runtime.block_on(async {
        let tasks: Vec<_> = behaviours
            .iter()
            .map(|&b| tokio::spawn(client(port, rows, b)))
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(
                task.await
                    .expect("a client task ends")
                    .expect("a client reads"),
            );
        }
        outcomes
    });
    let last = json!({ "rows": rows }).to_string();
    for outcome in &outcomes {
        match outcome.behaviour {
            Behaviour::Complete | Behaviour::Slow { .. } => {
                assert_eq!(outcome.records, rows, "{outcome:?}: every row arrived");
                assert_eq!(
                    outcome.last_state.as_deref(),
                    Some(last.as_str()),
                    "{outcome:?}"
                );
            }
            Behaviour::Cancel { after } => assert!(outcome.records >= after.min(rows)),
        }
    }
    outcomes
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

pub fn run(args: &Args) {
    let seed = args.seed.unwrap_or_else(|| fastrand::u64(..));
    println!("serve-load: seed {seed} (--seed {seed} repeats the clients' behaviour)");
    let mut rng = fastrand::Rng::with_seed(seed);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let slow = Duration::from_secs(args.slow_seconds);

    // Baseline: one Update alone, read to the end, on a server of its own.
    let alone = Server::start();
    let idle_kb = alone.rss_kb();
    let started = Instant::now();
    round(&runtime, alone.port, args.rows, &[Behaviour::Complete]);
    let alone_seconds = started.elapsed().as_secs_f64();
    assert!(alone.settle(Duration::from_secs(10)), "the lone sync ended");
    let alone_peak_kb = peak_rss_kb_of(&alone.pid());
    drop(alone);
    println!(
        "one Update of {} rows alone: {alone_seconds:.1} s, {:.0} rows/s; server RSS idle {:.1} MB, peak {:.1} MB",
        args.rows,
        args.rows as f64 / alone_seconds,
        mb(idle_kb),
        mb(alone_peak_kb)
    );

    // The load.
    let mut server = Server::start();
    let before_kb = server.rss_kb();
    let heap_before_kb = server.heap_kb();
    let plan = behaviours(&mut rng, args.updates, args.rows, slow);
    let sampler = Sampler::start(server.pid());
    let started = Instant::now();
    let outcomes = round(&runtime, server.port, args.rows, &plan);
    let seconds = started.elapsed().as_secs_f64();
    let settled = server.settle(Duration::from_secs(30));
    let sampled_kb = sampler.largest_kb();
    let peak_kb = peak_rss_kb_of(&server.pid());
    let after_kb = server.rss_kb();
    let heap_after_kb = server.heap_kb();
    let cancelled = outcomes
        .iter()
        .filter(|o| matches!(o.behaviour, Behaviour::Cancel { .. }))
        .count();
    let rows: u64 = outcomes.iter().map(|o| o.records).sum();
    let slow_seconds = outcomes
        .iter()
        .find(|o| matches!(o.behaviour, Behaviour::Slow { .. }))
        .map_or(0.0, |o| o.seconds);
    println!(
        "{} concurrent Updates of {} rows: {} read to the end (one slowly, {slow_seconds:.1} s), {cancelled} cancelled; {rows} rows in {seconds:.1} s ({:.0} rows/s)",
        args.updates,
        args.rows,
        args.updates - cancelled,
        rows as f64 / seconds
    );
    report_server(&mut server, settled);
    println!(
        "server RSS: before {:.1} MB, largest sample {:.1} MB, peak {:.1} MB ({:.1}x the lone Update's peak), after {:.1} MB",
        mb(before_kb),
        mb(sampled_kb),
        mb(peak_kb),
        peak_kb as f64 / alone_peak_kb as f64,
        mb(after_kb)
    );
    println!(
        "server heap in use: before {:.1} MB, after {:.1} MB; {} threads",
        mb(heap_before_kb),
        mb(heap_after_kb),
        server.threads()
    );

    if args.soak_seconds > 0 {
        soak(args, &runtime, &mut rng, &mut server);
    }
}

/// Prints the server's own count of sync tasks started and ended; asserts they match.
fn report_server(server: &mut Server, settled: bool) {
    let running = server.is_running();
    let log = &server.log;
    println!(
        "server log: {} syncs started, {} ended ({} succeeded, {} stopped by a closed stream, {} failed); server running: {}",
        log.started.load(Ordering::SeqCst),
        log.ended(),
        log.succeeded.load(Ordering::SeqCst),
        log.closed.load(Ordering::SeqCst),
        log.failed.load(Ordering::SeqCst),
        running
    );
    for message in log.severe.lock().expect("not poisoned").iter() {
        println!("  SEVERE: {message}");
    }
    assert!(settled, "every sync task that started ended");
    assert!(running, "the server is still up");
}

/// Rounds of the same mix with `soak_rows` each, until `soak_seconds` passed; the server's RSS
/// after each round (printed once a minute, and for the first and last rounds).
fn soak(
    args: &Args,
    runtime: &tokio::runtime::Runtime,
    rng: &mut fastrand::Rng,
    server: &mut Server,
) {
    let deadline = Instant::now() + Duration::from_secs(args.soak_seconds);
    let started = Instant::now();
    let slow = Duration::from_secs(1);
    // (seconds, RSS kB, heap in use kB) after each round.
    let mut after_rounds: Vec<(f64, u64, u64)> = Vec::new();
    let mut next_print = 0.0;
    println!(
        "soak: rounds of {} Updates of {} rows (same mix, the slow client slow for 1 s) for {} s",
        args.updates, args.soak_rows, args.soak_seconds
    );
    while Instant::now() < deadline {
        let plan = behaviours(rng, args.updates, args.soak_rows, slow);
        round(runtime, server.port, args.soak_rows, &plan);
        assert!(
            server.settle(Duration::from_secs(30)),
            "every sync task ended"
        );
        let elapsed = started.elapsed().as_secs_f64();
        let rss = server.rss_kb();
        let heap = server.heap_kb();
        after_rounds.push((elapsed, rss, heap));
        if elapsed >= next_print || after_rounds.len() == 1 {
            println!(
                "  round {:>4} at {elapsed:>5.0} s: server RSS {:.1} MB, heap in use {:.1} MB, {} threads",
                after_rounds.len(),
                mb(rss),
                mb(heap),
                server.threads()
            );
            next_print = (elapsed / 60.0).floor() * 60.0 + 60.0;
        }
    }
    report_server(server, true);
    let (first, last) = (after_rounds[0], after_rounds[after_rounds.len() - 1]);
    let largest = after_rounds.iter().map(|r| r.1).max().unwrap_or(0);
    println!(
        "soak: {} rounds; server RSS after the first round {:.1} MB, after the last {:.1} MB ({:+.1} MB), largest after a round {:.1} MB, peak {:.1} MB",
        after_rounds.len(),
        mb(first.1),
        mb(last.1),
        mb(last.1) - mb(first.1),
        mb(largest),
        mb(peak_rss_kb_of(&server.pid()))
    );
    println!(
        "soak: heap in use after the first round {:.1} MB, after the last {:.1} MB ({:+.1} MB)",
        mb(first.2),
        mb(last.2),
        mb(last.2) - mb(first.2)
    );
    let later: Vec<&(f64, u64, u64)> = after_rounds.iter().filter(|r| r.0 >= 60.0).collect();
    let range = |of: fn(&(f64, u64, u64)) -> u64| {
        let values = later.iter().map(|r| of(r));
        (values.clone().min().unwrap_or(0), values.max().unwrap_or(0))
    };
    let (rss, heap) = (range(|r| r.1), range(|r| r.2));
    println!(
        "soak: after each round from the second minute on ({} rounds): server RSS {:.1} to {:.1} MB, heap in use {:.1} to {:.1} MB",
        later.len(),
        mb(rss.0),
        mb(rss.1),
        mb(heap.0),
        mb(heap.1)
    );
}
