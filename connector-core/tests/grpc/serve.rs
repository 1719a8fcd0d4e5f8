//! `serve` as a gRPC client sees it: the four RPCs, batching, selection, errors as statuses
//! without secrets, cancellation, backpressure, concurrent Updates, IPv4 and IPv6. The server
//! runs in-process on a free port; the client is the generated tonic client.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use connector_core::__internal::grpc::{ServeOptions, bind, serve_on};
use connector_core::__internal::proto;
use connector_core::__internal::proto::source_connector_client::SourceConnectorClient;
use connector_core::__internal::proto::update_response::Operation;
use connector_core::prelude::*;
use tonic::Code;
use tonic::transport::Channel;

const SECRET: &str = "tok-very-secret-4711";

#[derive(Debug, Configuration)]
#[setup_test(check_token, label = "Checking the token")]
pub struct Config {
    #[field(label = "Token", secret)]
    pub token: String,
    /// Rows of `items` to send.
    #[field(default = "250")]
    pub rows: u64,
    /// Names this run in the test's progress table.
    #[field(default = "")]
    pub run: String,
    #[field(default = "false")]
    pub fail: bool,
    /// Bytes of padding in each item's name (large records).
    #[field(default = "0")]
    pub pad: usize,
    #[field(default = "false")]
    pub panic_in_schema: bool,
    #[field(default = "false")]
    pub task: bool,
}

async fn check_token(config: &Config) -> Result<()> {
    ensure!(
        config.token.starts_with("tok-"),
        "the source refused the token {}",
        config.token
    );
    Ok(())
}

#[table(name = "items")]
pub struct Item {
    #[primary_key]
    pub id: i64,
    pub name: String,
    #[column(decimal(10, 2))]
    pub price: Decimal,
    pub at: DateTime<Utc>,
}

#[table(name = "events")]
pub struct Event {
    #[primary_key]
    pub id: i64,
    pub kind: String,
}

#[state]
#[derive(Debug, Default)]
pub struct Cursor {
    pub next: u64,
}

/// Per run: rows emitted so far, and whether the sync function has ended (returned, failed or
/// was dropped).
#[derive(Default)]
struct Progress {
    emitted: AtomicU64,
    ended: AtomicBool,
}

static PROGRESS: LazyLock<Mutex<HashMap<String, Arc<Progress>>>> = LazyLock::new(Default::default);

fn progress(run: &str) -> Arc<Progress> {
    PROGRESS
        .lock()
        .unwrap()
        .entry(run.to_string())
        .or_default()
        .clone()
}

struct Ended(Arc<Progress>);

impl Drop for Ended {
    fn drop(&mut self) {
        self.0.ended.store(true, Ordering::SeqCst);
    }
}

/// The schema function: no run-time tables, or a crash on demand.
async fn discover(config: &Config) -> Result<Vec<TableSchema>> {
    assert!(
        !config.panic_in_schema,
        "the schema function crashed holding token {}",
        config.token
    );
    Ok(Vec::new())
}

#[sync(tables(Item, Event), schema = discover)]
async fn update(ops: &Operations, config: &Config, state: &mut Cursor) -> Result<()> {
    let progress = progress(&config.run);
    let _ended = Ended(progress.clone());
    for i in state.next..config.rows {
        let id = i as i64;
        ops.upsert(Item {
            id,
            name: format!("item {i}{}", "x".repeat(config.pad)),
            price: Decimal::new(id * 101, 2),
            at: DateTime::from_timestamp(1_700_000_000 + id, 0).unwrap(),
        })
        .await?;
        progress.emitted.fetch_add(1, Ordering::SeqCst);
        if (i + 1) % 100 == 0 {
            state.next = i + 1;
            ops.checkpoint(state).await?;
        }
    }
    ops.upsert(Event {
        id: 1,
        kind: "done".into(),
    })
    .await?;
    ops.update(Item::patch(0).name("renamed")).await?;
    ops.delete(ItemKey { id: 1 }).await?;
    ops.warning("all items sent").await?;
    if config.fail {
        bail!("the source failed while using token {}", config.token);
    }
    if config.task {
        let message = format!("the token {} expired: renew it", config.token);
        return Err(ops.task(message).await);
    }
    state.next = config.rows;
    ops.checkpoint(state).await?;
    Ok(())
}

/// A server on a free port (IPv4 and IPv6), stopped when the test ends.
async fn start(options: ServeOptions) -> u16 {
    let listeners = bind(0).unwrap();
    let port = listeners[0].local_addr().unwrap().port();
    tokio::spawn(serve_on::<update>(
        listeners,
        options,
        std::future::pending(),
    ));
    port
}

async fn client(host: &str, port: u16) -> SourceConnectorClient<Channel> {
    SourceConnectorClient::connect(format!("http://{host}:{port}"))
        .await
        .unwrap()
}

fn configuration(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut map: BTreeMap<String, String> = [("token", SECRET)]
        .iter()
        .chain(pairs)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    map.retain(|_, v| !v.is_empty());
    map
}

fn update_request(pairs: &[(&str, &str)]) -> proto::UpdateRequest {
    proto::UpdateRequest {
        configuration: configuration(pairs),
        selection: None,
        state_json: None,
    }
}

/// Every message of an Update stream, and the status that ended it (`None`: it ended well).
async fn read_all(
    client: &mut SourceConnectorClient<Channel>,
    request: proto::UpdateRequest,
) -> (Vec<Operation>, Option<tonic::Status>) {
    let mut stream = match client.update(request).await {
        Ok(response) => response.into_inner(),
        Err(status) => return (Vec::new(), Some(status)),
    };
    let mut operations = Vec::new();
    loop {
        match stream.message().await {
            Ok(Some(message)) => operations.push(message.operation.unwrap()),
            Ok(None) => return (operations, None),
            Err(status) => return (operations, Some(status)),
        }
    }
}

/// The records of a stream, in order, whatever their packaging.
fn records(operations: &[Operation]) -> Vec<proto::Record> {
    operations
        .iter()
        .flat_map(|op| match op {
            Operation::Record(r) => vec![r.clone()],
            Operation::Records(batch) => batch.records().unwrap(),
            _ => vec![],
        })
        .collect()
}

fn checkpoints(operations: &[Operation]) -> Vec<serde_json::Value> {
    operations
        .iter()
        .filter_map(|op| match op {
            Operation::Checkpoint(c) => Some(serde_json::from_str(&c.state_json).unwrap()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn the_form_lists_the_fields_and_the_setup_test() {
    let port = start(ServeOptions::default()).await;
    let form = client("127.0.0.1", port)
        .await
        .configuration_form(proto::ConfigurationFormRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(form.table_selection_supported);
    assert!(!form.schema_selection_supported);
    let names: Vec<&str> = form.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "token",
            "rows",
            "run",
            "fail",
            "pad",
            "panic_in_schema",
            "task"
        ]
    );
    assert_eq!(form.fields[0].label, "Token");
    assert_eq!(form.fields[0].required, Some(true));
    assert_eq!(
        form.fields[0].r#type,
        Some(proto::form_field::Type::TextField(
            proto::TextField::Password as i32
        ))
    );
    assert_eq!(form.fields[1].default_value.as_deref(), Some("250"));
    assert_eq!(form.fields[1].required, Some(false));
    assert_eq!(form.tests.len(), 1);
    assert_eq!(form.tests[0].name, "check_token");
    assert_eq!(form.tests[0].label, "Checking the token");
}

#[tokio::test]
async fn setup_tests_pass_fail_without_the_secret_and_unknown_ones_are_refused() {
    let port = start(ServeOptions::default()).await;
    let mut client = client("127.0.0.1", port).await;
    let run = |token: &str, name: &str| proto::TestRequest {
        name: name.into(),
        configuration: [("token".to_string(), token.to_string())].into(),
    };
    let ok = client.test(run(SECRET, "check_token")).await.unwrap();
    assert_eq!(
        ok.into_inner().response,
        Some(proto::test_response::Response::Success(true))
    );
    let refused = client
        .test(run("wrong-secret-123", "check_token"))
        .await
        .unwrap();
    let Some(proto::test_response::Response::Failure(why)) = refused.into_inner().response else {
        panic!("a failure")
    };
    assert_eq!(why, "the source refused the token ***");
    let unknown = client.test(run(SECRET, "nope")).await.unwrap_err();
    assert_eq!(unknown.code(), Code::InvalidArgument);
    assert!(unknown.message().contains("no setup test named `nope`"));
}

#[tokio::test]
async fn the_schema_declares_tables_columns_types_and_keys() {
    let port = start(ServeOptions::default()).await;
    let schema = client("127.0.0.1", port)
        .await
        .schema(proto::SchemaRequest {
            configuration: configuration(&[]),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(schema.selection_not_supported, Some(false));
    let Some(proto::schema_response::Response::WithoutSchema(list)) = schema.response else {
        panic!("a table list")
    };
    let tables: Vec<&str> = list.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tables, ["items", "events"]);
    let items = &list.tables[0];
    let columns: Vec<(&str, i32, bool)> = items
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.r#type, c.primary_key))
        .collect();
    assert_eq!(
        columns,
        [
            ("id", proto::DataType::Long as i32, true),
            ("name", proto::DataType::String as i32, false),
            ("price", proto::DataType::Decimal as i32, false),
            ("at", proto::DataType::UtcDatetime as i32, false),
        ]
    );
    assert_eq!(
        items.columns[2].params,
        Some(proto::DataTypeParams {
            params: Some(proto::data_type_params::Params::Decimal(
                proto::DecimalParams {
                    precision: 10,
                    scale: 2
                }
            ))
        })
    );
}

#[tokio::test]
async fn update_sends_batches_of_at_most_100_flushed_before_each_checkpoint_and_warning() {
    let port = start(ServeOptions::default()).await;
    let (operations, status) = read_all(
        &mut client("127.0.0.1", port).await,
        update_request(&[("rows", "250"), ("run", "batches")]),
    )
    .await;
    assert!(status.is_none(), "{status:?}");
    assert!(
        operations
            .iter()
            .all(|op| !matches!(op, Operation::Record(_)))
    );
    for op in &operations {
        if let Operation::Records(batch) = op {
            assert!((1..=100).contains(&batch.len()));
        }
    }
    // Rows sent before each checkpoint: everything emitted before it, nothing after.
    let mut sent = 0;
    let mut before_checkpoints = Vec::new();
    for op in &operations {
        match op {
            Operation::Records(batch) => sent += batch.len(),
            Operation::Checkpoint(_) => before_checkpoints.push(sent),
            Operation::Warning(w) => {
                assert_eq!(w.message, "all items sent");
                assert_eq!(sent, 253, "the warning comes after every record");
            }
            _ => {}
        }
    }
    assert_eq!(before_checkpoints, [100, 200, 253]);
    assert_eq!(
        checkpoints(&operations),
        [
            json!({"next": 100}),
            json!({"next": 200}),
            json!({"next": 250})
        ]
    );
    let records = records(&operations);
    assert_eq!(records.len(), 253);
    let first = &records[0];
    assert_eq!(first.table_name, "items");
    assert_eq!(first.schema_name, None);
    assert_eq!(first.r#type, proto::RecordType::Upsert as i32);
    let value = |column: &str| first.data[column].inner.clone().unwrap();
    use proto::value_type::Inner;
    assert_eq!(value("id"), Inner::Long(0));
    assert_eq!(value("name"), Inner::String("item 0".into()));
    assert_eq!(value("price"), Inner::Decimal("0.00".into()));
    assert_eq!(
        value("at"),
        Inner::UtcDatetime(prost_types::Timestamp {
            seconds: 1_700_000_000,
            nanos: 0
        })
    );
    let update = &records[251];
    assert_eq!(update.r#type, proto::RecordType::Update as i32);
    assert_eq!(update.data.len(), 2, "the key and the changed column only");
    let delete = &records[252];
    assert_eq!(delete.r#type, proto::RecordType::Delete as i32);
    assert_eq!(delete.data.keys().collect::<Vec<_>>(), ["id"]);
}

#[tokio::test]
async fn single_records_sends_one_record_per_message() {
    let port = start(ServeOptions {
        single_records: true,
    })
    .await;
    let (operations, status) = read_all(
        &mut client("127.0.0.1", port).await,
        update_request(&[("rows", "120"), ("run", "single")]),
    )
    .await;
    assert!(status.is_none(), "{status:?}");
    assert!(
        operations
            .iter()
            .all(|op| !matches!(op, Operation::Records(_)))
    );
    assert_eq!(records(&operations).len(), 123);
}

#[tokio::test]
async fn excluded_tables_and_columns_are_not_sent() {
    let port = start(ServeOptions::default()).await;
    let mut request = update_request(&[("rows", "5"), ("run", "selection")]);
    request.selection = Some(
        connector_core::__internal::grpc::selection_from_json(json!({"without_schema": {
            "tables": [
                {"table_name": "items", "included": true, "include_new_columns": true,
                 "columns": {"name": false}},
                {"table_name": "events", "included": false}
            ],
            "include_new_tables": false
        }}))
        .unwrap(),
    );
    let (operations, status) = read_all(&mut client("127.0.0.1", port).await, request).await;
    assert!(status.is_none(), "{status:?}");
    let records = records(&operations);
    assert!(records.iter().all(|r| r.table_name == "items"));
    assert!(records.iter().all(|r| !r.data.contains_key("name")));
    // 5 upserts, and the update and delete of items; the update lost its only changed column.
    assert_eq!(records.len(), 7);
    assert!(records[0].data.contains_key("price"));
}

#[tokio::test]
async fn bad_configuration_and_state_are_invalid_arguments_without_the_secret() {
    let port = start(ServeOptions::default()).await;
    let mut client = client("127.0.0.1", port).await;
    let (_, status) = read_all(&mut client, update_request(&[("rows", "many")])).await;
    let status = status.unwrap();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("`rows`"), "{}", status.message());
    assert!(!status.message().contains(SECRET));

    let mut request = update_request(&[]);
    request.state_json = Some("[1, 2]".into());
    let (_, status) = read_all(&mut client, request).await;
    let status = status.unwrap();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("state"), "{}", status.message());

    let (_, status) = read_all(
        &mut client,
        proto::UpdateRequest {
            configuration: BTreeMap::new(),
            selection: None,
            state_json: None,
        },
    )
    .await;
    assert!(status.unwrap().message().contains("`token`"));
}

/// A state that is truncated, not JSON, or of an older shape whose field changed type, and a
/// selection of the other kind than the Schema answer: INVALID_ARGUMENT naming the value, and
/// nothing sent before it (no record, no checkpoint).
#[tokio::test]
async fn a_bad_state_or_selection_is_an_invalid_argument_before_anything_is_sent() {
    let port = start(ServeOptions::default()).await;
    let mut client = client("127.0.0.1", port).await;
    for (state, message) in [
        (
            r#"{"next": 1"#,
            "invalid state: not JSON: EOF while parsing",
        ),
        ("cursor=1", "invalid state: not JSON: expected value"),
        (
            r#"{"next": "ten"}"#,
            "invalid state: invalid type: string \"ten\", expected u64",
        ),
    ] {
        let mut request = update_request(&[]);
        request.state_json = Some(state.into());
        let (operations, status) = read_all(&mut client, request).await;
        let status = status.unwrap();
        assert_eq!(status.code(), Code::InvalidArgument, "{state}");
        assert!(
            status.message().starts_with(message),
            "{state}: {}",
            status.message()
        );
        assert!(operations.is_empty(), "{state}: {operations:?}");
    }

    // These tables have no schema (Schema answers `without_schema`).
    let mut request = update_request(&[("run", "selection of the wrong kind")]);
    request.selection = Some(proto::Selection {
        selection: Some(proto::selection::Selection::WithSchema(
            proto::TablesWithSchema {
                schemas: vec![],
                include_new_schemas: true,
            },
        )),
    });
    let (operations, status) = read_all(&mut client, request).await;
    let status = status.unwrap();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        status.message(),
        "invalid selection: the selection lists schemas (`with_schema`), but the connector's \
         Schema answer is `without_schema`: the selection must be of the same kind"
    );
    assert!(operations.is_empty(), "{operations:?}");
    assert_eq!(
        progress("selection of the wrong kind")
            .emitted
            .load(Ordering::SeqCst),
        0,
        "the sync did not run"
    );
}

#[tokio::test]
async fn a_failed_sync_ends_the_stream_with_internal_after_its_checkpoints() {
    let port = start(ServeOptions::default()).await;
    let (operations, status) = read_all(
        &mut client("127.0.0.1", port).await,
        update_request(&[("rows", "150"), ("fail", "true"), ("run", "fails")]),
    )
    .await;
    let status = status.expect("a status");
    assert_eq!(status.code(), Code::Internal);
    assert!(
        status
            .message()
            .contains("the source failed while using token ***")
    );
    assert!(!status.message().contains(SECRET));
    assert_eq!(checkpoints(&operations), [json!({"next": 100})]);
}

#[tokio::test]
async fn a_task_goes_out_after_the_records_before_it_and_ends_the_stream() {
    let port = start(ServeOptions::default()).await;
    let (operations, status) = read_all(
        &mut client("127.0.0.1", port).await,
        update_request(&[("rows", "150"), ("task", "true"), ("run", "task")]),
    )
    .await;
    assert!(
        status.is_none(),
        "the task is the error the user sees: {status:?}"
    );
    let Some(Operation::Task(task)) = operations.last() else {
        panic!("the stream ends with the task: {operations:?}")
    };
    assert_eq!(task.message, "the token *** expired: renew it");
    let tasks = operations
        .iter()
        .filter(|op| matches!(op, Operation::Task(_)))
        .count();
    assert_eq!(tasks, 1);
    // Every record emitted before the task was flushed before it.
    assert_eq!(records(&operations).len(), 153);
    assert_eq!(checkpoints(&operations), [json!({"next": 100})]);
}

#[tokio::test]
async fn the_state_given_is_where_the_sync_resumes() {
    let port = start(ServeOptions::default()).await;
    let mut request = update_request(&[("rows", "250"), ("run", "resume")]);
    request.state_json = Some(r#"{"next": 200}"#.into());
    let (operations, status) = read_all(&mut client("127.0.0.1", port).await, request).await;
    assert!(status.is_none(), "{status:?}");
    assert_eq!(records(&operations).len(), 53);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_client_holds_the_source_back_and_a_cancel_stops_the_sync() {
    let port = start(ServeOptions::default()).await;
    let mut client = client("127.0.0.1", port).await;
    let run = progress("slow");
    let mut stream = client
        .update(update_request(&[("rows", "1000000"), ("run", "slow")]))
        .await
        .unwrap()
        .into_inner();
    stream.message().await.unwrap().unwrap();
    // The client reads nothing more: the source must stop well short of its million rows
    // (buffers: the operation channel, a few responses, the HTTP/2 window).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let held = run.emitted.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        run.emitted.load(Ordering::SeqCst),
        held,
        "the source is held still"
    );
    assert!(
        held < 100_000,
        "{held} rows emitted while the client read one message"
    );
    assert!(!run.ended.load(Ordering::SeqCst));
    drop(stream);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !run.ended.load(Ordering::SeqCst) {
        assert!(
            Instant::now() < deadline,
            "the sync did not stop after the cancel"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn updates_run_concurrently_and_the_server_serves_many_calls() {
    let port = start(ServeOptions::default()).await;
    // A is opened and left unread (held by backpressure) while B runs to its end.
    let mut a_client = client("127.0.0.1", port).await;
    let mut a = a_client
        .update(update_request(&[("rows", "100000"), ("run", "a")]))
        .await
        .unwrap()
        .into_inner();
    let first = a.message().await.unwrap().unwrap();
    let mut b_client = client("127.0.0.1", port).await;
    let (ops_b, status_b) = read_all(
        &mut b_client,
        update_request(&[("rows", "2000"), ("run", "b")]),
    )
    .await;
    assert!(status_b.is_none(), "{status_b:?}");
    assert_eq!(records(&ops_b).len(), 2003);
    assert!(
        progress("a").emitted.load(Ordering::SeqCst) < 100_000,
        "A was still running while B finished"
    );
    // A then reads to its end.
    let mut a_records = records(&[first.operation.unwrap()]).len();
    while let Some(message) = a.message().await.unwrap() {
        a_records += records(&[message.operation.unwrap()]).len();
    }
    assert_eq!(a_records, 100_003);
    // And another call, on the same server.
    let (ops, status) = read_all(
        &mut b_client,
        update_request(&[("rows", "10"), ("run", "c")]),
    )
    .await;
    assert!(status.is_none());
    assert_eq!(records(&ops).len(), 13);
}

#[tokio::test]
async fn large_records_are_flushed_before_a_batch_passes_100_kb() {
    let port = start(ServeOptions::default()).await;
    let (operations, status) = read_all(
        &mut client("127.0.0.1", port).await,
        update_request(&[("rows", "200"), ("pad", "5000"), ("run", "large")]),
    )
    .await;
    assert!(status.is_none(), "{status:?}");
    use prost::Message as _;
    let batches: Vec<&connector_core::__internal::grpc::Records> = operations
        .iter()
        .filter_map(|op| match op {
            Operation::Records(batch) => Some(batch),
            _ => None,
        })
        .collect();
    for batch in &batches {
        let records = batch.records().unwrap();
        let largest = records.iter().map(|r| r.encoded_len()).max().unwrap();
        assert!(
            batch.encoded_len() < 100_000 + largest + 16,
            "{}",
            batch.encoded_len()
        );
    }
    let sizes: Vec<usize> = batches.iter().map(|b| b.len()).collect();
    assert!(sizes.iter().all(|n| *n < 25), "{sizes:?}");
    assert_eq!(records(&operations).len(), 203);
}

#[tokio::test]
async fn a_crash_outside_the_sync_function_ends_the_stream_with_internal() {
    let port = start(ServeOptions::default()).await;
    let (_, status) = read_all(
        &mut client("127.0.0.1", port).await,
        update_request(&[("panic_in_schema", "true"), ("run", "crash")]),
    )
    .await;
    let status = status.expect("a status, not a clean end");
    assert_eq!(status.code(), Code::Internal);
    assert!(
        status.message().contains("crashed holding token ***"),
        "{}",
        status.message()
    );
    assert!(!status.message().contains(SECRET));
    let schema = client("127.0.0.1", port)
        .await
        .schema(proto::SchemaRequest {
            configuration: configuration(&[("panic_in_schema", "true")]),
        })
        .await
        .unwrap_err();
    assert_eq!(schema.code(), Code::Internal);
    assert!(!schema.message().contains(SECRET));
}

#[tokio::test]
async fn the_server_answers_on_ipv4_and_ipv6() {
    let port = start(ServeOptions::default()).await;
    for host in ["127.0.0.1", "[::1]"] {
        let form = client(host, port)
            .await
            .configuration_form(proto::ConfigurationFormRequest {})
            .await;
        assert!(form.is_ok(), "{host}: {form:?}");
    }
}

mod properties;
