//! The [`Sink`] of `serve`: encodes each operation straight into a protobuf `Record` and hands
//! the `UpdateResponse`s to the gRPC stream, in order.
//!
//! Records travel in `Records` batches of at most [`BATCH_RECORDS`], flushed early once their
//! encoded size passes [`BATCH_BYTES`], and always before a checkpoint or a warning; with
//! `single_records`, each goes alone in a `record` message (for clients that predate `Records`).
//! The stream's channel is bounded, so a slow client slows the source instead of filling memory.
//! Tables and columns that the selection excludes are not sent.

use std::collections::HashMap;

use tokio::sync::mpsc;
use tonic::Status;

use super::selection::{Selection, TableChoice};
use super::wire;
use crate::config::Redactor;
use crate::proto;
use crate::proto::update_response::Operation;
use crate::record::Record;
use crate::schema::TableRef;
use crate::sink::Sink;

/// Most records in one `Records` message (Fivetran's documented limit).
pub const BATCH_RECORDS: usize = 100;
/// A batch is flushed once its records' encoded size reaches this many bytes.
pub const BATCH_BYTES: usize = 100_000;

/// The stream's sending half: responses, or the status that ends the stream.
pub type Outbox = mpsc::Sender<Result<proto::UpdateResponse, Status>>;

/// Encodes a sync's operations into the `Update` response stream.
#[derive(Debug)]
pub struct GrpcSink {
    out: Outbox,
    selection: Selection,
    /// What is sent of each table, by the address of its schema; `None`: excluded.
    choices: HashMap<usize, Option<TableChoice>>,
    single_records: bool,
    /// Hides the configuration's secrets in warnings, which the user sees.
    redactor: Redactor,
    batch: Vec<proto::Record>,
    batch_bytes: usize,
    /// Records left out because the selection excludes their table.
    pub skipped: u64,
}

impl GrpcSink {
    pub fn new(
        out: Outbox,
        selection: Selection,
        single_records: bool,
        redactor: Redactor,
    ) -> GrpcSink {
        GrpcSink {
            out,
            selection,
            choices: HashMap::new(),
            single_records,
            redactor,
            batch: Vec::with_capacity(BATCH_RECORDS),
            batch_bytes: 0,
            skipped: 0,
        }
    }

    /// What is sent of `table` (its key columns always), decided once per table.
    fn choose(&mut self, table: &TableRef) -> usize {
        let address = table.address();
        if !self.choices.contains_key(&address) {
            let choice = self
                .selection
                .table(table.schema.as_deref(), &table.name)
                .map(|c| c.with_keys(table.primary_key().map(|k| k.name.as_ref())));
            self.choices.insert(address, choice);
        }
        address
    }

    fn send(&mut self, operation: Operation) -> anyhow::Result<()> {
        let response = proto::UpdateResponse {
            operation: Some(operation),
        };
        self.out
            .blocking_send(Ok(response))
            .map_err(|_| anyhow::anyhow!("the client closed the Update stream"))
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let records = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_RECORDS));
        self.batch_bytes = 0;
        self.send(Operation::Records(proto::Records { records }))
    }
}

impl Sink for GrpcSink {
    fn begin(&mut self, _tables: &[TableRef]) -> anyhow::Result<()> {
        Ok(())
    }

    fn write(&mut self, record: Record) -> anyhow::Result<()> {
        let address = self.choose(&record.table);
        let wire = match &self.choices[&address] {
            None => {
                self.skipped += 1;
                return Ok(());
            }
            Some(choice) if choice.is_everything() => wire::record(record, |_| true),
            Some(choice) => wire::record(record, |column| choice.column(column)),
        };
        if self.single_records {
            return self.send(Operation::Record(wire));
        }
        self.batch_bytes += approximate_len(&wire);
        self.batch.push(wire);
        if self.batch.len() >= BATCH_RECORDS || self.batch_bytes >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn warning(&mut self, message: &str) -> anyhow::Result<()> {
        self.flush()?;
        self.send(Operation::Warning(proto::Warning {
            message: self.redactor.redact(message),
        }))
    }

    fn checkpoint(&mut self, state_json: &str) -> anyhow::Result<()> {
        self.flush()?;
        self.send(Operation::Checkpoint(proto::Checkpoint {
            state_json: state_json.to_string(),
        }))
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        self.flush()
    }

    fn abort(&mut self) {
        self.batch.clear();
    }
}

/// About the encoded size of a record, without walking it the way encoding does: its text and
/// bytes, and a few bytes of framing per cell. Enough to flush a batch before it grows far past
/// [`BATCH_BYTES`].
fn approximate_len(record: &proto::Record) -> usize {
    use proto::value_type::Inner;
    let cells: usize = record
        .data
        .iter()
        .map(|(name, value)| {
            let payload = match &value.inner {
                Some(Inner::String(s) | Inner::Json(s) | Inner::Xml(s) | Inner::Decimal(s)) => {
                    s.len()
                }
                Some(Inner::Binary(b)) => b.len(),
                _ => 10,
            };
            name.len() + payload + 8
        })
        .sum();
    record.table_name.len() + cells + 8
}
