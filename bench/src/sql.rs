//! `sql`: a PostgreSQL table replicated into `debug`'s DuckDB warehouse by `connector-sql`,
//! beside dlt's `sql_database` source loading the same table into DuckDB with its default
//! backend (SQLAlchemy, a dict per row) and with its `pyarrow` backend, in one run.
//!
//! The table (6 columns: BIGINT key, TEXT, DOUBLE PRECISION, TIMESTAMPTZ, BOOLEAN,
//! NUMERIC(18, 4)) lives in a throwaway cluster (`connector_sql::testing`, Debian's
//! `postgresql`). Ours runs at two table sizes in child processes, so that its peak RSS can be
//! compared: a streamed replication's memory does not grow with the table. It runs once into a
//! sink that drops the records (the source's memory alone) and once into `debug`'s warehouse.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use connector_core::__internal::local::{Files, sync_into_warehouse};
use connector_core::__internal::{Record, Sink, run_sync};
use connector_core::anyhow::{Context as _, Result, ensure};
use connector_core::naming::Naming;
use connector_core::prelude::*;
use connector_core::testing::configuration_map;
use connector_sql::testing::TestPostgres;
use connector_sql::{
    ConnectionSettings, Dialect, Password, Positions, Postgres, TableChoices, replicate,
};

use crate::local::{DLT_VERSION, VENV, peak_rss_kb, tempdir};

#[derive(clap::Args)]
pub struct Args {
    /// Rows of the table.
    #[arg(long, default_value_t = 1_000_000)]
    rows: u64,
    /// Skip dlt (no venv, no PyPI).
    #[arg(long)]
    no_dlt: bool,
}

#[derive(clap::Args)]
pub struct ScenarioArgs {
    #[arg(long)]
    port: u16,
    #[arg(long)]
    table: String,
    #[arg(long)]
    dir: std::path::PathBuf,
    /// Count the records and drop them instead of writing the warehouse: the source's own
    /// memory, without DuckDB's (whose primary-key index grows with the table).
    #[arg(long)]
    discard: bool,
}

#[derive(Debug, Configuration)]
pub struct SqlConfig {
    pub port: u16,
    #[field(secret)]
    pub password: Password,
    pub tables: TableChoices,
}

#[state]
#[derive(Default)]
pub struct SqlState {
    pub tables: Positions,
}

impl SqlConfig {
    fn settings(&self) -> ConnectionSettings {
        ConnectionSettings {
            host: "127.0.0.1".into(),
            port: self.port,
            database: "bench".into(),
            user: connector_sql::testing::USER.into(),
            password: self.password.clone(),
        }
    }
}

async fn sql_schema(config: &SqlConfig) -> Result<Vec<TableSchema>> {
    let source = Postgres::connect(&config.settings(), Dialect::Postgres).await?;
    Ok(source
        .plan(&config.tables)
        .await?
        .iter()
        .map(|p| p.table.schema())
        .collect())
}

#[sync(tables(), schema = sql_schema)]
pub(crate) async fn update_sql(
    ops: &Operations,
    config: &SqlConfig,
    state: &mut SqlState,
) -> Result<()> {
    let source = Postgres::connect(&config.settings(), Dialect::Postgres).await?;
    for plan in source.plan(&config.tables).await? {
        replicate(ops, &source, &plan, state, |s: &mut SqlState| &mut s.tables).await?;
    }
    Ok(())
}

/// One replication into a warehouse in `dir`, in this process; prints `seconds peak_rss_kb`.
pub fn scenario(args: &ScenarioArgs) {
    let configuration = configuration_map(json!({
        "port": args.port.to_string(),
        "password": connector_sql::testing::PASSWORD,
        "tables": format!("{}:id", args.table),
    }));
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let started = Instant::now();
    if args.discard {
        let (counted, outcome) = runtime.block_on(run_sync::<update_sql, _>(
            &configuration,
            None,
            Discard::default(),
        ));
        outcome.expect("the sync succeeds");
        assert!(counted.records > 0, "the sync emitted nothing");
        println!("{} {}", started.elapsed().as_secs_f64(), peak_rss_kb());
        return;
    }
    let files = Files::new(&args.dir, None);
    let (_, outcome) = runtime
        .block_on(sync_into_warehouse::<update_sql>(
            &configuration,
            &files,
            Naming::Fivetran,
            false,
        ))
        .expect("the warehouse opens");
    outcome.expect("the sync succeeds");
    println!("{} {}", started.elapsed().as_secs_f64(), peak_rss_kb());
}

/// A sink that counts what it is given and keeps none of it.
#[derive(Default)]
struct Discard {
    records: u64,
}

impl Sink for Discard {
    fn write(&mut self, _: Record) -> Result<()> {
        self.records += 1;
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

struct Measured {
    name: String,
    rows: u64,
    seconds: f64,
    peak_rss_kb: u64,
}

fn parse_figures(stdout: &[u8]) -> Result<(f64, u64)> {
    let text = String::from_utf8_lossy(stdout);
    let last = text.lines().last().unwrap_or_default().to_string();
    let mut parts = last.split_whitespace();
    let seconds = parts
        .next()
        .and_then(|s| s.parse().ok())
        .context("seconds")?;
    let peak = parts
        .next()
        .and_then(|s| s.parse().ok())
        .context("peak RSS")?;
    Ok((seconds, peak))
}

fn ours(cluster: &TestPostgres, table: &str, rows: u64, discard: bool) -> Result<Measured> {
    let dir = tempdir(&format!("sql-{table}"));
    let output = Command::new(std::env::current_exe()?)
        .args([
            "sql-scenario",
            "--port",
            &cluster.port().to_string(),
            "--table",
            table,
        ])
        .arg("--dir")
        .arg(&dir)
        .args(discard.then_some("--discard"))
        .output()?;
    let _ = std::fs::remove_dir_all(&dir);
    ensure!(
        output.status.success(),
        "ours failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (seconds, peak_rss_kb) = parse_figures(&output.stdout)?;
    Ok(Measured {
        name: if discard {
            "ours: connector-sql, records dropped".into()
        } else {
            "ours: connector-sql into debug".into()
        },
        rows,
        seconds,
        peak_rss_kb,
    })
}

const DLT_SCRIPT: &str = r#"
import resource, sys, time
import dlt
from dlt.sources.sql_database import sql_database

source = sql_database(credentials=sys.argv[1], table_names=[sys.argv[2]], backend=sys.argv[4])
pipeline = dlt.pipeline(pipeline_name="bench_sql", destination=dlt.destinations.duckdb(sys.argv[3]), dataset_name="tester")
started = time.time()
pipeline.run(source)
print(time.time() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"#;

/// The pyarrow the `pyarrow` backend of dlt runs on (dlt 1.31.0 has no extra that pins it).
const PYARROW_VERSION: &str = "26.0.1";

/// dlt's `sql_database` backends measured: `sqlalchemy` (its default, a Python dict per row)
/// and `pyarrow` (rows fetched by SQLAlchemy, turned into Arrow tables, loaded as Parquet).
const DLT_BACKENDS: [&str; 2] = ["sqlalchemy", "pyarrow"];

/// dlt's `sql_database` with `backend` loading the table into DuckDB.
fn dlt(cluster: &TestPostgres, table: &str, rows: u64, backend: &str) -> Result<Measured> {
    let python = Path::new(VENV).join("bin/python");
    let check = Command::new(&python)
        .args(["-c", "import dlt, psycopg2, pyarrow, sqlalchemy; from dlt.sources.sql_database import sql_database; print(dlt.__version__)"])
        .output();
    if !check.as_ref().is_ok_and(|o| o.status.success()) {
        if !python.exists() {
            ensure!(
                Command::new("python3")
                    .args(["-m", "venv", VENV])
                    .status()?
                    .success(),
                "python3 -m venv failed"
            );
        }
        let status = Command::new(Path::new(VENV).join("bin/pip"))
            .args([
                "install",
                "-q",
                &format!("dlt[duckdb]=={DLT_VERSION}"),
                "psycopg2-binary",
                "sqlalchemy",
                &format!("pyarrow=={PYARROW_VERSION}"),
            ])
            .status()?;
        ensure!(
            status.success(),
            "pip install dlt[duckdb] psycopg2-binary sqlalchemy pyarrow failed"
        );
    }
    let dir = tempdir("sql-dlt");
    std::fs::create_dir_all(&dir)?;
    let credentials = format!(
        "postgresql+psycopg2://{}:{}@127.0.0.1:{}/bench",
        connector_sql::testing::USER,
        connector_sql::testing::PASSWORD,
        cluster.port()
    );
    let output = Command::new(&python)
        .args(["-c", DLT_SCRIPT, &credentials, table])
        .arg(dir.join("dlt.db"))
        .arg(backend)
        .current_dir(&dir)
        .output()?;
    let _ = std::fs::remove_dir_all(&dir);
    ensure!(
        output.status.success(),
        "dlt failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (seconds, peak_rss_kb) = parse_figures(&output.stdout)?;
    Ok(Measured {
        name: format!("dlt {DLT_VERSION} sql_database, {backend}"),
        rows,
        seconds,
        peak_rss_kb,
    })
}

/// Creates `table` with `rows` rows of the 6 columns.
fn fill(cluster: &TestPostgres, table: &str, rows: u64) -> Result<()> {
    cluster.psql(
        "bench",
        &format!(
            "CREATE TABLE {table} (id bigint PRIMARY KEY, name text NOT NULL, amount double precision NOT NULL,
                 created_at timestamptz NOT NULL, active boolean NOT NULL, price numeric(18, 4) NOT NULL);
             INSERT INTO {table} SELECT i, 'Customer #' || (i % 1000), (i % 100000) * 0.37,
                 timestamptz '2023-11-14 22:13:20+00' + i * interval '1 second', i % 3 <> 0,
                 ((i * 7919) % 100000000) / 10000.0
             FROM generate_series(0::bigint, {} - 1) i;
             ANALYZE {table};",
            rows
        ),
    )?;
    Ok(())
}

pub fn run(args: &Args) {
    let cluster = TestPostgres::start("bench").expect("the PostgreSQL cluster starts");
    let small = args.rows / 10;
    fill(&cluster, "orders_small", small).expect("the small table");
    fill(&cluster, "orders", args.rows).expect("the table");
    let mut results = Vec::new();
    for discard in [true, false] {
        for (table, rows) in [("orders_small", small), ("orders", args.rows)] {
            match ours(&cluster, table, rows, discard) {
                Ok(measured) => results.push(measured),
                Err(error) => eprintln!("ours on {table}: {error:#}"),
            }
        }
    }
    if !args.no_dlt {
        for backend in DLT_BACKENDS {
            match dlt(&cluster, "orders", args.rows, backend) {
                Ok(measured) => results.push(measured),
                Err(error) => eprintln!("dlt ({backend}) not measured: {error:#}"),
            }
        }
    }
    println!(
        "sql: PostgreSQL table of 6 columns (BIGINT key, TEXT, DOUBLE, TIMESTAMPTZ, BOOLEAN, NUMERIC(18, 4)) into DuckDB"
    );
    println!(
        "{:<42} | {:>9} | {:>8} | {:>10} | {:>12}",
        "scenario", "rows", "seconds", "rows/s", "peak RSS MB"
    );
    for m in &results {
        println!(
            "{:<42} | {:>9} | {:>8.2} | {:>10.0} | {:>12.1}",
            m.name,
            m.rows,
            m.seconds,
            m.rows as f64 / m.seconds,
            m.peak_rss_kb as f64 / 1024.0
        );
    }
}
