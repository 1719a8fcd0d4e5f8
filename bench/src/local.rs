//! `local`: the local runner (`debug` into DuckDB) against the limit and the usual alternative.
//!
//! Uses the table of `encode` (six columns: LONG key, STRING, DOUBLE, UTC_DATETIME, BOOLEAN,
//! DECIMAL(18, 4)) and owns the scenarios and their table. Each scenario runs in a child process of this binary
//! (`local-scenario`), so that its peak RSS (`VmHWM`) is its own:
//! - `ours`: a `#[sync]` connector run as `debug` runs it, checkpointing every N rows or once;
//! - `ours-shuffled`: the same with the keys in a scrambled order (a permutation of the same
//!   keys), so that no window is in key order and every checkpoint merges;
//! - `ours-rows`: the same rows as run-time `Row`s (`upsert_row`) of a table declared by a
//!   schema function, as a connector ported from Python writes them;
//! - `ours-json`: the same rows as a JSON API sends them, pages of objects read from their
//!   response bodies into `Row`s by the table's `RowReader` and upserted: the path of every JSON
//!   API connector; `ours-json-rows` reads them as plain `Row`s, `ours-json-value` as
//!   `serde_json::Value`s first (the naive way);
//! - `appender`: the same rows through one plain DuckDB Appender into one table (the limit);
//! - `dlt`: the same rows loaded by `dlt` (PyPI) with a primary key and `write_disposition="merge"`
//!   into DuckDB, in a venv this command creates.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use connector_core::__internal::local::Files;
use connector_core::__internal::local::sync_into_warehouse;
use connector_core::naming::Naming;
use connector_core::prelude::*;
use connector_core::testing::configuration_map;
use connector_core::{ConfigurationMap, Connector};
use duckdb::types::{TimeUnit, Value as DuckValue};

use crate::encode::{Order, order};

pub(crate) const DLT_VERSION: &str = "1.31.0";
pub(crate) const VENV: &str = "/var/tmp/connector-bench-venv";

#[derive(clap::Args)]
pub struct Args {
    /// Rows loaded by our runner and by the Appender.
    #[arg(long, default_value_t = 1_000_000)]
    rows: u64,
    /// Rows loaded by dlt (it is much slower; rows/s is what is compared).
    #[arg(long, default_value_t = 100_000)]
    dlt_rows: u64,
    /// Skip dlt (no venv, no PyPI).
    #[arg(long)]
    no_dlt: bool,
}

#[derive(clap::Args)]
pub struct ScenarioArgs {
    #[arg(long)]
    scenario: String,
    #[arg(long)]
    rows: u64,
    /// Checkpoint every this many rows (0: once, at the end).
    #[arg(long, default_value_t = 0)]
    every: u64,
    #[arg(long)]
    dir: PathBuf,
}

fn row(i: u64) -> Order {
    order(usize::try_from(i).expect("fits"))
}

#[derive(Configuration)]
pub struct BenchConfig {
    pub rows: u64,
    pub every: u64,
    /// Emit the keys scrambled (row `i` gets key `i * 7919 mod rows`).
    #[field(default = "false")]
    pub shuffled: bool,
    /// How `update_json` reads a page: `reader` (the table's `RowReader`), `rows` (plain
    /// `Row`s) or `value` (a `serde_json::Value` per object first).
    #[field(default = "reader")]
    pub json: String,
}

#[sync(tables(Order))]
pub(crate) async fn update(ops: &Operations, config: &BenchConfig) -> Result<()> {
    for i in 0..config.rows {
        let mut order = row(i);
        if config.shuffled {
            // 7919 is prime and no factor of a round number of rows: a permutation of the keys.
            order.id = i64::try_from(i * 7919 % config.rows).expect("fits");
        }
        ops.upsert(order).await?;
        if config.every > 0 && (i + 1) % config.every == 0 {
            ops.checkpoint(&json!({ "rows": i + 1 })).await?;
        }
    }
    ops.checkpoint(&json!({ "rows": config.rows })).await?;
    Ok(())
}

/// The benchmark's rows as run-time rows of a table declared by the schema function.
#[sync(schema = rows_schema)]
pub(crate) async fn update_rows(ops: &Operations, config: &BenchConfig) -> Result<()> {
    for i in 0..config.rows {
        let order = row(i);
        let row = Row::new()
            .with("id", order.id)
            .with("name", order.name)
            .with("amount", order.amount)
            .with("created_at", order.created_at)
            .with("active", order.active)
            .with("price", order.price);
        ops.upsert_row("orders", row).await?;
        if config.every > 0 && (i + 1) % config.every == 0 {
            ops.checkpoint(&json!({ "rows": i + 1 })).await?;
        }
    }
    ops.checkpoint(&json!({ "rows": config.rows })).await?;
    Ok(())
}

/// The benchmark's rows as a JSON API sends them: pages of 1,000 objects (timestamps and
/// decimals as text, as APIs write them), each page's body read into `Row`s and upserted into
/// the table the schema function declares. Every page reads the same body (built once, before
/// the sync); each row then gets its own key.
#[sync(schema = rows_schema)]
pub(crate) async fn update_json(ops: &Operations, config: &BenchConfig) -> Result<()> {
    let body = json_page(PAGE_ROWS);
    let reader = ops.row_reader("orders")?;
    let mut emitted = 0;
    while emitted < config.rows {
        let page: Vec<Row> = match config.json.as_str() {
            "reader" => reader.rows(&body)?,
            "rows" => serde_json::from_slice(&body)?,
            // The naive way: a `serde_json::Value` per object, then a `Row` from it.
            "value" => {
                let objects: Vec<serde_json::Value> = serde_json::from_slice(&body)?;
                objects
                    .into_iter()
                    .map(|o| Row::from_json(o).map_err(connector_core::anyhow::Error::msg))
                    .collect::<Result<_>>()?
            }
            other => bail!("no JSON reading `{other}`: reader, rows or value"),
        };
        for mut row in page
            .into_iter()
            .take(usize::try_from(config.rows - emitted)?)
        {
            row.set("id", i64::try_from(emitted)?);
            ops.upsert_row("orders", row).await?;
            emitted += 1;
            if config.every > 0 && emitted % config.every == 0 {
                ops.checkpoint(&json!({ "rows": emitted })).await?;
            }
        }
    }
    ops.checkpoint(&json!({ "rows": config.rows })).await?;
    Ok(())
}

/// Objects per page of `update_json`.
const PAGE_ROWS: u64 = 1_000;

/// A response body of `rows` objects: `{"id": 7, "name": "...", "amount": 1.5, "created_at":
/// "2024-...Z", "active": true, "price": "12.3400"}`.
pub(crate) fn json_page(rows: u64) -> Vec<u8> {
    let objects: Vec<serde_json::Value> = (0..rows)
        .map(|i| {
            let order = row(i);
            json!({
                "id": order.id,
                "name": order.name,
                "amount": order.amount,
                "created_at": order
                    .created_at
                    .to_rfc3339_opts(connector_core::chrono::SecondsFormat::Micros, true),
                "active": order.active,
                "price": order.price.to_string(),
            })
        })
        .collect();
    serde_json::to_vec(&objects).expect("JSON")
}

async fn rows_schema(_config: &BenchConfig) -> Result<Vec<TableSchema>> {
    Ok(vec![
        TableSchema::new("orders")
            .column(Column::key("id", Some(DataType::Long)))
            .column(Column::new("name", DataType::String))
            .column(Column::new("amount", DataType::Double))
            .column(Column::new("created_at", DataType::UtcDatetime))
            .column(Column::new("active", DataType::Boolean))
            .column(Column::new(
                "price",
                DataType::decimal(18, 4).map_err(connector_core::anyhow::Error::msg)?,
            )),
    ])
}

/// Runs one scenario in this process and prints `seconds peak_rss_kb`.
pub fn scenario(args: &ScenarioArgs) {
    let started = Instant::now();
    let configuration = configuration_map(json!({
        "rows": args.rows,
        "every": args.every,
        "shuffled": args.scenario == "ours-shuffled",
        "json": args.scenario.strip_prefix("ours-json-").unwrap_or("reader"),
    }));
    match args.scenario.as_str() {
        "ours" | "ours-shuffled" => debug::<update>(&configuration, &args.dir),
        "ours-rows" => debug::<update_rows>(&configuration, &args.dir),
        "ours-json" | "ours-json-rows" | "ours-json-value" => {
            debug::<update_json>(&configuration, &args.dir)
        }
        "appender" => appender(&args.dir, args.rows).expect("the appender loads"),
        other => panic!("unknown scenario {other}"),
    }
    println!("{} {}", started.elapsed().as_secs_f64(), peak_rss_kb());
}

/// One sync of `C` into a warehouse in `dir`, as `debug` runs it.
fn debug<C: Connector>(configuration: &ConfigurationMap, dir: &Path) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let files = Files::new(dir, None);
    let (_, outcome) = runtime
        .block_on(sync_into_warehouse::<C>(
            configuration,
            &files,
            Naming::Fivetran,
            false,
        ))
        .expect("the warehouse opens");
    outcome.expect("the sync succeeds");
}

fn appender(dir: &Path, rows: u64) -> duckdb::Result<()> {
    std::fs::create_dir_all(dir).expect("the folder");
    let connection = duckdb::Connection::open(dir.join("appender.db"))?;
    connection.execute_batch(
        "CREATE TABLE orders (id BIGINT, name VARCHAR, amount DOUBLE, created_at TIMESTAMP WITH TIME ZONE, \
         active BOOLEAN, price DECIMAL(18, 4))",
    )?;
    let mut appender = connection.appender("orders")?;
    for i in 0..rows {
        let r = row(i);
        let price = duckdb::types::Decimal::new(18, 4, r.price.mantissa()).expect("fits");
        appender.append_row(duckdb::params![
            r.id,
            r.name,
            r.amount,
            DuckValue::Timestamp(TimeUnit::Microsecond, r.created_at.timestamp_micros()),
            r.active,
            DuckValue::Decimal(price),
        ])?;
    }
    appender.flush()
}

/// This process's peak resident set size, from `/proc/self/status`.
pub(crate) fn peak_rss_kb() -> u64 {
    peak_rss_kb_of("self")
}

/// The peak resident set size of process `pid` (`self` or a number) while it runs.
pub(crate) fn peak_rss_kb_of(pid: &str) -> u64 {
    status_kb_of(pid, "VmHWM:")
}

/// A size in kB of `/proc/PID/status` (`field` with its colon, e.g. `VmRSS:`); 0 when the
/// process is gone.
pub(crate) fn status_kb_of(pid: &str, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

struct Measured {
    name: String,
    rows: u64,
    seconds: f64,
    peak_rss_kb: u64,
}

impl Measured {
    fn rows_per_second(&self) -> f64 {
        self.rows as f64 / self.seconds
    }
}

fn run_child(scenario: &str, rows: u64, every: u64) -> Measured {
    let dir = tempdir(scenario);
    let output = Command::new(std::env::current_exe().expect("this binary"))
        .args([
            "local-scenario",
            "--scenario",
            scenario,
            "--rows",
            &rows.to_string(),
            "--every",
            &every.to_string(),
        ])
        .arg("--dir")
        .arg(&dir)
        .output()
        .expect("the scenario runs");
    assert!(
        output.status.success(),
        "{scenario}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&output.stdout);
    let last = text.lines().last().unwrap_or_default().to_string();
    let mut parts = last.split_whitespace();
    let seconds = parts.next().and_then(|s| s.parse().ok()).expect("seconds");
    let peak_rss_kb = parts.next().and_then(|s| s.parse().ok()).expect("peak RSS");
    let name = match (scenario, every) {
        ("ours", 0) => "ours: debug, one checkpoint".to_string(),
        ("ours", n) => format!("ours: debug, checkpoint every {n}"),
        ("ours-shuffled", n) => format!("ours: keys scrambled, every {n}"),
        ("ours-rows", n) => format!("ours: run-time rows, every {n}"),
        ("ours-json", n) => format!("ours: JSON, RowReader, every {n}"),
        ("ours-json-rows", n) => format!("ours: JSON to plain Rows, every {n}"),
        ("ours-json-value", n) => format!("ours: JSON via serde_json::Value, {n}"),
        _ => "DuckDB Appender, one table".to_string(),
    };
    Measured {
        name,
        rows,
        seconds,
        peak_rss_kb,
    }
}

pub(crate) fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("connector-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// dlt in its own venv, loading the same rows with a primary key and a merge.
fn run_dlt(rows: u64) -> Result<Measured> {
    let python = Path::new(VENV).join("bin/python");
    if !python.exists() {
        let status = Command::new("python3")
            .args(["-m", "venv", VENV])
            .status()?;
        ensure!(status.success(), "python3 -m venv failed");
    }
    let installed = Command::new(&python)
        .args(["-c", "import dlt, duckdb; print(dlt.__version__)"])
        .output()?;
    if String::from_utf8_lossy(&installed.stdout).trim() != DLT_VERSION {
        let status = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "-q",
                &format!("dlt[duckdb]=={DLT_VERSION}"),
            ])
            .status()?;
        ensure!(
            status.success(),
            "pip install dlt[duckdb]=={DLT_VERSION} failed"
        );
    }
    let dir = tempdir("dlt");
    std::fs::create_dir_all(&dir)?;
    let script = dir.join("load.py");
    std::fs::write(&script, DLT_SCRIPT)?;
    let output = Command::new(&python)
        .arg(&script)
        .arg(rows.to_string())
        .arg(dir.join("dlt.db"))
        .current_dir(&dir)
        .env("RUNTIME__LOG_LEVEL", "WARNING")
        .output()?;
    ensure!(
        output.status.success(),
        "dlt failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&output.stdout);
    let mut parts = text.lines().last().unwrap_or_default().split_whitespace();
    let seconds: f64 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .context("dlt seconds")?;
    let peak_rss_kb: u64 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .context("dlt peak RSS")?;
    Ok(Measured {
        name: format!("dlt {DLT_VERSION}, merge on id"),
        rows,
        seconds,
        peak_rss_kb,
    })
}

const DLT_SCRIPT: &str = r#"
import datetime, decimal, resource, sys, time
import dlt

rows = int(sys.argv[1])

NAMES = ["Acme Corp", "Globex Ltd", "Initech", "Umbrella Inc", "Stark Industries", "Wayne Ent", "Hooli", "Vandelay Imports"]

@dlt.resource(name="orders", primary_key="id", write_disposition="merge")
def orders():
    for i in range(rows):
        yield {
            "id": i,
            "name": f"{NAMES[i % len(NAMES)]} #{i % 1000}",
            "amount": (i % 100000) * 0.37,
            "created_at": datetime.datetime.fromtimestamp(1700000000 + i, tz=datetime.timezone.utc),
            "active": i % 3 != 0,
            "price": decimal.Decimal((i * 7919) % 100000000).scaleb(-4),
        }

pipeline = dlt.pipeline(pipeline_name="bench", destination=dlt.destinations.duckdb(sys.argv[2]), dataset_name="tester")
started = time.time()
pipeline.run(orders())
print(time.time() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"#;

pub fn run(args: &Args) {
    let mut results = vec![
        run_child("ours", args.rows, 10_000),
        run_child("ours", args.rows, 0),
        run_child("ours-shuffled", args.rows, 10_000),
        run_child("ours-rows", args.rows, 10_000),
        run_child("ours-json", args.rows, 10_000),
        run_child("ours-json-rows", args.rows, 10_000),
        run_child("ours-json-value", args.rows, 10_000),
        run_child("appender", args.rows, 0),
    ];
    if !args.no_dlt {
        match run_dlt(args.dlt_rows) {
            Ok(measured) => results.push(measured),
            Err(error) => eprintln!("dlt not measured: {error:#}"),
        }
    }
    println!("local: 6 columns (LONG key, STRING, DOUBLE, UTC_DATETIME, BOOLEAN, DECIMAL(18, 4))");
    println!(
        "{:<38} | {:>9} | {:>8} | {:>10} | {:>12}",
        "scenario", "rows", "seconds", "rows/s", "peak RSS MB"
    );
    for m in &results {
        println!(
            "{:<38} | {:>9} | {:>8.2} | {:>10.0} | {:>12.1}",
            m.name,
            m.rows,
            m.seconds,
            m.rows_per_second(),
            m.peak_rss_kb as f64 / 1024.0
        );
    }
    let appender = results
        .iter()
        .find(|m| m.name.starts_with("DuckDB"))
        .map(Measured::rows_per_second);
    let dlt = results
        .iter()
        .find(|m| m.name.starts_with("dlt"))
        .map(Measured::rows_per_second);
    for ours in results.iter().filter(|m| m.name.starts_with("ours")) {
        let mut line = format!("{}: ", ours.name);
        if let Some(appender) = appender {
            line.push_str(&format!(
                "{:.2}x the Appender's rows/s",
                ours.rows_per_second() / appender
            ));
        }
        if let Some(dlt) = dlt {
            line.push_str(&format!(
                ", {:.1}x dlt's rows/s",
                ours.rows_per_second() / dlt
            ));
        }
        println!("{line}");
    }
}
