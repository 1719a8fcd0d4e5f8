//! Interoperability with peers nobody here wrote: the Python stubs and gRPC server of the MIT
//! pip package `fivetran-connector-sdk==2.13.1`, in a venv made by `interop/venv.sh` (from PyPI).
//!
//! (a) `interop/client.py`, built on the package's generated stubs, calls each RPC of our
//!     server and the decoded answers are checked here;
//! (b) the tester (in-process, as its command line runs it) drives `interop/three_operations.py` served by the package's own server, and
//!     the warehouse matches the one `debug` makes of our Rust `three_operations` example.
//!
//! The Python server differs from ours: it fails an Update without `state_json` (the tester
//! always sends it), ignores the selection (the tester applies it itself and warns), serves one
//! Update per process, and answers every error with UNKNOWN.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use connector_core::__internal::grpc::{ServeOptions, bind, serve_on};
use connector_core::__internal::local::{Files, Warehouse};
use connector_core::__internal::tester::{self, TesterOptions};
use connector_core::Connector;
use connector_core::naming::Naming;
use connector_core::serde_json::{self, Value, json};
use connector_core::testing::configuration_map;

pub(crate) fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop")
}

/// The venv's python, made (once per machine) by `interop/venv.sh`.
pub(crate) fn python() -> PathBuf {
    let output = Command::new("bash")
        .arg(interop_dir().join("venv.sh"))
        .stderr(Stdio::inherit())
        .output()
        .expect("bash runs interop/venv.sh");
    assert!(output.status.success(), "interop/venv.sh failed");
    let venv = String::from_utf8(output.stdout).unwrap();
    PathBuf::from(venv.trim()).join("bin/python")
}

async fn serve<C: Connector>() -> u16 {
    let listeners = bind(0).unwrap();
    let port = listeners[0].local_addr().unwrap().port();
    tokio::spawn(serve_on::<C>(
        listeners,
        ServeOptions::default(),
        std::future::pending(),
    ));
    port
}

/// Runs `client.py` against a port; its output lines as JSON.
async fn python_client(port: u16, args: &[&str]) -> Vec<Value> {
    let mut command = Command::new(python());
    command
        .arg(interop_dir().join("client.py"))
        .args(["--port", &port.to_string(), "--host", "127.0.0.1"])
        .args(args);
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "client.py: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn answer<'a>(lines: &'a [Value], rpc: &str) -> &'a Value {
    let line = lines
        .iter()
        .find(|l| l["rpc"] == rpc)
        .unwrap_or_else(|| panic!("no {rpc} line in {lines:?}"));
    assert!(line.get("error").is_none(), "{line}");
    &line["response"]
}

/// The records of the Update lines, whatever the stubs call the batch field.
fn update_records(lines: &[Value]) -> Vec<Value> {
    let mut records = Vec::new();
    for line in lines.iter().filter(|l| l["rpc"] == "Update") {
        assert!(line.get("error").is_none(), "{line}");
        for (field, body) in line["response"].as_object().unwrap() {
            match field.as_str() {
                "records" | "structured_records" => {
                    let list = body.as_object().unwrap().values().next().unwrap();
                    records.extend(list.as_array().unwrap().iter().cloned());
                }
                "record" | "structured_record" => records.push(body.clone()),
                _ => {}
            }
        }
    }
    records
}

#[tokio::test(flavor = "multi_thread")]
async fn the_python_stubs_decode_every_answer_of_our_server() {
    let port = serve::<three_operations::update>().await;
    let lines = python_client(port, &[]).await;
    let form = answer(&lines, "ConfigurationForm");
    assert_eq!(form["table_selection_supported"], true);
    assert_eq!(
        answer(&lines, "Schema"),
        &json!({
            "without_schema": {"tables": [{"name": "three", "columns": [
                {"name": "id", "type": "STRING", "primary_key": true},
                {"name": "val1", "type": "STRING"},
                {"name": "val2", "type": "INT"}
            ]}]},
            "selection_not_supported": false
        })
    );
    let records = update_records(&lines);
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r["type"].as_str().unwrap_or("UPSERT"))
        .collect();
    assert_eq!(kinds, ["UPSERT", "UPSERT", "UPSERT", "UPDATE", "DELETE"]);
    assert_eq!(
        records[1]["data"],
        json!({
            "id": {"string": "efcbeddb-44d5-4edf-900e-d50cf9146859"},
            "val1": {"string": "efcbeddb-44d5-4edf-900e-d50cf9146859"},
            "val2": {"int": 1}
        })
    );
    assert_eq!(
        records[3]["data"],
        json!({"id": {"string": "efcbeddb-44d5-4edf-900e-d50cf9146859"}, "val1": {"string": "abc"}})
    );
    let checkpoint = lines
        .iter()
        .find(|l| l["rpc"] == "Update" && l["response"].get("checkpoint").is_some())
        .expect("a checkpoint");
    assert_eq!(checkpoint["response"]["checkpoint"]["state_json"], "{}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_python_stubs_read_our_form_and_setup_test() {
    let port = serve::<configuration::update>().await;
    let dir = tempfile::tempdir().unwrap();
    let configuration = dir.path().join("configuration.json");
    std::fs::copy(
        connector_examples::example_dir("quickstart/configuration").join("configuration.json"),
        &configuration,
    )
    .unwrap();
    let lines = python_client(port, &["--configuration", configuration.to_str().unwrap()]).await;
    let form = answer(&lines, "ConfigurationForm");
    let fields = form["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0]["name"], "my_key");
    assert_eq!(fields[0]["label"], "Decryption key");
    assert_eq!(fields[0]["text_field"], "Password");
    assert_eq!(
        form["tests"],
        json!([{"name": "check_key", "label": "Decrypting the message with the key"}])
    );
    let test = lines
        .iter()
        .find(|l| l["rpc"] == "Test")
        .expect("a Test line");
    assert_eq!(test["response"], json!({"success": true}));
    let records = update_records(&lines);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["table_name"], "crypto");
    assert_eq!(
        records[0]["data"],
        json!({"msg": {"string": "If you can read this, you have the correct key"}})
    );
}

/// The Python connector served by the package's server on a free port, killed when dropped.
struct PythonServer(Child, u16);

impl PythonServer {
    fn start(script: &str) -> PythonServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(python())
            .arg(interop_dir().join(script))
            .args(["--port", &port.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        PythonServer(child, port)
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn warehouse_dump(files: &Files) -> String {
    Warehouse::open(&files.warehouse, Naming::Fivetran)
        .unwrap()
        .dump()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tester_makes_the_same_warehouse_from_the_python_server_as_debug_from_rust() {
    let server = PythonServer::start("three_operations.py");
    let dir = tempfile::tempdir().unwrap();
    let from_python = Files::new(&dir.path().join("python"), None);
    // The tester as its command line runs it: form, setup tests, schema, update.
    let code = tester::run(TesterOptions {
        address: format!("127.0.0.1:{}", server.1),
        configuration: None,
        state: None,
        selection: None,
        files: dir.path().join("python"),
        naming: Naming::Fivetran,
        wait: Duration::from_secs(30),
    })
    .await
    .unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    let map = configuration_map(json!({}));

    let from_rust = Files::new(&dir.path().join("rust"), None);
    let (sink, outcome) = connector_core::__internal::local::sync_into_warehouse::<
        three_operations::update,
    >(&map, &from_rust, Naming::Fivetran, false)
    .await
    .unwrap();
    drop(sink);
    outcome.unwrap();
    assert_eq!(warehouse_dump(&from_python), warehouse_dump(&from_rust));
    assert_eq!(
        std::fs::read_to_string(&from_python.state).unwrap().trim(),
        "{}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tester_applies_the_selection_that_the_python_server_ignores() {
    let server = PythonServer::start("three_operations.py");
    let dir = tempfile::tempdir().unwrap();
    let files = Files::new(dir.path(), None);
    let mut client = tester::connect(&format!("127.0.0.1:{}", server.1), Duration::from_secs(30))
        .await
        .unwrap();
    let selection =
        connector_core::__internal::grpc::selection_from_json(json!({"without_schema": {
            "tables": [{"table_name": "three", "included": true, "include_new_columns": true,
                        "columns": {"val2": false}}]
        }}))
        .unwrap();
    let (sink, outcome) = tester::sync(
        &mut client,
        &configuration_map(json!({})),
        Some(selection),
        &files,
        Naming::Fivetran,
        false,
    )
    .await
    .unwrap();
    drop(sink);
    outcome.unwrap();
    let dump = warehouse_dump(&files);
    assert!(dump.contains("val1"), "{dump}");
    assert!(
        !dump.contains("val2"),
        "the excluded column was left out: {dump}"
    );
}
