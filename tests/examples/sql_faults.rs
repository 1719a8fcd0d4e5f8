//! The SQL examples through the local warehouse: `redshift` and `sql_server` served like
//! `debug`, and `redshift`'s faults
//! (issue 12 §4), each against a throwaway PostgreSQL cluster of its own:
//! - the sync killed (SIGKILL) in the middle of a large incremental table: the next run ends
//!   with every row once, and the state's cursor is the largest in the warehouse;
//! - the cluster stopped in the middle of a sync: the sync fails with a clear error, the
//!   warehouse and the state stay at the last checkpoint, and the next sync completes.
//!
//! The killed process is this test binary run again as a child (`debug_child`, ignored in
//! normal runs), which syncs into the warehouse as `debug` does (`sync_into_warehouse`, the
//! function `debug` runs): a binary of its own would link DuckDB once more.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use connector_core::__internal::local::{Files, Warehouse, sync_into_warehouse};
use connector_core::naming::Naming;
use connector_core::serde_json::{self, Value, json};
use connector_core::testing::{assert_served_like_debug, configuration_map};
use connector_sql::Dialect;
use connector_sql::testing::{TestPostgres, wait_until};

/// Rows of the large table (beside the sample's five).
const ROWS: i64 = 100_000;

/// The configuration for `cluster`: the PostgreSQL dialect, every row from the beginning,
/// a checkpoint every 1,000 rows.
fn configuration(cluster: &TestPostgres) -> Value {
    let settings = cluster.settings();
    json!({
        "host": settings.host,
        "port": settings.port.to_string(),
        "database": settings.database,
        "user": settings.user,
        "password": settings.password.expose(),
        "dialect": "postgres",
        "start_after": "1900-01-01 00:00:00+00",
        "batch_size": "1000",
    })
}

/// A cluster whose `testers.customers` holds the sample's five customers and `ROWS` more, four
/// to a second (ties on every cursor value), after the sample's.
fn large_table() -> TestPostgres {
    let cluster = TestPostgres::start("dev").unwrap();
    cluster
        .psql("dev", &redshift::sample_table_sql(Dialect::Postgres))
        .unwrap();
    cluster
        .psql(
            "dev",
            &format!(
                "INSERT INTO testers.customers SELECT i, 'first ' || i, 'last ' || i, i || '@example.com',
                 TIMESTAMPTZ '2025-01-01 00:00:00+00' + (i / 4) * INTERVAL '1 second'
                 FROM generate_series(10, {}) i;",
                ROWS + 9
            ),
        )
        .unwrap();
    cluster
}

/// The saved position of `testers.customers` in the state file: (cursor, key).
fn saved_position(files: &Files) -> Option<(String, String)> {
    let text = std::fs::read_to_string(&files.state).ok()?;
    let state: Value = serde_json::from_str(&text).ok()?;
    let position = &state["tables"]["testers.customers"];
    Some((
        position["cursor"].as_str()?.to_string(),
        position["key"][0].as_str()?.to_string(),
    ))
}

/// Rows in the warehouse's `customers`, distinct keys, and the largest `(updated_at,
/// customer_id)` as (epoch seconds, id). (DuckDB's time-zone functions are an extension that
/// is not bundled: the timestamp is read as its text.)
fn warehouse_rows(files: &Files) -> (i64, i64, Option<(i64, i64)>) {
    let warehouse = Warehouse::open(&files.warehouse, Naming::Fivetran).unwrap();
    let connection = warehouse.connection();
    let exists: i64 = connection
        .query_row(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'tester' AND table_name = 'customers'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if exists == 0 {
        return (0, 0, None);
    }
    connection
        .query_row(
            "SELECT count(*), count(DISTINCT customer_id),
                    (SELECT CAST(updated_at AS VARCHAR) FROM tester.customers ORDER BY updated_at DESC, customer_id DESC LIMIT 1),
                    (SELECT customer_id FROM tester.customers ORDER BY updated_at DESC, customer_id DESC LIMIT 1)
             FROM tester.customers",
            [],
            |r| {
                let last = match (r.get::<_, Option<String>>(2)?, r.get::<_, Option<i64>>(3)?) {
                    (Some(at), Some(id)) => Some((epoch(&at), id)),
                    _ => None,
                };
                Ok((r.get(0)?, r.get(1)?, last))
            },
        )
        .unwrap()
}

/// A time as PostgreSQL and DuckDB write it (`2025-01-01 00:13:20+00`) as epoch seconds.
fn epoch(time: &str) -> i64 {
    connector_core::chrono::DateTime::parse_from_str(time, "%Y-%m-%d %H:%M:%S%#z")
        .unwrap_or_else(|e| panic!("`{time}`: {e}"))
        .timestamp()
}

/// How many source rows are at or before the saved position, by PostgreSQL's own order.
fn source_rows_through(cluster: &TestPostgres, (cursor, key): &(String, String)) -> i64 {
    cluster
        .psql(
            "dev",
            &format!(
                "SELECT count(*) FROM testers.customers WHERE (updated_at, customer_id) <= ('{cursor}'::timestamptz, {key})"
            ),
        )
        .unwrap()
        .parse()
        .unwrap()
}

/// One sync of `redshift` into the warehouse of `files`, as `debug` runs it.
async fn sync(configuration: &Value, files: &Files) -> Result<(), String> {
    let map = configuration_map(configuration.clone());
    let (sink, outcome) =
        sync_into_warehouse::<redshift::update>(&map, files, Naming::Fivetran, false)
            .await
            .unwrap();
    drop(sink);
    outcome.map(|_| ()).map_err(|e| e.to_string())
}

/// The child process of the kill test: one sync with the configuration and files its parent
/// names in `SQL_FAULT_CONFIGURATION` and `SQL_FAULT_FILES`.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "the child process of a_sync_killed_mid_table_resumes_to_every_row_once"]
async fn debug_child() {
    let configuration = std::env::var("SQL_FAULT_CONFIGURATION").expect("run by its parent");
    let files = std::env::var("SQL_FAULT_FILES").expect("run by its parent");
    let configuration: Value = serde_json::from_str(&configuration).unwrap();
    sync(&configuration, &Files::new(Path::new(&files), None))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_killed_mid_table_resumes_to_every_row_once() {
    let cluster = large_table();
    let configuration = configuration(&cluster);
    let dir = tempfile::tempdir().unwrap();
    let files = Files::new(dir.path(), None);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sql_faults::debug_child",
            "--ignored",
            "--test-threads=1",
        ])
        .env("SQL_FAULT_CONFIGURATION", configuration.to_string())
        .env("SQL_FAULT_FILES", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed once a few checkpoints are saved, well before the table's end.
    let checkpointed = wait_until(Duration::from_secs(120), || {
        saved_position(&files).is_some_and(|(_, key)| key.parse::<i64>().unwrap() > 5_000)
    });
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(
        checkpointed,
        "no checkpoint within 2 minutes; the child ended with {status}"
    );
    let (rows, _, _) = warehouse_rows(&files);
    assert!(
        rows > 0 && rows < ROWS,
        "the kill landed mid-table: {rows} of {} rows written",
        ROWS + 5
    );

    sync(&configuration, &files).await.unwrap();
    let (rows, distinct, last) = warehouse_rows(&files);
    assert_eq!((rows, distinct), (ROWS + 5, ROWS + 5), "every row once");
    let (cursor, key) = saved_position(&files).unwrap();
    assert_eq!(
        last,
        Some((epoch(&cursor), key.parse().unwrap())),
        "the state's position is the warehouse's largest (updated_at, customer_id)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cluster_stopped_mid_sync_fails_it_at_its_last_checkpoint() {
    let mut cluster = large_table();
    let configuration = configuration(&cluster);
    let dir = tempfile::tempdir().unwrap();
    let files = Files::new(dir.path(), None);
    let running = {
        let configuration = configuration.clone();
        let files = files.clone();
        tokio::spawn(async move { sync(&configuration, &files).await })
    };
    let checkpointed = wait_until(Duration::from_secs(120), || {
        saved_position(&files).is_some_and(|(_, key)| key.parse::<i64>().unwrap() > 5_000)
    });
    cluster.stop().unwrap();
    assert!(checkpointed, "no checkpoint within 2 minutes");
    let error = running
        .await
        .unwrap()
        .expect_err("the sync fails when the database goes away");
    assert!(
        error.contains("reading table `testers.customers` failed"),
        "the error names what failed: {error}"
    );
    assert!(!error.contains(connector_sql::testing::PASSWORD), "{error}");

    // The warehouse holds exactly the rows up to the saved position.
    let position = saved_position(&files).unwrap();
    let (rows, distinct, last) = warehouse_rows(&files);
    assert!(rows < ROWS, "stopped mid-table: {rows} rows");
    cluster.restart().unwrap();
    assert_eq!(rows, distinct);
    assert_eq!(rows, source_rows_through(&cluster, &position));
    assert_eq!(
        last,
        Some((epoch(&position.0), position.1.parse().unwrap()))
    );

    // The next sync resumes from there to every row once.
    sync(&configuration, &files).await.unwrap();
    let (rows, distinct, _) = warehouse_rows(&files);
    assert_eq!((rows, distinct), (ROWS + 5, ROWS + 5));
}

/// `redshift` served and read by the tester leaves the warehouse and state of `debug`, over two
/// runs, on the sample table.
#[tokio::test(flavor = "multi_thread")]
async fn redshift_served_like_debug() {
    let cluster = TestPostgres::start("dev").unwrap();
    let mut configuration = configuration(&cluster);
    configuration["create_sample_table"] = json!("true");
    configuration["batch_size"] = json!("2");
    assert_served_like_debug::<redshift::update>(configuration, 2).await;
}

/// `sql_server` (its PostgreSQL dialect: no SQL Server runs here) served like `debug`.
#[tokio::test(flavor = "multi_thread")]
async fn sql_server_served_like_debug() {
    let cluster = TestPostgres::start("hr").unwrap();
    let settings = cluster.settings();
    let configuration = json!({
        "host": settings.host,
        "port": settings.port.to_string(),
        "database": settings.database,
        "user": settings.user,
        "password": settings.password.expose(),
        "dialect": "postgres",
        "create_sample_table": "true",
    });
    assert_served_like_debug::<sql_server::update>(configuration, 2).await;
}
