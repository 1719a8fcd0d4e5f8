//! The `connector-tester` binary against a connector served in-process: it writes the warehouse
//! and state that `debug` writes, honours a selection file, stops when a setup test fails
//! (without showing the secret), and says plainly when nothing listens.

use std::path::Path;
use std::process::{Command, Output};

use connector_core::__internal::grpc::{ServeOptions, bind, serve_on};
use connector_core::__internal::local::Files;
use connector_core::__internal::local::sync_into_warehouse;
use connector_core::naming::Naming;
use connector_core::prelude::*;
use connector_core::testing::{configuration_map, dump_with_state};

const SECRET: &str = "key-0123456789abcdef";

#[derive(Debug, Configuration)]
#[setup_test(check_key, label = "Checking the key")]
pub struct Config {
    #[field(secret)]
    pub key: String,
}

async fn check_key(config: &Config) -> Result<()> {
    ensure!(
        config.key.starts_with("key-"),
        "the key {} was refused",
        config.key
    );
    Ok(())
}

#[table(name = "customers")]
pub struct Customer {
    #[primary_key]
    pub id: i64,
    pub full_name: String,
    pub balance: Option<f64>,
}

#[state]
#[derive(Debug, Default)]
pub struct Cursor {
    pub runs: i64,
}

#[sync(tables(Customer), schema = undeclared)]
async fn update(ops: &Operations, _config: &Config, state: &mut Cursor) -> Result<()> {
    state.runs += 1;
    for id in 0..5 {
        ops.upsert(Customer {
            id,
            full_name: format!("customer {id} run {}", state.runs),
            balance: (id % 2 == 0).then_some(id as f64 * 1.5),
        })
        .await?;
    }
    ops.upsert_row(
        "notes",
        Row::new().with("note", "a note").with("n", state.runs),
    )
    .await?;
    ops.delete(CustomerKey { id: 4 }).await?;
    ops.checkpoint(state).await?;
    Ok(())
}

async fn undeclared(_config: &Config) -> Result<Vec<TableSchema>> {
    Ok(vec![TableSchema::new("notes")])
}

async fn start() -> u16 {
    let listeners = bind(0).unwrap();
    let port = listeners[0].local_addr().unwrap().port();
    tokio::spawn(serve_on::<update>(
        listeners,
        ServeOptions::default(),
        std::future::pending(),
    ));
    port
}

fn write_configuration(dir: &Path, key: &str) -> std::path::PathBuf {
    let path = dir.join("configuration.json");
    std::fs::write(&path, json!({ "key": key }).to_string()).unwrap();
    path
}

/// The tester's arguments for a sync of the server on `port` with the configuration file
/// `configuration`, into the folder `files`.
fn sync_args(port: u16, configuration: &Path, files: &Path) -> Vec<String> {
    vec![
        "--port".into(),
        port.to_string(),
        "--configuration".into(),
        configuration.display().to_string(),
        "--files".into(),
        files.display().to_string(),
    ]
}

/// Runs the tester binary off the test's runtime threads.
async fn tester(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_connector-tester"))
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn dump(files: &Files) -> String {
    dump_with_state(files).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tester_writes_the_warehouse_and_state_that_debug_writes() {
    let port = start().await;
    let dir = tempfile::tempdir().unwrap();
    let configuration = write_configuration(dir.path(), SECRET);
    let served = dir.path().join("served");
    let local = Files::new(&dir.path().join("local"), None);
    for run in 1..=2 {
        let output = tester(sync_args(port, &configuration, &served)).await;
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "run {run}: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            stdout.contains("setup test `check_key` (Checking the key) passed"),
            "{stdout}"
        );
        assert!(stdout.contains("SYNC SUCCEEDED"), "{stdout}");
        assert!(
            stdout.contains("customers"),
            "the table of counts: {stdout}"
        );
        assert!(!stdout.contains(SECRET));

        let (_, outcome) = sync_into_warehouse::<update>(
            &configuration_map(json!({ "key": SECRET })),
            &local,
            Naming::Fivetran,
            false,
        )
        .await
        .unwrap();
        outcome.unwrap();
        assert_eq!(dump(&Files::new(&served, None)), dump(&local), "run {run}");
    }
    assert!(
        dump(&local).contains("\"runs\":2"),
        "the second run resumed from the first's state"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_selection_file_leaves_out_tables_and_columns() {
    let port = start().await;
    let dir = tempfile::tempdir().unwrap();
    let configuration = write_configuration(dir.path(), SECRET);
    let selection = dir.path().join("selection.json");
    std::fs::write(
        &selection,
        json!({"without_schema": {
            "tables": [{"table_name": "customers", "included": true, "include_new_columns": true,
                        "columns": {"balance": false}}],
            "include_new_tables": false
        }})
        .to_string(),
    )
    .unwrap();
    let files = dir.path().join("files");
    let mut args = sync_args(port, &configuration, &files);
    args.extend(["--selection".into(), selection.display().to_string()]);
    let output = tester(args).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let dump = dump(&Files::new(&files, None));
    assert!(dump.contains("tester.customers"), "{dump}");
    assert!(!dump.contains("notes"), "an excluded table: {dump}");
    // The column was never sent, so the destination never learned of it.
    assert!(!dump.contains("balance"), "an excluded column: {dump}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_setup_test_stops_before_the_sync_and_hides_the_secret() {
    let port = start().await;
    let dir = tempfile::tempdir().unwrap();
    let bad = "bad-key-that-is-secret";
    let configuration = write_configuration(dir.path(), bad);
    let files = dir.path().join("files");
    let output = tester(sync_args(port, &configuration, &files)).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success());
    assert!(
        stdout
            .contains("setup test `check_key` (Checking the key) failed: the key *** was refused"),
        "{stdout}"
    );
    assert!(stdout.contains("SETUP TESTS FAILED"), "{stdout}");
    assert!(!stdout.contains(bad));
    assert!(!files.join("warehouse.db").exists());
}

/// A state or selection file that is not JSON: exit code 1 and one message naming the file,
/// before the warehouse is created.
#[tokio::test(flavor = "multi_thread")]
async fn a_bad_state_or_selection_file_is_refused_before_the_warehouse_is_created() {
    let port = start().await;
    let dir = tempfile::tempdir().unwrap();
    let configuration = write_configuration(dir.path(), "key-1");
    let files = dir.path().join("files");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"next": 1"#).unwrap();
    for (option, message) in [
        ("--state", "the state file"),
        ("--selection", "the selection file"),
    ] {
        let mut args = sync_args(port, &configuration, &files);
        args.extend([option.to_string(), bad.display().to_string()]);
        let output = tester(args).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(&format!("{message} {} is not JSON", bad.display())),
            "{stderr}"
        );
        assert!(!files.exists(), "{option}: files/ was created");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_listening_is_a_plain_error() {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let output = tester(vec![
        "--port".into(),
        port.to_string(),
        "--wait".into(),
        "1".into(),
    ])
    .await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot connect to 127.0.0.1:{port}")),
        "{stderr}"
    );
}

/// A partner connector that does not hide secrets: its form marks `key` as a password, and it
/// quotes the key in a setup test's failure, in a warning and in the status that ends a sync.
mod careless {
    use connector_core::__internal::proto;
    use connector_core::__internal::proto::source_connector_server::{
        SourceConnector, SourceConnectorServer,
    };
    use connector_core::__internal::proto::update_response::Operation;
    use tonic::{Request, Response, Status};

    pub struct Careless;

    fn key(configuration: &std::collections::BTreeMap<String, String>) -> String {
        configuration.get("key").cloned().unwrap_or_default()
    }

    #[tonic::async_trait]
    impl SourceConnector for Careless {
        async fn configuration_form(
            &self,
            _: Request<proto::ConfigurationFormRequest>,
        ) -> Result<Response<proto::ConfigurationFormResponse>, Status> {
            Ok(Response::new(proto::ConfigurationFormResponse {
                fields: vec![proto::FormField {
                    name: "key".into(),
                    label: "Key".into(),
                    r#type: Some(proto::form_field::Type::TextField(
                        proto::TextField::Password as i32,
                    )),
                    ..Default::default()
                }],
                tests: vec![proto::ConfigurationTest {
                    name: "connect".into(),
                    label: "Connecting".into(),
                }],
                ..Default::default()
            }))
        }

        async fn test(
            &self,
            request: Request<proto::TestRequest>,
        ) -> Result<Response<proto::TestResponse>, Status> {
            let key = key(&request.into_inner().configuration);
            let response = if key.starts_with("good-") {
                proto::test_response::Response::Success(true)
            } else {
                proto::test_response::Response::Failure(format!("401 for key {key}"))
            };
            Ok(Response::new(proto::TestResponse {
                response: Some(response),
            }))
        }

        async fn schema(
            &self,
            _: Request<proto::SchemaRequest>,
        ) -> Result<Response<proto::SchemaResponse>, Status> {
            Ok(Response::new(proto::SchemaResponse {
                response: Some(proto::schema_response::Response::WithoutSchema(
                    proto::TableList { tables: vec![] },
                )),
                selection_not_supported: None,
            }))
        }

        type UpdateStream =
            tokio_stream::Iter<std::vec::IntoIter<Result<proto::UpdateResponse, Status>>>;

        async fn update(
            &self,
            request: Request<proto::UpdateRequest>,
        ) -> Result<Response<Self::UpdateStream>, Status> {
            let key = key(&request.into_inner().configuration);
            let warning = proto::UpdateResponse {
                operation: Some(Operation::Warning(proto::Warning {
                    message: format!("slow responses for key {key}"),
                })),
            };
            let failure = Status::internal(format!("the source refused key {key}"));
            Ok(Response::new(tokio_stream::iter(vec![
                Ok(warning),
                Err(failure),
            ])))
        }
    }

    pub fn server() -> SourceConnectorServer<Careless> {
        SourceConnectorServer::new(Careless)
    }
}

/// Runs the tester against the careless connector with `key`; returns stdout and stderr.
async fn against_careless(key: &str) -> (bool, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(careless::server())
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let dir = tempfile::tempdir().unwrap();
    let configuration = write_configuration(dir.path(), key);
    let output = tester(sync_args(port, &configuration, &dir.path().join("files"))).await;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tester_hides_the_form_s_password_fields_when_the_connector_does_not() {
    let bad = "bad-key-0123456789";
    let (ok, text) = against_careless(bad).await;
    assert!(!ok);
    assert!(
        text.contains("setup test `connect` (Connecting) failed: 401 for key ***"),
        "{text}"
    );
    assert!(!text.contains(bad), "{text}");

    let good = "good-key-0123456789";
    let (ok, text) = against_careless(good).await;
    assert!(!ok, "the sync ends with an error status: {text}");
    assert!(text.contains("slow responses for key ***"), "{text}");
    assert!(text.contains("the source refused key ***"), "{text}");
    assert!(text.contains("SYNC FAILED"), "{text}");
    assert!(!text.contains(good), "{text}");
}
