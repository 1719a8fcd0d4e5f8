//! `serve`: the production path over loopback. Our `serve` streams the rows of `local`'s
//! benchmark connector (the `encode` table, a checkpoint every 10,000 rows) to a reader built on
//! `connector-tester`'s client, which either only decodes them (protobuf and our values) or also
//! writes them into the local warehouse as `connector-tester` does. Beside it, in the same run,
//! the same connector written for the Python SDK 2.13.1 (`interop/bench_connector.py`), served by
//! that package's own server and read by the same reader.
//!
//! Server and reader are child processes of this binary (`serve-target`, `serve-reader`) so that
//! each one's peak RSS is its own; the server's is read from `/proc` before it is stopped. The
//! decoding reader's clock stops at the last message, not at the end of the stream: the Python
//! server holds its final status back for up to a second (its memory tracker's sleep).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use connector_core::__internal::grpc::{ServeOptions, bind, serve_on};
use connector_core::__internal::local::Files;
use connector_core::__internal::proto;
use connector_core::__internal::proto::update_response::Operation;
use connector_core::__internal::{grpc::read, tester};
use connector_core::naming::Naming;
use connector_core::prelude::*;
use connector_core::testing::configuration_map;

use crate::local::{peak_rss_kb, peak_rss_kb_of, tempdir};

/// Checkpoint interval of both connectors.
const EVERY: u64 = 10_000;

#[derive(clap::Args)]
pub struct Args {
    /// Rows streamed from our server.
    #[arg(long, default_value_t = 1_000_000)]
    rows: u64,
    /// Rows streamed from the Python SDK's server (it is much slower; rows/s is compared).
    #[arg(long, default_value_t = 100_000)]
    python_rows: u64,
    /// Skip the Python server (no venv, no PyPI).
    #[arg(long)]
    no_python: bool,
}

#[derive(clap::Args)]
pub struct TargetArgs {
    #[arg(long)]
    port: u16,
    /// The connector served: `bench` (the `local` benchmark's) or `page_number` (the example).
    #[arg(long, default_value = "bench")]
    connector: String,
}

#[derive(clap::Args)]
pub struct ReaderArgs {
    #[arg(long)]
    port: u16,
    #[arg(long)]
    rows: u64,
    /// Also write the rows into a local warehouse in this folder.
    #[arg(long)]
    warehouse: Option<PathBuf>,
    /// The configuration sent with Update, as JSON (the benchmark connector's by default).
    #[arg(long)]
    configuration: Option<String>,
}

/// `serve-target`: our server for `local`'s benchmark connector, until killed.
pub fn target(args: &TargetArgs) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime
        .block_on(async {
            let listeners = bind(args.port)?;
            let options = ServeOptions::default();
            let forever = std::future::pending();
            match args.connector.as_str() {
                "bench" => serve_on::<crate::local::update>(listeners, options, forever).await,
                "page_number" => serve_on::<page_number::update>(listeners, options, forever).await,
                other => bail!("no connector `{other}`"),
            }
        })
        .expect("the server runs");
}

/// `serve-reader`: one Update, decoded (and written into a warehouse with `--warehouse`);
/// prints `seconds peak_rss_kb records`.
pub fn reader(args: &ReaderArgs) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let (seconds, records) = runtime
        .block_on(read(args))
        .expect("the reader reads the stream");
    println!("{seconds} {} {records}", peak_rss_kb());
}

async fn read(args: &ReaderArgs) -> Result<(f64, u64)> {
    let address = format!("127.0.0.1:{}", args.port);
    let mut client = tester::connect(&address, Duration::from_secs(60)).await?;
    let configuration = configuration_map(match &args.configuration {
        Some(text) => serde_json::from_str(text).context("--configuration is not JSON")?,
        None => json!({ "rows": args.rows, "every": EVERY }),
    });
    let started = Instant::now();
    if let Some(dir) = &args.warehouse {
        let files = Files::new(dir, None);
        let (_, outcome) = tester::sync(
            &mut client,
            &configuration,
            None,
            &files,
            Naming::Fivetran,
            false,
        )
        .await?;
        let report = outcome?;
        return Ok((started.elapsed().as_secs_f64(), report.total().upserts));
    }
    let request = proto::UpdateRequest {
        configuration: configuration.into_iter().collect(),
        selection: None,
        // The Python SDK's server fails without it.
        state_json: Some("{}".into()),
    };
    let mut stream = client.update(request).await?.into_inner();
    let mut records = 0_u64;
    let mut last = started;
    while let Some(message) = stream.message().await? {
        match message.operation {
            Some(Operation::Records(batch)) => {
                for view in batch.views() {
                    for cell in view.map_err(|e| anyhow!(e))?.cells() {
                        black_box(cell.map_err(|e| anyhow!(e))?);
                    }
                    records += 1;
                }
            }
            Some(Operation::Record(record)) => {
                for (name, value) in record.data {
                    black_box((name, read::value_from_wire(value).map_err(|e| anyhow!(e))?));
                }
                records += 1;
            }
            _ => continue,
        }
        last = Instant::now();
    }
    Ok(((last - started).as_secs_f64(), records))
}

/// A server child process, killed when dropped.
pub(crate) struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn our_server() -> Server {
    our_server_of("bench")
}

/// Our `serve` of `connector` (see [`TargetArgs`]) in a child process.
pub(crate) fn our_server_of(connector: &str) -> Server {
    let port = free_port();
    let child = Command::new(std::env::current_exe().expect("this binary"))
        .args([
            "serve-target",
            "--port",
            &port.to_string(),
            "--connector",
            connector,
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("the server starts");
    Server { child, port }
}

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../interop")
}

fn python_server(rows: u64) -> Result<Server> {
    python_server_of("bench_connector.py", &["--rows", &rows.to_string()])
}

/// A connector of `interop/` (`script`) served by the Python SDK 2.13.1 in the interop venv.
pub(crate) fn python_server_of(script: &str, args: &[&str]) -> Result<Server> {
    let venv = Command::new("bash")
        .arg(interop_dir().join("venv.sh"))
        .output()?;
    ensure!(venv.status.success(), "interop/venv.sh failed");
    let python = PathBuf::from(String::from_utf8_lossy(&venv.stdout).trim()).join("bin/python");
    let port = free_port();
    let child = Command::new(python)
        .arg(interop_dir().join(script))
        .args(["--port", &port.to_string()])
        .args(args)
        .stdout(Stdio::null())
        .spawn()?;
    Ok(Server { child, port })
}

pub(crate) struct Measured {
    pub name: String,
    pub rows: u64,
    pub seconds: f64,
    pub server_rss_kb: u64,
    pub reader_rss_kb: u64,
}

impl Measured {
    pub fn rows_per_second(&self) -> f64 {
        self.rows as f64 / self.seconds
    }
}

fn measure(name: &str, server: Server, rows: u64, warehouse: bool) -> Measured {
    measure_with(name, server, rows, warehouse, None)
}

/// One Update of `server`'s connector read by a reader child process, with `configuration`
/// (JSON) or the benchmark connector's; asserts that `rows` records arrived.
pub(crate) fn measure_with(
    name: &str,
    server: Server,
    rows: u64,
    warehouse: bool,
    configuration: Option<&str>,
) -> Measured {
    let dir = tempdir("serve-reader");
    let mut command = Command::new(std::env::current_exe().expect("this binary"));
    command.args([
        "serve-reader",
        "--port",
        &server.port.to_string(),
        "--rows",
        &rows.to_string(),
    ]);
    if warehouse {
        command.arg("--warehouse").arg(&dir);
    }
    if let Some(configuration) = configuration {
        command.args(["--configuration", configuration]);
    }
    let output = command.output().expect("the reader runs");
    assert!(
        output.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let server_rss_kb = peak_rss_kb_of(&server.child.id().to_string());
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<f64> = text
        .lines()
        .last()
        .unwrap_or_default()
        .split_whitespace()
        .map(|f| f.parse().expect("a number"))
        .collect();
    let [seconds, reader_rss_kb, records] = fields[..] else {
        panic!("{name}: the reader printed {text}")
    };
    assert_eq!(records as u64, rows, "{name}: every row arrived");
    Measured {
        name: name.to_string(),
        rows,
        seconds,
        server_rss_kb,
        reader_rss_kb: reader_rss_kb as u64,
    }
}

pub fn run(args: &Args) {
    let mut results = vec![
        measure("ours: serve -> decode", our_server(), args.rows, false),
        measure(
            "ours: serve -> decode + warehouse",
            our_server(),
            args.rows,
            true,
        ),
        measure(
            "ours: serve -> decode (fewer rows)",
            our_server(),
            args.python_rows,
            false,
        ),
    ];
    if !args.no_python {
        match python_server(args.python_rows) {
            Ok(server) => results.push(measure(
                "Python SDK 2.13.1 server -> decode",
                server,
                args.python_rows,
                false,
            )),
            Err(error) => eprintln!("the Python server was not measured: {error:#}"),
        }
    }
    println!(
        "serve: 6 columns (LONG key, STRING, DOUBLE, UTC_DATETIME, BOOLEAN, DECIMAL(18, 4)), a checkpoint every {EVERY} rows, loopback"
    );
    println!(
        "{:<36} | {:>9} | {:>8} | {:>10} | {:>14} | {:>14}",
        "scenario", "rows", "seconds", "rows/s", "server RSS MB", "reader RSS MB"
    );
    for m in &results {
        println!(
            "{:<36} | {:>9} | {:>8.2} | {:>10.0} | {:>14.1} | {:>14.1}",
            m.name,
            m.rows,
            m.seconds,
            m.rows_per_second(),
            m.server_rss_kb as f64 / 1024.0,
            m.reader_rss_kb as f64 / 1024.0
        );
    }
    let ours = &results[0];
    let fewer = &results[2];
    println!(
        "our server's peak RSS: {:.1} MB for {} rows, {:.1} MB for {} rows",
        ours.server_rss_kb as f64 / 1024.0,
        ours.rows,
        fewer.server_rss_kb as f64 / 1024.0,
        fewer.rows
    );
    if let Some(python) = results.iter().find(|m| m.name.starts_with("Python")) {
        for m in results.iter().take(2) {
            println!(
                "{}: {:.1}x the Python server's rows/s",
                m.name,
                m.rows_per_second() / python.rows_per_second()
            );
        }
    }
}
