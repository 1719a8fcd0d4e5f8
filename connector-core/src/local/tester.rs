//! `connector-tester`: the client side of the partner-SDK protocol. It connects to any source
//! connector that serves the protocol (ours, or one written with another SDK), calls
//! ConfigurationForm, Test, Schema and Update, and writes the `Update` stream into the local
//! warehouse through the same sink as `debug`, so both produce the same warehouse.
//!
//! Servers differ: the Python SDK's needs `state_json` (so it is always sent, `{}` at first) and
//! ignores the selection (so the tester applies it too and says what it dropped).

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tonic::transport::Channel;

use super::{ProgressLine, init_logging, open_sink, report_outcome};
use crate::config::read_configuration;
use crate::config::{ConfigurationMap, Redactor};
use crate::driver::{SyncError, SyncReport};
use crate::grpc::read::{self, RecordView, WireError};
use crate::grpc::selection::{Selection, TableChoice, selection_from_json};
use crate::grpc::server::MAX_MESSAGE_BYTES;
use crate::naming::Naming;
use crate::proto;
use crate::proto::source_connector_client::SourceConnectorClient;
use crate::proto::update_response::Operation;
use crate::record::{Cells, CellsBuilder, Record, RecordKind};
use crate::schema::{TableRef, TableSchema};
use crate::sink::Sink;
use crate::value::Value;
use crate::warehouse::{Files, WarehouseSink};

/// What `connector-tester` was asked to do.
#[derive(Debug, Clone)]
pub struct TesterOptions {
    /// Host and port of the connector, e.g. `127.0.0.1:50051`.
    pub address: String,
    /// The configuration file (`--configuration`).
    pub configuration: Option<PathBuf>,
    /// The state file to start from and write checkpoints to (`--state`).
    pub state: Option<PathBuf>,
    /// The selection file (`--selection`).
    pub selection: Option<PathBuf>,
    /// The folder of the warehouse and the state (`--files`).
    pub files: PathBuf,
    /// How names are written (`--naming`).
    pub naming: Naming,
    /// How long to wait for the connector to accept connections.
    pub wait: Duration,
}

/// Runs the tester from the command line and prints the outcome, as `debug` does.
pub async fn run(options: TesterOptions) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let configuration = match &options.configuration {
        Some(path) => read_configuration(path)?,
        None => ConfigurationMap::new(),
    };
    let selection = match &options.selection {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the selection file {}", path.display()))?;
            let json = serde_json::from_str(&text)
                .with_context(|| format!("the selection file {} is not JSON", path.display()))?;
            Some(
                selection_from_json(json).map_err(|why| {
                    anyhow::anyhow!("the selection file {}: {why}", path.display())
                })?,
            )
        }
        None => None,
    };
    let files = Files::new(&options.files, options.state.as_deref());
    // A bad state file is refused before the warehouse is created (the connector checks the
    // state's shape).
    files.read_state()?;
    let mut client = connect(&options.address, options.wait).await?;
    let form = client
        .configuration_form(proto::ConfigurationFormRequest {})
        .await
        .map_err(|s| status_error("ConfigurationForm", &s))?
        .into_inner();
    // The form's password fields are the secrets: never shown in a log line.
    let redactor = Redactor::for_fields(&configuration, secret_fields(&form));
    init_logging(redactor.clone());
    // Errors quote the server, which may quote the configuration: hide the secrets there too.
    let hide = |error: anyhow::Error| anyhow::anyhow!(redactor.redact(&format!("{error:#}")));
    if !setup(&mut client, &form, &configuration, &redactor)
        .await
        .map_err(hide)?
    {
        println!("SETUP TESTS FAILED: no sync was run");
        return Ok(ExitCode::FAILURE);
    }
    tracing::info!(target: "debugger", "running the sync into {}", files.warehouse.display());
    let (sink, outcome) = sync(
        &mut client,
        &configuration,
        selection,
        &files,
        options.naming,
        true,
    )
    .await
    .map_err(hide)?;
    Ok(report_outcome(&sink, outcome, &files, started, &redactor))
}

/// Connects to the connector at `address`, retrying until `wait` has passed.
pub async fn connect(
    address: &str,
    wait: Duration,
) -> anyhow::Result<SourceConnectorClient<Channel>> {
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
        .with_context(|| format!("`{address}` is not a host:port"))?;
    let deadline = Instant::now() + wait;
    let channel = loop {
        match endpoint.connect().await {
            Ok(channel) => break channel,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => {
                return Err(error).with_context(|| format!("cannot connect to {address}"));
            }
        }
    };
    Ok(SourceConnectorClient::new(channel)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES))
}

/// The names of the form's password fields, conditional ones included.
pub fn secret_fields(form: &proto::ConfigurationFormResponse) -> Vec<&str> {
    fn walk<'a>(fields: &'a [proto::FormField], out: &mut Vec<&'a str>) {
        for field in fields {
            match &field.r#type {
                Some(proto::form_field::Type::TextField(kind))
                    if *kind == proto::TextField::Password as i32 =>
                {
                    out.push(&field.name);
                }
                Some(proto::form_field::Type::ConditionalFields(c)) => walk(&c.fields, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(&form.fields, &mut out);
    out
}

/// Runs each setup test the form lists. Returns whether all passed.
pub async fn setup(
    client: &mut SourceConnectorClient<Channel>,
    form: &proto::ConfigurationFormResponse,
    configuration: &ConfigurationMap,
    redactor: &Redactor,
) -> anyhow::Result<bool> {
    tracing::info!(
        target: "debugger",
        "the connector's form has {} fields and {} setup tests",
        form.fields.len(),
        form.tests.len()
    );
    let mut passed = true;
    for test in &form.tests {
        let request = proto::TestRequest {
            name: test.name.clone(),
            configuration: configuration.clone().into_iter().collect(),
        };
        let response = client
            .test(request)
            .await
            .map_err(|s| status_error("Test", &s))?
            .into_inner();
        match response.response {
            Some(proto::test_response::Response::Success(true)) => {
                tracing::info!(target: "debugger", "setup test `{}` ({}) passed", test.name, test.label);
            }
            Some(proto::test_response::Response::Failure(why)) => {
                passed = false;
                tracing::error!(target: "debugger", "setup test `{}` ({}) failed: {}", test.name, test.label, redactor.redact(&why));
            }
            _ => {
                passed = false;
                tracing::error!(target: "debugger", "setup test `{}` ({}) answered neither success nor failure", test.name, test.label);
            }
        }
    }
    Ok(passed)
}

fn status_error(rpc: &str, status: &tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{rpc} failed: {:?}: {}", status.code(), status.message())
}

/// Reads the schema, runs one Update and writes its stream into the warehouse of `files`.
/// Returns the sink (holding the warehouse) and the outcome, as `debug`'s sync does.
pub async fn sync(
    client: &mut SourceConnectorClient<Channel>,
    configuration: &ConfigurationMap,
    selection: Option<proto::Selection>,
    files: &Files,
    naming: Naming,
    show_progress: bool,
) -> anyhow::Result<(WarehouseSink, Result<SyncReport, SyncError>)> {
    let schema = client
        .schema(proto::SchemaRequest {
            configuration: configuration.clone().into_iter().collect(),
        })
        .await
        .map_err(|s| status_error("Schema", &s))?
        .into_inner();
    let tables = declared_tables(schema).map_err(|why| anyhow::anyhow!("Schema: {why}"))?;
    let (sink, state) = open_sink(files, naming)?;
    let request = proto::UpdateRequest {
        configuration: configuration.clone().into_iter().collect(),
        selection: selection.clone(),
        // Always sent: the Python SDK's server fails without it.
        state_json: Some(if state.trim().is_empty() {
            "{}".to_string()
        } else {
            state
        }),
    };
    let progress_line = if show_progress {
        ProgressLine::start(sink.progress())
    } else {
        ProgressLine::none()
    };
    let stream = match client.update(request).await {
        Ok(response) => response.into_inner(),
        Err(status) => {
            progress_line.stop();
            let error = SyncError::Connector(status_error("Update", &status));
            return Ok((sink, Err(error)));
        }
    };
    let selection = Selection::from_wire(selection);
    let tables = selected(tables, &selection);
    let mut writer = StreamWriter::new(sink, &tables, selection);
    let handle = tokio::runtime::Handle::current();
    let (sink, outcome) = tokio::task::spawn_blocking(move || {
        let outcome = writer.drain(|stream| handle.block_on(stream.message()), stream);
        (writer.sink, outcome)
    })
    .await
    .context("the warehouse thread failed")?;
    progress_line.stop();
    Ok((sink, outcome))
}

/// The tables of a `Schema` answer.
fn declared_tables(schema: proto::SchemaResponse) -> Result<Vec<TableSchema>, WireError> {
    use proto::schema_response::Response;
    match schema.response {
        None | Some(Response::SchemaResponseNotSupported(_)) => Ok(Vec::new()),
        Some(Response::WithoutSchema(list)) => list
            .tables
            .iter()
            .map(|t| read::table_from_wire(t, None))
            .collect(),
        Some(Response::WithSchema(list)) => list
            .schemas
            .iter()
            .flat_map(|s| {
                s.tables
                    .iter()
                    .map(|t| read::table_from_wire(t, Some(&s.name)))
            })
            .collect(),
    }
}

/// The declared tables as the selection leaves them: excluded tables and columns are not
/// created at the destination.
fn selected(tables: Vec<TableSchema>, selection: &Selection) -> Vec<TableSchema> {
    tables
        .into_iter()
        .filter_map(|mut table| {
            let choice = selection.table(&table)?;
            if !choice.is_everything() {
                table.columns.to_mut().retain(|c| choice.column(&c.name));
            }
            Some(table)
        })
        .collect()
}

/// A table the stream writes to: its one handle (so the sink's per-table cache holds), what the
/// selection keeps of it (`None`: excluded), and its declared columns by name.
struct StreamTable {
    schema: Option<String>,
    table: TableRef,
    choice: Option<TableChoice>,
    columns: HashMap<String, u16>,
}

impl StreamTable {
    fn new(table: TableRef, selection: &Selection) -> StreamTable {
        let columns = table
            .columns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some((c.name.to_string(), u16::try_from(i).ok()?)))
            .collect();
        StreamTable {
            schema: table.schema.as_deref().map(str::to_string),
            choice: selection.table(&table),
            table,
            columns,
        }
    }
}

/// The stream's tables by name, then schema: a record's table is found from the names in its
/// message without building an owned key.
#[derive(Default)]
struct StreamTables {
    by_name: HashMap<String, Vec<StreamTable>>,
}

impl StreamTables {
    fn get_or_insert(
        &mut self,
        schema: Option<&str>,
        name: &str,
        make: impl FnOnce() -> StreamTable,
    ) -> &StreamTable {
        let found = self
            .by_name
            .get(name)
            .and_then(|same| same.iter().position(|t| t.schema.as_deref() == schema));
        let index = match found {
            Some(index) => index,
            None => {
                let same = self.by_name.entry(name.to_string()).or_default();
                same.push(make());
                same.len() - 1
            }
        };
        &self.by_name[name][index]
    }

    /// Adds `table` unless a table of its schema and name is there already.
    fn add(&mut self, table: TableRef, selection: &Selection) {
        let schema = table.schema.as_deref().map(str::to_string);
        let name = table.name.to_string();
        self.get_or_insert(schema.as_deref(), &name, || {
            StreamTable::new(table, selection)
        });
    }
}

/// Applies an `Update` stream to a warehouse sink, on a thread where blocking is fine.
struct StreamWriter {
    sink: WarehouseSink,
    tables: StreamTables,
    declared: Vec<TableRef>,
    selection: Selection,
    report: SyncReport,
    /// Records and cells the server sent although the selection excludes them.
    dropped_records: u64,
    dropped_cells: u64,
}

impl StreamWriter {
    fn new(sink: WarehouseSink, tables: &[TableSchema], selection: Selection) -> StreamWriter {
        let declared: Vec<TableRef> = tables.iter().cloned().map(TableRef::from).collect();
        let mut stream_tables = StreamTables::default();
        for table in &declared {
            stream_tables.add(table.clone(), &selection);
        }
        StreamWriter {
            sink,
            tables: stream_tables,
            declared,
            selection,
            report: SyncReport::default(),
            dropped_records: 0,
            dropped_cells: 0,
        }
    }

    /// Reads messages with `next` until the stream ends or fails, applying each.
    fn drain<S>(
        &mut self,
        mut next: impl FnMut(&mut S) -> Result<Option<proto::UpdateResponse>, tonic::Status>,
        mut stream: S,
    ) -> Result<SyncReport, SyncError> {
        if let Err(error) = self.sink.begin(&self.declared) {
            return Err(SyncError::Sink(error));
        }
        let result = loop {
            let message = match next(&mut stream) {
                Ok(Some(message)) => message,
                Ok(None) => break self.sink.finish().map_err(SyncError::Sink),
                Err(status) => {
                    break Err(SyncError::Connector(status_error(
                        "the Update stream",
                        &status,
                    )));
                }
            };
            if let Err(error) = self.apply(message) {
                break Err(error);
            }
        };
        if result.is_err() {
            self.sink.abort();
        }
        if self.dropped_records + self.dropped_cells > 0 {
            tracing::warn!(
                target: "debugger",
                "the connector sent {} records and {} cells that the selection excludes; they were left out",
                self.dropped_records,
                self.dropped_cells
            );
        }
        result.map(|()| std::mem::take(&mut self.report))
    }

    fn apply(&mut self, message: proto::UpdateResponse) -> Result<(), SyncError> {
        match message.operation {
            Some(Operation::Record(record)) => self.write(record),
            Some(Operation::Records(batch)) => batch.views().try_for_each(|view| {
                let view = view.map_err(|why| {
                    SyncError::Connector(anyhow::anyhow!("a malformed record: {why}"))
                })?;
                self.write_view(view)
            }),
            Some(Operation::Checkpoint(checkpoint)) => {
                self.report.checkpoints += 1;
                self.sink
                    .checkpoint(&checkpoint.state_json)
                    .map_err(SyncError::Sink)
            }
            Some(Operation::Warning(warning)) => {
                self.report.warnings += 1;
                self.sink.warning(&warning.message).map_err(SyncError::Sink)
            }
            Some(Operation::Task(task)) => Err(SyncError::Task(task.message)),
            Some(Operation::SchemaChange(change)) => {
                let schema = proto::SchemaResponse {
                    response: change.change.map(|c| match c {
                        proto::schema_change::Change::WithSchema(l) => {
                            proto::schema_response::Response::WithSchema(l)
                        }
                        proto::schema_change::Change::WithoutSchema(l) => {
                            proto::schema_response::Response::WithoutSchema(l)
                        }
                    }),
                    selection_not_supported: None,
                };
                let tables = declared_tables(schema)
                    .map_err(|why| SyncError::Connector(anyhow::anyhow!("schema change: {why}")))?;
                for table in tables {
                    self.tables.add(TableRef::from(table), &self.selection);
                }
                Ok(())
            }
            None => Err(SyncError::Connector(anyhow::anyhow!(
                "the connector sent an operation this tester does not know (an UpdateResponse \
                 field other than record, schema_change, checkpoint, warning, task or records); \
                 stopping rather than losing it"
            ))),
        }
    }

    /// A record of a `record` message.
    fn write(&mut self, record: proto::Record) -> Result<(), SyncError> {
        let cells = record.data.into_iter().map(|(column, value)| {
            let value = read::value_from_wire(value);
            (std::borrow::Cow::Owned(column), value)
        });
        self.write_cells(
            record.schema_name.as_deref(),
            &record.table_name,
            record.r#type,
            cells,
        )
    }

    /// A record of a `Records` batch, read straight from its bytes.
    fn write_view(&mut self, view: RecordView<'_>) -> Result<(), SyncError> {
        let cells = view.cells().map(|cell| match cell {
            Ok((column, value)) => (std::borrow::Cow::Borrowed(column), Ok(value)),
            Err(why) => (std::borrow::Cow::Borrowed("?"), Err(why)),
        });
        self.write_cells(view.schema_name, view.table_name, view.kind, cells)
    }

    /// Writes one record. Cells of the table's declared columns go by their index in its
    /// schema, as `Operations::upsert_row` sends them; a record with any other column keeps
    /// every cell by name.
    fn write_cells<'a>(
        &mut self,
        schema_name: Option<&str>,
        table_name: &str,
        kind: i32,
        cells: impl Iterator<Item = (std::borrow::Cow<'a, str>, Result<Value, WireError>)>,
    ) -> Result<(), SyncError> {
        let invalid = |why: String| SyncError::Connector(anyhow::anyhow!(why));
        let kind =
            read::record_kind_from_wire(kind).map_err(|why| SyncError::Connector(why.into()))?;
        let selection = &self.selection;
        let stream_table = self.tables.get_or_insert(schema_name, table_name, || {
            let mut table = TableSchema::new(table_name.to_string());
            if let Some(schema) = schema_name {
                table = table.in_schema(schema.to_string());
            }
            StreamTable::new(TableRef::from(table), selection)
        });
        let Some(choice) = &stream_table.choice else {
            self.dropped_records += 1;
            return Ok(());
        };
        let table = stream_table.table.clone();
        let cells = if kind == RecordKind::Truncate {
            Cells::None
        } else {
            let mut kept = CellsBuilder::new(&table, 0);
            for (column, value) in cells {
                let value = value.map_err(|why| {
                    invalid(format!(
                        "column `{column}` of table `{}`: {why}",
                        table.qualified_name()
                    ))
                })?;
                if !choice.column(&column) {
                    self.dropped_cells += 1;
                    continue;
                }
                let declared = stream_table.columns.get(column.as_ref()).copied();
                kept.push(declared, || Cow::Owned(column.into_owned()), value);
            }
            kept.finish()
        };
        let record = Record { table, kind, cells };
        self.report.count(&record);
        self.sink.write(record).map_err(SyncError::Sink)
    }
}
