//! The [`Sink`] of `serve`: encodes each operation straight into a protobuf `Record` and hands
//! the `UpdateResponse`s to the gRPC stream, in order.
//!
//! Records are encoded straight from their values into the bytes of a `Records` batch (see
//! [`super::records`]) of at most [`BATCH_RECORDS`], flushed early once its encoded size passes
//! [`BATCH_BYTES`], and always before a checkpoint or a warning; with
//! `single_records`, each goes alone in a `record` message (for clients that predate `Records`).
//! The stream's channel is bounded, so a slow client slows the source instead of filling memory.
//! Tables and columns that the selection excludes are not sent.

use std::collections::HashMap;

use prost::Message as _;
use tokio::sync::mpsc;
use tonic::Status;

use super::records::{Records, Scratch};
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
    batch: Records,
    scratch: Scratch,
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
            batch: Records::default(),
            scratch: Scratch::default(),
            skipped: 0,
        }
    }

    /// What is sent of `table` (its key columns always), decided once per table.
    fn choose(&mut self, table: &TableRef) -> usize {
        let address = table.address();
        if !self.choices.contains_key(&address) {
            let choice = self.selection.table(table);
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
        let records = std::mem::take(&mut self.batch);
        self.send(Operation::Records(records))
    }
}

impl Sink for GrpcSink {
    fn begin(&mut self, _tables: &[TableRef]) -> anyhow::Result<()> {
        Ok(())
    }

    fn write(&mut self, record: Record) -> anyhow::Result<()> {
        let address = self.choose(&record.table);
        let Some(choice) = &self.choices[&address] else {
            self.skipped += 1;
            return Ok(());
        };
        if self.single_records {
            let wire = wire::record(record, |column| choice.column(column));
            return self.send(Operation::Record(wire));
        }
        if choice.is_everything() {
            self.batch.push_record(&record, |_| true, &mut self.scratch);
        } else {
            self.batch
                .push_record(&record, |column| choice.column(column), &mut self.scratch);
        }
        if self.batch.len() >= BATCH_RECORDS || self.batch.encoded_len() >= BATCH_BYTES {
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

    fn task(&mut self, message: &str) -> anyhow::Result<()> {
        self.flush()?;
        self.send(Operation::Task(proto::Task {
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
